"""Ace by DAISY on every test book's EPUB: 0 violations of any impact. Ace runs once per book per
session; skipped, with the reason, where Ace (npm @daisy/ace) or a Chromium is not installed (.ci/run
installs them)."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from ace import ace, ace_available, ace_violations
from conftest import BOOKS

pytestmark = pytest.mark.skipif(not ace_available(), reason="Ace by DAISY (npm @daisy/ace, ace-puppeteer) or a "
                                "Chromium is not installed: .ci/run installs them")


@pytest.fixture(scope="session")
def ace_reports(built_epubs) -> dict[str, dict]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        names = [n for n in built_epubs if built_epubs[n].result.returncode == 0]
        return dict(zip(names, pool.map(lambda n: ace(built_epubs[n].epub), names)))


@pytest.mark.parametrize("name", BOOKS)
def test_book_has_no_ace_violations(name, built_epubs, ace_reports):
    assert built_epubs[name].result.returncode == 0, built_epubs[name].result.stderr
    assert ace_violations(ace_reports[name]) == []


def test_a_book_with_a_page_list_and_an_auto_cover_has_no_ace_violations(paged_book):
    assert ace_violations(ace(paged_book.epub)) == []


def test_check_ace_runs_ace_and_passes_a_clean_book(built_epubs, tmp_path):
    from conftest import copy_book, run_cli

    # The plain fixture, with the cover --strict asks for: what is checked is that `check --ace` runs Ace
    # and passes a clean book; the sample's own Ace report is test_book_has_no_ace_violations[sample]
    # (Ace on the sample is about twice the CPU of Ace on this book).
    clean = copy_book("plain", tmp_path / "plain")
    with open(clean / "manuscript" / "book.yaml", "a", encoding="utf-8") as f:
        f.write("cover: auto\n")
    checked = run_cli("check", clean, "--ace", "--strict", "--format", "json")
    assert '"code": "ace-missing"' not in checked.stdout and '"code": "ace-failed"' not in checked.stdout
    assert checked.returncode == 0, checked.stdout + checked.stderr
