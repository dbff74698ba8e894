"""RenderedBook → print PDF. The only module that imports WeasyPrint.

The same pages as the EPUB, joined into one HTML document for layout. What differs is print's alone:
footnotes move to where they are called (so they float to the foot of that page), ids are made unique
across pages, and links between pages become links inside the document.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import sys
from collections.abc import Callable
from pathlib import Path

import lxml.html
from lxml import etree

from bookmaker import xhtml
from bookmaker.dates import build_time
from bookmaker.errors import BookmakerError, Problem
from bookmaker.model import Book, RenderedBook
from bookmaker.output import atomic_path, check_output
from bookmaker.theme import stylesheet

VARIANTS = ("pdf/a-3b", "pdf/ua-1")
XHTML_NS = {"h": xhtml.XHTML}
FRONT_KINDS = {"titlepage", "copyright", "dedication", "summary", "toc", "cover"}


def font_faces() -> str:
    """The bundled typeface, embedded from the installed package (never whatever the machine has)."""
    import fontpkg_literata

    files = Path(fontpkg_literata.ROOT) / "files"
    roman = (files / "Literata[opsz,wght].ttf").as_uri()
    italic = (files / "Literata-Italic[opsz,wght].ttf").as_uri()
    faces = []
    for style, url in (("normal", roman), ("italic", italic)):
        for weight in ("normal", "bold"):
            faces.append(f'@font-face {{ font-family: "Literata"; src: url("{url}"); '
                         f"font-style: {style}; font-weight: {weight}; }}")
    return "\n".join(faces)


def settings_css(book: Book) -> str:
    """What book.yaml decides: trim size, mirrored margins, type size."""
    p = book.metadata.pdf
    return f"""
@page {{ size: {p.width} {p.height}; margin: {p.margin_top} {p.margin_outer} {p.margin_bottom} {p.margin_inner}; }}
@page :left {{ margin-left: {p.margin_outer}; margin-right: {p.margin_inner}; }}
@page :right {{ margin-left: {p.margin_inner}; margin-right: {p.margin_outer}; }}
html {{ font-size: {p.font_size}; }}
"""


def document_html(rendered: RenderedBook) -> str:
    """One HTML document holding every page, ready for layout."""
    m = rendered.book.metadata
    assets = {a.href: a.source.as_uri() for a in rendered.assets}
    files = {p.file_name: p.id for p in rendered.pages}
    body = lxml.html.Element("body")
    for page in rendered.pages:
        wrapper = etree.fromstring(f'<div xmlns="{xhtml.XHTML}" xmlns:epub="{xhtml.OPS}">{page.body}</div>')
        prefix_ids(wrapper, page.id, files)
        move_footnotes(wrapper)
        for img in wrapper.iter(xhtml.q("img")):
            if img.get("src") in assets:
                img.set("src", assets[img.get("src")])
        div = as_html(wrapper)
        first = page.kind == "chapter" and page is next(p for p in rendered.pages if p.kind == "chapter")
        div.set("class", f"pdf-page pdf-{page.kind}" + (" pdf-first-chapter" if first else ""))
        div.set("data-title", page.title)
        body.append(div)
    head = lxml.html.Element("head")
    meta = [("charset", "utf-8", None)]
    for tag, attrs, text in [
        ("meta", {"charset": "utf-8"}, None),
        ("title", {}, m.title),
        ("meta", {"name": "author", "content": m.author_line}, None),
        ("meta", {"name": "generator", "content": "bookmaker"}, None),
    ]:
        el = etree.SubElement(head, tag, attrs)
        el.text = text
    del meta
    summary = plain_summary(rendered)
    if summary:
        etree.SubElement(head, "meta", {"name": "description", "content": summary})
    if m.subjects:
        etree.SubElement(head, "meta", {"name": "keywords", "content": ", ".join(m.subjects)})
    when = build_time(rendered.book).strftime("%Y-%m-%dT%H:%M:%SZ")
    etree.SubElement(head, "meta", {"name": "dcterms.created", "content": when})
    etree.SubElement(head, "meta", {"name": "dcterms.modified", "content": when})
    root = lxml.html.Element("html", {"lang": m.language})
    root.append(head)
    root.append(body)
    return lxml.html.tostring(root, doctype="<!DOCTYPE html>", encoding="unicode")


def as_html(el):
    """The XHTML tree as plain HTML elements: WeasyPrint reads HTML, where <span/> would never close."""
    out = lxml.html.Element(xhtml.local(el))
    for name, value in el.attrib.items():
        if name == f"{{{xhtml.OPS}}}type":
            out.set("data-epub-type", value)
        elif name == f"{{{xhtml.XML_NS}}}lang":
            continue
        elif not name.startswith("{"):
            out.set(name, value)
    out.text = el.text
    for child in el:
        if isinstance(child.tag, str):
            converted = as_html(child)
            converted.tail = child.tail
            out.append(converted)
    return out


def escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))


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
    """Each footnote goes where it is called, as a float the layout puts at the foot of that page."""
    notes = {a.get("id"): a for a in wrapper.iter(xhtml.q("aside")) if "footnote" in (a.get("class") or "")}
    for ref in list(wrapper.iter(xhtml.q("a"))):
        if "noteref" not in (ref.get("class") or "").split():
            continue
        aside = notes.get((ref.get("href") or "#")[1:])
        if aside is None:
            continue
        note = etree.Element(xhtml.q("span"))
        note.set("class", "footnote")
        for i, para in enumerate(aside):
            for mark in para.iter(xhtml.q("a")):
                if "footnote-number" in (mark.get("class") or ""):
                    xhtml.drop_keeping_tail(mark)
                    break
            piece = etree.SubElement(note, xhtml.q("span"))
            piece.set("class", "footnote-para")
            piece.text = (para.text or "").lstrip() if i == 0 else para.text
            for child in list(para):
                piece.append(child)
        holder = ref.getparent() if xhtml.local(ref.getparent()) == "sup" else ref
        note.tail = holder.tail
        holder.getparent().replace(holder, note)
    for aside in notes.values():
        aside.getparent().remove(aside)


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


def make_fetcher(allowed: set[str]):
    """Only the files the book is made of: no network, nothing else on the disk."""
    from weasyprint.urls import URLFetcher

    class BookFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.split("?")[0] not in allowed:
                raise ValueError(f"not part of the book: {url}")
            return super().fetch(url, headers)

    return BookFetcher(allowed_protocols={"file"})


def pdf_bytes(rendered: RenderedBook, variant: str | None = None,
              progress: Callable[[str], None] | None = None) -> tuple[bytes, list[Problem]]:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    book = rendered.book
    say = progress or (lambda message: None)
    html = document_html(rendered)
    fonts = FontConfiguration()
    records: list[logging.LogRecord] = []
    allowed = {a.source.as_uri() for a in rendered.assets}
    allowed |= set(re.findall(r'url\("(file:[^"]+)"\)', font_faces()))
    fetcher = make_fetcher(allowed)
    theme_css = stylesheet(book, "print.css")
    with captured_weasyprint_logs(records):
        sheets = [CSS(string=font_faces(), font_config=fonts, url_fetcher=fetcher),
                  CSS(string=theme_css, font_config=fonts, url_fetcher=fetcher),
                  CSS(string=settings_css(book), font_config=fonts, url_fetcher=fetcher)]
        say("laying out pages")
        document = HTML(string=html, base_url=book.root.as_uri() + "/", url_fetcher=fetcher).render(
            stylesheets=sheets, font_config=fonts)
        say(f"writing {len(document.pages)} pages")
        identifier = hashlib.sha256(book.metadata.identifier.encode()).hexdigest()[:32].encode()
        data = document.write_pdf(pdf_variant=variant, pdf_identifier=identifier,
                                  pdf_tags=variant == "pdf/ua-1")
    style_path = book.display(book.root / "styles" / "print.css")
    slow_fonts = [r for r in records if "HarfBuzz-Subset" in r.getMessage()]
    problems = [log_problem(r, style_path) for r in records if r not in slow_fonts]
    if slow_fonts:
        problems.append(Problem(style_path, 1, "PDF fonts were subset the slow way: install the system library "
                                "libharfbuzz-subset0 for faster builds", "warning"))
    return data, problems


def log_problem(record: logging.LogRecord, style_path: str) -> Problem:
    message = record.getMessage()
    match = re.search(r" at (\d+):(\d+)", message)
    line = int(match.group(1)) if match else 1
    return Problem(style_path, line, f"PDF layout: {message}", "warning")


def write_pdf(book: Book | RenderedBook, out: str | Path, shown: str | None = None, variant: str | None = None,
              progress: Callable[[str], None] | None = None) -> Path:
    """Build the PDF into `out` atomically; returns the path written."""
    from bookmaker.render import render_book

    if variant is not None and variant not in VARIANTS:
        raise BookmakerError([Problem(str(out), 1, f"unknown PDF variant '{variant}'")])
    out = Path(out)
    shown = shown or str(out)
    source_book = book.book if isinstance(book, RenderedBook) else book
    check_output(out, shown, source_book.sources)
    rendered = book if isinstance(book, RenderedBook) else render_book(book)
    data, problems = pdf_bytes(rendered, variant, progress)
    for problem in problems:
        print(problem, file=sys.stderr)
    with atomic_path(out, shown) as tmp:
        tmp.write_bytes(data)
    return out
