"""Atomic output: a build writes a temporary file beside the target and renames it into place."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from bookmaker import codes
from bookmaker.errors import BookmakerError, Problem
from bookmaker.infra.processes import process_alive

TEMP_MARK = ".bookmaker-tmp-"
NAME_MAX = 255  # bytes in one file or folder name (load/assets.py checks the manuscript's against it too)


# Letters no decomposition takes to ASCII, as their languages spell them without: "Schluß" made "schlu".
UNDECOMPOSED = str.maketrans({"ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
                              "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D"})


def ascii_words(text: str) -> list[str]:
    """A title's words in lower-case ASCII, for a file name safe on every system and inside an EPUB:
    accents dropped ("Café" -> "cafe"), an apostrophe inside a word dropped ("Garnet's" -> "garnets"),
    and any other punctuation or space parting words, those ASCII lacks too ("Narrative\u2060\u2014Has",
    dropped with the rest of what ASCII lacks, had made "narrativehas")."""
    text = text.replace("'", "").replace("\u2019", "").translate(UNDECOMPOSED)
    text = "".join(" " if ord(c) > 127 and unicodedata.category(c)[0] in "PSZ" else c for c in text)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.findall(r"[a-z0-9]+", ascii_text.lower())


def check_output(out: Path, shown: str, sources, project: Path | None = None) -> None:
    """Refuse, before any work, an output that would overwrite a source or cannot be written."""
    resolved = out.resolve()
    for source in sources:
        if source.resolve() == resolved:
            raise BookmakerError([Problem(shown, 1, "output file is one of the book's sources; choose another -o", code=codes.BAD_OUTPUT)])
    if project is not None:
        leads_out(out, shown, project)
        # Everything in manuscript/ and styles/ is a source, or would become one (a new *.md is a chapter).
        for folder in ("manuscript", "styles"):
            if resolved.is_relative_to((project / folder).resolve()):
                raise BookmakerError([Problem(shown, 1, f"output would be written into the book's {folder}/ "
                                              "folder, among its sources; choose another -o (default: dist/)", code=codes.BAD_OUTPUT)])
    if out.exists() and out.is_dir():
        raise BookmakerError([Problem(shown, 1, "output is a folder; give a file name", code=codes.UNREADABLE)])
    if resolved.exists() and not resolved.is_file():
        raise BookmakerError([Problem(shown, 1, "output is not a regular file (a device, pipe or socket); "
                                      "give a file name", code=codes.BAD_OUTPUT)])


def leads_out(out: Path, shown: str, project: Path) -> None:
    """An output inside the project (the default dist/, or -o there) written through a symbolic link
    (dist/ itself, a folder in it, or the file) that leads out of the project is refused: a stranger's
    project must not choose a file elsewhere for the build to overwrite. An -o outside the project is
    the caller's own choice, and its links are followed."""
    absolute, root = Path(os.path.abspath(out)), Path(os.path.abspath(project))
    if not absolute.is_relative_to(root):
        return
    try:
        real = absolute.resolve()
        real_root = root.resolve()
    except (OSError, RuntimeError):
        real, real_root = None, None
    if real is None or not real.is_relative_to(real_root):
        raise BookmakerError([Problem(shown, 1, "output would be written through a symbolic link that leads out of "
                                      "the project folder; remove the link (dist/ is bookmaker's to write)",
                                      code=codes.OUTSIDE_PROJECT)])


def check_chosen_folder(out: Path, shown: str, project: Path) -> None:
    """An output the author named (-o) outside the project goes into a folder that exists: a typo in
    a path never makes a tree of folders somewhere. Inside the project (dist/...) folders are made. A
    path no file system takes (a name over 255 bytes, a NUL) is refused here, before Path.is_dir() raises."""
    if any(len(os.fsencode(part)) > NAME_MAX for part in out.parts):  # before dist/ is made for it
        raise BookmakerError([Problem(shown, 1, f"cannot write here: a name longer than {NAME_MAX} bytes, which no "
                                      "file system allows", code=codes.BAD_OUTPUT)])
    try:
        os.lstat(out)
    except (FileNotFoundError, NotADirectoryError):
        pass  # not there yet, or under a file: said below
    except ValueError:
        raise BookmakerError([Problem(shown, 1, "cannot write here: the path contains a NUL character, which no "
                                      "file name can hold", code=codes.BAD_OUTPUT)]) from None
    except OSError as exc:
        raise BookmakerError([Problem(shown, 1, f"cannot write here: {exc.strerror or exc}", code=codes.BAD_OUTPUT)]) from None
    blocking = next((p for p in (out.parent, *out.parent.parents) if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise BookmakerError([Problem(shown, 1, f"cannot write here: {blocking} is a file, not a folder", code=codes.BAD_OUTPUT)])
    if not out.parent.exists() and not out.parent.absolute().is_relative_to(project.absolute()):
        raise BookmakerError([Problem(shown, 1, f"folder {out.parent} does not exist: create it, or leave out -o "
                                      "to write into the project's dist/", code=codes.BAD_OUTPUT)])


@contextlib.contextmanager
def atomic_path(out: Path, shown: str) -> Iterator[Path]:
    """Yields a temporary path; on success it replaces `out` (the file a symbolic link at `out` points
    to, if any), on failure it is removed. Failing writes (disk full, file too large) are problems."""
    out = out.resolve() if out.is_symlink() else out
    folder = out.parent
    blocking = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise BookmakerError([Problem(shown, 1, f"cannot write here: {blocking} is a file, not a folder", code=codes.BAD_OUTPUT)])
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BookmakerError([Problem(shown, 1, f"cannot create the output folder: {exc.strerror or exc}", code=codes.CANNOT_WRITE)]) from None
    clean_stale(folder)
    try:
        # Not named after the output: a long output name plus a suffix could pass the file name limit.
        fd, name = tempfile.mkstemp(prefix=f"{TEMP_MARK}{os.getpid()}-", suffix=out.suffix[:16], dir=folder)
    except OSError as exc:
        raise BookmakerError([Problem(shown, 1, f"cannot write the output: {exc.strerror or exc}", code=codes.CANNOT_WRITE)]) from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        # Not fsync'ed: the rename alone makes the output whole or absent for every reader, and ext4
        # (auto_da_alloc), XFS and btrfs write a file's data before a rename over an older one. Forcing
        # it to disk flushed the whole journal, the cache entries the build had just written with it:
        # 0.15 s an output on an edit, a tenth of the build. What a power cut loses, a build makes again.
        mode = 0o666 & ~current_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, out)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise BookmakerError([Problem(shown, 1, f"cannot write the output: {exc.strerror or exc}", code=codes.CANNOT_WRITE)]) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def clean_stale(folder: Path) -> None:
    """Temporary files left by a build that was killed: removed if their process is gone."""
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            if TEMP_MARK not in entry.name:
                continue
            pid = entry.name.split(TEMP_MARK, 1)[1].split("-", 1)[0]
            if pid.isdigit() and not process_alive(int(pid)):
                with contextlib.suppress(OSError):
                    entry.unlink()
