"""Limits on what one book may ask of the build, checked before the expensive step, in one pass over
the text. Each has a default that every real book stays under and an environment variable to raise
it for trusted books (README, "Limits"; SECURITY.md)."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

from bookmaker import codes
from bookmaker.errors import Problems


@dataclass(frozen=True)
class Limit:
    env: str
    default: int
    what: str  # "levels of nesting", as the message says it

    def value(self, problems: Problems) -> int:
        raw = os.environ.get(self.env, "").strip()
        if not raw:
            return self.default
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not (math.isfinite(number) and number >= 1):
            problems.error(self.env, 1, f"must be a whole number of {self.what} above 0, such as {self.default}, "
                           f"not '{raw}'", codes.BAD_SETTING)
            return self.default
        return int(number)


DEPTH = Limit("BOOKMAKER_MAX_DEPTH", 100, "levels of nesting")
TABLE_CELLS = Limit("BOOKMAKER_MAX_TABLE_CELLS", 30_000, "table cells in a chapter")
INLINE = Limit("BOOKMAKER_MAX_INLINE", 40_000, "inline marks in a chapter")
CHAPTERS = Limit("BOOKMAKER_MAX_CHAPTERS", 5_000, "chapters")
# A 1-million-word serial is about 3,500 pages at 6 x 9 in: checked by the PDF writer (pdf/pagelimit.py).
PAGES = Limit("BOOKMAKER_MAX_PAGES", 20_000, "pages")


@dataclass(frozen=True)
class Limits:
    depth: int = DEPTH.default
    table_cells: int = TABLE_CELLS.default
    inline: int = INLINE.default
    chapters: int = CHAPTERS.default
    pages: int = PAGES.default

    @classmethod
    def from_env(cls, problems: Problems) -> Limits:
        return cls(*(limit.value(problems) for limit in (DEPTH, TABLE_CELLS, INLINE, CHAPTERS, PAGES)))


# One level of nesting each: four columns of indentation (a list inside a list, Python-Markdown's
# tab), a '>' quote marker, an HTML element opened and not closed.
LINE_PREFIX = re.compile(r"[ \t>]*")
TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^<>]*?(/?)>")
# Elements the HTML parser closes by itself, or that hold nothing: they do not nest.
NOT_NESTING = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
               "p", "li", "dt", "dd", "tr", "td", "th", "option", "colgroup", "thead", "tbody", "tfoot"}
INLINE_MARKS = re.compile(r"[*_`~\[<]")
CELL_MARKS = re.compile(r"\||<t[dh]\b", re.I)


def scan_text(text: str, shown: str, problems: Problems, limits: Limits, first_line: int = 1) -> bool:
    """Whether `text` (Markdown with raw HTML) stays within the limits; a problem naming the first line
    past each one if not. Linear in the text: each line is looked at once, each tag once."""
    ok = True
    html_depth = 0
    cells = marks = 0
    deep_line = cells_line = marks_line = None
    for number, line in enumerate(text.split("\n"), start=first_line):
        prefix = LINE_PREFIX.match(line).group(0)
        depth = prefix.expandtabs(4).count(" ") // 4 + prefix.count(">")
        if "<" in line:
            for tag in TAG.finditer(line):
                name = tag.group(2).lower()
                if name in NOT_NESTING or tag.group(3):
                    continue
                html_depth = max(0, html_depth + (-1 if tag.group(1) else 1))
                depth = max(depth, html_depth)
        if depth > limits.depth and deep_line is None:
            deep_line = number
        if "|" in line or "<t" in line or "<T" in line:
            cells += len(CELL_MARKS.findall(line))
            if cells > limits.table_cells and cells_line is None:
                cells_line = number
        marks += len(INLINE_MARKS.findall(line))
        if marks > limits.inline and marks_line is None:
            marks_line = number
    if deep_line is not None:
        ok = False
        problems.error(shown, deep_line, f"nested more than {limits.depth} levels deep (lists, quotes or HTML): too "
                       f"deep to typeset; flatten it ({DEPTH.env} raises the limit)", codes.TOO_DEEP)
    if cells_line is not None:
        ok = False
        problems.error(shown, cells_line, f"more than {limits.table_cells:,} table cells in this chapter: split the "
                       f"table, or the chapter ({TABLE_CELLS.env} raises the limit)", codes.TOO_LARGE)
    if marks_line is not None:
        ok = False
        problems.error(shown, marks_line, f"more than {limits.inline:,} inline marks (* _ ` ~ [ <) in this chapter: "
                       f"split the chapter ({INLINE.env} raises the limit)", codes.TOO_LARGE)
    return ok
