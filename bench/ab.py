"""Two checkouts of bookmaker timed against each other on the author's edit loop, alternated in one run.

This machine's speed drifts by a third from one hour to the next, so a change is measured against the
code before it in the same minutes: rounds alternate between the two trees, each on its own copy of the
100,000-word book (generate.py B100K) and its own cache. Each round makes one build, then times
--edits edits of one chapter (run.edit_one_chapter): in-process as `watch` makes them (WeasyPrint
imported, in watch's layout session where the tree has one), and as one-shot `bookmaker build`s.

    git worktree add --detach /tmp/before REV
    python bench/ab.py /tmp/before . [--rounds 3] [--edits 4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402
from run import PYTHON, edit_one_chapter  # noqa: E402

IN_PROCESS = """
import contextlib, json, sys, time
from pathlib import Path
tree, project, edits, bench = sys.argv[1:5]
sys.path[:0] = [tree, bench]
from run import edit_one_chapter
import bookmaker
assert bookmaker.__file__.startswith(tree), bookmaker.__file__
from bookmaker.commands.build import build
from bookmaker.pdf.workers import import_here
try:
    from bookmaker.pdf.writer import layout_session
except ImportError:  # a tree from before watch's layout session
    layout_session = contextlib.nullcontext
try:
    from bookmaker.commands.watch import settle  # what watch does after each rebuild, while the author reads
except ImportError:  # a tree from before it
    settle = lambda: None  # noqa: E731
try:
    from bookmaker.infra.memo import session as memo_session  # what watch keeps from build to build
except ImportError:  # a tree from before it
    memo_session = contextlib.nullcontext
import_here()
with memo_session(), layout_session():
    build(project)
    settle()
    times = []
    for i in range(int(edits)):
        edit_one_chapter(Path(project), f"She read the letter again, {i} times, and smiled.")
        start = time.perf_counter()
        build(project)
        times.append(time.perf_counter() - start)
        settle()
print(json.dumps(times))
"""


def in_process(tree: Path, project: Path, edits: int, env: dict) -> list[float]:
    out = subprocess.run([PYTHON, "-c", IN_PROCESS, str(tree), str(project), str(edits), str(HERE)], env=env,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def one_shot(tree: Path, project: Path, edits: int, env: dict) -> list[float]:
    env = {**env, "PYTHONPATH": str(tree)}  # before the editable install's finder
    # Run from the tree: `python -m` puts the working folder first on sys.path, before PYTHONPATH, so
    # from this repository both trees would run this repository's bookmaker.
    which = subprocess.run([PYTHON, "-c", "import bookmaker; print(bookmaker.__file__)"], env=env, cwd=tree,
                           check=True, capture_output=True, text=True).stdout
    assert which.startswith(str(tree)), which
    command = [PYTHON, "-m", "bookmaker", "build", str(project), "-q"]
    subprocess.run(command, env=env, cwd=tree, check=True, capture_output=True)
    times = []
    for i in range(edits):
        edit_one_chapter(project, f"He read it {i} times.")
        start = time.perf_counter()
        subprocess.run(command, env=env, cwd=tree, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--edits", type=int, default=4)
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    for tree in trees.values():
        subprocess.run([PYTHON, "-m", "compileall", "-q", str(tree / "bookmaker")], check=True)
    times: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bookmaker-ab-") as tmp:
        for rounds in range(args.rounds):
            for name, tree in trees.items():
                for kind, measure in (("watch", in_process), ("build", one_shot)):
                    project = generate(Path(tmp) / f"{name}-{kind}-{rounds}", "B100K")
                    env = {**os.environ, "BOOKMAKER_CACHE_DIR": str(Path(tmp) / f"cache-{name}")}
                    times.setdefault((kind, name), []).extend(measure(tree, project, args.edits, env))
    print(f"| one chapter of the 100k book edited (medians of {args.rounds} × {args.edits}) | before | after |")
    print("|---|---|---|")
    for kind in ("watch", "build"):
        before, after = (statistics.median(times[(kind, name)]) for name in trees)
        print(f"| {'in-process, as watch' if kind == 'watch' else 'one-shot bookmaker build'} | {before:.2f} s | "
              f"{after:.2f} s |")


if __name__ == "__main__":
    main()
