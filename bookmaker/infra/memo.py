"""What a build made from its inputs, kept in this process for the next build: in `watch` only.

An edit's rebuild in `watch` read and made again everything the edit did not touch before it could
hand the edited chapter to a layout worker: each chapter file's front matter parsed and its text
scanned (about 20 ms for a 100,000-word book), and each printed page's XHTML parsed and made into the
HTML the layout reads (about 35 ms). Kept here, keyed by everything they are made from (the whole
text, never a digest of it), the unchanged ones are taken as they were.

Only inside session(), which `watch` enters: a one-shot build makes each once and would only hold
the memory. Each build is a generation (next_build()): what the last build used is kept for the next,
the rest is let go, so a long session holds at most two builds' worth.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterator
from typing import TypeVar

T = TypeVar("T")


class _Memo:
    def __init__(self):
        self.current: dict[Hashable, object] = {}
        self.previous: dict[Hashable, object] = {}

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        if key in self.current:
            return self.current[key]  # type: ignore[return-value]
        if key in self.previous:
            value = self.previous.pop(key)
        else:
            value = make()
        if value is not None:  # None, nothing found, is asked again: it may be made before the next build
            self.current[key] = value
        return value  # type: ignore[return-value]

    def next_build(self) -> None:
        self.previous, self.current = self.current, {}


_memo: _Memo | None = None


@contextlib.contextmanager
def session() -> Iterator[None]:
    """Builds made one after the other in this process, each keeping what the next can use."""
    global _memo
    outer, _memo = _memo, _Memo()
    try:
        yield
    finally:
        _memo = outer


def next_build() -> None:
    """A build begins: what the one before it used stays, what it did not is let go."""
    if _memo is not None:
        _memo.next_build()


def active() -> bool:
    return _memo is not None


def kept(key: Hashable, make: Callable[[], T]) -> T:
    """make(), or in a session what it returned for the same `key` in this build or the last (never
    None: that is asked for again). The value is shared: it must never be changed (a frozen dataclass,
    bytes, or copied by the caller)."""
    if _memo is None:
        return make()
    return _memo.get(key, make)
