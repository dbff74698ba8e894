"""The theme: a project's own styles/ first, then the stylesheets shipped in the package."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from bookmaker.model import Book


def stylesheet(book: Book | None, name: str) -> str:
    if book is not None and book.styles is not None:
        own = dict(book.styles).get(name)  # read and checked when the book was loaded
        if own is not None:
            return own
    elif book is not None:
        own = book.root / "styles" / name
        if own.is_file():
            return own.read_text(encoding="utf-8")
    return resources.files("bookmaker.styles").joinpath(name).read_text(encoding="utf-8")


def packaged(name: str) -> Path:
    return Path(str(resources.files("bookmaker.styles").joinpath(name)))
