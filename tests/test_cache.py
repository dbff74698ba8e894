"""The cache's entries written later, by threads, while a build goes on (infra/cache.py WriteBehind)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from bookmaker.infra import cache


def entries(root) -> dict[str, bytes]:
    """Each entry's payload, as read back (its digest checked: infra/cache.py SEAL)."""
    return {p.name: cache.unsealed(p.read_bytes(), p) for p in root.rglob("*") if p.is_file()}


def test_an_entry_written_later_is_read_at_once_and_on_disk_after_flush(tmp_path):
    made = []
    paths = [tmp_path / f"{i:02d}"[:1] / f"entry-{i}" for i in range(40)]
    for i, path in enumerate(paths):
        data = cache.cached_bytes(path, lambda i=i: made.append(i) or f"data {i}".encode(), later=True)
        assert data == f"data {i}".encode()
    # Read back at once, from what is pending or written: nothing is made twice.
    for i, path in enumerate(paths):
        assert cache.read_entry(path) == f"data {i}".encode()
        assert cache.cached_bytes(path, lambda: b"made again", later=True) == f"data {i}".encode()
    assert made == list(range(40))
    cache.flush()
    assert not cache._behind.pending
    assert entries(tmp_path) == {f"entry-{i}": f"data {i}".encode() for i in range(40)}
    assert not [p for p in tmp_path.rglob(".tmp-*")]


def test_a_newer_entry_for_the_same_path_is_the_one_kept(tmp_path):
    """Two threads never write one path at once: an older entry written after a newer one would stay
    (the first version left a stale entry in about one round of five: this test failed 4 times in 4).
    And an entry put just as a thread ends writing its path is written: the second version left it
    pending, never written (this test failed in one run of the whole suite, and 2 times in 12 with four
    runs at once on 2 cores; with the fix, 0 in 16)."""
    for round_ in range(60):
        path = tmp_path / str(round_)
        for i in range(200):
            cache.write_entry(path, str(i).encode(), later=True)
        assert cache.read_entry(path) == b"199"
        cache.flush()
        assert cache.unsealed(path.read_bytes(), path) == b"199", round_


def test_the_interpreters_exit_waits_for_entries_written_later(tmp_path):
    """No flush() in the program: its exit writes every pending entry (the threads are not daemons)."""
    program = textwrap.dedent(f"""
        from pathlib import Path
        from bookmaker.infra.cache import write_entry
        for i in range(300):
            write_entry(Path({str(tmp_path)!r}) / str(i % 7) / f"e{{i}}", b"x" * 50_000, later=True)
    """)
    subprocess.run([sys.executable, "-c", program], check=True, timeout=60)
    assert len(entries(tmp_path)) == 300 and all(len(data) == 50_000 for data in entries(tmp_path).values())


def test_a_forked_child_leaves_pending_entries_to_its_parent_and_does_not_wait_on_them(tmp_path):
    """A child forked while entries are pending (a budgeted build, a layout zygote) gets no copy of the
    writer's state to wait on: its flush() returns, and its own entries are its own."""
    for i in range(100):
        cache.write_entry(tmp_path / "parent" / f"e{i}", b"p" * 20_000, later=True)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            if not cache._behind.pending:  # the parent's are not the child's
                cache.write_entry(tmp_path / "child" / "c", b"c", later=True)
                cache.flush()
                code = 0 if cache.read_entry(tmp_path / "child" / "c") == b"c" else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    cache.flush()
    assert len(list((tmp_path / "parent").iterdir())) == 100


def test_a_pages_words_are_kept_as_lines_and_an_entry_cut_short_is_made_again(tmp_path):
    """pagestarts.cached_words: a line a word after a line that counts them (read back in half the time
    JSON took); an entry that is not whole is made again, never read short."""
    from bookmaker.pdf.pagestarts import cached_words

    entry = tmp_path / "ab" / "key.words"
    made: list[int] = []

    def make(words):
        return lambda: made.append(1) or list(words)

    words = ["harbour", "ledger", "señora", "l’été", "3"]
    assert cached_words(entry, make(words)) == words and len(made) == 1
    assert cache.read_entry(entry) == "5\nharbour\nledger\nseñora\nl’été\n3".encode()
    assert cached_words(entry, make(["other"])) == words and len(made) == 1  # read back, not made
    for cut in (b"5\nharbour\nledger", b"5\nharbour\nledger\nse\xc3", b"", b"x\nharbour"):
        entry.write_bytes(cache.sealed(cut))
        assert cached_words(entry, make(words)) == words
    assert len(made) == 5
    empty = tmp_path / "cd" / "empty.words"
    assert cached_words(empty, make([])) == [] and cached_words(empty, make(["never"])) == []


def test_an_entry_cut_short_or_garbled_is_made_again_and_written_again(tmp_path):
    """Every entry carries a digest of its payload (cache.SEAL): one that fails it is no entry, whatever
    the caller's own check (deflate/ and merged-fonts/ trust any bytes)."""
    path = tmp_path / "ab" / "entry"
    assert cache.cached_bytes(path, lambda: b"payload" * 100, lambda _: True) == b"payload" * 100
    whole = path.read_bytes()
    for damaged in (whole[:-1], whole[:10], b"", whole[:20] + b"X" + whole[21:], b"payload" * 100):
        path.write_bytes(damaged)
        assert cache.cached_bytes(path, lambda: b"payload" * 100, lambda _: True) == b"payload" * 100
        assert path.read_bytes() == whole


def test_a_build_from_a_cache_of_truncated_entries_is_the_cold_builds_bytes(tmp_path):
    """A user's cache cut short (a full disk, a crash, a bad restore): truncated deflate/ entries made an
    EPUB EPUBCheck refused, and truncated merged-fonts/ a PDF with broken fonts, both with exit 0."""
    from conftest import BUILD_EPOCH, copy_book, run_cli

    cold = copy_book("plain", tmp_path / "cold")
    warm = copy_book("plain", tmp_path / "warm")
    cached = {"BOOKMAKER_CACHE_DIR": str(tmp_path / "cache"), **BUILD_EPOCH}
    assert run_cli("build", cold, "-q", "--no-cache", env=BUILD_EPOCH).returncode == 0
    assert run_cli("build", warm, "-q", env=cached).returncode == 0
    for entry in (tmp_path / "cache").rglob("*"):
        if entry.is_file() and entry.parent.name != "templates":  # Jinja2's own, with its own check
            with entry.open("r+b") as handle:
                handle.truncate(entry.stat().st_size // 2)
    for output in (warm / "dist").iterdir():
        output.unlink()
    run = run_cli("build", warm, "-q", env=cached)
    assert run.returncode == 0, run.stderr
    made = {p.name: p.read_bytes() for p in (warm / "dist").iterdir()}
    assert made == {p.name: p.read_bytes() for p in (cold / "dist").iterdir()} and len(made) == 2


def test_a_garbled_last_body_entry_is_no_entry(tmp_path, monkeypatch):
    """pdf/parts.py PartCache.last_body reads a key from the cache and uses it as a file name: a garbled
    one (not UTF-8) made every PDF build after an edit end in a UnicodeDecodeError traceback, and one
    like `../..` must not lead out of the cache. Anything but a key is no entry."""
    import json

    from bookmaker.pdf.parts import Body, PartCache

    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(tmp_path / "cache"))
    parts = PartCache(True)
    key, slot = "ab" * 32, "cd" * 32
    parts.store_body(key, Body(b"%PDF", 3, 800.0))
    parts.remember_last(slot, key)
    cache.flush()
    assert parts.last_body(slot).pages == 3
    (tmp_path / "x.json").write_bytes(cache.sealed(json.dumps(Body(b"", 9, 1.0).meta()).encode()))  # `../x`: out
    for garbled in (b"../x", b"\x84\xff\x00garbage", b"../..", b"", key.encode() + b"\n", key.upper().encode()):
        parts._write(f"last-{slot}", garbled)  # with a valid seal: what a cache writer could have put there
        cache.flush()
        assert PartCache(True).last_body(slot) is None, garbled
