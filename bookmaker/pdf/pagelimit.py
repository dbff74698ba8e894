"""The limit on the pages one PDF lays out (`BOOKMAKER_MAX_PAGES`; README, "Limits"; SECURITY.md).

Checked three times, each before anything is written and as early as it can be known:

- before any layout, an estimate from the words and chapters of the rendered book, the trim, margins
  and type size: refused only when clearly over (more than OVER_ESTIMATE times the limit), since an
  estimate can be wrong both ways (pictures and tables take room words do not count);
- while the chapters are laid out in parallel, a running total as each chapter's pages are known: the
  chapters not yet handed out are never laid out;
- after a one-document layout, its pages, before the PDF is written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bookmaker import codes
from bookmaker.errors import BookmakerError, Problem, Problems
from bookmaker.load.limits import PAGES
from bookmaker.model import RenderedBook
from bookmaker.pdf import layout as L

OVER_ESTIMATE = 1.5  # the estimate refuses only a book this many times over the limit
# A word and its space, in ems: denser than prose sets in the theme (text of short, common English words
# lays out at about 2.4), so the estimate counts fewer pages than the layout will.
EMS_PER_WORD = 2.0
# likely_pages(): a word and its space, in ems, as the theme sets prose, and the lines a chapter's head
# takes besides its sinkage (title 2, the space after it 2, a label and its space 2). Counted this much
# high, since a guess too high costs a gutter one row wider (the printers' gutters are minimums) and a
# guess too low a second layout. Guessed against laid out for Lulu with a 0.5 in inside margin
# (bench/gutter.py, 2026-12-03): the sample 30 / 27 pages (a short book's front matter), Love Among the
# Chickens 200 / 196, The Adventures of Sherlock Holmes 346 / 329, the generated 100,000-word novel of
# dialogue 410 / 424, Leaves of Grass 660 / 652 (its words alone guessed 472: laid out twice, 2.36 times
# one layout).
LIKELY_EMS_PER_WORD = 2.4
CHAPTER_HEAD_LINES = 6
LIKELY_HIGH = 1.06


class PageLimit:
    """The limit, and the pages counted against it in one layout."""

    def __init__(self, rendered: RenderedBook, limit: int | None = None):
        self.rendered = rendered
        self.limit = max_pages() if limit is None else limit
        self.total = 0

    def where(self) -> str:
        return self.rendered.book.display(self.rendered.book.manuscript)

    def refuse(self, what: str) -> BookmakerError:
        return BookmakerError([Problem(self.where(), 1, f"{what}, over the limit of {self.limit:,} pages for one PDF: "
                                       f"split the book ({PAGES.env} raises the limit)", "error", codes.TOO_LARGE)])

    def check_estimate(self) -> None:
        """Before layout: refuse a book whose words alone clearly fill more pages than the limit."""
        pages = estimate(self.rendered)
        if pages > self.limit * OVER_ESTIMATE:
            book = self.rendered
            p = book.book.metadata.pdf
            raise self.refuse(f"{book.word_count:,} words in {len(book.chapter_words):,} chapters would fill "
                              f"about {pages:,} pages at {p.width} by {p.height}, {p.font_size} (before any layout)")

    def add(self, pages: int) -> None:
        """Count laid-out pages; past the limit, the error that stops the layout."""
        self.total += pages
        if self.total > self.limit:
            raise self.refuse(f"the layout reached {self.total:,} pages")


def max_pages() -> int:
    problems = Problems()
    limit = PAGES.value(problems)
    problems.check()
    return limit


def words_per_page(rendered: RenderedBook) -> float:
    """Somewhat more words than fit on a page of text: the baseline grid's lines, each as wide as the
    text block, of words EMS_PER_WORD wide."""
    p = rendered.book.metadata.pdf
    grid = L.Grid.of(rendered.book)
    width = L.points(p.width) - L.points(p.margin_inner) - L.points(p.margin_outer)
    per_line = max(1.0, width / (L.points(p.font_size) * EMS_PER_WORD))
    return grid.lines * per_line


def estimate(rendered: RenderedBook) -> int:
    """The pages the chapters take, counted low: each opens on a right-hand page, so takes an even number."""
    per_page = words_per_page(rendered)
    return sum(2 * math.ceil(max(1, math.ceil(words / per_page)) / 2) for words in rendered.chapter_words)


@dataclass(frozen=True)
class PrintedPage:
    """What likely_pages() counts on a printed page, whatever its measure: its kind, the lines the grid
    puts around its blocks, its pictures, and the words of each run of text that starts a line (a
    block of prose, a line of verse)."""

    kind: str
    spacing: float
    pictures: int
    runs: tuple[int, ...]


def printed_text(rendered: RenderedBook) -> list[PrintedPage]:
    """Each printed page's text as likely_pages() counts it (html.page_divs, read once for every
    measure a guess tries)."""
    from bookmaker.pdf.html import page_divs

    return [printed_page(page.kind, div) for page, div in page_divs(rendered, typeset=False)]


def likely_pages(rendered: RenderedBook, text: list[PrintedPage] | None = None) -> int:
    """The pages the book is likely to come to once laid out, front matter included, counted a little
    high: each printed page's text (printed_text(), unless given) set in lines of the book's measure, a
    page of the book as many pages of the baseline grid as its lines fill, each opening on a
    right-hand page. For choosing a printer's gutter before the layout (writer.settled()). A picture is
    counted a third of a page, a table's row a line."""
    book = rendered.book
    grid = L.Grid.of(book)
    per_line = likely_words_a_line(book)
    head = grid.sinkage() + CHAPTER_HEAD_LINES
    pages = 0
    for page in text if text is not None else printed_text(rendered):
        lines = printed_lines(page, per_line, grid) + (head if page.kind == "chapter" else 0)
        count = max(1, math.ceil(lines * LIKELY_HIGH / grid.lines))
        pages += count + count % 2  # the next opens on a right-hand page
    return pages


def likely_words_a_line(book) -> float:
    """The words a line of the text block likely holds, at LIKELY_EMS_PER_WORD."""
    p = book.metadata.pdf
    width = L.points(p.width) - L.points(p.margin_inner) - L.points(p.margin_outer)
    return max(1.0, width / (L.points(p.font_size) * LIKELY_EMS_PER_WORD))


def printed_lines(page: PrintedPage, per_line: float, grid: L.Grid) -> float:
    """The lines of the baseline grid a printed page's text likely takes, at `per_line` words a line, its
    chapter head aside: each run of text a line at least, the spacing, a third of a page a picture."""
    return (page.spacing + page.pictures * grid.lines / 3
            + sum(max(1, math.ceil(words / per_line)) for words in page.runs))


def chapter_lines(book, kind: str, div) -> float:
    """printed_lines() of a chapter (its element from html.page_divs), at the book's measure."""
    return printed_lines(printed_page(kind, div), likely_words_a_line(book), L.Grid.of(book))


def pages_after_edit(pages: int, fill: float, lines_before: float, lines_after: float, grid_lines: int) -> int:
    """The pages a chapter likely comes to after an edit: laid out before in `pages`, its last page
    `fill` full (0 to 1: weasy_internals.last_page_fill), its text counted `lines_before` lines then
    (chapter_lines) and `lines_after` now. The lines the edit adds or takes away are counted on from
    the last line laid out: its own page breaks (a widow kept from a page's foot, a heading moved to the
    next) are not foreseen, and a guess proved wrong costs only the work done on it."""
    used = (pages - 1 + fill) * grid_lines + lines_after - lines_before
    return max(1, math.ceil(used / grid_lines - 1e-6))


# printed_page(): what the built-in theme's grid (layout.grid_css) gives each kind of block, in lines,
# besides its text's lines; a block of text is one of these with no block inside it.
BLOCKS = frozenset("p li dt dd h1 h2 h3 h4 h5 h6 td th pre figcaption div section aside blockquote ul ol dl "
                   "table tr figure header footer nav".split())
SPACED = {"h2": 1, "h3": 1, "h4": 1, "h5": 1, "h6": 1, "blockquote": 2, "ul": 2, "ol": 2, "dl": 2, "figure": 2,
          "table": 2, "pre": 2, "hr": 2}
WRAPPERS = frozenset("div section aside header footer nav tr".split())  # without text of their own: no line


def printed_page(kind: str, div) -> PrintedPage:
    """A printed page (its element from html.page_divs) as likely_pages() counts it: each block's text a
    line at least, each line of verse (broken by <br>) a line of its own, the space the grid puts around
    headings, quotations, lists, scene breaks and between stanzas, and its pictures."""
    from bookmaker.render.markdown import count_words
    from bookmaker.render.tree import local

    spacing, pictures, runs = 0.0, 0, []
    for el in div.iter():
        tag = local(el)
        spacing += SPACED.get(tag, 0)
        if tag == "img":
            pictures += 1
        elif tag == "p" and verse(el) and el.getprevious() is not None and verse(el.getprevious()):
            spacing += 1  # p.lines + p.lines: the space between stanzas
        if tag not in BLOCKS or any(local(inner) in BLOCKS for inner in el.iterdescendants()):
            continue
        counts = [count_words(text) for text in broken_text(el)]
        if any(counts) or tag not in WRAPPERS:
            runs.extend(counts)
    return PrintedPage(kind, spacing, pictures, tuple(runs))


def verse(el) -> bool:
    return "lines" in (el.get("class") or "").split()


def broken_text(el) -> list[str]:
    """The text of `el`, a string for each line its <br>s break it into."""
    from bookmaker.render.tree import local

    texts = [[el.text or ""]]

    def walk(parent) -> None:
        for child in parent:
            if local(child) == "br":
                texts.append([])
            elif isinstance(child.tag, str):
                texts[-1].append(child.text or "")
                walk(child)
            texts[-1].append(child.tail or "")

    walk(el)
    return ["".join(parts) for parts in texts]
