"""Every private part of fontTools that bookmaker touches, in one place (the font merge, fonts.py).

Merging hundreds of font subsets is fast only when glyphs are moved as stored, never decompiled:

- `TTFont.reader[tag]`: a table's raw bytes (loca, glyf, hmtx), read without decompiling the table;
- `fontTools.ttLib.tables._g_l_y_f.Glyph(data)`: a glyph made from its stored bytes;
- `table__g_l_y_f.glyphs` and `table__h_m_t_x.metrics`: the dicts of glyphs and metrics, written into.

Verified on fontTools 4.50 to 4.68. On another major version `verified()` is false and the book is laid
out as one document, which merges no fonts.
"""

from __future__ import annotations

from importlib import metadata

VERIFIED = ("4.",)


def version() -> str:
    return metadata.version("fonttools")


def verified() -> bool:
    return version().startswith(VERIFIED)


def raw_table(font, tag: str) -> bytes:
    return font.reader[tag]


def set_glyph(font, name: str, data: bytes, metrics: tuple[int, int]) -> None:
    from fontTools.ttLib.tables._g_l_y_f import Glyph  # here: checking the version imports no fontTools

    font["glyf"].glyphs[name] = Glyph(data)
    font["hmtx"].metrics[name] = metrics
