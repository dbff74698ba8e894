"""WeasyPrint, set up for the book: the theme and the settings as stylesheets, the book's files as the
only thing a layout may fetch, and its log records turned into problems.

The pages are those of the EPUB, as HTML (html.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bookmaker import codes
from bookmaker.errors import BookmakerError, Problem
from bookmaker.load.assets import packaged_bytes
from bookmaker.load.metadata import inches
from bookmaker.model import RenderedBook
from bookmaker.pdf import printshop, pyphen_internals
from bookmaker.pdf import weasy_internals as W
from bookmaker.render.styles import PRINT_SCHEME as SCHEME

FACES = (("Regular", "normal", "normal"), ("Italic", "italic", "normal"),
         ("Bold", "normal", "bold"), ("BoldItalic", "italic", "bold"))


def font_faces() -> str:
    """The bundled typeface, embedded from the installed package (never whatever the machine has).

    Spectral ships static faces with true small caps and old-style figures; static faces also spare
    WeasyPrint instancing a variable font for every document it writes.
    """
    faces = []
    for name, style, weight in FACES:
        url = f"{SCHEME}fonts/Spectral-{name}.ttf"
        faces.append(f'@font-face {{ font-family: "Spectral"; src: url("{url}"); '
                     f"font-style: {style}; font-weight: {weight}; }}")
    return "\n".join(faces)


def font_files() -> dict[str, Path]:
    import fontpkg_spectral

    files = Path(fontpkg_spectral.ROOT) / "files"
    return {f"{SCHEME}fonts/Spectral-{name}.ttf": files / f"Spectral-{name}.ttf" for name, _, _ in FACES}


def css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def running_heads(book) -> tuple[str, str]:
    """(verso, recto) as book.yaml chose them; by default the author on versos, and on rectos the
    chapter's title where every chapter has one, else the book's."""
    verso, recto = book.metadata.pdf.running_heads
    titled = bool(book.chapters) and all(c.title for c in book.chapters)
    return verso or "author", recto or ("chapter" if titled else "title")


def heads_css(rendered: RenderedBook) -> str:
    """Running heads: author, book title or chapter title, as chosen for versos and rectos.

    Comes before print.css, so the theme's rules for opening and blank pages win, and a project's own
    print.css can change the heads. The chapter's title is a named string set by its heading (in print,
    from the one-line head typesetting.running_head makes of it, where the typesetting ran); the heads
    stay in the top boxes, apart from the folio's box (the parallel layout draws page numbers alone).
    """
    text = {"author": css_string(rendered.display_author), "title": css_string(rendered.display_title),
            "chapter": "string(chapter)"}
    verso, recto = (text[kind] for kind in running_heads(rendered.book))
    return (".chapter-title .chapter-label, .chapter-title .chapter-name { string-set: chapter content(); }\n"
            ".chapter-title .chapter-name[data-head] { string-set: chapter attr(data-head); }\n"
            f"@page chapter:left {{ @top-left {{ content: {verso}; }} }}\n"
            f"@page chapter-first:left {{ @top-left {{ content: {verso}; }} }}\n"
            f"@page chapter:right {{ @top-right {{ content: {recto}; }} }}\n"
            f"@page chapter-first:right {{ @top-right {{ content: {recto}; }} }}\n")


LINE_HEIGHT = 1.4  # the body's leading, as a multiple of its size: the grid's unit
TABLE_RULE = 0.5  # pt: the rule under each table row, which html.tables_on_grid makes up for


def points(length: str) -> float:
    return inches(length) * 72


@dataclass(frozen=True)
class Grid:
    """The baseline grid: the body line (pt), and how many of them the text block holds."""

    line: float
    lines: int

    @classmethod
    def of(cls, book) -> "Grid":
        p = book.metadata.pdf
        line = round(points(p.font_size) * LINE_HEIGHT, 3)
        room = points(p.height) - points(p.margin_top) - points(p.margin_bottom)
        return cls(line, max(1, int(room // line)))

    def __call__(self, lines: float, less: float = 0) -> str:
        return f"{round(lines * self.line - less, 3):g}pt"

    def sinkage(self) -> int:
        """The lines a chapter's head is sunk from the top of its first page."""
        return max(2, round(self.lines * 0.3))


def grid_css(book) -> str:
    """Every vertical space of the text block a whole number of body lines, so that full pages hold the
    same number of lines and end at the same depth. Before print.css: a project's own theme may change
    any of it (and leave the grid)."""
    g = Grid.of(book)
    sinkage = g.sinkage()
    rule = "0.4pt"
    return f"""
html {{ line-height: {g(1)}; }}
h2, h3, h4, h5, h6 {{ line-height: {g(1)}; margin: {g(1)} 0 0; }}
blockquote, .letter, ul, ol, dl, figure, table, pre, p > img:only-child {{ margin-top: {g(1)}; margin-bottom: {g(1)}; }}
p.lines + p.lines, p:not(.lines) + p.lines, p.lines + p:not(.lines) {{ margin-top: {g(1)}; }}
.long-dedication p + p {{ margin-top: {g(1)}; }}
li ul, li ol, li dl, li blockquote {{ margin-top: 0; margin-bottom: 0; }}
th, td {{ border-bottom: {TABLE_RULE}pt solid #000; padding-top: 0; padding-bottom: 0; }}
hr.scene-break {{ height: {g(1)}; margin: {g(0.5)} 0; }}
hr.scene-break::before {{ line-height: {g(1)}; }}
.chapter-head {{ padding-top: {g(sinkage)}; margin-bottom: {g(2)}; }}
.chapter-title {{ line-height: {g(2)}; }}
.chapter-label {{ line-height: {g(1)}; margin-bottom: {g(1)}; }}
.chapter-summary, .chapter-notes {{ margin-bottom: {g(1)}; }}
.chapter-summary p + p, .chapter-notes p + p, .chapter-end-notes p + p {{ margin-top: 0; }}
.block-heading {{ margin: {g(1)} 0 0; line-height: {g(1)}; }}
section > .block-heading:first-child {{ margin-top: 0; }}
.chapter-notes + .chapter-text, .chapter-summary + .chapter-text {{ margin-top: 0; }}
/* The rule under the summary or notes is theirs, drawn at the text's full measure (print.css sets them in
   1.5em at each side): as the text's top border, it went over to the next page with a picture that did not
   fit, alone under the running head, and pushed a full-bleed picture down off the page's edge. */
.chapter-summary:has(+ .chapter-text), .chapter-notes:has(+ .chapter-text) {{ margin-bottom: 0; }}
.chapter-summary:has(+ .chapter-text)::after, .chapter-notes:has(+ .chapter-text)::after {{ content: "";
  display: block; margin: {g(1, 0.4)} -1.5em {g(1)}; border-top: {rule} solid #000; }}
.chapter-end-notes {{ margin-top: {g(1)}; border-top: {rule} solid #000; padding-top: {g(1, 0.4)}; }}
.footnote {{ footnote-policy: line; }}
@page {{ @footnote {{ border-top: {rule} solid #000; padding-top: {g(0.5, 0.4)}; margin-top: {g(0.5)}; }} }}
"""


def settings_css(book) -> str:
    """What book.yaml decides: trim size, mirrored margins, type size. The bottom margin takes what is
    left below the grid's last line, so that a page ending in footnotes ends on the grid too.

    With bleed (`pdf: {bleed: true}` for a printer), the page is the trim and its bleed, and each margin
    grows by the bleed on its edge, the outside one mirrored (the left of a verso, the right of a
    recto): the text block stays where it was on the trim."""
    p, g = book.metadata.pdf, Grid.of(book)
    bottom = f"{round(points(p.height) - points(p.margin_top) - g.lines * g.line, 3):g}pt"
    size, top, outer, inner = f"{p.width} {p.height}", p.margin_top, p.margin_outer, p.margin_inner
    b = printshop.bleed_of(book)
    if b is not None:
        def grown(length: str, by: float) -> str:
            return f"{round(points(length) + by * 72, 3):g}pt"

        width, height = grown(p.width, b.outside + b.inside), grown(p.height, b.top + b.bottom)
        size, bottom = f"{width} {height}", grown(bottom, b.bottom)
        top, outer = grown(p.margin_top, b.top), grown(p.margin_outer, b.outside)
        inner = grown(p.margin_inner, b.inside)
    css = f"""
@page {{ size: {size}; margin: {top} {outer} {bottom} {inner}; }}
@page :left {{ margin-left: {outer}; margin-right: {inner}; }}
@page :right {{ margin-left: {inner}; margin-right: {outer}; }}
html {{ font-size: {p.font_size}; }}
""" + (DROP_CAP if p.drop_cap else "")
    return css + (full_bleed_css(points(width), points(height)) if b is not None else "")


def full_bleed_css(width: float, height: float) -> str:
    """A picture of class `bleed` (`![…](map.jpg){: .bleed}`) on a page of its own with no margins: it
    fills the whole page, the bleed too, cropped to it (object-fit: cover), without running head or
    folio. Only with bleed: without it, it stays a picture of the text block."""
    return f"""
@page full-bleed {{ margin: 0; @top-left {{ content: none; }} @top-right {{ content: none; }}
  @bottom-center {{ content: none; }} }}
@page full-bleed:left {{ margin: 0; }}
@page full-bleed:right {{ margin: 0; }}
img.bleed {{ page: full-bleed; display: block; width: {width:.3f}pt; height: {height - 0.01:.3f}pt;
  max-width: none; margin: 0 !important; padding: 0; border: 0; object-fit: cover; break-before: page;
  break-after: page; }}
"""


# The first letter of a chapter, two lines deep, kept in the text (searchable, read aloud).
# Its float no taller than the two lines it stands in: at a line-height of 1, the letter's box (3.14 em of
# the text's type) reached into a third line (2.64 em), which was indented beside nothing. The letter is
# set where it was: its line box 0.8 high, moved down the 0.1 em that takes off its top, and as much
# taken off its foot.
DROP_CAP = """
.chapter-text > p:first-of-type::first-letter { float: left; font-size: 3.1em; line-height: 0.8;
  margin: 0.14em 0.08em -0.1em 0; padding: 0; }
[dir=rtl] .chapter-text > p:first-of-type::first-letter { float: right; margin: 0.14em 0 -0.1em 0.08em; }
"""


@dataclass(frozen=True)
class LayoutSetup:
    """Everything a layout needs, as plain data, so a worker process can rebuild it."""

    stylesheets: tuple[str, ...]
    base_url: str
    files: tuple[tuple[str, Path | bytes], ...]  # bookmaker: URL -> file (or bytes bookmaker made); nothing else
    style_path: str
    pictures: str | None = None  # the book's pictures converted to this PIL mode for the printer (L, CMYK)
    grid_line: float = 0.0  # the body line (pt): spreads are balanced to it; 0: `typesetting: fast`
    language: str = ""  # the book's: its hyphenation patterns are loaded with the theme (parsed_theme)


def layout_setup(rendered: RenderedBook) -> LayoutSetup:
    book = rendered.book
    if rendered.print_css.problems:  # a file print.css names cannot be used
        raise BookmakerError(list(rendered.print_css.problems))
    theme, theme_files = rendered.print_css.text, rendered.print_css.files
    files = ({SCHEME + a.href: a.source if a.data is None else a.data for a in rendered.assets}
             | {SCHEME + a.href: a.source for a in theme_files} | font_files())
    sheets = (font_faces(), heads_css(rendered), grid_css(book), theme, settings_css(book), printshop.printer_css(book))
    if printshop.cmyk(printshop.printer_of(book)):
        files[printshop.PROFILE_URL] = printshop.cmyk_profile()
    # Image and font URLs (and so WeasyPrint's names for them) must not depend on where the book is.
    return LayoutSetup(sheets, SCHEME, tuple(sorted(files.items())), book.display(book.root / "styles" / "print.css"),
                       printshop.picture_mode(book), Grid.of(book).line if book.metadata.pdf.fine else 0.0,
                       book.metadata.language)


@contextlib.contextmanager
def captured_weasyprint_logs(records: list):
    """WeasyPrint reports problems as log records; collect them instead of printing them."""
    logger = logging.getLogger("weasyprint")
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate


def file_bytes(source: Path | bytes) -> bytes:
    """A layout file's bytes: read (as the book packages it), or made by bookmaker (`cover: auto`)."""
    return source if isinstance(source, bytes) else packaged_bytes(source)


def font_or_profile(source: Path | bytes) -> bool:
    return isinstance(source, Path) and source.suffix.lower() in (".ttf", ".otf", ".woff", ".woff2", ".icc")


def make_fetcher(files: tuple[tuple[str, Path | bytes], ...], pictures: str | None = None):
    """Only the files the book is made of: no network, nothing else on the disk. Pictures converted to
    `pictures` (a PIL mode) where the printer wants it."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    known = dict(files)
    fonts_and_profiles = {url for url, source in files if font_or_profile(source)}

    class BookFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            path = known.get(url.split("?")[0])
            if path is None:
                raise ValueError(f"not part of the book: {url}")
            data = file_bytes(path)
            if pictures and url.split("?")[0] not in fonts_and_profiles:
                data = printshop.converted_picture(data, pictures)
            return URLFetcherResponse(url, body=data)

    return BookFetcher(allowed_protocols=set())


_parsed: dict = {}  # (folder, stylesheets, files, their stamps, extra css) -> (fonts, fetcher, sheets, records, profiles)
_session: list[str] = []  # the temporary folder of the layout session running (session()), if any
_warmed: set[str] = set()  # the layout sessions (their folders) whose process has laid out a sample (warm_theme)


def parsed_theme(setup: LayoutSetup, extra_css: str):
    """The stylesheets parsed once a process and reused by every document it lays out: parsing them
    (and loading their fonts) again for each chapter was a sixth of a short chapter's layout. Their
    warnings are kept, and given to every document's records."""
    W.import_weasyprint()
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    # Fonts from @font-face live in the build's temporary folder, removed when the build ends: a parsed
    # theme never outlives its build's folder; in a layout session, which keeps it from one build to the
    # next, nor a change to a file it loaded (a font, a colour profile). Every layout asks (a chapter's
    # balancing lays out many times): outside a session the files are not looked at.
    book = (tempfile.gettempdir(), setup.stylesheets, setup.files, file_stamps(setup.files) if _session else ())
    if (*book, extra_css) not in _parsed:
        for key in [key for key in _parsed if key[:4] != book]:
            del _parsed[key]  # another book, or folder; the same one's with other extra CSS (the contents') stay
        fonts, fetcher, warnings = FontConfiguration(), make_fetcher(setup.files, setup.pictures), []
        profiles: dict = {}  # @color-profile rules (PDF/X's CMYK output intent), given again to the layout
        with captured_weasyprint_logs(warnings):
            sheets = [CSS(string=text, font_config=fonts, url_fetcher=fetcher, color_profiles=profiles)
                      for text in (*setup.stylesheets, extra_css) if text]
        _parsed[(*book, extra_css)] = (fonts, fetcher, sheets, warnings, profiles)
        pyphen_internals.preload(setup.language)  # as the theme, before the first layout needs it
    return _parsed[(*book, extra_css)]


def file_stamps(files: tuple[tuple[str, Path | bytes], ...]) -> tuple:
    """Size and modification time of the files a parsed theme loads itself (fonts, colour profiles)."""
    stamps = []
    for _url, path in files:
        if font_or_profile(path):
            try:
                stat = path.stat()
                stamps.append((stat.st_size, stat.st_mtime_ns))
            except OSError:
                stamps.append(None)
    return tuple(stamps)


def forget_parsed_themes() -> None:
    """A build's fonts live in its temporary folder: its parsed themes go when the folder does (unless
    a layout session keeps the folder)."""
    if not _session:
        _parsed.clear()


@contextlib.contextmanager
def session(folder: str):
    """Builds in this process, one after the other (`watch`), share one temporary folder, `folder`, and
    the themes parsed into it: a theme is parsed and its fonts loaded once, not by each build, and the
    layout workers a build forks inherit them (warm_theme)."""
    _session.append(folder)
    try:
        yield
    finally:
        _session.remove(folder)
        _parsed.clear()
        _warmed.discard(folder)


def session_folder() -> str | None:
    return _session[-1] if _session else None


def warm_theme(setup: LayoutSetup, *extra_css: str, sample: str = "") -> None:
    """In a layout session, with WeasyPrint imported here: the theme parsed in this process before it forks
    layout workers, which then inherit it instead of each parsing it again, on every build. With
    `sample` (a document of the book's), once a session: the sample laid out and written here, so that
    what a process's first layout loads is loaded already in every worker forked from this one (the
    hyphenation dictionary of the book's language, about 0.1 s; cffi's parsed C types, about 0.1 s)."""
    if _session and "weasyprint" in sys.modules:
        first = bool(sample) and _session[-1] not in _warmed
        if first:
            _warmed.add(_session[-1])
        warm(setup, *extra_css, sample=sample if first else "")


def warm(setup: LayoutSetup, *extra_css: str, sample: str = "") -> None:
    """The theme parsed here, with each of `extra_css`, and `sample` laid out and written (if given): what
    the layout workers forked from this process then find done (warm_theme; workers.Zygote)."""
    for extra in ("", *extra_css):
        parsed_theme(setup, extra)
    if sample:
        records: list = []
        try:
            write_document(layout(sample, setup, records), "warm", records)
        except Exception:  # noqa: BLE001 - only a head start: the chapter's own layout reports what is wrong
            pass


def layout(html: str, setup: LayoutSetup, records: list, extra_css: str = ""):
    """A laid-out WeasyPrint document."""
    fonts, fetcher, sheets, warnings, profiles = parsed_theme(setup, extra_css)  # imports WeasyPrint first
    from weasyprint import HTML

    records.extend(warnings)
    with captured_weasyprint_logs(records):
        return HTML(string=html, base_url=setup.base_url, url_fetcher=fetcher).render(
            stylesheets=sheets, font_config=fonts, color_profiles=profiles)


def stylesheet_problems(rendered: RenderedBook) -> list[Problem]:
    """What WeasyPrint would say of the print stylesheets, without laying anything out."""
    W.import_weasyprint()
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    try:
        setup = layout_setup(rendered)
    except BookmakerError as exc:  # a file print.css names cannot be used
        return exc.problems
    records: list = []
    fonts, fetcher = FontConfiguration(), make_fetcher(setup.files)
    with captured_weasyprint_logs(records):
        for text in setup.stylesheets:
            CSS(string=text, font_config=fonts, url_fetcher=fetcher)
    return log_problems(records, setup.style_path)


def write_document(document, identifier: str, records: list, variant: str | None = None) -> bytes:
    with captured_weasyprint_logs(records):
        return document.write_pdf(pdf_variant=variant, pdf_identifier=pdf_identifier(identifier),
                                  pdf_tags=variant == "pdf/ua-1")


def pdf_identifier(identifier: str) -> bytes:
    """A stable file identifier: the same book gets the same one on every build."""
    return hashlib.sha256(identifier.encode()).hexdigest()[:32].encode()


NOTDEF = re.compile(r"^\.notdef glyph rendered for Unicode string unsupported by fonts: \"(.*?)\"", re.S)


def log_problems(records: list[logging.LogRecord], style_path: str) -> list[Problem]:
    """WeasyPrint's log records as warnings on the theme. Its message for each character no face has (a
    box drawn in its place, once a character: the Chinese of Legge's Tao Te Ching made 198 lines) is said
    once, for all of them (coverage.nowhere_message)."""
    slow_fonts = [r for r in records if W.is_slow_fonts(r.getMessage())]
    problems, seen = [], set()
    boxed: list[str] = []
    for record in records:
        if record in slow_fonts:
            continue
        message = record.getMessage()
        notdef = NOTDEF.match(message)
        if notdef:
            boxed += [c for c in notdef.group(1) if c not in boxed]
            continue
        problem = Problem(style_path, W.record_line(message) or 1, f"PDF layout: {message}", "warning",
                          codes.STYLESHEET)
        if problem not in seen:
            seen.add(problem)
            problems.append(problem)
    if boxed:
        from bookmaker.pdf.coverage import nowhere_message

        problems.append(Problem(style_path, 1, f"PDF layout: {nowhere_message(tuple(sorted(boxed)))}", "warning",
                                codes.MISSING_GLYPHS))
    if slow_fonts:
        problems.append(Problem(style_path, 1, "PDF fonts were subset the slow way: install the system library "
                                "libharfbuzz-subset0 for faster builds", "warning", codes.SLOW_FONTS))
    return problems