"""Chapters out of HTML documents: split at the top heading level, titles read as an author meant them
(Standard Ebooks' `<hgroup>` and `epub:type="title"`, "Chapter 3: The Bar" → "The Bar")."""

from __future__ import annotations

import copy
import html.entities
import re
import statistics
import warnings

from bs4 import BeautifulSoup, Comment, NavigableString, Tag, XMLParsedAsHTMLWarning

from bookmaker.importers.markdown import (LANGUAGE_MARK_RE, NOTE_TOKEN_RE, Images, Notes, html_to_markdown,
                                          one_line, with_footnotes)
from bookmaker.importers.project import ImportedChapter

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
UNWRAP = {"div", "section", "article", "main", "body", "header", "span", "center", "font", "[document]", "html"}
NOT_STRUCTURE = ("blockquote", "table", "aside", "figure", "nav", "li", "dl")
NUMBER_WORDS = (r"(?:(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
                r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
                r"hundred|and|premier|primero|primo|primeiro)[\s-]*)+")
# A Roman numeral as numbers are written (IV, XIV, MCMXII), not any word of its letters ("Civil", "Mimic").
ROMAN = r"(?=[ivxlcdm])m{0,4}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
NUMBER = rf"(?:\d+|{ROMAN}|{NUMBER_WORDS})"
# "Chapter" in each language bookmaker numbers chapters in (render/labels.py): a source's "Kapitel 2" was
# kept as the title, and printed "Kapitel 2: Kapitel 2".
CHAPTER_WORDS = r"(?:chapter|chap\.|ch\.|chapitre|kapitel|cap[ií]tulo|capitolo|hoofdstuk)"
LABELLED_RE = re.compile(rf"^{CHAPTER_WORDS}\s+(?P<number>{NUMBER})\s*(?:(?:[.:)]\s*[\-–—]|[:.\-–—])\s*(?P<title>.*))?$", re.I)
# After a chapter's number: a stop, colon or dash and a space, or a stop and a dash ("VI.—THE MAN WITH…").
NUMBER_END = r"\s*(?:[.:)]\s*[\-–—]\s*|[.:)\-–—]\s+)"
NUMBERED_RE = re.compile(rf"^(?P<number>\d{{1,4}}){NUMBER_END}(?P<title>.+)$")
# A chapter numbered in capital Roman numerals before its title, as Project Gutenberg's HTML heads them ("IV.
# THE BOSCOMBE VALLEY MYSTERY"): I to LXXXIX only, and not before another initial ("V. I. Warshawski"), so
# that a name's initial ("C. Auguste Dupin", "M. Poirot") is no number.
ROMAN_NUMBERED_RE = re.compile(rf"^(?P<number>(?=[IVXL])L?X{{0,3}}(?:IX|IV|V?I{{0,3}})){NUMBER_END}(?![A-Z]\.)(?P<title>\w.*)$")
# A number alone, as a heading sets it: "XIV", "14.", or between dashes, as Project Gutenberg's Spanish
# Marianela does ("-I-", its title "Perdido" the heading after it: "-I-" was a chapter's title).
BARE_NUMBER_RE = re.compile(rf"^(?:[-\u2013\u2014]\s?)?(?P<number>{NUMBER})\.?(?:\s?[-\u2013\u2014])?$", re.I)
# A part of a book numbered under another name than a chapter (a play's "Act I", an epistolary novel's
# "Letter 4", A Christmas Carol's "Stave One"): bookmaker's "Chapter N" cannot stand for it.
OTHER_PART_WORDS = (r"(?:act|book|part|letter|stave|canto|volume|episode|scene|acte|akt|aufzug|libro|livre|buch|"
                    r"teil|partie|parte|lettre|brief|carta|lettera|deel)")
OTHER_PART_RE = re.compile(rf"^{OTHER_PART_WORDS}\s+{NUMBER}(?:{NUMBER_END}.*|\.)?$", re.I)
ORDINAL_WORDS = r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last)"
ORDINAL_PART_RE = re.compile(rf"^the\s+{ORDINAL_WORDS}\s+{OTHER_PART_WORDS}\.?$", re.I)  # "The First Act"
TITLE_TYPE = re.compile(r"(^|\s)title(\s|$)")  # epub:type's title
# A heading's "Chapter 1" and its title parted by a space alone (Project Gutenberg's Peter Pan: "Chapter 1
# PETER BREAKS THROUGH", 'Chapter 15 "HOOK OR ME THIS TIME"'), the title begun by a capital: only a heading's,
# never a line of a text, where "Chapter 3 was the one she skipped" begins a sentence; and in figures, where
# "Chapter Mix Up" would read a Roman 1009.
LABELLED_SPACED_RE = re.compile(rf"^(?i:{CHAPTER_WORDS})\s+(?P<number>\d{{1,4}})\s+(?P<title>[\"“‘'(\[]?[A-ZÀ-ÖØ-Þ].*)$")
NUMBERED_TITLE_RES = (LABELLED_RE, NUMBERED_RE, ROMAN_NUMBERED_RE, LABELLED_SPACED_RE)  # a number before a title


def plain_title(text: str, named: bool = False) -> str | None:
    """The title without the chapter number the book will add again; None when nothing else is left.
    `named`: the source marks the text a title and not a number (Standard Ebooks' `epub:type="title"`,
    where a number is `z3998:roman` or `ordinal`), so a word that reads as one is kept: a dictionary's "C"."""
    # A note's call (Notes.collect's token) first, whole: taking its marks away first left its number on
    # the title (Standard Ebooks' Poe: "Tamerlane1"). section_markdown keeps the note itself.
    text = NOTE_TOKEN_RE.sub("", text)
    text = one_line(text.replace("\ue000", "").replace("\ue001", ""))
    for pattern in NUMBERED_TITLE_RES:
        match = pattern.match(text)
        if match:
            text = (match.group("title") or "").strip()
            break
    if not text or (BARE_NUMBER_RE.match(text) and (not named or text.rstrip(".").isdigit())):
        return None
    return text


# Chapter one as French, Spanish, Italian and Portuguese books number it: "Chapitre premier", "Capítulo primero".
FIRST_WORDS = ("premier", "primero", "primo", "primeiro")
ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}
WORD_VALUES = {word: value for value, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())} | {word: 10 * (i + 2) for i, word in enumerate(
        "twenty thirty forty fifty sixty seventy eighty ninety".split())} | dict.fromkeys(FIRST_WORDS, 1)


def number_value(text: str) -> int | None:
    """The number a chapter's heading gives it ("14", "XIV", "fourteen", "one hundred and two"); None for
    any other text."""
    text = text.strip().rstrip(".").lower()
    if text.isdigit():
        return int(text)
    if re.fullmatch(ROMAN, text):
        values = [ROMAN_VALUES[c] for c in text]
        return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))
    total = 0
    for word in re.split(r"[\s-]+", text):
        if word == "hundred":
            total = max(total, 1) * 100
        elif word in WORD_VALUES:
            total += WORD_VALUES[word]
        elif word != "and":
            return None
    return total or None


def source_number(heading: str) -> int | None:
    """The chapter number a heading as written carries where bookmaker's title leaves it out to number
    the chapter itself (plain_title): "Chapter 3: The Bar" 3, "XIV" 14; None where it carries none."""
    text = one_line(heading)
    for pattern in (*NUMBERED_TITLE_RES, BARE_NUMBER_RE):
        match = pattern.match(text)
        if match:
            return number_value(match.group("number"))
    return None


def keep_source_numbering(chapters: list[ImportedChapter]) -> bool:
    """Whether the chapters are numbered otherwise than bookmaker numbers them ("Chapter N", counting every
    chapter from 1): a part named another way ("Act I", "Letter 4"), a chapter's number not its place
    (a "Prologue" or "Dramatis Personae" before "Chapter 1"), or no number at all, every chapter headed
    by its title alone (Standard Ebooks' Poe: "Chapter 37: Annabel Lee"). Then each chapter keeps its
    heading as the source wrote it, and book.yaml's `chapter_label: false` shows titles alone: "Chapter 2:
    Act I" and a "Chapter 2" heading over the source's chapter 1 would both say what the book does not."""
    headings = [one_line(chapter.heading) if chapter.heading else None for chapter in chapters]
    numbers = [source_number(heading) if heading else None for heading in headings]
    if headings and all(headings) and all(number is None for number in numbers):
        return True
    return any(heading and (OTHER_PART_RE.match(heading) or ORDINAL_PART_RE.match(heading) or number not in (None, place))
               for place, (heading, number) in enumerate(zip(headings, numbers), 1))


# Lines under the chapters' numbers longer than this (their median) are synopses, not names: Standard
# Ebooks marks both se:bridgehead (A Vindication of the Rights of Woman's "Parental affection.", 2 to 30
# words, 9 the median; Gulliver's Travels' "The author gives some account of himself and family. His
# first inducements to travel. He is shipwrecked…", 10 to 82 words, 31 the median).
SYNOPSIS_WORDS = 20


def synopses_as_summaries(chapters: list[ImportedChapter]) -> None:
    """Where the chapters' bridgeheads (the lines under their numbers that became their titles) run past
    SYNOPSIS_WORDS, their median, each is a synopsis: the chapter's `summary`, shown under its heading,
    and the chapter is headed by its number alone. As titles, Swift's synopses set chapter openings of
    seven lines in the heading's type, and five pages of contents. The whole book goes one way: its
    short synopses ("A further account of Glubbdubdrib…") are not titles among numbers, nor a book of
    titles' one long title a summary."""
    headed = [c for c in chapters if c.bridgehead]
    if not headed or statistics.median(len(c.bridgehead.split()) for c in headed) <= SYNOPSIS_WORDS:
        return
    for chapter in headed:
        chapter.heading, chapter.title = chapter.number_heading or None, None
        chapter.summary = chapter.bridgehead if not chapter.summary else f"{chapter.bridgehead}\n\n{chapter.summary}"
        chapter.bridgehead = chapter.number_heading = None


# English title case for a title set in capitals: these stay lower case inside it.
SMALL_WORDS = frozenset("a an and as at but by for from in into nor of on or the to upon with".split())
ROMAN_WORD_RE = re.compile(r"^(?=[MDCLXVI])M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})[.:,;]?$")


def title_cased(title: str) -> str:
    """An English title in capitals ("CHAPTER IV: A MARKET BY THE WAY") in title case ("Chapter IV: A
    Market by the Way"): each word capitalised but the small ones inside it, a Roman numeral and "I" kept."""
    words = title.split(" ")
    cased = []
    for i, word in enumerate(words):
        if ROMAN_WORD_RE.match(word) and word.rstrip(".:,;") != "MIX":
            cased.append(word)
            continue
        parts = []
        for part in word.split("-"):
            lower = part.lower()
            bare = lower.strip("‘’'\"“”([.:,;!?)")
            after_colon = i > 0 and words[i - 1].endswith(":")
            if bare in SMALL_WORDS and 0 < i < len(words) - 1 and not after_colon and not parts:
                parts.append(lower)
            else:
                start = next((k for k, c in enumerate(lower) if c.isalpha()), 0)
                lower = lower[:start] + lower[start:start + 1].upper() + lower[start + 1:]
                if lower[start:start + 2] == "O'" and len(lower) > start + 2:  # O'Brien
                    lower = lower[:start + 2] + lower[start + 2].upper() + lower[start + 3:]
                parts.append(lower)
        cased.append("-".join(parts))
    return " ".join(cased)


def cased_titles(book) -> None:
    """An English book whose chapter titles are in capitals (Project Gutenberg's HTML: "DISCUSSION AND
    BED"), two or more and three in four of them (the others a title page's lines): each in title case,
    as an author would type it. Capitals are how the source set its headings, not what they say; the
    theme sets headings as it sets them. Other languages case titles by rules of their own (German
    capitalises its nouns) and keep theirs."""
    language = str(book.metadata.get("language") or "").lower()
    if not (language == "en" or language.startswith("en-")):
        return
    for key in ("title", "subtitle"):  # a heading that named the book ("NEWS FROM NOWHERE")
        title = book.metadata.get(key)
        if isinstance(title, str) and sum(ch.isalpha() for ch in title) > 1 and title == title.upper():
            book.metadata[key] = title_cased(title)
    titled = [c for c in book.chapters if c.title and any(ch.isalpha() for ch in c.title)]
    capitals = [c for c in titled if c.title == c.title.upper()]
    if len(capitals) < 2 or len(capitals) < 0.75 * len(titled):  # a book's style, not a title's own
        return
    for chapter in capitals:
        chapter.title = title_cased(chapter.title)


def number_as_source(book) -> None:
    """`book` (an ImportedBook) titled by its own headings where keep_source_numbering() says so, its
    chapters' synopses first made their summaries (synopses_as_summaries)."""
    synopses_as_summaries(book.chapters)
    if "chapter_label" in book.metadata or not keep_source_numbering(book.chapters):
        return
    book.metadata["chapter_label"] = False
    for chapter in book.chapters:
        if chapter.heading:
            title, heading = chapter.title, label_cased(chapter.heading)
            chapter.title = heading if not title or title in heading else f"{heading}: {title}"


CAPITAL_LABEL_RE = re.compile(rf"^(?P<label>{CHAPTER_WORDS})(?=\s+{NUMBER}\b)", re.I)


def label_cased(heading: str) -> str:
    """A heading's "Chapter" word in capitals as a word ("CHAPITRE XXII: Ce qui arriva en France…" as
    "Chapitre XXII: …"): how the source set its labels, not a word to shout in a title of lower case."""
    match = CAPITAL_LABEL_RE.match(heading)
    if not match or match.group("label") != match.group("label").upper() or heading == heading.upper():
        return heading  # a heading all in capitals is the book's style: cased_titles cases it whole, or keeps it
    return match.group("label").capitalize() + heading[match.end("label"):]


def _named(el: Tag) -> bool:
    """Whether `el` is marked a title and not also a number."""
    types = _types(el)
    return bool(TITLE_TYPE.search(types)) and not re.search(r"roman|ordinal", types)


def _types(el: Tag) -> str:
    return str(el.get("epub:type") or "")


def _text(el: Tag, between: str = " ") -> str:
    """A heading's text on one line. Its lines are parted by a colon after a line that numbers it
    ("Chapter I<br/>The Widow": "Chapter I: The Widow"), else by `between`: a title broken over two
    lines ("THE<br/>Velveteen Rabbit", Project Gutenberg's) is one title, not "THE: Velveteen Rabbit"."""
    lines = [[]]
    for node in el.descendants:
        if isinstance(node, Comment):
            continue
        if isinstance(node, Tag) and node.name == "br":
            lines.append([])
        elif isinstance(node, NavigableString):
            lines[-1].append(str(node))
    texts = [t for t in (re.sub(r"\s+", " ", LANGUAGE_MARK_RE.sub("", "".join(line))).strip() for line in lines) if t]
    out = texts[0] if texts else ""
    for before, line in zip(texts, texts[1:]):
        numbers = source_number(before) is not None or OTHER_PART_RE.match(before) or ORDINAL_PART_RE.match(before)
        out += (": " if numbers and not before.endswith(":") else between) + line
    return out.strip(" :")


def heading_title(el: Tag) -> str | None:
    titled = [c for c in el.find_all(True) if TITLE_TYPE.search(_types(c))]
    if titled:
        return plain_title(_text(titled[0]), _named(titled[0]))
    if TITLE_TYPE.search(_types(el)) and el.name != "hgroup":
        return plain_title(_text(el), _named(el))
    if el.name == "hgroup":
        parts = [c for c in el.find_all(True, recursive=False) if not re.search(r"ordinal|label", _types(c))]
        return plain_title(_text(parts[-1])) if parts else None
    marked = [c for c in el.find_all(True) if re.search(r"ordinal|label", _types(c))]
    if marked:
        for c in marked:
            c.extract()
        return plain_title(_text(el))
    return plain_title(_text(el))


def level(el: Tag) -> int:
    if el.name == "hgroup":
        inner = el.find(HEADINGS)
        return int(inner.name[1]) if inner else 6
    return int(el.name[1])


def structure_headings(root: Tag) -> list[Tag]:
    out = []
    for el in root.find_all(("hgroup",) + HEADINGS):
        if el.name != "hgroup" and el.find_parent("hgroup") is not None:
            continue
        if el.find_parent(NOT_STRUCTURE) is not None:
            continue
        if not el.get_text(strip=True):
            continue
        out.append(el)
    return out


def _blocks(node: Tag, holders: set[int]) -> list:
    """`node`'s children, with wrappers that hold a split heading opened up, so headings become siblings."""
    out = []
    for child in list(node.children):
        if isinstance(child, Tag) and child.name in UNWRAP and id(child) in holders:
            out.extend(_blocks(child, holders))
        else:
            out.append(child)
    return out


def _has_text(blocks: list) -> bool:
    for block in blocks:
        text = block.get_text() if isinstance(block, Tag) else str(block)
        if text.strip() or (isinstance(block, Tag) and (block.name == "img" or block.find("img"))):
            return True
    return False


def book_title_heading(root: Tag, linked: list[Tag] = ()) -> Tag | None:
    """A lone top heading before two or more of the next level, or before three or more that the source's
    own contents leads to (`linked`): the book's title, not a chapter's."""
    heads = structure_headings(root)
    if len(heads) < 3:
        return None
    top = min(level(h) for h in heads)
    tops = [h for h in heads if level(h) == top]
    below = [h for h in heads if level(h) > top]
    if len(tops) == 1 and heads[0] is tops[0] and sum(1 for h in linked if h is not tops[0]) >= 3:
        return tops[0]
    if len(tops) == 1 and heads[0] is tops[0] and below:
        next_level = min(level(b) for b in below)  # once: inside the count, 20,000 headings took 88 s
        if sum(1 for h in below if level(h) == next_level) >= 2:
            return tops[0]
    return None


def split_sections(root: Tag, deepen: bool = False, numbered: bool = False, parts_only: bool = False,
                   notes: Notes | None = None, linked: list[Tag] = ()) -> list[tuple[Tag | None, list]]:
    """(title heading, blocks) for each chapter `root` holds: one, or one per top-level heading; with
    `deepen` (one long file), a part that holds most of the book split again at its own headings
    (deepened); with `parts_only` too (one of an EPUB's pages), only a part of PART_WORDS or more, its
    `notes`' words counted with its own. `numbered`: where three in four of the headings, three or more,
    number their chapters, the others after the first numbered one head parts of a chapter (Katrine's
    chapter XXVI quotes three newspaper headlines at <h3>, the level of its chapters' headings).

    `linked`: the headings the source's own contents leads to (longfile.linked_headings). Where it leads
    to three or more and that split leaves some inside a chapter, or puts a heading before one that comes
    before it, the chapters begin at those instead (by_contents): Project Gutenberg's Flatland has
    "CONTENTS" and "PART II" at <h2>, and "PART I" and the sections the contents lists at <h3>; split at
    <h2>, its contents chapter held all of Part I, and with its contents left out, "PART II" came first."""
    heads = structure_headings(root)
    place = {id(h): i for i, h in enumerate(heads)}
    listed = [place[id(h)] for h in linked if id(h) in place]
    fresh = copy.copy(root) if len(listed) >= 3 else None  # before the split below changes the tree
    sections = _split_sections(root, deepen, numbered, parts_only, notes)
    if fresh is None:
        return sections
    begins = {id(h) for h, _ in sections if h is not None}
    begins |= {id(heading_after(h)) for h, _ in sections if h is not None and _numbers_alone(h)}
    order = [place[id(h)] for h, _ in sections if h is not None and id(h) in place]
    if all(id(heads[i]) in begins for i in listed) and order == sorted(order):
        return sections
    fresh_heads = structure_headings(fresh)
    return by_contents(fresh, [fresh_heads[i] for i in listed], deepen, parts_only, notes)


def by_contents(root: Tag, linked: list[Tag], deepen: bool, parts_only: bool,
                notes: Notes | None) -> list[tuple[Tag | None, list]]:
    """split_sections at the headings the source's own contents leads to (`linked`), at every heading
    of their level or above from the first of them on, and at those right over the first of them with
    no text between (Flatland's "PART I"); the front matter before that split at the top level."""
    numbers_joined(root)
    heads = structure_headings(root)
    chosen = {id(h) for h in linked} & {id(h) for h in heads}
    if not chosen:
        return _split_sections(root, deepen, False, parts_only, notes)
    depth = statistics.mode(level(h) for h in heads if id(h) in chosen)
    first = next(i for i, h in enumerate(heads) if id(h) in chosen)
    start = first
    while start and heading_after(heads[start - 1]) is heads[start]:
        start -= 1
    top = min(level(h) for h in heads)
    marks = [h for h in heads[:start] if level(h) == top] + [h for h in heads[start:] if id(h) in chosen or level(h) <= depth]
    return _sections_at(root, marks, deepen, parts_only, notes)


def _split_sections(root: Tag, deepen: bool, numbered: bool, parts_only: bool,
                    notes: Notes | None) -> list[tuple[Tag | None, list]]:
    numbers_joined(root)
    heads = structure_headings(root)
    if not heads:
        return [(None, list(root.children))]
    top = min(level(h) for h in heads)
    marks = _paired([h for h in heads if level(h) == top])
    if numbered:
        counted = [m for m in marks if source_number(_text(m)) is not None]
        if len(counted) >= 3 and len(counted) >= 0.75 * len(marks):
            first = marks.index(counted[0])
            marks = marks[:first] + counted
    if len(marks) == 1:
        if deepen and marks[0].parent is root:  # the one heading over all of it: what is under it, split
            return _deepened([(marks[0], [c for c in root.children if c is not marks[0]])], parts_only, notes)
        if not (parts_only and _words([root], notes) >= PART_WORDS):
            return [(marks[0], list(root.children))]
    return _sections_at(root, marks, deepen, parts_only, notes)


def _paired(marks: list[Tag]) -> list[Tag]:
    """A heading that only numbers its chapter, and the heading that names it right after ("I", "UNDER THE
    SOUTHERN PINES": Project Gutenberg's Katrine): one chapter's heading, not two (section_markdown)."""
    return [m for i, m in enumerate(marks) if not (i and _numbers_alone(marks[i - 1])
                                                   and marks[i - 1].find_next_sibling(True) is m)]


def _sections_at(root: Tag, marks: list[Tag], deepen: bool, parts_only: bool,
                 notes: Notes | None) -> list[tuple[Tag | None, list]]:
    """(heading, blocks) for each of `marks` and the text before the first, if any; with `deepen`, each
    then _deepened."""
    marks = _paired(marks)
    holders = {id(p) for m in marks for p in m.parents}
    sections: list[tuple[Tag | None, list]] = [(None, [])]
    mark_ids = {id(m) for m in marks}
    for block in _blocks(root, holders):
        if isinstance(block, Tag) and id(block) in mark_ids:
            sections.append((block, []))
        else:
            sections[-1][1].append(block)
    if not _has_text(sections[0][1]):
        sections = sections[1:]
    return _deepened(sections, parts_only, notes) if deepen else sections


def heading_after(heading: Tag) -> Tag | None:
    """The heading that holds the next text after `heading`'s, if a heading does (a picture between: None).
    Not longfile._next_block, which takes a container that holds any text and the first heading in it,
    however far down: "a heading right after" must see the text before it."""
    for el in heading.find_all_next(True):
        if any(p is heading for p in el.parents):
            continue
        if el.name == "img":
            return None
        if el.name in HEADINGS and el.get_text(strip=True):
            return el
        if any(s.strip() for s in el.find_all(string=True, recursive=False)):
            return None
    return None


def _numbers_alone(heading: Tag) -> bool:
    return heading.name in HEADINGS and plain_title(_text(heading)) is None


def numbers_joined(root: Tag) -> None:
    """A heading that only numbers its chapter, set a level below the title right after it (Project
    Gutenberg's Dom Casmurro: <h5>II</h5><h4>Do livro.</h4>), made the first line of that title: split at
    the titles, each number was a stray "## III" at the end of the chapter before. The title's lines
    are then one title, its number first ("II: Do livro.", section_markdown)."""
    for heading in root.find_all(HEADINGS):
        following = heading.find_next_sibling(True)
        number = source_number(_text(heading)) if _numbers_alone(heading) else None
        if following is None or following.name not in HEADINGS or level(following) >= level(heading) or \
                number is None or number >= 1000:  # a year ("1899", an imprint's) numbers no chapter
            continue
        following.insert(0, Tag(name="br", can_be_empty_element=True))
        following.insert(0, NavigableString(_text(heading)))
        heading.decompose()


# A part that holds more than this share of a long file's words, and three or more headings of its own,
# is the book's body under a half-title, not a chapter (Project Gutenberg's Katrine: its title page,
# contents and preface at <h2>, then "KATRINE" at <h2> over all 26 chapters at <h3>, 61,000 words that
# came in as one chapter).
DOMINANT_SHARE = 0.6


def _words(blocks: list, notes: Notes | None = None) -> int:
    """How many words `blocks` hold, and the notes they call (a note's call is its key between marks)."""
    count = 0
    for block in blocks:
        text = block.get_text(" ") if isinstance(block, Tag) else str(block)
        count += len(text.split())
        if notes is not None:
            count += sum(len(notes.texts.get(int(key), "").split()) for key in NOTE_TOKEN_RE.findall(text))
    return count


# A part of a long file this long is a book's part, not a chapter, where its own headings split it into
# three or more (Project Gutenberg's Spanish Don Quijote: its two parts at <h1>, about 190,000 words each,
# their 137 chapters at <h3>, came in as two chapters).
PART_WORDS = 40_000


def _deepened(sections: list[tuple[Tag | None, list]], parts_only: bool = False,
              notes: Notes | None = None) -> list[tuple[Tag | None, list]]:
    """`sections` with the one that holds most of the words (DOMINANT_SHARE), and any of PART_WORDS or
    more, split at its own headings where that makes three chapters or more: its heading then heads
    only what comes before the first of them (a half-title's page: often nothing)."""
    sizes = [_words(blocks, notes) for _, blocks in sections]
    out: list[tuple[Tag | None, list]] = []
    for (heading, blocks), size in zip(sections, sizes):
        if heading is None or ((parts_only or size <= DOMINANT_SHARE * sum(sizes)) and size < PART_WORDS):
            out.append((heading, blocks))
            continue
        wrapper = BeautifulSoup("<div></div>", "lxml").div
        places = []  # where each block was: put back if the split is not taken
        # Each block's place in its parent, read once for all (parent.index() for each of 100,000 notes'
        # blocks was quadratic); the blocks taken out in order, each before its place is read again.
        indexes = {id(child): i for parent in {id(b.parent): b.parent for b in blocks
                                               if isinstance(b, Tag) and b.parent is not None}.values()
                   for i, child in enumerate(parent.contents)}
        taken: dict[int, int] = {}  # parent → how many of its blocks before this one are taken out
        for block in blocks:
            if isinstance(block, Tag):
                parent = block.parent
                index = indexes.get(id(block), 0) - taken.get(id(parent), 0) if parent is not None else 0
                places.append((block, parent, index))
                if parent is not None:
                    taken[id(parent)] = taken.get(id(parent), 0) + 1
                wrapper.append(extracted(block, index))
            else:
                wrapper.append(NavigableString(str(block)))
        # a part inside it may hold most again
        inner = split_sections(wrapper, deepen=True, numbered=True, parts_only=parts_only, notes=notes)
        if len(inner) < 3:
            # Not split: its own blocks, each put back where it was, in their order. The split tried here
            # (and under it, a part that held most again) moves blocks into a wrapper of its own: left
            # there, all but a heading was lost ("<h1>Night Book</h1><p>Intro.</p><h2>The Storm</h2>…"
            # came in as "## The Storm" alone, and a poem's parts in their <section>s as nothing).
            at = {id(child): i for i, child in enumerate(wrapper.contents)}
            for block, parent, index in reversed(places):
                if parent is not None:
                    parent.insert(index, extracted(block, at.get(id(block))))
            out.append((heading, blocks))
            continue
        lead = inner[0][1] if inner[0][0] is None else []
        out.append((heading, lead))
        out.extend(inner[1:] if inner[0][0] is None else inner)
    return out


def extracted(block: Tag, index: int | None):
    """`block` taken out of its parent, told where it is there where that is known and true: Beautiful
    Soup looks for it from the start otherwise, and a part of 20,000 paragraphs under no heading took 12
    of its 14 s import moving them into a wrapper and back (_deepened)."""
    parent = block.parent
    if parent is not None and index is not None and index < len(parent.contents) and parent.contents[index] is block:
        return block.extract(_self_index=index)
    return block.extract()


def written_heading(el: Tag) -> str:
    """A chapter's heading as the source wrote it, for keep_source_numbering(): a heading group's lines up
    to its title ("Chapter I: The Bar"), not those after it (after_title)."""
    if el.name != "hgroup":
        return _text(el)
    lines = el.find_all(True, recursive=False)
    titled = [i for i, line in enumerate(lines) if TITLE_TYPE.search(_types(line))]
    return ": ".join(text for line in lines[:titled[0] + 1 if titled else None] if (text := _text(line)))


def section_markdown(title_heading: Tag | None, blocks: list, base: str, images: Images,
                     notes: Notes) -> ImportedChapter:
    """A chapter: its title, its heading as written (written_heading), its Markdown, and as its notes those
    whose calls its heading held (a title's note: Standard Ebooks' Poe notes "Tamerlane"), which have no
    place in a title."""
    written = NOTE_TOKEN_RE.sub("", written_heading(title_heading)) if title_heading is not None else None
    calls: list[str] = []
    bridgehead = number_heading = None
    below: list[Tag] = []
    hidden = hidden_subtitle(title_heading)
    title = heading_title(title_heading) if title_heading is not None else None
    if hidden:
        title = f"{title}: {hidden}" if title else hidden
        written = f"{written}: {hidden}" if written else hidden
    depth = level(title_heading) + 1 if title_heading is not None else 3  # of the chapter's own parts
    if title_heading is not None and title is None:
        # A heading that is only a number ("I"), followed by the line that names the chapter (Standard
        # Ebooks' se:bridgehead, "In which…"), or by a heading that does at its level or under it (Project
        # Gutenberg's "<h2>CHAPTER I.</h2><h3>The Widow and her Child.</h3>"): that line is the title.
        naming = title_heading.find_next_sibling(True)
        if naming is not None and ((naming.name == "p" and re.search(r"bridgehead|(^|\s)title(\s|$)", _types(naming)))
                                   or (naming.name in HEADINGS and title_heading.name in HEADINGS
                                       and naming.name >= title_heading.name  # the same level, or under it
                                       and any(block is naming for block in blocks))):  # "CHAPTER I." over its name
            title = plain_title(_text(naming))
            named = NOTE_TOKEN_RE.sub("", _text(naming))
            number_heading = written
            bare = BARE_NUMBER_RE.match(one_line(written)) if written else None  # "-I-" read as "I"
            written = f"{bare.group('number') if bare else written.rstrip('. ')}: {named}" if written else named
            calls += NOTE_TOKEN_RE.findall(naming.get_text())
            bridgehead = html_to_markdown(NOTE_TOKEN_RE.sub("", f"<p>{naming.decode_contents()}</p>"), base, images).strip()
            # The bridgeheads after it (Dracula's "(Kept in shorthand.)") begin the text, as the lines of a
            # heading group after its title do; left in the <header>, each was made a heading (headed()).
            below = [line for line in naming.find_next_siblings(True) if line.name == "p" and "bridgehead" in _types(line)]
            naming.decompose()
    if title_heading is not None and title_heading.parent is not None and title_heading.parent.name == "header":
        # The lines beside the title in its <header> (Standard Ebooks' Lovecraft: "(Manuscript found on the
        # coast of Yucatan.)", a byline) begin the text, as a heading group's do: left in the header once
        # the title was taken out, each was made a heading (headed()), listed in the contents.
        below += [line for line in title_heading.find_next_siblings("p") if line.get_text(strip=True)]
    soup = BeautifulSoup("<div></div>", "lxml")
    holder = soup.div
    for line in [*after_title(title_heading), *below]:
        line.name = "p"
        holder.append(line.extract())
    for block in blocks:
        if block is title_heading or (isinstance(block, Tag) and block.decomposed):  # the naming line
            continue
        holder.append(block.extract() if isinstance(block, Tag) else NavigableString(str(block)))
    if title_heading is not None:
        calls += NOTE_TOKEN_RE.findall(title_heading.get_text())  # those after its title are in the text now
        if title_heading.parent is not None:
            title_heading.decompose()
    for header in holder.find_all("header"):
        headed(header, soup, depth)
    for table in holder.find_all("table"):
        spoken(table, soup)
    inner = [h for h in holder.find_all(HEADINGS) if h.find_parent("hgroup") is None]
    if inner:
        shift = min(int(h.name[1]) for h in inner) - 2
        for h in inner:
            h.name = f"h{min(6, max(2, int(h.name[1]) - shift))}"
    for hgroup in holder.find_all("hgroup"):
        heading = soup.new_tag("h2")
        heading.string = ": ".join(_text(c) for c in hgroup.find_all(True, recursive=False))
        hgroup.replace_with(heading)
    return ImportedChapter(body=with_footnotes(html_to_markdown(holder, base, images), notes), title=title,
                           heading=written or None, bridgehead=bridgehead or None, number_heading=number_heading,
                           notes="\n\n".join(notes.texts[int(key)] for key in calls if int(key) in notes.texts) or None)


def headed(header: Tag, soup: BeautifulSoup, depth: int) -> None:
    """A <header> of a part of a chapter that holds a line or two and no heading (Standard Ebooks' A Day
    at a Time ends each chapter with <div><header><p>Prayer</p></header>…): a heading of that part, at
    `depth`, not a paragraph of the text. Not a header inside a quotation (a letter's dateline, Holmes)."""
    lines = header.find_all(True, recursive=False)
    a_line_or_two = 0 < len(lines) <= 2 and all(line.name == "p" for line in lines) and \
        len(header.get_text(" ", strip=True)) <= 120 and header.find(("hgroup", *HEADINGS, "img")) is None
    if not a_line_or_two or header.find_parent(NOT_STRUCTURE) is not None:
        return
    if "speaker" in (header.get("class") or []) or "persona" in _types(header):
        # Who speaks the part after it (Standard Ebooks' Leaves of Grass: "Poet", "Pennant", "Child" in
        # "Song of the Banner at Daybreak"): a speaker's name in bold, as a play's, not a heading. As one,
        # each was set as a poem's title, and listed as a poem in the contents.
        name = soup.new_tag("p")
        strong = soup.new_tag("strong")
        for i, line in enumerate(lines):
            if i:
                strong.append(": ")
            strong.extend(list(line.contents))
        name.append(strong)
        header.replace_with(name)
        return
    for holder in header.parent.parents if header.parent is not None else []:
        # Under the heading of the part it is inside (a poem's <h3>, its parts' headers): one level below.
        above = holder.find(HEADINGS, recursive=False)
        if above is not None:
            depth = max(depth, int(above.name[1]) + 1)
            break
    heading = soup.new_tag(f"h{min(6, depth)}")
    for i, line in enumerate(lines):
        if i:
            heading.append(": ")
        heading.extend(list(line.contents))
    header.replace_with(heading)


def spoken(table: Tag, soup: BeautifulSoup) -> None:
    """A play's table, a row a speech (Standard Ebooks' Hamlet: the speaker's cell, `z3998:persona`, beside
    the speech's): its rows as a printed play sets them, each speech a paragraph that begins with its
    speaker's name in bold, a stage direction a paragraph of its own, and the lines of verse kept. As a
    Markdown table, the speakers' names were broken over two lines in a narrow column and each speech's
    verse ran on as prose (a table's cell holds one line)."""
    rows = table.find_all("tr")
    cells = [row.find_all(("td", "th"), recursive=False) for row in rows]
    if not rows or any(len(pair) != 2 for pair in cells) or \
            not any("persona" in _types(pair[0]) for pair in cells):
        return
    for speaker, speech in cells:
        name = _text(speaker, ", ")  # two speaking at once, one name a line: "Cornelius, Voltimand"
        blocks = [c for c in speech.find_all(True, recursive=False) if c.name in ("p", "div", "blockquote")]
        if not blocks:
            paragraph = soup.new_tag("p")
            paragraph.extend(list(speech.contents))
            blocks = [paragraph]
        if name:
            bold = soup.new_tag("b")
            bold.string = name if name[-1] in ".:" else f"{name}."
            target = blocks[0] if blocks[0].name == "p" else blocks[0].find("p") or blocks[0]
            while target.contents and isinstance(target.contents[0], NavigableString) and \
                    not target.contents[0].strip():
                target.contents[0].extract()  # the source's indentation: the speech begins beside the name
            target.insert(0, " ")
            target.insert(0, bold)
        for block in blocks:
            table.insert_before(block.extract())
    table.decompose()


def hidden_subtitle(heading: Tag | None) -> str | None:
    """The subtitle a heading group hides, taken out of it: Standard Ebooks names a poem that has no title
    of its own by its first line, hidden (`<h2>Sonnet</h2><p hidden="hidden" epub:type="subtitle">Happy
    Is England!</p>`), and its contents read "Sonnet: Happy Is England!". Its 14 sonnets and songs came in
    as chapters titled "Sonnet" alike, each opening with its first line twice."""
    if heading is None or heading.name != "hgroup":
        return None
    lines = [line for line in heading.find_all(True, recursive=False) if line.has_attr("hidden")]
    text = " ".join(_text(line) for line in lines if _text(line))
    for line in lines:
        line.decompose()
    return plain_title(text) if text else None


def after_title(heading: Tag | None) -> list[Tag]:
    """The lines of a heading group after its title: a date, a subtitle ("(Easter Day, 1915)", Standard
    Ebooks' A Day at a Time), which begin the chapter's text, as the title does not hold them. A line
    that is only a note's call is put at the end of the line before it."""
    if heading is None or heading.name != "hgroup":
        return []
    lines = heading.find_all(True, recursive=False)
    titled = [i for i, line in enumerate(lines) if TITLE_TYPE.search(_types(line))]
    if not titled:
        return []
    kept: list[Tag] = []
    for line in lines[titled[0] + 1:]:
        text = line.get_text(strip=True)
        if kept and re.fullmatch(f"(?:{NOTE_TOKEN_RE.pattern})+", text):  # calls alone (Notes.collect's tokens)
            kept[-1].append(text)
        elif text:
            kept.append(line)
    return kept


def chapters_from_root(root: Tag, base: str, images: Images, notes: Notes, deepen: bool = False,
                       parts_only: bool = False, linked: list[Tag] = ()) -> list[ImportedChapter]:
    return [section_markdown(heading, blocks, base, images, notes)
            for heading, blocks in split_sections(root, deepen, parts_only=parts_only, notes=notes, linked=linked)]


OPS = "http://www.idpf.org/2007/ops"


# A document type declaration with an internal subset (entity definitions): the HTML reader left its
# closing "]>" as the text of a chapter of its own. Books declare none: the subset is dropped unread.
SUBSET_START_RE = re.compile(r"<!DOCTYPE[^\[>]{0,200}\[", re.I)
INTERNAL_SUBSET_RE = re.compile(r"<!DOCTYPE([^\[>]{0,200})\[.{0,1000000}?\]\s*>", re.S | re.I)


HTML_ENTITY_RE = re.compile(r"&([A-Za-z][A-Za-z0-9]{1,31});")
HTML_ENTITY_BYTES_RE = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}


def numeric_entities(data: bytes | str) -> bytes | str:
    """HTML's named character references (`&uuml;`, `&mdash;`) as numeric ones, which an XML reader
    knows without the DTD: read as XML, every one of them was dropped, silently (Project Gutenberg's
    XHTML Max und Moritz lost its umlauts, sharp s, dashes and guillemets: "Fnfter Streich.")."""
    def numeric(name: str, whole: str) -> str:
        if name in XML_ENTITIES:
            return whole
        character = html.entities.html5.get(f"{name};")
        return "".join(f"&#{ord(c)};" for c in character) if character else whole

    if isinstance(data, str):
        return HTML_ENTITY_RE.sub(lambda m: numeric(m.group(1), m.group(0)), data)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data  # UTF-16: not searched byte by byte
    return HTML_ENTITY_BYTES_RE.sub(lambda m: numeric(m.group(1).decode("ascii"), m.group(0).decode("ascii")).encode("ascii"),
                                    data)


def parse_html(data: bytes | str, xml: bool = False) -> BeautifulSoup:
    if xml:
        data = numeric_entities(data)
    head = data[:4096]
    declared = SUBSET_START_RE.search(head if isinstance(head, str) else head.decode("latin-1"))
    if declared:  # only a declaration with a subset is read again, not every page's <!DOCTYPE html>
        text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data
        if INTERNAL_SUBSET_RE.search(text[:1100000]):
            text = INTERNAL_SUBSET_RE.sub(r"<!DOCTYPE\1>", text, count=1)
            data = text.encode("utf-8", "surrogateescape") if isinstance(data, bytes) else text
    with warnings.catch_warnings():
        # An XHTML file read as HTML (no XML declaration): bs4 warns on standard error, in many lines.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return _parsed(data, xml)


def _parsed(data: bytes | str, xml: bool) -> BeautifulSoup:
    if xml:
        # The XML reader keeps class="meta group" as one string unless told that class holds a list.
        soup = BeautifulSoup(data, "lxml-xml", multi_valued_attributes={"*": ["class"]})
        if soup.find("body") is not None:
            epub_prefixed(soup)
            return soup
    return BeautifulSoup(data, "lxml")


def epub_prefixed(soup: BeautifulSoup) -> None:
    """Every attribute in the EPUB namespace named `epub:NAME`, as the HTML reader names it and this
    package looks it up, whatever the prefix the document gave it: from lxml 6.2, BeautifulSoup's XML
    reader no longer learns the prefixes a document declares, and `epub:type` came out as `type`."""
    for tag in soup.find_all(True):
        for key in [key for key in tag.attrs if getattr(key, "namespace", None) == OPS]:
            name = f"epub:{key.name}"
            if key != name:
                tag.attrs[name] = tag.attrs.pop(key)
