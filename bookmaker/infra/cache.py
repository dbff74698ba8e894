"""Where bookmaker keeps what it can make again: content-addressed entries, written atomically.

A cache never changes the output bytes; one that cannot be read or written only costs time.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


PACKAGE = Path(__file__).resolve().parent.parent


def cache_root() -> Path:
    if os.environ.get("BOOKMAKER_CACHE_DIR"):
        return Path(os.environ["BOOKMAKER_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "bookmaker"


def write_entry(path: Path, data: bytes) -> None:
    """Write a cache entry whole or not at all (two builds at once may write the same one)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError:
        pass  # a cache that cannot be written only costs time


def cached_bytes(entry: Path | None, make: Callable[[], bytes], valid: Callable[[bytes], bool] = bool) -> bytes:
    """The bytes kept at `entry`, if any are there and `valid`; else `make()`, kept there (`entry` None:
    nothing is kept)."""
    if entry is not None:
        try:
            data = entry.read_bytes()
            if valid(data):
                return data
        except OSError:
            pass
    data = make()
    if entry is not None:
        write_entry(entry, data)
    return data


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of bookmaker's own code and templates: what caches are keyed by, so a changed bookmaker
    never reuses what an older one made, even under the same version number (and a new version number
    alone changes nothing it makes)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in PACKAGE.rglob("*") if p.suffix in (".py", ".j2", ".css", ".json", ".yaml", ".md",
                                                                      ".yml") and "__pycache__" not in p.parts):
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]
