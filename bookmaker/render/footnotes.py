"""Python-Markdown's footnotes → EPUB 3 popup notes: noteref links and footnote asides.

One page is rendered from several Markdown pieces (a chapter's summary, notes, text and end notes),
each converted on its own; the page's Context carries the ids and the note numbers already used, so
notes are numbered on through the page in reading order and never share an id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from bookmaker.render.tree import OPS, PHRASING, drop_keeping_tail, has_class, local, q

if TYPE_CHECKING:  # the type alone: xhtml.py calls this module
    from bookmaker.render.xhtml import Context


def new_id(ctx: Context, base: str) -> str:
    """`base`, or `base-2`, `base-3`… where an author's id or an earlier piece already took it."""
    candidate, n = base, 1
    while candidate in ctx.ids:
        n += 1
        candidate = f"{base}-{n}"
    ctx.ids.add(candidate)
    return candidate


def convert_footnotes(root, ctx: Context) -> None:
    notes_div = next((d for d in root.iter(q("div")) if has_class(d, "footnote")), None)
    if notes_div is None:
        return
    refs = [a for a in root.iter(q("a")) if has_class(a, "footnote-ref")]
    items = [li for li in notes_div.iter(q("li")) if li.get("id")]
    by_id = {li.get("id"): li for li in items}
    # Numbered by first call, as a reader meets them; notes never called come last.
    order = list(dict.fromkeys(t for t in ((a.get("href") or "#")[1:] for a in refs) if t in by_id))
    order += [i for i in by_id if i not in order]
    numbers = {item_id: ctx.footnote_count + n for n, item_id in enumerate(order, start=1)}
    ctx.footnote_count += len(order)
    for li in items:
        ctx.ids.discard(li.get("id"))
    for a in refs:
        for holder in (a.getparent(), a):
            ctx.ids.discard(holder.attrib.pop("id", None))
    prefix = ctx.id_prefix
    note_ids = {item_id: new_id(ctx, f"{prefix}fn-{n}") for item_id, n in numbers.items()}
    back_ids: dict[str, str] = {}
    for a in refs:
        target = (a.get("href") or "#")[1:]
        if target not in numbers:
            continue
        ref_id = new_id(ctx, f"{prefix}fnref-{numbers[target]}")
        back_ids.setdefault(target, ref_id)
        for child in list(a):
            a.remove(child)
        a.attrib.clear()
        a.set("id", ref_id)
        a.set("href", f"#{note_ids[target]}")
        a.set("class", "noteref")
        a.set(f"{{{OPS}}}type", "noteref")
        a.set("role", "doc-noteref")
        a.text = str(numbers[target])
        joined_to_word(a.getparent() if local(a.getparent()) == "sup" else a)
    backrefs = {a for a in notes_div.iter(q("a")) if has_class(a, "footnote-backref")}
    ctx.fragment_links[:] = [(e, t) for e, t in ctx.fragment_links if e not in refs and e not in backrefs]
    anchor = notes_div.getparent()
    position = anchor.index(notes_div)
    anchor.remove(notes_div)
    for item_id in order:
        anchor.insert(position, note_aside(by_id[item_id], note_ids[item_id], numbers[item_id],
                                           back_ids.get(item_id)))
        position += 1


def joined_to_word(call) -> None:
    """A word joiner (U+2060) between a note's call and the word it is set against: a line may break
    between a full stop and a number, and the call began a line ("… will be damped." / "⁵ If you lay
    siege": Standard Ebooks' The Art of War, printed)."""
    before, parent = call.getprevious(), call.getparent()
    if any(local(up) in ("h1", "h2", "h3", "h4", "h5", "h6") for up in call.iterancestors()):
        return  # a heading's text is the page's title too (contents, running heads): left as written
    if before is not None:
        text = before.tail or (before.xpath("string()") if local(before) in PHRASING and local(before) != "br" else "")
    else:
        text = parent.text if parent is not None else ""
    if not text or text[-1].isspace() or text.endswith("\u2060"):
        return
    if before is not None:
        before.tail = (before.tail or "") + "\u2060"
    else:
        parent.text = text + "\u2060"


def note_aside(li, note_id: str, number: int, back_id: str | None):
    for back in [a for a in li.iter(q("a")) if has_class(a, "footnote-backref")]:
        holder = back.getparent()
        drop_keeping_tail(back)
        # A note ending in a quote or a list gets its back-link in a paragraph of its own: drop it.
        if local(holder) == "p" and len(holder) == 0 and not (holder.text or "").strip("\xa0 \n"):
            holder.getparent().remove(holder)
    aside = etree.Element(q("aside"))
    aside.set("id", note_id)
    aside.set("class", "footnote")
    aside.set(f"{{{OPS}}}type", "footnote")
    aside.set("role", "doc-footnote")
    children = list(li)
    if (li.text or "").strip() or not children or local(children[0]) != "p":
        # The number needs a paragraph to sit in, and a quote or a list cannot go inside one.
        para = etree.SubElement(aside, q("p"))
        para.text = li.text if (li.text or "").strip() else None
        while children and local(children[0]) in PHRASING:
            para.append(children.pop(0))
    for child in children:
        aside.append(child)
    mark = etree.Element(q("a"))
    mark.set("class", "footnote-number")
    if back_id is not None:
        mark.set("href", f"#{back_id}")
        mark.set("role", "doc-backlink")
    mark.text = f"{number}."
    first = aside[0]
    mark.tail = " " + (first.text or "").lstrip()
    first.text = None
    first.insert(0, mark)
    return aside


def renumber_notes(pieces) -> None:
    """Note numbers in the order a reader meets the calls across a page's pieces (`None` for a piece
    the page lacks). Only a note called in the chapter title, rendered with the text but read before
    the summary, changes number; ids stay as they are."""
    numbers: dict[str, str] = {}
    for piece in pieces:
        for a in () if piece is None else piece.iter(q("a")):
            if has_class(a, "noteref"):
                a.text = numbers.setdefault(a.get("href"), str(len(numbers) + 1))
    for piece in pieces:
        for aside in () if piece is None else piece.iter(q("aside")):
            mark = next((a for a in aside.iter(q("a")) if has_class(a, "footnote-number")), None)
            if mark is not None and f"#{aside.get('id')}" in numbers:
                mark.text = numbers[f"#{aside.get('id')}"] + "."
