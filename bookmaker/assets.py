"""Images: resolved inside the project, verified to be images, named safely inside the book."""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from bookmaker.errors import Problems
from bookmaker.model import Asset

# 40 megapixels, as a 5000 x 8000 cover: far above what stores and e-readers show (Kindle's largest cover
# is 10,000 px on its long side, Apple Books asks for 4 million pixels); a picture above it is almost
# certainly a mistake, or a file made to exhaust memory when it is drawn.
MAX_PIXELS = 40_000_000
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
    candidate = base / ref_path
    real_root = root.resolve()
    try:
        real = candidate.resolve()
    except (OSError, RuntimeError):
        problems.error(where, line, f"image '{ref}' cannot be resolved")
        return None
    if not real.is_relative_to(real_root):
        problems.error(where, line, f"image '{ref}' is outside the project folder")
        return None
    if not real.is_file():
        problems.error(where, line, f"image '{ref}' not found")
        return None
    try:
        kind = sniff(real)
    except OSError as exc:
        problems.error(where, line, f"image '{ref}' cannot be read: {exc.strerror or exc}")
        return None
    if kind is None:
        problems.error(where, line, f"image '{ref}' is not a PNG, JPEG, GIF, WebP or SVG image")
        return None
    if kind[1] * kind[2] > MAX_PIXELS:
        problems.error(where, line, f"image '{ref}' is {kind[1]}x{kind[2]} pixels, over the "
                       f"{MAX_PIXELS // 1_000_000} megapixel limit; scale it down (2560 pixels on the long side "
                       "is plenty for any e-reader)")
        return None
    rel = PurePosixPath(real.relative_to(real_root).as_posix())
    if rel.parts and rel.parts[0] == "manuscript":
        rel = PurePosixPath(*rel.parts[1:])
    if rel.parts and rel.parts[0] == "images":
        rel = PurePosixPath(*rel.parts[1:])
    return Asset(real, book_href(rel), kind[0], kind[1], kind[2])
