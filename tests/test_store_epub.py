"""Issue 14 end to end: the page list from the print edition, `cover: auto`, the kepub, sort names
that Calibre reads, a conformance claim only when it is true, and what `check` says is missing."""

import io
import os
import random
import re
import shutil
import subprocess
import zipfile

import pytest
from PIL import Image

from conftest import BUILD_EPOCH, copy_book, epubcheck, png, problems_of, run_cli

MARKER = re.compile(r'<span id="page-(\d+)" role="doc-pagebreak" epub:type="pagebreak" aria-label="\1"/>')


def words(text: str, n: int = 6) -> list[str]:
    text = text.replace("\u00ad", "")
    keys = ["".join(c for c in w.lower() if c.isalnum()) for w in text.split()]
    return [k for k in keys if k][:n]


def markers(epub) -> dict[int, str]:
    """Each marker's page number and the text after it (tags dropped)."""
    found = {}
    with zipfile.ZipFile(epub) as zf:
        for name in zf.namelist():
            if name.endswith(".xhtml"):
                page = zf.read(name).decode("utf-8")
                for m in MARKER.finditer(page):
                    found[int(m.group(1))] = re.sub(r"<[^>]+>", " ", page[m.end():m.end() + 2000])
    return found


def test_build_makes_every_format(paged_book):
    assert paged_book.result.returncode == 0, paged_book.result.stderr
    dist = paged_book.project / "dist"
    assert sorted(p.name for p in dist.iterdir()) == ["the-lamplighters-almanac.epub",
                                                      "the-lamplighters-almanac.kepub.epub",
                                                      "the-lamplighters-almanac.pdf"]


def test_page_markers_start_where_the_printed_pages_start(paged_book):
    """Five random printed pages: the words after each marker are the words at the top of that page."""
    pdf = paged_book.project / "dist" / "the-lamplighters-almanac.pdf"
    found = markers(paged_book.epub)
    assert len(found) >= 10
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                                             text=True).stdout).group(1))
    # printed page 1 is the first chapter's first page: the physical page that pdftotext finds it on
    first = next(i for i in range(1, pages + 1) if words(found[1], 4) == words(subprocess.run(
        ["pdftotext", "-f", str(i), "-l", str(i), str(pdf), "-"], capture_output=True, text=True).stdout, 4))
    for number in random.Random(14).sample(sorted(found), 5):
        top = subprocess.run(["pdftotext", "-f", str(first + number - 1), "-l", str(first + number - 1), str(pdf),
                              "-"], capture_output=True, text=True).stdout
        after = words(found[number], 5)
        flat = " ".join(words(top, 40))
        assert " ".join(after) in flat, (number, after, flat)
        # near the top: at most a running head and a word broken at the page end come first
        assert flat.index(" ".join(after)) < 60, (number, after, flat)


def test_page_list_nav_source_and_features(paged_book):
    with zipfile.ZipFile(paged_book.epub) as zf:
        nav = zf.read("EPUB/nav.xhtml").decode()
        opf = zf.read("EPUB/content.opf").decode()
    assert '<nav epub:type="page-list" id="page-list" role="doc-pagelist" hidden="hidden">' in nav
    assert len(re.findall(r'#page-\d+">\d+</a>', nav)) == len(markers(paged_book.epub))
    assert '<dc:source id="print-source">urn:uuid:6f1c2b7e-3d4a-4f5b-9c8d-2e1f0a9b8c7d</dc:source>' in opf
    assert ">printPageNumbers<" in opf
    assert '<meta property="dcterms:conformsTo">EPUB Accessibility 1.1 - WCAG 2.2 Level AA</meta>' in opf
    assert '<meta property="a11y:certifiedBy">Harbour Lights Press</meta>' in opf
    assert re.search(r'<package [^>]*xml:lang="en" dir="ltr"', opf)


def test_epub_page_list_option_gives_the_same_book_as_build(paged_book, tmp_path):
    out = tmp_path / "again.epub"
    result = run_cli("epub", paged_book.project, "--page-list", "-o", out, env=BUILD_EPOCH)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == paged_book.epub.read_bytes()


def test_paged_epub_and_kepub_pass_epubcheck(paged_book):
    assert problems_of(epubcheck(paged_book.epub)) == []
    kepub = paged_book.project / "dist" / "the-lamplighters-almanac.kepub.epub"
    assert problems_of(epubcheck(kepub)) == []
    with zipfile.ZipFile(kepub) as zf:
        assert b'class="koboSpan" id="kobo.1.1"' in zf.read("EPUB/chapter-001.xhtml")


def test_auto_cover_is_a_deterministic_png_out_of_the_reading_order(paged_book, tmp_path):
    with zipfile.ZipFile(paged_book.epub) as zf:
        png = zf.read("EPUB/images/cover-auto.png")
        opf = zf.read("EPUB/content.opf").decode()
    assert Image.open(io.BytesIO(png)).size == (1600, 2560)
    assert '<itemref idref="cover" linear="no"/>' in opf
    assert re.search(r'<item href="images/cover-auto.png" id="cover-image" media-type="image/png" '
                     r'properties="cover-image"/>', opf)
    out, temp = tmp_path / "nocache.epub", tmp_path / "tmp"
    temp.mkdir()
    result = run_cli("epub", paged_book.project, "--no-cache", "-o", out, env={**BUILD_EPOCH, "TMPDIR": str(temp)})
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as zf:
        assert zf.read("EPUB/images/cover-auto.png") == png
    assert list(temp.iterdir()) == []  # drawn in memory: no picture left behind in the temporary folder


@pytest.mark.skipif(shutil.which("ebook-meta") is None, reason="Calibre's ebook-meta is not installed")
def test_calibre_reads_sort_names_and_series(paged_book):
    said = subprocess.run(["ebook-meta", str(paged_book.epub)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}).stdout
    assert re.search(r"Author\(s\)\s*: Wren Halloway \[Halloway, Wren\]", said), said
    assert re.search(r"Title sort\s*: Lamplighter's Almanac, The", said), said
    assert re.search(r"Series\s*: Harbour Lights #1", said), said


def test_check_warns_without_a_cover_and_names_cover_auto(tmp_path):
    project = copy_book("plain", tmp_path / "plain")
    result = run_cli("check", project)
    assert "no-cover" not in result.stdout  # codes are in the JSON report; the text names the fix
    assert "cover: auto" in result.stdout


def test_check_says_what_keeps_the_claim_out(tmp_path):
    project = copy_book("plain", tmp_path / "plain")
    png(project / "manuscript" / "images" / "x.png", 40, 40)
    (project / "manuscript" / "story.md").write_text("# One\n\nText.\n\n![](images/x.png)\n", encoding="utf-8")
    with open(project / "manuscript" / "book.yaml", "a", encoding="utf-8") as f:
        f.write("accessibility: {certified_by: Someone}\n")
    result = run_cli("check", project, "--format", "json")
    assert '"code": "accessibility-claim"' in result.stdout
    assert "pictures without a description" in result.stdout
    out = tmp_path / "plain.epub"
    assert run_cli("epub", project, "-o", out).returncode == 0
    with zipfile.ZipFile(out) as zf:
        assert b"conformsTo" not in zf.read("EPUB/content.opf")


def test_kepub_command_writes_the_default_file(tmp_path):
    project = copy_book("plain", tmp_path / "plain")
    result = run_cli("kepub", project, env=BUILD_EPOCH)
    assert result.returncode == 0, result.stderr
    out = project / "dist" / "a-quiet-evening.kepub.epub"
    assert result.stdout.strip() == str(out)
    assert problems_of(epubcheck(out)) == []


@pytest.mark.parametrize("printer", [None, "kdp"])
def test_the_page_list_read_from_the_layout_is_the_one_read_from_the_pdf(tmp_path, monkeypatch, printer):
    """The join hands each page's words, read from WeasyPrint's layout, to the page list (a printer pads
    the book with blank pages after it): the same page starts as reading the PDF back with pypdf."""
    from bookmaker.commands.build import render
    from bookmaker.commands.cover import with_print_settings
    from bookmaker.pdf import pagestarts
    from bookmaker.pdf.writer import pdf_bytes

    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(tmp_path / "cache"))
    project = copy_book("sample", tmp_path / "book")
    rendered = with_print_settings(render(str(project), 1, True, lambda message: None), printer)
    data, _ = pdf_bytes(rendered, jobs=1)
    assert pagestarts.written_words(data) is not None  # from the layout: no page is read back
    from_layout = pagestarts.page_starts(rendered, data, cache=False)
    pagestarts.remember_written(b"", [])
    from_pdf = pagestarts.page_starts(rendered, data, cache=False)
    assert from_layout == from_pdf and len(from_pdf.starts) >= 15


def long_titled_book(root):
    """A book whose second chapter's title runs to fourteen words, titles shown alone (chapter_label:
    false), as Standard Ebooks' Gulliver's Travels heads each chapter with its summary."""
    manuscript = root / "manuscript"
    manuscript.mkdir(parents=True)
    (manuscript / "book.yaml").write_text("title: The Ferry Log\nauthor: Ines Marlow\nlanguage: en\n"
                                          "chapter_label: false\n", encoding="utf-8")
    river = "The ferry crossed at dawn with the mail, three cows and the doctor's bicycle. " * 12
    (manuscript / "01-dawn.md").write_text("---\ntitle: Dawn\n---\n\n" + "\n\n".join([river] * 6) + "\n",
                                           encoding="utf-8")
    title = "The author leaves the harbour, is taken by pirates and sold to a merchant of Lagado"
    (manuscript / "02-pirates.md").write_text(f"---\ntitle: {title}\n---\n\nThe pirates were polite.\n",
                                              encoding="utf-8")
    return root


def test_a_contents_line_that_is_a_later_chapters_heading_does_not_hide_the_first_chapters_pages(
        tmp_path, monkeypatch):
    """The printed contents come before the first chapter, and a long title there is twelve words of a
    later chapter's heading: the page list matched the contents page to that chapter, passed over every
    page before it, never found printed page 1, and came out empty (EPUBCheck RSC-005 on Gulliver's
    Travels). Printed page 1 is the first chapter's first page."""
    from bookmaker.commands.build import render
    from bookmaker.pdf import pagestarts
    from bookmaker.pdf.writer import pdf_bytes

    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(tmp_path / "cache"))
    rendered = render(str(long_titled_book(tmp_path / "book")), 1, True, lambda message: None)
    data, _ = pdf_bytes(rendered, jobs=1)
    starts = pagestarts.page_starts(rendered, data, cache=False).starts
    assert starts and (starts[0].number, starts[0].page_id, starts[0].word) == (1, "chapter-1", 0)
    assert [s.page_id for s in starts].count("chapter-1") >= 2
    assert starts[-1].page_id == "chapter-2"


def test_no_page_found_gives_no_page_list_rather_than_an_empty_one(tmp_path, monkeypatch):
    """A print edition none of whose pages are found in the text: the EPUB has no page list (an empty
    <ol> is not allowed in a navigation document) and claims no page navigation."""
    from bookmaker.commands import build
    from bookmaker.model import PrintPages
    from bookmaker.pdf import pagestarts

    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(pagestarts, "page_starts", lambda rendered, data, cache=True: PrintPages((), "urn:x"))
    rendered = build.render(str(long_titled_book(tmp_path / "book")), 1, True, lambda message: None)
    assert build.with_page_list(rendered, b"%PDF-1.7") is rendered
