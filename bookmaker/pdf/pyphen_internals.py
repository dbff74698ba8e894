"""A language's hyphenation patterns, parsed once and kept in bookmaker's cache, for every process that
lays pages out: the private parts of Pyphen (the hyphenation library WeasyPrint uses) that bookmaker
touches, in one place.

Pyphen parses a language's `hyph_*.dic` the first time a process hyphenates a word of it, in pure
Python: 0.06 to 0.09 s for English, 0.7 s for German. Each layout worker of a one-shot build after an
edit is a fresh process, and that parse was most of what its first layout cost more than its later ones:
on the build's critical path, as was the zygote's parse when it lays a sample out before a cold build
forks its workers. The patterns parsed are kept as text (read back in a tenth of the time) under a
digest of the dictionary's bytes and Pyphen's version: they belong to the installed Pyphen, not to a
book, so `--no-cache` uses them too, as it uses WeasyPrint's precompiled C declarations
(weasy_internals.precompiled). Only data is read back: nothing in the cache is run.

Touched: `pyphen.hdcache` (the parsed dictionaries, by the file's path), `pyphen.LANGUAGES` and
`language_fallback` (which file a language uses, as `Pyphen(lang=...)` finds it), and a `HyphDict`'s
three attributes (`patterns`, `cache`, `maxlen`), as Pyphen 0.14 to 0.18 have them. A Pyphen without
them parses its own dictionaries, as before.
"""

from __future__ import annotations

import hashlib
import json

FORMAT = "1"  # the shape of the text kept (to_text)


def preload(language: str) -> None:
    """The patterns of `language` (a book's `lang`, "en", "fr-CA") parsed in this process, from the cache
    where they are there, so that the layouts after it (and the workers forked from it) find them."""
    try:
        import pyphen

        name = pyphen.language_fallback(language or "")
        path = pyphen.LANGUAGES[name] if name else None
        if path is None or path in pyphen.hdcache or not hasattr(pyphen, "HyphDict"):
            return
        source = path.read_bytes()
    except Exception:  # noqa: BLE001 - another Pyphen, or no dictionary: it parses its own when asked
        return
    from bookmaker.infra.cache import cache_root, read_entry, write_entry

    key = hashlib.sha256(f"{FORMAT}\0{getattr(pyphen, '__version__', '')}\0".encode() + source).hexdigest()
    entry = cache_root() / "hyphenation" / key[:2] / f"{key}.txt"
    try:
        parsed = from_text(pyphen, read_entry(entry))
    except Exception:  # noqa: BLE001 - not kept yet, or not whole: parsed again and kept
        try:
            parsed = pyphen.HyphDict(path)
        except Exception:  # noqa: BLE001 - left to Pyphen, which meets it when WeasyPrint asks
            return
        text = to_text(pyphen, parsed)
        if text is not None:
            write_entry(entry, text)
    pyphen.hdcache[path] = parsed


def to_text(pyphen, parsed) -> bytes | None:
    """A HyphDict's patterns as text: a first line of its maxlen and the digest of the rest, then a line a
    pattern, its start and its values, tab-separated. The values are a string of digits where each is one
    (nearly all of them), else a JSON list in which a value with an alternative spelling (Hungarian's) is
    [value, change, index, cut]. None for a HyphDict not of the shape known. (JSON for all of it took
    0.23 s to read back for German's 105,000 patterns; this, 0.07 s.)"""
    if set(vars(parsed)) != {"patterns", "cache", "maxlen"} or type(parsed.maxlen) is not int:
        return None
    lines = []
    for tag, (start, values) in parsed.patterns.items():
        if "\n" in tag or type(start) is not int:
            return None
        if all(type(value) is int and 0 <= value <= 9 for value in values):
            row = "".join(map(str, values))
        else:
            items = []
            for value in values:
                if isinstance(value, pyphen.DataInt):
                    change, index, cut = value.data
                    items.append([int(value), change, index, cut])
                elif type(value) is int:
                    items.append(value)
                else:
                    return None
            row = json.dumps(items, ensure_ascii=False)
        lines.append(f"{tag}\t{start}\t{row}")
    body = "\n".join(lines).encode("utf-8")
    return f"{parsed.maxlen}\t{hashlib.sha256(body).hexdigest()}\n".encode() + body


def from_text(pyphen, data: bytes):
    """The HyphDict to_text() wrote, as HyphDict() would parse it; ValueError for anything else."""
    head, _, body = data.partition(b"\n")
    maxlen, digest = head.decode().split("\t")
    if hashlib.sha256(body).hexdigest() != digest:
        raise ValueError("not whole")
    lines = body.decode("utf-8").split("\n")
    rows: dict[str, tuple] = {}  # a few hundred distinct rows, shared by tens of thousands of patterns

    def values(row: str) -> tuple:
        if row.isdigit():
            return tuple(map(int, row))
        items = []
        for item in json.loads(row):
            if type(item) is int:
                items.append(item)
                continue
            number, change, index, cut = item
            if not (type(number) is int and type(change) is str and type(index) is int and type(cut) is int):
                raise ValueError(f"not a hyphenation value: {item!r}")
            items.append(pyphen.DataInt(number, (change, index, cut)))
        return tuple(items)

    patterns = {}
    for line in lines:
        tag, start, row = line.rsplit("\t", 2)
        found = rows.get(row)
        if found is None:
            found = rows[row] = values(row)
        patterns[tag] = (int(start), found)
    parsed = pyphen.HyphDict.__new__(pyphen.HyphDict)
    parsed.patterns, parsed.cache, parsed.maxlen = patterns, {}, int(maxlen)
    return parsed
