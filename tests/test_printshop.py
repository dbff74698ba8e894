"""Print-shop files through the real CLI: each printer's interior, the cover, the preflight, and the
print conventions of every PDF; read back with pypdf and pdftotext. Each PDF is built once a session."""

import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
from pypdf import PdfReader

from bookmaker.pdf import printers
from tests.conftest import copy_book, run_cli, run_clis

PT = 72.0
PRINTERS = ("kdp", "ingramspark", "lulu")
SCHEMA = Path(__file__).resolve().parent.parent / "bookmaker" / "schemas" / "check-report.schema.json"
ISBN = "978-0-306-40615-7"


def set_yaml(project: Path, extra: str) -> None:
    path = project / "manuscript" / "book.yaml"
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")


@pytest.fixture(scope="session")
def shop(tmp_path_factory, private_cache):
    """The sample (with an ISBN) as each printer's interior and cover, a plain PDF, and its preflight."""
    root = tmp_path_factory.mktemp("shop")
    project = copy_book("sample", root / "sample")
    text = (project / "manuscript" / "book.yaml").read_text(encoding="utf-8")
    text = re.sub(r"^identifier: .*$", f"identifier: {ISBN}", text, flags=re.M)
    # Each printer's boxes, margins and preflight are tested here; fine typesetting (the default with a
    # printer, which lays each chapter out several times) in test_typesetting.py and test_store_epub.py.
    text = text.replace("\npdf:\n", "\npdf:\n  typesetting: fast\n", 1)
    (project / "manuscript" / "book.yaml").write_text(text, encoding="utf-8")
    runs = run_clis({**{name: ("pdf", project, "--printer", name, "-o", root / f"{name}.pdf") for name in PRINTERS},
                     "plain": ("pdf", project, "-o", root / "plain.pdf")})
    # After the interiors, whose layouts they find in the cache:
    runs.update(run_clis({
        "cover-kdp": ("cover", project),  # the default path, book.yaml's printer: none, so KDP
        "cover-ingramspark": ("cover", project, "--printer", "ingramspark", "--paper", "cream",
                              "-o", root / "cover-ingramspark.pdf"),
        "check": ("check", project, "--printer", "kdp", "--format", "json")}))
    return root, project, runs


def reader(shop, name) -> PdfReader:
    root, _, runs = shop
    assert runs[name].returncode == 0, runs[name].stderr
    assert "Traceback" not in runs[name].stderr
    return PdfReader(root / f"{name}.pdf")


def page_text(path: Path, number: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


def inches(box) -> list[float]:
    return [round(float(v) / PT, 3) for v in box]


@pytest.mark.parametrize("name", PRINTERS)
def test_interior_for_each_printer(shop, name):
    r = reader(shop, name)
    p = printers.printer(name)
    pages = len(r.pages)
    assert pages % 2 == 0 and pages >= p.min_pages
    for page in r.pages:  # boxes on every page, the inserted blank ones too
        assert inches(page.trimbox) == inches(page.bleedbox) == inches(page.mediabox) == [0, 0, 5.5, 8.5]
    # No cover page: the book opens on the half-title, the title alone.
    assert " ".join(page_text(shop[0] / f"{name}.pdf", 1).split()) == "The Lamplighter’s Almanac"
    labels = r.page_labels
    assert labels[0] == "i" and labels[-1] == str(int(labels[-1]))
    first = labels.index("1")
    assert "chapter 1" in page_text(shop[0] / f"{name}.pdf", first + 1).lower()
    assert labels[first - 1] == "x"  # the roman numbers run through the front matter's last page
    # Every margin at least the printer's: text starts at least that far inside the page.
    gutter = printers.gutter(p, pages)
    for number in range(first, pages):
        page = r.pages[number]
        xs = []
        page.extract_text(visitor_operand_before=lambda op, args, cm, tm: op == b"TJ" and xs.append(
            (tm[4] * cm[0] + cm[4]) / PT))
        if xs:
            inside = min(xs) if number % 2 == 0 else 5.5 - max(xs)  # index even: a right-hand page
            assert inside >= printers.min_margins(p, False) - 0.01
            if number % 2 == 0:
                assert min(xs) >= gutter - 0.01


def test_kdp_interior_has_no_outline_and_no_annotations(shop):
    r = reader(shop, "kdp")
    assert "/Outlines" not in r.trailer["/Root"]
    assert not any(page.get("/Annots") for page in r.pages)


def test_ingramspark_interior_is_pdf_x1a_in_k_black_and_grey_pictures(shop):
    r = reader(shop, "ingramspark")
    root = r.trailer["/Root"]
    assert root["/OutputIntents"][0]["/S"] == "/GTS_PDFX"
    assert r.metadata["/GTS_PDFXVersion"].startswith("PDF/X-1a")
    images = 0
    for page in r.pages:
        data = page.get_contents().get_data() if page.get_contents() else b""
        assert not re.search(rb"(?<![A-Za-z])(rg|RG)(?![A-Za-z])", data)
        for x in ((page.get("/Resources") or {}).get("/XObject") or {}).values():
            x = x.get_object()
            if x.get("/Subtype") == "/Image":
                images += 1
                assert x["/ColorSpace"] == "/DeviceGray"
    assert images
    assert not r.pages[-1].extract_text().strip()  # IngramSpark: the last page blank


def test_lulu_pads_a_short_book_and_says_so(shop):
    r = reader(shop, "lulu")
    assert len(r.pages) == 32
    assert "Lulu binds at least 32 pages" in shop[2]["lulu"].stderr


def test_every_pdf_one_link_a_contents_line_labels_and_outline(shop):
    r = reader(shop, "plain")
    assert "/Outlines" in r.trailer["/Root"]
    labels = r.page_labels
    contents = next(i for i in range(len(r.pages)) if "Contents" in page_text(shop[0] / "plain.pdf", i + 1))
    links = [a.get_object() for a in r.pages[contents].get("/Annots", [])]
    entries = [line for line in page_text(shop[0] / "plain.pdf", contents + 1).splitlines() if "Chapter" in line
               or "End Notes" in line]
    assert len(links) == len(entries) == 5
    assert labels[contents] == "ix"
    # No folio on the half-title, title, copyright and dedication pages (the first six, with blanks).
    for number in range(1, 7):
        assert not re.search(r"^\s*[ivx]+\s*$", page_text(shop[0] / "plain.pdf", number), re.M)
    copyright = page_text(shop[0] / "plain.pdf", 4)
    assert "ISBN 9780306406157" in copyright


def test_about_page_false_leaves_it_out_of_print(tmp_path, private_cache):
    project = copy_book("sample", tmp_path / "book")
    set_yaml(project, "pdf:\n  about_page: false\n" if "pdf:" not in
             (project / "manuscript" / "book.yaml").read_text() else "")
    text = (project / "manuscript" / "book.yaml").read_text()
    if "about_page" not in text:
        text = text.replace("pdf:\n", "pdf:\n  about_page: false\n", 1)
        (project / "manuscript" / "book.yaml").write_text(text)
    out = tmp_path / "book.pdf"
    result = run_cli("pdf", project, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "About This Story" not in subprocess.run(["pdftotext", str(out), "-"], capture_output=True,
                                                    text=True).stdout


@pytest.mark.parametrize("name, paper", [("cover-kdp", "white"), ("cover-ingramspark", "cream")])
def test_cover_fits_its_interior(shop, name, paper):
    root, project, runs = shop
    printer = name.removeprefix("cover-")
    if name == "cover-kdp":
        assert runs[name].stdout.strip().endswith("dist/the-lamplighters-almanac-cover.pdf")
        r = PdfReader(project / "dist" / "the-lamplighters-almanac-cover.pdf")
    else:
        r = reader(shop, name)
    interior = len(reader(shop, printer).pages)
    p = printers.printer(printer)
    spine = interior * p.papers[paper].thickness + p.spine_allowance
    page = r.pages[0]
    assert inches(page.mediabox) == inches(page.bleedbox) == [0, 0, round(2 * 5.5 + spine + 0.25, 3), 8.75]
    assert inches(page.trimbox) == [0.125, 0.125, round(2 * 5.5 + spine + 0.125, 3), 8.625]
    assert "ISBN 9780306406157" in page.extract_text()  # the line above the barcode
    if printer == "ingramspark":
        assert "/OutputIntents" in r.trailer["/Root"]


def test_preflight_report(shop):
    result = shop[2]["check"]
    report = json.loads(result.stdout)
    jsonschema.validate(report, json.loads(SCHEMA.read_text()))
    codes = {c["code"]: c["status"] for c in report["preflight"]}
    assert set(codes) >= {"printer-trim", "font-not-embedded", "low-resolution", "outside-safe-area",
                          "printer-pages", "spine-text", "print-markup", "print-file-size"}
    assert set(codes.values()) == {"pass"}, report["preflight"]


def test_a_trim_the_printer_does_not_offer_is_an_error(tmp_path, private_cache):
    project = copy_book("sample", tmp_path / "book")
    text = (project / "manuscript" / "book.yaml").read_text()
    text = re.sub(r"^pdf:\n", "pdf:\n  width: 3in\n  height: 4in\n", text, flags=re.M) if re.search(
        r"^pdf:", text, re.M) else text + "pdf:\n  width: 3in\n  height: 4in\n"
    text = re.sub(r"^  trim: .*\n", "", text, flags=re.M)
    (project / "manuscript" / "book.yaml").write_text(text)
    out = tmp_path / "x.pdf"
    result = run_cli("pdf", project, "--printer", "kdp", "-o", out)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Amazon KDP does not print 3 x 4 in" in result.stderr and not out.exists()
    report = json.loads(run_cli("check", project, "--printer", "kdp", "--format", "json").stdout)
    assert "printer-trim" in [p["code"] for p in report["problems"]]


def test_gutter_follows_the_page_count():
    from bookmaker.load import load_book
    from bookmaker.pdf.printshop import for_page_count
    from bookmaker.render import render_book
    import dataclasses

    rendered = render_book(load_book(str(Path(__file__).resolve().parent.parent)))
    settings = dataclasses.replace(rendered.book.metadata.pdf, margin_inner="0.2in", margin_outer="0.1in",
                                   margin_top="1in", margin_bottom="0.3in")
    rendered = dataclasses.replace(rendered, book=dataclasses.replace(rendered.book, metadata=dataclasses.replace(
        rendered.book.metadata, pdf=settings)))
    kdp = printers.printer("kdp")
    assert [for_page_count(rendered, kdp, n).book.metadata.pdf.margin_inner for n in (24, 150, 151, 828)] == \
        ["0.375in", "0.375in", "0.5in", "0.875in"]
    s = for_page_count(rendered, kdp, 300).book.metadata.pdf
    assert (s.margin_outer, s.margin_top, s.margin_bottom) == ("0.25in", "1in", "0.3in")
    s = for_page_count(rendered, printers.printer("ingramspark"), 300).book.metadata.pdf
    assert (s.margin_inner, s.margin_outer, s.margin_bottom) == ("0.5in", "0.5in", "0.5in")


def test_pdf_for_a_printer_says_a_picture_under_300_ppi(tmp_path):
    """A helper's 91 ppi picture in a KDP interior: `pdf` wrote it without a word, and `check --printer kdp`
    then refused it. `pdf` for a printer now warns as the preflight would judge it (no book without a
    printer is looked at)."""
    from conftest import png, run_cli

    (tmp_path / "manuscript" / "images").mkdir(parents=True)
    png(tmp_path / "manuscript" / "images" / "wide.png", 400, 300)
    (tmp_path / "manuscript" / "01-one.md").write_text("# One\n\n![A wide picture](images/wide.png)\n\nText.\n",
                                                     encoding="utf-8")
    for printer, said in (("pdf: {printer: kdp}\n", True), ("", False)):
        (tmp_path / "manuscript" / "book.yaml").write_text(f"title: T\nauthor: A\n{printer}", encoding="utf-8")
        ran = run_cli("pdf", tmp_path, "-o", tmp_path / "t.pdf")
        assert ran.returncode == 0
        assert ("warning: picture resolution: lowest: 400 x 300 px" in ran.stderr) is said, ran.stderr
        assert ("`check --printer kdp` refuses it" in ran.stderr) is said
