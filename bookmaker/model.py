"""The book as data: loaded once, never mutated by a writer."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path


def shown_path(root: Path, display_root: str, path: Path) -> str:
    """`path` as the author would type it: under the project folder as they named it."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        return str(path)
    return os.path.normpath(os.path.join(display_root, rel))


@dataclass(frozen=True)
class Series:
    name: str
    number: float | int | None


@dataclass(frozen=True)
class PdfSettings:
    width: str = "6in"
    height: str = "9in"
    font_size: str = "11pt"
    margin_top: str = "0.75in"
    margin_bottom: str = "0.8in"
    margin_inner: str = "0.875in"
    margin_outer: str = "0.625in"
    printer: str | None = None  # kdp, ingramspark, lulu: that printer's interior rules
    paper: str = "white"  # white, cream, color
    bleed: bool = False
    about_page: bool = True  # the summary page ("About This Story") in print
    contents_depth: int = 1  # 1: chapters; 2: and the headings inside them
    running_heads: tuple[str | None, str | None] = (None, None)  # (verso, recto): author, title or chapter
    drop_cap: bool = False
    # fine: spreads balanced, no word broken across a page turn, even word spacing (pdf/balance.py), at
    # several layouts a chapter; fast: one layout. None: fine for a printer's interior, else fast.
    typesetting: str | None = None

    @property
    def fine(self) -> bool:
        return (self.typesetting or ("fine" if self.printer else "fast")) == "fine"


# The smallest cover the stores take, in pixels (width, height): load/project.py refuses a smaller one,
# and an import does not name one (importers/longfile.py).
MIN_COVER_PIXELS = (625, 1000)


@dataclass(frozen=True)
class Asset:
    """A file packaged into the book (image). `href` is its name inside the book."""

    source: Path
    href: str
    media_type: str
    width: int = 0
    height: int = 0
    data: bytes | None = None  # made by bookmaker (the `cover: auto` picture): these bytes, not `source`'s


@dataclass(frozen=True)
class Metadata:
    title: str
    authors: tuple[str, ...]
    language: str = "en"
    translators: tuple[str, ...] = ()
    subtitle: str | None = None
    summary: str | None = None
    notes: str | None = None
    end_notes: str | None = None
    dedication: str | None = None
    tags: tuple[tuple[str | None, tuple[str, ...]], ...] = ()
    series: Series | None = None
    identifier: str = ""
    date: dt.date | None = None
    updated: dt.date | None = None
    complete: bool = True
    source: str | None = None
    publisher: str | None = None
    rights: str | None = None
    cover: Asset | None = None
    chapter_label: bool = True
    pdf: PdfSettings = PdfSettings()
    formats: tuple[str, ...] = ("epub", "pdf")
    auto_cover: bool = False  # `cover: auto`: a typographic cover drawn from title, author and series
    author_sort: tuple[str, ...] = ()  # as written in book.yaml (one per author); empty: derived
    title_sort: str | None = None
    certified_by: str | None = None  # accessibility: who certifies the EPUB's conformance
    back_cover: str | None = None  # Markdown: the print cover's back; None: the summary

    @property
    def subjects(self) -> list[str]:
        return [value for _, values in self.tags for value in values]


@dataclass(frozen=True)
class Chapter:
    number: int
    source: Path  # absolute
    display_path: str  # as error messages show it
    title: str | None
    body: str  # Markdown, front matter and title heading removed
    body_line: int  # line in the file where `body` starts
    summary: str | None = None
    notes: str | None = None
    end_notes: str | None = None
    front_matter_line: int = 1
    title_source: str | None = None  # the level-1 heading the title was taken from, as Markdown


@dataclass(frozen=True)
class Book:
    root: Path  # absolute project folder
    display_root: str  # the project folder as the user named it
    metadata: Metadata
    chapters: tuple[Chapter, ...]
    sources: tuple[Path, ...]  # every file read, for cache keys and reproducible dates
    problems: tuple = ()  # what loading found (see load_book's keep_going), reported when rendering
    # The project's own stylesheets as read and checked with the book: (name, text); None when the
    # Book was made by hand, and the writers read styles/ themselves.
    styles: tuple[tuple[str, str], ...] | None = None

    @property
    def manuscript(self) -> Path:
        return self.root / "manuscript"

    def display(self, path: Path) -> str:
        """The path as the author would type it, from where they ran the command."""
        return shown_path(self.root, self.display_root, path)


@dataclass(frozen=True)
class Page:
    """One XHTML document of the book: front matter, contents, a chapter or the end notes."""

    id: str
    file_name: str
    kind: str  # cover titlepage copyright dedication summary toc chapter endnotes
    title: str  # plain text for navigation
    body: str  # XHTML body content (epub: prefix bound by the writer)
    epub_type: str
    in_toc: bool = True
    # The title in two parts for contents entries, where a label may need its own language:
    # ("Chapter 3", "The Bar"), ("End Notes", None); None, None: the title is all the author's.
    label: str | None = None
    name: str | None = None
    # A chapter's sections under its title: (depth from 1, id, plain text), for the contents and outline.
    sections: tuple[tuple[int, str, str], ...] = ()


@dataclass(frozen=True)
class Stylesheet:
    """A stylesheet as a writer packages or lays it out: its text with every url() rewritten for that
    writer, the files it names, and what makes it unusable (raised by the writer that needs it)."""

    text: str
    files: tuple[Asset, ...] = ()
    problems: tuple = ()


@dataclass(frozen=True)
class RenderedBook:
    """Everything a writer needs, computed once: writers read this and nothing else."""

    book: Book
    pages: tuple[Page, ...]
    assets: tuple[Asset, ...]
    word_count: int
    chapter_words: tuple[int, ...]
    warnings: tuple = ()
    author_line: str = ""  # the authors' names joined in the book's language ("A, B and C"), as typed
    description: str | None = None  # the summary as plain text, footnotes left out
    display_title: str = ""  # title and authors typeset like the text (curly quotes, dashes)
    display_author: str = ""
    epub_css: Stylesheet = Stylesheet("")
    print_css: Stylesheet = Stylesheet("")
    cover: Asset | None = None  # the cover picture: book.yaml's, or drawn for `cover: auto`
    author_sorts: tuple[str, ...] = ()  # each author's sort form (file-as): book.yaml's, else derived
    translator_sorts: tuple[str, ...] = ()  # each translator's, derived as an author's is
    title_sort: str = ""
    # Where each printed page starts, when the print edition was laid out in the same build: plain data
    # from the PDF layout, turned into page-break markers and a page list by the EPUB writer.
    print_pages: "PrintPages | None" = None


@dataclass(frozen=True)
class PageStart:
    """A printed page's first word: page `number` starts at word `word` (counted from 0) of the text
    of the page with id `page_id`, as render/text.py's words count it."""

    number: int
    page_id: str
    word: int


@dataclass(frozen=True)
class PrintPages:
    """The print edition's page starts, in page order, and what names it (its ISBN or identifier)."""

    starts: tuple[PageStart, ...]
    source: str
