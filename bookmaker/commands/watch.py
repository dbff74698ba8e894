"""bookmaker watch: rebuild on every save, saying what changed and how long the rebuild took."""

from __future__ import annotations

import contextlib
import gc
import itertools
import re
import time
from collections.abc import Callable
from pathlib import Path

from bookmaker import codes
from bookmaker.commands.build import build
from bookmaker.errors import BookmakerError, Problem
from bookmaker.infra import memo


def rebuild(project: str, formats, jobs, report: Callable) -> None:
    start = time.perf_counter()
    try:
        rendered, outcomes = build(project, formats, jobs)
    except BookmakerError as exc:
        report(exc.problems)
        print(f"bookmaker: not built ({len(exc.problems)} problem(s)); waiting for the next save", flush=True)
        return
    report(rendered.warnings)
    for outcome in outcomes:
        if outcome.ok:
            print(f"bookmaker: {outcome.path} ({outcome.seconds:.2f} s)", flush=True)
        else:
            report(outcome.problems)
        report(outcome.warnings)
    print(f"bookmaker: rebuilt in {time.perf_counter() - start:.2f} s", flush=True)


# Files editors write while saving, then rename over the real one or delete: sed -i's sedXXXXXX, vim's
# .swp/.swx/.swo, its 4913 probe and backup~, emacs #autosave# and .#lock, .tmp/.bak/.part files,
# JetBrains' ___jb_tmp___, and hidden files (no chapter is hidden). The rename that completes the
# save is an event on the real file's name, and rebuilds.
EDITOR_TEMP = re.compile(r"^(sed[A-Za-z0-9]{6}|4913|#.*#|\..*|.*~|.*\.(swp|swx|swo|tmp|temp|bak|part|crdownload)"
                         r"|.*___jb_(tmp|old)___)$", re.I)


def settle() -> None:
    """Between rebuilds, while the author reads the last one: everything this process holds collected
    once, and what survives frozen out of the collector's way (gc.freeze) until the next settle().

    A watching process holds a lot that lives from build to build (each chapter's parsed PDF, the
    merged fonts, the rendered book: 180,000 objects for a 100,000-word book), and every other rebuild
    stopped for a full collection that walked all of it: 0.08 to 0.16 s of an edit's rebuild. Frozen,
    the rebuild's collections walk only what it made. Unfrozen first, so that what the last rebuild
    let go of (a chapter's old pages) is freed here, not kept for good."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def editor_temp(path: str) -> bool:
    return bool(EDITOR_TEMP.match(Path(path).name))


def watch(project: str, formats, jobs, report: Callable, stop_event=None) -> None:
    """Build, then rebuild on every save in manuscript/ or styles/ (even a styles/ made later)."""
    from watchfiles import watch as changes

    from bookmaker.load.assets import path_problem

    if path_problem(project) is not None:  # Path.is_dir() would raise "File name too long"
        raise BookmakerError([Problem(project, 1, f"the project folder's path {path_problem(project)}",
                                      code=codes.UNREADABLE)])
    root = Path(project).absolute()
    if not root.is_dir():
        raise BookmakerError([Problem(project, 1, "project folder not found", code=codes.UNREADABLE)])
    watched = (root / "manuscript", root / "styles")

    def in_book(_change, path: str) -> bool:
        if editor_temp(path):
            return False
        # Folders count too: files written at once into a new folder can come before its watch does.
        return any(Path(path).is_relative_to(folder) or Path(path) == folder for folder in watched)

    # The watcher runs before the first build (a save during it is not missed), and "watching" is
    # said only once it does: the first timeout it yields proves it.
    batches = changes(root, watch_filter=in_book, stop_event=stop_event, debounce=300, rust_timeout=200,
                      yield_on_timeout=True)
    session = contextlib.ExitStack()
    try:
        session.enter_context(memo.session())  # each rebuild keeps what the next can use (infra/memo.py)
        first = next(batches, set())
        if not formats or set(formats) & {"pdf", "cover"}:
            # Here, once: each rebuild's layout workers are then forked with WeasyPrint, and none starts
            # early (workers.py) to import it again; and with the theme, parsed by the first build only.
            from bookmaker.pdf.workers import import_here
            from bookmaker.pdf.writer import layout_session

            import_here()
            session.enter_context(layout_session())
        rebuild(project, formats, jobs, report)
        settle()
        styles = f" and {project}/styles" if (root / "styles").is_dir() else ""  # a project of its own theme
        print(f"bookmaker: watching {project}/manuscript{styles} (Ctrl-C to stop)", flush=True)
        for batch in itertools.chain([first], batches):
            if not batch:
                continue
            names = sorted({str(Path(path).relative_to(root)) for _, path in batch})
            print(f"bookmaker: changed: {', '.join(names)}", flush=True)
            rebuild(project, formats, jobs, report)
            settle()
    except KeyboardInterrupt:
        print("bookmaker: stopped watching", flush=True)
    finally:
        session.close()
