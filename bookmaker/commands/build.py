"""Building a project's formats: rendered once, written by each writer, every failure named."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bookmaker.errors import BookmakerError, Problem
from bookmaker.infra import memo
from bookmaker.infra.output import ascii_words

if TYPE_CHECKING:  # the types alone: a build that finds nothing changed (uptodate.py) never makes a Book,
    from bookmaker.model import Book, RenderedBook  # and defining them was a tenth of its time (23 ms)

FORMATS = ("epub", "pdf", "kepub", "cover")
EXTENSIONS = {"kepub": "kepub.epub"}


def slug(title: str) -> str:
    """The output's file name: ASCII, no spaces (some readers and stores break on anything else)."""
    return "-".join(ascii_words(title))[:80].strip("-") or "book"  # "Lamplighter's" -> "lamplighters"


def default_output(project: str, book: Book, fmt: str) -> Path:
    # The project load_book found: `project` may be its manuscript/ folder, or a folder inside it.
    dist = Path(book.display_root) / "dist"
    if fmt == "cover":
        return dist / f"{slug(book.metadata.title)}-cover.pdf"
    return dist / f"{slug(book.metadata.title)}.{EXTENSIONS.get(fmt, fmt)}"


@dataclass
class Outcome:
    format: str
    path: Path | None
    seconds: float
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.path is not None


def write_format(rendered: RenderedBook, fmt: str, out: Path, jobs: int | None, cache: bool,
                 progress: Callable[[str], None], variant: str | None = None) -> Outcome:
    start = time.perf_counter()
    warnings: list[Problem] = []
    try:
        # Each writer imported when its format is built: an EPUB build never loads WeasyPrint, and a
        # PDF build never loads ebooklib.
        if fmt in ("epub", "kepub"):
            from bookmaker.epub import write_epub, write_kepub

            progress("writing the EPUB" if fmt == "epub" else "writing the Kobo kepub")
            path = (write_epub if fmt == "epub" else write_kepub)(rendered, out, str(out), cache=cache)
        elif fmt == "cover":
            from bookmaker.commands.cover import write_cover

            path = write_cover(rendered, out, str(out), jobs, cache, progress, warnings.append)
        else:
            from bookmaker.pdf import write_pdf

            path = write_pdf(rendered, out, str(out), variant=variant, progress=progress, jobs=jobs, cache=cache,
                             warn=warnings.append)
    except BookmakerError as exc:
        return Outcome(fmt, None, time.perf_counter() - start, exc.problems, warnings)
    return Outcome(fmt, path, time.perf_counter() - start, warnings=warnings)


def with_page_list(rendered: RenderedBook, pdf_data: bytes | None = None, jobs: int | None = None,
                   cache: bool = True, progress: Callable[[str], None] | None = None) -> RenderedBook:
    """The rendered book with the print edition's page starts, for the EPUB's page list: from the
    PDF just built, or laid out now (through the PDF cache) when `pdf_data` is None."""
    import dataclasses

    from bookmaker.pdf.pagestarts import page_starts
    from bookmaker.pdf.writer import pdf_bytes

    if pdf_data is None:
        (progress or (lambda message: None))("laying out the print edition for the page list")
        pdf_data, _ = pdf_bytes(rendered, progress=progress, jobs=jobs, cache=cache)
    pages = page_starts(rendered, pdf_data, cache)
    # No page found (a book whose first chapter has no text to find): no page list, rather than an
    # empty one, which EPUB's navigation document does not allow (EPUBCheck RSC-005: an <ol> needs an <li>).
    return dataclasses.replace(rendered, print_pages=pages) if pages.starts else rendered


def render(project: str, jobs: int | None, cache: bool, progress: Callable[[str], None],
           book: Book | None = None) -> RenderedBook:
    """The project loaded (unless `book` is, already) and rendered."""
    # Imported here: a build that finds nothing changed (uptodate.py) never loads Markdown or lxml.
    from bookmaker.load import load_book
    from bookmaker.render import render_book

    book = book or load_book(project, keep_going=True)
    count = len(book.chapters)
    progress(f"rendering {count} chapter{'' if count == 1 else 's'}")
    return render_book(book, jobs=jobs, cache=cache)


def build(project: str, formats: tuple[str, ...] | None = None, jobs: int | None = None, cache: bool = True,
          progress: Callable[[str], None] | None = None, printer: str | None = None, out_dir: Path | None = None
          ) -> tuple[RenderedBook, list[Outcome]]:
    """Every format the project asks for (book.yaml `formats`), from one rendering, into dist/ (or
    `out_dir`, under the same names); `printer` over book.yaml's `pdf: {printer}`."""
    from bookmaker.load import load_book
    from bookmaker.pdf.workers import for_build

    say = progress or (lambda message: None)
    memo.next_build()  # in `watch`: what the last build made and this one can use is kept (infra/memo.py)
    book = load_book(project, keep_going=True)
    wanted = formats or book.metadata.formats
    # The layout workers forked before the Markdown is rendered: they import WeasyPrint meanwhile.
    with for_build(book, wanted, jobs, printer=printer):
        return build_loaded(project, book, wanted, jobs, cache, say, printer, out_dir)


def build_loaded(project: str, book: Book, wanted, jobs: int | None, cache: bool, say: Callable[[str], None],
                 printer: str | None, out_dir: Path | None) -> tuple[RenderedBook, list[Outcome]]:
    from bookmaker.commands.cover import with_print_settings

    rendered = with_print_settings(render(project, jobs, cache, say, book), printer)
    outcomes = []
    # The print edition first when it is built too: the EPUB (and kepub) get its page list.
    order = sorted(wanted, key=lambda fmt: fmt != "pdf")
    paged = rendered
    for fmt in order:
        out = default_output(project, rendered.book, fmt)
        if out_dir is not None:
            out = Path(out_dir) / out.name
        outcome = write_format(paged, fmt, out, jobs, cache, say)
        outcomes.append(outcome)
        if fmt == "pdf" and outcome.ok and set(wanted) & {"epub", "kepub"}:
            paged = with_page_list(rendered, outcome.path.read_bytes(), cache=cache)
    outcomes.sort(key=lambda o: list(wanted).index(o.format))
    return rendered, outcomes


def build_if_changed(project: str, formats: tuple[str, ...] | None = None, jobs: int | None = None,
                     cache: bool = True, progress: Callable[[str], None] | None = None,
                     printer: str | None = None) -> tuple[list[Problem], list[Outcome]]:
    """`build`, unless nothing it would read or write changed since the last one (uptodate.py): then
    the outputs are left untouched. Returns the book's warnings and the outcomes."""
    from bookmaker.commands import uptodate

    if not cache:
        rendered, outcomes = build(project, formats, jobs, cache, progress, printer)
        return list(rendered.warnings), outcomes
    last = uptodate.unchanged(project, formats, printer)
    if last is not None:
        warnings, made = last
        (progress or (lambda message: None))("nothing changed since the last build: the outputs are up to date")
        return warnings, [Outcome(fmt, path, 0.0, warnings=more) for fmt, path, more in made]
    before = uptodate.inputs_digest(project, formats, printer, [])
    rendered, outcomes = build(project, formats, jobs, cache, progress, printer)
    used = [rendered.cover, *rendered.assets]
    extra = sorted({str(a.source) for a in used if a is not None and a.data is None and a.source})
    uptodate.record(project, formats, printer, before, extra, rendered.warnings, outcomes)
    return list(rendered.warnings), outcomes
