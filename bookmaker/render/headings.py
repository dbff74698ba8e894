"""A chapter's headings as authors write them: levels made contiguous under the chapter's own <h1>, and
the sections they open listed for the contents, the NCX and the PDF outline."""

from __future__ import annotations

import re

from bookmaker.render import xhtml

HEADING_RE = re.compile(r"h[1-6]")


def chapter_sections(body, ids: set[str], id_prefix: str = "") -> tuple[tuple[int, str, str], ...]:
    """Renumber the headings of a chapter's text so none skips a level below the chapter's <h1> (a '##'
    title followed by '###' parts makes the parts <h2>), give each an id, and return them as
    (depth under the chapter from 1, id, plain text). Raw HTML headings are moved the same way."""
    headings = [el for el in body.iter(xhtml.q("*")) if HEADING_RE.fullmatch(xhtml.local(el))
                and not any(xhtml.local(a) == "aside" for a in el.iterancestors())]
    if not headings:
        return ()
    ranks = {level: rank for rank, level in enumerate(sorted({int(xhtml.local(h)[1]) for h in headings}), start=2)}
    sections, previous = [], 1
    for number, el in enumerate(headings, start=1):
        level = min(ranks[int(xhtml.local(el)[1])], previous + 1, 6)
        el.tag = xhtml.q(f"h{level}")
        previous = level
        if not el.get("id"):
            candidate, n = f"{id_prefix}section-{number}", number
            while candidate in ids:
                n += 1000
                candidate = f"{id_prefix}section-{n}"
            el.set("id", candidate)
            ids.add(candidate)
        text = " ".join(xhtml.text_of(el).split())
        if text:
            sections.append((level - 1, el.get("id"), text))
    return tuple(sections)
