"""`bookmaker import`: each kind of source made into a project that builds, keeping every paragraph in order and
every piece of metadata; malformed sources refused with one clear problem and nothing left behind."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from bookmaker import BookmakerError, load_book, write_epub
from bookmaker.importers import import_source
from conftest import FIXTURES, epubcheck, png, problems_of, run_cli
from import_sources import (ARCHIVE_HTML, CONTAINER, archive_epub, docx_file, fanficfare_epub, opf2,
                            standard_ebooks_folder, xhtml, zip_with)

# Straight and curly, one dash or another: the built book's smart punctuation may change either.
FOLD = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "—": "-", "–": "-", "\u2060": None, "\xa0": " "})


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(FOLD).replace("...", "…").replace("--", "-")
    return re.sub(r"\s+", " ", text).strip()


def built_text(project: Path, tmp_path: Path) -> tuple[str, Path]:
    out = tmp_path / "built.epub"
    write_epub(load_book(project), out)
    with zipfile.ZipFile(out) as z:
        opf = BeautifulSoup(z.read("EPUB/content.opf"), "lxml-xml")
        items = {i["id"]: i["href"] for i in opf.find_all("item")}
        pages = [z.read("EPUB/" + items[ref["idref"]]) for ref in opf.find_all("itemref")]
    text = " ".join(BeautifulSoup(page, "lxml-xml").get_text() for page in pages)
    return norm(text), out


def assert_in_order(paragraphs: list[str], text: str) -> None:
    at = 0
    for paragraph in paragraphs:
        found = text.find(norm(paragraph), at)
        assert found >= 0, f"missing or out of order: {paragraph!r}"
        at = found + len(norm(paragraph))


def source_paragraphs(html: str | bytes, selector: str = "p") -> list[str]:
    soup = BeautifulSoup(html, "lxml")
    out = []
    for p in soup.select(selector):
        text = p.get_text(" ", strip=True)
        if text and not re.fullmatch(r"[*\s]+", text):
            out.append(text)
    return out


def book_yaml(project: Path) -> dict:
    return yaml.safe_load((project / "manuscript" / "book.yaml").read_text(encoding="utf-8"))


def chapters(project: Path) -> list[tuple[dict, str]]:
    out = []
    for path in sorted((project / "manuscript").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        front, body = {}, text
        if text.startswith("---\n"):
            head, body = text[4:].split("\n---\n\n", 1)
            front = yaml.safe_load(head)
        out.append((front, body))
    return out


ARCHIVE_YAML = {
    "title": "The Lighthouse Ledger", "author": ["quillandlantern", "Marisol_Vey"], "language": "en",
    "summary": "A keeper's daughter finds her late father's ledger and learns the light was never *only* for "
               "ships.\n\nWritten for the **Seaside Exchange**.",
    "notes": "This picks up a year after *Low Tide*. You don't need to have read it first.",
    "end_notes": "Come and say hello on the *Harbour Lights* discord.",
    "tags": {"Rating": ["Teen And Up Audiences"], "Archive Warning": ["No Archive Warnings Apply"],
             "Categories": ["F/M", "Gen"], "Fandom": ["Original Work"],
             "Relationships": ["Wren/Tobias Hale", "Wren & The Sea"],
             "Characters": ["Wren (Original Character)", "Tobias Hale", "The Harbourmaster"],
             "Additional Tags": ["Lighthouses", "Slow Burn", "Found Family"]},
    "series": {"name": "Harbour Lights", "number": 2}, "date": "2023-04-02", "updated": "2023-06-18",
    "complete": False, "source": "https://archiveofourown.org/works/99887766",
}
ARCHIVE_CHAPTERS = [
    {"title": "The Keeper's Book", "summary": "Wren climbs the tower one last time.",
     "notes": "Thank you to my beta, who knows far more about lamps than I do.",
     "end_notes": "The stair count is real; I climbed them in the rain."},
    {"title": "Names in Ink", "notes": "A shorter one, sorry!"},
    {"end_notes": "One more chapter to go. Thank you for every comment."},
]


def check_archive_project(project: Path, tmp_path: Path) -> Path:
    assert book_yaml(project) == ARCHIVE_YAML
    found = chapters(project)
    assert [front for front, _ in found] == ARCHIVE_CHAPTERS
    bodies = "\n".join(body for _, body in found)
    for furniture in ("Posted originally", "See the end", "Preface", "Afterword", "Chapter 1", "comment",
                      "<span", "style="):
        assert furniture not in bodies
    assert "*not* ships" in bodies and "**Nobody**" in bodies and "\n* * *\n" in bodies
    assert "\n\\# not a heading" in bodies  # a paragraph that starts with "#" stays a paragraph
    text, epub = built_text(project, tmp_path)
    soup = BeautifulSoup(ARCHIVE_HTML.read_bytes(), "lxml")
    body_paragraphs = [p.get_text() for d in soup.select("#chapters div.userstuff")
                       for p in d.find_all("p") if not re.fullmatch(r"[*\s]+", p.get_text())]
    assert len(body_paragraphs) == 14
    assert_in_order(body_paragraphs, text)
    return epub


def test_archive_html_download(tmp_path):
    project = import_source(ARCHIVE_HTML, tmp_path / "ledger")
    assert project == tmp_path / "ledger"
    assert [p.name for p in sorted((project / "manuscript").iterdir())] == [
        "01-the-keepers-book.md", "02-names-in-ink.md", "03-chapter.md", "book.yaml"]
    check_archive_project(project, tmp_path)


def test_archive_epub_download(tmp_path):
    project = import_source(archive_epub(tmp_path / "The_Lighthouse_Ledger.epub"), tmp_path / "from-epub")
    check_archive_project(project, tmp_path)



def test_a_chapter_told_in_diary_entries_is_the_chapters_text_and_a_letter_quoted_in_it_a_quotation(tmp_path):
    """Standard Ebooks' Dracula sets each diary entry and letter as a <blockquote> of its type: as
    quotations, nearly all of the novel was printed at a quotation's narrower measure. Where they hold most
    of a chapter they are its text; a letter inside an entry, or quoted in a chapter told otherwise, stays a
    quotation."""
    entry = '<blockquote epub:type="z3998:diary-entry"><p><i>{date}.</i>—{text}</p>{inner}</blockquote>'
    letter = ('<blockquote epub:type="z3998:letter"><p>Dear Ada, the lamps are lit.</p>'
              '<p epub:type="z3998:valediction">Yours, Tom.</p></blockquote>')
    diary = ('<section id="chapter-1" epub:type="chapter z3998:diary"><h2>The Keeper\'s Journal</h2>'
             + entry.format(date="3 May", text="The fog came in at noon and stayed.", inner=letter)
             + entry.format(date="4 May", text="The fog lifted. " * 12, inner="") + "</section>")
    told = ('<section id="chapter-2" epub:type="chapter"><h2>The Harbour</h2>'
            + "<p>" + "The harbour was quiet that night, and nobody came down to the quay. " * 8 + "</p>"
            + letter + "<p>" + "She folded the letter and walked home along the sea wall. " * 8 + "</p></section>")
    files = ["OEBPS/one.xhtml", "OEBPS/two.xhtml"]
    source = zip_with(tmp_path / "journal.epub", {
        "mimetype": "application/epub+zip", "META-INF/container.xml": CONTAINER.format("content.opf"),
        "content.opf": opf2('<dc:title>The Keeper</dc:title><dc:creator>Ines Calder</dc:creator>'
                            '<dc:language>en</dc:language><dc:identifier id="uid">x</dc:identifier>', files),
        "toc.ncx": "<ncx/>", files[0]: xhtml(diary), files[1]: xhtml(told)})
    found = chapters(import_source(source, tmp_path / "journal"))
    first, second = found[0][1], found[1][1]
    assert first.startswith("*3 May.*—The fog came in at noon and stayed.\n\n> Dear Ada"), first
    assert "\n*4 May.*—The fog lifted." in first and "\n> *4 May" not in first
    assert "\n> Dear Ada, the lamps are lit." in second  # a letter quoted in the story: still a quotation


@pytest.mark.skipif(shutil.which("ebook-convert") is None, reason="Calibre's ebook-convert is not installed")
@pytest.mark.parametrize("kind", ["epub", "html"])
def test_an_archive_download_converted_by_calibre_imports_as_the_download(tmp_path, kind):
    """calibre's EPUB to EPUB renames and merges the download's classes (`calibre1`…): it came in as an EPUB
    of chapters, the preface page the first, the tags, summary, notes and end notes lost, and the chapters'
    titles with their numbers. From the HTML download, calibre splits the preface in two pages, each with
    its id: the summary and notes, on the second, were lost. Each now imports as the download itself, but
    for the cover calibre adds."""
    download = archive_epub(tmp_path / "The_Lighthouse_Ledger.epub") if kind == "epub" else ARCHIVE_HTML
    converted = tmp_path / "converted.epub"
    subprocess.run(["ebook-convert", str(download), str(converted)], capture_output=True, timeout=300, check=True,
                   env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    with zipfile.ZipFile(converted) as zf:  # calibre did restyle it: the test reads what it means to
        assert any(b'class="calibre' in zf.read(n) for n in zf.namelist() if n.endswith("html"))
    expected = import_source(download, tmp_path / "from-download")
    project = import_source(converted, tmp_path / "from-calibre")
    meta = book_yaml(project)
    meta.pop("cover", None)
    assert meta == book_yaml(expected)
    assert chapters(project) == chapters(expected)

def test_default_folder_is_named_after_the_title(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert import_source(ARCHIVE_HTML) == Path.cwd() / "the-lighthouse-ledger"


def test_fanficfare_epub(tmp_path):
    source, paragraphs = fanficfare_epub(tmp_path / "fff.epub")
    project = import_source(source, tmp_path / "fff")
    meta = book_yaml(project)
    assert meta == {
        "title": "Salt and Signal", "author": ["Perrin Ashgrove", "Juno Castellane"], "language": "en",
        "summary": "Two radio operators on opposite coasts argue every night.\n\nThen one night the other "
                   "end goes *quiet*.",
        "tags": ["Romance", "Drama", "Radio"], "series": {"name": "Static Hearts", "number": 3},
        "date": "2021-09-14", "updated": "2022-01-30", "complete": True,
        "source": "https://www.fanfiction.net/s/1234567/1/Salt-and-Signal", "publisher": "www.fanfiction.net"}
    found = chapters(project)
    assert [f.get("title") for f, _ in found] == ["Dead Air", "Call Sign", "Clear Channel"]
    bodies = "\n".join(b for _, b in found)
    assert "Title Page" not in bodies and "Table of Contents" not in bodies and "Summary:" not in bodies
    assert "\n* * *\n" in bodies and "*Over*" in bodies
    assert "![A map of the two coasts, with a dotted line between them](images/coasts.png)" in bodies
    assert (project / "manuscript" / "images" / "coasts.png").is_file()
    text, _ = built_text(project, tmp_path)
    assert_in_order(paragraphs, text)


def with_cover(source: Path, out: Path, width: int, height: int) -> Path:
    """The FanFicFare EPUB with a JPEG cover, named as EPUB 2 names it (and FanFicFare, and Calibre):
    `<meta name="cover">` giving the manifest id of the picture."""
    import io

    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (width, height), (90, 40, 60)).save(picture, "JPEG")
    with zipfile.ZipFile(source) as z:
        entries = {name: z.read(name) for name in z.namelist()}
    opf = entries["content.opf"].decode()
    opf = opf.replace("</metadata>", '<meta name="cover" content="cover-jpg"/></metadata>')
    opf = opf.replace("</manifest>", '<item id="cover-jpg" href="OEBPS/images/cover.jpg" media-type="image/jpeg"/>'
                                     "</manifest>")
    entries |= {"content.opf": opf.encode(), "OEBPS/images/cover.jpg": picture.getvalue()}
    return zip_with(out, entries)


def test_an_epub_cover_comes_in_as_the_books_cover(tmp_path):
    """EPUB 2's `<meta name="cover">` here; EPUB 3's `cover-image` in the round trip below. A picture smaller
    than the stores take (625 × 1000) is left out: the book would not build with it."""
    source, _ = fanficfare_epub(tmp_path / "fff.epub")
    project = import_source(with_cover(source, tmp_path / "covered.epub", 625, 1000), tmp_path / "covered")
    assert book_yaml(project)["cover"] == "images/cover.jpg"
    with zipfile.ZipFile(tmp_path / "covered.epub") as z:
        assert (project / "manuscript" / "images" / "cover.jpg").read_bytes() == z.read("OEBPS/images/cover.jpg")
    load_book(project)  # it builds with the cover
    small = import_source(with_cover(source, tmp_path / "small.epub", 300, 480), tmp_path / "small")
    assert "cover" not in book_yaml(small) and not (small / "manuscript" / "images" / "cover.jpg").exists()


def test_an_epub_bookmaker_made_comes_back_as_its_project(tmp_path, built_epubs):
    """The sample book's EPUB imported: the "About This Story" page gives the tags by group, the notes, the
    summary with its emphasis, the date updated and whether the story is complete, and is no chapter; the
    end notes page gives the end notes; each chapter its title, summary, notes and end notes as front
    matter, not as headings in its text; the cover comes back."""
    from conftest import REPO

    project = import_source(built_epubs["sample"].epub, tmp_path / "back")
    original = yaml.safe_load((REPO / "manuscript" / "book.yaml").read_text(encoding="utf-8"))
    meta = book_yaml(project)
    # An edition's own, the order the files' names now give, and the settings of the print layout.
    left = {"identifier", "chapters", "chapter_label", "pdf"}
    assert set(meta) == set(original) - left
    for key in set(original) - left:
        want, got = original[key], meta[key]
        if isinstance(want, str):
            assert norm(got) == norm(want), key
        elif key in ("date", "updated"):
            assert got == want.isoformat(), key
        else:
            assert got == want, key
    assert (project / "manuscript" / meta["cover"]).read_bytes() == (REPO / "manuscript" / original["cover"]).read_bytes()
    found = chapters(project)
    written = [(REPO / "manuscript" / name).read_text(encoding="utf-8") for name in original["chapters"]]
    assert len(found) == len(written)
    for (front, body), text in zip(found, written):
        head, own_body = text[4:].split("\n---\n", 1)
        want = yaml.safe_load(head)
        heading = re.match(r"\s*# (.+)\n", own_body)  # a title given as the text's first heading
        if heading:
            want["title"], own_body = heading.group(1), own_body[heading.end():]
        assert {k: norm(v) for k, v in front.items()} == {k: norm(v) for k, v in want.items()}
        assert "## " not in body and norm(own_body)[:200] == norm(body)[:200]
    load_book(project)


def test_an_epub_bookmaker_made_keeps_its_translator_and_authors(tmp_path, built_epubs):
    """The translator bookmaker writes as a contributor with the role trl comes back as `translator`."""
    project = import_source(built_epubs["every-key"].epub, tmp_path / "back")
    meta = book_yaml(project)
    original = yaml.safe_load((built_epubs["every-key"].project / "manuscript" / "book.yaml").read_text(encoding="utf-8"))
    assert (meta["author"], meta["translator"]) == (original["author"], original["translator"]) == (
        ["Iris Vantongeren", "Paz Okonjo-Reyes"], "Tomasz Wrzesień")
    assert load_book(project).metadata.translators == ("Tomasz Wrzesień",)


def test_epub2_contributors_with_the_role_trl_are_the_translators():
    """EPUB 2 names the role in an attribute (`opf:role="trl"`), as Project Gutenberg's and calibre's EPUBs do."""
    from lxml import etree

    from bookmaker.importers.epub import opf_metadata

    opf = etree.fromstring(
        '<package xmlns="http://www.idpf.org/2007/opf" xmlns:opf="http://www.idpf.org/2007/opf" version="2.0">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Anna Karenina</dc:title>'
        '<dc:creator opf:role="aut">Leo Tolstoy</dc:creator><dc:contributor opf:role="trl">Louise Maude'
        '</dc:contributor><dc:creator opf:role="trl">Aylmer Maude</dc:creator>'
        '<dc:contributor opf:role="edt">An Editor</dc:contributor><dc:contributor>calibre (7.0)</dc:contributor>'
        '</metadata></package>')
    meta = opf_metadata(opf, None)
    assert (meta["author"], meta["translator"]) == ("Leo Tolstoy", ["Louise Maude", "Aylmer Maude"])


def test_a_chapter_title_bookmaker_made_keeps_its_emphasis(tmp_path):
    """A bookmaker EPUB's chapter titles came back as plain text: "The *Lost* Key" as "The Lost Key"."""
    project = tmp_path / "titled"
    (project / "manuscript").mkdir(parents=True)
    (project / "manuscript" / "book.yaml").write_text("title: Titled\nauthor: A. Writer\nlanguage: en\n")
    titles = ["The *Lost* Key", "A **Bold** Move, and *Another*", "Plain Words"]
    for number, title in enumerate(titles, 1):
        (project / "manuscript" / f"{number:02d}.md").write_text(
            f'---\ntitle: "{title}"\n---\n\nSome words of chapter {number}.\n', encoding="utf-8")
    epub = tmp_path / "titled.epub"
    write_epub(load_book(project), epub)
    back = import_source(epub, tmp_path / "back")
    assert [front.get("title") for front, _ in chapters(back)] == titles


def test_a_kepub_bookmaker_made_comes_back_as_its_epub_does(tmp_path, built_epubs):
    """A Kobo kepub wraps each page's content in two <div>s and every sentence in a span: the dedication and
    bookmaker's own pages were read as chapters. It now imports as the EPUB it was made from."""
    from bookmaker.epub.kepub import kepubify

    kepub = tmp_path / "sample.kepub.epub"
    kepub.write_bytes(kepubify(built_epubs["sample"].epub.read_bytes()))
    from_kepub = import_source(kepub, tmp_path / "from-kepub")
    from_epub = import_source(built_epubs["sample"].epub, tmp_path / "from-epub")
    assert book_yaml(from_kepub) == book_yaml(from_epub) and book_yaml(from_kepub)["dedication"]
    assert chapters(from_kepub) == chapters(from_epub)


def test_unpacked_standard_ebooks_folder(tmp_path):
    source = standard_ebooks_folder(tmp_path / "src")
    project = import_source(source, tmp_path / "se")
    meta = book_yaml(project)
    # The author is also annotator and dedicator: roles after `aut` (Standard Ebooks' Treasure Island) hid it.
    assert meta["title"] == "The Tidewater Papers" and meta["author"] == "Ada Merriweather"
    assert meta["series"] == {"name": "Tidewater", "number": 1} and meta["language"] == "en-GB"
    # A contributor with the role trl is the translator (Crime and Punishment's Constance Garnett was lost);
    # the artist, another contributor, is not.
    assert meta["translator"] == "Constance Garnett"
    # rights is plain text: the Markdown link Standard Ebooks writes in dc:rights as a printed page reads it
    assert meta["rights"] == ("Dedicated to the public domain via the CC0 1.0 Dedication "
                              "(https://creativecommons.org/publicdomain/zero/1.0/).")
    # The edition's date (dc:date, 2020) is not the book's first publication: the copyright page would say
    # "First published March 1, 2020" of a public-domain text.
    assert "date" not in meta and "updated" not in meta, meta
    found = chapters(project)
    # Chapter III's heading is only its number: the line under it that names the chapter is its title.
    assert [f.get("title") for f, _ in found] == ["The Harbour Office", "A Question of Ballast",
                                                  "In which the ballast is found wanting."]
    assert "In which the ballast" not in found[2][1] and "The mate counted" in found[2][1]
    first = found[0][1]
    assert "## I\n" in first and "## II\n" in first
    assert "the tide tables[^1]" in first and "[^1]: Printed yearly" in first
    assert not any("Imprint" in b or "Colophon" in b or "Endnotes" in b for _, b in found)
    text, _ = built_text(project, tmp_path)
    assert "Printed yearly by the harbour board" in text


@pytest.mark.parametrize("heading, first", [
    ('<h2 epub:type="title">Dedication</h2>', "Sir:"),  # says what the page is: left out
    ('<h2 epub:type="title">To <abbr epub:type="z3998:given-name">M.</abbr> Ortolan, Keeper of the Light</h2>',
     "To M. Ortolan, Keeper of the Light"),  # whom a dedicatory letter is for: its first line
    ("", "Sir:"),
])
def test_a_dedications_heading_is_kept_where_it_names_whom_the_book_is_for(tmp_path, monkeypatch, heading, first):
    """Standard Ebooks heads a dedicatory letter with its addressee (Wollstonecraft's "To M. Talleyrand
    Perigord, Late Bishop of Autun"): the import left every heading out, and with it whom the book is for."""
    import import_sources

    monkeypatch.setitem(import_sources.SE_PAGES, "dedication", f'<section id="dedication" epub:type="dedication">'
                        f'{heading}<p>Sir:</p><p>I send you these papers from the harbour.</p></section>')
    project = import_source(standard_ebooks_folder(tmp_path / "src"), tmp_path / "se")
    dedication = book_yaml(project)["dedication"]
    letter = ["Sir:", "I send you these papers from the harbour."]
    assert dedication.split("\n\n") == (letter if first == "Sir:" else [first, *letter])
    assert len(chapters(project)) == 3  # the dedication is no chapter


def test_a_page_the_contents_name_without_a_heading_is_a_chapter_of_its_own(tmp_path, monkeypatch):
    """Standard Ebooks' Dracula opens with a preface that has no heading; the contents call it "Preface".
    Joined to the chapter after it (as a page without a heading is), it was read as the first page of
    Jonathan Harker's journal. Now it is a chapter named as the contents name it, and the book keeps
    the source's numbering ("I" after a "Preface"). A picture alone still goes with the page before it,
    and an epigraph now leads the chapter after it (Frankenstein's ended its preface). A second line
    under a chapter's number begins its text, not a heading (it was made one)."""
    import import_sources

    pages = {key: import_sources.SE_PAGES[key] for key in ("titlepage", "imprint")}
    pages["preface"] = '<section id="preface" epub:type="preface"><p>These papers were found in a trunk.</p></section>'
    pages["frontispiece"] = '<section id="frontispiece"><figure><img alt="A ship." src="../images/ship.png"/></figure></section>'
    pages["epigraph"] = ('<section id="epigraph" epub:type="epigraph"><blockquote><p>The sea keeps what it takes.'
                         '</p></blockquote></section>')
    pages["chapter-1"] = ('<section id="c1" epub:type="chapter"><header><h2 epub:type="z3998:ordinal z3998:roman">I'
                          '</h2><p epub:type="se:bridgehead">The Keeper’s Journal.</p><p epub:type="se:bridgehead">'
                          '(<i>Kept in pencil.</i>)</p></header><p>The lamp was lit at six.</p></section>')
    pages["chapter-2"] = ('<section id="c2" epub:type="chapter"><h2 epub:type="z3998:ordinal z3998:roman">II</h2>'
                          '<p>The fog came in.</p></section>')
    monkeypatch.setattr(import_sources, "SE_PAGES", pages | {"colophon": import_sources.SE_PAGES["colophon"]})
    monkeypatch.setattr(import_sources, "SE_LABELS", {"preface": "Preface", "epigraph": "Epigraph",
                                                      "frontispiece": "Frontispiece", "chapter-1": "I",
                                                      "chapter-2": "II"})
    source = standard_ebooks_folder(tmp_path / "src")
    (source / "epub" / "images").mkdir()
    png(source / "epub" / "images" / "ship.png", 40, 30)
    project = import_source(source, tmp_path / "se")
    found = chapters(project)
    assert [f.get("title") for f, _ in found] == ["Preface", "I: The Keeper’s Journal.", "II"]
    assert book_yaml(project)["chapter_label"] is False
    # the picture with the page before it, as a page of a chapter split in two; the epigraph leads
    assert found[0][1].startswith("These papers were found in a trunk.\n\n![A ship.](images/")
    assert found[1][1] == "> The sea keeps what it takes.\n\n(*Kept in pencil.*)\n\nThe lamp was lit at six.\n"


def test_a_table_footer_comes_in_as_the_table_s_last_row():
    """A Markdown table has no footer: markdownify made a bill's total (<tfoot>, Poe's 'The Business Man')
    a second table under an empty header row. It is the table's last row."""
    from bookmaker.importers.markdown import html_to_markdown

    html = ("<table><thead><tr><td/><th>Dues</th></tr></thead><tbody><tr><td>Oil</td><td>4</td></tr>"
            "<tr><td>Rope</td><td>7</td></tr></tbody><tfoot><tr><td/><td>11</td></tr></tfoot></table>")
    rows = [line for line in html_to_markdown(html, "bill.xhtml", None).splitlines() if line.startswith("|")]
    assert len(rows) == 5 and rows[-1].replace(" ", "") == "||11|" and rows[-2].replace(" ", "") == "|Rope|7|"


def test_a_page_named_as_a_page_of_headings_alone_before_it_is_a_chapter_of_its_own(tmp_path, monkeypatch):
    """Standard Ebooks' Ulysses: part "I" is a page holding its heading alone, and the untitled episode
    after it is called "I" in the contents too. Taken for that page named again (the rest of a chapter
    split in two), the episode was joined to the next one and the book began at "II"."""
    import import_sources

    pages = {key: import_sources.SE_PAGES[key] for key in ("titlepage", "imprint")}
    pages["part-1"] = '<section id="part-1" epub:type="part"><h2 epub:type="z3998:ordinal z3998:roman">I</h2></section>'
    pages["chapter-1"] = ('<section id="chapter-1" data-parent="part-1" epub:type="chapter">'
                          "<p>The lamp was lit at six.</p></section>")
    pages["chapter-2"] = ('<section id="chapter-2" data-parent="part-1" epub:type="chapter">'
                          "<p>The fog came in at nine.</p></section>")
    monkeypatch.setattr(import_sources, "SE_PAGES", pages | {"colophon": import_sources.SE_PAGES["colophon"]})
    monkeypatch.setattr(import_sources, "SE_LABELS", {"part-1": "I", "chapter-1": "I", "chapter-2": "II"})
    project = import_source(standard_ebooks_folder(tmp_path / "src"), tmp_path / "se")
    assert [body for _, body in chapters(project)] == ["The lamp was lit at six.\n", "The fog came in at nine.\n"]


def test_a_part_page_headed_part_and_its_number_alone_is_a_chapter_of_its_own(tmp_path, monkeypatch):
    """Standard Ebooks' Crime and Punishment: each of its six parts is a page holding only "Part I" (a
    label and a number, no title left once the number is taken off). Those pages were dropped without a
    word, and its contents read "I … VII, I … VII, I … VI": as the README says, a part page is a chapter
    of its own, with no text, which check warns of."""
    import import_sources

    pages = {key: import_sources.SE_PAGES[key] for key in ("titlepage", "imprint")}
    for n, roman in ((1, "I"), (2, "II")):
        pages[f"part-{n}"] = (f'<section id="part-{n}" epub:type="part"><h2><span epub:type="se:label">Part</span> '
                              f'<span epub:type="z3998:ordinal z3998:roman">{roman}</span></h2></section>')
        pages[f"chapter-{n}-1"] = (f'<section id="chapter-{n}-1" data-parent="part-{n}" epub:type="chapter">'
                                   f'<h3 epub:type="z3998:roman">I</h3><p>Day {n} began with rain.</p></section>')
    monkeypatch.setattr(import_sources, "SE_PAGES", pages | {"colophon": import_sources.SE_PAGES["colophon"]})
    monkeypatch.setattr(import_sources, "SE_LABELS", {"part-1": "Part I", "chapter-1-1": "I", "part-2": "Part II",
                                                      "chapter-2-1": "I"})
    project = import_source(standard_ebooks_folder(tmp_path / "src"), tmp_path / "se")
    assert [(front.get("title"), body.strip()) for front, body in chapters(project)] == [
        ("Part I", ""), ("I", "Day 1 began with rain."), ("Part II", ""), ("I", "Day 2 began with rain.")]
    assert run_cli("check", project).stdout.count("warning: chapter has no text") == 2


SYNOPSIS = ("The author sails for the islands of the east. A storm described. The crew take to the boats, "
            "and he alone reaches the shore, where he is found by the keepers of a lighthouse.")


@pytest.mark.parametrize("lines, summaries", [
    # Gulliver's Travels: each chapter's bridgehead a synopsis of some thirty words
    ((SYNOPSIS, "A further account of the *lighthouse*.", SYNOPSIS), True),
    # A Vindication of the Rights of Woman: titles ("Parental affection."), one of them thirty words long
    (("Duty to parents.", SYNOPSIS, "On national education."), False),
])
def test_chapter_synopses_under_their_numbers_become_summaries(tmp_path, monkeypatch, lines, summaries):
    """Standard Ebooks marks a chapter's name under its number and a chapter's synopsis alike
    (se:bridgehead). Swift's synopses, as titles, set seven-line chapter openings and five pages of
    contents. Where the book's lines run to more than twenty words (their median), each is its chapter's
    summary and the chapter is headed by its number; a book of short titles keeps them, the long one too."""
    import import_sources

    pages = {key: import_sources.SE_PAGES[key] for key in ("titlepage", "imprint")}
    for number, (roman, line) in enumerate(zip(("I", "II", "III"), lines), 1):
        markup = line.replace("*lighthouse*", "<i>lighthouse</i>")
        pages[f"chapter-{number}"] = (
            f'<section id="c{number}" epub:type="chapter"><header><h2 epub:type="z3998:ordinal z3998:roman">'
            f'{roman}</h2><p epub:type="se:bridgehead">{markup}</p></header><p>Text {number}.</p></section>')
    monkeypatch.setattr(import_sources, "SE_PAGES", pages | {"colophon": import_sources.SE_PAGES["colophon"]})
    project = import_source(standard_ebooks_folder(tmp_path / "src"), tmp_path / "se")
    found = chapters(project)
    assert [body for _, body in found] == ["Text 1.\n", "Text 2.\n", "Text 3.\n"]
    if summaries:
        assert [(f.get("title"), f.get("summary")) for f, _ in found] == [(None, line) for line in lines]
        assert "chapter_label" not in book_yaml(project)  # numbered I, II, III: as bookmaker numbers them
    else:
        assert [(f.get("title"), f.get("summary")) for f, _ in found] == [(line, None) for line in lines]
    text, _ = built_text(project, tmp_path)
    assert ("Chapter 1 Summary The author sails" in text) is summaries
    assert ("Chapter 2: The author sails" in text) is not summaries


def test_a_heading_groups_hidden_subtitle_names_its_chapter_and_is_not_its_text(tmp_path, monkeypatch):
    """Standard Ebooks names a poem without a title of its own by its first line, hidden: Keats's 14 sonnets
    and songs came in as chapters all titled "Sonnet" (the contents could not tell them apart), each
    opening with the hidden line, its first line printed twice. The hidden line now follows the title, as
    the source's own contents has it."""
    import import_sources

    pages = {key: import_sources.SE_PAGES[key] for key in ("titlepage", "imprint")}
    for number, line in enumerate(("Happy Is England!", "How Many Bards"), 1):
        pages[f"poem-{number}"] = (
            f'<section id="p{number}" epub:type="z3998:poem"><hgroup><h2 epub:type="title">Sonnet</h2>'
            f'<p hidden="hidden" epub:type="subtitle">{line}</p></hgroup><p><span>{line} the line goes on</span></p>'
            '</section>')
    monkeypatch.setattr(import_sources, "SE_PAGES", pages | {"colophon": import_sources.SE_PAGES["colophon"]})
    found = chapters(import_source(standard_ebooks_folder(tmp_path / "src"), tmp_path / "se"))
    assert [f.get("title") for f, _ in found] == ["Sonnet: Happy Is England!", "Sonnet: How Many Bards"]
    assert [body for _, body in found] == ["Happy Is England! the line goes on\n", "How Many Bards the line goes on\n"]


@pytest.mark.parametrize("note_words, split", [(0, False), (40, True)])
def test_an_epub_page_holding_a_long_part_is_split_at_its_chapters(tmp_path, monkeypatch, note_words, split):
    """Standard Ebooks' Divine Comedy holds each of its three parts on one page, 34 cantos in each: the
    parts came in as three chapters of about 100,000 words with their notes, and each was laid out as one
    document (110 s and 739 MB for the PDF). A page's part of PART_WORDS or more (here made small),
    counting the words of the notes it calls, is split at its chapters; the part's heading heads what
    comes before the first of them. A page short of it stays one chapter, its chapters sections in it."""
    import import_sources
    from bookmaker.importers import chapters as chapters_module

    monkeypatch.setattr(chapters_module, "PART_WORDS", 60, raising=False)
    cantos = "".join(
        f'<section id="canto-{n}" epub:type="chapter"><header><h3>Canto {roman}</h3></header>'
        f'<p>{"word " * 10}end {n}.<a href="endnotes.xhtml#note-{n}" id="noteref-{n}" epub:type="noteref">{n}</a>'
        f'</p></section>' for n, roman in ((1, "I"), (2, "II"), (3, "III")))
    part = (f'<section id="lower" epub:type="part"><h2 epub:type="title">Lower Book</h2>'
            f'<p>A sonnet before it.</p>{cantos}</section>')
    notes = "".join(f'<li id="note-{n}" epub:type="endnote"><p>{"gloss " * (note_words // 3)}'
                    f'<a href="lower.xhtml#noteref-{n}" epub:type="backlink">↩</a></p></li>' for n in (1, 2, 3))
    pages = {key: import_sources.SE_PAGES[key] for key in ("titlepage", "imprint")} | {"lower": part}
    pages["endnotes"] = f'<section id="endnotes" epub:type="endnotes"><h2>Endnotes</h2><ol>{notes}</ol></section>'
    monkeypatch.setattr(import_sources, "SE_PAGES", pages | {"colophon": import_sources.SE_PAGES["colophon"]})
    found = chapters(import_source(standard_ebooks_folder(tmp_path / "src"), tmp_path / "se"))
    if split:
        assert [f.get("title") for f, _ in found] == ["Lower Book", "Canto I", "Canto II", "Canto III"]
        assert found[0][1] == "A sonnet before it.\n"
        assert [body.startswith(f"{'word ' * 10}end {n}.[^1]") for (_, body), n in zip(found[1:], (1, 2, 3))] == [True] * 3
    else:
        assert [f.get("title") for f, _ in found] == ["Lower Book"]
        assert "## Canto III" in found[0][1]


@pytest.mark.parametrize("html, markdown", [
    # Standard Ebooks' verse: a <span> a line, each <br/> on a line of its own between them
    ('<blockquote epub:type="z3998:song">\n\t<p>\n\t\t<span>Fifteen men on the chest,</span>\n\t\t<br/>\n'
     '\t\t<span class="i1">and a bottle of rum!</span>\n\t</p>\n</blockquote>',
     "> Fifteen men on the chest,  \n> \u2003and a bottle of rum!\n"),  # its indent class: an em space in
    ("<p>one line<br />\nthe next</p>", "one line  \nthe next\n"),  # the archive's own
    ("<p>one <em>line</em>\n<br/>\n<em>the</em> next</p>", "one *line*  \n*the* next\n"),
    ("<p>a stanza's end<br/><br/>the next stanza</p>", "a stanza's end  \n\nthe next stanza\n"),
    # A line that is a quotation alone: its <q> on a line of its own inside the line's <span> (Leaves of Grass)
    ("<p>\n\t<span>And a voice, <q>What singest thou?</q> it said,</span>\n\t<br/>\n\t<span>\n\t\t<q>Know'st thou "
     "not?</q>\n\t</span>\n\t<br/>\n\t<span>\n\t\t<q>The making of <em>soldiers.</em></q>\n\t</span>\n</p>",
     "And a voice, \"What singest thou?\" it said,  \n\"Know'st thou not?\"  \n\"The making of *soldiers.*\"\n"),
    ("<p><em>one</em> <em>line</em> <!-- a note --> <br/> <span> <b>the</b> next</span></p>", "*one* *line*  \n**the** next\n"),
])
def test_a_line_break_is_a_line_break_whatever_white_space_is_around_it(html, markdown):
    """A <br> with the source's own line breaks around it made a line of spaces, a blank line to
    Markdown: each line of a stanza became a paragraph of its own (Treasure Island's songs)."""
    from bookmaker.importers.markdown import html_to_markdown
    from bookmaker.render.markdown import markdown_to_html

    assert html_to_markdown(html, "", None) == markdown
    if "stanza" not in html:
        assert markdown_to_html(markdown).count("<p") == 1


def test_word_document(tmp_path):
    from bookmaker import write_pdf

    source, paragraphs = docx_file(tmp_path / "The Quiet Orchard.docx")
    project = import_source(source, tmp_path / "orchard")
    meta = book_yaml(project)
    assert meta == {"title": "The Quiet Orchard", "subtitle": "A Novella", "author": "Tamsin Rook",
                    "language": "en-GB"}
    found = chapters(project)
    assert [f.get("title") for f, _ in found] == ["Blossom", "Frost", "Harvest"]
    first = found[0][1]
    assert "*very*" in first and "**never**" in first and "\n* * *\n" in first
    assert "old pruning knife.[^1]" in first and "[^1]: Her grandmother" in first
    assert "![An apple tree drawn in pencil](images/" in found[1][1]
    # Struck through as <s> (markdownify's ~~ is not Markdown here); underlined as italics, the manuscript
    # convention (the book printed its tildes, and lost the underline)
    assert "Her list said <s>pears</s> apples, and a *great* many of them." in found[2][1]
    assert len(list((project / "manuscript" / "images").iterdir())) == 1
    text, epub = built_text(project, tmp_path)
    assert_in_order(paragraphs, text)
    with ThreadPoolExecutor(max_workers=2) as pool:
        report = pool.submit(epubcheck, epub)
        write_pdf(load_book(project), tmp_path / "orchard.pdf")
        assert problems_of(report.result()) == []
    assert (tmp_path / "orchard.pdf").stat().st_size > 1000


def test_one_long_markdown_file(tmp_path):
    source = tmp_path / "draft.md"
    source.write_text("# Paper Boats\n\nby Lior Abendroth\n\n## Launch\n\nThe first boat sank at once.\n\n"
                      "### Morning\n\nShe folded another.\n\n## Drift\n\nThis one floated *all the way* to the "
                      "weir.\n\n```\n# not a heading inside code\n```\n\n## Chapter 3: Weir\n\nIt waited there.\n",
                      encoding="utf-8")
    project = import_source(source, tmp_path / "boats")
    assert book_yaml(project) == {"title": "Paper Boats", "author": "Lior Abendroth"}
    found = chapters(project)
    assert [f.get("title") for f, _ in found] == ["Launch", "Drift", "Weir"]
    assert found[0][1].startswith("The first boat sank at once.\n\n## Morning\n")
    assert "# not a heading inside code" in found[1][1]
    text, _ = built_text(project, tmp_path)
    assert_in_order(["The first boat sank at once.", "She folded another.", "This one floated all the way to "
                     "the weir.", "It waited there."], text)


def test_one_long_text_file(tmp_path):
    source = tmp_path / "kettle.txt"
    source.write_bytes("The Kettle Years\nby Odile Fenn\n\nCHAPTER ONE\n\nThe kettle sang at six.\nIt always "
                       "did.\n\nNobody *ever* answered it.\n\n* * *\n\nExcept Gran.\n\nChapter 2: Steam\n\n"
                       "1999 was a hard winter.\n".replace("\n", "\r\n").encode("utf-8"))
    project = import_source(source, tmp_path / "kettle")
    assert book_yaml(project) == {"title": "The Kettle Years", "author": "Odile Fenn"}
    found = chapters(project)
    assert [f.get("title") for f, _ in found] == [None, "Steam"]
    assert found[0][1] == ("The kettle sang at six. It always did.\n\nNobody *ever* answered it.\n\n* * *\n\n"
                           "Except Gran.\n")
    assert found[1][1] == "1999\\. was a hard winter.\n" or found[1][1] == "1999 was a hard winter.\n"
    text, _ = built_text(project, tmp_path)
    assert_in_order(["The kettle sang at six. It always did.", "Nobody ever answered it.", "Except Gran.",
                     "1999 was a hard winter."], text)


def test_a_markdown_file_without_headings_is_split_at_its_chapter_lines_as_a_text_is(tmp_path):
    """A Markdown story with plain "Chapter One: Slack Water" lines and no `#` came in as one chapter,
    while the same file named .txt was split at them. In Markdown, a line in a code fence is no chapter's."""
    text = "Chapter One: Slack Water\n\nShe *knew* it.\n\nChapter 2\n\nThe tide turned.\n\nChapter Three: High Water\n\n"
    found = {}
    for name in ("clock.md", "clock.txt"):
        (tmp_path / name).write_text(text + "The end.\n", encoding="utf-8")
        found[name] = [front.get("title") for front, _ in chapters(import_source(tmp_path / name, tmp_path / name[6:]))]
    assert found["clock.md"] == found["clock.txt"] == ["Slack Water", None, "High Water"]
    (tmp_path / "fenced.md").write_text(text + "```\n\nChapter 4\n```\n", encoding="utf-8")
    found = chapters(import_source(tmp_path / "fenced.md", tmp_path / "fenced"))
    assert len(found) == 3 and "Chapter 4" in found[2][1]


def test_one_long_html_file(tmp_path):
    source = tmp_path / "letters.html"
    source.write_text(
        '<html lang="fr"><head><title>ignored</title><meta name="author" content="Célestine Aubry"></head><body>'
        '<h1>Lettres du phare</h1><h2>Première lettre</h2><p style="font-family:Arial">Cher Paul, la mer est '
        '<span style="font-style:italic">grise</span> ce matin<sup><a href="#fn1" id="r1">1</a></sup>.</p>'
        '<p align="center">***</p><p>Je t’embrasse.</p><h2>Deuxième lettre</h2><p class="MsoNormal">Encore la '
        'pluie.</p><div class="footnotes"><ol><li id="fn1">Elle l’est toujours. <a href="#r1">↩</a></li></ol>'
        '</div></body></html>', encoding="utf-8")
    project = import_source(source, tmp_path / "lettres")
    # The letters are not numbered: "Chapitre 1 : Première lettre" would be bookmaker's, not the book's.
    assert book_yaml(project) == {"title": "Lettres du phare", "author": "Célestine Aubry", "language": "fr",
                                  "chapter_label": False}
    found = chapters(project)
    assert [f.get("title") for f, _ in found] == ["Première lettre", "Deuxième lettre"]
    assert found[0][1] == ("Cher Paul, la mer est *grise* ce matin[^1].\n\n* * *\n\nJe t’embrasse.\n\n"
                           "[^1]: Elle l’est toujours.\n")
    assert found[1][1] == "Encore la pluie.\n"
    built_text(project, tmp_path)


def test_a_paragraph_the_source_wraps_over_lines_is_one_line_but_a_line_break_stays(tmp_path):
    """Project Gutenberg's HTML keeps its printed lines inside each <p> (Kafka's "Die Verwandlung": 786
    lines for a chapter of 40 paragraphs). HTML reads those line ends as spaces; they came into the
    Markdown as they were, and a wrapped line that began "- " or "1. " was escaped to stay text. A
    paragraph is one line now; a <br> is still a line break of its own."""
    source = tmp_path / "wrapped.html"
    source.write_text(
        '<html lang="de"><head><title>Die Fähre</title></head><body><h2>I</h2>\n'
        '<p>Als sie erwachte,\nlag das Boot schon\n   im Hafen, und\n- wie immer -\nregnete es.</p>\n'
        '<p>Die Glocke schlug\n<i>zwölf\nmal</i>.</p>\n'
        '<p class="poem">Der Wind geht um,<br/>\ndie Nacht ist lang.</p><h2>II</h2><p>Ende.</p></body></html>',
        encoding="utf-8")
    project = import_source(source, tmp_path / "boot")
    assert len(chapters(project)) == 2
    assert chapters(project)[0][1] == ("Als sie erwachte, lag das Boot schon im Hafen, und - wie immer - regnete es."
                                       "\n\nDie Glocke schlug *zwölf mal*.\n\nDer Wind geht um,  \ndie Nacht ist lang.\n")
    built_text(project, tmp_path)


def test_a_first_chapter_headed_by_its_number_alone_is_never_taken_for_the_title_page(tmp_path):
    """A first chapter headed "I" (left to bookmaker's numbering), short, in lines that happen to name the
    book: it was taken for the source's own title page ("the text before the first heading") and its
    text left out. Only text before any heading is a title page."""
    source = tmp_path / "boot.html"
    source.write_text('<html lang="de"><head><title>Das Boot</title></head><body><h2>{}</h2><p>Am Morgen lag '
                      'das Boot im Hafen.</p><h2>II</h2><p>Ende.</p></body></html>', encoding="utf-8")
    for heading in ("I", "I.", "Kapitel I"):
        source.write_text(source.read_text(encoding="utf-8").replace("{}", heading), encoding="utf-8")
        warned: list = []
        project = import_source(source, tmp_path / heading, warn=warned.extend)
        assert [body for _, body in chapters(project)] == ["Am Morgen lag das Boot im Hafen.\n", "Ende.\n"], heading
        assert warned == []
        source.write_text(source.read_text(encoding="utf-8").replace(f"<h2>{heading}</h2>", "<h2>{}</h2>"),
                          encoding="utf-8")


TITLE_PAGE_BOOK = ('<html><head><title>The Tide Clock</title><meta name="author" content="Odile Fenn"></head><body>'
                   '{before}<h2>I.</h2><p>The clock ran on the tide.</p><h2>II.</h2><p>It was never wrong.</p>'
                   '</body></html>')


def test_a_long_files_own_title_page_is_left_out_with_a_warning(tmp_path):
    """The lines before the first heading that name the author (or the title), short, as a printed
    title page and its back: left out, so the chapters are numbered from the first heading, and said.
    Kept, it was an untitled chapter 1, and "I." was printed as "Chapter 2"."""
    from conftest import run_cli

    source = tmp_path / "clock.html"
    source.write_text(TITLE_PAGE_BOOK.format(before="<p>BY<br/>ODILE FENN</p><p>HARBOUR PRESS<br/>LONDON</p>"
                                                    "<p>COPYRIGHT 1921</p>"), encoding="utf-8")
    warned: list = []
    project = import_source(source, tmp_path / "clock", warn=warned.extend)
    assert [body for _, body in chapters(project)] == ["The clock ran on the tide.\n", "It was never wrong.\n"]
    assert [(w.severity, w.code, w.line) for w in warned] == [("warning", "source-title-page", 1)]
    assert '(8 words: "BY / ODILE FENN / HARBOUR PRESS / LONDON …")' in warned[0].message
    text, _ = built_text(project, tmp_path)
    assert "Chapter 1" in text and "Chapter 3" not in text
    result = run_cli("import", source, tmp_path / "again")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == str(warned[0]) and result.stdout.strip() == str(tmp_path / "again")


@pytest.mark.parametrize("before", [
    # A prologue without a heading: sentences, though it names the author.
    "<p>Odile Fenn kept the clock for forty years, and wound it every night whether the tide needed it or not, "
    "which the village thought a waste of a good key.</p>",
    # Short lines naming neither the author nor the title: an epigraph.
    "<p>Time and tide<br/>wait for no one</p>",
])
def test_text_before_the_first_heading_that_is_no_title_page_stays_a_chapter(tmp_path, before):
    source = tmp_path / "clock.html"
    source.write_text(TITLE_PAGE_BOOK.format(before=before), encoding="utf-8")
    warned: list = []
    project = import_source(source, tmp_path / "clock", warn=warned.extend)
    assert len(chapters(project)) == 3 and warned == []


def test_the_back_of_a_title_page_that_lists_its_printings_is_left_out_too(tmp_path):
    """Project Gutenberg's News from Nowhere: the title page, then its back listing each printing ("Since
    reprinted March 1895; January 1897; …", longer than a title page's lines), 115 words in all, came in
    as an untitled chapter 1, and every chapter after it was numbered one on. A line that holds a year
    may be longer than a title page's other lines; a prologue's sentence still may not (above)."""
    printings = ("<p>BY<br/>ODILE FENN</p><p>HARBOUR PRESS, LONDON, 1908</p><p><i>All rights reserved</i></p>"
                 "<p><i>First printed serially in the</i> Harbour Gazette, 1890.</p><p><i>First English Edition</i>, "
                 "<i>revised</i>, 1891.</p><p><i>Since reprinted March</i> 1895; <i>January</i> 1897; <i>November</i> "
                 "1899; <i>August</i> 1902; <i>July</i> 1905; <i>January</i> 1907; <i>and January</i> 1908.</p>")
    source = tmp_path / "clock.html"
    source.write_text(TITLE_PAGE_BOOK.format(before=printings), encoding="utf-8")
    warned: list = []
    project = import_source(source, tmp_path / "clock", warn=warned.extend)
    assert [body for _, body in chapters(project)] == ["The clock ran on the tide.\n", "It was never wrong.\n"]
    assert [(w.code, w.line) for w in warned] == [("source-title-page", 1)]


# A long file whose chapters sit at <h3> under a half-title at <h2>, each headed by its number and then
# its name, in capitals, as Project Gutenberg's Katrine is.
HALF_TITLE_BOOK = ("<html lang=\"{lang}\"><head><title>The Tide Clock</title></head><body><h1>THE TIDE CLOCK</h1>"
                   "<h2>PREFACE</h2><p>These chapters first ran in a harbour paper.</p><h2>THE TIDE CLOCK</h2>"
                   "<h3>I</h3><h3>THE HARBOUR OFFICE</h3><p>The clock ran on the tide.</p>"
                   "<h3>II</h3><h3>A KEEPER OF THE LIGHT</h3><p>It was never wrong.</p>"
                   "<h3>STORM WARNING!</h3><p>So the paper said.</p>"
                   "<h3>III</h3><h3>O'BRIEN'S STORM-LANTERN</h3><p>Until the storm.</p></body></html>")


@pytest.mark.parametrize("lang, titles", [
    ("en", ["Preface", "I: The Harbour Office", "II: A Keeper of the Light", "III: O'Brien's Storm-Lantern"]),
    # Other languages case titles by their own rules (German capitalises its nouns): kept as written.
    ("de", ["PREFACE", "I: THE HARBOUR OFFICE", "II: A KEEPER OF THE LIGHT", "III: O'BRIEN'S STORM-LANTERN"]),
])
def test_a_long_files_chapters_under_a_half_title_are_chapters(tmp_path, lang, titles):
    """Katrine (61,000 words) came in as one chapter: the file was split at its top headings (<h2>: title
    page, contents, preface, and "KATRINE" over all 26 chapters at <h3>). A part that holds most of the
    words is split again at its own headings; a heading that only numbers its chapter and the heading
    that names it are one heading; a headline quoted at the chapters' level inside one (Katrine's
    chapter XXVI) stays in it; the half-title (the book's title with no text) is left out, said; and an
    English book's titles, all in capitals, are in title case."""
    source = tmp_path / "clock.html"
    source.write_text(HALF_TITLE_BOOK.format(lang=lang), encoding="utf-8")
    warned: list = []
    project = import_source(source, tmp_path / lang, warn=warned.extend)
    found = chapters(project)
    assert [f.get("title") for f, _ in found] == titles
    assert [body for _, body in found] == ["These chapters first ran in a harbour paper.\n", "The clock ran on the tide.\n",
                                           "It was never wrong.\n\n## STORM WARNING!\n\nSo the paper said.\n",
                                           "Until the storm.\n"]
    assert book_yaml(project)["chapter_label"] is False  # a preface before chapter I
    assert book_yaml(project)["title"] == ("The Tide Clock" if lang == "en" else "THE TIDE CLOCK")
    assert [(w.code, w.line) for w in warned] == [("source-title-page", 1)]
    assert '"THE TIDE CLOCK", which names the book and has no text under it, is the source\'s half-title' in warned[0].message


def tide_clock_html(tmp_path: Path, body: str) -> tuple[Path, list[tuple[dict, str]]]:
    """An English HTML file of one book, `body` its <body>'s markup, imported: the project and its chapters."""
    source = tmp_path / "tide-clock.html"
    source.write_text(f'<html lang="en"><head><title>The Tide Clock</title></head><body>{body}</body></html>',
                      encoding="utf-8")
    project = import_source(source, tmp_path / "tide-clock")
    return project, chapters(project)


def test_a_play_whose_acts_sit_two_levels_under_its_one_top_heading_is_split_at_its_acts(tmp_path):
    """Project Gutenberg's The 'Mind the Paint' Girl: its title page at <h1>, the play's title at <h2>,
    its four acts at <h3>. The file came in as one chapter of 34,900 words: a part that holds most of
    the words was split again only where it had headings of its own level, not one heading over the
    rest. Now the part is split down to its acts."""
    _, found = tide_clock_html(tmp_path, (
        '<h1>THE TIDE CLOCK</h1><p>A comedy in three acts, by Odile Fenn.</p><h2>THE TIDE CLOCK</h2><p>The persons '
        'of the play: a clerk, a keeper, the sea.</p><h3>THE FIRST ACT</h3><p>The clerk winds the clock.</p><h3>THE '
        'SECOND ACT</h3><p>The keeper doubts it.</p><h3>THE THIRD ACT</h3><p>The sea decides.</p>'))
    assert [f.get("title") for f, _ in found] == ["The Tide Clock", "The First Act", "The Second Act",
                                                  "The Third Act"]
    assert [body for _, body in found][1:] == ["The clerk winds the clock.\n", "The keeper doubts it.\n",
                                               "The sea decides.\n"]
    assert "The persons of the play" in found[0][1]


@pytest.mark.parametrize("heading", ["THE {} ACT", "ACT {}"])
def test_a_plain_text_plays_acts_are_its_chapters_under_their_own_names(tmp_path, heading):
    """The 'Mind the Paint' Girl as Project Gutenberg's text came in as one chapter: a plain text was
    split only at its "Chapter 3" lines or numbered lines. A play's "THE FIRST ACT" or "ACT I" lines now
    split it, and its acts keep their names, alone (a cast list before them is no "Chapter 1")."""
    ordinals, romans = ("FIRST", "SECOND", "THIRD"), ("I", "II", "III")
    numbers = ordinals if heading.startswith("THE") else romans
    acts = "".join(f"\n\n  {heading.format(n)}\n\n{line}\n" for n, line in zip(
        numbers, ("The clerk winds the clock.", "The keeper doubts it.", "The sea decides.")))
    source = tmp_path / "play.txt"
    source.write_text("THE TIDE CLOCK\n\nA CLERK, a keeper of the light.\nA KEEPER, his friend.\n" + acts, encoding="utf-8")
    project = import_source(source, tmp_path / "play")
    found = chapters(project)
    # as written: the text names no language, so no English title case (test_..._half_title_...)
    assert [f.get("title") for f, _ in found] == [None, *(heading.format(n) for n in numbers)]
    assert [body for _, body in found][1:] == ["The clerk winds the clock.\n", "The keeper doubts it.\n",
                                               "The sea decides.\n"]
    assert book_yaml(project)["chapter_label"] is False


def test_a_plain_texts_contents_entries_titles_on_the_next_line_and_a_quoted_play(tmp_path):
    """Project Gutenberg's Jack Sheppard as text: each contents entry ("CHAPTER I. The Widow and her Child
    1", a page number after a gap) was taken for a chapter; each chapter is headed "CHAPTER I." with its
    title on a line of its own after it, which came in as its first paragraph. The Little Colonel's Hero
    quotes a play in its chapter XIII, whose "ACT I" lines split it once acts split a play."""
    contents = "CHAPTER I. The Harbour Office             1\n       II. The Keeper                     9\n"
    chapter_lines = "".join(f"\n\nCHAPTER {n}.\n\n{title}.\n\n{text}" for n, title, text in (
        ("I", "The Harbour Office", "The clock ran on the tide."), ("II", "The Keeper", "It was never wrong."),
        ("III", "The Play", "They put on a play.\n\nACT I\n\nThe clerk winds the clock.\n\nACT II\n\nThe sea "
                            "decides.")))
    source = tmp_path / "clock.txt"
    source.write_text(f"THE TIDE CLOCK\n\nCONTENTS\n\n{contents}{chapter_lines}\n", encoding="utf-8")
    project = import_source(source, tmp_path / "clock")
    found = chapters(project)[-3:]
    assert [f.get("title") for f, _ in found] == ["Chapter I: The Harbour Office", "Chapter II: The Keeper",
                                                  "Chapter III: The Play"]  # the label in capitals as a word
    assert [body for _, body in found] == ["The clock ran on the tide.\n", "It was never wrong.\n",
                                           "They put on a play.\n\nACT I\n\nThe clerk winds the clock.\n\nACT II\n\n"
                                           "The sea decides.\n"]
    assert len(chapters(project)) == 4  # the contents, then three chapters


def test_a_chapters_name_in_a_heading_under_its_number_is_its_title(tmp_path):
    """Project Gutenberg's HTML heads a chapter "<h2>CHAPTER I.</h2><h3>The Widow and her Child.</h3>"
    (Jack Sheppard, The Little Colonel's Hero): the number was left to bookmaker's numbering and the
    name came in as a heading inside the chapter, so every chapter was "Chapter N" alone. And the
    link back to the file's contents under each heading ("ToC") was a paragraph of the text."""
    _, found = tide_clock_html(tmp_path, "".join(
        f'<h2><a id="c{n}"></a>CHAPTER {n}.</h2><h3>{name}.</h3><p class="linenum"><a href="#ToC">ToC</a></p><p>{text}</p>'
        for n, name, text in (("I", "The Harbour Office", "The clock ran on the tide."),
                              ("II", "The Keeper", "It was never wrong."), ("III", "The Storm", "The sea decides."))))
    assert [f.get("title") for f, _ in found] == ["The Harbour Office.", "The Keeper.", "The Storm."]
    assert [body for _, body in found] == ["The clock ran on the tide.\n", "It was never wrong.\n",
                                           "The sea decides.\n"]


@pytest.mark.parametrize("front, dropped", [
    # The Little Colonel's Hero: its title page set as headings, the title over two of them
    ("<h2>THE TIDE</h2><h2>CLOCK</h2>", True),
    # Gabriël's Ontboezemingen: the author's name a heading, the publisher under it
    ("<h2>ODILE FENN.</h2><p>HARBOUR PRESS, LONDON.</p>", True),
    # a short first chapter whose title only shares words with the book's: a chapter
    ("<h2>THE TIDE</h2><p>It turned at noon.</p>", False),
    # a title page with a dedication under it, more than a title page's few words: kept, as it was
    ("<h2>THE TIDE CLOCK</h2><p>To my brother, who kept the light at Harbour Point for thirty years and "
     "never once let it go out.</p>", False),
])
def test_a_title_page_set_as_headings_is_left_out(tmp_path, front, dropped):
    """Project Gutenberg's HTML sets many a title page as headings, and each became a chapter ("The Little
    Colonel's", "Hero", …) before the first real one."""
    warned: list = []
    source = tmp_path / "clock.html"
    source.write_text('<html lang="en"><head><title>The Tide Clock</title><meta name="author" content="Odile Fenn">'
                      f'</head><body>{front}<h2>CHAPTER I.</h2><h3>The Office.</h3><p>The clock ran on the tide.</p>'
                      '<h2>CHAPTER II.</h2><h3>The Keeper.</h3><p>It was never wrong.</p></body></html>', encoding="utf-8")
    project = import_source(source, tmp_path / "clock", warn=warned.extend)
    found = chapters(project)
    assert len(found) == (2 if dropped else 3)
    assert [w.code for w in warned] == (["source-title-page"] if dropped else [])


BODY = "<h2>I. THE OFFICE</h2><p>The clock ran on the tide.</p><h2>II. THE KEEPER</h2><p>It was never wrong.</p>"


@pytest.mark.parametrize("front, subtitle, first", [
    # Project Gutenberg's Siddhartha: subtitle and byline as headings, only line breaks between them (the
    # byline spelling the author otherwise than the header does)
    ("<h3>A Harbour Tale</h3><br/><h2>by Odile Fen</h2><br/><hr/>", "A Harbour Tale", "The Office"),
    # The Complete Angler: a subtitle over two headings, and "By" and the name as two more
    ("<h4>OR,</h4><h3><i>THE KEEPER'S RECKONING</i>.</h3><h2>By</h2><h2>ODILE FENN.</h2>",
     "Or, the Keeper's Reckoning", "The Office"),
    # a byline alone
    ("<h2>By Odile Fenn</h2>", None, "The Office"),
    # a part's heading over its chapters, at their level: no subtitle, and it stays
    ("<h2>BOOK ONE</h2>", None, "Book One"),
    # a heading with text under it: no subtitle, and it stays (in the text before the first chapter)
    ("<h3>A Word First</h3><p>Written at the harbour.</p>", None, None),
])
def test_headings_after_the_title_heading_are_its_subtitle_and_byline(tmp_path, front, subtitle, first):
    """The title page of a Project Gutenberg HTML set as headings under the book's <h1>: the subtitle came
    in as an untitled first chapter and the byline as a chapter named "by Hermann Hesse"."""
    source = tmp_path / "clock.html"
    source.write_text(f'<html lang="en"><body><h1>THE TIDE CLOCK</h1>{front}{BODY}</body></html>', encoding="utf-8")
    project = import_source(source, tmp_path / "clock")
    meta = book_yaml(project)
    assert (meta["title"], meta.get("subtitle")) == ("The Tide Clock", subtitle)
    assert [f.get("title") for f, _ in chapters(project)][0] == first
    assert "Fen" not in "".join(body for _, body in chapters(project))


GOOGLE_DOCS_STYLE = (".c0{font-weight:400;font-style:normal;text-decoration:none}.c1{font-style:italic}"
                     ".c2{padding-top:0;line-height:1.15}.c4{font-weight:700}.c5{text-decoration:underline}"
                     ".c6{text-decoration:line-through}.title{font-size:26pt}.subtitle{font-size:15pt}"
                     "h1{font-size:20pt}.c1:hover{font-weight:700}")


def test_a_google_docs_web_page_keeps_its_classes_italics_and_bold_and_gives_its_title(tmp_path):
    """Google Docs' "Download → Web page (.html)" marks its italics and bold by classes its <style> defines,
    and sets the title as a paragraph classed "title": every italic and bold word came in plain, the
    title as an untitled chapter 1 with the byline and the labelled fields, and the book was titled by
    the file's name."""
    body = ('<p class="c2 title" id="h.t1"><span class="c0">The Tide Clock</span></p>'
            '<p class="c2 subtitle"><span class="c0">A Harbour Story</span></p>'
            '<p class="c2"><span class="c0">by Odile Fenn</span></p><p class="c2"><span class="c0"></span></p>'
            '<p class="c2"><span class="c4">Summary:</span><span class="c0"> The clock stops; </span>'
            '<span class="c1">someone</span><span class="c0"> stopped it.</span></p>'
            '<h1 class="c2"><span class="c4">Chapter 1: Slack Water</span></h1>'
            '<p class="c2"><span class="c0">She </span><span class="c1">knew</span><span class="c0"> it, and said it '
            '</span><span class="c4">twice</span><span class="c0">.</span></p>'
            '<p class="c2"><span class="c1 c4">Never</span><span class="c0"> again, she wrote, and </span>'
            '<span class="c5">underlined</span><span class="c0"> it; </span><span class="c6">struck</span>'
            '<span class="c0"> the rest.</span></p>'
            '<p class="c2"><i><span class="c1">Already</span></i><span class="c0"> set.</span></p>'
            '<h1 class="c2"><span class="c0">Chapter 2: High Water</span></h1>'
            '<p class="c2"><span class="c1" style="font-style:normal">Plain</span><span class="c0"> again.</span></p>')
    source = tmp_path / "gdocs.html"
    source.write_text(f'<html><head><meta content="text/html; charset=UTF-8" http-equiv="content-type">'
                      f'<style type="text/css">{GOOGLE_DOCS_STYLE}</style></head>'
                      f'<body class="c3 doc-content">{body}</body></html>', encoding="utf-8")
    project = import_source(source, tmp_path / "clock")
    meta = book_yaml(project)
    assert (meta["title"], meta["subtitle"], meta["author"]) == ("The Tide Clock", "A Harbour Story", "Odile Fenn")
    assert meta["summary"] == "The clock stops; *someone* stopped it."
    assert [(front.get("title"), body) for front, body in chapters(project)] == [
        ("Slack Water", "She *knew* it, and said it **twice**.\n\n***Never*** again, she wrote, and *underlined* it; "
                        "<s>struck</s> the rest.\n\n*Already* set.\n"),
        ("High Water", "Plain again.\n")]


def test_a_contents_page_in_one_table_cell_is_left_out(tmp_path):
    """Project Gutenberg's Siddhartha sets its contents in one table cell: one line of Markdown, which no
    entry-per-line count could take for a contents page."""
    names = ["The Office", "The Keeper", "The Storm", "The Lamp"]
    listed = "".join(f'<p class="toc">{name.upper()}</p>' for name in names)  # links: without_link_lists, below
    body = "".join(f'<h2 id="c{i}">{name}</h2><p>The tide turned in {name.lower()}.</p>' for i, name in enumerate(names))
    source = tmp_path / "clock.html"
    source.write_text(f"<html><body><h2>Contents</h2><table><tr><td>{listed}</td></tr></table>{body}</body></html>",
                      encoding="utf-8")
    warned = []
    project = import_source(source, tmp_path / "clock", warn=warned.extend)
    assert [f.get("title") for f, _ in chapters(project)] == names
    assert [w.code for w in warned] == ["source-contents"] and '"Contents" (4 entries)' in warned[0].message


@pytest.mark.parametrize("preamble, first", [
    # Grimms' Fairy Tales as text: a note titled in capitals before the contents and the tales
    ("PREPARER'S NOTE\n\n     The text follows the 1890 printing\n     of the harbour office.\n", "Preparer's Note"),
    # a title page, its first line in capitals too: left out, not titled "Von"
    ("VON\n\nODILE FENN\n\nHARBOUR PRESS\n", "The Office"),
])
def test_a_plain_texts_note_before_its_first_chapter_is_titled_and_its_half_title_left_out(tmp_path, preamble, first):
    """Grimms' Fairy Tales as text: the preparer's note came in as an untitled chapter 1 that began with
    "PREPARER'S NOTE", and the half-title "THE BROTHERS GRIMM FAIRY TALES" (the author's name and the
    book's title, nothing under it) as a chapter of no text."""
    source = tmp_path / "clock.txt"
    source.write_text("Title: The Tide Clocks\nAuthor: Odile Fenn\nLanguage: English\n\n*** START OF THIS PROJECT GUTENBERG EBOOK "
                      f"THE TIDE CLOCKS ***\n\n\n{preamble}\n\n\n\nODILE FENN'S TIDE CLOCK\n\n\n\n\n"
                      "THE OFFICE\n\nThe clock ran on the tide.\n\n\n\n\nTHE KEEPER\n\nIt was never wrong.\n\n\n\n\n"
                      "THE STORM\n\nThe sea decides.\n\n\n\n\nTHE LAMP\n\nIt burned all night.\n"
                      "\n*** END OF THIS PROJECT GUTENBERG EBOOK THE TIDE CLOCKS ***\n", encoding="utf-8")
    warned: list = []
    project = import_source(source, tmp_path / "clock", warn=warned.extend)
    titles = [f.get("title") for f, _ in chapters(project)]
    assert titles[0] == first and titles[-4:] == ["The Office", "The Keeper", "The Storm", "The Lamp"]
    assert len(titles) == (5 if first == "Preparer's Note" else 4)
    assert any("ODILE FENN'S TIDE CLOCK" in w.message and "half-title" in w.message for w in warned)


def test_a_plain_texts_contents_of_headings_and_titles_is_left_out_and_its_prefaces_kept(tmp_path):
    """Project Gutenberg's Don Quixote as text: its contents repeats each chapter's "CHAPTER I" line and
    its title in capitals, and the text heads its chapters so. Its 126 entries came in as 126 chapters of
    one title each, the prefaces inside the last of them, and the chapters' titles (over 60 characters)
    stayed their first paragraphs."""
    titles = ["WHICH TELLS HOW THE KEEPER OF THE HARBOUR OFFICE FIRST WOUND THE TIDE CLOCK AND WHAT IT SAID",
              "OF THE NIGHT THE LAMP WENT OUT", "IN WHICH THE STORM DECIDES THE MATTER",
              "OF HOW THE KEEPER LEFT THE OFFICE FOR GOOD AND THE CLOCK RAN ON WITHOUT HIM"]
    numerals = ["I", "II", "III", "IV"]
    contents = "".join(f"CHAPTER {n}\n{t}\n\n" for n, t in zip(numerals, titles))
    text = "".join(f"\n\n\nCHAPTER {n}.\n\n{t}\n\nThe clock ran on the tide, as it did in part {n}.\n"
                   for n, t in zip(numerals, titles))
    source = tmp_path / "clock.txt"
    source.write_text("Title: The Tide Clock\nAuthor: Odile Fenn\nLanguage: English\n\n*** START OF THIS PROJECT "
                      f"GUTENBERG EBOOK THE TIDE CLOCK ***\n\nCONTENTS\n\n{contents}\n\n\nTHE KEEPER'S PREFACE\n\n"
                      "This book was written at the harbour office over many winters, by lamplight.\n"
                      f"{text}\n*** END OF THIS PROJECT GUTENBERG EBOOK THE TIDE CLOCK ***\n", encoding="utf-8")
    warned: list = []
    project = import_source(source, tmp_path / "clock", warn=warned.extend)
    found = chapters(project)
    assert [f.get("title") for f, _ in found] == [
        "The Keeper's Preface",
        "Chapter I: Which Tells How the Keeper of the Harbour Office First Wound the Tide Clock and What It Said",
        "Chapter II: Of the Night the Lamp Went Out", "Chapter III: In Which the Storm Decides the Matter",
        "Chapter IV: Of How the Keeper Left the Office for Good and the Clock Ran on Without Him"]
    assert found[1][1] == "The clock ran on the tide, as it did in part I.\n"
    assert [w.code for w in warned] == ["source-contents"] and "(4 entries" in warned[0].message


def test_a_plain_texts_bylined_title_page_is_left_out_and_its_spaced_chapter_titles_read(tmp_path):
    """Project Gutenberg's Peter Pan as text: under its title heading, a bracketed subtitle, "By J. M. Barrie
    [James Matthew Barrie]" and an edition's line came in as an untitled chapter 1 (no line names the header's
    "James M. Barrie" whole), and its "Chapter 1 PETER BREAKS THROUGH" headings, number and title parted by a
    space alone, kept their numbers: "Chapter 2: Chapter 1 PETER BREAKS THROUGH" (and 'Chapter 15 "HOOK OR ME
    THIS TIME"', its title in quotes)."""
    titles = ["THE KETTLE SINGS", '"A FEN IN FLOOD"', "HOME BY LAMPLIGHT"]
    contents = "".join(f"Chapter {n} {t}\n\n" for n, t in enumerate(titles, 1))
    text = "".join(f"\n\n\n\nChapter {n} {t}\n\n\nThe kettle had sung {n} times that winter.\n"
                   for n, t in enumerate(titles, 1))
    source = tmp_path / "kettle.txt"
    source.write_text("Title: The Copper Kettle\nAuthor: Agnes R. Thornbury\nLanguage: English\n\n*** START OF THIS "
                      "PROJECT GUTENBERG EBOOK THE COPPER KETTLE ***\n\n\n\n\n\nTHE COPPER KETTLE\n\n[A TALE OF THE "
                      "FENS]\n\nBy A. R. Thornbury [Agnes Ruth Thornbury]\n\nA Millbrook Edition (c)1995 by Reedbed "
                      f"Press\n\n\n\n\nContents:\n\n{contents}{text}\n*** END OF THIS PROJECT GUTENBERG EBOOK THE "
                      "COPPER KETTLE ***\n", encoding="utf-8")
    warned: list = []
    project = import_source(source, tmp_path / "kettle", warn=warned.extend)
    found = chapters(project)
    assert [f.get("title") for f, _ in found] == ["The Kettle Sings", "\"A Fen in Flood\"", "Home by Lamplight"]
    assert found[0][1] == "The kettle had sung 1 times that winter.\n"
    assert sorted(w.code for w in warned) == ["source-contents", "source-title-page"], warned
    assert "chapter_label" not in book_yaml(project)


def test_an_older_ebooks_heading_credit_catalogue_and_thanks_after_the_marker_are_left_out(tmp_path):
    """Carlo Traverso's French texts on Project Gutenberg (Germinal, Candide) set after the START marker the
    eBook's own heading again and a row of asterisks, a credit in a sentence, the catalogue lines again and
    their thanks for the scans: all of it came in as chapter 1, before the book's title page."""
    source = tmp_path / "salt.txt"
    source.write_text(
        "Title: The Salt Road\nAuthor: Maren Holt\nLanguage: English\n\n*** START OF THE PROJECT GUTENBERG "
        "EBOOK, THE SALT ROAD ***\n\n\nThe Project Gutenberg Etext of The Salt Road\nby Maren Holt\n(#3 in our "
        "series by Maren Holt)\n\n***\n\nThis eBook was produced by Ada Volunteer.\n\nAuthor: Maren Holt\n\n"
        "Title: The Salt Road\n\nEncoding: ISO-8859-1\n\nWe thank the Harbour Library that has made available the "
        "image files, authorizing the preparation of the etext through OCR.\n\n\n\n\nMaren Holt\n\nThe Salt Road"
        "\n\n\n\n\nCHAPTER I.\n\nThe road ran white with salt to the sea.\n\n\n\n\nCHAPTER II.\n\nThe carts came "
        "back empty at dusk.\n\n*** END OF THE PROJECT GUTENBERG EBOOK, THE SALT ROAD ***\n", encoding="utf-8")
    warned: list = []
    project = import_source(source, tmp_path / "salt", warn=warned.extend)
    found = chapters(project)
    assert [body for _, body in found] == ["The road ran white with salt to the sea.\n",
                                           "The carts came back empty at dusk.\n"]
    assert [w.code for w in warned] == ["source-title-page"] and "Maren Holt / The Salt Road" in warned[0].message


def test_a_plain_texts_heading_set_apart_by_a_blank_line_fewer_is_found_where_shaped_as_the_others(tmp_path):
    """Germinal's sixth and seventh parts follow three blank lines where its first five follow four: they came
    in as the end of the fifth. A line so set apart that is not shaped as the headings stays text."""
    parts = ["The First Voyage", "The Second Voyage", "The Third Voyage", "The Fourth Voyage"]
    text = "".join(f"\n\n\n{chr(10) if n < 3 else ''}{title}\n\n\nThe ship sailed on voyage {n + 1}.\n"
                   for n, title in enumerate(parts))
    source = tmp_path / "voyages.txt"
    source.write_text(f"Title: Voyages\nAuthor: Ines Calder\n\n*** START OF THE PROJECT GUTENBERG EBOOK VOYAGES ***\n"
                      f"\nFor my sister, who sailed.\n{text}\n\n\nA Letter Home\n\nIt was short.\n*** END OF THE PROJECT GUTENBERG EBOOK VOYAGES ***\n",
                      encoding="utf-8")
    found = chapters(import_source(source, tmp_path / "voyages"))
    assert [f.get("title") for f, _ in found] == [None, *parts]  # the dedication before them, a chapter
    assert found[4][1] == "The ship sailed on voyage 4.\n\nA Letter Home\n\nIt was short.\n"


def gutenberg_text(tmp_path, name: str, body: str, language: str = "French", titled: bool = True) -> Path:
    """A Project Gutenberg plain text of `body`, under a title and byline (`titled`) after its START line."""
    source = tmp_path / f"{name}.txt"
    title = f"{name.upper()}\n\npar Ines Calder\n\n\n\n" if titled else ""
    source.write_text(f"Title: {name}\nAuthor: Ines Calder\nLanguage: {language}\n\n"
                      f"*** START OF THE PROJECT GUTENBERG EBOOK {name.upper()} ***\n\n{title}"
                      f"{body}\n*** END OF THE PROJECT GUTENBERG EBOOK {name.upper()} ***\n", encoding="utf-8")
    return source


def test_a_french_texts_chapitre_lines_head_chapters_titled_by_the_line_set_apart_under_them(tmp_path):
    """Candide as text: its "CHAPITRE I." to "CHAPITRE XXX." were no headings (only "Chapter" was), and its
    first twelve chapters came in as one. Each title, in sentence case, is the line the text sets apart
    under the heading by two blank lines, or one where the book's other titles are (its chapter I), a
    note's call left out ("CHAPITRE III[1]."); the note stays in the text."""
    source = gutenberg_text(tmp_path, "Lanterne", (
        "CHAPITRE I.\n\nComment Paul trouva une lanterne au fond du puits.\n\nLe puits était sec depuis l'été.\n\n"
        "Il descendit.\n\n\n"
        "CHAPITRE II\n\nCe que la lanterne montra à Paul.\n\n\nUne porte, peinte sur la pierre.\n\n\n"
        "CHAPITRE III[1].\n\nOù Paul revient au village.\n\n  [1] Ce chapitre fut ajouté plus tard.\n\n\n"
        "Le village dormait encore.\n\n\n"
        "CHAPITRE IV.\n\nConclusion.\n\n\nIl rendit la lanterne au puits.\n"))
    found = chapters(import_source(source, tmp_path / "lanterne"))
    assert [f.get("title") for f, _ in found] == ["Comment Paul trouva une lanterne au fond du puits",
                                                  "Ce que la lanterne montra à Paul", "Où Paul revient au village",
                                                  "Conclusion"]
    assert found[0][1] == "Le puits était sec depuis l'été.\n\nIl descendit.\n"
    assert found[2][1] == "\\[1\\] Ce chapitre fut ajouté plus tard.\n\nLe village dormait encore.\n"


PREFACE = ("Ce roman parut en 1830, sans nom d'auteur, chez un libraire de la rue Jacob qui le vendit mal;\n"
           "on le crut d'abord traduit de l'anglais, puis d'un abbé, puis de personne.")


def test_a_plain_texts_centred_title_pages_around_its_preface_are_left_out(tmp_path):
    """Candide as text sets its collected works' title page ("OEUVRES / DE / VOLTAIRE / …"), centred, over
    its editor's preface, and the novel's own ("CANDIDE, / ou / L'OPTIMISME, / TRADUIT DE L'ALLEMAND / …")
    under it: all of it came in as a chapter titled "OEUVRES". Now the preface alone is, titled by its
    heading, and the title pages are said to be left out. A centred dedication, a sentence, stays."""
    def centre(*lines: str) -> str:
        return "\n\n".join(line.center(72).rstrip() for line in lines) + "\n"

    source = gutenberg_text(tmp_path, "Lanterne", (
        centre("OEUVRES", "DE", "PAUL MARCEAU", "TOME III") + "\n\n\n"
        + "Préface de l'Éditeur\n\n\n" + PREFACE + "\n\nIl fut réimprimé deux fois.\n\n" + "MARCEAU.".rjust(60)
        + "\n\n\n\n"
        + centre("LA LANTERNE,", "ou", "LE PUITS SEC,", "ROMAN") + "\n\n\n"
        + "CHAPITRE I.\n\nDu puits.\n\n\nLe puits était sec.\n\n\nCHAPITRE II.\n\nDe la porte.\n\n\nUne porte.\n\n\n"
        + "CHAPITRE III.\n\nDu retour.\n\n\nIl revint.\n"), titled=False)
    project = tmp_path / "lanterne"
    found = chapters(import_source(source, project))
    # A chapter before "CHAPITRE I." keeps the source's headings (chapters.keep_source_numbering).
    assert [f.get("title") for f, _ in found] == ["Préface de l'Éditeur", "Chapitre I: Du puits",
                                                  "Chapitre II: De la porte", "Chapitre III: Du retour"]
    assert found[0][1] == f"{' '.join(PREFACE.split())}\n\nIl fut réimprimé deux fois.\n\nMARCEAU.\n"
    dedicated = gutenberg_text(tmp_path, "Puits", (
        centre("To my sister", "who found the well", "and the lantern in it") + "\n\n\n"
        + "CHAPITRE I.\n\nDu puits.\n\n\nLe puits était sec.\n\n\nCHAPITRE II.\n\nDe la porte.\n\n\nUne porte.\n\n\n"
        + "CHAPITRE III.\n\nDu retour.\n\n\nIl revint.\n"), titled=False)
    found = chapters(import_source(dedicated, tmp_path / "puits"))
    assert found[0][1] == "To my sister\n\nwho found the well\n\nand the lantern in it\n"


def test_a_plain_text_in_parts_that_each_number_their_chapters_from_one(tmp_path):
    """Madame Bovary as text: "PREMIÈRE PARTIE", "I" to "IX", "DEUXIÈME PARTIE", "I" to "XV"…, numbers with
    no stop: it came in as one chapter of 358 pages. Each part's heading is now a chapter of its own (no
    text: a part title page) and each of its chapters one. A run numbered again under a heading that names
    no part (a glossary's) is not taken."""
    def part(title: str, *chapters: str) -> str:
        return f"\n\n\n{title}\n\n\n" + "".join(
            f"\n\n{number}\n\n{text} était là depuis le début de l'été, et personne ne savait pourquoi.\n\nIl attendit.\n"
            for number, text in zip(("I", "II", "III"), chapters))

    # Before them, its title page and its contents of the parts' and chapters' headings alone, one a line
    # ("Table des matières", "PREMIÈRE PARTIE", "I"…): a paragraph of numbers in the first chapter.
    contents = "\n".join(["PREMIÈRE PARTIE", "I", "II", "III", "DEUXIÈME PARTIE", "I", "II", "III"])
    dedication = ("À ma sœur, qui descendit la première dans le puits et remonta, le soir, par-\n"
                  "dessus la margelle.")  # a compound broken at its hyphen: joined whole
    source = gutenberg_text(tmp_path, "Puits", (
        f"Ines Calder\n\nPUITS\n\n(1857)\n\n\n\nTable des matières\n\n{contents}\n\n\n\n{dedication}\n"
        + part("PREMIÈRE PARTIE", "Le puits", "La corde", "Le seau")
        + part("DEUXIÈME PARTIE", "La porte", "La clef", "La salle")
        + part("Mots et expressions", "Un puits", "Un seau", "Une clef")), titled=False)
    project = tmp_path / "puits"
    found = chapters(import_source(source, project))
    assert [f.get("title") for f, _ in found] == [None, "PREMIÈRE PARTIE", "I", "II", "III", "DEUXIÈME PARTIE", "I",
                                                  "II", "III"]
    assert found[0][1] == "À ma sœur, qui descendit la première dans le puits et remonta, le soir, par-dessus la margelle.\n"
    assert [body.split(" ", 2)[:2] for _, body in found][1:4] == [["\n"], ["Le", "puits"], ["La", "corde"]]
    assert "Il attendit.\n\nMots et expressions\n\nI\n\nUn puits" in found[-1][1]


def test_a_plain_texts_books_over_their_chapter_one_are_chapters_of_their_own(tmp_path):
    """War and Peace as text: "BOOK TWO: 1805" over "CHAPTER I" was the last paragraph of book one's last
    chapter, "FIRST EPILOGUE: 1813 - 20" that of book fifteen's. Each is a chapter of its own, with no text."""
    text = " ".join(["The snow had not stopped since morning, and the road was lost under it."] * 5)
    source = gutenberg_text(tmp_path, "Snow", "".join(
        f"\n\n\n{part}\n\n" + "".join(f"\n\nCHAPTER {number}\n\n{text}\n" for number in ("I", "II"))
        for part in ("BOOK ONE: 1805", "BOOK TWO: 1806", "FIRST EPILOGUE: 1813 - 20")), "English")
    found = chapters(import_source(source, tmp_path / "snow"))
    assert [f.get("title") for f, _ in found] == ["Book One: 1805", "Chapter I", "Chapter II", "Book Two: 1806",
                                                  "Chapter I", "Chapter II", "First Epilogue: 1813 - 20", "Chapter I",
                                                  "Chapter II"]  # in title case, as an English book's capitals are
    assert [body for _, body in found if text in body] == [f"{text}\n"] * 6


def test_a_german_texts_ordinal_kapitel_lines_head_its_chapters(tmp_path):
    """Effi Briest as text, "Erstes Kapitel" to "Sechsunddreißigstes Kapitel", came in as one chapter."""
    source = gutenberg_text(tmp_path, "Brunnen", "".join(
        f"\n\n\n{ordinal} Kapitel\n\n\nDer Brunnen war {n} Tage trocken.\n"
        for n, ordinal in enumerate(["Erstes", "Zweites", "Drittes", "Einundzwanzigstes"], 1)), "German")
    found = chapters(import_source(source, tmp_path / "brunnen"))
    assert [f.get("title") for f, _ in found] == ["Erstes Kapitel", "Zweites Kapitel", "Drittes Kapitel",
                                                  "Einundzwanzigstes Kapitel"]
    assert found[3][1] == "Der Brunnen war 4 Tage trocken.\n"


def test_a_headings_title_that_runs_on_to_the_next_line_is_the_whole_title(tmp_path):
    """Don Quijote as text: "Capítulo III. Donde se cuenta la graciosa manera que tuvo don Quijote en" /
    "armarse caballero", the title's end the text's first line; and its "Capítulo primero." no heading."""
    source = gutenberg_text(tmp_path, "Molinos", (
        "Capítulo primero. Que trata de la llanura y del viento que soplaba\nsobre ella\n\n\nEra llano.\n\n\n"
        "Capítulo II. Donde se cuenta cómo el molinero subió\na la torre\n\n\nSubió despacio.\n\n\n"
        "Capítulo III. Del fin\n\n\nY acabó.\n"), "Spanish")
    found = chapters(import_source(source, tmp_path / "molinos"))
    assert [f.get("title") for f, _ in found] == ["Que trata de la llanura y del viento que soplaba sobre ella",
                                                  "Donde se cuenta cómo el molinero subió a la torre", "Del fin"]
    assert [body for _, body in found] == ["Era llano.\n", "Subió despacio.\n", "Y acabó.\n"]


def test_a_plain_texts_chapters_set_apart_keep_their_numbered_sections_as_headings(tmp_path):
    """Chapters headed by lines a plain text sets apart by blank lines, each numbering its own sections "I",
    "II" on lines alone (Germinal's parts, before its part headings were known as such): those came in as
    paragraphs, which the contents could not list. A chapter's numbers that do not count on from I, and a
    lone "I" in a chapter without a II, stay text."""
    def part(title: str, *body: str) -> str:
        return f"\n\n\n\n{title}\n\n\n" + "\n\n".join(body) + "\n"

    text = (part("At the Pit", "I", "The pit woke at four.", "II", "The cages went down.", "III", "Noon came.")
            + part("At the Manor", "I", "The manor slept late.", "2", "Not a chapter's number.", "II", "Tea.")
            + part("At the Inn", "I", "Alone, it is the pronoun's paragraph.")
            + part("At the Gate", "II", "It does not begin at one.", "III", "Nor here."))
    source = tmp_path / "pit.txt"
    source.write_text(f"Title: The Pit\nAuthor: Ines Calder\n\n*** START OF THE PROJECT GUTENBERG EBOOK THE PIT ***\n"
                      f"\nTHE PIT\n\nby Ines Calder\n{text}\n*** END OF THE PROJECT GUTENBERG EBOOK THE PIT ***\n", encoding="utf-8")
    found = chapters(import_source(source, tmp_path / "pit"))
    assert [f.get("title") for f, _ in found] == ["At the Pit", "At the Manor", "At the Inn", "At the Gate"]
    assert found[0][1] == "## I\n\nThe pit woke at four.\n\n## II\n\nThe cages went down.\n\n## III\n\nNoon came.\n"
    assert found[1][1] == "## I\n\nThe manor slept late.\n\n2\n\nNot a chapter's number.\n\n## II\n\nTea.\n"
    assert found[2][1].startswith("I\n\n") and found[3][1].startswith("II\n\n")


@pytest.mark.parametrize("inner", ["<h2>The Storm</h2>", "<h2>The Storm</h2><h3>At Sea</h3>"])
def test_a_title_heading_over_one_heading_loses_no_text(tmp_path, inner):
    """A file of <h1>, a paragraph, one <h2> and its text: everything but the <h2> was lost, silently (the
    split tried under the <h1> moved the text on into a wrapper of its own, and the <h1>'s was read)."""
    # The same split tried inside a part: a poem's text in a <section> under its <h3> was lost too.
    _, found = tide_clock_html(tmp_path, (
        "<section><h2>Songs</h2><section><h3>Of the Tide</h3><section><p>O a new song.</p></section></section>"
        "<section><h3>Of the Lamp</h3><p>It burned.</p></section></section><section><h2>More</h2><p>Yes.</p></section>"))
    assert found[0][1] == "## Of the Tide\n\nO a new song.\n\n## Of the Lamp\n\nIt burned.\n"
    source = tmp_path / "night.html"
    source.write_text(f"<html><head><title>Night Book</title></head><body><h1>Night Book</h1><p>Intro.</p>{inner}"
                      "<p>It was a dark and stormy night.</p><p>Second paragraph.</p></body></html>", encoding="utf-8")
    project = import_source(source, tmp_path / "night")
    text = "".join(body for _, body in chapters(project))
    assert all(words in text for words in ("Intro.", "The Storm", "It was a dark and stormy night.", "Second paragraph."))
    assert text.index("Intro.") < text.index("The Storm") < text.index("Second paragraph.")


def test_a_long_files_lists_of_links_within_it_are_left_out_with_their_labels(tmp_path):
    """Project Gutenberg's The Complete Angler: "CONTENTS" and "List of Illustrations" in bold paragraphs,
    each entry a paragraph that is only a link within the file: they came in as lines of the text
    before the first chapter. A paragraph of prose with a link in it stays."""
    entries = "".join(f'<p class="toc"><a href="#c{n}">CHAP. {n}.</a></p>' for n in ("I", "II", "III"))
    pictures = "".join(f'<p class="toc"><a href="#p{n}">A {name}</a></p>' for n, name in enumerate(["Trout", "Pike", "Carp"]))
    source = tmp_path / "angler.html"
    source.write_text("<html><body><h1>THE TIDE CLOCK</h1><p>A reprint of the first edition, see "
                      f'<a href="#cI">the first chapter</a>.</p><p><b>CONTENTS</b></p>{entries}<hr/>'
                      f"<p><b>List of Illustrations</b></p>{pictures}"
                      + "".join(f'<h2 id="c{n}">CHAP. {n}.</h2><p>The tide turned in part {n}.</p>' for n in ("I", "II", "III"))
                      + "</body></html>", encoding="utf-8")
    warned = []
    project = import_source(source, tmp_path / "angler", warn=warned.extend)
    first = chapters(project)[0][1]
    assert [w.message.split(" is left out")[0] for w in warned] == [
        "the source's own contents (3 links within the file)", "the source's own list of pictures (3 links within the file)"]
    assert "A reprint of the first edition, see the first chapter." in first
    assert not any(word in first for word in ("CONTENTS", "CHAP.", "Illustrations", "Trout", "Carp"))


def test_a_gutenberg_html_volunteers_credit_heading_and_numbers_between_dashes(tmp_path):
    """Project Gutenberg's Spanish Marianela: the volunteer's credit after the header is an <h3> ("E-text
    prepared by …"), which came in as chapter 1, and each chapter's number is set between dashes ("-I-")
    over its title at <h3>: the contents read "Capítulo 2: -I-" with "Perdido" under it. The credit is
    left out, as a plain text's is, and "-I-" is the number I, its title the heading after it."""
    source = tmp_path / "faro.html"
    source.write_text(
        '<html lang="es"><body><pre>Title: El faro\nAuthor: Inés Marín\nLanguage: Spanish\n\n'
        "*** START OF THIS PROJECT GUTENBERG EBOOK EL FARO ***</pre>"
        "<h3>E-text prepared by Lola Rey</h3>"
        + "".join(f'<h2><a name="{n}"></a>-{n}-</h2><h3>{title}</h3><p>La luz giraba {n} veces.</p>'
                  for n, title in (("I", "La torre"), ("II", "La niebla"), ("III", "El barco")))
        + "<pre>*** END OF THIS PROJECT GUTENBERG EBOOK EL FARO ***</pre></body></html>", encoding="utf-8")
    project = import_source(source, tmp_path / "faro")
    found = chapters(project)
    assert [front.get("title") for front, _ in found] == ["La torre", "La niebla", "El barco"]
    assert "chapter_label" not in (project / "manuscript" / "book.yaml").read_text(encoding="utf-8")
    assert not any("Lola Rey" in body for _, body in found)


def contents_table(rows: list[tuple[str, str]]) -> str:
    return "<table>" + "".join(f'<tr><td>{n}.</td><td><a href="#{target}">{text}</a></td></tr>' for n, (target, text)
                               in enumerate(rows, 1)) + "</table>"


def test_a_long_files_contents_in_headed_tables_finds_the_chapters_below_the_top_level(tmp_path):
    """Project Gutenberg's Flatland: "CONTENTS:" at <h2> over two tables of links, each under a part's
    heading; in the text, "PART I" and the sections the contents lists at <h3>, "PART II" at <h2>. Split
    at <h2>, the contents was a chapter that held all of Part I, and the book came in as three chapters.
    The contents is left out with its headings; the chapters begin where it leads, and at the parts."""
    source = tmp_path / "lantern.html"
    source.write_text(
        "<html><body><h1>The Lantern Roads</h1><h3>Foreword</h3><p>A word before the roads.</p>"
        "<h2>CONTENTS:</h2><h3>PART I: NEAR ROADS</h3>"
        + contents_table([("s1", "The Mill Road"), ("s2", "The Ferry Road")]) + "<br/><h3>PART II: FAR ROADS</h3>"
        + contents_table([("s3", "The Salt Road")]) +
        '<h3>PART I: NEAR ROADS</h3><h4>"Walk slowly."</h4>'
        '<a name="s1"></a><h3>Section 1. The Mill Road</h3><p>The mill road ran past the weir.</p>'
        '<a name="s2"></a><h3>Section 2. The Ferry Road</h3><p>The ferry road ended at the water.</p>'
        '<a name="s3"></a><h2>PART II: FAR ROADS</h2><h4>"Walk far."</h4>'
        "<h3>Section 3. The Salt Road</h3><p>The salt road crossed the marsh.</p></body></html>", encoding="utf-8")
    warned = []
    project = import_source(source, tmp_path / "lantern", warn=warned.extend)
    found = chapters(project)
    assert [front.get("title") for front, _ in found] == [
        None, "PART I: NEAR ROADS", "Section 1. The Mill Road", "Section 2. The Ferry Road", "PART II: FAR ROADS",
        "Section 3. The Salt Road"]
    assert found[0][1].startswith("## Foreword\n\nA word before the roads.")  # the front matter, as before
    assert [w.message.split(" is left out")[0] for w in warned] == ["the source's own contents (3 links within the file)"]
    assert found[1][1].strip() == '## "Walk slowly."' and found[4][1].strip() == '## "Walk far."'
    assert "weir" in found[2][1] and "marsh" in found[5][1]
    assert not any("|" in body for _, body in found)


def test_a_contents_that_leads_to_each_chapter_it_splits_at_keeps_the_split(tmp_path):
    """Where splitting at the top level already begins a chapter at each heading the contents leads to, the
    contents changes nothing: a heading of the chapters' level it does not list stays in its chapter
    (Katrine's newspaper headlines at its chapters' <h3>)."""
    source = tmp_path / "tide.html"
    rows = [(f"c{n}", f"Tide {n}") for n in (1, 2, 3)]
    source.write_text("<html><body><h1>Tides</h1><h2>CONTENTS</h2>" + contents_table(rows)
                      + "".join(f'<h2 id="c{n}">Tide {n}</h2><p>The water rose {n} feet.</p>' for n in (1, 2, 3))
                      + "<h3>HARBOUR FLOODED!</h3><p>The paper said so.</p></body></html>", encoding="utf-8")
    found = chapters(import_source(source, tmp_path / "tide"))
    assert [front.get("title") for front, _ in found] == ["Tide 1", "Tide 2", "Tide 3"]
    assert "HARBOUR FLOODED!" in found[2][1]


@pytest.mark.parametrize("html, items", [
    # Standard Ebooks' The Art of War: an item of two paragraphs, the items after it run into its second
    ("<ol><li><p>First item.</p><p>More of first.</p></li><li><p>Second item.</p></li><li>Third item.</li></ol>",
     ["First item. More of first.", "Second item.", "Third item."]),
    # a list inside an item: nested, not flattened into the item's text
    ("<ul><li>Tides<ul><li>Spring</li><li>Neap</li></ul></li><li>Winds</li></ul>", ["Tides Spring Neap", "Winds"]),
])
def test_a_list_items_paragraphs_and_lists_stay_in_it(html, items):
    """markdownify indents an item's later lines by its bullet's width ("1. ": three spaces); Python-Markdown
    reads four: the second paragraph left the list and took the items after it, as "… 2. Second item. 3. …",
    and a nested list became text of its item."""
    from lxml import html as lxml_html

    from bookmaker.importers.markdown import html_to_markdown
    from bookmaker.render.markdown import markdown_to_html

    tree = lxml_html.fromstring(f"<div>{markdown_to_html(html_to_markdown(html, '', None))}</div>")
    top = tree.xpath("./ol/li | ./ul/li")
    assert [" ".join(li.text_content().split()) for li in top] == items
    assert len(tree.xpath("//li")) == (3 if "<ol>" in html else 4)


def test_a_note_called_from_a_note_is_defined_and_no_mark_is_left(tmp_path):
    """Standard Ebooks' The Art of War calls 21 of its endnotes from inside other endnotes: the called
    note was lost, and its call printed as private-use marks around its number ("mine are?\ue000774\ue001")."""
    _, found = tide_clock_html(tmp_path, (
        '<h2>The Office</h2><p>The clerk kept the tables<a href="#n1" epub:type="noteref">1</a>.</p>'
        '<h2>The Light</h2><p>The lamp was lit.</p>'
        '<section epub:type="endnotes"><ol><li id="n1" epub:type="endnote"><p>Bound in calf, as the '
        'harbour board wished<a href="#n2" epub:type="noteref">2</a>.</p></li>'
        '<li id="n2" epub:type="endnote"><p>Minutes of 1821.</p></li></ol></section>'))
    body = found[0][1]
    assert body == ("The clerk kept the tables[^1].\n\n[^1]: Bound in calf, as the harbour board wished[^2].\n\n"
                    "[^2]: Minutes of 1821.\n")
    assert not any(c in "".join(b for _, b in found) for c in "\ue000\ue001\ue002\ue003\ue004")


def test_a_notes_passages_in_other_languages_are_marked_as_the_texts_are(tmp_path):
    """The Art of War's endnotes carry 3,915 language marks (Chinese, Wade-Giles, French); its notes came
    in with none: the notes were taken out of the pages before the pages' languages were marked."""
    _, found = tide_clock_html(tmp_path, (
        '<h2>The Office</h2><p>The clerk kept <i xml:lang="fr">le registre</i><a href="#n1" epub:type="noteref">1'
        '</a>.</p><h2>The Light</h2><p>The lamp was lit.</p><section epub:type="endnotes"><ol><li id="n1" '
        'epub:type="endnote"><p>Also written <span xml:lang="cmn-Hant">闔閭</span>.</p></li></ol></section>'))
    assert found[0][1] == ('The clerk kept <span lang="fr">*le registre*</span>[^1].\n\n'
                           '[^1]: Also written <span lang="cmn-Hant">闔閭</span>.\n')


def test_a_speakers_header_in_a_poem_is_a_name_in_bold_not_a_heading(tmp_path):
    """Standard Ebooks' Leaves of Grass names who speaks each part of "Song of the Banner at Daybreak" in a
    <header class="speaker">: each became a heading at the poems' level, set and listed as a poem."""
    part = ('<section epub:type="part"><header class="speaker"><p epub:type="se:bridgehead">{}</p></header>'
            '<p><span>{}</span><br/><span>and on.</span></p></section>')
    _, found = tide_clock_html(tmp_path, (
        '<section><h2>Harbour Songs</h2><section><h3>Song of the Tide</h3>' + part.format("Keeper", "O a new song,")
        + part.format("Child", "O father,") + '</section><section><h3>Song of the Lamp</h3><p>It burned.</p>'
        '</section></section><section><h2>Other Songs</h2><p>More.</p></section>'))
    body = found[0][1]
    assert "**Keeper**\n\nO a new song," in body and "**Child**" in body
    assert [line for line in body.splitlines() if line.startswith("#")] == ["## Song of the Tide", "## Song of the Lamp"]


def test_a_line_beside_the_title_in_its_header_begins_the_text():
    """Standard Ebooks' Lovecraft: "<header><h2>The Temple</h2><p epub:type="bridgehead">(Manuscript found on
    the coast of Yucatan.)</p></header>": once the title was taken out, the header held a line alone and
    was made a heading, listed in the contents as a part of the story."""
    from bookmaker.importers.chapters import chapters_from_root, parse_html
    from bookmaker.importers.markdown import Images, Notes

    soup = parse_html('<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"><body>'
                      '<article><header><h2 epub:type="title">The Temple</h2><p epub:type="bridgehead">(Found on the '
                      'coast.)</p></header><p>It is my intention to state the facts.</p></article></body></html>', xml=True)
    [temple] = chapters_from_root(soup.body, "", Images(), Notes())
    assert (temple.title, temple.body) == ("The Temple", "(Found on the coast.)\n\nIt is my intention to state the facts.\n")


@pytest.mark.parametrize("html, text", [
    ("<h2>CHAPTER I.<br/>The Widow and her Child</h2>", "CHAPTER I.: The Widow and her Child"),
    ("<h2>Book One<br/>The Harbour</h2>", "Book One: The Harbour"),
    # Project Gutenberg's The Velveteen Rabbit: one title over two lines, not "THE: Velveteen Rabbit"
    ("<h1><small>THE</small><br/>Velveteen Rabbit</h1>", "THE Velveteen Rabbit"),
    ("<h2>The \u201cMind the Paint\u201d<br/>Girl</h2>", "The \u201cMind the Paint\u201d Girl"),
])
def test_a_headings_lines_are_one_title_parted_by_a_colon_only_after_its_number(html, text):
    from bookmaker.importers.chapters import _text, parse_html

    assert _text(parse_html(f"<html><body>{html}</body></html>").find(("h1", "h2"))) == text


def test_a_plain_texts_underscored_words_are_in_italics(tmp_path):
    """Project Gutenberg's plain texts mark italics with underscores ("I'm _not_ a thief"), which came in as
    underscores printed in the text; a name_with_underscores and a lone one stay as written."""
    source = tmp_path / "clock.txt"
    source.write_text("Chapter 1\n\nI'm _not_ a thief, and the _Swallow\nwas_ never mine.\n\nIt ran on tide_table "
                      "time, _said he.\n\nChapter 2\n\nThe end.\n", encoding="utf-8")
    project = import_source(source, tmp_path / "clock")
    assert chapters(project)[0][1] == ("I'm *not* a thief, and the *Swallow was* never mine.\n\n"
                                       "It ran on tide\\_table time, \\_said he.\n")


def test_a_plain_text_storys_labelled_lines_are_its_fields_and_its_asterisked_words_italics(tmp_path):
    """A story typed for the web as plain text: its labelled lines above the first chapter came in as an
    untitled chapter 1, and its *asterisked* words as `\\*knew\\*`, only underscores counting as italics."""
    source = tmp_path / "clock.txt"
    source.write_text("The Tide Clock\nby Odile Fenn\n\nRating: General Audiences\nFandom: Original Work\n\n"
                      "Summary: The clock stops; *someone*\nstopped it--on purpose.\n\n"
                      "Author's Note: For the harbour exchange.\n\n\n"
                      "Chapter 1: Slack Water\n\nShe *knew* it, and *said it twice*, and _wrote_ it down.\n\n"
                      "* * *\n\nA lone * stays, and so do 2*3*4 and a star* after a word.\n\n"
                      "* a bullet, * another\n\n\nChapter 2: High Water\n\n*The end.*\n", encoding="utf-8")
    project = import_source(source, tmp_path / "clock")
    meta = book_yaml(project)
    assert (meta["title"], meta["author"]) == ("The Tide Clock", "Odile Fenn")
    assert meta["summary"] == "The clock stops; *someone*\nstopped it\u2014on purpose."
    assert meta["notes"] == "For the harbour exchange."
    assert meta["tags"] == {"Rating": ["General Audiences"], "Fandom": ["Original Work"]}
    assert [(front.get("title"), body) for front, body in chapters(project)] == [
        ("Slack Water", "She *knew* it, and *said it twice*, and *wrote* it down.\n\n* * *\n\n"
                        "A lone \\* stays, and so do 2\\*3\\*4 and a star\\* after a word.\n\n"
                        "\\* a bullet, \\* another\n"),
        ("High Water", "*The end.*\n")]


def test_an_older_htmls_notes_by_named_anchors_go_to_their_chapters(tmp_path):
    """Project Gutenberg's News from Nowhere links each call to a named anchor (<a name="footnote1">), not
    an id: its notes came in as a chapter of their own ("Footnotes", "[1] …") and the calls as plain "[1]"
    after a space. Now each note is its chapter's footnote, called against its word, and the emptied
    notes' page is gone."""
    project, found = tide_clock_html(tmp_path, (
        '<h2>CHAPTER I: THE OFFICE</h2><p>The clerk kept elegantly <a name="citation1"></a><a href="#footnote1" '
        'class="citation">[1]</a> bound tables.</p><h2>CHAPTER II: THE LIGHT</h2><p>The lamp was lit.</p><h2>FOOTNOTES'
        '</h2><p><a name="footnote1"></a><a href="#citation1" class="footnote">[1]</a>&nbsp; In calf, with brass '
        'corners.</p>'))
    assert [f.get("title") for f, _ in found] == ["The Office", "The Light"]
    assert found[0][1] == "The clerk kept elegantly[^1] bound tables.\n\n[^1]: In calf, with brass corners.\n"
    built_text(project, tmp_path)


# Project Gutenberg's wrapping (its header and footer, as its files carry them), around text of ours.
GUTENBERG_HEADER = ("The Project Gutenberg eBook of The Tide Clock, by Odile Fenn\n\nThis eBook is for the use of "
                    "anyone anywhere at no cost.\n\nTitle: The Tide Clock\n       A Story of the Harbour\n\n"
                    "Author: Odile Fenn\n\nRelease Date: May 1, 2020 [EBook #99999]\n\nLanguage: French\n\n"
                    "*** START OF THIS PROJECT GUTENBERG EBOOK THE TIDE CLOCK ***\n\n")
GUTENBERG_FOOTER = ("\n\n*** END OF THIS PROJECT GUTENBERG EBOOK THE TIDE CLOCK ***\n\nSection 1. General Terms "
                    "of Use and Redistributing Project Gutenberg-tm electronic works\n")


def test_a_project_gutenberg_text_loses_its_header_and_footer_and_gives_its_title(tmp_path):
    source = tmp_path / "99999-0.txt"
    source.write_text(GUTENBERG_HEADER + "CHAPTER ONE\n\nThe clock ran on the tide.\n\nCHAPTER TWO\n\n"
                      "It was never wrong." + GUTENBERG_FOOTER, encoding="utf-8")
    project = import_source(source, tmp_path / "clock")
    assert book_yaml(project) == {"title": "The Tide Clock", "subtitle": "A Story of the Harbour",
                                  "author": "Odile Fenn", "language": "fr"}
    assert [body for _, body in chapters(project)] == ["The clock ran on the tide.\n", "It was never wrong.\n"]


def test_a_project_gutenberg_html_file_loses_its_header_footer_page_numbers_and_enlarge_icons_and_keeps_its_cover(
        tmp_path):
    source = tmp_path / "99999-h.htm"
    source.write_text(
        '<html lang="fr"><head><title>The Project Gutenberg eBook of The Tide Clock</title>'
        '<link rel="coverpage" href="images/cover.png"/></head><body>'
        f'<pre>{GUTENBERG_HEADER}</pre><h1>THE TIDE CLOCK.</h1><h2>I. The Clock</h2>'
        '<p>The clock ran <span class="pagenum">12</span>on the tide.</p><div class="pagenum">13</div>'
        '<div class="figcenter"><img src="images/a.png" alt="The clock." width="400" height="300"/>'
        '<span class="link"><a href="images/x-a.png"><img src="images/enlarge.png" alt="Enlarge" width="18" '
        'height="14"/></a></span></div><h2>II. The Tide</h2><p>It was never wrong.</p>'
        f'<pre>{GUTENBERG_FOOTER}</pre><p>Most people start at our Web site.</p></body></html>', encoding="utf-8")
    (tmp_path / "images").mkdir()
    from conftest import png

    png(tmp_path / "images" / "a.png", 40, 30)
    png(tmp_path / "images" / "enlarge.png", 18, 14)
    png(tmp_path / "images" / "cover.png", 640, 1024)
    project = import_source(source, tmp_path / "clock")
    assert book_yaml(project) == {"title": "The Tide Clock", "subtitle": "A Story of the Harbour",
                                  "author": "Odile Fenn", "language": "fr", "cover": "images/cover.png"}
    found = chapters(project)
    assert [f.get("title") for f, _ in found] == ["The Clock", "The Tide"]  # the book numbers them again
    assert found[0][1] == "The clock ran on the tide.\n\n![The clock.](images/a.png)\n"
    assert found[1][1] == "It was never wrong.\n"
    assert sorted(p.name for p in (project / "manuscript" / "images").iterdir()) == ["a.png", "cover.png"]
    png(tmp_path / "images" / "cover.png", 600, 800)  # smaller than the stores take: the book would not build
    assert "cover" not in book_yaml(import_source(source, tmp_path / "small"))



def test_a_thumbnail_linked_to_its_full_size_picture_comes_in_at_full_size(tmp_path):
    """Project Gutenberg's picture books link each thumbnail to its full size (The Tale of Benjamin Bunny:
    355 × 400 pixels against 1066 × 1200): the thumbnail came in, and the print PDF's pictures were too coarse
    for KDP. A link to no picture, a file that is none, or one outside the source's folder keeps the thumbnail."""
    from PIL import Image

    folder = tmp_path / "src"
    for stem in ("01", "02", "03", "04", "05"):
        png(folder / "images" / f"{stem}-tb.png", 30, 40)
    png(folder / "images" / "01.png", 300, 400)
    png(tmp_path / "outside.png", 300, 400)
    (folder / "images" / "03.png").write_text("not a picture", encoding="utf-8")
    source = folder / "tale.html"
    source.write_text('<html lang="en"><body><h1>The Tide Clock</h1>'
                      '<p>The first picture.</p><p><a href="images/01.png"><img src="images/01-tb.png" alt="The quay"></a></p>'
                      '<p>A second.</p><p><a href="images/02.png"><img src="images/02-tb.png" alt="Missing"></a></p>'
                      '<p>A third.</p><p><a href="images/03.png"><img src="images/03-tb.png" alt="Not one"></a></p>'
                      '<p>A fourth.</p><p><a href="../outside.png"><img src="images/04-tb.png" alt="Outside"></a></p>'
                      '<p>A fifth.</p><p><a href="images/01.png">See <img src="images/05-tb.png" alt="Beside"></a></p>'
                      '</body></html>', encoding="utf-8")
    project = import_source(source, tmp_path / "clock")
    body = chapters(project)[0][1]
    shown = re.findall(r"!\[([^\]]*)\]\(([^)]+)\)", body)
    assert shown == [("The quay", "images/01.png"), ("Missing", "images/02-tb.png"), ("Not one", "images/03-tb.png"),
                     ("Outside", "images/04-tb.png"), ("Beside", "images/05-tb.png")]
    with Image.open(project / "manuscript" / "images" / "01.png") as picture:
        assert picture.size == (300, 400)
    assert sorted(p.name for p in (project / "manuscript" / "images").iterdir()) == [
        "01.png", "02-tb.png", "03-tb.png", "04-tb.png", "05-tb.png"]


def test_a_project_gutenberg_marker_inside_the_books_own_wrapper_takes_no_text_with_it(tmp_path):
    """A file whose one <div> holds the header, the book and the footer: only the marker goes, never the
    element, which would take the story with it."""
    story = "".join(f"<p>The clock ran on the tide, and the tide ran on the moon, night {n}.</p>" for n in range(80))
    source = tmp_path / "short.html"
    source.write_text(f'<html><body><div><p>{GUTENBERG_HEADER}</p>{story}</div></body></html>', encoding="utf-8")
    project = import_source(source, tmp_path / "short")
    text = "".join(body for _, body in chapters(project))
    assert "night 0." in text and "night 79." in text and "START OF" not in text

# Malformed sources -------------------------------------------------------------------------------

def refused(source: Path, project: Path) -> str:
    before = set(project.parent.iterdir())
    with pytest.raises(BookmakerError) as caught:
        import_source(source, project)
    assert len(caught.value.problems) == 1
    assert set(project.parent.iterdir()) == before, "a failed import left something behind"
    return str(caught.value.problems[0])


def test_truncated_epub(tmp_path):
    source, _ = fanficfare_epub(tmp_path / "whole.epub")
    cut = tmp_path / "cut.epub"
    cut.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    assert "is not a complete EPUB" in refused(cut, tmp_path / "out")


@pytest.mark.parametrize("name, kind", [("novel.docx", "a Word document"), ("novel.epub", "an EPUB")])
def test_a_docx_or_epub_that_is_not_a_zip(tmp_path, name, kind):
    source = tmp_path / name
    source.write_text("Just some words saved with the wrong name.", encoding="utf-8")
    assert f"is not {kind}: {kind} is a zip file" in refused(source, tmp_path / "out")


def test_archive_web_page_is_not_a_download(tmp_path):
    source = tmp_path / "work.html"
    source.write_text('<html><body><div id="main"><dl class="work meta group"><dt>Rating:</dt><dd>G</dd></dl>'
                      '<div id="workskin"><p>Some text.</p></div></div></body></html>', encoding="utf-8")
    assert "not a download" in refused(source, tmp_path / "out")


def test_an_archive_download_of_its_preface_alone_is_refused(tmp_path):
    """Its tags and no text: it came in as a project of one empty chapter, and exited 0."""
    source = tmp_path / "preface.html"
    source.write_text('<html><body><div id="preface"><p class="message"><b>Salt</b> Posted originally on the Archive '
                      'of Our Own</p><dl class="tags"><dt>Rating:</dt><dd>General Audiences</dd></dl><h1>Salt</h1>'
                      '</div></body></html>', encoding="utf-8")
    assert "holds no text to import" in refused(source, tmp_path / "out")


def test_html_without_text(tmp_path):
    source = tmp_path / "app.html"
    source.write_text('<html><body><div id="root"></div><script>load()</script></body></html>', encoding="utf-8")
    assert "no text" in refused(source, tmp_path / "out")


def test_zip_entries_that_climb_out(tmp_path):
    source = zip_with(tmp_path / "evil.epub", {"mimetype": "application/epub+zip", "../escape.txt": "x"})
    assert "points outside the archive" in refused(source, tmp_path / "out")


def test_zip_bomb_bounded(tmp_path, monkeypatch):
    import bookmaker.importers.sources as sources

    monkeypatch.setattr(sources, "MAX_TOTAL_BYTES", 1000)
    source = zip_with(tmp_path / "bomb.epub", {"mimetype": "application/epub+zip", "big.xhtml": "0" * 5000})
    assert "more than 200 MB" in refused(source, tmp_path / "out")


def test_unknown_binary(tmp_path):
    source = tmp_path / "scan.pdf"
    source.write_bytes(b"%PDF-1.7\n\0\0\0binary")
    assert "does not import" in refused(source, tmp_path / "out")


def test_non_empty_folder_refused(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine", encoding="utf-8")
    assert "not empty" in refused(ARCHIVE_HTML, tmp_path / "taken")
    assert (tmp_path / "taken" / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_a_project_folder_that_cannot_be_made_is_said_before_the_source_is_read(tmp_path, monkeypatch):
    """A folder in a folder that does not exist was said only after the source was converted (Leaves of
    Grass: 1.5 s); now before it is read."""
    import bookmaker.importers as importers

    def unread(source):
        raise AssertionError("the source was read")

    monkeypatch.setattr(importers, "read_source", unread)
    with pytest.raises(BookmakerError) as caught:
        import_source(ARCHIVE_HTML, tmp_path / "missing" / "book")
    assert [p.message for p in caught.value.problems] == [
        "folder does not exist: make it first, or name a project folder in a folder that exists"]
    assert not (tmp_path / "missing").exists()
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine", encoding="utf-8")
    assert "not empty" in refused(ARCHIVE_HTML, tmp_path / "taken")


def test_failure_while_writing_leaves_nothing(tmp_path, monkeypatch):
    import bookmaker.importers.project as project

    def broken(chapter):
        raise OSError("disk full")

    monkeypatch.setattr(project, "chapter_text", broken)
    with pytest.raises(OSError):
        import_source(ARCHIVE_HTML, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_fixture_is_in_the_archive_format():
    assert (FIXTURES / "import" / "archive-download.html") == ARCHIVE_HTML


@pytest.mark.parametrize("heading, title", [
    ("<h1>Civil</h1>", "Civil"),  # letters of Roman numerals, not a numeral
    ("<h1>Mimic</h1>", "Mimic"),
    ("<h1>Vivid</h1>", "Vivid"),
    ("<h1>XIV</h1>", None),
    ("<h1>mcmxii.</h1>", None),
    ("<h1>Chapter IX: Lid</h1>", "Lid"),
    ("<h1>Chapter Civil</h1>", "Chapter Civil"),
    ('<h2 epub:type="title">C</h2>', "C"),  # Standard Ebooks' Devil's Dictionary: the letter, a title
    ('<h2 epub:type="title">3</h2>', None),
    ('<h2 epub:type="ordinal z3998:roman">C</h2>', None),
    ('<h2 epub:type="title z3998:roman">IV</h2>', None),
    ('<hgroup><h2 epub:type="ordinal z3998:roman">IV</h2><p epub:type="title">D</p></hgroup>', "D"),
    # A number before the title, as Project Gutenberg's HTML heads its chapters; not a name's initial.
    ("<h2>I. A Scandal in Bohemia</h2>", "A Scandal in Bohemia"),
    ("<h2>VI.—THE MAN WITH THE TWISTED LIP</h2>", "THE MAN WITH THE TWISTED LIP"),
    ("<h2>2.—The Return</h2>", "The Return"),
    ("<h2>Chapter 3. — Storm</h2>", "Storm"),
    ("<h2>V. I. Warshawski</h2>", "V. I. Warshawski"),
    ("<h2>C. Auguste Dupin</h2>", "C. Auguste Dupin"),
    ("<h2>M. Poirot</h2>", "M. Poirot"),
    ("<h2>1.5 Litres</h2>", "1.5 Litres"),
    # "Chapter" in the languages bookmaker numbers chapters in: "Kapitel 2" printed "Kapitel 2: Kapitel 2".
    ("<h2>Kapitel 2</h2>", None),
    ("<h2>Chapitre 3 : La mer</h2>", "La mer"),
    ("<h2>Capítulo IV. El viaje</h2>", "El viaje"),
    ("<h2>Capitolo 5</h2>", None),
    ("<h2>Hoofdstuk 6 - De zee</h2>", "De zee"),
])
def test_a_heading_that_reads_as_a_number_is_a_title_where_it_is_not_one(heading, title):
    """A chapter's heading that is only its number is left out (the book numbers its chapters), but
    "Civil" was taken for a Roman numeral, and a dictionary's "C", marked a title, was lost."""
    from bs4 import BeautifulSoup

    from bookmaker.importers.chapters import heading_title

    soup = BeautifulSoup(f'<body xmlns:epub="http://www.idpf.org/2007/ops">{heading}</body>', "html.parser")
    assert heading_title(soup.body.find(["hgroup", "h1", "h2"])) == title


def test_the_lines_of_a_heading_group_after_its_title_begin_the_chapter():
    """Standard Ebooks' A Day at a Time: a chapter's heading group holds its number, its title, a date
    and, on a line of its own, a note's call. The date and the note were lost; the call now ends the date."""
    from bookmaker.importers.chapters import chapters_from_root, parse_html
    from bookmaker.importers.markdown import Images, Notes

    notes = Notes()
    notes.texts[1] = "With thanks to a friend."
    soup = parse_html('<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"><body>'
                      '<section><hgroup><h2 epub:type="z3998:ordinal z3998:roman">XXIX</h2><p epub:type="title">'
                      'The Quiet Harbour</p><p>(<time>Easter Day, 1915</time>)</p><p>\ue0001\ue001</p></hgroup>'
                      '<p>The tide came in.</p></section></body></html>', xml=True)
    [chapter] = chapters_from_root(soup.body, "", Images(), notes)
    assert chapter.title == "The Quiet Harbour"
    assert chapter.body == ("(Easter Day, 1915)[^1]\n\nThe tide came in.\n\n[^1]: With thanks to a friend.\n")


def test_a_passage_in_another_language_keeps_its_language(tmp_path):
    """Standard Ebooks' Devil's Dictionary marks 79 Latin, French and Greek passages (<i xml:lang="la">);
    they came in as plain emphasis, and a screen reader spoke them as English. Each is a <span lang>, a
    paragraph's span next to its words; a variant of the book's language (en-US in en-GB) is not one."""
    source = tmp_path / "dictionary.html"
    source.write_text(
        '<html lang="en-GB"><head><title>A Small Dictionary</title></head><body>'
        '<h1>A Small Dictionary</h1><h2>Cato</h2><p>The dictum <i xml:lang="la">Cogito ergo sum</i>, in the '
        '<span lang="en-US">color</span> of its day.</p><blockquote xml:lang="fr"><p>\n  Un vers,\n</p>'
        '<p>et <i lang="it">un altro</i>.</p></blockquote><h2 lang="de">Das Ende</h2><p>Done.</p></body></html>',
        encoding="utf-8")
    project = import_source(source, tmp_path / "dictionary")
    found = chapters(project)
    assert [f.get("title") for f, _ in found] == ["Cato", "Das Ende"]
    assert found[0][1] == ('The dictum <span lang="la">*Cogito ergo sum*</span>, in the color of its day.\n\n'
                           '> <span lang="fr">Un vers,</span>\n>\n'
                           '> <span lang="fr">et <span lang="it">*un altro*</span>.</span>\n')
    epub = tmp_path / "dictionary.epub"
    write_epub(load_book(project), epub)
    with zipfile.ZipFile(epub) as z:
        text = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml"))
    assert '<span xml:lang="la" lang="la"><em>Cogito ergo sum</em></span>' in text
    assert '<span xml:lang="it" lang="it"><em>un altro</em></span>' in text


def test_a_header_of_a_part_of_a_chapter_is_a_heading_but_not_a_letters_dateline():
    """Standard Ebooks' A Day at a Time ends each chapter with <div><header><p>Prayer</p></header>…: it
    came in as a line of text. Holmes's letters open with a <header> holding their dateline: a paragraph
    of the letter still."""
    from bookmaker.importers.chapters import chapters_from_root, parse_html
    from bookmaker.importers.markdown import Images, Notes

    soup = parse_html('<html xmlns="http://www.w3.org/1999/xhtml"><body><section><h2>A Quiet Harbour</h2>'
                      '<p>The tide came in.</p><blockquote><header><p>The Harbour, Tuesday.</p></header>'
                      '<p>Dear Ann.</p></blockquote><div><header><p><i>Evening</i></p></header>'
                      '<p>The lamps were lit.</p></div></section></body></html>', xml=True)
    [chapter] = chapters_from_root(soup.body, "", Images(), Notes())
    assert chapter.body == ("The tide came in.\n\n> The Harbour, Tuesday.\n>\n> Dear Ann.\n\n## *Evening*\n\n"
                            "The lamps were lit.\n")


def test_two_quotations_in_a_row_stay_two():
    """Standard Ebooks' A Day at a Time: the book's epigraph joins its first chapter, which opens with its
    own; Markdown joins two quotes that only a blank line parts, and the two epigraphs ran together."""
    from bookmaker.importers.markdown import html_to_markdown
    from bookmaker.render.markdown import markdown_to_html

    markdown = html_to_markdown("<blockquote><p>Nettles everywhere.</p><cite>A Poet</cite></blockquote>"
                                "<blockquote><p>As thy days.</p></blockquote><p>The text.</p>", "", None)
    assert markdown_to_html(markdown).count("<blockquote>") == 2
    # The epigraph's page has no heading: it joins the chapter after it, whose text opens with a quote.
    from bookmaker.importers.epub import _joined
    from bookmaker.importers.project import ImportedChapter

    [chapter] = _joined([([ImportedChapter(body="> Nettles everywhere.\n")], False, True),
                         ([ImportedChapter(body="> As thy days.\n\nThe text.\n", title="One")], True, False)])
    assert markdown_to_html(chapter.body).count("<blockquote>") == 2


def test_a_fault_in_a_reader_is_one_line_and_no_project(tmp_path, monkeypatch):
    """A reader's own bug (an index out of range on a heading it did not expect, found importing
    Standard Ebooks' A Day at a Time while it was being written) is one line naming the source, exit 1
    and nothing left behind, not a traceback."""
    def broken(data, path):
        raise IndexError("string index out of range")

    monkeypatch.setattr("bookmaker.importers.read_html", broken)
    source = tmp_path / "story.html"
    source.write_text("<html><body><h1>A</h1><p>Text.</p></body></html>", encoding="utf-8")
    message = refused(source, tmp_path / "out")
    assert "story.html" in message and "IndexError: string index out of range" in message and "report" in message


@pytest.mark.parametrize("title, name", [
    ("Mr. Garnet’s Narrative\u2060—Has to Do with a Reunion", "mr-garnets-narrative-has-to-do-with-a-reunion"),
    ("Love—Among the Chickens", "love-among-the-chickens"),  # the dash parts the words, though ASCII lacks it
    ("Café «Noir» – Über…alles", "cafe-noir-uber-alles"),
    ("The Lamplighter's Almanac", "the-lamplighters-almanac"),
    ("東京", "book"),
])
def test_a_file_name_made_from_a_title_keeps_its_words_apart(title, name):
    """Standard Ebooks' "Narrative⁠—Has" (a word joiner and an em dash) made the chapter file
    `06-mr-garnets-narrativehas-…md`: dropped as characters ASCII lacks, the dash joined two words."""
    from bookmaker.commands.build import slug as output_name
    from bookmaker.importers.project import slug

    assert slug(title) == name
    assert output_name(title) == name


@pytest.mark.parametrize("headings, kept", [
    (["Chapter 1", "Chapter 2: The Bar", "Chapter 3"], False),  # bookmaker numbers them alike
    (["I", "II. The Bar", "III"], False),
    (["Chapter One", "Chapter Two", "Chapter Three"], False),
    (["Chapter 1", "Apollo 13", "Chapter 3"], False),  # a number inside a title is no chapter number
    (["The Harbour", "Apollo 13", "Low Tide"], True),  # no chapter numbered: "Chapter 2: Apollo 13" is not the book's
    (["The Harbour", None, "Low Tide"], False),  # a chapter without a heading is numbered, as before
    (["Dramatis Personae", "Act I", "Act II"], True),  # a play: "Chapter 2: Act I" says what it is not
    (["Letter 1", "Letter 2"], True),
    (["The Preface", "I", "II"], True),  # the source's chapter I would be headed "Chapter 2"
    (["Prologue", "Chapter 1: Ashore", "Chapter 2"], True),
    (["Chapter 1", "Chapter 3"], True),
])
def test_chapters_numbered_otherwise_than_bookmaker_numbers_them_keep_their_headings(headings, kept):
    from bookmaker.importers.chapters import keep_source_numbering
    from bookmaker.importers.project import ImportedChapter

    assert keep_source_numbering([ImportedChapter(body="Text.\n", heading=h) for h in headings]) is kept


def test_a_play_and_a_book_with_a_prologue_keep_their_own_headings(tmp_path):
    """Standard Ebooks' Hamlet: "Act I" was read as a chapter number and left out, so each act was titled by
    its first scene ("Chapter 2: Scene I"); Dorian Gray's chapter I, after its preface, was "Chapter 2".
    Where the source numbers its chapters otherwise than bookmaker would, every heading is kept as written
    and the book shows titles alone (`chapter_label: false`)."""
    play = tmp_path / "play.md"
    play.write_text("# Dramatis Personae\n\nA keeper of the light.\n\n# Act I\n\n## Scene I\n\nThe lamp room.\n\n"
                    "## Scene II\n\nThe stair.\n\n# Act II\n\n## Scene I\n\nThe harbour.\n", encoding="utf-8")
    project = import_source(play, tmp_path / "play")
    assert book_yaml(project)["chapter_label"] is False
    assert [f.get("title") for f, _ in chapters(project)] == ["Dramatis Personae", "Act I", "Act II"]
    out = tmp_path / "play.epub"
    write_epub(load_book(project), out)
    with zipfile.ZipFile(out) as z:
        nav = BeautifulSoup(z.read("EPUB/nav.xhtml"), "lxml-xml").find("nav")
    entries = [a.get_text() for a in nav.find_all("a")]
    assert entries == ["Dramatis Personae", "Act I", "Scene I", "Scene II", "Act II", "Scene I"]

    novel = tmp_path / "novel.md"
    novel.write_text("# Prologue\n\nFog.\n\n# Chapter 1: Ashore\n\nSand.\n\n# Chapter 2\n\nRain.\n", encoding="utf-8")
    project = import_source(novel, tmp_path / "novel")
    assert book_yaml(project)["chapter_label"] is False
    assert [f.get("title") for f, _ in chapters(project)] == ["Prologue", "Chapter 1: Ashore", "Chapter 2"]

    plain = tmp_path / "plain.md"
    plain.write_text("# Chapter 1: Ashore\n\nSand.\n\n# Chapter 2\n\nRain.\n\n# Chapter 3\n\nSun.\n", encoding="utf-8")
    project = import_source(plain, tmp_path / "plain")
    assert "chapter_label" not in book_yaml(project)
    assert [f.get("title") for f, _ in chapters(project)] == ["Ashore", None, None]


def test_a_plays_table_of_speeches_comes_in_as_speeches_with_their_verse():
    """Standard Ebooks sets a play as a table, a row a speech, the speaker's cell beside it: as a Markdown
    table the speakers' names broke over two lines in a narrow column and verse ran on as prose."""
    from bookmaker.importers.chapters import chapters_from_root, parse_html
    from bookmaker.importers.markdown import Images, Notes

    soup = parse_html('<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"><body>'
                      '<section epub:type="chapter"><h2><span epub:type="label">Act</span> '
                      '<span epub:type="ordinal z3998:roman">I</span></h2><table><tbody>'
                      '<tr><td/><td><i epub:type="z3998:stage-direction">Enter <b epub:type="z3998:persona">Wren'
                      '</b>.</i></td></tr>'
                      '<tr><td epub:type="z3998:persona">Wren</td><td>Who keeps the lamp?</td></tr>'
                      '<tr><td epub:type="z3998:persona">Keeper</td><td epub:type="z3998:verse"><p>'
                      '<span>I keep it, and the stair,</span><br/><span>And all the night besides.</span></p></td></tr>'
                      '</tbody></table>'
                      '<table><tbody><tr><td>Tide</td><td>High</td></tr></tbody></table></section></body></html>', xml=True)
    [chapter] = chapters_from_root(soup.body, "", Images(), Notes())
    assert chapter.heading == "Act I" and chapter.title is None  # titled as written: keep_source_numbering
    speeches, table = chapter.body.split("\n\n|")
    assert speeches.split("\n\n") == [
        "*Enter **Wren**.*",
        "**Wren.** Who keeps the lamp?",
        "**Keeper.** I keep it, and the stair,  \nAnd all the night besides.",
    ]
    assert "Tide" in table and "High" in table  # a table that is no play's stays a table


def test_a_note_on_a_chapters_title_becomes_the_chapters_notes():
    """Standard Ebooks' Poe calls an endnote from a poem's title: the title came in as "Tamerlane1", its
    note's number run on to it, and the note was lost. A title holds no note: the chapter's notes do."""
    from bookmaker.importers.chapters import chapters_from_root, parse_html
    from bookmaker.importers.markdown import Images, Notes

    notes = Notes()
    notes.texts.update({1: "First printed in 1827.", 2: "A later hand."})
    soup = parse_html('<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"><body>'
                      '<article><h2 epub:type="title">The Lamp\ue0001\ue001</h2><p>It burned.\ue0002\ue001</p>'
                      '</article><article><h2 epub:type="title">The Stair</h2><p>It climbed.</p></article>'
                      '</body></html>', xml=True)
    lamp, stair = chapters_from_root(soup.body, "", Images(), notes)
    assert (lamp.title, lamp.heading, lamp.notes) == ("The Lamp", "The Lamp", "First printed in 1827.")
    assert lamp.body == "It burned.[^1]\n\n[^1]: A later hand.\n"  # a note called from the text stays a footnote
    assert (stair.title, stair.notes) == ("The Stair", None)


@pytest.mark.parametrize("heading", ["Contents", "INHOUD.", "Table des matières"])
def test_a_long_files_own_contents_page_is_left_out_with_a_warning(tmp_path, heading):
    """Project Gutenberg's HTML of Gabriël's Ontboezemingen (Dutch) and of Entre Nous (French): the printed
    contents page, "INHOUD." or "INDEX.", a table of titles and page numbers, came in as a chapter of page
    numbers that are not the new book's. A chapter so titled that holds prose stays."""
    rows = "".join(f"<tr><td>{n}.</td><td>Chapter title {n}</td><td>{3 + 7 * i}</td></tr>"
                   for i, n in enumerate(["I", "II", "III", "IV", "V", "VI"]))
    chapters_html = "".join(f"<h2>{n}. Title {n}</h2><p>The tide turned in part {n}.</p>"
                            for n in ["I", "II", "III", "IV", "V", "VI"])
    source = tmp_path / "book.html"
    source.write_text(f"<html><body><h2>{heading}</h2><table>{rows}</table>{chapters_html}"
                      f"<h2>Contents</h2><p>What the chest held was never listed, and nobody asked.</p></body></html>",
                      encoding="utf-8")
    warned = []
    project = import_source(source, tmp_path / "book", warn=warned.extend)
    titles = [f.get("title") for f, _ in chapters(project)]
    assert titles == ["Title I", "Title II", "Title III", "Title IV", "Title V", "Title VI", "Contents"]
    [warning] = warned
    assert warning.code == "source-contents" and warning.severity == "warning"
    assert f'"{heading}" (6 entries)' in warning.message


def test_a_plain_text_headed_by_roman_numerals_is_split_at_them():
    """Project Gutenberg's plain text of Entre Nous (French) heads its chapters "I." and "II. Papa se fâche."
    on lines of their own: it came in as one chapter, with the "End of the Project Gutenberg EBook" line
    that the footer begins with as its last paragraph."""
    from bookmaker.importers.longfile import read_text

    text = "\n".join([
        "Title: Marées", "Author: Ada Merriweather", "Language: French", "",
        "*** START OF THIS PROJECT GUTENBERG EBOOK MARÉES ***", "",
        "Au lecteur, ces pages.", "",
        "      I. La lampe        3", "     II. L'escalier      9", "    III. Le port        14", "", "",
        "I.", "", "", "La lampe brûlait.", "", "",
        "II. L'escalier.", "", "", "Trois choses comptent:", "",
        "1.", "", "La marée.", "",  # a list numbered inside the chapter ends no run
        "2.", "", "Le vent.", "", "",
        "III. Le port.", "", "", "Le port dormait.", "", "",
        "End of the Project Gutenberg EBook of Marées, by Ada Merriweather", "",
        "*** END OF THIS PROJECT GUTENBERG EBOOK MARÉES ***", "Licence text."])
    book = read_text(text, Path("marees.txt"))
    assert [c.heading for c in book.chapters] == [None, "I.", "II. L'escalier.", "III. Le port."]
    assert "Trois choses comptent" in book.chapters[2].body and "La marée" in book.chapters[2].body
    assert book.chapters[-1].body == "Le port dormait.\n"


def test_a_plain_text_headed_after_four_blank_lines_is_split_at_them():
    """Project Gutenberg's plain texts set four blank lines before a heading: Siddhartha's ("THE SON OF THE
    BRAHMAN") and the Grimms' ("THE GOLDEN BIRD") have no "Chapter" lines, and came in as one chapter, or
    split at a list of three numbered inside one tale. The volunteers' credit (on two lines) is the
    header's, the contents' lines of titles alone are its contents page, and the
    footer's "End of Project Gutenberg's …" line goes; the first line of a transcriber's note is not taken
    for the book's title any more (it was lost)."""
    from bookmaker.importers.longfile import read_text

    gap = ["", "", "", "", ""]
    tales = ["THE HARBOUR LAMP", "THE KEEPER'S DAUGHTER", "THE FOG BELL", "THE LAST BOAT", "THE NEW LENS",
             "THE PILOT'S WIFE", "THE SALT STORE", "THE TIDE TABLE", "THE WRECK", "THE NORTH LIGHT"]
    body = []
    for number, tale in enumerate(tales):
        body += [*gap, tale, "", "", f"The {tale.split()[-1].lower()} was seen at {number + 1} o'clock."]
        if number == 0:
            body += ["", "1.", "", "Oil.", "", "2.", "", "Wick.", "", "3.", "", "Glass."]  # a list inside a tale
    text = "\n".join([
        "Title: Lanterns", "Author: Ada Merriweather", "Language: English", "",
        "*** START OF THIS PROJECT GUTENBERG EBOOK LANTERNS ***", "", "",
        "Produced by Ada Merriweather and the Online", "Distributed Proofreading Team at http://www.pgdp.net", "",
        "Transcriber's Note: The spelling of the printed", "book is kept.", *gap,
        "CONTENTS", "", *[line for tale in tales for line in (tale, "")], *body, *gap,
        "End of Project Gutenberg's Lanterns, by Ada Merriweather", "",
        "*** END OF THIS PROJECT GUTENBERG EBOOK LANTERNS ***", "Licence text."])
    book = read_text(text, Path("lanterns.txt"))
    assert [c.title for c in book.chapters] == [None, *tales]  # title-cased later, as they are written
    assert book.chapters[0].body == "Transcriber's Note: The spelling of the printed book is kept.\n"
    assert "Glass." in book.chapters[1].body and book.chapters[-1].body == "The light was seen at 10 o'clock.\n"
    assert [p.code for p in book.problems] == ["source-contents"]


def test_numbered_headings_are_taken_over_a_title_page_set_apart_by_blank_lines():
    """Die Verwandlung's plain text heads its chapters "I" to "III", and sets seven lines of its title page
    after four blank lines each: it is split at its numbers, as before."""
    from bookmaker.importers.longfile import read_text

    gap = ["", "", "", "", ""]
    lines = ["Title: Die Lampe", "Language: German", "", "*** START OF THIS PROJECT GUTENBERG EBOOK DIE LAMPE ***"]
    for line in ("DIE LAMPE", "EINE ERZÄHLUNG", "VON", "ADA MERRIWEATHER", "LEIPZIG", "1917", "DRUCK"):
        lines += [*gap, line, ""]
    for number, words in (("I.", "Die Lampe brannte."), ("II.", "Der Wind kam."), ("III.", "Es wurde hell.")):
        lines += ["", "", number, "", words]
    book = read_text("\n".join(lines + ["", "*** END OF THIS PROJECT GUTENBERG EBOOK DIE LAMPE ***"]), Path("l.txt"))
    assert [c.heading for c in book.chapters][-3:] == ["I.", "II.", "III."]
    assert [c.body for c in book.chapters[-3:]] == ["Die Lampe brannte.\n", "Der Wind kam.\n", "Es wurde hell.\n"]
    assert len(book.chapters) == 4 and book.chapters[0].heading is None  # the title page: a chapter before them


def test_a_text_of_numbered_lines_alone_imports_without_hanging(tmp_path):
    """Each "1." line between blank lines starts a run of chapter numbers: searching every run for the one
    a number continues took 7.6 s for 20,000 of them, and minutes for this. A hang shows as the timeout."""
    import sys

    source = tmp_path / "numbers.txt"
    source.write_text("Numbers\n\n" + "1.\n\n" * 100_000 + "2.\n\nThe end.\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "bookmaker", "import", str(source), str(tmp_path / "p")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_a_stage_direction_set_as_a_paragraph_is_in_italics():
    """Standard Ebooks' The Importance of Being Earnest ends its acts with <p epub:type="z3998:stage-direction">
    Act Drop</p>: it came in set like dialogue, where every stage direction inside a speech is in italics."""
    from bookmaker.importers.markdown import html_to_markdown

    assert html_to_markdown('<p epub:type="z3998:stage-direction">Act Drop</p><p>Lane goes out.</p>', "", None) == \
        "*Act Drop*\n\nLane goes out.\n"


def test_scene_breaks_at_a_chapters_ends_or_twice_running_are_dropped(tmp_path):
    """Project Gutenberg's HTML rules off each chapter, and what the import leaves out (a contents, a title
    page) leaves its rules behind: chapters ended in an ornament, The Complete Angler's first in two."""
    _, found = tide_clock_html(tmp_path, (
        "<h2>The Office</h2><hr/><p>The clock ran.</p><hr/><hr/><p>It stopped.</p><hr/>"
        "<h2>The Light</h2><p>The lamp was lit.</p><hr/><p><br/></p><hr/>"))
    assert [body for _, body in found] == ["The clock ran.\n\n* * *\n\nIt stopped.\n", "The lamp was lit.\n"]


@pytest.mark.parametrize("html, markdown", [
    # The Hound of the Baskervilles' legend: prose wrapped at a printed measure, in paragraphs
    ("<pre>\n        \u201cOf the origin of the Hound of the Baskervilles there\n        have been many statements.\n\n"
     "        \u201cKnow then that in the time of the Great Rebellion (the\n        history of which I most\n"
     "        earnestly commend) this Manor of\n        Baskerville was held by Hugo.\u201d\n</pre>",
     "> \u201cOf the origin of the Hound of the Baskervilles there have been many statements.\n>\n"
     "> \u201cKnow then that in the time of the Great Rebellion (the history of which I most earnestly commend) "
     "this Manor of Baskerville was held by Hugo.\u201d\n"),
    # a song: short lines kept, an indented one set in
    ("<pre>\n  \u2018No care and no sorrow,\n     A fig for the morrow!\u2019\n</pre>",
     "> \u2018No care and no sorrow,  \n> \u2003A fig for the morrow!\u2019\n"),
    # the Grimms' preparer's note: lines ended by <br> as well as newlines, in a note's <div>
    ("<div>NOTE<pre>\n     The text is based on translations<br />\n     by Edgar Taylor.\n</pre></div>",
     "NOTE\n\n> The text is based on translations by Edgar Taylor.\n"),
    # The Devil's Dictionary's verse: long lines, each beginning with a capital, kept
    ("<pre>\n  Poor Isabella's Dead, whose abdication\n  Set all tongues wagging in the Spanish nation.\n</pre>",
     "> Poor Isabella's Dead, whose abdication  \n> Set all tongues wagging in the Spanish nation.\n"),
])
def test_preformatted_text_is_a_quotation_not_a_code_fence(html, markdown):
    """Project Gutenberg's HTML sets documents read aloud and songs in <pre>: markdownify's fence is no
    Markdown the book reads, and the book printed "```" and a block of code in a monospaced face."""
    from bookmaker.importers.markdown import html_to_markdown

    assert html_to_markdown(html, "", None) == markdown


def test_a_transcriptions_typed_dashes_are_dashes(tmp_path):
    """Project Gutenberg types an em dash as "--" and a long one as "----": Markdown's smart punctuation read
    them as an en dash ("carry–dignified", 133 times in The Hound of the Baskervilles as text). A rule of
    hyphens and an HTML comment are left as they are."""
    from bookmaker.importers.markdown import typed_dashes

    assert typed_dashes("carry--dignified; Oh!--he said----and then--") == "carry\u2014dignified; Oh!\u2014he said\u2014\u2014and then\u2014"
    assert typed_dashes("<!-- -->\n\n---\n\n| --- |") == "<!-- -->\n\n---\n\n| --- |"
    source = tmp_path / "clock.txt"
    source.write_text("Title: The Tide Clock\nAuthor: Odile Fenn\n\n*** START OF THIS PROJECT GUTENBERG EBOOK THE "
                      "TIDE CLOCK ***\n\nChapter 1\n\nIt ran on--and on.\n\nChapter 2\n\nThe end.\n", encoding="utf-8")
    project = import_source(source, tmp_path / "clock")
    assert chapters(project)[0][1] == "It ran on\u2014and on.\n"
    html = tmp_path / "clock.html"
    html.write_text("<html><body><pre>*** START OF THIS PROJECT GUTENBERG EBOOK THE TIDE CLOCK ***</pre>"
                    "<h2>One</h2><p>It ran on--and on.</p><h2>Two</h2><p>The end.</p></body></html>", encoding="utf-8")
    assert chapters(import_source(html, tmp_path / "html"))[0][1] == "It ran on\u2014and on.\n"


def test_a_plain_texts_chapter_numbers_set_apart_less_than_the_others_are_found(tmp_path):
    """Le Tour du monde en quatre-vingts jours as text: chapter I opens the text with no blank lines before it
    (and "I" was read as the book's title, being a letter of it), and XII follows one blank line where the
    others follow four: I was the untitled text before the chapters, and XII was read into XI. A title in
    capitals around words in italics ("«_Tankadère_»") is a title too."""
    blank = "\n" * 5
    text = ("Title: Le Tour du monde\nAuthor: Jules Verne\nLanguage: French\n\n*** START OF THIS PROJECT GUTENBERG "
            "EBOOK LE TOUR DU MONDE ***\n\n\nI\n\nDANS LEQUEL PHILEAS FOGG ARRIVE\n\nIl arriva.\n" + blank
            + "II\n\nOÙ PASSEPARTOUT EST CONVAINCU\n\nIl fut convaincu.\n" + blank
            + "III\n\nOÙ LE PATRON DE LA «_Tankadère_» RISQUE FORT DE PERDRE UNE PRIME DE DEUX CENTS LIVRES\n\nIl risqua.\n"
            + "\nIV\n\nOÙ FIX NE SAIT RIEN\n\nIl ne sut rien.\n" + blank + "V\n\nDANS LEQUEL TOUT FINIT\n\nTout finit.\n"
            "\n*** END OF THIS PROJECT GUTENBERG EBOOK LE TOUR DU MONDE ***\n")
    source = tmp_path / "tour.txt"
    source.write_text(text, encoding="utf-8")
    project = import_source(source, tmp_path / "tour")
    assert book_yaml(project)["title"] == "Le Tour du monde"
    assert [f.get("title") for f, _ in chapters(project)] == [
        "DANS LEQUEL PHILEAS FOGG ARRIVE", "OÙ PASSEPARTOUT EST CONVAINCU",
        "OÙ LE PATRON DE LA «Tankadère» RISQUE FORT DE PERDRE UNE PRIME DE DEUX CENTS LIVRES",
        "OÙ FIX NE SAIT RIEN", "DANS LEQUEL TOUT FINIT"]
    assert [body for _, body in chapters(project)][2:4] == ["Il risqua.\n", "Il ne sut rien.\n"]


def test_a_long_part_is_split_at_its_chapters_though_no_part_holds_most(tmp_path, monkeypatch):
    """Project Gutenberg's Spanish Don Quijote: two parts at <h1> of about 190,000 words each, their 137
    chapters at <h3>: neither part held most of the book, so neither was split again, and the book came
    in as two chapters. A part of PART_WORDS (here made small) is split at its own headings too."""
    from bookmaker.importers import chapters as chapters_module

    monkeypatch.setattr(chapters_module, "PART_WORDS", 30, raising=False)
    part = "".join(f"<h3>Capítulo {n}</h3><p>{'palabra ' * 12}fin {n}.</p>" for n in ("I", "II", "III"))
    _, found = tide_clock_html(tmp_path, f"<h1>Primera parte</h1>{part}<h1>Segunda parte</h1>{part}")
    assert len(found) == 8  # each part's heading (no text of its own), then its three chapters
    assert [body.strip().endswith(f"fin {n}.") for (_, body), n in zip(found[1:4], ("I", "II", "III"))] == [True] * 3


@pytest.mark.parametrize("text, titles", [
    # A Christmas Carol as text: staves, not chapters, and a contents of them without blank lines
    ("A Song Book\n\nby Odile Fenn\n\n\nCONTENTS\n\nStave   I: The First Song\nStave  II: The Second Song\n"
     "Stave III: The Third Song\n\n\nSTAVE I: THE FIRST SONG\n\nAlpha.\n\nSTAVE II: THE SECOND SONG\n\nBeta.\n\n"
     "STAVE III: THE THIRD SONG\n\nGamma.\n",
     ["STAVE I: THE FIRST SONG", "STAVE II: THE SECOND SONG", "STAVE III: THE THIRD SONG"]),
    # Frankenstein as text: letters before the chapters, listed in the contents with them
    ("A Letter Book\n\nby Odile Fenn\n\n\nCONTENTS\n\nLetter 1\n\nLetter 2\n\nChapter 1\n\nChapter 2\n\n\n\n"
     "Letter 1\n\n" + "Dear sister, the harbour was calm today. " * 8 + "\n\nLetter 2\n\n"
     + "Dear sister, the storm came in at noon. " * 8 + "\n\nChapter 1\n\n" + "The clock ran on the tide. " * 10
     + "\n\nChapter 2\n\n" + "It was never wrong. " * 10 + "\n", ["Letter 1", "Letter 2", "Chapter 1", "Chapter 2"]),
])
def test_a_plain_texts_staves_and_letters_are_chapters(tmp_path, text, titles):
    """A Christmas Carol as text came in as one chapter (its staves are no "Chapter" lines), and
    Frankenstein's four letters as one untitled chapter before chapter 1, the first one's heading lost
    with the contents. Staves and letters now head chapters; a contents of them is left out."""
    source = tmp_path / "book.txt"
    source.write_text(text, encoding="utf-8")
    warned = []
    project = import_source(source, tmp_path / "book", warn=warned.extend)
    found = chapters(project)
    assert [f.get("title") for f, _ in found] == titles  # as the source writes them: no language, no title case
    assert book_yaml(project)["author"] == "Odile Fenn"
    assert any(w.code == "source-contents" for w in warned)
    assert not any("CONTENTS" in body or body.startswith("Stave") for _, body in found)


@pytest.mark.parametrize("text, chapters_found", [
    ("Chapter 1\n==========\n\nAlpha text.\n\n## Chapter 2: The Storm ##\n\nBravo text.\n", 2),
    ("# Chapter 1\n\nAlpha text.\n\n## Chapter 2\n\nBravo text.\n", 2),
    # the first of three headings, alone at its level, is the book's title only if it numbers no chapter
    ("Chapter One\n===========\n\nAlpha text.\n\n## Chapter Two ##\n\nBravo.\n\nChapter Three\n-------------\n\nCharlie.\n", 3),
    # a chapter's own sections, which number no chapter, stay in it
    ("# Chapter 1\n\nAlpha text.\n\n## At the Harbour\n\nBravo text.\n\n# Chapter 2\n\nCharlie.\n", 2),
])
def test_a_pasted_markdown_files_chapters_at_two_levels_are_all_chapters(tmp_path, text, chapters_found):
    """An author pasting chapters writes "Chapter 2" a level below "Chapter 1" (a setext title, then "##"):
    chapter 2 came in as a part of chapter 1, and with a third heading "Chapter One" was the book's title."""
    source = tmp_path / "story.md"
    source.write_text(text, encoding="utf-8")
    project = import_source(source, tmp_path / "story")
    found = chapters(project)
    assert len(found) == chapters_found
    assert book_yaml(project)["title"] == "Story"
    assert found[0][1].startswith("Alpha text.")


@pytest.mark.parametrize("book_front", ["---\ntitle: The Glass Orchard\nauthor: Wren Hollis\n---\n\n", ""])
def test_chapter_files_pasted_into_one_markdown_file_keep_their_front_matter(tmp_path, book_front):
    """Chapters pasted one after another as bookmaker's chapter files are written, each with its front
    matter: the second chapter's came in inside the first, as a rule, a paragraph "title: Thaw" and a
    rule. Each front matter of chapter keys now begins a chapter with those keys; the file's first is
    the book's only where it holds keys of the book's, or no chapters follow it."""
    text = (book_front + "---\ntitle: Frost\nsummary: The first cold night.\nnotes: Thanks for reading!\n---\n\n"
            "Mara checked the thermometer.\n\n## Midnight\n\nThe panes went white.\n\n---\n\nA rule.\n\n"
            "---\ntitle: Thaw\n---\n\nIn the morning the ice let go.\n\n```\n---\ntitle: Not a chapter\n---\n```\n")
    source = tmp_path / "story.md"
    source.write_text(text, encoding="utf-8")
    project = import_source(source, tmp_path / "story")
    found = chapters(project)
    assert [f for f, _ in found] == [
        {"title": "Frost", "summary": "The first cold night.", "notes": "Thanks for reading!"}, {"title": "Thaw"}]
    assert found[0][1] == "Mara checked the thermometer.\n\n## Midnight\n\nThe panes went white.\n\n---\n\nA rule.\n"
    assert found[1][1].startswith("In the morning the ice let go.\n\n```\n---\ntitle: Not a chapter")
    assert book_yaml(project)["title"] == ("The Glass Orchard" if book_front else "Story")


HEADER = ("# The Glass Orchard\n\nby Wren Hollis\n\n**Rating:** Teen And Up Audiences\n**Fandom:** Original Work\n"
          "**Characters:** Mara, Ines, The Gardener\n\n**Summary:**\n\nTwo sisters, one greenhouse.\n\n"
          "Nothing grows the way it should.\n\nNotes: Thanks to my beta.\n\n")
PROLOGUE = "The orchard was older than the house. " * 25


@pytest.mark.parametrize("before, meta, first", [
    # the archive's posting form pasted above the chapters, under the story's title and byline
    (HEADER, {"title": "The Glass Orchard", "author": "Wren Hollis",
              "summary": "Two sisters, one greenhouse.\n\nNothing grows the way it should.",
              "notes": "Thanks to my beta.", "tags": {"Rating": ["Teen And Up Audiences"], "Fandom": ["Original Work"],
                                                      "Characters": ["Mara", "Ines", "The Gardener"]}}, "Frost"),
    # a short note without a label: the book's notes
    ("This story is complete. Thank you for reading!\n\n", {"notes": "This story is complete. Thank you for reading!"},
     "Frost"),
    # an epigraph: the first chapter's start
    ("> A patient thief.\n\n", {}, "Frost"),
    # a long text without a heading: a chapter of its own, as before
    (PROLOGUE + "\n\n", {}, None),
    # a heading over a short text that is no field's is a chapter, not the story's title
    ("# Prologue\n\nIt began with a seed.\n\n", {}, "Prologue"),
])
def test_a_markdown_storys_header_before_its_first_chapter_gives_the_books_fields(tmp_path, before, meta, first):
    """What an author pastes above a story's chapters (its title, byline, the archive's labelled fields, a
    note) came in as an untitled first chapter, which the contents called "Chapter 1" before the story's
    own chapter 1, and the title heading as a chapter of its own."""
    source = tmp_path / "story.md"
    source.write_text(before + "# Chapter 1: Frost\n\nMara checked.\n\n# Chapter 2: Thaw\n\nIce.\n", encoding="utf-8")
    project = import_source(source, tmp_path / "story")
    found = chapters(project)
    assert found[0][0].get("title") == first
    # after a prologue, as the source numbers them (chapter_label: false)
    assert [f.get("title") for f, _ in found[-2:]] == (["Frost", "Thaw"] if first == "Frost" else
                                                        ["Chapter 1: Frost", "Chapter 2: Thaw"])
    assert len(found) == (3 if first != "Frost" else 2)
    got = book_yaml(project)
    assert {key: got[key] for key in meta} == meta
    if before.startswith(">"):
        assert found[0][1] == "> A patient thief.\n\nMara checked.\n"
    if first != "Frost":
        assert "notes" not in got and "tags" not in got


def test_a_markdown_files_pictures_are_copied_and_a_missing_one_is_said(tmp_path):
    """A long Markdown file's pictures were left leading to files the project does not hold: the imported
    book did not build ("image 'pic.png' not found"). Those beside it are copied; one that is missing, a web
    address or outside the source's folder is left out for its description, with a warning at its line."""
    from conftest import png, run_cli

    png(tmp_path / "src" / "pic.png", 300, 200)
    png(tmp_path / "outside.png", 300, 200)
    source = tmp_path / "src" / "story.md"
    source.write_text("---\ntitle: The Tide Clock\n---\n# Chapter 1\n\nText.\n\n![A picture](pic.png)\n\n"
                      "![Gone](missing.png)\n\n![Out](../outside.png)\n\n# Chapter 2\n\nMore.\n", encoding="utf-8")
    warned = []
    project = import_source(source, tmp_path / "book", warn=warned.extend)
    assert chapters(project)[0][1] == "Text.\n\n![A picture](images/pic.png)\n\nGone\n\nOut\n"
    assert (project / "manuscript" / "images" / "pic.png").read_bytes() == (tmp_path / "src" / "pic.png").read_bytes()
    assert [(w.line, w.code) for w in warned] == [(10, "source-picture"), (12, "source-picture")]
    assert run_cli("build", project).returncode == 0


def test_a_markdown_files_pictures_are_pictures_and_never_a_hidden_or_unnamable_file(tmp_path):
    """A security review: `![](.ssh/id_rsa)` copied the key into the project as images/id-rsa.png, and so
    did any file beside the source (another upload); a picture named longer than a file system takes,
    with a NUL in it, or a link that loops ended the import with "this is bookmaker's fault". Each is
    now left out for its description, with the `source-picture` warning at its line."""
    from conftest import png

    src = tmp_path / "src"
    (src / ".ssh").mkdir(parents=True)
    png(src / ".ssh" / "hidden.png", 300, 200)
    (src / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n", encoding="utf-8")
    (src / "upload.md").write_text("# Someone else's\n", encoding="utf-8")
    (src / "loop").symlink_to(src / "loop")
    png(src / "pic.png", 300, 200)
    refs = [".ssh/hidden.png", "id_rsa", "upload.md", "loop/x.png", "a%00b.png", "a" * 300 + ".png", "pic.png"]
    source = src / "story.md"
    source.write_text("# Chapter 1\n\n" + "\n\n".join(f"![{n}]({ref})" for n, ref in enumerate(refs)) +
                      "\n\n# Chapter 2\n\nMore.\n", encoding="utf-8")
    warned = []
    project = import_source(source, tmp_path / "book", warn=warned.extend)
    assert [(w.line, w.code) for w in warned] == [(n, "source-picture") for n in range(3, 15, 2)]
    assert sorted(p.name for p in (project / "manuscript" / "images").iterdir()) == ["pic.png"]
    assert chapters(project)[0][1] == "0\n\n1\n\n2\n\n3\n\n4\n\n5\n\n![6](images/pic.png)\n"


@pytest.mark.parametrize("front", ["language: 5", "language: [en]", "source: 5", "title: 5", "summary: {a: b}",
                                   "title: [a, b]\nauthor: {a: 1}", "title: 2020-01-01"])
def test_a_markdown_files_front_matter_of_the_wrong_kind_is_no_traceback(tmp_path, front, monkeypatch):
    """`language: 5` in a long Markdown file's front matter ended the import with a traceback (TypeError):
    a number is written as text where the key takes text, anything else is left out."""
    source = tmp_path / "story.md"
    source.write_text(f"---\n{front}\n---\n\n# Book\n\n## One\n\nt\n\n## Two\n\nt\n\n## Three\n\nt\n",
                      encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    project = import_source(source)  # the folder named after the title: a title that is no text broke it
    meta = book_yaml(project)
    assert meta["title"] == {"title: 5": "5", "title: 2020-01-01": "2020-01-01"}.get(front, "story" if "[a, b]" in front else "Book")
    assert meta["author"] == "Unknown"
    assert "language" not in meta and "source" not in meta and "summary" not in meta


@pytest.mark.parametrize("marks", ["![", "![a](", "![x](a \""])
def test_a_markdown_file_of_picture_marks_imports_in_linear_time(tmp_path, marks):
    """A security review: 100,000 "![" (200 KB) took a minute to import, and 100,000 "![a](" some fifteen
    minutes: the picture pattern's description and address ran on over the marks after them. Each part now
    stops at a character it cannot hold. (Bounded far above what it takes now, 0.02 s, and far below what it
    took: not a timing, a complexity.)"""
    import time

    source = tmp_path / "story.md"
    source.write_text("# One\n\n" + marks * 100_000 + "\n\n# Two\n\nText.\n", encoding="utf-8")
    start = time.perf_counter()
    import_source(source, tmp_path / "book")
    assert time.perf_counter() - start < 20


def test_an_import_ended_by_sigterm_leaves_no_staging_folder(tmp_path):
    """A security review's EPUB killed by `timeout` (SIGTERM) while its chapters were written left the
    hidden staging folder beside the target, 99,096 files. SIGTERM now ends the import through its
    clean-up, as Ctrl-C does: nothing is left, and the exit status says it was terminated."""
    import sys

    source = tmp_path / "story.md"
    source.write_text("# One\n\nText.\n\n# Two\n\nMore.\n\n# Three\n\nEnd.\n", encoding="utf-8")
    script = (
        "import os, signal, sys\n"
        "from bookmaker.importers import project\n"
        "real = project.chapter_text\n"
        "def chapter_text(chapter):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)  # mid-write: the book.yaml and no chapter written yet\n"
        "    return real(chapter)\n"
        "project.chapter_text = chapter_text\n"
        "from bookmaker.commands.import_source import import_source\n"
        f"import_source({str(source)!r}, {str(tmp_path / 'out')!r})\n")
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 128 + 15, ran.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["story.md"]


@pytest.mark.parametrize("limit, value, said", [
    ("MAX_PAGE_BYTES", 300, "is a page of 0 MB, over the 0 MB a book's page holds"),
    ("MAX_PAGE_ELEMENTS", 5, "is a page of more than 5 elements"),
    ("MAX_SPINE", 2, "lists more than 2 documents in its reading order"),
])
def test_an_epub_of_pages_no_book_has_is_refused_before_it_is_read(tmp_path, monkeypatch, limit, value, said):
    """A security review's small EPUBs: one page of 150 MB (155 KB zipped) took 11 GB; one of 10 MB of empty
    <div>s about 70 s; 100,000 spine entries of one page, 2 GB and 100,000 chapters. Each is one error now,
    before any page is parsed (the limits made small here)."""
    from bookmaker.importers import epub, sources

    monkeypatch.setattr(epub if limit == "MAX_SPINE" else sources, limit, value)
    with pytest.raises(BookmakerError) as raised:
        import_source(standard_ebooks_folder(tmp_path / "src"), tmp_path / "se")
    [problem] = raised.value.problems
    assert said in problem.message and problem.code in ("too-large", "bad-source")
    assert not (tmp_path / "se").exists()


def test_an_html_page_holding_nul_bytes_is_refused(tmp_path):
    source = tmp_path / "book.html"
    """Past its first 4 KB (where a binary file is told apart), 10 MB of NUL bytes took 1 GB to read."""
    source.write_bytes(b"<html><body><h1>One</h1><p>" + b"Text. " * 1000 + b"</p>" + b"\0" * 5000 + b"</body></html>")
    with pytest.raises(BookmakerError) as raised:
        import_source(source, tmp_path / "out")
    assert "holds NUL bytes, which no HTML page can" in raised.value.problems[0].message


def test_list_items_are_numbered_once_for_their_list():
    """A security review's list of 20,000 items took 44 s to import: markdownify counted each item's
    earlier siblings anew. bookmaker numbers a list's items once (10 s for the same list, the rest
    linear); the marks and indents are as they were."""
    from bookmaker.importers.markdown import html_to_markdown

    html = ('<ol start="3"><li>three</li><li><p>four</p><p>more of four</p></li>'
            '<li>five<ul><li>dot<ul><li>deeper</li></ul></li></ul></li></ol>')
    assert html_to_markdown(html, "", None) == (
        "3. three\n4. four\n\n    more of four\n\n5. five\n    - dot\n        - deeper\n")  # as before
    items = "".join(f"<li>item {n}</li>" for n in range(1, 1201))
    assert html_to_markdown(f"<ol>{items}</ol>", "", None).rstrip("\n").split("\n")[-1] == "1200. item 1200"


@pytest.mark.parametrize("declaration", ['<?xml version="1.0"?>', ""])
def test_an_internal_dtd_subset_is_no_chapter_and_no_warning(tmp_path, declaration, capfd):
    """A security review: an HTML file declaring entities (`<!DOCTYPE html [<!ENTITY a "b">]>`) came in
    with an extra chapter holding "]>", and read as HTML, printed bs4's many-line warning on standard
    error. The subset is dropped unread (its entities were never expanded)."""
    source = tmp_path / "book.html"
    source.write_text(f'{declaration}<!DOCTYPE html [<!ENTITY a "b">]><html><body><h1>B</h1><h2>Chapter 1</h2>'
                      "<p>Alpha.</p><h2>Chapter 2</h2><p>Bravo &a;.</p><h2>Chapter 3</h2><p>Charlie.</p></body></html>",
                      encoding="utf-8")
    found = chapters(import_source(source, tmp_path / "out"))
    assert [body.split()[0] for _, body in found] == ["Alpha.", "Bravo", "Charlie."]
    assert "]>" not in "".join(body for _, body in found) and "Warning" not in capfd.readouterr().err


def test_a_utf16_text_cut_inside_a_character_is_said_to_be_damaged(tmp_path):
    source = tmp_path / "story.txt"
    source.write_bytes("\ufeffChapter 1\n\nText.\n".encode("utf-16-le") + b"x")
    with pytest.raises(BookmakerError) as raised:
        import_source(source, tmp_path / "out")
    assert raised.value.problems[0].message.startswith("is not valid UTF-16 text")


def test_an_xhtml_files_named_entities_come_in_as_their_characters(tmp_path):
    """Project Gutenberg's XHTML Max und Moritz declares itself XML (`<?xml … encoding="ISO-8859-1"?>`) and
    writes its umlauts, sharp s, dashes and guillemets as HTML's named entities: read as XML, without the
    DTD, every one was dropped, silently ("Fnfter Streich.", "Strae gut"). Each is its character now, and
    a file name keeps the sharp s as "ss"."""
    source = tmp_path / "book.htm"
    source.write_bytes(b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 '
                       b'Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html xmlns="http://www.w3.org'
                       b'/1999/xhtml"><head><title>T</title></head><body><h2>F&uuml;nfter Streich.</h2><p>M&uuml;h&rsquo; '
                       b'&mdash; Stra&szlig;e &laquo;gut&raquo; &amp;uuml; \xe4</p><h2>Schlu&szlig;.</h2><p>Vorbei.</p>'
                       b'</body></html>')
    project = import_source(source, tmp_path / "out")
    found = chapters(project)
    assert [f.get("title") for f, _ in found] == ["F\u00fcnfter Streich.", "Schlu\u00df."]
    assert found[0][1] == "M\u00fch\u2019 \u2014 Stra\u00dfe \u00abgut\u00bb &uuml; \u00e4\n"
    assert sorted(p.name for p in (project / "manuscript").glob("*.md")) == ["01-funfter-streich.md", "02-schluss.md"]


def test_a_chapters_number_set_a_level_below_its_title_heads_that_chapter(tmp_path):
    """Project Gutenberg's Dom Casmurro sets each chapter's number a level below its title, before it
    (<h5>II</h5><h4>Do livro.</h4>), the chapters parted by rules: split at the titles, every number was
    a stray "## III" at the end of the chapter before, after a scene break. The number now heads its own
    chapter, as its title's first line; numbered as bookmaker numbers, the titles stand alone."""
    source = tmp_path / "book.htm"
    source.write_text('<html lang="pt"><body><h1>DOM CASMURRO</h1>' + "".join(
        f'<hr class="chap"/><h5><a id="{n}">{n}</a></h5><h4>{title}</h4><p>Texto {n}.</p>'
        for n, title in (("I", "Do titulo."), ("II", "Do livro."), ("III", "A denuncia."))) + "</body></html>",
        encoding="utf-8")
    found = chapters(import_source(source, tmp_path / "out"))
    assert [(f.get("title"), body) for f, body in found] == [
        ("Do titulo.", "Texto I.\n"), ("Do livro.", "Texto II.\n"), ("A denuncia.", "Texto III.\n")]


def test_a_books_closing_word_is_no_chapter_and_an_imprints_year_numbers_none(tmp_path):
    """Dom Casmurro ends with <h4>FIM</h4> and nothing under it: an empty last chapter, which `check` then
    called a chapter without text. The imprint's year (<h5>1899</h5>) before the first title is no
    chapter's number, though it is a number alone a level below that title."""
    source = tmp_path / "book.htm"
    source.write_text('<html lang="pt"><body><pre>\nThe Project Gutenberg EBook of Dom Casmurro\n\n*** START OF THIS '
                      'PROJECT GUTENBERG EBOOK DOM CASMURRO ***\n</pre>'
                      '<h1>DOM CASMURRO</h1><h5>RIO DE JANEIRO</h5><h5>1899</h5>'
                      "<h4>Do titulo.</h4><p>Uma noite.</p><h4>Do livro.</h4><p>Agora.</p><h4>A denuncia.</h4>"
                      "<p>Ia entrar.</p><h4>FIM</h4><h4>INDICE</h4><table>"  # the source's contents after it
                      + "".join(f'<tr><td><a href="#c{n}">{n}</a></td><td>Capitulo {n}</td></tr>' for n in range(1, 13))
                      + "</table><pre>\n*** END OF THIS PROJECT GUTENBERG EBOOK DOM CASMURRO ***\n</pre></body></html>",
                      encoding="utf-8")
    titles = [f.get("title") for f, _ in chapters(import_source(source, tmp_path / "out"))]
    assert titles[-3:] == ["Do titulo.", "Do livro.", "A denuncia."], titles


def test_a_word_title_blocks_author_and_date_give_the_books_fields_not_a_chapter(tmp_path):
    # pandoc's .docx from a Markdown story with a title block: Title, Author and Date paragraphs before the
    # first Heading 1. The pen name came in as a chapter of its own, before "Chapter 1: …".
    import docx
    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document()
    for style in ("Author", "Date"):
        document.styles.add_style(style, WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("Moss on the Millwheel", style="Title")
    document.add_paragraph("quillfern", style="Author")
    document.add_paragraph("2024-03-09", style="Date")
    document.add_heading("Chapter 1: The Race", level=1)
    document.add_paragraph("The water ran brown after the thaw.")
    document.add_heading("Chapter 2: The Sluice", level=1)
    document.add_paragraph("Nobody had opened the sluice in years.")
    document.save(tmp_path / "moss.docx")
    project = import_source(tmp_path / "moss.docx", tmp_path / "moss")
    meta = book_yaml(project)
    assert (meta["title"], meta["author"], meta["date"]) == ("Moss on the Millwheel", "quillfern", "2024-03-09")
    found = chapters(project)
    assert [f.get("title") for f, _ in found] == ["The Race", "The Sluice"]
    assert "quillfern" not in found[0][1] and "2024" not in found[0][1]


def lantern_chapters(document, path) -> None:
    """Two chapters at Heading 1, "Chapter 1: Dusk" and "Chapter 2: Night", after what the test typed; saved."""
    document.add_heading("Chapter 1: Dusk", level=1)
    document.add_paragraph("The road was dark, and she had forgotten the lantern.")
    document.add_heading("Chapter 2: Night", level=1)
    document.add_paragraph("The stars came out one at a time.")
    document.save(path)


@pytest.mark.parametrize("byline", [True, False])
def test_a_title_and_note_typed_above_heading_1_chapters_are_the_books_fields(tmp_path, byline):
    # A story whose chapters are at Heading 1, its title, byline and author's note typed above the first in
    # Normal style: they came in as an untitled chapter 1, and "Chapter 1: Dusk" was then chapter 2, its
    # title kept whole. A lone first line that is not bold, with no byline, is no title (it may be the
    # story's first): above a chapter, a short text is the book's notes, as a Markdown story's is.
    import docx

    document = docx.Document()
    document.core_properties.title = document.core_properties.comments = ""
    document.add_paragraph().add_run("The Lantern Road").bold = True
    if byline:
        document.add_paragraph("by Mara Vey")
        document.add_paragraph("Author's note: thank you to my beta readers, who caught every comma.")
    lantern_chapters(document, tmp_path / "lantern_draft.docx")
    project = import_source(tmp_path / "lantern_draft.docx", tmp_path / "lantern")
    meta = book_yaml(project)
    found = chapters(project)
    assert [f.get("title") for f, _ in found] == ["Dusk", "Night"]
    assert "Lantern Road" not in found[0][1] and "Mara" not in found[0][1]
    assert meta["title"] == "The Lantern Road"
    if byline:
        assert meta["author"] == "Mara Vey"
        assert meta["notes"] == "thank you to my beta readers, who caught every comma."


def test_a_lone_plain_line_above_heading_1_chapters_is_not_taken_for_the_title(tmp_path):
    import docx

    document = docx.Document()
    document.core_properties.title = document.core_properties.comments = ""
    document.add_paragraph("It was the last night of the fair.")
    lantern_chapters(document, tmp_path / "lantern_draft.docx")
    meta = book_yaml(import_source(tmp_path / "lantern_draft.docx", tmp_path / "lantern"))
    assert meta["title"] == "lantern draft" and meta["notes"] == "It was the last night of the fair."


def test_a_word_documents_horizontal_rules_are_scene_breaks(tmp_path):
    # pandoc writes `* * *` as a paragraph holding a VML rectangle marked o:hr (Word's Horizontal Line is
    # the same); an empty paragraph's bottom border is a rule too. mammoth dropped both: scenes ran together.
    import docx

    from conftest import png

    document = docx.Document()
    document.add_heading("Chapter 1: Tallow", level=1)
    document.add_paragraph("The candles were counted twice.")
    document.add_paragraph("[[RULE]]")
    document.add_paragraph("Morning found one missing.")
    document.add_paragraph("[[BORDER]]")
    document.add_paragraph("The chandler blamed the cat.")
    document.add_picture(str(png(tmp_path / "wick.png", 40, 40, (200, 180, 90))))
    document.add_paragraph("The cat said nothing.")
    document.save(tmp_path / "tallow.docx")
    with zipfile.ZipFile(tmp_path / "tallow.docx") as z:
        parts = {name: z.read(name) for name in z.namelist()}
    xml = parts["word/document.xml"].decode()
    xml = re.sub(r"<w:r>(?:(?!</w:r>).)*\[\[RULE\]\](?:(?!</w:r>).)*</w:r>", '<w:r><w:pict><v:rect style="width:0;'
                 'height:1.5pt" o:hralign="center" o:hrstd="t" o:hr="t"/></w:pict></w:r>', xml, flags=re.S)
    xml = re.sub(r"<w:p>(?:<w:pPr>.*?</w:pPr>)?<w:r>(?:(?!</w:r>).)*\[\[BORDER\]\](?:(?!</w:r>).)*</w:r>",
                 '<w:p><w:pPr><w:pBdr><w:bottom w:val="single" w:sz="6" w:space="1" w:color="auto"/></w:pBdr>'
                 '</w:pPr>', xml, flags=re.S)
    assert "[[" not in xml
    parts["word/document.xml"] = xml.encode()
    with zipfile.ZipFile(tmp_path / "tallow.docx", "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    project = import_source(tmp_path / "tallow.docx", tmp_path / "tallow")
    body = chapters(project)[0][1]
    assert ("The candles were counted twice.\n\n* * *\n\nMorning found one missing.\n\n* * *\n\n"
            "The chandler blamed the cat.\n\n![") in body
    assert len(list((project / "manuscript" / "images").iterdir())) == 1


def test_a_word_document_without_headings_is_split_at_its_chapter_lines_as_a_text_is(tmp_path):
    # A story typed in Normal style, each chapter begun by a "Chapter One: …" or "Chapter 2" line, bold or
    # not, no page breaks: it came in as one chapter titled from the file's name.
    import docx

    document = docx.Document()
    document.add_paragraph("The Brass Compass")
    document.add_paragraph("by quillfern")
    document.add_paragraph("A/N: For the autumn swap. Thanks to my beta for the compass lore.")
    document.add_paragraph().add_run("Chapter One: Fog").bold = True
    document.add_paragraph("The needle would not settle.")
    document.add_paragraph("Chapter 3 was the one she always skipped in the manual.")
    document.add_paragraph("Chapter 2")
    document.add_paragraph("By noon the fog had lifted, and the needle with it.")
    document.save(tmp_path / "compass_draft.docx")
    project = import_source(tmp_path / "compass_draft.docx", tmp_path / "compass")
    meta = book_yaml(project)
    assert (meta["title"], meta["author"]) == ("The Brass Compass", "quillfern")
    assert meta["notes"].startswith("For the autumn swap.")
    found = chapters(project)
    assert [f.get("title") for f, _ in found] == ["Fog", None]
    assert found[0][1] == ("The needle would not settle.\n\nChapter 3 was the one she always skipped in the "
                           "manual.\n")
    assert found[1][1] == "By noon the fog had lifted, and the needle with it.\n"
