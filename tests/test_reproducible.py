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

    from bookmaker.load.project import load_book
    from bookmaker.pdf.writer import pdf_bytes
    from bookmaker.render import render_book

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    from conftest import FIXTURES

    # A short book: fontTools is slow, and one page of text stamps its fonts as a whole book does.
    shutil.copytree(FIXTURES / "plain", tmp_path / "p")
    rendered = render_book(load_book(tmp_path / "p"), jobs=1, cache=False)
    first, _ = pdf_bytes(rendered, jobs=1, cache=False)
    time.sleep(1.1)
    second, _ = pdf_bytes(rendered, jobs=1, cache=False)
    assert first == second
    assert "SOURCE_DATE_EPOCH" not in os.environ


@pytest.mark.parametrize(("epoch", "modified", "zip_date"), [
    ("0", "1970-01-01T00:00:00Z", (1980, 1, 1)),  # Nix builds with 0; zip dates start in 1980
    ("4354819200", "2108-01-01T00:00:00Z", (2107, 12, 31)),  # and end in 2107
])
def test_source_date_epoch_outside_what_zip_can_hold(tmp_path, epoch, modified, zip_date):
    import zipfile

    from conftest import FIXTURES

    out = tmp_path / "b.epub"
    result = run_cli("epub", FIXTURES / "plain", "-o", out, env={"SOURCE_DATE_EPOCH": epoch})
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as z:
        assert f"<meta property=\"dcterms:modified\">{modified}</meta>" in z.read("EPUB/content.opf").decode()
        assert {i.date_time[:3] for i in z.infolist()} == {zip_date}


@pytest.mark.parametrize(("epoch", "message"), [
    ("yesterday", "must be a whole number of seconds since 1970-01-01 UTC, not 'yesterday'"),
    ("-5", "must be a whole number of seconds since 1970-01-01 UTC, not '-5'"),
    ("999999999999999", "999999999999999 seconds is after the year 9999"),
])
@pytest.mark.parametrize("fmt", ["epub", "pdf"])
def test_a_malformed_source_date_epoch_is_an_error(tmp_path, epoch, message, fmt):
    from conftest import FIXTURES

    out = tmp_path / f"b.{fmt}"
    result = run_cli(fmt, FIXTURES / "plain", "-o", out, env={"SOURCE_DATE_EPOCH": epoch})
    assert (result.returncode, result.stderr) == (1, f"SOURCE_DATE_EPOCH:1: {message}\n")
    assert not out.exists()


def test_a_changed_image_or_stylesheet_dates_the_book_anew(tmp_path, monkeypatch):
    from bookmaker.infra.dates import build_time
    from bookmaker.load.project import load_book

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    project = copy_project(tmp_path / "p")
    later = build_time(load_book(project)).timestamp() + 3600
    os.utime(project / "manuscript" / "images" / "map.png", (later, later))
    assert build_time(load_book(project)).timestamp() == later
    (project / "styles").mkdir()
    (project / "styles" / "epub.css").write_text("p { margin: 0; }\n", encoding="utf-8")
    os.utime(project / "styles" / "epub.css", (later + 60, later + 60))
    assert build_time(load_book(project)).timestamp() == later + 60
