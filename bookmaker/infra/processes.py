"""Worker processes and temporary folders that never outlive a build, even one killed with SIGKILL."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

TEMP_PREFIX = "bookmaker-"


def die_with_parent() -> None:
    """In a worker: be killed when the build's process dies, however it dies (Linux; elsewhere the
    pool's own shutdown is all there is)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before the request was made
            os._exit(1)


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


def build_tempdir() -> tempfile.TemporaryDirectory:
    """A temporary folder named after this process, after removing those of builds that were killed."""
    base = Path(tempfile.gettempdir())
    with contextlib.suppress(OSError):
        for entry in base.iterdir():
            pid = entry.name[len(TEMP_PREFIX):].split("-", 1)[0]
            if entry.name.startswith(TEMP_PREFIX) and pid.isdigit() and not process_alive(int(pid)):
                shutil.rmtree(entry, ignore_errors=True)
    return tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-")


def default_jobs() -> int:
    """Worker processes for a build: the cores this process may run on."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
