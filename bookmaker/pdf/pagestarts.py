"""Where each printed page begins, as plain data for the EPUB's page list (model.PrintPages).

The print PDF's text is read page by page (pypdf); each page's first words are found, in order, in
the words of the book's pages as render/text.py counts them. Running heads and page numbers are not
in the book's text, so they never match; a page that begins with the second half of a hyphenated
word starts at its next whole word. Pages with no text of the book (blank pages, the printed
contents) get no start. Page numbers are the printed ones: 1 from the first chapter's first page.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import re

from bookmaker.infra.cache import cache_root, cached_bytes, code_version
from bookmaker.model import PageStart, PrintPages, RenderedBook
from bookmaker.render.text import page_words, word_key

WINDOW = 12  # words that must agree for a page to be placed (the printed contents repeats a heading)
SKIP = 16  # words at the top of a PDF page that may be a running head or a page number
USED = SKIP + WINDOW - 1  # page_starts reads no word of a page past these
HYPHEN_BREAK = re.compile(r"([^\W\d_])[-\u2010\u00ad]\s*\n\s*")


def pdf_page_words(pdf_data: bytes, cache: bool = True) -> list[list[str]]:
    """Each page's words: all of them, or at least the first USED.

    The PDF this process just made from chapters laid out in parallel (join.py) comes with each page's
    words, read from the layout itself (parts.py), and is not read again. Any other PDF is read page by
    page with pypdf, which is slow (it parses every operator): each page's words are kept in the cache
    under a digest of all that its text is read from, so after an edit only the pages that changed are
    read again."""
    import pypdf
    from pypdf import PdfReader

    known = written_words(pdf_data)
    if known is not None:
        return known
    root = cache_root() / "page-words" if cache else None
    memo: dict = {}
    pages = []
    for page in PdfReader(io.BytesIO(pdf_data)).pages:
        key = page_key(page, memo, pypdf.__version__) if root else ""
        pages.append(cached_words(root / key[:2] / f"{key}.words" if root else None,
                                  lambda page=page: text_words(page.extract_text() or "")))
    return pages


def text_words(text: str) -> list[str]:
    """A page's text as the words page_starts compares (its first USED): a word broken at the end of a
    line made whole again, each word as render/text.py keys it."""
    words: list[str] = []
    for word in HYPHEN_BREAK.sub(r"\1", text).split():
        key = word_key(word)
        if key:
            words.append(key)
            if len(words) == USED:
                break
    return words


def cached_words(entry, make) -> list[str]:
    """`make()`'s words, kept in the cache at `entry` (None: not kept): UTF-8 text, a first line that
    counts the words, then a line a word (a word never holds white space); an entry cut short is made
    again. Kept as JSON, parsed twice (once to check it), the 100,000-word book's 28 pages' words were
    read back in 12 ms on each edit, at the build's end; 6 ms so."""
    data = cached_bytes(entry, lambda: word_lines(make()), is_word_list)
    count, _, words = data.decode("utf-8").partition("\n")
    return words.split("\n") if int(count) else []


def word_lines(words: list[str]) -> bytes:
    return (str(len(words)) + "\n" + "\n".join(words)).encode("utf-8")


def is_word_list(data: bytes) -> bool:
    """Whether `data` is a whole entry of cached_words'."""
    count, _, words = data.partition(b"\n")
    try:
        data.decode("utf-8")
        return int(count) == (words.count(b"\n") + 1 if words else 0) and count.isdigit()
    except ValueError:
        return False


# The PDF this process wrote last (join.py; printshop.finish may pad it with blank pages), with each
# page's words as its layout gave them: its page list is read from them. Kept by the digest of its bytes.
_written: list = [None, None]


def remember_written(pdf_data: bytes, words: list[list[str]]) -> None:
    _written[:] = [hashlib.sha256(pdf_data).digest(), words]


def written_words(pdf_data: bytes) -> list[list[str]] | None:
    if _written[0] is not None and _written[0] == hashlib.sha256(pdf_data).digest():
        return _written[1]
    return None


def remember_padded(before: bytes, after: bytes, pages: int) -> None:
    """`after` is `before` with blank pages added to make `pages` (printshop.finish): the same words."""
    words = written_words(before)
    if words is not None and pages >= len(words):
        remember_written(after, words + [[] for _ in range(pages - len(words))])


# What a page's text does not depend on: font programs (the glyphs' shapes), and links up the page tree.
UNREAD = {"/FontFile", "/FontFile2", "/FontFile3", "/Parent", "/Annots", "/StructParents", "/Length", "/Filter",
          "/DecodeParms"}


def page_key(page, memo: dict, reader_version: str) -> str:
    """A digest of what pypdf reads a page's text from: its content, its resources (fonts with their
    encodings, widths and ToUnicode maps, forms drawn on it), its boxes and rotation."""
    digest = hashlib.sha256(f"{code_version()}\0pypdf {reader_version}".encode())
    for name in ("/Contents", "/Resources", "/MediaBox", "/CropBox", "/Rotate"):
        digest.update(name.encode() + object_digest(page.get(name), memo).encode())
    return digest.hexdigest()


def object_digest(value, memo: dict) -> str:
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

    ref = (value.idnum, value.generation) if isinstance(value, IndirectObject) else None
    if ref is not None:
        if ref in memo:
            return memo[ref]
        memo[ref] = "cycle"
        value = value.get_object()
    digest = hashlib.sha256(type(value).__name__.encode())
    if isinstance(value, StreamObject):
        digest.update(b"stream\0" + value.get_data())
    if isinstance(value, DictionaryObject):
        for key in sorted(value):
            if key not in UNREAD:
                digest.update(b"\0" + key.encode() + object_digest(value.raw_get(key), memo).encode())
    elif isinstance(value, ArrayObject):
        for item in value:
            digest.update(b"\0" + object_digest(item, memo).encode())
    elif not isinstance(value, StreamObject):
        digest.update(repr(value).encode())
    result = digest.hexdigest()
    if ref is not None:
        memo[ref] = result
    return result


# The words of the pages page_starts read last in this process, by their key: `watch` reads the cache's
# files again only for the pages an edit changed (reading them all was a third of an edit's page list).
_book_words: dict[str, list[str]] = {}


def book_words(body: str, cache: bool, used: dict[str, list[str]] | None = None) -> list[str]:
    """A rendered page's words, kept in the cache by the page's XHTML: after an edit, only the edited
    chapter's are counted again. `used`: the words read, by key, added to."""
    if not cache:
        return page_words(body)
    key = hashlib.sha256(f"{code_version()}\0book page\0{body}".encode()).hexdigest()
    words = _book_words.get(key)
    if words is None:
        words = cached_words(cache_root() / "page-words" / key[:2] / f"{key}.words", lambda: page_words(body))
    if used is not None:
        used[key] = words
    return words


def find(stream: list[str], window: list[str], start: int, limit: int) -> int:
    """The first place p, from `start` and before `start + limit`, where the words are `window`; -1. Its
    first word looked for by list.index (in C: a page's first words that are a running head or a number
    match nowhere, and a scan in Python of the 20,000 words after the cursor for each cost an edit's
    build a tenth of a second on a 100,000-word book)."""
    size, first = len(window), window[0]
    end = min(len(stream) - size + 1, start + limit)
    p = start
    while p < end:
        try:
            p = stream.index(first, p, end)
        except ValueError:
            return -1
        if stream[p:p + size] == window:
            return p
        p += 1
    return -1


def page_starts(rendered: RenderedBook, pdf_data: bytes, cache: bool = True) -> PrintPages:
    stream: list[str] = []
    owners: list[tuple[int, str, int]] = []  # (stream offset, page id, words before it in that page)
    used: dict[str, list[str]] = {}
    for page in rendered.pages:
        if page.kind in ("toc", "cover"):
            continue
        words = book_words(page.body, cache, used)
        owners.append((len(stream), page.id, len(words)))
        stream += words
    _book_words.clear()
    _book_words.update(used)
    first_chapter = next((p.id for p in rendered.pages if p.kind == "chapter"), None)
    # Until a page is found in the first chapter, a page is looked for no further than that chapter's
    # end: the printed contents come before it, and a line of theirs is a later chapter's heading. A
    # long one (Gulliver's Travels: "VIII: A further account of Glubbdubdrib, ancient and modern history
    # corrected.") matched that chapter, every page before it was then passed over, and the first
    # chapter's first page, the page numbers' 1, was never found: the EPUB's page list came out empty.
    place = next((i for i, owner in enumerate(owners) if owner[1] == first_chapter), None)
    first_start = owners[place][0] if place is not None else 0
    first_end = owners[place + 1][0] if place is not None and place + 1 < len(owners) else len(stream)
    reached_first = False
    found: list[tuple[int, int]] = []  # (pdf page index, stream position)
    cursor = 0
    for index, words in enumerate(pdf_page_words(pdf_data, cache)):
        for skip in range(min(SKIP, len(words))):
            window = words[skip:skip + WINDOW]
            if len(window) < min(WINDOW, len(words)) and skip:
                break
            at = find(stream, window, cursor, 20000 if reached_first else max(0, first_end - cursor))
            if at >= 0:
                found.append((index, at))
                cursor = at + 1
                reached_first = reached_first or at >= first_start
                break
    starts: list[PageStart] = []
    first_index = None
    offsets = [o[0] for o in owners]
    for index, at in found:
        owner = owners[bisect.bisect_right(offsets, at) - 1]
        if first_index is None and owner[1] == first_chapter:
            first_index = index
        if first_index is not None:
            starts.append(PageStart(index - first_index + 1, owner[1], at - owner[0]))
    m = rendered.book.metadata
    return PrintPages(tuple(starts), m.identifier)
