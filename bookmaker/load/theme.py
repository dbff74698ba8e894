"""The theme: a project's own styles/ first, then the stylesheets shipped in the package."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path, PurePosixPath

from bookmaker import codes
from bookmaker.errors import Problems
from bookmaker.load.assets import book_href, picture_kind, resolve_path
from bookmaker.model import Asset, Book


def stylesheet(book: Book | None, name: str) -> str:
    own = own_stylesheet_text(book, name)
    return own if own is not None else resources.files("bookmaker.styles").joinpath(name).read_text(encoding="utf-8")


def own_stylesheet_text(book: Book | None, name: str) -> str | None:
    """The project's own styles/`name`, None where the theme's is used."""
    if book is not None and book.styles is not None:
        return dict(book.styles).get(name)  # read and checked when the book was loaded
    if book is not None:
        own = book.root / "styles" / name
        if own.is_file():
            return own.read_text(encoding="utf-8")
    return None


def packaged(name: str) -> Path:
    return Path(str(resources.files("bookmaker.styles").joinpath(name)))


FONT_TYPES = {".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2"}
# A url() as written plainly, matched where the tokenizer found one: only that text is rewritten.
URL_RE = re.compile(r"""url\(\s*(?:"[^"]*"|'[^']*'|[^)"'\s]*)\s*\)""", re.I)


def own_stylesheet(book: Book, name: str, url_for) -> tuple[str, tuple[Asset, ...]]:
    """A project's own stylesheet with each url() rewritten by `url_for(asset)`, and the files it refers
    to (fonts, images) as assets; raises BookmakerError for what cannot be used: a file outside the
    project, missing, remote, or of no type a reader knows, @import, a data: URI that is not a plain
    picture or font (an SVG is checked as SVG files are), and anything that runs script. The stylesheet
    is tokenized (load/css.py), so escapes and comments hide nothing. The built-in theme's own
    stylesheets refer to no files."""
    from bookmaker.load.css import data_problem, line_starts, references

    own = book.root / "styles" / name
    text = stylesheet(book, name)
    if not own.is_file():
        return text, ()
    where, problems = book.display(own), Problems()
    starts = line_starts(text)
    files: dict[Path, Asset] = {}
    out, last = [], 0
    for ref in references(text):
        line = ref.line
        if ref.kind == "import":
            problems.error(where, line, f"@import is not supported in {name}: put the rules in {name} itself",
                           codes.STYLESHEET)
            continue
        if ref.kind == "deep":
            problems.error(where, line, f"blocks or functions nested more than {ref.value} levels deep: flatten them",
                           codes.STYLESHEET)
            break
        if ref.kind == "malformed":
            what = "url(...) is not closed, or holds a quote, bracket or space" if ref.value == "bad-url" \
                else "a quoted string runs past the end of its line"
            problems.error(where, line, f"{what}: close it, or quote the address as url(\"...\")", codes.STYLESHEET)
            continue
        if ref.kind == "active":
            problems.error(where, line, f"'{ref.value}' runs script or binds behaviour; a book's stylesheet may "
                           "not", codes.STYLESHEET)
            continue
        value = ref.value.strip()
        if not value or value.startswith("#"):
            continue
        if value[:5].lower() == "data:":
            problem = data_problem(value)
            if problem:
                problems.error(where, line, f"{problem}: remove it from {name}", codes.STYLESHEET)
            continue
        if ref.kind == "string":
            problems.error(where, line, f"a file named without url() ('{value[:60]}'): write url({value[:60]})",
                           codes.STYLESHEET)
            continue
        plain = URL_RE.match(text, starts[line - 1] + ref.column - 1)
        asset = stylesheet_file(book, value, where, line, problems)
        if asset is not None and plain is None:
            problems.error(where, line, f"url() written with CSS escapes ('{value[:60]}'): write url() plainly",
                           codes.STYLESHEET)
        if asset is None or plain is None:
            continue
        files.setdefault(asset.source, asset)
        fragment = "#" + value.split("#", 1)[1] if "#" in value else ""
        out += [text[last:plain.start()], f'url("{url_for(asset)}{fragment}")']
        last = plain.end()
    problems.check()
    return "".join(out) + text[last:], tuple(files.values())


def epub_stylesheet(book: Book) -> tuple[str, tuple[Asset, ...]]:
    """epub.css as the EPUB carries it: its files packaged beside it, under css/."""
    return own_stylesheet(book, "epub.css", lambda asset: asset.href.removeprefix("css/"))


def print_stylesheet(book: Book, scheme: str) -> tuple[str, tuple[Asset, ...]]:
    """print.css as the PDF layout reads it: its fonts and images named `scheme` + their name in the
    book, the only URLs the layout may fetch."""
    return own_stylesheet(book, "print.css", lambda asset: scheme + asset.href)


def stylesheet_file(book: Book, ref: str, where: str, line: int, problems: Problems) -> Asset | None:
    styles = book.root / "styles"
    real = resolve_path(book.root, styles, ref, where, line, problems, "file", "styles/")
    if real is None:
        return None
    media_type = FONT_TYPES.get(real.suffix.lower())
    if media_type is None:  # a picture, checked as the text's pictures are
        kind = picture_kind(real, ref.strip(), where, line, problems, "file", "a font (TTF, OTF, WOFF, WOFF2) or "
                            "an image (PNG, JPEG, GIF, WebP, SVG) that e-readers can use")
        if kind is None:
            return None
        media_type = kind[0]
    rel = PurePosixPath(real.relative_to(book.root.resolve()).as_posix())
    return Asset(real, book_href(rel, "css", ("styles",), "file"), media_type)
