"""Balanced spreads: the two facing pages of a spread end on the same line.

Full pages hold the same number of grid lines (layout.grid_css), but widow and orphan control, kept
scene breaks and footnotes leave some a line or two short, and the facing page then ends lower. As a
typesetter (or Vellum, or LaTeX) would, the chapter is laid out again with a paragraph changed, from
the first unbalanced spread on, until each spread is balanced or nothing tried balances it:

- the longer page shortened to match: the paragraph running over its foot keeps more lines for the
  next page (`widows`), when as many lines as `orphans` asks are left above; or, where a paragraph
  begins exactly as many lines up as the page is too long, it begins the next page (Verne: a foot
  paragraph of two lines there and three overleaf, which widows could not shorten);
- the theme's rules for a chapter's last page relaxed, where they leave the page before it short and
  the last page keeps four lines without them;
- a paragraph set a shade tighter or looser (word spacing, within a third of a space: what TeX allows
  a justified line) so that it takes a line less or more, which moves the page break by a line: the
  paragraph whose last line needs the least change, on either page.

A change that only turns the spread over (the longer page's foot sent on fills the shorter page, now
the longer by as much) is tried on from, once a spread, when nothing else balances it: the other
page's foot can then be shortened too.

A trial lays out only the pages it may change, from a verso at or before the spread where a paragraph
begins the page (beheaded()) to two pages past the spread (truncated()); a change kept does not lay the
chapter out whole either: the pages after the trial's are those laid out before where the two meet
(spliced()), or the chapter is laid out a few pages further when a spread there is to be tried. The
whole chapter is laid out once more, after the spreads.

Then no word broken across a page turn, no ladder of hyphens and even colour (no_break_at_recto_foot(),
no_ladders(), even_colour()): a paragraph set unhyphenated, a word in it kept whole (a span set nowrap
in the print layout's HTML: WHOLE) or the paragraph a shade tighter or looser, kept where no page changes.

Chapters open on rectos, so a chapter laid out alone has the spreads it has in the book: pages 2 and 3,
4 and 5... of the chapter (its first page is an opening, its last an ending: neither is a full page).
Everything here is decided from the chapter's own content, so the result is cached with it and the
same on every build. BOOKMAKER_BALANCE_TRACE=1 prints what was tried to stderr, each line after the
process id of the worker that laid the chapter out (workers interleave their lines).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable

from bookmaker.pdf import weasy_internals as W

TRACE = os.environ.get("BOOKMAKER_BALANCE_TRACE")
PX = 4 / 3  # CSS pixels a point
ORPHANS = 2  # the theme's orphans (print.css)
LINE_HEIGHT = 1.4  # the body line in ems (layout.LINE_HEIGHT)
# Word spacing added to a paragraph, at most (em; the face's space is 0.25 em): looser by a half
# of a space (the justified lines around stretch as much), tighter by under a third (TeX's shrink).
MOST_LOOSER, MOST_TIGHTER = 0.12, 0.07
SPACE = 0.25  # the face's word space (em)
TRIES_SHORTER, TRIES_LONGER = 3, 2  # paragraphs tried a spread, set looser or tighter
TRIES_A_SPREAD = 8
# The passes here lay out at most this many pages in all, as a share of the chapter's pages: a trial lays
# out the pages from the spread's (beheaded(), where a paragraph begins a page before it; else from the
# chapter's first) to two past it, a change kept a few pages more, so a long chapter's last spreads cost
# more, and a long chapter must not cost without bound. The spreads come first, then no word broken across
# a page turn, then even colour, while pages remain; the last two are given a reserve where the spreads
# leave less (foot_reserve, colour_reserve: even colour's trials lay out the loose paragraphs alone, a
# page or two each, and the chapter once). Measured on a generated novel (10-page chapters): 8 gave 96%
# balanced spreads at 3 times one layout's time; 10 lets it do all it finds to do (98%). When each trial
# and each change kept laid the chapter out from its first page (and a change kept, whole), Holmes's
# chapters of 25 to 29 pages ran out at 10 with their last spreads untried (12 took it from 92% to 94%);
# with the trials cut at both ends, 10 and 12 give Holmes the same 95.7% and Verne the same.
PAGE_BUDGET = 10.0
LONE_WORD_FIXES = (" hyphens: manual;", " word-spacing: -0.02em;", " word-spacing: 0.02em;")  # no_lone_words()
LOOSE = 1.9  # a line's word space over this many times the median is loose (bench/typeset.py: 2)
# Word spacings tried on a paragraph with a loose line (em), the least change first, in hundredths up to
# what the spreads allow (MOST_TIGHTER, MOST_LOOSER). Each is tried on the loose paragraphs laid out alone.
EVENING = tuple(sorted((s / 100 for s in range(-round(MOST_TIGHTER * 100), round(MOST_LOOSER * 100) + 1) if s),
                       key=lambda s: (abs(s), s)))
# Tried on a paragraph set unhyphenated to keep a word whole at a recto's foot: as it is, a shade
# tighter (unhyphenated, it may take a line more), a shade looser.
FOOT_SPACINGS = ("", " word-spacing: -0.03em;", " word-spacing: 0.03em;")
# Tried on a paragraph with its ladder's middle word kept whole (ladder_fixes()): as it is, then tighter.
LADDER_WHOLE_SPACINGS = ("", " word-spacing: -0.01em;", " word-spacing: -0.02em;")
# The theme keeps four lines or more on a chapter's last page by widows on its last two paragraphs and
# no break before the last: where that leaves the page before it short, the page is laid out without
# them (kept only if the last page still has four lines).
ENDING, ENDING_RELAXED = -1, (".chapter-text > p:nth-last-child(-n+2), .chapter-text p.closing "
                              "{ widows: 2 !important; }\n"
                              ".chapter-text > p:last-child { break-before: auto !important; }\n"
                              ".chapter-text p.ending { break-before: auto !important; }")
LAST_PAGE_LINES = 4
PARAGRAPH = re.compile(r"<p(?=[\s>])")
CUT = "<p></p><p></p>"
OPENING = re.compile(r'<p data-tp="(\d+)"[^>]*>')  # a marked paragraph's start tag (mark())
# A compound kept whole, not broken at its own hyphen ("smoke-" / "rocket" at a recto's foot, Holmes): no
# CSS property stops that break, so a change says it in a comment (kept_whole()), and the print layout's
# HTML wraps the compound in the paragraph in a span set nowrap (whole_words()); the text is unchanged.
WHOLE = re.compile(r"/\* whole: (\S+) \*/")
NOWRAP = "white-space: nowrap"


def mark(html: str) -> str:
    """Every paragraph numbered (`data-tp`), so that its lines can be found in the layout."""
    count = iter(range(1_000_000))
    return PARAGRAPH.sub(lambda _: f'<p data-tp="{next(count)}"', html)


def with_tweaks(html: str, tweaks: dict[int, str]) -> str:
    if not tweaks:
        return html
    for n, css in sorted(tweaks.items()):
        if n != ENDING and WHOLE.search(css):
            html = with_whole_words(html, n, css)
    rules = "".join(css + "\n" if n == ENDING else f'p[data-tp="{n}"] {{ {css} }}\n'
                    for n, css in sorted(tweaks.items()))
    return html.replace("</head>", f"<style>\n{rules}</style></head>", 1)


def kept_whole(compound: str) -> str:
    """The change (CSS, a comment) that keeps a word or a compound whole in its paragraph."""
    return f" /* whole: {compound} */"


def broken_word(line, following) -> str | None:
    """The word broken at a line's end, as the text holds it: "smoke-" / "rocket," at its own hyphen gives
    "smoke-rocket", "travel\u2010" / "ling" at the hyphenation's "travelling"; None where the line does
    not end in a hyphen. The punctuation around it is left out."""
    if following is None or not line.last.endswith(("-", "\u2010")):
        return None
    left, right = re.sub(r"^\W+", "", line.last), re.sub(r"\W+$", "", following.first)
    word = (left if left.endswith("-") else left[:-1]) + right
    return word if re.fullmatch(r"\w[\w\u2019'-]*\w", word) else None


def compound_at(line, following) -> str | None:
    """The word broken at a line's end where it breaks at its own hyphen (broken_word()); None where the
    line ends in the hyphenation's hyphen (U+2010) or in none."""
    return broken_word(line, following) if line.last.endswith("-") else None


def whole_words(p, compounds: list[str]) -> int:
    """Each compound's every occurrence in the paragraph (lxml.html, changed in place) wrapped in a span
    set nowrap: it is not broken, neither at its own hyphens nor by the hyphenation. Returns how many
    were wrapped."""
    import lxml.html

    pattern = re.compile("|".join(rf"(?<![\w\u2019'-]){re.escape(c)}(?![\w-])" for c in compounds))
    wrapped = 0

    def split(text: str) -> list:
        nonlocal wrapped
        pieces: list = [text]
        for match in reversed(list(pattern.finditer(text))):
            span = lxml.html.Element("span", {"style": NOWRAP})
            span.text, span.tail = match.group(0), pieces[0][match.end():]
            pieces[0] = pieces[0][:match.start()]
            pieces.insert(1, span)
            wrapped += 1
        return pieces

    for el in list(p.iter()):
        if not isinstance(el.tag, str) or el.get("style") == NOWRAP:
            continue
        if el.text:
            first, *spans = split(el.text)
            el.text = first
            for i, span in enumerate(spans):
                el.insert(i, span)
        if el.tail and el is not p:
            first, *spans = split(el.tail)
            el.tail = first
            parent, at = el.getparent(), el.getparent().index(el)
            for i, span in enumerate(spans, start=1):
                parent.insert(at + i, span)
    return wrapped


def with_whole_words(html: str, n: int, css: str) -> str:
    """The marked chapter with the compounds the change `css` keeps whole (WHOLE) wrapped in paragraph n."""
    import lxml.html

    start = html.find(f'<p data-tp="{n}"')
    end = html.find("</p>", start)
    if start < 0 or end < 0:
        return html
    p = lxml.html.fragment_fromstring(html[start:end + 4])
    if not whole_words(p, WHOLE.findall(css)):
        return html
    return html[:start] + lxml.html.tostring(p, encoding="unicode") + html[end + 4:]


def depth(page) -> float:
    bottoms = [page.lines[-1].bottom] if page.lines else []
    if page.notes is not None:
        bottoms.append(page.notes)
    return max(bottoms, default=0.0)


def spreads(pages: list) -> list[int]:
    """The versos (index in the chapter) of the spreads of two full pages."""
    return list(range(1, len(pages) - 2, 2))


def unbalanced(pages: list, verso: int, tolerance: float) -> bool:
    return abs(depth(pages[verso]) - depth(pages[verso + 1])) > tolerance


def paragraph_lines(pages: list, paragraph: int) -> list:
    return [line for page in pages for line in page.lines if line.paragraph == paragraph]


def lines_with(lines: list, measure: float, space: float, extra: float) -> int:
    """How many lines the paragraph would take with `extra` (px, may be negative) added to each word
    space: its lines broken again greedily, as WeasyPrint breaks them, each word taken to be of its
    line's mean width."""
    words: list[float] = []
    for line in lines:
        count = line.spaces + 1
        mean = max(1.0, (line.natural - line.spaces * space) / count)
        words += [mean] * count
    used, n = 0.0, 1
    for w in words:
        if used and used + space + extra + w > measure + 0.01:
            n, used = n + 1, w
        else:
            used += (space + extra if used else 0) + w
    return n


def spacing_for(lines: list, measure: float, em: float, looser: bool, most: float) -> float | None:
    """The least word spacing (em, in hundredths, up to `most`) that should make the paragraph a line
    longer (looser) or shorter; None where none does."""
    if len(lines) < 2 or sum(line.spaces for line in lines) < 4:
        return None
    space, now = SPACE * em, lines_with(lines, measure, SPACE * em, 0.0)
    if now != len(lines):
        return None  # the model does not see this paragraph as it is: guess nothing
    for step in range(1, round(most * 100) + 1):
        extra = step / 100 * (1 if looser else -1)
        if lines_with(lines, measure, space, extra * em) != len(lines):
            return step / 100
    return None


def on_page(pages: list, index: int, tweaks: dict[int, str]) -> list[int]:
    """The paragraphs with lines on a page, not yet changed (one begun on the page before may change
    that page: the trial's check of the spreads before keeps that from unbalancing them)."""
    found = []
    for line in pages[index].lines:
        p = line.paragraph
        if p is not None and p not in tweaks and p not in found:
            found.append(p)
    return found


def candidates(pages: list, verso: int, line: float, em: float, tweaks: dict[int, str]):
    """Changes that may balance the spread, the least visible first."""
    longer = longer_page(pages, verso)
    shorter = 2 * verso + 1 - longer
    lines_short = max(1, round(abs(depth(pages[verso]) - depth(pages[verso + 1])) / line))
    yield from shortened(pages, longer, lines_short, tweaks)
    if shorter == len(pages) - 2 and ENDING not in tweaks:
        yield {**tweaks, ENDING: ENDING_RELAXED}
    # A paragraph a line longer or shorter on the shorter page, then on the longer: a line more fills a
    # page shortened by widows or orphans, a line less leaves room for the lines they ask (on the shorter
    # page) or pulls up lines from overleaf that widows or orphans may keep there (on the longer). The
    # least change first.
    measure = max((x.length for p in pages for x in p.lines), default=1.0)
    tried: set[tuple[int, bool]] = set()  # a paragraph on both pages is tried once each way
    for index, tries in ((shorter, TRIES_SHORTER), (longer, TRIES_LONGER)):
        options = []
        for looser, most in ((True, MOST_LOOSER), (False, MOST_TIGHTER)):
            for p in on_page(pages, index, tweaks):
                spacing = spacing_for(paragraph_lines(pages, p), measure, em, looser, most)
                if spacing is not None and (p, not looser) not in tried:
                    options.append((spacing, not looser, p))
        for spacing, tighter, p in sorted(options)[:tries]:
            tried.add((p, tighter))
            yield {**tweaks, p: f"word-spacing: {-spacing if tighter else spacing}em;"}


def shortened(pages: list, longer: int, lines_short: int, tweaks: dict[int, str]):
    """The longer page's last `lines_short` lines sent on to the next page: the paragraph running over
    its foot keeps that many more lines for the next (`widows`), where `orphans` lines stay above; or,
    where a paragraph begins exactly that many lines up, it begins the next page (whole paragraphs at the
    foot, or a paragraph that would leave too few lines above for a split)."""
    page, following = pages[longer], pages[longer + 1]
    if not page.lines or not following.lines or page.notes is not None or lines_short >= len(page.lines):
        return
    foot = page.lines[-1].paragraph
    if foot is not None and foot not in tweaks and following.lines[0].paragraph == foot:
        above = sum(1 for x in page.lines if x.paragraph == foot)
        below = sum(1 for x in following.lines if x.paragraph == foot)
        beyond = pages[longer + 2].lines if longer + 2 < len(pages) else []
        if above - lines_short >= ORPHANS and not (beyond and beyond[0].paragraph == foot):
            yield {**tweaks, foot: f"widows: {below + lines_short} !important;"}
    first = page.lines[-lines_short].paragraph
    before = [x.paragraph for p in pages[:longer] for x in p.lines] + [x.paragraph for x in page.lines[:-lines_short]]
    if first is not None and first not in tweaks and first not in before:
        yield {**tweaks, first: "break-before: page !important;"}


def longer_page(pages: list, verso: int) -> int:
    return verso if depth(pages[verso]) > depth(pages[verso + 1]) else verso + 1


def truncated(html: str, pages: list, verso: int) -> str:
    """The chapter cut before the first paragraph that starts two pages after the spread: the pages up
    to the spread are laid out as in the whole chapter (nothing later moves a page break back) at a
    fraction of the cost. The parser closes what the cut leaves open."""
    if verso + 3 >= len(pages):
        return html
    seen = {x.paragraph for page in pages[:verso + 3] for x in page.lines if x.paragraph is not None}
    later = [x.paragraph for page in pages[verso + 3:] for x in page.lines
             if x.paragraph is not None and x.paragraph not in seen]
    if not later:
        return html
    at = html.find(f'<p data-tp="{min(later)}"')
    # Two empty paragraphs after the cut: the theme's rules for a chapter's last two paragraphs (widows
    # on them, no break before the last) are not the paragraph cut last's, which they would pull down
    # from the last page kept (Verne's chapter 23: a recto foot not mended, a page "moved").
    return html if at < 0 else html[:at] + CUT


def lone_words(pages: list, measure: float | None = None) -> set[int]:
    """The paragraphs with a line of one word, shorter than half the measure, and not their last, after a
    full line of the same paragraph (a line of verse broken by the author follows a line of its own
    length); or whose first line, before a full one, holds words under half the measure long.

    WeasyPrint 70's line breaking leaves one now and then near the end of an inline element (Verne's
    "…the next evening by the *Henrietta*," / "he" / "would be there…"), and where a paragraph's first
    line would end in one, it may hold only its first word (Poe: "“Try" / "the wood well, then, with your
    knife, and see if you think it *very*", four in 1,022 pages), or a few words spread over the measure
    (Ulysses: "**Rudolph.** What you mak-"). The measure is the longest line of `pages` unless given
    (that of the whole chapter, for some paragraphs laid out alone)."""
    lines = [line for page in pages for line in page.lines]
    measure = measure or max((line.length for line in lines), default=0)

    def lone(before, line, after) -> bool:
        if before is not None and before.paragraph == line.paragraph:
            return line.spaces == 0 and line.length < measure / 2 and before.length > 0.9 * measure
        return line.natural < measure / 2 and after.length > 0.9 * measure  # a first line, before its stretch

    return {line.paragraph for before, line, after in zip([None, *lines], lines, lines[1:])
            if line.paragraph is not None and line.paragraph == after.paragraph and lone(before, line, after)}


def no_lone_words(marked: str, lay_out: Callable[[str], tuple]) -> tuple[tuple, list, dict[int, str]]:
    """The chapter laid out; where a paragraph has a word alone on a line (lone_words()), laid out again
    with such paragraphs unhyphenated, then a shade tighter, then looser, each kept where it leaves
    fewer (any of them mends the lines WeasyPrint broke so). In fast typesetting too: it costs more
    layouts only in a chapter that has one.

    Each fix is tried on the paragraphs left with a lone word laid out alone (alone(): a paragraph breaks
    its lines as in the whole chapter, and a fix changes no other paragraph's), a page or two each; the
    fixes kept are then laid out once in the whole chapter, and that layout is kept where it has fewer
    lone words than the first."""
    result, pages = laid_out(lay_out, marked, {})
    lone = lone_words(pages)
    if not lone:
        return result, pages, {}
    measure = max(line.length for page in pages for line in page.lines)
    first = len(lone)
    change: dict[int, str] = {}
    for fix in LONE_WORD_FIXES:
        if not lone:
            break
        trial_change = {**change, **{paragraph: fix for paragraph in lone}}
        shown = sorted(lone)
        left = lone_words(W.page_lines(lay_out(alone(with_tweaks(marked, trial_change), shown))[0]), measure)
        trace("lone words", shown, repr(fix), "left", sorted(left))
        if len(left) < len(lone):
            change, lone = trial_change, left
    if not change:
        return result, pages, {}
    trial, trial_pages = laid_out(lay_out, marked, change)
    if len(lone_words(trial_pages)) >= first:
        trace("lone words: the fixes found alone mend none in the chapter")
        return result, pages, {}
    return trial, trial_pages, change


def laid_out(lay_out: Callable[[str], tuple], marked: str, change: dict[int, str]) -> tuple:
    """The chapter laid out with `change`: (the layout's result, its pages' lines)."""
    result = lay_out(with_tweaks(marked, change))
    return result, W.page_lines(result[0])


def same_lines(pages: list, other: list) -> bool:
    """Whether every page of both holds its lines at the same heights: no page, and no spread, changed."""
    return [[x.bottom for x in page.lines] for page in pages] == [[x.bottom for x in page.lines] for page in other]


def trace(*args) -> None:
    if TRACE:
        print(os.getpid(), *args, file=sys.stderr)


def known_pages(pages: list) -> int:
    """How many of a cut chapter's pages (truncated()) are as in the whole chapter: all before its last
    page with lines (the paragraphs the cut left out begin after that page's lines, and the last kept ends
    it early)."""
    return max((i for i, page in enumerate(pages) if page.lines), default=0)


def spliced(new: list, known: int, ref: list, changed: set[int]) -> list | None:
    """The pages of a cut chapter (`new`, its first `known` as in the whole chapter) then the pages after
    them of the whole chapter laid out with other changes (`ref`), where they meet: a page j of both
    holding the same lines, the pages up to it the same lines of each paragraph not changed and the
    paragraphs `changed` wholly (what follows page j is then the same in both, laid out alike). None
    where no page meets."""
    if ENDING in changed:
        return None

    def counts(pages: list, upto: int) -> dict:
        found: dict = {}
        for page in pages[:upto + 1]:
            for x in page.lines:
                found[x.paragraph] = found.get(x.paragraph, 0) + 1
        return found

    def last_page(pages: list, p: int) -> int:
        return max((i for i, page in enumerate(pages) if any(x.paragraph == p for x in page.lines)), default=-1)

    ends = [max(last_page(new, p), last_page(ref, p)) for p in changed]
    if any(last_page(new, p) < 0 or last_page(ref, p) < 0 for p in changed):
        return None
    for j in range(min(known, len(ref) - 1) - 1, max(ends, default=0) - 1, -1):
        a, b = new[j], ref[j]
        if not a.lines or a.notes != b.notes or \
                [(x.paragraph, x.bottom) for x in a.lines] != [(x.paragraph, x.bottom) for x in b.lines]:
            continue
        mine, theirs = counts(new, j), counts(ref, j)
        if {k: v for k, v in mine.items() if k not in changed} == {k: v for k, v in theirs.items() if k not in changed}:
            return new[:j + 1] + ref[j + 1:]
    return None


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
CHECK = os.environ.get("BOOKMAKER_BALANCE_CHECK")


def balanced_tags(segment: str) -> bool:
    """Whether every element the segment opens it closes, and it closes none it did not open."""
    stack: list[str] = []
    for closing, name, selfclosing in re.findall(r"<(/?)([a-zA-Z][\w-]*)[^>]*?(/?)>", segment):
        name = name.lower()
        if closing:
            if not stack or stack.pop() != name:
                return False
        elif name not in VOID and not selfclosing:
            stack.append(name)
    return not stack


def beheaded(text: str, pages: list, verso: int, changed: set[int]) -> tuple[str, int] | None:
    """The chapter (`text`, maybe cut after the spread too) without its pages before a verso k at or
    before the spread and the first page of any paragraph `changed`: the chapter's text up to the
    paragraph that begins page k left out, an empty paragraph in its place that ends the opening page
    (so that the rules for the first paragraph, the drop cap, are not the next's, and the text's top
    margin stays on the opening page). Page k then is the second page, laid out as in the whole chapter
    (its lines depend only on where it begins): (the text, k). Only where a paragraph ends page k - 1 and
    the next, a paragraph of the chapter's text itself, begins page k, with no notes on page k - 1; None
    where no such k, 3 or more, is found. A trial so costs the pages from the spread on, not the
    chapter's up to it (BOOKMAKER_BALANCE_CHECK=1 lays each out whole too and traces whether they are
    the same)."""
    if ENDING in changed:
        return None
    firsts = [min((i for i, page in enumerate(pages) if any(x.paragraph == p for x in page.lines)), default=-1)
              for p in changed]
    if any(i < 0 for i in firsts):
        return None
    limit = min([verso, *firsts])
    body = re.search(r'<div class="chapter-text"[^>]*>', text)
    if body is None:
        return None
    for k in range(limit if limit % 2 else limit - 1, 2, -2):
        page, before = pages[k], pages[k - 1]
        if not page.lines or not before.lines or before.notes is not None:
            continue
        p = page.lines[0].paragraph
        if p is None or any(x.paragraph == p for q in pages[:k] for x in q.lines):
            continue
        at = text.find(f'<p data-tp="{p}"')
        if at < 0 or not text[:at].rstrip().endswith("</p>") or not balanced_tags(text[body.end():at]):
            continue
        return text[:body.end()] + '<p style="height: 0; margin: 0; break-after: page"></p>' + text[at:], k
    return None


def later_paragraph(pages: list, verso: int) -> bool:
    """Whether a paragraph begins after the spread's next page: truncated() can cut the chapter there."""
    seen = {x.paragraph for page in pages[:verso + 3] for x in page.lines if x.paragraph is not None}
    return any(x.paragraph is not None and x.paragraph not in seen for page in pages[verso + 3:] for x in page.lines)


AHEAD = 6  # a chapter known only in part is laid out as far as this many pages past the spread to try


def balanced(html: str, lay_out: Callable[[str], tuple], line_pt: float, budget: int = 0):
    """The chapter laid out with its spreads balanced as far as a paragraph's change a spread can:
    (the layout's result, the changes: paragraph number -> CSS declarations). `lay_out(html)` returns a tuple whose first
    item is the WeasyPrint document. At most `budget` layouts in all (by default, 2 a page); the trials
    lay out only the chapter up to a little past the spread (truncated()), and so does a change kept: the
    pages after it are those of the chapter laid out before, where the two meet (spliced()), or the
    chapter is laid out a few pages further when a spread there is to be tried; the whole chapter is laid
    out again once, after the spreads."""
    line, tolerance, em = line_pt * PX, 2 * PX, line_pt / LINE_HEIGHT * PX
    marked = mark(html)
    result, pages, tweaks = no_lone_words(marked, lay_out)
    if line <= 0:
        return result, tweaks
    mended = dict(tweaks)  # no_lone_words' changes, which the passes below may replace
    budget = budget or 2 * len(pages) + 2
    layouts, given_up = 1, set()
    allowance = Allowance(round(PAGE_BUDGET * len(pages)))
    lay_out = allowance.counted(lay_out)
    # The pages known: `pages` holds the chapter's pages (whole: `known` is all of them, laid out or
    # spliced) or a cut chapter's (its first `known`); `exact`: `result` is the whole chapter laid out
    # with `tweaks`. `ref`: the last whole chapter's pages known, with the changes they were laid out with.
    known, exact = len(pages), True
    ref = (pages, tweaks)
    chapter = len(pages)

    def good_through(trial_pages: list, verso: int) -> bool:
        return verso in spreads(trial_pages) and all(
            not unbalanced(trial_pages, s, tolerance) or s in given_up for s in spreads(trial_pages) if s <= verso)

    def gap(some_pages: list, verso: int) -> float:
        return abs(depth(some_pages[verso]) - depth(some_pages[verso + 1]))

    def taken(trial, text: str, whole: str, change: dict[int, str], head: list | None = None) -> None:
        """`change` kept: its layout (of `text`, the chapter cut or `whole`) gives the pages known, or
        `head`: its pages where the layout left out the chapter's first pages (beheaded())."""
        nonlocal result, pages, tweaks, known, exact, ref, chapter
        result, tweaks = trial, change
        pages = head if head is not None else W.page_lines(trial[0])
        exact = text == whole and head is None
        if text == whole:
            known = chapter = len(pages)
            ref = (pages, tweaks)
            return
        known = known_pages(pages)
        changed = {k for k in set(tweaks) | set(ref[1]) if tweaks.get(k) != ref[1].get(k)}
        joined = spliced(pages, known, ref[0], changed)
        trace("cut", len(pages), "pages", known, "known", "spliced" if joined else "")
        if joined is not None:
            pages, known = joined, len(joined)
            chapter = len(pages)
            ref = (pages, tweaks)

    def further(to: int) -> None:
        """The chapter laid out as far as page `to` of the whole chapter known, at least, from a page
        known on (beheaded()); whole where the pages known would not grow."""
        nonlocal layouts
        whole = with_tweaks(marked, tweaks)
        text = truncated(whole, ref[0], to - 2)
        cut = beheaded(text, pages, known - 1, set())
        before = known
        layouts += 1
        trial = lay_out(cut[0] if cut else text)
        taken(trial, text, whole, tweaks, pages[:cut[1]] + W.page_lines(trial[0])[1:] if cut else None)
        if known <= before and not exact:
            layouts += 1
            taken(lay_out(whole), whole, whole, tweaks)

    tries_here: dict[int, int] = {}
    start: dict[int, tuple] = {}
    turns: dict[int, tuple] = {}  # verso -> (change, its trial, its text, the whole) that turned the spread over
    turned: set[int] = set()
    trace("chapter", len(pages), "pages")
    while layouts < budget and allowance.left(chapter):
        whole_known = known == len(pages)
        todo = [s for s in spreads(pages) if s not in given_up and unbalanced(pages, s, tolerance)
                and (whole_known or s + 1 < known)]
        if not todo and whole_known:
            break
        if not todo or not whole_known and (todo[0] + 2 >= known or not later_paragraph(pages[:known + 1], todo[0])):
            further((todo[0] if todo else known) + AHEAD)
            continue
        verso = todo[0]
        if verso not in tries_here:
            start[verso] = (result, pages, tweaks, known, exact)  # taken back if the spread cannot be balanced
        for change in candidates(pages, verso, line, em, tweaks):
            if layouts >= budget or tries_here.get(verso, 0) >= TRIES_A_SPREAD or not allowance.left(verso + 3):
                given_up.add(verso)
                result, pages, tweaks, known, exact = start[verso]
                break
            tries_here[verso] = tries_here.get(verso, 0) + 1
            whole = with_tweaks(marked, change)
            text = truncated(whole, pages[:known + 1], verso)
            cut = beheaded(text, pages, verso, {k for k in set(change) | set(tweaks) if change.get(k) != tweaks.get(k)})
            trial = lay_out(cut[0] if cut else text)
            layouts += 1
            trial_pages = W.page_lines(trial[0])
            if cut:
                trial_pages = pages[:cut[1]] + trial_pages[1:]
                if CHECK:
                    full = W.page_lines(lay_out(text)[0])
                    n = known_pages(full) if text != whole else len(full)
                    trace("head cut", cut[1], "same" if same_lines(trial_pages[:n], full[:n]) else "NOT THE SAME", len(full))
            ok = good_through(trial_pages, verso)
            # Nearer: the earlier spreads as they were, and this one less uneven; tried on from there.
            # Turned: as uneven, the other page now the longer: tried on from there when nothing else
            # balances the spread (the longer page's foot, shortened, made the shorter full: its own
            # foot can then be shortened).
            before = verso in spreads(trial_pages) and all(not unbalanced(trial_pages, s, tolerance) or s in given_up
                                                           for s in spreads(trial_pages) if s < verso)
            nearer = not ok and before and gap(trial_pages, verso) < gap(pages, verso) - tolerance
            turn = (not ok and not nearer and before and gap(trial_pages, verso) <= gap(pages, verso) + tolerance
                    and longer_page(trial_pages, verso) != longer_page(pages, verso))
            if (ok or nearer or turn) and ENDING in change and text == whole and len(trial_pages[-1].lines) < LAST_PAGE_LINES:
                ok = nearer = turn = False  # the relaxed ending left too short a last page
            trace("trial", verso, {k: v for k, v in change.items() if tweaks.get(k) != v},
                  [round(depth(p) / line, 1) for p in trial_pages[verso:verso + 2]], ok,
                  "nearer" if nearer else "turned" if turn else "")
            if turn and verso not in turned:
                turns.setdefault(verso, (change, trial, text, whole, trial_pages if cut else None))
            if ok or nearer:
                taken(trial, text, whole, change, trial_pages if cut else None)
                break
        else:
            if verso in turns and verso not in turned:
                turned.add(verso)
                change, trial, text, whole, trial_pages = turns[verso]
                taken(trial, text, whole, change, trial_pages)
                tries_here[verso] = 0
                trace("turned", verso)
                continue
            given_up.add(verso)
            result, pages, tweaks, known, exact = start[verso]
            if TRACE:
                trace("gave up", verso)
                for i in range(max(0, verso - 1), min(known, verso + 3)):
                    runs: list = []
                    for x in pages[i].lines:
                        if runs and runs[-1][0] == x.paragraph:
                            runs[-1][1] += 1
                        else:
                            runs.append([x.paragraph, 1])
                    trace("   page", i, round(depth(pages[i]) / line, 1), len(pages[i].lines),
                          "notes" if pages[i].notes else "", runs)
    if not exact:
        known_before = pages
        result, pages = laid_out(lay_out, marked, tweaks)
        if TRACE:  # the pages known (cut, spliced) as the whole chapter lays them out
            trace("whole chapter", "as known" if same_lines(pages[:known], known_before[:known]) else "NOT AS KNOWN")
    trace("spreads left uneven", [s for s in spreads(pages) if unbalanced(pages, s, tolerance)], "given up", sorted(given_up),
          "layouts", layouts, "of", budget, "pages left", allowance.remaining)
    result, pages, tweaks = no_break_at_recto_foot(marked, lay_out, result, pages, tweaks, tolerance, allowance)
    result, pages, tweaks = no_ladders(marked, lay_out, result, pages, tweaks, em, allowance)
    result, tweaks = even_colour(marked, lay_out, result, pages, tweaks, em, allowance)
    return without_new_lone_words(marked, lay_out, result, tweaks, mended)


def without_new_lone_words(marked: str, lay_out: Callable[[str], tuple], result, tweaks: dict[int, str],
                           mended: dict[int, str]):
    """(result, tweaks) with the paragraphs the passes after no_lone_words left with a word alone on a
    line (lone_words()) set back as no_lone_words left them, where the chapter laid out so has fewer:
    a spread's or a colour's change to a paragraph broke its lines anew, and The Wind in the Willows
    printed "of" alone mid-paragraph in fine typesetting and not in fast. An uneven spread is the
    lesser fault. One more layout, only in a chapter that has such a word."""
    pages = W.page_lines(result[0])
    lone = {p for p in lone_words(pages) if tweaks.get(p) != mended.get(p)}
    if not lone:
        return result, tweaks
    restored = {k: v for k, v in tweaks.items() if k not in lone} | {k: mended[k] for k in lone if k in mended}
    trial, trial_pages = laid_out(lay_out, marked, restored)
    trace("lone words after the passes", sorted(lone), "left", sorted(lone_words(trial_pages)))
    if len(lone_words(trial_pages)) < len(lone_words(pages)):
        return trial, restored
    return result, tweaks


class Allowance:
    """The pages the passes may still lay out (PAGE_BUDGET)."""

    def __init__(self, pages: int):
        self.remaining = pages

    def counted(self, lay_out: Callable[[str], tuple]) -> Callable[[str], tuple]:
        def counting(html: str) -> tuple:
            result = lay_out(html)
            self.remaining -= len(result[0].pages)
            return result
        return counting

    def left(self, pages: int) -> bool:
        """Whether a layout of about `pages` pages fits in what remains."""
        return self.remaining >= pages


def median_space(pages: list, em: float) -> float | None:
    """The median word space (px) of the chapter's justified lines; None where it has none."""
    spaces = sorted(line_space(x, em) for page in pages for x in page.lines if justified(x))
    return spaces[len(spaces) // 2] if spaces else None


def line_space(line, em: float) -> float:
    return SPACE * em + (line.length - line.natural) / line.spaces


def justified(line, spaces: int = 3) -> bool:
    """A line of a paragraph stretched to the measure, with `spaces` word spaces or more."""
    return line.spaces >= spaces and line.paragraph is not None and line.length > line.natural + 0.5


def loose_paragraphs(pages: list, em: float, median: float | None = None, spaces: int = 3) -> set[int]:
    """The paragraphs with a justified line (of `spaces` word spaces or more: bench/typeset.py judges
    lines of four words or more) whose word space is more than LOOSE times the median (the chapter's
    own, unless given)."""
    median = median or median_space(pages, em)
    if median is None:
        return set()
    return {x.paragraph for page in pages for x in page.lines
            if justified(x, spaces) and line_space(x, em) > LOOSE * median}


def alone(html: str, shown: list[int]) -> str:
    """The chapter with only the paragraphs `shown` laid out, every other paragraph not displayed: a
    paragraph breaks its lines in the measure its blocks give it, whatever is on the page around it, so
    its lines break as in the whole chapter, at the cost of a page or two."""
    rules = ("p[data-tp] { display: none !important; }\n"
             + ", ".join(f'p[data-tp="{n}"]' for n in shown) + " { display: block !important; }\n")
    return hollowed(html, set(shown)).replace("</head>", f"<style>\n{rules}</style></head>", 1)


def hollowed(html: str, shown: set[int]) -> str:
    """The marked chapter with every paragraph but those `shown` emptied: they are not displayed, and
    their text was parsed and styled for nothing on each trial. The elements stay, so the selectors of
    the paragraphs shown (`p + p`, `:last-child`) match as before."""
    kept, at = [], 0
    for opening in OPENING.finditer(html):
        if int(opening.group(1)) in shown or opening.group(0).endswith("/>"):
            continue
        end = html.find("</p>", opening.end())
        if end < 0:
            break
        kept.append(html[at:opening.end()])
        at = end
    kept.append(html[at:])
    return "".join(kept)


def even_colour(marked: str, lay_out: Callable[[str], tuple], result, pages: list, tweaks: dict[int, str],
                em: float, allowance: Allowance):
    """Paragraphs with a loose line set a shade tighter or looser, each kept where its loose lines go,
    it keeps its number of lines and gains no ladder: the line breaks move, the pages do not. Each
    spacing (EVENING, the least change first) is tried on the loose paragraphs laid out alone (alone());
    the changes found are laid out once, whole, and kept where every page keeps its lines and no recto
    gains a broken word at its foot. Returns (the layout's result, the changes)."""
    loose = sorted(p for p in loose_paragraphs(pages, em) if p not in tweaks)
    median = median_space(pages, em)
    trace("even colour: loose paragraphs changed before", {p: tweaks[p] for p in loose_paragraphs(pages, em) if p in tweaks})
    allowance.remaining = max(allowance.remaining, colour_reserve(pages, loose))
    if not loose or not allowance.left(len(pages)):
        trace("even colour", len(loose), "loose paragraphs, not tried: the budget is spent" if loose else "",
              allowance.remaining)
        return result, tweaks
    counts = {p: len(paragraph_lines(pages, p)) for p in loose}
    chosen: dict[int, str] = {}
    shifts: dict[int, dict[int, str]] = {}  # paragraph -> {a line more (1) or less (-1): the least spacing}
    for spacing in EVENING:
        todo = [p for p in loose if p not in chosen]
        if not todo or not allowance.left(len(pages) + trial_pages_for(pages, todo)):
            break
        change = {**tweaks, **chosen, **{p: f"word-spacing: {spacing}em;" for p in todo}}
        trial_pages = W.page_lines(lay_out(alone(with_tweaks(marked, change), todo))[0])
        # Mended only where no line is loose, not even one of two or three words (a lead-in's words,
        # which are not broken, left alone on the first line).
        still = loose_paragraphs(trial_pages, em, median, spaces=1)
        laddered = set(ladder_paragraphs(trial_pages))
        for p in todo:
            if p in still or p in laddered:
                continue
            lines = len(paragraph_lines(trial_pages, p))
            if lines == counts[p]:
                chosen[p] = change[p]
            elif abs(lines - counts[p]) == 1:
                shifts.setdefault(p, {}).setdefault(lines - counts[p], change[p])
        trace("even colour", spacing, "mends", sorted(p for p in todo if p in chosen), "of", todo, allowance.remaining)
    expected = dict(counts)
    pair: dict[int, int] = {}
    stubborn = {p: options for p, options in shifts.items() if p not in chosen}
    for p, q, delta, p_css, q_css in partners(marked, lay_out, pages, tweaks, chosen, stubborn, em, median, allowance):
        chosen[p], chosen[q] = p_css, q_css
        expected[p], expected[q] = counts[p] + delta, len(paragraph_lines(pages, q)) - delta
        pair[p], pair[q] = q, p
    feet = {p for _, p in recto_feet(pages)}
    while chosen and allowance.left(len(pages)):
        change = {**tweaks, **chosen}
        trial, trial_pages = laid_out(lay_out, marked, change)
        same = same_lines(trial_pages, pages)
        broken = {p for _, p in recto_feet(trial_pages) if p not in feet and p in chosen}
        trace("even colour", len(loose), "loose paragraphs,", len(chosen), "set again",
              "kept" if same and not broken else "not kept", sorted(broken))
        if same and not broken:
            return trial, change
        # A paragraph that breaks its lines otherwise in the chapter than alone is taken back too, and
        # the paragraph paired with it.
        broken |= {p for p in chosen if len(paragraph_lines(trial_pages, p)) != expected[p]}
        broken |= {pair[p] for p in broken if p in pair}
        if not broken:
            break
        chosen = {p: css for p, css in chosen.items() if p not in broken}
    return result, tweaks


def partners(marked: str, lay_out: Callable[[str], tuple], pages: list, tweaks: dict[int, str],
             chosen: dict[int, str], stubborn: dict[int, dict[int, str]], em: float, median: float,
             allowance: Allowance) -> list[tuple[int, int, int, str, str]]:
    """A loose paragraph that no spacing mends keeping its lines, but one mends with a line less (or
    more): paired with another paragraph wholly on the page of its last line, set to take a line more
    (or less), so that the page keeps its lines (a loose line before a last word alone on its line: the
    word taken up, a line given to a paragraph above). The partners' spacings, as spacing_for() guesses
    them and a hundredth or two more, are tried on them laid out alone. Returns (paragraph, partner,
    the paragraph's change of lines, its CSS, the partner's CSS) for each pair found."""
    measure = max((x.length for p in pages for x in p.lines), default=1.0)
    taken = set(tweaks) | set(chosen) | set(stubborn)
    wanted: dict[int, list[tuple[int, int, float]]] = {}  # paragraph -> [(partner, its change, spacing)]
    for p, options in sorted(stubborn.items()):
        index = max(i for i, page in enumerate(pages) if any(x.paragraph == p for x in page.lines))
        whole = [q for q in on_page(pages, index, {}) if q not in taken
                 and sum(x.paragraph == q for x in pages[index].lines) == len(paragraph_lines(pages, q))]
        for delta in sorted(options):
            for q in whole:
                looser = delta < 0  # the partner takes the line the paragraph gives up
                spacing = spacing_for(paragraph_lines(pages, q), measure, em, looser, MOST_LOOSER if looser else MOST_TIGHTER)
                if spacing is not None:
                    wanted.setdefault(p, []).append((q, -delta, spacing if looser else -spacing))
                    taken.add(q)
                    break
    found = []
    for extra in (0.0, 0.01, 0.02):
        shown = [q for p, qs in wanted.items() for q, _, _ in qs]
        if not shown or not allowance.left(len(pages) + trial_pages_for(pages, shown)):
            break
        css = {q: f"word-spacing: {round(s + (extra if s > 0 else -extra), 2)}em;" for qs in wanted.values() for q, _, s in qs}
        trial_pages = W.page_lines(lay_out(alone(with_tweaks(marked, {**tweaks, **chosen, **css}), shown))[0])
        still = loose_paragraphs(trial_pages, em, median, spaces=1)
        laddered = set(ladder_paragraphs(trial_pages))
        for p in sorted(wanted):
            for q, change, _ in wanted[p]:
                if q not in still and q not in laddered and \
                        len(paragraph_lines(trial_pages, q)) == len(paragraph_lines(pages, q)) + change:
                    found.append((p, q, -change, stubborn[p][-change], css[q]))
                    del wanted[p]
                    break
        trace("even colour: pairs", extra, [(p, q) for p, q, *_ in found], "still to find", sorted(wanted))
    return found


def trial_pages_for(pages: list, shown: list[int]) -> int:
    """About how many pages the paragraphs `shown` take laid out alone (with the chapter's opening)."""
    lines = sum(len(paragraph_lines(pages, p)) for p in shown)
    full = max((len(page.lines) for page in pages), default=1) or 1
    return 1 + -(-lines // full)


def colour_reserve(pages: list, loose: list[int]) -> int:
    """The pages even_colour() needs: a trial of the loose paragraphs alone for each spacing and the
    layout that keeps what they find, given on top of PAGE_BUDGET where the passes before leave less."""
    if not loose:
        return 0
    return len(EVENING) * trial_pages_for(pages, loose) + 2 * len(pages)


def recto_feet(pages: list) -> list[tuple[int, int]]:
    """(recto, paragraph) for each recto whose last line ends in a hyphen, its word going on overleaf; the
    chapter's opening page is a recto too."""
    found = []
    for recto in range(0, len(pages) - 1, 2):
        foot = pages[recto].lines[-1] if pages[recto].lines else None
        nxt = pages[recto + 1].lines[0] if pages[recto + 1].lines else None
        if foot is not None and foot.hyphen and foot.paragraph is not None and nxt is not None \
                and nxt.paragraph == foot.paragraph:
            found.append((recto, foot.paragraph))
    return found


def foot_compound(pages: list, recto: int) -> str:
    """The change that keeps whole the compound broken at its own hyphen at a recto's foot (kept_whole());
    "" where the recto's last line ends in the hyphenation's hyphen, which `hyphens: manual` takes away."""
    compound = compound_at(pages[recto].lines[-1], pages[recto + 1].lines[0])
    return kept_whole(compound) if compound else ""


def foot_reserve(pages: list) -> int:
    """The pages no_break_at_recto_foot() needs for its trials at each recto foot (FOOT_SPACINGS), the
    layout that keeps them and a trial of the whole chapter: given it on top of PAGE_BUDGET where the
    spreads leave less (taken from the spreads, it cost Holmes three balanced spreads; with a trial a
    foot, the spreads balanced more left Holmes two feet more). A trial lays out the chapter cut two
    pages after the recto (truncated()): the recto's pages, the two after it and the paragraph running
    over the cut, a page or two more."""
    feet = recto_feet(pages)
    return sum(len(FOOT_SPACINGS) * (recto + 5) for recto, _ in feet) + 2 * len(pages) if feet else 0


def no_break_at_recto_foot(marked: str, lay_out: Callable[[str], tuple], result, pages: list,
                           tweaks: dict[int, str], tolerance: float, allowance: Allowance):
    """A recto whose last line ends in a hyphen breaks the word across the page turn. Its paragraph is
    laid out again unhyphenated, a compound broken there at its own hyphen kept whole (foot_compound();
    `hyphens` does not stop that break), then a shade tighter or looser too, where so it takes a line more
    or less, the chapter cut two pages on (truncated()): kept where the pages up to there keep their
    lines, so no page and no spread changes; the changes kept are laid out once, whole. A foot no change
    mends so is then tried as before, whole, kept where the spreads stay as balanced as they were."""
    kept: dict[int, str] = {}
    allowance.remaining = max(allowance.remaining, foot_reserve(pages))
    for recto, paragraph in recto_feet(pages):
        whole = foot_compound(pages, recto)
        for extra in FOOT_SPACINGS:
            change = {**tweaks, **kept, paragraph: tweaks.get(paragraph, "") + " hyphens: manual;" + whole + extra}
            text = truncated(with_tweaks(marked, change), pages, recto)
            if not allowance.left(recto + 3 + len(pages)):
                trace("recto foot", recto, paragraph, "not tried: the budget is spent", allowance.remaining)
                break
            trial_pages = W.page_lines(lay_out(text)[0])
            mended = len(trial_pages) > recto and trial_pages[recto].lines and not trial_pages[recto].lines[-1].hyphen
            same = same_lines(trial_pages[:recto + 3], pages[:recto + 3])
            trace("recto foot", recto, paragraph, repr(extra), "kept" if mended and same else "not kept",
                  "" if mended else "still broken", "" if same else "a page moved")
            if mended and same:
                kept[paragraph] = change[paragraph]
                break
    if kept:
        trial, trial_pages = laid_out(lay_out, marked, {**tweaks, **kept})
        if same_lines(trial_pages, pages):
            result, pages, tweaks = trial, trial_pages, {**tweaks, **kept}
        else:
            trace("recto feet", sorted(kept), "moved a later page: not kept")
    uneven = lambda some: {s for s in spreads(some) if unbalanced(some, s, tolerance)}  # noqa: E731
    for recto, paragraph in recto_feet(pages):
        if "hyphens" in tweaks.get(paragraph, ""):
            continue
        if not allowance.left(len(pages)):
            trace("recto foot", recto, paragraph, "not tried whole: the budget is spent", allowance.remaining)
            break
        change = {**tweaks, paragraph: tweaks.get(paragraph, "") + " hyphens: manual;" + foot_compound(pages, recto)}
        trial, trial_pages = laid_out(lay_out, marked, change)
        still = recto < len(trial_pages) and trial_pages[recto].lines and trial_pages[recto].lines[-1].hyphen
        ok = not still and len(trial_pages) == len(pages) and uneven(trial_pages) <= uneven(pages)
        trace("recto foot", recto, paragraph, "whole", "kept" if ok else "not kept", "still" if still else "",
              len(trial_pages) - len(pages), sorted(uneven(trial_pages) - uneven(pages)))
        if ok:
            result, pages, tweaks = trial, trial_pages, change
    return result, pages, tweaks


def ladder_paragraphs(pages: list) -> list[int]:
    """The paragraphs with more than two lines in a row ending in a hyphen, in order."""
    found: list[int] = []
    run, previous = 0, None
    for line in (x for page in pages for x in page.lines):
        run = run + 1 if line.hyphen and line.paragraph == previous else int(line.hyphen)
        previous = line.paragraph
        if run > 2 and line.paragraph is not None and line.paragraph not in found:
            found.append(line.paragraph)
    return found


def ladder_word(pages: list, paragraph: int) -> str | None:
    """The word broken at the end of the middle line of the paragraph's first three hyphenated lines in a
    row (broken_word()): kept whole, it breaks the run."""
    lines = paragraph_lines(pages, paragraph)
    for i in range(len(lines) - 3):
        if lines[i].hyphen and lines[i + 1].hyphen and lines[i + 2].hyphen:
            return broken_word(lines[i + 1], lines[i + 2])
    return None


def ladder_fixes(pages: list, paragraph: int, css: str) -> list[str]:
    """What no_ladders() tries on a paragraph (added to its change `css`), the least change first:
    unhyphenated; its ladder's middle word kept whole, then so and a shade tighter; unhyphenated and a
    shade tighter, then looser. Either change of the line breaks often takes a line more in a long
    paragraph, which a shade tighter takes back (Verne's chapter 11 opens with a paragraph of 26 lines,
    "satisfac-" / "travel-" / "study-" on the page after: "travelling" kept whole and 0.01 em tighter)."""
    word = ladder_word(pages, paragraph)
    whole = [kept_whole(word) + extra for extra in LADDER_WHOLE_SPACINGS] if word and not WHOLE.search(css) else []
    if "hyphens" in css:
        return whole
    return [" hyphens: manual;", *whole, *(" hyphens: manual;" + extra for extra in FOOT_SPACINGS[1:])]


def no_ladders(marked: str, lay_out: Callable[[str], tuple], result, pages: list, tweaks: dict[int, str],
               em: float, allowance: Allowance):
    """A paragraph with three hyphenated lines in a row laid out again with each of ladder_fixes() in turn,
    the first kept where its ladder goes, none of its lines turns loose and every page keeps its lines (so
    no page, and no spread, changes); where each change that mends it leaves a line loose, the first of
    them. Each trial lays out the chapter; they are given the pages on top of PAGE_BUDGET where the
    passes before leave less."""
    ladders = {p: ladder_fixes(pages, p, tweaks.get(p, "")) for p in ladder_paragraphs(pages)}
    allowance.remaining = max(allowance.remaining, sum(len(fixes) for fixes in ladders.values()) * len(pages))
    median = median_space(pages, em)
    loose_before = loose_paragraphs(pages, em, median)
    for paragraph, fixes in ladders.items():
        mends = []  # (loose, the trial, its pages, the change)
        for fix in fixes:
            if not allowance.left(len(pages)):
                trace("ladder", paragraph, "not tried further: the budget is spent", allowance.remaining)
                break
            change = {**tweaks, paragraph: tweaks.get(paragraph, "") + fix}
            trial, trial_pages = laid_out(lay_out, marked, change)
            still = paragraph in ladder_paragraphs(trial_pages)
            same = same_lines(trial_pages, pages)
            loose = paragraph in loose_paragraphs(trial_pages, em, median) and paragraph not in loose_before
            trace("ladder", paragraph, repr(fix), "mends" if same and not still else "does not mend",
                  "still a ladder" if still else "", "" if same else "a page moved", "loose" if loose else "")
            if same and not still:
                mends.append((loose, trial, trial_pages, change))
                if not loose:
                    break
        if mends:
            _loose, result, pages, tweaks = min(mends, key=lambda mend: mend[0])  # the first not loose, else the first
    return result, pages, tweaks


def in_one_document(div, chapter: int, tweaks: dict[int, str]) -> str:
    """A chapter's changes for the book laid out as one document: its paragraphs numbered as mark()
    numbers them in the chapter alone, the rules scoped to the chapter. Returns the CSS."""
    div.set("data-tc", str(chapter))
    for n, p in enumerate(div.iter("p")):
        p.set("data-tp", f"{chapter}-{n}")
        if WHOLE.search(tweaks.get(n, "")):
            whole_words(p, WHOLE.findall(tweaks[n]))
    scope = f'[data-tc="{chapter}"] '
    rules = []
    for n, css in sorted(tweaks.items()):
        if n == ENDING:
            rules += [scope + rule for rule in css.split("\n")]
        else:
            rules.append(f'{scope}p[data-tp="{chapter}-{n}"] {{ {css} }}')
    return "\n".join(rules)
