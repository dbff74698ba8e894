"""The print edition's page numbers in the EPUB: a page-break marker at the word where each printed
page begins, and a page list in the navigation document (EPUB Accessibility 1.1, page navigation).

The page starts come as plain data (model.PrintPages) from the command that laid out the print
edition; words are counted as render/text.py counts them, so a start is never inside a word.
"""

from __future__ import annotations

from lxml import etree

from bookmaker.model import PageStart, RenderedBook
from bookmaker.render import xhtml
from bookmaker.render.text import WORD_RE, joined_text, text_nodes, word_key

PAGE_LIST_TITLE = {"en": "Pages", "fr": "Pages", "de": "Seiten", "es": "Páginas", "it": "Pagine", "pt": "Páginas",
                   "nl": "Pagina's"}


def marker(number: int) -> etree._Element:
    span = etree.Element(xhtml.q("span"))
    span.set("id", f"page-{number}")
    span.set("role", "doc-pagebreak")
    span.set(f"{{{xhtml.OPS}}}type", "pagebreak")
    span.set("aria-label", str(number))
    return span


def with_markers(body: str, starts: list[PageStart]) -> str:
    """`body` with a marker before each start's word (words counted from 0, as page_words counts)."""
    if not starts:
        return body
    root = etree.fromstring(f'<div xmlns="{xhtml.XHTML}" xmlns:epub="{xhtml.OPS}">{body}</div>')
    wanted = {s.word: s for s in starts}
    places = []  # (node, part, offset in that text, start)
    count = 0
    nodes = text_nodes(root)
    text, node_starts = joined_text(nodes)
    bounds = [(start, el, part) for start, (el, part, _gap) in zip(node_starts, nodes)]
    index, last = 0, max(wanted)
    for match in WORD_RE.finditer(text):
        if count > last:  # the words after the last start are not counted
            break
        if not word_key(match.group()):
            continue
        if count in wanted:
            while index + 1 < len(bounds) and bounds[index + 1][0] <= match.start():
                index += 1
            start, el, part = bounds[index]
            places.append((el, part, match.start() - start, wanted[count]))
        count += 1
    for el, part, offset, start in reversed(places):  # from the end, so earlier offsets stay right
        span = marker(start.number)
        value = getattr(el, part)
        if part == "text":
            el.text = value[:offset] or None
            span.tail = value[offset:]
            el.insert(0, span)
        else:
            el.tail = value[:offset] or None
            span.tail = value[offset:]
            el.addnext(span)
    return xhtml.inner_xml(root)


def with_page_list(body: str, rendered: RenderedBook) -> str:
    """The navigation document's body with a page list after its contents."""
    pages = rendered.print_pages
    files = {p.id: p.file_name for p in rendered.pages}
    language = rendered.book.metadata.language.split("-")[0].lower()
    title = PAGE_LIST_TITLE.get(language)
    lang = "" if title else ' lang="en" xml:lang="en"'
    items = "".join(f'<li><a href="{files[s.page_id]}#page-{s.number}">{s.number}</a></li>'
                    for s in pages.starts if s.page_id in files)
    return (body + f'\n<nav epub:type="page-list" id="page-list" role="doc-pagelist" hidden="hidden">'
            f'<h2{lang}>{title or "Pages"}</h2><ol>{items}</ol></nav>\n')
