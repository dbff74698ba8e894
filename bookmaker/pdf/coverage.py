"""Characters the bundled typeface lacks. WeasyPrint sets each in whatever face on the machine has it (the
Greek of Standard Ebooks' Devil's Dictionary came out in DejaVu Serif Italic among Spectral): a change
of face a reader of the printed page sees, and one that depends on the machine that built the book.
Found in the chapters' text, before any layout, so that `check` says it as `pdf` does."""

from __future__ import annotations

import bisect
import functools
import subprocess
import unicodedata

from bookmaker import codes
from bookmaker.errors import Problem
from bookmaker.load.theme import own_stylesheet_text
from bookmaker.model import Book, Chapter
from bookmaker.pdf.typesetting import SUBSTITUTES
from bookmaker.render.source import without_code

# Controls, format characters (a word joiner, a soft hyphen) and spaces draw no glyph of their own.
NO_GLYPH = {"Cc", "Cf", "Zs", "Zl", "Zp"}
SHOWN = 6  # characters a warning names
SUBSTITUTED = {chr(code) for code in SUBSTITUTES}  # set with other characters in print (typesetting.py)


@functools.lru_cache(maxsize=1)
def bundled_characters() -> frozenset[int]:
    """The code points the bundled face has (its four styles have the same)."""
    from fontTools.ttLib import TTFont

    from bookmaker.pdf.layout import font_files

    regular = next(path for url, path in font_files().items() if url.endswith("-Regular.ttf"))
    return frozenset(TTFont(regular, lazy=True).getBestCmap())


def uncovered(book: Book) -> list[Problem]:
    """A warning for each chapter, and for book.yaml, with characters the bundled face lacks, at the first
    line that has one: one for those another face on this machine has, one for those none has; none
    where the project's own print.css names its faces."""
    problems = []
    for shown, line_of, elsewhere, nowhere in lacking_by_place(book):
        for chars, said in ((elsewhere, message), (nowhere, nowhere_message)):
            if chars:
                problems.append(Problem(shown, line_of(chars), said(chars), "warning", codes.MISSING_GLYPHS))
    return problems


def blank_characters(book: Book) -> tuple[str, ...]:
    """The characters no face on this machine has, anywhere in the book: the PDF prints blanks for them."""
    return tuple(sorted({c for _, _, _, nowhere in lacking_by_place(book) for c in nowhere}))


def lacking_by_place(book: Book):
    """(file as shown, its line of some characters, those the bundled face lacks that another face here
    has, those no face has) for book.yaml and each chapter; nothing where the project's own print.css
    names its faces."""
    if own_stylesheet_text(book, "print.css") is not None:
        return
    meta = book.metadata
    book_text = "\n".join(t for t in (meta.title, meta.subtitle, *meta.authors, meta.summary, meta.notes, meta.end_notes,
                                      meta.dedication, meta.publisher, meta.rights, meta.series and meta.series.name,
                                      *(group or "" for group, _ in meta.tags), *meta.subjects) if t)
    # book.yaml's texts (a tag in Japanese, an emoji in the summary) are on the title, about and contents
    # pages: said at the first line of book.yaml that has one.
    places = [(book.display(book.manuscript / "book.yaml"), book_text, yaml_line(book))]
    places += [(chapter.display_path, chapter_text(chapter), functools.partial(first_line, chapter))
               for chapter in book.chapters]
    for shown, text, line_of in places:
        missing = lacking(text)
        elsewhere = tuple(c for c in missing if on_this_machine(c))
        yield shown, line_of, elsewhere, tuple(c for c in missing if c not in elsewhere)


def yaml_line(book: Book):
    """The first line of the book's book.yaml that holds one of some characters (1 if it cannot be read)."""
    def line_of(chars: tuple[str, ...]) -> int:
        try:
            lines = (book.manuscript / "book.yaml").read_text(encoding="utf-8-sig").split("\n")
        except (OSError, UnicodeDecodeError):
            return 1
        return next((n for n, line in enumerate(lines, 1) if any(c in line for c in chars)), 1)
    return line_of


@functools.lru_cache(maxsize=1)
def machine_ranges() -> tuple[list[int], list[int]] | None:
    """The code points some face on this machine has, as fontconfig lists them (`fc-list`, each face's
    charset: hexadecimal ranges), merged into sorted ranges (their starts, their ends); None where
    fontconfig cannot be asked (every character is then taken to be somewhere)."""
    try:
        listed = subprocess.run(["fc-list", "--format", "%{charset}\n"], capture_output=True, text=True,
                                timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    ranges = []
    for token in listed.split():
        first, _, last = token.partition("-")
        try:
            ranges.append((int(first, 16), int(last or first, 16)))
        except ValueError:
            continue
    starts: list[int] = []
    ends: list[int] = []
    for start, end in sorted(ranges):
        if ends and start <= ends[-1] + 1:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def on_this_machine(char: str) -> bool:
    """Whether some face on this machine has `char` (WeasyPrint sets it in that face)."""
    ranges = machine_ranges()
    if ranges is None:
        return True
    starts, ends = ranges
    i = bisect.bisect_right(starts, ord(char)) - 1
    return i >= 0 and ord(char) <= ends[i]


def chapter_text(chapter: Chapter) -> str:
    return "\n".join(t for t in (chapter.title, chapter.summary, chapter.notes, chapter.end_notes, chapter.body) if t)


@functools.lru_cache(maxsize=256)  # watch: an unchanged chapter's text is looked up, not read again
def lacking(text: str) -> tuple[str, ...]:
    have = bundled_characters()
    odd = {c for c in set(text) - SUBSTITUTED if ord(c) not in have and unicodedata.category(c) not in NO_GLYPH}
    return tuple(sorted(odd & set(without_code(text)))) if odd else ()  # code (in monospace) looked for only here


def first_line(chapter: Chapter, missing: tuple[str, ...]) -> int:
    for number, line in enumerate(without_code(chapter.body).split("\n")):
        if any(c in line for c in missing):
            return chapter.body_line + number
    return chapter.front_matter_line  # in the title, summary or notes


def named(missing: tuple[str, ...]) -> str:
    shown = ", ".join(f"'{c}' (U+{ord(c):04X})" for c in missing[:SHOWN])
    return shown + (f" and {len(missing) - SHOWN} more" if len(missing) > SHOWN else "")


def nowhere_message(missing: tuple[str, ...]) -> str:
    return (f"{named(missing)} in no typeface on this machine: the PDF leaves a blank space in place of "
            f"{'each' if len(missing) > 1 else 'it'}; install a font that has "
            f"{'them' if len(missing) > 1 else 'it'} (for Chinese, Japanese or Korean, Noto Sans CJK), "
            "or name one in a styles/print.css of your own")


def message(missing: tuple[str, ...]) -> str:
    return (f"{named(missing)} not in the book's typeface, Spectral: the PDF sets "
            f"{'them' if len(missing) > 1 else 'it'} in another face, whichever this machine has; a styles/print.css "
            "of your own can name a face that has them")
