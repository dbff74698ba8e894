"""Book → RenderedBook: the chapters, then the pages around them, and everything the writers share."""

from __future__ import annotations

from pathlib import Path

from bookmaker.errors import Problems
from bookmaker.model import Asset, Book, RenderedBook
from bookmaker.render import chapters as chapter_jobs
from bookmaker.render import pages as frontmatter
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
    results = chapter_jobs.render_chapters(book, jobs, cache)
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
    all_pages = frontmatter.build_pages(book, book_parts, pages, sum(words), author_line)
    problems.check()
    epub_css, print_css = rendered_styles(book)
    return RenderedBook(book, tuple(all_pages), tuple(assets.values()), sum(words), tuple(words),
                        tuple(problems.warnings), author_line=author_line, description=description(m.summary),
                        display_title=smart(m.title), display_author=smart(author_line), epub_css=epub_css,
                        print_css=print_css)
