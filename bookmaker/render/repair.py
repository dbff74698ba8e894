"""What raw HTML may hold that no book should: structures XHTML forbids, styles that load or cover.

The XHTML builder (xhtml.py) keeps only allowed elements in allowed places, one at a time; these are
the rules that need a whole table or list in view, and the check of inline styles.
"""

from __future__ import annotations

import re

from lxml import etree

CSS_ESCAPE = re.compile(r"\\([0-9A-Fa-f]{1,6})[ \t\n\r\f]?|\\(.)", re.S)
# Anything that fetches, runs or binds; CSS escapes and comments are undone before this is asked.
LOADS = re.compile(r"url\s*\(|image-set|image\s*\(|cross-fade|element\s*\(|expression|javascript|@import|"
                   r"behavior|binding", re.I)
COVERS = re.compile(r"(^|;)\s*position\s*:\s*(fixed|absolute|sticky)", re.I)


def plain_css(value: str) -> str:
    """A style as the browser reads it: escapes decoded (u\\72 l is url), comments removed."""
    def decode(m: re.Match) -> str:
        if m.group(1):
            code = int(m.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        return m.group(2)

    return CSS_ESCAPE.sub(decode, re.sub(r"/\*.*?\*/", "", value, flags=re.S))


def style_problem(value: str) -> str | None:
    """Why an inline style cannot stay: it would fetch or run something, or lift a box off the page
    over the text (a page-sized black box on every PDF page, a fixed banner on an e-reader)."""
    from bookmaker.load.css import references

    plain = plain_css(value)
    if LOADS.search(plain) or "\\" in plain or next(references(value), None) is not None:
        return "removed a style attribute that loads or runs something"
    if COVERS.search(plain):
        return "removed a style attribute that takes a box out of the text's flow (position)"
    return None


def local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def repair_structure(root) -> None:
    """Tables in the order XHTML requires; description lists that are not term-and-description pairs
    become plain blocks."""
    for table in [el for el in root.iter() if local(el) == "table"]:
        order_table(table)
    for dl in [el for el in root.iter() if local(el) == "dl"]:
        if not valid_groups([local(child) for child in dl if local(child) in ("dt", "dd")]):
            unlist(dl)


def named(like, tag: str) -> str:
    """`tag` in the namespace of the element `like`."""
    namespace = etree.QName(like).namespace
    return f"{{{namespace}}}{tag}" if namespace else tag


def order_table(table) -> None:
    """caption?, colgroup*, thead?, (tbody* | tr+), tfoot? - whatever order the author wrote."""
    kids = [child for child in table if isinstance(child.tag, str)]
    captions = [k for k in kids if local(k) == "caption"]
    heads = [k for k in kids if local(k) == "thead"]
    feet = [k for k in kids if local(k) == "tfoot"]
    for extra in captions[1:]:  # one caption: the others' words join it
        extra.text = " " + (extra.text or "")
        extra.tag = named(table, "span")
        captions[0].append(extra)
    for extra in heads[1:] + feet[:-1]:  # one head and one foot: the others are bodies
        extra.tag = named(table, "tbody")
    body = [k for k in kids if local(k) in ("tbody", "tr")]
    if any(local(k) == "tr" for k in body) and any(local(k) == "tbody" for k in body):
        body = wrap_loose_rows(body)
    if heads and is_empty_row_group(heads[0]):
        # Markdown cannot write a table without a header row, so imported tables carry an empty one:
        # header cells with nothing in them name no column (Ace: empty-table-header).
        heads = []
    elif heads:
        # In a header row with words, an empty cell (a column under no heading: the date column of the
        # accounts imported from Ulysses and Poe) is a plain cell, not an empty <th>.
        for cell in heads[0].iter(named(table, "th")):
            if is_empty_cell(cell):
                cell.tag = named(table, "td")
    ordered = captions[:1] + [k for k in kids if local(k) == "colgroup"] + heads[:1] + body + feet[-1:]
    for child in list(table):
        table.remove(child)
    table.extend(ordered)


def is_empty_row_group(group) -> bool:
    """A row group whose every cell holds no text and no element."""
    return all(is_empty_cell(cell) for row in group for cell in row if local(cell) in ("th", "td"))


def is_empty_cell(cell) -> bool:
    return not "".join(cell.itertext()).strip() and not len(cell)


def wrap_loose_rows(body: list) -> list:
    """Rows beside row groups go into row groups of their own."""
    out, group = [], None
    for child in body:
        if local(child) == "tr":
            if group is None:
                group = etree.Element(named(child, "tbody"))
                out.append(group)
            group.append(child)  # moved: an element has one parent
        else:
            group = None
            out.append(child)
    return out


def valid_groups(names: list[str]) -> bool:
    """(dt+ dd+)* - every term has a description, every description a term."""
    return bool(re.fullmatch(r"(t+d+)*", "".join("t" if n == "dt" else "d" for n in names)))


def unlist(dl) -> None:
    """A description list that is not one: a block of terms as paragraphs and descriptions as blocks."""
    dl.tag = named(dl, "div")
    for child in dl:
        if local(child) in ("dt", "dd"):
            child.tag = named(child, "p" if local(child) == "dt" else "div")
