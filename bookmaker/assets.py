"""Images: resolved inside the project, verified to be images, named safely inside the book."""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from bookmaker.errors import Problems
from bookmaker.model import Asset

MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def book_href(rel: PurePosixPath) -> str:
    """ASCII names without spaces: some readers break on anything else inside the EPUB."""
    parts = []
    for part in rel.parts:
        stem, dot, ext = part.rpartition(".") if "." in part else (part, "", "")
        clean = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-") or "image"
        parts.append(clean + (dot + re.sub(r"[^A-Za-z0-9]", "", ext).lower() if dot else ""))
    return "images/" + "/".join(parts)


def sniff(path: Path) -> tuple[str, int, int] | None:
    """(media type, width, height) if the file really is an image we can package."""
    head = path.read_bytes()[:4096] if path.stat().st_size < 4096 else path.open("rb").read(4096)
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<") and b"<svg" in head:
        return ("image/svg+xml", 0, 0)
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            fmt = img.format
            size = img.size
            img.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
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


def resolve_image(root: Path, base: Path, ref: str, where: str, line: int, problems: Problems,
                  display_root: str) -> Asset | None:
    """The image `ref` (relative to `base`) as an Asset, or None with a problem recorded."""
    ref = ref.strip()
    if SCHEME_RE.match(ref) or ref.startswith("//"):
        problems.error(where, line, f"image '{ref}' is not a file in the project (remote images are not fetched)")
        return None
    if os.path.isabs(ref) or ref.startswith("\\"):
        problems.error(where, line, f"image '{ref}' must be a path relative to the manuscript, not absolute")
        return None
    from urllib.parse import unquote

    ref_path = unquote(ref.split("#")[0].split("?")[0])
    why = path_problem(ref_path)
    if why:
        problems.error(where, line, f"image '{ref}' {why}")
        return None
    candidate = base / ref_path
    real_root = root.resolve()
    try:
        real = candidate.resolve()
    except (OSError, RuntimeError, ValueError):
        problems.error(where, line, f"image '{ref}' cannot be resolved")
        return None
    if not real.is_relative_to(real_root):
        problems.error(where, line, f"image '{ref}' is outside the project folder")
        return None
    try:
        if not real.is_file():
            problems.error(where, line, f"image '{ref}' not found")
            return None
        kind = sniff(real)
    except (OSError, ValueError) as exc:
        problems.error(where, line, f"image '{ref}' cannot be read: {getattr(exc, 'strerror', None) or exc}")
        return None
    if kind is None:
        problems.error(where, line, f"image '{ref}' is not a PNG, JPEG, GIF, WebP or SVG image")
        return None
    rel = PurePosixPath(real.relative_to(real_root).as_posix())
    if rel.parts and rel.parts[0] == "manuscript":
        rel = PurePosixPath(*rel.parts[1:])
    if rel.parts and rel.parts[0] == "images":
        rel = PurePosixPath(*rel.parts[1:])
    return Asset(real, book_href(rel), kind[0], kind[1], kind[2])
