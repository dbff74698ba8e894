"""bookmaker batch: a manifest of books, each built alone under its budget; one bad book never stops
the others; shards split a manifest without coordination; the shared cache takes concurrent writers."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bookmaker.commands.batch import run_batch
from bookmaker.infra.budget import Budget
from bookmaker.infra.cache import unsealed
from bookmaker.errors import BookmakerError
from bookmaker.commands.manifest import in_shard, parse_shard, read_jobs, schema, schema_errors
from conftest import REPO


def tiny_book(folder: Path, title: str, words: str = "Hello *world*.") -> Path:
    (folder / "manuscript").mkdir(parents=True)
    (folder / "manuscript" / "book.yaml").write_text(f"title: {title}\nauthor: A Writer\nformats: [epub]\n")
    (folder / "manuscript" / "01-one.md").write_text(f"# One\n\n{words}\n")
    return folder


def report_lines(path: Path) -> tuple[list[dict], dict]:
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[-1]["summary"] is True
    return lines[:-1], lines[-1]


@pytest.fixture
def shelf(tmp_path) -> Path:
    for i in range(4):
        tiny_book(tmp_path / "books" / f"book-{i}", f"Book {i}")
    bad = tmp_path / "books" / "broken"
    (bad / "manuscript").mkdir(parents=True)
    (bad / "manuscript" / "book.yaml").write_text("title: Broken\nauthor: A\nchapters: [missing.md]\n")
    return tmp_path


def test_one_bad_book_never_stops_the_others(shelf):
    (shelf / "batch.yaml").write_text("formats: [epub]\noutput: out\nprojects:\n  - books/*\n  - path: nowhere\n")
    code = run_batch(shelf / "batch.yaml", jobs=2, report_path=shelf / "report.jsonl")
    books, summary = report_lines(shelf / "report.jsonl")
    assert code == 1
    assert summary | {"seconds": 0, "peak_memory": 0} == {
        "summary": True, "books": 6, "built": 4, "failed": 2, "seconds": 0, "peak_memory": 0, "jobs": 2,
        "shard": None}
    by_name = {b["project"]: b for b in books}
    assert sorted(by_name) == ["books/book-0", "books/book-1", "books/book-2", "books/book-3", "books/broken",
                               "nowhere"]
    for i in range(4):
        line = by_name[f"books/book-{i}"]
        assert line["status"] == "built" and line["problems"] == [] and line["peak_memory"] > 10 << 20
        [output] = line["outputs"]
        written = shelf / output["path"] if not Path(output["path"]).is_absolute() else Path(output["path"])
        assert written == shelf / "out" / f"book-{i}" / f"book-{i}.epub"
        assert output["sha256"] == hashlib.sha256(written.read_bytes()).hexdigest()
    assert by_name["books/broken"]["status"] == "failed"
    [problem] = by_name["books/broken"]["problems"]
    assert problem.startswith(str(shelf / "books" / "broken" / "manuscript" / "book.yaml") + ":3: ")
    assert "missing.md" in problem
    assert by_name["nowhere"]["status"] == "failed" and by_name["nowhere"]["outputs"] == []


def test_all_built_is_exit_0_and_default_output_is_dist(shelf):
    (shelf / "batch.json").write_text(json.dumps({"projects": ["books/book-0", {"path": "books/book-1"}]}))
    assert run_batch(shelf / "batch.json", jobs=1, report_path=shelf / "r.jsonl") == 0
    assert (shelf / "books" / "book-0" / "dist" / "book-0.epub").is_file()  # book.yaml's formats
    assert report_lines(shelf / "r.jsonl")[1]["built"] == 2


def test_budget_from_the_manifest_and_the_command(shelf):
    (shelf / "batch.yaml").write_text("projects:\n  - path: books/book-0\n    budget: {max_seconds: 0.01}\n"
                                      "  - books/book-1\n")
    code = run_batch(shelf / "batch.yaml", jobs=2, report_path=shelf / "r.jsonl", budget=Budget(60, 2 << 30))
    books, _ = report_lines(shelf / "r.jsonl")
    assert code == 1
    by_name = {b["project"]: b for b in books}
    assert by_name["books/book-0"]["problems"] == [
        "--max-seconds:1: the build took longer than the 0.01 s budget (--max-seconds)"]
    assert by_name["books/book-1"]["status"] == "built"
    [job0, job1] = read_jobs(shelf / "batch.yaml", Budget(60, 2 << 30))
    assert job0.budget == Budget(0.01, 2 << 30) and job1.budget == Budget(60, 2 << 30)


@pytest.mark.parametrize("text, expected", [
    ("projects: []\n", ["batch.yaml:1: projects: needs at least 1 item"]),
    ("projects:\n  - a\nformat: [epub]\n", ["batch.yaml:3: format: unknown key 'format' (known: formats, output, "
                                           "budget, projects)"]),
    ("projects:\n  - a\n  - path: b\n    formats: [epub, mobi]\n",
     ['batch.yaml:4: projects[1].formats[1]: "mobi" is not one of epub, pdf']),
    ("projects:\n  - 3\n", ["batch.yaml:2: projects[0]: must be text, not the number 3 (a project folder, or a "
                             "glob of them such as books/* or shelf/**/novel-?)"]),
    ("projects: 3\n", ["batch.yaml:1: projects: must be a list, not the number 3 (the books to build: project "
                       "folders or globs, for example [books/*])"]),
    ("projects:\n  - a\nbudget:\n  max_seconds: soon\n",
     ['batch.yaml:4: budget.max_seconds: must be a number, not the text "soon"']),
    ("projects:\n  - formats: [pdf]\n", ["batch.yaml:2: projects[0]: needs a 'path' key"]),
    ("projects: [a\n", None),
])
def test_manifest_problems_name_the_line(tmp_path, text, expected):
    (tmp_path / "batch.yaml").write_text(text)
    with pytest.raises(BookmakerError) as caught:
        read_jobs(tmp_path / "batch.yaml", Budget())
    shown = [str(p).replace(str(tmp_path) + "/", "") for p in caught.value.problems]
    if expected is None:
        assert len(shown) == 1 and shown[0].startswith("batch.yaml:2: not valid YAML")
    else:
        assert shown == expected


CASES = [
    {"projects": ["a"]}, {"projects": []}, {"projects": "a"}, {}, {"projects": ["a"], "extra": 1},
    {"projects": [{"path": "a", "formats": ["pdf"], "output": "o", "budget": {"max_seconds": 5}}]},
    {"projects": [{"formats": ["pdf"]}]}, {"projects": [{"path": "a", "formats": []}]},
    {"projects": [{"path": "a", "formats": ["epub", "epub"]}]}, {"projects": ["a"], "budget": {"max_seconds": 0}},
    {"projects": ["a"], "budget": {"max_memory": "2G"}}, {"projects": ["a"], "budget": {"max_memory": 1.5}},
    {"projects": [""]}, {"projects": [True]}, {"projects": ["a"], "budget": {"max_seconds": True}}, [],
]


@pytest.mark.parametrize("case", CASES)
def test_the_small_validator_agrees_with_jsonschema(case):
    jsonschema = pytest.importorskip("jsonschema")
    rules = schema()
    jsonschema.Draft202012Validator.check_schema(rules)
    assert (schema_errors(case, rules, rules) == []) == jsonschema.Draft202012Validator(rules).is_valid(case)


def test_shards_are_stable_disjoint_and_complete():
    names = [f"books/author-{i}/book" for i in range(300)]
    shards = [[n for n in names if in_shard(n, (i, 4))] for i in range(1, 5)]
    assert sorted(sum(shards, [])) == sorted(names)
    assert all(50 < len(s) < 100 for s in shards)
    # the same on every machine and Python: sha256 of the path as the manifest names it
    assert in_shard("books/author-0/book", (int.from_bytes(hashlib.sha256(b"books/author-0/book").digest()[:8],
                                                            "big") % 4 + 1, 4))
    script = "from bookmaker.commands.manifest import in_shard; print([in_shard(f'b/{i}', (2, 3)) for i in range(50)])"
    runs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(runs) == 1
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/4", "5/4", "a/b", "3"):
        with pytest.raises(BookmakerError):
            parse_shard(bad)


def test_shards_build_each_book_once(shelf):
    (shelf / "batch.yaml").write_text("formats: [epub]\noutput: out\nprojects: ['books/book-*']\n")
    built = []
    for i in (1, 2, 3):
        run_batch(shelf / "batch.yaml", jobs=1, shard=(i, 3), report_path=shelf / f"r{i}.jsonl")
        books, summary = report_lines(shelf / f"r{i}.jsonl")
        assert summary["shard"] == f"{i}/3"
        built += [b["project"] for b in books]
    assert sorted(built) == [f"books/book-{i}" for i in range(4)]


def hammer(folder: str, writer: int, rounds: int) -> None:
    from bookmaker.infra.cache import write_entry

    for round_ in range(rounds):
        for key in range(8):
            write_entry(Path(folder) / f"{key:02d}" / f"entry-{key}", bytes([writer]) * (256 << 10))


def test_the_cache_takes_concurrent_writers(tmp_path):
    """Entries are written by many processes at once, as batch workers and machines sharing the
    folder do; a reader at any moment sees a whole entry, from one writer, never a mix."""
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=hammer, args=(str(tmp_path), w, 20)) for w in range(1, 5)]
    for process in writers:
        process.start()
    reads = 0
    while any(p.is_alive() for p in writers) or (reads == 0 and not any(p.exitcode for p in writers)):
        for key in range(8):
            path = tmp_path / f"{key:02d}" / f"entry-{key}"
            if path.exists():
                data = unsealed(path.read_bytes(), path)  # a mix of writers would fail its digest too
                assert len(data) == 256 << 10 and data == bytes([data[0]]) * len(data)
                reads += 1
    for process in writers:
        process.join()
        assert process.exitcode == 0
    assert reads > 8
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(f"entry-{k}" for k in range(8))


def test_two_batches_at_once_share_the_cache(shelf, tmp_path_factory):
    """Two machines (here, processes) running the same manifest into one cache folder: both build
    every book, with the same bytes, and the cache holds no temporary file after."""
    cache = tmp_path_factory.mktemp("shared-cache")
    for name in ("a", "b"):
        (shelf / f"{name}.yaml").write_text(f"formats: [epub]\noutput: out-{name}\nprojects: ['books/book-*']\n")
    script = "import sys; from bookmaker.commands.batch import run_batch; sys.exit(run_batch(sys.argv[1], 2, None, sys.argv[2]))"
    env = {**os.environ, "BOOKMAKER_CACHE_DIR": str(cache)}
    runs = [subprocess.Popen([sys.executable, "-c", script, shelf / f"{n}.yaml", shelf / f"{n}.jsonl"], env=env)
            for n in ("a", "b")]
    assert [run.wait(timeout=120) for run in runs] == [0, 0]
    digests = [{b["project"]: b["outputs"][0]["sha256"] for b in report_lines(shelf / f"{n}.jsonl")[0]}
               for n in ("a", "b")]
    assert digests[0] == digests[1] and len(digests[0]) == 4
    assert any(cache.rglob("*.json")) and not [p for p in cache.rglob(".tmp-*")]


def test_warnings_are_reported_with_the_built_book(tmp_path):
    book = tiny_book(tmp_path / "books" / "warned", "Warned")
    (book / "manuscript" / "02-empty.md").write_text("---\ntitle: Still to come\n---\n")
    (tmp_path / "batch.yaml").write_text("formats: [epub]\nprojects: [books/warned]\n")
    assert run_batch(tmp_path / "batch.yaml", report_path=tmp_path / "r.jsonl") == 0
    [line], _ = report_lines(tmp_path / "r.jsonl")
    assert line["status"] == "built" and len(line["problems"]) == 1
    assert "warning: " in line["problems"][0] and "02-empty.md" in line["problems"][0]


def bookmaker(*args, env=None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bookmaker", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=240)


def test_the_batch_command_shards_reports_and_reruns_from_the_cache(shelf, tmp_path_factory):
    """`bookmaker batch` on the command line: two shards build each book once between them, the exit
    code is run_batch's, and a re-run with the same cache folder writes no new cache entry."""
    cache = tmp_path_factory.mktemp("cli-cache")
    env = {**os.environ, "BOOKMAKER_CACHE_DIR": str(cache)}
    (shelf / "batch.yaml").write_text("formats: [epub]\noutput: out\nprojects: ['books/book-*']\n")
    built = []
    for index in (1, 2):
        ran = bookmaker("batch", shelf / "batch.yaml", "--jobs", "2", "--shard", f"{index}/2",
                        "--report", shelf / f"r{index}.jsonl", "--max-seconds", "120", "--max-memory", "3G", env=env)
        assert ran.returncode == 0, ran.stderr
        books, summary = report_lines(shelf / f"r{index}.jsonl")
        assert summary["shard"] == f"{index}/2" and summary["failed"] == 0
        built += [b["project"] for b in books]
    assert sorted(built) == [f"books/book-{i}" for i in range(4)]
    assert sorted(p.name for p in (shelf / "out").rglob("*.epub")) == [f"book-{i}.epub" for i in range(4)]
    entries = {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()}
    assert entries
    ran = bookmaker("batch", shelf / "batch.yaml", "--report", shelf / "again.jsonl", env=env)
    assert ran.returncode == 0, ran.stderr
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()} == entries  # all from the cache
    again = {b["project"]: b["outputs"][0]["sha256"] for b in report_lines(shelf / "again.jsonl")[0]}
    first = {b["project"]: b["outputs"][0]["sha256"] for n in (1, 2) for b in report_lines(shelf / f"r{n}.jsonl")[0]}
    assert again == first


def test_the_batch_command_exits_1_when_a_book_fails_and_reports_to_stdout(shelf):
    (shelf / "batch.yaml").write_text("formats: [epub]\noutput: out\nprojects: [books/broken, books/book-0]\n")
    ran = bookmaker("batch", shelf / "batch.yaml")
    assert ran.returncode == 1 and "Traceback" not in ran.stderr
    lines = [json.loads(line) for line in ran.stdout.splitlines()]
    assert [(line.get("project"), line.get("status")) for line in lines[:-1]] == [
        ("books/broken", "failed"), ("books/book-0", "built")]
    assert lines[-1]["failed"] == 1


@pytest.mark.parametrize("args, expected", [
    (["--shard", "3/2"], "--shard:1: shard 3/2: I must be from 1 to N"),
    (["--shard", "one"], "--shard:1: 'one' is not a shard"),
    (["--shard", "0/2"], "--shard:1: shard 0/2: I must be from 1 to N"),
    (["--max-memory", "lots"], "--max-memory:1: 'lots' is not a size"),
])
def test_bad_batch_options_are_one_clean_line(shelf, args, expected):
    """Exit 2, the command used wrongly (README, exit codes), as for the values typer refuses itself."""
    (shelf / "batch.yaml").write_text("projects: [books/book-0]\n")
    ran = bookmaker("batch", shelf / "batch.yaml", *args)
    assert ran.returncode == 2 and ran.stdout == ""
    assert ran.stderr.splitlines() == [next(line for line in ran.stderr.splitlines() if expected in line)]
    assert ran.stderr.startswith(expected)


def test_a_bad_manifest_is_named_with_its_codes_before_anything_builds(tmp_path):
    (tmp_path / "batch.yaml").write_text("projects:\n  - path: a\n    formats: [mobi]\n    colour: red\n")
    ran = bookmaker("batch", tmp_path / "batch.yaml", cwd=tmp_path)
    assert ran.returncode == 1 and ran.stdout == "" and "Traceback" not in ran.stderr
    assert len(ran.stderr.splitlines()) == 2
    with pytest.raises(BookmakerError) as caught:
        read_jobs(tmp_path / "batch.yaml", Budget())
    assert {p.code for p in caught.value.problems} == {"bad-manifest"}
    (tmp_path / "batch.yaml").write_text("projects: ['nowhere-*']\n")
    [job] = read_jobs(tmp_path / "batch.yaml", Budget())
    assert [p.code for p in job.problems] == ["bad-project"]


def test_worker_without_the_service_extra_is_one_clean_line():
    script = ("import sys; sys.modules['celery'] = None; sys.argv = ['bookmaker', 'worker']; "
              "from bookmaker.cli import main; main()")
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 1
    assert ran.stderr.splitlines() == ["bookmaker worker:1: the build service needs celery: "
                                       "pip install 'bookmaker[service]'"]


def test_a_batch_book_is_byte_for_byte_the_book_build_makes(tmp_path, monkeypatch):
    """Every book of a batch is forked from a process that built a warm-up book first (batch.warm_up):
    its EPUB and PDF are still exactly those of `bookmaker build` in a fresh process."""
    from conftest import run_cli

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(tmp_path / "cache"))
    book = tiny_book(tmp_path / "books" / "tale", "Tale", "\"Well...\" she said -- *twice*.\n\n* * *\n\nThen **morning**.")
    (tmp_path / "batch.yaml").write_text("formats: [epub, pdf]\noutput: out\nprojects: [books/tale]\n")
    assert run_batch(tmp_path / "batch.yaml", jobs=1, report_path=tmp_path / "r.jsonl") == 0
    built = run_cli("build", book, "--no-cache", "-f", "epub", "-f", "pdf")
    assert built.returncode == 0, built.stderr
    for name in ("tale.epub", "tale.pdf"):
        assert (tmp_path / "out" / "tale" / name).read_bytes() == (book / "dist" / name).read_bytes(), name


def test_the_warm_up_writes_no_cache_entry(tmp_path):
    """In a process of its own, as the service's, which has not imported WeasyPrint yet."""
    subprocess.run([sys.executable, "-c", "from bookmaker.commands.batch import warm_up; warm_up({'epub', 'pdf'})"],
                   check=True, cwd=REPO, env={**os.environ, "BOOKMAKER_CACHE_DIR": str(tmp_path / "cache")})
    assert list((tmp_path / "cache" / "ffi").glob("*.py"))
    # What bookmaker's libraries need, whatever the book: compiled templates, WeasyPrint's C declarations,
    # the warm-up's hyphenation patterns (parsed in the parent, which the books' processes are forked from).
    assert list((tmp_path / "cache" / "hyphenation").glob("*/*.txt"))
    entries = [p for p in (tmp_path / "cache").rglob("*")
               if p.is_file() and not {"templates", "ffi", "hyphenation"} & set(p.parts)]
    assert entries == []


@pytest.mark.parametrize("where", ["reports/r.jsonl", "adir"])
def test_a_report_that_cannot_be_written_is_one_problem_line(shelf, where):
    """--report into a folder that does not exist, or onto a folder: a traceback from open()."""
    from conftest import run_cli

    (shelf / "adir").mkdir()
    (shelf / "batch.yaml").write_text("projects: [books/book-0]\n")
    result = run_cli("batch", "batch.yaml", "--report", where, cwd=shelf)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.splitlines() == [f"{where}:1: cannot write the report: "
                                          + ("No such file or directory" if "/" in where else "Is a directory")]
    assert not (shelf / "books" / "book-0" / "dist").exists()  # refused before anything is built


@pytest.mark.parametrize("to_file", [True, False])
def test_a_failed_books_problems_are_on_stderr_with_or_without_a_report(shelf, to_file):
    """With --report, a batch with failed books exited 1 with nothing on stderr: a CI log showed no reason."""
    from conftest import run_cli

    (shelf / "batch.yaml").write_text("projects: [books/book-0, books/broken, nowhere]\n")
    result = run_cli("batch", "batch.yaml", *(["--report", "r.jsonl"] if to_file else []), cwd=shelf)
    assert result.returncode == 1
    problems = result.stderr.splitlines()
    assert len(problems) == 2, result.stderr
    assert problems[0].startswith("books/broken/manuscript/book.yaml:3: ") and "missing.md" in problems[0] or \
        problems[1].startswith("books/broken/manuscript/book.yaml:3: ") and "missing.md" in problems[1], problems
    assert any(line.startswith("nowhere:1: ") for line in problems), problems
    assert (result.stdout == "") == to_file
