"""Edits to the package document (content.opf) that ebooklib cannot make when it writes it.

ebooklib 0.20 builds `<package>` from a fixed set of attributes, so the book's language and writing
direction (Ace's `epub-lang`; EPUB 3 §5.5.2) are added to the bytes it wrote, before the repack.
Only the start tag is rewritten: every other byte stays as ebooklib wrote it.
"""

from __future__ import annotations

import html
import re

PACKAGE_TAG_RE = re.compile(rb"<package(?P<attrs>(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(?P<end>/?>)")
ATTR_RE = re.compile(rb"\s+(?P<name>[^\s=/>]+)\s*=\s*(?:\"[^\"]*\"|'[^']*')")


def fix_package_element(opf_bytes: bytes, language: str, rtl: bool) -> bytes:
    """The package document with `xml:lang` and `dir` on `<package>` (replacing any already there)."""
    match = PACKAGE_TAG_RE.search(opf_bytes)
    if match is None:
        raise ValueError("no <package> element in the package document")
    kept = [m.group(0) for m in ATTR_RE.finditer(match.group("attrs"))
            if m.group("name") not in (b"xml:lang", b"dir")]
    added = [f' xml:lang="{html.escape(language)}"'.encode("utf-8"), f' dir="{"rtl" if rtl else "ltr"}"'.encode()]
    tag = b"<package" + b"".join(kept + added) + match.group("end")
    return opf_bytes[:match.start()] + tag + opf_bytes[match.end():]


def sort_metadata(creator_ids_and_sorts: list[tuple[str, str]], title_id: str, title_sort: str) -> bytes:
    """`<meta>` elements giving each creator's and the title's sort form (`file-as`), for `<metadata>`.

    With ebooklib, prefer `add_metadata(None, "meta", sort, {"refines": "#creator-1", "property": "file-as"})`
    at build time (its `add_author(file_as=…)` wrongly tags the sort form with `scheme="marc:relators"`);
    this is the same markup for a package document that is already written."""
    lines = [f'    <meta refines="#{cid}" property="file-as">{_text(sort)}</meta>\n'
             for cid, sort in creator_ids_and_sorts]
    lines.append(f'    <meta refines="#{title_id}" property="file-as">{_text(title_sort)}</meta>\n')
    return "".join(lines).encode("utf-8")


def add_to_metadata(opf_bytes: bytes, elements: bytes) -> bytes:
    """The package document with `elements` inserted just before `</metadata>`."""
    end = opf_bytes.find(b"</metadata>")
    if end < 0:
        raise ValueError("no </metadata> in the package document")
    line_start = opf_bytes.rfind(b"\n", 0, end) + 1
    if opf_bytes[line_start:end].strip():
        line_start = end
    return opf_bytes[:line_start] + elements + opf_bytes[line_start:]


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
