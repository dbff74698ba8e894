"""Reproducible builds: the same sources give byte-identical EPUB and PDF files, wherever and whenever
they are built, with or without the cache."""

from __future__ import annotations

import hashlib
import os
import shutil
import time

import pytest

from conftest import REPO, run_cli


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_project(dest):
    shutil.copytree(REPO / "manuscript", dest / "manuscript")  # copy2: modification times are kept
    return dest


@pytest.mark.parametrize("fmt", ["epub", "pdf"])
def test_two_folders_two_times_same_bytes(tmp_path, fmt):
    a, b = copy_project(tmp_path / "a"), copy_project(tmp_path / "somewhere" / "else")
    first = run_cli(fmt, a, "-o", tmp_path / f"a.{fmt}", env={"BOOKMAKER_CACHE_DIR": str(tmp_path / "c1")})
    time.sleep(1.1)  # a zip timestamp or a PDF date taken from the clock would now differ
    second = run_cli(fmt, b, "-o", tmp_path / f"b.{fmt}", env={"BOOKMAKER_CACHE_DIR": str(tmp_path / "c2")})
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert sha(tmp_path / f"a.{fmt}") == sha(tmp_path / f"b.{fmt}")


@pytest.mark.parametrize("fmt", ["epub", "pdf"])
def test_source_date_epoch_sets_the_dates(tmp_path, fmt):
    project = copy_project(tmp_path / "p")
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    one = run_cli(fmt, project, "-o", tmp_path / f"1.{fmt}", env=env)
    os.utime(project / "manuscript" / "book.yaml")  # touched: without the variable the date would move
    two = run_cli(fmt, project, "-o", tmp_path / f"2.{fmt}", env=env, )
    assert one.returncode == two.returncode == 0
    assert sha(tmp_path / f"1.{fmt}") == sha(tmp_path / f"2.{fmt}")
    data = (tmp_path / f"1.{fmt}").read_bytes()
    if fmt == "epub":
        import zipfile

        with zipfile.ZipFile(tmp_path / "1.epub") as z:
            assert b"2023-11-14T22:13:20Z" in z.read("EPUB/content.opf")
            assert {i.date_time[:3] for i in z.infolist()} == {(2023, 11, 14)}
    else:
        import pypdf

        assert pypdf.PdfReader(tmp_path / "1.pdf").metadata["/CreationDate"].startswith("D:20231114")
    assert data


@pytest.mark.parametrize("fmt", ["epub", "pdf"])
def test_cache_and_jobs_never_change_the_bytes(tmp_path, fmt):
    project = copy_project(tmp_path / "p")
    env = {"BOOKMAKER_CACHE_DIR": str(tmp_path / "cache")}
    outs = []
    for i, flags in enumerate((["--no-cache"], [], [], ["--jobs", "1"])):
        out = tmp_path / f"{i}.{fmt}"
        assert run_cli(fmt, project, "-o", out, *flags, env=env).returncode == 0
        outs.append(sha(out))
    assert len(set(outs)) == 1


def test_unchanged_sources_rebuild_identically_without_source_date_epoch(tmp_path):
    project = copy_project(tmp_path / "p")
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    for name in ("1", "2"):
        assert run_cli("build", project, "-q", env=env).returncode == 0
        for built in (project / "dist").iterdir():
            shutil.copy(built, tmp_path / f"{name}{built.suffix}")
        time.sleep(1.1)
    assert sha(tmp_path / "1.epub") == sha(tmp_path / "2.epub")
    assert sha(tmp_path / "1.pdf") == sha(tmp_path / "2.pdf")


def test_pdf_is_reproducible_where_fonts_are_subset_by_fonttools(tmp_path, monkeypatch):
    """Without the HarfBuzz subsetter, WeasyPrint subsets fonts with fontTools, which stamps each font
    with the clock unless told the book's date."""
    import weasyprint.pdf.fonts

    from bookmaker.manuscript import load_book
    from bookmaker.pdf import pdf_bytes
    from bookmaker.render import render_book

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    rendered = render_book(load_book(copy_project(tmp_path / "p")), jobs=1, cache=False)
    first, _ = pdf_bytes(rendered, jobs=1, cache=False)
    time.sleep(1.1)
    second, _ = pdf_bytes(rendered, jobs=1, cache=False)
    assert first == second
    assert "SOURCE_DATE_EPOCH" not in os.environ
