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

from bookmaker import codes
from bookmaker.errors import BookmakerError, Problem, Problems
from bookmaker.load.limits import PAGES
from bookmaker.model import RenderedBook
from bookmaker.pdf import layout as L

OVER_ESTIMATE = 1.5  # the estimate refuses only a book this many times over the limit
# A word and its space, in ems: denser than prose sets in the theme (text of short, common English words
# lays out at about 2.4), so the estimate counts fewer pages than the layout will.
EMS_PER_WORD = 2.0
# likely_pages(): the pages a book of prose comes to, against estimate(), measured with `--printer lulu`
# on two generated novels (1.60, 1.63) and two Standard Ebooks editions (1.47, 1.63), front matter and
# padding included: the middle of them, and the pages the front matter adds to a short book. Counted
# this much high, since a guess too high costs a gutter one row wider (the printers' gutters are
# minimums) and a guess too low a second layout: the four books came out 7% under to 3% over the
# middle guess (bench/gutter.py).
LIKELY_PER_ESTIMATED = 1.55
LIKELY_FRONT_PAGES = 6
LIKELY_HIGH = 1.08


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


def likely_pages(rendered: RenderedBook) -> int:
    """The pages the book is likely to come to once laid out, front matter included, counted high: a
    guess from the words (pictures and tables take room the words do not count). For choosing a
    printer's gutter before the layout (writer.settled())."""
    return round((estimate(rendered) * LIKELY_PER_ESTIMATED + LIKELY_FRONT_PAGES) * LIKELY_HIGH)
