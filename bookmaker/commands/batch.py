"""`bookmaker batch`: many books from one manifest, each in its own budgeted process, any one failing
alone; a JSON-lines report; shards so many machines can share one manifest without talking.

Re-runs are incremental through bookmaker's content-addressed cache (BOOKMAKER_CACHE_DIR): every
entry is written to a temporary file and renamed into place, so processes and machines sharing the
folder on one filesystem never read half an entry.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import select
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import IO

from bookmaker import codes
from bookmaker.infra.budget import Budget, Child
from bookmaker.errors import BookmakerError, Problem
from bookmaker.commands.manifest import Job, in_shard, read_jobs


def stages():
    """The building stages batch uses: `commands.build`'s, so a batch book is made exactly as `bookmaker
    build` makes it (the EPUB with the print edition's page list when the PDF is built too, book.yaml's
    printer). Called once before the first fork too: each book's process then starts with them loaded,
    shared copy-on-write, instead of importing them again."""
    from bookmaker.commands.build import FORMATS, build

    return build, FORMATS


# The book built once in the batch's own process before the first fork (see warm_up): words of our own,
# with what a real chapter has (a heading, italics, quotes, dashes, a scene break, long words to break).
WARM_UP_BOOK = {
    "book.yaml": "title: Warm-up\nauthor: Nobody\nlanguage: en\ndate: 2026-01-01\nsummary: A short book.\n",
    "01-one.md": "# One\n\n\"Is the lamp lit?\" she asked -- *twice*, then waited... Nobody answered from the "
                 "unremarkable, extraordinarily quiet harbour.\n\n* * *\n\n**Morning** came; the keeper's "
                 "notebook said only *calm*.\n",
}


def warm_up(formats: set[str | None]) -> None:
    """Build a tiny book once, cache off, in a temporary folder, before the first book is forked.

    A build's first book in a process costs about twice what later ones do: WeasyPrint and pypdf are
    imported, fonts found and loaded, hyphenation patterns and templates read. Every book of a batch is
    a fresh fork of this process, so without this each would pay all of it again (measured: a small
    work 2.2 s as a process's first book, 1.2 s after one). Outputs do not change (tests/test_batch.py
    compares them with `bookmaker build`'s), and the warm-up's book writes no cache entry (only what the
    libraries need for any book: compiled templates, WeasyPrint's precompiled C declarations). A warm-up
    that fails costs only the time it would have saved, so its failure is ignored: a real book's
    problems are reported as its own."""
    import tempfile

    wanted = tuple(fmt for fmt in ("epub", "pdf") if formats & {fmt, None})
    if not wanted:
        return
    with tempfile.TemporaryDirectory(prefix="bookmaker-warm-up-") as folder:
        manuscript = Path(folder) / "book" / "manuscript"
        manuscript.mkdir(parents=True)
        for name, text in WARM_UP_BOOK.items():
            (manuscript / name).write_text(text, encoding="utf-8")
        try:
            build_one(manuscript.parent, wanted, Path(folder) / "out", cache=False)
        except Exception:  # noqa: BLE001, S110  (only time is lost; see the docstring)
            pass


def preload(formats: set[str | None]) -> None:
    stages()
    warm_up(formats)


def build_one(project: Path, formats: tuple[str, ...] | None, out_dir: Path | None,
              warnings: list[Problem] | None = None, cache: bool = True) -> list[Path]:
    """Build one book's formats (default: its book.yaml `formats:`) into `out_dir` (default: its
    dist/), as `bookmaker build` does; the paths written. Laid out in this process alone: in a batch
    the books are what runs in parallel. Warnings go to `warnings`. Every format is tried; if any
    failed, one BookmakerError names every problem."""
    build, known = stages()
    unknown = [fmt for fmt in formats or () if fmt not in known]
    if unknown:
        raise BookmakerError([Problem(str(project), 1, f"batch cannot make '{fmt}' (it makes {', '.join(known)})",
                                      code=codes.BAD_SETTING) for fmt in unknown])
    rendered, outcomes = build(str(project), formats, 1, cache, None, None, out_dir)
    if warnings is not None:
        warnings.extend(rendered.warnings)
        for outcome in outcomes:
            warnings.extend(outcome.warnings)
    problems = [problem for outcome in outcomes for problem in outcome.problems]
    if problems:
        raise BookmakerError(problems)
    return [outcome.path for outcome in outcomes if outcome.ok]


def build_with_warnings(project: Path, formats: tuple[str, ...] | None,
                        out_dir: Path | None) -> tuple[list[Path], list[Problem]]:
    warnings: list[Problem] = []
    return build_one(project, formats, out_dir, warnings), warnings


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def job_report(job: Job, status: str, outputs: list[Path], problems, seconds: float, peak: int) -> dict:
    return {"project": job.name, "status": status,
            "outputs": [{"path": str(p), "sha256": sha256_of(p), "bytes": p.stat().st_size} for p in outputs],
            "problems": [str(p) for p in problems], "seconds": round(seconds, 3), "peak_memory": peak}


def run_batch(manifest_path: str | Path, jobs: int = 1, shard: tuple[int, int] | None = None,
              report_path: str | Path | None = None, budget: Budget | None = None,
              failed: Callable[[list], None] | None = None) -> int:
    """Build every book of the manifest (those of `shard` I/N only, if given), `jobs` at a time, each in a
    process of its own under its budget. Writes a JSON line per book, then a summary line, to
    `report_path` (default stdout). A failed book's problems are given to `failed` too, as it ends: with
    --report, a CI log showed nothing of the books that failed the batch. Returns the exit code: 0 when
    every book built, 1 otherwise. A manifest that cannot be read or breaks the schema, or a report that
    cannot be written, raises BookmakerError before anything is built."""
    manifest = Path(manifest_path)
    todo = deque(job for job in read_jobs(manifest, budget or Budget()) if in_shard(job.name, shard))
    total = len(todo)
    report: IO[str]
    try:
        report = sys.stdout if report_path is None else open(report_path, "w", encoding="utf-8")  # noqa: SIM115
    except OSError as exc:  # a folder that does not exist, a folder given as the file: was a traceback
        raise BookmakerError([Problem(str(report_path), 1, f"cannot write the report: {exc.strerror or exc}",
                                      code=codes.BAD_OUTPUT)]) from None
    preload({fmt for job in todo for fmt in (job.formats or (None,))})
    # What the parent holds now (the libraries above) is shared with every forked book, copy-on-write:
    # frozen, the collector in each book never walks it, so never writes to those pages and copies them.
    gc.freeze()
    start = time.monotonic()
    counts = {"built": 0, "failed": 0}
    peak_memory = 0
    running: dict[Child, Job] = {}

    def record(line: dict, problems: list) -> None:
        nonlocal peak_memory
        if line["status"] == "failed" and failed is not None:
            failed(problems or [Problem(line["project"], 1, "the book was not built", code=codes.BUILD_CRASHED)])
        counts[line["status"]] += 1
        peak_memory = max(peak_memory, line["peak_memory"])
        report.write(json.dumps(line, ensure_ascii=False) + "\n")
        report.flush()

    try:
        while todo or running:
            while todo and len(running) < max(1, jobs):
                job = todo.popleft()
                if job.problems:
                    record(job_report(job, "failed", [], job.problems, 0.0, 0), job.problems)
                    continue
                running[Child(job.budget, build_with_warnings, (job.project, job.formats, job.out_dir))] = job
            if not running:
                continue
            deadlines = [c.deadline for c in running if c.deadline is not None]
            wait = 0.05 if not deadlines else max(0.0, min(0.05, min(deadlines) - time.monotonic()))
            select.select(list(running), [], [], wait)
            for child in [c for c in running if (c.pump() or c.done)]:
                job = running.pop(child)
                if child.error is not None:  # a bug in bookmaker: reported as this book's failure
                    problems = [Problem(job.name, 1, f"internal error: {child.error}", code=codes.BUILD_CRASHED)]
                    record(job_report(job, "failed", [], problems, time.monotonic() - child.started, 0), problems)
                    continue
                measured = child.measured
                outputs, warnings = measured.result if measured.ok else ([], [])
                record(job_report(job, "built" if measured.ok else "failed", outputs, measured.problems or warnings,
                                  measured.seconds, measured.peak_memory), measured.problems)
        summary = {"summary": True, "books": total, **counts, "seconds": round(time.monotonic() - start, 3),
                   "peak_memory": peak_memory, "jobs": jobs, "shard": None if shard is None else "%d/%d" % shard}
        report.write(json.dumps(summary) + "\n")
    finally:
        for child in running:  # interrupted: no build outlives the batch
            child.kill()
            os.waitpid(child.pid, 0)
        if report is not sys.stdout:
            report.close()
    return 0 if counts["failed"] == 0 else 1
