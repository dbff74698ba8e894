"""Regenerates the sample book's images (manuscript/images/cover.png and map.png) with Pillow.

    python bench/make_sample_images.py

Deterministic: the same script gives the same pictures, so the sample book's artifacts stay reproducible.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import fontpkg_spectral
from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
IMAGES = HERE.parent / "manuscript" / "images"
FONTS = Path(fontpkg_spectral.ROOT) / "files"


def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / f"Spectral-{name}.ttf"), size)


def centred(draw: ImageDraw.ImageDraw, y: int, text: str, face, fill, width: int) -> int:
    box = draw.textbbox((0, 0), text, font=face)
    draw.text(((width - (box[2] - box[0])) / 2 - box[0], y), text, font=face, fill=fill)
    return y + (box[3] - box[1])


def cover() -> None:
    width, height = 1600, 2560
    night, sea, cream, amber = (22, 33, 52), (31, 58, 82), (242, 232, 210), (245, 190, 90)
    img = Image.new("RGB", (width, height), night)
    draw = ImageDraw.Draw(img)
    rng = random.Random(7)
    for _ in range(140):  # stars
        x, y, r = rng.randrange(width), rng.randrange(1500), rng.choice((2, 2, 3, 4))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(220, 225, 240))
    draw.rectangle((0, 1850, width, height), fill=sea)
    for i in range(18):  # swell
        y = 1880 + i * 38
        draw.line([(x, y + 10 * math.sin(x / 90 + i)) for x in range(0, width + 20, 20)], fill=(52, 84, 110), width=4)
    # The point, and a lamp with no tower: a beam across the water.
    draw.polygon([(900, 1850), (1600, 1720), (1600, 1850)], fill=(14, 20, 30))
    beam = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(beam).polygon([(1230, 1700), (0, 1420), (0, 1680)], fill=(245, 200, 110, 70))
    img = Image.alpha_composite(img.convert("RGBA"), beam).convert("RGB")
    draw = ImageDraw.Draw(img)
    draw.ellipse((1195, 1665, 1265, 1735), fill=amber)
    draw.rectangle((110, 110, width - 110, height - 110), outline=cream, width=6)
    y = centred(draw, 330, "The Lamplighter’s", font("Regular", 150), cream, width)
    y = centred(draw, y + 60, "Almanac", font("Bold", 210), amber, width)
    centred(draw, y + 90, "A Harbour Lights Story", font("Italic", 80), cream, width)
    centred(draw, 2240, "WREN HALLOWAY", font("Regular", 92), cream, width)
    img.save(IMAGES / "cover.png", optimize=True)


def map_image() -> None:
    width, height = 1200, 750
    paper, ink, water, land = (244, 236, 214), (60, 48, 38), (190, 211, 214), (224, 212, 180)
    img = Image.new("RGB", (width, height), water)
    draw = ImageDraw.Draw(img)
    rng = random.Random(3)
    coast = [(0, 0), (430, 0)] + [(430 + 30 * math.sin(y / 60) + rng.randint(-6, 6), y)
                                  for y in range(0, height + 1, 25)] + [(0, height)]
    draw.polygon(coast, fill=land, outline=ink)
    draw.line([(455, 380), (1000, 330)], fill=(150, 140, 120), width=22)  # the causeway
    draw.polygon([(960, 300), (1110, 270), (1140, 350), (1000, 390)], fill=land, outline=ink)  # the point
    draw.ellipse((1020, 300, 1080, 360), outline=ink, width=5)  # the ring of stones
    for x in range(80, 400, 70):  # Gull Street's lamps
        draw.ellipse((x, 200, x + 14, 214), fill=(230, 160, 60), outline=ink)
    draw.rectangle((0, 0, width - 1, height - 1), outline=ink, width=6)
    label = font("Italic", 40)
    draw.text((90, 140), "Gull Street", font=label, fill=ink)
    draw.text((110, 430), "Harbour town", font=label, fill=ink)
    draw.text((600, 390), "the causeway", font=label, fill=ink)
    draw.text((930, 200), "Gull Point", font=font("Bold", 44), fill=ink)
    draw.text((600, 620), "the harbour", font=label, fill=(70, 90, 100))
    draw.text((width - 120, height - 110), "N", font=font("Bold", 50), fill=ink)
    draw.polygon([(width - 104, height - 130), (width - 92, height - 170), (width - 80, height - 130)], fill=ink)
    img.paste(Image.new("RGB", (width, 8), paper), (0, height - 8))
    img.save(IMAGES / "map.png", optimize=True)


if __name__ == "__main__":
    IMAGES.mkdir(parents=True, exist_ok=True)
    cover()
    map_image()
    print(IMAGES / "cover.png", IMAGES / "map.png")
