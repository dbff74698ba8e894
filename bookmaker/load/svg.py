"""SVG images made safe to package: no scripts, no event handlers, nothing fetched from elsewhere.

An SVG is a document, not a picture: it can run scripts, embed HTML and load files from the web,
which e-readers refuse and EPUBCheck reports (OPF-014, RSC-006). What is left draws the same.
"""

from __future__ import annotations

import re

from lxml import etree

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
DROPPED = {"script", "foreignObject", "iframe", "object", "embed", "audio", "video", "handler", "listener"}
HREF_ATTRS = ("href", XLINK_HREF, "src")
REFERRING = {"image", "use", "feImage"}
# A reference that stays inside the file, or a picture carried in it.
SAFE_REF = re.compile(r"^\s*(#|data:image/(png|jpeg|gif|webp);)", re.I)
REMOTE_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)[^)]*\)|@import|expression\s*\(|javascript:", re.I)


class NotSvg(ValueError):
    """The file says it is an SVG image but is not a well-formed one."""


def clean_svg(data: bytes) -> tuple[bytes, list[str]]:
    """The SVG without anything active or remote, and what was removed (for a warning)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True,
                             huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise NotSvg(str(exc)) from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise NotSvg("its root element is not <svg> in the SVG namespace")
    removed: list[str] = []
    clean_element(root, removed)
    # Serialising the element, not the document, leaves out a DOCTYPE and its internal subset.
    out = etree.tostring(root, encoding="utf-8", xml_declaration=True)
    return out, list(dict.fromkeys(removed))


def clean_element(el, removed: list[str]) -> None:
    for attr, value in list(el.attrib.items()):
        local = etree.QName(attr).localname
        if local.lower().startswith("on"):
            removed.append(f"event handler '{local}'")
        elif attr in HREF_ATTRS and not SAFE_REF.match(value):
            removed.append(f"reference '{value.strip()[:60]}'")
        elif REMOTE_URL.search(value):
            removed.append(f"'{local}' that loads a file")
        else:
            continue
        del el.attrib[attr]
    for child in list(el):
        if not isinstance(child.tag, str):
            removed.append("an entity" if isinstance(child, etree._Entity) else "a processing instruction")
            remove_keeping_tail(child)
            continue
        name = etree.QName(child).localname
        if name in DROPPED or (name in ("set", "animate") and is_active(child.get("attributeName") or "")):
            removed.append(f"<{name}>")
        elif name in REFERRING and not any(SAFE_REF.match(child.get(a) or "") for a in HREF_ATTRS):
            # Nothing to show without what it refers to (and a renderer may stumble on it).
            removed.append(f"reference '{next((child.get(a) for a in HREF_ATTRS if child.get(a)), '')[:60]}'")
        elif name == "style" and REMOTE_URL.search(child.text or ""):
            removed.append("a <style> that loads files")
        else:
            clean_element(child, removed)
            continue
        remove_keeping_tail(child)


def is_active(attribute_name: str) -> bool:
    name = attribute_name.strip().lower()
    return name.startswith("on") or name in ("href", "xlink:href")


def remove_keeping_tail(el) -> None:
    parent = el.getparent()
    if el.tail and el.tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)
