"""An imported book, and the project folder written from it: made beside the target, renamed into place."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bookmaker import codes
from bookmaker.errors import BookmakerError, Problem
from bookmaker.infra.output import ascii_words

# The order book.yaml is written in: the order an author reads the contract's table in.
BOOK_KEYS = ("title", "subtitle", "author", "translator", "language", "summary", "notes", "end_notes", "dedication",
             "tags", "series", "date", "updated", "complete", "source", "publisher", "rights", "cover", "chapter_label")


CHAPTER_KEYS = ("title", "summary", "notes", "end_notes")  # a chapter's front matter, in the order written


@dataclass
class ImportedChapter:
    body: str  # Markdown, footnote definitions at its end
    title: str | None = None
    summary: str | None = None
    notes: str | None = None
    end_notes: str | None = None
    heading: str | None = None  # the source's heading as written ("Act I", "Chapter 3: The Bar"), if it had one
    # The line under a number heading that became the title (Markdown), if one did, and the heading without it:
    bridgehead: str | None = None
    number_heading: str | None = None

    def front_matter(self) -> dict:
        return {key: getattr(self, key) for key in CHAPTER_KEYS if getattr(self, key)}


@dataclass
class ImportedBook:
    metadata: dict  # book.yaml keys; empty values are left out when written
    chapters: list[ImportedChapter]
    images: dict[str, bytes] = field(default_factory=dict)  # file name in manuscript/images → content
    problems: list = field(default_factory=list)  # warnings of what the import left out (errors raise)


def slug(text: str, fallback: str = "book") -> str:
    """ASCII, lower case, words joined by hyphens: safe in a file name on every system and inside an EPUB."""
    return "-".join(ascii_words(text))[:60].strip("-") or fallback


class _Dumper(yaml.SafeDumper):
    """Multi-line text as a literal block (what an author would type); everything else as PyYAML writes it."""


def _represent_text(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value.strip("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)


def yaml_text(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000,
                     default_flow_style=False)


def book_yaml(metadata: dict) -> str:
    data = {key: metadata[key] for key in BOOK_KEYS if metadata.get(key) not in (None, "", [], {})}
    return yaml_text(data)


def chapter_text(chapter: ImportedChapter) -> str:
    body = chapter.body.strip("\n") + "\n"
    front = chapter.front_matter()
    return f"---\n{yaml_text(front)}---\n\n{body}" if front else body


def chapter_names(chapters: list[ImportedChapter]) -> list[str]:
    width = max(2, len(str(len(chapters))))
    return [f"{n:0{width}d}-{slug(c.title or '', 'chapter')}.md" for n, c in enumerate(chapters, 1)]


def target_folder(project: str | Path | None, title: str) -> Path:
    target = Path(project) if project is not None else Path.cwd() / slug(title)
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise BookmakerError([Problem(str(target), 1, "already exists and is not a folder: "
                                                       "name a new folder for the project", code=codes.BAD_OUTPUT)])
    if target.is_dir() and any(target.iterdir()):
        raise BookmakerError([Problem(str(target), 1, "folder is not empty: name a new or empty folder "
                                                       "for the imported project", code=codes.BAD_OUTPUT)])
    if not target.absolute().parent.is_dir():
        raise BookmakerError([Problem(str(target.parent), 1, "folder does not exist: make it first, or name "
                                                              "a project folder in a folder that exists", code=codes.BAD_OUTPUT)])
    return target


def write_project(book: ImportedBook, project: str | Path | None) -> Path:
    """The project folder, complete or not at all: written into a hidden folder beside it, then renamed."""
    target = target_folder(project, book.metadata["title"])
    parent = target.absolute().parent
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.import-", dir=parent))
    try:
        manuscript = staging / "manuscript"
        manuscript.mkdir()
        (manuscript / "book.yaml").write_text(book_yaml(book.metadata), encoding="utf-8")
        for name, chapter in zip(chapter_names(book.chapters), book.chapters):
            (manuscript / name).write_text(chapter_text(chapter), encoding="utf-8")
        if book.images:
            (manuscript / "images").mkdir()
            for name, data in book.images.items():
                (manuscript / "images" / name).write_bytes(data)
        (staging / ".gitignore").write_text("dist/\n", encoding="utf-8")
        staging.chmod(0o777 & ~_umask())
        if target.is_dir():
            target.rmdir()  # empty, checked above: rename() will not replace a folder on every system
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
