"""Books as authors write them (issue 13): chapters opening with '## Title', chapter lists that forget
a file, pasted HTML, and mistakes reported so an author can act on them."""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

from bookmaker import load_book
from bookmaker.commands.check import check
from conftest import epubcheck, problems_of, run_cli

XHTML = "{http://www.w3.org/1999/xhtml}"
NCX = "{http://www.daisy.org/z3986/2005/ncx/}"


def project(tmp_path: Path, chapters: dict[str, str], yaml_extra: str = "") -> Path:
    manuscript = tmp_path / "book" / "manuscript"
    manuscript.mkdir(parents=True)
    (manuscript / "book.yaml").write_text(f"title: Short Stories\nauthor: A. Writer\n{yaml_extra}", encoding="utf-8")
    for name, text in chapters.items():
        (manuscript / name).write_text(text, encoding="utf-8")
    return tmp_path / "book"


PANDOC_CHAPTER = """
## The Lamp at Carrow Point

### I

The keeper wrote the weather down each night.

### II

<h4 style="font-family: Arial" class="MsoHeading">A Letter</h4>

A letter came on the Tuesday boat.

### III

She answered it.
"""


def test_a_chapter_opening_with_a_level_two_heading_takes_it_as_title_and_nests_its_parts(tmp_path):
    book = project(tmp_path, {"01-lamp.md": PANDOC_CHAPTER, "02-plain.md": "# Second\n\nText.\n"},
                   "pdf:\n  contents_depth: 2\n")
    assert [c.title for c in load_book(book).chapters] == ["The Lamp at Carrow Point", "Second"]
    out = tmp_path / "book.epub"
    assert run_cli("epub", book, "-o", out).returncode == 0
    with zipfile.ZipFile(out) as z:
        page = etree.fromstring(z.read("EPUB/chapter-001.xhtml"))
        nav = etree.fromstring(z.read("EPUB/nav.xhtml"))
        ncx = etree.fromstring(z.read("EPUB/toc.ncx"))
    levels = [(el.tag[len(XHTML):], " ".join("".join(el.itertext()).split()))
              for el in page.iter() if isinstance(el.tag, str) and el.tag[len(XHTML):] in ("h1", "h2", "h3", "h4")]
    assert levels == [("h1", "Chapter 1: The Lamp at Carrow Point"), ("h2", "I"), ("h2", "II"), ("h3", "A Letter"),
                      ("h2", "III")]
    first = nav.find(f".//{XHTML}li")
    assert [" ".join(a.text.split()) for a in first.find(f"{XHTML}ol").iter(f"{XHTML}a")] == \
        ["I", "II", "A Letter", "III"]
    assert first.find(f"{XHTML}ol/{XHTML}li[2]/{XHTML}ol/{XHTML}li/{XHTML}a").text == "A Letter"
    assert ncx.find(f".//{NCX}meta[@name='dtb:depth']").get("content") == "3"
    point = ncx.find(f".//{NCX}navPoint")
    assert [t.text for t in point.iterfind(f"{NCX}navPoint/{NCX}navLabel/{NCX}text")] == ["I", "II", "III"]
    assert problems_of(epubcheck(out)) == []

    from pypdf import PdfReader

    pdf = tmp_path / "book.pdf"
    assert run_cli("pdf", book, "-o", pdf).returncode == 0
    reader = PdfReader(pdf)
    chapter = next(item for i, item in enumerate(reader.outline) if getattr(item, "title", "").startswith("Chapter 1"))
    children = reader.outline[reader.outline.index(chapter) + 1]
    assert [c.title for c in children if not isinstance(c, list)] == ["I", "II", "III"]
    contents = next(p.extract_text() for p in reader.pages if "Contents" in p.extract_text())
    assert "III" in contents and "A Letter" not in contents  # depth 2: chapters and their h2


def test_the_printed_contents_shows_chapters_alone_by_default(tmp_path):
    book = project(tmp_path, {"01-lamp.md": PANDOC_CHAPTER})
    pdf = tmp_path / "book.pdf"
    assert run_cli("pdf", book, "-o", pdf).returncode == 0
    from pypdf import PdfReader

    contents = next(p.extract_text() for p in PdfReader(pdf).pages if "Contents" in p.extract_text())
    assert "Carrow Point" in contents and "A Letter" not in contents


def test_a_chapter_list_that_leaves_a_file_out_is_warned_about_by_check_and_builds(tmp_path):
    book = project(tmp_path, {"01-a.md": "One.\n", "02-b.md": "Two.\n", "03-c.md": "Three.\n", ".draft.md": "x\n"},
                   "chapters:\n  - 01-a.md\n  - 03-c.md\n")
    left_out = [p for p in check(book) if p.code == "chapter-left-out"]
    assert [(p.severity, p.line) for p in left_out] == [("warning", 3)] and "02-b.md" in left_out[0].message
    built = run_cli("epub", book, "-o", tmp_path / "b.epub")
    assert built.returncode == 0 and "02-b.md" in built.stderr and "left out" in built.stderr


def test_new_writes_no_chapter_list_so_a_new_chapter_file_is_in_the_book(tmp_path):
    assert run_cli("new", tmp_path / "story").returncode == 0
    (tmp_path / "story" / "manuscript" / "03-more.md").write_text("# More\n\nAnother chapter.\n", encoding="utf-8")
    assert "chapters" not in __import__("yaml").safe_load((tmp_path / "story/manuscript/book.yaml").read_text())
    assert [c.title for c in load_book(tmp_path / "story").chapters][-1] == "More"


PASTED = """# From a Word Processor

<p class="c3" style="font-family: Arial; text-indent: 0"><span style="font-weight:400">She said <b>no</b> and
<i>meant</i> it.</span></p>
<p align="center">* * *</p>
<p>***</p>
<p id="kept">A paragraph a link points to, and <span lang="fr">oui</span>.</p>
<p id="h.gjdgxs">See <a href="#kept">above</a>.</p>
<hr>
The end, with an <span class="c7">inline</span> span.
"""


def test_pasted_html_is_made_plain_with_one_warning_that_says_why(tmp_path):
    book = project(tmp_path, {"01-pasted.md": PASTED, "02-clean.md": "# Clean\n\n*Plain* Markdown.\n"})
    out = tmp_path / "book.epub"
    built = run_cli("epub", book, "-o", out)
    assert built.returncode == 0, built.stderr
    warnings = [line for line in built.stderr.splitlines() if "pasted HTML" in line]
    assert len(warnings) == 1 and warnings[0].startswith(str(book / "manuscript" / "01-pasted.md") + ":3: warning:")
    assert "inline styles" in warnings[0] and "classes" in warnings[0] and "Markdown is simpler" in warnings[0]
    with zipfile.ZipFile(out) as z:
        page = z.read("EPUB/chapter-001.xhtml").decode()
    text = page.split('class="chapter-text">', 1)[1]
    assert "style=" not in text and "c3" not in text and "c7" not in text and "h.gjdgxs" not in text
    assert "<strong>no</strong>" in text and "<em>meant</em>" in text and "<b>" not in text
    assert text.count("<hr class=\"scene-break\" aria-label=\"Scene break\"/>") == 3 and "***" not in text and "* * *" not in text
    assert 'id="kept"' in text and 'lang="fr"' in text and "<span" in text  # a span that says something stays
    assert "an inline span" in text
    assert problems_of(epubcheck(out)) == []


def first_problem(book: Path) -> str:
    ran = run_cli("check", book)
    assert ran.returncode == 1 and "Traceback" not in ran.stderr
    return ran.stdout.splitlines()[0]


def test_yaml_mistakes_are_told_with_their_fix_at_their_line(tmp_path):
    cases = {
        "title: The Long Way Home: A Courier Story\nauthor: Me\n":
            (1, 'put the whole title in quotes: title: "The Long Way Home: A Courier Story"'),
        "title: T\n\tauthor: Me\n": (2, "replace the tab with spaces"),
        "title: T\n  author: Me\n": (2, "start 'author' at the beginning of its line"),
        "title: T\nauthor: Me\nsummary: |\n  The first line.\nA line that lost its indent.\nlanguage: en\n":
            (5, "not indented like the text above it"),
        "title: T\nauthor: Me\ntags:\n  - a\n - b\n": (5, "indentation here does not match"),
    }
    for n, (text, (line, advice)) in enumerate(cases.items()):
        book = project(tmp_path / str(n), {"01.md": "Text.\n"})
        (book / "manuscript" / "book.yaml").write_text(text, encoding="utf-8")
        problem = first_problem(book)
        assert problem.startswith(f"{book / 'manuscript' / 'book.yaml'}:{line}: ") and advice in problem, problem


def test_missing_files_get_the_nearest_name_and_a_case_only_mismatch_is_named(tmp_path):
    from PIL import Image

    book = project(tmp_path, {"01-arrival.md": "![A map](images/map.png)\n", "02-the-bar.md": "Two.\n"},
                   "chapters: [01-arrival.md, 02-the-bra.md]\n")
    (book / "manuscript" / "images").mkdir()
    Image.new("RGB", (20, 20)).save(book / "manuscript" / "images" / "Map.PNG")
    out = run_cli("check", book).stdout
    assert "'02-the-bra.md' not found in manuscript/: did you mean '02-the-bar.md'?" in out
    assert "image 'images/map.png' not found: the file is 'Map.PNG', which differs only in capital letters" in out


def test_the_project_is_found_from_inside_manuscript_and_from_book_yaml_and_o_may_name_a_folder(tmp_path):
    book = project(tmp_path, {"01.md": "# One\n\nText.\n"})
    manuscript = book / "manuscript"
    ran = run_cli("epub", cwd=manuscript)
    assert ran.returncode == 0, ran.stderr
    assert (book / "dist" / "short-stories.epub").is_file() and not (manuscript / "dist").exists()
    ran = run_cli("epub", manuscript / "book.yaml", "-o", tmp_path)
    assert ran.returncode == 0 and ran.stdout.strip() == str(tmp_path / "short-stories.epub")
    assert run_cli("check", manuscript / "images-that-do-not-exist").returncode == 1
    assert "--install-completion" in run_cli("--help").stdout
