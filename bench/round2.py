"""Issue 17's table: the author's edit loop, the no-op build and cold builds, each peer in the same run.

Rows (wall-clock medians of --repeat runs; cold rows of --cold-repeat runs, they take minutes):
  - one chapter edited in the 100,000-word book (generate.py B100K), `build` of EPUB + PDF:
    in-process as `watch` runs it (libraries imported) and as a one-shot `bookmaker build`;
  - the same book, a scene of 1,500 words added to a chapter (bench/run.py's grow_one_chapter), each
    time to the same chapter, one-shot `bookmaker build`;
  - the same book, nothing changed, `bookmaker build`;
  - PressReady (pip package `pressready`, reportlab) building the same chapters from nothing, when it is
    installed in the venv given by --pressready (a separate venv: its dependencies are not ours);
  - the 200,000-word book (generate.py M), empty cache: EPUB vs pandoc; PDF vs pandoc → HTML →
    WeasyPrint with a plain stylesheet; the engine's floor (each chapter laid out alone, one process,
    summed, ÷ cores); peak memory vs WeasyPrint laying bookmaker's book out as one document, and the
    same PDF built with `--jobs 1` (its layout in the building process: the least memory).

Times are taken without the memory sampler (bench/run.py's run(sample=False)): on 2 cores its reads
took a share of a core from a build that uses both. The cold PDF's peak memory is sampled in a second
cold build, and the floor is measured in each cold round right after the PDF build it is compared
with: the ratio is the median of the rounds' ratios.

    python bench/round2.py [--repeat 5] [--cold-repeat 1] [--pressready /path/to/venv]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402
from run import (PYTHON, SINGLE_DOCUMENT, compiled, edit_one_chapter, grow_one_chapter, median,  # noqa: E402
                 pandoc_path, run)

IN_PROCESS_EDITS = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from run import edit_one_chapter
from bookmaker.commands.build import build
from bookmaker.pdf.workers import import_here
from bookmaker.pdf.writer import layout_session
project, repeat = sys.argv[1], int(sys.argv[2])
from bookmaker.commands.watch import settle
from bookmaker.infra import memo
import_here()  # as watch does before its first build (commands/watch.py), in its sessions
with memo.session(), layout_session():
    build(project)  # the watch's first build: libraries imported, caches filled, the theme parsed
    settle()  # as watch does after each build, while the author reads it
    times = []
    for i in range(repeat):
        edit_one_chapter(Path(project), f"She read the letter again, {i} times, and smiled.")
        start = time.perf_counter()
        build(project)
        times.append(time.perf_counter() - start)
        settle()
print(json.dumps(times))
"""

ENGINE_FLOOR = """
import json, sys, time
from bookmaker.load.project import load_book
from bookmaker.render import render_book
from bookmaker.pdf import layout as L, parts
from bookmaker.pdf.html import document_html, page_divs
rendered = render_book(load_book(sys.argv[1]), jobs=1, cache=False)
setup = L.layout_setup(rendered)
parts.init_worker(setup, in_pool=False)
htmls = [document_html(rendered, [div], minimal=True) for page, div in page_divs(rendered)
         if page.kind in parts.FLOW_KINDS]
parts.lay_out_body(0, htmls[0])  # the theme parsed and fonts loaded once, as a worker does
total = 0.0
for i, html in enumerate(htmls):
    start = time.perf_counter()
    parts.lay_out_body(i, html)
    total += time.perf_counter() - start
print(json.dumps(total))
"""

PLAIN_WEASYPRINT = """
import sys
from weasyprint import CSS, HTML
css = CSS(string="@page { size: 5.5in 8.5in; margin: 0.75in } body { font-family: serif; font-size: 11pt; "
                 "line-height: 1.4; hyphens: auto } h1 { break-before: page }")
HTML(sys.argv[1]).write_pdf(sys.argv[2], stylesheets=[css])
"""


def timed(cmd: list[str], env: dict, cwd: str | None = None) -> float:
    """Wall time, unsampled: on 2 cores, a memory sampler's reads took time from the build it measured."""
    return run(cmd, env, cwd, sample=False).wall


def pressready_project(project: Path, target: Path) -> Path:
    """The same chapters as PressReady reads them: book.json, one .md a chapter with a # title."""
    target.mkdir(parents=True)
    (target / "book.json").write_text(json.dumps({"title": "The Harbour Ledger", "author": "Bench Writer"}))
    for md in sorted((project / "manuscript").glob("*.md")):
        text = md.read_text(encoding="utf-8")
        title = re.search(r'^title: "(.*)"$', text, re.M).group(1)
        body = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
        (target / md.name).write_text(f"# {title}\n\n{body}", encoding="utf-8")
    from PIL import Image

    Image.new("RGB", (1600, 2560), (40, 60, 90)).save(target / "cover.png")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cold-repeat", type=int, default=5)
    parser.add_argument("--pressready", help="a venv with `pip install pressready` in it")
    parser.add_argument("--skip-cold", action="store_true")
    args = parser.parse_args()
    compiled()
    rows: list[tuple[str, str, str]] = []
    bookmaker = [PYTHON, "-m", "bookmaker"]
    with tempfile.TemporaryDirectory(prefix="bookmaker-round2-") as tmp:
        env = {**os.environ, "BOOKMAKER_CACHE_DIR": str(Path(tmp) / "cache")}
        project = generate(Path(tmp) / "b100k", "B100K")
        run([*bookmaker, "build", str(project), "-q"], env)  # the cache filled
        noop = [timed([*bookmaker, "build", str(project), "-q"], env) for _ in range(args.repeat)]
        oneshot = []
        for _ in range(args.repeat):
            edit_one_chapter(project)
            oneshot.append(timed([*bookmaker, "build", str(project), "-q"], env))
        inproc = json.loads(subprocess.run([PYTHON, "-c", IN_PROCESS_EDITS, str(project), str(args.repeat), str(HERE)],
                                           env=env, check=True, capture_output=True, text=True).stdout)
        grown = []  # the worst edit for the PDF: pages added, every later chapter moved
        for _ in range(args.repeat):
            grow_one_chapter(project)
            grown.append(timed([*bookmaker, "build", str(project), "-q"], env))
        peer = "—"
        if args.pressready:
            tool = Path(args.pressready) / "bin" / "pressready"
            source = pressready_project(project, Path(tmp) / "pressready")
            walls = [timed([str(tool), "build", str(source), "--cover", str(source / "cover.png"), "--out",
                            str(Path(tmp) / f"pr-out{i}"), "--trim", "5.5x8.5"], env) for i in range(args.repeat)]
            peer = f"PressReady full build (EPUB + PDF + cover) {statistics.median(walls):.2f} s"
        rows.append(("100k words, one chapter edited, EPUB+PDF, in-process (watch)", f"{statistics.median(inproc):.2f} s", peer))
        rows.append(("100k words, one chapter edited, one-shot `bookmaker build`", f"{statistics.median(oneshot):.2f} s", peer))
        rows.append(("100k words, a scene of 1,500 words added to a chapter (its pages and every later chapter's "
                     "move), one-shot `bookmaker build`", f"{statistics.median(grown):.2f} s", "—"))
        rows.append(("100k words, nothing changed, `bookmaker build`", f"{statistics.median(noop):.3f} s", "—"))

        if not args.skip_cold:
            big = generate(Path(tmp) / "m200k", "M")
            chapters = sorted(str(p) for p in (big / "manuscript").glob("*.md"))
            epub, pandoc_epub, pdf, pdf_memory, pandoc_pdf, single, lean, floors = [], [], [], [], [], [], [], []
            for i in range(args.cold_repeat):
                cold = {**env, "BOOKMAKER_CACHE_DIR": str(Path(tmp) / f"cold{i}")}
                epub.append(run([*bookmaker, "epub", str(big), "-o", str(Path(tmp) / "b.epub")], cold, sample=False))
                pandoc_epub.append(run([pandoc_path(), "-f", "markdown", "-t", "epub3", "-o", str(Path(tmp) / "p.epub"),
                                        "--metadata", "title=Bench", *chapters], env, sample=False))
                shutil.rmtree(Path(tmp) / f"cold{i}", ignore_errors=True)
                # Timed unsampled; its memory sampled in a second cold build (the sampler's reads take
                # time from the build's two processes on 2 cores, not from a one-process peer's).
                pdf.append(run([*bookmaker, "pdf", str(big), "-o", str(Path(tmp) / "b.pdf")], cold, sample=False))
                shutil.rmtree(Path(tmp) / f"cold{i}", ignore_errors=True)
                # Right after the build it is compared with: this machine's speed drifts by a third within an
                # hour (the same cold build took 16 to 24 s), so the ratio is taken in each round.
                floors.append(json.loads(subprocess.run([PYTHON, "-c", ENGINE_FLOOR, str(big)], env=env, check=True,
                                                        capture_output=True, text=True).stdout) / (os.cpu_count() or 1))
                pdf_memory.append(run([*bookmaker, "pdf", str(big), "-o", str(Path(tmp) / "b.pdf")], cold))
                html = Path(tmp) / "p.html"
                start = time.perf_counter()
                first = run([pandoc_path(), "-f", "markdown", "-t", "html5", "-s", "-o", str(html), "--metadata",
                             "title=Bench", *chapters], env, sample=False)
                second = run([PYTHON, "-c", PLAIN_WEASYPRINT, str(html), str(Path(tmp) / "p.pdf")], env, sample=False)
                pandoc_pdf.append(type(first)(time.perf_counter() - start, first.cpu + second.cpu,
                                              max(first.peak_mb, second.peak_mb), max(first.peak_pss_mb, second.peak_pss_mb)))
                single.append(run([PYTHON, "-c", SINGLE_DOCUMENT, str(big), str(Path(tmp) / "one.pdf")], env))
                shutil.rmtree(Path(tmp) / f"cold{i}", ignore_errors=True)
                # One layout process (the building process itself): the least memory, the most time.
                lean.append(run([*bookmaker, "pdf", str(big), "-o", str(Path(tmp) / "b1.pdf"), "--jobs", "1"], cold))
                shutil.rmtree(Path(tmp) / f"cold{i}", ignore_errors=True)
            floor = statistics.median(floors)
            ratios = [build.wall / each for build, each in zip(pdf, floors)]
            to_floor = statistics.median(ratios)
            e, pe, p, m, pp, s, one = map(median, (epub, pandoc_epub, pdf, pdf_memory, pandoc_pdf, single, lean))
            rows.append(("200k words, empty cache: EPUB", f"{e.wall:.2f} s", f"{e.wall / pe.wall:.2f} × pandoc ({pe.wall:.2f} s)"))
            rows.append(("200k words, empty cache: PDF", f"{p.wall:.2f} s",
                         f"{p.wall / pp.wall:.2f} × pandoc → HTML → WeasyPrint ({pp.wall:.2f} s); "
                         f"{to_floor:.2f} × the engine's floor ({floor:.2f} s; the median of the rounds' ratios, "
                         f"{', '.join(f'{r:.2f}' for r in ratios)})"))
            rows.append(("200k words, PDF peak memory (resident, every process's own count)", f"{m.peak_mb:.0f} MB",
                         f"{m.peak_mb / s.peak_mb:.2f} × one-document WeasyPrint ({s.peak_mb:.0f} MB)"))
            rows.append(("200k words, PDF peak memory (proportional: pages shared by forked workers once)",
                         f"{m.peak_pss_mb:.0f} MB",
                         f"{m.peak_pss_mb / s.peak_pss_mb:.2f} × one-document WeasyPrint ({s.peak_pss_mb:.0f} MB)"))
            rows.append(("200k words, PDF with `--jobs 1`: time; peak memory resident, proportional",
                         f"{one.wall:.2f} s; {one.peak_mb:.0f} MB, {one.peak_pss_mb:.0f} MB",
                         f"{one.peak_mb / s.peak_mb:.2f} ×, {one.peak_pss_mb / s.peak_pss_mb:.2f} × one-document WeasyPrint"))
    print(f"| work ({os.cpu_count()} cores, medians of {args.repeat}; cold rows of {args.cold_repeat}) | bookmaker | peer |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
