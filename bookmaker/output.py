"""Atomic output: a build writes a temporary file beside the target and renames it into place."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bookmaker.errors import BookmakerError, Problem

TEMP_MARK = ".bookmaker-tmp-"


def check_output(out: Path, shown: str, sources) -> None:
    """Refuse, before any work, an output that would overwrite a source or cannot be written."""
    resolved = out.resolve()
    for source in sources:
        if source.resolve() == resolved:
            raise BookmakerError([Problem(shown, 1, "output file is one of the book's sources; choose another -o")])
    if out.exists() and out.is_dir():
        raise BookmakerError([Problem(shown, 1, "output is a folder; give a file name")])


@contextlib.contextmanager
def atomic_path(out: Path, shown: str) -> Iterator[Path]:
    """Yields a temporary path; on success it replaces `out`, on failure it is removed."""
    folder = out.parent
    blocking = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise BookmakerError([Problem(shown, 1, f"cannot write here: {blocking} is a file, not a folder")])
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BookmakerError([Problem(shown, 1, f"cannot create the output folder: {exc.strerror or exc}")]) from None
    clean_stale(folder)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{out.name}{TEMP_MARK}{os.getpid()}-", dir=folder)
    except OSError as exc:
        raise BookmakerError([Problem(shown, 1, f"cannot write the output: {exc.strerror or exc}")]) from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        mode = 0o666 & ~current_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def clean_stale(folder: Path) -> None:
    """Temporary files left by a build that was killed: removed if their process is gone."""
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            if TEMP_MARK not in entry.name:
                continue
            pid = entry.name.split(TEMP_MARK, 1)[1].split("-", 1)[0]
            if pid.isdigit() and not process_alive(int(pid)):
                with contextlib.suppress(OSError):
                    entry.unlink()


def process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
