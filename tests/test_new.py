"""bookmaker new: the scaffold builds, checks clean and passes EPUBCheck without any edit."""

from __future__ import annotations

import yaml

from conftest import epubcheck, problems_of, run_cli


def test_new_project_builds_and_checks_unmodified(tmp_path):
    project = tmp_path / "my-first-book"
    result = run_cli("new", project)
    assert result.returncode == 0, result.stderr
    for name in ("manuscript/book.yaml", "manuscript/01-beginning.md", "manuscript/02-and-then.md", ".gitignore",
                 ".github/workflows/book.yml"):
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


def test_workflow_checks_builds_uploads_and_releases(tmp_path):
    project = tmp_path / "b"
    run_cli("new", project, "--pip-spec", "bookmaker @ git+https://example.org/bookmaker.git")
    workflow = yaml.safe_load((project / ".github" / "workflows" / "book.yml").read_text())
    steps = workflow["jobs"]["build"]["steps"]
    commands = " ".join(str(step.get("run", "")) for step in steps)
    assert "bookmaker check --strict" in commands and "bookmaker build" in commands
    assert "bookmaker @ git+https://example.org/bookmaker.git" in commands
    assert any(step.get("uses", "").startswith("actions/upload-artifact") for step in steps)
    assert any("gh release create" in str(step.get("run", "")) and "refs/tags/" in str(step.get("if", ""))
               for step in steps)
    assert "{{" not in (project / ".github" / "workflows" / "book.yml").read_text().replace("${{", "")


def test_new_refuses_a_folder_with_files(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    result = run_cli("new", tmp_path / "taken")
    assert result.returncode == 1
    assert result.stderr.strip() == f"{tmp_path}/taken:1: folder is not empty: bookmaker new only writes into a new folder"
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"
