"""Balanced spreads: the two facing pages of a spread end on the same line.

Full pages hold the same number of grid lines (layout.grid_css), but widow and orphan control, kept
scene breaks and footnotes leave some a line short, and its facing page then ends a line lower. As a
typesetter (or Vellum, or LaTeX) would, the chapter is laid out again with one paragraph changed, from
the first unbalanced spread on, until each spread is balanced or nothing tried balances it:

- the longer page is shortened to match: the paragraph running over its foot keeps one more line
  for the next page (`widows`), when as many lines as `orphans` asks are left above;
- else the shorter page is filled: a paragraph wholly on it set a shade tighter (its last short line
  taken back) or a shade looser (a nearly full last line pushed to one more), which moves the break.

Chapters open on rectos, so a chapter laid out alone has the spreads it has in the book: pages 2 and 3,
4 and 5... of the chapter (its first page is an opening, its last an ending: neither is a full page).
Everything here is decided from the chapter's own content, so the result is cached with it and the
same on every build.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass

from bookmaker.pdf import weasy_internals as W

TRACE = os.environ.get("BOOKMAKER_BALANCE_TRACE")
PX = 4 / 3  # CSS pixels a point
ORPHANS = 2  # the theme's orphans (print.css)
TIGHTER, LOOSER = "-0.05em", "0.05em"  # word-spacing of a paragraph set tighter or looser
TRIED_ON_A_PAGE = 3  # paragraphs tried, each way, on the page to fill
# The theme keeps four lines or more on a chapter's last page by widows on its last two paragraphs and
# no break before the last: where that leaves the page before it short, the page is laid out without
# them (kept only if the last page still has four lines).
ENDING, ENDING_RELAXED = -1, (".chapter-text > p:nth-last-child(-n+2) { widows: 2 !important; }\n"
                              ".chapter-text > p:last-child { break-before: auto !important; }")
LAST_PAGE_LINES = 4
PARAGRAPH = re.compile(r"<p(?=[\s>])")


def mark(html: str) -> str:
    """Every paragraph numbered (`data-tp`), so that its lines can be found in the layout."""
    count = iter(range(1_000_000))
    return PARAGRAPH.sub(lambda _: f'<p data-tp="{next(count)}"', html)


def with_tweaks(html: str, tweaks: dict[int, str]) -> str:
    if not tweaks:
        return html
    rules = "".join(css + "\n" if n == ENDING else f'p[data-tp="{n}"] {{ {css} }}\n'
                    for n, css in sorted(tweaks.items()))
    return html.replace("</head>", f"<style>\n{rules}</style></head>", 1)


@dataclass
class Layout:
    document: object
    pages: list  # W.PageLines


def depth(page) -> float:
    bottoms = [page.lines[-1][0]] if page.lines else []
    if page.notes is not None:
        bottoms.append(page.notes)
    return max(bottoms, default=0.0)


def spreads(pages: list) -> list[int]:
    """The versos (index in the chapter) of the spreads of two full pages."""
    return [i for i in range(1, len(pages) - 2, 2)]


def unbalanced(pages: list, verso: int, tolerance: float) -> bool:
    return abs(depth(pages[verso]) - depth(pages[verso + 1])) > tolerance


def whole_paragraphs(pages: list, index: int, tweaks: dict[int, str]) -> dict[int, list[float]]:
    """The paragraphs of two lines or more wholly on a page (begun on it, ended on it), not yet
    changed: their lines' lengths."""
    before = {p for *_, p in pages[index - 1].lines} if index else set()
    after = {p for *_, p in pages[index + 1].lines} if index + 1 < len(pages) else set()
    whole: dict[int, list[float]] = {}
    for _bottom, right, p in pages[index].lines:
        if p is not None and p not in before and p not in after and p not in tweaks:
            whole.setdefault(p, []).append(right)
    return {p: rights for p, rights in whole.items() if len(rights) >= 2}


def candidates(pages: list, verso: int, line: float, tweaks: dict[int, str]):
    """Changes that may balance the spread, the least visible first: the longer page shortened by
    widows, then a paragraph (or every paragraph) of the shorter page set tighter to fill it, of the
    longer page set looser to push its foot over, of the shorter page set looser to fill it."""
    v, r = pages[verso], pages[verso + 1]
    longer, shorter = (verso, verso + 1) if depth(v) > depth(r) else (verso + 1, verso)
    lines_short = max(1, round(abs(depth(v) - depth(r)) / line))
    if shorter == len(pages) - 2 and ENDING not in tweaks:
        yield {**tweaks, ENDING: ENDING_RELAXED}
    page, following = pages[longer], pages[longer + 1]
    if page.lines and following.lines and page.notes is None:
        foot = page.lines[-1][2]
        if foot is not None and foot not in tweaks and following.lines[0][2] == foot:
            above = sum(1 for *_, p in page.lines if p == foot)
            below = sum(1 for *_, p in following.lines if p == foot)
            beyond = pages[longer + 2].lines if longer + 2 < len(pages) else []
            ends_there = not (beyond and beyond[0][2] == foot)
            if above - lines_short >= ORPHANS and ends_there:
                yield {**tweaks, foot: f"widows: {below + lines_short} !important;"}
    measure = max((right for p in pages for _, right, _ in p.lines), default=1.0)
    for index, spacing in ((shorter, TIGHTER), (longer, LOOSER), (shorter, LOOSER)):
        whole = whole_paragraphs(pages, index, tweaks)
        if not whole:
            continue
        # The room a paragraph's last line leaves (tighter: its length; looser: what it lacks), for
        # each line to take up: the smaller, the likelier the paragraph changes by a line.
        room = (lambda p: whole[p][-1] / len(whole[p])) if spacing == TIGHTER else (
            lambda p: (measure - whole[p][-1]) / len(whole[p]))
        best = min(whole, key=lambda p: (room(p), p))
        yield {**tweaks, best: f"word-spacing: {spacing};"}
        if len(whole) > 1:
            yield {**tweaks, **{p: f"word-spacing: {spacing};" for p in whole}}


def truncated(html: str, pages: list, verso: int) -> str:
    """The chapter cut before the first paragraph that starts two pages after the spread: the pages up
    to the spread are laid out as in the whole chapter (nothing later moves a page break back) at a
    fraction of the cost. The parser closes what the cut leaves open."""
    if verso + 3 >= len(pages):
        return html
    seen = {p for page in pages[:verso + 3] for *_, p in page.lines if p is not None}
    later = [p for page in pages[verso + 3:] for *_, p in page.lines if p is not None and p not in seen]
    if not later:
        return html
    at = html.find(f'<p data-tp="{min(later)}"')
    return html if at < 0 else html[:at]


def balanced(html: str, lay_out: Callable[[str], object], line_pt: float, budget: int = 0):
    """The chapter laid out with its spreads balanced as far as one paragraph's change a spread can:
    (the layout's result for the final HTML, that HTML). `lay_out(html)` returns a tuple whose first
    item is the WeasyPrint document. At most `budget` layouts in all (by default, 3 a page); the trials
    lay out only the chapter up to a little past the spread (truncated())."""
    line, tolerance = line_pt * PX, 2 * PX
    marked = mark(html)
    tweaks: dict[int, str] = {}
    result = lay_out(marked)
    pages = W.page_lines(result[0])
    budget = budget or 3 * len(pages) + 2
    if line <= 0:
        return result, marked
    layouts, given_up = 1, set()

    def good_through(trial_pages: list, verso: int) -> bool:
        return all(not unbalanced(trial_pages, s, tolerance) or s in given_up
                   for s in spreads(trial_pages) if s <= verso)

    while layouts < budget:
        todo = [s for s in spreads(pages) if s not in given_up and unbalanced(pages, s, tolerance)]
        if not todo:
            break
        verso = todo[0]
        for change in candidates(pages, verso, line, tweaks):
            if layouts >= budget:
                break
            text = truncated(with_tweaks(marked, change), pages, verso)
            trial = lay_out(text)
            layouts += 1
            trial_pages = W.page_lines(trial[0])
            if ENDING in change and text == with_tweaks(marked, change) and (
                    len(trial_pages[-1].lines) < LAST_PAGE_LINES < len(pages[-1].lines) + 1):
                continue  # the relaxed ending left a last page too short
            if TRACE:
                print("trial", len(pages), verso, change, [round(depth(p) / line, 1) for p in trial_pages[verso:verso + 2]],
                      good_through(trial_pages, verso), file=sys.stderr)
            if verso in spreads(trial_pages) and good_through(trial_pages, verso):
                tweaks = change
                result = lay_out(with_tweaks(marked, tweaks))
                pages = W.page_lines(result[0])
                layouts += 1
                break
        else:
            given_up.add(verso)
            if TRACE:
                print("gave up", verso, [(round(depth(p) / line, 1), len(p.lines)) for p in pages[verso:verso + 2]], file=sys.stderr)
    return result, with_tweaks(marked, tweaks)
