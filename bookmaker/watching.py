"""bookmaker watch: rebuild on every save, saying what changed and how long the rebuild took."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bookmaker.builds import build
from bookmaker.errors import BookmakerError


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
    print(f"bookmaker: rebuilt in {time.perf_counter() - start:.2f} s", flush=True)


def watch(project: str, formats, jobs, report: Callable, stop_event=None) -> None:
    from watchfiles import watch as changes

    root = Path(project)
    folders = [str(p) for p in (root / "manuscript", root / "styles") if p.is_dir()] or [str(root)]
    rebuild(project, formats, jobs, report)
    print(f"bookmaker: watching {', '.join(folders)} (Ctrl-C to stop)", flush=True)
    try:
        for batch in changes(*folders, stop_event=stop_event, debounce=300):
            names = sorted({str(Path(path).relative_to(root.absolute()) if Path(path).is_absolute()
                               and Path(path).is_relative_to(root.absolute()) else path) for _, path in batch})
            print(f"bookmaker: changed: {', '.join(names)}", flush=True)
            rebuild(project, formats, jobs, report)
    except KeyboardInterrupt:
        print("bookmaker: stopped watching", flush=True)
