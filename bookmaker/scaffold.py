"""bookmaker new: a project that builds, checks and publishes itself as it stands."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from bookmaker import __version__
from bookmaker.errors import BookmakerError, Problem

RENAMES = {"dot-gitignore": ".gitignore", "dot-github": ".github"}


def title_from(path: Path) -> str:
    words = path.resolve().name.replace("-", " ").replace("_", " ").split()
    return " ".join(w.capitalize() for w in words) or "Untitled"


def pip_spec() -> str:
    return f"bookmaker=={__version__}"


def copy_tree(source, dest: Path, values: dict[str, str]) -> list[Path]:
    made = []
    for entry in sorted(source.iterdir(), key=lambda e: e.name):
        if entry.name in ("__init__.py", "__pycache__"):
            continue
        target = dest / RENAMES.get(entry.name, entry.name)
        if entry.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            made += copy_tree(entry, target, values)
        else:
            text = entry.read_text(encoding="utf-8")
            for key, value in values.items():
                text = text.replace("{{" + key + "}}", value)
            target.write_text(text, encoding="utf-8")
            made.append(target)
    return made


def new_project(path: str, spec: str | None = None) -> list[Path]:
    """Scaffold a project at `path` (which must not exist, or be empty); returns the files made."""
    dest = Path(path)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BookmakerError([Problem(path, 1, "folder is not empty: bookmaker new only writes into a new folder")])
    title = title_from(dest)
    values = {"TITLE": '"' + title.replace('"', "'") + '"', "PIP_SPEC": spec or pip_spec()}
    try:
        dest.mkdir(parents=True, exist_ok=True)
        return copy_tree(resources.files("bookmaker.templates").joinpath("new"), dest, values)
    except OSError as exc:
        raise BookmakerError([Problem(path, 1, f"cannot create the project: {exc.strerror or exc}")]) from None
