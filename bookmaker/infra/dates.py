"""The build's timestamp: SOURCE_DATE_EPOCH if set, else the newest source, so rebuilds are identical."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from bookmaker import codes
from bookmaker.errors import BookmakerError, Problem
from bookmaker.model import Book

UTC = dt.timezone.utc


def source_date_epoch() -> dt.datetime | None:
    """SOURCE_DATE_EPOCH as a time, None when unset; a malformed value is an error, as the
    reproducible-builds specification asks, rather than a build silently dated otherwise."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise BookmakerError([Problem("SOURCE_DATE_EPOCH", 1, f"must be a whole number of seconds since "
                                      f"1970-01-01 UTC, not '{value[:40]}'", code=codes.WRONG_TYPE)])
    try:
        return dt.datetime.fromtimestamp(int(value), UTC)
    except (OverflowError, OSError, ValueError):
        raise BookmakerError([Problem("SOURCE_DATE_EPOCH", 1, f"{value[:40]} seconds is after the year 9999", code=codes.BAD_SETTING)]
                             ) from None


def project_files(book: Book) -> list[Path]:
    """What the book is made of: book.yaml, the chapters, and every file in manuscript/ and styles/
    (images and the theme included, so changing a picture dates the book anew)."""
    files = list(book.sources)
    for folder in (book.manuscript, book.root / "styles"):
        if folder.is_dir():
            files += [p for p in folder.rglob("*") if not p.name.startswith(".")]
    return files


def build_time(book: Book) -> dt.datetime:
    epoch = source_date_epoch()
    if epoch is not None:
        return epoch
    newest = 0.0
    for path in project_files(book):
        try:
            newest = max(newest, path.stat().st_mtime)
        except OSError:
            pass
    return dt.datetime.fromtimestamp(int(newest), UTC)


def zip_time(when: dt.datetime) -> tuple[int, int, int, int, int, int]:
    """A zip entry's date: the format holds 1980 to 2107 only, so a date outside is moved to the nearest."""
    low, high = dt.datetime(1980, 1, 1, tzinfo=UTC), dt.datetime(2107, 12, 31, 23, 59, 58, tzinfo=UTC)
    return min(max(when, low), high).timetuple()[:6]
