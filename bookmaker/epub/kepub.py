"""Kobo's kepub: a finished EPUB, with the markup Kobo's reader uses for reading statistics,
highlights, pop-up footnotes and page turns.

What Kobo expects, as kepubify (pgaskin/kepubify) documents it from Kobo's own books:
- every sentence of text in a `<span class="koboSpan" id="kobo.P.S">`: P counts blocks (a paragraph,
  a list, a table, a heading; an image is a block of its own), S the sentences within one block;
- the body's content wrapped in `div#book-columns > div#book-inner`;
- a small style that keeps Kobo's own margins off `div#book-inner`;
- the cover image item marked `properties="cover-image"` in the package document.
Text is never changed: only wrapped. Pages are XHTML already (bookmaker wrote them), so lxml parses
them as XML and the output stays XHTML. The same input gives the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile

from lxml import etree

from bookmaker.epub.ziparchive import DeflateCache, zip_bytes

XHTML = "http://www.w3.org/1999/xhtml"
OPF = "http://www.idpf.org/2007/opf"
CONTAINER = "urn:oasis:names:tc:opendocument:xmlns:container"
STYLE_HACKS = "div#book-inner { margin-top: 0; margin-bottom: 0; }"

# Blocks whose text starts a new P number (only once text inside is actually wrapped).
BLOCKS = frozenset({"p", "ol", "ul", "dl", "table", "h1", "h2", "h3", "h4", "h5", "h6"})
# Text kept exactly as it is: code and preformatted text, and what is not read as prose.
UNTOUCHED = frozenset({"script", "style", "pre", "audio", "video", "textarea", "template"})
# A sentence ends at a run of . ! ? : or an ellipsis, with any closing quotes and brackets and the
# spaces after them.
SENTENCE_END = re.compile(r"[.!?:\u2026]+[\"'\u2019\u201d\u00bb\u203a)\]]*\s*")


def x(tag: str) -> str:
    return f"{{{XHTML}}}{tag}"


def sentences(text: str) -> list[str]:
    """`text` cut after each sentence end; joined, the pieces are `text` again."""
    pieces, start = [], 0
    for match in SENTENCE_END.finditer(text):
        pieces.append(text[start:match.end()])
        start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


class _Spans:
    """Adds the koboSpans to one body, numbering as it goes in reading order."""

    def __init__(self):
        self.para, self.seg, self.new_block = 0, 0, False

    def next_id(self) -> str:
        if self.new_block:
            self.para, self.seg, self.new_block = self.para + 1, 0, False
        self.seg += 1
        return f"kobo.{self.para}.{self.seg}"

    def span(self, text: str | None = None) -> etree._Element:
        el = etree.Element(x("span"), {"class": "koboSpan", "id": self.next_id()})
        el.text = text
        return el

    def wrap_text(self, text: str | None, parent: etree._Element, index: int) -> tuple[str | None, int]:
        """Spans for `text` inserted into `parent` at `index`; returns (text left in place, the index
        after the spans). Whitespace between sentences stays unwrapped except in a paragraph."""
        if not text:
            return text, index
        keep_space = etree.QName(parent).localname == "p"
        before, last = None, None
        for piece in sentences(text):
            if piece.isspace() and not keep_space:
                if last is None:
                    before = (before or "") + piece
                else:
                    last.tail = (last.tail or "") + piece
                continue
            last = self.span(piece)
            parent.insert(index, last)
            index += 1
        return before, index

    def visit(self, el: etree._Element) -> etree._Element:
        """Adds spans inside `el`; returns the node now standing where `el` stood."""
        if not isinstance(el.tag, str) or etree.QName(el).namespace != XHTML:
            return el  # comments, processing instructions, SVG, MathML
        name = etree.QName(el).localname
        if name in UNTOUCHED:
            return el
        if name == "img":
            self.new_block = True
            holder = self.span()
            holder.tail, el.tail = el.tail, None
            el.addprevious(holder)
            holder.append(el)
            return holder
        if name in BLOCKS:
            self.new_block = True
        el.text, index = self.wrap_text(el.text, el, 0)
        while index < len(el):
            child = self.visit(el[index])
            index = el.index(child) + 1
            child.tail, index = self.wrap_text(child.tail, el, index)
        return el


def kobo_page(xhtml_bytes: bytes) -> bytes:
    """One content document with koboSpans, the book-columns/book-inner wrappers and Kobo's style.
    A page that already has koboSpans is returned unchanged."""
    parser = etree.XMLParser(resolve_entities=False, remove_blank_text=False, huge_tree=True)
    tree = etree.parse(io.BytesIO(xhtml_bytes), parser)
    root = tree.getroot()
    body, head = root.find(x("body")), root.find(x("head"))
    if body is None or root.xpath("//*[contains(concat(' ', @class, ' '), ' koboSpan ')]"):
        return xhtml_bytes
    if head is not None:
        style = etree.SubElement(head, x("style"), {"type": "text/css", "class": "kobostylehacks"})
        style.text = STYLE_HACKS
        style.tail = "\n"
    _Spans().visit(body)
    if body.find(f"{x('div')}[@id='book-columns']") is None:
        columns = etree.Element(x("div"), {"id": "book-columns"})
        inner = etree.SubElement(columns, x("div"), {"id": "book-inner"})
        inner.text, body.text = body.text, None
        for child in list(body):
            inner.append(child)  # moves the child with its tail
        body.append(columns)
    return etree.tostring(tree, xml_declaration=True, encoding="utf-8")


def package_path(zf: zipfile.ZipFile) -> str:
    container = etree.fromstring(zf.read("META-INF/container.xml"))
    rootfile = container.find(f".//{{{CONTAINER}}}rootfile")
    if rootfile is None:
        raise ValueError("META-INF/container.xml names no package document")
    return rootfile.get("full-path")


def content_documents(opf: etree._Element, opf_path: str) -> set[str]:
    """Zip names of the XHTML documents to convert: every one but the navigation document, whose
    markup reading systems interpret (Kobo takes its contents from the NCX)."""
    base = opf_path.rsplit("/", 1)[0] + "/" if "/" in opf_path else ""
    names = set()
    for item in opf.iterfind(f"{{{OPF}}}manifest/{{{OPF}}}item"):
        if item.get("media-type") == "application/xhtml+xml" and "nav" not in (item.get("properties") or "").split():
            names.add(normalise(base + item.get("href", "")))
    return names


def normalise(path: str) -> str:
    from urllib.parse import unquote

    parts: list[str] = []
    for part in unquote(path).split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def mark_cover(opf_bytes: bytes) -> bytes:
    """The package document with the cover image item marked `cover-image`, as Kobo looks for it;
    unchanged bytes when it already is (or the book has no cover)."""
    opf = etree.fromstring(opf_bytes)
    meta = opf.find(f"{{{OPF}}}metadata/{{{OPF}}}meta[@name='cover']")
    cover_id = meta.get("content") if meta is not None else None
    item = next((i for i in opf.iterfind(f"{{{OPF}}}manifest/{{{OPF}}}item")
                 if cover_id and i.get("id") == cover_id), None)
    if item is None or "cover-image" in (item.get("properties") or "").split():
        return opf_bytes
    item.set("properties", " ".join((item.get("properties") or "").split() + ["cover-image"]))
    return etree.tostring(opf, xml_declaration=True, encoding="utf-8")


def kepubify(epub_bytes: bytes) -> bytes:
    """The kepub of a finished EPUB: the same entries in the same order with the same timestamp,
    content documents converted, the package document's cover marked."""
    with zipfile.ZipFile(io.BytesIO(epub_bytes)) as zf:
        infos = zf.infolist()
        opf_path = package_path(zf)
        opf_bytes = zf.read(opf_path)
        pages = content_documents(etree.fromstring(opf_bytes), opf_path)
        entries = []
        for info in infos:
            data = zf.read(info)
            if info.filename in pages:
                data = kobo_page(data)
            elif info.filename == opf_path:
                data = mark_cover(data)
            entries.append((info.filename, data, info.filename != "mimetype"))
        when = infos[0].date_time if infos else (1980, 1, 1, 0, 0, 0)
    if not entries or entries[0][0] != "mimetype":
        raise ValueError("not an EPUB: its first entry is not 'mimetype'")
    return zip_bytes(entries, when, DeflateCache(None))
