"""Hostile projects, one a row of issue 12's table: each a function that fills a project folder.

Shared by tests/test_hostile.py and bench/hostile.py (which measures each row's time and memory).
"""

from __future__ import annotations

import os
from pathlib import Path

BOOK = "title: Hostile\nauthor: Someone\n"


def project(root: Path, chapters: dict[str, str] | None = None, book: str = BOOK) -> Path:
    (root / "manuscript").mkdir(parents=True, exist_ok=True)
    (root / "manuscript" / "book.yaml").write_text(book, encoding="utf-8")
    for name, text in (chapters or {"01-one.md": "Some text.\n"}).items():
        (root / "manuscript" / name).write_text(text, encoding="utf-8")
    return root


def style(root: Path, name: str, text: str) -> Path:
    (root / "styles").mkdir(exist_ok=True)
    (root / "styles" / name).write_text(text, encoding="utf-8")
    return root


def doctype_alone(root):
    return project(root, {"01-a.md": "<!DOCTYPE html>\n"})


def doctype_after_paragraph(root):
    return project(root, {"01-a.md": "A paragraph.\n\n<!DOCTYPE html>\n"})


def doctype_in_yaml(root):
    return project(root, book=BOOK + "summary: |\n  <!DOCTYPE html>\n")


def wide_table(root, cols=300, rows=1000):
    head = "|" + "|".join(f"c{i}" for i in range(cols)) + "|\n"
    rule = "|" + "|".join("-" for _ in range(cols)) + "|\n"
    row = "|" + "|".join("x" for _ in range(cols)) + "|\n"
    return project(root, {"01-a.md": head + rule + row * rows})


def deep_list(root, levels=3000):
    lines = [" " * (4 * i) + "- item" for i in range(levels)]
    return project(root, {"01-a.md": "\n".join(lines) + "\n"})


def emphasis_storm(root, count=50_000):
    return project(root, {"01-a.md": "*_" * count + "\n"})


def many_chapters(root, count=10_000):
    return project(root, {f"{n:05d}.md": f"Chapter {n} text.\n" for n in range(count)})


def dist_links_out(root):
    project(root)
    outside = root.parent / f"{root.name}-outside"
    outside.mkdir(exist_ok=True)
    os.symlink(outside, root / "dist")
    return root


def output_links_out(root):
    project(root)
    victim = root.parent / f"{root.name}-victim.epub"
    victim.write_bytes(b"precious")
    (root / "dist").mkdir()
    os.symlink(victim, root / "dist" / "hostile.epub")
    return root


ESCAPED_URL = 'body { background: u\\72l(http://example.org/x.png); }\n'
ESCAPED_IMPORT = '@\\69mport "http://example.org/x.css";\nbody { color: black; }\n'
DATA_SVG = ("body { background: url(\"data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg'>"
            "<image href='file:///etc/passwd'/></svg>\"); }\n")


def escaped_url_epub(root):
    return style(project(root), "epub.css", ESCAPED_URL)


def escaped_import_epub(root):
    return style(project(root), "epub.css", ESCAPED_IMPORT)


def escaped_url_print(root):
    return style(project(root), "print.css", ESCAPED_URL)


def escaped_import_print(root):
    return style(project(root), "print.css", ESCAPED_IMPORT)


# @media blocks nested 3,000 deep, on one line after a first: the walk over the stylesheet recursed
# past Python's limit (a RecursionError's traceback) before it was bounded.
DEEP_CSS = "p { margin: 0 }\n" + "@media print {" * 3000 + "p { margin: 0 }" + "}" * 3000 + "\n"


def deep_css_print(root):
    return style(project(root), "print.css", DEEP_CSS)


def deep_css_epub(root):
    return style(project(root), "epub.css", DEEP_CSS)


def data_svg_epub(root):
    return style(project(root), "epub.css", DATA_SVG)


def bom_bad_byte(root):
    project(root)
    (root / "manuscript" / "book.yaml").write_bytes(b"\xef\xbb\xbftitle: Hostile\nauthor: Some\xffone\n")
    return root


def bad_raw_image(root):
    return project(root, {"01-a.md": "One.\n\nTwo.\n\nThree.\n\nFour.\n\n<img src='images/none.png' alt='x'>\n"})


def svg_without_print_css(root):
    project(root, {"01-a.md": "Text.\n\n![A picture](images/p.svg)\n"})
    (root / "manuscript" / "images").mkdir()
    (root / "manuscript" / "images" / "p.svg").write_text(
        "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'><script>x()</script>"
        "<rect width='10' height='10'/></svg>", encoding="utf-8")
    return root


def fifo_book_yaml(root):
    project(root)
    (root / "manuscript" / "book.yaml").unlink()
    os.mkfifo(root / "manuscript" / "book.yaml")
    return root


def fifo_print_css(root):
    project(root)
    (root / "styles").mkdir()
    os.mkfifo(root / "styles" / "print.css")
    return root


def twelve_chapters(root):
    """Twelve chapters of one line: 24 pages or so, each chapter opening on a right-hand page."""
    return project(root, {f"{n:02d}-c.md": f"Chapter {n}, a line of it.\n" for n in range(1, 13)})
