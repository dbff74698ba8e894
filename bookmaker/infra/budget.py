"""A time and memory budget for one build, for services that build strangers' books.

The build runs in a forked child process that leads a process group of its own. The child sets
RLIMIT_AS (its address space) to the memory budget; the parent keeps the clock and, when the time is
up, kills the whole group, so the pool workers the build started die with it. The result comes back
pickled through a pipe; a failure comes back as one BookmakerError with one clear message.

The memory budget is address space, not resident memory: it counts what a process has mapped, which
is more than it touches (thread stacks, malloc arenas, shared libraries). Give a budget with room:
a small book's build maps about 300 MB.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import math
import os
import pickle
import re
import resource
import select
import signal
import struct
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bookmaker import codes
from bookmaker.errors import BookmakerError, Problem
from bookmaker.infra import cache

SECONDS_ENV = "BOOKMAKER_MAX_SECONDS"
MEMORY_ENV = "BOOKMAKER_MAX_MEMORY"

# Binary multiples, as docker, ulimit and systemd read them: 1G is 1024³ bytes.
UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
HEADER = struct.Struct("!Q")  # the length of the pickled outcome, ahead of it on the pipe


def parse_size(text: str | int, option: str = "--max-memory") -> int:
    """Bytes in "2G", "512M", "1.5GiB", "800000000" (K, M, G, T are binary multiples)."""
    if isinstance(text, int) and not isinstance(text, bool):
        size = text
    else:
        match = SIZE_RE.match(str(text))
        if not match:
            raise BookmakerError([Problem(option, 1, f"'{text}' is not a size: give bytes, or a number with "
                                          "K, M, G or T (for example 512M or 1.5G)", code=codes.BAD_SETTING)])
        size = math.floor(float(match.group(1)) * UNITS[match.group(2).lower()])
    if size < 1 << 20:
        raise BookmakerError([Problem(option, 1, f"a memory budget of {text} is too small to build anything: "
                                      "give at least 1M (most books need 300M or more)", code=codes.BAD_SETTING)])
    return size


def parse_seconds(text: str | float, option: str = "--max-seconds") -> float:
    try:
        seconds = float(text)
    except (TypeError, ValueError):
        raise BookmakerError([Problem(option, 1, f"'{text}' is not a number of seconds", code=codes.BAD_SETTING)]) from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise BookmakerError([Problem(option, 1, f"the time budget must be more than 0 seconds, not {text}", code=codes.BAD_SETTING)])
    return seconds


def format_size(size: int) -> str:
    """1073741824 -> "1 GB", 1610612736 -> "1.5 GB": the size as an author would write it."""
    for unit, factor in (("TB", 1 << 40), ("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def format_seconds(seconds: float) -> str:
    return f"{seconds:g} s"


@dataclass(frozen=True)
class Budget:
    """What one build may use: wall-clock seconds and bytes of address space; None is no limit."""

    seconds: float | None = None
    memory: int | None = None

    @classmethod
    def from_env_and_options(cls, seconds: float | str | None = None, memory: int | str | None = None) -> Budget:
        """The options as given on the command line, else BOOKMAKER_MAX_SECONDS and BOOKMAKER_MAX_MEMORY."""
        problems: list[Problem] = []
        values: list[Any] = []
        for given, env, parse in ((seconds, SECONDS_ENV, parse_seconds), (memory, MEMORY_ENV, parse_size)):
            option = "--max-seconds" if parse is parse_seconds else "--max-memory"
            if given is None and os.environ.get(env, "").strip():
                given, option = os.environ[env], env
            try:
                values.append(None if given is None else parse(given, option))
            except BookmakerError as exc:
                problems.extend(exc.problems)
                values.append(None)
        if problems:
            raise BookmakerError(problems)
        return cls(*values)

    def stricter(self, other: Budget | None) -> Budget:
        """The smaller limit of each kind: an operator's budget caps what a manifest asks for."""
        if other is None:
            return self

        def least(a, b):
            return b if a is None else a if b is None else min(a, b)

        return Budget(least(self.seconds, other.seconds), least(self.memory, other.memory))

    @property
    def unlimited(self) -> bool:
        return self.seconds is None and self.memory is None

    def timeout_problem(self) -> Problem:
        return Problem("--max-seconds", 1, f"the build took longer than the {format_seconds(self.seconds)} budget "
                       "(--max-seconds)", code=codes.BUDGET_EXCEEDED)

    def memory_problem(self) -> Problem:
        return Problem("--max-memory", 1, f"the build needed more than the {format_size(self.memory)} memory budget "
                       "(--max-memory)", code=codes.BUDGET_EXCEEDED)


def limit_this_process(budget: Budget) -> None:
    """Apply the memory budget to the calling process.

    A build's pool workers do not need it: they are forked from the budgeted child and inherit its
    RLIMIT_AS (each worker gets the whole budget, not a share of it; the parent's clock still covers
    them all). Call it as the initializer of a pool whose workers are spawned, not forked.
    """
    if budget.memory is not None:
        resource.setrlimit(resource.RLIMIT_AS, (budget.memory, budget.memory))


def die_with_parent() -> None:
    """Be killed when the process that forked us dies, even by SIGKILL (Linux): a Celery worker killed
    mid-task leaves no build running on. The signal follows the forking *thread*: fork from the main one."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@dataclass
class Measured:
    """What a budgeted build returned, with its wall time and the peak resident memory of the child
    and the workers it waited for (from wait4's rusage)."""

    result: Any
    seconds: float
    peak_memory: int
    problems: list[Problem] | None = None  # set instead of result when the build failed

    @property
    def ok(self) -> bool:
        return self.problems is None


def _child_main(write_fd: int, budget: Budget, function: Callable, args: tuple) -> None:
    """In the forked child: run, send the outcome, leave without running the parent's cleanup."""
    code = 0
    try:
        os.setpgid(0, 0)
        die_with_parent()
        limit_this_process(budget)
        try:
            outcome = ("ok", function(*args))
        except BookmakerError as exc:
            outcome = ("problems", exc.problems)  # not the exception: it does not unpickle whole
        except MemoryError:
            outcome = ("memory", None)
        except (RuntimeError, OSError) as exc:
            # Under RLIMIT_AS a thread's stack or a worker's fork fails before any MemoryError does.
            if out_of_memory(exc):
                outcome = ("memory", None)
            else:
                outcome = ("crash", traceback.format_exc())
        except BaseException:  # a bug: the traceback goes back to the parent to be shown
            outcome = ("crash", traceback.format_exc())
        # Entries the build writes later (infra/cache.py) are written before the outcome is sent: the
        # parent kills this process's group once it has the outcome.
        cache.flush()
        try:
            data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            data = pickle.dumps(("memory", None))
        except Exception:
            data = pickle.dumps(("crash", f"the build's result could not be pickled:\n{traceback.format_exc()}"))
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(HEADER.pack(len(data)) + data)
    except BaseException:
        code = 70
    finally:
        os._exit(code)


def out_of_memory(exc: BaseException) -> bool:
    return (isinstance(exc, OSError) and exc.errno == errno.ENOMEM) or "can't start new thread" in str(exc)


class Child:
    """One budgeted build in a forked child; the parent drives it with `pump()` until `done`."""

    def __init__(self, budget: Budget, function: Callable, args: tuple = ()):
        self.budget = budget
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()  # or the child would print what the parent had buffered
        read_fd, write_fd = os.pipe()
        self.started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _child_main(write_fd, budget, function, args)
        os.close(write_fd)
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)  # as the child does: whichever runs first, the group exists before a kill
        self.pid, self.fd = pid, read_fd
        self.deadline = None if budget.seconds is None else self.started + budget.seconds
        self.data = bytearray()
        self.timed_out = False
        self.reaped = False
        self.measured: Measured | None = None
        self.error: Exception | None = None  # a bug in the function, raised in the parent

    def fileno(self) -> int:
        return self.fd

    @property
    def done(self) -> bool:
        return self.reaped

    def pump(self) -> None:
        """Read what the child sent, and finish it when it has exited or its time is up."""
        if self.done:
            return
        with contextlib.suppress(BlockingIOError, InterruptedError):
            while select.select([self.fd], [], [], 0)[0]:
                chunk = os.read(self.fd, 1 << 20)
                if not chunk:
                    break
                self.data += chunk
        if self.deadline is not None and time.monotonic() >= self.deadline and not self.complete:
            self.timed_out = True
            self.finish()
            return
        # WNOWAIT: the exited child stays a zombie, so its group id cannot be reused before the kill.
        if self.complete or os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            self.finish()

    @property
    def complete(self) -> bool:
        return len(self.data) >= HEADER.size and len(self.data) >= HEADER.size + HEADER.unpack_from(self.data)[0]

    def finish(self) -> None:
        """Kill whatever is left of the child's group, reap the child, and decode its outcome."""
        self.kill()
        _, status, usage = os.wait4(self.pid, 0)
        # What the child wrote between the last read and its exit is still in the pipe: read it all.
        os.set_blocking(self.fd, False)
        with contextlib.suppress(BlockingIOError, InterruptedError):
            while chunk := os.read(self.fd, 1 << 20):
                self.data += chunk
        os.close(self.fd)
        self.reaped = True
        seconds = time.monotonic() - self.started
        peak = int(usage.ru_maxrss) * 1024  # kilobytes on Linux
        try:
            self.measured = self.decode(status, seconds, peak)
        except Exception as exc:
            self.error = exc

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)

    def decode(self, status: int, seconds: float, peak: int) -> Measured:
        if self.timed_out:
            return Measured(None, seconds, peak, [self.budget.timeout_problem()])
        if not self.complete:
            if self.budget.memory is not None and (os.WIFSIGNALED(status) or os.waitstatus_to_exitcode(status)):
                return Measured(None, seconds, peak, [self.budget.memory_problem()])
            raise RuntimeError(f"the build process ended without a result (wait status {status})")
        kind, value = pickle.loads(bytes(self.data[HEADER.size:]))
        if kind == "ok":
            return Measured(value, seconds, peak)
        if kind == "problems":
            return Measured(None, seconds, peak, value)
        if kind == "memory" and self.budget.memory is not None:
            return Measured(None, seconds, peak, [self.budget.memory_problem()])
        if kind == "memory":
            raise MemoryError("the build ran out of memory")
        raise RuntimeError(f"the build failed:\n{value}")


def run_measured(budget: Budget, function: Callable, *args) -> Measured:
    """`function(*args)` in a budgeted child; the outcome with its time and peak memory."""
    child = Child(budget, function, args)
    try:
        while not child.done:
            wait = 0.05 if child.deadline is None else max(0.0, min(0.05, child.deadline - time.monotonic()))
            select.select([child], [], [], wait)
            child.pump()
    finally:
        if not child.done:  # interrupted (Ctrl-C): the build goes too
            child.kill()
            os.waitpid(child.pid, 0)
            os.close(child.fd)
    if child.error is not None:
        raise child.error
    return child.measured


def run_within(budget: Budget, function: Callable, *args) -> Any:
    """`function(*args)` run in a forked child under `budget`; its result, or a BookmakerError with the
    function's own problems, or one problem naming the budget it went over. No process outlives it.
    A bug in `function` (any other exception) is raised here as RuntimeError with its traceback."""
    measured = run_measured(budget, function, *args)
    if not measured.ok:
        raise BookmakerError(measured.problems)
    return measured.result
