"""What the print edition's pages get that the EPUB's do not, for the typesetting: the first words of a
chapter in small caps, names kept whole, words joined to a dash hyphenated by their letters, and display
lines broken where they balance.

WeasyPrint 70 has neither `text-wrap: balance` nor a way to stop hyphenation in capitalised words, so
both are done here, in the HTML it lays out.
"""

from __future__ import annotations

import math
import re

import lxml.html

from bookmaker.load.metadata import inches

LEAD_IN_WORDS = 4
# A capitalised word inside a sentence, long enough to be hyphenated (hyphenate-limit-chars: 6 3 3).
NAME = re.compile(r"(?<![\w\u2019'-])[A-Z\u00c0-\u00de][a-z\u00df-\u024f]+(?:[-\u2019'][A-Za-z\u00c0-\u024f]+)*")
SENTENCE_END = re.compile(r"[.!?\u2026:;][\u201d\u2019\"')\]]*\s*[\u201c\u2018\"'(\[]*$")
NOT_TEXT = {"h1", "h2", "h3", "h4", "h5", "h6", "code", "pre", "kbd", "samp", "script", "style"}
# Punctuation (no letter, digit or space) with a word joiner in it.
JOINED = re.compile(r"[^\w\s]*\u2060[^\w\s]*")
# Display lines, and their size in body ems as the theme sets it; a wide face: half an em a character.
# The half-title is set in letter-spaced small caps (print.css: 1.4 em, 0.06 em apart), wider a letter
# than this estimate took at 1.55: "A Vindication of the Rights of" / "Woman" was thought to fit on a line.
# The dedication's lines (its paragraphs) at the body's size, in italics.
DISPLAY = {"chapter-name": 1.6, "book-title": 2.3, "halftitle-title": 1.85, "book-subtitle": 1.2, "dedication": 1.0}
CHAR_WIDTH = 0.5
# A chapter's last page keeps this many lines (print.css: widows on the last two paragraphs, no break
# before the last, none before a paragraph of class `ending`). Body text: under half an em a character
# (taken narrow: a paragraph is never thought shorter than it is).
LAST_PAGE_LINES, BODY_CHAR_WIDTH = 4, 0.42
# The running head (print.css: 8 pt small caps, letter-spaced 0.08 em) takes at most this share of the
# measure, a character taken wide (small caps and their spacing): a longer chapter title is cut at a word
# and ends in an ellipsis, on one line. WeasyPrint's margin boxes neither clip nor honour text-overflow:
# a long head wrapped to two lines in the top margin, or ran off the page.
HEAD_SIZE, HEAD_CHAR_WIDTH, HEAD_SHARE = 8, 0.62, 0.8


# Characters the bundled faces lack, set in print with those they have. The two- and three-em dashes (a
# word left out, an author's name not repeated in a list) are in few faces: WeasyPrint drew a missing
# glyph's box for each (Standard Ebooks' Chekhov). Set as em dashes in a row, which touch in a text face,
# they read the same. A non-breaking hyphen (Joyce's Ulysses) came out in another face: it is set as a
# hyphen, which a word joiner after it keeps from breaking the line there.
SUBSTITUTES = str.maketrans({"\u2e3a": "\u2014\u2014", "\u2e3b": "\u2014\u2014\u2014", "\u2011": "\u2010\u2060"})


def typeset_page(div, kind: str, pdf) -> None:
    """The page's <div> (lxml.html), changed in place for print."""
    substituted(div)
    if kind == "chapter":
        for text in div.find_class("chapter-text"):
            lead_in(text)
            keep_names(text)
            set_apart_joined(text)
    measure = inches(pdf.width) * 72 - inches(pdf.margin_inner) * 72 - inches(pdf.margin_outer) * 72
    body = inches(pdf.font_size) * 72
    if kind == "chapter":
        for text in div.find_class("chapter-text"):
            keep_ending(text, max(8, int(measure / (body * BODY_CHAR_WIDTH))))
    head = int(measure * HEAD_SHARE / (HEAD_SIZE * HEAD_CHAR_WIDTH))
    for el in div.find_class("chapter-name"):
        el.set("data-head", running_head(el.text_content(), head))
    for name, size in DISPLAY.items():
        for el in div.find_class(name):
            if "long-dedication" in (el.get("class") or ""):
                continue  # a dedicatory letter: prose, not display lines
            for line in el.findall(".//p") or [el]:
                balance(line, max(8, int(measure / (body * size * CHAR_WIDTH))))


def running_head(title: str, capacity: int) -> str:
    """The chapter title as its running head (layout.heads_css reads it from `data-head`): its words on
    one line, taken before balance() breaks the display (a line break in it ran its words together in the
    head: "THEONE"), cut after the last word that fits `capacity` characters with an ellipsis."""
    words = title.split()
    head = " ".join(words)
    if len(head) <= capacity:
        return head
    kept: list[str] = []
    for word in words:
        if len(" ".join([*kept, word])) + 1 > capacity:
            break
        kept.append(word)
    return (" ".join(kept) or head[:capacity - 1]).rstrip(",;:.\u2014\u2013- ") + "\u2026"


def substituted(root) -> None:
    """The characters the bundled face lacks that print sets with others (SUBSTITUTES)."""
    for el in root.iter():
        if el.text and any(chr(code) in el.text for code in SUBSTITUTES):
            el.text = el.text.translate(SUBSTITUTES)
        if el.tail and any(chr(code) in el.tail for code in SUBSTITUTES):
            el.tail = el.tail.translate(SUBSTITUTES)


def lead_in(text) -> None:
    """The chapter's first words (a phrase: up to four, ending at its first punctuation) in small caps."""
    first = next((p for p in text if p.tag == "p"), None)
    if first is None or not (first.text or "").strip():
        return
    words = re.findall(r"\S+\s*", first.text.lstrip())
    taken = []
    for word in words[:LEAD_IN_WORDS]:
        taken.append(word)
        if re.search(r"[,.;:!?\u2014\u2026]\W*\s*$", word):
            break
    phrase = "".join(taken)
    span = lxml.html.Element("span", {"class": "lead-in"})
    span.text, span.tail = phrase.rstrip(), first.text.lstrip()[len(phrase.rstrip()):]
    first.text = None
    first.insert(0, span)


def keep_ending(text, capacity: int) -> None:
    """The chapter's last paragraphs kept together until they hold LAST_PAGE_LINES lines (each taken to
    hold `capacity` characters a line): class `ending` on each paragraph the page must not break before.
    The theme's widows on the last two paragraphs and no break before the last keep four lines on the
    last page only where those two hold four lines: two lines of dialogue (“I am.” / “I arrest
    you in the Queen’s name!”) left Verne's chapter 33 a last page of two lines."""
    children = [el for el in text if isinstance(el.tag, str)]
    # A chapter that ends inside a quotation (Dracula's diaries and letters, Standard Ebooks' blockquotes,
    # two deep): its last paragraphs are the quotation's, which the theme's rules on the chapter's own
    # last paragraphs never reached, and chapter XVII ended on a page of two lines. They get class
    # `closing` (the widows the theme gives the chapter's last two) and `ending`.
    nested = False
    while children and children[-1].tag in ("blockquote", "div", "section", "aside"):
        children, nested = [el for el in children[-1] if isinstance(el.tag, str)], True
    if not children or children[-1].tag != "p":
        return
    if nested:
        for el in children[-2:]:
            el.set("class", " ".join(filter(None, [el.get("class"), "closing"])))
        children[-1].set("class", " ".join(filter(None, [children[-1].get("class"), "ending"])))
    at = len(children) - 1
    lines = math.ceil(len(" ".join(children[at].text_content().split())) / capacity)
    while lines < LAST_PAGE_LINES and at > 0 and children[at - 1].tag == "p":
        if at < len(children) - 1:  # the last paragraph: the theme's own rule
            children[at].set("class", " ".join(filter(None, [children[at].get("class"), "ending"])))
        at -= 1
        lines += math.ceil(len(" ".join(children[at].text_content().split())) / capacity)


def keep_names(root) -> None:
    """Capitalised words inside a sentence in spans the theme keeps whole (`.name`)."""
    respan(root, names_in, skip="lead-in")


def set_apart_joined(root) -> None:
    """Punctuation joined to a word by a word joiner (U+2060: Standard Ebooks writes "word\u2060\u2014")
    in a span of its own (`.joined`). WeasyPrint hyphenates the text up to the next break opportunity
    as one word and counts the joiner, the dash and a quote after it among the letters
    hyphenate-limit-chars keeps on either side of a break ("natur-" / "al\u2060\u2014\u201d"); alone in
    its text box the word is hyphenated by its letters. The joiner, now at the start or end of a box,
    still forbids a break there."""
    respan(root, lambda text, start: spans_of(JOINED, text, "joined"))


def respan(root, pieces_for, skip: str = "") -> None:
    """Each text and tail in `root` (outside code and headings, and elements of class `skip`) split by
    `pieces_for(text, start)` (-> [text before, span, span...], each span carrying what follows it as
    its tail); `start`: the text opens a paragraph."""
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or any(up.tag in NOT_TEXT for up in el.iterancestors()):
            continue
        if el.text and el.tag not in NOT_TEXT and not (skip and skip in (el.get("class") or "")):
            pieces = pieces_for(el.text, el.tag in ("p", "li", "dd", "td", "th"))
            if len(pieces) > 1:
                el.text = pieces[0]
                for i, span in enumerate(pieces[1:]):
                    el.insert(i, span)
        if el.tail and el is not root:
            pieces = pieces_for(el.tail, False)
            if len(pieces) > 1:
                el.tail = pieces[0]
                parent, at = el.getparent(), el.getparent().index(el)
                for i, span in enumerate(pieces[1:], start=1):
                    parent.insert(at + i, span)


def spans_of(pattern: re.Pattern, text: str, css_class: str, keep=lambda match: True) -> list:
    """[text before the first match, then a span of class `css_class` for each match `keep` keeps,
    carrying the text after it as its tail]."""
    pieces: list = [""]
    last = 0
    for match in pattern.finditer(text):
        if not keep(match):
            continue
        span = lxml.html.Element("span", {"class": css_class})
        span.text = match.group(0)
        if len(pieces) == 1:
            pieces[0] = text[last:match.start()]
        else:
            pieces[-1].tail = text[last:match.start()]
        pieces.append(span)
        last = match.end()
    if len(pieces) > 1:
        pieces[-1].tail = text[last:]
    return pieces


def names_in(text: str, start: bool) -> list:
    """[text before the first name, then a span for each name, carrying the text after it as its tail]."""
    def is_name(match: re.Match) -> bool:
        before = text[:match.start()]
        return not (len(re.sub(r"\W", "", match.group(0))) < 6 or SENTENCE_END.search(before)
                    or (start and not before.strip(" \u201c\u2018\"'([")))

    pieces = spans_of(NAME, text, "name", is_name)
    for span in pieces[1:]:
        if "-" in span.text:  # "Bab-el-Mandeb": not broken at its own hyphens either (print.css)
            span.set("class", "name hyphenated-name")
    return pieces


def balance(el, capacity: int) -> None:
    """A display line longer than the measure broken into lines of even length (character counts), the
    most even break points first: never a long line and a short one ("…of Sherlock / Holmes"). The
    running head is taken from the words before (running_head), and the page list reads the laid-out
    lines apart (weasy_internals.page_text)."""
    if len(el) or not el.text:
        return
    text = " ".join(el.text.split())
    if len(text) <= capacity:
        return
    count = math.ceil(len(text) / capacity)
    spaces = [i for i, c in enumerate(text) if c == " "]
    breaks: list[int] = []
    for n in range(1, count):
        target = n * len(text) / count
        options = [s for s in spaces if not breaks or s > breaks[-1]]
        if options:
            breaks.append(min(options, key=lambda s: abs(s - target)))
    lines = [text[a + 1 if a else 0:b] for a, b in zip([0, *breaks], [*breaks, len(text)])]
    el.text = lines[0]  # no space before the break: WeasyPrint kept it, and centred the line half a space left
    for line in lines[1:]:
        br = lxml.html.Element("br")
        br.tail = line
        el.append(br)
