"""bookmaker new: the scaffold builds, checks clean and passes EPUBCheck without any edit, and its CI
workflow installs the bookmaker that made it."""

from __future__ import annotations

import os
import subprocess
import sys

import yaml

from bookmaker import __version__
from conftest import epubcheck, problems_of, run_cli

WHEEL = f".bookmaker/bookmaker_ebooks-{__version__}-py3-none-any.whl"


def test_new_project_builds_and_checks_unmodified(tmp_path):
    project = tmp_path / "my-first-book"
    result = run_cli("new", project)
    assert result.returncode == 0, result.stderr
    for name in ("manuscript/book.yaml", "manuscript/01-beginning.md", "manuscript/02-and-then.md", ".gitignore",
                 ".github/workflows/book.yml", WHEEL):
        assert (project / name).is_file(), name
    assert "dist/" in (project / ".gitignore").read_text()
    assert yaml.safe_load((project / "manuscript" / "book.yaml").read_text())["title"] == "My First Book"
    check = run_cli("check", project, "--strict")
    assert check.returncode == 0, check.stdout + check.stderr
    build = run_cli("build", project)
    assert build.returncode == 0, build.stderr
    report = epubcheck(project / "dist" / "my-first-book.epub")
    assert (report["checker"]["nFatal"], report["checker"]["nError"], report["checker"]["nWarning"]) == (0, 0, 0), \
        problems_of(report)
    assert (project / "dist" / "my-first-book.pdf").stat().st_size > 10_000


def workflow(project):
    return yaml.safe_load((project / ".github" / "workflows" / "book.yml").read_text())


def install_spec(project) -> str:
    (step,) = [s for s in workflow(project)["jobs"]["build"]["steps"] if s.get("name") == "Install bookmaker"]
    assert 'pip install "$BOOKMAKER"' in step["run"]
    return step["env"]["BOOKMAKER"]


def test_workflow_checks_builds_uploads_and_releases(tmp_path):
    project = tmp_path / "b"
    run_cli("new", project, "--pip-spec", 'bookmaker @ git+https://example.org/book"maker.git')
    assert install_spec(project) == 'bookmaker @ git+https://example.org/book"maker.git'  # quoted, not spliced
    assert not (project / ".bookmaker").exists()
    flow = workflow(project)
    assert flow["permissions"] == {"contents": "read"}
    build, release = flow["jobs"]["build"], flow["jobs"]["release"]
    commands = " ".join(str(step.get("run", "")) for step in build["steps"])
    assert "bookmaker check --strict" in commands and "SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) bookmaker build" \
        in commands
    assert any(step.get("uses", "").startswith("actions/upload-artifact") for step in build["steps"])
    assert release["needs"] == "build" and "refs/tags/" in release["if"]
    assert release["permissions"] == {"contents": "write"}  # only the release job may publish
    run = " ".join(str(step.get("run", "")) for step in release["steps"])
    assert "gh release create" in run and "gh release upload" in run and "--clobber" in run
    assert "{{" not in (project / ".github" / "workflows" / "book.yml").read_text().replace("${{", "")


def test_the_workflow_installs_the_wheel_of_this_bookmaker(tmp_path):
    """Without --pip-spec the project carries this bookmaker as a wheel ('bookmaker' on PyPI is another
    project): installed alone, with nothing from this checkout, it builds the book."""
    project = tmp_path / "wheel-book"
    assert run_cli("new", project).returncode == 0
    assert install_spec(project) == f"./{WHEEL}"
    again = tmp_path / "again"
    run_cli("new", again)
    assert (again / WHEEL).read_bytes() == (project / WHEEL).read_bytes()  # reproducible
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--target",
                    str(target), str(project / WHEEL)], check=True)
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import bookmaker; print(bookmaker.__file__)"], env=env,
                           capture_output=True, text=True, cwd=tmp_path)
    assert where.stdout.strip() == str(target / "bookmaker" / "__init__.py")
    built = subprocess.run([sys.executable, "-m", "bookmaker", "build", str(project), "-q"], env=env,
                           capture_output=True, text=True, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert sorted(p.name for p in (project / "dist").iterdir()) == ["wheel-book.epub", "wheel-book.pdf"]


def test_any_folder_name_gives_a_valid_book_yaml(tmp_path):
    project = tmp_path / 'the "odd" back\\slash: story'
    assert run_cli("new", project, "--pip-spec", "x").returncode == 0
    assert yaml.safe_load((project / "manuscript" / "book.yaml").read_text())["title"] == 'The "odd" Back\\slash: Story'


def test_new_refuses_a_file_and_an_empty_pip_spec(tmp_path):
    (tmp_path / "file").write_text("mine")
    result = run_cli("new", tmp_path / "file")
    assert (result.returncode, result.stderr) == (1, f"{tmp_path}/file:1: is a file: bookmaker new makes a new folder\n")
    result = run_cli("new", tmp_path / "p", "--pip-spec", " ")
    assert result.returncode == 1 and result.stderr.startswith("--pip-spec:1: must be one line")
    assert not (tmp_path / "p").exists()


def test_new_refuses_a_folder_with_files(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    result = run_cli("new", tmp_path / "taken")
    assert result.returncode == 1
    assert result.stderr.strip() == f"{tmp_path}/taken:1: folder is not empty: bookmaker new only writes into a new folder"
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"
