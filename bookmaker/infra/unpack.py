"""A project archive from a stranger (zip or tar.gz), unpacked without trusting a byte of it.

Refused, with a problem naming the member: absolute names, `..`, backslashes, links of any kind,
devices and pipes, too many members, a member or a total over the caps (counted as bytes are really
written, not as the archive declares them). A project is `manuscript/book.yaml` at the top, or inside
one top folder.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from bookmaker import codes
from bookmaker.errors import BookmakerError, Problem

MAX_MEMBERS = int(os.environ.get("BOOKMAKER_ARCHIVE_MAX_MEMBERS", 5_000))
MAX_MEMBER_BYTES = int(os.environ.get("BOOKMAKER_ARCHIVE_MAX_MEMBER_BYTES", 50 << 20))
MAX_TOTAL_BYTES = int(os.environ.get("BOOKMAKER_ARCHIVE_MAX_TOTAL_BYTES", 200 << 20))


def refuse(name: str, message: str) -> BookmakerError:
    return BookmakerError([Problem(f"archive:{name}" if name else "archive", 1, message, code=codes.BAD_ARCHIVE)])


def safe_name(name: str) -> PurePosixPath:
    if not name or "\\" in name or "\0" in name:
        raise refuse(name, "a name with a backslash or NUL: refused")
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or (path.parts and path.parts[0].endswith(":")):
        raise refuse(name, "a name outside the project (absolute, or with ..): refused")
    return path


def copy_capped(source, target: Path, name: str, total: list[int]) -> None:
    with open(target, "xb") as out:
        written = 0
        for block in iter(lambda: source.read(1 << 16), b""):
            written += len(block)
            total[0] += len(block)
            if written > MAX_MEMBER_BYTES:
                raise refuse(name, f"a file over {MAX_MEMBER_BYTES >> 20} MB unpacked: refused")
            if total[0] > MAX_TOTAL_BYTES:
                raise refuse(name, f"the archive unpacks to over {MAX_TOTAL_BYTES >> 20} MB: refused")
            out.write(block)


def members(data: bytes):
    """(name, kind, opener) for each member: kind "dir" or "file"; links and the rest refused."""
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        archive = zipfile.ZipFile(io.BytesIO(data))
        if len(archive.infolist()) > MAX_MEMBERS:  # known from the central directory: refused before any write
            raise refuse("", f"over {MAX_MEMBERS} members: refused")
        for info in archive.infolist():
            kind = stat.S_IFMT(info.external_attr >> 16)  # 0: an archiver that records no file type
            if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                raise refuse(info.filename, "a link or special file: refused (only files and folders)")
            yield info.filename, "dir" if info.is_dir() else "file", (lambda i=info: archive.open(i))
        return
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
    except tarfile.TarError:
        raise refuse("", "not a zip or tar.gz archive") from None
    with archive:
        for info in archive:
            if not (info.isfile() or info.isdir()):
                raise refuse(info.name, "a link or special file: refused (only files and folders)")
            yield info.name, "dir" if info.isdir() else "file", (lambda i=info: archive.extractfile(i))


def unpack(data: bytes, dest: Path) -> Path:
    """Unpack the archive into `dest` (which must be empty); the project folder inside it."""
    total, count = [0], 0
    try:
        for name, kind, opener in members(data):
            count += 1
            if count > MAX_MEMBERS:
                raise refuse("", f"over {MAX_MEMBERS} members: refused")
            target = dest.joinpath(*safe_name(name).parts)
            if kind == "dir":
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with opener() as source:
                copy_capped(source, target, name, total)
    except FileExistsError as exc:
        raise refuse(Path(exc.filename).relative_to(dest).as_posix(), "a name given twice: refused") from None
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, RuntimeError) as exc:
        raise refuse("", f"a damaged archive: {exc}") from None
    for root in (dest, *(p for p in dest.iterdir() if p.is_dir())):
        if (root / "manuscript" / "book.yaml").is_file():
            return root
    raise refuse("", "no manuscript/book.yaml at the top, nor inside one top folder")
