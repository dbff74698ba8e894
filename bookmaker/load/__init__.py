"""Stage 1, load: project folder → Book.

Takes a project folder (manuscript/book.yaml, the chapters, images, styles/); gives an immutable Book:
metadata validated key by key (metadata.py, from YAML read with its lines, yamlfile.py), chapters in
order with their front matter (project.py), pictures resolved inside the project (assets.py, svg.py)
and the theme (theme.py). Every problem is collected with its path and line and raised once.
"""

from bookmaker.load.project import load_book

__all__ = ["load_book"]
