"""bookmaker new: a project that builds, checks and publishes itself as it stands.

The CI workflow must install the very bookmaker the author used, from wherever they got it: our
distribution is "bookmaker-ebooks" ("bookmaker" on PyPI belongs to an unrelated project). Unless told what to install (`--pip-spec`), the
new project carries this bookmaker as a wheel in `.bookmaker/`, which also keeps CI's books
byte-identical to the author's.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from importlib import metadata, resources
from pathlib import Path

from bookmaker import codes
from bookmaker.version import DISTRIBUTION, WHEEL_NAME, __version__
from bookmaker.errors import BookmakerError, Problem

RENAMES = {"dot-gitignore": ".gitignore", "dot-github": ".github"}
PACKAGES = ("bookmaker", "bookmaker.templates", "bookmaker.styles")  # as pyproject.toml lists them
WHEEL_FOLDER = ".bookmaker"


def title_from(path: Path) -> str:
    words = path.resolve().name.replace("-", " ").replace("_", " ").split()
    return " ".join(w.capitalize() for w in words) or "Untitled"


def package_files() -> dict[str, bytes]:
    """bookmaker's installed files by their name in a wheel, whether installed normally or editable."""
    files: dict[str, bytes] = {}

    def walk(folder, prefix: str) -> None:
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name == "__pycache__" or entry.name.endswith((".pyc", ".pyo")):
                continue
            name = f"{prefix}/{entry.name}"
            if entry.is_dir():
                walk(entry, name)
            else:
                files.setdefault(name, entry.read_bytes())

    for package in PACKAGES:
        walk(resources.files(package), package.replace(".", "/"))
    return files


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def wheel_bytes() -> tuple[str, bytes]:
    """This bookmaker as a pure-Python wheel (file name, bytes), the same bytes for the same code."""
    dist = metadata.distribution(DISTRIBUTION)
    info = f"{WHEEL_NAME}-{__version__}.dist-info"
    files = package_files()
    # An editable install run from its own folder finds the egg-info, which calls it PKG-INFO.
    files[f"{info}/METADATA"] = (dist.read_text("METADATA") or dist.read_text("PKG-INFO") or "").encode()
    files[f"{info}/entry_points.txt"] = (dist.read_text("entry_points.txt") or "").encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: bookmaker new\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = "".join(f"{name},{record_hash(data)},{len(data)}\n" for name, data in files.items())
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data, zipfile.ZIP_DEFLATED)
    return f"{WHEEL_NAME}-{__version__}-py3-none-any.whl", out.getvalue()


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
    """Scaffold a project at `path` (which must not exist, or be an empty folder); returns the files made."""
    from bookmaker.load.assets import path_problem

    if path_problem(path) is not None:  # Path.exists() would raise "File name too long"
        raise BookmakerError([Problem(path, 1, f"the path {path_problem(path)}", code=codes.BAD_OUTPUT)])
    dest = Path(path)
    if dest.exists() and not dest.is_dir():
        raise BookmakerError([Problem(path, 1, "is a file: bookmaker new makes a new folder", code=codes.BAD_OUTPUT)])
    if dest.exists() and any(dest.iterdir()):
        raise BookmakerError([Problem(path, 1, "folder is not empty: bookmaker new only writes into a new folder", code=codes.BAD_OUTPUT)])
    if spec is not None and (not spec.strip() or any(c in spec for c in "\n\r\0")):
        raise BookmakerError([Problem("--pip-spec", 1, "must be one line naming what pip installs, such as "
                                      "'bookmaker @ git+https://example.org/bookmaker.git@v0.1.0'", code=codes.WRONG_TYPE)])
    wheel = None if spec else wheel_bytes()
    install = spec.strip() if spec else f"./{WHEEL_FOLDER}/{wheel[0]}"
    # JSON strings are YAML scalars: whatever the title or spec holds, the files stay valid YAML.
    values = {"TITLE": json.dumps(title_from(dest), ensure_ascii=False), "PIP_SPEC": json.dumps(install)}
    try:
        dest.mkdir(parents=True, exist_ok=True)
        made = copy_tree(resources.files("bookmaker.templates").joinpath("new"), dest, values)
        if wheel is not None:
            (dest / WHEEL_FOLDER).mkdir()
            (dest / WHEEL_FOLDER / wheel[0]).write_bytes(wheel[1])
            made.append(dest / WHEEL_FOLDER / wheel[0])
    except OSError as exc:
        raise BookmakerError([Problem(path, 1, f"cannot create the project: {exc.strerror or exc}", code=codes.CANNOT_WRITE)]) from None
    return made
