"""The command line: parse options, call the commands, print problems. The only module that imports typer.

Exit codes: 0 success; 1 the book has errors (or a build failed); 2 the command was used wrongly.
A BookmakerError from any command is turned into lines and exit code 1 in one place: `main()`.
Each command imports its module when it runs, so `bookmaker --help` or `new` never pays for the
pipeline's libraries (Markdown, lxml, WeasyPrint): the function-level imports below are for start-up.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from bookmaker.commands.build import default_output, slug  # noqa: F401  (slug: kept for library users)
from bookmaker.errors import BookmakerError

app = typer.Typer(add_completion=True, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Compile a folder of Markdown chapters into an EPUB 3 and a print-ready PDF.")

ProjectArg = Annotated[str, typer.Argument(help="The project folder (holding manuscript/).", show_default=True)]
OutputOpt = Annotated[Optional[Path], typer.Option("-o", "--output", help="Where to write the file.")]
JobsOpt = Annotated[Optional[int], typer.Option("--jobs", "-j", min=0,
                                                help="Worker processes (default: all cores; 0: one document, "
                                                     "one process).")]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Render and lay out everything again.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors and the outputs.")]
# The budget for build services, on every command that builds (SECURITY.md): one definition, reused.
MaxSecondsOpt = Annotated[Optional[str], typer.Option("--max-seconds", metavar="N", show_default=False,
                                                      help="Stop the build after N seconds, with no output "
                                                           "(default: $BOOKMAKER_MAX_SECONDS, else no limit).")]
MaxMemoryOpt = Annotated[Optional[str], typer.Option("--max-memory", metavar="SIZE", show_default=False,
                                                     help="Stop the build past SIZE of memory (512M, 2G), with no "
                                                          "output (default: $BOOKMAKER_MAX_MEMORY, else no limit).")]


class Format(str, Enum):
    epub = "epub"
    pdf = "pdf"
    kepub = "kepub"
    cover = "cover"


class PrinterName(str, Enum):
    kdp = "kdp"
    ingramspark = "ingramspark"
    lulu = "lulu"


class PaperName(str, Enum):
    white = "white"
    cream = "cream"
    color = "color"


PrinterOpt = Annotated[Optional[PrinterName], typer.Option("--printer", help="Make the print shop's files: "
                                                           "its interior rules (default: book.yaml's pdf: printer).")]


class Variant(str, Enum):
    pdf_a_3b = "pdf/a-3b"
    pdf_ua_1 = "pdf/ua-1"


def report(problems, stream=None) -> None:
    stream = stream or sys.stderr
    for problem in problems:
        print(str(problem), file=stream)


class Progress:
    """Stage messages on stderr: one live line on a terminal, plain lines in CI logs, none when quiet. A
    terminal that says it is `dumb` (TERM=dumb: Emacs' shell, some CI runners' pseudo-terminals) cannot
    redraw a line, and is given what a log is."""

    def __init__(self, quiet: bool = False, plain_lines: bool = True):
        self.quiet = quiet
        self.live = sys.stderr.isatty() and os.environ.get("TERM") != "dumb"
        self.plain_lines = plain_lines
        self.width = 0

    def __call__(self, message: str) -> None:
        if self.quiet or not (self.live or self.plain_lines):
            return
        if self.live:
            line = f"bookmaker: {message}"
            sys.stderr.write("\r" + line.ljust(self.width))
            self.width = len(line)
            sys.stderr.flush()
        else:
            print(f"bookmaker: {message}", file=sys.stderr)

    def done(self) -> None:
        if self.live and self.width and not self.quiet:
            sys.stderr.write("\r" + " " * self.width + "\r")
            self.width = 0


def finishing(step, progress: Progress):
    """Run a step with a live progress line, cleared whatever happens (a problem prints after it)."""
    try:
        return step()
    finally:
        progress.done()


def option_value(parse, *args):
    """`parse(*args)` for an option's value typer leaves to us (--max-seconds, --max-memory, their
    environment variables, --shard): a value it refuses is the command used wrongly, exit 2 as typer's own
    refusals (README, exit codes), not 1, which says the book has errors."""
    from bookmaker.errors import BookmakerError

    try:
        return parse(*args)
    except BookmakerError as exc:
        report(exc.problems)
        raise typer.Exit(2) from None


def within_budget(max_seconds: str | None, max_memory: str | None, output_folder: Path, function, *args):
    """`function(*args)`, in a child process under the budget the options or environment give, if any.
    Over it: no output (the killed build's temporary file is removed) and one problem naming the budget."""
    from bookmaker.errors import BookmakerError
    from bookmaker.infra.budget import Budget, run_within
    from bookmaker.infra.output import clean_stale

    budget = option_value(Budget.from_env_and_options, max_seconds, max_memory)
    if budget.unlimited:
        return function(*args)
    try:
        return run_within(budget, function, *args)
    except BookmakerError:
        clean_stale(output_folder)  # the child and its workers are dead: their temporary files go
        raise


def build_one(project: str, fmt: str, output: Path | None, jobs: int | None, no_cache: bool, quiet: bool,
              variant: str | None = None, printer: PrinterName | None = None, paper: PaperName | None = None,
              max_seconds: str | None = None, max_memory: str | None = None, page_list: bool = False) -> None:
    from bookmaker.commands.build import render, with_page_list, write_format
    from bookmaker.commands.cover import with_print_settings

    from bookmaker.infra.output import check_chosen_folder

    # Only on a terminal: scripts read these commands' stderr for problems alone.
    progress = Progress(quiet, plain_lines=False)
    if output is not None:
        finishing(lambda: check_chosen_folder(output, str(output), Path(project)), progress)

    def run():  # small and picklable back from a budgeted child: warnings and the outcome
        from bookmaker.load import load_book

        book = finishing(lambda: load_book(project, keep_going=True), progress)
        laid_out = ("pdf",) if page_list else (fmt,)  # the page list: the PDF, laid out without a variant
        if not {"pdf", "cover"} & set(laid_out):
            return build(book)  # nothing laid out: the layout's modules are not even imported
        from bookmaker.pdf.workers import for_build

        with for_build(book, laid_out, jobs, variant, printer.value if printer else None):  # before rendering
            return build(book)

    def build(book):
        rendered = finishing(lambda: render(project, jobs, not no_cache, progress, book), progress)
        rendered = with_print_settings(rendered, printer.value if printer else None, paper.value if paper else None)
        report(rendered.warnings)
        out = output or default_output(project, rendered.book, fmt)
        if output is not None and (output.is_dir() or str(output).endswith(("/", os.sep))):
            out = output / default_output(project, rendered.book, fmt).name  # -o names a folder: the file goes in it
        if page_list:
            rendered = finishing(lambda: with_page_list(rendered, None, jobs, not no_cache, progress), progress)
        return write_format(rendered, fmt, out, jobs, not no_cache, progress, variant)

    outcome = within_budget(max_seconds, max_memory, output.parent if output else Path(project) / "dist", run)
    progress.done()
    report(outcome.warnings)
    if not outcome.ok:
        report(outcome.problems)
        raise typer.Exit(1)
    print(outcome.path)


@app.command()
def epub(project: ProjectArg = ".", output: OutputOpt = None, jobs: JobsOpt = None, no_cache: NoCacheOpt = False,
         quiet: QuietOpt = False, max_seconds: MaxSecondsOpt = None, max_memory: MaxMemoryOpt = None,
         page_list: Annotated[bool, typer.Option("--page-list", help="Lay out the print edition and mark its "
                                                 "page starts in the EPUB, with a page list.")] = False) -> None:
    """Build the EPUB 3 (default: PROJECT/dist/<title>.epub)."""
    build_one(project, "epub", output, jobs, no_cache, quiet, max_seconds=max_seconds, max_memory=max_memory,
              page_list=page_list)


@app.command()
def kepub(project: ProjectArg = ".", output: OutputOpt = None, jobs: JobsOpt = None, no_cache: NoCacheOpt = False,
          quiet: QuietOpt = False, max_seconds: MaxSecondsOpt = None, max_memory: MaxMemoryOpt = None) -> None:
    """Build the Kobo kepub (default: PROJECT/dist/<title>.kepub.epub)."""
    build_one(project, "kepub", output, jobs, no_cache, quiet, max_seconds=max_seconds, max_memory=max_memory)


@app.command()
def pdf(project: ProjectArg = ".", output: OutputOpt = None,
        variant: Annotated[Optional[Variant], typer.Option(help="A PDF variant for archives or accessibility.")] = None,
        printer: PrinterOpt = None, jobs: JobsOpt = None, no_cache: NoCacheOpt = False, quiet: QuietOpt = False,
        max_seconds: MaxSecondsOpt = None, max_memory: MaxMemoryOpt = None) -> None:
    """Build the print PDF (default: PROJECT/dist/<title>.pdf)."""
    build_one(project, "pdf", output, jobs, no_cache, quiet, variant.value if variant else None, printer,
              max_seconds=max_seconds, max_memory=max_memory)


@app.command()
def cover(project: ProjectArg = ".", output: OutputOpt = None, printer: PrinterOpt = None,
          paper: Annotated[Optional[PaperName], typer.Option("--paper", help="The interior's paper, for the "
                                                             "spine width (default: book.yaml's, or white).")] = None,
          jobs: JobsOpt = None, no_cache: NoCacheOpt = False, quiet: QuietOpt = False,
          max_seconds: MaxSecondsOpt = None, max_memory: MaxMemoryOpt = None) -> None:
    """Build the paperback's full-wrap cover (default: PROJECT/dist/<title>-cover.pdf)."""
    build_one(project, "cover", output, jobs, no_cache, quiet, None, printer, paper, max_seconds, max_memory)


@app.command()
def build(project: ProjectArg = ".",
          format: Annotated[Optional[list[Format]], typer.Option("--format", "-f", help="Only this format "
                                                                 "(repeatable). Default: book.yaml's formats.")] = None,
          printer: PrinterOpt = None, jobs: JobsOpt = None, no_cache: NoCacheOpt = False, quiet: QuietOpt = False,
          max_seconds: MaxSecondsOpt = None, max_memory: MaxMemoryOpt = None) -> None:
    """Build every format the project asks for into PROJECT/dist/."""
    from bookmaker.commands.build import build_if_changed

    progress = Progress(quiet)
    formats = tuple(dict.fromkeys(f.value for f in format)) if format else None

    def run():
        return finishing(lambda: build_if_changed(project, formats, jobs, not no_cache, progress,
                                                  printer.value if printer else None), progress)

    warnings, outcomes = within_budget(max_seconds, max_memory, Path(project) / "dist", run)
    report(warnings)
    failed = False
    for outcome in outcomes:
        report(outcome.warnings)
        if outcome.ok:
            print(outcome.path)
        else:
            failed = True
            report(outcome.problems)
            print(f"bookmaker: the {outcome.format.upper()} was not built", file=sys.stderr)
    if failed:
        raise typer.Exit(1)


class ReportFormat(str, Enum):
    text = "text"
    json = "json"


@app.command()
def check(project: ProjectArg = ".",
          strict: Annotated[bool, typer.Option("--strict", help="Warnings fail the check too.")] = False,
          epubcheck: Annotated[bool, typer.Option("--epubcheck", help="Also build the EPUB in a temporary folder "
                                                  "and validate it with EPUBCheck (needs Java).")] = False,
          ace: Annotated[bool, typer.Option("--ace", help="Also build the EPUB in a temporary folder and check "
                                            "its accessibility with Ace by DAISY (needs npm @daisy/ace).")] = False,
          format: Annotated[ReportFormat, typer.Option("--format", help="text lines, or one JSON report.")]
          = ReportFormat.text, printer: PrinterOpt = None, max_seconds: MaxSecondsOpt = None,
          max_memory: MaxMemoryOpt = None,
          quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print the problems alone: no preflight lines "
                                              "(those that fail are problems too) and no count.")] = False) -> None:
    """Check the book without building it: errors, and what an editor would point out."""
    from bookmaker.commands.check import check as check_project
    from bookmaker.commands.check import json_report

    def run():  # the preflight's checks come back with the problems from a budgeted child
        checks: list = []
        return check_project(project, epubcheck, printer.value if printer else None, checks, ace), checks

    problems, checks = within_budget(max_seconds, max_memory, Path(project) / "dist", run)
    errors = [p for p in problems if p.severity == "error"]
    failed = bool(errors) or (strict and bool(problems))
    if format == ReportFormat.json:
        print(json_report(project, problems, strict, checks))
    else:
        report(problems, sys.stdout)
        if not quiet:
            for c in checks:
                print(f"preflight {c.code}: {c.name}: {c.status}: {c.detail}")
            warnings = len(problems) - len(errors)
            print(f"bookmaker: {len(errors)} error(s), {warnings} warning(s)" + (" (--strict)" if strict else ""),
                  file=sys.stderr)
    if failed:
        raise typer.Exit(1)


@app.command()
def new(path: Annotated[str, typer.Argument(help="The folder to create.")],
        pip_spec: Annotated[Optional[str], typer.Option("--pip-spec", help="What the CI workflow installs "
                                                        "(default: this bookmaker's version from PyPI; give a git "
                                                        "URL or a wheel to pin another).")] = None) -> None:
    """Start a new book: book.yaml, two chapters, .gitignore and a CI workflow that publishes it."""
    from bookmaker.commands.new import new_project

    for file in new_project(path, pip_spec):
        print(file)


@app.command(name="import")
def import_(source: Annotated[str, typer.Argument(help="An archive download (HTML or EPUB), any EPUB or unpacked "
                                                  "EPUB folder, a Word .docx, or one long Markdown, HTML or text "
                                                  "file.")],
            project: Annotated[Optional[str], typer.Argument(help="The new project folder (default: a folder "
                                                             "named after the title).")] = None) -> None:
    """Make a project from a story that already exists elsewhere; prints the project's folder."""
    from bookmaker.commands.import_source import import_source

    print(import_source(source, project, report))


@app.command()
def stats(project: ProjectArg = ".",
          format: Annotated[ReportFormat, typer.Option("--format", help="a table, or one JSON object.")]
          = ReportFormat.text) -> None:
    """Words and estimated reading time, per chapter and in total."""
    from bookmaker.commands.stats import stats_json, stats_table

    print(stats_json(project) if format == ReportFormat.json else stats_table(project))


@app.command()
def watch(project: ProjectArg = ".",
          format: Annotated[Optional[list[Format]], typer.Option("--format", "-f", help="Only this format.")] = None,
          jobs: JobsOpt = None) -> None:
    """Rebuild whenever a file of the book changes (Ctrl-C to stop)."""
    from bookmaker.commands.watch import watch as watch_project

    formats = tuple(dict.fromkeys(f.value for f in format)) if format else None
    watch_project(project, formats, jobs, report)


@app.command()
def batch(manifest: Annotated[Path, typer.Argument(help="The manifest (YAML or JSON) listing the projects.")],
          jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Books built at once.")] = 1,
          shard: Annotated[Optional[str], typer.Option("--shard", help="Build only shard I of N (I/N, from 1), "
                                                       "a stable subset by a hash of each project's path.")] = None,
          report_file: Annotated[Optional[Path], typer.Option("--report", help="Write the JSON-lines report "
                                                              "here (default: standard output).")] = None,
          max_seconds: MaxSecondsOpt = None, max_memory: MaxMemoryOpt = None) -> None:
    """Build many books from a manifest, each in its own budgeted process; exit 1 if any failed."""
    from bookmaker.commands.batch import run_batch
    from bookmaker.commands.manifest import parse_shard
    from bookmaker.infra.budget import Budget

    budget = option_value(Budget.from_env_and_options, max_seconds, max_memory)
    code = run_batch(manifest, jobs, option_value(parse_shard, shard) if shard else None, report_file, budget,
                     failed=report)
    raise typer.Exit(code)


@app.command()
def worker(concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, help="Books built at once "
                                                    "(pool processes).")] = 2) -> None:
    """Start a Celery worker of the build service (needs the service extra and BOOKMAKER_BROKER_URL)."""
    from bookmaker import codes
    from bookmaker.errors import Problem

    try:
        from bookmaker.service import start_worker
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in ("celery", "redis", "kombu"):
            raise
        raise BookmakerError([Problem("bookmaker worker", 1, f"the build service needs {exc.name}: "
                                      "pip install 'bookmaker[service]'", code=codes.SERVICE_MISSING)]) from None
    start_worker(concurrency)


def version_callback(value: bool) -> None:
    if value:
        from bookmaker.version import __version__

        print(f"bookmaker {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=version_callback, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """bookmaker turns manuscript/book.yaml and Markdown chapters into books."""


def main() -> None:
    """The one place that turns a BookmakerError into `path:line: message` lines and exit code 1."""
    # At exit, Python's last garbage collection walked every object a build left (a joined book's
    # parsed pages, the rendered chapters): 0.17 s of a one-chapter edit's 3 s. Frozen just before it,
    # they are left to the system, which frees a process's memory whole; exit handlers still run.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    # A path the terminal's encoding cannot show (PYTHONIOENCODING=ascii, a C locale, a Japanese folder
    # name) is printed with escapes: printing it raised UnicodeEncodeError after the books were written,
    # and the build exited 1, which says nothing was.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")
    try:
        app()
    except BookmakerError as exc:
        report(exc.problems)
        sys.exit(1)


if __name__ == "__main__":
    main()
