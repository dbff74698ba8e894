"""The budget for services: a build over its time or memory ends in one clear error and leaves no
process behind; one within it returns its result; its own problems come back intact."""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest

from bookmaker.infra.budget import Budget, format_size, parse_size, run_measured, run_within
from bookmaker.errors import BookmakerError, Problem


def descendants() -> set[int]:
    """Every live (not zombie) process below this one, from /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry)] = int(fields[1])
    found, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


@pytest.fixture
def no_stray_process():
    before = descendants()
    yield
    assert descendants() - before == set()


def pids_file_sleeper(path: str, workers: int) -> None:
    """Starts pool workers that sleep, as a build's render pool would, then sleeps itself."""
    pool = multiprocessing.get_context("fork").Pool(workers)
    pool.map_async(time.sleep, [60] * workers)
    with open(path, "w") as handle:  # at once: on 2 loaded cores, forking the pool took most of a 1.5 s budget
        handle.write(" ".join(str(p.pid) for p in pool._pool))
    time.sleep(60)


def allocate(megabytes: int) -> int:
    return len(bytearray(megabytes << 20))


def fail_as_a_book() -> None:
    raise BookmakerError([Problem("manuscript/book.yaml", 3, "unknown key 'titel'; did you mean 'title'?"),
                          Problem("manuscript/01.md", 9, "image not found", "warning", "image-missing")])


def test_parse_size():
    assert parse_size("2G") == 2 << 30
    assert parse_size("512M") == 512 << 20
    assert parse_size("1.5GiB") == 3 << 29
    assert parse_size("800000000") == 800_000_000
    assert parse_size("64mb") == 64 << 20
    assert format_size(1 << 30) == "1 GB" and format_size(3 << 29) == "1.5 GB"
    for bad in ("lots", "2X", "-1G", "", "1.2.3M", "100"):
        with pytest.raises(BookmakerError) as caught:
            parse_size(bad)
        [problem] = caught.value.problems
        assert problem.path == "--max-memory" and problem.line == 1 and "\n" not in problem.message


def test_from_env_and_options(monkeypatch):
    monkeypatch.setenv("BOOKMAKER_MAX_SECONDS", "30")
    monkeypatch.setenv("BOOKMAKER_MAX_MEMORY", "1G")
    assert Budget.from_env_and_options() == Budget(30.0, 1 << 30)
    assert Budget.from_env_and_options(5, "2G") == Budget(5.0, 2 << 30)  # the options win
    monkeypatch.setenv("BOOKMAKER_MAX_SECONDS", "soon")
    monkeypatch.setenv("BOOKMAKER_MAX_MEMORY", "huge")
    with pytest.raises(BookmakerError) as caught:
        Budget.from_env_and_options()
    assert [p.path for p in caught.value.problems] == ["BOOKMAKER_MAX_SECONDS", "BOOKMAKER_MAX_MEMORY"]
    assert Budget(60, None).stricter(Budget(10, 1 << 30)) == Budget(10, 1 << 30)


def test_success_returns_the_result(no_stray_process):
    measured = run_measured(Budget(30, 1 << 30), sum, [1, 2, 3])
    assert measured.ok and measured.result == 6 and measured.peak_memory > 0
    assert run_within(Budget(), str.upper, "big" * 100_000) == "BIG" * 100_000  # more than a pipe holds


def test_too_long_kills_the_whole_group(tmp_path, no_stray_process):
    pids = tmp_path / "pids"
    start = time.monotonic()
    with pytest.raises(BookmakerError) as caught:
        run_within(Budget(seconds=3), pids_file_sleeper, str(pids), 2)
    assert time.monotonic() - start < 6.5
    assert [str(p) for p in caught.value.problems] == [
        "--max-seconds:1: the build took longer than the 3 s budget (--max-seconds)"]
    workers = [int(p) for p in pids.read_text().split()]
    assert len(workers) == 2
    for pid in workers:  # SIGKILL is delivered, not waited for: a killed worker may run for a moment more
        assert gone_within(pid, 3.0), f"worker {pid} outlived the build"


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def test_too_much_memory(no_stray_process):
    with pytest.raises(BookmakerError) as caught:
        run_within(Budget(memory=1 << 30), allocate, 2048)
    assert [str(p) for p in caught.value.problems] == [
        "--max-memory:1: the build needed more than the 1 GB memory budget (--max-memory)"]
    assert run_within(Budget(memory=1 << 30), allocate, 100) == 100 << 20  # and within it, fine


def test_book_problems_pass_through_intact(no_stray_process):
    with pytest.raises(BookmakerError) as caught:
        run_within(Budget(10, 1 << 30), fail_as_a_book)
    assert caught.value.problems == [
        Problem("manuscript/book.yaml", 3, "unknown key 'titel'; did you mean 'title'?"),
        Problem("manuscript/01.md", 9, "image not found", "warning", "image-missing")]


def test_a_bug_is_not_a_budget_error(no_stray_process):
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        run_within(Budget(10), divmod, 1, 0)
