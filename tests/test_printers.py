"""The printers' rules as data: tables read at their edges."""

import pytest

from bookmaker.pdf import printers as P
from bookmaker.pdf.printers import (check_page_count, check_trim, gutter, min_margins, padded_page_count,
                                printer, spine_text_allowed, spine_width)


def test_every_printer_has_its_three_papers_and_sources():
    for name in ("kdp", "ingramspark", "lulu"):
        p = printer(name)
        assert set(p.papers) == {"white", "cream", "color"}
        assert p.sources and all(url.startswith("https://") for url in p.sources)
        assert p.bleed == 0.125


def test_unknown_printer_and_paper_are_named():
    with pytest.raises(ValueError, match="unknown printer 'createspace'"):
        printer("createspace")
    with pytest.raises(ValueError, match="no 'gold' paper"):
        spine_width(printer("kdp"), "gold", 100)


@pytest.mark.parametrize("pages, inches", [(24, 0.375), (150, 0.375), (151, 0.5), (300, 0.5), (301, 0.625),
                                           (500, 0.625), (501, 0.75), (700, 0.75), (701, 0.875), (828, 0.875)])
def test_kdp_gutter_table(pages, inches):
    assert gutter(printer("kdp"), pages) == inches


def test_gutter_beyond_the_table_is_an_error():
    with pytest.raises(ValueError, match="at most 828"):
        gutter(printer("kdp"), 830)


def settling(tmp_path, pages_at: dict[str, int], margin_inner: str = "0.25in") -> tuple[list[str], str, int]:
    """writer.settled() on a small book for Lulu, with a layout that comes to `pages_at[gutter]` pages:
    the gutters it laid out with, the one it kept, and its pages."""
    import dataclasses
    import io

    from pypdf import PdfWriter

    from bookmaker.load.project import load_book
    from bookmaker.pdf import printshop
    from bookmaker.pdf.writer import settled
    from bookmaker.render import render_book
    from conftest import copy_book

    rendered = render_book(load_book(copy_book("plain", tmp_path / "book")), jobs=1, cache=False)
    pdf = dataclasses.replace(rendered.book.metadata.pdf, printer="lulu", margin_inner=margin_inner)
    rendered = dataclasses.replace(rendered, book=dataclasses.replace(
        rendered.book, metadata=dataclasses.replace(rendered.book.metadata, pdf=pdf)))
    tried = []

    def lay_out(setting):
        tried.append(setting.book.metadata.pdf.margin_inner)
        writer = PdfWriter()
        for _ in range(pages_at[tried[-1]]):
            writer.add_blank_page(396, 612)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue(), []

    setting, data, _ = settled(rendered, printer("lulu"), lay_out)
    return tried, setting.book.metadata.pdf.margin_inner, printshop.page_count(data)


def test_a_gutter_is_settled_in_one_layout_when_the_guess_holds(tmp_path):
    # A book of a few hundred words is likely to fill under 60 pages: Lulu's 0.5 in.
    assert settling(tmp_path, {"0.5in": 40}) == (["0.5in"], "0.5in", 40)
    # Shorter than guessed: the guess's gutter stays (a minimum), no second layout.
    assert settling(tmp_path / "short", {"0.5in": 32}) == (["0.5in"], "0.5in", 32)


def test_a_gutter_widens_until_the_count_allows_it(tmp_path):
    # 160 pages need 1 in; laid out again at 1 in, 410 pages need 1.125 in; at 1.125 in, 420: settled.
    assert settling(tmp_path, {"0.5in": 160, "1in": 410, "1.125in": 420}) == (
        ["0.5in", "1in", "1.125in"], "1.125in", 420)
    # The book's own inside margin, where wider than the printer's, is never narrowed.
    assert settling(tmp_path / "own", {"1.1in": 410, "1.125in": 412}, margin_inner="1.1in") == (
        ["1.1in", "1.125in"], "1.125in", 412)


def test_ingramspark_and_lulu_gutters():
    assert gutter(printer("ingramspark"), 300) == 0.5
    lulu = printer("lulu")
    assert [gutter(lulu, n) for n in (32, 60, 61, 150, 151, 400, 401, 800)] == [
        0.5, 0.5, 0.625, 0.625, 1.0, 1.0, 1.125, 1.25]


@pytest.mark.parametrize("pages", [24, 150, 151, 828])
def test_kdp_spine_width(pages):
    kdp = printer("kdp")
    assert spine_width(kdp, "white", pages) == pytest.approx(pages * 0.002252)
    assert spine_width(kdp, "cream", pages) == pytest.approx(pages * 0.0025)
    assert spine_width(kdp, "color", pages) == pytest.approx(pages * 0.002347)


def test_lulu_spine_adds_its_cover_allowance():
    assert spine_width(printer("lulu"), "white", 444) == pytest.approx(1.06)


def test_spine_text_threshold():
    kdp = printer("kdp")
    assert not spine_text_allowed(kdp, 78)
    assert spine_text_allowed(kdp, 79)
    assert not spine_text_allowed(printer("lulu"), 79)


@pytest.mark.parametrize("pages, padded", [(3, 24), (24, 24), (150, 150), (151, 152), (827, 828)])
def test_kdp_padding(pages, padded):
    assert padded_page_count(printer("kdp"), pages) == padded


def test_ingramspark_ends_on_a_blank_page():
    ingram = printer("ingramspark")
    assert padded_page_count(ingram, 100) == 102  # a blank last page, and an even count
    assert padded_page_count(ingram, 101) == 102
    assert padded_page_count(ingram, 100, last_page_blank=True) == 100
    assert padded_page_count(ingram, 5) == 18


def test_min_margins():
    assert min_margins(printer("kdp"), bleed=False) == 0.25
    assert min_margins(printer("kdp"), bleed=True) == 0.375
    assert min_margins(printer("ingramspark"), bleed=False) == 0.5
    assert min_margins(printer("lulu"), bleed=True) == 0.5


def test_trims():
    kdp = printer("kdp")
    assert check_trim(kdp, "white", 6, 9) is None
    assert check_trim(kdp, "cream", 6.14, 9.21) is None
    assert check_trim(kdp, "white", 4.5, 7) is None  # a custom trim within KDP's range
    message = check_trim(kdp, "white", 9, 12)
    assert message.startswith("Amazon KDP does not print 9 x 12 in on black ink, white paper")
    assert "6 x 9" in message
    assert check_trim(printer("lulu"), "white", 6, 9) is None
    assert "Lulu does not print 4.5 x 7" in check_trim(printer("lulu"), "white", 4.5, 7)


def test_page_counts():
    kdp = printer("kdp")
    assert P.page_limits(kdp, "white") == (24, 828)
    assert P.page_limits(kdp, "white", 8.5, 11) == (24, 590)
    assert P.page_limits(kdp, "cream") == (24, 776)
    assert check_page_count(kdp, "white", 828) is None
    assert check_page_count(kdp, "white", 830) == "Amazon KDP binds 24 to 828 pages on black ink, white paper, not 830"
    assert check_page_count(kdp, "white", 22) is not None


def test_file_rules():
    kdp, ingram = printer("kdp"), printer("ingramspark")
    assert not kdp.outline_allowed and not kdp.annotations_allowed and kdp.pdf_variant is None
    assert ingram.pdf_variant == "pdf/x-1a" and ingram.last_page_blank


def test_a_printed_page_is_counted_in_runs_of_text_each_starting_a_line():
    """pagelimit.printed_page: each block of prose one run, each line of verse one (broken by <br>, also
    inside an inline element), and the lines the grid puts around headings, scene breaks and between
    stanzas."""
    from lxml import html

    from bookmaker.pdf.pagelimit import printed_page

    div = html.fragment_fromstring(
        '<p class="lines">one two three<br/><i>four five<br/>six</i></p><p class="lines">seven<br/>eight</p>'
        '<h2>Nine</h2><p>' + "word " * 30 + '</p><hr/><blockquote><p>ten eleven</p></blockquote>'
        '<p><img src="a.png" alt=""/></p>', create_parent="div")
    page = printed_page("chapter", div)
    assert page.runs == (3, 2, 1, 1, 1, 1, 30, 2, 0)
    assert page.spacing == 1 + 1 + 2 + 2  # between the stanzas, the heading, the scene break, the quotation
    assert page.pictures == 1


def test_verse_is_guessed_longer_than_prose_of_the_same_words(tmp_path):
    """A line of verse takes a line however few its words: Leaves of Grass came to 652 pages for Lulu,
    where a guess from its words alone said 472 (and laid it out twice, 2.36 × one layout); counted in
    lines, 652. The gutter is chosen for that guess (writer.likely_setting)."""
    from bookmaker.load.project import load_book
    from bookmaker.pdf.pagelimit import likely_pages
    from bookmaker.render import render_book

    line = "the tide came in across the stones"
    books = {}
    for kind, text in (("verse", "\n\n".join("  \n".join([line] * 4) for _ in range(150))),
                       ("prose", "\n\n".join(" ".join([line] * 4) for _ in range(150)))):
        root = tmp_path / kind / "manuscript"
        root.mkdir(parents=True)
        (root / "book.yaml").write_text('title: "Tides"\nauthor: "A. Writer"\n', encoding="utf-8")
        (root / "01-tides.md").write_text(f'---\ntitle: "Tides"\n---\n\n{text}\n', encoding="utf-8")
        books[kind] = likely_pages(render_book(load_book(tmp_path / kind), jobs=1, cache=False))
    # 600 lines of verse and 149 spaces between stanzas, against 150 paragraphs of 28 words (3 lines each,
    # 450 lines): 299 lines more, about 10 pages of the default trim's grid. Counted in words, the same.
    assert books["verse"] >= books["prose"] + 8, books


def test_spine_text_too_small_to_read_is_left_off_and_preflight_says_what_the_cover_does():
    """IngramSpark allows spine text from 48 pages, where its spine is 0.108 in: the cover set it at 0 pt
    (with a warning) while `check --printer ingramspark` said "spine text printed"."""
    from bookmaker.pdf.printers import spine_text_printed

    ingram = printer("ingramspark")
    printed, why = spine_text_printed(ingram, "white", 48)
    assert not printed and "left off: the spine is 0.108 in wide" in why and "under 6 pt" in why
    printed, why = spine_text_printed(ingram, "white", 200)
    assert printed and why.startswith("200 pages: spine text printed at ")
    assert spine_text_printed(printer("kdp"), "white", 78) == (False, "78 pages: spine text left off (Amazon KDP "
                                                                      "allows it from 79 pages)")
