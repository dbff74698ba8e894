"""bookmaker cover: the paperback's full-wrap cover (back, spine, front, with bleed), sized for the
interior `pdf` makes for the same printer and paper."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from bookmaker import codes
from bookmaker.errors import BookmakerError, Problem
from bookmaker.infra.dates import build_time
from bookmaker.infra.output import atomic_path, check_output
from bookmaker.model import RenderedBook
from bookmaker.render.text import emphasized_paragraphs

DEFAULT_PRINTER = "kdp"


def with_print_settings(rendered: RenderedBook, printer: str | None = None, paper: str | None = None) -> RenderedBook:
    """The book as the command line asks it printed: its options over book.yaml's `pdf:`."""
    settings = rendered.book.metadata.pdf
    settings = dataclasses.replace(settings, printer=printer or settings.printer, paper=paper or settings.paper)
    book = rendered.book
    return dataclasses.replace(rendered, book=dataclasses.replace(
        book, metadata=dataclasses.replace(book.metadata, pdf=settings)))


def cover_spec(rendered: RenderedBook, pages: int):
    from bookmaker.pdf.cover import CoverSpec
    from bookmaker.pdf.printshop import inches

    m = rendered.book.metadata
    series = None
    if m.series:
        series = f"Book {m.series.number:g} of {m.series.name}" if m.series.number is not None else m.series.name
    blurb = emphasized_paragraphs(m.back_cover or m.summary)
    isbn = m.identifier[len("urn:isbn:"):] if m.identifier.startswith("urn:isbn:") else None
    picture = None if (m.auto_cover or m.cover is None) else m.cover.source
    return CoverSpec(title=rendered.display_title or m.title, authors=m.authors, trim_width=inches(m.pdf.width),
                     trim_height=inches(m.pdf.height), pages=pages, printer=m.pdf.printer, paper=m.pdf.paper,
                     subtitle=m.subtitle, series=series, blurb=blurb,
                     isbn=isbn, front_image=picture, language=m.language,
                     created=build_time(rendered.book).strftime("%Y-%m-%dT%H:%M:%SZ"))


def write_cover(rendered: RenderedBook, out: Path, shown: str | None = None, jobs: int | None = None,
                cache: bool = True, progress: Callable[[str], None] | None = None,
                warn: Callable[[Problem], None] | None = None) -> Path:
    """The cover into `out`, atomically. Its spine is as wide as the interior's final page count on its
    paper makes it: the interior is laid out (through the layout cache) to count its pages."""
    from bookmaker.pdf.cover import CoverError, render_cover, warning_code
    from bookmaker.pdf.writer import printed_page_count

    rendered = with_print_settings(rendered, rendered.book.metadata.pdf.printer or DEFAULT_PRINTER)
    book, shown = rendered.book, shown or str(out)
    where = book.display(book.manuscript / "book.yaml")
    check_output(out, shown, book.sources, book.root)
    say = progress or (lambda message: None)
    say("laying out the interior to count its pages")
    pages = printed_page_count(rendered, jobs, cache)
    say(f"drawing the cover for {pages} pages")
    try:
        cover = render_cover(cover_spec(rendered, pages))
    except CoverError as exc:
        raise BookmakerError([Problem(where, 1, str(exc), code=exc.code)]) from None
    for message in cover.warnings:
        (warn or (lambda p: None))(Problem(where, 1, message, "warning", warning_code(message)))
    with atomic_path(out, shown) as tmp:
        tmp.write_bytes(cover.pdf)
    return out
