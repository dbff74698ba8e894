"""Stage 2, render: Book → RenderedBook.

Takes the loaded Book; gives every page of the book as clean XHTML (front matter, contents, chapters,
end notes), the pictures it carries, word counts, the stylesheets as each writer uses them, and the
plain-text and typeset strings both writers show. Markdown lives here alone (markdown.py); raw HTML is
repaired and sanitised (xhtml.py, repair.py); footnotes become popup notes (footnotes.py); the words
bookmaker adds follow the book's language (labels.py). Chapters render in parallel and are cached
(chapters.py).
"""

__all__ = ["render_book"]


def __getattr__(name: str):
    """render_book, imported on first use: the layout processes import this package's modules (styles,
    text, labels) but never render, and so never import Markdown."""
    if name == "render_book":
        from bookmaker.render.book import render_book

        return render_book
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
