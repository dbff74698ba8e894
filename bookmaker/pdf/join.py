"""The parallel layout's last step: the front matter and the laid-out chapters joined into one PDF
with pypdf, each chapter's page numbers drawn over its pages, bookmarks and links between parts added,
and each typeface's subsets merged into one (pdffonts.py)."""

from __future__ import annotations

import hashlib
import io

from bookmaker.infra import memo
from bookmaker.pdf import fonts, pypdf_internals
from bookmaker.pdf.fonts import drop_unreachable, merge_fonts, reached_objects
from bookmaker.pdf.pagestarts import remember_written
from bookmaker.pdf.printshop import finish_writer, label_pages

PX_TO_PT = 0.75


class Join:
    """One PDF: the front matter (parts.Front), then each part (a chapter's parts.Body) with its page
    numbers drawn over it, each part opening on a right-hand page; finish() adds the links and labels,
    merges the fonts (kept in the cache with `cache`), finishes for print as printshop.finish() would
    (with `book`; its warnings returned) and writes it. Each page's words, from the layout, are
    remembered for the page list. `when`: the build's date (a datetime), for the document information
    (dated()).

    Made a step at a time, each part added in the book's order: the same steps in the same order make
    the same bytes, whenever each is taken. After an edit, the first steps are taken while a worker
    still lays out the chapter edited (parts.lay_out_flow)."""

    def __init__(self, front, when):
        from pypdf import PdfReader, PdfWriter

        pypdf_internals.names_written_once()
        self.front, self.when = front, when
        self.writer = writer = PdfWriter(clone_from=PdfReader(io.BytesIO(front.pdf)))
        dated(writer, when)
        self.width = float(writer.pages[0].mediabox.width)
        self.height = float(writer.pages[0].mediabox.height)
        self.save_state = pypdf_internals.add_object(writer, stream(b"q\n"))
        self.first_pages: dict[str, int] = {}
        self.anchors: dict[str, tuple[int, float, float, float]] = {}
        self.part_links: list = []
        self.readers = Readers()
        self.words: dict[int, list[str]] = dict(enumerate(front.words))  # a joined page's words; a blank page has none
        self.parts = 0  # how many are added

    def add(self, page, body, numbers) -> None:
        from pypdf.generic import Fit

        writer, height, anchors = self.writer, self.height, self.anchors
        if len(writer.pages) % 2:
            writer.add_blank_page(self.width, height)
        offset = len(writer.pages)
        self.first_pages[page.id] = offset
        reader = self.readers.get(body.pdf)
        self.words.update((offset + n, page_words) for n, page_words in enumerate(body.words))
        writer.append(reader, import_outline=False)
        stamp_numbers(writer, self.readers.get(numbers), offset, self.save_state)
        parents = [(0, writer.add_outline_item(title=page.title, page_number=offset, fit=Fit.xyz(0, height, 0)))]
        for name, (number, x, y) in body.anchors.items():
            anchors[name] = (offset + number, x, y, body.height)
        for depth, section_id, text in page.sections:  # nested under the chapter, as in the contents
            to_page, x, y, part_height = anchors.get(f"{page.id}--{section_id}", (offset, 0, 0, 0))
            while parents[-1][0] >= depth:
                parents.pop()
            top = (part_height - y) * PX_TO_PT if part_height else height
            parents.append((depth, writer.add_outline_item(title=text, page_number=to_page, parent=parents[-1][1],
                                                           fit=Fit.xyz(0, top, 0))))
        self.part_links += [(offset + number, rect, target, body.height) for number, rect, target in body.links]
        self.parts += 1
        self.readers.done_with_part()

    def finish(self, front_links, book=None, cache: bool = False) -> tuple[bytes, list]:
        from pypdf.annotations import Link
        from pypdf.generic import Fit

        writer, anchors, height = self.writer, self.anchors, self.height
        for page_id, first in self.first_pages.items():
            anchors.setdefault(page_id, (first, 0, 0, 0))
        links = [(n, rect, target, self.front.height) for n, rect, target in front_links] + self.part_links
        for number, (x1, y1, x2, y2), target, page_height in links:
            if target not in anchors:
                continue
            to_page, x, y, target_height = anchors[target]
            page_height_pt = page_height * PX_TO_PT
            top = target_height * PX_TO_PT - y * PX_TO_PT if target_height else height
            writer.add_annotation(number, Link(
                rect=(x1 * PX_TO_PT, page_height_pt - y2 * PX_TO_PT, x2 * PX_TO_PT, page_height_pt - y1 * PX_TO_PT),
                target_page_index=to_page, fit=Fit.xyz(x * PX_TO_PT, top, 0)))
        label_pages(writer, min(self.first_pages.values(), default=None))
        self.readers.keep()
        merge_fonts(writer, cache)
        drop_unreachable(writer)
        problems = finish_writer(writer, book) if book is not None else []
        # The front matter's second identifier was a digest of the front matter alone, as WeasyPrint wrote
        # it: the joined book's is a digest of everything joined, so it changes with any chapter.
        identity = hashlib.md5(self.front.pdf + self.when.isoformat().encode() + b"".join(self.readers.keys),
                               usedforsecurity=False)
        pypdf_internals.set_changing_identifier(writer, identity.hexdigest().encode())
        out = io.BytesIO()
        writer.write(out)
        data = out.getvalue()
        remember_written(data, [self.words.get(n, []) for n in range(len(writer.pages))])
        return data, problems


def dated(writer, when) -> None:
    """The build's date in the document information, as WeasyPrint writes it from the front matter's
    dcterms.created and dcterms.modified, and after what it writes there. The front matter is laid out
    without them (html.document_html, `dated`): so its layout is cached by its pages alone, and an edit
    that moves no page (its date is the newest source's) does not lay the front matter out again."""
    stamp = when.strftime("D:%Y%m%d%H%M%SZ")
    writer.add_metadata({"/CreationDate": stamp, "/ModDate": stamp})


class Readers:
    """Each part's PDF parsed (pypdf), kept from one join to the next in this process: in `watch`, an
    edit parses only the parts it changed. Only the last join's are kept, and those read ahead of it
    (read_ahead); a reader is only read from (writer.append and stamp_numbers copy its objects), so
    sharing it changes no byte."""

    last: dict[bytes, object] = {}
    ahead: dict[bytes, object] = {}

    def __init__(self):
        self.used: dict[bytes, object] = {}
        self.keys: list[bytes] = []  # the digest of each PDF asked for, in order: what the join is made of

    def get(self, data: bytes):
        key = hashlib.sha256(data).digest()
        self.keys.append(key)
        reader = self.used.get(key) or Readers.ahead.get(key) or Readers.last.get(key)
        if reader is None:
            reader = parsed(data)
        self.used[key] = reader
        return reader

    def done_with_part(self) -> None:
        """A part is added. Outside `watch` (memo.session) no later join in this process will ask for its
        readers, and pypdf's writer keeps each reader it copied from alive as long as itself: each reader's
        parsed objects are let go now (PdfReader.close()), not held to the end of the build."""
        if memo.active():
            return
        for key, reader in self.used.items():
            # Never handed out again once closed: a join begun again (parts.lay_out_flow) parses it anew,
            # and so does a later build in this process that a watch session before it had left it to.
            Readers.ahead.pop(key, None)
            Readers.last.pop(key, None)
            reader.close()
        self.used.clear()

    def keep(self) -> None:
        Readers.last, Readers.ahead = self.used, {}


def parsed(data: bytes):
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(data))


def read_ahead(data: bytes) -> None:
    """A part's PDF parsed now, every object it holds, for the next join in this process: done while the
    layout workers lay out the chapters (parts.lay_out_flow), it takes two thirds of the join's appending
    off the build's end (60 parts: appended in 0.38 s parsed as they go, 0.13 s parsed ahead)."""
    key = hashlib.sha256(data).digest()
    if key in Readers.ahead or key in Readers.last:
        return
    reader = parsed(data)
    reached = reached_objects([reader.trailer], lambda ref: ref.get_object())
    Readers.ahead[key] = reader
    fonts.read_ahead(reader, reached)


def stream(data: bytes, entries: dict | None = None):
    from pypdf.generic import DecodedStreamObject

    obj = DecodedStreamObject()
    obj.set_data(data)
    obj.update(entries or {})
    return obj


def stamp_numbers(writer, numbers, offset: int, save_state) -> None:
    """Draw each page of `numbers` over the body page at `offset` + its index, as a form XObject: the
    numbers keep their own resources, and the body's graphics state is restored before they are drawn."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    for number, source in enumerate(numbers.pages):
        contents = source["/Contents"].get_object()
        parts = contents if isinstance(contents, list) else [contents]
        data = b"\n".join(part.get_object().get_data() for part in parts)
        if b"BT" not in data:
            continue  # nothing drawn: an opening page, which has no number
        resources = source["/Resources"]
        form = stream(data, {
            NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(source.mediabox), NameObject("/Resources"): resources.clone(writer),
        }).flate_encode()
        name = f"/BookmakerPageNumber{number}"
        page = writer.pages[offset + number]
        page_resources = page["/Resources"].get_object()
        if "/XObject" not in page_resources:
            page_resources[NameObject("/XObject")] = DictionaryObject()
        page_resources["/XObject"].get_object()[NameObject(name)] = pypdf_internals.add_object(writer, form)
        # References, never the streams themselves: a stream written inside an array is not a PDF.
        raw = page.raw_get("/Contents")
        body = list(raw.get_object()) if isinstance(raw.get_object(), list) else [raw]
        draw = pypdf_internals.add_object(writer, stream(f"Q q {name} Do Q\n".encode()))
        page[NameObject("/Contents")] = ArrayObject([save_state, *body, draw])
