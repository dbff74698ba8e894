"""Whatever comes in, what goes out is well-formed, valid, safe and never half-written."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from bookmaker.render import xhtml
from bookmaker.render.markdown import markdown_to_html
from conftest import REPO, epubcheck, problems_of, run_cli

# Text from every script: letters, marks, numbers, punctuation, symbols and spaces, never control
# characters or lone surrogates (which no text file can hold).
TEXT = st.text(st.characters(categories=("L", "M", "N", "P", "S", "Zs")), min_size=1, max_size=40)
TAGS = ["b", "i", "em", "span", "div", "p", "ul", "li", "table", "tr", "td", "script", "iframe", "font", "center",
        "a", "img", "form", "input", "sup", "blockquote", "section", "aside", "h1", "svg", "style", "br"]
ATTRS = ['', ' class="x"', ' onclick="evil()"', ' href="javascript:alert(1)"', ' href="#nowhere"',
         ' style="color:red"', ' id="same"', ' lang="fr"', ' dir="rtl"', ' src="https://example.org/x.png"',
         ' epub:type="note"', ' title=\'q"uote\'']


@st.composite
def raw_html(draw):
    tag = draw(st.sampled_from(TAGS))
    attrs = draw(st.sampled_from(ATTRS))
    inner = draw(TEXT)
    closing = draw(st.sampled_from([f"</{tag}>", "", "</div>", "</p>"]))
    return f"<{tag}{attrs}>{inner}{closing}"


BLOCK = st.one_of(
    TEXT,
    TEXT.map(lambda t: f"# {t}"),
    TEXT.map(lambda t: f"## {t}"),
    TEXT.map(lambda t: f"*{t}* and **{t}**"),
    st.lists(TEXT, min_size=1, max_size=4).map(lambda items: "\n".join(f"- {i}" for i in items)),
    st.lists(TEXT, min_size=1, max_size=3).map(lambda items: "\n".join(f"{n}. {i}" for n, i in enumerate(items, 1))),
    TEXT.map(lambda t: f"> {t}"),
    TEXT.map(lambda t: f'"{t}," she said... -- {t}'),
    st.sampled_from(["* * *", "***", "---", "#"]),
    raw_html(),
    st.lists(raw_html(), min_size=1, max_size=3).map(" ".join),
    TEXT.map(lambda t: f"A note.[^n]\n\n[^n]: {t}"),
    TEXT.map(lambda t: f"| a | b |\n|---|---|\n| {t} | x |"),
    TEXT.map(lambda t: f"Term\n:   {t}"),
    TEXT.map(lambda t: f"&nbsp;&mdash;&hellip;&amp;&lt;{t}&gt;&#x1F30A;&bogus;"),
)
DOCUMENT = st.lists(BLOCK, min_size=1, max_size=8).map("\n\n".join)


def to_xhtml(md: str) -> str:
    ctx = xhtml.Context("t.md", lambda s: 1, lambda ref, line: None, lambda href: None, lambda *a: None)
    root = xhtml.html_to_xhtml(markdown_to_html(md), ctx)
    xhtml.check_fragment_links(ctx)
    return xhtml.inner_xml(root)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENT)
def test_any_markdown_renders_to_well_formed_safe_xhtml(md):
    out = to_xhtml(md)
    root = etree.fromstring(f'<div xmlns="{xhtml.XHTML}" xmlns:epub="{xhtml.OPS}">{out}</div>')
    # Judged as a reader's engine reads it: elements and attributes, not words ("onclick" may be text).
    for el in root.iter():
        assert xhtml.local(el) not in ("script", "iframe", "form", "input", "svg", "style"), out
        for name, value in el.attrib.items():
            assert not etree.QName(name).localname.lower().startswith("on"), out
            assert not value.strip().lower().startswith("javascript:"), out


def generated_documents(count: int, seed: int = 20261124) -> list[str]:
    """A fixed sample of the same kind of documents, for one end-to-end batch."""
    rng = random.Random(seed)
    alphabets = ["abcdefghij klmnop", "αβγδεζηθ ικλμ", "абвгдежз ийкл", "夜の灯台は静か", "她慢慢地点亮了灯", "أضاءت المصابيح",
                 "הפנסים נדלקו", "ñéüçøåß œæ", "🌊🏮☕🍰", "कखगघ चछजझ", "ကခဂ", "ᚠᚢᚦᚨ", "Ꭰ Ꭱ Ꭲ"]

    def text() -> str:
        alphabet = rng.choice(alphabets)
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(3, 30))).strip() or "x"

    def block() -> str:
        kind = rng.randrange(12)
        if kind == 0:
            return f"## {text()}"
        if kind == 1:
            return "\n".join(f"- {text()}" for _ in range(rng.randint(1, 4)))
        if kind == 2:
            tag, attrs = rng.choice(TAGS), rng.choice(ATTRS)
            return f"<{tag}{attrs}>{text()}" + rng.choice([f"</{tag}>", ""])
        if kind == 3:
            return f'"{text()}," she said... *{text()}* -- {text()}'
        if kind == 4:
            return rng.choice(["* * *", "***", "---", "#"])
        if kind == 5:
            return f"A note.[^n{rng.randrange(3)}]"
        if kind == 6:
            return f"| a | b |\n|---|---|\n| {text()} | {text()} |"
        if kind == 7:
            return f"{text()}\n:   {text()}"
        if kind == 8:
            return f"> {text()}\n>\n> > {text()}"
        return text()

    docs = []
    for _ in range(count):
        blocks = [block() for _ in range(rng.randint(1, 10))]
        notes = [f"[^n{i}]: {text()}" for i in range(3)]
        docs.append("\n\n".join(blocks + notes) + "\n")
    return docs


def test_two_hundred_generated_documents_make_a_valid_epub(tmp_path):
    project = tmp_path / "batch"
    (project / "manuscript").mkdir(parents=True)
    (project / "manuscript" / "book.yaml").write_text("title: Batch\nauthor: Hypothesis\n", encoding="utf-8")
    for number, text in enumerate(generated_documents(200), start=1):
        (project / "manuscript" / f"{number:03d}.md").write_text(text, encoding="utf-8")
    result = run_cli("epub", project, "-o", tmp_path / "batch.epub")
    assert result.returncode == 0, result.stderr[-3000:]
    report = epubcheck(tmp_path / "batch.epub")
    checker = report["checker"]
    assert (checker["nFatal"], checker["nError"], checker["nWarning"]) == (0, 0, 0), problems_of(report)[:20]
    with zipfile.ZipFile(tmp_path / "batch.epub") as z:
        assert sum(n.startswith("EPUB/chapter-") for n in z.namelist()) == 200


# --- interrupted and concurrent builds -------------------------------------------------------------

def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sample_project(tmp_path):
    import shutil

    shutil.copytree(REPO / "manuscript", tmp_path / "book" / "manuscript")
    return tmp_path / "book"


def kill_during_build(cmd: list[str], delay: float) -> None:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    time.sleep(delay)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the build and its workers, at once
    except ProcessLookupError:
        pass
    proc.wait()


@pytest.mark.slow
@pytest.mark.parametrize(("fmt", "kills", "longest"), [("epub", 12, 0.9), ("pdf", 8, 3.0)])
def test_killed_builds_leave_the_old_book_or_the_new_one(tmp_path, fmt, kills, longest):
    project = sample_project(tmp_path)
    out = project / "dist" / f"book.{fmt}"
    env = {"BOOKMAKER_CACHE_DIR": str(tmp_path / "cache")}
    assert run_cli(fmt, project, "-o", out, env=env).returncode == 0
    old = out.read_bytes()
    chapter = project / "manuscript" / "04-every-light-on-the-hill.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more line, so the new book differs.\n",
                       encoding="utf-8")
    rng = random.Random(7)
    cmd = [sys.executable, "-m", "bookmaker", fmt, str(project), "-o", str(out), "--no-cache"]
    outcomes = []
    for _ in range(kills):
        kill_during_build(cmd, rng.uniform(0.05, longest))
        outcomes.append(sha(out.read_bytes()))
    assert run_cli(fmt, project, "-o", out, env=env).returncode == 0
    new = sha(out.read_bytes())
    assert new != sha(old)
    assert set(outcomes) <= {sha(old), new}, "a killed build left a partial file"
    leftovers = [p.name for p in out.parent.iterdir() if p.name != out.name]
    assert leftovers == [], f"stray temporary files after the next build: {leftovers}"


@pytest.mark.slow
def test_two_builds_at_once_both_finish_with_a_valid_book(tmp_path):
    project = sample_project(tmp_path)
    env = {**os.environ, "BOOKMAKER_CACHE_DIR": str(tmp_path / "cache")}
    procs = [subprocess.Popen([sys.executable, "-m", "bookmaker", "build", str(project), "-q"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
    dist = project / "dist"
    with zipfile.ZipFile(dist / "the-lamplighters-almanac.epub") as z:
        assert z.testzip() is None
    import pypdf

    assert len(pypdf.PdfReader(dist / "the-lamplighters-almanac.pdf").pages) > 10
    assert sorted(p.name for p in dist.iterdir()) == ["the-lamplighters-almanac.epub", "the-lamplighters-almanac.pdf"]


@pytest.mark.slow
def test_workers_and_temporary_folders_do_not_outlive_a_killed_build(tmp_path):
    """SIGKILL to the build alone (what the OOM killer does): its layout workers die with it, and the
    next build removes the temporary folder it left."""
    project = sample_project(tmp_path)
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "bookmaker", "pdf", str(project), "--no-cache", "--jobs", "2",
                             "-o", str(tmp_path / "b.pdf")], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60

    def laying_out() -> bool:  # the zygote and the two workers it forks (pdf/workers.py), and the build's folder
        return len(descendants(proc.pid)) >= 3 and any(p.name.startswith(f"bookmaker-{proc.pid}-")
                                                       for p in temp.iterdir())

    while time.time() < deadline and not laying_out():
        time.sleep(0.02)
    workers = descendants(proc.pid)
    assert len(workers) >= 3, "the build never started its workers"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 10
    while time.time() < deadline and any(alive(pid) for pid in workers):
        time.sleep(0.05)
    survivors = [pid for pid in workers if alive(pid)]
    for pid in survivors:  # never leave them running, even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert not survivors, "layout workers outlived the build"
    assert [p.name for p in temp.iterdir() if p.name.startswith(f"bookmaker-{proc.pid}-")]
    assert run_cli("pdf", project, "-o", tmp_path / "b.pdf", env={"TMPDIR": str(temp)}).returncode == 0
    assert [p.name for p in temp.iterdir() if p.name.startswith("bookmaker-")] == []


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in open(f"/proc/{pid}/task/{pid}/children").read().split()]
    except OSError:
        return []


def descendants(pid: int) -> list[int]:
    return [grandchild for child in children(pid) for grandchild in (child, *descendants(child))]


def alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
