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
