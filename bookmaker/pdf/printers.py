"""What each print-on-demand printer accepts: trims, papers, page counts, margins, spine and cover.

Pure data and arithmetic (no WeasyPrint): the interior layout, the cover and the preflight all read
the same numbers from here. Every rule names the printer's own page it comes from. Where a number
could not be read on the printer's own page when this was written, its comment says so: those are
the numbers to check first when a printer changes its rules (`UNVERIFIED` lists them).

All lengths are inches, page counts are pages (two a leaf).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --- the printers' pages ----------------------------------------------------------------------------

KDP_PRINT_OPTIONS = "https://kdp.amazon.com/en_US/help/topic/G201834180"  # ink and paper, trims, page counts
KDP_TRIM_BLEED_MARGINS = "https://kdp.amazon.com/en_US/help/topic/GVBQ3CMEQW3W2VL6"  # bleed, gutter table
KDP_MANUSCRIPT_FILE = "https://kdp.amazon.com/en_US/help/topic/GYEKAVKMSE23PFTM"  # save your manuscript file
KDP_PAPERBACK_COVER = "https://kdp.amazon.com/en_US/help/topic/G201953020"  # create a paperback cover
KDP_COVER_CALCULATOR = "https://kdp.amazon.com/en_US/cover-calculator"

INGRAM_FILE_CREATION_GUIDE = "https://www.ingramspark.com/hubfs/downloads/file-creation-guide.pdf"
INGRAM_FILE_REQUIREMENTS = "https://www.ingramspark.com/blog/file-requirements-for-print-books"
INGRAM_SETUP_TIPS = "https://help.ingramspark.com/hc/en-us/articles/5338636202637-Manufacturing-and-File-Setup-Tips"
INGRAM_FILE_PROBLEMS = ("https://help.ingramspark.com/hc/en-us/articles/"
                        "6443532453901-File-Problems-that-Cause-Printing-Problems-of-a-Book")

LULU_BOOK_CREATION_GUIDE = "https://assets.lulu.com/media/guides/en/lulu-book-creation-guide.pdf"
LULU_BLEED = ("https://help.lulu.com/en/support/solutions/articles/"
              "64000255584-how-do-i-make-my-content-cover-the-whole-page-what-is-bleed")
LULU_INTERIOR_FAQ = "https://help.lulu.com/en/support/solutions/articles/64000255590-interior-formatting-faq"
LULU_SPINE = "https://help.api.lulu.com/en/support/solutions/articles/64000254616-how-is-spine-width-calculated-"

# Numbers taken from a page that quotes the printer, or from the printer's guide without reading the
# page itself: check these against the printer before relying on them.
UNVERIFIED = (
    "ingramspark: page thickness (its cover template generator gives the spine; no per-page figure found)",
    "ingramspark: trim list, page count maximum, spine text minimum (48 pages), barcode box",
    "lulu: trim list, page count maximum (800), gutter additions table, barcode box",
    "lulu: an interior's bleed on the gutter edge too (6 x 9 in laid out 6.25 x 9.25 in)",
)

TRIM_TOLERANCE = 0.01  # inches: 6.14 x 9.21 is how the printers write 156 x 234 mm


@dataclass(frozen=True)
class Paper:
    """One paper (and ink) a printer offers."""

    name: str  # white, cream, color
    label: str  # as the printer names it
    thickness: float  # inches a page, for the spine
    min_pages: int
    max_pages: int
    trims: tuple[tuple[float, float], ...]  # offered trims (width, height)
    max_pages_by_trim: dict[tuple[float, float], int] = field(default_factory=dict)


@dataclass(frozen=True)
class BarcodeBox:
    """The white box the barcode stands in, on the back cover: its size and its distance from the
    spine fold and from the bottom trim edge."""

    width: float
    height: float
    from_spine: float
    from_bottom: float


@dataclass(frozen=True)
class Printer:
    name: str
    label: str
    papers: dict[str, Paper]
    gutters: tuple[tuple[int, float], ...]  # (up to this many pages, inside margin)
    min_outside: float  # top, bottom and outside margins, without bleed
    min_outside_bleed: float  # the same with bleed
    bleed: float
    spine_text_min_pages: int
    spine_allowance: float  # added to pages x thickness (the cover's own fold)
    spine_text_margin: float  # clear of each fold on the spine
    cover_safe: float  # cover text this far inside the trim
    barcode: BarcodeBox
    min_pages: int
    last_page_blank: bool
    pdf_variant: str | None  # what WeasyPrint is asked for, for the interior and the cover
    outline_allowed: bool
    annotations_allowed: bool
    file_rules: tuple[str, ...]
    custom_trim: tuple[tuple[float, float], tuple[float, float]] | None = None  # (min, max) width, height
    sources: tuple[str, ...] = ()
    bleed_inside: bool = False  # an interior with bleed: the bleed on the gutter edge too (else top, bottom, outside)


# --- KDP -------------------------------------------------------------------------------------------

# KDP_PRINT_OPTIONS: the trim sizes table.
_KDP_TRIMS = ((5, 8), (5.06, 7.81), (5.25, 8), (5.5, 8.5), (6, 9), (6.14, 9.21), (6.69, 9.61), (7, 10),
              (7.44, 9.69), (7.5, 9.25), (8, 10), (8.25, 6), (8.25, 8.25), (8.5, 8.5), (8.5, 11), (8.27, 11.69))

KDP = Printer(
    name="kdp", label="Amazon KDP",
    papers={
        # KDP_PRINT_OPTIONS: black ink on white or cream paper, 24 to 828 (white) / 776 (cream) pages,
        # fewer on large trims; KDP_PAPERBACK_COVER and KDP_COVER_CALCULATOR: the page thickness.
        "white": Paper("white", "black ink, white paper", 0.002252, 24, 828, _KDP_TRIMS,
                       {(8.25, 6): 800, (8.25, 8.25): 800, (8.5, 8.5): 590, (8.5, 11): 590, (8.27, 11.69): 780}),
        "cream": Paper("cream", "black ink, cream paper", 0.0025, 24, 776, _KDP_TRIMS,
                       {(8.25, 6): 750, (8.25, 8.25): 750, (8.5, 8.5): 550, (8.5, 11): 550, (8.27, 11.69): 730}),
        "color": Paper("color", "premium color ink, white paper", 0.002347, 24, 828, _KDP_TRIMS,
                       {(8.25, 6): 800, (8.25, 8.25): 800, (8.5, 8.5): 590, (8.5, 11): 590, (8.27, 11.69): 590}),
    },
    # KDP_TRIM_BLEED_MARGINS: the inside margin by page count.
    gutters=((150, 0.375), (300, 0.5), (500, 0.625), (700, 0.75), (828, 0.875)),
    # KDP_TRIM_BLEED_MARGINS: outside, top and bottom at least 0.25 in, 0.375 in with bleed.
    min_outside=0.25, min_outside_bleed=0.375,
    # KDP_TRIM_BLEED_MARGINS and KDP_PAPERBACK_COVER: 0.125 in (3.2 mm); an interior with bleed is 0.125 in
    # wider (the outside edge) and 0.25 in taller (0.125 in top and bottom) than its trim.
    bleed=0.125,
    # KDP_PAPERBACK_COVER: "To include spine text, your book must have at least 79 pages."
    spine_text_min_pages=79,
    spine_allowance=0.0,  # KDP_COVER_CALCULATOR: spine = pages x thickness, nothing added
    spine_text_margin=0.0625,  # KDP_PAPERBACK_COVER: 0.0625 in either side of the spine text
    cover_safe=0.125,  # KDP_PAPERBACK_COVER: text and images 0.125 in inside the trim
    # KDP_PAPERBACK_COVER: the barcode area, 2 x 1.2 in, lower right of the back cover, 0.25 in from
    # the spine and the trim (read on a page quoting it; the cover calculator's template draws it).
    barcode=BarcodeBox(2.0, 1.2, 0.25, 0.25),
    min_pages=24,  # KDP_PRINT_OPTIONS
    last_page_blank=False,
    pdf_variant=None,
    # KDP_MANUSCRIPT_FILE: "should not contain crop marks, trim marks, bookmarks, comments, invisible
    # objects, annotations, placeholder text, or metadata"; fonts embedded; not locked or encrypted.
    outline_allowed=False, annotations_allowed=False,
    file_rules=("no crop or trim marks", "no bookmarks (outline)", "no annotations, links or comments",
                "every font embedded", "not encrypted", "pictures at least 300 ppi", "at most 650 MB",
                "at most 2 blank pages in a row"),
    custom_trim=((4.0, 8.5), (6.0, 11.69)),  # KDP_PRINT_OPTIONS: custom trim sizes
    sources=(KDP_PRINT_OPTIONS, KDP_TRIM_BLEED_MARGINS, KDP_MANUSCRIPT_FILE, KDP_PAPERBACK_COVER, KDP_COVER_CALCULATOR),
)

# --- IngramSpark -----------------------------------------------------------------------------------

# INGRAM_FILE_CREATION_GUIDE "Trim sizes": the common ones for black-and-white perfect-bound books
# (unverified: taken from the guide's table as quoted, the account's list is the authority).
_INGRAM_TRIMS = ((4, 6), (4.25, 7), (4.37, 7), (5, 7), (5, 8), (5.06, 7.81), (5.25, 8), (5.5, 8.25), (5.5, 8.5),
                 (5.83, 8.27), (6, 9), (6.14, 9.21), (6.69, 9.61), (7, 10), (7.44, 9.69), (7.5, 9.25),
                 (8, 8), (8, 10), (8.25, 11), (8.27, 11.69), (8.5, 8.5), (8.5, 11))

INGRAMSPARK = Printer(
    name="ingramspark", label="IngramSpark",
    papers={
        # Page thickness: unverified (see UNVERIFIED); the 50 lb stocks bulk like KDP's.
        "white": Paper("white", "black and white, 50 lb white", 0.002252, 18, 1200, _INGRAM_TRIMS),
        "cream": Paper("cream", "black and white, 50 lb creme", 0.0025, 18, 1200, _INGRAM_TRIMS),
        "color": Paper("color", "standard color, 70 lb white", 0.002347, 18, 1200, _INGRAM_TRIMS),
    },
    # INGRAM_FILE_REQUIREMENTS: "Margins must be a minimum of 0.5" (13mm) from final trim size on all
    # sides"; it publishes no gutter table by page count.
    gutters=((1200, 0.5),),
    min_outside=0.5, min_outside_bleed=0.5,
    bleed=0.125,  # INGRAM_FILE_CREATION_GUIDE: 0.125 in on the three trimmed edges, and around the cover
    spine_text_min_pages=48,  # unverified
    spine_allowance=0.0,
    spine_text_margin=0.0625,  # INGRAM_SETUP_TIPS: a 1/16 in variance at the spine fold
    cover_safe=0.25,  # INGRAM_SETUP_TIPS: cover art at least 0.25 in from the trim for perfect bound books
    barcode=BarcodeBox(2.0, 1.2, 0.25, 0.25),  # unverified: its cover template places the barcode here
    min_pages=18,  # the minimum for all print titles, as IngramSpark support states it
    # INGRAM_FILE_REQUIREMENTS: "The final page should be blank. If there is no blank page, we'll add one."
    last_page_blank=True,
    # INGRAM_FILE_PROBLEMS: "Using the default PDF/X-1a:2001 setting will address this issue" (light
    # black text); INGRAM_FILE_CREATION_GUIDE: PDF/X-1a:2001, CMYK or grayscale, text 100% K.
    pdf_variant="pdf/x-1a",
    outline_allowed=True, annotations_allowed=False,
    file_rules=("PDF/X-1a:2001", "black text 100% K only, never RGB or four-colour black",
                "grayscale pictures in black-and-white interiors", "every font embedded",
                "no crop, registration or printer marks", "single pages", "final page blank",
                "TrimBox and BleedBox on every page", "pictures at least 300 ppi"),
    sources=(INGRAM_FILE_CREATION_GUIDE, INGRAM_FILE_REQUIREMENTS, INGRAM_SETUP_TIPS, INGRAM_FILE_PROBLEMS),
)

# --- Lulu ------------------------------------------------------------------------------------------

# LULU_BOOK_CREATION_GUIDE: US Trade, Digest, Pocketbook, A5, Novella, Royal, Comic, Executive,
# Crown Quarto, Small Square, A4, Square, US Letter (unverified list).
_LULU_TRIMS = ((6, 9), (5.5, 8.5), (4.25, 6.875), (5.83, 8.27), (5, 8), (6.14, 9.21), (6.625, 10.25), (7, 10),
               (7.44, 9.68), (7.5, 7.5), (8.27, 11.69), (8.5, 8.5), (8.5, 11))

LULU = Printer(
    name="lulu", label="Lulu",
    papers={
        # LULU_SPINE: perfect bound spine = pages / 444 + 0.06 in, whatever the paper; the spine
        # calculator: paperback covers need at least 32 pages. Maximum: unverified.
        "white": Paper("white", "standard black and white, white", 1 / 444, 32, 800, _LULU_TRIMS),
        "cream": Paper("cream", "standard black and white, cream", 1 / 444, 32, 800, _LULU_TRIMS),
        "color": Paper("color", "standard color, white", 1 / 444, 32, 800, _LULU_TRIMS),
    },
    # LULU_BOOK_CREATION_GUIDE "Gutter Additions" (unverified): added to the 0.5 in safety margin.
    gutters=((60, 0.5), (150, 0.625), (400, 1.0), (600, 1.125), (800, 1.25)),
    # LULU_BLEED: "Text and other important elements should be placed within the Safety Margin which
    # is 0.5 in (12.7 mm) inside the Trim Edge."
    min_outside=0.5, min_outside_bleed=0.5,
    bleed=0.125,  # LULU_BLEED: 0.125 in (3.18 mm) past the trim edge on every side
    # Lulu prints spine text from 80 pages (its cover page, as its community forum quotes it).
    spine_text_min_pages=80,
    spine_allowance=0.06,  # LULU_SPINE
    spine_text_margin=0.0625,
    cover_safe=0.5,  # LULU_BLEED: the safety margin
    barcode=BarcodeBox(2.0, 1.2, 0.25, 0.25),  # unverified
    min_pages=32,
    last_page_blank=False,
    pdf_variant=None,
    outline_allowed=True, annotations_allowed=True,
    # LULU_INTERIOR_FAQ: grayscale for black-and-white books, sRGB for colour, 300 ppi;
    # LULU_BLEED: single pages, all the same size, no crop or registration marks.
    file_rules=("single pages of one size", "no crop or registration marks", "every font embedded",
                "grayscale for black-and-white interiors, sRGB for colour", "pictures at least 300 ppi"),
    sources=(LULU_BOOK_CREATION_GUIDE, LULU_BLEED, LULU_INTERIOR_FAQ, LULU_SPINE),
    bleed_inside=True,  # LULU_BLEED: past the trim "on every side", read as the gutter's too (unverified)
)

PRINTERS = {p.name: p for p in (KDP, INGRAMSPARK, LULU)}


# --- the functions ---------------------------------------------------------------------------------

def printer(name: str) -> Printer:
    try:
        return PRINTERS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown printer '{name}': choose one of {', '.join(PRINTERS)}") from None


def paper(p: Printer, name: str) -> Paper:
    try:
        return p.papers[name]
    except KeyError:
        raise ValueError(f"{p.label} has no '{name}' paper: choose one of {', '.join(p.papers)}") from None


def gutter(p: Printer, pages: int) -> float:
    """The inside margin the printer asks for at this page count."""
    for most, inches in p.gutters:
        if pages <= most:
            return inches
    raise ValueError(f"{p.label} binds at most {p.gutters[-1][0]} pages, not {pages}")


def spine_width(p: Printer, paper_name: str, pages: int) -> float:
    return pages * paper(p, paper_name).thickness + p.spine_allowance


def spine_text_allowed(p: Printer, pages: int) -> bool:
    return pages >= p.spine_text_min_pages


MIN_SPINE_TEXT_PT = 6.0  # spine text smaller than this is left off: it would not be read


def spine_font_pt(p: Printer, spine: float) -> float:
    """The size of the spine's text on a spine `spine` inches wide, clear of the folds."""
    usable = spine - 2 * p.spine_text_margin
    return max(0.0, min(13.0, usable * 72 * 0.62))


def spine_text_printed(p: Printer, paper_name: str, pages: int) -> tuple[bool, str]:
    """Whether the cover prints its spine's text, and why: the printer allows it from a page count, and
    the spine must be wide enough for 6 pt type between its folds. IngramSpark allows it from 48 pages,
    where the spine is 0.108 in: the cover set it at 0 pt, and said so, while preflight said it printed."""
    spine = spine_width(p, paper_name, pages)
    if not spine_text_allowed(p, pages):
        return False, f"{pages} pages: spine text left off ({p.label} allows it from {p.spine_text_min_pages} pages)"
    size = spine_font_pt(p, spine)
    if size < MIN_SPINE_TEXT_PT:
        return False, (f"{pages} pages: spine text left off: the spine is {spine:.3f} in wide, room for {size:.1f} pt "
                       f"type between its folds, under {MIN_SPINE_TEXT_PT:.0f} pt")
    return True, f"{pages} pages: spine text printed at {size:.1f} pt on a spine {spine:.3f} in wide"


def padded_page_count(p: Printer, pages: int, last_page_blank: bool = False) -> int:
    """The page count after the blank pages the printer wants are added at the end: at least its
    minimum, even (a leaf has two sides), and a blank last page where the printer asks for one."""
    count = max(pages, p.min_pages)
    if p.last_page_blank and not last_page_blank and count == pages:
        count += 1
    return count + count % 2


def min_margins(p: Printer, bleed: bool) -> float:
    """The least top, bottom and outside margin."""
    return p.min_outside_bleed if bleed else p.min_outside


@dataclass(frozen=True)
class Bleed:
    """How far an interior page with bleed reaches past its trim on each edge, in inches."""

    top: float
    bottom: float
    outside: float
    inside: float


def interior_bleed(p: Printer) -> Bleed:
    """KDP and IngramSpark: top, bottom and the outside edge; Lulu: every edge, the gutter's too."""
    return Bleed(p.bleed, p.bleed, p.bleed, p.bleed if p.bleed_inside else 0.0)


def _same(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return abs(a[0] - b[0]) <= TRIM_TOLERANCE and abs(a[1] - b[1]) <= TRIM_TOLERANCE


def check_trim(p: Printer, paper_name: str, width_in: float, height_in: float) -> str | None:
    """None when the printer offers this trim on this paper, else a message saying what it offers."""
    offered = paper(p, paper_name)
    if any(_same((width_in, height_in), t) for t in offered.trims):
        return None
    if p.custom_trim:
        (wmin, wmax), (hmin, hmax) = p.custom_trim
        if wmin <= width_in <= wmax and hmin <= height_in <= hmax:
            return None
    sizes = ", ".join(f"{w:g} x {h:g}" for w, h in offered.trims)
    custom = (f"; or any width {p.custom_trim[0][0]:g}-{p.custom_trim[0][1]:g} in and height "
              f"{p.custom_trim[1][0]:g}-{p.custom_trim[1][1]:g} in") if p.custom_trim else ""
    return (f"{p.label} does not print {width_in:g} x {height_in:g} in on {offered.label}: "
            f"it offers {sizes} in{custom}")


def page_limits(p: Printer, paper_name: str, width_in: float | None = None,
                height_in: float | None = None) -> tuple[int, int]:
    """The fewest and most pages the printer binds on this paper (and trim, where that matters)."""
    offered = paper(p, paper_name)
    most = offered.max_pages
    if width_in is not None and height_in is not None:
        for trim, limit in offered.max_pages_by_trim.items():
            if _same((width_in, height_in), trim):
                most = limit
    return offered.min_pages, most


def check_page_count(p: Printer, paper_name: str, pages: int, width_in: float | None = None,
                     height_in: float | None = None) -> str | None:
    least, most = page_limits(p, paper_name, width_in, height_in)
    if least <= pages <= most:
        return None
    return f"{p.label} binds {least} to {most} pages on {paper(p, paper_name).label}, not {pages}"
