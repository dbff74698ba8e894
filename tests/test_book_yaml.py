"""What authors write in book.yaml and front matter is what the book shows: text as typed, typed keys
with their types, and the project folder as the only source. (Refusals are in test_errors.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bookmaker.load.project import load_book
from conftest import run_cli


def project(tmp_path: Path, book_yaml: str, chapters: dict | None = None) -> Path:
    root = tmp_path / "proj"
    (root / "manuscript").mkdir(parents=True)
    (root / "manuscript" / "book.yaml").write_text(book_yaml, encoding="utf-8")
    for name, text in (chapters or {"01.md": "Text.\n"}).items():
        (root / "manuscript" / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    return root


def test_text_keys_keep_what_the_author_typed(tmp_path):
    root = project(tmp_path, "title: 12:30\nsubtitle: .nan\nauthor: 0777\nidentifier: 0x1F\npublisher: 1.10\n"
                             "rights: no\ntags:\n  12:30: [1.10, yes, 0o17]\nseries: {name: 2001, number: 010}\n"
                             "complete: no\ndate: 2026-01-02\n",
                   {"01.md": "---\ntitle: 11:59\nsummary: 1e3\n---\nText.\n"})
    book = load_book(root)
    m = book.metadata
    assert (m.title, m.subtitle, m.authors, m.identifier, m.publisher, m.rights) == (
        "12:30", ".nan", ("0777",), "0x1F", "1.10", "no")
    assert m.tags == (("12:30", ("1.10", "yes", "0o17")),)
    assert (m.series.name, m.series.number) == ("2001", 10)  # a series number is decimal, never octal
    assert m.complete is False and m.date.isoformat() == "2026-01-02"
    assert (book.chapters[0].title, book.chapters[0].summary) == ("11:59", "1e3")


def test_a_translator_is_a_name_or_a_list_of_names_as_an_author_is(tmp_path):
    """A translated book lost its translator: book.yaml had no key to hold one."""
    one = project(tmp_path / "one", "title: T\nauthor: A\ntranslator: Constance Garnett\n")
    two = project(tmp_path / "two", "title: T\nauthor: A\ntranslator:\n  - Richard Pevear\n  - 0777\n")
    none = project(tmp_path / "none", "title: T\nauthor: A\n")
    assert load_book(one).metadata.translators == ("Constance Garnett",)
    assert load_book(two).metadata.translators == ("Richard Pevear", "0777")
    assert load_book(none).metadata.translators == ()


def test_series_numbers_may_be_decimals(tmp_path):
    root = project(tmp_path, "title: T\nauthor: A\nseries: {name: S, number: 2.5}\n")
    assert load_book(root).metadata.series.number == 2.5


def test_empty_tag_groups_are_not_shown_however_written(tmp_path):
    root = project(tmp_path, "title: T\nauthor: A\ntags:\n  Fandom:\n  Rating: [General]\n  Warnings: []\n"
                             "  Characters: ~\n")
    assert load_book(root).metadata.tags == (("Rating", ("General",)),)


def test_zero_margins_with_or_without_a_unit(tmp_path):
    root = project(tmp_path, "title: T\nauthor: A\npdf:\n  trim: a5\n  margins: {top: 0, bottom: 0in, inner: 0.0mm, "
                             "outer: 1cm}\n")
    pdf = load_book(root).metadata.pdf
    assert (pdf.margin_top, pdf.margin_bottom, pdf.margin_inner, pdf.margin_outer) == ("0in", "0in", "0in", "1cm")


def test_markdown_files_are_found_whatever_the_case_of_md(tmp_path):
    root = project(tmp_path, "title: T\nauthor: A\n", {"01.md": "One.\n", "02.MD": "Two.\n", "03.Md": "Three.\n"})
    assert [c.source.name for c in load_book(root).chapters] == ["01.md", "02.MD", "03.Md"]


def test_symbolic_links_inside_the_project_are_followed(tmp_path):
    root = project(tmp_path, "title: T\nauthor: A\n", {"01.md": "One.\n"})
    (root / "drafts").mkdir()
    (root / "drafts" / "two.md").write_text("Two.\n")
    (root / "manuscript" / "02.md").symlink_to(root / "drafts" / "two.md")
    (root / "theme").mkdir()
    (root / "theme" / "epub.css").write_text("p { color: teal; }\n")
    (root / "styles").mkdir()
    (root / "styles" / "epub.css").symlink_to(Path("..") / "theme" / "epub.css")
    book = load_book(root)
    assert [c.body for c in book.chapters] == ["One.\n", "Two.\n"]
    assert book.styles == (("epub.css", "p { color: teal; }\n"),)
    listed = project(tmp_path / "listed", "title: T\nauthor: A\nchapters: [sub/two.md]\n")
    (listed / "drafts").mkdir()
    (listed / "drafts" / "two.md").write_text("Two.\n")
    (listed / "manuscript" / "sub").symlink_to(Path("..") / "drafts")
    assert [c.body for c in load_book(listed).chapters] == ["Two.\n"]


def test_the_stylesheet_checked_is_the_stylesheet_used(tmp_path):
    from bookmaker.load.theme import stylesheet

    root = project(tmp_path, "title: T\nauthor: A\n")
    (root / "styles").mkdir()
    (root / "styles" / "print.css").write_text("p { color: teal; }\n")
    book = load_book(root)
    (root / "styles" / "print.css").write_bytes(b"p { content: '\xe9'; }\n")  # changed after the check
    assert stylesheet(book, "print.css") == "p { color: teal; }\n"
    assert "font" in stylesheet(book, "epub.css")  # not in the project: the built-in theme's


def test_chapter_size_limit_is_read_when_a_book_is_loaded(tmp_path):
    root = project(tmp_path, "title: T\nauthor: A\n", {"01.md": "word " * 200_000})  # about 1 MB
    out = tmp_path / "book.epub"
    out.write_bytes(b"the last good book")
    result = run_cli("epub", root, "-o", out, env={"BOOKMAKER_MAX_CHAPTER_MB": "0.5"})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (f"{root}/manuscript/01.md:1: file is 1.0 MB, over the 0.5 MB limit for one "
                                     "chapter (set BOOKMAKER_MAX_CHAPTER_MB to raise it)")
    for bad in ("abc", "0", "-1", "nan", "inf"):
        result = run_cli("epub", root, "-o", out, env={"BOOKMAKER_MAX_CHAPTER_MB": bad})
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert result.stderr.strip() == (f"BOOKMAKER_MAX_CHAPTER_MB:1: must be a number of megabytes above 0, such "
                                         f"as 20 or 0.5, not '{bad}'")
        assert out.read_bytes() == b"the last good book"
    assert run_cli("epub", root, "-o", out, env={"BOOKMAKER_MAX_CHAPTER_MB": "1.5"}).returncode == 0


def test_a_link_with_a_nul_in_its_name_is_only_a_dead_link(tmp_path):
    root = project(tmp_path, "title: T\nauthor: A\n", {"01.md": "Text.\n\nSee [x](a%00.md).\n"})
    result = run_cli("epub", root, "-o", tmp_path / "b.epub")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (f"{root}/manuscript/01.md:3: warning: link 'a%00.md' does not lead to a chapter "
                                     "of this book; kept as plain text")


def test_warnings_point_at_the_attribute_not_an_earlier_word(tmp_path):
    root = project(tmp_path, "title: T\nauthor: A\ncover: auto\n",
                   {"01.md": "The onclick was lost.\n\nShe drew another.\n\n<p ONCLICK=\"go()\">Hi.</p>\n"})
    result = run_cli("check", root)
    assert result.stdout.strip() == f"{root}/manuscript/01.md:5: warning: removed event handler 'onclick' from raw HTML"


def test_a_file_name_that_is_not_utf8_is_escaped_in_a_json_report(tmp_path):
    root = project(tmp_path, "title: T\nauthor: A\n")
    (root / "manuscript").joinpath(os.fsdecode(b"02-caf\xe9.md")).write_bytes(b"\xff\n")
    result = subprocess.run([sys.executable, "-m", "bookmaker", "check", "--format", "json", str(root)],
                            capture_output=True, timeout=300)
    assert result.returncode == 1
    report = json.loads(result.stdout.decode("utf-8"))  # strict: valid UTF-8
    assert [p["file"] for p in report["problems"]] == [f"{root}/manuscript/02-caf\\xe9.md"]
