"""What bookmaker can check of EPUB Accessibility 1.1 itself, so that a conformance claim is made only
when it is true: every picture described (or marked decorative), headings without skipped levels,
the language on every page, and a page list where a print edition exists."""

from __future__ import annotations

import re

from lxml import etree

from bookmaker.model import RenderedBook
from bookmaker.render import xhtml

CONFORMS_TO = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"


def _root(body: str):
    return etree.fromstring(f'<div xmlns="{xhtml.XHTML}" xmlns:epub="{xhtml.OPS}">{body}</div>')


def unmet(rendered: RenderedBook, print_edition: bool, page_list: bool) -> list[str]:
    """What keeps the book from the claim, one sentence each; empty when every check passes."""
    missing = []
    undescribed, skips = [], []
    for page in rendered.pages:
        if page.kind == "toc":
            continue
        root = _root(page.body)
        for img in root.iter(xhtml.q("img")):
            decorative = img.get("role") in ("presentation", "none") or img.get("alt") == "" and img.get(
                "role") == "presentation"
            if not (img.get("alt") or "").strip() and not decorative:
                undescribed.append(page.title)
        # the chapter's heading (h1) opens each page; levels below it may go down one at a time
        level = 1
        for el in root.iter():
            name = xhtml.local(el) if isinstance(el.tag, str) else ""
            if re.fullmatch(r"h[1-6]", name):
                new = int(name[1])
                if new > level + 1:
                    skips.append(f"{page.title} (h{level} to h{new})")
                level = new
    if undescribed:
        missing.append(f"pictures without a description (alt text) in: {', '.join(sorted(set(undescribed)))}")
    if skips:
        missing.append(f"heading levels skipped in: {', '.join(skips[:5])}")
    if not rendered.book.metadata.language:
        missing.append("no language for the pages")
    if print_edition and not page_list:
        missing.append("a print edition exists but the EPUB has no page list from it: build both formats "
                       "with `bookmaker build`, or use `bookmaker epub --page-list`")
    return missing
