"""The theme's stylesheets as each writer uses them, read and checked once with the book."""

from __future__ import annotations

from bookmaker.errors import BookmakerError
from bookmaker.load.theme import epub_stylesheet, print_stylesheet
from bookmaker.model import Book, Stylesheet

# How the print layout names the book's files (pictures, fonts): the same in every folder and on every
# machine, and the only URLs it may fetch.
PRINT_SCHEME = "bookmaker:"


def rendered_styles(book: Book) -> tuple[Stylesheet, Stylesheet]:
    """(epub.css, print.css); a stylesheet that cannot be used carries its problems, for the writer
    that needs it to raise: a broken print.css never stops an EPUB."""
    out = []
    for read in (epub_stylesheet, lambda b: print_stylesheet(b, PRINT_SCHEME)):
        try:
            text, files = read(book)
        except BookmakerError as exc:
            out.append(Stylesheet("", (), tuple(exc.problems)))
        else:
            out.append(Stylesheet(text, files))
    return out[0], out[1]
