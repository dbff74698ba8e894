"""Every private part of WeasyPrint that bookmaker touches, in one place.

The parallel layout (parts.py) lays each chapter out twice, once without and once with only its page
numbers. WeasyPrint has no public way to do that, so this module reaches into its layout:

- `weasyprint.layout.make_margin_boxes` is replaced by a wrapper that keeps some of a page's margin
  boxes and drops the others; while it runs, `LayoutContext.style_for` (a `StyleFor`, called with the
  page's `page_type` and a margin box's at-keyword) answers None for the edges and corners with no box
  to keep, which WeasyPrint then leaves out as it does an edge with no content; and its
  `get_string_set_for` and `get_running_element_for` (page, name, keyword) are wrapped to read
  `string_set` and `running_elements` (name -> page number -> values) and `current_page` first;
- a laid-out page's boxes' `style["counter_reset"]` and `style["content"]` and `element_tag`, for the
  counters a chapter shows without resetting them (`carried_counter`);
- `LayoutContext.page_maker`: a list of tuples whose entry [3][1] is the dict of counter values a page
  starts with; the "page" counter in it is shifted to number a chapter from where it falls in the book;
- `Box.style["content"]`: a tuple of (kind, value) pairs, kinds "string", "counter()", "counters()"...;
- `PageType` (a page's `page_type`): its fields side, blank, name, index and groups;
- `Page._page_box`, the laid-out page's box tree, read for its text (`page_text`: its LineBox and
  TextBox descendants, MarginBox left out), and for how full the last page is (`last_page_fill`: its
  `content_box_y()` and `height`, and each LineBox's and ReplacedBox's `position_y` and `height`,
  MarginBox and FootnoteAreaBox left out);
- `weasyprint.pdf.fonts.ffi`, the cffi FFI its font subsetting allocates arrays with, is given a
  stand-in whose `new()` asks for an open array (`T[]`) where WeasyPrint spells the length out (`T[N]`
  with N items): cffi parses each type string it has not seen (7 ms), and every subset has lengths of
  its own, so a chapter's PDF spent about 50 ms parsing C declarations;
- `weasyprint.text.ffi`'s import opens Pango, HarfBuzz and fontconfig by trying a list of names, most
  of which no file has here (`libgobject-2.0-0`, `gobject-2.0-0`...). cffi hands each name it cannot
  open to `ctypes.util.find_library`, which runs `ldconfig`, `gcc` and `ld` to look: 54 processes and
  0.19 s of the 0.54 s that importing WeasyPrint takes, in every process that imports it (`import_weasyprint`);
- that module's `ffi = cffi.FFI()` and `ffi.cdef(DECLARATIONS)`, one string of C declarations, which cffi
  parses with pycparser in every process (0.07 s), and parses again, type by type, as the first layout
  uses them (0.05 s more). `import_weasyprint` hands it an FFI made from those declarations parsed once,
  in cffi's own precompiled form (`emit_python_code`), kept in the cache (`precompiled_ffi`);
- the names WeasyPrint imports from fontTools as it is imported (`fontTools.subset`, and
  `instantiateVariableFont` from `fontTools.varLib.instancer`), given to it loaded on first use
  (`font_tools_on_demand`);
- `weasyprint.layout.page.set_page_type_computed_styles` and `StyleFor`'s `_sheets` (each sheet's
  `page_rules`: rule, selectors (specificity, pseudo-type, page selector), declarations),
  `_page_type_match`, `_cascaded_styles` and `_computed_styles` (keyed by (page type, pseudo-type)):
  a page's styles given to later pages whose type matches the same selectors (`share_page_styles`);
- `weasyprint.layout.make_all_pages` (context, root box, html, the pages of the pass before), wrapped to
  mark `context.page_maker[i][-1]["content_changed"]` on the page before each trailing blank page, so
  that a pass does not end before the footnotes carried onto it (`keep_trailing_footnotes`);
- `weasyprint.layout.block.iter_line_boxes` (context, the paragraph's LineBox, ..., skip_stack, ...), a
  generator of (LineBox, resume_at) wrapped to count the lines in a row that end in a hyphen, and
  `weasyprint.layout.inline.split_first_line` (text, style, ...), wrapped to read `style["hyphens"]` as
  "manual" for a line after two such (`no_hyphen_ladders`);
- the wording of WeasyPrint's log records: "No anchor #id" for links into other parts, "HarfBuzz-Subset"
  when fonts are subset without HarfBuzz, " at LINE:COLUMN" in stylesheet messages.

Verified on WeasyPrint 70.0. On any other version `verified()` is false and the book is laid out as one
document through the public API alone: slower, never wrong. The log wording only words messages.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib.util
import io
import re
import sys
import tempfile
import types
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

VERIFIED = ("70.",)  # the WeasyPrint versions this module was checked on, by prefix


def version() -> str:
    return metadata.version("weasyprint")


def verified() -> bool:
    return version().startswith(VERIFIED)


class OneDocumentNeeded(Exception):
    """The theme numbers pages in a way only a single-document layout gets right; `line`, where known, is
    the line of the theme's rule that does."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


@dataclass
class Layer:
    numbers: bool  # draw only the page-number boxes (else everything but them)
    shift: int = 0  # added to every page number
    types: list = field(default_factory=list)  # each page's type as laid out: side, blank, name, index, groups
    # Each page's own changes to the "page" counter: (the value a counter-reset or counter-set gives it, or
    # None; the counter-increment's sum). WeasyPrint increments it by 1 where a page's style leaves it be.
    counter: list = field(default_factory=list)


_layer: Layer | None = None


def page_number_box(content) -> bool:
    """Whether a margin box shows the page number; raises if it mixes that with the chapter's text."""
    if not isinstance(content, tuple):
        return False
    counters = [value[0] for kind, value in content if kind in ("counter()", "counters()")]
    if "page" not in counters and "pages" not in counters:
        return False
    if "pages" in counters or any(kind not in ("string", "counter()", "counters()") for kind, _ in content):
        raise OneDocumentNeeded("a page-number box shows the page count or text from the chapter")
    return True


# A page's margin boxes as WeasyPrint lays them out: the three of an edge together (a box's width depends
# on its neighbours' content), each corner alone.
MARGIN_GROUPS = (*(tuple(f"@{edge}-{place}" for place in ("left", "center", "right")) for edge in ("top", "bottom")),
                 *(tuple(f"@{edge}-{place}" for place in ("top", "middle", "bottom")) for edge in ("left", "right")),
                 *((f"@{corner}-corner",) for corner in ("top-left", "top-right", "bottom-left", "bottom-right")))


def unused_margin_boxes(style_for, page_type, numbers: bool) -> frozenset[str]:
    """The margin boxes a layer would lay out only to drop them: those of an edge or corner with no box
    of the layer's kind (showing the page number, or not) to draw. The running heads are not laid out
    in the numbers' layer, nor the page number in the body's. Raises as page_number_box() does."""
    unused: set[str] = set()
    for group in MARGIN_GROUPS:
        kinds = set()
        for keyword in group:
            style = style_for(page_type, keyword)
            if style is not None and style["content"] not in ("normal", "inhibit", "none"):
                kinds.add(page_number_box(style["content"]))
        if numbers not in kinds:
            unused.update(group)
    return frozenset(unused)


class WithoutBoxes:
    """A StyleFor (`LayoutContext.style_for`) that has no style for the margin boxes `unused`: WeasyPrint
    then makes them empty and, where a whole edge is, lays none of it out."""

    def __init__(self, style_for, unused: frozenset[str]):
        self._style_for, self._unused = style_for, unused

    def __call__(self, element, pseudo_type=None):
        if pseudo_type in self._unused:
            return None
        return self._style_for(element, pseudo_type)

    def __getattr__(self, name):
        return getattr(self._style_for, name)


def set_in_chapter(context, store, method: str):
    """`LayoutContext.get_string_set_for` (or `get_running_element_for`) that raises where a margin box
    asks for a named string (or running element) the chapter has not set on this page or before it:
    in the whole book, the value would be carried over from the chapters before (`store`: name -> page
    number -> values; `current_page`)."""
    getter = getattr(context, method)  # the class's, bound: the wrapper is set on the instance after this

    def get(page, name, keyword="first"):
        if keyword != "all-once" and not any(number <= context.current_page for number in store.get(name, ())):
            raise OneDocumentNeeded(f"a running head shows '{name}' on a page before the chapter sets it")
        return getter(page, name, keyword)

    return get


class SizedArrays:
    """An FFI whose new("T[N]", items) with N items is new("T[]", items): the same array, under a type
    string cffi parsed once (see the module's docstring)."""

    SIZED = re.compile(r"^\s*([\w ]+?)\s*\[\s*(\d+)\s*\]\s*$")

    def __init__(self, ffi):
        self._ffi = ffi

    def new(self, cdecl, init=None):
        if init is not None and isinstance(cdecl, str):
            sized = self.SIZED.match(cdecl)
            if sized and int(sized.group(2)) == len(init):
                return self._ffi.new(f"{sized.group(1)}[]", init)
        return self._ffi.new(cdecl, init)

    def __getattr__(self, name):
        return getattr(self._ffi, name)


def import_weasyprint() -> None:
    """WeasyPrint imported in this process, 0.25 s sooner and its first layout 0.05 s sooner: its C
    libraries opened by the names the loader knows (`libpango-1.0.so.0`, `libpango-1.0.dylib`), without
    asking `ctypes.util.find_library` for the names before those in WeasyPrint's lists, and its C
    declarations not parsed again (see the module's docstring). Where WeasyPrint declares other than
    what was precompiled, it is imported again with an FFI of its own; where a library only find_library
    knows is missing (WeasyPrint prints a message and raises OSError), as it imports itself. Pages of
    the same rules share their styles (share_page_styles)."""
    _import_weasyprint()
    share_page_styles()
    keep_trailing_footnotes()
    no_hyphen_ladders()


def _import_weasyprint() -> None:
    if "weasyprint" in sys.modules:
        return
    with font_tools_on_demand():
        for declared in (precompiled_ffi, contextlib.nullcontext):
            try:
                with libraries_by_their_names(), contextlib.redirect_stdout(io.StringIO()), declared():
                    import weasyprint  # noqa: F401
                return
            except (OSError, NotPrecompiled) as failed:
                for name in [name for name in sys.modules if name.split(".")[0] == "weasyprint"]:
                    del sys.modules[name]
                if isinstance(failed, OSError):
                    break
        import weasyprint  # noqa: F401,F811  (by its own lookup)


INSTANCER = "fontTools.varLib.instancer"


@contextlib.contextmanager
def font_tools_on_demand():
    """WeasyPrint imports fontTools' subsetter (`from fontTools import subset`) and its variable-font
    instancer (`from fontTools.varLib.instancer import instantiateVariableFont`) as it is imported, and
    with them most of fontTools (its OpenType tables, layout builders, varLib): 0.09 s of the 0.31 s its
    import takes, in every process that lays pages out. It uses them only for a font HarfBuzz cannot
    subset, or a variable font. While it is imported here, the subsetter is a module loaded on its first
    use (importlib's LazyLoader), and the instancer a stand-in whose function imports the real one when
    called (anything else asked of it imports it at once); the stand-in is gone once WeasyPrint is in, so
    any later import finds fontTools' own."""
    import fontTools

    if "fontTools.subset" not in sys.modules:
        spec = importlib.util.find_spec("fontTools.subset")
        if spec is not None and spec.loader is not None:
            spec.loader = importlib.util.LazyLoader(spec.loader)
            lazy = importlib.util.module_from_spec(spec)
            sys.modules["fontTools.subset"] = lazy
            spec.loader.exec_module(lazy)
            fontTools.subset = lazy  # `from fontTools import subset` takes it as it is, unloaded
    stand_in = None
    if INSTANCER not in sys.modules:
        stand_in = types.ModuleType(INSTANCER)

        def instantiateVariableFont(*args, **kwargs):  # noqa: N802 - fontTools' name
            return real_instancer().instantiateVariableFont(*args, **kwargs)

        def anything_else(name: str):
            if name.startswith("__"):  # the import system's questions (__path__...): a plain module's answer
                raise AttributeError(name)
            return getattr(real_instancer(), name)

        stand_in.instantiateVariableFont = instantiateVariableFont
        stand_in.__getattr__ = anything_else
        stand_in.bookmaker_stand_in = True
        sys.modules[INSTANCER] = stand_in
    try:
        yield
    finally:
        if stand_in is not None and sys.modules.get(INSTANCER) is stand_in:
            del sys.modules[INSTANCER]


def real_instancer():
    """fontTools' own variable-font instancer, font_tools_on_demand's stand-in put aside if still there."""
    if getattr(sys.modules.get(INSTANCER), "bookmaker_stand_in", False):
        del sys.modules[INSTANCER]
    return importlib.import_module(INSTANCER)


def share_page_styles() -> None:
    """WeasyPrint cascades and computes the style of every page, and of each of its margin boxes, anew:
    each page's type is its own (`PageType` holds the page's index), so its styles are never found
    again. That was a quarter of laying out a chapter's page numbers (eight chapters' 152 pages: 0.53 s,
    then 0.40 s) and about 4% of its body; and the 200,000-word book laid out as one document kept the
    styles of all its 760 pages (78.4 s and 414 MB, then 71.0 s and 338 MB). A page's styles follow from
    which `@page` selectors match its type (`StyleFor.add_page_declarations` adds the declarations of
    those, in the sheets' order; `set_computed_styles` computes them from the root element's style), so
    a page whose type matches the same selectors as an earlier page's is given that page's cascaded and
    computed styles, as WeasyPrint already gives an element the computed style of an earlier one with
    the same matches. Only on the WeasyPrint versions this module was verified on (verified())."""
    import weasyprint.layout.page as page_module

    original = page_module.set_page_type_computed_styles
    if getattr(original, "bookmaker_hook", False) or not verified():
        return

    def set_page_type_computed_styles(page_type, html, style_for):
        known = style_for.__dict__.get("bookmaker_pages")  # kept on the document's own StyleFor
        if known is None:
            selectors = [selector[2] for sheet, _origin, _specificity in style_for._sheets
                         for _rule, selector_list, _declarations in sheet.page_rules for selector in selector_list]
            known = style_for.bookmaker_pages = (selectors, {})
        selectors, styled = known
        matches = tuple(style_for._page_type_match(selector, page_type) for selector in selectors)
        if matches not in styled:
            original(page_type, html, style_for)
            styled[matches] = (page_type, [pseudo for element, pseudo in style_for._cascaded_styles
                                           if pseudo and element == page_type])
            return
        earlier, pseudo_types = styled[matches]
        cascaded, computed = style_for._cascaded_styles, style_for._computed_styles
        for pseudo in (None, *pseudo_types):
            if (earlier, pseudo) in cascaded:
                cascaded[page_type, pseudo] = cascaded[earlier, pseudo]
            computed[page_type, pseudo] = computed[earlier, pseudo]

    set_page_type_computed_styles.bookmaker_hook = True
    page_module.set_page_type_computed_styles = set_page_type_computed_styles


def keep_trailing_footnotes() -> None:
    """A document whose last footnotes run on past the end of its text, onto pages of their own (which
    WeasyPrint calls blank), lost those pages when it was laid out again (a contents page's numbers, a
    `target-counter`, ask for a second pass): `make_all_pages` ends once a page leaves nothing to resume,
    and nothing reported, but a page it keeps from the pass before (up to date) counts as reporting no
    footnotes, so the pass ended at the last page of text, and the notes carried over were never set.
    The page before each such trailing page is made again in every pass, which reports them: a book
    laid out as one document (`--jobs 0`, a PDF/X) printed its last chapter's long note nowhere: the
    note's number in the text, and no note. Only on the WeasyPrint versions this module was verified on (verified())."""
    import weasyprint.layout as layout_module

    original = layout_module.make_all_pages
    if getattr(original, "bookmaker_hook", False) or not verified():
        return

    def make_all_pages(context, root_box, html, pages):
        last = len(pages) - 1
        while last > 0 and pages[last].page_type.blank:
            context.page_maker[last - 1][-1]["content_changed"] = True
            last -= 1
        return original(context, root_box, html, pages)

    make_all_pages.bookmaker_hook = True
    layout_module.make_all_pages = make_all_pages


# Lines in a row a paragraph may end in a hyphen: a third is not hyphenated (its word moves down whole).
# Three or more make a ladder down the right edge (Bringhurst, The Elements of Typographic Style, 2.4.3:
# "avoid more than three consecutive hyphenated lines"; balance.ladder_paragraphs counts three as one).
HYPHENS_IN_A_ROW = 2
HYPHEN_ENDS = ("\u2010", "-", "\u00ad")
_unhyphenated = False  # the line being broken may not be hyphenated (no_hyphen_ladders)


def no_hyphen_ladders() -> None:
    """WeasyPrint breaks each line alone and hyphenates wherever a word fits no other way: the Time
    Machine's fast typesetting printed runs of four to six hyphenated lines. CSS's hyphenate-limit-lines
    says how many may come in a row, and WeasyPrint does not read it. Here a paragraph's line after
    HYPHENS_IN_A_ROW lines ending in a hyphen (the hyphenation's, the word's own, a soft hyphen) is broken
    without hyphenating: its last word moves to the next line whole. The count runs on across a page
    turn (the lines resumed from the same place carry it). Only on the WeasyPrint versions this module
    was verified on (verified())."""
    import weasyprint.layout.block as block_module
    import weasyprint.layout.inline as inline_module
    from weasyprint.formatting_structure import boxes

    lines_of, split = block_module.iter_line_boxes, inline_module.split_first_line
    if getattr(lines_of, "bookmaker_hook", False) or not verified():
        return

    def ends_in_hyphen(box) -> bool | None:
        """Whether the line's last text ends in a hyphen; None for a box with no text."""
        if isinstance(box, boxes.TextBox):
            return box.text.rstrip(" ").endswith(HYPHEN_ENDS)
        for child in reversed(getattr(box, "children", ())):
            found = ends_in_hyphen(child)
            if found is not None:
                return found
        return None

    def iter_line_boxes(context, box, position_y, bottom_space, skip_stack, *rest):
        global _unhyphenated
        runs = context.__dict__.setdefault("bookmaker_hyphen_runs", {})
        run = runs.get((id(box), repr(skip_stack)), 0)
        lines = lines_of(context, box, position_y, bottom_space, skip_stack, *rest)
        while True:
            outer, _unhyphenated = _unhyphenated, run >= HYPHENS_IN_A_ROW
            try:
                line, resume_at = next(lines)
            except StopIteration:
                return
            finally:
                _unhyphenated = outer
            run = run + 1 if ends_in_hyphen(line) else 0
            if resume_at is not None:
                runs[(id(box), repr(resume_at))] = run
            yield line, resume_at

    def split_first_line(text, style, *rest, **named):
        if not _unhyphenated or style["hyphens"] != "auto":
            return split(text, style, *rest, **named)
        style["hyphens"] = "manual"  # only a soft hyphen the text has, as the ladder fixes set it
        try:
            return split(text, style, *rest, **named)
        finally:
            style["hyphens"] = "auto"

    iter_line_boxes.bookmaker_hook = True
    block_module.iter_line_boxes = iter_line_boxes
    inline_module.split_first_line = split_first_line


@contextlib.contextmanager
def libraries_by_their_names():
    """`ctypes.util.find_library` finding nothing while WeasyPrint opens its libraries: cffi then opens
    only the names the loader knows itself."""
    import ctypes.util

    real = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        yield
    finally:
        ctypes.util.find_library = real


class NotPrecompiled(Exception):
    """WeasyPrint declared other C functions and types than the FFI precompiled for it."""


@contextlib.contextmanager
def precompiled_ffi():
    """While WeasyPrint is imported, its `cffi.FFI()` is an FFI precompiled from the declarations its
    `weasyprint.text.ffi` gives `cdef()` (read from that file, not imported), which that `cdef()` only
    checks. None where they cannot be read: WeasyPrint then parses them itself."""
    try:
        import cffi

        made = precompiled(declarations())
    except Exception:  # noqa: BLE001 - only a head start: WeasyPrint's own import does the same slower
        yield
        return
    real = cffi.FFI
    handed = []

    def first_ffi(*args, **kwargs):
        if handed or args or kwargs:
            return real(*args, **kwargs)
        handed.append(made)
        return made

    cffi.FFI = first_ffi
    try:
        yield
    finally:
        cffi.FFI = real


def declarations() -> str:
    """The C declarations `weasyprint/text/ffi.py` gives `ffi.cdef()`: its one call's string literal."""
    package = importlib.util.find_spec("weasyprint")
    if package is None or package.origin is None:
        raise NotPrecompiled("WeasyPrint is not installed")
    tree = ast.parse((Path(package.origin).parent / "text" / "ffi.py").read_text(encoding="utf-8"))
    calls = [node.value for node in tree.body if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
             and getattr(node.value.func, "attr", None) == "cdef"]
    if len(calls) != 1 or len(calls[0].args) != 1 or not isinstance(calls[0].args[0], ast.Constant):
        raise NotPrecompiled("weasyprint/text/ffi.py calls cdef() otherwise than once with a string")
    return calls[0].args[0].value


def precompiled(source: str):
    """An FFI for `source`, from cffi's precompiled form of it (the Python module emit_python_code()
    writes, a call to `_cffi_backend.FFI` with literal arguments), kept in the cache under a digest of
    `source` and cffi's version. Only its literals are read back (ast.literal_eval): nothing in the
    cache is run."""
    import _cffi_backend
    import cffi

    from bookmaker.infra.cache import cache_root, read_entry, write_entry

    key = hashlib.sha256(f"{cffi.__version__}\0{source}".encode()).hexdigest()
    entry = cache_root() / "ffi" / f"{key}.py"
    try:
        args, kwargs = literal_call(read_entry(entry).decode("utf-8"))
    except Exception:  # noqa: BLE001 - not made yet, or not whole: made again
        builder = cffi.FFI()
        builder.cdef(source)
        builder.set_source("_bookmaker_weasyprint_ffi", None)
        with tempfile.TemporaryDirectory() as folder:
            builder.emit_python_code(str(Path(folder) / "ffi.py"))
            text = (Path(folder) / "ffi.py").read_text(encoding="utf-8")
        args, kwargs = literal_call(text)
        write_entry(entry, text.encode("utf-8"))

    class Precompiled(_cffi_backend.FFI):
        def cdef(self, csource, *more, **options):
            if csource != source:
                raise NotPrecompiled("other declarations than those precompiled")

    return Precompiled(*args, **kwargs)


def literal_call(text: str) -> tuple[list, dict]:
    """The arguments of the call `emit_python_code()` assigns (`ffi = _cffi_backend.FFI(...)`), which are
    all literals."""
    call = next(node.value for node in ast.parse(text).body if isinstance(node, ast.Assign))
    if not isinstance(call, ast.Call):
        raise ValueError("not cffi's precompiled FFI")
    return [ast.literal_eval(arg) for arg in call.args], {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}


def install_hook() -> None:
    """Replace make_margin_boxes once a process; the wrapper does nothing unless a layer is set. The
    font subsetting's FFI is given SizedArrays."""
    import_weasyprint()
    import weasyprint.layout as layout_module
    import weasyprint.pdf.fonts as pdf_fonts

    if not isinstance(pdf_fonts.ffi, SizedArrays):
        pdf_fonts.ffi = SizedArrays(pdf_fonts.ffi)
    if getattr(layout_module.make_margin_boxes, "bookmaker_hook", False):
        return
    original = layout_module.make_margin_boxes

    def make_margin_boxes(context, page, state):
        layer = _layer
        if layer is None:
            yield from original(context, page, state)
            return
        if layer.shift and not hasattr(context, "bookmaker_shift"):
            context.bookmaker_shift = layer.shift
            seen = set()
            for entry in context.page_maker:
                values = entry[3][1]
                if id(values) not in seen and "page" in values:
                    seen.add(id(values))
                    values["page"] = [value + layer.shift for value in values["page"]]
        kind = page.page_type
        layer.types.append((kind.side, kind.blank, kind.name, kind.index, tuple(map(tuple, kind.groups))))
        style = page.style
        given = [value for name, value in (*style["counter_reset"], *style["counter_set"]) if name == "page"]
        layer.counter.append((given[-1] if given else None,
                              sum(value for name, value in style["counter_increment"] if name == "page")))
        style_for = context.style_for
        context.style_for = WithoutBoxes(style_for, unused_margin_boxes(style_for, kind, layer.numbers))
        context.get_string_set_for = set_in_chapter(context, context.string_set, "get_string_set_for")
        context.get_running_element_for = set_in_chapter(context, context.running_elements,
                                                         "get_running_element_for")
        try:
            made = list(original(context, page, state))
        finally:
            context.style_for = style_for
            del context.get_string_set_for, context.get_running_element_for
        for box in made:
            if page_number_box(box.style["content"]) == layer.numbers:
                yield box

    make_margin_boxes.bookmaker_hook = True
    layout_module.make_margin_boxes = make_margin_boxes
    hook_target_lookups()


def hook_target_lookups() -> None:
    """A chapter laid out alone cannot show where a link points: its pages are numbered from 1, and the
    other chapters' anchors are not in its document (WeasyPrint drops the text, "target points to
    undefined anchor"). So target-counter(), target-counters() and target-text() in a chapter's body
    need the one-document layout. The contents' page numbers (the front matter, laid out with no layer)
    are not a chapter's."""
    from weasyprint.css import targets

    original = targets.TargetCollector.lookup_target
    if getattr(original, "bookmaker_hook", False):
        return

    def lookup_target(self, anchor_token, source_box, css_token, parse_again):
        if _layer is not None and not _layer.numbers:
            raise OneDocumentNeeded("the theme shows where a link points (target-counter(), target-text())")
        return original(self, anchor_token, source_box, css_token, parse_again)

    lookup_target.bookmaker_hook = True
    targets.TargetCollector.lookup_target = lookup_target


def set_layer(layer: Layer | None) -> None:
    global _layer
    _layer = layer


# --- log wording ---------------------------------------------------------------------------------

LINE_RE = re.compile(r" at (\d+):(\d+)")


def record_line(message: str) -> int | None:
    """The stylesheet line a log message names, if any."""
    match = LINE_RE.search(message)
    return int(match.group(1)) if match else None


def is_slow_fonts(message: str) -> bool:
    return "HarfBuzz-Subset" in message


def is_missing_anchor(message: str, targets=None) -> bool:
    """A link to an anchor this document lacks (in another part: the join links it); any such link
    when `targets` is None, else one to those ids."""
    if targets is None:
        return "No anchor" in message
    return any(f"#{t} " in message + " " for t in targets)


def page_text(page) -> str:
    """A laid-out page's text (a weasyprint Page), a line of the page a line, as a PDF reader reads it
    from the page drawn, without the margin boxes (running heads, page numbers). Reading the words back
    from the PDF instead costs a second every 15 pages (pypdf parses every operator)."""
    from weasyprint.formatting_structure import boxes

    lines: list[str] = []

    def walk(box) -> None:
        if isinstance(box, boxes.MarginBox):
            return
        if isinstance(box, boxes.LineBox):
            lines.append("".join(child.text for child in box.descendants() if isinstance(child, boxes.TextBox)))
            return
        for child in getattr(box, "children", ()):
            walk(child)

    walk(page._page_box)
    return "\n".join(lines)


def last_page_fill(document) -> float:
    """How much of its last page's text block a laid-out document fills, 0 to 1: the depth of its last
    line or picture below the top of the page's content box, footnotes and margin boxes left out.
    Reads the laid-out boxes' `position_y` and `height` (`Page._page_box`, its `content_box_y()`)."""
    from weasyprint.formatting_structure import boxes

    if not document.pages:
        return 0.0
    page = document.pages[-1]._page_box
    top, room = page.content_box_y(), page.height
    deepest = top

    def walk(box) -> None:
        nonlocal deepest
        if isinstance(box, (boxes.MarginBox, boxes.FootnoteAreaBox)):
            return
        if isinstance(box, (boxes.LineBox, boxes.ReplacedBox)):
            deepest = max(deepest, box.position_y + box.height)
            return
        for child in getattr(box, "children", ()):
            walk(child)

    walk(page)
    return min(1.0, max(0.0, (deepest - top) / room)) if room else 0.0


def paints_where_layers_cannot(document) -> str | None:
    """What the theme draws on pages of nothing but empty blocks (parts.paint_probe_html) that the split
    layout would get wrong, or None: a page's background, border or marks, or anything in its flow
    (the numbers' layer, drawn over the body, would cover or double it), and anything at all on a blank
    page (the blank pages before chapters are added empty in the join). Reads `Page._page_box`, its
    `background`, `canvas_background`, `page_type.blank`, and every box's `background` and used
    `border_*_width`, `style["outline_*"]` and `style["marks"]`."""
    from weasyprint.formatting_structure import boxes

    def seen(background) -> bool:  # `Background`: its `color` (`alpha`) and `layers` (each `image`)
        return background is not None and (background.color.alpha > 0
                                           or any(layer.image is not None for layer in background.layers))

    def bordered(box) -> bool:  # used widths: 0 where the style is none
        return any(getattr(box, f"border_{side}_width", 0) for side in ("top", "right", "bottom", "left"))

    def drawn(box) -> bool:
        return (seen(getattr(box, "background", None)) or bordered(box)
                or (box.style["outline_style"] != "none" and box.style["outline_width"] > 0)
                or (isinstance(box, boxes.TextBox) and box.text.strip() != "")
                or isinstance(box, boxes.ReplacedBox))

    def flow_drawn(box) -> bool:
        return drawn(box) or any(flow_drawn(child) for child in getattr(box, "children", ()))

    for page in document.pages:
        box = page._page_box
        if seen(box.background) or seen(box.canvas_background) or box.style["marks"] != ():
            return "a page background or crop marks"
        if bordered(box):
            return "a page border"
        margins = [child for child in box.children if isinstance(child, boxes.MarginBox)]
        if box.page_type.blank and margins:
            return "furniture on blank pages"
        if any(flow_drawn(child) for child in box.children if not isinstance(child, boxes.MarginBox)):
            return "a background, border or generated content around a chapter's text"
    return None


def carried_counter(document) -> str | None:
    """A counter (but the page's) shown in a chapter laid out alone that no element of the chapter
    resets where it is shown: in the whole book it would count on from the chapters before (a theme
    whose footnotes are numbered through the book). Reads each page's flow (`Page._page_box`, without
    its margin and footnote areas), each box's `style["counter_reset"]` (the scope it opens: the box,
    its later siblings and what they hold) and `style["content"]` (its "counter()" and "counters()"
    parts, whose value is (name, ...)); the first box of each page is the root `html` element's."""
    from weasyprint.formatting_structure import boxes

    def reset_by(box) -> set[str]:
        return {name for name, _value in box.style["counter_reset"]}

    def shown(box) -> set[str]:
        content = box.style["content"]
        if not isinstance(content, (tuple, list)):
            return set()
        return {value[0] for kind, value in content if kind in ("counter()", "counters()")} - {"page", "pages"}

    def walk(box, in_scope: frozenset) -> str | None:
        missing = shown(box) - in_scope
        if missing:
            return sorted(missing)[0]
        scope = set(in_scope)
        for child in getattr(box, "children", ()):
            # A reset's scope: the element, its later siblings and what they hold. html and body are
            # reset once for the whole book: what they reset is not the chapter's.
            if getattr(child, "element_tag", None) not in ("html", "body"):
                scope |= reset_by(child)
            found = walk(child, frozenset(scope))
            if found:
                return found
        return None

    for page in document.pages:
        for root in page._page_box.children:
            if not isinstance(root, (boxes.MarginBox, boxes.FootnoteAreaBox)):
                found = walk(root, frozenset())
                if found:
                    return found
    return None


# --- the laid-out lines, for balancing spreads ----------------------------------------------------

@dataclass(frozen=True)
class Line:
    bottom: float
    length: float  # from the line's start to the end of its last word
    paragraph: int | None
    spaces: int
    natural: float  # the length before justification stretched its spaces (`justification_spacing`)
    hyphen: bool = False  # ends in a hyphen (the hyphenation's, or the word's own)
    first: str = ""  # the line's first word, as laid out
    last: str = ""  # its last word, as laid out (with the hyphenation's hyphen, U+2010, where it breaks one)


@dataclass
class PageLines:
    """A page's lines in the main flow, top to bottom, in CSS pixels; a line's paragraph is the number
    in its `data-tp` attribute, or None. `notes` is the bottom of the
    footnote area where the page has notes."""

    lines: list = field(default_factory=list)
    notes: float | None = None


def page_lines(document, attribute: str = "data-tp") -> list[PageLines]:
    """Each page's lines, read from the page's box tree (`Page._page_box`; its children are the root
    box, the footnote area and the note area; `LineBox`, `Box.element`, `position_y`, `height`)."""
    from weasyprint.formatting_structure import boxes

    def walk(box, paragraph, out: list) -> None:
        element = getattr(box, "element", None)
        if isinstance(box, boxes.BlockBox) and element is not None and element.get(attribute) is not None:
            paragraph = int(element.get(attribute))
        if isinstance(box, boxes.LineBox):
            right = max((child.position_x + child.margin_width() for child in box.children), default=box.position_x)
            texts = [text for text in box.descendants() if isinstance(text, boxes.TextBox)]
            spaces = sum(text.text.strip(" ").count(" ") for text in texts)
            stretch = sum((getattr(text, "justification_spacing", 0) or 0) * text.text.count(" ") for text in texts)
            broken = bool(texts) and texts[-1].text.rstrip(" ").endswith(("\u2010", "-", "\u00ad"))
            words = "".join(text.text for text in texts).split()
            out.append(Line(box.position_y + box.height, right - box.position_x, paragraph, spaces,
                            right - box.position_x - stretch, broken, words[0] if words else "",
                            words[-1] if words else ""))
            return
        for child in getattr(box, "children", ()):
            walk(child, paragraph, out)

    pages = []
    for page in document.pages:
        lines: list = []
        bottom = None
        for child in page._page_box.children:
            if isinstance(child, boxes.FootnoteAreaBox):
                if child.children:
                    bottom = child.position_y + child.margin_height()
            elif not isinstance(child, boxes.MarginBox):
                walk(child, None, lines)
        pages.append(PageLines(lines, bottom))
    return pages
