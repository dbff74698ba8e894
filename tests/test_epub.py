"""End to end: books built by the real CLI, read back with independent tools (EPUBCheck, lxml, pandoc)."""

from __future__ import annotations

import re
import unicodedata
import zipfile

import pytest
from lxml import etree

from conftest import BOOKS, problems_of

OPF = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
XHTML = {"h": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}
NCX = {"n": "http://www.daisy.org/z3986/2005/ncx/"}


def opf(book):
    with zipfile.ZipFile(book.epub) as z:
        return etree.fromstring(z.read("EPUB/content.opf"))


def xhtml_files(book) -> dict[str, bytes]:
    with zipfile.ZipFile(book.epub) as z:
        return {n: z.read(n) for n in z.namelist() if n.endswith(".xhtml")}


def letters(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", text).lower() if c.isalnum())


@pytest.mark.parametrize("name", BOOKS)
def test_build_succeeds_and_prints_the_path(built_epubs, name):
    book = built_epubs[name]
    assert book.result.returncode == 0, book.result.stderr
    assert book.result.stdout.strip() == str(book.epub)
    assert "Traceback" not in book.result.stderr


@pytest.mark.parametrize("name", BOOKS)
def test_epubcheck_finds_nothing(epubcheck_reports, name):
    report = epubcheck_reports[name]
    checker = report["checker"]
    assert (checker["nFatal"], checker["nError"], checker["nWarning"]) == (0, 0, 0), problems_of(report)


@pytest.mark.parametrize("name", BOOKS)
def test_every_page_is_well_formed_xml_with_a_language(built_epubs, name):
    for file_name, data in xhtml_files(built_epubs[name]).items():
        root = etree.fromstring(data)  # raises on anything that is not well-formed
        assert root.get("lang") and root.get("{http://www.w3.org/XML/1998/namespace}lang"), file_name
        assert b"&nbsp;" not in data and b"&mdash;" not in data


def test_zip_layout_is_what_readers_expect(built_epubs):
    with zipfile.ZipFile(built_epubs["sample"].epub) as z:
        infos = z.infolist()
        assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
        assert z.read("mimetype") == b"application/epub+zip"
        for info in infos:
            assert re.fullmatch(r"[A-Za-z0-9._/-]+", info.filename), info.filename


@pytest.mark.parametrize("name", BOOKS)
def test_every_source_paragraph_is_in_the_book_in_order(built_epubs, name):
    book = built_epubs[name]
    pages = xhtml_files(book)
    chapters = sorted(n for n in pages if "chapter-" in n)
    text = letters(" ".join("".join(etree.fromstring(pages[n]).itertext()) for n in chapters))
    sources = sorted((book.project / "manuscript").glob("*.md"))
    position = 0
    for source in sources:
        body = source.read_text(encoding="utf-8")
        body = re.sub(r"\A---\n.*?\n---\n", "", body, flags=re.S)
        for para in re.split(r"\n\s*\n", body):
            para = para.strip()
            if (not para or para.startswith(("#", "[^", "<script", "<form", "<iframe", "|", "![", ":"))
                    or para in ("* * *", "***", "---") or "{:" in para or "\n:" in para or "<" in para):
                continue
            plain = letters(re.sub(r"\[\^\w+\]|\*|\[|\]\([^)]*\)|--+|\.\.\.", "", para))
            found = text.find(plain[:60], position)
            assert found >= 0, f"{source.name}: paragraph missing or out of order: {para[:80]}"
            position = found


def test_opf_metadata_of_every_key(built_epubs):
    root = opf(built_epubs["every-key"])
    meta = root.find("opf:metadata", OPF)
    titles = meta.findall("dc:title", OPF)
    assert [t.text for t in titles] == ["The Clockmaker's Apprentice", "Second Winding"]
    refines = {(m.get("refines"), m.get("property")): m.text for m in meta.findall("opf:meta", OPF)}
    assert refines[(f"#{titles[1].get('id')}", "title-type")] == "subtitle"
    assert [c.text for c in meta.findall("dc:creator", OPF)] == ["Iris Vantongeren", "Paz Okonjo-Reyes"]
    # The translator, as Standard Ebooks marks one: a contributor with the MARC relator trl (EPUBCheck passes it)
    [translator] = meta.findall("dc:contributor", OPF)
    assert translator.text == "Tomasz Wrzesień"
    role = meta.find(f"opf:meta[@refines='#{translator.get('id')}'][@property='role']", OPF)
    assert (role.text, role.get("scheme")) == ("trl", "marc:relators")
    assert refines[(f"#{translator.get('id')}", "file-as")] == "Wrzesień, Tomasz"
    ids = [el.get("id") for el in meta if el.get("id")]
    assert len(ids) == len(set(ids))
    assert meta.findtext("dc:language", namespaces=OPF) == "en-GB"
    assert meta.findtext("dc:identifier", namespaces=OPF) == "urn:isbn:9780000000002"
    assert meta.findtext("dc:date", namespaces=OPF) == "2025-12-01"
    assert meta.findtext("dc:publisher", namespaces=OPF) == "Escapement Books"
    assert meta.findtext("dc:rights", namespaces=OPF) == "All rights reserved."
    assert meta.findtext("dc:source", namespaces=OPF) == "https://example.org/works/clockmaker"
    description = meta.findtext("dc:description", namespaces=OPF)
    assert description.startswith("A clockmaker’s apprentice inherits") and "*" not in description
    subjects = [s.text for s in meta.findall("dc:subject", OPF)]
    assert subjects == ["Original Work", "Teen And Up Audiences", "Hale & Ondine", "Hale/Customer", "Hale",
                        "Ondine", "The Customer", "Clocks", "Found Family", "Tea & Sympathy"]
    with zipfile.ZipFile(built_epubs["every-key"].epub) as z:
        raw = z.read("EPUB/content.opf").decode()
    assert "Tea &amp; Sympathy" in raw and "&amp;amp;" not in raw  # escaped exactly once
    collection = meta.find("opf:meta[@property='belongs-to-collection']", OPF)
    assert collection.text == "The Winding Stair"
    assert refines[(f"#{collection.get('id')}", "group-position")] == "2"
    named = {m.get("name"): m.get("content") for m in meta.findall("opf:meta", OPF) if m.get("name")}
    assert named["calibre:series"] == "The Winding Stair" and named["calibre:series_index"] == "2"
    assert named["cover"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
                        meta.findtext("opf:meta[@property='dcterms:modified']", namespaces=OPF))
    for prop in ("schema:accessMode", "schema:accessModeSufficient", "schema:accessibilityFeature",
                 "schema:accessibilityHazard", "schema:accessibilitySummary"):
        assert meta.find(f"opf:meta[@property='{prop}']", OPF) is not None, prop
    cover = root.find("opf:manifest/opf:item[@properties='cover-image']", OPF)
    assert cover is not None and cover.get("media-type") == "image/png"


def test_the_title_page_credits_the_translator_under_the_authors(built_epubs):
    """A translated book lost its translator on the title page."""
    page = etree.fromstring(xhtml_files(built_epubs["every-key"])["EPUB/titlepage.xhtml"])
    lines = [" ".join("".join(p.itertext()).split()) for p in page.iterfind(".//h:section/h:p", XHTML)]
    assert lines[1:3] == ["Iris Vantongeren and Paz Okonjo-Reyes", "Translated by Tomasz Wrzesień"]
    assert page.find(".//h:p[@class='book-translator']", XHTML) is not None


def test_default_identifier_is_a_stable_uuid(built_epubs):
    identifier = opf(built_epubs["plain"]).find("opf:metadata/dc:identifier", OPF).text
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", identifier)
    from bookmaker.load.metadata import default_identifier

    assert identifier == default_identifier("A Quiet Evening", ("M. Fennick",))


def test_navigation_document_ncx_and_landmarks(built_epubs):
    book = built_epubs["sample"]
    pages = xhtml_files(book)
    nav = etree.fromstring(pages["EPUB/nav.xhtml"])
    toc = nav.find(".//h:nav[@epub:type='toc']", XHTML)
    entries = [("".join(a.itertext()), a.get("href")) for a in toc.iter(f"{{{XHTML['h']}}}a")]
    assert not [li for li in toc.iter(f"{{{XHTML['h']}}}li") if li.get("hidden")]
    assert [title for title, _ in entries] == [
        "Chapter 1: The Last Lamp on Gull Street", "Chapter 2: A Tide Table for Two",
        "Chapter 3: What the Almanac Said", "Chapter 4: Every Light on the Hill", "End Notes"]
    landmarks = nav.find(".//h:nav[@epub:type='landmarks']", XHTML)
    types = [a.get(f"{{{XHTML['epub']}}}type") for a in landmarks.iter(f"{{{XHTML['h']}}}a")]
    assert types == ["cover", "titlepage", "toc", "bodymatter"]
    with zipfile.ZipFile(book.epub) as z:
        ncx = etree.fromstring(z.read("EPUB/toc.ncx"))
    points = [(p.findtext("n:navLabel/n:text", namespaces=NCX), p.find("n:content", NCX).get("src"))
              for p in ncx.iter(f"{{{NCX['n']}}}navPoint")]
    assert points == entries  # a reader's contents: the same entries, in the same order


def test_front_matter_order(built_epubs):
    root = opf(built_epubs["sample"])
    spine = [i.get("idref") for i in root.find("opf:spine", OPF)]
    assert spine == ["cover", "titlepage", "copyright", "dedication", "summary", "toc", "chapter-1", "chapter-2",
                     "chapter-3", "chapter-4", "endnotes"]


def test_summary_page_shows_tags_series_and_stats(built_epubs):
    page = etree.fromstring(xhtml_files(built_epubs["every-key"])["EPUB/summary.xhtml"])
    text = " ".join("".join(page.itertext()).split())
    for expected in ("Fandom Original Work", "Relationships Hale & Ondine, Hale/Customer",
                     "Series Book 2 of The Winding Stair", "Published 2025-12-01", "Updated 2026-02-15",
                     "Chapters 2/?", "Summary A clockmaker", "Notes Written for a winter exchange"):
        assert expected in text, expected


def test_popup_footnotes(built_epubs):
    page = etree.fromstring(xhtml_files(built_epubs["every-key"])["EPUB/chapter-001.xhtml"])
    ref = page.find(".//h:a[@epub:type='noteref']", XHTML)
    note = page.find(".//h:aside[@epub:type='footnote']", XHTML)
    assert ref is not None and note is not None
    assert ref.get("href") == "#" + note.get("id")
    assert "Clocks, in Hale" in "".join(note.itertext())


def test_chapter_opening_blocks(built_epubs):
    page = etree.fromstring(xhtml_files(built_epubs["every-key"])["EPUB/chapter-001.xhtml"])
    headings = ["".join(h.itertext()) for h in page.iter(f"{{{XHTML['h']}}}h1", f"{{{XHTML['h']}}}h2")]
    assert headings == ["Chapter 1: Wound Too Tight", "Summary", "Notes", "End Notes"]


def test_images_packaged_with_alt_text(built_epubs):
    book = built_epubs["every-key"]
    page = etree.fromstring(xhtml_files(book)["EPUB/chapter-001.xhtml"])
    img = page.find(".//h:img", XHTML)
    assert img.get("alt") == "A brass carriage clock with a cracked face"
    with zipfile.ZipFile(book.epub) as z:
        assert "EPUB/" + img.get("src") in z.namelist()


def test_hostile_html_is_neutralised_with_warnings(built_epubs):
    book = built_epubs["awkward"]
    pages = xhtml_files(book)
    everything = b"".join(pages.values()).decode()
    for bad in ("<script", "onclick", "javascript:", "<iframe", "<form", "<input", "<center", "<font"):
        assert bad not in everything, bad
    assert "Form text stays." in everything and "Old centred text" in everything
    stderr = book.result.stderr
    assert "02-scripts.md:5: warning: removed <script>" in stderr
    assert "warning: removed event handler 'onclick'" in stderr
    assert "warning: remote image 'https://example.org/x.png' not fetched" in stderr


def test_awkward_text_survives(built_epubs):
    everything = b"".join(xhtml_files(built_epubs["awkward"]).values()).decode()
    for text in ("夜の灯台は静かだった。", "她慢慢地点亮了灯。", "أضاءت المصابيح", "הפנסים נדלקו", "🍰", "☕",
                 "an\u00a0entity \u2014 here"):
        assert text in everything, text
    assert 'dir="rtl"' in everything and 'xml:lang="ar"' in everything


def test_cross_chapter_link(built_epubs):
    page = etree.fromstring(xhtml_files(built_epubs["awkward"])["EPUB/chapter-001.xhtml"])
    hrefs = [a.get("href") for a in page.iter(f"{{{XHTML['h']}}}a")]
    assert "chapter-002.xhtml#far-side" in hrefs


def test_independent_reader_pandoc_reads_it_back(built_epubs):
    pypandoc = pytest.importorskip("pypandoc")
    text = pypandoc.convert_file(str(built_epubs["sample"].epub), "plain", format="epub")
    flat = " ".join(text.split())
    assert "The Lamplighter’s Almanac" in flat or "The Lamplighter's Almanac" in flat
    assert "The thirty-first lamp on Gull Street was always the stubborn one." in flat
    assert "They kept the light until morning" in flat


# --- the audit book: one case each of what once broke EPUBCheck or lost text ----------------------

def audit_page(name: str, built_epubs):
    return etree.fromstring(xhtml_files(built_epubs["audit"])[f"EPUB/{name}"])


def test_audit_book_builds_without_stray_output(built_epubs):
    book = built_epubs["audit"]
    assert book.result.returncode == 0, book.result.stderr
    assert "UserWarning" not in book.result.stderr, book.result.stderr  # zipfile's, for a duplicate name


def test_different_images_keep_different_names_and_pictures(built_epubs):
    import io

    from PIL import Image

    from conftest import AUDIT_IMAGES

    page = audit_page("chapter-002.xhtml", built_epubs)
    sources = [img.get("src") for img in page.iter(f"{{{XHTML['h']}}}img") if img.get("src").endswith(".png")]
    assert len(sources) == len(set(s.lower() for s in sources)) == len(AUDIT_IMAGES)
    with zipfile.ZipFile(built_epubs["audit"].epub) as z:
        for src, colour in zip(sources, AUDIT_IMAGES.values()):
            assert re.fullmatch(r"images/[a-z0-9._-]+", src), src
            assert Image.open(io.BytesIO(z.read(f"EPUB/{src}"))).convert("RGB").getpixel((1, 1)) == colour, src


def test_svg_images_are_packaged_without_scripts_or_remote_references(built_epubs):
    book = built_epubs["audit"]
    page = audit_page("chapter-002.xhtml", built_epubs)
    src = [img.get("src") for img in page.iter(f"{{{XHTML['h']}}}img") if img.get("src").endswith(".svg")][0]
    with zipfile.ZipFile(book.epub) as z:
        svg = z.read(f"EPUB/{src}").decode()
    for gone in ("<script", "onload", "onclick", "https:", "foreignObject", "@import", "xml-stylesheet"):
        assert gone not in svg, gone
    assert 'fill="url(#sky)"' in svg and 'class="sea"' in svg
    assert "02-maps.md:19: warning: image 'images/harbour.svg': removed event handler 'onload', <script>" in \
        book.result.stderr


def test_files_the_theme_refers_to_are_packaged(built_epubs):
    with zipfile.ZipFile(built_epubs["audit"].epub) as z:
        css = z.read("EPUB/css/epub.css").decode()
        urls = re.findall(r"url\(\"([^\"]+)\"\)", css)
        assert len(urls) == 2 and "url(never-packaged.png)" in css and "data:image/gif" in css
        manifest = {i.get("href"): i.get("media-type") for i in opf(built_epubs["audit"]).iter(f"{{{OPF['opf']}}}item")}
        for url in urls:
            assert re.fullmatch(r"[a-z0-9._/-]+", url) and "EPUB/css/" + url in z.namelist(), url
        assert manifest["css/" + urls[0]] == "font/ttf" and manifest["css/" + urls[1]] == "image/png"


def accessibility(book) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for m in opf(book).find("opf:metadata", OPF).findall("opf:meta", OPF):
        if (m.get("property") or "").startswith("schema:"):
            out.setdefault(m.get("property")[7:], []).append(m.text)
    return out


def test_accessibility_metadata_follows_the_content(built_epubs):
    plain, described, undescribed = (accessibility(built_epubs[n]) for n in ("plain", "every-key", "audit"))
    assert plain["accessMode"] == ["textual"] and "alternativeText" not in plain["accessibilityFeature"]
    assert "image" not in plain["accessibilitySummary"][0]
    assert "alternativeText" in described["accessibilityFeature"]
    assert described["accessibilitySummary"][0].endswith("describes its images in text.")
    assert "alternativeText" not in undescribed["accessibilityFeature"]
    assert undescribed["accessModeSufficient"] == ["textual,visual"]
    assert undescribed["accessibilitySummary"][0].endswith("some of its images have no text description.")


def test_description_leaves_notes_out(built_epubs):
    meta = opf(built_epubs["audit"]).find("opf:metadata", OPF)
    assert meta.findtext("dc:description", namespaces=OPF) == "The guild\u2019s ledger, kept in green ink."


def test_an_isbn_is_written_as_a_urn(built_epubs):
    assert opf(built_epubs["audit"]).findtext("opf:metadata/dc:identifier", namespaces=OPF) == "urn:isbn:9780000000002"
    page = audit_page("copyright.xhtml", built_epubs)
    assert "ISBN 9780000000002" in "".join(page.itertext())


def test_english_labels_in_another_language_are_marked_english(built_epubs):
    nav = audit_page("nav.xhtml", built_epubs)
    assert nav.get("lang") == "pl"
    heading = nav.find(".//h:h1", XHTML)
    assert (heading.text, heading.get("lang"), heading.get("{http://www.w3.org/XML/1998/namespace}lang")) == \
        ("Contents", "en", "en")
    label = audit_page("chapter-001.xhtml", built_epubs).find(".//h:span[@class='chapter-label']", XHTML)
    assert (label.text, label.get("lang")) == ("Chapter 1", "en")


def test_titles_that_look_like_markdown_stay_text_everywhere(built_epubs):
    titles = ["1. The Beginning", "- Dash Start", "> Quoted", "* * *", "Ten & <Eleven>", "Tight Heading",
              "Underlined Heading", "With Attr", "A Noted Title"]
    expected = [f"Chapter {n}: {title}" for n, title in enumerate(titles, start=1)]
    toc = audit_page("nav.xhtml", built_epubs).find(".//h:nav[@epub:type='toc']", XHTML)
    assert ["".join(a.itertext()) for a in toc.iter(f"{{{XHTML['h']}}}a")][:9] == expected
    with zipfile.ZipFile(built_epubs["audit"].epub) as z:
        ncx = etree.fromstring(z.read("EPUB/toc.ncx"))
    assert [t.text for t in ncx.iter(f"{{{NCX['n']}}}text")][1:10] == expected  # after the book's title
    for n, title in enumerate(titles, start=1):
        h1 = audit_page(f"chapter-{n:03d}.xhtml", built_epubs).find(".//h:h1", XHTML)
        assert [el.tag.split("}")[1] for el in h1.iter()][:4] == ["h1", "span", "span", "span"]
        assert " ".join("".join(h1.itertext()).split()) == f"Chapter {n}: {title}" + ("1" if n == 9 else "")
    first = audit_page("chapter-001.xhtml", built_epubs)
    assert "chapter-008.xhtml#intro" in [a.get("href") for a in first.iter(f"{{{XHTML['h']}}}a")]
    assert audit_page("chapter-008.xhtml", built_epubs).find(".//h:h1", XHTML).get("id") == "intro"
    assert "dead-link" not in built_epubs["audit"].result.stderr and "has no target" not in \
        built_epubs["audit"].result.stderr
