"""What a source's own stylesheet says of its words, written into its markup before the stylesheet is
dropped. Google Docs' "Download → Web page (.html)" marks every italic and bold word by a class its
`<style>` defines (`.c1{font-style:italic}`, `<span class="c1">knew</span>`), never by `<i>` or an
inline style: the conversion to Markdown, which reads elements and inline styles, lost them all."""

from __future__ import annotations

import re

import tinycss2
from bs4 import BeautifulSoup, Tag

CLASS_SELECTOR_RE = re.compile(r"^\.(-?[A-Za-z_][\w-]*)$")
BOLD_WEIGHTS = {"bold", "bolder", "600", "700", "800", "900"}
MARKED = ("font-style", "font-weight", "text-decoration", "text-decoration-line")
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6", "th")
BLOCKS = ("p", "div", "blockquote", "ul", "ol", "li", "table", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
          "section", "article", "header", "footer", "figure", "dl", "dt", "dd", "tr", "td", "th", "caption",
          "figcaption", "thead", "tbody", "tfoot")
# A mark and the elements that already give it, around or at the element: no second one inside them.
ALREADY = {"em": ("em", "i"), "strong": ("strong", "b") + HEADINGS, "s": ("s", "del", "strike")}


def class_rules(soup: BeautifulSoup) -> list[tuple[set[str], dict[str, str]]]:
    """(class names, declarations) of each rule in the page's `<style>` elements whose selectors are
    all one class alone (`.c1`, `.c1, .c2`), in the stylesheet's order. Rules of other selectors
    (`h1`, `p.c2 span`) are left to the elements they style."""
    rules = []
    for style in soup.find_all("style"):
        for rule in tinycss2.parse_stylesheet(style.get_text(), skip_comments=True, skip_whitespace=True):
            if rule.type != "qualified-rule":
                continue
            matches = [CLASS_SELECTOR_RE.match(part.strip()) for part in tinycss2.serialize(rule.prelude).split(",")]
            if not matches or not all(matches):
                continue
            rules.append(({m.group(1) for m in matches}, _declarations(rule.content)))
    return rules


def _declarations(tokens) -> dict[str, str]:
    out = {}
    for item in tinycss2.parse_declaration_list(tokens, skip_comments=True, skip_whitespace=True):
        if item.type == "declaration" and item.lower_name in MARKED:
            out[item.lower_name] = " ".join(tinycss2.serialize(item.value).lower().split())
    return out


def _marks(declared: dict[str, str]) -> list[str]:
    """The elements that give what `declared` sets: italics, bold, and struck-through words; underlined
    words in italics, as a Word document's are (standard manuscript format underlines its italics)."""
    decoration = declared.get("text-decoration-line", "") + " " + declared.get("text-decoration", "")
    marks = []
    if declared.get("font-style") in ("italic", "oblique") or "underline" in decoration:
        marks.append("em")
    if declared.get("font-weight") in BOLD_WEIGHTS:
        marks.append("strong")
    if "line-through" in decoration:
        marks.append("s")
    return marks


def with_class_styles(soup: BeautifulSoup) -> None:
    """Give each element whose classes the page's stylesheet sets in italics, bold or struck through
    (class_rules) its words wrapped in `<em>`, `<strong>` or `<s>`, in place. Only elements without
    blocks inside; a property its own `style=` sets is left to that; no mark inside an element that gives
    it already (bold in a heading), and none of its kind left inside the one given.

    One walk of the page, parents before children, each element's marks taken from its parent's: looked
    up element by element (its text, its blocks, the marks around it), 20,000 nested styled spans took
    more than five minutes."""
    rules = [rule for rule in class_rules(soup) if rule[1]]
    if not rules:
        return
    holds_block: set[int] = set()
    holds_text: set[int] = set()
    for el in soup.find_all(BLOCKS):
        _mark_parents(el, holds_block)
    for text in soup.find_all(string=True):
        if text.strip():
            _mark_parents(text, holds_text)
    # id(element) -> (the marks it or those around it give, those of them given here by a class)
    around: dict[int, tuple[frozenset[str], frozenset[str]]] = {}
    for el in soup.find_all(True):
        given, added = around.get(id(el.parent), (frozenset(), frozenset()))
        if any(el.name in ALREADY[mark] for mark in added):
            el.name = "span"  # italics inside italics given: Markdown's `*a *b* c*` ends the first at the second
        given = given | {mark for mark, names in ALREADY.items() if el.name in names}
        around[id(el)] = (given, added)
        classes = set(el.get("class") or [])
        if not classes or el.name in ("html", "head", "body", "style", "script") or id(el) in holds_block \
                or id(el) not in holds_text:
            continue
        declared: dict[str, str] = {}
        for names, declarations in rules:
            if names & classes:
                declared.update(declarations)
        if not declared:
            continue
        inline = _declarations(tinycss2.parse_component_value_list(el.get("style") or "")) if el.get("style") else {}
        for name in inline:
            declared.pop(name, None)
            if name == "text-decoration":
                declared.pop("text-decoration-line", None)
        for mark in reversed(_marks(declared)):
            if mark in given:
                continue
            wrapper = soup.new_tag(mark)
            for child in list(el.contents):
                wrapper.append(child.extract())
            el.append(wrapper)
            given, added = given | {mark}, added | {mark}
            around[id(wrapper)] = (given, added)


def _mark_parents(node, marked: set[int]) -> None:
    """Each element around `node` put in `marked` (by id), up to the first one there already."""
    parent = node.parent
    while parent is not None and id(parent) not in marked:
        marked.add(id(parent))
        parent = parent.parent
