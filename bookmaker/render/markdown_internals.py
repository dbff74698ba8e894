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

`SmartPass` replaces smarty's inline pass, whose patterns each turn a quote, dash or ellipsis into
text: it applies them as that pass does (each in priority order over the whole text, each match
replaced by a placeholder the later patterns' lookarounds see, searching on after it), without the
pass's machinery for elements (a stashed node, a raw HTML snippet and a tree rebuilt for each curly
quote), and writes the characters into the text where the pass wrote placeholders for the raw HTML
postprocessor to fill in. That pass was a fifth of rendering a chapter.

`LineStart` wraps a block processor's expression that can only match at a line's start: in a block
of one line (most paragraphs of prose) it is tried at the block's start alone, not at every character.

This reaches into private methods: `speed_up()` swaps a pass only where this Python-Markdown has what
it replaces, so another version renders at its own speed and the same.
"""

from __future__ import annotations

import bisect
import re
from re import _constants as C  # noqa: N812
from re import _parser as sre_parse

from markdown import Markdown, inlinepatterns, treeprocessors, util
from markdown.extensions import smarty

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
        triggers = frozenset().union(*(needed for needed in self._needs if needed is not None))
        self._trigger_list = sorted(triggers)  # each character some pattern needs
        self._placeholder_triggers = triggers & _PLACEHOLDER_CHARS
        self._candidates: dict[frozenset[str], tuple[int, ...]] = {}
        return super().run(tree, ancestors)

    def candidates(self, found: frozenset[str]) -> tuple[int, ...]:
        """The patterns, by index, a text holding the characters `found` (of those any pattern needs)
        may match: those needing one of them, and those needing none in particular."""
        if found not in self._candidates:
            self._candidates[found] = tuple(index for index, needed in enumerate(self._needs)
                                            if needed is None or not needed.isdisjoint(found))
        return self._candidates[found]

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802, N803
        # The stock loop (treeprocessors.InlineProcessor.__handleInline): each pattern from
        # `patternIndex` on, by priority, applied from the text's start until it matches no more; here
        # only the patterns the text's characters allow are visited (looping over all 34 to skip most
        # was a fifth of the inline pass).
        if isinstance(data, util.AtomicString):
            return data
        patterns, searches, apply = self._patterns, self._searches, getattr(self, _APPLY)
        # The text's characters. A match only takes characters out and puts a placeholder in, so the
        # placeholder's characters added keep this a superset (reading the text again after each match
        # would be quadratic: 30,000 escaped brackets are 30,000 matches).
        found = frozenset([c for c in self._trigger_list if c in data])  # 'in': a C search, faster than set(data)
        candidates = self.candidates(found)
        at = bisect.bisect_left(candidates, patternIndex)
        while at < len(candidates):
            index = candidates[at]
            search = searches[index]
            start = 0
            while search is None or search(data, start) is not None:
                data, matched, start = apply(patterns[index], data, index, start)
                if not matched:
                    break
                if not self._placeholder_triggers <= found:  # a pattern needing a placeholder's character
                    found = found | self._placeholder_triggers
                    candidates = self.candidates(found)
                    at = candidates.index(index)
            at += 1
        return data


class SmartPass(treeprocessors.Treeprocessor):
    """Smarty's inline pass: its substitutions, applied to every text and tail below the root as the
    stock pass applies them (treeprocessors.InlineProcessor.run and __applyPattern)."""

    TOKEN_RE = re.compile(re.escape(util.INLINE_PLACEHOLDER_PREFIX) + r"([0-9]+)" + re.escape(util.ETX))

    def __init__(self, md: Markdown, patterns: list[smarty.SubstituteTextPattern]):
        super().__init__(md)
        self.patterns = [(pattern.getCompiledRegExp().search, _needs(pattern), tuple(pattern.replace))
                         for pattern in patterns]
        needs = [needed for _search, needed, _replace in self.patterns]
        self.triggers = None if None in needs else sorted(frozenset().union(*needs))

    def run(self, root):
        for el in root.iter():
            if el is root:
                continue  # the stock pass reads the root's children, never the root's own text
            if el.text and not isinstance(el.text, util.AtomicString):
                el.text = self.smarten(el.text)
            if el.tail and not isinstance(el.tail, util.AtomicString):
                el.tail = self.smarten(el.tail)

    def smarten(self, text: str) -> str:
        if self.triggers is None:
            found = set(text) | _PLACEHOLDER_CHARS
        else:  # the characters the patterns need that the text holds ('in' is a C search)
            found = {c for c in self.triggers if c in text}
            if not found:
                return text
            found |= _PLACEHOLDER_CHARS
        made: list[str] = []  # what each placeholder stands for
        for search, needed, replace in self.patterns:
            if needed is not None and needed.isdisjoint(found):
                continue
            start = 0
            while (m := search(text, start)) is not None:
                made.append("".join(m.group(part) if isinstance(part, int) else part for part in replace))
                placeholder = util.INLINE_PLACEHOLDER % f"{len(made) - 1:04d}"
                text = text[:m.start()] + placeholder + text[m.end():]
                start = m.start() + len(placeholder)
        if not made:
            return text
        return self.TOKEN_RE.sub(lambda m: made[int(m.group(1))] if int(m.group(1)) < len(made) else m.group(0), text)


class LineStart:
    """A block processor's expression whose every match starts a line (`(^|\\n)...`, or `^` under
    MULTILINE): searched in a block of one line (a paragraph of prose), only a match at the block's
    start is possible, so it is tried there alone instead of at every character. Everything else is the
    expression's own. Block processors' searches were two fifths of parsing a chapter's blocks."""

    __slots__ = ("compiled",)

    def __init__(self, compiled: re.Pattern):
        self.compiled = compiled

    def search(self, string, *bounds):
        if not bounds and "\n" not in string:
            return self.compiled.match(string)
        return self.compiled.search(string, *bounds)

    def __getattr__(self, name):
        return getattr(self.compiled, name)


def starts_lines(compiled: re.Pattern) -> bool:
    """Whether every match of `compiled` begins at the string's start or right after a newline it
    matches (or, under MULTILINE, at a line's start): read from the parsed expression."""
    try:
        parsed = list(sre_parse.parse(compiled.pattern, compiled.flags))
    except Exception:
        return False

    def starts(items) -> bool:
        if not items:
            return False
        op, av = items[0]
        if op is C.AT:  # ^ (a line's start under MULTILINE) or \A
            return av in (C.AT_BEGINNING, C.AT_BEGINNING_STRING)
        if op is C.LITERAL:
            return av == ord("\n")
        if op is C.SUBPATTERN:
            return starts(list(av[3]))
        if op is C.BRANCH:
            return all(starts(list(branch)) for branch in av[1])
        return False

    return starts(parsed)


def speed_up_blocks(md: Markdown) -> None:
    """Each block processor's expressions that only match at a line's start made LineStart's."""
    for processor in md.parser.blockprocessors:
        for name in dir(processor):
            value = getattr(processor, name, None)
            if isinstance(value, re.Pattern) and starts_lines(value):
                setattr(processor, name, LineStart(value))


def smart_patterns(md: Markdown) -> list | None:
    """Smarty's patterns in priority order, if its pass is the stock one and every pattern a stock
    substitution (a pattern that builds elements, or skips some ancestors, needs the stock pass)."""
    stock = md.treeprocessors["smarty"] if "smarty" in md.treeprocessors else None
    if type(stock) not in (_STOCK, InlinePass):
        return None
    patterns = list(stock.inlinePatterns)
    if not all(type(p) is smarty.SubstituteTextPattern and not p.ANCESTOR_EXCLUDES
               and all(isinstance(part, (int, str)) for part in p.replace) for p in patterns):
        return None
    code = smarty.SubstituteTextPattern.handleMatch.__code__
    if (code.co_code, code.co_names, code.co_consts) != _HANDLE_MATCH_CODE:
        return None
    return patterns


def _stock_handle_match(self, m, data):  # smarty.SubstituteTextPattern.handleMatch, as SmartPass reads it
    result = ''
    for part in self.replace:
        if isinstance(part, int):
            result += m.group(part)
        else:
            result += self.md.htmlStash.store(part)
    return result, m.start(0), m.end(0)


_HANDLE_MATCH_CODE = tuple(getattr(_stock_handle_match.__code__, name)
                           for name in ("co_code", "co_names", "co_consts"))


def speed_up(md: Markdown) -> None:
    """Each stock inline pass of `md` (Python-Markdown's own and smarty's) made an InlinePass, where
    this Python-Markdown has the private loop InlinePass replaces; then smarty's a SmartPass, where its
    patterns are all stock substitutions; and the block processors' line-start expressions LineStart's."""
    speed_up_blocks(md)
    if not (hasattr(_STOCK, _HANDLE) and hasattr(_STOCK, _APPLY)):
        return
    for name in ("inline", "smarty"):
        if name in md.treeprocessors and type(md.treeprocessors[name]) is _STOCK:
            md.treeprocessors[name].__class__ = InlinePass
    patterns = smart_patterns(md)
    if patterns is not None:
        priority = next(item.priority for item in md.treeprocessors._priority if item.name == "smarty")
        md.treeprocessors.register(SmartPass(md, patterns), "smarty", priority)
