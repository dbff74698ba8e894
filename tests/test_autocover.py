import io
from pathlib import Path

import fontpkg_spectral
import pytest
from PIL import Image, ImageFont

from bookmaker.render.autocover import HEIGHT, WIDTH, balanced_lines, curly, draw_cover, font_files

FONTS = Path(fontpkg_spectral.ROOT) / "files"


def cover(**changes) -> bytes:
    args = {"title": "The Lamplighter's Almanac", "subtitle": "A Harbour Lights Story", "authors": ["Wren Halloway"],
            "series_line": "Harbour Lights \u00b7 Book 1", "font_dir_or_files": FONTS, **changes}
    return draw_cover(**args)


def test_cover_is_a_1600_by_2560_png_with_pixels_only():
    data = cover()
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == (WIDTH, HEIGHT) == (1600, 2560) and image.mode == "RGB"
    assert not image.info.keys() - {"dpi", "gamma"}  # no text chunks, no time
    assert b"tIME" not in data and b"tEXt" not in data and b"iTXt" not in data


def test_same_book_same_bytes_and_different_books_differ():
    assert cover() == cover()
    assert cover(title="Another Book") != cover()
    assert cover(series_line=None) != cover()


@pytest.mark.parametrize("changes", [
    {"subtitle": None, "series_line": None},
    {"title": "What the Almanac Said About the Weather on the Night the Last Lamp Went Out"},
    {"title": "Pneumonoultramicroscopicsilicovolcanoconiosis"},
    {"authors": ["Arthur Conan Doyle", "Wren Halloway", "Ottilie Marsh"]},
    {"authors": "Colette", "subtitle": "Being an Account of a Long Winter Spent Among the Keepers of the Coast"},
])
def test_awkward_books_still_draw(changes):
    image = Image.open(io.BytesIO(cover(**changes)))
    assert image.size == (WIDTH, HEIGHT)


def test_text_is_inked_on_the_ground():
    image = Image.open(io.BytesIO(cover())).convert("L")
    top = image.crop((200, 200, 1400, 400)).getextrema()
    title = image.crop((170, 600, 1430, 1400)).getextrema()
    assert title[1] - title[0] > 120  # light ink on a dark ground
    assert top[1] - top[0] > 40  # the series line


def test_balanced_lines_even_out_a_long_title():
    font = ImageFont.truetype(str(FONTS / "Spectral-SemiBold.ttf"), 100)
    words = "What the Almanac Said About the Weather".split()
    lines = balanced_lines(words, font.getlength, 1000, 5)
    assert " ".join(lines) == " ".join(words)
    widths = [font.getlength(line) for line in lines]
    assert max(widths) <= 1000 and max(widths) - min(widths) < 400
    assert balanced_lines(["a"], font.getlength, 1, 3) is None
    assert balanced_lines([], font.getlength, 10, 1) == []


def test_faces_found_by_style_and_quotes_curled():
    faces = font_files(FONTS)
    assert faces["title"].name == "Spectral-SemiBold.ttf" and faces["subtitle"].name == "Spectral-Italic.ttf"
    assert font_files([FONTS / "Spectral-Regular.ttf"])["title"].name == "Spectral-Regular.ttf"
    assert curly("Ottilie's \"odd\" 'lamp'") == "Ottilie\u2019s \u201codd\u201d \u2018lamp\u2019"


@pytest.mark.parametrize("changes", [
    {"title": " ".join(["Word"] * 200)},  # the line breaking measured every span of words: 54 s
    {"title": "w" * 100_000},  # drawn on one line: a picture Pillow refused as a bomb (a traceback)
    {"subtitle": " ".join(["word"] * 1500), "authors": ["A" * 5000]},
])
def test_a_cover_shows_at_most_a_title_not_a_page(changes):
    """A security review: `cover: auto` with a 200-word title took 54 s to build, and one 100,000-character
    word ended the build with a traceback. A cover shows at most SHOWN_CHARACTERS of each text, filled into
    its lines at the smallest size, and cut with an ellipsis."""
    import time

    start = time.perf_counter()
    picture = Image.open(io.BytesIO(cover(**changes)))
    assert picture.size == (WIDTH, HEIGHT) and time.perf_counter() - start < 20
