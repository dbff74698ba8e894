"""Stage 3, the EPUB writer: RenderedBook → .epub. The only package that imports ebooklib.

Takes a RenderedBook and nothing else; gives a reproducible EPUB 3 (writer.py), zipped with fixed order
and dates (ziparchive.py).
"""

from bookmaker.epub.writer import write_epub, write_kepub

__all__ = ["write_epub", "write_kepub"]
