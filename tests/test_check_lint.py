"""bookmaker check's editor warnings, case by case: each fires where it should, at the right line, and
stays quiet where the text is fine."""

from __future__ import annotations

import pytest

from bookmaker.commands.check import lint_chapter, without_code
from bookmaker.languages import known_language
from bookmaker.model import Chapter


def chapter(body: str) -> Chapter:
    return Chapter(number=1, source=None, display_path="c.md", title=None, body=body, body_line=1)


def warnings(body: str) -> list[str]:
    return [f"{p.line}: {p.message}" for p in lint_chapter(chapter(body))]


@pytest.mark.parametrize("body", [
    "Use `[^1]` to call a note.\n",
    "Code:\n\n    see [^1] here\n",
    "```\nnotes look like [^1]\n```\n",
    "~~~\n[^1]: and like this\n~~~\n",
    "<code>[^1]</code> and <pre>\n[^2]\n</pre>\n",
    "Two ``code `[^1]` spans`` here.\n",
])
def test_footnote_syntax_inside_code_is_not_a_footnote(body):
    assert warnings(body) == []


def test_footnotes_in_indented_continuations_still_count():
    body = ("A call.[^a]\n\n[^a]: First paragraph.\n\n    Second paragraph calls [^b].\n\n"
            "- item\n\n    more of the item, with [^c]\n")
    assert warnings(body) == ["5: footnote reference [^b] has no footnote",
                              "9: footnote reference [^c] has no footnote",
                              ]


def test_code_is_blanked_with_its_lines_kept():
    text = "a `b` c\n```\nx\n```\nd"
    assert without_code(text).split("\n")[0] == "a     c"
    assert without_code(text).count("\n") == text.count("\n") and len(without_code(text)) == len(text)


@pytest.mark.parametrize(("tag", "known"), [
    ("en", True), ("pt-BR", True), ("yue", True), ("x-klingon", True),
    ("xx", False), ("xyz", False), ("qq", False),
])
def test_language_tags(tag, known):
    assert known_language(tag) is known


def test_private_use_language_tag_builds(tmp_path):
    from conftest import run_cli

    (tmp_path / "manuscript").mkdir()
    (tmp_path / "manuscript" / "book.yaml").write_text("title: T\nauthor: A\nlanguage: x-elvish\ncover: auto\n")
    (tmp_path / "manuscript" / "1.md").write_text("Text.\n")
    result = run_cli("check", tmp_path, "--strict")
    assert result.returncode == 0, result.stdout + result.stderr


def test_straight_quote_written_as_an_entity_is_found_on_its_line(tmp_path):
    from conftest import run_cli

    (tmp_path / "manuscript").mkdir()
    (tmp_path / "manuscript" / "book.yaml").write_text("title: T\nauthor: A\n")
    (tmp_path / "manuscript" / "1.md").write_text("First.\n\nSecond.\n\n<p>She didn&#39;t say &quot;yes&quot;.</p>\n")
    result = run_cli("check", tmp_path)
    lines = [line for line in result.stdout.splitlines() if "straight quote" in line]
    assert len(lines) >= 1 and all(":5: warning: straight quote" in line for line in lines), lines
