"""Layout workers started early: forked when a build begins, once the book is loaded and before it is
rendered, so that each imports WeasyPrint (half a second) while this process renders the Markdown.

Without them a build forked its layout workers only once the chapters' HTML was ready, and each then
spent its first half second importing WeasyPrint: on an edit of one chapter, a sixth of the build. A
worker forked before the build's temporary folder and clock (writer.private_tempdir,
writer.font_dates_from) exist is given both with each job (in_build), with the layout's setup.

Only a process that has not imported WeasyPrint yet starts them: `watch` imports it once, before its
first build (import_here), and a batch and the service lay out in processes forked from a warm parent.
"""

from __future__ import annotations

import concurrent.futures as futures
import contextlib
import multiprocessing
import os
import sys
import tempfile
from collections.abc import Callable, Iterator

from bookmaker.infra.processes import default_jobs, die_with_parent

_pool: futures.ProcessPoolExecutor | None = None


@contextlib.contextmanager
def started_early(jobs: int | None, chapters: int = 1 << 30) -> Iterator[None]:
    """Layout workers for the build run inside, forked now, one a chapter up to `jobs` (none for one
    job, or where WeasyPrint is imported already: the build lays out in this process); shut down when
    it ends, however it ends. A book of one chapter gets one: its pages, front matter and page numbers
    are laid out one after the other, and a second worker would import WeasyPrint for nothing."""
    global _pool
    jobs = default_jobs() if jobs is None else jobs
    if jobs <= 1 or _pool is not None or "weasyprint" in sys.modules or not hasattr(os, "fork"):
        yield
        return
    pool = futures.ProcessPoolExecutor(max(1, min(jobs, chapters)), mp_context=multiprocessing.get_context("fork"),
                                       initializer=warm_up)
    pool.submit(int)  # forks every worker now: the pool starts them all at its first job
    _pool = pool
    try:
        yield
    finally:
        stop()


def for_build(book, formats, jobs: int | None, variant: str | None = None, printer: str | None = None):
    """started_early() for building `formats` of `book`: workers only where they are needed()."""
    return started_early(jobs if needed(book, formats, jobs, variant, printer) else 1, len(book.chapters))


def needed(book, formats, jobs: int | None, variant: str | None = None, printer: str | None = None) -> bool:
    """Whether building `formats` lays pages out in workers: a cover (its interior's page count) or a
    PDF, unless that PDF is laid out as one document in this process (writer.laid_out_pdf): for `--jobs
    0`, one job, or a PDF variant, asked for or the printer's (IngramSpark's PDF/X-1a). Not for a book
    loaded with errors (load_book's keep_going): the build reports them after rendering and lays nothing
    out (workers forked for it cost a bad book.yaml 0.6 s of CPU importing WeasyPrint)."""
    from bookmaker.pdf import printers

    if any(problem.severity == "error" for problem in book.problems):
        return False

    name = printer or book.metadata.pdf.printer
    variant = variant or (printers.PRINTERS[name].pdf_variant if name in printers.PRINTERS else None)
    parallel = (default_jobs() if jobs is None else jobs) > 1
    return parallel and ("cover" in formats or ("pdf" in formats and not one_document(variant, jobs)))


def one_document(variant: str | None, jobs: int | None) -> bool:
    """Whether the PDF is laid out as one document (writer.laid_out_pdf): PDF/A, PDF/UA and PDF/X need
    one structure, and `--jobs 0` asks for it."""
    return variant is not None or jobs == 0


def stop() -> None:
    """The early workers shut down, if they still run: when the layout that used them ends (parts.Early),
    so that they hold no memory through the join; a later layout in the same build (a printer's wider
    gutter) forks workers of its own."""
    global _pool
    pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def warm_up() -> None:
    die_with_parent()
    import_here()
    import bookmaker.pdf.parts  # noqa: F401  (what the jobs run: imported here, not by the first job)


def import_here() -> None:
    """WeasyPrint imported in this process (and the layout's hook installed)."""
    from bookmaker.pdf import weasy_internals

    weasy_internals.install_hook()


def running() -> futures.ProcessPoolExecutor | None:
    """The early workers, if this build started them."""
    return _pool


def in_build(context: tuple, function: Callable, args: tuple):
    """In an early worker: `function(*args)` with the build's temporary folder and SOURCE_DATE_EPOCH,
    and `context`'s first item given to `prepare` (its second)."""
    setting, prepare, folder, epoch = context
    tempfile.tempdir = folder
    if epoch is None:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    else:
        os.environ["SOURCE_DATE_EPOCH"] = epoch
    prepare(setting)
    return function(*args)


def build_context(setting, prepare: Callable) -> tuple:
    """What in_build() gives an early worker of this process's state: taken when the jobs are handed
    out, inside the build's temporary folder and clock."""
    return setting, prepare, tempfile.gettempdir(), os.environ.get("SOURCE_DATE_EPOCH")
