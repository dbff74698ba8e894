"""The bytes of every book the session builds, against those recorded in tests/golden/outputs.json.

A change that moves code must not move a byte of any book; a change that means to change the books
records the new hashes (`pytest --update-golden`), and the diff of outputs.json shows which books
changed. The bytes depend on the libraries that write them, so the recorded toolchain is compared
first: on other versions of those libraries the comparison is skipped, never failed.
"""

from __future__ import annotations

import ctypes.util
import hashlib
import json
from importlib import metadata

import pytest

from conftest import REPO

GOLDEN = REPO / "tests" / "golden" / "outputs.json"
WRITERS = {"epub": ("ebooklib", "lxml", "markdown", "jinja2"),
           "pdf": ("weasyprint", "pydyf", "pypdf", "fonttools", "fontpkg-spectral", "pyphen", "tinycss2",
                   "markdown", "lxml", "pillow")}


def toolchain(fmt: str) -> dict[str, str]:
    versions = {name: metadata.version(name) for name in WRITERS[fmt]}
    if fmt == "pdf":  # WeasyPrint subsets fonts with HarfBuzz when the system has it, else with fontTools
        versions["harfbuzz-subset"] = "yes" if ctypes.util.find_library("harfbuzz-subset") else "no"
    return versions


def current(built_epubs, built_pdfs) -> dict:
    out = {"toolchain": {fmt: toolchain(fmt) for fmt in WRITERS}, "books": {}}
    for fmt, built in (("epub", built_epubs), ("pdf", built_pdfs)):
        for name, book in sorted(built.items()):
            assert book.result.returncode == 0, book.result.stderr
            out["books"][f"{name}.{fmt}"] = hashlib.sha256(book.epub.read_bytes()).hexdigest()  # .epub: the output
    return out


def test_books_are_byte_identical_to_the_recorded_ones(built_epubs, built_pdfs, request):
    now = current(built_epubs, built_pdfs)
    if request.config.getoption("--update-golden"):
        GOLDEN.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return
    recorded = json.loads(GOLDEN.read_text(encoding="utf-8"))
    compared = 0
    for key, digest in recorded["books"].items():
        fmt = key.rsplit(".", 1)[1]
        if recorded["toolchain"][fmt] != now["toolchain"][fmt] or key not in now["books"]:
            continue
        assert now["books"][key] == digest, f"{key} changed; if that was meant, run pytest --update-golden"
        compared += 1
    if not compared:
        pytest.skip("the libraries that write the books differ from the recorded ones: nothing to compare")
