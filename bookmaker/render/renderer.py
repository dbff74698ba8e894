"""One page's Markdown pieces → clean XHTML, with every message pointing at the line it is about."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from lxml import etree

from bookmaker.errors import Problems
from bookmaker.load.assets import resolve_image
from bookmaker.load.theme import stylesheet
from bookmaker.model import Asset, Book, Chapter
from bookmaker.render import xhtml
from bookmaker.render.labels import SCENE_BREAK
from bookmaker.render.markdown import markdown_to_html, title_markdown


class PageRenderer:
    """Renders the Markdown pieces of one page, sharing its id registry and its messages."""

    def __init__(self, book: Book, source: Path, shown: str, text: str, first_line: int, problems: Problems,
                 assets: dict[Path, Asset], links: dict[Path, str], id_prefix: str = ""):
        self.book, self.source, self.shown, self.text = book, source, shown, text
        self.first_line, self.problems, self.assets, self.links = first_line, problems, assets, links
        self._whole: str | None = None
        self.styled_classes = styled_classes(book)
        self.ctx = xhtml.Context(where=shown, line_of=self.line_of, resolve_image=self.image,
                                 resolve_link=self.link, warn=problems.warn, id_prefix=id_prefix)

    def line_of(self, needle: str) -> int:
        """The line of `needle` in the page's text, else in its whole file (a title or summary in front
        matter, a summary in book.yaml); as written in an image, link or attribute before anywhere else."""
        if needle:
            for text, first in ((self.text, self.first_line), (self.whole_file(), 1)):
                at = written_at(text, needle)
                if at >= 0:
                    return first + text.count("\n", 0, at)
        return self.first_line

    def line_in(self, markdown_text: str, index: int) -> int:
        """The file's line for line `index` (from 0) of a piece of this page: the text, or a field."""
        if markdown_text == self.text:
            return self.first_line + index
        lines = markdown_text.split("\n")
        head = next((i for i, line in enumerate(lines) if line.strip()), 0)
        return self.line_of(lines[head].strip()) + index - head

    def whole_file(self) -> str:
        if self._whole is None:
            try:
                self._whole = self.source.read_bytes().decode("utf-8-sig", "replace")
            except (OSError, AttributeError):
                self._whole = ""
            self._whole = self._whole.replace("\r\n", "\n").replace("\r", "\n")
        return self._whole

    def image(self, ref: str, line: int) -> str | None:
        asset = resolve_image(self.book.root, self.source.parent, ref, self.shown, line, self.problems,
                              self.book.display_root)
        if asset is None:
            return None
        asset = self.assets.setdefault(asset.source, asset)
        return asset.href

    def link(self, href: str) -> str | None:
        path, _, fragment = href.partition("#")
        try:
            target = (self.source.parent / unquote(path)).resolve()
        except (OSError, RuntimeError, ValueError):  # ValueError: a NUL (%00) in the name
            return None
        page = self.links.get(target)
        if page is None:
            return None
        return page + (f"#{fragment}" if fragment else "")

    def fragment(self, markdown_text: str | None, heading_shift: int, scene_breaks: bool = False):
        if not markdown_text:
            return None
        self.ctx.heading_shift = heading_shift
        try:
            return xhtml.html_to_xhtml(markdown_to_html(markdown_text, scene_breaks, self.styled_classes), self.ctx)
        except RecursionError:
            self.problems.error(self.shown, self.line_in(markdown_text, deepest_block(markdown_text)), "lists, "
                                "quotes or HTML are nested too deeply to typeset (hundreds of levels); flatten them",
                                "too-deep")
            return None

    def with_title(self, chapter: Chapter):
        """The chapter's text with its title, rendered together so a note called in the title is the
        text's: (text, title as a <span> or None, the title's id or None)."""
        heading = chapter.title_source or (f"# {title_markdown(chapter.title)}" if chapter.title else None)
        body = self.fragment(f"{heading}\n\n{chapter.body}" if heading else chapter.body, heading_shift=1,
                             scene_breaks=True)
        if body is None:
            return xhtml.html_to_xhtml("", self.ctx), None, None
        primary = self.book.metadata.language.split("-")[0].lower()
        for hr in body.iter(xhtml.q("hr")):
            if hr.get("class") == "scene-break" and not hr.get("aria-label"):
                hr.set("aria-label", SCENE_BREAK.get(primary, SCENE_BREAK["en"]))
        first = body[0] if heading and len(body) else None
        if first is None or not re.fullmatch(r"h[1-6]", xhtml.local(first)):
            return body, None, None
        body.text = (body.text or "") + (first.tail or "")
        body.remove(first)
        title = etree.Element(xhtml.q("span"), nsmap=xhtml.NSMAP)  # serialised with the book's prefixes
        title.text = first.text
        title.extend(list(first))
        return body, title, first.get("id")

    def start_page(self, reserved=()) -> None:
        """The pieces rendered next make a new page: links are checked within the page just done, and
        ids and note numbers start afresh."""
        xhtml.check_fragment_links(self.ctx)
        self.ctx.fragment_links.clear()
        self.ctx.ids = set(reserved)
        self.ctx.footnote_count = 0

    def finish(self) -> None:
        xhtml.check_fragment_links(self.ctx)


def styled_classes(book: Book) -> frozenset[str]:
    """The classes the book's stylesheets (its own, else the theme's) give a style to."""
    try:
        css = stylesheet(book, "epub.css") + stylesheet(book, "print.css")
    except (OSError, UnicodeDecodeError):
        return frozenset()
    return frozenset(re.findall(r"\.(-?[A-Za-z_][\w-]*)", re.sub(r"/\*.*?\*/", "", css, flags=re.S)))


def written_at(text: str, needle: str) -> int:
    """Where `needle` stands in `text`: first as an image or link target (`](map.png`), an attribute
    value (`src="map"`) or an attribute name (`ONCLICK=`), then anywhere, then in any case; -1 if not."""
    quoted = re.escape(needle)
    for pattern, flags in ((r"\]\(\s*<?" + quoted, 0), (r"=\s*[\"']?" + quoted, 0), (r"\b" + quoted + r"\s*=", re.I),
                           (quoted, 0), (quoted, re.I)):
        match = re.search(pattern, text, flags)
        if match:
            return match.start()
    return -1


def deepest_block(markdown_text: str) -> int:
    """The first line (from 0) of the block holding the most deeply indented or quoted line: where
    nesting too deep to typeset starts."""
    lines = markdown_text.split("\n")
    depth = [len(line) - len(line.lstrip(" \t>")) for line in lines]
    at = depth.index(max(depth))
    while at > 0 and (lines[at - 1].strip() or lines[at][:1] in (" ", "\t", ">")):
        at -= 1
    while at < len(lines) - 1 and not lines[at].strip():
        at += 1
    return at
