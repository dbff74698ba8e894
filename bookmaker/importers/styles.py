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
    it already (bold in a heading), and none of its kind left inside the one given."""
    rules = [rule for rule in class_rules(soup) if rule[1]]
    if not rules:
        return
    for el in soup.find_all(class_=True):
        if el.name in ("html", "head", "body", "style", "script") or el.find(BLOCKS) is not None \
                or not el.get_text(strip=True):
            continue
        classes = set(el.get("class") or [])
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
            if el.name in ALREADY[mark] or el.find_parent(ALREADY[mark]) is not None:
                continue
            for inner in el.find_all(ALREADY[mark]):
                inner.name = "span"  # italics inside italics: Markdown's `*a *b* c*` ends the first at the second
            wrapper = soup.new_tag(mark)
            for child in list(el.contents):
                wrapper.append(child.extract())
            el.append(wrapper)
