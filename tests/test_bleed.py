"""Interiors with bleed (`pdf: {bleed: true}` for a printer): the page is the trim and its bleed, the
TrimBox sits on the side of the page away from the outside edge (recto or verso), the text block stays
where it is on the trim, a `.bleed` picture fills its page to the bleed, and the preflight measures from
the trim. One small book, built through the real CLI once a session."""

import json
import random
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from bookmaker.pdf import printers
from tests.conftest import png, run_cli, run_clis

PT = 72.0
TRIM = (5.5, 8.5)  # digest


def words(seed: int, paragraphs: int) -> str:
    rng = random.Random(seed)
    vocabulary = "the lamp tide harbour night rain street almanac light keeper stone".split()
    return "\n\n".join(" ".join(rng.choice(vocabulary) for _ in range(90)).capitalize() + "."
                       for _ in range(paragraphs))


def small_book(folder: Path, bleed: bool) -> Path:
    manuscript = folder / "manuscript"
    png(manuscript / "images" / "sea.png", 1800, 2700)
    (manuscript / "book.yaml").write_text(
        "title: Bleed Test\nauthor: A. Writer\nlanguage: en\n"
        "identifier: urn:uuid:11111111-2222-3333-4444-555555555555\ndate: 2026-01-01\n"
        f"chapters: [one.md, two.md]\npdf:\n  trim: digest\n  bleed: {'true' if bleed else 'false'}\n"
        "  typesetting: fast\n",  # page boxes are tested here, balanced spreads in test_typesetting.py
        encoding="utf-8")
    (manuscript / "one.md").write_text(f"# One\n\n{words(1, 8)}\n\n![The sea at night](images/sea.png){{: .bleed}}\n\n"
                                       f"{words(2, 3)}\n", encoding="utf-8")
    (manuscript / "two.md").write_text(f"# Two\n\n{words(3, 6)}\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def bled(tmp_path_factory, private_cache):
    root = tmp_path_factory.mktemp("bleed")
    project = small_book(root / "book", bleed=True)
    plain = small_book(root / "plain", bleed=False)
    runs = run_clis({
        "kdp": ("pdf", project, "--printer", "kdp", "-o", root / "kdp.pdf"),
        "kdp-one": ("pdf", project, "--printer", "kdp", "--jobs", "0", "-o", root / "kdp-one.pdf"),
        "kdp-plain": ("pdf", plain, "--printer", "kdp", "-o", root / "kdp-plain.pdf"),
        "ingramspark": ("pdf", project, "--printer", "ingramspark", "-o", root / "ingramspark.pdf"),
        "lulu": ("pdf", project, "--printer", "lulu", "-o", root / "lulu.pdf"),
    })
    runs["check"] = run_cli("check", project, "--printer", "kdp", "--format", "json")  # the kdp layout cached
    return root, runs


def reader(bled, name) -> PdfReader:
    root, runs = bled
    assert runs[name].returncode == 0, runs[name].stderr
    return PdfReader(root / f"{name}.pdf")


def inches(box) -> list[float]:
    return [round(float(v) / PT, 3) for v in box]


def text_block(page) -> tuple[float, float, float] | None:
    """Where the text starts, relative to the trim: least x, least and greatest y, in inches."""
    left, bottom = float(page.trimbox[0]), float(page.trimbox[1])
    found = []
    page.extract_text(visitor_operand_before=lambda op, args, cm, tm: op in (b"TJ", b"Tj") and found.append(
        ((tm[4] * cm[0] + tm[5] * cm[2] + cm[4] - left) / PT, (tm[4] * cm[1] + tm[5] * cm[3] + cm[5] - bottom) / PT)))
    if not found:
        return None
    return (round(min(x for x, _ in found), 3), round(min(y for _, y in found), 3),
            round(max(y for _, y in found), 3))


# KDP and IngramSpark: 0.125 in on the outside edge, top and bottom; Lulu: every edge, the gutter's too.
@pytest.mark.parametrize("name, wider, inside", [("kdp", 0.125, 0), ("kdp-one", 0.125, 0),
                                                 ("ingramspark", 0.125, 0), ("lulu", 0.25, 0.125)])
def test_page_is_trim_and_bleed_with_boxes_by_side(bled, name, wider, inside):
    r = reader(bled, name)
    width, height = TRIM[0] + wider, TRIM[1] + 0.25
    b = 0.125
    for index, page in enumerate(r.pages):  # every page: the join's and the printer's blank ones too
        assert float(page.mediabox.width) / PT == pytest.approx(width, abs=0.001)
        assert float(page.mediabox.height) / PT == pytest.approx(height, abs=0.001)
        assert inches(page.bleedbox) == inches(page.mediabox) == [0, 0, width, height]
        recto = index % 2 == 0
        left = inside if recto else b  # the bleed on the outside edge: right on a recto, left on a verso
        assert inches(page.trimbox) == pytest.approx([left, b, left + TRIM[0], b + TRIM[1]], abs=0.001)
    assert len(r.pages) % 2 == 0 and len(r.pages) >= printers.printer(name.split("-")[0]).min_pages


def test_text_block_stays_where_it_is_on_the_trim(bled):
    """Laid out with bleed, in parallel and as one document, every line where it is without bleed."""
    with_bleed = [text_block(page) for page in reader(bled, "kdp").pages]
    assert with_bleed == [text_block(page) for page in reader(bled, "kdp-one").pages]
    without = reader(bled, "kdp-plain")
    assert inches(without.pages[0].trimbox) == inches(without.pages[0].mediabox) == [0, 0, *TRIM]
    # Only the `.bleed` picture's page differs: a page of the text block without bleed (running head
    # and folio), the picture alone to the page's edges with it.
    differ = [i for i, (a, b) in enumerate(zip(with_bleed, [text_block(p) for p in without.pages])) if a != b]
    assert len(without.pages) == len(with_bleed) and differ == [picture_page(reader(bled, "kdp"))]
    assert with_bleed[differ[0]] is None


def picture_page(r: PdfReader) -> int:
    """The index of the page with a picture and no text."""
    def pictures(page) -> bool:
        xobjects = page["/Resources"].get("/XObject") or {}
        return any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values())

    return next(i for i, page in enumerate(r.pages) if pictures(page) and not page.extract_text().strip())


def test_bleed_picture_fills_the_page_to_the_bleed(bled):
    root, _ = bled
    r = reader(bled, "kdp")
    number = picture_page(r) + 1
    out = root / "picture"
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", str(number), "-l", str(number), root / "kdp.pdf", out],
                   check=True)
    from PIL import Image

    with Image.open(next(root.glob("picture*.png"))) as image:
        grey = image.convert("L")
        w, h = grey.size
        assert (w, h) == (round(5.625 * 60), round(8.75 * 60))
        # Every edge of the page, the bleed included, is the picture, not white paper.
        for x, y in ((0, 0), (w // 2, 0), (w - 2, h // 2), (w // 2, h - 1), (0, h - 1), (w - 2, h - 1)):
            assert grey.getpixel((x, y)) < 200, (x, y)


def test_preflight_measures_the_safe_area_from_the_trim(bled):
    run = bled[1]["check"]
    checks = {c["code"]: c for c in json.loads(run.stdout)["preflight"]}
    assert checks["outside-safe-area"]["status"] == "pass", checks["outside-safe-area"]
    assert checks["print-markup"]["status"] == "pass"


def test_interior_bleed_by_printer():
    assert printers.interior_bleed(printers.KDP) == printers.Bleed(0.125, 0.125, 0.125, 0.0)
    assert printers.interior_bleed(printers.INGRAMSPARK) == printers.Bleed(0.125, 0.125, 0.125, 0.0)
    assert printers.interior_bleed(printers.LULU) == printers.Bleed(0.125, 0.125, 0.125, 0.125)
    assert printers.min_margins(printers.KDP, bleed=True) == 0.375
