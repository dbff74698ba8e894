"""bookmaker check: errors, editor's warnings, --strict, --epubcheck and the JSON report."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from conftest import copy_book, run_cli

SCHEMA = json.loads(resources.files("bookmaker").joinpath("schemas/check-report.schema.json").read_text())


def write(project, book: str, chapters: dict[str, str]):
    (project / "manuscript").mkdir(parents=True)
    (project / "manuscript" / "book.yaml").write_text(book, encoding="utf-8")
    for name, text in chapters.items():
        (project / "manuscript" / name).write_text(text, encoding="utf-8")
    return project


@pytest.fixture
def lint_project(tmp_path):
    return write(tmp_path / "p", "title: T\nauthor: A\nlanguage: qq\n", {
        "1.md": "---\ntitle: Same\n---\n\nA note[^a] and a missing one[^zz].\n\n[^a]: Fine.\n\n[^b]: Never used.\n",
        "2.md": "---\ntitle: Same\n---\n\n![](pic.png)\n\n<p>She said \"hi\" in raw HTML.</p>\n\n<img src=\"pic.png\">\n",
        "3.md": "---\ntitle: Empty\n---\n",
        "4.md": "# Noted[^t]\n\nA chapter whose title calls a note.\n\n[^t]: Called from the title.\n",
        "pic.png": "",
    })


@pytest.fixture(autouse=True)
def picture(lint_project):
    from conftest import png

    png(lint_project / "manuscript" / "pic.png", 20, 20)


def test_editor_warnings(lint_project):
    result = run_cli("check", lint_project)
    assert result.returncode == 0, result.stdout + result.stderr
    p = str(lint_project / "manuscript")
    lines = result.stdout.splitlines()
    for expected in (
        f"{p}/book.yaml:3: warning: unknown language tag 'qq': readers may not hyphenate or read it aloud correctly",
        f"{p}/1.md:5: warning: footnote reference [^zz] has no footnote",
        f"{p}/1.md:9: warning: footnote [^b] is never referenced",
        f"{p}/2.md:1: warning: chapter title 'Same' is also the title of {p}/1.md",
        f"{p}/2.md:5: warning: image without alt text: describe it for readers who cannot see it",
        f"{p}/2.md:9: warning: image without alt text: describe it for readers who cannot see it",
        f"{p}/3.md:3: warning: chapter has no text",
    ):
        assert expected in lines, (expected, lines)
    assert any(line.startswith(f"{p}/2.md:7: warning: straight quote in raw HTML") for line in lines), lines
    assert not [line for line in lines if "[^t]" in line]  # called from the title: referenced
    assert f"{p}/book.yaml:1: warning: no cover: stores show a blank tile and Kindle needs one; name a picture " \
           "(`cover: images/cover.jpg`) or let bookmaker draw one (`cover: auto`)" in lines
    assert "0 error(s), 9 warning(s)" in result.stderr


def test_quiet_prints_the_problems_alone(lint_project):
    """`check -q`, for CI logs: the same problem lines and exit code, no preflight lines and no count;
    nothing at all for a clean book."""
    loud = run_cli("check", lint_project, "--strict", "--printer", "kdp")
    quiet = run_cli("check", lint_project, "--strict", "--printer", "kdp", "-q")
    assert quiet.returncode == loud.returncode == 1
    problems = [line for line in loud.stdout.splitlines() if not line.startswith("preflight ")]
    assert any(line.startswith("preflight ") for line in loud.stdout.splitlines()), loud.stdout
    assert quiet.stdout.splitlines() == problems and quiet.stderr == "", quiet.stderr
    clean = lint_project.parent / "clean"
    write(clean, "title: T\nauthor: A\nlanguage: en\ncover: auto\n", {"1.md": "# One\n\nSome words.\n"})
    result = run_cli("check", clean, "--quiet")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_strict_turns_warnings_into_failure(lint_project):
    assert run_cli("check", lint_project, "--strict").returncode == 1


def test_json_report_validates_against_the_schema(lint_project):
    result = run_cli("check", lint_project, "--format", "json")
    report = json.loads(result.stdout)
    jsonschema.validate(report, SCHEMA)
    assert report["ok"] is True and report["errors"] == 0 and report["warnings"] == 9
    codes = {p["code"] for p in report["problems"]}
    assert {"footnote-missing", "footnote-unused", "duplicate-title", "image-alt", "straight-quotes",
            "unknown-language", "empty-chapter"} <= codes


def test_json_report_of_errors(tmp_path):
    project = write(tmp_path / "e", "title: T\nauthor: A\ntitel: x\n", {"1.md": "![a](gone.png)\n"})
    result = run_cli("check", project, "--format", "json", "--strict")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    jsonschema.validate(report, SCHEMA)
    # book.yaml's errors come first, and the chapters' with them: every problem in one run.
    assert report["ok"] is False and report["errors"] == 2
    assert [p["code"] for p in report["problems"]] == ["unknown-key", "bad-image"]
    project = write(tmp_path / "f", "title: T\nauthor: A\n", {"1.md": "![a](gone.png)\n\n![b](gone2.png)\n"})
    report = json.loads(run_cli("check", project, "--format", "json").stdout)
    assert [(p["code"], p["line"]) for p in report["problems"]] == [("bad-image", 1), ("bad-image", 3)]


def with_auto_cover(project):
    with open(project / "manuscript" / "book.yaml", "a", encoding="utf-8") as f:
        f.write("cover: auto\n")
    return project


def test_epubcheck_without_java_says_so(tmp_path):
    project = copy_book("plain", tmp_path / "plain")
    result = run_cli("check", project, "--epubcheck", env={"PATH": "/nonexistent"})
    assert result.returncode == 1
    assert "EPUBCheck needs Java: install a Java runtime" in result.stdout


def test_clean_book_passes_strict_with_epubcheck_found_through_java_home(tmp_path):
    """One EPUBCheck run (a JVM of its own, 5 s of CPU and more) for both: a clean book passes --strict
    with EPUBCheck, and Java is found through JAVA_HOME where the PATH has none (that the PATH's java
    comes first: test_epubcheck_that_fails_to_run_says_why)."""
    import shutil

    project = with_auto_cover(copy_book("plain", tmp_path / "plain"))
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "java").symlink_to(shutil.which("java"))
    result = run_cli("check", project, "--strict", "--epubcheck",
                     env={"PATH": "/nonexistent", "JAVA_HOME": str(home)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 error(s), 0 warning(s)" in result.stderr, result.stdout + result.stderr


def test_epubcheck_that_fails_to_run_says_why(tmp_path):
    project = copy_book("plain", tmp_path / "plain")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "java").write_text("#!/bin/sh\necho 'Error: could not reserve enough space for object heap' >&2\nexit 1\n")
    (fake / "java").chmod(0o755)
    result = run_cli("check", project, "--epubcheck", env={"PATH": str(fake)})
    assert result.returncode == 1
    assert "EPUBCheck did not run: Error: could not reserve enough space for object heap" in result.stdout


def test_ace_findings_become_problems_with_their_rule_and_file():
    """What `check --ace` says of a failed check in Ace's report (report.json's EARL assertions)."""
    from bookmaker.commands.check import ace_report_problems

    def failed(title, impact, description):
        return {"earl:result": {"earl:outcome": "fail"},
                "earl:test": {"dct:title": title, "earl:impact": impact, "dct:description": description}}

    report = {"assertions": [
        {"earl:testSubject": {"url": "EPUB/chapter-1.xhtml"},
         "assertions": [failed("image-alt", "critical", "Images must have\n alternate text"),
                        {"earl:result": {"earl:outcome": "pass"}, "earl:test": {"dct:title": "region"}}]},
        {"earl:testSubject": {"url": "EPUB/nav.xhtml"}, "assertions": [failed("heading-order", "moderate", "x")]},
    ]}
    assert [str(p) for p in ace_report_problems(report)] == [
        "EPUB:EPUB/chapter-1.xhtml:1: Ace image-alt (critical): Images must have alternate text",
        "EPUB:EPUB/nav.xhtml:1: warning: Ace heading-order (moderate): x"]
    assert {p.code for p in ace_report_problems(report)} == {"ace-violation"}


def test_a_chapter_linked_out_of_the_project_has_the_code_book_yaml_and_styles_have(tmp_path):
    """A chapter that is a link to a file outside the project was `bad-chapter`, while book.yaml and a
    stylesheet so linked are `outside-project`: a CI rule matching the one missed the other."""
    outside = tmp_path / "elsewhere.md"
    outside.write_text("Secret.\n", encoding="utf-8")
    project = tmp_path / "book"
    write(project, "title: T\nauthor: A\n", {"01-a.md": "Text.\n"})
    (project / "manuscript" / "02-link.md").symlink_to(outside)
    report = json.loads(run_cli("check", project, "--format", "json").stdout)
    jsonschema.validate(report, SCHEMA)
    assert [p["code"] for p in report["problems"] if "outside the project" in p["message"]] == ["outside-project"]
