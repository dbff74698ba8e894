"""Characters the bundled typeface lacks. WeasyPrint sets each in whatever face on the machine has it (the
Greek of Standard Ebooks' Devil's Dictionary came out in DejaVu Serif Italic among Spectral): a change
of face a reader of the printed page sees, and one that depends on the machine that built the book.
Found in the chapters' text, before any layout, so that `check` says it as `pdf` does."""

from __future__ import annotations

import functools
import unicodedata

from bookmaker import codes
from bookmaker.errors import Problem
from bookmaker.load.theme import own_stylesheet_text
from bookmaker.model import Book, Chapter
from bookmaker.pdf.typesetting import LONG_DASHES
from bookmaker.render.source import without_code

# Controls, format characters (a word joiner, a soft hyphen) and spaces draw no glyph of their own.
NO_GLYPH = {"Cc", "Cf", "Zs", "Zl", "Zp"}
SHOWN = 6  # characters a warning names
LONG_DASHES_CHARS = {chr(code) for code in LONG_DASHES}  # set as em dashes in print (typesetting.py)


@functools.lru_cache(maxsize=1)
def bundled_characters() -> frozenset[int]:
    """The code points the bundled face has (its four styles have the same)."""
    from fontTools.ttLib import TTFont

    from bookmaker.pdf.layout import font_files

    regular = next(path for url, path in font_files().items() if url.endswith("-Regular.ttf"))
    return frozenset(TTFont(regular, lazy=True).getBestCmap())


def uncovered(book: Book) -> list[Problem]:
    """A warning for each chapter with characters the bundled face lacks, at the first line that has one;
    none where the project's own print.css names its faces."""
    if own_stylesheet_text(book, "print.css") is not None:
        return []
    problems = []
    for chapter in book.chapters:
        missing = lacking(chapter_text(chapter))
        if missing:
            problems.append(Problem(chapter.display_path, first_line(chapter, missing), message(missing), "warning",
                                    codes.MISSING_GLYPHS))
    return problems


def chapter_text(chapter: Chapter) -> str:
    return "\n".join(t for t in (chapter.title, chapter.summary, chapter.notes, chapter.end_notes, chapter.body) if t)


@functools.lru_cache(maxsize=256)  # watch: an unchanged chapter's text is looked up, not read again
def lacking(text: str) -> tuple[str, ...]:
    have = bundled_characters()
    odd = {c for c in set(text) - LONG_DASHES_CHARS if ord(c) not in have and unicodedata.category(c) not in NO_GLYPH}
    return tuple(sorted(odd & set(without_code(text)))) if odd else ()  # code (in monospace) looked for only here


def first_line(chapter: Chapter, missing: tuple[str, ...]) -> int:
    for number, line in enumerate(without_code(chapter.body).split("\n")):
        if any(c in line for c in missing):
            return chapter.body_line + number
    return chapter.front_matter_line  # in the title, summary or notes


def message(missing: tuple[str, ...]) -> str:
    named = ", ".join(f"'{c}' (U+{ord(c):04X})" for c in missing[:SHOWN])
    more = f" and {len(missing) - SHOWN} more" if len(missing) > SHOWN else ""
    return (f"{named}{more} not in the book's typeface, Spectral: the PDF sets "
            f"{'them' if len(missing) > 1 else 'it'} in another face, whichever this machine has; a styles/print.css "
            "of your own can name a face that has them")
