"""Word counts and reading time, per chapter and in total, as fan-fiction archives show them."""

from __future__ import annotations

import json
import math
import unicodedata

from bookmaker.load import load_book
from bookmaker.render import render_book

WORDS_PER_MINUTE = 238  # a common estimate for silent reading of fiction in English


def reading_minutes(words: int) -> int:
    return max(1, math.ceil(words / WORDS_PER_MINUTE)) if words else 0


def reading_time(words: int) -> str:
    hours, minutes = divmod(reading_minutes(words), 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def stats_rows(project: str) -> list[tuple[str, str, int, str]]:
    rendered = render_book(load_book(project, keep_going=True))
    pages = [p for p in rendered.pages if p.kind == "chapter"]
    rows = [(str(i), page.title, words, reading_time(words))
            for i, (page, words) in enumerate(zip(pages, rendered.chapter_words), start=1)]
    rows.append(("", "Total", rendered.word_count, reading_time(rendered.word_count)))
    return rows


def columns(text: str) -> int:
    """How many columns a terminal gives `text`: none to a joiner or a combining mark (Standard Ebooks'
    "word\u2060—" in a title put its row's counts a column left), two to a wide character (Chinese)."""
    width = 0
    for c in text:
        if unicodedata.category(c) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
    return width


def stats_table(project: str) -> str:
    rows = stats_rows(project)
    header = ("#", "Chapter", "Words", "Reading time")
    width = max(columns(header[1]), *(columns(r[1]) for r in rows))

    def padded(title: str) -> str:
        return title + " " * (width - columns(title))

    lines = [f"{header[0]:>3}  {padded(header[1])}  {header[2]:>9}  {header[3]}"]
    lines.append("-" * len(lines[0]))
    for number, title, words, time in rows:
        if title == "Total":
            lines.append("-" * len(lines[0]))
        lines.append(f"{number:>3}  {padded(title)}  {words:>9,}  {time}")
    return "\n".join(lines)


def stats_json(project: str) -> str:
    """The same counts as one JSON object, for scripts: each chapter's number, title, words and reading
    time in minutes, then the book's."""
    rows = stats_rows(project)
    chapters = [{"number": int(number), "title": title, "words": words, "reading_minutes": reading_minutes(words)}
                for number, title, words, _ in rows[:-1]]
    total = rows[-1][2]
    return json.dumps({"chapters": chapters, "words": total, "reading_minutes": reading_minutes(total)},
                      ensure_ascii=False, indent=2)
