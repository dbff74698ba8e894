"""Where a book may be written: never over or among its sources, never onto a device, never into a
folder a typo invented; and a write that fails is a problem, not a traceback or a half-written file."""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

from conftest import copy_book


def build(fmt: str, project, out, preexec=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bookmaker", fmt, str(project), "-o", str(out)],
                          capture_output=True, text=True, preexec_fn=preexec, timeout=300)


@pytest.fixture
def project(tmp_path):
    return copy_book("sample", tmp_path / "book")


@pytest.mark.parametrize(("target", "message"), [
    ("manuscript/images/cover.png", "output would be written into the book's manuscript/ folder, among its "
                                    "sources; choose another -o (default: dist/)"),
    ("manuscript/05-new.md", "output would be written into the book's manuscript/ folder, among its sources; "
                             "choose another -o (default: dist/)"),
    ("styles/print.css", "output would be written into the book's styles/ folder, among its sources; choose "
                         "another -o (default: dist/)"),
])
def test_output_among_the_sources_is_refused(project, target, message):
    (project / "styles").mkdir()
    (project / "styles" / "print.css").write_text("p { margin: 0; }\n", encoding="utf-8")
    before = (project / target).read_bytes() if (project / target).exists() else None
    result = build("epub", project, project / target)
    assert (result.returncode, result.stderr) == (1, f"{project / target}:1: {message}\n")
    assert ((project / target).read_bytes() if (project / target).exists() else None) == before


def test_output_onto_a_pipe_is_refused(project, tmp_path):
    os.mkfifo(tmp_path / "pipe")
    result = build("epub", project, tmp_path / "pipe")
    assert (result.returncode, result.stderr) == (
        1, f"{tmp_path / 'pipe'}:1: output is not a regular file (a device, pipe or socket); give a file name\n")
    assert not (tmp_path / "pipe").is_file()


def test_output_into_a_missing_folder_is_refused_and_makes_no_folders(project, tmp_path):
    out = tmp_path / "typo" / "deeper" / "book.epub"
    result = build("epub", project, out)
    assert (result.returncode, result.stderr) == (
        1, f"{out}:1: folder {out.parent} does not exist: create it, or leave out -o to write into the "
           "project's dist/\n")
    assert not (tmp_path / "typo").exists()


def test_output_through_a_symbolic_link_replaces_the_file_it_points_to(project, tmp_path):
    (tmp_path / "real.epub").write_bytes(b"old")
    (tmp_path / "link.epub").symlink_to(tmp_path / "real.epub")
    assert build("epub", project, tmp_path / "link.epub").returncode == 0
    assert (tmp_path / "link.epub").is_symlink() and (tmp_path / "real.epub").read_bytes()[:2] == b"PK"


def test_output_with_a_name_near_the_limit(project, tmp_path):
    out = tmp_path / ("n" * 245 + ".epub")  # 250 characters: the limit is 255
    result = build("epub", project, out)
    assert result.returncode == 0, result.stderr
    assert out.is_file()


@pytest.mark.parametrize("fmt", ["epub", "pdf"])
def test_a_write_that_fails_is_a_problem_and_leaves_nothing(project, tmp_path, fmt):
    out = tmp_path / f"book.{fmt}"
    out.write_bytes(b"the last good book")

    def small_files():  # as a full disk or a quota would: no file may grow past 8 KB
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))

    result = build(fmt, project, out, small_files)
    what = "cannot write the output" if fmt == "epub" else "cannot make the PDF"
    assert (result.returncode, result.stderr) == (1, f"{out}:1: {what}: File too large\n")
    assert out.read_bytes() == b"the last good book"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book", f"book.{fmt}"]


def test_output_into_a_new_folder_inside_the_project_is_made(project):
    out = project / "dist" / "release" / "book.epub"
    assert build("epub", project, out).returncode == 0 and out.is_file()
