"""The command line as authors and CI use it: every command and flag, exit codes, outputs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time

import pytest

from conftest import copy_book, run_cli


@pytest.fixture
def project(tmp_path):
    return copy_book("every-key", tmp_path / "book")


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and re.fullmatch(r"bookmaker \d+\.\d+\.\d+\S*\n", result.stdout)


def test_help_lists_every_command():
    result = run_cli("--help")
    for command in ("epub", "pdf", "build", "stats", "watch"):
        assert command in result.stdout


def test_usage_errors_exit_2(project):
    assert run_cli("frobnicate").returncode == 2
    assert run_cli("build", project, "--format", "mobi").returncode == 2
    assert run_cli("pdf", project, "--variant", "pdf/x").returncode == 2
    assert run_cli("epub", project, "--jobs", "-1").returncode == 2


def test_default_output_is_in_dist_named_after_the_title(project):
    result = run_cli("epub", project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(project / "dist" / "the-clockmakers-apprentice.epub")
    assert (project / "dist" / "the-clockmakers-apprentice.epub").is_file()


def test_build_makes_every_format_and_names_them(project):
    result = run_cli("build", project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(project / "dist" / "the-clockmakers-apprentice.epub"),
                                     str(project / "dist" / "the-clockmakers-apprentice.pdf")]
    assert "bookmaker: rendering 2 chapters" in result.stderr  # plain progress lines when not a terminal


def test_build_format_and_quiet(project):
    result = run_cli("build", project, "--format", "pdf", "--quiet")
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.strip().endswith(".pdf") and not (project / "dist" / "the-clockmakers-apprentice.epub").exists()


def test_build_follows_formats_in_book_yaml(project):
    yaml = project / "manuscript" / "book.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace("formats: [epub, pdf]", "formats: [epub]"),
                    encoding="utf-8")
    result = run_cli("build", project, "-q")
    assert result.returncode == 0 and [p.suffix for p in (project / "dist").iterdir()] == [".epub"]


def test_build_with_errors_exits_1_and_writes_nothing(project):
    (project / "manuscript" / "two.md").write_text("![gone](nope.png)\n", encoding="utf-8")
    result = run_cli("build", project)
    assert result.returncode == 1
    assert f"{project}/manuscript/two.md:1: image 'nope.png' not found" in result.stderr
    assert not (project / "dist").exists() or not any((project / "dist").iterdir())


def test_epub_and_pdf_keep_stderr_for_problems(project):
    for command in ("epub", "pdf"):
        result = run_cli(command, project, "-o", project / f"x.{command}")
        assert result.returncode == 0 and result.stderr == "", result.stderr


def test_stats(project):
    result = run_cli("stats", project)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["#", "Chapter", "Words", "Reading", "time"]
    assert any(line.split()[:4] == ["1", "Chapter", "1:", "Wound"] for line in lines)
    total = [line for line in lines if "Total" in line][0]
    assert re.search(r"Total\s+\d+\s+\d+ min", total)


def test_stats_as_json_gives_the_tables_counts(project):
    """`stats --format json`, for scripts: the numbers the table prints, each chapter's and the book's."""
    table = run_cli("stats", project).stdout.splitlines()
    result = run_cli("stats", project, "--format", "json")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    report = json.loads(result.stdout)
    rows = [line.split() for line in table[2:] if line.strip() and not line.startswith("-")]
    assert [c["number"] for c in report["chapters"]] == [int(r[0]) for r in rows[:-1]]
    assert [c["words"] for c in report["chapters"]] == [int(r[-3].replace(",", "")) for r in rows[:-1]]
    assert report["words"] == int(rows[-1][1].replace(",", "")) == sum(c["words"] for c in report["chapters"])
    assert report["chapters"][0]["title"].startswith("Chapter 1: Wound")
    assert all(c["reading_minutes"] >= 1 for c in report["chapters"]) and report["reading_minutes"] >= 1
    assert run_cli("stats", project, "--format", "xml").returncode == 2


def on_a_terminal(project, term: str) -> str:
    """What `bookmaker build` writes to stderr when it is a terminal that says it is `term`."""
    import os
    import pty

    main, child = pty.openpty()
    env = {**os.environ, "TERM": term}
    done = subprocess.run([sys.executable, "-m", "bookmaker", "build", str(project), "--format", "epub"],
                          stdout=subprocess.DEVNULL, stderr=child, env=env, timeout=120)
    os.close(child)
    out = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal's other end is closed: all is read
            break
        if not chunk:
            break
        out += chunk
    os.close(main)
    assert done.returncode == 0, out
    return out.decode()


def test_a_dumb_terminal_is_given_plain_lines_not_a_redrawn_one(project):
    """TERM=dumb (Emacs' shell, some CI runners) cannot redraw a line: the stages come as a log's lines."""
    live = on_a_terminal(project, "xterm")
    assert "\r" in live and "bookmaker: " in live
    dumb = on_a_terminal(project, "dumb")
    lines = dumb.replace("\r\n", "\n").split("\n")  # the terminal's own line ends
    assert "\r" not in dumb.replace("\r\n", "\n"), dumb
    assert [line for line in lines if line.startswith("bookmaker: ")] and lines[-1] == "", dumb


def watch_while(project, edit) -> str:
    """Everything `bookmaker watch` says while `edit()` is made once it is watching, until it has
    rebuilt after the edit."""
    proc = subprocess.Popen([sys.executable, "-m", "bookmaker", "watch", str(project), "--format", "epub"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: list[str] = []
    threading.Thread(target=lambda: seen.extend(iter(proc.stdout.readline, "")), daemon=True).start()
    try:
        deadline = time.time() + 60
        while not any("watching" in line for line in seen) and time.time() < deadline:
            time.sleep(0.1)
        edit()
        while sum("rebuilt in" in line for line in seen) < 2 and time.time() < deadline:
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(10)
    return "".join(seen)


def test_watch_rebuilds_on_save(project):
    chapter = project / "manuscript" / "two.md"
    text = watch_while(project, lambda: chapter.write_text(chapter.read_text(encoding="utf-8") + "\nA new line.\n",
                                                           encoding="utf-8"))
    assert "changed: manuscript/two.md" in text, text
    assert text.count("rebuilt in") >= 2, text


def test_watch_on_a_missing_folder_exits_1(tmp_path):
    result = run_cli("watch", tmp_path / "nowhere")
    assert (result.returncode, result.stderr) == (1, f"{tmp_path / 'nowhere'}:1: project folder not found\n")


def test_watch_sees_a_styles_folder_made_after_it_started(tmp_path):
    import zipfile

    project = copy_book("plain", tmp_path / "book")

    def edit():
        (project / "styles").mkdir()
        (project / "styles" / "epub.css").write_text("p { text-indent: 0; }\n", encoding="utf-8")
        (project / "dist" / "ignored.txt").write_text("outputs are not sources\n", encoding="utf-8")

    text = watch_while(project, edit)
    assert "changed: styles" in text, text
    assert "ignored.txt" not in text
    with zipfile.ZipFile(project / "dist" / "a-quiet-evening.epub") as book:  # the rebuild used the new theme
        assert "p { text-indent: 0; }" in book.read("EPUB/css/epub.css").decode()


def test_layout_warnings_come_after_the_progress_and_check_reports_them(tmp_path):
    project = copy_book("plain", tmp_path / "book")
    (project / "styles").mkdir()
    (project / "styles" / "print.css").write_text("p { colr: red; }\n", encoding="utf-8")
    expected = (f"{project}/styles/print.css:1: warning: PDF layout: Ignored `colr: red` at 1:5, "
                "unknown property.")
    built = run_cli("build", project, "--format", "pdf")
    assert built.returncode == 0 and built.stderr.splitlines()[-1] == expected, built.stderr
    checked = run_cli("check", project, "--strict")
    assert checked.returncode == 1 and expected in checked.stdout.splitlines(), checked.stdout


def test_watch_settles_between_rebuilds_and_still_frees_what_a_rebuild_let_go():
    """settle() freezes what the watching process holds (its rebuilds' collections then skip it), after
    unfreezing and collecting: a cycle dropped since the last settle is freed, not kept frozen."""
    import gc
    import weakref

    from bookmaker.commands.watch import settle

    class Node:
        pass

    node = Node()
    node.me = node  # a cycle: only the collector frees it
    alive = weakref.ref(node)
    try:
        settle()
        assert gc.get_freeze_count() > 0 and alive() is not None
        del node
        gc.collect()
        assert alive() is not None  # frozen: the rebuild's collections leave it alone
        settle()
        assert alive() is None  # the next settle frees it
    finally:
        gc.unfreeze()


def test_stats_columns_line_up_whatever_the_titles_hold(tmp_path):
    """A word joiner in a title (Standard Ebooks' "word\u2060—") put its row's counts a column left of the
    others', and a Chinese title's two columns a character pushed them right."""
    (tmp_path / "manuscript").mkdir()
    (tmp_path / "manuscript" / "book.yaml").write_text("title: T\nauthor: A\n", encoding="utf-8")
    for n, title in enumerate(["Plain", "Joined\u2060\u2014Here", "\u6f6e\u6c50", "Cafe\u0301"], start=1):
        (tmp_path / "manuscript" / f"{n:02d}.md").write_text(f"# {title}\n\nOne two three.\n", encoding="utf-8")
    lines = run_cli("stats", tmp_path).stdout.splitlines()
    rows = [line for line in lines if re.match(r"\s*\d+\s", line)]
    assert len(rows) == 4
    import unicodedata

    def columns(text: str) -> int:  # as a terminal shows it
        return sum(0 if unicodedata.category(c) in ("Mn", "Cf") else 2 if unicodedata.east_asian_width(c) == "W" else 1
                   for c in text)

    assert len({columns(line[:line.rindex(" 3 ") + 3]) for line in rows}) == 1, rows


LONG_NAME = "x" * 300  # over the 255 bytes a file or folder name may have (README, Limits)


@pytest.mark.parametrize("args", [("epub", LONG_NAME), ("pdf", LONG_NAME), ("build", LONG_NAME), ("check", LONG_NAME),
                                  ("stats", LONG_NAME), ("watch", LONG_NAME), ("new", LONG_NAME),
                                  ("import", LONG_NAME), ("epub", "{book}", "-o", LONG_NAME + ".epub"),
                                  ("epub", "{book}", "-o", f"{LONG_NAME}/book.epub"),
                                  ("pdf", "{book}", "-o", f"{{book}}/dist/{LONG_NAME}.pdf")])
def test_a_name_over_255_bytes_is_one_problem_line_not_a_traceback(tmp_path, args):
    """A path component over 255 bytes (the project, or -o): Path.is_dir() raised OSError "File name too
    long" into a traceback (load/project.py find_project, cli.py build_one)."""
    book = copy_book("plain", tmp_path / "book")
    result = run_cli(*[a.format(book=book) for a in args], cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "OSError" not in result.stderr, result.stderr
    lines = [line for line in (result.stdout + result.stderr).splitlines() if LONG_NAME in line]  # check: stdout
    assert len(lines) == 1 and lines[0].endswith(("255 bytes, which no file system allows", "File name too long")), \
        result.stderr
    assert not (book / "dist").exists()


def test_check_reports_a_name_over_255_bytes_in_its_json(tmp_path):
    result = run_cli("check", LONG_NAME, "--format", "json", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert [p["file"] for p in json.loads(result.stdout)["problems"]] == [LONG_NAME]


@pytest.mark.parametrize("args, expected", [
    (["--max-memory", "lots"], "--max-memory:1: 'lots' is not a size"),
    (["--max-seconds", "-1"], "--max-seconds:1: the time budget must be more than 0 seconds"),
    (["--max-seconds", "abc"], "--max-seconds:1: 'abc' is not a number of seconds"),
    (["--jobs", "abc"], None),  # typer's own refusal, for comparison
])
def test_a_malformed_option_value_is_exit_2_as_the_readme_says(tmp_path, args, expected):
    """The README's exit codes: 2 for a command used wrongly (an unknown command, option or value); the
    budget's values were refused with 1, which says the book has errors."""
    book = copy_book("plain", tmp_path / "book")
    for command in ("build", "epub", "check"):
        result = run_cli(command, book, *args)
        assert result.returncode == 2 and "Traceback" not in result.stderr, (command, result.stderr)
        if expected:
            assert result.stderr.splitlines()[0].startswith(expected), result.stderr
    assert not (book / "dist").exists()


def test_a_path_the_terminal_cannot_show_is_printed_with_escapes_not_a_failure(tmp_path):
    """With PYTHONIOENCODING=ascii (or a C locale) and a Japanese folder name, the EPUB was written and
    then printing its path raised UnicodeEncodeError: exit 1, which says nothing was written."""
    project = copy_book("plain", tmp_path / "\u6771\u4eac")
    result = run_cli("epub", project, env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0, result.stderr
    assert "\\u6771\\u4eac" in result.stdout and "Traceback" not in result.stderr
