"""bookmaker: compile a folder of Markdown chapters into an EPUB 3 and a print-ready PDF."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bookmaker")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

from bookmaker.errors import BookmakerError, Problem  # noqa: E402
from bookmaker.manuscript import load_book  # noqa: E402


def write_epub(book, out, **options):
    from bookmaker.epub import write_epub as _write

    return _write(book, out, **options)


def write_pdf(book, out, **options):
    from bookmaker.pdf import write_pdf as _write

    return _write(book, out, **options)


__all__ = ["BookmakerError", "Problem", "load_book", "write_epub", "write_pdf", "__version__"]
