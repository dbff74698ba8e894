"""Books built on demand by Celery workers (the optional `service` extra: celery and redis).

    pip install 'bookmaker[service]'
    BOOKMAKER_BROKER_URL=redis://127.0.0.1:6379/0 bookmaker worker          # as many as you like
    build_book.delay(archive_bytes, ["epub"], "/srv/results").get()        # from the web app

A task takes a project archive (zip or tar.gz, as bytes or a path the workers can read) and leaves
`results_dir/<key>/` holding the artifacts and `report.json`, where the key is the sha256 of the
archive, the formats and bookmaker's code: the same request is the same folder. The folder appears
whole or not at all (built in a temporary folder, then renamed), and a rerun or a redelivered task
finds it done and returns its report. So `acks_late` is safe: a worker killed mid-task (SIGKILL,
the OOM killer, a lost node) has its task run again by another, and the book is written once.
`results_dir/journal.log` gets a line per folder written or found, for audits.

Everything runs under the service budget (BOOKMAKER_MAX_SECONDS, BOOKMAKER_MAX_MEMORY; default 600 s
and 2G): unpacking and building happen in a budgeted child process of the pool worker, so a hostile
book ends as a failed report, never as a dead worker and a redelivery loop.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import time
from pathlib import Path

from celery import Celery

from bookmaker.infra.budget import Budget, run_measured
from bookmaker.errors import BookmakerError

BROKER_ENV = "BOOKMAKER_BROKER_URL"
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
DEFAULT_BUDGET = Budget(600.0, 2 << 30)
REPORT = "report.json"
JOURNAL = "journal.log"
# Beyond the budget (which the build's own watchdog enforces), room for unpacking and the rename.
LIMIT_MARGIN = 60

broker_url = os.environ.get(BROKER_ENV, DEFAULT_BROKER)
app = Celery("bookmaker", broker=broker_url, backend=broker_url)
app.conf.update(
    task_acks_late=True,  # a task is acknowledged once done, so a lost worker's task runs again
    task_reject_on_worker_lost=True,  # ...including when its pool process was killed
    worker_prefetch_multiplier=1,  # one book at a time per process: a long book holds up no others
    task_serializer="json", result_serializer="json", accept_content=["json"],  # never pickle from the broker
    broker_connection_retry_on_startup=True,
    result_expires=24 * 3600,
)


def service_budget() -> Budget:
    """BOOKMAKER_MAX_SECONDS / BOOKMAKER_MAX_MEMORY, else the service default: strangers' books
    always build under a budget."""
    given = Budget.from_env_and_options()
    return Budget(given.seconds or DEFAULT_BUDGET.seconds, given.memory or DEFAULT_BUDGET.memory)


BUDGET = service_budget()


def request_key(data: bytes, formats: list[str] | None) -> str:
    from bookmaker.infra.cache import code_version

    digest = hashlib.sha256(data)
    digest.update(json.dumps([sorted(formats) if formats else None, code_version()]).encode())
    return digest.hexdigest()


def journal(results: Path, event: str, key: str, task_id: str | None) -> None:
    line = f"{time.time():.3f} {event} {key} {task_id or '-'} {socket.gethostname()}:{os.getpid()}\n"
    fd = os.open(results / JOURNAL, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())  # one write with O_APPEND: lines from many workers never interleave
    finally:
        os.close(fd)


def unpack_and_build(data: bytes, formats: list[str] | None, folder: Path) -> dict:
    """In the budgeted child: the archive unpacked into folder/src, the book built into `folder`."""
    from bookmaker.commands.batch import build_one
    from bookmaker.infra.unpack import unpack

    source = folder / "src"
    source.mkdir()
    try:
        try:
            project = unpack(data, source)
        except BookmakerError as exc:
            return {"status": "refused", "outputs": [], "problems": [str(p) for p in exc.problems]}
        shown = str(project) + os.sep  # the problems name the book's files as the archive does
        warnings: list = []
        try:
            written = build_one(project, tuple(formats) if formats else None, folder, warnings)
        except BookmakerError as exc:
            return {"status": "failed", "outputs": [], "problems": [str(p).replace(shown, "") for p in exc.problems]}
        return {"status": "built", "outputs": [p.name for p in written],
                "problems": [str(p).replace(shown, "") for p in warnings]}
    finally:
        shutil.rmtree(source, ignore_errors=True)


def stale_attempts(results: Path, key: str) -> None:
    """Remove the temporary folders of this key's attempts on this host whose process is dead."""
    prefix = f".tmp-{key}-{socket.gethostname()}-"
    for entry in results.glob(f".tmp-{key}-*"):
        pid = entry.name[len(prefix):]
        if entry.name.startswith(prefix) and pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            shutil.rmtree(entry, ignore_errors=True)


def read_report(folder: Path) -> dict:
    return json.loads((folder / REPORT).read_text(encoding="utf-8"))


def build_archive(archive: bytes | str, formats: list[str] | None, results_dir: str | Path,
                  task_id: str | None = None, budget: Budget | None = None) -> dict:
    """The work of the `build_book` task, callable without Celery: the report, with `reused` true when
    the result folder was already there."""
    data = archive if isinstance(archive, bytes) else Path(archive).read_bytes()
    results = Path(results_dir)
    results.mkdir(parents=True, exist_ok=True)
    key = request_key(data, formats)
    final = results / key
    if (final / REPORT).is_file():
        journal(results, "found", key, task_id)
        return {**read_report(final), "reused": True}
    stale_attempts(results, key)
    attempt = results / f".tmp-{key}-{socket.gethostname()}-{os.getpid()}"
    shutil.rmtree(attempt, ignore_errors=True)
    attempt.mkdir()
    try:
        measured = run_measured(budget or BUDGET, unpack_and_build, data, formats, attempt)
        outcome = measured.result if measured.ok else {"status": "failed", "outputs": [],
                                                      "problems": [str(p) for p in measured.problems]}
        if not measured.ok:  # over budget: whatever it left is not a result
            for entry in attempt.iterdir():
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        from bookmaker.commands.batch import sha256_of

        report = {"key": key, "task_id": task_id, "status": outcome["status"], "formats": formats,
                  "outputs": [{"name": name, "sha256": sha256_of(attempt / name), "bytes": (attempt / name).stat().st_size}
                              for name in outcome["outputs"]],
                  "problems": outcome["problems"], "seconds": round(measured.seconds, 3),
                  "peak_memory": measured.peak_memory}
        (attempt / REPORT).write_text(json.dumps(report, indent=1), encoding="utf-8")
        try:
            os.rename(attempt, final)  # a folder renamed onto a non-empty one fails: the first one wins
        except OSError:
            if not (final / REPORT).is_file():
                raise
            journal(results, "found", key, task_id)
            return {**read_report(final), "reused": True}
        journal(results, "written", key, task_id)
        return {**report, "reused": False}
    finally:
        shutil.rmtree(attempt, ignore_errors=True)


def time_limits(budget: Budget) -> dict:
    if budget.seconds is None:
        return {}
    return {"soft_time_limit": budget.seconds + LIMIT_MARGIN, "time_limit": budget.seconds + 2 * LIMIT_MARGIN}


@app.task(bind=True, name="bookmaker.build_book", acks_late=True, reject_on_worker_lost=True, **time_limits(BUDGET))
def build_book(self, archive: bytes | str, formats: list[str] | None, results_dir: str) -> dict:
    """A project archive in; its artifacts and report.json out to results_dir/<key>/; the report."""
    return build_archive(archive, formats, results_dir, self.request.id)


def start_worker(concurrency: int = 2, loglevel: str = "INFO") -> None:
    """`bookmaker worker`: a Celery worker of `concurrency` pool processes, each building one book at
    a time. The building stages are loaded and warmed up first (batch.warm_up), so every pool process,
    and every book forked from it, starts with them ready."""
    from bookmaker.commands.batch import preload

    import bookmaker.infra.unpack  # noqa: F401

    preload({None})  # both formats: a task may ask for either
    app.worker_main(["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}", "-O", "fair",
                     "--prefetch-multiplier=1", "-n", f"bookmaker-{os.getpid()}@%h"])
