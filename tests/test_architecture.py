"""The shape of the code: one-way stages, one door per library, codes given where problems are raised."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest

from conftest import REPO, copy_book

PACKAGE = REPO / "bookmaker"


def loaded_modules(script: str) -> set[str]:
    code = f"import sys\n{script}\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_an_epub_build_loads_no_pdf_code_and_a_pdf_build_no_epub_code(tmp_path):
    project = copy_book("plain", tmp_path / "plain")
    build = ("import bookmaker\nbook = bookmaker.render_book(bookmaker.load_book({!r}), jobs=1, cache=False)\n"
             "bookmaker.write_{}(book, {!r}{})")
    epub = loaded_modules(build.format(str(project), "epub", str(tmp_path / "b.epub"), ""))
    pdf = loaded_modules(build.format(str(project), "pdf", str(tmp_path / "b.pdf"), ", jobs=1"))
    assert "bookmaker.epub.writer" in epub and "ebooklib" in epub
    assert not {m for m in epub if m.split(".")[0] in ("weasyprint", "pypdf", "fontTools")
                or m.startswith("bookmaker.pdf")}
    assert "bookmaker.pdf.writer" in pdf and "weasyprint" in pdf
    assert not {m for m in pdf if m.split(".")[0] == "ebooklib" or m.startswith("bookmaker.epub")}


def problem_calls():
    """Every call that raises or records a problem in bookmaker's code: (where, call, has a code)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            receiver = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
            where = f"{path.relative_to(REPO)}:{node.lineno}"
            has_code = any(k.arg in ("code", None) for k in node.keywords)  # None: **fields of a stored one
            if name == "Problem":
                yield where, node, has_code or len(node.args) >= 5
            elif name in ("error", "warn") and receiver.endswith("problems"):
                yield where, node, has_code or len(node.args) >= 4
            elif name == "fail" and receiver.endswith(("r", "reader")):
                yield where, node, has_code or len(node.args) >= 3


def test_every_problem_is_raised_with_its_code():
    calls = list(problem_calls())
    assert len(calls) > 100  # the scan finds the calls it is meant to
    assert [where for where, _call, has_code in calls if not has_code] == []


def test_codes_are_unique_and_listed_in_the_readme_and_the_schema():
    from bookmaker import codes

    assert len(codes.ALL) == len(set(codes.ALL))
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert [code for code in codes.ALL if f"`{code}`" not in readme] == []
    schema = json.loads((PACKAGE / "schemas" / "check-report.schema.json").read_text(encoding="utf-8"))
    enum = schema["properties"]["problems"]["items"]["properties"]["code"]["anyOf"][0]["enum"]
    assert sorted(enum) == sorted(codes.ALL)


def test_imports_run_one_way():
    """import-linter's contracts in pyproject.toml: layers, writer independence, one door per library."""
    lint = REPO / ".venv" / "bin" / "lint-imports"
    command = [str(lint)] if lint.exists() else ["lint-imports"]
    try:
        ran = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=120)
    except FileNotFoundError:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    assert ran.returncode == 0, ran.stdout[-3000:]


def test_an_unverified_weasyprint_lays_the_book_out_as_one_document(tmp_path, monkeypatch):
    from bookmaker import load_book, render_book
    from bookmaker.pdf import weasy_internals
    from bookmaker.pdf.writer import pdf_bytes

    project = copy_book("plain", tmp_path / "plain")
    rendered = render_book(load_book(project), jobs=1, cache=False)
    monkeypatch.setattr(weasy_internals, "VERIFIED", ("999.",))
    data, problems = pdf_bytes(rendered, jobs=2, cache=False)
    assert data.startswith(b"%PDF")
    assert [p.code for p in problems] == ["slow-layout"]
    assert "weasy 70" in problems[0].message and problems[0].severity == "warning"
