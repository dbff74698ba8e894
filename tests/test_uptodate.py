"""`bookmaker build` with nothing changed: decided from the manifest, outputs untouched, same lines printed;
any change to what the build read or wrote builds again."""

from __future__ import annotations

import json

from bookmaker.infra.cache import read_entry
from conftest import BUILD_EPOCH, copy_book, run_cli

NO_PYPDF = ("import sys, runpy; sys.argv = ['bookmaker', 'build', sys.argv[1]]\n"
            "try:\n    runpy.run_module('bookmaker', run_name='__main__')\n"
            "except SystemExit as e:\n    code = e.code\n"
            "print('LOADED', sorted(m for m in ('weasyprint', 'pypdf', 'markdown', 'lxml', 'ebooklib') if m in sys.modules))")


def stamps(project):
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted((project / "dist").iterdir())}


def test_nothing_changed_builds_nothing_and_says_the_same(tmp_path):
    project = copy_book("plain", tmp_path / "plain")
    first = run_cli("build", project, "-f", "epub", env=BUILD_EPOCH)
    assert first.returncode == 0, first.stderr
    before = stamps(project)
    again = run_cli("build", project, "-f", "epub", env=BUILD_EPOCH)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    assert "nothing changed since the last build" in again.stderr
    assert stamps(project) == before

    import subprocess
    import sys

    loaded = subprocess.run([sys.executable, "-c", NO_PYPDF.replace("'build', sys.argv[1]",
                                                                 "'build', sys.argv[1], '-f', 'epub'"), str(project)],
                            capture_output=True, text=True, env={**__import__("os").environ, **BUILD_EPOCH})
    assert "LOADED []" in loaded.stdout, loaded.stdout + loaded.stderr


def test_a_change_in_or_out_builds_again(tmp_path):
    project = copy_book("plain", tmp_path / "plain")
    assert run_cli("build", project, "-f", "epub", env=BUILD_EPOCH).returncode == 0
    epub = next((project / "dist").glob("*.epub"))
    original = epub.read_bytes()

    chapter = sorted((project / "manuscript").glob("*.md"))[0]
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    assert run_cli("build", project, "-f", "epub", env=BUILD_EPOCH).returncode == 0
    edited = epub.read_bytes()
    assert edited != original

    epub.write_bytes(b"damaged")  # an output changed by hand is made again
    assert run_cli("build", project, "-f", "epub", env=BUILD_EPOCH).returncode == 0
    assert epub.read_bytes() == edited

    # Another date is another book, even with every file the same.
    assert run_cli("build", project, "-f", "epub", env={"SOURCE_DATE_EPOCH": "1800000000"}).returncode == 0
    assert epub.read_bytes() != edited


def test_a_failed_build_leaves_no_manifest(tmp_path, private_cache):
    project = copy_book("plain", tmp_path / "plain")
    assert run_cli("build", project, "-f", "epub", env=BUILD_EPOCH).returncode == 0
    (project / "manuscript" / "book.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    assert run_cli("build", project, "-f", "epub", env=BUILD_EPOCH).returncode == 1
    assert run_cli("build", project, "-f", "epub", env=BUILD_EPOCH).returncode == 1
    for manifest in (private_cache / "builds").glob("*.json"):
        assert json.loads(read_entry(manifest))["outputs"]  # through the entry's seal (infra/cache.py)


def test_a_pipe_or_a_device_in_the_project_does_not_hang_build(tmp_path):
    """The up-to-date check runs before the project is checked, on every name in manuscript/ and styles/:
    a named pipe there (even a hidden `.lock`) opened by it hung `build` for ever, and a link to /dev/zero
    read until memory ran out. Now `build` says what `epub` says about the same project."""
    import os
    import subprocess
    import sys

    for name, make in (("03-pipe.md", os.mkfifo), (".lock", os.mkfifo),
                       (".editor-state", lambda path: os.symlink("/dev/zero", path))):
        project = copy_book("plain", tmp_path / name)
        make(project / "manuscript" / name)
        said = {}
        for command in ("epub", "build"):
            run = subprocess.run([sys.executable, "-m", "bookmaker", command, str(project), "-q", "-f", "epub"]
                                 if command == "build" else [sys.executable, "-m", "bookmaker", command, str(project), "-q"],
                                 capture_output=True, text=True, timeout=60, env={**os.environ, **BUILD_EPOCH})
            assert "Traceback" not in run.stderr, run.stderr
            said[command] = (run.returncode, [line for line in run.stderr.splitlines() if name in line])
        assert said["build"] == said["epub"], (name, said)
        if name == "03-pipe.md":
            assert said["build"][0] == 1 and "not a regular file" in said["build"][1][0], said


def test_a_link_out_of_the_project_is_never_read_by_the_up_to_date_check(tmp_path, monkeypatch):
    """A link in manuscript/ to a file outside the project is digested as the text of the link: its
    bytes are never read (they were, before the project was checked). A link to a file inside is
    digested by its bytes, so an edit through it builds again."""
    import os

    from bookmaker.commands import uptodate

    project = copy_book("plain", tmp_path / "book")
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET")
    os.symlink(secret, project / "manuscript" / ".x")
    os.symlink("book.yaml", project / "manuscript" / ".inside")
    opened = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda path, *a, **k: opened.append(os.path.realpath(path)) or real_open(path, *a, **k))
    before = uptodate.inputs_digest(str(project), ("epub",), None, [])
    assert str(secret) not in opened and str(project / "manuscript" / "book.yaml") in opened
    secret.write_text("OTHER")
    assert uptodate.inputs_digest(str(project), ("epub",), None, []) == before
    yaml = project / "manuscript" / "book.yaml"
    yaml.write_text(yaml.read_text() + "\n")
    assert uptodate.inputs_digest(str(project), ("epub",), None, []) != before
