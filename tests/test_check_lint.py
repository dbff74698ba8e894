"""bookmaker check's editor warnings, case by case: each fires where it should, at the right line, and
stays quiet where the text is fine."""

from __future__ import annotations

import pytest

from bookmaker.commands.check import lint_chapter
from bookmaker.render.source import without_code
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


def test_characters_the_bundled_typeface_lacks_are_named_at_their_first_line(tmp_path, monkeypatch):
    """Standard Ebooks' Devil's Dictionary: its Greek was set in DejaVu Serif among Spectral, a change of
    face on the printed page that nothing reported. Code (set in monospace), format characters (a word
    joiner, a soft hyphen) and the long dashes print sets as em dashes are not reported; a theme of the
    project's own names its faces, so nothing is checked against Spectral."""
    from bookmaker.model import Book, Metadata
    from bookmaker.pdf import coverage
    from bookmaker.pdf.coverage import uncovered

    monkeypatch.setattr(coverage, "machine_ranges", lambda: ([0], [0x10FFFF]))  # some face has each of them
    body = ("Plain words \u2060and a soft\u00adhyphen, a dash \u2e3a gone.\n\nCode `χ` is code.\n\n"
            "```\nλ in a block\n```\n\nThe word χριστός, in Greek.\nAnd ☃ once.\n")
    chapter = Chapter(number=1, source=tmp_path / "c.md", display_path="c.md", title="A Title", body=body, body_line=5)
    clean = Chapter(number=2, source=tmp_path / "d.md", display_path="d.md", title=None, body="“Fine” — quite…", body_line=3)
    book = Book(root=tmp_path, display_root=".", metadata=Metadata(title="T", authors=("A",)), chapters=(chapter, clean), sources=(), styles=())
    [problem] = uncovered(book)
    assert (problem.path, problem.line, problem.severity, problem.code) == ("c.md", 5 + 8, "warning", "missing-glyphs")
    # ι ρ ς σ τ χ ό ☃ in code-point order, six named; not the λ of the code block, nor the χ of code
    assert problem.message.startswith("'ι' (U+03B9), 'ρ' (U+03C1), 'ς' (U+03C2), 'σ' (U+03C3), 'τ' (U+03C4), "
                                      "'χ' (U+03C7) and 2 more not in the book's typeface, Spectral")
    own = Book(root=tmp_path, display_root=".", metadata=Metadata(title="T", authors=("A",)), chapters=(chapter,), sources=(),
               styles=(("print.css", "body { font-family: 'Noto Serif'; }"),))
    assert uncovered(own) == []


def test_characters_no_typeface_on_the_machine_has_are_said_to_print_as_blanks(tmp_path, monkeypatch):
    """Legge's Tao Te Ching (Standard Ebooks) quotes Chinese, which no face here has: WeasyPrint leaves a
    blank for each (Spectral's empty .notdef), and said so in a line for each character (198 lines), while
    bookmaker's own warning said the PDF set them in another face. Now the characters no face on the
    machine has are named apart, at their own first line, as printing blank; and WeasyPrint's lines, where the project's
    own theme leaves them the only ones, are said once for each layout."""
    import logging

    from bookmaker.model import Book, Metadata
    from bookmaker.pdf import coverage
    from bookmaker.pdf.layout import log_problems

    monkeypatch.setattr(coverage, "machine_ranges", lambda: ([0x20, 0x370], [0x7E, 0x3FF]))  # Latin, Greek
    body = "The way, \u9053, is old.\n\nIn Greek, \u03bb\u03cc\u03b3\u03bf\u03c2, and \u5fb7 too.\n"
    chapter = Chapter(number=1, source=tmp_path / "c.md", display_path="c.md", title="A Title", body=body, body_line=4)
    book = Book(root=tmp_path, display_root=".", metadata=Metadata(title="T", authors=("A",)), chapters=(chapter,),
                sources=(), styles=())
    elsewhere, nowhere = coverage.uncovered(book)
    assert (elsewhere.line, nowhere.line) == (6, 4) and nowhere.code == "missing-glyphs"
    assert elsewhere.message.startswith("'\u03b3' (U+03B3), '\u03bb' (U+03BB), '\u03bf' (U+03BF), '\u03c2' (U+03C2), "
                                        "'\u03cc' (U+03CC) not in the book's typeface")
    assert nowhere.message.startswith("'\u5fb7' (U+5FB7), '\u9053' (U+9053) in no typeface on this machine: the PDF "
                                      "leaves a blank space in place of each; install a font that has them")
    records = [logging.LogRecord("weasyprint", logging.WARNING, "", 0, message, (), None) for message in (
        '.notdef glyph rendered for Unicode string unsupported by fonts: "\u9053" (U+9053)',
        '.notdef glyph rendered for Unicode string unsupported by fonts: "\u5fb7" (U+5FB7)',
        '.notdef glyph rendered for Unicode string unsupported by fonts: "\u9053" (U+9053)')]
    [problem] = log_problems(records, "styles/print.css")
    assert problem.code == "missing-glyphs"
    assert problem.message.startswith("PDF layout: '\u5fb7' (U+5FB7), '\u9053' (U+9053) in no typeface on this machine")


def test_characters_no_typeface_has_in_book_yaml_are_said_there_and_fail_a_printers_preflight(tmp_path, monkeypatch):
    """A tag in Japanese and an emoji in the summary are on the about page, a title on the title and
    contents pages: `check` said nothing of them, `pdf` blamed a styles/print.css the project does not have,
    and `check --printer kdp` passed a book that would print with holes in it. Now they are said at
    book.yaml's line, and a character no face has fails the printer's preflight (blank-glyphs)."""
    from types import SimpleNamespace

    from bookmaker.model import Book, Metadata
    from bookmaker.pdf import coverage, preflight

    monkeypatch.setattr(coverage, "machine_ranges", lambda: ([0x20, 0x1F600], [0x7E, 0x1F64F]))  # Latin, emoji
    (tmp_path / "manuscript").mkdir()
    (tmp_path / "manuscript" / "book.yaml").write_text(
        "title: Quirks\nauthor: A. Writer\nsummary: Mags is not okay \U0001f62d\ntags:\n  Fandom: [\u661f Star]\n",
        encoding="utf-8")
    meta = Metadata(title="Quirks", authors=("A. Writer",), summary="Mags is not okay \U0001f62d",
                    tags=(("Fandom", ("\u661f Star",)),))
    book = Book(root=tmp_path, display_root=str(tmp_path), metadata=meta, chapters=(), sources=(), styles=())
    elsewhere, nowhere = coverage.uncovered(book)
    assert (elsewhere.path, elsewhere.line, nowhere.line) == (str(tmp_path / "manuscript" / "book.yaml"), 3, 5)
    assert elsewhere.message.startswith("'\U0001f62d' (U+1F62D) not in the book's typeface")
    assert nowhere.message.startswith("'\u661f' (U+661F) in no typeface on this machine")
    check = preflight.glyphs_check(SimpleNamespace(book=book))
    assert (check.code, check.status) == ("blank-glyphs", "error") and check.detail.startswith("'\u661f' (U+661F)")
    plain = Book(root=tmp_path, display_root=".", metadata=Metadata(title="Quirks", authors=("A. Writer",)),
                 chapters=(), sources=(), styles=())
    assert coverage.uncovered(plain) == [] and preflight.glyphs_check(SimpleNamespace(book=plain)).status == "pass"


def test_what_a_new_author_types_that_markdown_reads_otherwise_is_said(tmp_path):
    """A helper writing as a new author: a chapter saved as .txt or .markdown was left out of the book in
    silence (the chapters after it numbered one less); a paragraph indented by a tab, as a word processor
    indents, came out as code in a typewriter face; an italic never closed printed its asterisk. Each is a
    warning now; a list item's or a footnote's indented paragraph, a spaced "5 * 3", a "[*]" footnote mark,
    an escaped \\* and a scene break are not."""
    from conftest import run_cli

    manuscript = tmp_path / "book" / "manuscript"
    manuscript.mkdir(parents=True)
    (manuscript / "book.yaml").write_text("title: Orchard\nauthor: A. Writer\ncover: auto\n", encoding="utf-8")
    (manuscript / "01-a.md").write_text(
        "---\ntitle: Night\n---\n\nThe broom swept.\n\n\tThe broom made a sound like rain.\n\n"
        "*Of course he counted, she thought. *Of course he did.*\n\n- a list\n\n    its second paragraph\n\n"
        "Five * three is fifteen, and [*] marks a note, and \\*this too.[^1]\n\n* * *\n\n"
        "[^1]: A note.\n\n    Its second paragraph.\n", encoding="utf-8")
    (manuscript / "02-b.txt").write_text("A chapter saved as text.\n", encoding="utf-8")
    (manuscript / "notes.markdown").write_text("Ideas.\n", encoding="utf-8")
    ran = run_cli("check", tmp_path / "book")
    lines = [line for line in ran.stdout.splitlines() + ran.stderr.splitlines() if ": warning: " in line]
    said = sorted((line.split(": warning: ")[0].rsplit("/", 1)[-1], line.split(": warning: ")[1][:40]) for line in lines)
    assert said == [("01-a.md:17", "the chapter ends with a scene break, whi"),  # scene-break-at-edge
                    ("01-a.md:7", "this paragraph is indented (a tab or fou"),
                    ("01-a.md:9", "an emphasis mark '*' that is never close"),
                    ("02-b.txt:1", "'02-b.txt' is in manuscript/ but is not "),
                    ("notes.markdown:1", "'notes.markdown' is in manuscript/ but i")]


def test_a_scene_break_that_begins_or_ends_a_chapter_is_said(tmp_path):
    """A helper's chapter 5 ended in `* * *`: a lone ornament at the chapter's end, read as a page torn
    off, and no word from `check`. Footnotes after it, set after the text, do not hide it; a break between
    scenes is no warning."""
    from conftest import run_cli

    manuscript = tmp_path / "book" / "manuscript"
    manuscript.mkdir(parents=True)
    (manuscript / "book.yaml").write_text("title: T\nauthor: A\ncover: auto\n", encoding="utf-8")
    (manuscript / "01-a.md").write_text("* * *\n\nA scene.[^1]\n\n* * *\n\n[^1]: A note.\n", encoding="utf-8")
    (manuscript / "02-b.md").write_text("Middle.\n\n* * *\n\nEnd.\n", encoding="utf-8")
    ran = run_cli("check", tmp_path / "book")
    said = [line.split(": warning: ")[0].rsplit("/", 1)[-1] for line in (ran.stdout + ran.stderr).splitlines()
            if "scene-break" in line or "scene break" in line]
    assert said == ["01-a.md:1", "01-a.md:5"]
