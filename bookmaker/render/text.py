"""The author's words as plain text: typeset for display, or stripped of markup for metadata."""

from __future__ import annotations

import functools
import re

from lxml import etree

from bookmaker.render import xhtml


def quiet_context() -> xhtml.Context:
    """A Context for text already checked elsewhere: nothing to resolve, nothing to report."""
    return xhtml.Context("", lambda s: 1, lambda s, n: None, lambda h: None, lambda *a: None)


@functools.lru_cache(maxsize=256)
def smart(text: str) -> str:
    """Plain text typeset like the book's text: curly quotes and apostrophes, dashes, ellipses.
    For names and titles shown on pages; the metadata keeps exactly what the author wrote."""
    if not text:
        return text
    from bookmaker.render.markdown import markdown_to_html  # here: the layout processes read words, not Markdown

    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = re.sub(r"([\\`*_{}\[\]#+!|-])", r"\\\1", escaped)
    escaped = escaped.replace("\\-\\-", "--")  # keep dashes for smart punctuation
    escaped = re.sub(r"^(\d+)\.", r"\1\\.", escaped)  # "1984. A Novel" is not a list
    el = xhtml.html_to_xhtml(markdown_to_html(escaped.replace("\n", " ")), quiet_context())
    return " ".join(xhtml.text_of(el).split()) or text


def plain_text(fragment: str | None) -> str | None:
    """An XHTML fragment's words as one line, footnotes left out."""
    if not fragment:
        return None
    el = etree.fromstring(f'<span xmlns="{xhtml.XHTML}" xmlns:epub="{xhtml.OPS}">{fragment}</span>')
    return " ".join(xhtml.reading_text(el).split()) or None


def description(summary: str | None) -> str | None:
    """The summary as a description is read: plain text, paragraphs kept, note calls and notes left out."""
    if not summary:
        return None
    from bookmaker.render.markdown import markdown_to_html

    root = xhtml.html_to_xhtml(markdown_to_html(summary), quiet_context())
    paras = (" ".join(xhtml.reading_text(p).split()) for p in root if xhtml.local(p) != "aside")
    return "\n\n".join(p for p in paras if p) or None


def emphasized_paragraphs(summary: str | None) -> tuple[str, ...]:
    """The summary's paragraphs as the back of a printed cover sets them: each one line of text, its
    italics and bold kept (as <i> and <b>, the rest escaped), note calls and notes left out. As plain
    text (description()), a title in italics on the back lost them."""
    if not summary:
        return ()
    from html import escape

    from bookmaker.render.markdown import markdown_to_html
    from bookmaker.render.tree import has_class

    def inline(el) -> str:
        out = [escape(el.text or "")]
        for child in el:
            tag = xhtml.local(child)
            if not (tag == "aside" or has_class(child, "noteref")
                    or (tag == "sup" and len(child) == 1 and not (child.text or "").strip() and has_class(child[0], "noteref"))):
                mark = {"em": "i", "i": "i", "cite": "i", "strong": "b", "b": "b"}.get(tag)
                out.append(f"<{mark}>{inline(child)}</{mark}>" if mark else inline(child))
            elif out[-1].endswith("\u2060"):  # the word joiner that held a call to its word
                out[-1] = out[-1][:-1]
            out.append(escape(child.tail or ""))
        return "".join(out)

    root = xhtml.html_to_xhtml(markdown_to_html(summary), quiet_context())
    paras = (" ".join(inline(p).split()) for p in root if xhtml.local(p) != "aside")
    return tuple(p for p in paras if p)


# A word, for page starts: a run of non-space characters holding a letter or digit. The PDF's text and
# the EPUB's pages are both cut with this, so a page start found in one is found again in the other.
WORD_RE = re.compile(r"\S+")


@functools.lru_cache(maxsize=65536)  # a book's words repeat: each is folded once
@functools.lru_cache(maxsize=1 << 16)
def word_key(word: str) -> str:
    """A word as compared across formats: ligatures unfolded, case and punctuation dropped. Kept for the
    words seen last: a book's words repeat, and each page list reads every word of the book."""
    if word.isascii():
        return NOT_ALNUM_ASCII.sub("", word.lower())
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKC", word).lower() if c.isalnum())


NOT_ALNUM_ASCII = re.compile(r"[^a-z0-9]+")  # str.isalnum() on ASCII, after lower()


BREAKS = frozenset({"p", "div", "section", "header", "footer", "aside", "nav", "blockquote", "li", "ul", "ol", "dl",
                    "dt", "dd", "table", "thead", "tbody", "tr", "td", "th", "caption", "figure", "figcaption",
                    "h1", "h2", "h3", "h4", "h5", "h6", "br", "hr", "img", "pre"})


def text_nodes(root) -> list[tuple[object, str, bool]]:
    """Every text of an element tree in reading order, as (element, "text" or "tail", whether a block
    boundary comes before it: words never run on across a table cell or a paragraph)."""
    nodes: list[tuple[object, str, bool]] = []
    pending = [False]

    def add(el, part):
        nodes.append((el, part, pending[0]))
        pending[0] = False

    def walk(el):
        block = isinstance(el.tag, str) and etree.QName(el).localname in BREAKS
        pending[0] = pending[0] or block
        if isinstance(el.tag, str) and el.text:
            add(el, "text")
        for child in el:
            walk(child)
            if child.tail:
                add(child, "tail")
        pending[0] = pending[0] or block

    walk(root)
    return nodes


def joined_text(nodes) -> tuple[str, list[int]]:
    """The nodes' text as one string (a space at each block boundary), and where each node begins in it."""
    pieces, starts, at = [], [], 0
    for el, part, gap in nodes:
        if gap:
            pieces.append(" ")
            at += 1
        starts.append(at)
        value = getattr(el, part)
        pieces.append(value)
        at += len(value)
    return "".join(pieces), starts


def page_words(body: str) -> list[str]:
    """The word keys of a page's XHTML body, in reading order (words split by markup joined)."""
    root = etree.fromstring(f'<div xmlns="{xhtml.XHTML}" xmlns:epub="{xhtml.OPS}">{body}</div>')
    text, _ = joined_text(text_nodes(root))
    return [k for k in (word_key(m.group()) for m in WORD_RE.finditer(text)) if k]
