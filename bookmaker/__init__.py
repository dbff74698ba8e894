"""bookmaker: compile a folder of Markdown chapters into an EPUB 3 and a print-ready PDF."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bookmaker")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

import functools  # noqa: E402
import hashlib  # noqa: E402
from pathlib import Path  # noqa: E402

from bookmaker.errors import BookmakerError, Problem  # noqa: E402


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """The version and a digest of bookmaker's own code and templates: what caches are keyed by, so a
    changed bookmaker never reuses what an older one made, even under the same version number."""
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).parent
    for path in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".j2", ".css", ".json", ".yaml", ".md",
                                                                      ".yml") and "__pycache__" not in p.parts):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:16]}"
from bookmaker.manuscript import load_book  # noqa: E402


def write_epub(book, out, **options):
    from bookmaker.epub import write_epub as _write

    return _write(book, out, **options)


def write_pdf(book, out, **options):
    from bookmaker.pdf import write_pdf as _write

    return _write(book, out, **options)


__all__ = ["BookmakerError", "Problem", "load_book", "write_epub", "write_pdf", "__version__"]
