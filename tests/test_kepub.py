import io
import os
import re
import shutil
import subprocess
import zipfile

import pytest
from lxml import etree

from bookmaker.epub.kepub import kepubify, kobo_page, mark_cover, sentences
from conftest import copy_book, epubcheck, problems_of, run_cli

PAGE = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="en" xml:lang="en">
<head><title>T</title></head>
<body>{}</body></html>"""


def body_of(xhtml: bytes) -> str:
    text = xhtml.decode("utf-8")
    return text[text.index('<div id="book-inner">') + len('<div id="book-inner">'):text.index("</div></div></body>")]


def spans(markup: str) -> str:
    return body_of(kobo_page(PAGE.format(markup).encode()))


def s(p, n, text):
    return f'<span class="koboSpan" id="kobo.{p}.{n}">{text}</span>'


def test_sentences_split_after_their_end_and_lose_nothing():
    text = "One. \u201cTwo?\u201d Three\u2026 four: five... six"
    assert sentences(text) == ["One. ", "\u201cTwo?\u201d ", "Three\u2026 ", "four: ", "five... ", "six"]
    assert sentences("") == [] and sentences("no end") == ["no end"]


def test_each_block_numbers_its_sentences():
    got = spans("<h1>Title</h1><p>One. Two.</p><p>Three <em>four. five</em></p><ul><li>A</li><li>B</li></ul>")
    assert got == (f"<h1>{s(1, 1, 'Title')}</h1><p>{s(2, 1, 'One. ')}{s(2, 2, 'Two.')}</p>"
                   f"<p>{s(3, 1, 'Three ')}<em>{s(3, 2, 'four. ')}{s(3, 3, 'five')}</em></p>"
                   f"<ul><li>{s(4, 1, 'A')}</li><li>{s(4, 2, 'B')}</li></ul>")


def test_images_are_blocks_and_some_text_stays_untouched():
    got = spans('<p>A.</p><img src="x.png" alt=""/><pre>a. b</pre>'
                '<svg xmlns="http://www.w3.org/2000/svg"><text>c. d</text></svg>\n<p>E</p>')
    assert got == (f'<p>{s(1, 1, "A.")}</p><span class="koboSpan" id="kobo.2.1"><img src="x.png" alt=""/></span>'
                   f'<pre>a. b</pre><svg xmlns="http://www.w3.org/2000/svg"><text>c. d</text></svg>\n'
                   f'<p>{s(3, 1, "E")}</p>')


def test_whitespace_is_wrapped_only_inside_paragraphs():
    got = spans("<section>\n<p> </p>\n<blockquote>\n<p>Q</p>\n</blockquote>\n</section>")
    assert got == f"<section>\n<p>{s(1, 1, ' ')}</p>\n<blockquote>\n<p>{s(2, 1, 'Q')}</p>\n</blockquote>\n</section>"


def test_page_gets_wrappers_and_style_once():
    once = kobo_page(PAGE.format("<p>Text.</p>").encode())
    root = etree.fromstring(once)
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    assert root.xpath("/h:html/h:body/h:div[@id='book-columns']/h:div[@id='book-inner']/h:p", namespaces=ns)
    assert root.xpath("//h:head/h:style[@class='kobostylehacks']", namespaces=ns)
    assert kobo_page(once) == once


def test_cover_item_is_marked():
    opf = (b'<package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata>'
           b'<meta name="cover" content="img"/></metadata><manifest>'
           b'<item id="img" href="c.png" media-type="image/png"/></manifest></package>')
    marked = mark_cover(opf)
    assert b'properties="cover-image"' in marked
    assert mark_cover(marked) == marked


@pytest.fixture(scope="module")
def sample_kepub(tmp_path_factory):
    root = tmp_path_factory.mktemp("kepub")
    project = copy_book("sample", root / "sample")
    epub = root / "sample.epub"
    result = run_cli("epub", project, "-o", epub)
    assert result.returncode == 0, result.stderr
    data = kepubify(epub.read_bytes())
    kepub = root / "sample.kepub.epub"
    kepub.write_bytes(data)
    return epub, kepub


def test_kepub_is_deterministic_and_spans_every_chapter(sample_kepub):
    epub, kepub = sample_kepub
    assert kepubify(epub.read_bytes()) == kepub.read_bytes()
    with zipfile.ZipFile(kepub) as zf:
        assert zf.namelist()[0] == "mimetype" and zf.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        chapters = [n for n in zf.namelist() if re.search(r"chapter-\d+\.xhtml$", n)]
        assert chapters
        for name in chapters:
            page = zf.read(name)
            assert b'id="kobo.1.1"' in page and b'<div id="book-columns"><div id="book-inner">' in page
        opf = zf.read("EPUB/content.opf")
        assert re.search(rb'<item[^>]*id="cover-image"[^>]*properties="cover-image"', opf)


def test_kepub_passes_epubcheck(sample_kepub):
    report = epubcheck(sample_kepub[1])
    assert problems_of(report) == []


@pytest.mark.skipif(shutil.which("ebook-convert") is None, reason="Calibre's ebook-convert is not installed")
def test_calibre_reads_every_paragraph(sample_kepub):
    epub, kepub = sample_kepub
    txt = kepub.with_suffix(".txt")
    subprocess.run(["ebook-convert", str(kepub), str(txt)], capture_output=True, timeout=300, check=True,
                   env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})

    def flat(text):
        return " ".join(text.split())

    converted = flat(txt.read_text(encoding="utf-8"))
    missing = []
    with zipfile.ZipFile(io.BytesIO(epub.read_bytes())) as zf:
        for name in zf.namelist():
            if not name.endswith(".xhtml") or name.endswith("nav.xhtml"):
                continue
            for p in etree.fromstring(zf.read(name)).iter("{http://www.w3.org/1999/xhtml}p"):
                text = flat("".join(p.itertext()))
                if text and text not in converted:
                    missing.append(f"{name}: {text[:80]}")
    assert missing == []
