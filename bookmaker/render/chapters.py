"""Chapters rendered to XHTML strings: in worker processes on all cores, cached by content.

A ChapterResult is plain data (strings, numbers, problems), so it crosses process boundaries and is
stored as JSON in the cache. Links between chapters are checked once every chapter is rendered.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from lxml import etree

from bookmaker.render.headings import chapter_sections
from bookmaker.render import xhtml
from bookmaker.infra.cache import cache_root, code_version, read_entry, write_entry
from bookmaker.infra.processes import default_jobs, die_with_parent
from bookmaker.errors import Problem, Problems
from bookmaker.render.footnotes import renumber_notes
from bookmaker.model import Asset, Book, Chapter
from bookmaker.render.markdown import count_words, markdown_to_html
from bookmaker.render.renderer import PageRenderer, styled_classes

PARALLEL_MIN_BYTES = 256 * 1024  # below this, starting workers costs more than it saves


@dataclass(frozen=True)
class ChapterResult:
    number: int
    file_name: str
    title: str | None  # XHTML: the title's inline content
    title_id: str | None  # an id the author gave the title heading ('# Title {: #id }')
    body: str
    summary: str | None
    notes: str | None
    end_notes: str | None
    words: int
    ids: tuple[str, ...]
    cross_links: tuple[tuple[str, str, int], ...]  # (href in the book with a fragment, as written, line)
    where: str  # the chapter's path as messages show it
    problems: tuple[Problem, ...]
    assets: tuple[Asset, ...]
    sections: tuple[tuple[int, str, str], ...] = ()  # (depth under the chapter, id, text): headings.py


_links: tuple[Book | None, dict[Path, str]] = (None, {})


def chapter_links(book: Book) -> dict[Path, str]:
    """Each chapter's file by its real path, for links between chapters: worked out once a book (it
    resolves every path; once a chapter, that was 8% of a 150-chapter book's rendering)."""
    global _links
    if _links[0] is not book:
        _links = (book, {c.source.resolve(): chapter_file(c) for c in book.chapters})
    return _links[1]


def render_chapter(book: Book, chapter: Chapter) -> ChapterResult:
    problems = Problems()
    assets: dict[Path, Asset] = {}
    r = PageRenderer(book, chapter.source, chapter.display_path, chapter.body, chapter.body_line, problems,
                     assets, chapter_links(book))
    r.ctx.ids.add(f"chapter-{chapter.number}")
    # In the page's reading order, so notes are numbered on from the summary to the end notes.
    parts = {key: r.fragment(getattr(chapter, key), heading_shift=2) for key in ("summary", "notes")}
    body, title, title_id = r.with_title(chapter)
    sections = chapter_sections(body, r.ctx.ids, r.ctx.id_prefix)
    if not xhtml.text_of(body).strip() and not len(body):
        # The body is empty: point at the last line there is (the front matter's end, or the title).
        problems.warn(chapter.display_path, max(1, chapter.body_line - 1), "chapter has no text", "empty-chapter")
    words = count_words(" ".join(xhtml.text_of(el) for el in body if xhtml.local(el) != "aside")
                        + (body.text or ""))
    parts["end_notes"] = r.fragment(chapter.end_notes, heading_shift=2)
    renumber_notes([title, parts["summary"], parts["notes"], body, parts["end_notes"]])
    xhtml.check_fragment_links(r.ctx)
    serial = {key: (xhtml.inner_xml(el) if el is not None else None) for key, el in parts.items()}
    cross = tuple((href, original, r.line_of(original)) for _el, href, original in r.ctx.cross_links)
    return ChapterResult(chapter.number, chapter_file(chapter), xhtml.inner_xml(title) if title is not None else None,
                         title_id, xhtml.inner_xml(body), serial["summary"], serial["notes"], serial["end_notes"], words,
                         tuple(sorted(r.ctx.ids)), cross, chapter.display_path, tuple(problems.items),
                         tuple(assets.values()), sections)


def check_cross_links(results: list[ChapterResult]) -> list[ChapterResult]:
    """A link to '#id' in another chapter needs that id there; a dead one is kept as a plain link."""
    ids = {r.file_name: set(r.ids) for r in results}
    out = []
    for result in results:
        dead = [link for link in result.cross_links
                if link[0].partition("#")[2] not in ids.get(link[0].partition("#")[0], ())]
        if not dead:
            out.append(result)
            continue
        root = etree.fromstring(f'<div xmlns="{xhtml.XHTML}" xmlns:epub="{xhtml.OPS}">{result.body}</div>')
        warnings = []
        for href, original, line in dead:
            for a in root.iter(xhtml.q("a")):
                if a.get("href") == href:
                    a.set("href", href.partition("#")[0])
            warnings.append(Problem(result.where, line, f"link '{original}' has no target in that chapter",
                                    "warning", "dead-link"))
        out.append(replace(result, body=xhtml.inner_xml(root), problems=result.problems + tuple(warnings)))
    return out


# --- cache ----------------------------------------------------------------------------------------

def cache_dir() -> Path:
    return cache_root() / "chapters"


def cache_key(book: Book, chapter: Chapter, classes: frozenset[str]) -> str:
    """Everything a chapter's XHTML depends on: its text, its place, the other chapters' names, the
    classes the stylesheets style (`classes`: styled_classes(book), found once for every chapter)."""
    digest = hashlib.sha256()
    parts = [code_version(), str(book.root), book.display_root, chapter.display_path, str(chapter.number),
             str(chapter.body_line), chapter.title or "", chapter.title_source or "", chapter.body, chapter.summary or "", chapter.notes or "",
             chapter.end_notes or "", str(chapter.source.parent)]
    parts += [str(c.source) for c in book.chapters]
    parts.append(" ".join(sorted(classes)))  # raw HTML keeps the classes the styles name
    parts.append(book.metadata.language)  # the scene breaks' label
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def file_stamp(path: Path) -> list:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def load_cached(key: str) -> ChapterResult | None:
    try:
        data = json.loads(read_entry(cache_dir() / key[:2] / f"{key}.json").decode("utf-8"))
        assets = []
        for item, stamp in zip(data["assets"], data["stamps"]):
            asset = Asset(Path(item["source"]), item["href"], item["media_type"], item["width"], item["height"])
            if file_stamp(asset.source) != stamp:
                return None  # an image changed: render again so it is checked again
            assets.append(asset)
        return ChapterResult(
            data["number"], data["file_name"], data["title"], data["title_id"], data["body"], data["summary"], data["notes"],
            data["end_notes"], data["words"], tuple(data["ids"]),
            tuple(tuple(x) for x in data["cross_links"]), data["where"],
            tuple(Problem(**p) for p in data["problems"]), tuple(assets),
            tuple(tuple(s) for s in data["sections"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(key: str, result: ChapterResult) -> None:
    if any(p.severity == "error" for p in result.problems):
        return
    data = asdict(result)
    data["assets"] = [{**asdict(a), "source": str(a.source)} for a in result.assets]
    try:
        data["stamps"] = [file_stamp(a.source) for a in result.assets]
    except OSError:
        return  # a picture went away: the next build renders the chapter again anyway
    write_entry(cache_dir() / key[:2] / f"{key}.json", json.dumps(data).encode("utf-8"), later=True)


# --- parallel -------------------------------------------------------------------------------------

_book: Book | None = None


def _init(book: Book) -> None:
    global _book
    _book = book
    die_with_parent()


def _render_index(index: int) -> ChapterResult:
    return render_chapter(_book, _book.chapters[index])


def render_chapters(book: Book, jobs: int | None = None, use_cache: bool = True,
                    meanwhile: Callable[[], None] = lambda: None) -> list[ChapterResult]:
    """Each chapter's result, from the cache or rendered (in workers when there is enough to render);
    `meanwhile()` is called while the workers render, or else before the chapters are rendered here."""
    classes = styled_classes(book)
    keys = [cache_key(book, c, classes) for c in book.chapters]
    results: dict[int, ChapterResult] = {}
    if use_cache:
        for i, key in enumerate(keys):
            hit = load_cached(key)
            if hit is not None:
                results[i] = hit
    todo = [i for i in range(len(book.chapters)) if i not in results]
    workers = min(jobs or default_jobs(), len(todo))
    size = sum(len(book.chapters[i].body) for i in todo)
    if workers > 1 and size >= PARALLEL_MIN_BYTES:
        context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
        markdown_to_html("")  # the converter built once, here, for every forked worker (35 ms each)
        with context.Pool(workers, initializer=_init, initargs=(book,)) as pool:
            rendered = pool.imap(_render_index, todo, chunksize=1)
            meanwhile()
            for i, result in zip(todo, rendered):
                results[i] = result
    else:
        meanwhile()
        for i in todo:
            results[i] = render_chapter(book, book.chapters[i])
    if use_cache:
        for i in todo:
            store(keys[i], results[i])
    return [results[i] for i in range(len(book.chapters))]


def chapter_file(chapter: Chapter) -> str:
    return f"chapter-{chapter.number:03d}.xhtml"
