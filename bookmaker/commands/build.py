"""Building a project's formats: rendered once, written by each writer, every failure named."""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bookmaker.errors import BookmakerError, Problem
from bookmaker.load import load_book
from bookmaker.render import render_book
from bookmaker.model import Book, RenderedBook

FORMATS = ("epub", "pdf")


def slug(title: str) -> str:
    """The output's file name: ASCII, no spaces (some readers and stores break on anything else)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    ascii_title = re.sub(r"['\u2019]", "", ascii_title)  # "Lamplighter's" -> "lamplighters"
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:80] or "book"


def default_output(project: str, book: Book, fmt: str) -> Path:
    # The project load_book found: `project` may be its manuscript/ folder, or a folder inside it.
    return Path(book.display_root) / "dist" / f"{slug(book.metadata.title)}.{fmt}"


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
        if fmt == "epub":
            from bookmaker.epub import write_epub

            progress("writing the EPUB")
            path = write_epub(rendered, out, str(out), cache=cache)
        else:
            from bookmaker.pdf import write_pdf

            path = write_pdf(rendered, out, str(out), variant=variant, progress=progress, jobs=jobs, cache=cache,
                             warn=warnings.append)
    except BookmakerError as exc:
        return Outcome(fmt, None, time.perf_counter() - start, exc.problems, warnings)
    return Outcome(fmt, path, time.perf_counter() - start, warnings=warnings)


def render(project: str, jobs: int | None, cache: bool, progress: Callable[[str], None]) -> RenderedBook:
    book = load_book(project, keep_going=True)
    count = len(book.chapters)
    progress(f"rendering {count} chapter{'' if count == 1 else 's'}")
    return render_book(book, jobs=jobs, cache=cache)


def build(project: str, formats: tuple[str, ...] | None = None, jobs: int | None = None, cache: bool = True,
          progress: Callable[[str], None] | None = None) -> tuple[RenderedBook, list[Outcome]]:
    """Every format the project asks for (book.yaml `formats`), from one rendering, into dist/."""
    say = progress or (lambda message: None)
    rendered = render(project, jobs, cache, say)
    wanted = formats or rendered.book.metadata.formats
    outcomes = []
    for fmt in wanted:
        out = default_output(project, rendered.book, fmt)
        outcomes.append(write_format(rendered, fmt, out, jobs, cache, say))
    return rendered, outcomes
