"""The parallel PDF layout: each chapter laid out as its own document on all cores, then joined.

The pages are those of the single-document layout. Chapters open on right-hand pages, so a chapter's
page count does not depend on where it starts; only its page numbers do. A chapter's worker makes its
pages, reports how many there are, learns its first page number from the chapters before it, and only
then lets WeasyPrint draw the page furniture, so numbers and running heads come out as in one document.
The front matter is laid out last, with the contents' page numbers now known. Outline entries and links
between chapters are added when the documents are joined.

Laid-out chapters are cached by content (chapter, theme, settings, bookmaker version) and first page
number: an edit re-lays out only that chapter, and the chapters after it only if its length in pages
changed.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bookmaker import code_version
from bookmaker import pdf as P
from bookmaker.errors import Problem
from bookmaker.model import RenderedBook

PX_TO_PT = 0.75


@dataclass(frozen=True)
class PartJob:
    index: int
    html: str
    start: int | None  # the first page number when already known (a cached chapter that moved)


@dataclass
class PartResult:
    index: int
    pdf: bytes
    pages: int
    start: int
    height: float  # page height in CSS pixels, for link coordinates
    anchors: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    links: list[tuple[int, tuple[float, float, float, float], str]] = field(default_factory=list)
    problems: list = field(default_factory=list)


# --- the hook: page numbers decided between pagination and page furniture -------------------------

_on_paginated: Callable[[int], int] | None = None


def install_hook() -> None:
    import weasyprint.layout as layout_module

    if getattr(layout_module.make_margin_boxes, "bookmaker_hook", False):
        return
    original = layout_module.make_margin_boxes

    def make_margin_boxes(context, page, state):
        if _on_paginated is not None and not hasattr(context, "bookmaker_shift"):
            context.bookmaker_shift = shift = _on_paginated(len(context.page_maker) - 1)
            if shift:
                seen = set()
                for entry in context.page_maker:
                    values = entry[3][1]
                    if id(values) not in seen and "page" in values:
                        seen.add(id(values))
                        values["page"] = [value + shift for value in values["page"]]
        return original(context, page, state)

    make_margin_boxes.bookmaker_hook = True
    layout_module.make_margin_boxes = make_margin_boxes


def part_start(counts, index: int) -> int | None:
    """First page number of part `index`: each earlier part's pages, padded to an even count."""
    total = 1
    for j in range(index):
        if counts[j] == FAILED:
            raise RuntimeError("an earlier chapter's layout failed")
        if counts[j] < 0:
            return None
        total += counts[j] + counts[j] % 2
    return total


FAILED = -2
_counts = None
_setup: P.LayoutSetup | None = None


def init_worker(counts, setup: P.LayoutSetup) -> None:
    global _counts, _setup
    _counts, _setup = counts, setup
    install_hook()


def lay_out_part(job: PartJob) -> PartResult:
    """In a worker: one part's PDF, its page furniture numbered from where it really starts."""
    global _on_paginated
    counts, setup = _counts, _setup
    start_box: list[int] = []

    def paginated(pages: int) -> int:
        counts[job.index] = pages
        start = job.start
        while start is None:
            start = part_start(counts, job.index)
            if start is None:
                time.sleep(0.002)
        start_box.append(start)
        return start - 1

    records: list = []
    _on_paginated = paginated
    try:
        document = P.layout(job.html, setup, records)
        data = P.write_document(document, "part", records)
    except BaseException:
        counts[job.index] = FAILED
        raise
    finally:
        _on_paginated = None
    anchors, links = {}, []
    for number, page in enumerate(document.pages):
        for name, (x, y, *_rest) in page.anchors.items():
            anchors.setdefault(name, (number, x, y))
    for number, page in enumerate(document.pages):
        for link_type, target, rect, _box in page.links:
            if link_type == "internal" and target not in anchors:
                links.append((number, tuple(rect), target))
    dangling = {target for _, _, target in links}
    records = [r for r in records if not any(f"#{t} " in r.getMessage() + " " for t in dangling)]
    height = document.pages[0].height if document.pages else 0
    return PartResult(job.index, data, len(document.pages), start_box[0] if start_box else 1, height,
                      anchors, links, P.log_problems(records, setup.style_path))


# --- the cache ------------------------------------------------------------------------------------

def cache_root() -> Path:
    if os.environ.get("BOOKMAKER_CACHE_DIR"):
        return Path(os.environ["BOOKMAKER_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "bookmaker"


class PartCache:
    """Content-addressed: a key names the part's HTML, the stylesheets and bookmaker's version."""

    def __init__(self, enabled: bool):
        self.root = cache_root() / "pdf-parts" if enabled else None

    @staticmethod
    def key(html: str, setup: P.LayoutSetup) -> str:
        digest = hashlib.sha256(code_version().encode())
        for text in (html, *setup.stylesheets):
            digest.update(b"\0" + text.encode())
        return digest.hexdigest()

    def pages(self, key: str) -> int | None:
        meta = self._read(f"{key}.json")
        return json.loads(meta)["pages"] if meta else None

    def result(self, key: str, index: int, start: int) -> PartResult | None:
        meta, data = self._read(f"{key}-{start}.json"), self._read(f"{key}-{start}.pdf", binary=True)
        if meta is None or data is None:
            return None
        info = json.loads(meta)
        return PartResult(index, data, info["pages"], start, info["height"],
                          {k: tuple(v) for k, v in info["anchors"].items()},
                          [(n, tuple(r), t) for n, r, t in info["links"]])

    def store(self, key: str, result: PartResult) -> None:
        if self.root is None:
            return
        info = {"pages": result.pages, "height": result.height, "anchors": result.anchors,
                "links": result.links}
        self._write(f"{key}-{result.start}.pdf", result.pdf)
        self._write(f"{key}-{result.start}.json", json.dumps(info).encode())
        self._write(f"{key}.json", json.dumps({"pages": result.pages}).encode())

    def _read(self, name: str, binary: bool = False):
        if self.root is None:
            return None
        try:
            data = (self.root / name[:2] / name).read_bytes()
        except OSError:
            return None
        return data if binary else data.decode()

    def _write(self, name: str, data: bytes) -> None:
        folder = self.root / name[:2]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, folder / name)
        except OSError:
            pass  # a cache that cannot be written only costs time


# --- the whole book -------------------------------------------------------------------------------

def run_jobs(jobs: list[PartJob], counts, setup: P.LayoutSetup, workers: int,
             done: Callable[[PartResult], None]) -> None:
    if not jobs:
        return
    if workers <= 1 or len(jobs) == 1:
        init_worker(counts, setup)
        for job in jobs:
            done(lay_out_part(job))
        return
    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    with context.Pool(min(workers, len(jobs)), initializer=init_worker, initargs=(counts, setup)) as pool:
        for result in pool.imap_unordered(lay_out_part, jobs):
            done(result)


def parallel_pdf(rendered: RenderedBook, workers: int, say: Callable[[str], None],
                 use_cache: bool = True) -> tuple[bytes, list[Problem]]:
    setup = P.layout_setup(rendered)
    divs = P.page_divs(rendered)
    front = [(page, div) for page, div in divs if page.kind not in P.FLOW_KINDS]
    flow = [(page, div) for page, div in divs if page.kind in P.FLOW_KINDS]
    htmls = [P.document_html(rendered, [div], minimal=True) for _, div in flow]
    cache = PartCache(use_cache)
    keys = [cache.key(html, setup) for html in htmls]
    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    counts = context.Array("i", [-1] * len(flow), lock=False)
    cached_pages = [cache.pages(key) for key in keys]
    for i, pages in enumerate(cached_pages):
        if pages is not None:
            counts[i] = pages
    results: dict[int, PartResult] = {}
    problems: list[Problem] = []

    def done(result: PartResult) -> None:
        results[result.index] = result
        cache.store(keys[result.index], result)
        problems.extend(result.problems)
        say(f"laid out {len(results)} of {len(flow)} sections")

    fresh = [PartJob(i, htmls[i], None) for i in range(len(flow)) if cached_pages[i] is None]
    run_jobs(fresh, counts, setup, workers, done)
    moved = []
    for i in range(len(flow)):
        if i in results:
            continue
        start = part_start(counts, i)
        hit = cache.result(keys[i], i, start)
        if hit is not None:
            results[i] = hit
        else:
            moved.append(PartJob(i, htmls[i], start))
    run_jobs(moved, counts, setup, workers, done)

    starts = {flow[i][0].id: results[i].start for i in range(len(flow))}
    say("laying out the front matter")
    records: list = []
    for page, div in front:
        for link in div.iter("a"):
            target = (link.get("href") or "#")[1:]
            if target in starts:
                link.set("data-page", str(starts[target]))
    toc_numbers = 'nav.toc a[data-page]::after { content: leader(". ") attr(data-page); }'
    document = P.layout(P.document_html(rendered, [div for _, div in front]), setup, records, toc_numbers)
    front_pdf = P.write_document(document, rendered.book.metadata.identifier, records)
    front_links = [(n, tuple(rect), target) for n, page in enumerate(document.pages)
                   for kind, target, rect, _ in page.links if kind == "internal" and target in starts]
    records = [r for r in records if "No anchor" not in r.getMessage()]
    problems.extend(P.log_problems(records, setup.style_path))
    say(f"joining {len(document.pages) + sum(r.pages for r in results.values())} pages")
    data = join(rendered, front_pdf, document.pages[0].height, front_links,
                [(flow[i][0], results[i]) for i in range(len(flow))])
    unique = list(dict.fromkeys(problems))
    return data, unique


def join(rendered: RenderedBook, front_pdf: bytes, front_height: float, front_links, parts) -> bytes:
    """One PDF: the front matter, then each part, each opening on a right-hand page."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import Link
    from pypdf.generic import Fit

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(front_pdf)))
    width = float(writer.pages[0].mediabox.width)
    height = float(writer.pages[0].mediabox.height)
    first_pages: dict[str, int] = {}
    anchors: dict[str, tuple[int, float, float, float]] = {}
    part_links = []
    for position, (page, result) in enumerate(parts):
        if len(writer.pages) % 2:
            writer.add_blank_page(width, height)
        offset = len(writer.pages)
        first_pages[page.id] = offset
        writer.append(PdfReader(io.BytesIO(result.pdf)), import_outline=False)
        writer.add_outline_item(title=page.title, page_number=offset, fit=Fit.xyz(0, height, 0))
        for name, (number, x, y) in result.anchors.items():
            anchors[name] = (offset + number, x, y, result.height)
        part_links += [(offset + number, rect, target, result.height) for number, rect, target in result.links]
    for page_id, first in first_pages.items():
        anchors.setdefault(page_id, (first, 0, 0, 0))
    links = [(n, rect, target, front_height) for n, rect, target in front_links] + part_links
    for number, (x1, y1, x2, y2), target, page_height in links:
        if target not in anchors:
            continue
        to_page, x, y, target_height = anchors[target]
        page_height_pt = page_height * PX_TO_PT
        top = target_height * PX_TO_PT - y * PX_TO_PT if target_height else height
        writer.add_annotation(number, Link(
            rect=(x1 * PX_TO_PT, page_height_pt - y2 * PX_TO_PT, x2 * PX_TO_PT, page_height_pt - y1 * PX_TO_PT),
            target_page_index=to_page, fit=Fit.xyz(x * PX_TO_PT, top, 0)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
