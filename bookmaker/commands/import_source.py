"""bookmaker import: a foreign source (archive download, EPUB, .docx, one long file) made into a project."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bookmaker.importers import import_source as make_project


def import_source(source: str | Path, project: str | Path | None = None,
                  warn: Callable[[list], None] | None = None) -> Path:
    """The new project's folder, complete; nothing is written when the source cannot be imported. What
    the import left out is given to `warn`, as warnings."""
    return make_project(source, project, warn)
