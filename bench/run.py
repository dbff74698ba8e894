"""make bench: bookmaker against its peers, measured in the same run on the same machine.

For each book size (S, M, L from bench/generate.py) it measures, as separate processes:
  - EPUB: bookmaker cold (empty cache), bookmaker after one chapter is edited, and pandoc (from the
    pypandoc-binary package) making an EPUB from the same chapter files;
  - PDF: bookmaker cold, bookmaker after one chapter is edited, and WeasyPrint laying out the same book
    as one HTML document with bookmaker's own stylesheet, fonts, hyphenation and front matter (what an
    HTML-to-PDF pipeline does: bookmaker's single-document layout, `jobs=0`, no cache).
"Edited" is one sentence added to the middle chapter; "+1,500 words" then adds a scene of several
pages to it, so that in the PDF every later chapter moves and is numbered again.
Wall time, CPU time and peak memory (max RSS of the process tree) are medians of --repeat runs.

    python bench/run.py [--sizes S,M,L] [--formats epub,pdf] [--repeat 3] [--out bench/out]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import SIZES, generate  # noqa: E402

PYTHON = sys.executable


def compiled() -> None:
    """bookmaker's modules compiled to bytecode first, as an installed package's are (pip compiles them): an
    editable install on a machine with PYTHONDONTWRITEBYTECODE set compiles 53 modules in every process,
    0.13 to 0.16 s that no author's installed bookmaker spends (the Makefile's BYTECODE)."""
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(Path(__file__).resolve().parents[1] / "bookmaker")],
                   check=True)


@dataclass
class Measure:
    wall: float
    cpu: float
    peak_mb: float
    # Proportional set size: each page shared by forked workers counted once, split between them (what
    # the tree takes from the machine; the resident size above counts a shared page in every process).
    peak_pss_mb: float = 0.0


def tree_memory_kb(root: int) -> tuple[int, int]:
    """(resident, proportional) memory of a process and all its descendants, now: each process's
    VmRSS (/proc/PID/status) and Pss (/proc/PID/smaps_rollup), summed over the tree found once."""
    rss = pss = 0
    for pid in tree_pids(root):
        rss += proc_field_kb(f"/proc/{pid}/status", "VmRSS:")
        pss += proc_field_kb(f"/proc/{pid}/smaps_rollup", "Pss:")
    return rss, pss


def proc_field_kb(path: str, field: str) -> int:
    try:
        with open(path) as handle:
            return next((int(line.split()[1]) for line in handle if line.startswith(field)), 0)
    except OSError:  # the process ended meanwhile
        return 0


def tree_pids(root: int) -> set[int]:
    """The process and its descendants, from each one's /proc/PID/task/TID/children (a few small reads:
    the sampler takes about a millisecond of a core each 20 ms, not the 3.6 ms a scan of every process's
    /proc/PID/stat took, which the build it measured lost on 2 cores); that scan where the kernel does
    not list children."""
    if not os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children"):
        return tree_pids_scanned(root)
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:  # the process ended meanwhile
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    todo.extend(int(child) for child in handle.read().split() if int(child) not in tree)
            except (OSError, ValueError):
                continue
    return tree


def tree_pids_scanned(root: int) -> set[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                parents[int(entry)] = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return tree


def run(cmd: list[str], env: dict | None = None, cwd: str | None = None, sample: bool = True) -> Measure:
    """One process: wall time, CPU time of it and its children, and peak memory of the whole process
    tree (workers included, sampled every 20 ms, never below the largest single process). With `sample`
    false, memory is only the largest single process's (no sampler takes a core's time from it)."""
    import threading

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak, pss = [0], [0]
    finished = threading.Event()

    def sample() -> None:
        while not finished.is_set():
            rss_now, pss_now = tree_memory_kb(proc.pid)
            peak[0], pss[0] = max(peak[0], rss_now), max(pss[0], pss_now)
            finished.wait(0.02)

    sampler = threading.Thread(target=sample if sample else finished.wait, daemon=True)
    sampler.start()
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    finished.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if status != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measure(wall, cpu, max(peak[0], usage.ru_maxrss) / 1024, pss[0] / 1024)


def median(measures: list[Measure]) -> Measure:
    return Measure(statistics.median(m.wall for m in measures), statistics.median(m.cpu for m in measures),
                   statistics.median(m.peak_mb for m in measures), statistics.median(m.peak_pss_mb for m in measures))


def pandoc_path() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


SINGLE_DOCUMENT = """
import sys
from bookmaker.load.project import load_book
from bookmaker.render import render_book
from bookmaker.pdf.writer import pdf_bytes
rendered = render_book(load_book(sys.argv[1]), jobs=1, cache=False)
data, _ = pdf_bytes(rendered, jobs=0, cache=False)
open(sys.argv[2], "wb").write(data)
"""


def edit_one_chapter(project: Path, text: str = "She read the letter again, and this time she smiled.") -> None:
    """An author's edit: a sentence added to the middle chapter."""
    chapters = sorted((project / "manuscript").glob("*.md"))
    target = chapters[len(chapters) // 2]
    with target.open("a", encoding="utf-8") as handle:
        handle.write(f"\n{text}\n")


def grow_one_chapter(project: Path) -> None:
    """The worst edit for the PDF: a scene of about 1,500 words added to the middle chapter, several
    pages, so every later chapter moves and its page numbers change."""
    paragraph = ("The harbour was quiet that night, and she walked the length of it twice before she "
                 "let herself think about the letter, or the man who had written it, or what he wanted. ")
    edit_one_chapter(project, "\n\n".join([paragraph * 3] * 16))


def bench_size(size: str, formats: list[str], repeat: int, out: Path) -> list[tuple]:
    rows = []
    for fmt in formats:
        cold, edited, grown, peer = [], [], [], []
        for _ in range(repeat):
            with tempfile.TemporaryDirectory(prefix="bookmaker-bench-") as tmp:
                project = Path(tmp) / "book"
                generate(project, size)
                env = {**os.environ, "BOOKMAKER_CACHE_DIR": str(Path(tmp) / "cache")}
                target = str(Path(tmp) / f"book.{fmt}")
                bookmaker = [PYTHON, "-m", "bookmaker", fmt, str(project), "-o", target]
                cold.append(run(bookmaker, env))
                edit_one_chapter(project)
                edited.append(run(bookmaker, env))
                grow_one_chapter(project)
                grown.append(run(bookmaker, env))
                if fmt == "epub":
                    chapters = sorted(str(p) for p in (project / "manuscript").glob("*.md"))
                    peer.append(run([pandoc_path(), "-f", "markdown", "-t", "epub3", "-o",
                                     str(Path(tmp) / "pandoc.epub"), "--metadata", "title=Bench", *chapters]))
                else:
                    peer.append(run([PYTHON, "-c", SINGLE_DOCUMENT, str(project), str(Path(tmp) / "one.pdf")]))
        peer_name = "pandoc" if fmt == "epub" else "WeasyPrint, one document"
        p = median(peer)
        for label, measures in (("cold cache", cold), ("one chapter edited", edited),
                                ("chapter +1,500 words", grown)):
            m = median(measures)
            rows.append((size, fmt.upper(), label, m, p, peer_name))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="S,M,L")
    parser.add_argument("--formats", default="epub,pdf")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=str(HERE / "out"))
    args = parser.parse_args()
    compiled()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in args.sizes.split(","):
        if size not in SIZES:
            raise SystemExit(f"unknown size {size}: choose from {', '.join(SIZES)}")
        rows += bench_size(size, args.formats.split(","), args.repeat, out)
    header = (f"{'book':4} {'format':6} {'bookmaker build':20} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} | "
              f"{'peer':26} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} | {'wall ratio':>10} {'mem ratio':>9}")
    lines = [header, "-" * len(header)]
    for size, fmt, label, m, p, peer_name in rows:
        lines.append(f"{size:4} {fmt:6} {label:20} {m.wall:8.2f} {m.cpu:8.2f} {m.peak_mb:8.0f} | "
                     f"{peer_name:26} {p.wall:8.2f} {p.cpu:8.2f} {p.peak_mb:8.0f} | "
                     f"{m.wall / p.wall:10.3f} {m.peak_mb / p.peak_mb:9.2f}")
    report = "\n".join(lines)
    print(report)
    (out / "report.txt").write_text(report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
