"""Selectors that pick a chapter's elements by where the chapter stands among the book's pages.

The split layout lays each chapter out as a document of its own (parts.py), so its page's <div> is
the only child of <body> there, where the whole book's document puts it among the title page, the
contents and the other chapters. A selector that looks at the chapter's place, such as
`.pdf-chapter:first-of-type h1`, `.pdf-page:nth-child(5) p` or `nav.toc ~ .pdf-chapter p`, matches
otherwise in the two, and the pages would differ from one document's. Selectors that look only inside
the chapter (`h1 + p`, `li:last-child`) match alike.

So each structural selector of the theme is tried on both arrangements of a small copy of the book:
each page's <div> with one element of each kind it holds (its tag and class, and those of its
ancestors up to the <div>), in the order first found. Where a selector picks other elements of a
chapter in the book than in the chapter alone, the book is laid out as one document.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import asdict, dataclass

import cssselect2
import lxml.html
from lxml import etree

from bookmaker.infra.cache import cache_root, cached_bytes, code_version
from bookmaker.load.css import style_selectors

# What can make a selector depend on an element's neighbours: a structural pseudo-class or a sibling
# combinator (a `+` inside an :nth-child() argument only makes a selector tried that need not be).
STRUCTURAL = re.compile(r":(?:first|last|only|nth)-|:root\b|:empty\b|[+~]", re.I)
PROBE = "data-bookmaker-probe"

_found: dict[bytes, Placed | None] = {}  # a digest of the stylesheets and the copy -> the selector found


@dataclass(frozen=True)
class Placed:
    """A selector, the number of the stylesheet it is in, and its rule's line there."""

    selector: str
    sheet: int
    line: int


def kinds_of(div, mark: str):
    """A copy of `div` with one element of each kind it holds, each marked `mark` and its number."""
    copy = etree.Element(div.tag, dict(div.attrib))
    kept = {(): copy}
    signatures = {div: ()}
    for element in div.iter(etree.Element):
        if element is div:
            continue
        parent = signatures[element.getparent()]
        signature = (*parent, (element.tag, element.get("class")))
        signatures[element] = signature
        if signature not in kept:
            kept[signature] = etree.SubElement(kept[parent], element.tag, dict(element.attrib))
    for number, element in enumerate(copy.iter()):
        element.set(PROBE, f"{mark}.{number}")
    return copy


def document(divs, language: str):
    root = lxml.html.Element("html", {"lang": language})
    etree.SubElement(root, "head")
    body = etree.SubElement(root, "body")
    body.extend(divs)
    return root


def elements(root) -> dict[str, list]:
    """The copy's elements as cssselect2 (WeasyPrint's selector matching) sees them, by page."""
    pages: dict[str, list] = {}
    for element in cssselect2.ElementWrapper.from_html_root(root).iter_subtree():
        probe = element.etree_element.get(PROBE)
        if probe:
            pages.setdefault(probe.split(".", 1)[0], []).append(element)
    return pages


def matched(matcher: cssselect2.Matcher, elements: list) -> set[tuple[str, int]]:
    """Which of the matcher's selectors (by number) match which element of the copy."""
    return {(element.etree_element.get(PROBE), match[-1]) for element in elements for match in matcher.match(element)}


def placed_chapter_selector(stylesheets, divs: list, flow: list[int], language: str,
                            cache: bool = False) -> Placed | None:
    """The first of the theme's selectors that picks elements of a chapter (the <div>s at `flow` among
    the book's page <div>s) otherwise in the whole book than in the chapter laid out alone; or None.
    With `cache`, the answer is kept in the cache under a digest of the stylesheets and the book's copy:
    every one-shot build searched again, before the layout (the 100,000-word book: 17 to 42 ms searched
    with the hour, 6 ms read back, the copy and its digest made)."""
    candidates = [Placed(text, sheet, line) for sheet, css in enumerate(stylesheets)
                  for text, line in style_selectors(css) if STRUCTURAL.search(text)]
    if not candidates or not flow:
        return None
    copies = [kinds_of(div, str(n)) for n, div in enumerate(divs)]
    whole = document(copies, language)
    digest = hashlib.sha256("\0".join([*stylesheets, etree.tostring(whole, encoding="unicode")]).encode(
        "utf-8", "surrogatepass")).digest()
    if digest in _found:
        return _found[digest]
    if cache:
        key = hashlib.sha256(f"{code_version()}\0cssselect2 {cssselect2.__version__}\0".encode() + digest).hexdigest()
        data = cached_bytes(cache_root() / "structure" / key[:2] / f"{key}.json",
                            lambda: answer_bytes(searched(candidates, copies, whole, flow, language)), is_answer)
        info = json.loads(data)
        found = Placed(**info) if info else None
    else:
        found = searched(candidates, copies, whole, flow, language)
    if len(_found) >= 64:
        _found.clear()
    _found[digest] = found
    return found


def answer_bytes(found: Placed | None) -> bytes:
    return json.dumps(asdict(found) if found else None).encode()


def is_answer(data: bytes) -> bool:
    """Whether `data` is a kept answer of placed_chapter_selector's: null, or a Placed's fields."""
    try:
        info = json.loads(data)
        return info is None or (isinstance(info, dict) and set(info) == {"selector", "sheet", "line"}
                                and isinstance(info["selector"], str)
                                and all(isinstance(info[k], int) for k in ("sheet", "line")))
    except ValueError:
        return False


def searched(candidates: list[Placed], copies: list, whole, flow: list[int], language: str) -> Placed | None:
    """placed_chapter_selector's search, on the book's copy (`copies`, each page's; `whole`, them in
    one document)."""
    # All at once, as WeasyPrint matches them (indexed by the last compound's id, class or tag), not one
    # selector by one: a stylesheet of thousands of selectors costs this no more than it costs the layout.
    first: dict[str, Placed] = {}
    for placed in candidates:
        first.setdefault(placed.selector, placed)  # each selector tried once, where it comes first
    texts = list(first.values())
    matcher = cssselect2.Matcher()
    for number, placed in enumerate(texts):
        try:
            for selector in cssselect2.compile_selector_list(placed.selector):
                matcher.add_selector(selector, number)
        except cssselect2.SelectorError:  # one WeasyPrint would not read either
            continue
    whole_pages = elements(whole)
    found = None
    for n in flow:
        alone = elements(document([copy.deepcopy(copies[n])], language)).get(str(n), [])
        differ = matched(matcher, whole_pages.get(str(n), [])) ^ matched(matcher, alone)
        if differ:
            found = texts[min(number for _, number in differ)]
            break
    return found
