"""Where bookmaker keeps what it can make again: content-addressed entries, written atomically.

A cache never changes the output bytes; one that cannot be read or written only costs time. Each entry
on disk is its payload after a digest of it (SEAL), checked when it is read: an entry cut short (a full
disk, a crash, a cache restored in part) or garbled is missing, made again and written again. Without
it, a truncated `deflate/` entry made an EPUB that EPUBCheck refused and a truncated `merged-fonts/`
one a PDF with broken fonts, both with exit 0.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from bookmaker.infra import memo


PACKAGE = Path(__file__).resolve().parent.parent
SEAL = 16  # bytes of BLAKE2b before each entry's payload


class DamagedEntry(OSError):
    """A cache entry whose payload is not what its digest says: read as no entry."""


def sealed(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=SEAL).digest() + data


def unsealed(raw: bytes, path: Path) -> bytes:
    data = raw[SEAL:]
    if len(raw) < SEAL or hashlib.blake2b(data, digest_size=SEAL).digest() != raw[:SEAL]:
        raise DamagedEntry(f"damaged cache entry: {path}")
    return data


def cache_root() -> Path:
    if os.environ.get("BOOKMAKER_CACHE_DIR"):
        return Path(os.environ["BOOKMAKER_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "bookmaker"


def write_entry(path: Path, data: bytes, later: bool = False) -> None:
    """Write a cache entry whole or not at all (two builds at once may write the same one). `later`:
    in a thread of this process, while the build goes on (read_entry sees it meanwhile)."""
    if later and _behind.put(path, data):
        return
    _write_now(path, data)


def _write_now(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(sealed(data))
        os.replace(tmp, path)
    except OSError:
        pass  # a cache that cannot be written only costs time


def read_entry(path: Path) -> bytes:
    """A cache entry's bytes, written or still waiting to be (write_entry's `later`); OSError if none, or
    if the one on disk is not whole (DamagedEntry)."""
    data = _behind.pending.get(path)
    return data if data is not None else unsealed(path.read_bytes(), path)


def cached_bytes(entry: Path | None, make: Callable[[], bytes], valid: Callable[[bytes], bool] = bool,
                 later: bool = False) -> bytes:
    """The bytes kept at `entry`, if any are there and `valid`; else `make()`, kept there (`entry` None:
    nothing is kept; `later`: written as write_entry's `later` writes). In `watch`, an entry read or
    made by this build or the last is not read again (infra/memo.py): an entry's name is a digest of
    all it is made from, so the same name is the same bytes."""
    if entry is None:
        return make()
    return memo.kept(("cache entry", entry), lambda: entry_bytes(entry, make, valid, later))


def entry_bytes(entry: Path, make: Callable[[], bytes], valid: Callable[[bytes], bool], later: bool) -> bytes:
    try:
        data = read_entry(entry)
        if valid(data):
            return data
    except OSError:
        pass
    data = make()
    write_entry(entry, data, later)
    return data


class WriteBehind:
    """Cache entries written by threads while the build goes on.

    Creating a file is most of a cache entry's cost (0.6 to 0.9 ms on this project's 2-core machine,
    0.26 ms an entry with two threads at it), and a cold build makes one for each chapter, each EPUB
    page and each compressed EPUB entry: 0.13 s of the cold 200k-word EPUB, on one core while the other
    was idle. THREADS threads write what is pending and end when nothing is. They are not daemons, so
    the interpreter's exit waits for them, and flush() waits for them where a process leaves through
    os._exit. A process forked while entries are pending leaves them to its parent (its copy of them is
    dropped, and waits on nothing).
    """

    THREADS = 2

    def __init__(self):
        self._reset()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(before=self._lock_for_fork, after_in_parent=self._unlock_after_fork,
                                after_in_child=self._reset)

    def _reset(self) -> None:
        self.pending: dict[Path, bytes] = {}  # until written: what read_entry() reads
        self._queue: collections.deque[Path] = collections.deque()
        self._writing: set[Path] = set()  # paths a thread is writing now
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._threads = 0

    def _lock_for_fork(self) -> None:
        self._lock.acquire()

    def _unlock_after_fork(self) -> None:
        self._lock.release()

    def put(self, path: Path, data: bytes) -> bool:
        """Queued for the threads; False where no thread can be started (the caller writes it now)."""
        with self._lock:
            self.pending[path] = data
            self._queue.append(path)
            if self._threads >= min(self.THREADS, len(self._queue)):
                return True
            try:
                threading.Thread(target=self._drain, name="bookmaker-cache-writer").start()
            except RuntimeError:  # no thread to be had (a memory budget's limit)
                if self._threads:
                    return True  # a running thread writes it
                self._queue.pop()
                del self.pending[path]
                return False  # the caller writes it
            self._threads += 1
            return True

    def _drain(self) -> None:
        counted = True  # this thread is in self._threads
        try:
            while True:
                with self._lock:
                    if not self._queue:  # ends in the same hold of the lock as it finds nothing to do,
                        counted = False  # so a put() meanwhile starts a thread of its own
                        self._threads -= 1
                        self._idle.notify_all()
                        return
                    path = self._queue.popleft()
                    data = self.pending.get(path)
                    if data is None or path in self._writing:
                        continue  # written already, or being written by a thread that writes it last
                    self._writing.add(path)
                self._write(path, data)
        finally:
            if counted:  # ended by an error: flush() stops waiting for it
                with self._lock:
                    self._threads -= 1
                    self._idle.notify_all()

    def _write(self, path: Path, data: bytes) -> None:
        """`path` written until what is pending for it is what was written: one thread writes a path at a
        time, so that an older entry never lands after a newer one. The path stops being this thread's
        in the same hold of the lock as nothing newer is found: released between the two, a put() there
        found the path still being written and left it to this thread, which had already stopped."""
        try:
            while True:
                _write_now(path, data)  # an OSError is taken there; anything else ends the thread
                with self._lock:
                    newer = self.pending.get(path)
                    if newer is None or newer is data:
                        self.pending.pop(path, None)
                        self._writing.discard(path)
                        return
                    data = newer  # put() while it was written: written again, after
        except BaseException:
            with self._lock:  # read from the disk again: what is pending for it may never be written
                self._writing.discard(path)
                self.pending.pop(path, None)
            raise

    def flush(self) -> None:
        """Wait until every pending entry is written."""
        with self._lock:
            while self._threads:
                self._idle.wait()


_behind = WriteBehind()
flush = _behind.flush


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of bookmaker's own code and templates: what caches are keyed by, so a changed bookmaker
    never reuses what an older one made, even under the same version number (and a new version number
    alone changes nothing it makes)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in PACKAGE.rglob("*") if p.suffix in (".py", ".j2", ".css", ".json", ".yaml", ".md",
                                                                      ".yml") and "__pycache__" not in p.parts):
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]
