"""Python-Markdown's inline pass, made to skip the patterns a text cannot match.

Python-Markdown tries every inline pattern on every run of text: 16 patterns in the 'inline' pass and
18 more in smarty's, most of which cannot match a run that lacks a character they need (a link needs
'[', emphasis '*' or '_', an en dash '--', a quote pattern its quote). Trying each costs a Python call,
a regex search and a registry lookup: three quarters of rendering a chapter (issue 17's profile).

`InlinePass` is Python-Markdown's own InlineProcessor with one private method replaced: the loop over
the patterns (`__handleInline`), which here first asks whether the text holds any character a pattern
must match (`required_chars`, read from the pattern's regular expression) and moves on when it does
not, exactly as when the pattern is tried and does not match. A pattern whose expression needs no
particular character (a word, any character) is always tried. The output is the same, tested on
every Markdown text the test suite renders (tests/test_render.py).

This reaches into a private method: `speed_up()` swaps the class only where that method is there,
so another Python-Markdown version renders at its own speed and the same.
"""

from __future__ import annotations

import re
from re import _constants as C  # noqa: N812
from re import _parser as sre_parse

from markdown import Markdown, inlinepatterns, treeprocessors, util

_STOCK = treeprocessors.InlineProcessor
_HANDLE, _APPLY = "_InlineProcessor__handleInline", "_InlineProcessor__applyPattern"
_REPEATS = tuple(getattr(C, name) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") if hasattr(C, name))
_PLACEHOLDER_CHARS = frozenset(util.INLINE_PLACEHOLDER_PREFIX + util.ETX + "0123456789")  # what a match puts in
_LARGEST_RANGE = 64  # a class wider than this ('[a-z]' is 26) is no use as a test


def required_chars(compiled: re.Pattern) -> frozenset[str] | None:
    """Characters of which every match of `compiled` holds at least one, or None where no such small
    set can be read from it (it may match any character, or nothing at all)."""
    if compiled.flags & re.IGNORECASE:
        return None
    try:
        parsed = sre_parse.parse(compiled.pattern, compiled.flags)
    except Exception:  # an expression this reader does not follow: always tried
        return None
    return _sequence(list(parsed))


def _rank(chars: frozenset[str]) -> tuple[bool, bool, int]:
    """Rarer is better: punctuation and line ends before letters, digits and spaces, fewer before more."""
    return any(c.isalnum() or c == " " for c in chars), any(c.isspace() for c in chars), len(chars)


def _sequence(items: list) -> frozenset[str] | None:
    """A sequence matches only if each of its items does: the rarest set any one item needs."""
    best = None
    for op, av in items:
        chars = _item(op, av)
        if chars and (best is None or _rank(chars) < _rank(best)):
            best = chars
    return best


def _item(op, av) -> frozenset[str] | None:
    if op is C.LITERAL:
        return frozenset(chr(av))
    if op is C.IN:
        chars: set[str] = set()
        for kind, value in av:
            if kind is C.LITERAL:
                chars.add(chr(value))
            elif kind is C.RANGE and value[1] - value[0] < _LARGEST_RANGE:
                chars.update(map(chr, range(value[0], value[1] + 1)))
            else:  # a negated class, a category (\w, \s) or a wide range
                return None
        return frozenset(chars)
    if op is C.SUBPATTERN:
        _group, add_flags, _del_flags, pattern = av
        return None if add_flags & re.IGNORECASE else _sequence(list(pattern))
    if op is getattr(C, "ATOMIC_GROUP", None):
        return _sequence(list(av))
    if op in _REPEATS:
        least, _most, pattern = av
        return _sequence(list(pattern)) if least >= 1 else None
    if op is C.BRANCH:
        _, branches = av
        chars = set()
        for branch in branches:
            needed = _sequence(list(branch))
            if needed is None:
                return None
            chars |= needed
        return frozenset(chars)
    return None  # assertions and anchors take no character; ANY, categories and back-references any


_required: dict[re.Pattern, frozenset[str] | None] = {}


def _needs(pattern) -> frozenset[str] | None:
    compiled = pattern.getCompiledRegExp()
    if compiled not in _required:
        _required[compiled] = required_chars(compiled)
    return _required[compiled]


class InlinePass(_STOCK):
    """Python-Markdown's InlineProcessor, skipping a pattern the text holds no needed character of."""

    def run(self, tree, ancestors=None):
        self._patterns = list(self.inlinePatterns)  # by priority, as the registry indexes them
        self._needs = [_needs(pattern) for pattern in self._patterns]
        # A new-style pattern's own expression, searched first in C: where it finds nothing, trying the
        # pattern would find nothing either (it iterates the same expression's matches from startIndex).
        self._searches = [pattern.getCompiledRegExp().search if isinstance(pattern, inlinepatterns.InlineProcessor)
                          else None for pattern in self._patterns]
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802, N803
        # The stock loop (treeprocessors.InlineProcessor.__handleInline), with the test added.
        if isinstance(data, util.AtomicString):
            return data
        patterns, needs, searches, apply = self._patterns, self._needs, self._searches, getattr(self, _APPLY)
        startIndex = 0  # noqa: N806
        count = len(patterns)
        # The text's characters. A match only takes characters out and puts a placeholder in, so the
        # placeholder's characters added keep this a superset (reading the text again after each match
        # would be quadratic: 30,000 escaped brackets are 30,000 matches).
        present = set(data)
        while patternIndex < count:
            needed = needs[patternIndex]
            search = searches[patternIndex]
            if (needed is not None and needed.isdisjoint(present)) or (search and search(data, startIndex) is None):
                patternIndex, startIndex = patternIndex + 1, 0  # noqa: N806 (as an unmatched try leaves them)
                continue
            data, matched, startIndex = apply(patterns[patternIndex], data, patternIndex, startIndex)  # noqa: N806
            if matched:
                present |= _PLACEHOLDER_CHARS
            else:
                patternIndex += 1
        return data


def speed_up(md: Markdown) -> None:
    """Each stock inline pass of `md` (Python-Markdown's own and smarty's) made an InlinePass, where
    this Python-Markdown has the private loop InlinePass replaces."""
    if not (hasattr(_STOCK, _HANDLE) and hasattr(_STOCK, _APPLY)):
        return
    for name in ("inline", "smarty"):
        if name in md.treeprocessors and type(md.treeprocessors[name]) is _STOCK:
            md.treeprocessors[name].__class__ = InlinePass
