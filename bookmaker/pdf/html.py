"""The book's pages as the HTML the PDF layout reads: the same pages as the EPUB's, with what differs
in print alone. Footnotes move to where they are called (so they float to the foot of that page), ids
are made unique across pages, and links between pages become links inside the document.
"""

from __future__ import annotations

import copy
import math
import re

import lxml.html
from lxml import etree

from bookmaker.render import xhtml
from bookmaker.render.styles import PRINT_SCHEME as SCHEME
from bookmaker.infra import memo
from bookmaker.infra.dates import build_time
from bookmaker.languages import right_to_left
from bookmaker.model import Page, RenderedBook
from bookmaker.load.metadata import inches
from bookmaker.pdf.layout import LINE_HEIGHT, TABLE_RULE, Grid
from bookmaker.pdf.typesetting import typeset_page



def print_pages(rendered: RenderedBook) -> list[Page]:
    """The pages a printed book has: never the cover (`bookmaker cover` makes it, apart), a half-title
    first, and the "About" page unless `pdf: {about_page: false}`."""
    about = rendered.book.metadata.pdf.about_page
    pages = [p for p in rendered.pages if p.kind != "cover" and (about or p.kind != "summary")]
    title = etree.Element(xhtml.q("p"))
    title.set("class", "halftitle-title")
    title.text = rendered.display_title or rendered.book.metadata.title
    body = f'<section class="halftitle" id="halftitle">{etree.tostring(title, encoding="unicode")}</section>'
    return [Page("halftitle", "halftitle.xhtml", "halftitle", rendered.book.metadata.title, body, "halftitle",
                 False), *pages]


def page_divs(rendered: RenderedBook, typeset: bool = True) -> list[tuple[Page, object]]:
    """Each printed page as an HTML <div>, ready to be put in a layout document; unless `typeset`,
    without what typesetting.py adds for print (typeset_document adds it where the page is laid out)."""
    assets = {a.href: SCHEME + a.href for a in rendered.assets}
    files = {p.file_name: p.id for p in rendered.pages}
    chapters = [p for p in rendered.pages if p.kind == "chapter"]
    sizes = {SCHEME + a.href: (a.width, a.height) for a in rendered.assets if a.width and a.height}
    grid, pdf = Grid.of(rendered.book), rendered.book.metadata.pdf
    measure = (inches(pdf.width) - inches(pdf.margin_inner) - inches(pdf.margin_outer)) * 72
    out = []
    # In `watch`, a page unchanged since the last build is copied as it was made then (infra/memo.py):
    # the key is everything page_div reads.
    context = (tuple(files.items()), tuple(assets.items()), tuple(sizes.items()), grid, measure, pdf, typeset)
    for page in print_pages(rendered):
        first = bool(chapters) and page is chapters[0]
        made = memo.kept(("page div", page, first, context),
                         lambda: page_div(page, first, files, assets, sizes, grid, measure, pdf, typeset))
        out.append((page, copy.deepcopy(made) if memo.active() else made))
    return out


def page_div(page: Page, first: bool, files: dict[str, str], assets: dict[str, str],
             sizes: dict[str, tuple[int, int]], grid: Grid, measure: float, pdf, typeset: bool):
    wrapper = etree.fromstring(f'<div xmlns="{xhtml.XHTML}" xmlns:epub="{xhtml.OPS}">{page.body}</div>')
    prefix_ids(wrapper, page.id, files)
    move_footnotes(wrapper, longest_footnote(grid, measure))
    if page.kind == "toc":
        prune_contents(wrapper, pdf.contents_depth)
    for img in wrapper.iter(xhtml.q("img")):
        if img.get("src") in assets:
            img.set("src", assets[img.get("src")])
    div = as_html(wrapper)
    pictures_on_grid(div, sizes, grid, measure)
    tables_on_grid(div, grid)
    if typeset:
        typeset_page(div, page.kind, pdf)
    div.set("class", f"pdf-page pdf-{page.kind}" + (" pdf-first-chapter" if first else ""))
    div.set("data-title", page.title)
    return div


def pictures_on_grid(div, sizes: dict[str, tuple[int, int]], grid: Grid, measure: float) -> None:
    """A picture set alone in its paragraph (print.css sets it as a block, a body line above and below)
    made a whole number of body lines high, the most that fit the height it would have (its pixels at
    96 to the inch, no wider than the text): the text after it stays on the baseline grid, and the
    facing page ends on the same line. Its width follows (aspect ratio kept). A picture the theme sizes
    itself (class `bleed`: a whole page), its author sized, or inline in the text is left as it is."""
    most = max(1, grid.lines - 2)
    for img in div.iter("img"):
        parent, size = img.getparent(), sizes.get(img.get("src") or "")
        if (size is None or "bleed" in (img.get("class") or "").split() or parent is None or parent.tag != "p"
                or len(parent) != 1 or (parent.text or "").strip() or (img.tail or "").strip()
                or any(img.get(name) for name in ("width", "height", "style"))):  # sized by its author
            continue
        width = min(size[0] * 0.75, measure)  # CSS pixels are 0.75 pt
        lines = min(most, max(1, int(width * size[1] / size[0] / grid.line + 1e-6)))
        img.set("style", f"height: {grid(lines)}; width: auto")


def tables_on_grid(div, grid: Grid) -> None:
    """A table's space below it shortened by the rules under its rows (layout.TABLE_RULE each): its rows
    are whole body lines (no padding above or below), so the text after it stays on the baseline grid.
    At least half a line is left below it."""
    for table in div.iter("table"):
        rules = sum(1 for _ in table.iter("tr")) * TABLE_RULE
        lines = math.ceil((rules + grid.line / 2) / grid.line)
        table.set("style", "; ".join(filter(None, [table.get("style"), f"margin-bottom: {grid(lines, rules)}"])))
        short_columns_whole(table)


SHORT_CELL = 12  # characters


def short_columns_whole(table) -> None:
    """The cells of a column none of whose cells is longer than SHORT_CELL kept on one line, beside a
    column of longer text: the table's automatic layout gave a column of dates a share of the width
    below its widest cell, and "509 or 508" broke over two lines beside a column of sentences
    (Standard Ebooks' The Art of War)."""
    rows = [[cell for cell in tr if cell.tag in ("td", "th")] for tr in table.iter("tr")]
    if not rows or any(cell.get("colspan") or cell.get("rowspan") for row in rows for cell in row):
        return
    widths = [[len(" ".join(cell.text_content().split())) for cell in row] for row in rows]
    columns = max(len(row) for row in rows)
    longest = [max((w[c] for w in widths if c < len(w)), default=0) for c in range(columns)]
    if columns < 2 or max(longest) <= SHORT_CELL:
        return
    for row in rows:
        for c, cell in enumerate(row):
            if 0 < longest[c] <= SHORT_CELL:
                cell.set("style", "; ".join(filter(None, [cell.get("style"), "white-space: nowrap"])))


def prune_contents(wrapper, depth: int) -> None:
    """The printed contents to `pdf: contents_depth` levels (1: chapters alone); the EPUB's keeps all."""
    for ol in list(wrapper.iter(xhtml.q("ol"))):
        if sum(1 for a in ol.iterancestors(xhtml.q("li"))) >= depth and ol.getparent() is not None:
            ol.getparent().remove(ol)


def document_html(rendered: RenderedBook, divs, minimal: bool = False, dated: bool = True) -> str:
    """An HTML document of the given page divs, with the book's metadata for the PDF (unless `minimal`:
    a part of the book laid out alone, whose metadata is not kept); without the build's date where not
    `dated` (the parallel layout's front matter: the join dates the PDF, join.dated())."""
    m = rendered.book.metadata
    head = lxml.html.Element("head")
    etree.SubElement(head, "meta", {"charset": "utf-8"})
    body = lxml.html.Element("body")
    for div in divs:
        body.append(div)
    root = lxml.html.Element("html", {"lang": m.language})
    if right_to_left(m.language):
        root.set("dir", "rtl")
    root.append(head)
    root.append(body)
    if not minimal:
        add_metadata(rendered, head, dated)
    return lxml.html.tostring(root, doctype="<!DOCTYPE html>", encoding="unicode")


def typeset_document(html: str, kind: str, pdf) -> str:
    """A page's own layout document (document_html, `minimal`, of one div from page_divs without
    `typeset`), typeset for print as page_divs would have: in the layout worker, so that a build
    typesets only the chapters it lays out, on every core (a fifth of an edit's time before its layout)."""
    root = lxml.html.document_fromstring(html)
    typeset_page(root.find("body").find("div"), kind, pdf)
    return lxml.html.tostring(root, doctype="<!DOCTYPE html>", encoding="unicode")


def add_metadata(rendered: RenderedBook, head, dated: bool = True) -> None:
    """WeasyPrint takes the PDF's metadata from these elements; the build's date last, as WeasyPrint
    writes it last in the document information (join.dated() adds it there the same way)."""
    m = rendered.book.metadata
    etree.SubElement(head, "title").text = m.title
    etree.SubElement(head, "meta", {"name": "author", "content": rendered.author_line})
    etree.SubElement(head, "meta", {"name": "generator", "content": "bookmaker"})
    if rendered.description:
        etree.SubElement(head, "meta", {"name": "description", "content": rendered.description})
    if m.subjects:
        etree.SubElement(head, "meta", {"name": "keywords", "content": ", ".join(m.subjects)})
    if not dated:
        return
    when = build_time(rendered.book).strftime("%Y-%m-%dT%H:%M:%SZ")
    etree.SubElement(head, "meta", {"name": "dcterms.created", "content": when})
    etree.SubElement(head, "meta", {"name": "dcterms.modified", "content": when})


def as_html(el):
    """The XHTML tree as plain HTML elements: WeasyPrint reads HTML, where <span/> would never close."""
    out = lxml.html.Element(xhtml.local(el))
    for name, value in el.attrib.items():
        if name == f"{{{xhtml.OPS}}}type":
            out.set("data-epub-type", value)
        elif not name.startswith("{"):
            out.set(name, value)
    out.text = el.text
    for child in el:
        if isinstance(child.tag, str):
            converted = as_html(child)
            converted.tail = child.tail
            out.append(converted)
    return out


def prefix_ids(wrapper, page_id: str, files: dict[str, str]) -> None:
    """Ids unique across the whole document; links between pages become links inside it."""
    for el in wrapper.iter():
        if not isinstance(el.tag, str):
            continue
        if el.get("id") and el.get("id") != page_id:
            el.set("id", f"{page_id}--{el.get('id')}")
        href = el.get("href")
        if href is None or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", href):
            continue
        file, _, fragment = href.partition("#")
        target = files.get(file, page_id) if file else page_id
        if fragment and fragment != target:
            el.set("href", f"#{target}--{fragment}")
        else:
            el.set("href", f"#{target}")


# The share of a page of notes (longest_footnote) a footnote may fill. WeasyPrint sets a note whole at the
# foot of one page: one taller than the page was drawn from above the page's top edge down, its first
# part lost in print (Poe's 2,600-word note to "Hans Pfaall": the PDF showed its last 745 words), and one
# near a page pushed its call's line from page to page, leaving pages of a few lines before it.
LONG_NOTE_SHARE = 0.5
NOTE_SIZE, NOTE_LEADING = 0.8, 1.3  # print.css: .footnote's font size (rem) and line height
WORD_EMS = 2.9  # a word and its space, in ems of a text face (about 5.5 characters of half an em)


def longest_footnote(grid: Grid, measure: float) -> int:
    """The words a footnote may hold and still be set at the foot of a page: LONG_NOTE_SHARE of the words
    a page of notes holds (the text block's height in lines of the notes' type, each the measure long)."""
    size = grid.line / LINE_HEIGHT * NOTE_SIZE  # the body's type size, and the notes'
    lines = grid.lines * grid.line / (size * NOTE_LEADING)
    return int(LONG_NOTE_SHARE * lines * measure / (size * WORD_EMS))


def move_footnotes(wrapper, longest: int | None = None) -> None:
    """Each footnote goes where it is called, as a float the layout puts at the foot of that page.

    A footnote called from inside another footnote cannot float from there (WeasyPrint fails on a
    footnote inside a footnote): it follows its parent's call in the text, and the call inside the
    parent stays as a plain superscript number. A note called twice floats from its first call.
    A note of more than `longest` words is set after the chapter's text instead (long_notes), its call a
    plain number that counts as a footnote's does; there, in the text, its own notes float as any do.
    """
    notes = {a.get("id"): a for a in wrapper.iter(xhtml.q("aside")) if xhtml.has_class(a, "footnote")}
    placed: set[str] = set()
    if longest is not None:
        long = []
        for ref in text_calls(wrapper):
            target = (ref.get("href") or "#")[1:]
            if target in notes and target not in placed and len("".join(notes[target].itertext()).split()) > longest:
                placed.add(target)
                plain_call(ref, "footnote-call long-note-call")
                long.append(notes.pop(target))
        if long:
            long_notes(wrapper, long)
    for ref in text_calls(wrapper):
        target = (ref.get("href") or "#")[1:]
        if target not in notes:
            continue
        if target in placed:
            plain_call(ref)
            continue
        placed.add(target)
        note, nested = footnote_span(notes[target])
        holder = call_holder(ref)
        note.tail = holder.tail
        holder.getparent().replace(holder, note)
        last = note
        while nested:
            target = nested.pop(0)
            if target in placed or target not in notes:
                continue
            placed.add(target)
            follower, more = footnote_span(notes[target])
            follower.set("class", "footnote nested")  # its call is in the note above, not the text
            follower.tail, last.tail = last.tail, None
            last.addnext(follower)
            last, nested = follower, nested + more
    for aside in notes.values():
        aside.getparent().remove(aside)


def text_calls(wrapper) -> list:
    """The note calls in the text, not inside a note."""
    return [r for r in wrapper.iter(xhtml.q("a")) if xhtml.has_class(r, "noteref")
            and not any(xhtml.local(up) == "aside" for up in r.iterancestors())]


def long_notes(wrapper, asides: list) -> None:
    """Notes too long for the foot of a page, set after the chapter's text (after the wrapper's
    `chapter-text`, else at its end) under a rule, each its paragraphs, numbered as its call is."""
    text = next((el for el in wrapper.iter(xhtml.q("div")) if xhtml.has_class(el, "chapter-text")), None)
    holder = etree.Element(xhtml.q("div"))
    holder.set("class", "long-notes")
    for aside in asides:
        aside.getparent().remove(aside)
        note = etree.SubElement(holder, xhtml.q("div"))
        note.set("class", "long-note")
        for mark in aside.iter(xhtml.q("a")):
            if xhtml.has_class(mark, "footnote-number"):
                number = etree.Element(xhtml.q("span"))
                number.set("class", "long-note-number")
                number.text, number.tail = mark.text, mark.tail
                mark.getparent().replace(mark, number)
                break
        note.extend(list(aside))
    if text is not None:
        text.addnext(holder)
    else:
        wrapper.append(holder)


def call_holder(ref):
    return ref.getparent() if xhtml.local(ref.getparent()) == "sup" else ref


def plain_call(ref, kind: str = "footnote-call") -> None:
    """A call that cannot float: the note's number as a superscript, not a link."""
    holder = call_holder(ref)
    sup = etree.Element(xhtml.q("sup"))
    sup.set("class", kind)
    sup.text, sup.tail = ref.text, holder.tail
    holder.getparent().replace(holder, sup)


def footnote_span(aside):
    """The footnote as one floating span of its paragraphs, and the notes it calls itself, in order."""
    note = etree.Element(xhtml.q("span"))
    note.set("class", "footnote")
    for i, para in enumerate(aside):
        for mark in para.iter(xhtml.q("a")):
            if xhtml.has_class(mark, "footnote-number"):
                xhtml.drop_keeping_tail(mark)
                break
        if i == 0 and not (para.text or "").strip() and len(para) == 0:
            # The note's number alone: the note begins with a quotation or a list (Les Misérables' song,
            # "[^1]: > I am hungry, father."), which begins its first line, not the line after "1.".
            continue
        piece = etree.SubElement(note, xhtml.q("span"))
        piece.set("class", "footnote-para" + ("" if xhtml.local(para) == "p" else f" footnote-{xhtml.local(para)}"))
        piece.text = (para.text or "").lstrip() if len(note) == 1 else para.text
        for child in list(para):
            piece.append(child)
    for el in note.iter():  # a float holds inline content: a quote's or a list's paragraphs run on
        if el is not note and xhtml.local(el) not in xhtml.PHRASING:
            el.set("class", "footnote-para" + ("" if xhtml.local(el) == "p" else f" footnote-{xhtml.local(el)}"))
            el.tag = xhtml.q("span")
    for el in note.iter():  # WeasyPrint keeps source line breaks inside footnotes
        el.text = el.text.replace("\n", " ") if el.text else el.text
        if el is not note:
            el.tail = el.tail.replace("\n", " ") if el.tail else el.tail
    nested = []
    for ref in [r for r in note.iter(xhtml.q("a")) if xhtml.has_class(r, "noteref")]:
        nested.append((ref.get("href") or "#")[1:])
        plain_call(ref)
    return note, nested
