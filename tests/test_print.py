"""The print PDF, read back with pypdf (never with the code that made it)."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pypdf
import pytest

from conftest import REPO, copy_book, run_cli

ROMAN = re.compile(r"^[ivxlc]+$")


def reader(book) -> pypdf.PdfReader:
    assert book.result.returncode == 0, book.result.stderr
    return pypdf.PdfReader(book.epub)  # Built.epub holds the output path, here the PDF


def lines(page) -> list[str]:
    return [line.strip() for line in page.extract_text().splitlines() if line.strip()]


def outline(r: pypdf.PdfReader) -> list[tuple[str, int]]:
    return [(item.title, r.get_destination_page_number(item)) for item in r.outline]


def letters(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text).lower() if c.isalnum())


@pytest.mark.parametrize(("name", "size"), [("sample", (396, 612)), ("every-key", (396, 612)), ("plain", (432, 648))])
def test_page_size_is_the_trim_size(built_pdfs, name, size):
    r = reader(built_pdfs[name])
    for page in r.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == size


def test_outline_lists_front_matter_and_every_chapter_in_order(built_pdfs):
    titles = [title for title, _ in outline(reader(built_pdfs["sample"]))]
    assert titles == ["Title Page", "Copyright", "Dedication", "About This Story", "Contents",
                      "Chapter 1: The Last Lamp on Gull Street", "Chapter 2: A Tide Table for Two",
                      "Chapter 3: What the Almanac Said", "Chapter 4: Every Light on the Hill", "End Notes"]


@pytest.mark.parametrize("name", ["sample", "every-key", "plain"])
def test_every_font_is_embedded(built_pdfs, name):
    r = reader(built_pdfs[name])
    seen = 0
    for page in r.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor is None:
                    continue
                descriptor = descriptor.get_object()
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.get("/BaseFont")
                seen += 1
    assert seen > 0


def chapter_starts(r) -> dict[str, int]:
    return {title: index for title, index in outline(r) if title.startswith("Chapter") or title == "End Notes"}


@pytest.mark.parametrize("name", ["sample", "every-key", "plain"])
def test_chapters_open_on_right_hand_pages_without_furniture(built_pdfs, name):
    r = reader(built_pdfs[name])
    for title, index in chapter_starts(r).items():
        assert (index + 1) % 2 == 1, f"{title} starts on page {index + 1}, a left-hand page"
        text = lines(r.pages[index])
        assert not re.fullmatch(r"\d+|[ivxlc]+", text[-1]), f"{title}: opening page shows a page number"


def test_body_pages_carry_page_numbers_and_running_heads(built_pdfs):
    r = reader(built_pdfs["sample"])
    starts = sorted(chapter_starts(r).values())
    first = starts[0]
    for index in range(first, len(r.pages)):
        text = lines(r.pages[index])
        if index in starts or not text:
            continue  # an opening page or a blank page
        assert text[-1] == str(index - first + 1), f"page {index + 1}: {text[-2:]}"
        # Every sample chapter has a title: it heads the rectos (issue 16), the author the versos.
        chapter = max((t for t, i in chapter_starts(r).items() if i <= index), key=chapter_starts(r).get)
        head = "Wren Halloway" if (index + 1) % 2 == 0 else chapter.split(": ", 1)[-1]
        assert text[-2] == head or text[0] == head, f"page {index + 1}: no running head ({text[:1]}, {text[-2:]})"


def test_front_matter_is_numbered_in_roman(built_pdfs):
    r = reader(built_pdfs["sample"])
    first = min(chapter_starts(r).values())
    numbers = [lines(p)[-1] for p in r.pages[2:first] if lines(p) and ROMAN.match(lines(p)[-1])]
    assert numbers and numbers == sorted(numbers, key=lambda n: "i ii iii iv v vi vii viii ix x".split().index(n))


def test_contents_page_numbers_match_where_chapters_start(built_pdfs):
    r = reader(built_pdfs["sample"])
    starts = chapter_starts(r)
    first = min(starts.values())
    contents = dict(outline(r))["Contents"]
    entries = {}
    for line in lines(r.pages[contents]):
        match = re.match(r"^(.*?)[ .]*?\s*(\d+)$", line)
        if match and "." in line:
            entries[match.group(1).rstrip(" .")] = int(match.group(2))
    assert entries, lines(r.pages[contents])
    for title, index in starts.items():
        assert entries[title] == index - first + 1, title


def test_every_source_paragraph_is_there_in_order(built_pdfs):
    book = built_pdfs["sample"]
    r = reader(book)
    text = letters(" ".join(page.extract_text() for page in r.pages))
    position = 0
    for source in sorted((book.project / "manuscript").glob("*.md")):
        body = re.sub(r"\A---\n.*?\n---\n", "", source.read_text(encoding="utf-8"), flags=re.S)
        for para in re.split(r"\n\s*\n", body):
            para = para.strip()
            if not para or para.startswith(("#", "[^", "|", "!", ":")) or "{:" in para or "\n:" in para:
                continue
            plain = letters(re.sub(r"\[\^\w+\]|\*|<[^>]+>|--+|\.\.\.", "", para))[:50]
            if not plain:
                continue
            found = text.find(plain, position)
            assert found >= 0, f"{source.name}: missing or out of order: {para[:70]}"
            position = found


def test_footnote_sits_on_the_page_that_calls_it(built_pdfs):
    r = reader(built_pdfs["sample"])
    for page in r.pages:
        text = page.extract_text()
        if "The Society’s letters always say" in text:
            assert "survey of the Almanac’s shoreline" in text
            return
    pytest.fail("footnote text not found")


def test_pdf_metadata(built_pdfs):
    r = reader(built_pdfs["every-key"])
    meta = r.metadata
    assert meta["/Title"] == "The Clockmaker's Apprentice"
    assert meta["/Author"] == "Iris Vantongeren and Paz Okonjo-Reyes"
    assert meta["/Subject"].startswith("A clockmaker’s apprentice")
    assert "Tea & Sympathy" in meta["/Keywords"] and "Original Work" in meta["/Keywords"]
    assert r.trailer["/Root"]["/Lang"] == "en-GB"


def pixels(pdf: bytes, folder: Path) -> list[bytes]:
    """Each page drawn by poppler (an independent renderer), as greyscale pixels."""
    from PIL import Image

    folder.mkdir(parents=True)
    (folder / "book.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "72", "-gray", "-png", str(folder / "book.pdf"), str(folder / "p")], check=True)
    return [Image.open(png).tobytes() for png in sorted(folder.glob("p-*.png"))]


def rendered_book(project: Path):
    from bookmaker.load.project import load_book
    from bookmaker.render import render_book

    return render_book(load_book(project), jobs=1, cache=False)


def same_pages(single: bytes, parallel: bytes, folder: Path) -> None:
    one, two = pypdf.PdfReader(io.BytesIO(single)), pypdf.PdfReader(io.BytesIO(parallel))
    assert len(one.pages) == len(two.pages)
    assert [p.extract_text() for p in one.pages] == [p.extract_text() for p in two.pages]
    assert pixels(single, folder / "one") == pixels(parallel, folder / "parallel")
    assert outline(one) == outline(two)
    links = lambda r: sum(len(p.get("/Annots", [])) for p in r.pages)  # noqa: E731
    assert links(one) == links(two) > 0
    for key in ("/Title", "/Author", "/Subject", "/Keywords"):
        assert one.metadata.get(key) == two.metadata.get(key)
    # One embedded font per face, as one document has: never a copy per chapter under one name.
    assert sorted(embedded_fonts(two)) == sorted(embedded_fonts(one)) == sorted(set(embedded_fonts(one)))
    assert len(parallel) < 1.4 * len(single)
    for page in (p for p in two.pages if "/Contents" in p):  # streams are indirect, never inside an array
        contents = page.raw_get("/Contents")
        items = contents.get_object() if isinstance(contents.get_object(), list) else [contents]
        assert all(isinstance(item, pypdf.generic.IndirectObject) for item in items)


def embedded_fonts(reader) -> list[str]:
    """The name of every distinct font object the pages use."""
    fonts = {}
    for page in reader.pages:
        for ref in page["/Resources"].get_object().get("/Font", {}).values():
            fonts[ref.idnum] = str(ref.get_object()["/BaseFont"])
    return list(fonts.values())


@pytest.fixture(scope="module")
def sample_in_parallel(tmp_path_factory):
    """The sample laid out in two processes into an empty cache of its own, once for the two tests below
    (a cold layout of the sample is 6 s of CPU): its project, that cache, the book rendered and its PDF.
    A cold build that fills the cache makes the bytes one without a cache makes (test_reproducible)."""
    import os

    from bookmaker.pdf.writer import pdf_bytes

    root = tmp_path_factory.mktemp("parallel")
    project, cache = copy_book("sample", root / "s"), root / "cache"
    old = os.environ.get("BOOKMAKER_CACHE_DIR")
    os.environ["BOOKMAKER_CACHE_DIR"] = str(cache)
    try:
        rendered = rendered_book(project)
        parallel, _ = pdf_bytes(rendered, jobs=2, cache=True)
    finally:
        os.environ["BOOKMAKER_CACHE_DIR"] = old if old is not None else ""
        if old is None:
            del os.environ["BOOKMAKER_CACHE_DIR"]
    return project, cache, rendered, parallel


def test_parallel_layout_gives_the_same_pages_as_one_document(tmp_path, sample_in_parallel):
    from bookmaker.pdf.writer import pdf_bytes

    _, _, rendered, parallel = sample_in_parallel  # rendered before any edit below
    single, _ = pdf_bytes(rendered, jobs=0, cache=False)
    same_pages(single, parallel, tmp_path)


def test_an_edit_lays_out_only_the_chapter_edited(tmp_path, monkeypatch, sample_in_parallel):
    """Chapter 2 grows by several pages, so every later chapter moves: their page numbers change, their
    bodies are not laid out again, and the book is the one a cold build makes, to the byte."""
    from bookmaker.pdf.writer import pdf_bytes

    project, cache, _, before = sample_in_parallel  # the project edited here is used by no other test
    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(cache))
    chapter = project / "manuscript" / "02-a-tide-table-for-two.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n\nThe tide turned, and turned again.\n" * 60,
                       encoding="utf-8")
    said: list[str] = []
    rendered = rendered_book(project)
    warm, _ = pdf_bytes(rendered, jobs=2, cache=True, progress=said.append)
    assert [m for m in said if m.startswith("laid out")] == ["laid out 1 of 1 section"]
    cold, _ = pdf_bytes(rendered, jobs=2, cache=False)
    assert warm == cold
    starts = lambda pdf: [n for _, n in outline(pypdf.PdfReader(io.BytesIO(pdf)))]  # noqa: E731
    assert starts(warm)[-1] > starts(before)[-1]  # the later chapters did move
    # (that the parallel layout gives one document's pages: test_parallel_layout_gives_the_same_pages...)


def test_a_line_of_verse_too_long_for_the_measure_runs_over_indented(tmp_path):
    """Set flush, the rest of a long line looked like a line of its own (Leaves of Grass): it runs over
    indented by the hanging indent of its `span.line` (print.css), 1.5 em, and the lines the poet
    broke begin at the margin."""
    project = copy_book("plain", tmp_path / "p")
    long_line = "Out past the lamps on the breakwater and the moorings, I counted every boat that came home late"
    (project / "manuscript" / "story.md").write_text(
        f"---\ntitle: Verse\n---\n\nThe keeper wrote:\n\nShort line first,  \n{long_line},  \nand a short one.\n",
        encoding="utf-8")
    out = tmp_path / "verse.pdf"
    result = run_cli("pdf", project, "-o", out)
    assert result.returncode == 0, result.stderr
    sys.path.insert(0, str(REPO / "bench"))
    import typeset

    lines = [line for page in typeset.read_pages(out) for line in page.lines]
    starts = {word: next(line.left for line in lines if line.text.startswith(word))
              for word in ("Short line", "Out past", "and a short")}
    runover = next(line for i, line in enumerate(lines) if lines[i - 1].text.startswith("Out past"))
    assert runover.text.endswith("late,") and not runover.text.startswith("and a short")
    assert abs(starts["Out past"] - starts["Short line"]) < 0.5 and abs(starts["and a short"] - starts["Short line"]) < 0.5
    assert 15 < runover.left - starts["Short line"] < 18.5  # 1.5 em of 11 pt: 16.5 pt


def quay_book(folder: Path, css: str) -> Path:
    """Two chapters of several pages each, a footnote at the end of each, the default theme with `css` after it."""
    project = copy_book("plain", folder)
    scene = " ".join(["The lamps along the quay came on one by one, and the water took each of them in."] * 12)
    for n, name in ((1, "story.md"), (2, "second.md")):
        text = (f"---\ntitle: Part {n}\n---\n\n" + "\n\n".join([scene] * 9)
                + "\n\nThe harbour master wrote it down.[^log]\n\n[^log]: In the night book, in pencil.\n")
        (project / "manuscript" / name).write_text(text, encoding="utf-8")
    (project / "styles").mkdir()
    theme = (REPO / "styles" / "print.css").read_text(encoding="utf-8")
    (project / "styles" / "print.css").write_text(theme + "\n" + css + "\n", encoding="utf-8")
    return project


def parallel_and_single(project: Path) -> tuple[bytes, bytes, list[str]]:
    """The book laid out with two workers and as one document, and what the first said: its progress,
    then each problem as `path:line: code: message`."""
    from bookmaker.pdf.writer import pdf_bytes

    rendered = rendered_book(project)
    said: list[str] = []
    parallel, problems = pdf_bytes(rendered, jobs=2, cache=False, progress=said.append)
    single, _ = pdf_bytes(rendered, jobs=0, cache=False)
    return parallel, single, said + [f"{p.path}:{p.line}: {p.code}: {p.message}" for p in problems]


def test_a_page_number_sharing_an_edge_with_text_is_where_one_document_puts_it(tmp_path):
    """Each layer leaves out the margin boxes of the edges it draws nothing on (weasy_internals:
    unused_margin_boxes), but an edge's boxes are laid out together, their widths shared: a page number
    beside a running head keeps its place, and the heads theirs. Centred in its box, the number moves
    with the box's width, which its neighbour's text sets."""
    css = ('@page :right { @top-right { content: counter(page); text-align: center; }'
           ' @top-center { content: "An Evening on the Quay"; } }'
           '\n@page :left { @top-left { content: counter(page); text-align: center; }'
           ' @top-center { content: "An Evening on the Quay"; }'
           ' @left-middle { content: "\\2022"; } @bottom-left-corner { content: counter(page); } }'
           '\n@page :blank { @top-center { content: none; } @left-middle { content: none; }'
           ' @bottom-left-corner { content: none; } }')
    parallel, single, said = parallel_and_single(quay_book(tmp_path / "p", css))
    assert not [m for m in said if "one document" in m]
    pages = pypdf.PdfReader(io.BytesIO(parallel)).pages
    assert len(pages) > 6 and any("Quay" in p.extract_text() and "\u2022" in p.extract_text() for p in pages)
    assert pixels(single, tmp_path / "one") == pixels(parallel, tmp_path / "parallel")


@pytest.mark.parametrize("chapter", ["second.md", "story.md"])  # the first chapter and the last (natural order)
def test_a_chapter_ending_in_footnotes_alone_on_a_page_is_laid_out_in_parallel(tmp_path, chapter):
    """Notes called from a chapter's last lines that its last page cannot hold run on past the end of its
    text, onto a page of notes alone, which WeasyPrint calls blank, and which the numbers' empty pages
    cannot make: such a chapter made the whole book be laid out as one document (Poe's Short Fiction: 115 s
    instead of 23 s). It has no number to draw (a blank page carries nothing of the theme's). And laid out
    as one document, the book lost such notes at its very end (weasy_internals.keep_trailing_footnotes):
    both now have every note, on the same pages."""
    project = quay_book(tmp_path / "p", "")
    sentence = ("The log gives the hour of each lamp, the wind, the state of the tide and the name of the "
                "keeper who lit it, in a hand that changes with the seasons.")
    notes = [f"Note {n}. " + " ".join([sentence] * 8) + f" End of note {n}." for n in range(3)]
    path = project / "manuscript" / chapter
    text = path.read_text(encoding="utf-8").replace(
        "The harbour master wrote it down.[^log]", "The harbour master wrote it down.[^log][^a][^b]")
    path.write_text(text.replace("In the night book, in pencil.", notes[0])
                    + f"\n[^a]: {notes[1]}\n\n[^b]: {notes[2]}\n", encoding="utf-8")
    parallel, single, said = parallel_and_single(project)
    assert not [m for m in said if "one document" in m], said
    for pdf in (parallel, single):
        (tmp_path / "book.pdf").write_bytes(pdf)
        pages = subprocess.run(["pdftotext", str(tmp_path / "book.pdf"), "-"], capture_output=True, text=True,
                               check=True).stdout.split("\f")
        assert all(f"End of note {n}." in "".join(pages) for n in range(3))  # every note, on the pages
        assert [page for page in pages if "keeper who lit it" in page and "lamps along the quay" not in page]
    assert pixels(single, tmp_path / "one") == pixels(parallel, tmp_path / "parallel")


def test_a_note_too_long_for_the_foot_of_a_page_is_set_after_the_chapter_whole(tmp_path):
    """WeasyPrint sets a footnote whole at the foot of one page: one taller than the page was drawn from
    above its top edge, and its first part was lost (Poe's 2,600-word note to "Hans Pfaall": the PDF
    showed its last 745 words). A note of more words than half a page of notes holds is set after the
    chapter's text, under a rule, whole; its call counts as a footnote's, so the note after it is still
    numbered 2; a note it calls itself floats from it there (it was lost); and the book is the same laid
    out in parallel and as one document."""
    project = quay_book(tmp_path / "p", "")
    words = " ".join(f"word{n}" for n in range(900))
    long_note = f"The first words of the long note. {words} The last words of the long note.[^inner]"
    story = project / "manuscript" / "story.md"
    story.write_text(story.read_text(encoding="utf-8").replace("In the night book, in pencil.", long_note)
                     .replace("The harbour master wrote it down.[^log]",
                              "The harbour master wrote it down.[^log] The clerk agreed.[^clerk]")
                     + "\n[^clerk]: He always did.\n\n[^inner]: Called from the long note.\n", encoding="utf-8")
    parallel, single, said = parallel_and_single(project)
    assert not [m for m in said if "one document" in m], said
    (tmp_path / "book.pdf").write_bytes(parallel)
    # poppler's text, which is what is on the pages: pypdf reads text drawn above a page's edge too
    text = subprocess.run(["pdftotext", str(tmp_path / "book.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout.replace("\n", " ")
    assert "1. The first words of the long note." in text and "The last words of the long note." in text
    assert text.index("The clerk agreed.") < text.index("1. The first words")  # after the chapter's text
    assert "2. He always did." in text and all(f"word{n} " in text + " " for n in (0, 450, 899))
    assert "3. Called from the long note." in text  # a note's own note, a footnote from there
    assert pixels(single, tmp_path / "one") == pixels(parallel, tmp_path / "parallel")


@pytest.mark.parametrize("css, reason", [
    ("@page { background: #f4ecd8; }", "a page background"),
    ('@page :blank { @top-center { content: "This page is left blank"; } }', "furniture on blank pages"),
    ('.pdf-chapter::before { content: "\\2766"; display: block; }', "generated content"),
    ("@page :first { margin-top: 3in; }", "place in the whole book (@page :first)"),
    ("@page :nth(1 of chapter) { counter-reset: page 1; }", "numbers a chapter's pages otherwise"),
    (".chapter { counter-reset: none; }", "counts 'footnote' on from chapter to chapter"),
    ('.pdf-first-chapter p:last-of-type { string-set: note "A note"; }'
     " @page :left { @top-center { content: string(note); } } @page :blank { @top-center { content: none; } }",
     "before the chapter sets it"),
    ('h1 { string-set: heading content(); }'
     ' @page chapter { @bottom-center { content: string(heading) " " counter(page); } }',
     "shows the page count or text from the chapter"),
    ('h1::after { content: " (the second part is on page " target-counter("#chapter-2", page) ")"; }',
     "shows where a link points"),
    ("@page wide { size: 7in 9in; } #chapter-2 { page: wide; }", "the numbering pages do not match"),
    (".pdf-chapter:first-of-type h1 { font-size: 40pt; }", "by the chapter's place in the book"),
])
def test_a_theme_the_split_layout_cannot_reproduce_is_laid_out_as_one_document(tmp_path, css, reason):
    """The numbers' layer is drawn over the body's page, and the blank page before a chapter is added
    empty in the join: a page background would hide the text, furniture on blank pages would be lost, an
    ornament before the chapter drawn twice. A probe of empty pages finds these first (parts.Painted).
    And each chapter laid out alone is a document of its own, whose first page `:first` would select
    (a page more, in this book), whose numbers, shifted to where it falls, are not those of a theme
    that numbers each chapter from 1 (parts.numbered), and which has no value for a named string the
    chapters before it set (weasy_internals.set_in_chapter) nor for a counter the chapter does not reset
    (footnotes numbered through the book: weasy_internals.carried_counter). And a page number that shows
    the chapter's text (weasy_internals.page_number_box), or a link's target page, numbered from the
    chapter's first page alone, or missing for a target in another chapter (hook_target_lookups). A
    chapter on named pages of a size of their own is found when its numbers' pages do not come out as
    its body's did (lay_out_numbers). A selector that picks a chapter's elements by where the chapter
    stands among the book's pages would match otherwise in a chapter alone (structure.py).
    Laid out as one document, the book is the one
    `--jobs 0` makes, byte for byte (before each check, its pages differed from that one's)."""
    parallel, single, said = parallel_and_single(quay_book(tmp_path / "p", css))
    assert [m for m in said if "one document" in m and reason in m]
    # and the author is told why it took longer, in a warning on the theme
    assert [m for m in said if re.search(r"/styles/print\.css:\d+: slow-layout: laid out as one document, more "
                                         r"slowly: ", m) and reason in m]
    assert parallel == single


def test_a_chapter_that_needed_one_document_says_so_at_once_the_next_time(tmp_path, monkeypatch):
    """A chapter's body or numbers that found the theme needs one document is remembered in the cache:
    the next build lays nothing out in parallel before it says so (here, the second chapter's numbers,
    laid out after both bodies and the front matter)."""
    css = "@page :nth(1 of chapter) { counter-reset: page 1; }"
    from bookmaker.pdf.writer import pdf_bytes

    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(tmp_path / "cache"))
    rendered = rendered_book(quay_book(tmp_path / "p", css))
    first: list[str] = []
    before, _ = pdf_bytes(rendered, jobs=2, cache=True, progress=first.append)
    again: list[str] = []
    after, _ = pdf_bytes(rendered, jobs=2, cache=True, progress=again.append)
    assert after == before and again[0].startswith("laid out as one document") and again[0] in first
    assert not [m for m in again if m.startswith(("laid out 1", "laying out the front matter"))]


def test_selectors_that_look_at_a_chapters_place_among_the_pages_are_found_and_those_inside_it_are_not(tmp_path):
    """structure.placed_chapter_selector, on the quay book (half title, title page, summary, contents,
    two chapters): a selector is found where it picks a chapter's elements otherwise in the book than in
    the chapter alone, as WeasyPrint's cssselect2 matches it."""
    from bookmaker.pdf.html import page_divs
    from bookmaker.pdf.parts import FLOW_KINDS
    from bookmaker.pdf.structure import placed_chapter_selector

    divs = page_divs(rendered_book(quay_book(tmp_path / "p", "")), typeset=False)
    assert [page.kind for page, _ in divs] == ["halftitle", "titlepage", "summary", "toc", "chapter", "chapter"]
    flow = [n for n, (page, _) in enumerate(divs) if page.kind in FLOW_KINDS]

    def found(css: str) -> tuple[str, int] | None:
        placed = placed_chapter_selector(["", css], [div for _, div in divs], flow, "en")
        return placed and (placed.selector, placed.sheet, placed.line)

    for placed in (".pdf-chapter:first-of-type h1", ".pdf-page:nth-child(5) p", ".pdf-page:nth-child(1) p",
                   ".pdf-toc ~ .pdf-chapter p", ".pdf-chapter + .pdf-chapter h1", "body > div:last-child p",
                   ".pdf-chapter:only-of-type p::first-letter", "div:FIRST-CHILD"):
        assert found(f"h1 {{ color: blue }}\n\na, {placed} {{ color: red }}") == (placed, 1, 3)
    for inside in ("h1 + p", "p:first-of-type::first-letter", "li:last-child", ".pdf-page:nth-child(2) p",
                   "nav ~ div p", ".pdf-chapter p:nth-child(2n/**/+1)", ":is(.pdf-chapter, nav) ~ nav"):
        assert found(f"{inside} {{ color: red }}") is None, inside
    assert found("@media print {\n .pdf-chapter:last-child h1 { color: red } }") == (".pdf-chapter:last-child h1", 1, 2)
    assert found("h1 { color: red }") is None and found(":not(:first-child { color: red }") is None


def test_the_answer_about_a_chapters_place_is_kept_in_the_cache_and_read_back_alike(tmp_path, monkeypatch):
    """With the cache, structure.placed_chapter_selector's answer (a selector, or none) is read back by
    the next build, which does not search again; an entry that is not an answer is searched again."""
    from bookmaker.infra import cache
    from bookmaker.pdf import structure
    from bookmaker.pdf.html import page_divs
    from bookmaker.pdf.parts import FLOW_KINDS

    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(tmp_path / "cache"))
    divs = page_divs(rendered_book(quay_book(tmp_path / "p", "")), typeset=False)
    flow = [n for n, (page, _) in enumerate(divs) if page.kind in FLOW_KINDS]
    placed_css, inside_css = "a, .pdf-chapter:first-of-type h1 { color: red }", "h1 + p { color: red }"

    def ask(css: str):
        return structure.placed_chapter_selector(["", css], [div for _, div in divs], flow, "en", cache=True)

    structure._found.clear()  # asked by the test before, in this process
    first = ask(placed_css), ask(inside_css)
    assert first == (structure.Placed(".pdf-chapter:first-of-type h1", 1, 1), None)
    entries = sorted((tmp_path / "cache" / "structure").rglob("*.json"))
    assert len(entries) == 2
    structure._found.clear()  # a new build: nothing kept in memory
    searched = structure.searched
    monkeypatch.setattr(structure, "searched", lambda *a: pytest.fail("searched again"))
    assert (ask(placed_css), ask(inside_css)) == first
    structure._found.clear()
    for entry in entries:
        entry.write_bytes(cache.sealed(b'{"selector": 1}'))  # whole as an entry, not as an answer
    monkeypatch.setattr(structure, "searched", searched)
    assert (ask(placed_css), ask(inside_css)) == first


def test_page_selectors_that_count_the_whole_book_are_found_as_a_browser_reads_them():
    from types import SimpleNamespace

    from bookmaker.pdf.parts import placed_page_selector

    def placed(css: str) -> str | None:
        return placed_page_selector(SimpleNamespace(stylesheets=("@page { margin: 1in }", css)))

    assert placed((REPO / "styles" / "print.css").read_text(encoding="utf-8")) is None  # :nth(1 of chapter)
    assert placed("@page chapter:nth(2n of chapter) { margin: 0 }") is None
    assert placed("@page :nth(3) { margin: 0 }") == "@page :nth(3)"
    assert placed("@media print { @page chapter:first { margin: 0 } }") == "@page chapter:first"
    assert placed("@page :fir\\73 t { margin: 0 }") == "@page :first"  # an escape undone
    assert placed("/* @page :first {} */ p { margin: 0 }") is None


def test_cache_never_changes_the_bytes(tmp_path, monkeypatch):
    from bookmaker.pdf.writer import pdf_bytes

    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(tmp_path / "cache"))
    rendered = rendered_book(copy_book("every-key", tmp_path / "k"))
    cold, _ = pdf_bytes(rendered, jobs=2, cache=False)
    first, _ = pdf_bytes(rendered, jobs=2, cache=True)
    warm, _ = pdf_bytes(rendered, jobs=2, cache=True)
    one, _ = pdf_bytes(rendered, jobs=1, cache=True)
    assert cold == first == warm == one


@pytest.mark.parametrize("variant", ["pdf/a-3b", "pdf/ua-1"])
def test_variants(tmp_path, variant):
    project = copy_book("plain", tmp_path / "p")
    out = tmp_path / "v.pdf"
    result = run_cli("pdf", project, "-o", out, "--variant", variant)
    assert result.returncode == 0, result.stderr
    r = pypdf.PdfReader(out)
    if variant == "pdf/a-3b":
        assert b"pdfaid" in r.trailer["/Root"]["/Metadata"].get_object().get_data()
    else:
        assert "/StructTreeRoot" in r.trailer["/Root"] and r.trailer["/Root"]["/MarkInfo"]["/Marked"]


def test_a_picture_changed_under_the_same_name_is_laid_out_again(tmp_path, monkeypatch):
    """The layout cache is keyed by the bytes of the pictures too: another project's picture, or the
    old version of this one, never comes back from it."""
    from conftest import png

    from bookmaker.pdf.writer import pdf_bytes

    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(tmp_path / "cache"))
    books = []
    for name, colour in (("red", (200, 30, 30)), ("blue", (30, 30, 200))):
        project = tmp_path / name
        (project / "manuscript").mkdir(parents=True)
        (project / "manuscript" / "book.yaml").write_text("title: T\nauthor: A\n", encoding="utf-8")
        (project / "manuscript" / "1.md").write_text("![A square](p.png)\n", encoding="utf-8")
        png(project / "manuscript" / "p.png", 64, 64, colour)
        books.append(pdf_bytes(rendered_book(project), jobs=1, cache=True)[0])
    assert books[0] != books[1]
    assert books[1] == pdf_bytes(rendered_book(tmp_path / "blue"), jobs=1, cache=False)[0]


def test_notes_called_from_notes_and_notes_called_twice(tmp_path):
    """A chain of notes, each calling the next, and a note called twice: every note is printed once,
    at the foot of the page, and the build neither fails nor recurses (WeasyPrint cannot float a
    footnote inside a footnote)."""
    from bookmaker.pdf.writer import pdf_bytes

    project = tmp_path / "notes"
    (project / "manuscript").mkdir(parents=True)
    (project / "manuscript" / "book.yaml").write_text("title: T\nauthor: A\n", encoding="utf-8")
    # Fifteen: the layout of a chain grows faster than its length (50 notes took 8.6 s, 15 take 1.5 s).
    chain = "\n".join(f"[^{i}]: Note {i} calls[^{i + 1}]." for i in range(1, 15)) + "\n[^15]: Note 15 ends it.\n"
    (project / "manuscript" / "1.md").write_text(
        "The first call.[^1]\n\nA second call to the same note.[^1] And another.[^x]\n\n" + chain
        + "[^x]: Note x.\n", encoding="utf-8")
    rendered = rendered_book(project)
    for jobs in (0, 1):
        text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf_bytes(rendered, jobs=jobs,
                                                                                        cache=False)[0])).pages)
        for i in range(1, 15):
            assert text.count(f"Note {i} calls") == 1, (jobs, i)
        assert text.count("Note 15 ends it.") == 1 and text.count("Note x.") == 1


def test_labels_in_the_pdf_are_the_epubs(tmp_path):
    project = copy_book("plain", tmp_path / "plain")
    yaml = project / "manuscript" / "book.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8") + "language: de\nsummary: Ein Abend.\n", encoding="utf-8")
    out = tmp_path / "de.pdf"
    result = run_cli("pdf", project, "-o", out)
    assert result.returncode == 0, result.stderr
    text = " ".join(" ".join(lines(page)) for page in pypdf.PdfReader(out).pages)
    for label in ("Über diese Geschichte", "Zusammenfassung", "Wörter", "Inhalt", "Kapitel 1"):
        assert label in text, label
    assert [title for title, _ in outline(pypdf.PdfReader(out))][:3] == ["Titelseite", "Über diese Geschichte",
                                                                         "Inhalt"]


def test_a_theme_brings_its_own_typeface(tmp_path):
    """A project's print.css may name fonts and pictures in its styles/ folder: they reach the layout
    (and only they: nothing else on the disk, nothing remote)."""
    import shutil

    import fontpkg_spectral

    project = copy_book("plain", tmp_path / "p")
    (project / "styles" / "fonts").mkdir(parents=True)
    shutil.copy(Path(fontpkg_spectral.ROOT) / "files" / "Spectral-ExtraLight.ttf", project / "styles" / "fonts" / "b.ttf")
    theme = (REPO / "styles" / "print.css").read_text(encoding="utf-8")
    (project / "styles" / "print.css").write_text(
        theme + '\n@font-face { font-family: "House"; src: url("fonts/b.ttf"); }\nhtml { font-family: "House"; }\n',
        encoding="utf-8")
    result = run_cli("pdf", project, "-o", tmp_path / "b.pdf")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    fonts = embedded_fonts(pypdf.PdfReader(tmp_path / "b.pdf"))
    assert any("House" in name for name in fonts), fonts
    (project / "styles" / "fonts" / "b.ttf").unlink()
    result = run_cli("pdf", project, "-o", tmp_path / "c.pdf")
    line = theme.count("\n") + 2
    assert (result.returncode, result.stderr) == (1, f"{project}/styles/print.css:{line}: file 'fonts/b.ttf' not found\n")


@pytest.mark.parametrize("jobs", [0, 2])
def test_a_right_to_left_book_reads_right_to_left_and_its_contents_keep_their_numbers(tmp_path, jobs):
    from bookmaker.pdf.writer import pdf_bytes

    project = tmp_path / "he"
    (project / "manuscript").mkdir(parents=True)
    (project / "manuscript" / "book.yaml").write_text("title: הפנסים\nauthor: נועה לוי\nlanguage: he\n",
                                                       encoding="utf-8")
    for n, title in ((1, "הפתיחה"), (2, "הסוף")):
        (project / "manuscript" / f"{n}.md").write_text(f"---\ntitle: {title}\n---\n\n" + "הפנסים נדלקו. " * 300,
                                                         encoding="utf-8")
    data, _ = pdf_bytes(rendered_book(project), jobs=jobs, cache=False)
    reader = pypdf.PdfReader(io.BytesIO(data))
    starts = [index for _, index in outline(reader)][-2:]
    printed = [index - starts[0] + 1 for index in starts]  # the first chapter's page is numbered 1
    contents = next(p.extract_text() for p in reader.pages if "Contents" in p.extract_text())
    listed = contents.split("Contents", 1)[1].replace("Chapter 1", "").replace("Chapter 2", "")
    assert [int(n) for n in re.findall(r"\d+", listed)] == printed
    assert reader.trailer["/Root"]["/Lang"] == "he"


def test_the_front_matter_is_laid_out_beside_the_last_chapter_and_makes_the_same_bytes(tmp_path):
    """The contents need where each chapter begins, not how long the last one is: the front matter is
    laid out as soon as every chapter but the last is (the last handed out last), beside it, where it
    waited alone on one core at the end of a cold build. Its pages' text is the one-document layout's."""
    project = quay_book(tmp_path / "p", "")
    scene = " ".join(["The tide came over the causeway and the lamps went out along it, one by one."] * 12)
    (project / "manuscript" / "third.md").write_text("---\ntitle: Part 3\n---\n\n" + "\n\n".join([scene] * 24) + "\n",
                                                     encoding="utf-8")
    parallel, single, said = parallel_and_single(project)
    progress = [m for m in said if m.startswith(("laid out 3 of 3", "laying out the front matter"))]
    assert progress == ["laying out the front matter", "laid out 3 of 3 sections"], said
    # The contents' numbers among them: each page's text as the book laid out as one document has it.
    texts = [[page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages] for pdf in (single, parallel)]
    assert texts[0] == texts[1] and any("Contents" in text and "Part 3" in text for text in texts[1])


def test_the_last_part_is_handed_out_last_where_the_front_matter_waits_only_for_its_start():
    from bookmaker.pdf.parts import body_order

    assert body_order([50, 90, None, 30, 70, 40, 80, 95], final=7) == [1, 6, 4, 0, 3, 5, 7]
    assert body_order([50, 90, None], final=2) == [1, 0]  # laid out already: nothing to hold back


def test_a_column_of_short_cells_is_kept_on_one_line_beside_longer_text():
    """The Art of War's table of dates: "509 or 508" broke over two lines beside a column of sentences,
    the automatic layout giving the dates less than their widest cell. A table of short cells alone, and
    a cell that spans columns, are left to the layout."""
    import lxml.html

    from bookmaker.pdf.html import short_columns_whole

    def styled(html: str) -> list[str | None]:
        table = lxml.html.fragment_fromstring(html)
        short_columns_whole(table)
        return [cell.get("style") for cell in table.iter("td")]

    long = "Ho Lu attacks Ch'u, but is dissuaded from entering Ying, the capital."
    assert styled(f"<table><tr><td>509 or 508</td><td>{long}</td></tr><tr><td>512</td><td>Yes.</td></tr></table>") == \
        ["white-space: nowrap", None, "white-space: nowrap", None]
    assert styled("<table><tr><td>514</td><td>Ho Lu.</td></tr></table>") == [None, None]
    assert styled(f'<table><tr><td colspan="2">{long}</td></tr><tr><td>514</td><td>{long}</td></tr></table>') == \
        [None, None, None]


FIGURE = ('<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 221 288"><title>Two points and '
          'one.</title><circle cx="60" cy="60" r="20"/><circle cx="160" cy="60" r="20"/><circle cx="110" cy="200" '
          'r="20"/></svg>')


def test_a_note_with_a_picture_and_paragraphs_stays_on_its_page(tmp_path):
    """Standard Ebooks' Divine Comedy draws a figure in a note: the picture, with no size of its own, was
    set as wide as the measure, and the note overran the top of the next page, over its running head and
    first line. A picture in a note is now a few lines high, and the note sits under its call. Its
    paragraphs and a quotation's lines each begin a line (they ran on as one)."""
    (tmp_path / "manuscript" / "images").mkdir(parents=True)
    (tmp_path / "manuscript" / "images" / "fig.svg").write_text(FIGURE, encoding="utf-8")
    (tmp_path / "manuscript" / "book.yaml").write_text("title: T\nauthor: A\n", encoding="utf-8")
    stanzas = [f"Line {n} of a poem that runs on and on,{'[^1]' if n == 17 else ''}  \nAnd a second line." for n in range(1, 40)]
    (tmp_path / "manuscript" / "01-one.md").write_text(
        "# One\n\n" + "\n\n".join(stanzas) + "\n\n[^1]: Geomancy is divination by points, which is thus drawn:\n\n"
        "    ![A figure.](images/fig.svg)\n\n    And so the figure ends, as an old poet has it:\n\n"
        + "".join(f"    > The {n}th line the old poet wrote of it,  \n" for n in range(1, 9)) + "\n", encoding="utf-8")
    out = tmp_path / "t.pdf"
    result = run_cli("pdf", tmp_path, "-o", out)
    assert result.returncode == 0, result.stderr
    pages = [page.extract_text() for page in pypdf.PdfReader(out).pages]
    [calling] = [text for text in pages if "Line 17 of" in text]
    assert "Geomancy is divination" in calling and "The 8th line the old poet wrote" in calling
    assert not any("Geomancy" in text or "old poet" in text for text in pages if text is not calling)
    note = calling[calling.index("Geomancy"):]
    assert re.search(r"it:\s*\n\s*The 1th line the old poet wrote of it,\s*\n\s*The 2th", note), note


def test_a_note_that_is_a_quotation_begins_on_its_numbers_line():
    """Les Misérables (Standard Ebooks) translates a song in a note that is a quotation alone ("[^1]: > I am
    hungry, father."): the note's number stood alone on a line, the song on the next. An empty first
    paragraph (the number alone) now makes no line of its own; later paragraphs still each begin one."""
    from lxml import etree

    from bookmaker.pdf.html import footnote_span
    from bookmaker.render import xhtml

    aside = etree.fromstring(
        f'<aside xmlns="{xhtml.XHTML}" class="footnote"><p><a class="footnote-number" href="#r">1.</a> </p>'
        '<blockquote>\n<p class="lines"><span class="line">I am hungry, father.</span><br/>\n'
        '<span class="line">I have no food.</span></p>\n</blockquote><p>Said twice.</p></aside>')
    note, _ = footnote_span(aside)
    pieces = [el for el in note if "footnote-para" in (el.get("class") or "")]
    assert [p.get("class") for p in pieces] == ["footnote-para footnote-blockquote", "footnote-para"]
    assert "".join(note.itertext()).split() == "I am hungry, father. I have no food. Said twice.".split()


def test_a_short_stanza_is_never_split_over_a_page_and_verse_stands_a_line_apart(tmp_path):
    """A helper's song of two quatrains was split 2/2 over a page turn, and set flush against the prose
    around it. A stanza of six lines or fewer now stays whole, and verse is a line apart from prose."""
    (tmp_path / "manuscript").mkdir()
    (tmp_path / "manuscript" / "book.yaml").write_text("title: T\nauthor: A\n", encoding="utf-8")
    parts = []
    for n in range(40):
        parts.append("The orchard was quiet that night. " * (3 + n % 7))
        parts.append("  \n".join(f"Stanza {n} line {k} of the little song," for k in range(1, 5)))
    (tmp_path / "manuscript" / "01-one.md").write_text("# One\n\n" + "\n\n".join(parts) + "\n", encoding="utf-8")
    out = tmp_path / "t.pdf"
    result = run_cli("pdf", tmp_path, "-o", out)
    assert result.returncode == 0, result.stderr
    pages = [page.extract_text() for page in pypdf.PdfReader(out).pages]
    for n in range(40):
        holding = {i for i, text in enumerate(pages) for k in range(1, 5) if f"Stanza {n} line {k} " in text}
        assert len(holding) == 1, (n, holding)
    laid = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    # a blank line between prose and verse, both ways, wherever the two meet on one page
    assert re.search(r"night\.\s*\n\s*\n\s*Stanza 5 line 1 ", laid) and re.search(r"Stanza 5 line 4 [^\n]*\n\s*\n\s*The", laid)


def test_the_rule_under_a_chapters_notes_stays_on_its_opening_page(tmp_path):
    """A helper's chapter with a summary and notes began with a picture too tall for the opening page: the
    rule between the notes and the text was the text's top border, and went over with the picture, alone
    under the next page's running head (and with bleed, pushed a full-bleed picture down). It is the
    notes' own now: drawn on the opening page, none on the next."""
    from conftest import png

    (tmp_path / "manuscript" / "images").mkdir(parents=True)
    png(tmp_path / "manuscript" / "images" / "tall.png", 600, 800)
    (tmp_path / "manuscript" / "book.yaml").write_text("title: T\nauthor: A\n", encoding="utf-8")
    (tmp_path / "manuscript" / "01-one.md").write_text(
        "---\ntitle: The Star Song\nsummary: A lullaby.\nnotes: The lyrics are mine.\n---\n\n"
        "![Trees under a moon](images/tall.png)\n\nHis grandmother had sung it.\n", encoding="utf-8")
    out = tmp_path / "t.pdf"
    assert run_cli("pdf", tmp_path, "-o", out).returncode == 0
    reader = pypdf.PdfReader(out)
    [opening] = [i for i, page in enumerate(reader.pages) if "The lyrics are mine" in page.extract_text()]

    def rules(page) -> int:  # thin filled rectangles: a border drawn as a rule
        data = page.get_contents().get_data().decode("latin-1")
        return sum(1 for m in re.finditer(r"(\S+) (\S+) (\S+) (\S+) re\b", data) if 0 < abs(float(m.group(4))) < 1.5)

    assert rules(reader.pages[opening]) >= 1 and "grandmother" in reader.pages[opening + 1].extract_text()
    assert rules(reader.pages[opening + 1]) == 0


def test_a_full_bleed_picture_after_a_chapters_notes_reaches_the_pages_edge(tmp_path):
    """The same chapter for KDP with bleed: the rule and the space under the notes, carried over, pushed
    the full-bleed picture 15 pt down from the page's top, inside the trim, and preflight failed the
    safe area. Now the picture begins at the edge and the safe area passes."""
    from conftest import png

    (tmp_path / "manuscript" / "images").mkdir(parents=True)
    png(tmp_path / "manuscript" / "images" / "tall.png", 1900, 2800)
    (tmp_path / "manuscript" / "book.yaml").write_text(
        "title: T\nauthor: A\ncover: auto\npdf: {printer: kdp, bleed: true}\n", encoding="utf-8")
    (tmp_path / "manuscript" / "01-one.md").write_text(
        "---\ntitle: The Star Song\nsummary: A lullaby.\nnotes: The lyrics are mine.\n---\n\n"
        "![Trees under a moon](images/tall.png){: .bleed}\n\nHis grandmother had sung it.\n", encoding="utf-8")
    ran = run_cli("check", tmp_path, "--printer", "kdp")
    assert "preflight outside-safe-area: safe area: pass" in ran.stdout + ran.stderr, ran.stdout + ran.stderr


def test_the_front_matters_printed_folios_are_its_page_labels(tmp_path):
    """A print designer: the about page, the book's seventh, was printed "iii" while its /PageLabels (and
    the convention, counting from the half-title) said vii: the roman count began again at each page
    group named title, the last of them the dedication. Now the printed folios are the labels."""
    (tmp_path / "manuscript").mkdir()
    (tmp_path / "manuscript" / "book.yaml").write_text(
        "title: T\nauthor: A\ndedication: For the keepers.\nsummary: A story.\nrights: All rights reserved.\n",
        encoding="utf-8")
    (tmp_path / "manuscript" / "01-one.md").write_text("# One\n\nText.\n", encoding="utf-8")
    out = tmp_path / "t.pdf"
    assert run_cli("pdf", tmp_path, "-o", out).returncode == 0
    reader = pypdf.PdfReader(out)
    checked = 0
    for number, page in enumerate(reader.pages):
        text = subprocess.run(["pdftotext", "-layout", "-f", str(number + 1), "-l", str(number + 1), str(out), "-"],
                              capture_output=True, text=True, check=True).stdout.split()
        if text and re.fullmatch(r"[ivxlc]+", text[-1]):
            assert text[-1] == reader.page_labels[number], (number + 1, text[-1], reader.page_labels[number])
            checked += 1
    assert checked >= 2  # the about page's and the contents' folios at least


def test_a_drop_cap_indents_the_two_lines_it_stands_in_and_no_third(tmp_path):
    """A print designer: with `drop_cap: true`, three lines were indented beside a cap two lines deep, the
    third beside nothing. The cap's box is now no taller than its two lines."""
    (tmp_path / "manuscript").mkdir()
    (tmp_path / "manuscript" / "book.yaml").write_text("title: T\nauthor: A\npdf: {drop_cap: true}\n", encoding="utf-8")
    (tmp_path / "manuscript" / "01-one.md").write_text(
        "# One\n\n" + "Ottilie lit the lamps of the street in the evening before the tide came in. " * 12 + "\n",
        encoding="utf-8")
    out = tmp_path / "t.pdf"
    assert run_cli("pdf", tmp_path, "-o", out).returncode == 0
    reader = pypdf.PdfReader(out)
    [page] = [i for i, p in enumerate(reader.pages) if "lamps of the street" in p.extract_text()]
    boxes = subprocess.run(["pdftotext", "-bbox", "-f", str(page + 1), "-l", str(page + 1), str(out), "-"],
                           capture_output=True, text=True, check=True).stdout
    words = [(float(y), float(x), w) for x, y, w in re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)<', boxes)]
    lines: dict[int, float] = {}
    for y, x, word in words:
        if word not in ("O",) and len(word) > 0:  # the cap itself is no line's start
            lines[round(y)] = min(x, lines.get(round(y), x))
    top = min(y for y, _, w in words if w == "lamps")  # the paragraph's first line: the heading above it left out
    starts = [lines[y] for y in sorted(lines) if y >= round(top) - 2]
    assert len(starts) >= 5
    first, second, third, fourth = starts[:4]
    assert abs(third - fourth) < 1 and first > fourth + 10 and second > fourth + 10, starts[:5]


def contents_entries_by_page(tmp_path, chapters: int) -> list[int]:
    """The entries on each page of the printed contents of a book of `chapters` short chapters."""
    manuscript = tmp_path / f"book{chapters}" / "manuscript"
    manuscript.mkdir(parents=True)
    (manuscript / "book.yaml").write_text("title: The Keeper's Ledger\nauthor: Ada Quill\nlanguage: en\n")
    for n in range(1, chapters + 1):
        (manuscript / f"{n:02}.md").write_text(f"---\ntitle: The lamp of night {n}\n---\n\nThe lamp was lit at six.\n")
    pdf = tmp_path / f"book{chapters}.pdf"
    assert run_cli("pdf", manuscript.parent, "-o", pdf).returncode == 0
    r = pypdf.PdfReader(pdf)
    first = dict(outline(r))["Contents"]
    counts = []
    for page in r.pages[first:]:
        entries = len(re.findall(r"^Chapter \d+: The lamp of night \d+ +\..*\d$", page.extract_text(), re.M))
        if not entries and counts:
            break
        counts.append(entries)
    return [count for count in counts if count]


def test_the_contents_last_entry_is_never_alone_on_its_page(tmp_path):
    """Candide's contents ended on a page of its own for "Chapitre XXX: Conclusion". A book of one entry more
    than the contents' first page holds keeps its last two entries together."""
    (full, *_rest) = contents_entries_by_page(tmp_path, 40)
    counts = contents_entries_by_page(tmp_path, full + 1)
    assert sum(counts) == full + 1 and len(counts) == 2 and min(counts) >= 2, counts


def test_contents_page_numbers_line_up_at_the_right(tmp_path):
    """The contents' page numbers end at one right edge (they ended up to a dot's width short), an entry
    that runs over hangs its later lines under its first word's indent, unhyphenated, and a title's last
    full stop is never run into the leaders ("produce.."): the print designer's report on A Vindication
    of the Rights of Woman's contents, whose chapter titles are sentences."""
    manuscript = tmp_path / "book" / "manuscript"
    manuscript.mkdir(parents=True)
    (manuscript / "book.yaml").write_text("title: The Keeper's Ledger\nauthor: Ada Quill\nlanguage: en\n")
    titles = ["On the keeping of lamps.", "Observations on the state of the harbour to which the keepers are "
              "reduced by various causes.", "The same subject continued.", "Of the pernicious effects which arise "
              "from the unnatural distinctions established in the town.", "On tides."]
    for n, title in enumerate(titles, 1):
        (manuscript / f"{n:02}.md").write_text(f"---\ntitle: {title}\n---\n\n" + "The lamp was lit at six. " * 40 + "\n")
    pdf = tmp_path / "book.pdf"
    assert run_cli("pdf", tmp_path / "book", "-o", pdf).returncode == 0
    r = pypdf.PdfReader(pdf)
    page = dict(outline(r))["Contents"] + 1
    html = tmp_path / "contents.html"
    subprocess.run(["pdftotext", "-bbox-layout", "-f", str(page), "-l", str(page), str(pdf), str(html)], check=True)
    ends, starts, wrapped = [], [], []
    for attributes, words in re.findall(r"<line ([^>]*)>(.*?)</line>", html.read_text(), re.S):
        found = re.findall(r'xMin="([\d.]+)"[^>]*xMax="([\d.]+)"[^>]*>([^<]*)</word>', words)
        assert not any(re.search(r"[^\W\d_]\.\.", word) or word.endswith("-") for *_, word in found), found
        if found and found[-1][2].isdigit():
            ends.append(float(found[-1][1]))
        (wrapped if found and found[0][2][:1].islower() else starts).append(float(found[0][0]) if found else 0)
    assert len(ends) == len(titles) and max(ends) - min(ends) < 1.0, ends
    assert wrapped and min(wrapped) > max(starts[1:]) + 10  # hung (the first start is the page's heading)
