"""An Archive of Our Own download (its HTML, or the EPUB calibre makes from that HTML), read in the shape of
the archive's own templates (otwarchive `app/views/downloads/`): the preface's metadata, each chapter's
heading, summary, notes and end notes, and the text without the archive's page furniture."""

from __future__ import annotations

import datetime as dt
import re

from bs4 import BeautifulSoup, Tag

from bookmaker.importers.chapters import plain_title
from bookmaker.importers.markdown import Images, Notes, html_to_markdown, one_line, with_footnotes
from bookmaker.importers.project import ImportedBook, ImportedChapter

# The tag groups the archive shows, singular and plural, in its order (Tag::VISIBLE).
TAG_GROUPS = ("Rating", "Ratings", "Archive Warning", "Archive Warnings", "Category", "Categories", "Fandom",
              "Fandoms", "Relationship", "Relationships", "Character", "Characters", "Additional Tags")
# The archive shows a language by its own name; the contract wants a BCP 47 tag.
LANGUAGES = {
    "english": "en", "español": "es", "français": "fr", "deutsch": "de", "italiano": "it", "português brasileiro":
    "pt-BR", "português europeu": "pt-PT", "русский": "ru", "polski": "pl", "nederlands": "nl", "svenska": "sv",
    "suomi": "fi", "dansk": "da", "norsk": "no", "čeština": "cs", "magyar": "hu", "türkçe": "tr", "tiếng việt": "vi",
    "bahasa indonesia": "id", "bahasa malaysia": "ms", "українська": "uk", "català": "ca", "română": "ro",
    "ελληνικά": "el", "עברית": "he", "العربية": "ar", "日本語": "ja", "한국어": "ko", "中文-普通话 國語": "zh",
    "中文-广东话 粵語": "yue", "ไทย": "th", "filipino": "fil", "esperanto": "eo", "latine": "la", "hrvatski": "hr",
    "slovenčina": "sk", "slovenščina": "sl", "srpski": "sr", "български": "bg", "lietuvių kalba": "lt",
    "latviešu valoda": "lv", "eesti keel": "et", "íslenska": "is", "gaeilge": "ga", "cymraeg": "cy",
    "euskara": "eu", "galego": "gl", "فارسی": "fa", "हिन्दी": "hi", "tlhingan-hol": "tlh", "toki pona": "tok",
}


def restyled_download(soup: BeautifulSoup) -> bool:
    """Whether `soup` is an archive download's preface page as calibre restyles it when it converts the
    download's EPUB again (its "EPUB to EPUB", and most of its other conversions): the body's class
    `calibre`, and under `#preface` a list of the archive's tag groups, whatever its class."""
    body = soup.find("body")
    preface = soup.find(id="preface")
    return (body is not None and preface is not None and "calibre" in (body.get("class") or [])
            and _lists_tags(preface))


def _lists_tags(el: Tag) -> bool:
    """Whether `el` holds a term of the archive's tag groups ("Rating:", "Fandom:"…)."""
    return any(_only(dt_el).rstrip(":").strip() in TAG_GROUPS for dt_el in el.find_all("dt"))


def restore_classes(soup: BeautifulSoup) -> None:
    """The archive's class names given back to a page of a download calibre restyled (restyled_download):
    its classes renamed (`calibre1`…) and merged, the tag list, the byline, each chapter's heading, notes
    and text lost the names read_archive finds them by, and the download came in as an EPUB of chapters,
    its preface page the first, its tags and notes lost. Its ids and labels stay: the names are given back
    from those."""
    body = soup.find("body")
    if body is None:
        return
    preface = soup.find(id="preface")
    furniture = [el for el in (preface, soup.find(id="afterword")) if el is not None]
    if preface is not None:
        for dl in preface.find_all("dl"):
            if _lists_tags(dl):
                _add_class(dl, "tags")
        for el in preface.find_all(["div", "p"]):
            if el.find("a", rel="author") is not None and re.match(r"^by\s", _only(el)):
                _add_class(el, "byline")
    for heading in soup.find_all("h2"):
        if any(f is heading or f in heading.parents for f in furniture) or heading.parent is None:
            continue
        meta = heading.parent
        if meta.name != "div" or meta is body:
            continue
        _add_class(heading, "heading")
        _add_class(meta, "meta")
        text = meta.find_next_sibling("div")
        if text is not None and not (text.get("id") or "").startswith("endnotes"):
            _add_class(text, "userstuff")
    for el in soup.find_all("div", id=re.compile(r"^endnotes\d+$")):
        _add_class(el, "meta")
    chapters = soup.find("div", id="chapters")
    if chapters is not None and chapters.find("h2") is None:  # a one-chapter work: its text alone
        _add_class(chapters, "userstuff")


def _add_class(el: Tag, name: str) -> None:
    classes = el.get("class") or []
    if name not in classes:
        el["class"] = [*classes, name]


def is_archive_download(soup: BeautifulSoup) -> bool:
    preface = soup.find(id="preface")
    if preface is not None and preface.find("dl", class_="tags") is not None:
        return True
    message = soup.find("p", class_="message")
    return soup.find("dl", class_="tags") is not None and message is not None and \
        "archive" in message.get_text().lower()


def is_archive_web_page(soup: BeautifulSoup) -> bool:
    """The work's page saved from a browser: the archive's navigation around it, no download preface."""
    return soup.find(id="workskin") is not None or (soup.find("dl", class_="work") is not None
                                                    and soup.find(id="main") is not None)


def _only(el: Tag | None) -> str:
    return one_line(el.get_text(" ")) if el is not None else ""


def written_date(text: str) -> str | None:
    """The ISO date of a date written as the archive (and a Word title block) writes one, else None."""
    for fmt in ("%Y-%m-%d", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _labelled_blockquotes(scope: Tag, label: str) -> list[Tag]:
    """The blockquotes after the `<p>label</p>` the archive writes above summaries and notes."""
    for p in scope.find_all("p"):
        if _only(p) == label and p.find_parent("blockquote") is None:
            out = []
            for sibling in p.find_next_siblings(True):
                if sibling.name == "blockquote":
                    out.append(sibling)
                elif "endnote-link" in (sibling.get("class") or []):
                    continue
                else:
                    break
            return out
    return []


def _markdown_of(quotes: list[Tag], images: Images, notes: Notes) -> str | None:
    text = "\n\n".join(with_footnotes(html_to_markdown(q.decode_contents(), "", images), notes).strip()
                       for q in quotes)
    return text.strip() or None


def _tags_and_facts(dl: Tag | None) -> tuple[dict, dict]:
    tags, facts = {}, {}
    if dl is None:
        return tags, facts
    for dt_el in dl.find_all("dt"):
        dd = dt_el.find_next_sibling("dd")
        label = _only(dt_el).rstrip(":").strip()
        if dd is None:
            continue
        if label in TAG_GROUPS:
            values = [_only(a) for a in dd.find_all("a")] or [v.strip() for v in _only(dd).split(", ")]
            tags[label] = [v for v in values if v]
        else:
            facts[label] = dd
    return tags, facts


def _series(dd: Tag | None) -> dict | None:
    if dd is None:
        return None
    link = dd.find("a")
    match = re.search(r"Part\s+([\d.]+)\s+of", _only(dd))
    name = _only(link) if link is not None else re.sub(r"^.*?Part\s+[\d.]+\s+of\s+", "", _only(dd)).split(", ")[0]
    if not name:
        return None
    number = match.group(1) if match else None
    return {"name": name, "number": int(number) if number and number.isdigit() else (float(number) if number
                                                                                       else 1)}


def _stats(dd: Tag | None, metadata: dict) -> None:
    text = _only(dd)
    if m := re.search(r"Published:\s*(\S+)", text):
        metadata["date"] = written_date(m.group(1))
    if m := re.search(r"(?:Updated|Completed):\s*(\S+)", text):
        metadata["updated"] = written_date(m.group(1))
    if m := re.search(r"Chapters:\s*([\d,]+)\s*/\s*([\d,]+|\?)", text):
        done, planned = m.group(1).replace(",", ""), m.group(2).replace(",", "")
        metadata["complete"] = planned != "?" and done == planned


def _authors(soup: BeautifulSoup) -> list[str]:
    byline = soup.find(class_="byline")
    if byline is None:
        return []
    names = [_only(a) for a in byline.find_all("a", rel="author")] or [_only(a) for a in byline.find_all("a")]
    if not names:
        names = re.sub(r"^by\s+", "", _only(byline)).split(", ")
    return [n for n in names if n]


def read_archive(soup: BeautifulSoup, images: Images, notes: Notes, language: str | None = None) -> ImportedBook:
    """`soup`: the download's HTML, or the documents of its EPUB in reading order, one after another."""
    prefaces = soup.find_all(id="preface")
    for extra in prefaces[1:]:  # calibre splits a preface into pages, each keeping its id: read as one
        for child in list(extra.children):
            prefaces[0].append(child.extract())
        extra.decompose()
    preface = soup.find(id="preface") or soup
    meta: dict = {}
    title_el = preface.find("h1") or soup.find("h1")
    message = soup.find("p", class_="message")
    meta["title"] = _only(title_el) or _only(message.find("b") if message else None) or \
        _only(soup.find("title")).split(" - ")[0]
    authors = _authors(soup)
    meta["author"] = authors[0] if len(authors) == 1 else (authors or ["Anonymous"])
    tags, facts = _tags_and_facts(preface.find("dl", class_="tags"))
    language_name = _only(facts.get("Language")).lower()
    meta["language"] = language or LANGUAGES.get(language_name)
    summary = _labelled_blockquotes(preface, "Summary")
    work_notes = _labelled_blockquotes(preface, "Notes")
    meta["summary"] = _markdown_of(summary, images, notes)
    meta["notes"] = _markdown_of(work_notes, images, notes)
    meta["tags"] = tags
    meta["series"] = _series(facts.get("Series"))
    _stats(facts.get("Stats"), meta)
    if message is not None:
        for link in message.find_all("a", href=True):
            if re.search(r"/works/\d+", link["href"]):
                meta["source"] = link["href"]
    afterword = soup.find(id="afterword")
    end = soup.find(id="endnotes")
    if end is not None:
        meta["end_notes"] = _markdown_of(end.find_all("blockquote"), images, notes)
    elif afterword is not None:
        meta["end_notes"] = _markdown_of(_labelled_blockquotes(afterword, "End Notes"), images, notes)
    chapters = _chapters(soup, preface, afterword, meta["title"], images, notes)
    return ImportedBook(meta, chapters, images.saved)


def _chapters(soup, preface, afterword, work_title, images, notes) -> list[ImportedChapter]:
    order = {id(el): n for n, el in enumerate(soup.find_all(True))}
    furniture = [el for el in (preface, afterword) if el is not None and el is not soup]

    def outside_furniture(el: Tag) -> bool:
        return not any(el is f or f in el.parents for f in furniture)

    # The text's own div: not the #chapters wrapper (itself "userstuff"), not a summary or notes quote.
    texts = [d for d in soup.find_all("div", class_="userstuff")
             if outside_furniture(d) and d.find_parent("blockquote") is None
             and d.find("div", class_="userstuff") is None]
    headings = [h for h in soup.find_all("h2", class_="heading") if h.find_parent(class_="meta") is not None
                and outside_furniture(h)]
    if not headings:
        body = "\n\n".join(with_footnotes(html_to_markdown(d, "", images), notes).strip() for d in texts)
        return [ImportedChapter(body=body + "\n", title=work_title)]
    chapters = []
    ends = [order[id(h)] for h in headings[1:]] + [len(order) + 1]
    for heading, end in zip(headings, ends):
        start = order[id(heading)]
        meta_div = heading.find_parent(class_="meta")
        body_divs = [d for d in texts if start < order[id(d)] < end]
        end_notes = [q for q in _after_label(soup, "Chapter End Notes", start, end, order)]
        chapter = ImportedChapter(
            body="\n\n".join(with_footnotes(html_to_markdown(d, "", images), notes).strip() for d in body_divs) + "\n",
            title=plain_title(_only(heading)),
            summary=_markdown_of(_labelled_blockquotes(meta_div, "Chapter Summary"), images, notes),
            notes=_markdown_of(_labelled_blockquotes(meta_div, "Chapter Notes"), images, notes),
            end_notes=_markdown_of(end_notes, images, notes))
        chapters.append(chapter)
    return chapters


def _after_label(soup, label, start, end, order) -> list[Tag]:
    for p in soup.find_all("p"):
        if start < order[id(p)] < end and _only(p) == label and p.find_parent("blockquote") is None \
                and p.find_parent("div", class_="meta") is not None:
            return [q for q in p.find_next_siblings("blockquote")]
    return []
