"""The Celery service end to end: a real redis-server on a loopback port, two worker processes, 50
books submitted; a worker process killed mid-task and the task still done, and written once.
Hostile archives are refused before anything is built.

    pytest -m service tests/test_service.py
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from bookmaker.errors import BookmakerError
from bookmaker.infra.unpack import unpack

REPO = Path(__file__).resolve().parent.parent


def bench_chapter():
    """bench/generate.py's chapter maker, loaded by path (bench/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_generate", REPO / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.chapter


def archive(files: dict[str, str | bytes], top: str = "") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode() if isinstance(text, str) else text
            info = tarfile.TarInfo(top + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def tiny_project(i: int) -> dict[str, str]:
    return {"manuscript/book.yaml": f"title: Small Book {i}\nauthor: Writer {i}\n",
            "manuscript/01-one.md": f"# Start\n\nThe *{i}th* small book.\n"}


def zipped(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for info, data in entries:
            z.writestr(info, data)
    return buffer.getvalue()


def symlink_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (0o120777 << 16)
    return info


def tar_with_link() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("manuscript/book.yaml")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)
    return buffer.getvalue()


@pytest.mark.parametrize("data, message", [
    (zipped([("../outside.md", b"x")]), "archive:../outside.md:1: a name outside the project"),
    (zipped([("/etc/cron.d/x", b"x")]), "archive:/etc/cron.d/x:1: a name outside the project"),
    (zipped([("manuscript\\..\\x", b"x")]), "a name with a backslash"),
    (zipped([(symlink_info("manuscript/book.yaml"), b"/etc/passwd")]), "a link or special file"),
    (tar_with_link(), "a link or special file"),
    (zipped([(f"f{i}", b"") for i in range(5_001)]), "over 5000 members"),
    (zipped([("manuscript/big.md", b"a" * (51 << 20))]), "a file over 50 MB unpacked"),
    (b"not an archive at all", "not a zip or tar.gz archive"),
    (archive({"notes.txt": "hello"}), "no manuscript/book.yaml"),
])
def test_hostile_archives_are_refused(tmp_path, data, message):
    with pytest.raises(BookmakerError) as caught:
        unpack(data, tmp_path)
    [problem] = caught.value.problems
    assert message in str(problem)
    assert not any(p.is_symlink() for p in tmp_path.rglob("*"))


def test_a_project_inside_one_top_folder(tmp_path):
    assert unpack(archive(tiny_project(1), "my-book/"), tmp_path) == tmp_path / "my-book"


# --- the service, against a real broker -----------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url():
    pytest.importorskip("celery")
    redis = pytest.importorskip("redis")
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def service(redis_url, tmp_path_factory):
    """Two worker processes (one pool process each) on the test's broker; the app, for submitting."""
    env = {**os.environ, "BOOKMAKER_BROKER_URL": redis_url,
           "BOOKMAKER_CACHE_DIR": str(tmp_path_factory.mktemp("worker-cache"))}
    previous = os.environ.get("BOOKMAKER_BROKER_URL")
    os.environ["BOOKMAKER_BROKER_URL"] = redis_url
    from bookmaker import service as module

    module.app.conf.broker_url = module.app.conf.result_backend = redis_url
    workers = [subprocess.Popen([sys.executable, "-c", "from bookmaker.service import start_worker; "
                                 "start_worker(1, 'WARNING')"], env=env, start_new_session=True)
               for _ in range(2)]
    deadline = time.monotonic() + 60
    while len(module.app.control.ping(timeout=0.5) or []) < 2:
        assert time.monotonic() < deadline, "the workers did not start"
        assert all(w.poll() is None for w in workers)
    yield module
    for worker in workers:
        os.killpg(worker.pid, signal.SIGTERM)  # the worker and its pool processes
    for worker in workers:
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    if previous is None:
        os.environ.pop("BOOKMAKER_BROKER_URL", None)
    else:
        os.environ["BOOKMAKER_BROKER_URL"] = previous


def journal_events(results: Path) -> list[tuple[str, str]]:
    return [tuple(line.split()[1:3]) for line in (results / "journal.log").read_text().splitlines()]


@pytest.mark.service
def test_fifty_books_all_built_once(service, tmp_path):
    results = tmp_path / "results"
    archives = [archive(tiny_project(i)) for i in range(50)]
    start = time.monotonic()
    pending = [service.build_book.delay(data, ["epub"], str(results)) for data in archives]
    reports = [result.get(timeout=120) for result in pending]
    print(f"50 books through two workers: {time.monotonic() - start:.1f} s")
    assert [r["status"] for r in reports] == ["built"] * 50
    for i, report in enumerate(reports):
        [output] = report["outputs"]
        assert output["name"] == f"small-book-{i}.epub"
        path = results / report["key"] / output["name"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == output["sha256"]
        assert json.loads((results / report["key"] / "report.json").read_text())["key"] == report["key"]
    assert sorted(journal_events(results)) == sorted(("written", r["key"]) for r in reports)
    assert not list(results.glob(".tmp-*"))
    # the same request again: found done, nothing written
    again = service.build_book.delay(archives[7], ["epub"], str(results)).get(timeout=30)
    assert again["reused"] and again["key"] == reports[7]["key"]
    assert journal_events(results)[-1] == ("found", reports[7]["key"])


@pytest.mark.service
def test_a_worker_killed_mid_task(service, tmp_path):
    import random

    chapter = bench_chapter()

    rng = random.Random(5)
    files = {"manuscript/book.yaml": "title: The Long One\nauthor: A Writer\n"}
    files.update({f"manuscript/{n:02d}.md": chapter(rng, n, 2_500) for n in range(1, 7)})
    results = tmp_path / "results"
    pending = service.build_book.delay(archive(files), ["epub", "pdf"], str(results))
    deadline = time.monotonic() + 30
    while not (attempts := list(results.glob(".tmp-*"))):
        assert time.monotonic() < deadline, "the task never started"
        time.sleep(0.02)
    victim = int(attempts[0].name.rsplit("-", 1)[1])  # the pool process running the task
    time.sleep(0.3)
    assert not (results / "journal.log").exists()  # still building
    os.kill(victim, signal.SIGKILL)
    report = pending.get(timeout=90)
    assert report["status"] == "built" and not report["reused"]
    assert [o["name"] for o in report["outputs"]] == ["the-long-one.epub", "the-long-one.pdf"]
    assert journal_events(results) == [("written", report["key"])]
    assert sorted(p.name for p in (results / report["key"]).iterdir()) == [
        "report.json", "the-long-one.epub", "the-long-one.pdf"]
    assert not list(results.glob(".tmp-*"))
