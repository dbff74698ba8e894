"""book.yaml → Metadata: every key validated, every problem reported with its line."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import uuid
from typing import Any

from bookmaker import codes
from bookmaker.errors import Problems
from bookmaker.model import PdfSettings, Series
from bookmaker.load.yamlfile import NOT_ALLOWED, YamlDoc

BOOK_KEYS = (
    "title", "subtitle", "author", "translator", "language", "summary", "notes", "end_notes", "dedication",
    "tags", "series", "identifier", "date", "updated", "complete", "source", "publisher",
    "rights", "cover", "chapters", "chapter_label", "pdf", "formats", "author_sort", "title_sort",
    "accessibility", "back_cover",
)
CHAPTER_KEYS = ("title", "summary", "notes", "end_notes")
PDF_KEYS = ("trim", "width", "height", "font_size", "margins", "printer", "paper", "bleed", "about_page",
            "contents_depth", "running_heads", "drop_cap", "typesetting")
PRINTERS = ("kdp", "ingramspark", "lulu")
PAPERS = ("white", "cream", "color")
RUNNING_HEADS = ("author", "title", "chapter")
TYPESETTING = ("fine", "fast")
ACCESSIBILITY_KEYS = ("certified_by",)
MARGIN_KEYS = ("top", "bottom", "inner", "outer")
FORMATS = ("epub", "pdf", "kepub", "cover")
DEFAULT_FORMATS = ("epub", "pdf")

# Trim sizes printers and print-on-demand services offer; `us-trade` is the contract's default.
TRIM_SIZES = {
    "us-trade": ("6in", "9in"),
    "digest": ("5.5in", "8.5in"),
    "pocket": ("4.25in", "6.87in"),
    "a5": ("148mm", "210mm"),
    "royal": ("156mm", "234mm"),
    "b-format": ("129mm", "198mm"),
    "a4": ("210mm", "297mm"),
    "letter": ("8.5in", "11in"),
}

LANGUAGE_RE = re.compile(r"^([A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*|[Xx](-[A-Za-z0-9]{1,8})+)$")
LENGTH_RE = re.compile(r"^\d+(\.\d+)?(in|mm|cm|pt|pc|px)$")
ZERO_RE = re.compile(r"^0+(\.0+)?(in|mm|cm|pt|pc|px)?$")
UNIT_INCHES = {"in": 1, "mm": 1 / 25.4, "cm": 1 / 2.54, "pt": 1 / 72, "pc": 1 / 6, "px": 1 / 96}
PAGE_RANGE = (2.0, 200.0)  # inches; 200in is the largest page a PDF can have
FONT_RANGE = (4 / 72, 72 / 72)  # 4pt to 72pt
MIN_TEXT_INCHES = 1.0  # the least width and height the margins must leave for the text
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
URL_RE = re.compile(r"^https?://\S+$")
SERIES_NUMBER_RE = re.compile(r"^\d{1,6}(\.\d{1,6})?$")
MAX_SERIES_NUMBER = 9999


def suggestion(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_keys(data: dict, known: tuple[str, ...], doc: YamlDoc, path: str, problems: Problems,
               where: tuple = (), what: str = "key") -> None:
    for key in data:
        if not isinstance(key, str) or key not in known:
            line = doc.line(*where, key)
            problems.error(path, line, f"unknown {what} '{key}'{suggestion(str(key), known)}",
                           codes.UNKNOWN_KEY)


class Reader:
    """Typed accessors over one YAML mapping that record a problem instead of raising."""

    def __init__(self, data: dict, doc: YamlDoc, path: str, problems: Problems, where: tuple = ()):
        self.data, self.doc, self.path, self.problems, self.where = data, doc, path, problems, where

    def line(self, *keys: Any) -> int:
        return self.doc.line(*self.where, *keys)

    def fail(self, key: str, message: str, code: str) -> None:
        self.problems.error(self.path, self.line(key), f"'{key}' {message}", code)

    def text(self, key: str, required: bool = False) -> str | None:
        if key not in self.data or self.data[key] is None:
            if required:
                # The key's own line, else the line of the mapping that should hold it.
                where = self.line(key) if key in self.data else self.doc.line(*self.where)
                message = f"'{self.where[-1]}' needs a '{key}'" if self.where else f"'{key}' is required"
                self.problems.error(self.path, where, message, "missing-key")
            return None
        text = as_text(self.doc, self.data[key], (*self.where, key))
        if text is None:
            self.fail(key, f"must be text, not {type_name(self.data[key])}", codes.WRONG_TYPE)
            return None
        value = text.strip()
        if not value and required:
            self.fail(key, "must not be empty", codes.WRONG_TYPE)
            return None
        return value or None

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(key, f"must be true or false, not {type_name(value)}", codes.WRONG_TYPE)
            return default
        return value

    def date(self, key: str) -> dt.date | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str) and DATE_RE.match(value.strip()):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                self.fail(key, f"is not a real date: '{value.strip()}'", codes.WRONG_TYPE)
                return None
        self.fail(key, f"must be a date written YYYY-MM-DD, not {value!r}", codes.WRONG_TYPE)
        return None


def type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list",
            dict: "a mapping"}.get(type(value), type(value).__name__)


def as_text(doc: YamlDoc, value: Any, where: tuple) -> str | None:
    """A scalar as the author typed it, or None if `value` is not text (a list, a mapping, nothing).
    As typed: YAML 1.1 would make 12:30 750, 0777 511, 1.10 1.1 and .nan nan."""
    if isinstance(value, (bool, int, float)):
        value = doc.source_text(*where) or str(value)
    if isinstance(value, str):
        return NOT_ALLOWED.sub("", value)  # such characters are reported with the YAML's problems
    return None


def read_authors(r: Reader) -> tuple[str, ...]:
    return read_names(r, "author", required=True)


def read_translators(r: Reader) -> tuple[str, ...]:
    return read_names(r, "translator", required=False)


def read_names(r: Reader, key: str, required: bool) -> tuple[str, ...]:
    """A name or a list of names (`author`, `translator`), each stripped."""
    value = r.data.get(key)
    if value is None:
        if required:
            r.problems.error(r.path, r.line(key), f"'{key}' is required", codes.MISSING_KEY)
        return ()
    items = value if isinstance(value, list) else [value]
    names = []
    for i, item in enumerate(items):
        where = (key, i) if isinstance(value, list) else (key,)
        name = as_text(r.doc, item, where)
        if name is None or not name.strip():
            r.problems.error(r.path, r.doc.line(*where), f"'{key}' must be a name or a list of names", codes.WRONG_TYPE)
            return ()
        names.append(name.strip())
    if not names and required:
        r.fail(key, f"must name at least one {key}", codes.WRONG_TYPE)
    return tuple(names)


def read_tags(r: Reader) -> tuple[tuple[str | None, tuple[str, ...]], ...]:
    value = r.data.get("tags")
    if value is None:
        return ()

    def values(items: Any, *where: Any) -> tuple[str, ...] | None:
        if items is None:
            return ()  # a group with nothing in it yet, `Fandom:`, is not shown, like `Fandom: []`
        if isinstance(items, dict):
            r.problems.error(r.path, r.doc.line("tags", *where), "tag values must be a list of text", codes.WRONG_TYPE)
            return None
        listed = isinstance(items, list)
        out = []
        for i, item in enumerate(items if listed else [items]):
            at = ("tags", *where, i) if listed else ("tags", *where)
            tag = as_text(r.doc, item, at)
            if tag is None:
                r.problems.error(r.path, r.doc.line(*at), "each tag must be text", codes.WRONG_TYPE)
                return None
            if tag.strip():
                out.append(tag.strip())
        return tuple(out)

    if isinstance(value, list):
        plain = values(value)
        return ((None, plain),) if plain else ()
    if not isinstance(value, dict):
        r.fail("tags", f"must be a mapping of group to list, or a list, not {type_name(value)}", codes.WRONG_TYPE)
        return ()
    groups = []
    for group, items in value.items():
        if not isinstance(group, str) or not group.strip():
            r.problems.error(r.path, r.doc.line("tags", group), "each tag group needs a name, such as 'Fandom:'",
                             codes.WRONG_TYPE)
            continue
        got = values(items, group)
        if got:
            groups.append((group.strip(), got))
    return tuple(groups)


def read_series(r: Reader) -> Series | None:
    value = r.data.get("series")
    if value is None:
        return None
    if not isinstance(value, dict):
        r.fail("series", f"must be a mapping with 'name' and 'number', not {type_name(value)}", codes.WRONG_TYPE)
        return None
    check_keys(value, ("name", "number"), r.doc, r.path, r.problems, ("series",), "series key")
    sr = Reader(value, r.doc, r.path, r.problems, ("series",))
    name = sr.text("name", required=True)
    return Series(name, series_number(sr)) if name else None


def series_number(sr: Reader) -> int | float | None:
    """Read from the number as typed, so 010 is ten (not YAML 1.1's octal eight) and .nan, .inf,
    1e38 and 0 are refused."""
    value = sr.data.get("number")
    if value is None:
        return None
    typed = as_text(sr.doc, value, (*sr.where, "number"))
    match = SERIES_NUMBER_RE.match(typed.strip()) if typed is not None else None
    number = (float(match.group()) if "." in match.group() else int(match.group())) if match else 0
    if not 0 < number <= MAX_SERIES_NUMBER:
        sr.fail("number", f"must be a positive number such as 2 or 2.5, at most {MAX_SERIES_NUMBER}", codes.WRONG_TYPE)
        return None
    return number


def read_pdf(r: Reader) -> PdfSettings:
    value = r.data.get("pdf")
    if value is None:
        return PdfSettings()
    if not isinstance(value, dict):
        r.fail("pdf", f"must be a mapping of print settings, not {type_name(value)}", codes.WRONG_TYPE)
        return PdfSettings()
    check_keys(value, PDF_KEYS, r.doc, r.path, r.problems, ("pdf",), "pdf key")
    pr = Reader(value, r.doc, r.path, r.problems, ("pdf",))
    settings: dict[str, str] = {}
    given: dict[str, tuple[Reader, str]] = {}  # setting -> where the author gave it
    trim = pr.text("trim")
    if trim:
        if trim.lower() not in TRIM_SIZES:
            pr.fail("trim", f"must be one of {', '.join(TRIM_SIZES)}, not '{trim}'"
                    f"{suggestion(trim.lower(), tuple(TRIM_SIZES))}", codes.WRONG_TYPE)
        else:
            settings["width"], settings["height"] = TRIM_SIZES[trim.lower()]
            given["width"] = given["height"] = (pr, "trim")

    def length(reader: Reader, key: str, target: str, low: float, high: float, bounds: str,
               example: str = "6in, 152mm or 11pt") -> None:
        got = reader.text(key)
        if got is None:
            return
        compact = got.replace(" ", "").lower()
        if low == 0 and ZERO_RE.match(compact):
            compact = "0in"
        if not LENGTH_RE.match(compact):
            reader.fail(key, f"must be a length such as {example}, not '{got}'", codes.WRONG_TYPE)
        elif not low <= inches(compact) <= high:
            reader.fail(key, f"must be {bounds}, not '{got}'", codes.WRONG_TYPE)
        else:
            settings[target] = compact
            given[target] = (reader, key)
            return
        given[target] = (reader, "")  # refused: no further complaint about it

    length(pr, "width", "width", *PAGE_RANGE, "between 2in and 200in (the largest page a PDF can have)")
    length(pr, "height", "height", *PAGE_RANGE, "between 2in and 200in (the largest page a PDF can have)")
    length(pr, "font_size", "font_size", *FONT_RANGE, "between 4pt and 72pt")
    margins = value.get("margins")
    if margins is not None:
        if not isinstance(margins, dict):
            pr.fail("margins", "must be a mapping of top, bottom, inner, outer", codes.WRONG_TYPE)
        else:
            check_keys(margins, MARGIN_KEYS, r.doc, r.path, r.problems, ("pdf", "margins"), "margin")
            mr = Reader(margins, r.doc, r.path, r.problems, ("pdf", "margins"))
            for side in MARGIN_KEYS:
                length(mr, side, f"margin_{side}", 0, PAGE_RANGE[1], "at most 200in", "0.75in, 20mm or 0")
    extra = print_choices(pr)
    result = PdfSettings(**settings, **extra)
    text_area(result, given, "height", "tall", ("margin_top", "margin_bottom"))
    text_area(result, given, "width", "wide", ("margin_inner", "margin_outer"))
    return result


def choice(reader: Reader, key: str, allowed: tuple[str, ...]) -> str | None:
    value = reader.text(key)
    if value is None:
        return None
    if value.lower() not in allowed:
        reader.fail(key, f"must be one of {', '.join(allowed)}, not '{value}'{suggestion(value.lower(), allowed)}",
                    codes.WRONG_TYPE)
        return None
    return value.lower()


def print_choices(pr: Reader) -> dict:
    """The print settings beyond the page: printer, paper, bleed, what front matter and heads to print."""
    out: dict = {}
    printer = choice(pr, "printer", PRINTERS)
    if printer:
        out["printer"] = printer
    paper = choice(pr, "paper", PAPERS)
    if paper:
        out["paper"] = paper
    for key, default in (("bleed", False), ("about_page", True), ("drop_cap", False)):
        out[key] = pr.boolean(key, default)
    typesetting = choice(pr, "typesetting", TYPESETTING)
    if typesetting:
        out["typesetting"] = typesetting
    depth = pr.data.get("contents_depth")
    if depth is not None:
        if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= 3:
            pr.fail("contents_depth", "must be 1 (chapters), 2 (and their headings) or 3", codes.WRONG_TYPE)
        else:
            out["contents_depth"] = depth
    heads = pr.data.get("running_heads")
    if heads is not None:
        if not isinstance(heads, dict):
            pr.fail("running_heads", "must be a mapping such as {verso: author, recto: chapter}", codes.WRONG_TYPE)
        else:
            check_keys(heads, ("verso", "recto"), pr.doc, pr.path, pr.problems, ("pdf", "running_heads"),
                       "running_heads key")
            hr = Reader(heads, pr.doc, pr.path, pr.problems, ("pdf", "running_heads"))
            out["running_heads"] = (choice(hr, "verso", RUNNING_HEADS), choice(hr, "recto", RUNNING_HEADS))
    return out


def read_sort_names(r: Reader, authors: tuple[str, ...]) -> tuple[str, ...]:
    """author_sort as written: one name, or a list with one per author."""
    value = r.data.get("author_sort")
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    names = []
    for i, item in enumerate(items):
        where = ("author_sort", i) if isinstance(value, list) else ("author_sort",)
        name = as_text(r.doc, item, where)
        if name is None or not name.strip():
            r.problems.error(r.path, r.doc.line(*where), "'author_sort' must be a name, or a list of names",
                             codes.WRONG_TYPE)
            return ()
        names.append(name.strip())
    if authors and len(names) != len(authors):
        r.fail("author_sort", f"gives {len(names)} sort name(s) for {len(authors)} author(s): give one for each, "
               "in the order of 'author'", codes.WRONG_TYPE)
        return ()
    return tuple(names)


def read_certifier(r: Reader) -> str | None:
    value = r.data.get("accessibility")
    if value is None:
        return None
    if not isinstance(value, dict):
        r.fail("accessibility", "must be a mapping such as {certified_by: Your Name}", codes.WRONG_TYPE)
        return None
    check_keys(value, ACCESSIBILITY_KEYS, r.doc, r.path, r.problems, ("accessibility",), "accessibility key")
    return Reader(value, r.doc, r.path, r.problems, ("accessibility",)).text("certified_by")


def inches(length: str) -> float:
    number, unit = re.match(r"([\d.]+)([a-z]+)", length).groups()
    return float(number) * UNIT_INCHES[unit]


def show(value: float) -> str:
    return f"{max(round(value, 2), 0):g}in"


def text_area(p: PdfSettings, given: dict, size: str, adjective: str, sides: tuple[str, str]) -> None:
    """The margins must leave room for the text; blame what the author set (a margin, else the page)."""
    page = inches(getattr(p, size))
    first, second = (inches(getattr(p, side)) for side in sides)
    room = page - first - second
    if room >= MIN_TEXT_INCHES or any(not given[k][1] for k in (size, *sides) if k in given):
        return
    set_sides = [side for side in sides if side in given]
    culprit = max(set_sides, key=lambda side: inches(getattr(p, side))) if set_sides else size
    if culprit not in given:
        return  # only the built-in settings, which always fit
    reader, key = given[culprit]
    names = [side.removeprefix("margin_") for side in sides]
    reader.fail(key, f"leaves too little room for the text: {names[0]} and {names[1]} margins of "
                f"{getattr(p, sides[0])} and {getattr(p, sides[1])} on a page {getattr(p, size)} {adjective} leave "
                f"{show(room)}; the text needs at least {show(MIN_TEXT_INCHES)}", codes.WRONG_TYPE)


def read_formats(r: Reader) -> tuple[str, ...]:
    value = r.data.get("formats")
    if value is None:
        return DEFAULT_FORMATS
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) and i in FORMATS for i in items):
        r.fail("formats", f"must be a list of formats: {', '.join(FORMATS)}", codes.WRONG_TYPE)
        return DEFAULT_FORMATS
    return tuple(dict.fromkeys(items))


ISBN_PREFIX = re.compile(r"^\s*(urn:isbn:|isbn(-1[03])?:?)\s*", re.I)
ISBN_BODY = re.compile(r"^\d[\d -]*[\dXx]$")


def read_identifier(r: Reader, title: str, authors: tuple[str, ...]) -> str:
    """An ISBN as urn:isbn:<digits> (written bare, with hyphens or with 'ISBN' before it), its check
    digit verified; any other identifier as written; none: a UUID made from title and authors."""
    value = r.text("identifier")
    if value is None:
        return default_identifier(title, authors)
    prefix = ISBN_PREFIX.match(value)
    body = value[prefix.end():] if prefix else value
    digits = re.sub(r"[ -]", "", body).upper()
    shaped = bool(ISBN_BODY.match(body)) and (len(digits) == 10 or (len(digits) == 13 and digits.isdigit()))
    if not prefix and not (shaped and (len(digits) == 10 or digits.startswith(("978", "979")))):
        return value  # a URN, a URL or a number of another kind
    if not shaped:
        r.fail("identifier", f"'{value}' is not an ISBN: an ISBN has 10 or 13 digits", codes.WRONG_TYPE)
        return value
    expected = isbn_check_digit(digits)
    if digits[-1] != expected:
        r.fail("identifier", f"ISBN '{body}' has a wrong check digit ({expected} expected at the end)", codes.WRONG_TYPE)
    return f"urn:isbn:{digits}"


def isbn_check_digit(digits: str) -> str:
    if len(digits) == 13:
        return str(-sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits[:12])) % 10)
    check = -sum(int(d) * (10 - i) for i, d in enumerate(digits[:9])) % 11
    return "X" if check == 10 else str(check)


def default_identifier(title: str, authors: tuple[str, ...]) -> str:
    """Stable across builds: the same title and authors give the same book identity."""
    name = "bookmaker:" + title + "\x1f" + "\x1f".join(authors)
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"
