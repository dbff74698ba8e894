"""RenderedBook → EPUB 3. The only module that imports ebooklib.

ebooklib packages the OPF, the NCX and the zip; every XHTML page is our own, already checked,
stored as a plain item so ebooklib cannot re-parse it.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from ebooklib import epub
from lxml import etree

from bookmaker.render import xhtml
from bookmaker.load.assets import packaged_bytes
from bookmaker.infra.cache import cache_root, cached_bytes, code_version
from bookmaker.infra.dates import build_time, zip_time
from bookmaker.render.labels import labels_for
from bookmaker.languages import right_to_left
from bookmaker.errors import BookmakerError
from bookmaker.model import RenderedBook
from bookmaker.infra.output import atomic_path, check_output
from bookmaker.epub import opf, pagelist
from bookmaker.epub.ziparchive import DeflateCache, zip_bytes
from bookmaker.render import accessibility

PAGE_TEMPLATE = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="{lang}" xml:lang="{lang}"{dir}>
<head>
<meta charset="utf-8"/>
<title>{title}</title>
<link rel="stylesheet" type="text/css" href="css/epub.css"/>
</head>
<body class="{kind}">
{body}
</body>
</html>
"""


def page_document(rendered: RenderedBook, page, cache: bool = False) -> bytes:
    """A page's XHTML file, with the print edition's page-break markers where there are. Kept in the
    cache by all it is made from: marking a page reads every word of it, and after an edit only the
    edited chapter's page (or those whose print pages moved) is made again."""
    lang = rendered.book.metadata.language
    direction = ' dir="rtl"' if right_to_left(lang) else ""
    starts = None
    if rendered.print_pages is not None and page.kind != "toc":
        starts = [s for s in rendered.print_pages.starts if s.page_id == page.id]
    entry = None
    if cache and page.kind != "toc":  # the contents' page list changes with every page number
        key = hashlib.sha256("\0".join((code_version(), "epub page", lang, page.title, page.kind, page.body,
                                         repr(starts))).encode()).hexdigest()
        entry = cache_root() / "epub-pages" / key[:2] / f"{key}.xhtml"
    return cached_bytes(entry, lambda: made_page(rendered, page, lang, direction, starts), later=True)


def made_page(rendered: RenderedBook, page, lang: str, direction: str, starts) -> bytes:
    body = page.body
    if rendered.print_pages is not None:
        if page.kind == "toc":
            body = pagelist.with_page_list(body, rendered)
        else:
            body = pagelist.with_markers(body, starts)
    text = PAGE_TEMPLATE.format(lang=xml_attr(lang), dir=direction, title=xml_text(page.title), kind=page.kind,
                                body=body)
    data = text.encode("utf-8")
    etree.fromstring(data)  # a page that is not well-formed is a bug: fail loudly, never ship it
    return data


def xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attr(text: str) -> str:
    return xml_text(text).replace('"', "&quot;")


def build_epub_book(rendered: RenderedBook, cache: bool = False) -> epub.EpubBook:
    book = rendered.book
    m = book.metadata
    eb = epub.EpubBook()
    eb.set_identifier(m.identifier)
    eb.title = m.title
    eb.add_metadata("DC", "title", m.title, {"id": "title"})
    eb.add_metadata(None, "meta", "main", {"refines": "#title", "property": "title-type"})
    eb.add_metadata(None, "meta", rendered.title_sort or m.title, {"refines": "#title", "property": "file-as"})
    if m.subtitle:
        eb.add_metadata("DC", "title", m.subtitle, {"id": "subtitle"})
        eb.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
    eb.set_language(m.language)
    for i, author in enumerate(m.authors, start=1):
        eb.add_author(author, role="aut", uid=f"creator-{i}")
        if i <= len(rendered.author_sorts):  # ebooklib's own file_as= writes a wrong scheme attribute
            eb.add_metadata(None, "meta", rendered.author_sorts[i - 1], {"refines": f"#creator-{i}",
                                                                         "property": "file-as"})
    for i, translator in enumerate(m.translators, start=1):  # a contributor is a translator by its role alone
        eb.add_metadata("DC", "contributor", translator, {"id": f"translator-{i}"})
        eb.add_metadata(None, "meta", "trl", {"refines": f"#translator-{i}", "property": "role",
                                              "scheme": "marc:relators"})
        if i <= len(rendered.translator_sorts):
            eb.add_metadata(None, "meta", rendered.translator_sorts[i - 1], {"refines": f"#translator-{i}",
                                                                             "property": "file-as"})
    if rendered.description:
        eb.add_metadata("DC", "description", rendered.description)
    for subject in m.subjects:
        eb.add_metadata("DC", "subject", subject)
    if m.date:
        eb.add_metadata("DC", "date", m.date.isoformat())
    for key in ("publisher", "rights", "source"):
        if getattr(m, key):
            eb.add_metadata("DC", key, getattr(m, key))
    if rendered.print_pages is not None:  # the print edition the page numbers come from
        eb.add_metadata("DC", "source", rendered.print_pages.source, {"id": "print-source"})
        eb.add_metadata(None, "meta", "pagination", {"refines": "#print-source", "property": "source-of"})
    if m.series:
        eb.add_metadata(None, "meta", m.series.name, {"property": "belongs-to-collection", "id": "series"})
        eb.add_metadata(None, "meta", "series", {"refines": "#series", "property": "collection-type"})
        eb.add_metadata(None, "meta", "", {"name": "calibre:series", "content": m.series.name})
        if m.series.number is not None:
            number = f"{m.series.number:g}" if isinstance(m.series.number, float) else str(m.series.number)
            eb.add_metadata(None, "meta", number, {"refines": "#series", "property": "group-position"})
            eb.add_metadata(None, "meta", "", {"name": "calibre:series_index", "content": number})
    add_accessibility(eb, rendered)

    css = rendered.epub_css
    if css.problems:
        raise BookmakerError(list(css.problems))
    eb.add_item(epub.EpubItem(uid="css", file_name="css/epub.css", media_type="text/css",
                              content=css.text.encode("utf-8")))
    for i, asset in enumerate(sorted(css.files, key=lambda a: a.href), start=1):
        eb.add_item(epub.EpubItem(uid=f"css-file-{i}", file_name=asset.href, media_type=asset.media_type,
                                  content=packaged_bytes(asset.source)))
    for i, asset in enumerate(sorted(rendered.assets, key=lambda a: a.href), start=1):
        content = asset.data if asset.data is not None else packaged_bytes(asset.source)
        if rendered.cover is not None and asset.source == rendered.cover.source:
            item = epub.EpubCover(uid="cover-image", file_name=asset.href)
            item.media_type = asset.media_type
            item.content = content
            eb.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})
        else:
            item = epub.EpubItem(uid=f"image-{i}", file_name=asset.href, media_type=asset.media_type,
                                 content=content)
        eb.add_item(item)
    spine, toc = [], []
    labels = labels_for(m.language)
    for page in rendered.pages:
        item = epub.EpubItem(uid=page.id, file_name=page.file_name, media_type="application/xhtml+xml",
                             content=page_document(rendered, page, cache))
        item.properties = ["nav"] if page.kind == "toc" else []
        eb.add_item(item)
        # The cover's page is out of the linear reading order (Kindle shows it as a second cover); the
        # landmarks link to it, so it stays reachable.
        spine.append((item, "no") if page.kind == "cover" else item)
        if page.in_toc:  # the entries of the nav document, in its order
            link = epub.Link(page.file_name, page.title, f"nav-{page.id}")
            toc.append((link, ncx_sections(page)) if page.sections else link)
        if page.kind == "cover":
            eb.guide.append({"type": "cover", "href": page.file_name, "title": labels.cover})
        elif page.kind == "toc":
            eb.guide.append({"type": "toc", "href": page.file_name, "title": labels.contents})
    first_chapter = next((p for p in rendered.pages if p.kind == "chapter"), None)
    if first_chapter:
        eb.guide.append({"type": "text", "href": first_chapter.file_name, "title": labels.start})
    eb.add_item(epub.EpubNcx())
    eb.toc = toc
    eb.spine = spine
    if right_to_left(m.language):
        eb.set_direction("rtl")
    return eb


def add_accessibility(eb: epub.EpubBook, rendered: RenderedBook) -> None:
    """Schema.org accessibility metadata that says what is true of this book's content."""
    alts = [img.get("alt") or "" for page in rendered.pages if page.kind != "cover" and "<img" in page.body
            for img in etree.fromstring(f'<div xmlns="{xhtml.XHTML}" xmlns:epub="{xhtml.OPS}">{page.body}</div>')
            .iter(xhtml.q("img"))]
    described = all(alt.strip() for alt in alts)  # no images at all: nothing left undescribed
    for mode in ["textual"] + (["visual"] if alts or rendered.book.metadata.cover else []):
        eb.add_metadata(None, "meta", mode, {"property": "schema:accessMode"})
    eb.add_metadata(None, "meta", "textual" if described else "textual,visual",
                    {"property": "schema:accessModeSufficient"})
    features = ["structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability"]
    if alts and described:
        features.append("alternativeText")
    if rendered.print_pages is not None:
        features += ["pageBreakMarkers", "pageNavigation", "printPageNumbers"]
    for feature in features:
        eb.add_metadata(None, "meta", feature, {"property": "schema:accessibilityFeature"})
    eb.add_metadata(None, "meta", "none", {"property": "schema:accessibilityHazard"})
    summary = "This book's text is fully navigable by its headings and contents"
    if not alts:
        summary += " and reflows to the reader's settings."
    elif described:
        summary += ", reflows to the reader's settings, and describes its images in text."
    else:
        summary += " and reflows to the reader's settings; some of its images have no text description."
    eb.add_metadata(None, "meta", summary, {"property": "schema:accessibilitySummary"})
    m = rendered.book.metadata
    # A conformance claim only when someone certifies it and every check bookmaker can make passes.
    if m.certified_by and not accessibility.unmet(rendered, "pdf" in m.formats, rendered.print_pages is not None):
        eb.add_metadata(None, "meta", accessibility.CONFORMS_TO, {"property": "dcterms:conformsTo"})
        eb.add_metadata(None, "meta", m.certified_by, {"property": "a11y:certifiedBy"})


def ncx_sections(page) -> list:
    """A chapter's sections as ebooklib's nested toc: (Link, [children]) where a section has its own."""
    root: list = []
    stack: list[tuple[int, list]] = [(0, root)]
    for depth, id_, text in page.sections:
        while stack[-1][0] >= depth:
            stack.pop()
        children: list = []
        stack[-1][1].append([epub.Link(f"{page.file_name}#{id_}", text, f"nav-{page.id}-{id_}"), children])
        stack.append((depth, children))

    def tidy(items):  # ebooklib wants a bare Link where there are no children
        return [(link, tidy(children)) if children else link for link, children in items]

    return tidy(root)


def ncx_depth(rendered: RenderedBook) -> int:
    return 1 + max((depth for p in rendered.pages if p.in_toc for depth, _id, _text in p.sections), default=0)


def with_ncx_depth(ncx: bytes, depth: int) -> bytes:
    """ebooklib writes dtb:depth 0 whatever the contents: older readers size their contents by it."""
    return ncx.replace(b'<meta content="0" name="dtb:depth"/>', f'<meta content="{depth}" name="dtb:depth"/>'.encode(), 1)


def epub_bytes(rendered: RenderedBook, cache: bool = True) -> bytes:
    """The finished EPUB: ebooklib's package, re-zipped with fixed order and timestamps."""
    when = build_time(rendered.book)
    raw = io.BytesIO()
    # ebooklib's zip is only an intermediate: it stores, and the repack below compresses once.
    writer = epub.EpubWriter(raw, build_epub_book(rendered, cache), {"raise_exceptions": True, "mtime": when,
                                                             "epub3_pages": False, "play_order": {"enabled": True},
                                                             "compresslevel": 0})
    writer.process()
    writer.write()
    lang = rendered.book.metadata.language
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src:
        names = src.namelist()
        order = ["mimetype", "META-INF/container.xml"] + [n for n in names if n not in
                                                          ("mimetype", "META-INF/container.xml")]
        entries = [("mimetype", b"application/epub+zip", False)]
        # <package> gets the book's language and direction, which ebooklib cannot write (Ace: epub-lang);
        # the NCX its true depth (ebooklib writes 0)
        depth = ncx_depth(rendered)
        entries += [(name, opf.fix_package_element(src.read(name), lang, right_to_left(lang))
                     if name.endswith(".opf") else with_ncx_depth(src.read(name), depth)
                     if name.endswith(".ncx") else src.read(name), True) for name in order[1:]]
    return zip_bytes(entries, zip_time(when), DeflateCache(cache_root() / "deflate" if cache else None))


def write_epub(rendered: RenderedBook, out: str | Path, shown: str | None = None, cache: bool = True) -> Path:
    """Build the EPUB into `out` atomically; returns the path written."""
    out = Path(out)
    shown = shown or str(out)
    check_output(out, shown, rendered.book.sources, rendered.book.root)
    data = epub_bytes(rendered, cache)
    with atomic_path(out, shown) as tmp:
        tmp.write_bytes(data)
    return out


def write_kepub(rendered: RenderedBook, out: str | Path, shown: str | None = None, cache: bool = True) -> Path:
    """Build Kobo's kepub (the EPUB with koboSpans and Kobo's wrappers) into `out` atomically."""
    from bookmaker.epub.kepub import kepubify

    out = Path(out)
    shown = shown or str(out)
    check_output(out, shown, rendered.book.sources, rendered.book.root)
    data = kepubify(epub_bytes(rendered, cache))
    with atomic_path(out, shown) as tmp:
        tmp.write_bytes(data)
    return out
