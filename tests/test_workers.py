"""Layout workers forked when a build begins (pdf/workers.py): how many, and when none."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO

PROBE = """
import sys
from bookmaker.pdf import workers
with workers.started_early({jobs}, {chapters}):
    pool = workers.running()
    print(pool._max_workers if pool else 0, "weasyprint" in sys.modules)
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
pdf = HTML(string="<p lang=en style='hyphens: auto; width: 4em'>Unimaginably <em>extraordinary</em> \u2014 "
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
