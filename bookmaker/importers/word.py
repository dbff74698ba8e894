"""A Word .docx through mammoth: chapters at Heading 1 (else Heading 2, else page breaks), the title and author
from a Title-styled paragraph or the document's properties, pictures saved with their alt text. Underlined
words come in in italics (mammoth drops an underline): a manuscript marks italics by underlining them."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import mammoth
from bs4 import BeautifulSoup
from lxml import etree

from bookmaker import codes
from bookmaker.importers.archive import written_date
from bookmaker.importers.chapters import HEADINGS, book_title_heading, chapters_from_root, heading_title, plain_title
from bookmaker.importers.longfile import BYLINE_RE, is_title_line, story_header, text_chapter_starts
from bookmaker.importers.markdown import Images, Notes, html_to_markdown, with_footnotes
from bookmaker.importers.project import ImportedBook, ImportedChapter
from bookmaker.importers.sources import ZipFiles, fail

STYLE_MAP = """
p[style-name='Title'] => h1.bookmaker-title:fresh
p[style-name='Subtitle'] => p.bookmaker-subtitle:fresh
p[style-name='Author'] => p.bookmaker-author:fresh
p[style-name='Date'] => p.bookmaker-date:fresh
br[type='page'] => hr.bookmaker-page-break
u => em
"""
PICTURE_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/svg+xml": ".svg",
                      "image/webp": ".webp"}
# Names Word and its libraries put in a document's properties when nobody typed one.
PLACEHOLDER_AUTHORS = {"python-docx", "microsoft office user", "unknown", "author", "user"}
DC = "http://purl.org/dc/elements/1.1/"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
RULE_NAMES = {"w": W, "v": "urn:schemas-microsoft-com:vml", "o": "urn:schemas-microsoft-com:office:office"}


def core_properties(files: ZipFiles) -> dict:
    if not files.exists("docProps/core.xml"):
        return {}
    try:
        root = etree.fromstring(files.read("docProps/core.xml"),
                                etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return {}
    found = {}
    for key in ("title", "creator", "language", "description"):
        el = root.find(f"{{{DC}}}{key}")
        if el is not None and (el.text or "").strip():
            found[key] = el.text.strip()
    return found


def read_docx(path: Path) -> ImportedBook:
    files = ZipFiles(path, "Word document")
    if not files.exists("word/document.xml"):
        raise fail(path, "is a zip file but not a Word document (it has no word/document.xml)", code=codes.BAD_SOURCE)
    props = core_properties(files)
    images = Images()

    def save_picture(image) -> dict:
        with image.open() as stream:
            data = stream.read()
        name = "picture" + PICTURE_EXTENSIONS.get(image.content_type, ".png")
        return {"src": images.add_bytes(data, name), "data-bookmaker-image": "1"}

    try:
        with open(path, "rb") as stream:
            data = _with_rules_as_scene_breaks(stream.read())
        result = mammoth.convert_to_html(io.BytesIO(data), style_map=STYLE_MAP,
                                         convert_image=mammoth.images.img_element(save_picture))
    except Exception as error:  # mammoth raises many kinds for a damaged document; each is bad input
        raise fail(path, f"cannot be read as a Word document ({type(error).__name__}: {error})", code=codes.BAD_SOURCE) from None
    soup = BeautifulSoup(f"<html><body>{result.value}</body></html>", "lxml")
    body = soup.body
    meta: dict = {}
    title_el = body.find("h1", class_="bookmaker-title")
    if title_el is not None:
        meta["title"] = plain_title(title_el.get_text(" ", strip=True)) or title_el.get_text(" ", strip=True)
        title_el.decompose()
    subtitle_el = body.find("p", class_="bookmaker-subtitle")
    if subtitle_el is not None:
        meta["subtitle"] = subtitle_el.get_text(" ", strip=True)
        subtitle_el.decompose()
    authors, dates = _title_block(body, "bookmaker-author"), _title_block(body, "bookmaker-date")
    first = body.find(True)
    if first is not None and first.name == "p" and re.match(r"^by\s+\S", first.get_text(strip=True), re.I) \
            and len(first.get_text()) < 120:
        meta["author"] = re.sub(r"^by\s+", "", first.get_text(" ", strip=True), flags=re.I)
        first.decompose()
    titled = "title" in meta or bool(props.get("title"))
    meta.setdefault("title", props.get("title") or path.stem.replace("_", " ").replace("-", " ").strip())
    creator = props.get("creator", "")
    if "author" not in meta and creator and creator.lower() not in PLACEHOLDER_AUTHORS:
        names = [n.strip() for n in re.split(r";|\band\b|&", creator) if n.strip()]
        meta["author"] = names[0] if len(names) == 1 else names
    if "author" not in meta and authors:
        meta["author"] = authors[0] if len(authors) == 1 else authors
    if dates and written_date(dates[0]):
        meta["date"] = written_date(dates[0])
    meta["language"] = props.get("language")
    if props.get("description"):
        meta["summary"] = props["description"]
    notes = Notes()
    notes.collect([("word/document.xml", soup)], images)
    lone = book_title_heading(body)
    if lone is not None:
        meta["title"] = meta.get("title") or heading_title(lone)
        lone.decompose()
    breaks = body.find_all("hr", class_="bookmaker-page-break")
    if body.find(HEADINGS) is None and breaks:
        chapters = _split_at_page_breaks(body, images, notes)
    else:
        for hr in breaks:
            hr.decompose()
        by_lines = body.find(HEADINGS) is None and _chapter_lines_as_headings(body)
        if by_lines and not titled:
            _title_line(body, meta)
        chapters = chapters_from_root(body, "word/document.xml", images, notes)
        if by_lines and len(chapters) > 1 and not chapters[0].title and not chapters[0].heading:
            # What the author typed above "Chapter 1" ("A/N: …"): the book's fields, as a plain text's are.
            if not story_header(chapters[0].body.split("\n"), meta, True):
                chapters = chapters[1:]
    chapters = [c for c in chapters if c.body.strip() or c.title]
    if not chapters:
        raise fail(path, "holds no text to import", code=codes.BAD_SOURCE)
    return ImportedBook(meta, chapters, images.saved)


def _with_rules_as_scene_breaks(data: bytes) -> bytes:
    """The document with each paragraph that holds only a horizontal rule made a `* * *` paragraph.

    pandoc writes a Markdown scene break (`* * *`) as a paragraph holding a VML rectangle marked `o:hr`,
    as Word's own Horizontal Line is; a rule drawn as an empty paragraph's bottom border is another form.
    mammoth reads no VML and drops empty paragraphs, so two scenes ran together. Other shapes and pictures,
    and a border under a paragraph with text, are left alone; a document without rules is read unchanged."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            parts = {info: z.read(info) for info in z.infolist()}
    except (zipfile.BadZipFile, KeyError, OSError):
        return data  # mammoth reports the damage
    info = next((i for i in parts if i.filename == "word/document.xml"), None)
    try:
        root = etree.fromstring(parts[info], etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    except (etree.XMLSyntaxError, KeyError):
        return data
    rules = [p for p in root.iter(f"{{{W}}}p") if _only_a_rule(p)]
    if not rules:
        return data
    for p in rules:
        for child in list(p):
            if child.tag != f"{{{W}}}pPr":
                p.remove(child)
        for border in p.findall("w:pPr/w:pBdr", RULE_NAMES):
            border.getparent().remove(border)
        etree.SubElement(etree.SubElement(p, f"{{{W}}}r"), f"{{{W}}}t").text = "* * *"
    parts[info] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for part, content in parts.items():
            z.writestr(part, content)
    return out.getvalue()


def _only_a_rule(p) -> bool:
    """Whether a paragraph holds no text and only a horizontal rule (VML `o:hr`, or its bottom border)."""
    if "".join(p.itertext()).strip() or p.find(".//w:drawing", RULE_NAMES) is not None:
        return False
    shapes = p.findall(".//w:pict/*", RULE_NAMES) + p.findall(".//w:object/*", RULE_NAMES)
    if shapes:
        return all(shape.get(f"{{{RULE_NAMES['o']}}}hr") in ("t", "true") for shape in shapes)
    sides = {side.tag.split("}")[1] for side in p.findall("w:pPr/w:pBdr/*", RULE_NAMES)
             if side.get(f"{{{W}}}val") not in (None, "nil", "none")}
    return sides == {"bottom"}  # a box's sides too: an empty line inside a boxed letter, not a rule


def _title_block(body, style_class: str) -> list[str]:
    """The text of each paragraph in a title block's style (`Author`, `Date`) before the first chapter, taken out.

    pandoc writes a Markdown story's title block so (`author: inkwellmoth` under `title:`), and each
    came in as a chapter of its own: "Chapter 1" holding only the pen name, before "Chapter 1: …"."""
    found = []
    for el in body.find_all("p", class_=style_class):
        if el.find_previous(HEADINGS) is None and el.find_previous("hr", class_="bookmaker-page-break") is None:
            if el.get_text(" ", strip=True):
                found.append(el.get_text(" ", strip=True))
            el.decompose()
    return found


def _chapter_lines_as_headings(body) -> bool:
    """Each paragraph a plain text's chapter would start at ("Chapter 1", "Chapter One: The Storm") made a heading.

    A story typed in Normal style, its chapters begun by such a line alone (bold or not) and no page break,
    came in as one chapter titled from the file's name, while the same text saved as .txt was split at them.
    The paragraphs are read as a text's lines, one blank line between each, by read_text's own rule."""
    blocks = [child for child in body.children if getattr(child, "name", None) == "p"]
    lines = []
    for block in blocks:
        lines += [" ".join(block.get_text(" ").split()), ""]
    starts = text_chapter_starts(lines)
    for n in starts:
        heading = BeautifulSoup("<h1></h1>", "lxml").h1
        heading.string = lines[n]
        blocks[n // 2].replace_with(heading)
    return bool(starts)


def _title_line(body, meta: dict) -> None:
    """The story's title from the paragraph before its first chapter line, where its properties name none, as a
    plain text's (is_title_line), with the "by NAME" after it or in it ("**The Storm** by quillfern").
    Left in, it was an untitled chapter 1 before the story's "Chapter 1"."""
    first = body.find(True)
    if first is None or first.name != "p":
        return
    text = " ".join(first.get_text(" ").split())
    following = first.find_next_sibling(True)
    after = " ".join(following.get_text(" ").split()) if following is not None and following.name == "p" else ""
    bold = first.find("strong")
    inline = re.match(r"^(?P<title>.{1,100}?)\s+by\s+(?P<author>\S.{0,60})$", text)
    if inline and bold is not None and " ".join(bold.get_text(" ").split()) == inline.group("title"):
        meta["title"] = plain_title(inline.group("title")) or inline.group("title")
        author, byline = inline.group("author"), None
    elif following is not None and following.name != "h1" and not BYLINE_RE.match(after):
        return
    elif is_title_line([text, after], 0, None):
        meta["title"], match, byline = plain_title(text) or text, BYLINE_RE.match(after), following
        author = match.group(1).strip() if match else None
    else:
        return
    if author and not meta.get("author"):
        meta["author"] = author
    if author and byline is not None:
        byline.decompose()
    first.decompose()


def _split_at_page_breaks(body, images: Images, notes: Notes) -> list[ImportedChapter]:
    pieces: list[list] = [[]]
    for child in list(body.children):
        if getattr(child, "name", None) == "hr" and "bookmaker-page-break" in (child.get("class") or []):
            pieces.append([])
            continue
        if getattr(child, "name", None) == "p" and child.find("hr", class_="bookmaker-page-break"):
            for hr in child.find_all("hr", class_="bookmaker-page-break"):
                hr.decompose()
        pieces[-1].append(child.extract())
    chapters = []
    for piece in pieces:
        holder = BeautifulSoup("<div></div>", "lxml").div
        for block in piece:
            holder.append(block)
        body_md = with_footnotes(html_to_markdown(holder, "word/document.xml", images), notes)
        if body_md.strip():
            chapters.append(ImportedChapter(body=body_md))
    return chapters
