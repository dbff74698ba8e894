"""A print shop's interior: the printer's margins and colours for the layout, then one pypdf pass over
the laid-out PDF for what every printed book gets (one link annotation a link) and what the printer
asks (an even page count of at least its minimum, a blank last page, TrimBox and BleedBox on every
page, no outline or annotations). The numbers are the printer's own, from printers.py.
"""

from __future__ import annotations

import dataclasses
import io
import logging
from pathlib import Path

from bookmaker import codes
from bookmaker.errors import BookmakerError, Problem
from bookmaker.languages import right_to_left
from bookmaker.load.metadata import UNIT_INCHES
from bookmaker.model import Book, RenderedBook
from bookmaker.pdf import printers
from bookmaker.pdf.printers import Bleed, Printer

PT = 72.0
# Debian's libgs-common: Ghostscript's "Artifex CMYK SWOP Profile" (AGPL-3+, so redistributable, but
# never vendored here): found on the machine. `.ci/run` installs it.
CMYK_PROFILE_PATHS = (Path("/usr/share/color/icc/ghostscript/default_cmyk.icc"),)
PROFILE_URL = "bookmaker:print/cmyk.icc"
K_BLACK = "device-cmyk(0 0 0 1)"


def inches(length: str) -> float:
    """A CSS length as book.yaml allows it ("6in", "152.4mm", "11pt") in inches."""
    for unit, factor in UNIT_INCHES.items():
        if length.endswith(unit):
            return float(length[: -len(unit)]) * factor
    raise ValueError(f"not a length: {length}")


def printer_of(book: Book) -> Printer | None:
    name = book.metadata.pdf.printer
    return printers.printer(name) if name else None


def bleed_of(book: Book) -> Bleed | None:
    """How far the interior's pages reach past the trim: `pdf: {bleed: true}` for a printer, else None
    (bleed is a printer's rule: without one, the page is the trim)."""
    p = printer_of(book)
    return printers.interior_bleed(p) if p is not None and book.metadata.pdf.bleed else None


def outside_right(book: Book, index: int) -> bool:
    """Whether page `index` (from 0) has its outside edge on the right: a recto of a left-to-right book
    (the first page is a recto, on the right; in a right-to-left book, on the left, as WeasyPrint lays
    it out)."""
    return (index % 2 == 0) != right_to_left(book.metadata.language)


def page_boxes(book: Book, index: int, width: float, height: float) -> tuple[list[float], list[float]]:
    """(TrimBox, BleedBox) in points of page `index` laid out `width` x `height` points: the bleed box
    is the page (MediaBox = BleedBox); the trim is the page less the bleed on its top, bottom and
    outside edge (and, for Lulu, its inside edge), so the outside edge is the right on a recto, the
    left on a verso."""
    page = [0.0, 0.0, width, height]
    b = bleed_of(book)
    if b is None:
        return page, page
    left, right = (b.inside, b.outside) if outside_right(book, index) else (b.outside, b.inside)
    return [left * PT, b.bottom * PT, width - right * PT, height - b.top * PT], page


def where(book: Book) -> str:
    return book.display(book.manuscript / "book.yaml")


def trim_problems(book: Book, p: Printer) -> list[Problem]:
    s = book.metadata.pdf
    message = printers.check_trim(p, s.paper, inches(s.width), inches(s.height))
    return [Problem(where(book), 1, message, code=codes.PRINTER_TRIM)] if message else []


def cmyk_profile() -> Path:
    for path in CMYK_PROFILE_PATHS:
        if path.is_file():
            return path
    raise BookmakerError([Problem(str(CMYK_PROFILE_PATHS[0]), 1, "PDF/X needs a CMYK ICC profile for its output "
                                  "intent: install Debian's libgs-common (Ghostscript's SWOP profile)",
                                  code=codes.CMYK_PROFILE_MISSING)])


def cmyk(p: Printer | None) -> bool:
    return p is not None and (p.pdf_variant or "").startswith("pdf/x")


def for_page_count(rendered: RenderedBook, p: Printer, pages: int) -> RenderedBook:
    """The book with the printer's gutter for this page count and its least margins: each margin is the
    book's own, or the printer's minimum where the book's is smaller."""
    s = rendered.book.metadata.pdf
    least = printers.min_margins(p, s.bleed)

    def at_least(length: str, inch: float) -> str:
        return length if inches(length) >= inch - 1e-9 else f"{inch:g}in"

    settings = dataclasses.replace(
        s, margin_inner=at_least(s.margin_inner, printers.gutter(p, min(pages, p.gutters[-1][0]))),
        margin_outer=at_least(s.margin_outer, least), margin_top=at_least(s.margin_top, least),
        margin_bottom=at_least(s.margin_bottom, least))
    book = rendered.book
    metadata = dataclasses.replace(book.metadata, pdf=settings)
    return dataclasses.replace(rendered, book=dataclasses.replace(book, metadata=metadata))


def printer_css(book: Book) -> str:
    """For every printer: the folio set at the top of its margin, near the text, inside the printer's
    safe area (centred in a 0.8 in margin it would stand 0.4 in from the trim). For PDF/X: text and
    rules black as K alone (in a black-and-white interior, every rule), against the CMYK output intent."""
    p = printer_of(book)
    if p is None:
        return ""
    css = "@page { @bottom-center { vertical-align: top; padding-top: 10pt; } }\n"
    if not cmyk(p):
        return css
    css += (f'@color-profile device-cmyk {{ src: url("{PROFILE_URL}"); components: c, m, y, k; }}\n'
            f"html, a {{ color: {K_BLACK}; }}\n"
            "hr { color: device-cmyk(0 0 0 0.5); }\n"  # the UA sheet's grey rule, as K alone
            f"@page {{ @footnote {{ border-top-color: {K_BLACK} !important; }} }}\n")
    if book.metadata.pdf.paper != "color":
        css += f"*, *::before, *::after {{ border-color: {K_BLACK} !important; }}\n"
    return css


def picture_mode(book: Book) -> str | None:
    """How pictures go to the printer: greyscale in black-and-white interiors, CMYK for PDF/X colour."""
    p = printer_of(book)
    if p is None:
        return None
    if book.metadata.pdf.paper != "color":
        return "L"
    return "CMYK" if cmyk(p) else None


def converted_picture(data: bytes, mode: str) -> bytes:
    from PIL import Image, ImageCms

    try:
        img = Image.open(io.BytesIO(data))
    except OSError:  # an SVG: vectors, whose colours the printer's checks report
        return data
    with img:
        if mode == img.mode:
            return data
        img.load()
        out = io.BytesIO()
        if mode == "L":
            flat = img.convert("RGBA")
            ground = Image.new("RGBA", flat.size, "white")
            Image.alpha_composite(ground, flat).convert("L").save(out, "PNG")
        else:
            rgb = img.convert("RGB")
            converted = ImageCms.profileToProfile(rgb, ImageCms.createProfile("sRGB"), str(cmyk_profile()),
                                                  outputMode="CMYK")
            converted.save(out, "JPEG", quality=95)
        return out.getvalue()


# --- after the layout ----------------------------------------------------------------------------

def page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def finish(pdf: bytes, book: Book) -> tuple[bytes, list[Problem]]:
    """The laid-out PDF as it goes to print: see the module's docstring."""
    from pypdf import PdfReader, PdfWriter

    # Cloning our own joined PDF, pypdf makes more objects than its trailer counted and says so as a
    # log warning, which would reach the author's terminal: the file it writes is whole, so not said.
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)
    try:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    finally:
        pypdf_log.setLevel(level)
    problems = finish_writer(writer, book)
    return written(writer), problems


def finish_writer(writer, book: Book) -> list[Problem]:
    """finish() on a document still in a pypdf writer: the join (join.py) finishes a book without a
    printer before writing it once, instead of writing, reading and writing it again."""
    from pypdf.generic import ArrayObject, FloatObject, NameObject

    one_link_each(writer)
    p = printer_of(book)
    if p is None:
        return []
    problems = []
    pages = len(writer.pages)
    last_blank = not writer.pages[-1].extract_text().strip()
    padded = printers.padded_page_count(p, pages, last_blank)
    width, height = float(writer.pages[0].mediabox.width), float(writer.pages[0].mediabox.height)
    for _ in range(padded - pages):
        writer.add_blank_page(width, height)
    if pages < p.min_pages:
        problems.append(Problem(where(book), 1, f"{p.label} binds at least {p.min_pages} pages: {padded - pages} "
                                f"blank pages added to the {pages} of the book", "warning", codes.PADDED_PAGES))
    message = printers.check_page_count(p, book.metadata.pdf.paper, padded, inches(book.metadata.pdf.width),
                                        inches(book.metadata.pdf.height))
    if message:
        raise BookmakerError([Problem(where(book), 1, message, code=codes.PRINTER_PAGES)])
    for index, page in enumerate(writer.pages):
        trim, bleed = page_boxes(book, index, float(page.mediabox.width), float(page.mediabox.height))
        page[NameObject("/TrimBox")] = ArrayObject(FloatObject(round(v, 4)) for v in trim)
        page[NameObject("/BleedBox")] = ArrayObject(FloatObject(round(v, 4)) for v in bleed)
        if not p.annotations_allowed and "/Annots" in page:
            del page["/Annots"]
    if not p.outline_allowed:
        for key in ("/Outlines", "/PageMode"):
            if key in writer.root_object:
                del writer.root_object[key]
    return problems


def label_pages(writer, first_body: int | None) -> None:
    """/PageLabels as the folios read: the front matter i, ii… from its first page, the book 1, 2… from
    its first chapter (a viewer's "page 17" is then the page printed 17)."""
    if first_body is None or first_body <= 0 or first_body >= len(writer.pages):
        return
    writer.set_page_label(0, first_body - 1, style="/r", start=1)
    writer.set_page_label(first_body, len(writer.pages) - 1, style="/D", start=1)


def labelled(pdf: bytes, first_body: int | None) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    label_pages(writer, first_body)
    return written(writer)


def written(writer) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def corners(rect) -> tuple[float, float, float, float]:
    """A rectangle as (left, bottom, right, top): WeasyPrint writes its corners the other way up."""
    x1, y1, x2, y2 = (float(v) for v in rect)
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


def one_link_each(writer) -> None:
    """WeasyPrint writes a link annotation for each box a link's text falls in (a contents line: its
    title, its leader and its page number): those on one line to one place become one annotation."""
    from pypdf.generic import ArrayObject, FloatObject, NameObject

    for page in writer.pages:
        if "/Annots" not in page:
            continue
        kept, seen = [], {}
        for ref in page["/Annots"]:
            annot = ref.get_object()
            if annot.get("/Subtype") != "/Link":
                kept.append(ref)
                continue
            target = repr(annot.get("/Dest")) + repr(annot.get("/A"))
            x1, y1, x2, y2 = corners(annot["/Rect"])
            same = seen.get(target)
            if same is not None:
                a1, b1, a2, b2 = corners(same["/Rect"])
                if min(y2, b2) - max(y1, b1) > 0.5 * min(y2 - y1, b2 - b1):  # on one line
                    same[NameObject("/Rect")] = ArrayObject(FloatObject(round(v, 3)) for v in
                                                            (min(x1, a1), min(y1, b1), max(x2, a2), max(y2, b2)))
                    continue
            seen[target] = annot
            kept.append(ref)
        page[NameObject("/Annots")] = ArrayObject(kept)
