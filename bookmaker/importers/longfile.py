"""One long file holding a whole book, Markdown, HTML or plain text, split at its top heading level
(for plain text, lines such as "Chapter 1", "CHAPTER ONE" or "Chapter 2: Title")."""

from __future__ import annotations

import collections
import itertools
import re
from collections import defaultdict, deque
from pathlib import Path

import yaml
from bs4 import Tag

from bookmaker import codes
from bookmaker.errors import Problem
from bookmaker.importers import gutenberg
from bookmaker.importers.archive import TAG_GROUPS, is_archive_download, is_archive_web_page, read_archive
from bookmaker.importers.chapters import (CHAPTER_WORDS, HEADINGS, LABELLED_RE, NUMBER, ORDINAL_WORDS, OTHER_PART_RE,
                                          OTHER_PART_WORDS, ROMAN, book_title_heading, chapters_from_root,
                                          heading_after, heading_title, level, number_value, parse_html, plain_title,
                                          source_number)
from bookmaker.importers.markdown import (NOTES_TITLES, Images, Notes, is_scene_break, mark_languages, one_line,
                                          text_to_markdown, typed_dashes)
from bookmaker.importers.project import BOOK_KEYS, CHAPTER_KEYS, ImportedBook, ImportedChapter
from bookmaker.importers.sources import SingleFile, checked_page, fail, inside_name
from bookmaker.importers.styles import with_class_styles

ATX_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
FENCE_RE = re.compile(r"^\s*(```|~~~)")
# German numbers its chapters by ordinal words before "Kapitel" (Effi Briest: "Erstes Kapitel" to
# "Sechsunddreißigstes Kapitel", which came in as one chapter of 313 pages).
GERMAN_ORDINAL_CHAPTER = r"[^\W\d_]+te[nrs]?\s+kapitel\.?"
# A play's acts too ("ACT II", "THE FIRST ACT": Project Gutenberg's The 'Mind the Paint' Girl as text). "Chapter"
# in each language bookmaker numbers chapters in (CHAPTER_WORDS), its note's call after the number kept off
# the title: Candide's "CHAPITRE I." to "CHAPITRE XXX." and "CHAPITRE XXII[1]." were not headings, and its
# first twelve chapters came in as one.
TEXT_CHAPTER_RE = re.compile(rf"^\s*(?:(?:{CHAPTER_WORDS}|act)\s+{NUMBER}\b(?:\[\d+\])?\s*(?:[:.\-–—]\s*(?P<title>.*))?|"
                             rf"prologue|epilogue|interlude|the\s+{ORDINAL_WORDS}\s+act\.?|{GERMAN_ORDINAL_CHAPTER})\s*$",
                             re.I)
BYLINE_RE = re.compile(r"^\s*by\s+(\S.{0,100})$", re.I)
# Parts that hold text as chapters do: A Christmas Carol's "STAVE I", Frankenstein's "Letter 1" before its
# chapters. A text of staves alone came in as one chapter, and Frankenstein's letters as an untitled one.
HELD_BEFORE_WORDS = 50  # words under a chapter line that make it a chapter's, not a contents entry
TEXT_HOLDING_RE = re.compile(rf"^\s*(?:stave|letter|lettre|brief|carta|lettera|canto)\s+{NUMBER}\b\s*"
                             rf"(?:[:.\-–—]\s*(?P<title>.*))?\s*$", re.I)


def _byline(lines: list[str]) -> tuple[str | None, list[str]]:
    for n, line in enumerate(lines):
        if line.strip():
            match = BYLINE_RE.match(line)
            if match:
                return match.group(1).strip(), lines[:n] + lines[n + 1:]
            return None, lines
    return None, lines


# Markdown ----------------------------------------------------------------------------------------

def _markdown_headings(lines: list[str]) -> list[tuple[int, int, str]]:
    """(line index, level, text) of each heading outside code fences; setext headings rewritten as ATX."""
    out, fenced = [], False
    for n, line in enumerate(lines):
        if FENCE_RE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        match = ATX_RE.match(line)
        if match:
            out.append((n, len(match.group(1)), match.group(2)))
        elif n + 1 < len(lines) and line.strip() and not line.startswith((" ", "\t")) and \
                re.match(r"^(=+|-+)\s*$", lines[n + 1]) and (n == 0 or not lines[n - 1].strip()):
            depth = 1 if "=" in lines[n + 1] else 2
            lines[n], lines[n + 1] = "#" * depth + " " + line.strip(), ""
            out.append((n, depth, line.strip()))
    return out


def read_markdown(text: str, path: Path) -> ImportedBook:
    meta: dict = {}
    whole = text
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end > 0:
            try:
                front = yaml.safe_load(text[4:end])
            except yaml.YAMLError:
                front = None
            rest = text[end + 4:].split("\n", 1)[1] if "\n" in text[end + 4:] else ""
            if isinstance(front, dict) and all(key in CHAPTER_KEYS for key in front) and \
                    _chapter_front_matters(rest.split("\n")):
                front = None  # chapters pasted one after another: the first one's, not the book's
            if isinstance(front, dict):
                # Not its cover: a picture beside the file, which the import does not copy.
                meta.update({k: v for k, v in front.items() if k in BOOK_KEYS and k != "cover" and v})
                text = rest
    images = Images(SingleFile(path))
    text, problems = with_pictures_copied(text, path, images, whole[:len(whole) - len(text)].count("\n"))
    lines = text.split("\n")
    fronts = _chapter_front_matters(lines)
    if fronts:
        return _finished(meta, _chapters_by_front_matter(lines, fronts, meta), images.saved, path, problems)
    heads = _markdown_headings(lines)
    if not heads:
        # No headings at all, but "Chapter One: The Storm" lines, as a plain text's (read_text): the file
        # came in as one chapter, while the same file named .txt was split at them.
        fenced = {n for n, inside in enumerate(_fenced(lines)) if inside}
        for n in text_chapter_starts(lines):
            if n not in fenced:
                lines[n] = "# " + lines[n].strip()
        heads = _markdown_headings(lines)
    if len(heads) >= 3 and heads[0][1] == min(h[1] for h in heads) and not LABELLED_RE.match(one_line(heads[0][2])) \
            and (sum(1 for h in heads if h[1] == heads[0][1]) == 1 or _title_over_header(lines, heads)):
        meta.setdefault("title", plain_title(heads[0][2]) or heads[0][2])
        lines[heads[0][0]] = ""
        heads = heads[1:]
    if heads:
        top = min(h[1] for h in heads)
        starts = [h for h in heads if h[1] == top]
        if any(LABELLED_RE.match(one_line(h[2])) for h in starts):
            # "Chapter 2" a level below "Chapter 1" is a chapter too, as an author pasting chapters in
            # writes them: it came in as a part of chapter 1.
            starts = [h for h in heads if h[1] == top or LABELLED_RE.match(one_line(h[2]))]
    else:
        top, starts = 1, []
    chapters = []
    bounds = [h[0] for h in starts] + [len(lines)]
    preamble = lines[:bounds[0]]
    author, preamble = _byline(preamble)
    if author:
        meta.setdefault("author", author)
    preamble = story_header(preamble, meta, bool(starts))
    epigraph = _quoted(preamble)
    if "\n".join(preamble).strip() and not (epigraph and starts):
        chapters.append(ImportedChapter(body="\n".join(preamble).strip() + "\n"))
    for (index, _, heading), end in zip(starts, bounds[1:]):
        body = [_shifted(line, top) for line in lines[index + 1:end]]
        chapters.append(ImportedChapter(body="\n".join(body).strip() + "\n", title=plain_title(heading),
                                        heading=heading))
    if epigraph and starts and "\n".join(preamble).strip():  # the epigraph before the first chapter: its start
        first = chapters[-len(starts)]
        first.body = "\n".join(preamble).strip() + "\n\n" + first.body
    return _finished(meta, chapters, images.saved, path, problems)


# A story's header before its first chapter, as an author pastes it from the archive's posting form:
# "**Rating:** General Audiences", "Summary:" and its paragraphs, "Notes:"…
HEADER_LABEL_RE = re.compile(r"^\s*(?:\*\*|__)?(?P<label>[^\W\d_][\w/' ’]{0,28}?)(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*"
                             r"(?P<value>.*)$")
HEADER_FIELDS = {"summary": "summary", "notes": "notes", "note": "notes", "author's note": "notes",
                 "author's notes": "notes", "authors note": "notes", "author notes": "notes", "a/n": "notes",
                 "title": "title", "author": "author", "pen name": "author", "written by": "author"}
HEADER_TAGS = {group.lower(): group for group in TAG_GROUPS} | {"warning": "Archive Warning",
                                                                 "warnings": "Archive Warnings"}
HEADER_NOTE_WORDS = 150  # an unlabelled text before the first chapter this short: the author's note


def _title_over_header(lines: list[str], heads: list[tuple[int, int, str]]) -> bool:
    """The first heading is the story's title, though the chapters' are at its level, where they all
    number their chapters and it heads no more than a byline and the story's labelled fields
    (_header_fields): "# The Glass Orchard", "by Wren Hollis", "**Rating:** …", then "# Chapter 1"."""
    if not all(LABELLED_RE.match(one_line(h[2])) for h in heads[1:]):
        return False
    _, under = _byline(lines[heads[0][0] + 1:heads[1][0]])
    return not "\n".join(under).strip() or _header_fields(under) is not None


def _header_fields(lines: list[str]) -> tuple[dict[str, str], dict[str, list[str]]] | None:
    """(summary and notes, tags) where `lines` are labelled fields alone, as an author pastes them from
    the archive's posting form ("**Rating:** General Audiences", "Summary:" and the paragraphs after it,
    "Notes: …"); None where any text is no field's."""
    fields: dict[str, list[str]] = {}
    tags: dict[str, list[str]] = {}
    current = None
    for line in lines:
        match = HEADER_LABEL_RE.match(line)
        label = match.group("label").strip().lower().replace("’", "'") if match else None
        if label in HEADER_FIELDS:
            current = HEADER_FIELDS[label]
            fields.setdefault(current, []).append(match.group("value"))
        elif label in HEADER_TAGS:
            current = None
            values = [v.strip().strip("*_").strip() for v in match.group("value").split(",")]
            tags.setdefault(HEADER_TAGS[label], []).extend(v for v in values if v)
        elif current is not None:
            fields[current].append(line)
        elif line.strip():
            return None
    if not fields and not tags:
        return None
    return {key: "\n".join(text).strip() for key, text in fields.items()}, tags


def _quoted(lines: list[str]) -> bool:
    """Whether `lines` are a quotation alone (blank lines aside): an epigraph."""
    return all(line.startswith(">") or not line.strip() for line in lines)


def story_header(lines: list[str], meta: dict, chapters_follow: bool) -> list[str]:
    """The lines before a Markdown file's first chapter, less what they give the book: its labelled
    fields (_header_fields) the `summary`, `notes` and `tags` it has not, and a short text without
    labels (HEADER_NOTE_WORDS) its `notes`. They came in as an untitled first chapter, which the
    contents called "Chapter 1" before the story's chapter 1. What is left (a long text: a prologue
    without a heading) stays a chapter."""
    if not chapters_follow or not "\n".join(lines).strip():
        return lines
    found = _header_fields(lines)
    if found is not None:
        fields, tags = found
        for key, value in fields.items():
            if value and not meta.get(key):
                meta[key] = value
        if tags and not meta.get("tags"):
            meta["tags"] = tags
        return []
    text = "\n".join(lines).strip()
    if _quoted(lines):
        return lines  # an epigraph: the first chapter's start (read_markdown)
    if len(text.split()) <= HEADER_NOTE_WORDS and not meta.get("notes") and not re.search(r"^\s*(#|!\[)", text, re.M):
        meta["notes"] = text
        return []
    return lines


def _chapter_front_matters(lines: list[str]) -> list[tuple[int, int, dict]]:
    """(first line, line after, fields) of each chapter's front matter in a file of chapters pasted one
    after another as bookmaker's chapter files are written: a `---` line at the start or after a blank
    line, a YAML mapping of chapter keys alone (title, summary, notes, end_notes), and a `---` line. Read
    as Markdown, the second chapter's came in as a rule, a paragraph "title: Thaw" and a rule, inside
    the first chapter."""
    out, fenced, n = [], False, 0
    while n < len(lines):
        line = lines[n]
        if FENCE_RE.match(line):
            fenced = not fenced
        elif not fenced and line.rstrip() == "---" and (n == 0 or not lines[n - 1].strip()):
            end = next((m for m in range(n + 1, min(len(lines), n + 200)) if lines[m].rstrip() == "---"), None)
            if end is not None and end > n + 1:
                try:
                    fields = yaml.safe_load("\n".join(lines[n + 1:end]))
                except yaml.YAMLError:
                    fields = None
                if isinstance(fields, dict) and fields and all(key in CHAPTER_KEYS for key in fields):
                    out.append((n, end + 1, fields))
                    n = end + 1
                    continue
        n += 1
    return out


def _chapters_by_front_matter(lines: list[str], fronts: list[tuple[int, int, dict]], meta: dict) -> list[ImportedChapter]:
    """One chapter for each front matter, its fields kept, its text what follows up to the next; text
    before the first is the story's header (story_header), or a chapter of its own. A chapter's headings
    are its sections."""
    chapters = []
    preamble = "\n".join(story_header(lines[:fronts[0][0]], meta, True)).strip()
    if preamble:
        chapters.append(ImportedChapter(body=preamble + "\n"))
    for (_, begin, fields), (end, _, _) in zip(fronts, fronts[1:] + [(len(lines), 0, {})]):
        body = "\n".join(_shifted(line, 1) for line in lines[begin:end]).strip() + "\n"
        text = {key: str(fields[key]).strip() for key in CHAPTER_KEYS if fields.get(key) not in (None, "")}
        chapters.append(ImportedChapter(body=body, **text))
    return chapters


# Each part bounded by a character it cannot hold ('[' in a description, '(' in an address, a line's end):
# `[^\]]*` and `[^)\s]+` ran on over the next pictures' marks, and 100,000 "![" took a minute (quadratic).
MARKDOWN_PICTURE_RE = re.compile(r"!\[(?P<alt>[^\[\]\n]{0,1000})\]\((?P<target><[^<>\n]{1,2000}>|[^()<>\s]{1,2000})"
                                 r"(?:[ \t]+\"[^\"\n]{0,1000}\")?\)")


def with_pictures_copied(text: str, path: Path, images: Images, before: int = 0) -> tuple[str, list[Problem]]:
    """A Markdown file's pictures copied into the project (manuscript/images), its links to them made
    to lead there: they were left leading to files the project does not hold, and the book did not
    build ("image 'pic.png' not found"). A picture the source's folder does not hold, or a web address,
    is left out for its description, with a warning at its line."""
    problems: list[Problem] = []

    def copied(match: re.Match) -> str:
        target = match.group("target").strip("<>")
        name = inside_name(path.name, target)
        saved = images.add(name) if name else None
        if saved:
            return f"![{match.group('alt')}]({saved})"
        line = before + text.count("\n", 0, match.start()) + 1  # `before`: the front matter's lines
        problems.append(Problem(str(path), line, f"picture '{target}' is not a picture file beside the source: left out, "
                                "its description kept", "warning", codes.SOURCE_PICTURE))
        return match.group("alt")

    return MARKDOWN_PICTURE_RE.sub(copied, text), problems


def _shifted(line: str, top: int) -> str:
    match = ATX_RE.match(line)
    if not match:
        return line
    return "#" * min(6, max(2, len(match.group(1)) - top + 1)) + " " + match.group(2)


# Plain text --------------------------------------------------------------------------------------

# A compound broken at its own hyphen at the end of a line of prose, as long as a wrapped line is ("au-" /
# "dessus", "well-" / "known"): joined whole. Not a dash ("--", " -"), not before a capital, and not a short
# line, where the hyphen ends a line of verse (Don Quijote's broken-ended verses: "boquirru-" / "que").
BROKEN_COMPOUND_RE = re.compile(r"[^\W\d_]-$")
WRAPPED_LINE = 55


def joined_lines(lines: list[str]) -> str:
    """A paragraph's lines as one line: a space between each, none after a compound's hyphen."""
    out, previous = "", ""
    for line in lines:
        line = line.strip()
        if out and not (BROKEN_COMPOUND_RE.search(out) and len(previous) >= WRAPPED_LINE and line[:1].islower()):
            out += " "
        out, previous = out + line, line
    return out


def _paragraphs(lines: list[str]) -> list[str]:
    text = "\n".join(lines).strip("\n")
    if not text:
        return []
    blocks = re.split(r"\n[ \t]*\n", text)
    one_per_line = len(blocks) == 1 and text.count("\n") > 2
    pieces = text.split("\n") if one_per_line else [joined_lines(b.split("\n")) for b in blocks]
    out = []
    for piece in pieces:
        piece = re.sub(r"[ \t]+", " ", piece).strip()
        if piece:
            out.append("* * *" if is_scene_break(piece) else text_to_markdown(piece, italics_marked=True))
    return out


# A chapter headed by its number alone, or its number and title ("I.", "II. Papa se fâche."), on a line of its
# own between blank lines, as Project Gutenberg's plain texts head them (Entre Nous, French); its number alone
# with no stop too (Madame Bovary's "I").
TEXT_NUMBERED_RE = re.compile(rf"^\s*(?P<number>{ROMAN}|\d{{1,3}})(?:\.(?:\s+\S.{{0,80}})?|\s*)$", re.I)
# The heading of a part whose chapters number on from 1 again: Madame Bovary's "DEUXIÈME PARTIE", a line
# alone, short, that names a part (OTHER_PART_WORDS).
PART_LINE_RE = re.compile(rf"^\s*(?=.{{1,40}}$)(?:\S+\s+)?(?:{OTHER_PART_WORDS}|epilogue)\b.*$", re.I)
PART_LINE_BEFORE = 6  # lines above a part's chapter 1 its heading may be, at most


def numbered_starts(lines: list[str]) -> list[int]:
    """The lines that head a text's chapters by number (TEXT_NUMBERED_RE), where they count on from 1 without
    a gap, three or more: the first such run at least half as long as the longest (Entre Nous numbers its
    glossary's parts I to XL again, after its chapters I to XL). A contents list's lines are not between
    blank lines, and a paragraph that begins "I. " is not numbered on from one before it."""
    runs: list[list[int]] = []
    # The runs waiting for each next number, by (numbered in Roman numerals, that number), the earliest first:
    # a list numbered inside a chapter ("1.", "2.") starts a run of its own, and ends none. Looked up, not
    # searched: a file of "1." lines alone made 20,000 runs, and searching them all took 7.6 s.
    waiting: dict[tuple[bool, int], deque[list[int]]] = defaultdict(deque)
    for n, line in enumerate(lines):
        match = TEXT_NUMBERED_RE.match(line)
        if not match or (n and lines[n - 1].strip()) or (n + 1 < len(lines) and lines[n + 1].strip()):
            continue
        roman, number = not match.group("number").isdigit(), number_value(match.group("number"))
        if number == 1:
            run = [n]
            runs.append(run)
            if part_line_before(lines, n) is not None:  # a part begins: the runs before it go no further
                waiting.clear()
        elif waiting[roman, number]:
            run = waiting[roman, number].popleft()
            run.append(n)
        else:
            continue
        waiting[roman, len(run) + 1].append(run)
    longest = max((len(run) for run in runs), default=0)
    runs = [run for run in runs if len(run) >= max(3, longest / 2)]
    if not runs:
        return []
    # Where the text is in parts, each numbering its chapters from 1 again under its heading (Madame Bovary's
    # three parts: "PREMIÈRE PARTIE", "I"…"IX"; "DEUXIÈME PARTIE", "I"…"XV"), every part's run, its heading a
    # chapter of its own, with no text. A later run under no part's heading (Entre Nous's glossary, "I" to
    # "XL" again) is not the chapters'.
    parts = [part_line_before(lines, run[0]) for run in runs]
    taken = [0]
    for i in range(1, len(runs)):
        if parts[i] is not None and runs[i][0] > runs[taken[-1]][-1]:
            taken.append(i)
    if len(taken) == 1:
        # Numbers with no stop are read only as parts' chapters: alone, they are left to the headings set
        # apart by blank lines (spaced_starts; Le Tour du monde's "I" over its title in capitals), as they
        # were before such numbers were read at all.
        first = TEXT_NUMBERED_RE.match(lines[runs[0][0]])
        return runs[0] if first.group(0)[first.end("number"):].startswith(".") else []
    return sorted(n for i in taken for n in ([parts[i]] if parts[i] is not None else []) + runs[i])


def with_part_lines(lines: list[str], starts: list[int]) -> list[int]:
    """`starts` and the heading of a part (PART_LINE_RE) over each "Chapter 1" among them, where two or more
    parts begin so: War and Peace's "BOOK TWO: 1805" over its "CHAPTER I" was the last paragraph of book
    one's last chapter, "FIRST EPILOGUE: 1813 - 20" that of book fifteen's. Not over a contents' entry (a
    "CHAPTER I" line with only its title under it: Don Quixote's "Part II." in its second part's contents)."""
    ends = dict(zip(starts, starts[1:] + [len(lines)]))
    parts = [part_line_before(lines, n) for n in starts if source_number(lines[n].strip()) == 1
             and sum(len(line.split()) for line in lines[n + 1:ends[n]]) >= HELD_BEFORE_WORDS]  # not a contents' entry
    parts = [n for n in parts if n is not None and n not in starts]
    return sorted(starts + parts) if len(parts) >= 2 else starts


def part_line_before(lines: list[str], at: int) -> int | None:
    """The line of a part's heading (PART_LINE_RE) a few lines above line `at`, with only blank lines between."""
    for n in range(at - 1, max(-1, at - 1 - PART_LINE_BEFORE), -1):
        if lines[n].strip():
            return n if PART_LINE_RE.match(lines[n]) else None
    return None


# Project Gutenberg's plain texts set four blank lines before a chapter's heading and two after it: where a
# text has no "Chapter 3" lines, its headings are the short lines after four blank lines (Siddhartha's "THE
# SON OF THE BRAHMAN", the Grimms' "THE GOLDEN BIRD"), where there are three.
SPACED_BLANKS = 4
SPACED_LINE = 80
# Numbered headings are taken over spaced ones unless these are many times more: a title page's lines are
# set apart too (Die Verwandlung: its chapters I to III, and seven lines after four blank lines), while
# the Grimms' only numbered lines are a list of three inside one tale of 62.
SPACED_OVER_NUMBERED = 3


def spaced_starts(lines: list[str]) -> list[int]:
    """The lines after SPACED_BLANKS blank lines or more that are short (SPACED_LINE) and followed by a
    blank line, three or more; none where fewer."""
    starts, blank = [], 0
    for n, line in enumerate(lines):
        if not line.strip():
            blank += 1
            continue
        if blank >= SPACED_BLANKS and len(line.strip()) <= SPACED_LINE and (n + 1 >= len(lines) or not lines[n + 1].strip()):
            starts.append(n)
        blank = 0
    return with_missing_numbers(lines, with_alike(lines, starts)) if len(starts) >= 3 else []


def with_alike(lines: list[str], starts: list[int]) -> list[int]:
    """`starts` and the lines set apart by a blank line fewer (SPACED_BLANKS - 1), short and followed by a
    blank line, that are shaped as two or more of them: as many words (two or more), the same last word.
    Germinal's "Sixième partie" and "Septième partie" follow three blank lines where its first five parts
    follow four: its last two parts came in as the end of the fifth."""
    shapes = collections.Counter((len(words), words[-1].casefold()) for words in (lines[n].split() for n in starts)
                                 if len(words) >= 2)
    alike = {shape for shape, count in shapes.items() if count >= 2}
    if not alike:
        return starts
    found, blank = set(starts), 0
    for n, line in enumerate(lines):
        if not line.strip():
            blank += 1
            continue
        words = line.split()
        if blank == SPACED_BLANKS - 1 and len(words) >= 2 and (len(words), words[-1].casefold()) in alike \
                and len(line.strip()) <= SPACED_LINE and (n + 1 >= len(lines) or not lines[n + 1].strip()):
            found.add(n)
        blank = 0
    return sorted(found)


BARE_NUMERAL_RE = re.compile(rf"^\s*(?P<number>{ROMAN}|\d{{1,3}})\.?\s*$", re.I)


def with_missing_numbers(lines: list[str], starts: list[int]) -> list[int]:
    """`starts` and, where three or more of them number chapters alone ("XI", "XIII") and skip one, the
    line between them that is that number alone between blank lines: Le Tour du monde en quatre-vingts
    jours as text sets "XII" after one blank line, not four, and chapter XII was read into XI."""
    numbered = [(n, BARE_NUMERAL_RE.match(lines[n])) for n in starts]
    numbered = [(n, m) for n, m in numbered if m]
    if len(numbered) < 3:
        return starts

    def alone(n: int, roman: bool, wanted: int) -> bool:
        m = BARE_NUMERAL_RE.match(lines[n])
        return bool(m) and (not m.group("number").isdigit()) == roman and number_value(m.group("number")) == wanted \
            and (n == 0 or not lines[n - 1].strip()) and (n + 1 >= len(lines) or not lines[n + 1].strip())

    found = []
    first_line, first = numbered[0]
    if number_value(first.group("number")) == 2:  # chapter I at the text's very start, with no blank lines before
        found += [n for n in range(first_line) if alone(n, not first.group("number").isdigit(), 1)][:1]
    for (a, first), (b, second) in zip(numbered, numbered[1:]):
        wanted = (number_value(first.group("number")) or 0) + 1
        if number_value(second.group("number")) == wanted + 1:
            found += [n for n in range(a + 1, b) if alone(n, not first.group("number").isdigit(), wanted)][:1]
    return sorted(starts + found)


def numbered_sections(paragraphs: list[str]) -> list[str]:
    """A chapter's paragraphs, its sections' numbers made headings ("## II"): where it begins with a
    number alone ("I", "1.") and later paragraphs, each a number alone, count on from it, two or more in
    all: a text's chapters set apart by blank lines that number their own sections so ("I", "II" were
    paragraphs of the text, which the contents could not list). Germinal's parts did, before their
    headings were read as parts' (numbered_starts)."""
    def numeral(paragraph: str) -> tuple[bool, int | None] | None:
        match = BARE_NUMERAL_RE.match(paragraph.replace("\\", ""))  # "1\." as the Markdown escapes it
        return (not match.group("number").isdigit(), number_value(match.group("number"))) if match else None

    first = numeral(paragraphs[0]) if paragraphs else None
    if first is None or first[1] != 1:
        return paragraphs
    out, wanted = [], 1
    for paragraph in paragraphs:
        if numeral(paragraph) == (first[0], wanted):
            out.append(f"## {paragraph.replace(chr(92), '').strip().rstrip('.')}")
            wanted += 1
        else:
            out.append(paragraph)
    return out if wanted > 2 else paragraphs


def _heading_lines(lines: list[str], pattern: re.Pattern) -> list[int]:
    """The lines of `lines` that `pattern` matches, each short, after a blank line and no contents entry."""
    return [n for n, line in enumerate(lines) if len(line) < 100 and pattern.match(line)
            and not CONTENTS_LINE_RE.search(line) and (n == 0 or not lines[n - 1].strip())]


def text_chapter_starts(lines: list[str]) -> list[int]:
    """The "Chapter 3" (and a play's "ACT II") lines of a text; its acts not where it has chapters."""
    starts = _heading_lines(lines, TEXT_CHAPTER_RE)
    if any(TEXT_CHAPTER_LINE_RE.match(lines[n]) for n in starts):  # a play inside a novel's chapter: no chapters
        starts = [n for n in starts if not TEXT_ACT_RE.match(lines[n])]
    return starts


def _fenced(lines: list[str]) -> list[bool]:
    """Whether each line is inside a code fence (or is one)."""
    out, fenced = [], False
    for line in lines:
        opens = bool(FENCE_RE.match(line))
        out.append(fenced or opens)
        fenced = fenced != opens
    return out


def read_text(text: str, path: Path) -> ImportedBook:
    text, gutenberg_fields = gutenberg.text_without_boilerplate(text)
    lines = text.split("\n")
    starts = text_chapter_starts(lines)
    held = _heading_lines(lines, TEXT_HOLDING_RE)  # staves and letters: the chapters, or those before the first chapter
    if len(held) >= 2:  # the first with text: a contents' "Chapter 1" line is not yet the first chapter
        every = sorted(set(starts) | set(held))
        first_text = next((a for a, b in zip(every, every[1:] + [len(lines)]) if a in starts
                           and sum(len(line.split()) for line in lines[a + 1:b]) >= HELD_BEFORE_WORDS), len(lines))
        starts = sorted(starts + [n for n in held if n < first_text])
    if not starts:  # headings by number, else set apart by blank lines (many more of those: a list in a tale)
        numbered, spaced = numbered_starts(lines), spaced_starts(lines)
        starts = spaced if len(spaced) > SPACED_OVER_NUMBERED * len(numbered) else numbered
    else:
        starts = with_part_lines(lines, starts)
    meta: dict = {}
    problems: list[Problem] = []
    preamble = lines[:starts[0]] if starts else []
    first = next((n for n, line in enumerate(preamble) if line.strip()), None)
    if starts and first is not None and is_title_line(preamble, first, gutenberg_fields.get("title")):
        meta["title"] = preamble[first].strip()
        preamble = preamble[first + 1:]
        author, preamble = _byline(preamble)
        if author:
            meta["author"] = author
    spans = list(zip(starts, starts[1:] + [len(lines)]))
    spans, entries, rests, before_contents = without_listed_contents(lines, spans)
    if entries:
        problems.append(Problem(str(path), 1, f"the source's own contents ({entries} entries, each a chapter's heading "
                                "and title with no text under it) is left out, since the book makes a contents page "
                                "of its own, with the book's page numbers", "warning", codes.SOURCE_CONTENTS))
    if starts and _header_fields(preamble) is not None:
        # A story's labelled lines before its first chapter ("Summary: …", "Author's Note: …", "Rating: …"):
        # the book's fields, as a Markdown story's are (story_header). They came in as an untitled chapter 1.
        story_header([typed_dashes(line) for line in preamble], meta, True)
        preamble = []
    chapters = []
    fields = meta | gutenberg_fields

    def preamble_paragraphs(text: list[str]) -> list[str]:
        paragraphs = _paragraphs(text)
        return without_contents_heading(paragraphs) if None in before_contents else paragraphs

    paragraphs, set_apart = preamble_paragraphs(preamble), False
    trimmed, centred = without_centred_runs(preamble)
    if paragraphs and centred and title_page_lines(preamble_chapter(paragraphs, fields), fields) is None:
        words = sum(len(line.split()) for line in centred)  # not a title page alone: its centred lines are
        problems.append(Problem(str(path), 1, f"the centred lines before the first chapter ({words} words: "
                                f"\"{shown_lines(centred)}\") are the source's own title page: left out, since the "
                                "book has a title page of its own", "warning", codes.SOURCE_TITLE_PAGE))
        paragraphs, set_apart = preamble_paragraphs(trimmed), first_set_apart(trimmed)
    paragraphs, listed, title_page = without_listed_headings(paragraphs, {lines[n].strip() for n in starts}, fields)
    if listed:
        problems.append(Problem(str(path), 1, f"the source's own contents ({listed} entries, the chapters' headings) "
                                "is left out, since the book makes a contents page of its own, with the book's page "
                                "numbers", "warning", codes.SOURCE_CONTENTS))
    if title_page:
        problems.append(Problem(str(path), 1, f"the text before the source's own contents (\"{shown_lines(title_page)}\") "
                                "is its title page: left out, since the book has a title page of its own", "warning",
                                codes.SOURCE_TITLE_PAGE))
    if paragraphs:
        chapters.append(preamble_chapter(paragraphs, fields, set_apart))
    if not starts:
        chapters = [ImportedChapter(body="\n\n".join(_paragraphs(lines)) + "\n")]
    found, set_apart = [], set()
    for start, end in spans:
        if start in rests:  # what follows the contents' last entry up to the first chapter: the prefaces
            found.append(preamble_chapter(rests[start], meta | gutenberg_fields))
            continue
        match = TEXT_CHAPTER_RE.match(lines[start]) or TEXT_HOLDING_RE.match(lines[start])
        title = plain_title(lines[start].strip())
        if match is not None and match.group("title") is not None:
            title = plain_title(match.group("title")) if match.group("title").strip() else None
        heading, text = lines[start].strip(), lines[start + 1:end]
        if title and text and text[0].strip() and first_set_apart(text):
            # The heading's title runs on to the lines under it, set apart from the text as a title is (Project
            # Gutenberg's Spanish Don Quijote: "Capítulo III. Donde se cuenta la graciosa manera que tuvo don
            # Quijote en" / "armarse caballero"). The text began with the title's end.
            more = list(itertools.takewhile(str.strip, text))
            heading = " ".join([heading, *(line.strip() for line in more)])
            title, text = plain_title(" ".join([title, *(line.strip() for line in more)])), text[len(more):]
        paragraphs = numbered_sections(_paragraphs(text))
        if start in before_contents:
            paragraphs = without_contents_heading(paragraphs)
        if first_set_apart(text):
            set_apart.add(len(found))
        found.append(ImportedChapter(body="\n\n".join(paragraphs) + "\n", title=title, heading=heading))
    return _finished(meta | gutenberg_fields, chapters + titled_by_first_line(found, set_apart), {}, path, problems)


def first_set_apart(lines: list[str]) -> bool:
    """Whether a chapter's first paragraph (under its heading line) is followed by two blank lines or more
    and then text, where its paragraphs are parted by one: a title, as Project Gutenberg's plain texts set
    a title in sentence case under "CHAPITRE II" (Candide's "Ce que devint Candide parmi les Bulgares.")."""
    at = next((n for n, line in enumerate(lines) if line.strip()), len(lines))
    end = next((n for n in range(at, len(lines)) if not lines[n].strip()), len(lines))
    after = next((n for n in range(end, len(lines)) if lines[n].strip()), len(lines))
    if after < len(lines) and NOTE_LINE_RE.match(lines[after]):  # the title's note under it ("[1] Sur le pays…")
        end = next((n for n in range(after, len(lines)) if not lines[n].strip()), len(lines))
        after = next((n for n in range(end, len(lines)) if lines[n].strip()), len(lines))
    return at < end and after - end >= 2 and after < len(lines)


# A plain text's contents that repeats each chapter's heading line and title ("CHAPTER I" / "WHICH TREATS
# OF THE CHARACTER AND PURSUITS OF THE FAMOUS GENTLEMAN DON QUIXOTE OF LA MANCHA"), which the text then
# heads its chapters with: Project Gutenberg's Don Quixote, whose 126 entries came in as 126 chapters of
# a title each, and its prefaces inside the last of them.
CONTENTS_ENTRY_WORDS = 40


def without_listed_contents(lines: list[str], spans: list[tuple[int, int]]) -> tuple[list, int, dict, set]:
    """`spans` (each chapter's heading line and end) less the runs of three or more that are a contents:
    each a heading and one short paragraph (the title), every heading found again after the run. The
    run's last entry may have more under its title (what stands between the contents and the first
    chapter): its span's start maps to those paragraphs in the dict returned. Then how many entries were
    dropped, and the starts of the spans that a run follows (None: the text before the first span),
    whose last lines may be the contents' heading (without_contents_heading)."""
    heads = [title_key(lines[start]) for start, _ in spans]
    paragraphs = [_paragraphs(lines[start + 1:end]) for start, end in spans]
    previous: dict[str, int] = {}
    before_same = []  # the index of the span before each with the same heading, or -1
    for k, head in enumerate(heads):
        before_same.append(previous.get(head, -1))
        previous[head] = k
    again = {before_same[k] for k in range(len(heads))}  # the spans whose heading comes again later

    def entry(k: int, alone: bool) -> bool:
        short = not paragraphs[k] or len(paragraphs[k][0].split()) <= CONTENTS_ENTRY_WORDS
        return short and (len(paragraphs[k]) <= 1 or not alone) and k in again

    def listed_together(k: int) -> int:
        """How many heading lines span k holds under its own with nothing else, two or more: a contents
        set without blank lines ("Stave I: Marley's Ghost" / "Stave II: …", A Christmas Carol); else 0."""
        rest = [line for line in lines[spans[k][0] + 1:spans[k][1]] if line.strip()]
        listed = len(rest) >= 2 and all(TEXT_CHAPTER_RE.match(line) or TEXT_HOLDING_RE.match(line) for line in rest)
        return len(rest) if listed else 0

    kept, dropped, rests, before, i = [], 0, {}, set(), 0
    while i < len(spans):
        if listed_together(i):
            dropped += 1 + listed_together(i)
            before.add(kept[-1][0] if kept else None)
            i += 1
            continue
        j = i
        while j < len(spans) and entry(j, alone=True) and before_same[j] < i:  # each heading once in the run
            j += 1
        last = j < len(spans) and entry(j, alone=False) and before_same[j] < i
        if j - i + last >= 3:
            dropped += j - i + last
            before.add(kept[-1][0] if kept else None)
            if last and len(paragraphs[j]) > 1:
                rests[spans[j][0]] = paragraphs[j][1:]
                kept.append(spans[j])
            i = j + last
        else:
            kept.append(spans[i])
            i += 1
    return kept, dropped, rests, before


def without_listed_headings(paragraphs: list[str], headings: set[str], meta: dict) -> tuple[list[str], int, list[str]]:
    """`paragraphs` (a plain text's before its first chapter) less a contents ("Table des matières") whose
    entries are the chapters' headings alone, one a line, run into one paragraph, and the number of those
    entries: Madame Bovary's "PREMIÈRE PARTIE I II … IX DEUXIÈME PARTIE I …", 38 entries, printed as a
    paragraph of numbers. The lines before it go with it where they are the source's title page
    (title_page_lines: "Gustave Flaubert / MADAME BOVARY / (1857)"), and are given third."""
    for k, paragraph in enumerate(paragraphs[:-1]):
        if not CONTENTS_TITLE_RE.match(re.sub(r"[*_\\]", "", paragraph).strip()):
            continue
        count = entries_of(paragraphs[k + 1].split(), headings)
        if count < 3:
            return paragraphs, 0, []
        before = paragraphs[:k]
        title_page = title_page_lines(ImportedChapter(body="\n\n".join(before) + "\n"), meta) if before else None
        return (paragraphs[k + 2:] if title_page else before + paragraphs[k + 2:]), count, title_page or []
    return paragraphs, 0, []


def entries_of(words: list[str], headings: set[str]) -> int:
    """How many of `headings` `words` are, one after another and nothing else ("DEUXIÈME PARTIE" taken
    whole before "I"); 0 where a word is none of theirs. Word by word: linear in the words."""
    known = {tuple(heading.split()) for heading in headings if heading.split()}
    longest = max(map(len, known), default=0)
    at = count = 0
    while at < len(words):
        size = next((n for n in range(min(longest, len(words) - at), 0, -1) if tuple(words[at:at + n]) in known), 0)
        if not size:
            return 0
        at, count = at + size, count + 1
    return count


def without_contents_heading(paragraphs: list[str]) -> list[str]:
    """`paragraphs` less a last one that heads a contents ("CONTENTS") and the two short ones at most
    after it ("Volume I.")."""
    for k in range(len(paragraphs) - 1, max(-1, len(paragraphs) - 4), -1):
        if CONTENTS_TITLE_RE.match(re.sub(r"[*_\\]", "", paragraphs[k]).strip()):
            if all(len(p.split()) <= 5 for p in paragraphs[k + 1:]):
                return paragraphs[:k]
            break
    return paragraphs


def preamble_chapter(paragraphs: list[str], meta: dict, set_apart: bool = False) -> ImportedChapter:
    """The text before a plain text's first chapter, titled by its first line where that line is a
    heading in capitals with prose under it (Project Gutenberg's Grimms' Fairy Tales: "PREPARER'S NOTE"),
    or in any case where the text sets it apart by two blank lines (`set_apart`, first_set_apart:
    Candide's "Préface de l'Éditeur"), not a title page's short lines ("VON / FRANZ KAFKA / …":
    title_page_lines)."""
    if len(paragraphs) > 1 and title_key(paragraphs[0]) == title_key(str(meta.get("title") or "")):
        paragraphs = paragraphs[1:]  # the book's half-title over them ("DON QUIXOTE", then "PART II.")
    untitled = ImportedChapter(body="\n\n".join(paragraphs) + "\n")
    first = paragraphs[0]
    if len(paragraphs) > 1 and "\n" not in first and len(first.split()) <= 6 and (first == first.upper() or set_apart) \
            and any(c.isalpha() for c in first) and title_page_lines(untitled, meta) is None \
            and any(len(paragraph.split()) >= 10 for paragraph in paragraphs[1:]):  # prose under it
        return ImportedChapter(body="\n\n".join(paragraphs[1:]) + "\n", title=plain_title(first.rstrip(":.")),
                               heading=first)
    return untitled


# A plain text's line set in the middle of its 70 or so columns, shorter than a line of its prose: a title
# page's (Candide's "OEUVRES / DE / VOLTAIRE / …" over its editor's preface, "CANDIDE, / ou / L'OPTIMISME, /
# TRADUIT DE L'ALLEMAND / …" under it), not a signature set to the right ("BEUCHOT.") or a rule ("------").
CENTRED_INDENT = 8  # spaces before it, at least; 2 inside a run ("      QU'ON A TROUVÉES DANS LA POCHE DU DOCTEUR…")
CENTRED_COLUMN, CENTRED_SLACK = 36, 10  # where its middle falls, give or take
CENTRED_LENGTH = 62
CENTRED_RUN = 3  # lines in a run, blank lines between them aside
CENTRED_CAPITALS = 0.75  # of a run's letters: a title page's, not a dedication's sentence (Flatland's)


def centred(line: str, in_run: bool = False) -> bool:
    text = line.strip()
    indent = len(line.expandtabs()) - len(line.expandtabs().lstrip())
    return bool(text) and len(text) <= CENTRED_LENGTH and indent >= (2 if in_run else CENTRED_INDENT) \
        and abs(indent + len(text) / 2 - CENTRED_COLUMN) <= CENTRED_SLACK and not CONTENTS_LINE_RE.search(text)


def without_centred_runs(lines: list[str]) -> tuple[list[str], list[str]]:
    """`lines` (a plain text's before its first chapter) without the runs of CENTRED_RUN centred lines or
    more (blank lines between them aside) in capitals that begin or end them, and those runs' lines: the
    source's title pages. A run inside them (a contents' part headings), or where there is nothing else,
    stays."""
    def run_from(at: int, step: int) -> int:
        """Where the run of centred lines from `at` (the first or last line with text) ends, going `step`."""
        n, seen, end = at, 0, at
        while 0 <= n < len(lines) and (not lines[n].strip() or centred(lines[n], seen > 0)):
            if lines[n].strip():
                seen, end = seen + 1, n + step
            n += step
        return end if seen >= CENTRED_RUN else at

    def capitals(run: list[str]) -> bool:
        letters = [c for line in run for c in line if c.isalpha()]
        return bool(letters) and sum(c.isupper() for c in letters) >= CENTRED_CAPITALS * len(letters)

    texts = [n for n, line in enumerate(lines) if line.strip()]
    if not texts:
        return lines, []
    head = run_from(texts[0], 1)
    tail = run_from(texts[-1], -1) + 1
    if not capitals(lines[texts[0]:head]):
        head = texts[0]
    if tail <= head or not capitals(lines[tail:texts[-1] + 1]):
        tail = texts[-1] + 1
    kept = lines[:texts[0]] + lines[head:tail]
    if not any(line.strip() for line in kept):
        return lines, []
    dropped = lines[texts[0]:head] + lines[tail:]
    return kept, [line for line in dropped if line.strip()]


def is_title_line(preamble: list[str], first: int, named: str | None) -> bool:
    """Whether the first line of the text before the first chapter (`preamble[first]`) is the book's title:
    short, a paragraph of its own or with a byline under it (not the first line of a transcriber's note,
    which was lost so: "Transcribers Note: Obvious typesetter errors from the original"), and naming the
    book where Project Gutenberg's header does (`named`; not Entre Nous's "Au lecteur.")."""
    line = preamble[first].strip()
    after = preamble[first + 1] if first + 1 < len(preamble) else ""
    if len(line) >= 100 or (after.strip() and not BYLINE_RE.match(after)):
        return False
    key, named_key = title_key(line), title_key(named or "")
    # A word of it at least ("I", a chapter's number, is in "Le Tour du monde en 80 jours" as a letter)
    return not named or (len(key) >= 3 and key in named_key) or (bool(named_key) and named_key in key)


# A chapter's line, and an act's: a novel that quotes a play in one of its chapters (Project Gutenberg's
# The Little Colonel's Hero, its chapter XIII's "ACT I" to "ACT VI") is split at its chapters alone.
TEXT_CHAPTER_LINE_RE = re.compile(rf"^\s*{CHAPTER_WORDS}\s+{NUMBER}\b", re.I)
TEXT_ACT_RE = re.compile(rf"^\s*(?:act\s+{NUMBER}\b|the\s+{ORDINAL_WORDS}\s+act\b)", re.I)
# A contents page's entry for a chapter: its line ends in a page number after a gap ("CHAPTER I. The
# Widow and her Child             1", Project Gutenberg's Jack Sheppard as text). Taken for a chapter's
# heading, each contents entry was a chapter of one line.
CONTENTS_LINE_RE = re.compile(r"\S\s{2,}\d{1,4}\s*$")
# A plain text's title on the line after its "CHAPTER I." line ("The Widow and her Child."): short, one
# line, a paragraph of its own, its words mostly capitalised.
TITLE_LINE = 60
DIALOGUE_START_RE = re.compile(r"^\s*(?:[-\u2013\u2014\"“”«‘'„]|\\-)")  # a line of dialogue, not a title
NOTE_LINE_RE = re.compile(r"^\s*\[\d+\]\s")  # a note as Project Gutenberg's plain texts set one: "  [1] Sur le…"
NOTE_CALL_RE = re.compile(r"\\?\[\d+\\?\]")  # a note's call in a title ("d'Eldorado\\[1\\]." as the Markdown escapes it)
LONG_TITLE_LINE = 200  # a title in capitals may run longer ("WHICH TREATS OF THE CHARACTER AND PURSUITS OF …")


def titled_by_first_line(chapters: list[ImportedChapter], set_apart: set[int] = frozenset()) -> list[ImportedChapter]:
    """`chapters` split at lines that number them alone ("CHAPTER I."), each titled by its first paragraph
    where three in four of them begin with one that reads as a title (TITLE_LINE, one line, most words
    capitalised; LONG_TITLE_LINE in capitals; or in any case up to LONG_TITLE_LINE where the text sets it
    apart, `set_apart`: the chapters' indices, first_set_apart): the book's way of setting its titles, not
    a chapter's short first line of dialogue. A note's call is left out of the title and the heading
    ("d'Eldorado[1].", "CHAPITRE XXII[1]."); the note stays in the text."""
    untitled = [c for c in chapters if not c.title]
    # Where three in four titles are set apart, the book sets its titles so: the others are taken too, which
    # its text sets under a blank line alone (Candide's chapters I and V, of 30).
    by_set_apart = len(untitled) >= 3 and sum(1 for i in set_apart if not chapters[i].title) >= 0.75 * len(untitled)

    def title_line(index: int, chapter: ImportedChapter) -> str | None:
        first, _, rest = chapter.body.partition("\n\n")
        if (index in set_apart or by_set_apart) and not chapter.title and rest.strip() and "\n" not in first \
                and len(first) <= LONG_TITLE_LINE and not DIALOGUE_START_RE.match(first):
            return first
        words = re.findall(r"[^\W\d_][\w'’-]*", first)
        # In capitals but for its words in italics ("OÙ LE PATRON DE LA «_Tankadère_» RISQUE …"): Don Quixote's
        # and Le Tour du monde's, 60 to 160 characters.
        bare = re.sub(r"\*[^*]*\*|_[^_]*_", "", first)
        capitals_only = bare == bare.upper() and len(first) <= LONG_TITLE_LINE
        if chapter.title or not rest.strip() or "\n" in first or (len(first) > TITLE_LINE and not capitals_only) \
                or not words:
            return None
        capitals = sum(1 for word in words if word[0].isupper())
        return first if capitals >= 0.5 * len(words) and words[0][0].isupper() else None

    lines = [title_line(i, c) for i, c in enumerate(chapters) if not c.title]
    if len(untitled) < 3 or sum(1 for line in lines if line) < 0.75 * len(untitled):
        return chapters
    for chapter, line in zip(untitled, lines):
        if line:
            line = NOTE_CALL_RE.sub("", line).rstrip(".")
            chapter.title = plain_title(re.sub(r"[*_]", "", line))
            chapter.body = chapter.body.partition("\n\n")[2]
            # A synopsis rather than a name where the book's run long (chapters.synopses_as_summaries).
            chapter.bridgehead, chapter.number_heading = line, NOTE_CALL_RE.sub("", chapter.heading)
            chapter.heading = f"{chapter.number_heading.rstrip('.')}: {line}"
    return chapters


# HTML --------------------------------------------------------------------------------------------

def read_html(data: bytes, path: Path) -> ImportedBook:
    checked_page(data, path)
    soup = parse_html(data, xml=data.lstrip().startswith(b"<?xml"))
    files = SingleFile(path)
    images = Images(files)
    notes = Notes()
    if is_archive_download(soup):
        notes.collect([(path.name, soup)], images)
        return read_archive(soup, images, notes)
    if is_archive_web_page(soup):
        raise fail(path, "is a work's web page saved from Archive of Our Own, not a download: on the work's "
                         "page choose Download, then HTML or EPUB, and import that file", code=codes.BAD_SOURCE)
    body = soup.find("body") or soup
    with_class_styles(soup)  # before the <style> elements go: Google Docs' italics are classes of theirs
    for junk in body.find_all(("script", "style", "nav", "noscript", "form")):
        junk.decompose()
    from_gutenberg = body.find(string=gutenberg.START_RE) is not None
    gutenberg_fields = gutenberg.strip_html(body)
    taken, targets = without_link_lists(body)
    problems = [Problem(str(path), 1, f"the source's own {what} ({count} links within the file) is left out, since "
                        + ("the book makes a contents page of its own, with the book's page numbers" if what == "contents"
                           else "it leads to places in the source, not pages of the book"), "warning",
                        codes.SOURCE_CONTENTS) for what, count in taken]
    if not body.get_text(strip=True):
        raise fail(path, "has no text to import: not a story, or a page that loads its text with scripts", code=codes.BAD_SOURCE)
    meta: dict = {}
    html = soup.find("html")
    if html is not None and (html.get("lang") or html.get("xml:lang")):
        meta["language"] = html.get("lang") or html.get("xml:lang")
    for name, key in (("author", "author"), ("description", "summary")):
        tag = soup.find("meta", attrs={"name": name})
        if tag is not None and tag.get("content", "").strip():
            meta[key] = tag["content"].strip()
    mark_languages(body, meta.get("language"))  # before the notes are taken out: theirs marked too
    notes.collect([(path.name, soup)], images)
    linked = linked_headings(body, targets)
    styled_title_page(body, meta)
    lone = book_title_heading(body, linked) if "title" not in meta else None
    if lone is not None:
        meta["title"] = heading_title(lone)
        subtitle, headings = title_page_headings(lone)
        if subtitle:
            meta["subtitle"] = subtitle
        for heading in headings:
            heading.decompose()
        lone.decompose()
    if "title" not in meta and soup.find("title") is not None and soup.find("title").get_text(strip=True):
        meta["title"] = soup.find("title").get_text(" ", strip=True)
    # Project Gutenberg's catalogue lines name the book better than its <title> or an upper-case heading.
    meta |= {key: value for key, value in gutenberg_fields.items() if key != "language" or "language" not in meta}
    cover = cover_picture(soup, path.name, images)
    if cover:
        meta["cover"] = cover
    chapters = chapters_from_root(body, path.name, images, notes, deepen=True, linked=linked)
    chapters = [c for c in chapters if c.body.strip() or c.title]
    if len(chapters) > 1 and not chapters[0].title and _header_fields(chapters[0].body.split("\n")) is not None:
        # The story's labelled fields above its first chapter (Google Docs: "**Summary:** …", "**Notes:** …"):
        # the book's, as a Markdown story's are (story_header), not an untitled chapter 1.
        story_header(chapters.pop(0).body.split("\n"), meta, True)
    if from_gutenberg:  # Project Gutenberg's HTML types its dashes as its plain texts do ("carry--dignified")
        for chapter in chapters:
            chapter.body = typed_dashes(chapter.body)
            chapter.title = typed_dashes(chapter.title) if chapter.title else chapter.title
    if not chapters:
        raise fail(path, "has no chapters: no headings and no paragraphs of text", code=codes.BAD_SOURCE)
    return _finished(meta, chapters, images.saved, path, problems)


# The title a word processor's export sets as a paragraph of its "Title" style: Google Docs' "Download → Web
# page" writes `<p class="c2 title">The Lantern Keeper's Ledger</p>`, `<p class="subtitle">` and the
# author's "by inkwellmoth" as a plain paragraph under them. They came in as an untitled chapter 1, and
# the book was titled by the file's name ("Gdocs").
def styled_title_page(body: Tag, meta: dict) -> None:
    """Take the paragraph classed `title` before any heading as the book's `title`, one classed
    `subtitle` after it as its `subtitle`, and a "by NAME" paragraph right under them as its `author`,
    out of `body`, where the source has one such title."""
    titles = body.find_all(class_="title")
    if len(titles) != 1 or titles[0].name not in ("p", "div") or titles[0].find_previous(HEADINGS) is not None \
            or not _heading_text(titles[0]):
        return
    title = titles[0]
    meta["title"] = _heading_text(title)
    node = _next_block(title)
    if node is not None and "subtitle" in (node.get("class") or []) and _heading_text(node):
        meta["subtitle"] = _heading_text(node)
        after = _next_block(node)
        node.decompose()
        node = after
    byline = BYLINE_RE.match(_heading_text(node)) if node is not None and node.name in ("p", "div") else None
    if byline and len(byline.group(1).split()) <= 6:
        meta["author"] = byline.group(1).strip()
        node.decompose()
    title.decompose()


# The headings right after the book's title heading that finish its title page: a subtitle, a byline
# (Project Gutenberg's Siddhartha: "SIDDHARTHA" <h1>, "An Indian Tale" <h3>, "by Hermann Hesse" <h2>,
# only line breaks between them; The Complete Angler: "OR," <h4>, "THE CONTEMPLATIVE MAN'S RECREATION."
# <h3>, "By" and "ISAAK WALTON." <h2>). Kept, the subtitle was an untitled first chapter and the byline a
# chapter named "by Hermann Hesse" (the header spells him "Herman", so no name matched).
TITLE_PAGE_HEADING_MAX = 20  # words of a subtitle


def title_page_headings(title: Tag) -> tuple[str | None, list[Tag]]:
    """The subtitle and the headings that set it and the byline, where the headings that follow `title`,
    each with nothing under it but spacing, are a subtitle (one heading or more), a byline ("by …", or
    "By" and a name), or both. A subtitle alone is only taken before a heading of a higher level than
    its own (a part's "BOOK ONE" over its chapters is not one). A heading that numbers a chapter or part,
    or that names the contents, ends the run."""
    pieces: list[Tag] = []
    byline: list[Tag] = []
    node = title
    while not byline:
        node = _next_block(node)
        if node is None or node.name not in HEADINGS or level(node) <= level(title):
            break
        text = _heading_text(node)
        after = _next_block(node)
        if after is None or after.name not in HEADINGS or source_number(text) is not None \
                or OTHER_PART_RE.match(text) or CONTENTS_TITLE_RE.match(text):
            break
        if BYLINE_RE.match(text):
            byline = [node]
        elif text.casefold() == "by":  # and the name, in the heading after it
            byline = [node, after]
        else:
            pieces.append(node)
    subtitle = " ".join(_heading_text(piece) for piece in pieces)
    if len(subtitle.split()) > TITLE_PAGE_HEADING_MAX or (pieces and not byline and not (
            node is not None and node.name in HEADINGS and level(node) < level(pieces[-1]))):
        return None, []
    subtitle = re.sub(r"(?<!\.)\.$", "", subtitle).strip() or None
    return subtitle, pieces + byline


def _heading_text(heading: Tag) -> str:
    return " ".join(heading.get_text(" ", strip=True).split())


def _next_block(node: Tag) -> Tag | None:
    """The next element after `node` that holds text or a picture, passing over line breaks, rules and
    empty containers."""
    for el in node.find_all_next(True):
        if el.name in ("br", "hr") or any(p is node for p in el.parents):
            continue
        if el.get_text(strip=True) or el.name == "img" or el.find("img") is not None:
            return el if el.name in HEADINGS or not el.find(HEADINGS) else el.find(HEADINGS)
    return None


# A long HTML file's own contents or list of pictures set as paragraphs of links within the file, with a
# label over them that is no heading (Project Gutenberg's The Complete Angler: "<p><b>CONTENTS</b></p>",
# then "<p class="toc"><a href="#…">CHAP. II.</a></p>" for each chapter, and so its "List of
# Illustrations"): it came in as lines of the text before the first chapter.
LINK_LIST_RUN = 3
PICTURES_TITLE_RE = re.compile(r"^(?:(?:list\s+of\s+)?(?:illustrations|plates|pictures)|illustrations?)[.:]?$", re.I)


def without_link_lists(body: Tag) -> tuple[list[tuple[str, int]], list[tuple[str, str]]]:
    """Take out, in place, each run of LINK_LIST_RUN or more blocks that are only links within the file,
    and each table of LINK_LIST_RUN such links or more (_link_table), the containers left empty, and the
    label over them (CONTENTS_TITLE_RE, PICTURES_TITLE_RE) with up to three headings between that label
    and the list. A list or table of links that follows a contents with only headings between is more of
    that contents, those headings with it, however few links it holds (Project Gutenberg's Flatland:
    "CONTENTS:", then "PART I: THIS WORLD" over a table of its twelve sections, then "PART II" over a
    table of the others; Ontboezemingen: "INHOUD." over five headed tables, one of a single entry).
    For each contents or list: what it was ("contents", "list of pictures" or "list of links") and how
    many links it held; and the contents' links, in their order: where each leads (the name, without
    "#"), and its text."""
    runs: list[list[Tag]] = []
    tables = [table for table in body.find_all("table") if _link_table(table)]
    in_table = {id(el) for table in tables for el in table.find_all(True)}
    for parent in {id(el.parent): el.parent for el in body.find_all(("p", "div", "li"))
                   if _only_link(el) and id(el) not in in_table}.values():
        run: list[Tag] = []
        for child in list(parent.children):
            if isinstance(child, Tag) and _only_link(child):
                run.append(child)
            elif isinstance(child, Tag) and (child.get_text(strip=True) or child.find("img")):
                runs.append(run)
                run = []
        runs.append(run)
    order = {id(el): i for i, el in enumerate(body.find_all(True))}
    runs = sorted([r for r in runs if len(r) >= LINK_LIST_RUN] + [[table] for table in tables],
                  key=lambda r: order[id(r[0])])
    found: list[tuple[str, list[Tag], list]] = []  # what, the elements to take out, the links (target, text)
    last: list[Tag] = []  # the outermost elements of the list before, if it was a contents
    targets: set[str] = set()  # where the lists taken so far lead
    for run in runs:
        listed = "".join("".join(el.get_text().split()) for el in run)
        top, holder = run, run[0].parent  # the run, or the outermost container that holds nothing else
        while holder is not None and holder is not body and "".join(holder.get_text().split()) == listed \
                and holder.find("img") is None:
            top, holder = [holder], holder.parent
        links = [(a["href"][1:], a.get_text(" ", strip=True)) for el in run for a in el.find_all("a", href=re.compile(r"^#."))]
        label, headings = _previous_block(top[0]), []
        while label is not None and label.name in HEADINGS and not _list_label(label) and len(headings) < 3:
            headings.append(label)
            label = _previous_block(label)
        leads = {name for name, _ in links}
        if label is not None and _list_label(label):
            text = " ".join(label.get_text(" ", strip=True).split())
            found.append(("list of pictures" if PICTURES_TITLE_RE.match(text) else "contents", [label, *headings, *top], links))
        elif last and label is last[-1] and not any(_names(h) & targets or _names(h) & leads for h in headings):  # more
            found[-1][1].extend([*headings, *top])
            found[-1][2].extend(links)
        elif len(links) >= LINK_LIST_RUN:
            found.append(("list of links", list(top), links))
        else:
            continue
        targets |= leads
        last = top if found[-1][0] == "contents" else []
    for _what, elements, _links in found:
        for el in elements:
            el.decompose()
    return ([(what, len(links)) for what, _, links in found],
            [link for what, _, links in found if what == "contents" for link in links])


def _names(heading: Tag) -> set[str]:
    """The places within the file that `heading` or what it holds is named (id, or a link's name)."""
    return {el.get(key) for el in (heading, *heading.find_all(True)) for key in ("id", "name") if el.get(key)}


def _previous_block(el: Tag) -> Tag | None:
    """The element before `el`, at its level, that holds text or a picture."""
    before = el.find_previous_sibling(True)
    while before is not None and not before.get_text(strip=True) and before.find("img") is None and before.name != "img":
        before = before.find_previous_sibling(True)
    return before


def _list_label(el: Tag) -> bool:
    text = " ".join(el.get_text(" ", strip=True).split())
    return bool(CONTENTS_TITLE_RE.match(text) or PICTURES_TITLE_RE.match(text))


# What a contents table's row may hold beside its links: the entry's number, a page number, a word that
# names what is numbered ("Section", "Chap.", "Page"), as Project Gutenberg's Flatland sets its contents.
LINK_ROW_WORD_RE = re.compile(rf"^[(\[]?(?:\d{{1,4}}|{ROMAN}|section|sect|chapter|chap|ch|page|pages|pp?|part|book|"
                              r"letter|canto|act|scene)[.:,)\]]*$", re.I)


def _link_table(table: Tag) -> bool:
    """Whether `table` is a list of links within the file: rows that each hold a link within the file
    and, beside its links, a few numbers and words such as "Section" (LINK_ROW_WORD_RE); other rows only
    a heading's one or two words."""
    if table.find(("table", "img")) is not None:
        return False
    linked = 0
    for row in table.find_all("tr"):
        links = row.find_all("a", href=re.compile(r"^#."))
        inside = {id(el) for a in links for el in a.descendants}
        words = " ".join(s for s in row.find_all(string=True) if id(s) not in inside).split()
        if links and any(a.get_text(strip=True) for a in links):
            if len(words) > 4 or not all(LINK_ROW_WORD_RE.match(word) for word in words):
                return False
            linked += 1
        elif len(words) > 2:
            return False
    return linked > 0


def linked_headings(body: Tag, links: list[tuple[str, str]]) -> list[Tag]:
    """The headings the source's own contents leads to (its `links`, without_link_lists): the element
    so named where it is a heading or in one, else the heading it begins with or that comes right after
    it (Project Gutenberg's `<a name="chap01"></a><h3>Section 1. …</h3>`); or, where that heading does
    not hold the link's text and one of the two right under it does, that one (Flatland's link to its
    Section 13, "How I had a Vision of Lineland", names the place before "PART II", the heading over it).
    A heading that only numbers its chapter is kept: the title under it is its own (split_sections)."""
    named: dict[str, Tag] = {}
    for el in body.find_all(attrs={"id": True}):
        named.setdefault(el["id"], el)
    for el in body.find_all("a", attrs={"name": True}):
        named.setdefault(el["name"], el)
    out: list[Tag] = []
    for target, text in links:
        el = named.get(target)
        if el is None:
            continue
        heading = el if el.name in HEADINGS else el.find_parent(HEADINGS)
        if heading is None and el.get_text(strip=True):
            first = next((s for s in el.find_all(string=True) if s.strip()), None)
            heading = first.find_parent(HEADINGS) if first is not None else None
            heading = heading if heading is not None and any(p is el for p in heading.parents) else None
        elif heading is None:
            following = _next_block(el)
            heading = following if following is not None and following.name in HEADINGS else None
        below, wanted = heading, title_key(text)
        for _ in range(2 if heading is not None and plain_title(_heading_text(heading)) is not None else 0):
            if below is None or not wanted or wanted in title_key(_heading_text(below)):
                break
            below = heading_after(below)
            if below is not None and wanted in title_key(_heading_text(below)):
                heading = below
        if heading is not None and all(heading is not h for h in out):
            out.append(heading)
    return out


def _only_link(el: Tag) -> bool:
    """Whether `el`, a paragraph, is only a link (or links) within the file, holding text."""
    if el.name not in ("p", "div", "li") or el.find(("p", "div", "li", "table")) is not None:
        return False
    links = el.find_all("a", href=re.compile(r"^#."))
    text = "".join(el.get_text().split())
    return bool(links) and bool(text) and "".join("".join(a.get_text().split()) for a in links) == text


def cover_picture(soup, base: str, images: Images) -> str | None:
    """The picture the file names its cover (`<link rel="coverpage">`, as Project Gutenberg's HTML
    does), copied with the book's pictures (Images.cover)."""
    link = soup.find("link", attrs={"rel": "coverpage"})
    return images.cover(inside_name(base, link.get("href") or "") if link is not None else None)


def shown_lines(lines: list[str], most: int = 50) -> str:
    """Lines as a warning quotes them: "A / B / C", cut at a word after `most` characters ("… ")."""
    shown = " / ".join(line.strip() for line in lines)
    return shown if len(shown) <= most else shown[:most].rsplit(" ", 1)[0].rstrip(" /") + " …"


def _finished(meta: dict, chapters: list[ImportedChapter], images: dict, path: Path,
              problems: list[Problem] | None = None) -> ImportedBook:
    chapters = [c for c in chapters if c.body.strip() or (c.title and c.title.lower().rstrip(".:") not in NOTES_TITLES)]
    if not chapters:
        raise fail(path, "holds no text to import", code=codes.BAD_SOURCE)
    meta.setdefault("title", path.stem.replace("_", " ").replace("-", " ").strip().title())
    problems = list(problems or [])
    lines = title_page_lines(chapters[0], meta) if len(chapters) > 1 else None
    if lines:
        words = sum(len(line.split()) for line in lines)
        problems.append(Problem(str(path), 1, f"the text before the first heading ({words} words: \"{shown_lines(lines)}\") is "
                                "the source's own title page: left out, since the book has a title page of its "
                                "own", "warning", codes.SOURCE_TITLE_PAGE))
        chapters = chapters[1:]
    pieces = headed_title_page(chapters, meta)
    if pieces:
        which = "the heading" if len(pieces) == 1 else f"the {len(pieces)} headings"
        problems.append(Problem(str(path), 1, f"{which} before the text (\"{shown_lines([p.title or '' for p in pieces])}\") "
                                "and what little is under "
                                f"{'it' if len(pieces) == 1 else 'them'}: the source's own title page, left out, since "
                                "the book has a title page of its own", "warning", codes.SOURCE_TITLE_PAGE))
        chapters = [c for c in chapters if not any(c is piece for piece in pieces)]
    for chapter in [c for c in chapters if is_half_title(c, meta)][:len(chapters) - 1]:
        problems.append(Problem(str(path), 1, f"the heading \"{chapter.title}\", which names the book and has no text under "
                                "it, is the source's half-title: left out, since the book has a title page of its "
                                "own", "warning", codes.SOURCE_TITLE_PAGE))
        chapters.remove(chapter)
    titles = {title_key(c.title) for c in chapters if c.title}
    for chapter in [c for c in chapters if is_contents_page(c, titles)][:len(chapters) - 1]:  # never every chapter
        entries = max(contents_entries(chapter.body, titles)[1], len(listed_titles(chapter, titles)))
        problems.append(Problem(str(path), 1, f"the chapter \"{chapter.title}\" ({entries} entries) is the source's "
                                "own contents page: left out, since the book makes a contents page of its own, "
                                "with the book's page numbers", "warning", codes.SOURCE_CONTENTS))
        chapters.remove(chapter)
    return ImportedBook(meta, chapters, images, problems)


# A long file's own contents page, a chapter of its own once split at the headings: a Project Gutenberg
# HTML's "INHOUD." (Gabriël's Ontboezemingen, Dutch) or "INDEX." (Entre Nous, French), a table of titles
# and printed page numbers. Kept, it was a chapter of numbers that are not the new book's pages.
CONTENTS_TITLE_RE = re.compile(r"^(?:(?:the\s+)?(?:table\s+of\s+)?contents|index|inhoud(?:sopgave)?|inhalt(?:sverzeichnis)?|"
                               r"table(?:\s+des\s+mati[èe]res)?|sommaire|[íi]ndice|contenido|sumario|innehåll|"
                               r"indholdsfortegnelse|spis\s+treści|sisällys)[.:]?$", re.I)
# An entry: a line ending in a page number, Arabic or Roman ("| VI. | Le Docteur part | 12 |", "Storm ... 41."),
# or a link within the file ("[Storm](#chap2)").
CONTENTS_ENTRY_RE = re.compile(r"(?:\b(?:\d{1,4}|[ivxlc]{1,7})\.?\s*\|?\s*$)|\]\(#[^)]*\)", re.I)


def contents_entries(body: str, titles: frozenset[str] | set[str] = frozenset()) -> tuple[int, int]:
    """How many lines of a chapter's Markdown hold text (less headings and a table's rule), and how many
    of those are a contents page's entries: a line ending in a page number (CONTENTS_ENTRY_RE), or the
    title of one of the book's chapters (`titles`, by title_key: the Grimms' plain text lists its tales'
    titles alone, in capitals)."""
    lines = [line for line in body.splitlines()
             if line.strip() and not line.lstrip().startswith("#") and not re.fullmatch(r"[\s|:-]+", line)]
    return len(lines), sum(1 for line in lines if CONTENTS_ENTRY_RE.search(line) or title_key(line) in titles)


def title_key(text: str) -> str:
    """A title as a contents line and a heading both spell it: its letters and digits, in lower case."""
    return "".join(c for c in text.casefold() if c.isalnum())


def is_contents_page(chapter: ImportedChapter, titles: frozenset[str] | set[str] = frozenset()) -> bool:
    """Whether `chapter` is the source's own contents page: titled as one, and at least five lines, four
    in five of them entries (contents_entries). A chapter titled "Contents" that holds prose stays."""
    if not chapter.title or not CONTENTS_TITLE_RE.match(chapter.title.strip()):
        return False
    lines, entries = contents_entries(chapter.body, titles)
    return (lines >= 5 and entries >= 0.8 * lines) or bool(listed_titles(chapter, titles))


def listed_titles(chapter: ImportedChapter, titles: frozenset[str] | set[str]) -> list[str]:
    """The titles of the book's other chapters that `chapter` lists, where it is no more than such a list
    and names four in five of them at least, however it sets them out (Project Gutenberg's Siddhartha:
    every entry in one table cell, one line of Markdown); else none."""
    others = titles - {title_key(chapter.title or "")}
    body = title_key(chapter.body)
    listed = [key for key in others if key in body]
    enough = len(others) >= 3 and len(listed) >= 0.8 * len(others) and len(body) <= 1.5 * sum(map(len, listed)) + 40
    return listed if enough else []


# A long file's own title page before its first heading: a few short lines, no paragraph of prose, that
# name the book or its author, as a printed book's title page and the back of it do ("VON / FRANZ KAFKA
# / KURT WOLFF VERLAG / LEIPZIG / ... / COPYRIGHT ... 1917", Project Gutenberg's Die Verwandlung). Kept,
# it was an untitled first chapter: "Chapter 1", every real chapter's number one on ("I." printed as
# "Chapter 2"). Text that names neither, or runs to sentences, or holds a picture, stays a chapter.
TITLE_PAGE_WORDS = 160
TITLE_PAGE_LINE = 80
# A line that holds a year may be longer: the back of a title page lists the printings ("Since reprinted
# March 1895; January 1897; November 1899; …", Project Gutenberg's News from Nowhere, with its producer's
# "Transcribed from the 1908 Longmans, Green, and Co. edition by …" before it: 115 words in all).
DATED_LINE = 140
YEAR_RE = re.compile(r"\b1[4-9]\d\d\b|\b20\d\d\b")


def title_page_lines(chapter: ImportedChapter, meta: dict) -> list[str] | None:
    """The lines of `chapter`'s text, without their Markdown marks, where it is the source's own title
    page; else None. A chapter begun by a heading is never one, even a heading that only numbers it
    ("I", left to bookmaker's numbering): its text is the chapter's, not the book's title page."""
    if chapter.heading or chapter.title or chapter.summary or chapter.notes or chapter.end_notes or "![" in chapter.body:
        return None
    lines = _plain_lines(chapter.body)
    if not lines or sum(len(line.split()) for line in lines) > TITLE_PAGE_WORDS or not all(map(title_page_line, lines)):
        return None
    text = title_key(" ".join(lines))  # "by Miguel de Cervantes [Saavedra]" names Miguel de Cervantes Saavedra
    authors = _authors(meta)
    named = any(isinstance(name, str) and title_key(name) and title_key(name) in text
                for name in (meta.get("title"), *authors))
    # Or a byline with the author's surname: "By J. M. Barrie [James Matthew Barrie]" under Peter Pan's
    # title, the header's "Author: James M. Barrie".
    surnames = {_words(name)[-1] for name in authors if isinstance(name, str) and _words(name)}
    bylined = any(re.match(r"^by\s", line, re.IGNORECASE) and surnames & set(_words(line)) for line in lines)
    return lines if named or bylined else None


# A title page set as headings, each a chapter once the file is split at them (Project Gutenberg's HTML:
# "THE LITTLE COLONEL'S" / "HERO" / "By ANNIE FELLOWS JOHNSTON"; "JACK SHEPPARD A Romance" / "BY W.
# Harrison Ainsworth"): headings of the book's title and author's words and these, little text under each.
TITLE_PAGE_HEADING_WORDS = frozenset("a an and the of by author novel romance story stories tale tales comedy "
                                     "play poems door von par de por di".split())
TITLE_PAGE_PIECE_WORDS = 15


def headed_title_page(chapters: list[ImportedChapter], meta: dict) -> list[ImportedChapter]:
    """The chapters at the book's start that are its source's title page set as headings: each headed
    only by words of the book's title, subtitle or author's name (TITLE_PAGE_HEADING_WORDS besides, and
    initials), with at most TITLE_PAGE_PIECE_WORDS words under it, none more than a title page's line
    (more is a dedication, a publisher's list: the run stops there); a chapter without a heading among
    them (a frontispiece) stays. None unless one of them names the book or its author, and never every
    chapter."""
    authors = _authors(meta)
    named = [str(value) for value in (meta.get("title"), meta.get("subtitle"), *authors) if value]
    vocabulary = {word for text in named for word in _words(text)}
    pieces: list[ImportedChapter] = []
    for chapter in chapters[:-1]:
        if not chapter.title:
            continue  # text before the first heading (title_page_lines), or a picture alone (a frontispiece): kept
        words = _words(chapter.title)
        lines = _plain_lines(re.sub(r"!\[[^\]]*\]\([^)]*\)", "", chapter.body))
        heads_title_page = words and source_number(chapter.heading or chapter.title) is None and \
            all(w in vocabulary or w in TITLE_PAGE_HEADING_WORDS or len(w) == 1 for w in words)
        if not heads_title_page or sum(len(line.split()) for line in lines) > TITLE_PAGE_PIECE_WORDS or \
                not all(map(title_page_line, lines)):
            break
        pieces.append(chapter)
    said = " ".join(one_line(c.title or "") for c in pieces).casefold()
    said_words = set(re.findall(r"[^\W\d_]+", said))
    names = {w for author in authors if author for w in re.findall(r"[^\W\d_]{3,}", str(author).casefold())}
    return pieces if any(one_line(text).casefold() in said for text in named) or \
        (names - TITLE_PAGE_HEADING_WORDS) & said_words else []  # the book's whole title, or a name of its author's


def is_half_title(chapter: ImportedChapter, meta: dict) -> bool:
    """A heading with nothing under it that names the book: the source's half-title before its first
    chapter (Project Gutenberg's Katrine: "KATRINE"; Grimms' Fairy Tales as text: "THE BROTHERS GRIMM
    FAIRY TALES", its author's name and title), which the book's title page replaces. Each of its words
    is one of the title's, subtitle's or author's (or TITLE_PAGE_HEADING_WORDS, or a letter alone: "Fenn's"),
    one at least the title's."""
    if chapter.body.strip() or not chapter.title:
        return False
    authors = _authors(meta)
    title_words = set(_words(str(meta.get("title") or ""))) - TITLE_PAGE_HEADING_WORDS
    vocabulary = title_words | {w for text in (meta.get("subtitle"), *authors) if text for w in _words(str(text))}

    def among(word: str, known: set[str]) -> bool:  # "Grimm" for "Grimms'"
        return word in known or word + "s" in known or (word.endswith("s") and word[:-1] in known)

    words = _words(chapter.title)
    return bool(words) and all(among(w, vocabulary) or w in TITLE_PAGE_HEADING_WORDS or len(w) == 1 for w in words) \
        and any(among(w, title_words) for w in words)


def _words(text: str) -> list[str]:
    return [w.casefold() for w in re.findall(r"[^\W\d_]+", text)]


def _authors(meta: dict) -> list:
    """The author field as a list (book.yaml takes a name or a list of names)."""
    return meta.get("author") if isinstance(meta.get("author"), list) else [meta.get("author")]


def title_page_line(line: str) -> bool:
    """Whether `line` is no longer than a title page's (DATED_LINE where it holds a year)."""
    return len(line) <= (DATED_LINE if YEAR_RE.search(line) else TITLE_PAGE_LINE)


def _plain_lines(markdown: str) -> list[str]:
    """A chapter's Markdown lines that hold text, without emphasis marks and hard breaks."""
    return [line for line in (re.sub(r"[*_\\#>]", "", raw).strip() for raw in markdown.splitlines()) if line]
