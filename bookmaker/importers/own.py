"""An EPUB bookmaker made (templates/*.xhtml.j2), read back into the project it came from: the "About
This Story" page gives the tags by group, the notes, the summary with its emphasis, whether the story is
complete and when it was updated; the end-notes page gives the book's end notes; each chapter gives its
title, summary, notes and end notes as front matter. Read as any other EPUB, those pages came in as
chapters of their own, and each chapter's summary and notes as "## Summary" headings in its text.

Only the markup is read, never the words (which are in the book's language): the classes and ids the
templates write. An EPUB a converter made from it (Calibre renames the classes it styles alike) is read
as any other."""

from __future__ import annotations

import re

from bs4 import Tag

from bookmaker.importers.markdown import Images, Notes, html_to_markdown, one_line, with_footnotes
from bookmaker.importers.project import ImportedChapter


def _classes(el: Tag) -> set[str]:
    return set(el.get("class") or [])


def own_section(body: Tag, name: str) -> Tag | None:
    """The template's outer `<section class=NAME>` in a document's body, or None."""
    for el in body.find_all("section", recursive=False):
        if name in _classes(el):
            return el
    return None


def is_own_chapter(body: Tag) -> bool:
    section = own_section(body, "chapter")
    return section is not None and section.find("div", class_="chapter-text", recursive=False) is not None


def is_own_summary(body: Tag) -> bool:
    section = own_section(body, "summary")
    return section is not None and section.get("id") == "summary" and \
        section.find("dl", class_="stats", recursive=False) is not None


def is_own_end_notes(body: Tag) -> bool:
    section = own_section(body, "end-notes")
    return section is not None and section.get("id") == "endnotes"


def _block(section: Tag, name: str, base: str, images: Images, notes: Notes) -> str | None:
    """A `<section class=NAME>` block's text without its heading, as Markdown."""
    block = section.find("section", class_=name, recursive=False)
    return None if block is None else _headless(block, base, images, notes)


def _headless(section: Tag, base: str, images: Images, notes: Notes) -> str | None:
    """`section`'s text as Markdown, without the heading the template gives it (bookmaker's own words)."""
    for heading in section.find_all(("h1", "h2"), class_=("block-heading", "page-title"), recursive=False):
        heading.decompose()
    return with_footnotes(html_to_markdown(section, base, images), notes).strip() or None


def own_chapter(body: Tag, base: str, images: Images, notes: Notes) -> ImportedChapter:
    section = own_section(body, "chapter")
    name = section.find("span", class_="chapter-name")
    title = one_line(inline_markdown(name)) if name is not None else None
    text = section.find("div", class_="chapter-text", recursive=False)
    return ImportedChapter(body=with_footnotes(html_to_markdown(text, base, images), notes),
                           title=title or None,
                           summary=_block(section, "chapter-summary", base, images, notes),
                           notes=_block(section, "chapter-notes", base, images, notes),
                           end_notes=_block(section, "chapter-end-notes", base, images, notes))


EMPHASIS = {"em": "*", "i": "*", "strong": "**", "b": "**"}


def inline_markdown(el: Tag) -> str:
    """A title's text with its emphasis as a title in front matter writes it (`*word*`, `**word**`:
    render.markdown.title_markdown reads nothing else there, and no escapes); any other markup (a kepub's
    spans) gives its text."""
    parts = []
    for child in el.children:
        if not isinstance(child, Tag):
            parts.append(str(child))
            continue
        inner = inline_markdown(child)
        mark = EMPHASIS.get(child.name, "")
        if mark and inner.strip():  # the spaces inside outside the marks, which must touch a word
            text = inner.strip()
            parts.append(inner[:len(inner) - len(inner.lstrip())] + mark + text + mark
                         + inner[len(inner.rstrip()):])
        else:
            parts.append(inner)
    return "".join(parts)


def own_summary(body: Tag, base: str, images: Images, notes: Notes, meta: dict) -> None:
    """What the "About This Story" page says that the package's metadata does not, into `meta`."""
    section = own_section(body, "summary")
    tags = own_tags(section.find("dl", class_="tags", recursive=False))
    if tags:
        meta["tags"] = tags
    stats = section.find("dl", class_="stats", recursive=False)
    times = [t.get("datetime", "")[:10] for t in stats.find_all("time")]
    if len(times) == 2 or (times and meta.get("date") and times[0] != meta["date"]):
        meta["updated"] = times[-1]  # published, then updated: the package's date is the first
    counts = [dd.get_text(strip=True) for dd in stats.find_all("dd")]
    shown = next((c for c in counts if re.fullmatch(r"[\d,.\s]+/([\d,.\s]+|\?)", c)), None)
    if shown is not None:
        meta["complete"] = not shown.endswith("?")
    summary = _block(section, "book-summary", base, images, notes)
    if summary:
        meta["summary"] = summary  # with its emphasis: the package's description is plain text
    meta["notes"] = _block(section, "book-notes", base, images, notes)


def own_tags(dl: Tag | None) -> dict[str, list[str]] | None:
    """The tags by group, as the page shows them. Tags book.yaml gave as a list come back as one group,
    named as the page names it ("Tags", in the book's language): the book they make says the same."""
    if dl is None:
        return None
    groups: dict[str, list[str]] = {}
    for term in dl.find_all("dt", recursive=False):
        values = term.find_next_sibling("dd")
        if values is None:
            continue
        tags = [one_line(t.get_text()) for t in values.find_all("span", class_="tag")]
        groups.setdefault(one_line(term.get_text()), []).extend(t for t in tags if t)
    return groups or None


def own_end_notes(body: Tag, base: str, images: Images, notes: Notes) -> str | None:
    return _headless(own_section(body, "end-notes"), base, images, notes)
