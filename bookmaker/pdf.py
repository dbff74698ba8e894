"""RenderedBook → print PDF. The only modules that import WeasyPrint are this one and pdfparts.py.

The same pages as the EPUB, turned into HTML for layout. What differs is print's alone: footnotes move
to where they are called (so they float to the foot of that page), ids are made unique across pages,
and links between pages become links inside the document.

Two layouts give the same pages: one document for everything (PDF/A and PDF/UA need one structure),
or each chapter laid out in parallel and joined (pdfparts.py), the default.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import lxml.html
from lxml import etree

from bookmaker import xhtml
from bookmaker.dates import build_time
from bookmaker.errors import BookmakerError, Problem
from bookmaker.languages import right_to_left
from bookmaker.model import Book, Page, RenderedBook
from bookmaker.output import atomic_path, check_output
from bookmaker.theme import print_stylesheet

VARIANTS = ("pdf/a-3b", "pdf/ua-1")
FLOW_KINDS = ("chapter", "endnotes")  # laid out one document each in the parallel layout
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


SCHEME = "bookmaker:"  # the book's files, named the same in every folder and on every machine


def font_files() -> dict[str, Path]:
    import fontpkg_spectral

    files = Path(fontpkg_spectral.ROOT) / "files"
    return {f"{SCHEME}fonts/Spectral-{name}.ttf": files / f"Spectral-{name}.ttf" for name, _, _ in FACES}


def css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def heads_css(book: Book) -> str:
    """Running heads: the author on left-hand pages, the title on right-hand pages.

    Comes before print.css, so the theme's rules for opening and blank pages win, and a project's own
    print.css can change the heads.
    """
    from bookmaker.frontmatter import smart

    author, title = css_string(smart(book.metadata.author_line)), css_string(smart(book.metadata.title))
    return (f"@page chapter:left {{ @top-left {{ content: {author}; }} }}\n"
            f"@page chapter-first:left {{ @top-left {{ content: {author}; }} }}\n"
            f"@page chapter:right {{ @top-right {{ content: {title}; }} }}\n"
            f"@page chapter-first:right {{ @top-right {{ content: {title}; }} }}\n")


def settings_css(book: Book) -> str:
    """What book.yaml decides: trim size, mirrored margins, type size."""
    p = book.metadata.pdf
    return f"""
@page {{ size: {p.width} {p.height}; margin: {p.margin_top} {p.margin_outer} {p.margin_bottom} {p.margin_inner}; }}
@page :left {{ margin-left: {p.margin_outer}; margin-right: {p.margin_inner}; }}
@page :right {{ margin-left: {p.margin_inner}; margin-right: {p.margin_outer}; }}
html {{ font-size: {p.font_size}; }}
"""


@dataclass(frozen=True)
class LayoutSetup:
    """Everything a layout needs, as plain data, so a worker process can rebuild it."""

    stylesheets: tuple[str, ...]
    base_url: str
    files: tuple[tuple[str, Path], ...]  # bookmaker: URL -> file; nothing else can be fetched
    style_path: str


def layout_setup(rendered: RenderedBook) -> LayoutSetup:
    book = rendered.book
    theme, theme_files = print_stylesheet(book, SCHEME)
    files = ({SCHEME + a.href: a.source for a in rendered.assets} | {SCHEME + a.href: a.source for a in theme_files}
             | font_files())
    sheets = (font_faces(), heads_css(book), theme, settings_css(book))
    # Image and font URLs (and so WeasyPrint's names for them) must not depend on where the book is.
    return LayoutSetup(sheets, SCHEME, tuple(sorted(files.items())), book.display(book.root / "styles" / "print.css"))


def page_divs(rendered: RenderedBook) -> list[tuple[Page, object]]:
    """Each page as an HTML <div>, ready to be put in a layout document."""
    assets = {a.href: SCHEME + a.href for a in rendered.assets}
    files = {p.file_name: p.id for p in rendered.pages}
    chapters = [p for p in rendered.pages if p.kind == "chapter"]
    out = []
    for page in rendered.pages:
        wrapper = etree.fromstring(f'<div xmlns="{xhtml.XHTML}" xmlns:epub="{xhtml.OPS}">{page.body}</div>')
        prefix_ids(wrapper, page.id, files)
        move_footnotes(wrapper)
        for img in wrapper.iter(xhtml.q("img")):
            if img.get("src") in assets:
                img.set("src", assets[img.get("src")])
        div = as_html(wrapper)
        first = bool(chapters) and page is chapters[0]
        div.set("class", f"pdf-page pdf-{page.kind}" + (" pdf-first-chapter" if first else ""))
        div.set("data-title", page.title)
        out.append((page, div))
    return out


def document_html(rendered: RenderedBook, divs, minimal: bool = False) -> str:
    """An HTML document of the given page divs, with the book's metadata for the PDF (unless `minimal`:
    a part of the book laid out alone, whose metadata is not kept)."""
    m = rendered.book.metadata
    head = lxml.html.Element("head")
    etree.SubElement(head, "meta", {"charset": "utf-8"})
    body = lxml.html.Element("body")
    for div in divs:
        body.append(div)
    root = lxml.html.Element("html", {"lang": m.language})
    if right_to_left(m.language):
        root.set("dir", "rtl")
    root.append(head)
    root.append(body)
    if not minimal:
        add_metadata(rendered, head)
    return lxml.html.tostring(root, doctype="<!DOCTYPE html>", encoding="unicode")


def add_metadata(rendered: RenderedBook, head) -> None:
    """WeasyPrint takes the PDF's metadata from these elements."""
    m = rendered.book.metadata
    etree.SubElement(head, "title").text = m.title
    etree.SubElement(head, "meta", {"name": "author", "content": m.author_line})
    etree.SubElement(head, "meta", {"name": "generator", "content": "bookmaker"})
    summary = plain_summary(rendered)
    if summary:
        etree.SubElement(head, "meta", {"name": "description", "content": summary})
    if m.subjects:
        etree.SubElement(head, "meta", {"name": "keywords", "content": ", ".join(m.subjects)})
    when = build_time(rendered.book).strftime("%Y-%m-%dT%H:%M:%SZ")
    etree.SubElement(head, "meta", {"name": "dcterms.created", "content": when})
    etree.SubElement(head, "meta", {"name": "dcterms.modified", "content": when})


def as_html(el):
    """The XHTML tree as plain HTML elements: WeasyPrint reads HTML, where <span/> would never close."""
    out = lxml.html.Element(xhtml.local(el))
    for name, value in el.attrib.items():
        if name == f"{{{xhtml.OPS}}}type":
            out.set("data-epub-type", value)
        elif not name.startswith("{"):
            out.set(name, value)
    out.text = el.text
    for child in el:
        if isinstance(child.tag, str):
            converted = as_html(child)
            converted.tail = child.tail
            out.append(converted)
    return out


def plain_summary(rendered: RenderedBook) -> str | None:
    from bookmaker.epub import plain_summary as summary

    return summary(rendered)


def prefix_ids(wrapper, page_id: str, files: dict[str, str]) -> None:
    """Ids unique across the whole document; links between pages become links inside it."""
    for el in wrapper.iter():
        if not isinstance(el.tag, str):
            continue
        if el.get("id") and el.get("id") != page_id:
            el.set("id", f"{page_id}--{el.get('id')}")
        href = el.get("href")
        if href is None or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", href):
            continue
        file, _, fragment = href.partition("#")
        target = files.get(file, page_id) if file else page_id
        if fragment and fragment != target:
            el.set("href", f"#{target}--{fragment}")
        else:
            el.set("href", f"#{target}")


def move_footnotes(wrapper) -> None:
    """Each footnote goes where it is called, as a float the layout puts at the foot of that page.

    A footnote called from inside another footnote cannot float from there (WeasyPrint fails on a
    footnote inside a footnote): it follows its parent's call in the text, and the call inside the
    parent stays as a plain superscript number. A note called twice floats from its first call.
    """
    notes = {a.get("id"): a for a in wrapper.iter(xhtml.q("aside")) if "footnote" in (a.get("class") or "")}
    calls = [r for r in wrapper.iter(xhtml.q("a")) if is_noteref(r)
             and not any(xhtml.local(up) == "aside" for up in r.iterancestors())]
    placed: set[str] = set()
    for ref in calls:
        target = (ref.get("href") or "#")[1:]
        if target not in notes:
            continue
        if target in placed:
            plain_call(ref)
            continue
        placed.add(target)
        note, nested = footnote_span(notes[target])
        holder = call_holder(ref)
        note.tail = holder.tail
        holder.getparent().replace(holder, note)
        last = note
        while nested:
            target = nested.pop(0)
            if target in placed or target not in notes:
                continue
            placed.add(target)
            follower, more = footnote_span(notes[target])
            follower.set("class", "footnote nested")  # its call is in the note above, not the text
            follower.tail, last.tail = last.tail, None
            last.addnext(follower)
            last, nested = follower, nested + more
    for aside in notes.values():
        aside.getparent().remove(aside)


def is_noteref(el) -> bool:
    return "noteref" in (el.get("class") or "").split()


def call_holder(ref):
    return ref.getparent() if xhtml.local(ref.getparent()) == "sup" else ref


def plain_call(ref) -> None:
    """A call that cannot float: the note's number as a superscript, not a link."""
    holder = call_holder(ref)
    sup = etree.Element(xhtml.q("sup"))
    sup.set("class", "footnote-call")
    sup.text, sup.tail = ref.text, holder.tail
    holder.getparent().replace(holder, sup)


def footnote_span(aside):
    """The footnote as one floating span of its paragraphs, and the notes it calls itself, in order."""
    note = etree.Element(xhtml.q("span"))
    note.set("class", "footnote")
    for i, para in enumerate(aside):
        for mark in para.iter(xhtml.q("a")):
            if "footnote-number" in (mark.get("class") or ""):
                xhtml.drop_keeping_tail(mark)
                break
        piece = etree.SubElement(note, xhtml.q("span"))
        piece.set("class", "footnote-para" + ("" if xhtml.local(para) == "p" else f" footnote-{xhtml.local(para)}"))
        piece.text = (para.text or "").lstrip() if i == 0 else para.text
        for child in list(para):
            piece.append(child)
    for el in note.iter():  # a float holds inline content: a quote's or a list's paragraphs run on
        if el is not note and xhtml.local(el) not in xhtml.PHRASING:
            el.set("class", "footnote-para" + ("" if xhtml.local(el) == "p" else f" footnote-{xhtml.local(el)}"))
            el.tag = xhtml.q("span")
    for el in note.iter():  # WeasyPrint keeps source line breaks inside footnotes
        el.text = el.text.replace("\n", " ") if el.text else el.text
        if el is not note:
            el.tail = el.tail.replace("\n", " ") if el.tail else el.tail
    nested = []
    for ref in [r for r in note.iter(xhtml.q("a")) if is_noteref(r)]:
        nested.append((ref.get("href") or "#")[1:])
        plain_call(ref)
    return note, nested


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


def make_fetcher(files: tuple[tuple[str, Path], ...]):
    """Only the files the book is made of: no network, nothing else on the disk."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    from bookmaker.assets import packaged_bytes

    known = dict(files)

    class BookFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            path = known.get(url.split("?")[0])
            if path is None:
                raise ValueError(f"not part of the book: {url}")
            return URLFetcherResponse(url, body=packaged_bytes(path))

    return BookFetcher(allowed_protocols=set())


_parsed: dict = {}  # (stylesheets, extra) -> (fonts, fetcher, sheets, records): one process's parsed theme


def parsed_theme(setup: LayoutSetup, extra_css: str):
    """The stylesheets parsed once a process and reused by every document it lays out: parsing them
    (and loading their fonts) again for each chapter was a sixth of a short chapter's layout. Their
    warnings are kept, and given to every document's records."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    # Fonts from @font-face live in the build's temporary folder, removed when the build ends: a parsed
    # theme never outlives its build (a second build in one process, as watch makes, parses it again).
    key = (tempfile.gettempdir(), setup.stylesheets, setup.files, extra_css)
    if key not in _parsed:
        _parsed.clear()  # another book (watch rebuilds): its theme replaces this one
        fonts, fetcher, warnings = FontConfiguration(), make_fetcher(setup.files), []
        with captured_weasyprint_logs(warnings):
            sheets = [CSS(string=text, font_config=fonts, url_fetcher=fetcher)
                      for text in (*setup.stylesheets, extra_css) if text]
        _parsed[key] = (fonts, fetcher, sheets, warnings)
    return _parsed[key]


def layout(html: str, setup: LayoutSetup, records: list, extra_css: str = ""):
    """A laid-out WeasyPrint document."""
    from weasyprint import HTML

    fonts, fetcher, sheets, warnings = parsed_theme(setup, extra_css)
    records.extend(warnings)
    with captured_weasyprint_logs(records):
        return HTML(string=html, base_url=setup.base_url, url_fetcher=fetcher).render(
            stylesheets=sheets, font_config=fonts)


def stylesheet_problems(rendered: RenderedBook) -> list[Problem]:
    """What WeasyPrint would say of the print stylesheets, without laying anything out."""
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


def log_problems(records: list[logging.LogRecord], style_path: str) -> list[Problem]:
    slow_fonts = [r for r in records if "HarfBuzz-Subset" in r.getMessage()]
    problems, seen = [], set()
    for record in records:
        if record in slow_fonts:
            continue
        message = record.getMessage()
        match = re.search(r" at (\d+):(\d+)", message)
        problem = Problem(style_path, int(match.group(1)) if match else 1, f"PDF layout: {message}", "warning")
        if problem not in seen:
            seen.add(problem)
            problems.append(problem)
    if slow_fonts:
        problems.append(Problem(style_path, 1, "PDF fonts were subset the slow way: install the system library "
                                "libharfbuzz-subset0 for faster builds", "warning"))
    return problems


def single_document_pdf(rendered: RenderedBook, variant: str | None, say: Callable[[str], None]
                        ) -> tuple[bytes, list]:
    setup = layout_setup(rendered)
    records: list = []
    html = document_html(rendered, [div for _, div in page_divs(rendered)])
    say("laying out pages")
    document = layout(html, setup, records)
    say(f"writing {len(document.pages)} pages")
    data = write_document(document, rendered.book.metadata.identifier, records, variant)
    return data, log_problems(records, setup.style_path)


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def pdf_bytes(rendered: RenderedBook, variant: str | None = None,
              progress: Callable[[str], None] | None = None, jobs: int | None = None,
              cache: bool = True) -> tuple[bytes, list[Problem]]:
    """The PDF and any layout warnings. `jobs=0` lays the book out as one document."""
    say = progress or (lambda message: None)
    with private_tempdir(), font_dates_from(rendered.book):
        if variant is not None or jobs == 0:
            return single_document_pdf(rendered, variant, say)
        from bookmaker.pdfparts import parallel_pdf

        return parallel_pdf(rendered, jobs or default_jobs(), say, cache)


@contextlib.contextmanager
def font_dates_from(book: Book):
    """Where HarfBuzz cannot subset fonts, fontTools does, and stamps each subset with the clock unless
    SOURCE_DATE_EPOCH is set: set it to the book's date while the PDF is made (workers inherit it)."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(build_time(book).timestamp()))
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


@contextlib.contextmanager
def private_tempdir():
    """WeasyPrint keeps font files in temporary folders it removes when garbage-collected, which a
    worker process leaving through os._exit never is: give the build one folder, removed at the end."""
    from bookmaker.processes import build_tempdir

    previous = tempfile.tempdir
    with build_tempdir() as folder:
        tempfile.tempdir = folder
        try:
            yield folder
        finally:
            tempfile.tempdir = previous
            _parsed.clear()


def write_pdf(book: Book | RenderedBook, out: str | Path, shown: str | None = None, variant: str | None = None,
              progress: Callable[[str], None] | None = None, jobs: int | None = None,
              cache: bool = True, warn: Callable[[Problem], None] | None = None) -> Path:
    """Build the PDF into `out` atomically; returns the path written. Layout warnings go to `warn`
    (default: printed on stderr)."""
    from bookmaker.render import render_book

    if variant is not None and variant not in VARIANTS:
        raise BookmakerError([Problem(str(out), 1, f"unknown PDF variant '{variant}'")])
    out = Path(out)
    shown = shown or str(out)
    source_book = book.book if isinstance(book, RenderedBook) else book
    check_output(out, shown, source_book.sources, source_book.root)
    rendered = book if isinstance(book, RenderedBook) else render_book(book)
    try:
        data, problems = pdf_bytes(rendered, variant, progress, jobs, cache)
    except OSError as exc:  # the temporary folder full, a file size limit...
        raise BookmakerError([Problem(shown, 1, f"cannot make the PDF: {exc.strerror or exc}")]) from None
    for problem in problems:
        (warn or (lambda p: print(p, file=sys.stderr)))(problem)
    with atomic_path(out, shown) as tmp:
        tmp.write_bytes(data)
    return out
