"""The parallel PDF layout: each chapter laid out as its own document on all cores, then joined.

The pages are those of the single-document layout. Chapters open on right-hand pages, so where a
chapter falls in the book changes nothing on its pages but the page numbers. Each chapter is therefore
laid out in two layers:

- the body: the chapter's own document, with every margin box drawn except those that show the page
  number. It is the same wherever the chapter falls, so it is cached by content alone (chapter, theme,
  settings, bookmaker version), and an edit re-lays out only the chapter edited;
- the numbers: a document of empty pages of the same page types (side, page name, place in the
  chapter), numbered from the chapter's first page, with only the margin boxes that show the page
  number drawn. It costs a few milliseconds a page, and is redone for the chapters after an edit that
  changed a chapter's length in pages.

When the documents are joined, each page of numbers is drawn over its body page as a form XObject,
in the place WeasyPrint laid it out. The front matter is laid out last, with the contents' page
numbers now known. Outline entries and links between chapters are added in the join.

A theme whose page-number boxes also show text taken from the chapter (`string()`, `element()`), or
the total page count, cannot be split like this: such a book is laid out as one document.
"""

from __future__ import annotations

import collections
import concurrent.futures as futures
import functools
import gc
import hashlib
import json
import multiprocessing
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import lxml.html
from lxml import etree

from bookmaker.infra import memo
from bookmaker.infra.cache import cache_root, code_version, read_entry, write_entry
from bookmaker.infra.dates import build_time
from bookmaker.load.css import page_selectors
from bookmaker.pdf import fonttools_internals, pypdf_internals
from bookmaker.pdf import balance
from bookmaker.pdf import layout as L
from bookmaker.pdf import workers as early
from bookmaker.pdf import weasy_internals as W
from bookmaker.pdf.weasy_internals import Layer, OneDocumentNeeded
from bookmaker.errors import Problem
from bookmaker.model import RenderedBook
from bookmaker.pdf.html import document_html, page_divs, typeset_document
from bookmaker.pdf.typesetting import typeset_page
from bookmaker.pdf.pagelimit import PageLimit, chapter_lines, pages_after_edit
from bookmaker.pdf.pagestarts import text_words
from bookmaker.pdf.structure import placed_chapter_selector
from bookmaker.infra.processes import die_with_parent

if TYPE_CHECKING:  # imported where the join begins: pypdf and fontTools once the workers are busy
    from bookmaker.pdf.join import Join


FLOW_KINDS = ("chapter", "endnotes")  # laid out one document each
KEY = re.compile(rb"[0-9a-f]{64}")  # PartCache.key(): a SHA-256 in hex


@dataclass
class Body:
    """A chapter laid out alone, without page numbers."""

    pdf: bytes
    pages: int
    height: float  # page height in CSS pixels, for link coordinates
    types: list = field(default_factory=list)  # each page's type: side, blank, name, index, groups
    anchors: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    links: list[tuple[int, tuple[float, float, float, float], str]] = field(default_factory=list)
    problems: list = field(default_factory=list)
    words: list[list[str]] = field(default_factory=list)  # each page's first words, for the page list
    fill: float = 0.0  # how full its last page is, 0 to 1 (weasy_internals.last_page_fill)
    lines: float | None = None  # its text's lines as pagelimit.chapter_lines counts them, set once laid out

    def meta(self) -> dict:
        return {"pages": self.pages, "height": self.height, "types": self.types, "anchors": self.anchors,
                "links": self.links, "problems": [vars(p) for p in self.problems], "words": self.words,
                "fill": self.fill, "lines": self.lines}

    @classmethod
    def from_meta(cls, pdf: bytes, info: dict) -> Body:
        return cls(pdf, info["pages"], info["height"], [json_tuple(t) for t in info["types"]],
                   {k: tuple(v) for k, v in info["anchors"].items()},
                   [(n, tuple(r), t) for n, r, t in info["links"]], [Problem(**p) for p in info["problems"]],
                   info["words"], info["fill"], info["lines"])


def json_tuple(value):
    return tuple(json_tuple(v) for v in value) if isinstance(value, list) else value


_setup: L.LayoutSetup | None = None


def init_worker(setup: L.LayoutSetup, in_pool: bool = True) -> None:
    global _setup
    _setup = setup
    W.install_hook()
    if in_pool:
        die_with_parent()


def layered(layer: Layer, html: str, records: list):
    W.set_layer(layer)
    try:
        document = L.layout(html, _setup, records)
        return document, L.write_document(document, "part", records)
    finally:
        W.set_layer(None)


def lay_out_body(index: int, html: str, typeset: tuple | None = None) -> tuple[int, Body]:
    """In a worker: one chapter's pages, everything on them but the page numbers; its document typeset
    for print first where `typeset` is (the page's kind, the book's PdfSettings): html.typeset_document."""
    if typeset is not None:
        html = typeset_document(html, *typeset)

    def lay_out(text: str):
        layer, records = Layer(numbers=False), []
        W.set_layer(layer)
        try:
            return L.layout(text, _setup, records), layer, records
        finally:
            W.set_layer(None)

    (document, layer, records), _tweaks = balance.balanced(html, lay_out, _setup.grid_line)
    carried = W.carried_counter(document)
    if carried:
        raise OneDocumentNeeded(f"the theme counts '{carried}' on from chapter to chapter")
    data = L.write_document(document, "part", records)
    anchors, links = {}, []
    for number, page in enumerate(document.pages):
        for name, (x, y, *_rest) in page.anchors.items():
            anchors.setdefault(name, (number, x, y))
    for number, page in enumerate(document.pages):
        for link_type, target, rect, _box in page.links:
            if link_type == "internal" and target not in anchors:
                links.append((number, tuple(rect), target))
    dangling = {target for _, _, target in links}
    records = [r for r in records if not W.is_missing_anchor(r.getMessage(), dangling)]
    height = document.pages[0].height if document.pages else 0
    return index, Body(data, len(document.pages), height, layer.types, anchors, links,
                       L.log_problems(records, _setup.style_path), laid_out_words(document),
                       W.last_page_fill(document))


# A chapter's layout leaves 4 to 5 MB behind in its worker, a page number's almost nothing: the worker that
# laid a chapter out is replaced by a fresh fork (workers.Zygote.submit).
lay_out_body.retires = True


def laid_out_words(document) -> list[list[str]]:
    """Each laid-out page's first words as page_starts compares them, read from the layout: the page
    list never reads them back from the PDF."""
    return [text_words(W.page_text(page)) for page in document.pages]


def skeleton_html(rendered: RenderedBook, div, types: list) -> str:
    """Empty pages of the given types: the chapter's own wrapper, one empty block a page."""
    return document_html(rendered, [empty_pages(div, types)], minimal=True)


def empty_pages(div, types: list) -> lxml.html.HtmlElement:
    """The chapter's wrapper (`div`'s class) holding one empty block for each page of `types` but the
    blank ones, each after a break to the page's side or name."""
    wrapper = lxml.html.Element("div", {"class": div.get("class") or ""})
    previous_blank = False
    for number, (side, blank, name, _index, _groups) in enumerate(types):
        if blank:
            previous_blank = True
            continue
        style = []
        if number:
            style.append(f"break-before: {side if previous_blank else 'page'}")
        if name != types[0][2]:
            style.append(f"page: {name or 'auto'}")
        block = etree.SubElement(wrapper, "div")
        if style:
            block.set("style", "; ".join(style))
        previous_blank = False
    return wrapper


def lay_out_numbers(index: int, html: str, start: int, types: list) -> tuple[int, bytes]:
    """In a worker: a chapter's page numbers, on empty pages of the same types as its body's."""
    layer = Layer(numbers=True, shift=start - 1)
    _document, data = layered(layer, html, [])
    numbers = types[:len(types) - trailing_blanks(types)]
    if layer.types != numbers:
        raise OneDocumentNeeded("the numbering pages do not match the chapter's pages")
    if numbered(layer.counter, start - 1) != list(range(start, start + len(numbers))):
        raise OneDocumentNeeded("the theme numbers a chapter's pages otherwise than on from the pages before it")
    return index, data


def trailing_blanks(types: list) -> int:
    """How many of a chapter's last pages are blank to WeasyPrint: footnotes carried on past the end of
    its text, alone on a page of their own, make a page that WeasyPrint calls blank (its layout/page.py:
    footnotes reported once the flow has ended), and the numbers' empty pages (empty_pages) end before
    it. The theme draws nothing on a blank page (parts.Painted), so it has no number to be drawn: the
    join draws the numbers on the pages before it (join.stamp_numbers)."""
    count = 0
    while count < len(types) and types[len(types) - 1 - count][1]:
        count += 1
    return count


def numbered(counter: list, before: int) -> list[int]:
    """The numbers the pages come to in the whole book, the page counter at `before` when the chapter
    begins, each page's own changes to it applied (Layer.counter): laid out alone, a chapter numbers its
    pages from where it falls only where they are the same as counting on, one a page (a theme that
    numbers each chapter from 1 does not)."""
    numbers = []
    for given, increment in counter:
        before = (given if given is not None else before) + increment
        numbers.append(before)
    return numbers


# A page selector that counts the pages of the whole document: each chapter laid out alone is a document
# of its own, whose first page `:first` and `:nth(1)` would select. `:nth(An+B of NAME)` counts the pages
# of an element's page group, a chapter's own, the same laid out alone.
PLACED_PAGE = re.compile(r":first\b|:nth\((?![^)]*\bof\b)[^)]*\)", re.I)


def placed_page_selector(setup: L.LayoutSetup) -> str | None:
    """The first @page selector in the stylesheets that selects pages by their place in the book."""
    for sheet in setup.stylesheets:
        for selector in page_selectors(sheet):
            if PLACED_PAGE.search(selector):
                return f"@page {selector}"
    return None


def paint_probe_html(rendered: RenderedBook, flow) -> str:
    """Two chapters of empty blocks, as the numbers' layer lays them out (skeleton_html): the first of
    three pages, so that a blank page comes before the second, which opens on a right-hand page as
    every chapter does. Whatever the theme draws on these but page-number boxes, the split layout cannot
    (weasy_internals.paints_where_layers_cannot)."""
    page = ("right", False, "", 0, ())  # one page type throughout: a break to the next page each
    return document_html(rendered, [empty_pages(flow[0][1], [page] * 3), empty_pages(flow[-1][1], [page] * 2)],
                         minimal=True)


@dataclass
class Painted:
    """What the theme draws that the split layout cannot, or "": paints_where_layers_cannot()."""

    reason: str


def lay_out_paint_probe(html: str) -> tuple[int, Painted]:
    """In a worker: the paint probe (paint_probe_html) laid out, and what it draws."""
    document = L.layout(html, _setup, [])
    return -2, Painted(W.paints_where_layers_cannot(document) or "")


# The theme's target-counter() as a number known once the chapters are laid out; leaders as the theme
# draws them (right to left, WeasyPrint draws leaders off the page: the number follows the title).
TOC_NUMBERS = ('nav.toc a[data-page]::after { content: leader(" .") "\\2009" attr(data-page); }\n'
               '[dir=rtl] nav.toc a[data-page]::after { content: "\\2003" attr(data-page); }')


@dataclass
class Front:
    """The front matter laid out, with its links for the join."""

    pdf: bytes
    height: float
    links: list[tuple[int, tuple[float, float, float, float], str]]
    problems: list
    pages: int = 0
    words: list[list[str]] = field(default_factory=list)  # each page's first words, for the page list


def lay_out_front(html: str, identifier: str) -> tuple[int, Front]:
    """In a worker: the front matter, its contents numbered from where the chapters were laid out."""
    records: list = []
    document = L.layout(html, _setup, records, TOC_NUMBERS)
    data = L.write_document(document, identifier, records)
    links = [(n, tuple(rect), target) for n, page in enumerate(document.pages)
             for kind, target, rect, _ in page.links if kind == "internal"]
    records = [r for r in records if not W.is_missing_anchor(r.getMessage())]
    return -1, Front(data, document.pages[0].height, links, L.log_problems(records, _setup.style_path),
                     len(document.pages), laid_out_words(document))


# --- the cache ------------------------------------------------------------------------------------

class PartCache:
    """Content-addressed: see key()."""

    def __init__(self, enabled: bool, setup: L.LayoutSetup | None = None):
        self.root = cache_root() / "pdf-parts" if enabled else None
        self.files = dict(setup.files) if setup else {}
        self.digests: dict[str, str] = {}

    def file_digest(self, url: str) -> str:
        if url not in self.digests:
            try:
                source = self.files[url]
                data = source if isinstance(source, bytes) else source.read_bytes()
                self.digests[url] = hashlib.sha256(data).hexdigest()
            except OSError:
                self.digests[url] = "unreadable"
        return self.digests[url]

    def key(self, html: str, setup: L.LayoutSetup, *more: str) -> str:
        """The document, the stylesheets, bookmaker's code, and the bytes of every file (image, font)
        they use: a picture changed under the same name is laid out again."""
        digest = hashlib.sha256(code_version().encode())
        # The stylesheet's path too: the warnings stored with a part name it.
        for text in (html, *setup.stylesheets, setup.style_path, setup.pictures or "", str(setup.grid_line), *more):
            digest.update(b"\0" + text.encode())
        for url in sorted(self.files):
            if url in html or any(url in sheet for sheet in setup.stylesheets):
                digest.update(b"\0" + url.encode() + b"\0" + self.file_digest(url).encode())
        return digest.hexdigest()

    def body(self, key: str, pdf: bool = True) -> Body | None:
        """A chapter's body; with `pdf=False`, its pages and anchors alone (its PDF not read)."""
        meta, data = self._read(f"{key}.json"), self._read(f"{key}.pdf") if pdf else b""
        if meta is None or data is None:
            return None
        try:
            return Body.from_meta(data, json.loads(meta))
        except (ValueError, KeyError, TypeError):
            return None  # written by an older bookmaker: lay the chapter out again

    def store_body(self, key: str, body: Body) -> None:
        self._write(f"{key}.pdf", body.pdf)
        self._write(f"{key}.json", json.dumps(body.meta()).encode())

    def front(self, key: str) -> Front | None:
        meta, data = self._read(f"{key}.json"), self._read(f"{key}.pdf")
        if meta is None or data is None:
            return None
        try:
            info = json.loads(meta)
            return Front(data, info["height"], [(n, tuple(r), t) for n, r, t in info["links"]],
                         [Problem(**p) for p in info["problems"]], info["pages"], info["words"])
        except (ValueError, KeyError, TypeError):
            return None

    def store_front(self, key: str, front: Front) -> None:
        self._write(f"{key}.pdf", front.pdf)
        self._write(f"{key}.json", json.dumps({"height": front.height, "links": front.links, "pages": front.pages,
                                               "problems": [vars(p) for p in front.problems],
                                               "words": front.words}).encode())

    def last_body(self, slot: str) -> Body | None:
        """The body last laid out in this place of this book (slot()), whatever its text was then: its
        pages and anchors, without its PDF (never read, for a guess). What the entry holds is used as a
        file name: anything but a key (a digest in hex) is no entry. A garbled one made every PDF build
        after an edit end in a UnicodeDecodeError, and `../..` would have led out of the cache."""
        key = self._read(f"last-{slot}")
        return self.body(key.decode("ascii"), pdf=False) if key is not None and KEY.fullmatch(key) else None

    def remember_last(self, slot: str, key: str) -> None:
        self._write(f"last-{slot}", key.encode())

    def numbers(self, key: str) -> bytes | None:
        return self._read(f"{key}.pdf")

    def store_numbers(self, key: str, data: bytes) -> None:
        self._write(f"{key}.pdf", data)

    def painted(self, key: str) -> Painted | None:
        data = self._read(f"{key}.paints")
        return Painted(data.decode("utf-8", "replace")) if data is not None else None

    def store_painted(self, key: str, painted: Painted) -> None:
        self._write(f"{key}.paints", painted.reason.encode())

    def one_document(self, key: str) -> str | None:
        """Why the part under `key` needed the book laid out as one document, if it did."""
        data = self._read(f"{key}.one")
        return data.decode("utf-8", "replace") if data is not None else None

    def store_one_document(self, key: str, why: str) -> None:
        self._write(f"{key}.one", why.encode())

    def _read(self, name: str) -> bytes | None:
        if self.root is None:
            return None
        path = self.root / name[:2] / name
        if name.startswith("last-"):  # where a slot's last body is: changes from build to build
            return read_or_none(path)
        # Named by a digest of what they hold: in `watch`, one read by this build or the last is not
        # read again (infra/memo.py).
        return memo.kept(("pdf part", path), lambda: read_or_none(path))

    def _write(self, name: str, data: bytes) -> None:
        if self.root is None:
            return
        write_entry(self.root / name[:2] / name, data)


def read_or_none(path: Path) -> bytes | None:
    try:
        return read_entry(path)
    except OSError:
        return None


# --- the whole book -------------------------------------------------------------------------------

class InProcess:
    """The executor interface, run in this process: for one core, or a single chapter."""

    def __init__(self, setup: L.LayoutSetup):
        init_worker(setup, in_pool=False)

    def submit(self, function, *args) -> futures.Future:
        future: futures.Future = futures.Future()
        try:
            future.set_result(function(*args))
        except BaseException as error:  # noqa: BLE001 - handed over exactly as a pool would
            future.set_exception(error)
        return future

    def shutdown(self, cancel_futures: bool = False) -> None:
        pass


class Early:
    """The executor interface, on the zygote this build started early (workers.py), given the setup and
    `sample` to warm up with now; shut down, it is too (workers.stop)."""

    def __init__(self, zygote: early.Zygote, setup: L.LayoutSetup, workers: int, sample: str):
        self.zygote = zygote
        zygote.start(zygote_context(setup), workers, (TOC_NUMBERS,), sample)

    def submit(self, function, *args) -> futures.Future:
        return self.zygote.submit(function, *args)

    def shutdown(self, cancel_futures: bool = False) -> None:
        early.stop()


def zygote_context(setup: L.LayoutSetup) -> tuple:
    """What the zygote lays out with (workers.build_context): `setup`, each job prepared as in this process."""
    return early.build_context(setup, functools.partial(init_worker, in_pool=False))


def executor(setup: L.LayoutSetup, workers: int, jobs: int, sample: str = ""):
    """Where the layout's jobs run, `workers` at a time: the zygote this build started early, if it did
    (given `sample`, a document of the book's, to warm up with); this process for one; else workers
    forked now."""
    started = early.running()
    if started is not None:
        return Early(started, setup, min(workers, jobs), sample)  # one chapter too: WeasyPrint is there
    if workers <= 1 or jobs <= 1:
        return InProcess(setup)
    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    return futures.ProcessPoolExecutor(min(workers, jobs), mp_context=context, initializer=init_worker,
                                       initargs=(setup,))


def lay_out_flow(rendered: RenderedBook, flow, setup: L.LayoutSetup, workers: int, cache: PartCache,
                 say: Callable[[str], None], front_html: Callable[[list[int], list], str],
                 limit: PageLimit | None = None, front_reads_last: bool = True
                 ) -> tuple[list[Body], list[bytes], list[int], Front, Join | None]:
    """Every chapter's body and page numbers, the front matter, and the join begun with that front matter
    (join.Join), if one was. `flow`: each chapter's page and its div from page_divs, not typeset
    (lay_out_body typesets those it lays out).

    The pages are counted against `limit` as each chapter's become known (a chapter's, with the blank
    page before the next chapter's right-hand opening): past it, the bodies not yet handed out are
    never laid out, those running are waited for, and its error is raised.

    Only as many jobs as workers are handed out at a time, numbers and the front matter before bodies:
    a chapter's numbers are laid out as soon as the lengths of the chapters before it are known, and
    the front matter as soon as all are, instead of all waiting behind every body in the pool's queue.
    Unless `front_reads_last` (the contents list the sections inside the chapters, or a link in the
    front matter leads into the last part's), the front matter needs the lengths of all but the last
    part (where the last begins): the last part is then handed out last, and the front matter is laid
    out beside it, where it waited for it, alone on one core, at the end of a cold build.
    """
    htmls = [document_html(rendered, [div], minimal=True) for _, div in flow]  # not typeset yet: lay_out_body
    keys = [cache.key(html, setup) for html in htmls]  # setup has the measure and type size typesetting reads
    placed = placed_page_selector(setup)
    if placed:
        raise OneDocumentNeeded(f"the theme selects pages by their place in the whole book ({placed})")
    # Whether the theme draws what the split layout cannot (a page background, furniture on blank pages):
    # known from the cache, else laid out first (a few empty pages) while the chapters wait.
    probe = paint_probe_html(rendered, flow) if flow else ""
    probe_key = cache.key(probe, setup, "paints")
    painted = cache.painted(probe_key) if flow else Painted("")
    if painted is not None and painted.reason:
        raise OneDocumentNeeded(f"the theme draws {painted.reason}")
    # A chapter whose layout found the theme needs one document (parts that raise OneDocumentNeeded),
    # known from the last build: said at once, without laying the others out again.
    for key in keys:
        why = cache.one_document(key)
        if why:
            raise OneDocumentNeeded(why)
    pdf_settings = rendered.book.metadata.pdf
    bodies: list[Body | None] = [cache.body(key) for key in keys]
    limit = limit or PageLimit(rendered)
    limit.add(sum(body.pages + body.pages % 2 for body in bodies if body is not None))  # from the cache
    numbers: list[bytes | None] = [None] * len(flow)
    starts: list[int] = []
    number_keys: dict[int, str] = {}
    job_keys: dict[futures.Future, str] = {}  # a chapter's body or numbers being laid out: its key
    missing = sum(body is None for body in bodies)
    slots = [slot(rendered, page) for page, _ in flow]
    # Each chapter as it came out the last time it was laid out here, where one is to be laid out again
    # and every one was laid out before: what the front matter and the numbers after it are guessed from.
    guessed = guessed_bodies(bodies, slots, cache) if missing and workers > 1 else None
    counted: dict[int, float] = {}

    def lines_of(i: int) -> float:
        """A chapter's lines as pagelimit.chapter_lines counts them (Body.lines), counted once."""
        if i not in counted:
            counted[i] = chapter_lines(rendered.book, flow[i][0].kind, flow[i][1])
        return counted[i]

    last = guessed
    if guessed:  # the chapters to lay out at the pages their edits likely bring them to
        guessed = estimated_bodies(rendered, bodies, guessed, lines_of)
    moved = bool(guessed) and any(now.pages != then.pages for now, then in zip(guessed, last))
    guess = guessed_front(guessed, cache, front_html, setup, rendered) if guessed else None
    # One chapter edited: laid out by one process (this one, or the zygote), forking no worker (the numbers
    # after it take milliseconds), unless the front matter is laid out beside it.
    # In watch: parsed once, and inherited by the workers forked below, as is what a first layout loads.
    sample = sample_of(htmls[0]) if htmls else ""
    L.warm_theme(setup, TOC_NUMBERS, sample=sample)
    # The zygote lays the sample out before forking its workers only where they are to lay out more than
    # one chapter: for one, its layout loads the same before the chapter's, and the front matter beside it
    # waits for nothing (an edit's one-shot build about 0.1 s sooner, single runs: 1.68 s, then 1.58 and 1.60).
    pool = executor(setup, workers if missing > 1 or guess or moved else 1, missing + len(flow) + 2,
                    sample if missing > 1 else "")
    waiting_bodies = collections.deque(body_order([len(html) if body is None else None
                                                   for html, body in zip(htmls, bodies)],
                                                  None if front_reads_last else len(flow) - 1))
    ready: collections.deque = collections.deque()  # (function, args) that can run now
    pending: set[futures.Future] = set()
    front: list[Front] = []
    front_key = [""]
    speculative: list[futures.Future] = []
    # The numbers of the chapters from the one edited on, for the pages guessed, that the cache lacks
    # (guessed_numbers): each laid out by a worker left idle beside the chapter, while it is laid out.
    # Each key's job, once handed out; those the chapters' real pages ask for are waited for (awaited).
    foreseen: collections.deque = collections.deque()
    foreseen_jobs: dict[str, futures.Future] = {}
    foreseen_keys: dict[futures.Future, str] = {}  # those handed out and not yet taken (took_foreseen)
    awaited: dict[futures.Future, tuple] = {}  # the chapter's own lay_out_numbers arguments
    # What the join will parse, parsed while the workers lay out (join.read_ahead): the chapters' PDFs
    # and their numbers', each as it is known; and, where the chapters to lay out are guessed to come to
    # the pages they came to last time, the numbers of the chapters from the first of them on, found in
    # the cache for those pages (guessed_numbers).
    # Those laid out by this build only where it lays out one chapter (an edit): in a cold build every part
    # read ahead is held, parsed, until the front matter lets the join begin, beside both workers. The
    # 200,000-word book held 8 MB of parsed objects and grew by 20 MB (proportional) before its join; its
    # peak, with each chapter's worker retired (lay_out_body.retires), went from 170 MB to 151, the time
    # within the noise (12.86 s and 13.07 s, medians of 3; 2026-12-05).
    reading = collections.deque(body.pdf for body in bodies if body is not None)
    read_laid_out = missing <= 1
    # The join's modules (pypdf, fontTools and what they import: 19 MB of this process's memory) are
    # imported where a part is first read ahead, or else once the last chapter is laid out, beside the
    # page numbers and the front matter: not through the layout of the chapters, where the two workers'
    # longest layouts make the build's peak. The 200,000-word book's cold PDF, every process proportional:
    # 147 to 148 MB, then 139 to 141 (three single builds each, 2026-12-05). In a thread, so that this
    # process hands out the next jobs meanwhile: imported in the loop, the 50 ms of the import kept the
    # workers waiting for their next jobs, and the cold build took 0.12 s more (medians of 5).
    importing_join = threading.Thread(target=import_join, name="bookmaker-join-import", daemon=True)

    # The join begun while chapters are still laid out (join.Join): with the front matter once it is
    # known, or guessed; each chapter added as soon as it and its numbers are, in the book's order. After
    # an edit, on the core the front matter beside the chapter edited left; in a cold build, while the
    # last chapters' numbers are laid out.
    early_join: list[Join] = []

    def join_ahead() -> bool:
        """One step of the early join, if one can be taken now."""
        if early_join and front and early_join[0].front is not front[0]:
            early_join.clear()  # begun with a guess the chapters' pages proved wrong: begun again
        if not early_join:
            if front:  # laid out, or found in the cache: the chapters are joined as their numbers come
                begun_with = front[0]
            elif speculative and speculative[0].done() and speculative[0].exception() is None:
                begun_with = speculative[0].result()[1]  # dropped if the chapters' pages prove it wrong
            else:
                return False
            from bookmaker.pdf.join import Join

            early_join.append(Join(begun_with, build_time(rendered.book)))
            return True
        joined = early_join[0]
        i = joined.parts
        if i >= len(flow) or bodies[i] is None or numbers[i] is None:
            return False
        joined.add(flow[i][0], bodies[i], numbers[i])
        return True

    def front_ready(all_starts: list[int]) -> None:
        """Where each part begins is known: the front matter found in the cache, or the one guessed
        beside the chapters taken, or laid out next."""
        html = front_html(all_starts, bodies)
        front_key[0] = cache.key(html, setup, "front", rendered.book.metadata.identifier)
        stored = cache.front(front_key[0])
        if stored is not None:
            limit.add(stored.pages)
            front.append(stored)
        elif speculative and html == guess:
            say("the chapters came to the pages guessed: the front matter laid out beside them is used")
            pending.add(speculative[0])
        else:
            say("laying out the front matter")
            ready.appendleft((lay_out_front, (html, rendered.book.metadata.identifier)))

    def schedule() -> None:
        while len(starts) < len(flow) and bodies[len(starts)] is not None:
            i = len(starts)
            body = bodies[i]
            starts.append(next_start(starts[-1], bodies[i - 1]) if i else 1)
            skeleton = skeleton_html(rendered, flow[i][1], body.types)
            number_keys[i] = cache.key(skeleton, setup, str(starts[i]))
            why = cache.one_document(number_keys[i])
            if why:
                raise OneDocumentNeeded(why)
            numbers[i] = cache.numbers(number_keys[i])  # a foreseen job's, once taken (took_foreseen)
            running = foreseen_jobs.get(number_keys[i])
            args = (i, skeleton, starts[i], body.types)
            if numbers[i] is not None:
                reading.append(numbers[i])
            elif running in foreseen_keys:  # being laid out beside the chapter: waited for
                awaited[running] = args
                pending.add(running)
            else:
                ready.append((lay_out_numbers, args))
            if len(starts) == len(flow) and not front_key[0]:
                front_ready(starts)
        if (not front_reads_last and not front_key[0] and flow and len(starts) == len(flow) - 1
                and bodies[-1] is None):  # every start known: the last part's from the one before it
            front_ready(starts + [next_start(starts[-1], bodies[-2]) if starts else 1])
        while len(pending) < max(1, workers) and (ready or waiting_bodies):
            if ready:
                function, args = ready.popleft()
            else:
                index = waiting_bodies.popleft()
                function, args = lay_out_body, (index, htmls[index], (flow[index][0].kind, pdf_settings))
            future = pool.submit(function, *args)
            if function in (lay_out_body, lay_out_numbers):
                job_keys[future] = (keys if function is lay_out_body else number_keys)[args[0]]
            pending.add(future)
        # A worker idle while a chapter is laid out: the numbers foreseen, one at a time.
        while (foreseen and not ready and not waiting_bodies and any(body is None for body in bodies)
               and len(pending | running_foreseen() | {f for f in speculative if not f.done()}) < max(1, workers)):
            key, args = foreseen.popleft()
            if key not in foreseen_jobs:
                future = pool.submit(lay_out_numbers, *args)
                foreseen_jobs[key], foreseen_keys[future] = future, key

    def running_foreseen() -> set[futures.Future]:
        return {future for future in foreseen_keys if future not in pending}

    def took_foreseen(future: futures.Future) -> None:
        """A foreseen job ended: its numbers kept in the cache (where schedule() finds them), and used
        where a chapter's real pages wait for them; a job that failed is left, and a chapter that waited
        for it has its numbers laid out now. (A cache that cannot be written costs the numbers again.)"""
        key = foreseen_keys.pop(future)
        args = awaited.pop(future, None)
        pending.discard(future)
        try:
            _index, data = future.result()
        except Exception:  # noqa: BLE001 - only a guess: what the real pages ask for is laid out below
            if args is not None:
                ready.append((lay_out_numbers, args))
            return
        cache.store_numbers(key, data)
        reading.append(data)
        if args is not None:
            numbers[args[0]] = data

    if painted is None:
        ready.append((lay_out_paint_probe, (probe,)))
    try:
        schedule()
        if guess:
            say("laying out the front matter beside the chapters, as they were last laid out" if not moved
                else "laying out the front matter beside the chapters, for the pages they likely come to")
            speculative.append(pool.submit(lay_out_front, guess, rendered.book.metadata.identifier))
        if guessed:  # found once the layouts are handed out: they wait for nothing
            found, jobs = guessed_numbers(rendered, flow, bodies, guessed, cache, setup)
            reading.extend(found)
            if moved:
                foreseen.extend(jobs)
                if jobs:
                    say(f"laying out the page numbers of {len(jobs)} section{'' if len(jobs) == 1 else 's'} "
                        "beside it, for the pages it likely comes to")
                schedule()
        laid_out = 0
        while pending:
            if reading:
                from bookmaker.pdf.join import read_ahead  # pypdf and fontTools, once there is a part to read

                read_ahead(reading.popleft())
                done = {future for future in pending | running_foreseen() if future.done()}
            elif join_ahead():
                done = {future for future in pending | running_foreseen() if future.done()}
            else:
                unjoined = {future for future in speculative if not early_join and not future.done()}
                done, _ = futures.wait(pending | unjoined | running_foreseen(), return_when=futures.FIRST_COMPLETED)
                done -= unjoined - pending
            for future in done:
                if future in foreseen_keys:
                    took_foreseen(future)
                    continue
                pending.discard(future)
                try:
                    index, result = future.result()
                except OneDocumentNeeded as why:
                    if future in job_keys:
                        cache.store_one_document(job_keys[future], str(why))
                    raise
                if isinstance(result, Painted):
                    cache.store_painted(probe_key, result)
                    if result.reason:
                        raise OneDocumentNeeded(f"the theme draws {result.reason}")
                    continue
                if not isinstance(result, Front) and read_laid_out:
                    reading.append(result.pdf if isinstance(result, Body) else result)
                if isinstance(result, Body):
                    result.lines = lines_of(index)
                    bodies[index] = result
                    cache.store_body(keys[index], result)
                    cache.remember_last(slots[index], keys[index])
                    limit.add(result.pages + result.pages % 2)
                    laid_out += 1
                    if laid_out == missing and isinstance(pool, futures.ProcessPoolExecutor):
                        import_join()  # a pool forked here may fork a worker yet: no import is left running
                    elif laid_out == missing:
                        importing_join.start()  # the zygote forks the workers, single-threaded
                    # Sections: the chapters and the end notes, each laid out alone.
                    say(f"laid out {laid_out} of {missing} section{'' if missing == 1 else 's'}")
                elif isinstance(result, Front):
                    front.append(result)
                    limit.add(result.pages)
                    cache.store_front(front_key[0], result)
                else:
                    numbers[index] = result
                    cache.store_numbers(number_keys[index], result)
            schedule()
    finally:
        pool.shutdown(cancel_futures=True)
        if importing_join.is_alive():
            importing_join.join()  # no import is left running when the layout ends: a later layout may fork
    joined = early_join[0] if early_join and early_join[0].front is front[0] else None
    return bodies, numbers, starts, front[0], joined


def import_join() -> None:
    """The join's module imported (lay_out_flow's thread); one that cannot be is imported, and fails, where
    the join is made."""
    try:
        import bookmaker.pdf.join  # noqa: F401
    except Exception:  # noqa: BLE001, S110 - said by the import where the join needs it
        pass


def body_order(lengths: list[int | None], final: int | None = None) -> list[int]:
    """The order the chapters to lay out (those with a length: their documents') are handed out in.
    `final`: a part handed out last whatever its length, if it is to be laid out (the book's last,
    where the front matter is laid out beside it: lay_out_flow).

    The longer half first, longest first, so that neither worker waits long, idle, for the other's last
    chapter; then the shorter half in the book's order. A chapter's page numbers wait for the lengths of
    every chapter before it: handed out longest first to the end, the shortest chapters came last, and
    among them early ones, whose numbers, and those of every chapter after them, were then laid out at
    the end of the build (the 200,000-word book's cold build: chapter 8 of 40 handed out last but one,
    the numbers of 32 chapters after every body, 0.9 s). In the book's order, the numbers follow the
    bodies through the shorter half, and those left at the end are the few after the last chapter."""
    todo = sorted((i for i, length in enumerate(lengths) if length is not None), key=lambda i: (-lengths[i], i))
    held = [final] if final in todo else []
    todo = [i for i in todo if i not in held]
    longer = todo[:len(todo) // 2]
    return longer + sorted(todo[len(longer):]) + held


def sample_of(html: str, paragraphs: int = 12) -> str:
    """A chapter's document cut after its first paragraphs (warm_theme's sample): its language, its
    typeface's styles and enough lines to hyphenate. The parser closes what the cut leaves open."""
    at, found = 0, 0
    while found <= paragraphs:
        at = html.find("<p", at + 1)
        if at < 0:
            return html
        found += 1
    return html[:at]


def slot(rendered: RenderedBook, page) -> str:
    """A chapter's place in its book, whatever its text: for PartCache.last_body()."""
    return hashlib.sha256(f"{rendered.book.metadata.identifier}\0{page.id}".encode()).hexdigest()


def next_start(start: int, body: Body) -> int:
    """The first page number of the chapter after one starting at `start`: chapters open on right-hand
    pages."""
    return start + body.pages + body.pages % 2


def starts_of(bodies: list[Body]) -> list[int]:
    """Each chapter's first page number."""
    starts = [1]
    for body in bodies[:-1]:
        starts.append(next_start(starts[-1], body))
    return starts


def guessed_bodies(bodies: list, slots: list[str], cache: PartCache) -> list[Body] | None:
    """Each chapter's body, and for those to lay out the pages (and section anchors) it came to the last
    time it was laid out in its place (PartCache.last_body): an edit seldom moves a page. None where a
    chapter was never laid out here."""
    guessed = [body if body is not None else cache.last_body(s) for body, s in zip(bodies, slots)]
    return None if any(body is None for body in guessed) else guessed


def guessed_front(guessed: list[Body], cache: PartCache, front_html, setup: L.LayoutSetup,
                  rendered: RenderedBook) -> str | None:
    """The front matter's document as it will be if each chapter comes to the pages guessed
    (guessed_bodies); None where that front matter is in the cache already. Laid out beside the
    chapters, it is used only if the chapters' real pages give the same document (lay_out_flow)."""
    html = front_html(starts_of(guessed), guessed)
    if cache.front(cache.key(html, setup, "front", rendered.book.metadata.identifier)) is not None:
        return None
    return html


def estimated_bodies(rendered: RenderedBook, bodies: list, guessed: list[Body],
                     lines_of: Callable[[int], float]) -> list[Body]:
    """guessed_bodies(), each chapter to lay out given the pages it likely comes to after its edit
    (pagelimit.pages_after_edit), where that is not the pages it came to last: an edit that adds a page
    moves every chapter after it, and the front matter and those chapters' numbers guessed from the
    last pages were laid out again after it, one after the other (a scene of 1,500 words added to the
    middle chapter of 25: 0.4 to 0.55 s after its layout). The page types of a chapter grown are
    continued from its last two (extended_types); where they cannot be, the last pages are kept.
    `lines_of(i)`: chapter i's lines now (Body.lines)."""
    grid_lines = L.Grid.of(rendered.book).lines
    estimated = []
    for i, (body, guess) in enumerate(zip(bodies, guessed)):
        if body is None and guess.lines is not None and guess.pages:
            pages = pages_after_edit(guess.pages, guess.fill, guess.lines, lines_of(i), grid_lines)
            types = extended_types(guess.types, pages) if pages != guess.pages else None
            if types is not None:
                guess = replace(guess, pages=pages, types=types,
                                anchors={name: at for name, at in guess.anchors.items() if at[0] < pages})
        estimated.append(guess)
    return estimated


def extended_types(types: list, pages: int) -> list | None:
    """A chapter's page types (Body.types) for `pages` pages: cut short, or continued each page as the
    last was to the one before it (the other side, the next index, each page group's count one on).
    None where the last two do not step so (a blank page, a named one, a single page)."""
    if pages <= len(types):
        return list(types[:pages])
    if len(types) < 2:
        return None
    (side0, blank0, name0, index0, groups0), (side1, blank1, name1, index1, groups1) = types[-2:]
    steps = (not blank0 and not blank1 and name0 == name1 and {side0, side1} == {"left", "right"}
             and index1 == index0 + 1 and len(groups0) == len(groups1)
             and all(a[0] == b[0] and b[1] == a[1] + 1 for a, b in zip(groups0, groups1)))
    if not steps:
        return None
    extended = list(types)
    while len(extended) < pages:
        side, blank, name, index, groups = extended[-1]
        extended.append(("left" if side == "right" else "right", blank, name, index + 1,
                         tuple((group, count + 1) for group, count in groups)))
    return extended


def guessed_numbers(rendered: RenderedBook, flow, bodies: list, guessed: list[Body], cache: PartCache,
                    setup: L.LayoutSetup) -> tuple[list[bytes], list[tuple]]:
    """The page numbers of the chapters from the first to lay out on, as they will be if each chapter
    comes to the pages guessed (guessed_bodies, estimated_bodies): the PDFs in the cache, and the
    lay_out_numbers jobs of the others, each with its cache key. The PDFs are only read ahead
    (join.read_ahead), and the jobs run only on a worker idle beside the chapters: a guess that proves
    wrong costs a parse or a worker's idle time, never a byte (the join takes the numbers the real
    pages ask for)."""
    first = next((i for i, body in enumerate(bodies) if body is None), len(bodies))
    found, jobs = [], []
    for i, start in list(enumerate(starts_of(guessed)))[first:]:
        skeleton = skeleton_html(rendered, flow[i][1], guessed[i].types)
        key = cache.key(skeleton, setup, str(start))
        data = cache.numbers(key)
        if data is not None:
            found.append(data)
        elif not cache.one_document(key):
            jobs.append((key, (i, skeleton, start, guessed[i].types)))
    return found, jobs


def unverified_libraries() -> str | None:
    """The libraries, with their versions, whose internals the parallel layout needs but was not
    verified on (see the *_internals modules); None when all were."""
    unverified = [f"{module.__name__.rsplit('.', 1)[1].removesuffix('_internals')} {module.version()}"
                  for module in (W, pypdf_internals, fonttools_internals) if not module.verified()]
    return ", ".join(unverified) or None


def parallel_pdf(rendered: RenderedBook, workers: int, say: Callable[[str], None],
                 use_cache: bool = True, max_pages: int | None = None,
                 finish: bool = False) -> tuple[bytes, list[Problem]]:
    """Raises OneDocumentNeeded for a theme whose page numbers the split layout cannot draw. With
    `finish`, the PDF is finished for print (printshop.finish) in the join."""
    setup = L.layout_setup(rendered)
    started = early.running()
    if started is not None:  # the theme parsed there while the layout is prepared here
        started.prepare(zygote_context(setup), (TOC_NUMBERS,))
    divs = page_divs(rendered, typeset=False)  # each chapter typeset where it is laid out (lay_out_body)
    front = [(page, div) for page, div in divs if page.kind not in FLOW_KINDS]
    for page, div in front:
        typeset_page(div, page.kind, rendered.book.metadata.pdf)
    flow = [(page, div) for page, div in divs if page.kind in FLOW_KINDS]
    placed = placed_chapter_selector(setup.stylesheets, [div for _, div in divs],
                                     [n for n, (page, _) in enumerate(divs) if page.kind in FLOW_KINDS],
                                     rendered.book.metadata.language, use_cache)
    if placed:
        theme = setup.stylesheets[placed.sheet] == rendered.print_css.text
        raise OneDocumentNeeded(f"the theme picks a chapter's elements by the chapter's place in the book "
                                f"({placed.selector})", placed.line if theme else None)
    ids = [page.id for page, _ in flow]

    # Whether the front matter shows where something inside the last part begins: the contents' sections
    # (contents_depth 2 and 3), or a link of its own to one. Else it needs only where that part begins.
    front_reads_last = bool(ids) and (rendered.book.metadata.pdf.contents_depth > 1 or any(
        (link.get("href") or "").startswith(f"#{ids[-1]}--") for _, div in front for link in div.iter("a")))

    def front_html(starts: list[int], bodies: list) -> str:
        first_pages = dict(zip(ids, starts))
        for start, body in zip(starts, bodies):  # a chapter's sections, for contents_depth 2 and 3
            if body is None:  # the last part, still laid out: the front matter shows nothing inside it
                continue
            first_pages.update((name, start + page) for name, (page, _x, _y) in body.anchors.items()
                               if "--" in name)
        for _, div in front:
            for link in div.iter("a"):
                target = (link.get("href") or "#")[1:]
                if target in first_pages:
                    link.set("data-page", str(first_pages[target]))
                elif "data-page" in link.attrib:  # set by a guess (guessed_front) at a section gone since
                    del link.attrib["data-page"]
        return document_html(rendered, [div for _, div in front], dated=False)  # Join(when=) dates the PDF

    bodies, numbers, starts, laid, joined = lay_out_flow(rendered, flow, setup, workers, PartCache(use_cache, setup),
                                                         say, front_html, PageLimit(rendered, max_pages),
                                                         front_reads_last)
    # What is alive now lives to the build's end (each part's parsed PDF, the bodies, the join begun): frozen,
    # the collections of the join's end and of the EPUB walk only what they make. The full collection that
    # came there found nothing to free and took 50 to 90 ms of the build's last steps (an edit of the
    # 100,000-word book; the 200,000-word book cold). Only for the book's one layout (`finish`): a printer's
    # interior may be laid out again for a wider gutter (writer.settled), and this one's pages, frozen, would
    # outlive it. `watch` unfreezes between builds (settle()); a batch or service build ends with its process.
    if finish:
        gc.freeze()
    problems: list[Problem] = [p for body in bodies for p in body.problems] + laid.problems
    front_links = [link for link in laid.links if link[2] in ids]
    say(f"joining {sum(body.pages for body in bodies)} pages and the front matter")
    from bookmaker.pdf.join import Join

    if joined is not None:  # begun already, with the front matter guessed
        say(f"{joined.parts} section{'' if joined.parts == 1 else 's'} joined while the rest were laid out")
    joined = joined or Join(laid, build_time(rendered.book))
    for i in range(joined.parts, len(flow)):
        joined.add(flow[i][0], bodies[i], numbers[i])
    data, more = joined.finish(front_links, rendered.book if finish else None, use_cache)
    return data, list(dict.fromkeys(problems + more))
