"""An edit rebuilt from the caches, in one process as `watch` does or in a fresh one as `build` does,
gives the same bytes as the edited book built cold: nothing kept from the build before the edit
(layout parts, merged fonts, parsed parts, page words) leaks into the output."""

from __future__ import annotations

import ast
import hashlib
import os
import shutil

import pytest

from conftest import REPO, run_cli

PARAGRAPH = ("The harbour was quiet that night, and she walked the length of it twice before she let herself "
             "think about the letter, or the man who had written it, or what he wanted. ")
EDITS = {
    "sentence": "\nShe read the letter again, and this time she smiled.\n",
    # Several pages: every later chapter moves, and its page numbers are stamped again.
    "pages": "\n\n" + "\n\n".join([PARAGRAPH * 3] * 12) + "\n",
}


def digests(project) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((project / "dist").iterdir())}


def edit(project, text: str) -> None:
    chapter = sorted((project / "manuscript").glob("*.md"))[1]
    with chapter.open("a", encoding="utf-8") as handle:
        handle.write(text)


def cold(tmp_path, edited) -> dict[str, str]:
    """The edited sources built in another folder with an empty cache."""
    fresh = tmp_path / "cold"
    shutil.copytree(edited / "manuscript", fresh / "manuscript")
    result = run_cli("build", fresh, "-q", env={"BOOKMAKER_CACHE_DIR": str(tmp_path / "cold-cache")})
    assert result.returncode == 0, result.stderr
    return digests(fresh)


@pytest.mark.parametrize("size", sorted(EDITS))
def test_an_edit_rebuilt_in_watch_is_byte_identical_to_a_cold_build(tmp_path, monkeypatch, size):
    from bookmaker.commands.build import build
    from bookmaker.infra import memo
    from bookmaker.load import project as loading
    from bookmaker.pdf import html, layout
    from bookmaker.pdf.workers import import_here
    from bookmaker.pdf.writer import layout_session

    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(tmp_path / "cache"))
    project = tmp_path / "p"
    shutil.copytree(REPO / "manuscript", project / "manuscript")
    made: list[str] = []
    for module, name in ((loading, "chapter_from_text"), (html, "page_div")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, real=real, name=name, **k: made.append(name) or real(*a, **k))
    import_here()  # as commands/watch.py does, before its first build, and its sessions
    with memo.session(), layout_session():
        build(str(project))
        themes = dict(layout._parsed)
        assert themes  # parsed here, before the workers were forked: they inherit it
        assert layout._warmed  # and a sample laid out here: what a first layout loads, they inherit too
        chapters = made.count("chapter_from_text")
        edit(project, EDITS[size])
        said: list[str] = []
        made.clear()
        _, outcomes = build(str(project), progress=said.append)  # all kept from the first build reused
        assert all(layout._parsed.get(key) is theme for key, theme in themes.items())  # never parsed again
        # Only the chapter edited was read again (infra/memo.py); and only its printed page was made
        # again, with the pages whose text counts the book (the contents, the summary's word count).
        assert chapters > 2 and made.count("chapter_from_text") == 1, made
        assert 1 <= made.count("page_div") < chapters, made
    # The session's folder is gone, and the themes whose fonts it held, and what was warmed in it.
    assert not layout._parsed and not layout._warmed
    assert all(o.ok for o in outcomes) and len(outcomes) >= 2
    assert digests(project) == cold(tmp_path, project)
    # The front matter was laid out beside the edited chapter, for the pages it came to before the edit
    # where its text is counted to fill them still (parts.guessed_front), else for the pages it is
    # counted to come to now (parts.estimated_bodies), with the numbers of every chapter after it: both
    # used, the chapter having come to those pages.
    foreseen = "beside the chapters, for the pages they likely come to"
    assert any((foreseen if size == "pages" else "as they were last laid out") in s for s in said), said
    assert any("page numbers of" in s and "beside it" in s for s in said) == (size == "pages"), said
    assert any("the pages guessed" in s for s in said), said


def test_an_edit_whose_pages_are_guessed_wrong_is_byte_identical_to_a_cold_build(tmp_path, monkeypatch):
    """A chapter grown by several pages, guessed to come to two more than it does: the front matter and
    the numbers laid out beside it for those pages are not used, but laid out again for the real ones,
    and the book is a cold build's, to the byte."""
    from bookmaker.commands.build import build
    from bookmaker.pdf import parts

    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(tmp_path / "cache"))
    project = tmp_path / "p"
    shutil.copytree(REPO / "manuscript", project / "manuscript")
    build(str(project))
    edit(project, EDITS["pages"])
    estimate = parts.pages_after_edit
    monkeypatch.setattr(parts, "pages_after_edit", lambda *args: estimate(*args) + 2)
    said: list[str] = []
    _, outcomes = build(str(project), progress=said.append)
    assert all(o.ok for o in outcomes)
    assert any("beside the chapters, for the pages they likely come to" in s for s in said), said
    assert not any("the pages guessed" in s for s in said), said
    assert "laying out the front matter" in said, said  # again, for the pages the chapter came to
    assert digests(project) == cold(tmp_path, project)


def test_numbers_laid_out_beside_the_chapter_and_still_running_are_waited_for(tmp_path, monkeypatch):
    """The edited chapter done while the numbers foreseen for it are still laid out: the join waits for
    that job, and does not hand the same numbers out again; the book is a cold build's."""
    import time

    from bookmaker.commands.build import build
    from bookmaker.pdf import parts

    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(tmp_path / "cache"))
    project = tmp_path / "p"
    shutil.copytree(REPO / "manuscript", project / "manuscript")
    build(str(project))
    edit(project, EDITS["pages"])
    lay_out_numbers, log = parts.lay_out_numbers, tmp_path / "numbers.log"

    def slowly(index, html, start, types):  # sent to the layout workers by name, as lay_out_numbers
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"{index} {start} {len(types)}\n")
        time.sleep(2)
        return lay_out_numbers(index, html, start, types)

    slowly.__module__, slowly.__qualname__ = parts.__name__, "lay_out_numbers"
    monkeypatch.setattr(parts, "lay_out_numbers", slowly)
    said: list[str] = []
    _, outcomes = build(str(project), progress=said.append)
    assert all(o.ok for o in outcomes)
    assert any("page numbers of" in s and "beside it" in s for s in said), said
    assert any("the pages guessed" in s for s in said), said
    jobs = log.read_text(encoding="utf-8").split("\n")[:-1]
    assert len(jobs) == len(set(jobs)), jobs  # each chapter's numbers for its pages laid out once
    assert digests(project) == cold(tmp_path, project)


def test_a_chapters_page_types_are_continued_or_cut_for_the_pages_guessed():
    from bookmaker.pdf.parts import extended_types

    types = [("right", False, "chapter", i, (("chapter", i),)) if i % 2 == 0
             else ("left", False, "chapter", i, (("chapter", i),)) for i in range(3)]
    assert extended_types(types, 5)[3:] == [("left", False, "chapter", 3, (("chapter", 3),)),
                                            ("right", False, "chapter", 4, (("chapter", 4),))]
    assert extended_types(types, 2) == types[:2]
    assert extended_types(types[:1], 3) is None  # one page: nothing to step from
    blank = [*types[:2], ("right", True, "chapter", 2, (("chapter", 2),))]
    assert extended_types(blank, 4) is None
    named = [*types[:2], ("right", False, "plate", 2, (("chapter", 2),))]
    assert extended_types(named, 4) is None


def test_the_pages_after_an_edit_are_counted_on_from_the_last_line_laid_out():
    from bookmaker.pdf.pagelimit import pages_after_edit

    assert pages_after_edit(10, 0.5, 300, 300, 32) == 10
    assert pages_after_edit(10, 0.5, 300, 316, 32) == 10  # the last page filled to its foot
    assert pages_after_edit(10, 0.5, 300, 317, 32) == 11
    assert pages_after_edit(10, 0.5, 300, 380, 32) == 12  # 80 lines more: 2.5 pages
    assert pages_after_edit(10, 0.5, 300, 284, 32) == 9  # the last page emptied
    assert pages_after_edit(1, 0.2, 10, 0, 32) == 1


def test_a_word_changed_lays_out_its_chapter_alone_and_dates_the_pdf_anew(tmp_path, monkeypatch):
    """A typo mended: one word for another, the word count and the pages as they were. The book is dated
    by its newest source, so the PDF's date moves with the edit; but the date is no part of the front
    matter's layout (the join writes it, join.dated()), so only the chapter edited is laid out again,
    and the book is still the one a cold build makes, to the byte."""
    import os

    import pypdf

    from bookmaker.commands.build import build

    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    project = tmp_path / "p"
    shutil.copytree(REPO / "manuscript", project / "manuscript")
    build(str(project), formats=("pdf",))
    pdf = next((project / "dist").glob("*.pdf"))
    before = pypdf.PdfReader(pdf)
    chapter = sorted((project / "manuscript").glob("*.md"))[1]
    text = chapter.read_text(encoding="utf-8")
    assert " the " in text
    chapter.write_text(text.replace(" the ", " The ", 1), encoding="utf-8")
    later = max(p.stat().st_mtime for p in (project / "manuscript").rglob("*")) + 3600
    os.utime(chapter, (later, later))
    said: list[str] = []
    build(str(project), formats=("pdf",), progress=said.append)
    assert [s for s in said if s.startswith("laid out")] == ["laid out 1 of 1 section"], said
    assert not [s for s in said if "front matter" in s and "laying out" in s], said
    after = pypdf.PdfReader(pdf)
    assert after.metadata.creation_date.timestamp() == int(later) == after.metadata.modification_date.timestamp()
    assert before.metadata.creation_date.timestamp() < int(later)
    assert after.trailer["/ID"][0] == before.trailer["/ID"][0]  # the same book
    assert after.trailer["/ID"][1] != before.trailer["/ID"][1]  # a new version of it
    fresh = tmp_path / "cold"
    shutil.copytree(project / "manuscript", fresh / "manuscript")  # the files' times too
    result = run_cli("pdf", fresh, "-q", "-o", tmp_path / "cold.pdf", env={"BOOKMAKER_CACHE_DIR": str(tmp_path / "c")})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cold.pdf").read_bytes() == pdf.read_bytes()


def test_the_join_begun_while_chapters_are_laid_out_makes_the_same_bytes(tmp_path, monkeypatch, built_pdfs):
    """The join begins once the front matter is known, and each chapter is added as soon as its numbers
    are, while the last are laid out (join.Join, parts.lay_out_flow): in a cold build, beside the last
    chapter (the front matter needs only where it begins); after an edit, with the front matter guessed
    beside the edited chapter. Here the end notes, then the chapter edited, are not laid out until the
    join has taken in every section before them (a file the join writes then, waited for up to 30 s: a
    second's sleep was too short for a loaded machine once, and so was waiting only for the join's start,
    which let the end notes finish before the last chapter's numbers), so both happen; the books are a
    cold build's, without the wait."""
    import time

    from bookmaker.commands.build import build
    from bookmaker.pdf import join, parts

    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(tmp_path / "cache"))
    project = tmp_path / "p"
    shutil.copytree(REPO / "manuscript", project / "manuscript")
    chapters = sorted((project / "manuscript").glob("*.md"))
    lay_out_body = parts.lay_out_body
    slow = {len(chapters)}  # the last part: the end notes, after the chapters
    caught_up = tmp_path / "join-caught-up"

    class Join(join.Join):
        def add(self, *args):
            super().add(*args)
            if self.parts == min(slow):  # every section before the slow one joined
                caught_up.touch()

    def slowly(index, *args):  # sent to the layout workers by name: forked, they have it under that name
        if index in slow:
            waited = time.monotonic()
            while not caught_up.exists() and time.monotonic() - waited < 30:
                time.sleep(0.05)
        return lay_out_body(index, *args)

    slowly.__module__, slowly.__qualname__ = parts.__name__, "lay_out_body"
    monkeypatch.setattr(parts, "lay_out_body", slowly)
    monkeypatch.setattr(join, "Join", Join)
    said: list[str] = []
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # as the session's CLI build (conftest.BUILD_EPOCH)
    build(str(project), formats=("pdf",), progress=said.append)
    assert [s for s in said if "joined while" in s] == [f"{len(chapters)} sections joined while the rest "
                                                        "were laid out"], said
    assert next((project / "dist").glob("*.pdf")).read_bytes() == built_pdfs["sample"].epub.read_bytes()

    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    with chapters[-1].open("a", encoding="utf-8") as handle:
        handle.write("\nShe read the letter again, and this time she smiled.\n")
    said.clear()
    slow.clear()
    slow.add(len(chapters) - 1)
    caught_up.unlink()
    build(str(project), formats=("pdf",), progress=said.append)
    assert "laying out the front matter beside the chapters, as they were last laid out" in said, said
    assert [s for s in said if "joined while" in s] == [f"{len(chapters) - 1} sections joined while the rest "
                                                        "were laid out"], said
    fresh = tmp_path / "cold"
    shutil.copytree(project / "manuscript", fresh / "manuscript")
    result = run_cli("pdf", fresh, "-q", "-o", tmp_path / "cold.pdf", env={"BOOKMAKER_CACHE_DIR": str(tmp_path / "c")})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cold.pdf").read_bytes() == next((project / "dist").glob("*.pdf")).read_bytes()


def test_the_warm_up_sample_is_a_chapter_cut_after_its_first_paragraphs():
    from bookmaker.pdf.parts import sample_of

    html = '<html lang="fr"><body><div class="chapter">' + "<p>Un mot.</p>" * 20 + "</div></body></html>"
    assert sample_of(html).count("<p>") == 12 and sample_of(html).startswith('<html lang="fr">')
    short = html.replace("<p>Un mot.</p>" * 20, "<p>Un mot.</p>" * 3)
    assert sample_of(short) == short


def test_an_edit_rebuilt_by_a_one_shot_build_is_byte_identical_to_a_cold_build(tmp_path):
    env = {"BOOKMAKER_CACHE_DIR": str(tmp_path / "cache")}
    project = tmp_path / "p"
    shutil.copytree(REPO / "manuscript", project / "manuscript")
    assert run_cli("build", project, "-q", env=env).returncode == 0
    edit(project, EDITS["pages"])
    result = run_cli("build", project, "-q", env=env)
    assert result.returncode == 0, result.stderr
    assert digests(project) == cold(tmp_path, project)


def test_a_font_replaced_during_a_layout_session_is_loaded_again(tmp_path):
    """watch keeps the parsed theme from one build to the next (layout.session): a font file the author
    replaces under the same name is loaded again, never the one parsed before."""
    import fontpkg_spectral

    from bookmaker.pdf import layout

    font = tmp_path / "Face.ttf"
    shutil.copyfile(fontpkg_spectral.ROOT / "files" / "Spectral-Regular.ttf", font)
    setup = layout.LayoutSetup((f'@font-face {{ font-family: "Face"; src: url("bookmaker:///Face.ttf"); }}',),
                               "bookmaker:///", (("bookmaker:///Face.ttf", font),), "styles/print.css")
    with layout.session(str(tmp_path)):
        first = layout.parsed_theme(setup, "")
        assert layout.parsed_theme(setup, "") is first
        shutil.copyfile(fontpkg_spectral.ROOT / "files" / "Spectral-Italic.ttf", font)
        assert layout.parsed_theme(setup, "") is not first
    assert not layout._parsed



def test_a_cold_build_parses_no_part_ahead_and_an_edit_parses_the_cached_ones(tmp_path, monkeypatch):
    """join.read_ahead parses parts while the workers lay out. In a cold build every part read ahead would
    be held, parsed, until the front matter lets the join begin, beside both workers (the 200,000-word
    book: 20 MB of its peak): none is. After an edit, the parts from the cache are parsed beside the one
    chapter laid out, as before."""
    from bookmaker.commands.build import build
    from bookmaker.pdf import join

    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(tmp_path / "cache"))
    project = tmp_path / "p"
    shutil.copytree(REPO / "manuscript", project / "manuscript")
    parsed: list[bytes] = []
    read_ahead = join.read_ahead
    monkeypatch.setattr(join, "read_ahead", lambda data: (parsed.append(data), read_ahead(data)))
    said: list[str] = []
    build(str(project), formats=("pdf",), progress=said.append)
    laid = [s for s in said if s.startswith("laid out")]
    assert laid and laid[-1] == "laid out 5 of 5 sections" and parsed == [], (said, len(parsed))
    edit(project, EDITS["sentence"])
    said.clear()
    build(str(project), formats=("pdf",), progress=said.append)
    assert [s for s in said if s.startswith("laid out")] == ["laid out 1 of 1 section"], said
    assert len(parsed) >= 3  # the other sections' PDFs, from the cache


LAID_OUT_WITH_PYPDF = """
import sys
import bookmaker.cli
from bookmaker.pdf import parts

seen = []
chapter_lines = parts.chapter_lines
def counted(*args):
    seen.append("pypdf" in sys.modules)
    return chapter_lines(*args)
parts.chapter_lines = counted
sys.argv = ["bookmaker", "pdf", sys.argv[1], "--jobs", "2", "--no-cache", "-q"]
try:
    bookmaker.cli.app()
finally:
    print(seen)
"""


def test_a_cold_build_imports_the_join_once_the_chapters_are_laid_out(tmp_path):
    """pypdf and fontTools (join.py, 19 MB of the building process) are not held while the workers lay the
    chapters out, where the build's peak memory is: imported once the last chapter is, beside its page
    numbers. Checked in a fresh interpreter (this one has pypdf): whether pypdf was imported as each
    chapter's layout came back."""
    import subprocess
    import sys

    project = tmp_path / "p"
    shutil.copytree(REPO / "manuscript", project / "manuscript")
    result = subprocess.run([sys.executable, "-c", LAID_OUT_WITH_PYPDF, str(project)], capture_output=True,
                            text=True, env={**os.environ, "BOOKMAKER_CACHE_DIR": str(tmp_path / "cache")}, timeout=120)
    assert (project / "dist").is_dir() and list((project / "dist").glob("*.pdf")), result.stderr
    seen = ast.literal_eval(result.stdout.strip().splitlines()[-1])
    assert seen == [False] * 5, seen  # each of the five sections laid out without pypdf in this process
