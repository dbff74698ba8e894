"""The pages around the chapters, written once as templates that the EPUB and the PDF both use."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources

import jinja2
from lxml import etree
from markupsafe import Markup

from bookmaker.infra import memo
from bookmaker.infra.cache import cache_root
from bookmaker.render import xhtml
from bookmaker.render.labels import labels_for
from bookmaker.render.markdown import count_words
from bookmaker.render.text import plain_text, smart
from bookmaker.load.metadata import default_identifier
from bookmaker.model import Asset, Book, Chapter, Page

# A dedication of more words than this is a letter (Wodehouse's to W. Townend, 400 words): set as prose,
# from the top of its page, not centred a third of the way down like a line or two.
LONG_DEDICATION = 60
PAGE_IDS = ("cover", "titlepage", "copyright", "dedication", "summary", "toc", "landmarks", "endnotes")


@dataclass(frozen=True)
class TocEntry:
    href: str
    kind: str
    label: str | None  # bookmaker's words ("Chapter 3"), set apart for their language
    name: str | None  # the author's
    sections: tuple = ()  # (depth, id, text) of the page's own headings, nested under its entry


class BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja2's, where a file that cannot be read or written costs a compile, never the build: its
    dump_bytecode raised PermissionError into a traceback for a cache made by another user (a Docker
    image's cache warmed as root, builds run as --user 10001 as SECURITY.md advises) or a read-only one."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def template_env() -> jinja2.Environment:
    def load(name: str) -> str:
        return resources.files("bookmaker.templates").joinpath(name).read_text(encoding="utf-8")

    # Compiled templates kept between runs (keyed by each template's text): compiling them was a tenth
    # of rebuilding a long book's EPUB after an edit.
    compiled = None
    try:
        (cache_root() / "templates").mkdir(parents=True, exist_ok=True)
        compiled = BytecodeCache(str(cache_root() / "templates"))
    except OSError:
        pass  # no cache folder to be had: compile each time
    env = jinja2.Environment(loader=jinja2.FunctionLoader(load), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined, bytecode_cache=compiled)
    env.filters["smart"] = smart
    return env


ENV = template_env()


# The templates every book's pages use (the others, for pages a book may not have, compile when used).
ALWAYS_USED = ("chapter.xhtml.j2", "titlepage.xhtml.j2", "summary.xhtml.j2", "nav.xhtml.j2")


def compile_templates() -> None:
    """The templates every book uses compiled now (or read from the cache's bytecode)."""
    for name in ALWAYS_USED:
        ENV.get_template(name)


def markup(el) -> Markup | None:
    return None if el is None else Markup(xhtml.inner_xml(el))


def page_body(template: str, **context) -> str:
    """Render a template and prove it is well-formed XHTML before anything else sees it."""
    text = ENV.get_template(template).render(**context)
    body = etree.fromstring(f'<body xmlns="{xhtml.XHTML}" xmlns:epub="{xhtml.OPS}">{text}</body>')
    return xhtml.inner_xml(body)


def chapter_heading(book: Book, number: int, title_text: str | None) -> tuple[str, str | None]:
    """The chapter's contents entry as (label, title); either may be None, never both."""
    if title_text and not book.metadata.chapter_label:
        return None, title_text
    return labels_for(book.metadata.language).chapter(number), title_text


def chapter_page(book: Book, chapter: Chapter, file_name: str, result) -> Page:
    """A chapter's page from its rendered pieces (a chapters.ChapterResult); in `watch`, as the last
    build made it where nothing it is made from changed (infra/memo.py)."""
    m = book.metadata
    key = ("chapter page", m.chapter_label, m.language, chapter.number, file_name, result.title, result.title_id,
           result.body, result.summary, result.notes, result.end_notes, result.sections)
    return memo.kept(key, lambda: made_chapter_page(book, chapter, file_name, result))


def made_chapter_page(book: Book, chapter: Chapter, file_name: str, result) -> Page:
    label = book.metadata.chapter_label or not result.title
    safe = lambda text: Markup(text) if text else None  # noqa: E731 (already clean XHTML)
    labels = labels_for(book.metadata.language)
    content = page_body("chapter.xhtml.j2", number=chapter.number, label=label, title=safe(result.title),
                        title_id=result.title_id, body=Markup(result.body), summary=safe(result.summary),
                        notes=safe(result.notes), end_notes=safe(result.end_notes), L=labels)
    heading, name = chapter_heading(book, chapter.number, plain_text(result.title))
    title = labels.sep.join(part for part in (heading, name) if part)
    return Page(f"chapter-{chapter.number}", file_name, "chapter", title, content, "chapter", label=heading,
                name=name, sections=result.sections)


def build_pages(book: Book, parts, chapters: list[Page], words: int, author_line: str,
                cover: Asset | None = None) -> list[Page]:
    """Front matter, contents, chapters and end notes, in the contract's order. `cover`: the cover
    picture when it is not book.yaml's own (`cover: auto`)."""
    m = book.metadata
    cover = cover or m.cover
    L = labels_for(m.language)  # noqa: N806 (the templates' name for the labels)
    pages: list[Page] = []
    if cover is not None:
        pages.append(Page("cover", "cover.xhtml", "cover", L.cover,
                          page_body("cover.xhtml.j2", src=cover.href, title=m.title, L=L), "cover", False))
    pages.append(Page("titlepage", "titlepage.xhtml", "titlepage", L.title_page,
                      page_body("titlepage.xhtml.j2", m=m, author_line=author_line, L=L), "titlepage", False))
    # The identifier book.yaml gives, printed where a reader can use it (an ISBN, a DOI, an address): not the
    # default, nor a UUID, which only the EPUB's package needs (a copyright page lists ISBNs, not UUIDs).
    shown_id = (m.identifier != default_identifier(m.title, m.authors)
                and not m.identifier.lower().startswith("urn:uuid:"))
    if m.rights or m.publisher or m.date or shown_id:
        pages.append(Page("copyright", "copyright.xhtml", "copyright", L.copyright_page,
                          page_body("copyright.xhtml.j2", m=m, author_line=author_line, identifier=m.identifier if shown_id else None,
                                    isbn=m.identifier.startswith("urn:isbn:"), L=L), "copyright-page", False))
    if m.dedication:
        parts.start_page(PAGE_IDS)
        pages.append(Page("dedication", "dedication.xhtml", "dedication", L.dedication,
                          page_body("dedication.xhtml.j2", text=markup(parts.fragment(m.dedication, 2)),
                                    long=count_words(m.dedication) > LONG_DEDICATION),
                          "dedication", False))
    parts.start_page(PAGE_IDS)
    summary = parts.fragment(m.summary, 2)
    notes = parts.fragment(m.notes, 2)
    pages.append(Page("summary", "summary.xhtml", "summary", L.about,
                      page_body("summary.xhtml.j2", m=m, author_line=author_line, words=words, chapters=len(chapters),
                                summary=markup(summary), notes=markup(notes), L=L), "preface", False))
    parts.start_page(PAGE_IDS)
    end_notes = parts.fragment(m.end_notes, 1)
    closing = []
    if end_notes is not None:
        closing.append(Page("endnotes", "endnotes.xhtml", "endnotes", L.end_notes,
                            page_body("endnotes.xhtml.j2", text=markup(end_notes), L=L), "afterword",
                            label=L.end_notes))
    parts.finish()
    toc_targets = [*pages, *chapters, *closing]
    # A reader's contents, the same in the nav, the NCX and the printed contents page: the chapters and
    # the end notes. The front matter is reached from the landmarks.
    entries = [TocEntry(p.file_name, p.kind, p.label, p.name if p.label else p.title, nested_sections(p.sections))
               for p in toc_targets if p.in_toc]
    landmarks = [("cover", "cover.xhtml", L.cover)] if cover is not None else []
    landmarks += [("titlepage", "titlepage.xhtml", L.title_page), ("toc", "nav.xhtml", L.contents)]
    if chapters:
        landmarks.append(("bodymatter", chapters[0].file_name, L.start))
    toc = Page("toc", "nav.xhtml", "toc", L.contents,
               page_body("nav.xhtml.j2", entries=entries, landmarks=landmarks, L=L), "toc", False)
    return [*pages, toc, *chapters, *closing]


def nested_sections(sections) -> list[dict]:
    """(depth, id, text) in reading order → a tree of {"id", "text", "children"}, for nested <ol>s."""
    root: list[dict] = []
    stack: list[tuple[int, list]] = [(0, root)]
    for depth, id_, text in sections:
        while stack[-1][0] >= depth:
            stack.pop()
        node = {"id": id_, "text": text, "children": []}
        stack[-1][1].append(node)
        stack.append((depth, node["children"]))
    return root


def year(date: dt.date | None) -> int:
    return (date or dt.date.today()).year
