"""The paperback cover and its barcode, read back with independent code (pypdf, lxml, our own EAN-13)."""

import dataclasses
import io
import re

import pytest
from lxml import etree
from pypdf import PdfReader

from bookmaker.pdf.barcode import InvalidISBN, MODULE, QUIET_ZONE, ean13_svg, isbn13_digits, isbn_line
from bookmaker.pdf.cover import CoverError, CoverSpec, picture_ppi, render_cover

# --- EAN-13, written out from the standard's tables, to check python-barcode's bars against -------

L_CODES = ["0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111", "0111011", "0110111",
           "0001011"]
G_CODES = ["".join("1" if b == "0" else "0" for b in code)[::-1] for code in L_CODES]
R_CODES = ["".join("1" if b == "0" else "0" for b in code) for code in L_CODES]
PARITY = ["LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL"]


def ean13_modules(digits: str) -> str:
    first, left, right = int(digits[0]), digits[1:7], digits[7:]
    out = "101"
    for d, parity in zip(left, PARITY[first]):
        out += (L_CODES if parity == "L" else G_CODES)[int(d)]
    out += "01010"
    out += "".join(R_CODES[int(d)] for d in right)
    return out + "101"


def svg_modules(svg: str) -> str:
    """The bars of the SVG, as one character a module: 1 black, 0 white."""
    ns = {"s": "http://www.w3.org/2000/svg"}
    root = etree.fromstring(svg.encode())
    bars = [r for r in root.xpath("//s:rect", namespaces=ns) if r.get("x")]
    modules = ["0"] * 95
    for bar in bars:
        start = round((float(bar.get("x")) - QUIET_ZONE) / MODULE)
        for i in range(round(float(bar.get("width")) / MODULE)):
            modules[start + i] = "1"
    return "".join(modules)


@pytest.mark.parametrize("isbn", ["9780306406157", "978-1-4028-9462-6", "9791032305690"])
def test_barcode_bars_are_the_ean13_of_the_digits(isbn):
    digits = isbn13_digits(isbn)
    assert ean13_modules(digits).count("1") > 30
    assert svg_modules(ean13_svg(isbn)) == ean13_modules(digits)


def test_barcode_text_and_nothing_that_varies():
    svg = ean13_svg("978-0-306-40615-7")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert texts[:3] == ["9", "780306", "406157"]
    assert "ISBN 978-0-306-40615-7" in texts
    assert "<!--" not in svg and "DOCTYPE" not in svg
    assert svg == ean13_svg("978-0-306-40615-7")


def test_isbn_checks():
    assert isbn_line("urn:isbn:9780306406157") == "ISBN 9780306406157"
    with pytest.raises(InvalidISBN, match="check digit 8"):
        isbn13_digits("9780306406158")
    with pytest.raises(InvalidISBN, match="not an ISBN-13"):
        isbn13_digits("0306406152")


# --- the cover -------------------------------------------------------------------------------------

SPEC = CoverSpec(title="Harbour Lights", authors=("Ada Marsh",), trim_width=6, trim_height=9, pages=24,
                 subtitle="A novel", series="Book 1 of The Coast",
                 blurb=("The lamp fails on the longest night.", "A story of storms and ledgers."),
                 isbn="9780306406157")


def page_of(pdf: bytes):
    return PdfReader(io.BytesIO(pdf)).pages[0]


@pytest.mark.parametrize("pages", [24, 150, 151, 828])
def test_kdp_white_cover_geometry(pages):
    cover = render_cover(dataclasses.replace(SPEC, pages=pages))
    page = page_of(cover.pdf)
    width = 2 * 0.125 + 2 * 6 + pages * 0.002252
    assert float(page.mediabox.width) / 72 == pytest.approx(width, abs=0.001)
    assert float(page.mediabox.height) / 72 == pytest.approx(9.25, abs=0.001)
    trim = [float(v) / 72 for v in page.trimbox]
    assert trim == pytest.approx([0.125, 0.125, width - 0.125, 9.125], abs=0.001)
    assert [float(v) / 72 for v in page.bleedbox] == pytest.approx([0, 0, width, 9.25], abs=0.001)
    assert cover.spine_text == (pages >= 79)
    text = page.extract_text()
    assert ("\u2014" in text) == (pages >= 79)  # the spine's "title — author"
    assert "ISBN 978-0-306-40615-7" not in text  # the ISBN as written in the spec, unhyphenated
    assert "ISBN 9780306406157" in text


def test_spine_text_from_79_pages_where_the_spine_is_wide_enough_to_read_it():
    """KDP allows spine text from 79 pages; at 80 the spine is 0.18 in and its text, clear of the folds,
    would be 2.5 pt: left off, and said; from 116 pages it is 6 pt."""
    assert not render_cover(dataclasses.replace(SPEC, pages=78)).spine_text
    narrow = render_cover(dataclasses.replace(SPEC, pages=80))
    assert not narrow.spine_text and any("under 6 pt" in w for w in narrow.warnings)
    assert not render_cover(dataclasses.replace(SPEC, pages=115)).spine_text
    assert render_cover(dataclasses.replace(SPEC, pages=116)).spine_text


def embedded_fonts(pdf: bytes) -> set[str]:
    """Each font the PDF embeds, its subset prefix taken off: read from every page's resources."""
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1])
    return names


@pytest.mark.parametrize("printer", ["kdp", "ingramspark"])
def test_the_cover_sets_every_character_in_the_themes_typeface(printer):
    """The front's ornament under the title was a fleuron (U+2766) that Spectral lacks: printed in DejaVu
    Sans, the system's fallback. It is drawn now, in RGB and in CMYK."""
    cover = render_cover(dataclasses.replace(SPEC, pages=200, printer=printer))
    fonts = embedded_fonts(cover.pdf)
    assert fonts and all(name.startswith("Spectral") for name in fonts), fonts


def test_barcode_only_with_an_isbn():
    cover = render_cover(dataclasses.replace(SPEC, isbn=None, pages=200))
    assert not cover.barcode
    assert "ISBN" not in page_of(cover.pdf).extract_text()
    assert render_cover(dataclasses.replace(SPEC, pages=200)).barcode


def test_trim_not_offered_is_an_error():
    with pytest.raises(CoverError, match="does not print"):
        render_cover(dataclasses.replace(SPEC, trim_width=9, trim_height=12))


def test_front_picture_resolution(tmp_path):
    from PIL import Image

    assert picture_ppi((1875, 2775), (6.125, 9.25)) == pytest.approx(300, abs=1)
    soft = tmp_path / "soft.png"
    Image.new("RGB", (1500, 2220), "#345").save(soft)  # about 240 ppi on 6.125 x 9.25 in
    cover = render_cover(dataclasses.replace(SPEC, front_image=soft, pages=200))
    assert len(cover.warnings) == 1 and "240 ppi" in cover.warnings[0]
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (600, 900), "#345").save(tiny)
    with pytest.raises(CoverError, match="at least 200 ppi"):
        render_cover(dataclasses.replace(SPEC, front_image=tiny, pages=200))


def test_ingramspark_cover_is_pdf_x_with_no_rgb(tmp_path):
    from PIL import Image

    picture = tmp_path / "front.png"
    Image.new("RGB", (1900, 2800), "#a33").save(picture)
    cover = render_cover(dataclasses.replace(SPEC, printer="ingramspark", paper="cream", pages=200,
                                             front_image=picture))
    reader = PdfReader(io.BytesIO(cover.pdf))
    intent = reader.trailer["/Root"]["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFX" and "/DestOutputProfile" in intent
    assert str(reader.trailer["/Info"]["/GTS_PDFXVersion"]).startswith("PDF/X-1a")
    page = reader.pages[0]
    contents = page.get_contents().get_data()
    assert not re.search(rb"(^|\s)[\d.]+ [\d.]+ [\d.]+ (rg|RG)(\s|$)", contents)
    assert b"0 0 0 1 scn" in contents  # black as K alone
    for xobject in page["/Resources"].get("/XObject", {}).values():
        assert xobject.get_object().get("/ColorSpace") != "/DeviceRGB"


def test_a_blurb_too_long_for_the_back_is_set_smaller_then_said_and_never_runs_into_the_barcodes_place():
    """A print designer's long summary was cut mid-sentence on the back, with no word said, and with no ISBN
    ran into the 2 x 1.2 in place where KDP prints its own barcode. The back's text now stays above that
    place always; a longer one is set smaller, down to 9 pt, and past that cut with a warning."""
    from bookmaker.pdf.cover import BLURB_SIZES, warning_code

    short = render_cover(dataclasses.replace(SPEC, isbn=None))
    assert short.warnings == []
    middling = render_cover(dataclasses.replace(SPEC, isbn=None, blurb=("Word after word, as before. " * 55,)))
    assert middling.warnings == []
    long = render_cover(dataclasses.replace(SPEC, isbn=None, blurb=("Word after word, as before. " * 150,)))
    [said] = long.warnings
    assert said.startswith("the back's text (750 words) does not fit") and warning_code(said) == "back-cover-text"
    for cover in (short, middling):  # laid out whole: nothing set in the barcode's place, the back's lowest
        page = page_of(cover.pdf)       # 0.25 + 1.2 in (the page's y runs down here, in CSS px)
        data = page.get_contents().get_data()
        back = [float(y) for x, y in re.findall(rb"1 0 0 -1 ([\d.]+) ([\d.]+) Tm", data) if float(x) < 6.125 * 96]
        assert back and max(back) < (0.125 + 9 - 0.25 - 1.2) * 96, max(back)
    assert BLURB_SIZES[-1] == 9


def test_a_pdf_x_cover_is_dated_by_the_build_not_the_clock():
    """PDF/X carries a creation date, and WeasyPrint wrote the clock's where the document named none: two
    builds of IngramSpark's cover from the same sources differed (02:35:30 and 02:43:02). The cover is
    dated by the build's date, as the interior is (SOURCE_DATE_EPOCH, else the newest source)."""
    import time

    spec = dataclasses.replace(SPEC, printer="ingramspark", pages=120, created="2020-01-02T03:04:05Z")
    first = render_cover(spec).pdf
    time.sleep(1.1)
    assert render_cover(spec).pdf == first
    info = PdfReader(io.BytesIO(first)).trailer["/Info"]
    assert str(info["/CreationDate"]).startswith("D:20200102030405") and str(info["/ModDate"]).startswith("D:20200102030405")
