"""What authors write in book.yaml and front matter is what the book shows: text as typed, typed keys
with their types, and the project folder as the only source. (Refusals are in test_errors.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bookmaker.manuscript import load_book
from conftest import run_cli


def project(tmp_path: Path, book_yaml: str, chapters: dict | None = None) -> Path:
    root = tmp_path / "proj"
    (root / "manuscript").mkdir(parents=True)
    (root / "manuscript" / "book.yaml").write_text(book_yaml, encoding="utf-8")
    for name, text in (chapters or {"01.md": "Text.\n"}).items():
        (root / "manuscript" / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    return root


def test_a_file_name_that_is_not_utf8_is_escaped_in_a_json_report(tmp_path):
    root = project(tmp_path, "title: T\nauthor: A\n")
    (root / "manuscript").joinpath(os.fsdecode(b"02-caf\xe9.md")).write_bytes(b"\xff\n")
    result = subprocess.run([sys.executable, "-m", "bookmaker", "check", "--format", "json", str(root)],
                            capture_output=True, timeout=300)
    assert result.returncode == 1
    report = json.loads(result.stdout.decode("utf-8"))  # strict: valid UTF-8
    assert [p["file"] for p in report["problems"]] == [f"{root}/manuscript/02-caf\\xe9.md"]
