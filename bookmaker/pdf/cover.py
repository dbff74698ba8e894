"""The full-wrap paperback cover: back, spine and front on one PDF page, with bleed all round.

Laid out as one HTML page by WeasyPrint, every panel placed at its measured position (inches from
the top left corner of the bleed), then TrimBox and BleedBox set on the page with pypdf, exactly:
WeasyPrint's own boxes (from CSS `bleed`) would need every panel placed at negative coordinates.

Geometry, left to right: bleed | back | spine | front | bleed; top to bottom: bleed | trim | bleed.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass, field
from pathlib import Path

from bookmaker import codes
from bookmaker.pdf import printers
from bookmaker.pdf.printshop import CMYK_PROFILE_PATHS
from bookmaker.pdf.printers import Printer
from bookmaker.pdf.weasy_internals import import_weasyprint

PT = 72.0  # PDF points an inch
MIN_PPI_WARNING = 300
MIN_PPI_ERROR = 200
SCHEME = "bookmaker-cover:"
FACES = (("Regular", "normal", 400), ("Italic", "italic", 400), ("SemiBold", "normal", 600),
         ("Light", "normal", 300), ("LightItalic", "italic", 300))


class CoverError(ValueError):
    """A cover that cannot be made as asked (a picture far too small, an unknown paper...)."""

    def __init__(self, message: str, code: str = codes.PRINTER_TRIM):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CoverSpec:
    title: str
    authors: tuple[str, ...]
    trim_width: float  # inches
    trim_height: float
    pages: int  # the interior's final page count
    printer: str = "kdp"
    paper: str = "white"
    subtitle: str | None = None
    series: str | None = None  # "Book 2 of The Long Road"
    blurb: tuple[str, ...] = ()  # paragraphs, each XHTML text with only <i> and <b> in it (text.emphasized_paragraphs)
    isbn: str | None = None
    front_image: Path | None = None  # None: a typographic front
    language: str = "en"
    cmyk_profile: Path | None = None  # for PDF/X; default: CMYK_PROFILE_PATHS
    # The build's date (infra.dates.build_time, ISO 8601): PDF/X must carry a creation date, and WeasyPrint
    # took the clock's where the document names none, so two builds of IngramSpark's cover differed.
    created: str | None = None


@dataclass(frozen=True)
class Geometry:
    """Where everything is, in inches from the top left corner of the bleed."""

    bleed: float
    trim_width: float
    trim_height: float
    spine: float

    @property
    def width(self) -> float:
        return 2 * self.bleed + 2 * self.trim_width + self.spine

    @property
    def height(self) -> float:
        return 2 * self.bleed + self.trim_height

    @property
    def spine_left(self) -> float:
        return self.bleed + self.trim_width

    @property
    def front_left(self) -> float:
        return self.spine_left + self.spine


@dataclass
class Cover:
    pdf: bytes
    geometry: Geometry
    warnings: list[str] = field(default_factory=list)
    spine_text: bool = False
    barcode: bool = False


def geometry(spec: CoverSpec) -> Geometry:
    p = printers.printer(spec.printer)
    return Geometry(p.bleed, spec.trim_width, spec.trim_height, printers.spine_width(p, spec.paper, spec.pages))


# --- colours: RGB for screens and KDP, CMYK (black as K alone) for PDF/X -------------------------

PALETTE = {  # name: (sRGB, device CMYK 0-1)
    "ground": ("#1f2a36", (0.80, 0.55, 0.30, 0.55)),
    "ink": ("#f4efe3", (0.0, 0.02, 0.08, 0.02)),
    "accent": ("#c9a45c", (0.15, 0.32, 0.70, 0.05)),
    "muted": ("#c8c2b4", (0.05, 0.06, 0.15, 0.18)),
    "white": ("#ffffff", (0.0, 0.0, 0.0, 0.0)),
    "black": ("#000000", (0.0, 0.0, 0.0, 1.0)),
}


def colour(name: str, cmyk: bool) -> str:
    rgb, (c, m, y, k) = PALETTE[name]
    return f"device-cmyk({c:g} {m:g} {y:g} {k:g})" if cmyk else rgb


# --- pictures --------------------------------------------------------------------------------------

def picture_ppi(size_px: tuple[int, int], area_in: tuple[float, float]) -> float:
    """The resolution a picture prints at when scaled to cover an area (cropping what overflows)."""
    return min(size_px[0] / area_in[0], size_px[1] / area_in[1])


def front_picture(spec: CoverSpec, g: Geometry, cmyk: bool, profile: Path | None) -> tuple[bytes, str, list[str]]:
    """The front picture's bytes as the PDF will hold them, its media type, and what to warn of."""
    from PIL import Image, ImageCms

    area = (g.trim_width + g.bleed, g.height)
    with Image.open(spec.front_image) as img:
        img.load()
        ppi = picture_ppi(img.size, area)
        shown = f"{spec.front_image.name} ({img.size[0]} x {img.size[1]} px)"
        if ppi < MIN_PPI_ERROR:
            raise CoverError(f"{shown} prints at {ppi:.0f} ppi on a {area[0]:.3f} x {area[1]:.3f} in front with "
                             f"bleed: at least {MIN_PPI_ERROR} ppi is needed, {MIN_PPI_WARNING} ppi for a sharp print "
                             f"({area[0] * MIN_PPI_WARNING:.0f} x {area[1] * MIN_PPI_WARNING:.0f} px)",
                             codes.LOW_RESOLUTION)
        warnings = [] if ppi >= MIN_PPI_WARNING else [
            f"{shown} prints at {ppi:.0f} ppi on the front: under {MIN_PPI_WARNING} ppi it may look soft "
            f"({area[0] * MIN_PPI_WARNING:.0f} x {area[1] * MIN_PPI_WARNING:.0f} px would be sharp)"]
        if not cmyk:
            return spec.front_image.read_bytes(), Image.MIME.get(img.format, "image/png"), warnings
        # PDF/X-1a allows no RGB: convert to the output intent's CMYK before WeasyPrint sees it.
        rgb = img.convert("RGB")
        converted = ImageCms.profileToProfile(rgb, ImageCms.createProfile("sRGB"), str(profile), outputMode="CMYK")
        out = io.BytesIO()
        converted.save(out, "JPEG", quality=95)
        return out.getvalue(), "image/jpeg", warnings


def cmyk_profile(spec: CoverSpec) -> Path:
    for path in ([spec.cmyk_profile] if spec.cmyk_profile else CMYK_PROFILE_PATHS):
        if path and Path(path).is_file():
            return Path(path)
    raise CoverError("PDF/X needs a CMYK ICC profile for its output intent: install Debian's libgs-common "
                     "(Ghostscript's SWOP profile) or give one", codes.CMYK_PROFILE_MISSING)


# --- the page --------------------------------------------------------------------------------------

def _box(left: float, top: float, width: float, height: float) -> str:
    return f"left: {left:.4f}in; top: {top:.4f}in; width: {width:.4f}in; height: {height:.4f}in;"


def warning_code(message: str) -> str:
    """The problem code of one of render_cover's warnings."""
    if "spine" in message:
        return codes.SPINE_TEXT
    return codes.BACK_COVER_TEXT if message.startswith("the back's text") else codes.LOW_RESOLUTION


def back_inset(p: Printer) -> float:
    return max(p.cover_safe, 0.375)  # the printer's safe margin, and never tighter than a designer would


def back_box(g: Geometry, p: Printer) -> tuple[float, float, float, float]:
    """(left, top, width, height) in inches of the back's text: inside the safe area, and above the
    barcode's box whether the book has an ISBN or not: without one, KDP prints its own barcode there
    ("leave a 2 × 1.2 in area empty"), and a long blurb ran into it."""
    inset = back_inset(p)
    b = p.barcode
    box_top = g.bleed + g.trim_height - b.from_bottom - b.height
    return g.bleed + inset, g.bleed + inset, g.trim_width - 2 * inset, box_top - 0.2 - g.bleed - inset


def back_html(spec: CoverSpec) -> str:
    esc = html.escape
    return f'<p class="back-title">{esc(spec.title)}</p>' + "".join(f"<p>{para}</p>" for para in spec.blurb)


BLURB_SIZES = (11, 10.5, 10, 9.5, 9)  # points: the back's text as large as fits, never under 9


def face_css() -> str:
    return "\n".join(f'@font-face {{ font-family: "Spectral"; src: url("{SCHEME}Spectral-{name}.ttf"); '
                     f"font-style: {style}; font-weight: {weight}; }}" for name, style, weight in FACES)


# The back's text as the cover sets it, and as blurb_size() lays it out alone to see whether it fits.
BACK_CSS = """
.back { line-height: 1.45; text-align: justify; hyphens: auto; }
.back p { margin: 0 0 0.6em; }
.back-title { font-style: italic; font-size: 13pt; text-align: center; margin-bottom: 1em !important; }
"""


def blurb_size(spec: CoverSpec, g: Geometry, p: Printer, fetcher) -> tuple[float, bool]:
    """The largest of BLURB_SIZES at which the back's text fits its box, and whether it fits at all. Laid
    out alone, on a page the box's size: the back's box hid what did not fit (overflow), and a long summary
    was cut mid-sentence, with no word said."""
    from weasyprint import HTML

    _, _, width, height = back_box(g, p)
    for size in BLURB_SIZES:
        page = (f'<!DOCTYPE html><html lang="{html.escape(spec.language)}"><head><meta charset="utf-8"><style>'
                f'{face_css()}{BACK_CSS}@page {{ size: {width:.4f}in {height:.4f}in; margin: 0; }}'
                f'html, body {{ margin: 0; font-family: "Spectral", serif; }}</style></head><body>'
                f'<div class="back" style="font-size: {size:g}pt;">{back_html(spec)}</div></body></html>')
        if len(HTML(string=page, base_url=SCHEME, url_fetcher=fetcher).render().pages) == 1:
            return size, True
    return BLURB_SIZES[-1], False


def cover_html(spec: CoverSpec, g: Geometry, p: Printer, cmyk: bool, picture: str | None, barcode_svg: str | None,
               spine_text: bool, blurb_pt: float = BLURB_SIZES[0]) -> str:
    c = {name: colour(name, cmyk) for name in PALETTE}
    esc = html.escape
    authors = " & ".join(spec.authors)
    inset = back_inset(p)
    parts = [f'<div class="ground" style="{_box(0, 0, g.width, g.height)}"></div>']

    # Front: the picture to the bleed, or type.
    front = _box(g.front_left, 0, g.trim_width + g.bleed, g.height)
    if picture:
        parts.append(f'<img class="picture" src="{picture}" style="{front}" alt="">')
    else:
        left, width = g.front_left + inset, g.trim_width - 2 * inset
        if spec.series:
            parts.append(f'<p class="series" style="{_box(left, g.bleed + inset, width, 0.4)}">{esc(spec.series)}</p>')
        subtitle = f'<p class="subtitle">{esc(spec.subtitle)}</p>' if spec.subtitle else ""
        top = g.bleed + g.trim_height * 0.22
        parts.append(f'<div class="frame" style="{_box(left, top, width, g.trim_height * 0.48)}">'
                     f'<h1>{esc(spec.title)}</h1><p class="rule" aria-hidden="true"><span></span></p>{subtitle}</div>')
        parts.append(f'<p class="author" style="{_box(left, g.bleed + g.trim_height - inset - 0.5, width, 0.5)}">'
                     f'{esc(authors)}</p>')

    # Spine: title and author, reading top to bottom (turned a quarter clockwise).
    if spine_text:
        size = printers.spine_font_pt(p, g.spine)
        length = g.trim_height - 2 * inset
        centre_x, centre_y = g.spine_left + g.spine / 2, g.bleed + g.trim_height / 2
        parts.append(f'<div class="spine" style="{_box(centre_x - length / 2, centre_y - g.spine / 2, length, g.spine)}'
                     f' font-size: {size:.2f}pt; line-height: {g.spine:.4f}in;">'
                     f'<span class="spine-title">{esc(spec.title)}</span>'
                     f'<span class="spine-sep"> &#x2014; </span>'
                     f'<span class="spine-author">{esc(authors)}</span></div>')

    # Back: the blurb above the barcode, inside the safe area.
    left, top, width, height = back_box(g, p)
    parts.append(f'<div class="back" style="{_box(left, top, width, height)} font-size: {blurb_pt:g}pt;">'
                 f'{back_html(spec)}</div>')
    b = p.barcode
    box_top = g.bleed + g.trim_height - b.from_bottom - b.height
    if barcode_svg:
        box_left = g.spine_left - b.from_spine - b.width
        parts.append(f'<div class="barcode" style="{_box(box_left, box_top, b.width, b.height)}">{barcode_svg}</div>')

    faces = face_css()
    profile = f'@color-profile device-cmyk {{ src: url("{SCHEME}cmyk.icc"); components: c, m, y, k; }}' if cmyk else ""
    css = f"""
{faces}
{profile}
@page {{ size: {g.width:.4f}in {g.height:.4f}in; margin: 0; }}
html, body {{ margin: 0; padding: 0; }}
body {{ font-family: "Spectral", serif; color: {c['ink']}; }}
.ground, .frame, .series, .author, .back, .spine, .barcode, .picture {{ position: absolute; box-sizing: border-box; }}
.ground {{ background: {c['ground']}; }}
.picture {{ object-fit: cover; }}
.frame, .series, .author {{ text-align: center; margin: 0; }}
.frame p {{ margin: 0; }}
.series {{ font-size: 10pt; letter-spacing: 0.12em; text-transform: uppercase; color: {c['accent']}; }}
.frame {{ padding: 0.4in 0.1in 0; border-top: 0.75pt solid {c['accent']}; }}
h1 {{ font-weight: 300; font-size: 40pt; line-height: 1.08; margin: 0; hyphens: manual; }}
/* A short rule and a diamond on it, drawn: the fleuron it was (U+2766) is in none of the theme's typefaces,
   and printed in DejaVu Sans, the system's fallback, beside Spectral. The e-book's cover draws the same. */
.rule {{ position: relative; width: 1.1in; height: 12pt; margin: 0.18in auto !important; }}
.rule::before {{ content: ""; position: absolute; left: 0; right: 0; top: 5.6pt; border-top: 0.75pt solid {c['accent']}; }}
.rule span {{ position: absolute; left: 50%; top: 6pt; width: 6pt; height: 6pt; margin: -3pt 0 0 -3pt;
  background: {c['accent']}; transform: rotate(45deg); }}
.subtitle {{ font-style: italic; font-weight: 300; font-size: 14pt; line-height: 1.3; }}
.author {{ padding-top: 0.15in; border-top: 0.75pt solid {c['accent']}; font-size: 15pt; letter-spacing: 0.14em; text-transform: uppercase; font-weight: 400; }}
.spine {{ transform: rotate(90deg); text-align: center; white-space: nowrap; overflow: hidden; }}
.spine-title {{ font-weight: 600; letter-spacing: 0.04em; }}
.spine-sep {{ color: {c['accent']}; }}
.spine-author {{ letter-spacing: 0.08em; text-transform: uppercase; font-size: 0.8em; color: {c['muted']}; }}
{BACK_CSS}
.back {{ overflow: hidden; }}
.back-title {{ color: {c['accent']}; }}
.barcode {{ background: {c['white']}; display: flex; align-items: center; justify-content: center; }}
.barcode svg {{ width: 1.38in; height: auto; }}
"""
    return (f'<!DOCTYPE html><html lang="{esc(spec.language)}"><head><meta charset="utf-8">'
            f"<title>{esc(spec.title)} (cover)</title><meta name=\"author\" content=\"{esc(authors)}\">"
            + "".join(f'<meta name="dcterms.{name}" content="{esc(spec.created)}">' for name in ("created", "modified")
                      if spec.created) +
            f"<style>{css}</style></head><body>{''.join(parts)}</body></html>")


def _fetcher(files: dict[str, bytes]):
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class CoverFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url not in files:
                raise ValueError(f"not part of the cover: {url}")
            return URLFetcherResponse(url, body=files[url])

    return CoverFetcher(allowed_protocols=set())


def set_boxes(pdf: bytes, g: Geometry) -> bytes:
    """TrimBox at the trim, BleedBox at the page edge, on the cover's page."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, FloatObject, NameObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    page = writer.pages[0]
    w, h, b = g.width * PT, g.height * PT, g.bleed * PT

    def box(*values: float):
        return ArrayObject(FloatObject(round(v, 4)) for v in values)

    page[NameObject("/MediaBox")] = box(0, 0, w, h)
    page[NameObject("/BleedBox")] = box(0, 0, w, h)
    page[NameObject("/TrimBox")] = box(b, b, w - b, h - b)
    page[NameObject("/CropBox")] = box(0, 0, w, h)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def render_cover(spec: CoverSpec) -> Cover:
    import fontpkg_spectral

    import_weasyprint()
    from weasyprint import HTML

    from bookmaker.pdf.barcode import ean13_svg

    p = printers.printer(spec.printer)
    problem = printers.check_trim(p, spec.paper, spec.trim_width, spec.trim_height)
    if problem:
        raise CoverError(problem)
    g = geometry(spec)
    cmyk = p.pdf_variant is not None and p.pdf_variant.startswith("pdf/x")
    profile = cmyk_profile(spec) if cmyk else None
    fonts = Path(fontpkg_spectral.ROOT) / "files"
    files = {f"{SCHEME}Spectral-{name}.ttf": (fonts / f"Spectral-{name}.ttf").read_bytes() for name, _, _ in FACES}
    if profile:
        files[f"{SCHEME}cmyk.icc"] = profile.read_bytes()
    warnings: list[str] = []
    picture = None
    if spec.front_image is not None:
        data, media_type, warnings = front_picture(spec, g, cmyk, profile)
        picture = f"{SCHEME}front"
        files[picture] = data
    spine_text, why = printers.spine_text_printed(p, spec.paper, spec.pages)
    if not spine_text and printers.spine_text_allowed(p, spec.pages):
        warnings.append(why.split(": ", 1)[1])
    barcode_svg = None
    if spec.isbn:
        barcode_svg = ean13_svg(spec.isbn)
        if cmyk:
            barcode_svg = (barcode_svg.replace("fill:black", f"fill:{colour('black', True)}")
                           .replace("fill:white", f"fill:{colour('white', True)}"))
    blurb_pt, fits = blurb_size(spec, g, p, _fetcher(files))
    if not fits:
        warnings.append(f"the back's text ({sum(len(para.split()) for para in spec.blurb)} words) does not fit "
                        f"above the barcode's place even at {blurb_pt:g} pt: what does not fit is cut; write a "
                        "shorter `back_cover` in book.yaml")
    document = HTML(string=cover_html(spec, g, p, cmyk, picture, barcode_svg, spine_text, blurb_pt), base_url=SCHEME,
                    url_fetcher=_fetcher(files)).render()
    data = document.write_pdf(pdf_variant=p.pdf_variant, pdf_identifier=b"bookmaker-cover",
                              uncompressed_pdf=False)
    return Cover(set_boxes(data, g), g, warnings, spine_text, barcode_svg is not None)
