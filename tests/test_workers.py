"""Layout workers forked when a build begins (pdf/workers.py): how many, and when none; the zygote they
are forked from, and what its jobs give back."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO

PROBE = """
import sys
from bookmaker.pdf import workers
with workers.started_early({jobs}, {chapters}):
    pool = workers.running()
    print(pool.size if pool else 0, "weasyprint" in sys.modules)
print(workers.running())
"""


def started(jobs, chapters: int, before: str = "") -> str:
    code = before + PROBE.format(jobs=jobs, chapters=chapters)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=REPO).stdout.split("\n")[:2]


def test_one_a_chapter_up_to_the_jobs_and_this_process_never_imports_weasyprint():
    assert started(2, 40) == ["2 False", "None"]  # shut down when the build ends
    assert started(2, 1) == ["1 False", "None"]  # one chapter: one worker


def test_none_for_one_job_or_where_weasyprint_is_already_imported():
    assert started(1, 40) == ["0 False", "None"]
    assert started(2, 40, before="import weasyprint\n") == ["0 True", "None"]  # watch imports it first


def test_the_layout_processes_import_no_markdown():
    """What the zygote imports before it can lay out (workers.warm_up: WeasyPrint and bookmaker.pdf.parts)
    holds no Markdown: the building process forks it before rendering, and Markdown, the renderer's,
    cost the zygote 0.04 s of the 0.27 s it took to be ready."""
    code = ("import sys\nimport bookmaker.load.project\nfrom bookmaker.pdf import workers\nworkers.warm_up()\n"
            "print(sorted(m for m in ('markdown', 'bookmaker.render.book', 'bookmaker.render.markdown') "
            "if m in sys.modules))")
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert ran.stdout.strip() == "[]", ran.stdout


ZYGOTE = """
import json, os, signal, sys, time
from concurrent.futures.process import BrokenProcessPool
from bookmaker.pdf import workers

def prepare(setting):
    os.environ["PREPARED"] = setting
    with open(os.path.join(__import__("tempfile").gettempdir(), "prepared.log"), "a") as log:
        log.write(f"{setting} {os.getpid()}\\n")

def where(x):
    return [x, os.getpid(), os.getppid(), "weasyprint" in sys.modules, os.environ.get("SOURCE_DATE_EPOCH"),
            os.environ.get("PREPARED"), __import__("tempfile").gettempdir()]

def fails(x):
    raise ValueError(f"bad {x}")

def chapter(x):  # as a chapter's layout (parts.lay_out_body): the last job of its worker
    return where(x)

chapter.retires = True

def collector(x):
    import gc
    return [x, gc.isenabled(), gc.get_freeze_count() > 0]

def dies(x):
    os._exit(3)

def sleeps(x):
    open(os.path.join(__import__("tempfile").gettempdir(), f"{x}.pid"), "w").write(str(os.getpid()))
    time.sleep(30)

def outcome(future):
    try:
        return future.result(timeout=60)
    except Exception as error:
        return [type(error).__name__, str(error)]

out = {"parent": os.getpid()}
with workers.started_early(2, 40):
    zygote = workers.running()
    out["zygote"] = zygote.pid
    if "prepare" in sys.argv:
        zygote.prepare(("early", prepare, sys.argv[2], "1700000000"))
    zygote.start(("setting", prepare, sys.argv[2], "1700000000"), int(sys.argv[1]))
    specs = [spec.partition("*") for spec in sys.argv[3:] if spec not in ("kill", "prepare")]  # "where*20": 20 jobs
    jobs = {name: [zygote.submit(globals()[name], i) for i in range(int(n or 3))] for name, _, n in specs}
    if "kill" in sys.argv:
        time.sleep(2)
        os.kill(zygote.pid, signal.SIGKILL)
    started = time.monotonic()
    out.update({name: [outcome(f) for f in futures] for name, futures in jobs.items()})
    out["per worker"] = workers.JOBS_PER_WORKER
    out["waited"] = time.monotonic() - started
    out["weasyprint here"] = "weasyprint" in sys.modules
out["frozen here"] = __import__("gc").get_freeze_count()
out["after"] = workers.running() is not None
out["children"] = open(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read().split()
print(json.dumps(out))
"""


def zygote_run(workers: int, tmp_path, *jobs: str) -> dict:
    import json

    done = subprocess.run([sys.executable, "-c", ZYGOTE, str(workers), str(tmp_path), *jobs],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_workers_are_forked_from_the_zygote_with_weasyprint_and_run_in_the_builds_folder_and_clock(tmp_path):
    out = zygote_run(2, tmp_path, "where", "fails")
    pids = {row[1] for row in out["where"]}
    assert [row[0] for row in out["where"]] == [0, 1, 2]
    assert out["zygote"] not in pids and out["parent"] not in pids and 1 <= len(pids) <= 2
    for _, _, parent, weasyprint, epoch, prepared, folder in out["where"]:
        assert (parent, weasyprint, epoch, prepared, folder) == (out["zygote"], True, "1700000000", "setting",
                                                                str(tmp_path))
    assert out["fails"] == [["ValueError", f"bad {i}"] for i in range(3)]  # a job's error, handed over
    assert not out["weasyprint here"]  # the build's process never imports it
    assert out["frozen here"] > 1000  # what it held at the fork: shared with the zygote, left unwritten
    assert not out["after"] and out["children"] == []  # the zygote and its workers ended with the build


def test_each_worker_lays_out_a_few_jobs_and_is_replaced_by_a_fresh_fork(tmp_path):
    """What a layout leaves in a worker's memory goes with it: after JOBS_PER_WORKER jobs it ends, and the
    zygote forks another."""
    out = zygote_run(2, tmp_path, "where*20")
    assert [row[0] for row in out["where"]] == list(range(20))
    by_worker = collections.Counter(row[1] for row in out["where"])
    assert len(by_worker) >= -(-20 // out["per worker"]) and max(by_worker.values()) <= out["per worker"]
    assert {row[2] for row in out["where"]} == {out["zygote"]}
    assert out["children"] == []


def test_a_worker_that_lays_out_a_chapter_is_replaced_after_it_and_small_jobs_share_workers(tmp_path):
    """A chapter's layout leaves megabytes behind, a page number's almost nothing: a job that `retires`
    is the last its worker runs; the others still share a worker, JOBS_PER_WORKER at most."""
    out = zygote_run(2, tmp_path, "chapter*6", "where*8")
    assert [row[0] for row in out["chapter"]] == list(range(6))
    chapters = collections.Counter(row[1] for row in out["chapter"])
    assert len(chapters) == 6 and {row[2] for row in out["chapter"]} == {out["zygote"]}
    small = collections.Counter(row[1] for row in out["where"])
    assert not set(small) & set(chapters)  # none ran after a chapter in the same worker
    assert max(small.values()) <= out["per worker"] and len(small) < 8
    assert out["children"] == []


def test_a_worker_that_dies_fails_its_own_job_and_the_next_jobs_run(tmp_path):
    out = zygote_run(2, tmp_path, "dies", "where")
    assert {row[0] for row in out["dies"]} == {"BrokenProcessPool"}
    assert [row[0] for row in out["where"]] == [0, 1, 2]


def test_the_theme_given_ahead_is_prepared_in_the_zygote_before_the_start(tmp_path):
    """Zygote.prepare: the zygote prepares the layout (parses the theme) with the context given ahead,
    before the start's; the jobs then run under the start's."""
    out = zygote_run(1, tmp_path, "prepare", "where")
    log = [line.split() for line in (tmp_path / "prepared.log").read_text().splitlines()]
    assert log[0] == ["early", str(out["zygote"])] and log[1] == ["setting", str(out["zygote"])]
    assert {row[5] for row in out["where"]} == {"setting"} and out["children"] == []
    other = tmp_path / "other"
    other.mkdir()
    unprepared = zygote_run(1, other, "where")  # without it, the start's context comes first
    assert (other / "prepared.log").read_text().split()[0] == "setting"
    assert [row[0] for row in unprepared["where"]] == [0, 1, 2]


def test_jobs_run_with_the_collector_on_and_what_the_zygote_held_frozen(tmp_path):
    """The zygote collects no garbage until its workers are forked (importing WeasyPrint ran 10 collections
    there, 33 ms of an edit's critical path), then freezes what they inherit without collecting: every job,
    in a worker or in the zygote itself, runs with the collector on and that heap frozen."""
    for workers in (2, 1):
        (tmp_path / str(workers)).mkdir()
        out = zygote_run(workers, tmp_path / str(workers), "collector")
        assert out["collector"] == [[i, True, True] for i in range(3)], workers


def test_one_job_at_a_time_runs_in_the_zygote_itself(tmp_path):
    out = zygote_run(1, tmp_path, "where")
    assert {row[1] for row in out["where"]} == {out["zygote"]}
    assert out["children"] == []


def test_a_worker_or_the_zygote_that_dies_fails_its_jobs_instead_of_hanging_the_build(tmp_path):
    out = zygote_run(2, tmp_path, "dies")
    assert {row[0] for row in out["dies"]} == {"BrokenProcessPool"}
    assert out["children"] == []
    out = zygote_run(2, tmp_path, "sleeps", "kill")  # the zygote killed while its workers sleep
    assert {row[0] for row in out["sleeps"]} == {"BrokenProcessPool"} and out["waited"] < 20
    assert out["children"] == []
    import time

    pids = [int(path.read_text()) for path in tmp_path.glob("*.pid")]
    assert pids

    def alive(pid: int) -> bool:  # a zombie left to an init that does not reap it is dead
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    for _ in range(50):  # the workers die with the zygote (die_with_parent)
        if not any(alive(pid) for pid in pids):
            break
        time.sleep(0.1)
    assert not any(alive(pid) for pid in pids)


def test_needed_only_where_pages_are_laid_out_in_workers():
    from bookmaker.model import PdfSettings
    from bookmaker.pdf.workers import needed

    def book(printer=None, problems=()):
        return type("B", (), {"metadata": type("M", (), {"pdf": PdfSettings(printer=printer)}), "problems": problems})

    assert needed(book(), ("epub", "pdf"), 2) and needed(book(), ("cover",), 2)
    assert not needed(book(), ("epub", "kepub"), 2)
    assert not needed(book(), ("pdf",), 0) and not needed(book(), ("pdf",), 1)  # one document, one job
    assert not needed(book(), ("pdf",), 2, variant="pdf/a-3b")
    assert not needed(book("ingramspark"), ("pdf",), 2)  # its PDF/X-1a is laid out as one document
    assert needed(book("ingramspark"), ("pdf", "cover"), 2) and needed(book("kdp"), ("pdf",), 2)
    assert not needed(book(), ("pdf",), 2, printer="ingramspark")


def test_none_for_a_book_loaded_with_errors():
    """A bad book.yaml is reported once rendered, and nothing is laid out: no worker imports WeasyPrint
    for it. A warning alone still builds."""
    from bookmaker.errors import Problem
    from bookmaker.model import PdfSettings
    from bookmaker.pdf.workers import needed

    def book(*problems):
        return type("B", (), {"metadata": type("M", (), {"pdf": PdfSettings()}), "problems": problems})

    assert not needed(book(Problem("book.yaml", 3, "unknown key 'titel'")), ("pdf",), 2)
    assert needed(book(Problem("01.md", 1, "chapter has no text", severity="warning")), ("pdf",), 2)


LIBRARIES = """
import subprocess, sys
calls = []
real_popen = subprocess.Popen.__init__
def counted(self, args, *rest, **kw):
    calls.append(args)
    real_popen(self, args, *rest, **kw)
subprocess.Popen.__init__ = counted
import hashlib
from bookmaker.pdf import weasy_internals
if sys.argv[1] == "other declarations":
    real = weasy_internals.declarations
    weasy_internals.declarations = lambda: real() + "\\n"
if sys.argv[1] != "own":
    weasy_internals.import_weasyprint()
else:
    import weasyprint
from weasyprint import HTML
from weasyprint.text import ffi
opened = sorted({line.split()[-1] for line in open("/proc/self/maps")
                 if any(name in line for name in ("pango", "harfbuzz", "gobject", "fontconfig"))})
pdf = HTML(string="<p lang=en style='hyphens: auto; width: 6em'>Unimaginably <em>extraordinary</em> \u2014 "
                  "\u201cquoted\u201d</p>").write_pdf()
print(len(calls), type(ffi.ffi).__name__, hashlib.sha256(pdf).hexdigest(), ffi.harfbuzz_subset is None,
      ffi.harfbuzz_vector is None, opened)
"""


def test_weasyprint_is_imported_with_the_libraries_its_own_import_opens_without_looking_for_them(tmp_path):
    """import_weasyprint skips ctypes.util.find_library's ldconfig, gcc and ld (0.19 s a process), and
    cffi's parsing of WeasyPrint's C declarations: the same libraries opened, the same PDF made. Where
    WeasyPrint's declarations are not those precompiled, WeasyPrint's own FFI is used."""
    def imported(how: str) -> list[str]:
        out = subprocess.run([sys.executable, "-c", LIBRARIES, how], capture_output=True, text=True, check=True,
                             cwd=REPO, env={**os.environ, "BOOKMAKER_CACHE_DIR": str(tmp_path)}).stdout
        return out.split(" ", 2)

    own_calls, own_ffi, own = imported("own")
    assert own_ffi == "FFI" and int(own_calls) > 0 and "libpango-1.0" in own
    for _ in range(2):  # precompiled, then read from the cache
        assert imported("fast") == ["0", "Precompiled", own]
    (entry,) = (tmp_path / "ffi").glob("*.py")
    whole = entry.read_bytes()
    entry.write_bytes(whole[:300])  # cut short (a full disk): made again
    assert imported("fast") == ["0", "Precompiled", own] and entry.read_bytes() == whole
    assert imported("other declarations") == ["0", "FFI", own]


PAGE_STYLES = """
import hashlib, sys
from bookmaker.pdf import weasy_internals
if sys.argv[1] == "shared":
    weasy_internals.import_weasyprint()
else:
    import weasyprint
import weasyprint.layout.page as page_module
from weasyprint import CSS, HTML
computed = []
real = page_module.set_page_type_computed_styles
def counted(page_type, html, style_for):
    real(page_type, html, style_for)
    computed.append(id(style_for._computed_styles[page_type, None]))
page_module.set_page_type_computed_styles = counted
css = CSS(string='''
@page { size: 4in 5in; margin: 0.6in; @bottom-center { content: counter(page) } }
@page :left { @top-left { content: string(title) } }
@page :right { @top-right { content: "Right " counter(page) } }
@page :first { @bottom-center { content: none } }
@page :blank { @top-left { content: none } @top-right { content: none } }
@page :nth(3n+2) { margin-bottom: 0.8in }
@page aside { size: 4in 6in; @top-center { content: "Aside" } }
@page :nth(2 of aside) { background: #eee }
h1 { string-set: title content(); break-before: right }
section.aside { page: aside }
''')
chapters = "".join(f"<h1>Chapter {n}</h1>" + "<p>Words on a page, and more of them.</p>" * 40
                   + (f"<section class=aside><p>An aside.</p>{'<p>Aside text.</p>' * 30}</section>" if n % 2 else "")
                   for n in range(1, 5))
document = HTML(string=f"<html lang=en><body>{chapters}</body></html>").render(stylesheets=[css])
print(len(document.pages), len(computed), len(set(computed)), hashlib.sha256(document.write_pdf()).hexdigest())
"""


def test_pages_of_the_same_rules_share_their_styles_and_the_pdf_is_the_same():
    """share_page_styles gives a page the styles of an earlier one whose type matches the same @page
    selectors: fewer styles computed, the same PDF, with first, left, right, blank, nth, named and
    nth-of-name pages."""
    def laid_out(how: str) -> list[str]:
        return subprocess.run([sys.executable, "-c", PAGE_STYLES, how], capture_output=True, text=True, check=True,
                              cwd=REPO).stdout.split()

    pages, made, own_styles, own_pdf = laid_out("own")
    assert int(pages) > 20 and int(made) >= int(pages) and int(own_styles) == int(made)  # WeasyPrint: one each
    pages_shared, made_shared, shared_styles, shared_pdf = laid_out("shared")
    assert (pages_shared, made_shared) == (pages, made)
    assert 6 <= int(shared_styles) < int(pages) // 2
    assert shared_pdf == own_pdf


def test_the_longer_half_is_handed_out_longest_first_then_the_shorter_half_in_the_books_order():
    """parts.body_order: the longest chapters first, so that no worker waits long for the other's last
    one; then the shorter half in the book's order, so that the page numbers of each chapter (which
    wait for every chapter before it) follow the bodies instead of all coming after the last. Chapters
    already laid out (no length) are not handed out."""
    from bookmaker.pdf.parts import body_order

    lengths = [50, 90, None, 30, 70, 40, 80, 95]
    order = body_order(lengths)
    assert order == [7, 1, 6, 0, 3, 4, 5] and 2 not in order
    assert body_order([10, 20, 30, 40, 900]) == [4, 3, 0, 1, 2]  # a long last chapter goes first
    assert body_order([5, None]) == [0] and body_order([5, 6]) == [1, 0] and body_order([]) == []


FONT_TOOLS = """
import sys
from bookmaker.pdf import weasy_internals
weasy_internals.import_weasyprint()
heavy = [m for m in ("fontTools.ttLib.tables.otTables", "fontTools.varLib") if m in sys.modules]
import weasyprint.pdf.fonts as pdf_fonts
from fontTools import subset
from fontTools.ttLib import TTFont
from bookmaker.pdf.layout import font_files
path = font_files()["bookmaker:fonts/Spectral-Regular.ttf"]
font = TTFont(path)
subsetter = subset.Subsetter(subset.Options())
subsetter.populate(text="Ab")
subsetter.subset(font)
try:
    pdf_fonts.instantiateVariableFont(TTFont(path), {"wght": 400})
    raised = None
except Exception as error:
    raised = type(error).__name__
real = sys.modules["fontTools.varLib.instancer"]
print(heavy, len(font.getGlyphOrder()) < 10, raised, hasattr(real, "__file__"), pdf_fonts.subset is sys.modules["fontTools.subset"])
"""


def test_fonttools_parts_weasyprint_seldom_uses_are_loaded_when_used():
    """import_weasyprint leaves fontTools' subsetter and variable-font instancer (and most of fontTools
    with them, 0.09 s) unloaded until used: the subsetter subsets, and WeasyPrint's instantiateVariableFont
    reaches fontTools' own (here refusing a font that is not variable)."""
    out = subprocess.run([sys.executable, "-c", FONT_TOOLS], capture_output=True, text=True, check=True,
                         cwd=REPO).stdout.split()
    assert out == ["[]", "True", out[2], "True", "True"] and out[2] not in ("None", "RecursionError")


def test_a_languages_hyphenation_patterns_are_parsed_once_and_read_back_alike(tmp_path, monkeypatch):
    """pyphen_internals.preload: a language's patterns kept in the cache and read back as Pyphen parses
    them (German's 105,000 patterns took 0.7 s to parse, in every layout worker of a one-shot build), the
    alternative spellings of Hungarian's included; an entry not whole is made again; a language Pyphen has
    no dictionary for is left alone. The theme's parse loads the book's language (layout.parsed_theme)."""
    import pyphen

    from bookmaker.pdf import layout, pyphen_internals

    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(pyphen, "hdcache", {})
    words = ("hyphenation", "extraordinarily", "egészségügyi", "asszonnyal", "leggyorsabban", "tollal")

    def parsed_alike(language: str) -> None:
        path = pyphen.LANGUAGES[pyphen.language_fallback(language)]
        kept = pyphen.hdcache[path]
        own = pyphen.HyphDict(path)
        assert list(kept.patterns) == list(own.patterns) and kept.maxlen == own.maxlen
        for tag, (start, values) in own.patterns.items():
            kept_start, kept_values = kept.patterns[tag]
            assert (kept_start, kept_values) == (start, values)
            assert [(type(v), getattr(v, "data", None)) for v in kept_values] == \
                [(type(v), getattr(v, "data", None)) for v in values]
        hyphenated = [pyphen.Pyphen(lang=language).inserted(word) for word in words]
        pyphen.hdcache[path] = own
        assert hyphenated == [pyphen.Pyphen(lang=language).inserted(word) for word in words]

    for language in ("en-US", "hu"):
        pyphen_internals.preload(language)  # parsed, and kept
        pyphen.hdcache.clear()
        pyphen_internals.preload(language)  # read back
        parsed_alike(language)
    english, _hungarian = sorted((tmp_path / "hyphenation").glob("*/*.txt"), key=lambda entry: entry.stat().st_size)
    whole = english.read_bytes()
    for cut in (whole[:len(whole) // 2], whole[:whole.rindex(b"\n")]):  # cut short, even between two lines
        english.write_bytes(cut)
        pyphen.hdcache.clear()
        pyphen_internals.preload("en-US")  # parsed and kept again
        assert english.read_bytes() == whole
    for language in ("xx", ""):
        pyphen_internals.preload(language)
    assert list(pyphen.hdcache) == [pyphen.LANGUAGES["en_US"]]

    pyphen.hdcache.clear()
    setup = layout.LayoutSetup(("p { hyphens: auto }",), "bookmaker:///", (), "styles/print.css", language="fr")
    layout.parsed_theme(setup, "")
    assert list(pyphen.hdcache) == [pyphen.LANGUAGES["fr"]]
    layout.forget_parsed_themes()
