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
from pathlib import Path
from typing import IO

from bookmaker import codes
from bookmaker.infra.budget import Budget, Child
from bookmaker.errors import BookmakerError, Problem
from bookmaker.commands.manifest import Job, in_shard, read_jobs


def stages():
    """The building stages batch uses: `commands.build`'s, so a batch book is named and written exactly
    as `bookmaker build` writes it. Called once before the first fork too: each book's process then
    starts with them (and WeasyPrint) loaded, shared copy-on-write, instead of importing them again."""
    from bookmaker.commands.build import FORMATS, default_output, render, write_format

    return render, write_format, default_output, FORMATS


def preload(formats: set[str | None]) -> None:
    stages()
    if formats & {"pdf", None}:
        from bookmaker.pdf import write_pdf  # noqa: F401  (imports WeasyPrint: a second of every build)


def build_one(project: Path, formats: tuple[str, ...] | None, out_dir: Path | None,
              warnings: list[Problem] | None = None) -> list[Path]:
    """Build one book's formats (default: its book.yaml `formats:`) into `out_dir` (default: its
    dist/), under the names `bookmaker build` gives them; the paths written. Rendered once, laid out in
    this process alone: in a batch the books are what runs in parallel. Warnings go to `warnings`.
    Every format is tried; if any failed, one BookmakerError names every problem."""
    render, write_format, default_output, known = stages()
    unknown = [fmt for fmt in formats or () if fmt not in known]
    if unknown:
        raise BookmakerError([Problem(str(project), 1, f"batch cannot make '{fmt}' (it makes {', '.join(known)})",
                                      code=codes.BAD_SETTING) for fmt in unknown])
    rendered = render(str(project), 1, True, lambda message: None)
    if warnings is not None:
        warnings.extend(rendered.warnings)
    written: list[Path] = []
    problems: list[Problem] = []
    for fmt in formats or rendered.book.metadata.formats:
        out = default_output(str(project), rendered.book, fmt)
        if out_dir is not None:
            out = Path(out_dir) / out.name
        outcome = write_format(rendered, fmt, out, 1, True, lambda message: None)
        if warnings is not None:
            warnings.extend(outcome.warnings)
        if outcome.ok:
            written.append(outcome.path)
        problems.extend(outcome.problems)
    if problems:
        raise BookmakerError(problems)
    return written


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
              report_path: str | Path | None = None, budget: Budget | None = None) -> int:
    """Build every book of the manifest (those of `shard` I/N only, if given), `jobs` at a time, each in a
    process of its own under its budget. Writes a JSON line per book, then a summary line, to
    `report_path` (default stdout). Returns the exit code: 0 when every book built, 1 otherwise.
    A manifest that cannot be read or breaks the schema raises BookmakerError before anything is built."""
    manifest = Path(manifest_path)
    todo = deque(job for job in read_jobs(manifest, budget or Budget()) if in_shard(job.name, shard))
    total = len(todo)
    preload({fmt for job in todo for fmt in (job.formats or (None,))})
    # What the parent holds now (the libraries above) is shared with every forked book, copy-on-write:
    # frozen, the collector in each book never walks it, so never writes to those pages and copies them.
    gc.freeze()
    start = time.monotonic()
    counts = {"built": 0, "failed": 0}
    peak_memory = 0
    report: IO[str]
    report = sys.stdout if report_path is None else open(report_path, "w", encoding="utf-8")  # noqa: SIM115
    running: dict[Child, Job] = {}

    def record(line: dict) -> None:
        nonlocal peak_memory
        counts[line["status"]] += 1
        peak_memory = max(peak_memory, line["peak_memory"])
        report.write(json.dumps(line, ensure_ascii=False) + "\n")
        report.flush()

    try:
        while todo or running:
            while todo and len(running) < max(1, jobs):
                job = todo.popleft()
                if job.problems:
                    record(job_report(job, "failed", [], job.problems, 0.0, 0))
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
                    record(job_report(job, "failed", [], problems, time.monotonic() - child.started, 0))
                    continue
                measured = child.measured
                outputs, warnings = measured.result if measured.ok else ([], [])
                record(job_report(job, "built" if measured.ok else "failed", outputs, measured.problems or warnings,
                                  measured.seconds, measured.peak_memory))
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
