"""A deterministic zip writer for EPUB containers.

Entries keep the order given, carry one fixed timestamp, and may arrive already compressed: chapters
that did not change since the last build reuse their compressed bytes from the cache, and the rest are
compressed on all cores (zlib releases the GIL).
"""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bookmaker.infra.cache import cached_bytes

LEVEL = 6  # within 1% of level 9's size for book text, in less than half the time


def deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


class DeflateCache:
    """Compressed bytes by content hash; None disables it."""

    def __init__(self, root: Path | None):
        self.root = root

    def get(self, data: bytes) -> bytes:
        if self.root is None:
            return deflate(data)
        key = hashlib.sha256(data).hexdigest() + f"-{LEVEL}"
        return cached_bytes(self.root / key[:2] / key, lambda: deflate(data), lambda _: True, later=True)


def dos_time(date_time: tuple) -> tuple[int, int]:
    year, month, day, hour, minute, second = date_time[:6]
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


def zip_bytes(entries: list[tuple[str, bytes, bool]], date_time: tuple, cache: DeflateCache) -> bytes:
    """entries: (name, data, compress). The first entry of an EPUB is 'mimetype', stored."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        packed = list(pool.map(lambda e: cache.get(e[1]) if e[2] else e[1], entries))
    mtime, mdate = dos_time(date_time)
    out, central = bytearray(), bytearray()
    for (name, data, compress), body in zip(entries, packed):
        raw_name = name.encode("ascii")
        method = 8 if compress else 0
        crc = zlib.crc32(data)
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, mtime, mdate, crc, len(body), len(data),
                           len(raw_name), 0) + raw_name + body
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, (3 << 8) | 20, 20, 0, method, mtime, mdate,
                               crc, len(body), len(data), len(raw_name), 0, 0, 0, 0, 0o100644 << 16,
                               offset) + raw_name
    count = len(entries)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), len(out), 0)
    return bytes(out + central + end)
