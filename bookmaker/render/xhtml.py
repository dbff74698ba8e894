"""HTML from Markdown (raw HTML included) → clean, valid, namespaced XHTML.

Every element is rebuilt from an allowlist, so what comes out is well-formed XML, has no scripts,
event handlers or remote fetches, and satisfies the content models EPUBCheck enforces.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

from bookmaker import codes
from bookmaker.render.pasted import MARKER
from bookmaker.render.footnotes import convert_footnotes
from bookmaker.render.repair import repair_structure, style_problem
from bookmaker.render.tree import (NSMAP, OPS, PHRASING, XHTML, XML_NS, drop_keeping_tail, has_class,  # noqa: F401
                                   inner_xml, local, q, reading_text, text_of)


INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
SAFE_SCHEMES = ("http:", "https:", "mailto:", "tel:", "ftp:")
SCHEME_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):")
LANG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")

ALLOWED = frozenset("""
a abbr address article aside b bdi bdo blockquote br caption cite code col colgroup data dd del details
dfn div dl dt em figcaption figure footer h1 h2 h3 h4 h5 h6 header hgroup hr i img ins kbd li mark nav ol p
pre q rp rt ruby s samp section small span strong sub summary sup table tbody td tfoot th thead time tr u
ul var wbr
""".split())
RENAMED = {"center": "div", "font": "span", "big": "span", "tt": "code", "strike": "s", "acronym": "abbr",
           "blink": "span", "marquee": "span", "nobr": "span", "listing": "pre", "xmp": "pre",
           "plaintext": "pre", "main": "div", "dir": "ul", "menu": "ul", "article": "article"}
# Removed with everything inside: active content, remote embeds, document-level elements.
DROPPED = frozenset("""
script style iframe frame frameset object embed applet noscript template canvas audio video source track
link meta base title head svg math param map area dialog input button select textarea option optgroup
datalist output progress meter keygen portal
""".split())
UNWRAPPED_SILENTLY = frozenset({"html", "body", "label", "fieldset", "legend", "picture", "form"})
# Every other element HTML has or had: anything else in angle brackets is not HTML but words.
KNOWN_TAGS = ALLOWED | RENAMED.keys() | DROPPED | UNWRAPPED_SILENTLY | frozenset("""
basefont bgsound content element image isindex menuitem multicol nextid noembed noframes rb rtc search shadow
slot spacer
""".split())
VOID = frozenset({"br", "hr", "img", "wbr", "col"})
PHRASING_PARENTS = frozenset("""
p span em strong b i u s small sub sup code cite q abbr mark dfn kbd samp var time h1 h2 h3 h4 h5 h6 bdi bdo
data ruby rt rp dt pre summary
""".split())
TRANSPARENT = frozenset({"a", "del", "ins"})
NEEDS_PARENT = {"li": {"ul", "ol"}, "dt": {"dl", "div"}, "dd": {"dl", "div"}, "tr": {"table", "thead", "tbody", "tfoot"},
                "td": {"tr"}, "th": {"tr"}, "thead": {"table"}, "tbody": {"table"}, "tfoot": {"table"},
                "caption": {"table"}, "colgroup": {"table"}, "col": {"colgroup", "table"},
                "figcaption": {"figure"}, "rt": {"ruby"}, "rp": {"ruby"}, "summary": {"details"}}
CHILDREN = {"ul": ({"li"}, "li"), "ol": ({"li"}, "li"), "dl": ({"dt", "dd", "div"}, "dd"),
            "table": ({"caption", "colgroup", "thead", "tbody", "tfoot", "tr"}, "tr"),
            "thead": ({"tr"}, "tr"), "tbody": ({"tr"}, "tr"), "tfoot": ({"tr"}, "tr"), "tr": ({"td", "th"}, "td"),
            "colgroup": ({"col"}, None)}
GLOBAL_ATTRS = frozenset({"id", "class", "title", "lang", "dir", "style", "aria-label", "aria-hidden"})
TAG_ATTRS = {"a": {"href", "hreflang"}, "img": {"src", "alt", "width", "height"},
             "td": {"colspan", "rowspan", "headers"}, "th": {"colspan", "rowspan", "headers", "scope", "abbr"},
             "ol": {"start", "reversed", "type"}, "li": {"value"}, "blockquote": {"cite"}, "q": {"cite"},
             "del": {"cite", "datetime"}, "ins": {"cite", "datetime"}, "time": {"datetime"},
             "col": {"span"}, "colgroup": {"span"}, "data": {"value"}, "details": {"open"}}
NUMERIC_ATTRS = frozenset({"width", "height", "colspan", "rowspan", "start", "value", "span"})
BOOLEAN_ATTRS = frozenset({"reversed", "open"})
ENUM_ATTRS = {"dir": {"ltr", "rtl", "auto"}, "aria-hidden": {"true", "false"},
              "scope": {"row", "col", "rowgroup", "colgroup"}, "type": {"1", "a", "A", "i", "I"}}


def clean_text(text: str | None) -> str | None:
    return INVALID_XML_CHARS.sub("", text) if text else text


@dataclass
class Context:
    """What cleaning one page needs from the outside: where it is, and how to resolve references."""

    where: str  # display path for messages
    line_of: Callable[[str], int]  # source line of a snippet, for messages
    resolve_image: Callable[[str, int], str | None]  # src → href inside the book, or None (problem recorded)
    resolve_link: Callable[[str], str | None]  # relative href → href inside the book, or None
    warn: Callable[..., None]  # (where, line, message, code)
    heading_shift: int = 0
    pasted_warned: bool = False
    ids: set[str] = field(default_factory=set)
    id_prefix: str = ""
    footnote_count: int = 0  # notes numbered so far on this page
    fragment_links: list = field(default_factory=list)  # (element, id) checked once the page is complete
    cross_links: list = field(default_factory=list)  # (element, "file#id") checked once every page is


def parse_html(html: str):
    """The HTML parser repairs unclosed and misnested tags and decodes every named entity."""
    if html.strip():
        try:
            return lxml.html.fragment_fromstring(html, create_parent="div")
        except etree.ParserError:  # nothing but a DOCTYPE, a comment-like <?...?>: "Document is empty"
            pass
    return lxml.html.fragment_fromstring("<div></div>")


def balance_html(html: str) -> str:
    """The same HTML with every unclosed tag closed and every stray end tag dropped."""
    container = parse_html(html)
    text = lxml.html.tostring(container, encoding="unicode", method="html")
    return text[len("<div>"): -len("</div>")]


def html_to_xhtml(html: str, ctx: Context):
    """A <div> in the XHTML namespace holding the cleaned content of `html`."""
    source = parse_html(html)
    root = etree.Element(q("div"), nsmap=NSMAP)
    Builder(ctx).children(source, root, phrasing=False, in_link=False)
    repair_structure(root)
    convert_footnotes(root, ctx)
    return root


MAX_DEPTH = 100  # e-readers' XML parsers refuse documents nested much deeper (libxml2: 256)


class Builder:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.depth = 0
        self.flattened = False

    def warn(self, message: str, needle: str = "", code: str = "") -> None:
        self.ctx.warn(self.ctx.where, self.ctx.line_of(needle) if needle else self.ctx.line_of(""), message, code)

    def children(self, src, dst, phrasing: bool, in_link: bool) -> None:
        self.text(dst, clean_text(src.text))
        for child in src:
            self.node(child, dst, phrasing, in_link)
            self.text(dst, clean_text(child.tail))

    def text(self, dst, text: str | None) -> None:
        """Append text to `dst`, wrapping it where the parent's content model forbids bare text."""
        if not text:
            return
        rule = CHILDREN.get(local(dst))
        if rule and text.strip():
            if rule[1] is None:
                return
            self.text(self.append(dst, rule[1]), text)  # table > tr > td: wrap until text is allowed
            return
        if rule:
            return  # whitespace between rows or items carries nothing
        try:
            last = dst[-1]  # found from the end; len(dst) would count every child, every time
        except IndexError:
            dst.text = (dst.text or "") + text
        else:
            last.tail = (last.tail or "") + text

    def append(self, dst, tag: str):
        """A new child `tag` of `dst`, wrapped as the parent's content model requires."""
        rule = CHILDREN.get(local(dst))
        if rule and tag not in rule[0]:
            if rule[1] is None:
                return etree.Element(q(tag))  # detached: the content is dropped
            dst = self.append(dst, rule[1])
        return etree.SubElement(dst, q(tag))

    def node(self, src, dst, phrasing: bool, in_link: bool) -> None:
        if not isinstance(src.tag, str):
            if src.tag is etree.Comment and (src.text or "").startswith(MARKER) and not self.ctx.pasted_warned:
                self.ctx.pasted_warned = True  # one warning a chapter, for all its pasted HTML
                what, _, needle = src.text[len(MARKER):].partition("|")
                self.warn(f"pasted HTML made plain: removed its {', '.join(what.split(','))}. They are the "
                          "look of the document it was copied from and would override the book's theme; "
                          "Markdown is simpler (*italics*, **bold**, a line of * * * for a scene break) and "
                          "looks the same in every format", needle, codes.PASTED_FORMATTING)
            return  # comments and processing instructions
        tag = src.tag.lower()
        if tag in DROPPED:
            self.warn(f"removed <{tag}> from raw HTML: books cannot run or embed it", f"<{tag}", "removed-html")
            return
        if tag in RENAMED:
            tag = RENAMED[tag]
        if tag == "form":
            self.warn("removed <form> from raw HTML: books cannot submit forms", "<form", "removed-html")
        if tag not in KNOWN_TAGS:
            self.warn(f"unknown HTML tag <{tag}> removed, its content kept; write &lt;{tag}&gt; to show it as "
                      "text", f"<{tag}", "unknown-html")
        if tag not in ALLOWED or tag in UNWRAPPED_SILENTLY:
            self.children(src, dst, phrasing, in_link)
            return
        if tag == "a" and in_link:
            self.children(src, dst, phrasing, in_link)
            return
        parent = local(dst)
        wrapper = CHILDREN.get(parent, (None, None))[1]  # what the parent wraps a stray child in
        if tag in NEEDS_PARENT and parent not in NEEDS_PARENT[tag] and wrapper not in NEEDS_PARENT[tag]:
            tag = "span" if phrasing else ("p" if tag in ("dt", "dd", "figcaption", "caption") else "div")
        if phrasing and tag not in PHRASING:
            if tag in ("hr", "col"):
                return
            tag = "span"
        if tag == "img":
            self.image(src, dst)
            return
        if self.depth >= MAX_DEPTH:
            if not self.flattened:
                self.flattened = True
                self.warn(f"quotes, lists or HTML nested more than {MAX_DEPTH} levels deep were flattened",
                          code="too-deep")
            self.children(src, dst, phrasing, in_link)
            return
        el = self.append(dst, tag)
        if el.getparent() is None:
            return
        self.attributes(src, el, tag)
        if tag in VOID:
            return
        child_phrasing = (phrasing and tag in TRANSPARENT) or tag in PHRASING_PARENTS or (
            phrasing and tag in PHRASING)
        self.depth += 1
        try:
            self.children(src, el, child_phrasing, in_link or tag == "a")
        finally:
            self.depth -= 1
        if tag[0] == "h" and tag[1:].isdigit() and self.ctx.heading_shift:
            el.tag = q(f"h{min(6, int(tag[1:]) + self.ctx.heading_shift)}")

    def attributes(self, src, el, tag: str) -> None:
        allowed = GLOBAL_ATTRS | TAG_ATTRS.get(tag, set())
        for name, value in src.attrib.items():
            name = name.lower()
            value = clean_text(value) or ""
            if name.startswith("on"):
                self.warn(f"removed event handler '{name}' from raw HTML", name, "removed-html")
                continue
            if name in ("epub:type",):
                el.set(f"{{{OPS}}}type", " ".join(value.split()))
                continue
            if name == "xml:lang":
                name = "lang"
            if name not in allowed:
                continue
            if name in NUMERIC_ATTRS and not value.strip().isdigit():
                continue
            if name in ENUM_ATTRS and value not in ENUM_ATTRS[name]:
                continue
            if name in BOOLEAN_ATTRS:
                value = name
            if name == "id":
                value = self.unique_id(value)
                if not value:
                    continue
            elif name == "lang":
                if not LANG_RE.match(value):
                    continue
                el.set(f"{{{XML_NS}}}lang", value)
            elif name == "style" and (problem := style_problem(value)):
                self.warn(problem, value[:30], "removed-html")
                continue
            elif name == "href":
                value = self.href(value, el)
                if value is None:
                    continue
            el.set(name, value)

    def unique_id(self, value: str) -> str | None:
        value = re.sub(r"\s+", "-", value.strip())
        if not value or value in self.ctx.ids:
            return None
        self.ctx.ids.add(value)
        return value

    def href(self, value: str, el) -> str | None:
        value = value.strip()
        scheme = SCHEME_RE.match(value)
        if scheme:
            if (scheme.group(1).lower() + ":") in SAFE_SCHEMES:
                return value
            self.warn(f"removed a '{scheme.group(1).lower()}:' link: books cannot follow it", value[:40], "unsafe-link")
            return None
        if value.startswith("#"):
            self.ctx.fragment_links.append((el, value[1:]))
            return value
        if value.startswith("//"):
            return "https:" + value
        resolved = self.ctx.resolve_link(value)
        if resolved is None:
            self.warn(f"link '{value}' does not lead to a chapter of this book; kept as plain text", value, "dead-link")
        elif "#" in resolved:
            self.ctx.cross_links.append((el, resolved, value))
        return resolved

    def image(self, src, dst) -> None:
        ref = (src.get("src") or "").strip()
        alt = clean_text(src.get("alt"))
        if not ref:
            return
        scheme = SCHEME_RE.match(ref)
        if scheme or ref.startswith("//"):
            self.warn(f"remote image '{ref[:60]}' not fetched; its description is shown instead", ref, "remote-image")
            if alt:
                span = self.append(dst, "span")
                span.set("class", "image-description")
                span.text = f"[{alt}]"
            return
        href = self.ctx.resolve_image(ref, self.ctx.line_of(ref))
        if href is None:
            return
        el = self.append(dst, "img")
        el.set("src", href)
        el.set("alt", alt or "")
        for name in ("class", "title", "width", "height"):
            value = src.get(name)
            if value and (name not in NUMERIC_ATTRS or value.isdigit()):
                el.set(name, clean_text(value))
        if src.get("id"):
            unique = self.unique_id(src.get("id"))
            if unique:
                el.set("id", unique)


def check_fragment_links(ctx: Context) -> None:
    """A '#id' link must land in its own page; otherwise it is a dead link (and an EPUBCheck error)."""
    for el, target in ctx.fragment_links:
        if target not in ctx.ids:
            ctx.warn(ctx.where, ctx.line_of("#" + target), f"link '#{target}' has no target in this chapter", "dead-link")
            el.attrib.pop("href", None)
