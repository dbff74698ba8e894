"""The command line: parse options, call the library, print problems. The only module that imports typer."""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from bookmaker import __version__
from bookmaker.errors import BookmakerError, Problem

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Compile a folder of Markdown chapters into an EPUB 3 and a print-ready PDF.")

ProjectArg = Annotated[str, typer.Argument(help="The project folder (holding manuscript/).", show_default=True)]
OutputOpt = Annotated[Optional[Path], typer.Option("-o", "--output", help="Where to write the file.")]


def slug(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    ascii_title = re.sub(r"['\u2019]", "", ascii_title)  # "Lamplighter's" -> "lamplighters"
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:80] or "book"


def default_output(project: str, title: str, ext: str) -> Path:
    return Path(project) / "dist" / f"{slug(title)}.{ext}"


def report(problems, stream=None) -> None:
    stream = stream or sys.stderr
    for problem in problems:
        print(str(problem), file=stream)


def fail(exc: BookmakerError) -> None:
    report(exc.problems)
    raise typer.Exit(1)


class Variant(str, Enum):
    pdf_a_3b = "pdf/a-3b"
    pdf_ua_1 = "pdf/ua-1"


@app.command()
def epub(project: ProjectArg = ".", output: OutputOpt = None) -> None:
    """Build the EPUB 3 (default: PROJECT/dist/<title>.epub)."""
    from bookmaker.epub import write_epub
    from bookmaker.manuscript import load_book
    from bookmaker.render import render_book

    try:
        book = load_book(project)
        out = output or default_output(project, book.metadata.title, "epub")
        rendered = render_book(book)
        report(rendered.warnings)
        write_epub(rendered, out, str(out))
    except BookmakerError as exc:
        fail(exc)
    print(out)


@app.command()
def pdf(project: ProjectArg = ".", output: OutputOpt = None,
        variant: Annotated[Optional[Variant], typer.Option(help="A PDF variant for archives or accessibility.")] = None,
        ) -> None:
    """Build the print PDF (default: PROJECT/dist/<title>.pdf)."""
    from bookmaker.manuscript import load_book
    from bookmaker.pdf import write_pdf
    from bookmaker.render import render_book

    try:
        book = load_book(project)
        out = output or default_output(project, book.metadata.title, "pdf")
        rendered = render_book(book)
        report(rendered.warnings)
        write_pdf(rendered, out, str(out), variant=variant.value if variant else None)
    except BookmakerError as exc:
        fail(exc)
    print(out)


def version_callback(value: bool) -> None:
    if value:
        print(f"bookmaker {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=version_callback, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """bookmaker turns manuscript/book.yaml and Markdown chapters into books."""


def main() -> None:
    app()


if __name__ == "__main__":
    main()
