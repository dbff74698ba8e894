"""Layout workers started early: a process forked when a build begins, once the book is loaded and
before it is rendered, that imports WeasyPrint (a third of a second) while this process renders the
Markdown, and then forks the layout workers from itself (a zygote).

Without it a build forked its layout workers only once the chapters' HTML was ready, and each then
spent its first half second importing WeasyPrint: on an edit of one chapter, a sixth of the build.
Forking the workers early, each importing WeasyPrint itself, put three processes on two cores while
the Markdown was rendered, imported WeasyPrint once a worker, and parsed the theme and loaded what a
first layout loads once a worker too. The zygote does each of those once: when the layout begins it is
given the build's setup and a sample of the book, parses the theme, lays the sample out, and only then
forks the workers, which inherit all of it (and share its memory, copy-on-write, until they write to it).
It hands them the jobs as bytes it does not read, and replaces each worker by a fresh fork after a few
jobs (JOBS_PER_WORKER), so that what layouts leave in a worker's memory does not pile up.

A zygote forked before the build's temporary folder and clock (writer.private_tempdir,
writer.font_dates_from) exist is given both with the layout's setup (in_build), and runs each job
under them.

Only a process that has not imported WeasyPrint yet starts one: `watch` imports it once, before its
first build (import_here), and a batch and the service lay out in processes forked from a warm parent.
"""

from __future__ import annotations

import collections
import concurrent.futures as futures
import contextlib
import functools
import gc
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool

from bookmaker.infra import cache
from bookmaker.infra.processes import default_jobs, die_with_parent

_pool: Zygote | None = None
STOP = b"stop"  # what the build sends the zygote when the layout ends (a job is a pickle, never this)
PREPARE = b"prepare\0"  # what begins the message that gives the zygote the theme ahead of the start


class Zygote:
    """A process forked now that imports WeasyPrint, and, once start() gives it the layout's setup, forks
    up to `size` layout workers from itself; the executor interface over them (submit, shutdown).

    A job goes to the zygote as its number (8 bytes), whether it retires its worker (1 byte) and the
    pickled function and arguments, and comes back as its number and the pickled outcome: the zygote
    passes both on as bytes, unread."""

    def __init__(self, size: int):
        self.size = size
        here, there = multiprocessing.Pipe()
        # What this process holds now, the zygote and its workers hold too, copy-on-write: frozen, this
        # process's collections no longer write to it (each collection writes into every object it
        # examines), so its pages stay shared instead of copied here. The 200,000-word book's peak, every
        # process proportional: 150 MB, then 147 (twice each, 2026-12-05). A one-shot build's objects
        # from before the layout live to its end anyway.
        gc.freeze()
        pid = forked(lambda: zygote(there), here)
        there.close()
        self.pid, self.connection = pid, here
        self.lock = threading.Lock()
        self.jobs: dict[int, futures.Future] = {}
        self.count = 0
        self.broken: BaseException | None = None
        self.started = False
        self.prepared = False
        self.reader = threading.Thread(target=self.read, name="bookmaker-zygote", daemon=True)
        self.reader.start()

    def prepare(self, context: tuple, extra_css: tuple[str, ...] = ()) -> None:
        """The theme the layout will use (`context`, as start() will give it), parsed by the zygote now,
        while this process still prepares the layout: in a one-shot build after an edit, the zygote had
        WeasyPrint and waited for the start to parse it."""
        if self.prepared or self.started:
            return
        self.prepared = True
        with contextlib.suppress(OSError):  # the zygote is gone: read() fails the jobs
            self.connection.send_bytes(PREPARE + pickle.dumps((context, extra_css), pickle.HIGHEST_PROTOCOL))

    def start(self, context: tuple, workers: int, extra_css: tuple[str, ...] = (), sample: str = "") -> None:
        """The layout begins: `context` (build_context) is the setup and the build's folder and clock,
        `workers` how many jobs run at once; the theme is parsed with each of `extra_css`, and `sample`
        (a document of the book's, "" for none: parts.lay_out_flow gives one only where more than one
        chapter is laid out) laid out, before workers are forked (when there are two or more)."""
        self.started = True
        with contextlib.suppress(OSError):  # the zygote is gone: read() fails the jobs
            self.connection.send_bytes(pickle.dumps((context, max(1, min(workers, self.size)), extra_css, sample),
                                                    pickle.HIGHEST_PROTOCOL))

    def submit(self, function: Callable, *args) -> futures.Future:
        """`function(*args)` run by a worker; one that `retires` (a whole chapter's layout) is the last its
        worker runs."""
        future: futures.Future = futures.Future()
        future.set_running_or_notify_cancel()
        try:
            message = bytes([bool(getattr(function, "retires", False))]) + pickle.dumps((function, args),
                                                                                        pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # noqa: BLE001 - a job that cannot be sent fails as a pool's would
            future.set_exception(error)
            return future
        with self.lock:
            broken, job = self.broken, self.count
            if broken is None:
                self.jobs[job], self.count = future, job + 1
        if broken is not None:
            future.set_exception(broken)
            return future
        with contextlib.suppress(OSError):
            self.connection.send_bytes(job.to_bytes(8, "big") + message)
        return future

    def read(self) -> None:
        """In a thread of this process: each job's outcome, set on its future as it comes."""
        try:
            while True:
                message = self.connection.recv_bytes()
                ok, outcome = pickle.loads(message[8:])
                with self.lock:
                    future = self.jobs.pop(int.from_bytes(message[:8], "big"))
                (future.set_result if ok else future.set_exception)(outcome)
        except Exception:  # noqa: BLE001, S110 - gone, or sent what cannot be read: its jobs fail below
            pass
        finally:
            with self.lock:
                self.broken = BrokenProcessPool("the layout workers ended before their jobs did")
                left, self.jobs = list(self.jobs.values()), {}
            for future in left:
                future.set_exception(self.broken)

    def shutdown(self) -> None:
        """The jobs running finish, those waiting are dropped, and the zygote and its workers end (a
        zygote never started, still importing WeasyPrint perhaps, is killed: it has no worker yet)."""
        if not self.started:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.connection.send_bytes(STOP)
        self.reader.join()
        self.connection.close()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def forked(life: Callable[[], None], *close: multiprocessing.connection.Connection) -> int:
    """A child process that closes `close`, lives `life()` and exits, never returning into its parent's
    code; its pid."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            for connection in close:
                connection.close()
            life()
            code = 0
        finally:
            cache.flush()  # entries written later (infra/cache.py) are written before os._exit
            os._exit(code)
    return pid


def zygote(connection: multiprocessing.connection.Connection) -> None:
    """The zygote's life: WeasyPrint imported; the theme parsed under the build's folder and clock as soon
    as the build gives it (Zygote.prepare, else the start message); at the start message, the sample laid
    out; then the jobs run here, one at a time, or by workers forked from here (broker), until the build
    says STOP (or is gone)."""
    # No garbage collection until the workers are forked: importing WeasyPrint and parsing the theme made
    # 10 collections that found 195 objects to free and took 33 ms of a one-shot edit's critical path (the
    # zygote's chain: its import, the theme, the first worker's fork), one of them a full one (22 ms).
    gc.disable()
    warm_up()
    from bookmaker.pdf import layout

    message = received(connection)
    if message is not None and message.startswith(PREPARE):
        context, extra_css = pickle.loads(message[len(PREPARE):])
        try:
            in_build(context, layout.warm, (context[0], *extra_css))
        except Exception:  # noqa: BLE001, S110 - only a head start, as the warming below
            pass
        message = received(connection)
    if message is None:
        return
    context, workers, extra_css, sample = pickle.loads(message)
    try:
        in_build(context, functools.partial(layout.warm, sample=sample), (context[0], *extra_css))
    except Exception:  # noqa: BLE001 - only a head start: each job parses the theme it needs
        pass
    # What the workers inherit is not written again by their collections (copy-on-write). Frozen without
    # a full collection first: in a one-shot build after an edit it found nothing (0 objects, 3 builds)
    # and took 20 to 30 ms, between the layout's start and the first worker's fork; after a cold build's
    # sample layout it found some 3,000 objects, which stay frozen and shared.
    gc.freeze()
    gc.enable()
    if workers > 1:
        broker(connection, context, workers)
    else:
        serve(connection, context)


def received(connection: multiprocessing.connection.Connection) -> bytes | None:
    """The next message, or None for STOP or a connection closed."""
    try:
        message = connection.recv_bytes()
    except EOFError:
        return None
    return None if message == STOP else message


def serve(connection: multiprocessing.connection.Connection, context: tuple) -> None:
    """Run each job `connection` brings, under `context` (in_build), and send its outcome back."""
    while (message := received(connection)) is not None:
        try:
            function, args = pickle.loads(message[9:])
            outcome = (True, in_build(context, function, args))
        except BaseException as error:  # noqa: BLE001 - handed over exactly as a pool would
            outcome = (False, error)
        try:
            reply = pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL)
        except Exception as why:  # noqa: BLE001
            reply = pickle.dumps((False, RuntimeError(f"a layout job's outcome could not be sent back: {why}")))
        connection.send_bytes(message[:8] + reply)


# Each worker lays out this many jobs, then ends and a fresh one is forked from the zygote in its place:
# what a layout leaves behind (mostly in C, not Python objects) goes with it. A cold PDF
# of the 200,000-word book, peak memory of all its processes (proportional): 218 MB with no worker
# replaced, 191 with 8 jobs a worker, 183 with 4, 169 with 1; its time +0.1 s with 4, +0.4 s with 1.
# A job that `retires` (Zygote.submit: a chapter's layout, which leaves 4 to 5 MB behind where a page
# number's leaves almost nothing) counts for all of them: the worker that laid a chapter out ends, and the
# many small jobs share workers. With the chapters' PDFs no longer parsed ahead in a cold build
# (parts.lay_out_flow), 170 MB became 151, the time +0.2 s of 12.9 (2026-12-05, medians of 3).
JOBS_PER_WORKER = 4


class Worker:
    """A layout worker forked from the zygote (serve() in it), and the jobs it has done."""

    def __init__(self, context: tuple, *close: multiprocessing.connection.Connection):
        self.connection, there = multiprocessing.Pipe()

        def life() -> None:
            die_with_parent()
            serve(there, context)

        self.pid = forked(life, self.connection, *close)
        there.close()
        self.done = 0
        self.job = b""

    def end(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.send_bytes(STOP)
        self.connection.close()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def broker(build: multiprocessing.connection.Connection, context: tuple, size: int) -> None:
    """In the zygote: the build's jobs handed to up to `size` workers forked from here, as bytes, and their
    outcomes sent back; a worker that dies fails its job (BrokenProcessPool). Single-threaded, so that
    forking a worker is safe at any time."""
    idle: list[Worker] = []
    busy: dict[multiprocessing.connection.Connection, Worker] = {}
    waiting: collections.deque[bytes] = collections.deque()
    taking = True
    while taking or busy:
        for ready in multiprocessing.connection.wait([build, *busy] if taking else list(busy)):
            if ready is build:
                message = received(build)
                if message is None:  # what waits is dropped; what runs finishes
                    taking = False
                    waiting.clear()
                else:
                    waiting.append(message)
                continue
            worker = busy.pop(ready)
            try:
                reply = worker.connection.recv_bytes()
            except (EOFError, OSError):
                reply = worker.job[:8] + pickle.dumps((False, BrokenProcessPool("a layout worker ended abruptly")))
                worker.done = JOBS_PER_WORKER
            with contextlib.suppress(OSError):
                build.send_bytes(reply)
            worker.done += JOBS_PER_WORKER if worker.job[8] else 1
            if worker.done >= JOBS_PER_WORKER:
                worker.end()
            else:
                idle.append(worker)
        while taking and waiting and (idle or len(busy) < size):
            worker = idle.pop() if idle else Worker(context, build, *(w.connection for w in (*idle, *busy.values())))
            worker.job = waiting.popleft()
            try:
                worker.connection.send_bytes(worker.job)
            except OSError:
                pass  # it died idle: wait() finds its end, and the job fails
            busy[worker.connection] = worker
    for worker in idle:
        worker.end()


@contextlib.contextmanager
def started_early(jobs: int | None, chapters: int = 1 << 30) -> Iterator[None]:
    """Layout workers for the build run inside: a zygote forked now (Zygote), for up to `jobs` workers,
    one a chapter (none for one job, or where WeasyPrint is imported already: the build lays out in
    this process); shut down when it ends, however it ends."""
    global _pool
    jobs = default_jobs() if jobs is None else jobs
    if jobs <= 1 or _pool is not None or "weasyprint" in sys.modules or not hasattr(os, "fork"):
        yield
        return
    _pool = Zygote(max(1, min(jobs, chapters)))
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
    """The zygote and its workers shut down, if they still run: when the layout that used them ends
    (parts.Early), so that they hold no memory through the join, or when the book is to be laid out as
    one document; a later layout in the same build (a printer's wider gutter) forks workers of its own."""
    global _pool
    pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown()


def warm_up() -> None:
    die_with_parent()
    import_here()
    import bookmaker.pdf.parts  # noqa: F401  (what the jobs run: imported here, not by the first job)


def import_here() -> None:
    """WeasyPrint imported in this process (and the layout's hook installed)."""
    from bookmaker.pdf import weasy_internals

    weasy_internals.install_hook()


def running() -> Zygote | None:
    """The early workers, if this build started them."""
    return _pool


def in_build(context: tuple, function: Callable, args: tuple):
    """In the zygote or a worker forked from it: `function(*args)` with the build's temporary
    folder and SOURCE_DATE_EPOCH, and `context`'s first item given to `prepare` (its second)."""
    setting, prepare, folder, epoch = context
    tempfile.tempdir = folder
    if epoch is None:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    else:
        os.environ["SOURCE_DATE_EPOCH"] = epoch
    prepare(setting)
    return function(*args)


def build_context(setting, prepare: Callable) -> tuple:
    """What in_build() gives the zygote of this process's state: taken when the jobs are handed
    out, inside the build's temporary folder and clock."""
    return setting, prepare, tempfile.gettempdir(), os.environ.get("SOURCE_DATE_EPOCH")
