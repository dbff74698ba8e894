"""The files inside a source (a zip such as an EPUB or a .docx, or an unpacked folder), read without
ever leaving it: names that climb out are refused, and what a zip may unpack to is bounded."""

from __future__ import annotations

import itertools
import posixpath
import re
import zipfile
import zlib
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bookmaker import codes
from bookmaker.errors import BookmakerError, Problem

MAX_TOTAL_BYTES = 200 * 1024 * 1024  # far above any novel with pictures, far below a zip bomb's reach
MAX_ENTRIES = 20_000


def fail(path: str | Path, message: str, line: int = 1, *, code: str) -> BookmakerError:
    return BookmakerError([Problem(str(path), line, message, code=code)])


# One page of HTML (an EPUB's spine document, a long HTML file), read whole into a tree: the largest real
# ones seen are about 2 MB and 16,000 elements (Standard Ebooks' Divine Comedy, a part on one page). A 155 KB
# EPUB holding a page of 150 MB took 11 GB; one of 10 MB of empty <div>s, about 7 s a megabyte.
MAX_PAGE_BYTES = 32 * 1024 * 1024
MAX_PAGE_ELEMENTS = 250_000
MAX_SPINE = 5_000  # documents in an EPUB's reading order: the chapters a book may have (SECURITY.md)
ELEMENT_START_RE = re.compile(rb"<[A-Za-z]")


def checked_page(data: bytes, origin: str | Path, name: str | None = None) -> bytes:
    """`data`, an HTML page, where it is one a book could hold: else one error saying what it is."""
    what = f"'{name}'" if name else "it"
    if len(data) > MAX_PAGE_BYTES:
        raise fail(origin, f"{what} is a page of {len(data) / 2**20:.0f} MB, over the {MAX_PAGE_BYTES // 2**20} MB "
                   "a book's page holds: not a book this tool will import", code=codes.TOO_LARGE)
    if b"\0" in data:
        raise fail(origin, f"{what} holds NUL bytes, which no HTML page can: not a book this tool will import",
                   code=codes.BAD_SOURCE)
    elements = sum(1 for _ in itertools.islice(ELEMENT_START_RE.finditer(data), MAX_PAGE_ELEMENTS + 1))
    if elements > MAX_PAGE_ELEMENTS:
        raise fail(origin, f"{what} is a page of more than {MAX_PAGE_ELEMENTS:,} elements: not a book this tool "
                   "will import", code=codes.TOO_LARGE)
    return data


def inside_name(base: str, href: str) -> str | None:
    """The source-relative name `href` points to from the file `base`, or None when it leaves the source
    or is not a local file (a web address, a data: URL)."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(base), unquote(parts.path)))
    if joined.startswith("../") or joined == ".." or joined.startswith("/"):
        return None
    return joined


class SourceFiles:
    """A read-only view of a zip or a folder, by '/'-separated names relative to its root."""

    def __init__(self, origin: Path):
        self.origin = origin
        self._read_total = 0

    def names(self) -> list[str]:
        raise NotImplementedError

    def _raw(self, name: str) -> bytes | None:
        raise NotImplementedError

    def exists(self, name: str) -> bool:
        return name in self._name_set

    @property
    def _name_set(self) -> set[str]:
        if not hasattr(self, "_names_cache"):
            self._names_cache = set(self.names())
        return self._names_cache

    def read(self, name: str) -> bytes:
        data = self._raw(name)
        if data is None:
            raise fail(self.origin, f"'{name}' is named inside the source but is not in it", code=codes.BAD_SOURCE)
        self._read_total += len(data)
        if self._read_total > MAX_TOTAL_BYTES:
            raise fail(self.origin, "unpacks to more than 200 MB: not a book this tool will import", code=codes.TOO_LARGE)
        return data

    def text(self, name: str) -> str:
        data = self.read(name)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return data.decode("cp1252", errors="replace")


class ZipFiles(SourceFiles):
    def __init__(self, origin: Path, kind: str):
        super().__init__(origin)
        self.kind = kind
        try:
            self.zip = zipfile.ZipFile(origin)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            raise fail(origin, f"is not a complete {kind}: its zip directory is missing or damaged "
                               "(a download cut short?)", code=codes.BAD_SOURCE) from None
        if len(infos) > MAX_ENTRIES:
            raise fail(origin, f"holds more than {MAX_ENTRIES} files: not a {kind} this tool will import", code=codes.TOO_LARGE)
        if sum(info.file_size for info in infos) > MAX_TOTAL_BYTES:
            raise fail(origin, "unpacks to more than 200 MB: not a book this tool will import", code=codes.TOO_LARGE)
        self._infos = {}
        for info in infos:
            name = info.filename
            if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in re.split(r"[/\\]", name):
                raise fail(origin, f"holds a file named '{name}' that points outside the archive: refused", code=codes.OUTSIDE_PROJECT)
            if not info.is_dir():
                self._infos[name] = info

    def names(self) -> list[str]:
        return list(self._infos)

    def _raw(self, name: str) -> bytes | None:
        info = self._infos.get(name)
        if info is None:
            return None
        try:
            with self.zip.open(info) as stream:
                data = stream.read(info.file_size + 1)  # a header that under-states the size is not believed
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError):
            raise fail(self.origin, f"is a damaged {self.kind}: '{name}' cannot be unpacked", code=codes.BAD_SOURCE) from None
        if len(data) > info.file_size:
            raise fail(self.origin, f"is a damaged {self.kind}: '{name}' is larger than its zip entry says", code=codes.BAD_SOURCE)
        return data


class FolderFiles(SourceFiles):
    def __init__(self, origin: Path):
        super().__init__(origin)
        self.root = origin.resolve()

    def names(self) -> list[str]:
        out = []
        for path in sorted(self.root.rglob("*")):
            if len(out) > MAX_ENTRIES:
                raise fail(self.origin, f"holds more than {MAX_ENTRIES} files: not a book this tool will import", code=codes.TOO_LARGE)
            if path.is_file() and path.resolve().is_relative_to(self.root):
                out.append(path.relative_to(self.root).as_posix())
        return out

    def _raw(self, name: str) -> bytes | None:
        try:
            path = (self.root / name).resolve()
            if not path.is_relative_to(self.root) or not path.is_file():
                return None
        except (OSError, RuntimeError, ValueError):  # a link that loops, a name no file system takes
            return None
        if path.stat().st_size > MAX_TOTAL_BYTES:
            raise fail(self.origin, f"'{name}' is larger than 200 MB: refused", code=codes.TOO_LARGE)
        return path.read_bytes()


class SingleFile(SourceFiles):
    """A lone HTML file: the pictures beside it may be read, nothing above its folder."""

    def __init__(self, origin: Path):
        super().__init__(origin)
        self.folder = FolderFiles(origin.parent)
        self.name = origin.name

    def names(self) -> list[str]:
        return [self.name]

    def exists(self, name: str) -> bool:
        """Whether the folder holds `name`, a file inside it and in no hidden folder (`.ssh/id_rsa`); a name
        no file system takes (too long, a NUL in it) or a link that loops is none."""
        if any(part.startswith(".") for part in name.split("/")):
            return False
        try:
            return (self.folder.root / name).resolve().is_relative_to(self.folder.root) and \
                (self.folder.root / name).is_file()
        except (OSError, RuntimeError, ValueError):
            return False

    def _raw(self, name: str) -> bytes | None:
        return self.folder._raw(name)
