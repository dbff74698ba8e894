"""Preflight: the print shop's rules run over the files bookmaker makes for it, each a named check with
a stable code (codes.py), read back from the PDFs with pypdf as the printer's own checks read them."""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass

from bookmaker import codes
from bookmaker.errors import Problem
from bookmaker.model import RenderedBook
from bookmaker.pdf import printers, printshop
from bookmaker.pdf.printers import Printer

PT = 72.0
# KDP_MANUSCRIPT_FILE: interiors up to 650 MB; the others publish no limit bookmaker could read.
MAX_FILE_MB = {"kdp": 650}
RGB_OPERATOR = re.compile(rb"(?<![A-Za-z])(rg|RG)(?![A-Za-z])")


@dataclass(frozen=True)
class Check:
    code: str
    name: str
    status: str  # pass, warning, error
    detail: str


def checks_of(rendered: RenderedBook, interior: bytes, cover: bytes | None, pages: int) -> list[Check]:
    """Every rule of the book's printer over its interior (and cover, when given)."""
    from pypdf import PdfReader

    book = rendered.book
    p = printshop.printer_of(book)
    s = book.metadata.pdf
    reader = PdfReader(io.BytesIO(interior))
    out = [trim_check(rendered, p), fonts_check(reader), pictures_check(reader),
           safe_area_check(reader, printers.min_margins(p, s.bleed)),
           pages_check(p, s.paper, pages, printshop.inches(s.width), printshop.inches(s.height)),
           spine_check(p, s.paper, pages), markup_check(reader, p), size_check(p, len(interior)), glyphs_check(rendered)]
    if printshop.cmyk(p):
        out.append(colour_check(reader, "interior"))
        if cover is not None:
            out.append(colour_check(PdfReader(io.BytesIO(cover)), "cover"))
    return out


def problems_of(rendered: RenderedBook, checks: list[Check]) -> list[Problem]:
    where = printshop.where(rendered.book)
    return [Problem(where, 1, f"{c.name}: {c.detail}", c.status, c.code) for c in checks if c.status != "pass"]


def trim_check(rendered: RenderedBook, p: Printer) -> Check:
    problems = printshop.trim_problems(rendered.book, p)
    s = rendered.book.metadata.pdf
    return Check(codes.PRINTER_TRIM, "trim, paper and ink", "error" if problems else "pass",
                 problems[0].message if problems else f"{p.label} prints {s.width} x {s.height} on {s.paper}")


def glyphs_check(rendered: RenderedBook) -> Check:
    """Every character printed: one that no face on the machine has is a blank in the printed book (a
    chapter's title in Japanese, a tag's emoji), which pdftotext and the printer's own checks read as
    text. Not run where the project's print.css names its own faces (coverage.py)."""
    from bookmaker.pdf.coverage import blank_characters, named

    blank = blank_characters(rendered.book)
    if blank:
        return Check(codes.BLANK_GLYPHS, "every character printed", "error",
                     f"{named(blank)} in no typeface on this machine: the interior prints a blank in place of "
                     f"{'each' if len(blank) > 1 else 'it'}; install a font that has "
                     f"{'them' if len(blank) > 1 else 'it'} (for Chinese, Japanese or Korean, Noto Sans CJK) "
                     "and build again, or name one in a styles/print.css of your own")
    return Check(codes.BLANK_GLYPHS, "every character printed", "pass", "every character has a typeface")


def fonts_check(reader) -> Check:
    missing, seen = set(), set()
    for page in reader.pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for font in fonts.values():
            font = font.get_object()
            name = str(font.get("/BaseFont", "?"))
            if name in seen:
                continue
            seen.add(name)
            described = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = described.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.add(name)
    if missing:
        return Check(codes.FONT_NOT_EMBEDDED, "fonts embedded", "error", f"not embedded: {', '.join(sorted(missing))}")
    return Check(codes.FONT_NOT_EMBEDDED, "fonts embedded", "pass", f"all {len(seen)} fonts embedded")


def placed_images(page):
    """(name, pixel width, pixel height, printed width in, printed height in, left in, bottom in, right
    in, top in) of each picture drawn on the page, from the transformation in force where it is drawn."""
    xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
    found = []

    def visit(operator, operands, cm, tm):
        if operator != b"Do" or not operands:
            return
        obj = xobjects.get(operands[0])
        if obj is None:
            return
        obj = obj.get_object()
        if obj.get("/Subtype") != "/Image":
            return
        a, b, c, d, e, f = cm
        xs, ys = (e, a + e, c + e, a + c + e), (f, b + f, d + f, b + d + f)  # the unit square's corners
        found.append((str(operands[0]), int(obj["/Width"]), int(obj["/Height"]),
                      math.hypot(a, b) / PT, math.hypot(c, d) / PT,
                      min(xs) / PT, min(ys) / PT, max(xs) / PT, max(ys) / PT))

    page.extract_text(visitor_operand_before=visit)
    return found


def pictures_check(reader) -> Check:
    worst = None
    for number, page in enumerate(reader.pages, 1):
        for name, px_w, px_h, w, h, *_ in placed_images(page):
            if w <= 0 or h <= 0:
                continue
            ppi = min(px_w / w, px_h / h)
            if worst is None or ppi < worst[0]:
                worst = (ppi, number, px_w, px_h, w, h)
    if worst is None:
        return Check(codes.LOW_RESOLUTION, "picture resolution", "pass", "no pictures")
    ppi, number, px_w, px_h, w, h = worst
    status = "error" if ppi < 200 else "warning" if ppi < 300 else "pass"
    return Check(codes.LOW_RESOLUTION, "picture resolution", status,
                 f"lowest: {px_w} x {px_h} px printed {w:.2f} x {h:.2f} in on page {number}, {ppi:.0f} ppi "
                 f"(300 wanted, under 200 refused)")


def safe_area_check(reader, margin: float) -> Check:
    """Every line of text starts, and every picture lies, inside the trim less the printer's least
    margin, measured from each page's TrimBox (with bleed the page is larger than the trim, and the trim
    sits on another side of it on rectos and versos). A picture may leave the safe area only to run to
    the edge of a page with bleed (a full-bleed picture): without bleed, none may."""
    outside = []
    slack = 0.01
    for number, page in enumerate(reader.pages, 1):
        tl, tb, tr, tt = (v / PT for v in printshop.corners(page.trimbox))
        ml, mb, mr, mt = (v / PT for v in printshop.corners(page.mediabox))
        safe = (tl + margin - slack, tb + margin - slack, tr - margin + slack, tt - margin + slack)
        points = []

        def visit(operator, operands, cm, tm):
            if operator in (b"Tj", b"TJ"):
                x = (tm[4] * cm[0] + tm[5] * cm[2] + cm[4]) / PT
                y = (tm[4] * cm[1] + tm[5] * cm[3] + cm[5]) / PT
                points.append((x, y))

        page.extract_text(visitor_operand_before=visit)
        text_out = any(not (safe[0] <= x <= safe[2] and safe[1] <= y <= safe[3]) for x, y in points)

        bleeds = max(tl - ml, tb - mb, mr - tr, mt - tt) > slack

        def bled(x1, y1, x2, y2) -> bool:
            """Inside the safe area on each edge, or, on a page with bleed, out to the page's edge: into
            the bleed, or on the gutter's edge (KDP's and IngramSpark's have none) to the fold."""
            return ((x1 >= safe[0] or (bleeds and x1 <= ml + slack))
                    and (y1 >= safe[1] or (bleeds and y1 <= mb + slack))
                    and (x2 <= safe[2] or (bleeds and x2 >= mr - slack))
                    and (y2 <= safe[3] or (bleeds and y2 >= mt - slack)))

        if text_out or not all(bled(*picture[-4:]) for picture in placed_images(page)):
            outside.append(number)
    if outside:
        return Check(codes.OUTSIDE_SAFE_AREA, "safe area", "error",
                     f"text or pictures within {margin:g} in of the trim on pages {', '.join(map(str, outside[:10]))}")
    return Check(codes.OUTSIDE_SAFE_AREA, "safe area", "pass", f"everything at least {margin:g} in inside the trim")


def pages_check(p: Printer, paper: str, pages: int, width: float, height: float) -> Check:
    message = printers.check_page_count(p, paper, pages, width, height)
    least, most = printers.page_limits(p, paper, width, height)
    return Check(codes.PRINTER_PAGES, "page count", "error" if message else "pass",
                 message or f"{pages} pages ({p.label} binds {least}-{most}, an even count)")


def spine_check(p: Printer, paper: str, pages: int) -> Check:
    """What the cover does with the spine's text (printers.spine_text_printed): never an error, as it is
    left off wherever it would not do."""
    return Check(codes.SPINE_TEXT, "spine text", "pass", printers.spine_text_printed(p, paper, pages)[1])


def markup_check(reader, p: Printer) -> Check:
    found = []
    if not p.outline_allowed and "/Outlines" in reader.trailer["/Root"]:
        found.append("an outline")
    annotated = sum(1 for page in reader.pages if page.get("/Annots"))
    if not p.annotations_allowed and annotated:
        found.append(f"annotations on {annotated} pages")
    boxes = sum(1 for page in reader.pages if "/TrimBox" not in page or "/BleedBox" not in page)
    if boxes:
        found.append(f"{boxes} pages without TrimBox and BleedBox")
    return Check(codes.PRINT_MARKUP, "outline, annotations, boxes", "error" if found else "pass",
                 "; ".join(found) or "as the printer accepts them")


def size_check(p: Printer, size: int) -> Check:
    limit = MAX_FILE_MB.get(p.name)
    mb = size / 1e6
    if limit is None:
        return Check(codes.PRINT_FILE_SIZE, "file size", "pass", f"{mb:.1f} MB ({p.label} publishes no limit)")
    return Check(codes.PRINT_FILE_SIZE, "file size", "error" if mb > limit else "pass", f"{mb:.1f} MB of {limit} MB")


def colour_check(reader, what: str) -> Check:
    """PDF/X-1a: an output intent, and no RGB anywhere, in the pages' drawing or their pictures."""
    found = [] if "/OutputIntents" in reader.trailer["/Root"] else ["no output intent"]
    for number, page in enumerate(reader.pages, 1):
        contents = page.get_contents()
        if contents is not None and RGB_OPERATOR.search(contents.get_data()):
            found.append(f"an RGB colour on page {number}")
            break
        xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
        if any(x.get_object().get("/ColorSpace") == "/DeviceRGB" for x in xobjects.values()):
            found.append(f"an RGB picture on page {number}")
            break
    return Check(codes.RGB_COLOUR, f"PDF/X colour ({what})", "error" if found else "pass",
                 "; ".join(found) or "CMYK output intent, no RGB")
