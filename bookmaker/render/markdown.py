"""Python-Markdown, set up for fiction: smart punctuation that faces the right way, scene breaks,
footnotes, and raw HTML that cannot swallow the rest of a chapter.

The only module that imports Markdown.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import markdown
from markdown import util
from markdown.blockprocessors import BlockProcessor
from markdown import inlinepatterns
from markdown.extensions import Extension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.smarty import SmartyExtension
from markdown.extensions.tables import TableExtension
from markdown.inlinepatterns import InlineProcessor
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import PrettifyTreeprocessor, Treeprocessor

from bookmaker.render import markdown_internals, xhtml
from bookmaker.render.pasted import make_plain

SMART = {
    "left-single-quote": "\u2018", "right-single-quote": "\u2019",
    "left-double-quote": "\u201c", "right-double-quote": "\u201d",
    "left-angle-quote": "\u00ab", "right-angle-quote": "\u00bb",
    "ellipsis": "\u2026", "ndash": "\u2013", "mdash": "\u2014",
}
SCENE_BREAK_RE = re.compile(r"^[ ]{0,3}#[ \t]*$")
IDEOGRAPHS = r"\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff"  # kana, CJK, Hangul: a word each
ALPHABETIC_WORD = r"[^\W_]+(?:['\u2019\-][^\W_]+)*"  # letters and digits, joined by an apostrophe or hyphen
WORD_RE = re.compile(rf"[{IDEOGRAPHS}]|{ALPHABETIC_WORD}")
ALPHABETIC_WORD_RE = re.compile(ALPHABETIC_WORD)  # WORD_RE where no ideograph is
IDEOGRAPH_RE = re.compile(f"[{IDEOGRAPHS}]")


class SceneBreakBlock(BlockProcessor):
    """A paragraph that is only '#' is a scene break (an empty heading is never what an author means)."""

    def test(self, parent, block):
        return bool(SCENE_BREAK_RE.match(block.split("\n", 1)[0])) and "\n" not in block.strip()

    def run(self, parent, blocks):
        blocks.pop(0)
        ET.SubElement(parent, "hr")


class SceneBreakClass(Treeprocessor):
    """Every thematic break in a chapter's text is a scene break, styled by the theme as an ornament."""

    def run(self, root):
        for el in root.iter("hr"):
            el.set("class", "scene-break")


class LinesClass(Treeprocessor):
    """A paragraph of lines, broken where its author broke them (a stanza, a letter's close, a text
    message's lines): class `lines`, which the themes set ragged and unindented, and a run of them
    (a poem's stanzas) a line apart, as they are set in print. Justified, a verse's long line was spaced
    out to the measure, and a stanza was told from the next only by its first line's indent."""

    def run(self, root):
        for el in root.iter("p"):
            if any(child.tag == "br" for child in el):
                classes = (el.get("class") or "").split()
                el.set("class", " ".join([*classes, "lines"]))
                lines_in_spans(el)


def lines_in_spans(p) -> None:
    """Each line of a paragraph of lines in a `<span class="line">`, the <br> kept after it: the themes
    set each span as a block with a hanging indent, so that a line too long for the measure runs over
    indented, as verse is set, and is not taken for a line of its own (Leaves of Grass, set flush, could
    not be read for where Whitman's lines end); they hide the <br>, which a reader without the theme
    still breaks the lines at. A paragraph with a <br> inside an inline element (a line break in
    italics) is left as it is: a span cannot hold part of the element."""
    if any(inner.tag == "br" for child in p for inner in child.iter() if inner is not child):
        return
    children = list(p)
    line = ET.Element("span", {"class": "line"})
    line.text, p.text = p.text, None
    items = [line]  # each line's span, a <br> between two
    for child in children:
        p.remove(child)
        if child.tag == "br":
            line = ET.Element("span", {"class": "line"})
            line.text, child.tail = (child.tail or "").lstrip("\n") or None, None
            items += [child, line]
        else:
            line.append(child)
    p.extend(items)


class UnmatchedBrackets(Preprocessor):
    """Python-Markdown looks for the end of a link from every '[' to the end of its paragraph, so a
    paragraph of thousands of unmatched '[' took minutes. A '[' that nothing closes can never start a
    link: where there are many, they are escaped, which changes nothing else."""

    LIMIT = 64

    def run(self, lines):
        text = "\n".join(lines)
        if text.count("[") - text.count("]") < self.LIMIT:
            return lines
        opened: list[int] = []
        for i, char in enumerate(text):
            if char == "[" and (i == 0 or text[i - 1] != "\\"):
                opened.append(i)
            elif char == "]" and opened:
                opened.pop()
        if len(opened) < self.LIMIT:
            return lines
        pieces, start = [], 0
        for i in opened:
            pieces += [text[start:i], "\\["]
            start = i + 1
        pieces.append(text[start:])
        return "".join(pieces).split("\n")


class BlockTails(Treeprocessor):
    """Whitespace between blocks, removed before inline processing: for each element with a tail,
    Python-Markdown's inline pass looks the element up in a fresh list of its siblings, which made a
    chapter of 32,000 paragraphs take a minute. A second prettify pass puts the newlines back."""

    def run(self, root):
        for el in root.iter():
            if el.tail is not None and not el.tail.strip() and self.md.is_block_level(el.tag):
                el.tail = None


class PastedHtmlMadePlain(Postprocessor):
    """Raw HTML pasted from a word processor loses its look (render/pasted.py); runs before the raw
    HTML is balanced and restored."""

    def __init__(self, md, scene_breaks: bool):
        super().__init__(md)
        self.scene_breaks = scene_breaks

    def run(self, text):
        if self.md.htmlStash.rawHtmlBlocks:
            make_plain(self.md.htmlStash.rawHtmlBlocks, text, self.scene_breaks,
                       getattr(self.md, "styled_classes", frozenset()))
        return text


class BalanceRawHtml(Postprocessor):
    """Unclosed raw HTML ends with the block it was written in.

    A raw block is repaired on its own; a paragraph, heading or cell holding inline raw HTML is
    expanded and repaired whole. So a forgotten </div> or </b> cannot swallow the rest of the
    chapter, footnotes included. Runs just before Python-Markdown restores the raw HTML.
    """

    PLACEHOLDER = re.compile(util.HTML_PLACEHOLDER % r"([0-9]+)")
    WRAPPED = re.compile(r"<p>" + util.HTML_PLACEHOLDER % r"([0-9]+)" + r"</p>")
    INLINE_HOLDERS = re.compile(r"<(p|h[1-6]|td|th|dt)(\s[^>]*)?>((?:(?!</\1>).)*\x02(?:(?!</\1>).)*)</\1>",
                                re.S)

    def expand(self, text: str, depth: int = 0) -> str:
        stash = self.md.htmlStash.rawHtmlBlocks
        if depth > 5:
            return text
        return self.PLACEHOLDER.sub(
            lambda m: self.expand(str(stash[int(m.group(1))]), depth + 1)
            if int(m.group(1)) < len(stash) else m.group(0), text)

    def run(self, text):
        stash = self.md.htmlStash.rawHtmlBlocks
        if not stash:
            return text
        text = self.WRAPPED.sub(self.balanced_paragraph, text)
        self.tagged = {}
        if not any(self.holds_tag(i) for i in range(len(stash))):
            return text  # every placeholder is smart punctuation or a tagless snippet: nothing to repair
        return self.INLINE_HOLDERS.sub(self.balanced_block, text)

    def balanced_paragraph(self, m: re.Match) -> str:
        """A paragraph of one raw snippet: the snippet repaired, in its paragraph unless it is a block, as
        Python-Markdown's raw HTML postprocessor would restore it (a paragraph of '&copy;' alone, or of a
        lone '...' or '--', lost its <p> here)."""
        stash = self.md.htmlStash.rawHtmlBlocks
        if int(m.group(1)) >= len(stash):
            return m.group(0)
        html = self.expand(str(stash[int(m.group(1))]))
        balanced = xhtml.balance_html(html)
        return balanced if self.md.postprocessors["raw_html"].isblocklevel(html) else f"<p>{balanced}</p>"

    def holds_tag(self, index: int, depth: int = 0) -> bool:
        """Whether stashed snippet `index`, expanded as expand() would at `depth`, holds a '<'. Worked
        out once a snippet: a chapter's smart punctuation stashes every curly quote, and expanding each
        quote of each paragraph was 7% of rendering a chapter, and scanning every paragraph for them 4%."""
        if (index, depth) not in self.tagged:
            snippet = str(self.md.htmlStash.rawHtmlBlocks[index])
            count = len(self.md.htmlStash.rawHtmlBlocks)
            self.tagged[index, depth] = "<" in snippet or (depth <= 5 and any(
                self.holds_tag(int(i), depth + 1) for i in self.PLACEHOLDER.findall(snippet) if int(i) < count))
        return self.tagged[index, depth]

    def balanced_block(self, m: re.Match) -> str:
        """A block holding inline raw HTML, repaired; one whose placeholders hold no tag (smart
        punctuation stashes every curly quote) is left as it is: parsing it again was 6% of rendering."""
        count = len(self.md.htmlStash.rawHtmlBlocks)
        if not any(self.holds_tag(int(i)) for i in self.PLACEHOLDER.findall(m.group(0)) if int(i) < count):
            return m.group(0)
        return xhtml.balance_html(self.expand(m.group(0)))


class CloseRawBlocks(Preprocessor):
    """A raw HTML block whose tag is never closed would make Python-Markdown treat the rest of the
    chapter as raw HTML, silently skipping its Markdown. Such a block is closed where it ends."""

    TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^>]*?(/?)>")
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def run(self, lines):
        text = "\n".join(lines)
        if "<" not in text:
            return lines
        blocks = re.split(r"(\n[ \t]*\n)", text)
        # Where each closing tag last appears, found once: asking of every block whether its tags close
        # somewhere after it made a chapter of many raw HTML blocks take quadratic time.
        last_close = {m.group(1).lower(): m.start() for m in re.finditer(r"</([A-Za-z][A-Za-z0-9]*)", text)}
        end = 0
        for i in range(0, len(blocks), 2):
            block = blocks[i]
            end += len(block) + (len(blocks[i + 1]) if i + 1 < len(blocks) else 0)
            match = re.match(r"\s{0,3}<([A-Za-z][A-Za-z0-9]*)", block)
            if not match or not self.md.is_block_level(match.group(1).lower()):
                continue
            for tag in self.unclosed(block):
                if last_close.get(tag, -1) < end:  # never closed after this block
                    blocks[i] = xhtml.balance_html(block)
                    break
        return "".join(blocks).split("\n")

    def unclosed(self, block: str) -> list[str]:
        stack: list[str] = []
        for closing, name, self_closing in self.TAG.findall(block):
            name = name.lower()
            if name in self.VOID or self_closing:
                continue
            if not closing:
                stack.append(name)
            elif name in stack:
                while stack and stack.pop() != name:
                    pass
        return stack


class QuoteDirection(Postprocessor):
    """Smart punctuation turns a quote after a dash into an opening one ("Jun --" reads “Jun –“), a
    quote before an ellipsis at the start of a paragraph into a closing one ("...and then" reads
    ”…and then”), and the apostrophe of 'tis into an opening quote. Put right what authors of dialogue
    write all the time. Runs on the HTML after the substitutions are restored."""

    OPEN_TO_CLOSE = {"\u201c": "\u201d", "\u2018": "\u2019"}
    CLOSE_TO_OPEN = {"\u201d": "\u201c", "\u2019": "\u2018"}
    # Every pattern starts with the quote itself and looks back from there: a pattern that starts with
    # a look-behind is tried at every character of the chapter, one that starts with a character is
    # searched for (four times faster on a chapter of dialogue).
    # An opening quote after text, and before a space, punctuation, a closing tag or the end, closes.
    STRANDED = re.compile(r"[\u201c\u2018](?<=[^\s<]\u201c|[^\s<]\u2018)(?=[\s\u201d\u2019.,;:!?)\]]|</|$)")
    CLOSING_TAG_BEFORE = re.compile(r"</[A-Za-z][A-Za-z0-9]*>$")
    # A closing double quote at the start of a text, or after a space or an opening tag, opens; so does a
    # closing single quote there before an ellipsis or a dash (a leading apostrophe, ’90s, stays).
    LEADING = re.compile(r"(?:\u201d|\u2019(?=[\u2026\u2013\u2014]))(?=[^\s<]|<[A-Za-z])")
    OPENING_TAG_BEFORE = re.compile(r"<[A-Za-z][^<>]*>$")
    # A word with its start left out: ’Tis, ’cause, ’Cause… but ‘Cause’, a word quoted, stays quoted.
    ELISION = re.compile(r"\u2018(?<![\w\u2019]\u2018)(?=(?:[Tt](?:is|was|were|will|would)|em|[Cc]ause|[Cc]os|"
                         r"[Bb]out|[Tt]il|[Nn]uff|[Cc]ept)\b(?!\u2019))")
    # Rock ’n’ roll, fish ’n chips: an 'n' between two words; not a letter quoted (the letter ‘n’, an ‘n’).
    AND = re.compile(r"\u2018(?=n\u2019? \w)(?<=\w \u2018)(?<!\b[Ll]etter \u2018)(?<!\b[Ll]etters \u2018)"
                     r"(?<!\b[Tt]he \u2018)(?<![Aa]n \u2018)(?<!\b[Aa] \u2018)")

    def stranded(self, m: re.Match) -> str:
        """A quote after '>' closes only after a closing tag (</em>“ ), never after an opening one."""
        if m.string[m.start() - 1] == ">" and not self.CLOSING_TAG_BEFORE.search(m.string, 0, m.start()):
            return m.group()
        return self.OPEN_TO_CLOSE[m.group()]

    def leading(self, m: re.Match) -> str:
        at = m.start()
        before = m.string[at - 1] if at else ""
        if at == 0 or before in " \t\n\r\f\v([" or (before == ">" and self.OPENING_TAG_BEFORE.search(m.string, 0, at)):
            return self.CLOSE_TO_OPEN[m.group()]
        return m.group()

    def run(self, text):
        while True:  # inside out: in 'go --'" the outer quote closes first
            turned = self.STRANDED.sub(self.stranded, text)
            if turned == text:
                break
            text = turned
        text = self.LEADING.sub(self.leading, text)
        return self.AND.sub("\u2019", self.ELISION.sub("\u2019", text))


class UnknownTagAsText(InlineProcessor):
    """'<Porter>' or '<Eleven>' in running text is words in angle brackets, not HTML: an element no
    browser knows would be dropped with its name, so it stays text exactly as typed."""

    NAME = re.compile(r"</?([A-Za-z][^\s/>]*)")

    def handleMatch(self, m, data):
        name = self.NAME.match(m.group(0))
        if name is None or name.group(1).lower() in xhtml.KNOWN_TAGS:
            return None, None, None
        return util.AtomicString(m.group(0)), m.start(0), m.end(0)


class MailLink(InlineProcessor):
    """'<someone@example.org>' as a plain mailto: link. Python-Markdown hides the address in
    entities, which reached the XHTML as a broken, unlinked address; a book has no spam harvesters."""

    def handleMatch(self, m, data):
        address = self.unescape(m.group(1)).removeprefix("mailto:")
        el = ET.Element("a", {"href": f"mailto:{address}"})
        el.text = util.AtomicString(address)
        return el, m.start(0), m.end(0)


class BookmakerExtension(Extension):
    def __init__(self, **kwargs):
        self.config = {"scene_breaks": [True, "Mark thematic breaks as scene breaks"]}
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        # Above 'hashheader' (70), so '#' alone never becomes an empty <h1>.
        md.parser.blockprocessors.register(SceneBreakBlock(md.parser), "scene_break", 75)
        # Before Python-Markdown's own raw HTML block handling (20).
        md.preprocessors.register(CloseRawBlocks(md), "close_raw_blocks", 25)
        md.preprocessors.register(UnmatchedBrackets(md), "unmatched_brackets", 24)
        md.postprocessors.register(PastedHtmlMadePlain(md, self.getConfig("scene_breaks")), "pasted_html", 36)
        md.postprocessors.register(BalanceRawHtml(md), "balance_raw_html", 35)
        # Before each of the two inline passes, 'inline' (20) and 'smarty' (6); newlines back after them.
        md.treeprocessors.register(BlockTails(md), "block_tails", 25)
        md.treeprocessors.register(BlockTails(md), "block_tails_smarty", 9)
        md.treeprocessors.register(PrettifyTreeprocessor(md), "prettify_after_smarty", 4)
        # Just before raw inline HTML (90); the same name replaces Python-Markdown's mail links (110).
        md.inlinePatterns.register(UnknownTagAsText(inlinepatterns.HTML_RE, md), "unknown_tag_as_text", 91)
        md.inlinePatterns.register(MailLink(inlinepatterns.AUTOMAIL_RE, md), "automail", 110)
        # After raw HTML and smart punctuation are restored (30), before entities are unescaped (10).
        md.postprocessors.register(QuoteDirection(md), "quote_direction", 25)
        if self.getConfig("scene_breaks"):
            md.treeprocessors.register(SceneBreakClass(md), "scene_break_class", 5)
        md.treeprocessors.register(LinesClass(md), "lines_class", 5)  # after 'inline' (20) made the <br>


_converters: dict[bool, markdown.Markdown] = {}


def markdown_to_html(text: str, scene_breaks: bool = True, styled_classes: frozenset[str] = frozenset()) -> str:
    """`styled_classes`: the classes the book's stylesheets name, kept in raw HTML (render/pasted.py)."""
    # One instance per configuration, reset between documents so footnote and reference state
    # never leak from one chapter to the next (building an instance costs more than converting a page).
    md = _converters.get(scene_breaks)
    if md is None:
        # Python-Markdown's own extensions given as objects, not names: a name is looked up among every
        # installed package's entry points first (importlib.metadata: 30 ms of each build's start).
        md = _converters[scene_breaks] = markdown.Markdown(
            extensions=[SmartyExtension(substitutions=SMART), FootnoteExtension(UNIQUE_IDS=False), TableExtension(),
                        AttrListExtension(), DefListExtension(), SaneListExtension(),
                        BookmakerExtension(scene_breaks=scene_breaks)],
            output_format="xhtml",
        )
        markdown_internals.speed_up(md)
    md.reset()
    md.styled_classes = styled_classes
    return LEFT_PLACEHOLDER_RE.sub("", md.convert(text))


# Python-Markdown's own inline placeholder, left in its output where a link sits inside what it then reads
# as a tag's text ("<a[x](y)>": its stock passes leave "\x02klzzwxh:0000\x03" there too). The book printed
# "klzzwxh:0000" (Hypothesis found it): the placeholder is left out, with the link it stood for.
LEFT_PLACEHOLDER_RE = re.compile(re.escape(markdown.util.STX) + r"klzzwxh:[0-9]+" + re.escape(markdown.util.ETX))


def title_markdown(text: str) -> str:
    """A title from book.yaml or front matter as the content of a Markdown heading: inline text, where
    only emphasis, smart punctuation and footnote calls mean anything ('1. Start' is not a list,
    '<Eleven>' not a tag, a closing '#' not a heading mark)."""
    text = " ".join(text.split())
    text = text.replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"[#`{}!]|\[(?!\^)", lambda m: "\\" + m.group(0), text)


def count_words(text: str) -> int:
    """WORD_RE's matches in `text`. Where no ideograph is, each matches within one space-separated token,
    and a token of letters alone is one match (WORD_RE's [^\\W_] is str.isalnum(); isalpha() implies it):
    counted so, a chapter takes a third of the time (WORD_RE tried at every character was a tenth of
    rendering a chapter)."""
    if IDEOGRAPH_RE.search(text):
        return len(WORD_RE.findall(text))
    return sum(1 if token.isalpha() else len(ALPHABETIC_WORD_RE.findall(token)) for token in text.split())
