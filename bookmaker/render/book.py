"""Book → RenderedBook: the chapters, then the pages around them, and everything the writers share."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bookmaker.errors import Problems
from bookmaker.infra.cache import cache_root, code_version, read_entry, write_entry
from bookmaker.load import sortnames
from bookmaker.model import Asset, Book, Metadata, RenderedBook
from bookmaker.render import chapters as chapter_jobs
from bookmaker.render.labels import labels_for
from bookmaker.render.renderer import PageRenderer
from bookmaker.render.styles import rendered_styles
from bookmaker.render.text import description, smart


def render_book(book: Book, jobs: int | None = None, cache: bool = True) -> RenderedBook:
    """Every page of the book, in reading order; raises BookmakerError if any reference is broken.

    Chapters render in parallel (`jobs` processes, default all cores) and are cached by content.
    """
    problems = Problems(list(book.problems))
    assets: dict[Path, Asset] = {}
    if book.metadata.cover is not None:
        assets[book.metadata.cover.source] = book.metadata.cover
    elif book.metadata.auto_cover:
        drawn = auto_cover(book, cache)
        assets[drawn.source] = drawn
    # The front matter's templates (and jinja2) are made ready while the chapters' workers render:
    # 60 ms of a cold build, taken off its critical path.
    results = chapter_jobs.render_chapters(book, jobs, cache, meanwhile=front_matter_ready)
    from bookmaker.render import pages as frontmatter

    results = chapter_jobs.check_cross_links(results)
    for result in results:
        problems.extend(result.problems)
        for asset in result.assets:
            assets.setdefault(asset.source, asset)
    pages = [frontmatter.chapter_page(book, chapter, chapter_jobs.chapter_file(chapter), result)
             for chapter, result in zip(book.chapters, results)]
    words = [result.words for result in results]
    yaml_path = book.manuscript / "book.yaml"
    book_parts = PageRenderer(book, yaml_path, book.display(yaml_path), "", 1, problems, assets,
                              chapter_jobs.chapter_links(book),
                              id_prefix="book-")
    m = book.metadata
    author_line = labels_for(m.language).names(m.authors)
    cover = m.cover or next((a for a in assets.values() if a.data is not None), None)
    all_pages = frontmatter.build_pages(book, book_parts, pages, sum(words), author_line, cover)
    problems.check()
    epub_css, print_css = rendered_styles(book)
    return RenderedBook(book, tuple(all_pages), tuple(assets.values()), sum(words), tuple(words),
                        tuple(problems.warnings), author_line=author_line, description=description(m.summary),
                        display_title=smart(m.title), display_author=smart(author_line), epub_css=epub_css,
                        print_css=print_css, cover=cover, author_sorts=author_sorts(m),
                        translator_sorts=tuple(sortnames.author_sort(name, m.language) for name in m.translators),
                        title_sort=m.title_sort or sortnames.title_sort(m.title, m.language))


def front_matter_ready() -> None:
    from bookmaker.render import pages

    pages.compile_templates()


def author_sorts(m: Metadata) -> tuple[str, ...]:
    """Each author's sort form: as book.yaml gives them, else derived in the book's language."""
    return m.author_sort or tuple(sortnames.author_sort(name, m.language) for name in m.authors)


def auto_cover(book: Book, cache: bool = True) -> Asset:
    """`cover: auto`: the typographic cover, drawn in the theme's typeface (same bytes every build)."""
    import fontpkg_spectral

    from bookmaker.render.autocover import draw_cover

    m = book.metadata
    labels = labels_for(m.language)
    series = None
    if m.series is not None:
        number = m.series.number
        series = (labels.book_of(number) + m.series.name) if number is not None else labels.part_of + m.series.name
    args = (m.title, m.subtitle, m.authors, series)
    key = hashlib.sha256(repr((args, code_version())).encode()).hexdigest()
    path = cache_root() / "covers" / f"{key}.png"
    data = None
    if cache:
        try:
            data = read_entry(path)
        except OSError:
            data = None
    if data is None:
        data = draw_cover(*args, Path(fontpkg_spectral.ROOT) / "files")
        if cache:
            write_entry(path, data)
    # The bytes are the picture (both writers take them); the path only names it, and need not exist.
    return Asset(path, "images/cover-auto.png", "image/png", 1600, 2560, data=data)
