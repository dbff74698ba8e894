"""`cover: auto`: a typographic cover drawn from the title, subtitle, authors and series.

1600 x 2560 pixels (the 1:1.6 ratio stores recommend), set in the book's typeface on a deep,
slightly graded ground with a fine inset frame. The ground's colour is picked from a small palette
by the title, so a series gets different covers without anyone choosing. The PNG holds pixels only
(no time, no text chunks), so the same book gives the same bytes on every build.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1600, 2560
MARGIN = 170  # text keeps this far from the edges
FRAME = 64  # the inset frame's distance from the edges
TITLE_SIZES = range(210, 89, -6)  # largest first: the title takes the largest size that fits
MAX_TITLE_LINES = 5

# (ground at the top, ground at the bottom, ink): deep grounds, warm light ink.
PALETTE = (
    ((27, 45, 72), (14, 24, 42), (236, 214, 170)),     # harbour navy, brass
    ((22, 64, 63), (11, 36, 38), (232, 220, 190)),     # deep teal, parchment
    ((94, 30, 36), (56, 15, 21), (240, 216, 176)),     # oxblood, cream
    ((36, 58, 40), (18, 33, 22), (226, 212, 164)),     # forest, straw
    ((52, 38, 66), (28, 19, 40), (234, 216, 186)),     # plum, ivory
    ((44, 44, 48), (22, 22, 25), (225, 196, 140)),     # charcoal, gold
)

STYLES = {"title": ("SemiBold", "Regular"), "subtitle": ("Italic", "LightItalic", "Regular"),
          "caps": ("Medium", "Regular")}


def font_files(font_dir_or_files: str | Path | Sequence[str | Path]) -> dict[str, Path]:
    """The face for each role, from a folder of a family's TTF/OTF files or a list of them, picked
    by the style at the end of each file name (`Spectral-SemiBold.ttf`); the regular face, or else
    the first file, serves any role without its own."""
    if isinstance(font_dir_or_files, (str, Path)) and Path(font_dir_or_files).is_dir():
        files = sorted(p for p in Path(font_dir_or_files).iterdir() if p.suffix.lower() in (".ttf", ".otf"))
    elif isinstance(font_dir_or_files, (str, Path)):
        files = [Path(font_dir_or_files)]
    else:
        files = [Path(f) for f in font_dir_or_files]
    if not files:
        raise ValueError(f"no font files in {font_dir_or_files}")
    by_style = {p.stem.rsplit("-", 1)[-1].lower(): p for p in files}
    fallback = by_style.get("regular", files[0])
    return {role: next((by_style[s.lower()] for s in styles if s.lower() in by_style), fallback)
            for role, styles in STYLES.items()}


def balanced_lines(words: list[str], width_of, max_width: float, max_lines: int) -> list[str] | None:
    """The words in the fewest lines that fit `max_width`, broken so the lines are as even as they
    can be (the longest line as short as possible); None when they do not fit in `max_lines`."""
    n = len(words)
    if n == 0:
        return []
    widths = {(i, j): width_of(" ".join(words[i:j])) for i in range(n) for j in range(i + 1, n + 1)}
    for count in range(1, min(max_lines, n) + 1):
        # best[k][j]: (longest line, sum of squared slack, breaks) for words[:j] in k lines
        best: dict[tuple[int, int], tuple[float, float, tuple[int, ...]]] = {(0, 0): (0.0, 0.0, ())}
        for k in range(1, count + 1):
            for j in range(k, n + 1):
                options = []
                for i in range(k - 1, j):
                    if (k - 1, i) not in best or widths[(i, j)] > max_width:
                        continue
                    longest, slack, breaks = best[(k - 1, i)]
                    options.append((max(longest, widths[(i, j)]), slack + (max_width - widths[(i, j)]) ** 2,
                                    breaks + (j,)))
                if options:
                    best[(k, j)] = min(options)
        if (count, n) in best:
            breaks = (0,) + best[(count, n)][2]
            return [" ".join(words[a:b]) for a, b in zip(breaks, breaks[1:])]
    return None


def spaced_width(font: ImageFont.FreeTypeFont, text: str, tracking: float) -> float:
    return sum(font.getlength(c) for c in text) + tracking * max(0, len(text) - 1)


def draw_spaced(draw: ImageDraw.ImageDraw, centre_x: float, y: float, text: str, font, fill, tracking: float):
    """Letter-spaced capitals, centred on `centre_x`, the baseline at `y`."""
    x = centre_x - spaced_width(font, text, tracking) / 2
    for c in text:
        draw.text((x, y), c, font=font, fill=fill, anchor="ls")
        x += font.getlength(c) + tracking


def ground(top: tuple, bottom: tuple) -> Image.Image:
    """A vertical blend from `top` to `bottom`."""
    mask = Image.linear_gradient("L").resize((WIDTH, HEIGHT))
    return Image.composite(Image.new("RGB", (WIDTH, HEIGHT), bottom), Image.new("RGB", (WIDTH, HEIGHT), top), mask)


def fit_title(title: str, face: Path) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    words = title.split()
    for size in TITLE_SIZES:
        font = ImageFont.truetype(str(face), size)
        lines = balanced_lines(words, font.getlength, WIDTH - 2 * MARGIN, MAX_TITLE_LINES)
        if lines is not None:
            return font, lines
    # Too long for any size (a word too wide, or more words than the lines hold): the smallest size,
    # the words filled in line by line, the last line that fits ending in an ellipsis.
    font = ImageFont.truetype(str(face), TITLE_SIZES[-1])
    width = WIDTH - 2 * MARGIN
    lines: list[str] = []
    for word in words:
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        elif len(lines) < MAX_TITLE_LINES:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}"  # cut below
            break
    return font, [narrowed(line, font, width) for line in lines] or [title]


# What a cover shows of each text, at most, in characters: a title of 200 words took the line breaking
# (every span of words measured) 54 s, and one word of 100,000 characters drawn on one line made a
# picture Pillow refused as a decompression bomb (a traceback). A cover shows a title, not a page.
SHOWN_CHARACTERS = {"title": 160, "subtitle": 200, "author": 80, "series": 80}


def clipped(text: str, limit: int) -> str:
    """`text` cut after its last whole word within `limit` characters, an ellipsis after it."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip() + "…"


def narrowed(line: str, font: ImageFont.FreeTypeFont, width: float) -> str:
    """`line` cut to fit `width`, an ellipsis at its end: a word too long for the cover at any size."""
    while len(line) > 1 and font.getlength(line) > width:
        line = line[:-2].rstrip() + "…"
    return line


def curly(text: str) -> str:
    """Straight quotes as a typesetter sets them: an apostrophe in or after a word, quotes that open
    after a space and close before one."""
    text = re.sub(r"(^|[\s(\[])'", "\\1\u2018", text).replace("'", "\u2019")
    return re.sub(r'(^|[\s(\[])"', "\\1\u201c", text).replace('"', "\u201d")


def draw_cover(title: str, subtitle: str | None, authors: Sequence[str] | str, series_line: str | None,
               font_dir_or_files: str | Path | Sequence[str | Path]) -> bytes:
    """The cover as PNG bytes, 1600 x 2560."""
    faces = font_files(font_dir_or_files)
    title = curly(clipped(" ".join(title.split()), SHOWN_CHARACTERS["title"]))
    subtitle = curly(clipped(" ".join(subtitle.split()), SHOWN_CHARACTERS["subtitle"])) if subtitle else None
    authors = [clipped(a, SHOWN_CHARACTERS["author"]) for a in ([authors] if isinstance(authors, str) else authors)]
    series_line = clipped(series_line, SHOWN_CHARACTERS["series"]) if series_line else series_line
    digest = hashlib.sha256(title.encode("utf-8")).digest()
    top, bottom, ink = PALETTE[digest[0] % len(PALETTE)]
    dim = tuple(round(i * 0.62 + b * 0.38) for i, b in zip(ink, bottom))  # ink half sunk into the ground

    image = ground(top, bottom)
    draw = ImageDraw.Draw(image)
    draw.rectangle((FRAME, FRAME, WIDTH - FRAME - 1, HEIGHT - FRAME - 1), outline=dim, width=3)
    draw.rectangle((FRAME + 18, FRAME + 18, WIDTH - FRAME - 19, HEIGHT - FRAME - 19), outline=dim, width=1)
    centre = WIDTH / 2

    if series_line:
        caps = ImageFont.truetype(str(faces["caps"]), 46)
        text = " ".join(series_line.upper().split())
        while spaced_width(caps, text, 9) > WIDTH - 2 * MARGIN and caps.size > 26:
            caps = ImageFont.truetype(str(faces["caps"]), caps.size - 2)
        draw_spaced(draw, centre, 330, text, caps, dim, 9)

    title_font, lines = fit_title(" ".join(title.split()), faces["title"])
    leading = title_font.size * 1.12
    sub_font = ImageFont.truetype(str(faces["subtitle"]), 76)
    sub_lines = ([narrowed(line, sub_font, WIDTH - 2 * MARGIN) for line in
                  balanced_lines(subtitle.split(), sub_font.getlength, WIDTH - 2 * MARGIN, 3) or [subtitle]]
                 if subtitle else [])
    sub_leading = 96
    # The title block (title, rule, subtitle) sits with its centre a little above the page's.
    block = leading * len(lines) + (110 + sub_leading * len(sub_lines) if sub_lines else 0)
    y = HEIGHT * 0.44 - block / 2 + title_font.size * 0.8
    for line in lines:
        draw.text((centre, y), line, font=title_font, fill=ink, anchor="ms")
        y += leading
    rule_y = y - leading + title_font.size * 0.45 + 40
    draw.line((centre - 110, rule_y, centre + 110, rule_y), fill=dim, width=3)
    draw.regular_polygon((centre, rule_y, 11), 4, fill=dim)
    if sub_lines:
        y = rule_y + 50 + sub_font.size * 0.8
        for line in sub_lines:
            draw.text((centre, y), line, font=sub_font, fill=ink, anchor="ms")
            y += sub_leading

    if authors:
        names = [" ".join(a.split()).upper() for a in authors]
        caps = ImageFont.truetype(str(faces["caps"]), 72)
        rows = [" & ".join(names)]
        if spaced_width(caps, rows[0], 12) > WIDTH - 2 * MARGIN:
            rows = names  # one name a line, rather than all of them small
        while max(spaced_width(caps, r, 12) for r in rows) > WIDTH - 2 * MARGIN and caps.size > 36:
            caps = ImageFont.truetype(str(faces["caps"]), caps.size - 2)
        y = HEIGHT - 300 - (len(rows) - 1) * caps.size * 1.4
        for row in rows:
            draw_spaced(draw, centre, y, row, caps, ink, 12)
            y += caps.size * 1.4

    out = io.BytesIO()
    image.save(out, "PNG", optimize=False, compress_level=9)
    return out.getvalue()
