"""XHTML elements: their names, and the small questions every stage asks of them."""

from __future__ import annotations

from lxml import etree

XHTML = "http://www.w3.org/1999/xhtml"
OPS = "http://www.idpf.org/2007/ops"
XML_NS = "http://www.w3.org/XML/1998/namespace"
NSMAP = {None: XHTML, "epub": OPS}
PHRASING = frozenset("""
a abbr b bdi bdo br cite code data del dfn em i img ins kbd mark q ruby s samp small span strong sub sup time
u var wbr rp rt
""".split())


def q(tag: str) -> str:
    return f"{{{XHTML}}}{tag}"


def local(el) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def has_class(el, name: str) -> bool:
    return name in (el.get("class") or "").split()


def drop_keeping_tail(el) -> None:
    """Remove `el` and its content; its tail text stays, trailing spaces before it go."""
    parent, prev = el.getparent(), el.getprevious()
    tail = el.tail or ""
    if prev is not None:
        prev.tail = ((prev.tail or "").rstrip("\xa0 ") + tail) or None
    else:
        parent.text = ((parent.text or "").rstrip("\xa0 ") + tail) or None
    parent.remove(el)


def inner_xml(el) -> str:
    """The serialized content of `el`, without the namespace declarations its tag would carry."""
    if len(el) == 0 and not el.text:
        return ""
    text = etree.tostring(el, encoding="unicode")
    return text[text.index(">") + 1: text.rindex("</")]


def text_of(el) -> str:
    return "".join(el.itertext())


def reading_text(el) -> str:
    """The text a reader reads in `el` as plain text: footnote calls and notes left out."""
    out = [el.text or ""]
    for child in el:
        if not (local(child) == "aside" or has_class(child, "noteref")
                or (local(child) == "sup" and len(child) == 1 and not (child.text or "").strip()
                    and has_class(child[0], "noteref"))):
            out.append(reading_text(child))
        elif out[-1].endswith("\u2060"):  # the word joiner that held the call to its word (footnotes.py)
            out[-1] = out[-1][:-1]
        out.append(child.tail or "")
    return "".join(out)
