"""A `build` that would change nothing is not done: the manifest of what the last build read and wrote.

After a build whose every format was made, a manifest is kept in the cache: one digest of every input
(each file in manuscript/ and styles/, any other file the book used, the packaged theme, bookmaker's
code, the installed libraries' versions, the options and the environment variables that change the
output) and the digest of each output in dist/, with the warnings the build gave. The next build with
the same options compares them before loading the book or importing any library that lays it out: when
nothing differs, the outputs are left as they are (bytes and times) and the same lines are printed.
Only the standard library here: this runs before anything else is imported.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from importlib import resources
from pathlib import Path

from bookmaker.errors import Problem
from bookmaker.infra.cache import cache_root, code_version, read_entry, write_entry

FORMAT = 1
# Environment variables that cannot change the bytes: where the cache is, and build budgets.
NEUTRAL_ENV = {"BOOKMAKER_CACHE_DIR", "BOOKMAKER_MAX_SECONDS", "BOOKMAKER_MAX_MEMORY"}
WATCHED = ("manuscript", "styles")


def file_digest(path: Path, inside: Path | None = None) -> str:
    """The digest of a regular file's bytes; of anything else, what it is, never opened. This runs before
    the project is checked, on every name under manuscript/ and styles/ an uploader chose: a named pipe
    (even a hidden `.lock`) opened here hung `build` for ever, a link to /dev/zero read until memory ran
    out, and a link to a file outside the project was read. `inside`: the project folder, resolved; a
    link is digested as what it says (os.readlink) unless it leads to a regular file in there. Without
    it (the packaged theme, the files outside the project the build read), links are followed."""
    try:
        if inside is not None:  # a folder on the way may be a link too (manuscript/ itself)
            target = path.resolve()
            if not target.is_relative_to(inside):
                return "link " + os.readlink(path) if path.is_symlink() else "outside"
            path = target
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | (getattr(os, "O_NOFOLLOW", 0) if inside else 0))
    except (OSError, RuntimeError):  # RuntimeError: a link that loops, on Python before 3.13
        return "unreadable"
    try:
        kind = os.fstat(fd).st_mode
        if not stat.S_ISREG(kind):
            return f"not a file {stat.S_IFMT(kind):o}"
        digest = hashlib.sha256()
        with os.fdopen(fd, "rb", closefd=False) as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except OSError:
        return "unreadable"
    finally:
        os.close(fd)


def tree_files(folder: Path) -> list[Path]:
    """Every name under `folder`, hidden ones included (a file a build ignores costs a rebuild only), and
    links to folders, whose text is digested (file_digest)."""
    found = []
    for parent, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        found += [Path(parent, name) for name in sorted(files)]
        found += [Path(parent, name) for name in dirs if os.path.islink(os.path.join(parent, name))]
    return found


def installed_libraries() -> list[str]:
    """The installed distributions with their versions (one folder listing a site directory): a
    library or font package upgraded under the same bookmaker makes other bytes."""
    names = []
    for entry in sys.path:
        if not entry.endswith(("site-packages", "dist-packages")):
            continue  # the current folder, the standard library: never an installed distribution
        try:
            names += [f"{entry}/{n}" for n in sorted(os.listdir(entry)) if n.endswith((".dist-info", ".egg-info"))]
        except OSError:
            continue
    return names


def manifest_path(project: str, formats: tuple[str, ...] | None, printer: str | None) -> Path:
    # The project as typed too: output paths and warnings are printed the way it was typed.
    where = json.dumps([str(Path(project).resolve()), project, formats, printer])
    return cache_root() / "builds" / f"{hashlib.sha256(where.encode()).hexdigest()}.json"


def inputs_digest(project: str, formats, printer, extra: list[str]) -> str:
    root = Path(project)
    digest = hashlib.sha256(json.dumps([FORMAT, code_version(), installed_libraries(), formats, printer,
                                        sorted((k, v) for k, v in os.environ.items()
                                               if (k.startswith("BOOKMAKER_") and k not in NEUTRAL_ENV)
                                               or k == "SOURCE_DATE_EPOCH")]).encode())
    inside = root.resolve()
    for path in [p for folder in WATCHED for p in tree_files(root / folder)]:
        digest.update(b"\0" + str(path).encode() + b"\0" + file_digest(path, inside).encode())
    # The packaged theme, and the files outside the project a build read (fonts of installed packages).
    for path in tree_files(Path(str(resources.files("bookmaker.styles")))) + [Path(p) for p in extra]:
        digest.update(b"\0" + str(path).encode() + b"\0" + file_digest(path).encode())
    return digest.hexdigest()


def problem_data(problem: Problem) -> dict:
    return dict(vars(problem))


def unchanged(project: str, formats, printer) -> tuple[list[Problem], list[tuple[str, Path, list[Problem]]]] | None:
    """The last build's warnings and (format, path, warnings) of each output, when nothing it read or
    wrote has changed since; else None."""
    try:
        stored = json.loads(read_entry(manifest_path(project, formats, printer)).decode("utf-8"))
        if stored.get("format") != FORMAT or stored["inputs"] != inputs_digest(project, formats, printer,
                                                                               stored["extra"]):
            return None
        outcomes = []
        for fmt, name, digest, warnings in stored["outputs"]:
            path = Path(project) / name
            if file_digest(path) != digest:
                return None
            outcomes.append((fmt, path, [Problem(**w) for w in warnings]))
        return [Problem(**w) for w in stored["warnings"]], outcomes
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record(project: str, formats, printer, before: str, extra: list[str], warnings, outcomes) -> None:
    """Keep the manifest of a build that made every format; forget it after any other. `before`: the
    inputs' digest (without `extra`) taken before the build began."""
    path = manifest_path(project, formats, printer)
    if not all(o.ok for o in outcomes) or inputs_digest(project, formats, printer, []) != before:
        try:  # a failed build, or a file changed while the book was built: the next build builds
            path.unlink()
        except OSError:
            pass
        return
    inputs = inputs_digest(project, formats, printer, extra)
    try:
        outputs = [[o.format, os.path.relpath(o.path, project), file_digest(o.path), [problem_data(w) for w in o.warnings]]
                   for o in outcomes]
    except ValueError:
        return
    write_entry(path, json.dumps({"format": FORMAT, "inputs": inputs, "extra": extra, "outputs": outputs,
                                  "warnings": [problem_data(w) for w in warnings]}).encode())
