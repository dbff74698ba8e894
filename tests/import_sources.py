"""Sources for the import tests, built in the test's own folder from our own text: an archive download turned
into an EPUB as the archive's calibre step splits it, a FanFicFare EPUB, a Standard Ebooks `src/` folder, and a
Word file with headings, italics, a footnote, a picture and a scene break. (No tests here: builders only.)"""

from __future__ import annotations

import html
import io
import re
import zipfile
from pathlib import Path

from bs4 import BeautifulSoup

ARCHIVE_HTML = Path(__file__).resolve().parent / "fixtures" / "import" / "archive-download.html"
CONTAINER = ('<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
             '<rootfiles><rootfile full-path="{}" media-type="application/oebps-package+xml"/></rootfiles>'
             '</container>')


def xhtml(body: str, title: str = "x", body_attrs: str = "") -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" '
            'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>' + title + '</title></head>'
            f'<body{body_attrs}>{body}</body></html>')


def zip_with(path: Path, entries: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data, zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED)
    return path


def opf2(metadata: str, files: list[str]) -> str:
    items = "".join(f'<item id="i{n}" href="{f}" media-type="application/xhtml+xml"/>' for n, f in enumerate(files))
    spine = "".join(f'<itemref idref="i{n}"/>' for n in range(len(files)))
    return ('<?xml version="1.0" encoding="utf-8"?><package xmlns="http://www.idpf.org/2007/opf" version="2.0" '
            'unique-identifier="uid"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/" '
            f'xmlns:opf="http://www.idpf.org/2007/opf">{metadata}</metadata><manifest>{items}'
            '<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>'
            f'<item id="pic" href="OEBPS/images/coasts.png" media-type="image/png"/></manifest>'
            f'<spine toc="ncx">{spine}</spine></package>')


def archive_epub(path: Path) -> Path:
    """The fixture download as calibre splits it: the preface, one file per chapter, the afterword."""
    soup = BeautifulSoup(ARCHIVE_HTML.read_bytes(), "lxml")
    pieces = [str(soup.find(id="preface"))]
    chunk: list[str] = []
    for child in soup.find(id="chapters").find_all(True, recursive=False):
        if "group" in (child.get("class") or []) and chunk:
            pieces.append('<div class="userstuff">' + "".join(chunk) + "</div>")
            chunk = []
        chunk.append(str(child))
    pieces.append('<div class="userstuff">' + "".join(chunk) + "</div>")
    pieces.append(str(soup.find(id="afterword")))
    names = [f"The_Lighthouse_Ledger_split_{n:03d}.xhtml" for n in range(len(pieces))]
    metadata = ('<dc:title>The Lighthouse Ledger</dc:title><dc:creator opf:role="aut">quillandlantern, Marisol_Vey'
                '</dc:creator><dc:language>en</dc:language><dc:publisher>Archive of Our Own</dc:publisher>'
                '<dc:subject>Fanworks</dc:subject><dc:date>2023-06-18T00:00:00+00:00</dc:date>'
                '<meta name="calibre:series" content="Harbour Lights"/><meta name="calibre:series_index" '
                'content="2"/>')
    entries = {"mimetype": "application/epub+zip", "META-INF/container.xml": CONTAINER.format("content.opf"),
               "content.opf": opf2(metadata, names)}
    entries.update({name: xhtml(piece) for name, piece in zip(names, pieces)})
    return zip_with(path, entries)


FFF_CHAPTERS = [
    ("1. Dead Air", ["The static on channel nine had a texture, Mira swore, like wool pulled too tight.",
                     "“You’re late,” said the voice from the other coast. “Again.”",
                     "“I’m *early*, by my clock,” she said, and keyed off before he could answer."]),
    ("Chapter 2: Call Sign", ["He never gave his name. Only the call sign, and a weather report nobody asked for.",
                              "SCENE", "She drew the coasts on the back of a log sheet that night.", "PICTURE",
                              "“*Over*,” he said at last, very softly."]),
    ("Clear Channel", ["On the ninety-first night the channel was clear… and empty.",
                       "She waited until dawn—then she went to find him."]),
]


def fanficfare_epub(path: Path) -> tuple[Path, list[str]]:
    from conftest import png

    picture = png(path.parent / "coasts-source.png", 40, 30).read_bytes()
    title_page = ('<h3><a href="https://www.fanfiction.net/s/1234567/1/Salt-and-Signal">Salt and Signal</a> by '
                  '<a href="https://www.fanfiction.net/u/1/">Perrin Ashgrove</a></h3><div>'
                  '<b>Category:</b> Misc » Radio<br /><b>Status:</b> Completed<br />'
                  '<b>Summary:</b> Two radio operators on opposite coasts argue every night.<br /></div>')
    toc_page = '<div><h3>Table of Contents</h3>' + "".join(
        f'<a href="file{n:04d}.xhtml">{t}</a><br />' for n, (t, _) in enumerate(FFF_CHAPTERS, 1)) + "</div>"
    entries = {"mimetype": "application/epub+zip", "META-INF/container.xml": CONTAINER.format("content.opf"),
               "OEBPS/title_page.xhtml": xhtml(title_page, "Salt and Signal by Perrin Ashgrove",
                                               ' class="fff_titlepage"'),
               "OEBPS/toc_page.xhtml": xhtml(toc_page, "Salt and Signal", ' class="fff_tocpage"'),
               "OEBPS/images/coasts.png": picture}
    paragraphs = []
    for n, (title, texts) in enumerate(FFF_CHAPTERS, 1):
        blocks = []
        for text in texts:
            if text == "SCENE":
                blocks.append("<div class='center'>* * *</div>")
            elif text == "PICTURE":
                blocks.append('<p><img src="images/coasts.png" alt="A map of the two coasts, with a dotted line '
                              'between them"/></p>')
            else:
                blocks.append("<p>" + re.sub(r"\*(.+?)\*", r"<i>\1</i>", html.escape(text, quote=False)) + "</p>")
                paragraphs.append(text.replace("*", ""))
        body = (f'<h3 class="fff_chapter_title">{title}</h3><div class="storytext xcontrast_txt nocopy" '
                f'id="storytext">{"".join(blocks)}</div>')
        entries[f"OEBPS/file{n:04d}.xhtml"] = xhtml(body, title, ' class="fff_chapter"')
    description = html.escape("<p>Two radio operators on opposite coasts argue every night.</p><p>Then one night "
                              "the other end goes <i>quiet</i>.</p>")
    url = "https://www.fanfiction.net/s/1234567/1/Salt-and-Signal"
    metadata = (
        '<dc:identifier id="uid">fanficfare-uid:www.fanfiction.net-u1-s1234567</dc:identifier>'
        '<dc:title id="id">Salt and Signal</dc:title><dc:creator opf:role="aut">Perrin Ashgrove</dc:creator>'
        '<dc:creator opf:role="aut">Juno Castellane</dc:creator><dc:contributor>FanFicFare '
        '[https://github.com/JimmXinu/FanFicFare]</dc:contributor><dc:language>en</dc:language>'
        '<dc:date opf:event="publication">2021-09-14</dc:date><dc:date opf:event="creation">2024-02-02</dc:date>'
        '<dc:date opf:event="modification">2022-01-30</dc:date>'
        '<meta name="calibre:timestamp" content="2022-01-30T00:00:00"/>'
        '<meta name="calibre:series" content="Static Hearts"/><meta name="calibre:series_index" content="3.00"/>'
        f'<dc:description>{description}</dc:description><dc:subject>Romance</dc:subject>'
        '<dc:subject>Drama</dc:subject><dc:subject>Completed</dc:subject><dc:subject>Radio</dc:subject>'
        f'<dc:publisher>www.fanfiction.net</dc:publisher><dc:identifier opf:scheme="URL">{url}</dc:identifier>'
        f'<dc:source>{url}</dc:source>')
    files = ["OEBPS/title_page.xhtml", "OEBPS/toc_page.xhtml"] + [f"OEBPS/file{n:04d}.xhtml" for n in (1, 2, 3)]
    entries["content.opf"] = opf2(metadata, files)
    entries["toc.ncx"] = "<ncx/>"
    return zip_with(path, entries), paragraphs


SE_OPF = """<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid" xml:lang="en-US">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:identifier id="uid">https://standardebooks.org/ebooks/ada-merriweather/the-tidewater-papers</dc:identifier>
<dc:date>2020-03-01T00:00:00Z</dc:date><dc:publisher id="publisher">Standard Ebooks</dc:publisher>
<dc:rights>Dedicated to the public domain via the [CC0 1.0 Dedication](https://creativecommons.org/publicdomain/zero/1.0/).</dc:rights>
<dc:title id="title">The Tidewater Papers</dc:title><dc:language>en-GB</dc:language>
<meta id="collection-1" property="belongs-to-collection">Tidewater</meta>
<meta property="collection-type" refines="#collection-1">series</meta>
<meta property="group-position" refines="#collection-1">1</meta>
<dc:description>Stories of a harbour town.</dc:description>
<dc:creator id="author">Ada Merriweather</dc:creator><meta property="role" refines="#author">ann</meta>
<meta property="role" refines="#author">aut</meta><meta property="role" refines="#author">dto</meta>
<dc:contributor id="artist">Some Painter</dc:contributor><meta property="role" refines="#artist">art</meta>
<dc:contributor id="translator">Constance Garnett</dc:contributor>
<meta property="role" refines="#translator" scheme="marc:relators">trl</meta>
</metadata>
<manifest>{items}<item href="toc.xhtml" id="toc.xhtml" media-type="application/xhtml+xml" properties="nav"/>
</manifest><spine>{spine}</spine></package>"""

SE_PAGES = {
    "titlepage": '<section epub:type="titlepage"><h1 epub:type="title">The Tidewater Papers</h1></section>',
    "imprint": '<section epub:type="imprint"><header><h2 epub:type="title">Imprint</h2></header><p>An ebook.</p>'
               '</section>',
    "chapter-1": '<article id="c1" epub:type="se:short-story"><hgroup><h2 epub:type="ordinal">I</h2>'
                 '<p epub:type="title">The Harbour Office</p></hgroup><section id="c1-1" epub:type="chapter">'
                 '<h3 epub:type="ordinal z3998:roman">I</h3><p>The clerk kept the tide tables<a href="endnotes.xhtml'
                 '#note-1" id="noteref-1" epub:type="noteref">1</a> in a drawer that stuck.</p></section>'
                 '<section id="c1-2" epub:type="chapter"><h3 epub:type="ordinal z3998:roman">II</h3>'
                 '<p>Nobody asked why.</p></section></article>',
    "chapter-2": '<section id="c2" epub:type="chapter"><h2 epub:type="title">A Question of Ballast</h2>'
                 '<p>The ship sat too high in the water.</p><hr/><p>By noon it sat lower.</p></section>',
    "chapter-3": '<section id="c3" epub:type="chapter"><header><h2 epub:type="z3998:ordinal z3998:roman">III</h2>'
                 '<p epub:type="se:bridgehead">In which the ballast is found wanting.</p></header>'
                 '<p>The mate counted the stones twice.</p></section>',
    "endnotes": '<section id="endnotes" epub:type="backmatter endnotes"><h2 epub:type="title">Endnotes</h2><ol>'
                '<li id="note-1" epub:type="endnote"><p>Printed yearly by the harbour board. <a href="chapter-1.'
                'xhtml#noteref-1" epub:type="backlink">↩</a></p></li></ol></section>',
    "colophon": '<section epub:type="colophon"><header><h2 epub:type="title">Colophon</h2></header>'
                '<p>Made with care.</p></section>',
}

SE_LABELS: dict[str, str] = {}  # the contents' entries (toc.xhtml): page name → label


def standard_ebooks_folder(root: Path) -> Path:
    text = root / "epub" / "text"
    text.mkdir(parents=True)
    (root / "META-INF").mkdir()
    (root / "mimetype").write_text("application/epub+zip", encoding="utf-8")
    (root / "META-INF" / "container.xml").write_text(CONTAINER.format("epub/content.opf"), encoding="utf-8")
    for name, body in SE_PAGES.items():
        (text / f"{name}.xhtml").write_text(xhtml(body, name, ' epub:type="bodymatter"'), encoding="utf-8")
    contents = "".join(f'<li><a href="text/{name}.xhtml">{label}</a></li>' for name, label in SE_LABELS.items())
    (root / "epub" / "toc.xhtml").write_text(xhtml(
        f'<nav epub:type="toc"><ol>{contents}</ol></nav>'
        '<nav epub:type="landmarks"><ol><li><a href="text/titlepage.xhtml" epub:type="titlepage">Titlepage</a>'
        '</li><li><a href="text/chapter-1.xhtml" epub:type="bodymatter">Text</a></li></ol></nav>'), encoding="utf-8")
    items = "".join(f'<item href="text/{n}.xhtml" id="{n}" media-type="application/xhtml+xml"/>' for n in SE_PAGES)
    spine = "".join(f'<itemref idref="{n}"/>' for n in SE_PAGES)
    (root / "epub" / "content.opf").write_text(SE_OPF.format(items=items, spine=spine), encoding="utf-8")
    return root


def docx_file(path: Path) -> tuple[Path, list[str]]:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    from conftest import png

    document = docx.Document()
    document.core_properties.author = "Tamsin Rook"
    document.core_properties.language = "en-GB"
    document.core_properties.title = ""
    document.core_properties.comments = ""
    document.add_paragraph("The Quiet Orchard", style="Title")
    document.add_paragraph("A Novella", style="Subtitle")
    paragraphs = []

    def para(*runs: tuple[str, str]) -> None:
        p = document.add_paragraph()
        for text, kind in runs:
            run = p.add_run(text)
            run.italic = kind == "i"
            run.bold = kind == "b"
            run.underline = kind == "u"
            run.font.strike = kind == "s"
        paragraphs.append("".join(t for t, k in runs if k != "fn"))

    document.add_heading("Chapter 1: Blossom", level=1)
    para(("The trees were ", ""), ("very", "i"), (" old, and she had ", ""), ("never", "b"), (" pruned them.", ""))
    para(("She found the old pruning knife.", ""), ("[[FN1]]", "fn"))
    document.add_paragraph("*").alignment = WD_ALIGN_PARAGRAPH.CENTER
    para(("By May the orchard was white again—whiter than she remembered.", ""))
    document.add_heading("Frost", level=1)
    para(("The cold came early that year…", ""))
    document.add_picture(str(png(path.parent / "tree.png", 60, 80, (30, 120, 40))))
    para(("“Cover the young ones,” her neighbour said.", ""))
    document.add_heading("Harvest", level=1)
    para(("There were apples enough for everyone, and a few to spare.", ""))
    para(("Her list said ", ""), ("pears", "s"), (" apples, and a ", ""), ("great", "u"), (" many of them.", ""))
    document.save(path)
    return _with_footnote(path), paragraphs


def _with_footnote(path: Path) -> Path:
    """python-docx writes no footnotes: add the part, its relationship, and the reference by hand."""
    footnotes = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes xmlns:w="http://schemas.'
                 'openxmlformats.org/wordprocessingml/2006/main"><w:footnote w:type="separator" w:id="-1"><w:p>'
                 '<w:r><w:separator/></w:r></w:p></w:footnote><w:footnote w:type="continuationSeparator" w:id="0">'
                 '<w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote><w:footnote w:id="1"><w:p><w:r>'
                 '<w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> Her grandmother’s, by the look of the '
                 'handle.</w:t></w:r></w:p></w:footnote></w:footnotes>')
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    document = parts["word/document.xml"].decode()
    document = re.sub(r"<w:r>(?:(?!</w:r>).)*\[\[FN1\]\](?:(?!</w:r>).)*</w:r>",
                      '<w:r><w:footnoteReference w:id="1"/></w:r>', document, flags=re.S)
    document = re.sub(r'(<wp:docPr [^>]*?)(/?>)', r'\1 descr="An apple tree drawn in pencil"\2', document)
    parts["word/document.xml"] = document.encode()
    rels = parts["word/_rels/document.xml.rels"].decode().replace(
        "</Relationships>", '<Relationship Id="rIdFootnotes" Type="http://schemas.openxmlformats.org/officeDocument/'
                            '2006/relationships/footnotes" Target="footnotes.xml"/></Relationships>')
    parts["word/_rels/document.xml.rels"] = rels.encode()
    types = parts["[Content_Types].xml"].decode().replace(
        "</Types>", '<Override PartName="/word/footnotes.xml" ContentType="application/vnd.openxmlformats-'
                    'officedocument.wordprocessingml.footnotes+xml"/></Types>')
    parts["[Content_Types].xml"] = types.encode()
    parts["word/footnotes.xml"] = footnotes.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path
