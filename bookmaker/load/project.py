"""A project folder → one Book: metadata, chapters in order, front matter, titles."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

from bookmaker import codes
from bookmaker.load import metadata as meta
from bookmaker.load.assets import nearest_name, path_problem, resolve_image
from bookmaker.load.limits import CHAPTERS, Limits, scan_text
from bookmaker.errors import BookmakerError, Problem, Problems
from bookmaker.infra import memo
from bookmaker.model import MIN_COVER_PIXELS, Book, Chapter, Metadata, shown_path
from bookmaker.load.yamlfile import NOT_ALLOWED, parse_yaml

MB = 1024 * 1024
DEFAULT_CHAPTER_MB = 20
CHAPTER_LIMIT_NOTE = "for one chapter (set BOOKMAKER_MAX_CHAPTER_MB to raise it)"
BOOK_YAML_LIMIT = 1 * MB
BOOK_YAML_LIMIT_NOTE = "for book.yaml, which holds the book's details: long texts belong in chapters"
STYLE_LIMIT, STYLE_LIMIT_NOTE = 5 * MB, "for a stylesheet"
STYLESHEETS = ("epub.css", "print.css")
FENCE_RE = re.compile(r"^---[ \t]*$")
FENCE_END_RE = re.compile(r"^(---|\.\.\.)[ \t]*$")
# Headings of any level as Python-Markdown reads them: '#'s with or without a space, or a line underlined
# with '=' or '-'; an attribute list at the end ('{: #id }') and closing hashes are not part of the title.
ATX_TITLE_RE = re.compile(r"^#{1,6}(?!#)[ \t]*(?P<title>.*?)[ \t]*#*[ \t]*$")
SETEXT_RULE_RE = re.compile(r"^(=+|-+)[ \t]*$")
LIST_OR_QUOTE_RE = re.compile(r"^\s*([-*+>]|\d+[.)])(\s|$)")
ATTR_LIST_RE = re.compile(r"[ \t]+\{:?[^}\n]*\}[ \t]*$")


def natural_key(name: str) -> list:
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", name)]


def chapter_limit(problems: Problems) -> float:
    """BOOKMAKER_MAX_CHAPTER_MB in bytes, read when a book is loaded (a bad value is the author's to fix)."""
    raw = os.environ.get("BOOKMAKER_MAX_CHAPTER_MB", "")
    if not raw.strip():
        return DEFAULT_CHAPTER_MB * MB
    try:
        megabytes = float(raw)
    except ValueError:
        megabytes = math.nan
    if not (math.isfinite(megabytes) and megabytes > 0):
        problems.error("BOOKMAKER_MAX_CHAPTER_MB", 1, f"must be a number of megabytes above 0, such as 20 or 0.5, "
                       f"not '{raw}'", codes.WRONG_TYPE)
        return DEFAULT_CHAPTER_MB * MB
    return megabytes * MB


def inside(path: Path, real_root: Path) -> bool:
    """Whether `path`, symbolic links followed, stays in the project: nothing else goes into a book."""
    try:
        return path.resolve().is_relative_to(real_root)
    except (OSError, RuntimeError, ValueError):
        return False


def read_text(path: Path, shown: str, problems: Problems, limit: float | None = None,
              limit_note: str = CHAPTER_LIMIT_NOTE) -> str | None:
    """UTF-8 text with any BOM removed and line endings normalised, or None with a problem."""
    try:
        if path.exists() and not path.is_file() and not path.is_dir():
            problems.error(shown, 1, f"not a regular file (a pipe or device?); {path.name} must be a text file",
                           codes.WRONG_TYPE)
            return None  # reading a named pipe would wait forever
        size = path.stat().st_size
        if limit is not None and size > limit:
            shown_size = (f"{size / MB:.1f} MB" if size >= MB / 10 else f"{size / 1024:.1f} KB" if size >= 1024
                          else f"{size} bytes")
            problems.error(shown, 1, f"file is {shown_size}, over the {limit / MB:g} MB limit {limit_note}", codes.TOO_LARGE)
            return None
        data = path.read_bytes()
    except FileNotFoundError:
        problems.error(shown, 1, "file not found", codes.UNREADABLE)
        return None
    except IsADirectoryError:
        problems.error(shown, 1, "is a folder, not a file", codes.UNREADABLE)
        return None
    except PermissionError:
        problems.error(shown, 1, "permission denied: cannot read this file", codes.UNREADABLE)
        return None
    except OSError as exc:
        problems.error(shown, 1, f"cannot read: {exc.strerror or exc}", codes.UNREADABLE)
        return None
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0  # the decoder's offsets count from after it
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        start = bom + exc.start
        line = data[:start].count(b"\n") + 1
        problems.error(shown, line, f"not valid UTF-8 (byte 0x{data[start]:02x}); save the file as UTF-8", codes.NOT_TEXT)
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        problems.error(shown, text[: text.index("\x00")].count("\n") + 1, "contains a NUL byte; is this a text file?", codes.NOT_TEXT)
        return None
    return text


def load_book(project: str | os.PathLike = ".", keep_going: bool = False) -> Book:
    """Load and validate a project; raises BookmakerError listing every problem found.

    With `keep_going`, problems that leave a book to render (an unknown key, a bad date, a missing
    chapter or cover) do not raise: they travel on `Book.problems`, and render_book reports them with
    its own, so one run names every problem. Without a readable book.yaml nothing can go on."""
    display_root = find_project(os.fspath(project))
    root = Path(display_root).absolute()
    problems = Problems()
    manuscript = root / "manuscript"
    shown_manuscript = os.path.normpath(os.path.join(display_root, "manuscript"))
    yaml_path = manuscript / "book.yaml"
    shown_yaml = os.path.join(shown_manuscript, "book.yaml")
    if not root.is_dir():
        raise BookmakerError([Problem(display_root, 1, "project folder not found", code=codes.UNREADABLE)])
    if not manuscript.is_dir():
        raise BookmakerError([Problem(shown_manuscript, 1, "no manuscript/ folder in the project", code=codes.BAD_PROJECT)])
    real_root = root.resolve()
    if not inside(manuscript, real_root):
        raise BookmakerError([Problem(shown_manuscript, 1, "the manuscript folder is outside the project folder "
                                      "(a symbolic link to a folder elsewhere)", code=codes.OUTSIDE_PROJECT)])
    if not yaml_path.exists():
        raise BookmakerError([Problem(shown_yaml, 1, "book.yaml not found: every book needs one", code=codes.UNREADABLE)])
    if not inside(yaml_path, real_root):
        raise BookmakerError([Problem(shown_yaml, 1, "book.yaml is outside the project folder "
                                      "(a symbolic link to a file elsewhere)", code=codes.OUTSIDE_PROJECT)])
    limit = chapter_limit(problems)
    text = read_text(yaml_path, shown_yaml, problems, BOOK_YAML_LIMIT, BOOK_YAML_LIMIT_NOTE)
    problems.check()
    doc = parse_yaml(text, shown_yaml)
    problems.extend(doc.problems)
    if not isinstance(doc.data, dict):
        what = "empty" if doc.data is None else f"{meta.type_name(doc.data)}, not a mapping of keys"
        raise BookmakerError([Problem(shown_yaml, 1, f"book.yaml is {what}; it needs at least title and author", code=codes.MISSING_KEY)])
    data = doc.data
    meta.check_keys(data, meta.BOOK_KEYS, doc, shown_yaml, problems)
    r = meta.Reader(data, doc, shown_yaml, problems)
    title = r.text("title", required=True)
    authors = meta.read_authors(r)
    language = r.text("language") or "en"
    if not meta.LANGUAGE_RE.match(language):
        r.fail("language", f"must be a language tag such as en, en-GB or pt-BR, not '{language}'", codes.WRONG_TYPE)
        language = "en"
    markdown_fields = {key: r.text(key) for key in ("summary", "notes", "end_notes", "dedication")}
    source = r.text("source")
    if source and not meta.URL_RE.match(source):
        r.fail("source", f"must be a web address starting with http:// or https://, not '{source}'", codes.WRONG_TYPE)
        source = None
    cover = None
    cover_ref = r.text("cover")
    auto_cover = cover_ref is not None and cover_ref.lower() == "auto"
    if cover_ref and not auto_cover and not NOT_ALLOWED.search(str(data.get("cover"))):  # such characters: reported with the YAML's
        cover = resolve_image(root, manuscript, cover_ref, shown_yaml, r.line("cover"), problems, display_root)
        least = MIN_COVER_PIXELS
        if cover is not None and cover.width and (cover.width < least[0] or cover.height < least[1]):
            problems.error(shown_yaml, r.line("cover"), f"cover is {cover.width}x{cover.height} pixels: stores need "
                           f"at least {least[0]}x{least[1]} (1600x2560 is ideal)", "cover-too-small")
            cover = None
    metadata = Metadata(
        title=title or "",
        subtitle=r.text("subtitle"),
        authors=authors,
        translators=meta.read_translators(r),
        language=language,
        tags=meta.read_tags(r),
        series=meta.read_series(r),
        identifier=meta.read_identifier(r, title or "", authors),
        date=r.date("date"),
        updated=r.date("updated"),
        complete=r.boolean("complete", True),
        source=source,
        publisher=r.text("publisher"),
        rights=r.text("rights"),
        cover=cover,
        chapter_label=r.boolean("chapter_label", True),
        pdf=meta.read_pdf(r),
        formats=meta.read_formats(r),
        auto_cover=auto_cover,
        author_sort=meta.read_sort_names(r, authors),
        title_sort=r.text("title_sort"),
        certified_by=meta.read_certifier(r),
        back_cover=r.text("back_cover"),
        **markdown_fields,
    )
    limits = Limits.from_env(problems)
    files = chapter_files(root, manuscript, data.get("chapters"), doc, shown_yaml, display_root, problems)
    if len(files) > limits.chapters:  # before any is read: each costs a file, a page and a layout
        problems.error(shown_manuscript, 1, f"{len(files):,} chapters, over the limit of {limits.chapters:,} for one "
                       f"book: join short chapters, or split the book ({CHAPTERS.env} raises the limit)",
                       codes.TOO_LARGE)
        problems.check()
    chapters = []
    for number, (path, shown) in enumerate(files, start=1):
        chapter = load_chapter(path, shown, number, problems, limit, limits)
        if chapter is not None:
            chapters.append(chapter)
    styles = read_styles(root, display_root, problems)
    if not keep_going:
        problems.check()
    sources = (yaml_path, *(c.source for c in chapters))
    return Book(root, display_root, metadata, tuple(chapters), sources, problems=tuple(problems.items),
                styles=styles)


def find_project(given: str) -> str:
    """The project folder an author meant, as they would write it: `given` itself when it holds
    manuscript/; the project of a book.yaml or manuscript/ named directly; else the nearest folder
    above holding manuscript/book.yaml, as git finds its repository from any folder inside it. A path
    no file system takes (a name over 255 bytes, a NUL) is a problem: Path.is_dir() raised OSError
    "File name too long" into a traceback."""
    problem = path_problem(given)
    if problem is not None:
        raise BookmakerError([Problem(given, 1, f"the project folder's path {problem}", code=codes.UNREADABLE)])
    try:
        return nearest_project(given)
    except OSError as exc:  # a path too long as a whole (4096 bytes), a loop of links
        raise BookmakerError([Problem(given, 1, f"project folder cannot be read: {exc.strerror or exc}",
                                      code=codes.UNREADABLE)]) from None


def nearest_project(given: str) -> str:
    path = Path(given)
    if path.name == "book.yaml" and path.absolute().parent.name == "manuscript" and path.is_file():
        return os.path.normpath(os.path.join(given, "..", ".."))
    if not path.is_dir() or (path / "manuscript").is_dir():
        return given
    here = path.absolute()
    for up, folder in enumerate((here, *here.parents)):
        if (folder / "manuscript" / "book.yaml").is_file():
            if given in (".", "") or not os.path.isabs(given):
                return os.path.normpath(os.path.join(given, *[".."] * up))
            return str(folder)
    return given


def read_styles(root: Path, display_root: str, problems: Problems) -> tuple[tuple[str, str], ...]:
    """The project's own stylesheets, read once with the book, so the writers use what was checked."""
    out = []
    for name in STYLESHEETS:
        path = root / "styles" / name
        if not os.path.lexists(path):
            continue
        shown = shown_path(root, display_root, path)
        if not inside(path, root.resolve()):
            problems.error(shown, 1, f"styles/{name} is outside the project folder (a symbolic link to a file "
                           "elsewhere)", codes.OUTSIDE_PROJECT)
            continue
        text = read_text(path, shown, problems, STYLE_LIMIT, STYLE_LIMIT_NOTE)
        if text is not None:
            out.append((name, text))
    return tuple(out)


TEXT_SUFFIXES = (".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn", ".mdtxt", ".txt", ".text")


def chapter_files(root: Path, manuscript: Path, listed, doc, shown_yaml: str, display_root: str,
                  problems: Problems) -> list[tuple[Path, str]]:
    shown = lambda p: shown_path(root, display_root, p)  # noqa: E731
    real_root = root.resolve()
    if listed is None:
        # Hidden files are never chapters: editors' drafts (.draft.md), macOS resource forks (._x.md) and
        # Emacs lock links (.#x.md) sit next to the real ones. '02.MD' is a chapter too.
        found = sorted((p for p in manuscript.glob("*.[mM][dD]") if not p.name.startswith(".") and not p.is_dir()),
                       key=lambda p: natural_key(p.name))
        if not found:
            problems.error(shown_yaml, 1, "no chapters: add *.md files to manuscript/ or list them under 'chapters'", codes.BAD_CHAPTER)
        for p in sorted(manuscript.iterdir(), key=lambda p: natural_key(p.name)):
            # A chapter saved as .txt or .markdown was no chapter, silently: the book shrank by one and the
            # chapters after it were numbered one less.
            if p.suffix.lower() in TEXT_SUFFIXES and not p.name.startswith(".") and p.is_file():
                problems.warn(shown(p), 1, f"'{p.name}' is in manuscript/ but is not a chapter: chapter files end in "
                              f".md; rename it {p.stem}.md (or move it out of manuscript/ if it is not a chapter)",
                              codes.CHAPTER_LEFT_OUT)
        outside = [p for p in found if not inside(p, real_root)]
        for p in outside:
            problems.error(shown(p), 1, f"chapter '{p.name}' is outside the project folder (a symbolic link to a "
                           "file elsewhere)", codes.OUTSIDE_PROJECT)
        return [(p, shown(p)) for p in found if p not in outside]
    if not isinstance(listed, list) or not listed:
        problems.error(shown_yaml, doc.line("chapters"), "'chapters' must be a list of file names in manuscript/", codes.WRONG_TYPE)
        return []
    out, seen = [], {}
    for i, name in enumerate(listed):
        line = doc.line("chapters", i)
        if isinstance(name, str) and NOT_ALLOWED.search(name):
            continue  # already reported with book.yaml's characters
        name = meta.as_text(doc, name, ("chapters", i))
        if name is None or not name.strip():
            problems.error(shown_yaml, line, "each entry of 'chapters' must be a file name", codes.WRONG_TYPE)
            continue
        name = name.strip()
        why = path_problem(name)
        if why:
            problems.error(shown_yaml, line, f"chapter '{name}' {why}", codes.BAD_CHAPTER)
            continue
        if os.path.isabs(name) or os.path.normpath(name).split(os.sep)[0] == "..":
            problems.error(shown_yaml, line, f"chapter '{name}' is outside the manuscript folder", codes.BAD_CHAPTER)
            continue
        if not name.lower().endswith(".md"):
            problems.error(shown_yaml, line, f"chapter '{name}' is not a Markdown file: chapter files end in .md", codes.BAD_CHAPTER)
            continue
        path = manuscript / name
        if not inside(path, real_root):
            problems.error(shown_yaml, line, f"chapter '{name}' is outside the project folder (a symbolic link to "
                           "a file elsewhere)", codes.OUTSIDE_PROJECT)
            continue
        key = path.resolve()
        if key in seen:
            problems.error(shown_yaml, line, f"chapter '{name}' is listed twice (first on line {seen[key]})", codes.BAD_CHAPTER)
            continue
        seen[key] = line
        if not path.exists() or path.is_dir():
            problems.error(shown_yaml, line, f"chapter file '{name}' not found in manuscript/{nearest_name(path)}",
                           codes.BAD_CHAPTER)
            continue
        out.append((path, shown(path)))
    warn_left_out(manuscript, {p.resolve() for p, _ in out} | set(seen), shown, shown_yaml, doc, problems)
    return out


def warn_left_out(manuscript: Path, listed: set[Path], shown, shown_yaml: str, doc, problems: Problems) -> None:
    """A chapter file the list forgets is a chapter missing from the published book: say so, never silently."""
    for path in sorted(manuscript.glob("*.[mM][dD]"), key=lambda p: natural_key(p.name)):
        if path.name.startswith(".") or path.is_dir() or path.resolve() in listed:
            continue
        problems.warn(shown_yaml, doc.line("chapters"), f"'{path.name}' is in manuscript/ but not in the 'chapters' "
                      "list, so it is left out of the book: add it to the list (or move it out of manuscript/ "
                      "if it is not a chapter)", codes.CHAPTER_LEFT_OUT)


def load_chapter(path: Path, shown: str, number: int, problems: Problems,
                 limit: float = DEFAULT_CHAPTER_MB * MB, limits: Limits = Limits()) -> Chapter | None:
    text = read_text(path, shown, problems, limit)
    if text is None:
        return None
    # In `watch`, a chapter file unchanged since the last build is not scanned and parsed again (memo.py).
    chapter, found = memo.kept(("chapter", path, shown, number, limits, text),
                               lambda: chapter_and_problems(text, path, shown, number, limits))
    problems.extend(found)
    return chapter


def chapter_and_problems(text: str, path: Path, shown: str, number: int,
                         limits: Limits) -> tuple[Chapter | None, tuple[Problem, ...]]:
    problems = Problems()
    return chapter_from_text(text, path, shown, number, problems, limits), tuple(problems.items)


def chapter_from_text(text: str, path: Path, shown: str, number: int, problems: Problems,
                      limits: Limits) -> Chapter | None:
    if not scan_text(text, shown, problems, limits):
        return None
    lines = text.split("\n")
    fields: dict = {}
    body_start = 0
    end = None
    # Front matter starts with its keys on the next line; '---' and then a blank line is a scene break.
    if lines and FENCE_RE.match(lines[0]) and len(lines) > 1 and lines[1].strip():
        end = next((i for i in range(1, len(lines)) if FENCE_END_RE.match(lines[i])), None)
        if end is None:
            problems.error(shown, 1, "front matter is not closed: add a line with --- after it", codes.BAD_FRONT_MATTER)
            return None
    if end is not None:
        try:
            doc = parse_yaml("\n".join(lines[1:end]), shown, first_line=2)
        except BookmakerError as exc:
            problems.extend(exc.problems)
            return None
        problems.extend(doc.problems)
        if doc.data is not None and not isinstance(doc.data, dict):
            problems.error(shown, 2, f"front matter must be a mapping of keys, not {meta.type_name(doc.data)}", codes.WRONG_TYPE)
            return None
        fields = doc.data or {}
        meta.check_keys(fields, meta.CHAPTER_KEYS, doc, shown, problems, what="front matter key")
        r = meta.Reader(fields, doc, shown, problems)
        fields = {key: r.text(key) for key in meta.CHAPTER_KEYS}
        body_start = end + 1
    title, title_source = fields.get("title"), None
    # A leading heading of any level names the chapter when the front matter does not, and is not
    # repeated; render/ moves the headings below it up under the chapter's own.
    first = next((i for i in range(body_start, len(lines)) if lines[i].strip()), None)
    if first is not None and title is None:
        heading = leading_heading(lines, first)
        if heading is not None:
            title, title_source, length = heading
            body_start = first + length
    body = "\n".join(lines[body_start:])
    return Chapter(
        number=number, source=path, display_path=shown, title=title, body=body, body_line=body_start + 1,
        title_source=title_source,
        summary=fields.get("summary"), notes=fields.get("notes"), end_notes=fields.get("end_notes"),
    )


def leading_heading(lines: list[str], first: int) -> tuple[str, str, int] | None:
    """(title text, its Markdown, lines it takes) if the text opens with a heading of any level (the
    way pandoc and many exports open a chapter with '## Title')."""
    line = lines[first]
    if line.startswith("#"):
        match = ATX_TITLE_RE.match(ATTR_LIST_RE.sub("", line))
        if match is None or not match.group("title").strip():
            return None  # '#' alone is a scene break
        return match.group("title").strip(), line, 1
    if (first + 1 < len(lines) and SETEXT_RULE_RE.match(lines[first + 1]) and not line.startswith(("    ", "\t"))
            and ATTR_LIST_RE.sub("", line).strip() and not LIST_OR_QUOTE_RE.match(line) and not line.lstrip().startswith("<")):
        return ATTR_LIST_RE.sub("", line).strip(), line + "\n" + lines[first + 1], 2
    return None
