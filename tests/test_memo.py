"""infra/memo.py: what `watch` keeps from one build for the next, and only there."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from bookmaker.infra import memo


def test_outside_a_session_nothing_is_kept():
    made = []
    for _ in range(2):
        assert memo.kept("k", lambda: made.append(1) or "v") == "v"
    assert len(made) == 2 and not memo.active()


def test_a_value_is_kept_for_the_next_build_and_let_go_after_a_build_that_did_not_use_it():
    made = []

    def make(value):
        return lambda: made.append(value) or value

    with memo.session():
        assert memo.active()
        memo.next_build()
        assert memo.kept("a", make("A")) == "A"
        assert memo.kept("b", make("B")) == "B"
        assert memo.kept("a", make("A2")) == "A"  # the same build: made once
        memo.next_build()
        assert memo.kept("a", make("A3")) == "A"  # the next build: kept
        memo.next_build()  # a build that did not ask for "b"...
        memo.next_build()
        assert memo.kept("b", make("B2")) == "B2"  # ...let it go
        assert memo.kept("a", make("A4")) == "A4"
    assert made == ["A", "B", "B2", "A4"]
    assert not memo.active()


def test_none_is_asked_for_again():
    found = [None, b"made since"]
    with memo.session():
        assert memo.kept("entry", lambda: found.pop(0)) is None
        assert memo.kept("entry", lambda: found.pop(0)) == b"made since"
        assert memo.kept("entry", lambda: found.pop(0)) == b"made since"


def test_a_printed_page_kept_in_watch_is_made_again_for_other_print_settings(tmp_path, monkeypatch):
    """page_divs' key holds the book's print settings: a trim size changed in book.yaml reaches the
    pages it changes (a picture made to fit the narrower text), though no page's text changed."""
    import dataclasses

    from lxml import etree

    from bookmaker.load.project import load_book
    from bookmaker.pdf.html import page_divs
    from bookmaker.render import render_book
    from conftest import REPO

    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(tmp_path / "cache"))
    rendered = render_book(load_book(str(REPO)), jobs=1)
    pdf = rendered.book.metadata.pdf
    narrower = dataclasses.replace(rendered, book=dataclasses.replace(
        rendered.book, metadata=dataclasses.replace(rendered.book.metadata, pdf=dataclasses.replace(
            pdf, width="4.25in"))))

    def contents(book) -> list[bytes]:
        return [etree.tostring(div) for page, div in page_divs(book)]

    with memo.session():
        first = contents(rendered)
        assert contents(rendered) == first
        assert contents(narrower) != first
    assert contents(narrower) != contents(rendered)


@pytest.mark.slow
def test_book_yaml_changed_in_watch_makes_every_chapter_as_a_cold_build_does(tmp_path, monkeypatch):
    """What watch keeps from build to build (infra/memo.py) is keyed by all it is made from: the
    chapters' text unchanged, a book-wide setting they are made with still reaches every one."""
    from bookmaker.commands.build import build
    from conftest import REPO, run_cli

    def digests(folder) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((folder / "dist").iterdir())}

    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(tmp_path / "cache"))
    project = tmp_path / "p"
    shutil.copytree(REPO / "manuscript", project / "manuscript")
    yaml = project / "manuscript" / "book.yaml"
    with memo.session():
        build(str(project), formats=("epub",))
        text = yaml.read_text(encoding="utf-8")
        yaml.write_text(text.replace("chapter_label: true", "chapter_label: false"), encoding="utf-8")
        _, outcomes = build(str(project), formats=("epub",))
    assert all(o.ok for o in outcomes)
    fresh = tmp_path / "cold"
    shutil.copytree(project / "manuscript", fresh / "manuscript")
    result = run_cli("epub", fresh, "-q", env={"BOOKMAKER_CACHE_DIR": str(tmp_path / "cold-cache")})
    assert result.returncode == 0, result.stderr
    assert digests(project) == digests(fresh)
