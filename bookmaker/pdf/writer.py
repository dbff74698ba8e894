"""RenderedBook → print PDF, written atomically: one document for everything (PDF/A and PDF/UA need one
structure), or each chapter laid out in parallel and joined (parts.py), the default."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bookmaker import codes
from bookmaker.errors import BookmakerError, Problem
from bookmaker.infra.dates import build_time
from bookmaker.infra.output import atomic_path, check_output
from bookmaker.infra.processes import build_tempdir, default_jobs
from bookmaker.model import Book, RenderedBook
from bookmaker.pdf import layout as L
from bookmaker.pdf import coverage, pagestarts, printers, printshop
from bookmaker.pdf.pagelimit import PageLimit, likely_pages, printed_text
from bookmaker.pdf.workers import one_document, stop
from bookmaker.pdf.html import document_html, page_divs

VARIANTS = ("pdf/a-3b", "pdf/ua-1", "pdf/x-1a")


def balanced_rules(divs, rendered: RenderedBook, setup) -> str:
    """Each chapter balanced alone, as the parallel layout balances it (pdf/balance.py): the changes
    that balance its spreads, as CSS for the whole book laid out as one document."""
    from bookmaker.pdf import balance, parts

    rules = []
    for index, (page, div) in enumerate(divs):
        if page.kind not in parts.FLOW_KINDS:
            continue
        chapter_html = document_html(rendered, [div], minimal=True)  # the div moves again after
        _result, tweaks = balance.balanced(chapter_html, lambda text: (L.layout(text, setup, []),), setup.grid_line)
        if tweaks:
            rules.append(balance.in_one_document(div, index, tweaks))
    return "\n".join(rules)


def single_document_pdf(rendered: RenderedBook, variant: str | None, say: Callable[[str], None],
                        max_pages: int | None = None) -> tuple[bytes, list]:
    setup = L.layout_setup(rendered)
    records: list = []
    divs = page_divs(rendered)
    say("laying out pages")
    rules = balanced_rules(divs, rendered, setup)
    html = document_html(rendered, [div for _, div in divs])
    if rules:
        html = html.replace("</head>", f"<style>\n{rules}\n</style></head>", 1)
    document = L.layout(html, setup, records)
    PageLimit(rendered, max_pages).add(len(document.pages))  # before the costly part: writing them
    say(f"writing {len(document.pages)} pages")
    data = L.write_document(document, rendered.book.metadata.identifier, records, variant)
    chapters = [page.id for page, _ in divs if page.kind == "chapter"]
    first_body = next((i for i, page in enumerate(document.pages) if chapters and chapters[0] in page.anchors), None)
    return printshop.labelled(data, first_body), L.log_problems(records, setup.style_path)


def pdf_bytes(rendered: RenderedBook, variant: str | None = None,
              progress: Callable[[str], None] | None = None, jobs: int | None = None,
              cache: bool = True) -> tuple[bytes, list[Problem]]:
    """The PDF as it goes to print, and any warnings. `jobs=0` lays the book out as one document.

    For a printer (`pdf: {printer}`), the inside margin depends on the final page count (settled())."""
    p = printshop.printer_of(rendered.book)
    if p is None:
        return laid_out_pdf(rendered, variant, progress, jobs, cache, finish=True)
    trim = printshop.trim_problems(rendered.book, p)
    if trim:
        raise BookmakerError(trim)
    variant = variant or p.pdf_variant
    setting, data, problems = settled(rendered, p, lambda s: laid_out_pdf(s, variant, progress, jobs, cache),
                                      progress)
    return finished_for_print(data, problems, setting.book)


def settled(rendered: RenderedBook, p: printers.Printer,
            lay_out: Callable[[RenderedBook], tuple[bytes, list[Problem]]],
            progress: Callable[[str], None] | None = None) -> tuple[RenderedBook, bytes, list[Problem]]:
    """The book laid out with a gutter its own page count allows: first with the gutter for the pages
    its words are likely to fill (pagelimit.likely_pages), then, only while the count it came to asks
    for a wider gutter than it was laid out with, again with that one. The gutter only widens, so this
    ends (within the rows of the printer's table). A count that falls short of the guess keeps the
    guess's gutter: the printers' gutters are minimums, and a second layout would cost as much as the
    first (issue 17)."""
    setting = likely_setting(rendered, p)
    while True:
        data, problems = lay_out(setting)
        final = printers.padded_page_count(p, printshop.page_count(data))
        needed = printshop.for_page_count(rendered, p, final)
        if not wider_gutter(needed, setting):
            return setting, data, problems
        (progress or (lambda message: None))(f"{final} pages: laying out again with {p.label}'s gutter for them")
        setting = needed


def likely_setting(rendered: RenderedBook, p: printers.Printer) -> RenderedBook:
    """The book with the gutter for the pages it is likely to come to (pagelimit.likely_pages): guessed
    with the narrowest gutter, then again with the gutter that guess asks for (a wider gutter, a
    narrower measure, more lines), until the gutter asked for is the one guessed with."""
    text = printed_text(rendered)
    setting = printshop.for_page_count(rendered, p, p.min_pages)
    while True:
        needed = printshop.for_page_count(rendered, p, likely_pages(setting, text))
        if not wider_gutter(needed, setting):
            return setting
        setting = needed


def wider_gutter(needed: RenderedBook, setting: RenderedBook) -> bool:
    """Whether `needed` asks for a wider inside margin than `setting` has."""
    return printshop.inches(needed.book.metadata.pdf.margin_inner) > printshop.inches(
        setting.book.metadata.pdf.margin_inner) + 1e-9


def finished_for_print(data: bytes, problems: list[Problem], book: Book) -> tuple[bytes, list[Problem]]:
    """printshop.finish(), the page list's words (remembered from the layout) carried over to its bytes."""
    finished, more = printshop.finish(data, book)
    pagestarts.remember_padded(data, finished, printshop.page_count(finished))
    return finished, [*problems, *more]


def printed_page_count(rendered: RenderedBook, jobs: int | None = None, cache: bool = True) -> int:
    """The interior's final page count for its printer, as `pdf` makes it: through the layout cache,
    and without PDF/X (which changes the colours, never the pages)."""
    p = printshop.printer_of(rendered.book)
    _, data, _ = settled(rendered, p, lambda s: laid_out_pdf(s, None, None, jobs, cache))
    return printers.padded_page_count(p, printshop.page_count(data))


def laid_out_pdf(rendered: RenderedBook, variant: str | None, progress: Callable[[str], None] | None,
                 jobs: int | None, cache: bool, finish: bool = False) -> tuple[bytes, list[Problem]]:
    """The book laid out; with `finish`, also finished for print (printshop.finish): in the join when
    the chapters are laid out in parallel, which then writes the PDF once instead of three times."""
    say = progress or (lambda message: None)
    limit = PageLimit(rendered)
    limit.check_estimate()  # before any layout

    def finished(data: bytes, problems: list[Problem]) -> tuple[bytes, list[Problem]]:
        return finished_for_print(data, problems, rendered.book) if finish else (data, problems)

    with private_tempdir(), font_dates_from(rendered.book):
        if one_document(variant, jobs):
            return finished(*single_document_pdf(rendered, variant, say, limit.limit))
        # Imported here: the parallel layout's modules (and pypdf, fontTools) only when it runs.
        from bookmaker.pdf import parts

        unverified = parts.unverified_libraries()
        if unverified:
            data, problems = single_document_pdf(rendered, None, say, limit.limit)
            where = rendered.book.display(rendered.book.manuscript / "book.yaml")
            return finished(data, [Problem(where, 1, f"laid out as one document, more slowly: the parallel layout "
                                           f"is not verified on {unverified}", "warning", codes.SLOW_LAYOUT),
                                   *problems])
        try:
            return parts.parallel_pdf(rendered, jobs or default_jobs(), say, cache, limit.limit, finish)
        except parts.OneDocumentNeeded as why:
            say(f"laid out as one document: {why}")
            stop()  # the zygote, idle from here on, if the layout was told before it started it
            data, problems = single_document_pdf(rendered, None, say, limit.limit)
            theme = rendered.book.root / "styles" / "print.css"  # the author's own, where the reason lies
            where, line = ((theme, why.line or 1) if theme.is_file() else (rendered.book.manuscript / "book.yaml", 1))
            return finished(data, [Problem(rendered.book.display(where), line, f"laid out as one document, more "
                                           f"slowly: {why}", "warning", codes.SLOW_LAYOUT), *problems])


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
    worker process leaving through os._exit never is: give the build one folder, removed at the end (or
    the layout session's, removed when it ends: layout.session)."""
    previous = tempfile.tempdir
    kept = L.session_folder()  # watch's, for all its builds
    with contextlib.nullcontext(kept) if kept else build_tempdir() as folder:
        tempfile.tempdir = folder
        try:
            yield folder
        finally:
            tempfile.tempdir = previous
            L.forget_parsed_themes()


def write_pdf(rendered: RenderedBook, out: str | Path, shown: str | None = None, variant: str | None = None,
              progress: Callable[[str], None] | None = None, jobs: int | None = None,
              cache: bool = True, warn: Callable[[Problem], None] | None = None) -> Path:
    """Build the PDF into `out` atomically; returns the path written. Layout warnings go to `warn`
    (default: printed on stderr)."""
    if variant is not None and variant not in VARIANTS:
        raise BookmakerError([Problem(str(out), 1, f"unknown PDF variant '{variant}'", code=codes.BAD_OPTION)])
    out = Path(out)
    shown = shown or str(out)
    check_output(out, shown, rendered.book.sources, rendered.book.root)
    try:
        data, problems = pdf_bytes(rendered, variant, progress, jobs, cache)
    except OSError as exc:  # the temporary folder full, a file size limit...
        raise BookmakerError([Problem(shown, 1, f"cannot make the PDF: {exc.strerror or exc}",
                                      code=codes.CANNOT_WRITE)]) from None
    covered = coverage.uncovered(rendered.book)
    if covered:  # said of each chapter, at its line: not again of each layout, on the theme
        problems = [p for p in problems if p.code != codes.MISSING_GLYPHS]
    problems += resolution_problems(rendered, data)
    for problem in [*problems, *covered]:
        (warn or (lambda p: print(p, file=sys.stderr)))(problem)
    with atomic_path(out, shown) as tmp:
        tmp.write_bytes(data)
    return out


def resolution_problems(rendered: RenderedBook, data: bytes) -> list[Problem]:
    """For a printer's interior, a picture printed under 300 ppi said as a warning, as its preflight
    (`check --printer`) says it, as an error under 200: a helper's 91 ppi picture was written without a
    word by `pdf`, and refused by `check --printer kdp`."""
    if printshop.printer_of(rendered.book) is None:
        return []
    import io

    from pypdf import PdfReader

    from bookmaker.pdf.preflight import pictures_check

    check = pictures_check(PdfReader(io.BytesIO(data)))
    if check.status == "pass":
        return []
    name = rendered.book.metadata.pdf.printer
    refused = f": `check --printer {name}` refuses it" if check.status == "error" else ""
    return [Problem(printshop.where(rendered.book), 1, f"{check.name}: {check.detail}{refused}", "warning", check.code)]


@contextlib.contextmanager
def layout_session():
    """For builds made one after the other in this process (`watch`): one temporary folder for all, and
    the theme parsed once in it (layout.session)."""
    with build_tempdir() as folder, L.session(folder):
        yield
