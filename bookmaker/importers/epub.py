"""Any EPUB, zipped or unpacked (FanFicFare's, Standard Ebooks' `src/`, an archive download's): the OPF's
metadata, one chapter per spine document or per top heading, the source's own furniture left out."""

from __future__ import annotations

import copy
import posixpath
import re

from bs4 import BeautifulSoup
from lxml import etree

from bookmaker import codes
from bookmaker.importers import own
from bookmaker.importers.archive import is_archive_download, read_archive, restore_classes, restyled_download
from bookmaker.importers.chapters import OTHER_PART_RE, chapters_from_root, parse_html, plain_title
from bookmaker.importers.markdown import (NOTES_TITLES, Images, Notes, html_to_markdown, mark_languages, one_line,
                                          quotes_parted, text_to_markdown)
from bookmaker.importers.project import ImportedBook, ImportedChapter
from bookmaker.importers.sources import MAX_SPINE, SourceFiles, checked_page, fail, inside_name

NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "c": "urn:oasis:names:tc:opendocument:xmlns:container"}
OPF_EVENT = "{http://www.idpf.org/2007/opf}event"
OPF_ROLE = "{http://www.idpf.org/2007/opf}role"
DC_NAMES = {f"{{{NS['dc']}}}creator", f"{{{NS['dc']}}}contributor"}  # the elements that name a person
# What an EPUB carries around its text that a bookmaker project makes for itself.
FURNITURE_TYPES = {"cover", "titlepage", "halftitlepage", "toc", "colophon", "imprint", "copyright-page", "loi",
                   "lot", "landmarks", "title-page", "other.ms-coverimage-standard"}
FURNITURE_NAMES = {"title_page", "titlepage", "title-page", "cover", "coverpage", "toc", "toc_page", "contents",
                   "nav", "colophon", "imprint", "copyright", "uncopyright", "log_page", "halftitlepage", "halftitle"}
FURNITURE_CLASSES = {"fff_titlepage", "fff_tocpage", "fff_logpage", "fff_coverpage"}
# A dedication page's heading that names the page, not a person (English, French, German, Spanish, Italian, Dutch).
DEDICATION_TITLES = {"dedication", "dédicace", "widmung", "dedicatoria", "dedica", "opdracht"}
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")
# Rights that put the text in the public domain: the EPUB is an edition of an older work (_metadata).
PUBLIC_DOMAIN_RE = re.compile(r"\bpublic[ -]domain\b", re.IGNORECASE)
SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)


def _xml(files: SourceFiles, name: str) -> etree._Element:
    try:
        return etree.fromstring(files.read(name), SAFE_XML)
    except etree.XMLSyntaxError as error:
        raise fail(files.origin, f"'{name}' is not well-formed XML ({error.msg}): the EPUB is damaged", code=codes.BAD_SOURCE) from None


def package_path(files: SourceFiles) -> str:
    if files.exists("META-INF/container.xml"):
        root = _xml(files, "META-INF/container.xml")
        for rootfile in root.iterfind(".//c:rootfile", NS):
            path = rootfile.get("full-path")
            if path and files.exists(path):
                return path
    opfs = sorted((n for n in files.names() if n.lower().endswith(".opf")), key=len)
    if not opfs:
        raise fail(files.origin, "has no package document (content.opf): not an EPUB, or a damaged one", code=codes.BAD_SOURCE)
    return opfs[0]


def _text(el) -> str:
    return one_line("".join(el.itertext())) if el is not None else ""


def _refined(meta_el, prop: str) -> dict[str, list[str]]:
    """Each value `prop` is given, by the id it refines: an element may have several (Standard Ebooks
    gives Stevenson the roles `ann`, `aut` and `dto` of Treasure Island, in that order)."""
    out: dict[str, list[str]] = {}
    for m in meta_el.iterfind("opf:meta[@refines]", NS):
        if m.get("property") == prop:
            out.setdefault(m.get("refines").lstrip("#"), []).append(_text(m))
    return out


def _roles(el, roles: dict[str, list[str]], default: str | None) -> list[str]:
    """A creator's or contributor's MARC relator codes: EPUB 2's opf:role, else EPUB 3's refinements."""
    if el.get(OPF_ROLE):
        return [el.get(OPF_ROLE)]
    return roles.get(el.get("id") or "", [default] if default else [])


def _refines(meta_el, prop: str) -> dict[str, str]:
    """The value `prop` is given last, by the id it refines."""
    return {key: values[-1] for key, values in _refined(meta_el, prop).items()}


def _summary(text: str, images: Images) -> str | None:
    if not text.strip():
        return None
    if re.search(r"<(p|br|i|em|b|strong|div)\b", text):
        return html_to_markdown(text, "", images).strip() or None
    return "\n\n".join(text_to_markdown(p.strip()) for p in re.split(r"\n\s*\n", text.strip()) if p.strip())


# A chapter told in diary entries or letters, each a <blockquote> of its type (Standard Ebooks' Dracula:
# `z3998:diary-entry`, `z3998:letter`).
TOLD_TYPES = {"z3998:diary", "z3998:diary-entry", "z3998:letter"}
# The share of a chapter's words they hold where the chapter is told in them (Standard Ebooks' editions):
# Dracula's chapters 92.3% (its 13th) to 100%, Frankenstein's letters and last chapter 99.3% and more, Les
# Misérables' letter of a chapter (I.2.iv) 96%; but Darcy's letter in Pride and Prejudice is 86.7% of its
# chapter, Mrs. Gardiner's 59%, Pulcheria's in Crime and Punishment 78%: letters quoted in a story, they
# stay quotations.
TOLD_SHARE = 0.9


def unframe_told_text(soup) -> None:
    """The diary entries and letters that hold most of a chapter's text (TOLD_SHARE), each a <blockquote> of
    its own right in the chapter, made the chapter's paragraphs, and so are the entries and letters of a
    diary among them: as quotations, Dracula, nearly all of it diaries and letters, was printed at a
    quotation's narrower measure from its first page to its last, where Standard Ebooks' own stylesheet sets
    them at the text's. A letter quoted inside an entry, or inside a chapter told otherwise, stays a
    quotation."""
    body = soup.find("body")
    if body is None:
        return

    def words(el) -> int:
        return len(el.get_text(" ").split())

    def told(el) -> list:
        return [q for q in el.find_all("blockquote", recursive=False) if TOLD_TYPES & _epub_types(q)]

    def unframe(quote) -> None:
        if "z3998:diary" in _epub_types(quote):  # a diary: its entries (and the letters between them) too
            for inner in told(quote):
                unframe(inner)
        quote.unwrap()

    for part in [body, *body.find_all("section")]:
        quotes = told(part)
        # Its other quotations count with them (Dracula's eleventh chapter: its diaries, a letter, and the
        # newspaper's interview about the escaped wolf), but stay quotations.
        documents = part.find_all("blockquote", recursive=False)
        if quotes and sum(map(words, documents)) >= TOLD_SHARE * words(part):
            for quote in quotes:
                unframe(quote)


def _epub_types(el) -> set[str]:
    """An element's epub:type, its words."""
    return set(str(el.get("epub:type") or "").split())


def opf_metadata(opf, images: Images) -> dict:
    meta_el = opf.find("opf:metadata", NS)
    if meta_el is None:
        return {}
    meta: dict = {}
    titles = meta_el.findall("dc:title", NS)
    kinds = _refines(meta_el, "title-type")
    main = [t for t in titles if kinds.get(t.get("id") or "") == "main"] or titles[:1]
    meta["title"] = _text(main[0]) if main else None
    meta["subtitle"] = next((_text(t) for t in titles if kinds.get(t.get("id") or "") == "subtitle"), None)
    roles = _refined(meta_el, "role")
    authors = [_text(c) for c in meta_el.findall("dc:creator", NS) if "aut" in _roles(c, roles, "aut") and _text(c)]
    meta["author"] = authors[0] if len(authors) == 1 else authors
    # Standard Ebooks' translations name the translator a contributor with the role trl (EPUB 2: opf:role).
    translators = [_text(c) for c in meta_el.iterfind("dc:*", NS)
                   if c.tag in DC_NAMES and "trl" in _roles(c, roles, None) and _text(c)]
    meta["translator"] = translators[0] if len(translators) == 1 else translators
    meta["language"] = _text(meta_el.find("dc:language", NS)) or None
    meta["summary"] = _summary("".join(meta_el.find("dc:description", NS).itertext())
                               if meta_el.find("dc:description", NS) is not None else "", images)
    subjects = [_text(s) for s in meta_el.findall("dc:subject", NS) if _text(s)]
    status = {s.lower() for s in subjects} & {"completed", "complete", "in-progress", "in progress", "wip"}
    if status:
        meta["complete"] = bool(status & {"completed", "complete"})
    meta["tags"] = [s for s in subjects if s.lower() not in {"completed", "complete", "in-progress", "in progress",
                                                              "wip", "fanworks"}]
    for el in meta_el.findall("dc:date", NS):
        value = _text(el)
        if not DATE_RE.match(value):
            continue
        event = (el.get(OPF_EVENT) or "publication").lower()
        key = "updated" if event == "modification" else "date" if event == "publication" else None
        if key and not meta.get(key):
            meta[key] = value[:10]
    for key in ("publisher", "rights"):
        meta[key] = plain_links(_text(meta_el.find(f"dc:{key}", NS))) or None
    if PUBLIC_DOMAIN_RE.search(meta["rights"] or ""):
        # An edition of a public-domain text (Standard Ebooks', Project Gutenberg's): its dates are the
        # edition's (Standard Ebooks' The Time Machine, 1895: "2014-05-25"), which the copyright page would
        # print as the book's first publication ("First published May 25, 2014").
        meta.pop("date", None)
        meta.pop("updated", None)
    urls = [_text(s) for s in meta_el.findall("dc:source", NS)] + \
        [re.sub(r"^URL:", "", _text(i)) for i in meta_el.findall("dc:identifier", NS)]
    meta["source"] = next((u for u in urls if re.match(r"^https?://\S+$", u)), None)
    meta["series"] = _series(meta_el)
    return meta


def plain_links(text: str) -> str:
    """A Markdown link in a plain-text field, as a reader reads it on a printed page: "the [CC0 1.0
    Dedication](https://…)" of Standard Ebooks' dc:rights is "the CC0 1.0 Dedication (https://…)"."""
    return re.sub(r"\[([^\[\]]+)\]\((https?://[^\s()]+)\)", r"\1 (\2)", text)


def _number(text: str | None):
    try:
        value = float(text or "")
    except ValueError:
        return None
    return int(value) if value.is_integer() else value


def _series(meta_el) -> dict | None:
    named = {m.get("name"): m.get("content") for m in meta_el.iterfind("opf:meta[@name]", NS)}
    if named.get("calibre:series"):
        return {"name": named["calibre:series"], "number": _number(named.get("calibre:series_index")) or 1}
    kinds = _refines(meta_el, "collection-type")
    positions = _refines(meta_el, "group-position")
    for m in meta_el.iterfind("opf:meta[@property='belongs-to-collection']", NS):
        cid = m.get("id") or ""
        if kinds.get(cid, "series") == "series" and _text(m):
            return {"name": _text(m), "number": _number(positions.get(cid)) or 1}
    return None


def _spine(files: SourceFiles, opf, opf_name: str) -> tuple[list[str], set[str], str | None, BeautifulSoup | None]:
    """The spine's documents in order, the furniture among them, and the navigation document's name and
    parsed page (read once: nav_labels reads its contents too)."""
    manifest = {}
    nav = None
    for item in opf.iterfind("opf:manifest/opf:item", NS):
        href = inside_name(opf_name, item.get("href") or "")
        if href:
            manifest[item.get("id")] = (href, item.get("media-type") or "", item.get("properties") or "")
            if "nav" in (item.get("properties") or "").split():
                nav = href
    order = []
    for ref in opf.iterfind("opf:spine/opf:itemref", NS):
        entry = manifest.get(ref.get("idref"))
        if entry and ("html" in entry[1] or entry[0].lower().endswith((".xhtml", ".html", ".htm"))):
            order.append(entry[0])
    furniture = set()
    for ref in opf.iterfind("opf:guide/opf:reference", NS):
        if (ref.get("type") or "").lower() in FURNITURE_TYPES | {"copyright-page"}:
            name = inside_name(opf_name, (ref.get("href") or "").split("#")[0])
            furniture.add(name)
    soup = None
    if nav and files.exists(nav):
        furniture.add(nav)
        soup = parse_html(files.read(nav), xml=True)
        for link in soup.find_all("a", href=True):
            types = _epub_types(link)
            if types & FURNITURE_TYPES:
                furniture.add(inside_name(nav, link["href"].split("#")[0]))
    return order, furniture, nav, soup


def cover_name(opf, opf_name: str) -> str | None:
    """The package's cover picture, as a name inside the EPUB: the manifest item whose properties say
    `cover-image` (EPUB 3), else the one `<meta name="cover">` names (EPUB 2, as Calibre and FanFicFare
    write it), by its id or, as some tools write it, by its path."""
    items = {}
    for item in opf.iterfind("opf:manifest/opf:item", NS):
        href = inside_name(opf_name, item.get("href") or "")
        if href:
            if "cover-image" in (item.get("properties") or "").split():
                return href
            items[item.get("id")] = href
    named = next((m.get("content") for m in opf.iterfind("opf:metadata/opf:meta[@name='cover']", NS)), None)
    if not named:
        return None
    return items.get(named) or inside_name(opf_name, named)


def nav_labels(nav: str | None, soup: BeautifulSoup | None) -> dict[str, str]:
    """Each document the navigation document (`nav`, parsed as `soup`) links to from its contents, and
    the first label it is given there ("Preface"): a document without a heading is named by it (read_epub)."""
    if nav is None or soup is None:
        return {}
    tocs = [n for n in soup.find_all("nav") if "toc" in _epub_types(n)]
    labels: dict[str, str] = {}
    for link in (tocs[0] if tocs else soup).find_all("a", href=True):
        name = inside_name(nav, link["href"].split("#")[0])
        label = one_line(link.get_text(" "))
        if name and label:
            labels.setdefault(name, label)
    return labels


def text_beyond_headings(body) -> bool:
    """Whether a page holds any text outside its headings."""
    headings = ("h1", "h2", "h3", "h4", "h5", "h6", "hgroup")
    return any(text.strip() and not any(parent.name in headings for parent in text.parents)
               for text in body.find_all(string=True))


def _epigraph(body) -> bool:
    return any("epigraph" in _epub_types(el)
               for el in [body, *body.find_all(("section", "article", "div", "blockquote"), limit=3)])


def kobo_inner(body):
    """The document's own content inside the wrappers a Kobo kepub puts around it (`<div id="book-columns">
    <div id="book-inner">`), or the body where there are none."""
    columns = body.find("div", id="book-columns", recursive=False)
    inner = columns.find("div", id="book-inner", recursive=False) if columns is not None else None
    return inner if inner is not None else body


def _is_furniture(name: str, soup: BeautifulSoup, listed: set[str]) -> bool:
    if name in listed:
        return True
    stem = posixpath.splitext(posixpath.basename(name))[0].lower()
    if stem in FURNITURE_NAMES:
        return True
    body = soup.find("body")
    if body is None:
        return True
    if set(body.get("class") or []) & FURNITURE_CLASSES:
        return True
    outer = [body, *kobo_inner(body).find_all(("section", "article", "nav", "div"), recursive=False)]
    return any(_epub_types(el) & FURNITURE_TYPES for el in outer)


def _dedication(body, name: str, images: Images) -> str | None:
    """The text of a page marked as the dedication, for book.yaml. A heading that only says what the page
    is ("Dedication") is left out; one that names whom the book is for is its first line: Standard Ebooks
    heads a dedicatory letter with its addressee ("To M. Talleyrand Perigord, Late Bishop of Autun")."""
    for el in [body, *body.find_all(("section", "div"), recursive=False)]:
        if "dedication" in _epub_types(el):
            for h in el.find_all(("h1", "h2", "h3")):
                if one_line(h.get_text()).strip(" .:").casefold() in DEDICATION_TITLES:
                    h.decompose()
                else:
                    h.name, h.attrs = "p", {}
            return html_to_markdown(el, name, images).strip() or None
    return None


def read_epub(files: SourceFiles) -> ImportedBook:
    opf_name = package_path(files)
    opf = _xml(files, opf_name)
    images = Images(files)
    meta = opf_metadata(opf, images)
    meta["cover"] = images.cover(cover_name(opf, opf_name))
    order, furniture, nav, nav_soup = _spine(files, opf, opf_name)
    labels = nav_labels(nav, nav_soup)
    if len(order) > MAX_SPINE:  # 100,000 entries of one page made 100,000 chapters (2 GB, minutes)
        raise fail(files.origin, f"lists more than {MAX_SPINE:,} documents in its reading order: not a book this "
                   "tool will import", code=codes.TOO_LARGE)
    docs = [(name, parse_html(checked_page(files.read(name), files.origin, name), xml=True))
            for name in order if files.exists(name) and name != nav]
    if any(restyled_download(soup) for _, soup in docs[:3]):  # an archive download calibre converted again
        for _, soup in docs:
            restore_classes(soup)
    if any(is_archive_download(soup) for _, soup in docs[:3]):
        return _archive_epub(docs, images, meta)
    for _, soup in docs:  # before the notes are taken out: their passages in other languages marked too
        mark_languages(soup.find("body") or soup, meta.get("language"))
        unframe_told_text(soup)
    notes = Notes()
    notes.collect(docs, images)
    per_doc: list[tuple[list[ImportedChapter], bool, bool]] = []
    # The contents' label of the page before this one that has text of its own: a page named as it is
    # is the rest of a chapter split in two, named again. A page of headings alone does not count: Joyce's
    # Ulysses (Standard Ebooks) opens with its part "I", a heading alone, and then its untitled first
    # episode, which the contents also call "I"; read as that page named again, the episode was joined to
    # the second, and the book began at "II".
    named_before = None
    for name, soup in docs:
        label = labels.get(name)
        repeated = label is not None and label == named_before
        if _is_furniture(name, soup, furniture):
            continue
        body = kobo_inner(soup.find("body"))
        if text_beyond_headings(body):
            named_before = label
        dedication = _dedication(body, name, images)
        if dedication:
            meta["dedication"] = dedication
            continue
        if own.is_own_summary(body):  # an EPUB bookmaker made (own.py)
            own.own_summary(body, name, images, notes, meta)
            continue
        if own.is_own_end_notes(body):
            meta["end_notes"] = own.own_end_notes(body, name, images, notes)
            continue
        if own.is_own_chapter(body):
            per_doc.append(([own.own_chapter(body, name, images, notes)], True, False))
            continue
        had_heading = body.find(("h1", "h2", "h3", "h4", "h5", "h6", "hgroup")) is not None
        epigraph = _epigraph(body)
        named = not had_heading and bool(label) and not repeated and not epigraph and \
            bool(body.get_text(strip=True))  # a picture alone (Alice's frontispiece) goes with a neighbour
        found = chapters_from_root(body, name, images, notes, deepen=True, parts_only=True)  # takes the body's blocks out of it
        if named and found and not found[0].title:
            # A page the contents name but that has no heading of its own (Standard Ebooks' Dracula opens
            # with an untitled "Preface"): a chapter of its own, named as the contents name it. Joined to
            # the chapter after it, it was read as the first page of Jonathan Harker's journal.
            found[0].title, found[0].heading, had_heading = plain_title(label), label, True
        per_doc.append((found, had_heading, epigraph))
    chapters = _joined(per_doc)
    if not chapters:
        raise fail(files.origin, "holds no chapters with text (only a cover, title page or contents)", code=codes.BAD_SOURCE)
    meta.setdefault("title", None)
    return ImportedBook(meta, chapters, images.saved)


def _joined(per_doc: list[tuple[list[ImportedChapter], bool, bool]]) -> list[ImportedChapter]:
    """A document without a heading (a page of a chapter split in two) joins the chapter before it, an
    epigraph the chapter after it (Frankenstein's lines of Paradise Lost were the end of its preface)."""
    any_heading = any(had for _, had, _ in per_doc)
    chapters: list[ImportedChapter] = []
    pending = ""
    for found, had_heading, leads in per_doc:
        # A part's title page holds only its heading, which may be its number alone ("Part I": no title
        # left, chapters.plain_title): kept where the heading says it is a part, or Crime and Punishment's
        # six parts were lost without a word. A bare "I" (Ulysses' parts) is left to the contents' names.
        found = [c for c in found if c.body.strip() or (c.title and c.title.lower() not in NOTES_TITLES)
                 or (c.heading and OTHER_PART_RE.match(c.heading.strip()))]
        if not found:
            continue
        if any_heading and not had_heading:
            text = "\n\n".join(c.body.strip() for c in found)
            if chapters and not leads:
                chapters[-1].body = quotes_parted(chapters[-1].body.rstrip("\n") + "\n\n" + text + "\n")
            else:
                pending += text + "\n\n"
            continue
        if pending:
            found[0].body = quotes_parted(pending + found[0].body)
            pending = ""
        chapters.extend(found)
    if pending and chapters:  # an epigraph with no chapter after it: the last chapter's end
        chapters[-1].body = quotes_parted(chapters[-1].body.rstrip("\n") + "\n\n" + pending.rstrip("\n") + "\n")
    elif pending:
        chapters.append(ImportedChapter(body=pending))
    return chapters


def _archive_epub(docs, images: Images, meta: dict) -> ImportedBook:
    for name, soup in docs:
        for img in soup.find_all("img", src=True):
            resolved = inside_name(name, img["src"])
            if resolved:
                img["src"] = resolved
    notes = Notes()
    notes.collect(docs, images)
    merged = BeautifulSoup("<html><body></body></html>", "lxml")
    for _, soup in docs:
        body = soup.find("body")
        if body is not None:
            for child in list(body.children):
                merged.body.append(copy.copy(child))
    book = read_archive(merged, images, notes, language=meta.get("language"))
    for key in ("title", "author", "translator", "summary", "date", "series", "cover"):
        if not book.metadata.get(key) and meta.get(key):
            book.metadata[key] = meta[key]
    return book
