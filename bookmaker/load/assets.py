"""Images: resolved inside the project, verified to be images, named safely inside the book."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path, PurePosixPath

from bookmaker import codes
from bookmaker.errors import Problems
from bookmaker.model import Asset
from bookmaker.load.svg import NotSvg, clean_svg

# 40 megapixels, as a 5000 x 8000 cover: far above what stores and e-readers show (Kindle's largest cover
# is 10,000 px on its long side, Apple Books asks for 4 million pixels); a picture above it is almost
# certainly a mistake, or a file made to exhaust memory when it is drawn.
MAX_PIXELS = 40_000_000
MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
SVG = "image/svg+xml"
SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


CLEAN_FOLDER = re.compile(r"[a-z0-9_-]+")
CLEAN_FILE = re.compile(r"[a-z0-9_-]+\.[a-z0-9]+")


def book_href(rel: PurePosixPath, folder: str = "images", home: tuple[str, ...] = ("manuscript", "images"),
              unnamed: str = "image") -> str:
    """The file's name inside the book: ASCII, lower case, no spaces (some readers break on anything
    else), and never the same for two files, so no picture is packaged over another.

    A file under `home` (project-relative) whose path is already such a name keeps it; any other file
    is named from its path in the project: a readable ASCII version of its name, then a digest of the
    path. Digest names have two dots and kept names one, so the two kinds never meet.
    """
    parts = rel.parts
    inner = parts[len(home):]
    if parts[:len(home)] == home and inner and all(CLEAN_FOLDER.fullmatch(p) for p in inner[:-1]) \
            and CLEAN_FILE.fullmatch(inner[-1]):
        return f"{folder}/" + "/".join(inner)
    stem, dot, ext = parts[-1].rpartition(".") if "." in parts[-1] else (parts[-1], "", "")
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode().lower()
    clean = re.sub(r"[^a-z0-9_-]+", "-", ascii_stem).strip("-")[:40] or unnamed
    ext = re.sub(r"[^a-z0-9]", "", ext.lower()) or "bin"
    digest = hashlib.sha256(rel.as_posix().encode("utf-8", "surrogateescape")).hexdigest()[:10]
    return f"{folder}/{clean}.{digest}.{ext}"


def packaged_bytes(path: Path) -> bytes:
    """What the book carries of a file: an SVG cleaned of scripts and remote references, anything
    else as it is. Both writers package through this."""
    data = path.read_bytes()
    if is_svg(data[:4096]):
        return clean_svg(data)[0]
    return data


def is_svg(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf").lstrip().startswith(b"<") and b"<svg" in head


def sniff(path: Path) -> tuple[str, int, int] | None:
    """(media type, width, height) if the file really is an image we can package."""
    head = path.read_bytes()[:4096] if path.stat().st_size < 4096 else path.open("rb").read(4096)
    if is_svg(head):
        return (SVG, 0, 0)
    import warnings

    from PIL import Image, UnidentifiedImageError

    # Pillow warns, then refuses, at sizes it takes for decompression bombs: reading the header only,
    # the size is checked by the caller, against what a book can carry, with a message to act on.
    pillow_limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                fmt = img.format
                size = img.size
                if size[0] * size[1] <= MAX_PIXELS:
                    img.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
    finally:
        Image.MAX_IMAGE_PIXELS = pillow_limit
    if fmt not in MEDIA_TYPES:
        return None
    return (MEDIA_TYPES[fmt], size[0], size[1])


NAME_MAX = 255  # bytes in one file or folder name, on every common file system


def path_problem(ref: str) -> str | None:
    """Why `ref` cannot be a file's path at all, before the file system is asked (it would raise)."""
    if "\0" in ref:
        return "contains a NUL character, which no file name can hold"
    if any(len(os.fsencode(part)) > NAME_MAX for part in re.split(r"[/\\]", ref)):
        return f"has a name longer than {NAME_MAX} bytes, which no file system allows"
    return None


def resolve_path(root: Path, base: Path, ref: str, where: str, line: int, problems: Problems,
                 what: str = "image", relative_to: str = "the manuscript") -> Path | None:
    """The file `ref` (relative to `base`) if it is inside the project; else None with a problem.
    Nothing outside the project, and nothing remote, is ever read into a book."""
    code = codes.BAD_IMAGE if what == "image" else codes.STYLESHEET
    ref = ref.strip()
    if SCHEME_RE.match(ref) or ref.startswith("//"):
        problems.error(where, line, f"{what} '{ref}' is not a file in the project (remote {what}s are not fetched)", code)
        return None
    if os.path.isabs(ref) or ref.startswith("\\"):
        problems.error(where, line, f"{what} '{ref}' must be a path relative to {relative_to}, not absolute", code)
        return None
    from urllib.parse import unquote

    ref_path = unquote(ref.split("#")[0].split("?")[0])
    why = path_problem(ref_path)
    if why:
        problems.error(where, line, f"{what} '{ref}' {why}", code)
        return None
    try:
        real = (base / ref_path).resolve()
    except (OSError, RuntimeError, ValueError):
        problems.error(where, line, f"{what} '{ref}' cannot be resolved", code)
        return None
    if not real.is_relative_to(root.resolve()):
        problems.error(where, line, f"{what} '{ref}' is outside the project folder", code)
        return None
    try:
        found = real.is_file()
    except (OSError, ValueError) as exc:
        problems.error(where, line, f"{what} '{ref}' cannot be read: {getattr(exc, 'strerror', None) or exc}", code)
        return None
    if not found:
        problems.error(where, line, f"{what} '{ref}' not found{nearest_name(base / ref_path)}", code)
        return None
    return real


def nearest_name(missing: Path) -> str:
    """What to say after "not found": the file whose name differs only in letter case (found on a Mac
    or Windows, missing on Linux and in CI), else the nearest name in the same folder, else nothing."""
    import difflib

    try:
        names = sorted(p.name for p in missing.parent.iterdir()
                       if not p.name.startswith(".") and p.name != missing.name and p.is_file())
    except OSError:
        return ""
    same_case = [n for n in names if n.casefold() == missing.name.casefold()]
    if same_case:
        return (f": the file is '{same_case[0]}', which differs only in capital letters. A Mac or Windows "
                "ignores that, Linux and CI servers do not: write the name exactly as the file has it")
    # Compared without the extension they share, so '02-b.md' is not taken for '01-a.md'.
    stems = {Path(n).stem.casefold(): n for n in names if Path(n).suffix.casefold() == missing.suffix.casefold()}
    close = difflib.get_close_matches(missing.stem.casefold(), list(stems), n=1, cutoff=0.75)
    return f": did you mean '{stems[close[0]]}'?" if close else ""


def picture_kind(real: Path, ref: str, where: str, line: int, problems: Problems, what: str = "image",
                 expected: str = "a PNG, JPEG, GIF, WebP or SVG image") -> tuple[str, int, int] | None:
    """(media type, width, height) of a picture a book may carry, wherever it is named (a chapter, the
    cover, a stylesheet); else None with a problem: not a picture, too large, an SVG that is not one."""
    code = codes.BAD_IMAGE if what == "image" else codes.STYLESHEET
    try:
        kind = sniff(real)
    except (OSError, ValueError) as exc:
        problems.error(where, line, f"{what} '{ref}' cannot be read: {getattr(exc, 'strerror', None) or exc}", code)
        return None
    if kind is None:
        problems.error(where, line, f"{what} '{ref}' is not {expected}", code)
        return None
    if kind[1] * kind[2] > MAX_PIXELS:
        problems.error(where, line, f"{what} '{ref}' is {kind[1]}x{kind[2]} pixels, over the "
                       f"{MAX_PIXELS // 1_000_000} megapixel limit; scale it down (2560 pixels on the long side "
                       "is plenty for any e-reader)", codes.TOO_LARGE)
        return None
    if kind[0] == SVG:
        try:
            _, removed = clean_svg(real.read_bytes())
        except NotSvg as exc:
            problems.error(where, line, f"{what} '{ref}' is not a well-formed SVG image: {exc}", code)
            return None
        if removed:
            problems.warn(where, line, f"{what} '{ref}': removed {', '.join(removed)} from the SVG (books cannot "
                          "run scripts or fetch files)", "svg-cleaned")
    return kind


def resolve_image(root: Path, base: Path, ref: str, where: str, line: int, problems: Problems,
                  display_root: str) -> Asset | None:
    """The image `ref` (relative to `base`) as an Asset, or None with a problem recorded."""
    real = resolve_path(root, base, ref, where, line, problems)
    kind = picture_kind(real, ref.strip(), where, line, problems) if real is not None else None
    if kind is None:
        return None
    rel = PurePosixPath(real.relative_to(root.resolve()).as_posix())
    return Asset(real, book_href(rel), kind[0], kind[1], kind[2])
