"""Where bookmaker keeps what it can make again: content-addressed entries, written atomically.

A cache never changes the output bytes; one that cannot be read or written only costs time.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


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
