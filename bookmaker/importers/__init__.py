"""`bookmaker import`: a project made from a story that lives elsewhere (an Archive of Our Own download, any
EPUB, a Word file, one long Markdown, HTML or text file). The kind is read from the content, not the name."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path

from bookmaker import codes
from bookmaker.errors import BookmakerError
from bookmaker.importers.chapters import cased_titles, number_as_source
from bookmaker.importers.epub import read_epub
from bookmaker.importers.longfile import read_html, read_markdown, read_text
from bookmaker.importers.markdown import MARKS_RE, NOTE_TOKEN_RE
from bookmaker.importers.project import ImportedBook, target_folder, write_project
from bookmaker.importers.sources import MAX_TOTAL_BYTES, FolderFiles, ZipFiles, fail
from bookmaker.importers.word import read_docx

__all__ = ["import_source", "read_source"]

HTML_START_RE = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*(<!doctype\s+html|<html|<head|<body|<div|<p[\s>])",
                           re.I | re.S)


def import_source(source: str | Path, project: str | Path | None = None,
                  warn: Callable[[list], None] | None = None) -> Path:
    """Make a project folder from `source` and return it. `project` defaults to a folder named after the
    title in the current directory; an existing folder must be empty. Nothing is left behind on failure.
    What the import left out of the book is given to `warn` (warnings, as Problems) once the project is
    made. A folder named that cannot be made is said before the source is read (Leaves of Grass took
    1.5 s to convert before "folder does not exist")."""
    if project is not None:
        target_folder(project, "")
    book = read_source(source)
    made = write_project(book, project)
    if warn is not None and book.problems:
        warn(book.problems)
    return made


def read_source(source: str | Path) -> ImportedBook:
    path = Path(source)
    if not path.exists():
        raise fail(path, "no such file or folder", code=codes.BAD_SOURCE)
    try:
        book = _read(path)
    except BookmakerError:
        raise
    except RecursionError:
        raise fail(path, "is nested too deeply to read: not a book this tool will import", code=codes.BAD_SOURCE) from None
    except Exception as error:  # noqa: BLE001 - a source no reader here expected: one line, not a traceback
        raise fail(path, f"could not be imported ({type(error).__name__}: {error}); this is bookmaker's fault, "
                         "not the file's: please report it with the file", code=codes.BAD_SOURCE) from None
    _complete_metadata(book, path)
    number_as_source(book)
    cased_titles(book)
    without_marks(book)
    for chapter in book.chapters:
        chapter.body = lone_breaks(chapter.body)
    while len(book.chapters) > 1 and not book.chapters[-1].body.strip() and \
            re.sub(r"[\W_]+", " ", book.chapters[-1].title or "").strip().casefold() in END_WORDS:
        book.chapters.pop()  # "FIM" (Dom Casmurro), "THE END": the book's last word, no chapter of its own
    if not any(chapter.body.strip() for chapter in book.chapters):  # an archive download of its preface alone
        raise fail(path, "holds no text to import", code=codes.BAD_SOURCE)
    return book


# A heading that ends a book with nothing under it: its last word, which came in as an empty last chapter
# (Project Gutenberg's Dom Casmurro, "FIM"), which `check` then called a chapter without text.
END_WORDS = frozenset({"the end", "end", "finis", "fin", "fim", "fine", "ende", "einde", "slut", "slutt", "loppu",
                       "koniec", "konec", "vége", "sfârșit", "τέλος", "конец", "кінець", "fin du livre"})



BREAK = "* * *"


def lone_breaks(body: str) -> str:
    """A chapter's Markdown without a scene break at its start or end, or one right after another: the
    source's rules around what the import left out (a contents, a title page: The Complete Angler's first
    chapter ended in two), which a reader would see as ornaments between nothing."""
    blocks = body.split("\n\n")
    out: list[str] = []
    for block in blocks:
        if block.strip() == BREAK and (not out or out[-1].strip() == BREAK):
            continue
        out.append(block)
    notes = next((i for i, block in enumerate(out) if re.match(r"\[\^[^\]]+\]:", block)), len(out))  # definitions last
    while notes and out[notes - 1].strip() in (BREAK, ""):
        del out[notes - 1]
        notes -= 1
    text = "\n\n".join(out).rstrip("\n")
    return text + "\n" if text else ""


def without_marks(book: ImportedBook) -> None:
    """No mark of the importers' own (a note call's, a language's: private-use characters) left in the
    book: a call in a note placed where a note cannot be (a chapter title's note, set as the chapter's
    notes) is dropped, not printed as "\ue000774\ue001" (Standard Ebooks' The Art of War)."""
    def clean(text):
        return MARKS_RE.sub("", NOTE_TOKEN_RE.sub("", text)) if isinstance(text, str) else text

    for chapter in book.chapters:
        for key in ("body", "title", "summary", "notes", "end_notes"):
            setattr(chapter, key, clean(getattr(chapter, key)))
    for key, value in book.metadata.items():
        book.metadata[key] = [clean(v) for v in value] if isinstance(value, list) else clean(value)


def _read(path: Path) -> ImportedBook:
    if path.is_dir():
        if (path / "META-INF" / "container.xml").is_file() or any(path.glob("*.opf")) or \
                any(path.glob("*/*.opf")):
            return read_epub(FolderFiles(path))
        raise fail(path, "is a folder but not an unpacked EPUB (no META-INF/container.xml or .opf file in it)", code=codes.BAD_SOURCE)
    if path.stat().st_size > MAX_TOTAL_BYTES:
        raise fail(path, "is larger than 200 MB: not a book this tool will import", code=codes.TOO_LARGE)
    with open(path, "rb") as stream:
        head = stream.read(4096)
    suffix = path.suffix.lower()
    if head.startswith(b"PK"):
        return _read_zip(path)
    if suffix in (".epub", ".docx"):
        kind = "an EPUB" if suffix == ".epub" else "a Word document"
        raise fail(path, f"is not {kind}: {kind} is a zip file, and this one is not (a download cut short, "
                         "or a file renamed?)", code=codes.BAD_SOURCE)
    data = path.read_bytes()
    if b"\0" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise fail(path, "is a binary file of a kind this tool does not import (it reads EPUB, .docx, "
                         "HTML, Markdown and text)", code=codes.BAD_SOURCE)
    if suffix in (".html", ".htm", ".xhtml") or HTML_START_RE.match(data.lstrip(b"\xef\xbb\xbf")):
        return read_html(data, path)
    text = _decoded(data, path).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise fail(path, "is empty", code=codes.BAD_SOURCE)
    if suffix in (".md", ".markdown", ".mdown", ".mkd") or (suffix != ".txt" and re.search(r"(?m)^#{1,6} \S", text)):
        return read_markdown(text, path)
    if suffix in (".txt", ".text", "") or suffix not in (".pdf", ".doc", ".odt", ".rtf", ".mobi", ".azw3"):
        return read_text(text, path)
    raise fail(path, f"is a {suffix} file: this tool imports EPUB, .docx, HTML, Markdown and text files", code=codes.BAD_SOURCE)


def _read_zip(path: Path) -> ImportedBook:
    files = ZipFiles(path, "EPUB" if path.suffix.lower() == ".epub" else "zip file")
    names = set(files.names())
    if "word/document.xml" in names:
        return read_docx(path)
    if "META-INF/container.xml" in names or "mimetype" in names or any(n.endswith(".opf") for n in names):
        files.kind = "EPUB"
        return read_epub(files)
    raise fail(path, "is a zip file but neither an EPUB nor a Word document", code=codes.BAD_SOURCE)


def _decoded(data: bytes, path: Path) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:  # an odd byte left over, a half character: a damaged file, said as one
            raise fail(path, "is not valid UTF-16 text (it ends inside a character, or holds a half one): save "
                       "it as UTF-8 and import it again", code=codes.NOT_TEXT) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            line = data[:error.start].count(b"\n") + 1
            raise fail(path, "is not UTF-8 text: save it as UTF-8 and import it again", line, code=codes.NOT_TEXT) from None


def _complete_metadata(book: ImportedBook, path: Path) -> None:
    """What book.yaml requires, filled in where the source had none."""
    meta = book.metadata
    for key in ("title", "subtitle", "language", "source", "summary", "notes", "end_notes", "dedication",
                "publisher", "rights"):
        # A Markdown file's front matter as YAML read it: `language: 5` an int, `language: [en]` a list.
        if isinstance(meta.get(key), (int, float)) and not isinstance(meta[key], bool):
            meta[key] = str(meta[key])
        elif isinstance(meta.get(key), datetime.date):  # `title: 2020-01-01`
            meta[key] = meta[key].isoformat()
        elif meta.get(key) is not None and not isinstance(meta[key], str):
            meta[key] = None
    if isinstance(meta.get("author"), list):
        meta["author"] = [str(a) for a in meta["author"] if isinstance(a, (str, int, float)) and str(a).strip()] or None
    elif meta.get("author") is not None and not isinstance(meta["author"], str):
        meta["author"] = str(meta["author"]) if isinstance(meta["author"], (int, float)) else None
    if not meta.get("title"):
        meta["title"] = path.stem.replace("_", " ").replace("-", " ").strip() or "Untitled"
    if not meta.get("author"):
        meta["author"] = "Unknown"
    if isinstance(meta.get("author"), list) and len(meta["author"]) == 1:
        meta["author"] = meta["author"][0]
    if meta.get("language") and not re.match(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$", meta["language"]):
        meta["language"] = None
    for key in ("date", "updated"):
        if meta.get(key) and not re.match(r"^\d{4}-\d{2}-\d{2}$", str(meta[key])):
            meta[key] = None
        elif meta.get(key):
            meta[key] = str(meta[key])
    if meta.get("source") and not re.match(r"^https?://\S+$", meta["source"]):
        meta["source"] = None
