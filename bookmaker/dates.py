"""The build's timestamp: SOURCE_DATE_EPOCH if set, else the newest source, so rebuilds are identical."""

from __future__ import annotations

import datetime as dt
import os

from bookmaker.model import Book


def build_time(book: Book) -> dt.datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    newest = 0.0
    for path in book.sources:
        try:
            newest = max(newest, path.stat().st_mtime)
        except OSError:
            pass
    if book.metadata.cover is not None:
        newest = max(newest, book.metadata.cover.source.stat().st_mtime)
    # Zip timestamps cannot go before 1980.
    return max(dt.datetime.fromtimestamp(int(newest), dt.timezone.utc),
               dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc))
