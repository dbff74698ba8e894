"""Project Gutenberg's own text around a book, taken off on import: its header (the eBook's licence
notice and catalogue lines, ending "*** START OF THE PROJECT GUTENBERG EBOOK …"), its footer (from
"*** END OF THE PROJECT GUTENBERG EBOOK …": the full licence), and in HTML its page-number markers
(elements of class `pagenum`), which are the printed edition's, not the book's. The header's "Title:",
"Author:" and "Language:" lines give the book's metadata where the file gives none better.

Project Gutenberg's permission page (https://www.gutenberg.org/policy/permission.html): a book made from
an eBook's public-domain text leaves out the Project Gutenberg licence and every reference to Project
Gutenberg. Older files say "THIS PROJECT GUTENBERG EBOOK" in the markers, newer ones "THE".
Also taken out: an "enlarge" icon linked to an illustration's full size (enlarge_icon()).
"""

from __future__ import annotations

import re

START_RE = re.compile(r"\*\*\*\s*START OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK\b[^*]*\*\*\*", re.I)
END_RE = re.compile(r"\*\*\*\s*END OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK\b[^*]*\*\*\*", re.I)
# The line older plain texts put before the END marker, part of the footer ("End of the Project Gutenberg
# EBook of Entre Nous, by Lucie Vos"): it came in as the last chapter's last paragraph.
END_LINE_RE = re.compile(r"\n[ \t]*End of (?:the |this )?Project Gutenberg(?:'s?|’s)?\b[^\n]*\s*$", re.I)
# The volunteers' credit right after the START marker, a paragraph ("Produced by Rick Niles, Melissa
# Er-Raqabi, Ronald Holder and the / Online Distributed Proofreading Team at http://www.pgdp.net"): part
# of the header. Its second line came in as a chapter of its own once the text was split at its headings.
CREDIT_LINE_RE = re.compile(r"^(?:Produced by|E-?text prepared by)\b", re.I)
# What an older eBook sets after the START marker besides the credit, each a paragraph, in a run at the text's
# start: its own heading again, the row of asterisks under it ("The Project Gutenberg Etext of Candide / by
# Voltaire / (#6 in our series by Voltaire)", "***"), its credit in a sentence ("This eBook was produced by
# Carlo Traverso."), its catalogue lines again ("Author: Émile Zola", "Remark: n. 13 of …", "Encoding:
# ISO-8859-1"), and its thanks for the scans it was made from ("We thank the Bibliotheque Nationale de France
# that has made available the image files at www://gallica.bnf.fr …", in English and French): Carlo
# Traverso's French texts (Germinal, Candide) came in with all of it as their first chapter.
OLD_HEADING_RE = re.compile(r"^The Project Gutenberg E-?(?:text|book) of\b", re.I)
SENTENCE_CREDIT_RE = re.compile(r"^This e-?(?:book|text) was (?:produced|prepared) by\b", re.I)
CATALOGUE_LINE_RE = re.compile(r"^(?:Title|Author|Remark|Language|Encoding|Edition|Release Date|Posting Date|"
                               r"Character set encoding):[ \t]*\S", re.I)
THANKS_RE = re.compile(r"^(?:We thank|Thanks to|Nous remercions|Merci)\b.*\b(?:gallica|OCR|e-?texte?|image files|"
                       r"scans?|images)\b", re.I | re.S)
FIELD_RE = re.compile(r"^(Title|Author|Language):[ \t]*(\S.*?)[ \t]*$", re.M)
LANGUAGES = {"english": "en", "french": "fr", "german": "de", "spanish": "es", "italian": "it", "dutch": "nl",
             "portuguese": "pt", "finnish": "fi", "swedish": "sv", "danish": "da", "norwegian": "no",
             "latin": "la", "polish": "pl", "hungarian": "hu", "greek": "el", "russian": "ru", "czech": "cs"}


def header_fields(text: str) -> dict:
    """The book's title, author and language from a Project Gutenberg header's lines (the first line of
    each field: a title's second line is its subtitle, which bookmaker's `subtitle` takes)."""
    meta: dict = {}
    for match in FIELD_RE.finditer(text):
        key, value = match.group(1).lower(), match.group(2)
        if key == "language":
            code = LANGUAGES.get(value.lower())
            if code:
                meta["language"] = code
        elif key not in meta:
            meta[key] = value
    title = re.search(r"^Title:[ \t]*\S.*\n[ \t]+(\S.*?)[ \t]*$", text, re.M)
    if title and "title" in meta:
        meta["subtitle"] = title.group(1)
    return meta


def text_without_boilerplate(text: str) -> tuple[str, dict]:
    """A plain-text eBook without Project Gutenberg's header and footer, and the header's fields; the
    text as it was, and no fields, where it has no such header."""
    start = START_RE.search(text)
    if start is None:
        return text, {}
    end = END_RE.search(text, start.end())
    body = text[start.end(): end.start() if end else len(text)]
    return without_furniture(END_LINE_RE.sub("\n", body).lstrip("\n")), header_fields(text[:start.start()])


def without_furniture(body: str) -> str:
    """`body` without the run of paragraphs at its start that are the eBook's, not the book's: the
    volunteers' credit (CREDIT_LINE_RE) and, in an older eBook (OLD_HEADING_RE and the rest), its heading
    again (and a row of asterisks right after it), its credit in a sentence, its catalogue lines, its thanks
    for the scans. Only a credit or a heading begins the run: a book whose first line is "Title: …" keeps it."""
    paragraphs = re.split(r"\n[ \t\r]*\n", body)
    taken, begun = 0, False
    for n, paragraph in enumerate(paragraphs):
        text = paragraph.strip()
        if not text:
            continue
        if OLD_HEADING_RE.match(text) or SENTENCE_CREDIT_RE.match(text) or CREDIT_LINE_RE.match(text):
            begun = True
        elif not (begun and _ebooks_own(text, paragraphs[n - 1])):
            break
        taken = n + 1
    return re.sub(r"\A(?:[ \t\r]*\n)+", "", "\n\n".join(paragraphs[taken:])) if taken else body


def _ebooks_own(text: str, before: str) -> bool:
    """Whether a paragraph after an older eBook's credit or heading is the eBook's too: its thanks for the
    scans, its catalogue lines, or the row of asterisks right under its heading."""
    return bool(THANKS_RE.match(text) or all(CATALOGUE_LINE_RE.match(line.strip()) for line in text.splitlines())
                or (re.fullmatch(r"\*+", text) and OLD_HEADING_RE.match(before.strip())))


def strip_html(body) -> dict:
    """Take Project Gutenberg's header, footer and page numbers out of an HTML eBook's <body> (a
    BeautifulSoup tag), in place; the header's fields, or none where it has no such header."""
    for number in body.find_all(class_="pagenum"):
        number.decompose()
    for link in body.find_all("a", href=PICTURE_RE):
        if enlarge_icon(link):
            link.decompose()
    for link in body.find_all("a", href=re.compile(r"^#")):
        holder = link.parent
        if BACK_TO_CONTENTS_RE.match(link.get_text(" ", strip=True)) and holder is not None and \
                holder.name in ("p", "div") and holder.get_text(" ", strip=True) == link.get_text(" ", strip=True):
            holder.decompose()
    start = body.find(string=START_RE)
    if start is None:
        return {}
    header = top_level(body, start)
    if holds_book(header, START_RE, after=True):  # the book and its header in one element: the marker goes
        before, after = START_RE.split(start, 1)
        start.replace_with(before + after)
        fields = header_fields(before)
        return fields
    fields = header_fields(header.get_text("\n"))
    for element in list(header.find_previous_siblings()):
        fields = header_fields(element.get_text("\n")) | fields
        element.extract()
    end = body.find(string=END_RE)
    if end is not None:
        footer = top_level(body, end)
        if footer is not header and not holds_book(footer, END_RE, after=False):
            for element in list(footer.find_next_siblings()):
                element.extract()
            footer.extract()
    credit = header.find_next_sibling(lambda el: el.get_text(strip=True) != "")
    if credit is not None and CREDIT_LINE_RE.match(credit.get_text(" ", strip=True)) and len(credit.get_text().split()) <= 40:
        credit.decompose()  # the volunteers' credit, as the plain text's (without_furniture): Marianela's is an <h3>
    header.extract()
    return fields


PICTURE_RE = re.compile(r"\.(?:jpe?g|png|gif|webp)$", re.I)
# A paragraph that is only a link back to the contents, under each chapter's heading (Jack Sheppard's
# "ToC"): the file's own navigation, which the book's contents replace.
BACK_TO_CONTENTS_RE = re.compile(r"^\[?(?:toc|contents|table of contents|back to (?:the )?(?:contents|top|toc)|top)\]?\.?$", re.I)


def enlarge_icon(link) -> bool:
    """A link to a picture holding only a small icon (at most 32 pixels each way): Project Gutenberg's
    "enlarge" beside an illustration, which leads to its full size on the web and means nothing in a
    book."""
    images = link.find_all("img")
    if len(images) != 1 or link.get_text(strip=True):
        return False
    try:
        return max(int(images[0].get("width", "")), int(images[0].get("height", ""))) <= 32
    except ValueError:
        return False


BOOK_TEXT = 3000  # characters: more than a header's credits ("Produced by …") or a footer's last words


def holds_book(element, marker: re.Pattern, after: bool) -> bool:
    """Whether `element` holds the book's text as well as the header (the text after its START marker)
    or the footer (the text before its END marker): then it is not taken out."""
    text = element.get_text()
    found = marker.search(text)
    if found is None:  # the marker split across elements: nothing is taken out but it
        return True
    return len((text[found.end():] if after else text[:found.start()]).strip()) > BOOK_TEXT


def top_level(body, node):
    """The child of `body` that holds `node`."""
    while node.parent is not None and node.parent is not body:
        node = node.parent
    return node
