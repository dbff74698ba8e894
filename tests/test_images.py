"""Pictures too large for a book (or made to exhaust memory when drawn) are refused by their header,
with their size, before anything decodes them."""

from __future__ import annotations

import struct
import zlib

import pytest

from conftest import run_cli


def header_only_png(path, width: int, height: int) -> None:
    """A PNG of a few bytes that claims to be width x height: what a decompression bomb looks like."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


@pytest.mark.parametrize(("width", "height"), [(40000, 40000), (9600, 9600)])
@pytest.mark.parametrize("fmt", ["epub", "pdf"])
def test_a_picture_over_the_pixel_limit_is_refused(tmp_path, fmt, width, height):
    (tmp_path / "manuscript").mkdir()
    (tmp_path / "manuscript" / "book.yaml").write_text("title: T\nauthor: A\n", encoding="utf-8")
    (tmp_path / "manuscript" / "1.md").write_text("Text.\n\n![A vast map](map.png)\n", encoding="utf-8")
    header_only_png(tmp_path / "manuscript" / "map.png", width, height)
    result = run_cli(fmt, tmp_path, "-o", tmp_path / f"b.{fmt}")
    assert (result.returncode, result.stderr) == (1, f"{tmp_path}/manuscript/1.md:3: image 'map.png' is "
                                                     f"{width}x{height} pixels, over the 40 megapixel limit; scale "
                                                     "it down (2560 pixels on the long side is plenty for any "
                                                     "e-reader)\n")


def test_a_stylesheet_picture_is_checked_as_the_texts_pictures_are(tmp_path):
    (tmp_path / "manuscript").mkdir()
    (tmp_path / "manuscript" / "book.yaml").write_text("title: T\nauthor: A\n", encoding="utf-8")
    (tmp_path / "manuscript" / "1.md").write_text("Text.\n", encoding="utf-8")
    (tmp_path / "styles").mkdir()
    (tmp_path / "styles" / "epub.css").write_text("p { margin: 0; }\nbody { background: url(paper.png); }\n",
                                                  encoding="utf-8")
    header_only_png(tmp_path / "styles" / "paper.png", 40000, 40000)
    result = run_cli("epub", tmp_path, "-o", tmp_path / "b.epub")
    assert (result.returncode, result.stderr) == (1, f"{tmp_path}/styles/epub.css:2: file 'paper.png' is 40000x40000 "
                                                     "pixels, over the 40 megapixel limit; scale it down (2560 pixels "
                                                     "on the long side is plenty for any e-reader)\n")
    assert not (tmp_path / "b.epub").exists()
