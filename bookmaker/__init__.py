"""bookmaker: compile a folder of Markdown chapters into an EPUB 3 and a print-ready PDF.

The pipeline runs one way, one package a stage:

    load/      project folder → Book
    render/    Book → RenderedBook (every page as XHTML, and what both writers share)
    epub/      RenderedBook → .epub          pdf/  RenderedBook → .pdf
    commands/  one module a command          cli.py  the command line

As a library: `write_epub(load_book("my-story"), "my-story.epub")`.
"""

from bookmaker.errors import BookmakerError, Problem


def load_book(project=".", keep_going: bool = False):
    """The project folder as a Book; raises BookmakerError listing every problem."""
    # Imported when called, here and below: `import bookmaker` (the CLI's first step) stays cheap.
    from bookmaker.load import load_book as load

    return load(project, keep_going)


def render_book(book, jobs: int | None = None, cache: bool = True):
    from bookmaker.render import render_book as render

    return render(book, jobs=jobs, cache=cache)


def _rendered(book):
    from bookmaker.model import RenderedBook

    return book if isinstance(book, RenderedBook) else render_book(book)


def write_epub(book, out, **options):
    """A Book or RenderedBook → an EPUB at `out`, written atomically."""
    from bookmaker.epub import write_epub as write

    return write(_rendered(book), out, **options)


def write_pdf(book, out, **options):
    """A Book or RenderedBook → a print PDF at `out`, written atomically."""
    from bookmaker.pdf import write_pdf as write

    return write(_rendered(book), out, **options)


def __getattr__(name: str):
    if name == "__version__":  # read when asked for (version.py)
        from bookmaker import version

        return version.__version__
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["BookmakerError", "Problem", "load_book", "render_book", "write_epub", "write_pdf", "__version__"]
