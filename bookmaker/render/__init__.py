"""Stage 2, render: Book → RenderedBook.

Takes the loaded Book; gives every page of the book as clean XHTML (front matter, contents, chapters,
end notes), the pictures it carries, word counts, the stylesheets as each writer uses them, and the
plain-text and typeset strings both writers show. Markdown lives here alone (markdown.py); raw HTML is
repaired and sanitised (xhtml.py, repair.py); footnotes become popup notes (footnotes.py); the words
bookmaker adds follow the book's language (labels.py). Chapters render in parallel and are cached
(chapters.py).
"""

from bookmaker.render.book import render_book

__all__ = ["render_book"]
