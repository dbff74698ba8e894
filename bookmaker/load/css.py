"""Stylesheets read as a browser reads them: tokenized by tinycss2, so CSS escapes (`u\\72l(`,
`@\\69mport`) and comments are undone before anything is asked of them. A regular expression over
the raw text sees neither, and a reference it misses reaches every reader's device."""

from __future__ import annotations

import base64
import hashlib
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import tinycss2

# Functions that fetch a file named by a bare string argument, as url() does.
STRING_FETCHERS = {"image-set", "-webkit-image-set", "image", "cross-fade", "-webkit-cross-fade"}
# Functions and words that run script or bind behaviour in some engine.
ACTIVE = {"expression", "javascript", "behavior", "-moz-binding", "binding"}
DATA_RE = re.compile(r"^data:([^;,]*)((?:;[^;,]*)*),(.*)$", re.S | re.I)
SAFE_DATA_TYPES = re.compile(r"^(image/(png|jpeg|gif|webp)|font/[a-z0-9.+-]+|application/(font|x-font)[a-z0-9.+-]*)$", re.I)


@dataclass(frozen=True)
class Reference:
    """Something a stylesheet asks for: `kind` is url, import, string (a file named without url()),
    or active (script or behaviour); `value` decoded; `line` and `column` 1-based, as in the file."""

    kind: str
    value: str
    line: int
    column: int


# Blocks and functions nested in a stylesheet, at most: a theme needs three or four (@media, @supports,
# a rule, calc()); the walks here, and WeasyPrint's, recurse.
MAX_NESTING = 40


def references(text: str) -> Iterator[Reference]:
    """Every url(), @import, string-named file and active word in `text`, escapes and comments undone;
    a block or function nested deeper than MAX_NESTING as kind "deep", the first only, and nothing in it."""
    yield from walk(tinycss2.parse_component_value_list(text, skip_comments=True), None)


def walk(nodes, function: str | None, depth: int = 0) -> Iterator[Reference]:
    if depth > MAX_NESTING:
        first = next(iter(nodes), None)
        yield Reference("deep", str(MAX_NESTING), getattr(first, "source_line", 1), getattr(first, "source_column", 1))
        return
    for node in nodes:
        kind = node.type
        if kind == "url":
            yield Reference("url", node.value, node.source_line, node.source_column)
        elif kind == "function":
            name = node.lower_name
            if name == "url":
                value = "".join(n.value for n in node.arguments if n.type == "string")
                yield Reference("url", value, node.source_line, node.source_column)
                continue
            if name in ACTIVE:
                yield Reference("active", name, node.source_line, node.source_column)
            yield from walk(node.arguments, name, depth + 1)
        elif kind == "at-keyword" and node.lower_value == "import":
            yield Reference("import", "@import", node.source_line, node.source_column)
        elif kind == "string" and function in STRING_FETCHERS:
            yield Reference("string", node.value, node.source_line, node.source_column)
        elif kind == "ident" and node.lower_value in ACTIVE:
            yield Reference("active", node.lower_value, node.source_line, node.source_column)
        elif kind in ("() block", "[] block", "{} block"):
            yield from walk(node.content, function, depth + 1)
        elif kind == "error" and node.kind in ("bad-url", "bad-string"):
            # A reader drops such a declaration, but its text (an address, perhaps) would still ship.
            yield Reference("malformed", node.kind, node.source_line, node.source_column)


def data_problem(uri: str) -> str | None:
    """Why a data: URI cannot stay, or None: pictures and fonts may; an SVG only if it refers to
    nothing outside itself and runs nothing (checked as an SVG file is); any other type may not."""
    from bookmaker.load.svg import NotSvg, clean_svg

    match = DATA_RE.match(uri.strip())
    if not match:
        return "a data: URI that cannot be read"
    media_type, params, payload = match.group(1).strip().lower(), match.group(2).lower(), match.group(3)
    if SAFE_DATA_TYPES.match(media_type):
        return None
    if media_type != "image/svg+xml":
        return f"a data: URI of type '{media_type or 'text/plain'}', which no book needs"
    try:
        data = (base64.b64decode(payload, validate=False) if ";base64" in params
                else urllib.parse.unquote_to_bytes(payload))
        _, removed = clean_svg(data)
    except (ValueError, NotSvg) as exc:
        return f"a data: SVG that is not a well-formed SVG ({str(exc)[:80]})"
    if removed:
        return f"a data: SVG with {', '.join(removed[:3])} (books cannot run scripts or fetch files)"
    return None


def line_starts(text: str) -> list[int]:
    """The index where each line of `text` starts: `starts[line - 1] + column - 1` is a position."""
    return [0] + [m.end() for m in re.finditer("\n", text)]


_selectors: dict[bytes, tuple[tuple[str, ...], tuple[tuple[str, int], ...]]] = {}  # a digest -> its selectors


def page_selectors(text: str) -> tuple[str, ...]:
    """Each @page rule's selector (its prelude, escapes and comments undone), in @media blocks too. Kept
    under the stylesheet's digest, not its text (a stylesheet may be 5 MB, and the service builds many
    books): every build of `watch` asks again, and tokenizing them took 12 ms."""
    return selectors_of(text)[0]


def style_selectors(text: str) -> tuple[tuple[str, int], ...]:
    """Each selector of each style rule (`h1 + p`, one a comma-separated list's item), in @media blocks
    too, with its rule's line; kept as page_selectors' are."""
    return selectors_of(text)[1]


def selectors_of(text: str) -> tuple[tuple[str, ...], tuple[tuple[str, int], ...]]:
    key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    if key not in _selectors:
        if len(_selectors) >= 64:
            _selectors.clear()
        pages: list[str] = []
        styles: list[tuple[str, int]] = []
        preludes(tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True), pages, styles)
        _selectors[key] = (tuple(pages), tuple(styles))
    return _selectors[key]


def preludes(rules, pages: list[str], styles: list[tuple[str, int]]) -> None:
    for rule in rules:
        if rule.type == "qualified-rule":
            styles.extend((selector, rule.source_line) for selector in comma_separated(rule.prelude))
        elif rule.type != "at-rule":
            continue
        elif rule.lower_at_keyword == "page":
            pages.append(tinycss2.serialize(rule.prelude).strip())
        elif rule.content is not None and rule.lower_at_keyword in ("media", "supports", "layer"):
            preludes(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True), pages, styles)


def comma_separated(tokens) -> Iterator[str]:
    """A selector list's selectors: split at its top-level commas (a comma inside `:is()` is a block's)."""
    part: list = []
    for token in [*tokens, None]:
        if token is None or (token.type == "literal" and token.value == ","):
            text = tinycss2.serialize(part).strip()
            if text:
                yield text
            part = []
        else:
            part.append(token)
