"""HTML to the Markdown an author would write: *emphasis*, **strong**, scene breaks as `* * *`, footnotes as
`[^1]`, pictures copied into images/, typographic characters left as they are; no styles, classes or spans."""

from __future__ import annotations

import io
import posixpath
import re
import warnings

from bs4 import BeautifulSoup, NavigableString, Tag
from markdownify import MarkdownConverter
from PIL import Image

from bookmaker.importers.project import slug
from bookmaker.importers.sources import SourceFiles, inside_name
from bookmaker.model import MIN_COVER_PIXELS

# A paragraph of nothing but these is a scene break however the source drew it (`*`, `* * *`, `#`, `~~~`, `—`…).
SCENE_BREAK_RE = re.compile(r"^[\s*∗⁂•·~#\-–—_=+❦❧☙✻✽❋◇◆○●□■§]{1,40}$")
NOTE_TOKEN_RE = re.compile("\ue000(\\d+)\ue001")
# A passage in another language than the text around it (mark_languages()): its start and end, which
# html_to_markdown() makes a <span lang>.
LANGUAGE_END = "\ue004"
LANGUAGE_RE = re.compile("\ue002([A-Za-z0-9-]+)\ue003")
LANGUAGE_MARK_RE = re.compile("\ue002[A-Za-z0-9-]*\ue003|\ue004")  # either mark, for a title's plain text
MARKS_RE = re.compile("[\ue000-\ue004]")  # any of the marks above, left over
LANGUAGE_TAG_RE = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
PHRASING = {"i", "em", "b", "strong", "span", "cite", "q", "a", "abbr", "small", "sub", "sup", "mark", "dfn", "var",
            "code", "s", "u", "bdi", "bdo", "time", "data", "ruby", "kbd", "samp"}
PARAGRAPHS = ("p", "li", "dt", "dd", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "caption")
BLOCK_START_RE = re.compile(r"^(\s*)(#{1,6}(?=\s|$)|>|[-+*](?=\s)|\d{1,9}(?=[.)]\s)|=+\s*$|-+\s*$)")
PICTURE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}
LINKED_PICTURE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".webp"}  # a thumbnail's full size (Converter.full_size)
COVER_TYPES = (".jpg", ".jpeg", ".png")  # what book.yaml's `cover` takes


def one_line(text: str) -> str:
    """`text` with each run of white space (line breaks too) made one space, and none at its ends."""
    return re.sub(r"\s+", " ", text).strip()


def is_scene_break(text: str) -> bool:
    text = text.replace("\xa0", " ").strip()
    return bool(text) and bool(SCENE_BREAK_RE.match(text))


def escape_block_start(line: str) -> str:
    """A paragraph that happens to begin like a heading, quote, list or rule, kept a paragraph."""
    match = BLOCK_START_RE.match(line)
    if not match:
        return line
    lead, mark = match.group(1), match.group(2)
    rest = line[len(lead) + len(mark):]
    if mark[0].isdigit():
        return f"{lead}{mark}\\{rest}"
    return f"{lead}\\{mark}{rest}"


class Images:
    """The pictures a book uses, gathered under manuscript/images with safe, unique names."""

    def __init__(self, files: SourceFiles | None = None):
        self.files = files
        self.saved: dict[str, bytes] = {}
        self._by_source: dict[str, str] = {}

    def add_bytes(self, data: bytes, suggested: str) -> str:
        stem, ext = posixpath.splitext(posixpath.basename(suggested))
        ext = ext.lower() if ext.lower() in PICTURE_TYPES else ".png"
        base = slug(stem, "picture")
        name, n = f"{base}{ext}", 2
        while name in self.saved and self.saved[name] != data:
            name, n = f"{base}-{n}{ext}", n + 1
        self.saved[name] = data
        return f"images/{name}"

    def cover(self, source_name: str | None) -> str | None:
        """The source's cover picture `source_name` copied with the book's pictures: its manuscript-relative
        path (the same name as the text's own <img> of it gets). None where the source does not hold it,
        it is not a JPEG or PNG, or it is smaller than the stores take: the book would not build with it,
        and `check` then suggests `cover: auto`."""
        if not source_name or not source_name.lower().endswith(COVER_TYPES) or self.files is None \
                or not self.files.exists(source_name):
            return None
        data = self.files.read(source_name)
        try:
            with warnings.catch_warnings():  # only its size is read: a huge one is no bomb here
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(data)) as picture:
                    width, height = picture.size
        except (OSError, ValueError, Image.DecompressionBombError):
            return None
        if width < MIN_COVER_PIXELS[0] or height < MIN_COVER_PIXELS[1]:
            return None
        return self.add_bytes(data, source_name)

    def add(self, source_name: str) -> str | None:
        """The manuscript-relative path of the copied picture, or None when the source does not hold it
        or it is no picture: a Markdown or HTML file's `![](.ssh/id_rsa)` copied that file into the
        project as `images/id-rsa.png`."""
        if source_name in self._by_source:
            return self._by_source[source_name]
        if self.files is None or not self.files.exists(source_name):
            return None
        data = self.files.read(source_name)
        if not is_picture(data):
            return None
        path = self.add_bytes(data, source_name)
        self._by_source[source_name] = path
        return path


def is_picture(data: bytes) -> bool:
    """Whether `data` is a PNG, JPEG, GIF, WebP or SVG picture, by what it begins with."""
    if data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")) or \
            (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return True
    head = data[:4096].lstrip(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"<") and b"<svg" in head


INDENT_CLASS_RE = re.compile(r"(?:^|\s)i([1-9])(?:\s|$)")


def _style(el: Tag) -> str:
    return (el.get("style") or "").replace(" ", "").lower()


class Converter(MarkdownConverter):
    def __init__(self, base: str, images: Images):
        self._numbers: dict[int, tuple[Tag, dict[int, int]]] = {}  # a numbered list's items' numbers
        super().__init__(heading_style="ATX", bullets="-", strong_em_symbol="*", escape_misc=False,
                         escape_asterisks=True, escape_underscores=True, autolinks=True, sup_symbol="",
                         sub_symbol="", wrap=True, wrap_width=None)
        self.base = base
        self.images = images

    def convert_hr(self, el, text, parent_tags):
        return "\n\n* * *\n\n"

    def convert_p(self, el, text, parent_tags):
        if "_inline" not in parent_tags and el.find("img") is None and is_scene_break(el.get_text()):
            return "\n\n* * *\n\n"
        if "stage-direction" in _types(el) and text.strip() and el.find("i", attrs={"epub:type": True}) is None:
            # A play's stage direction set as a paragraph of its own (Standard Ebooks' "Act Drop" at an act's
            # end): in italics, as those inside a speech are; it came in set like dialogue.
            text = self.convert_em(el, text, parent_tags)
        out = super().convert_p(el, text, parent_tags)
        if "_inline" in parent_tags or not out:
            return out
        lines = out.strip("\n").split("\n")
        return "\n\n" + "\n".join(escape_block_start(line) for line in lines) + "\n\n"

    def convert_div(self, el, text, parent_tags):
        blocks = el.find(["p", "div", "blockquote", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "pre"])
        if blocks is None and el.find("img") is None and is_scene_break(el.get_text()):
            return "\n\n* * *\n\n"
        if blocks is None and text.strip() and "_inline" not in parent_tags:
            return self.convert_p(el, text, parent_tags)  # a div used as a paragraph (FanFicFare, pasted HTML)
        return super().convert_div(el, text, parent_tags)

    def convert_span(self, el, text, parent_tags):
        indent = INDENT_CLASS_RE.search(" ".join(el.get("class") or []))
        if indent and text.strip() and el.find_parent("p") is not None and el.find_parent("p").find("br") is not None:
            # A line of verse set in by the source's indent class (Standard Ebooks' and Project Gutenberg's
            # i1 to i9: "Fallen cold and dead." four steps in, in "O Captain! My Captain!"): that many em
            # spaces before it, which Markdown keeps and no reader collapses. It came in flush left.
            text = "\u2003" * int(indent.group(1)) + text.lstrip()
        style = _style(el)
        if "font-weight:bold" in style or "font-weight:700" in style or "font-weight:600" in style:
            text = self.convert_strong(el, text, parent_tags)
        if "font-style:italic" in style:
            text = self.convert_em(el, text, parent_tags)
        return text

    def convert_a(self, el, text, parent_tags):
        href = el.get("href") or ""
        if not re.match(r"^(https?|mailto):", href):
            return text  # a link into the source's own files means nothing in the new book
        return super().convert_a(el, text, parent_tags)

    def convert_img(self, el, text, parent_tags):
        src = el.get("src") or ""
        alt = (el.get("alt") or "").replace("[", "(").replace("]", ")").strip()
        if el.get("data-bookmaker-image"):
            path = src
        else:
            full = self.full_size(el)
            name = inside_name(self.base, src)
            path = (self.images.add(full) if full else None) or (self.images.add(name) if name else None)
        if path is None:
            if re.match(r"^https?://", src):
                return f"[{alt or 'Picture'}]({src})"
            return alt
        return f"![{alt}]({path})"

    def full_size(self, el: Tag) -> str | None:
        """The source's name of the picture that the link around `el`, a thumbnail and all the link holds,
        leads to: Project Gutenberg's picture books link each thumbnail to its full size (The Tale of
        Benjamin Bunny: `<a href="images/03.jpg"><img src="images/03-tb.jpg"></a>`, 355 × 400 pixels
        against 1066 × 1200). The thumbnail came in, and printed at 98 ppi, which KDP refuses. None where
        there is no such link; Images.add then refuses a name outside the source or a file that is no
        picture, and the thumbnail is kept."""
        link = el.parent
        if link is None or link.name != "a" or link.get_text(strip=True) or \
                [child for child in link.children if isinstance(child, Tag)] != [el]:
            return None
        name = inside_name(self.base, link.get("href") or "")
        return name if name and posixpath.splitext(name)[1].lower() in LINKED_PICTURE_TYPES else None

    def convert_font(self, el, text, parent_tags):
        return text

    def convert_pre(self, el, text, parent_tags):
        """Preformatted text as a quotation: Project Gutenberg's HTML sets a document read aloud (The Hound
        of the Baskervilles' legend, a newspaper's columns) or a transcriber's note in <pre>, and the fence
        markdownify wrote is no Markdown the book reads: it printed "```" and a block of code. A block whose
        lines run on, half of them at least beginning in lower case (prose wrapped at a printed page's
        measure), is joined into a paragraph; others (verse, whose lines begin with capitals, an address)
        are kept as lines, set in by em spaces where the source indents them."""
        text = re.sub(r"[ \t]*\\?\n\n(?=[^\n])", "\n", text) if el.find("br") is not None else text  # <br> and newline: one
        blocks = [block for block in re.split(r"\n[ \t]*\n", text.replace("\r", "").strip("\n")) if block.strip()]
        if not blocks:
            return ""
        out = []
        for block in blocks:
            lines = [line.rstrip() for line in block.split("\n") if line.strip()]
            margin = min(len(line) - len(line.lstrip(" ")) for line in lines)
            starts = [next((c for c in line if c.isalpha()), "") for line in lines[1:]]
            if starts and sum(1 for c in starts if c.islower()) * 2 >= len(starts):  # lines that run on: prose
                out.append(" ".join(line.strip() for line in lines))
            else:
                out.append("  \n".join("\u2003" * round((len(line) - len(line.lstrip(" ")) - margin) / 3)
                                       + line.strip() for line in lines))
        quoted = "\n>\n".join("\n".join(f"> {line}" for line in block.split("\n")) for block in out)
        return f"\n\n{quoted}\n\n"

    def convert_li(self, el, text, parent_tags):
        """A list item's lines after its first indented by four spaces, as Python-Markdown reads them:
        markdownify indents them by the bullet's width ("1. ": three), and an item's second paragraph
        left the list, taking the items after it along as one paragraph ("… of merit. 9. Wang Hsi …":
        Standard Ebooks' The Art of War)."""
        text = (text or "").strip()
        if not text:
            return "\n"
        bullet = self.bullet(el) + " "
        first, newline, rest = text.partition("\n")
        if not newline:
            return f"{bullet}{first}\n"
        indent = " " * max(4, len(bullet))
        out = bullet + first + "\n" + "\n".join(indent + line if line else "" for line in rest.split("\n")) + "\n"
        if len(bullet) >= 4:
            return out
        # After a paragraph of its own, the next item's line would run on in it: a blank line ends the item.
        return out.rstrip("\n") + "\n\n" if "\n\n" in out.strip("\n") else out

    def bullet(self, el) -> str:
        """A list item's mark: its number in a numbered list (from the list's `start`), else a bullet
        by how deep the item is. Each list's items numbered once: counted anew for each item, the 20,000
        items of a security review's list took 44 s."""
        parent = el.parent
        if parent is not None and parent.name == "ol":
            start = int(parent["start"]) if str(parent.get("start") or "").isnumeric() else 1
            numbers = self._numbers.get(id(parent))
            if numbers is None or numbers[0] is not parent:
                items = [child for child in parent.children if isinstance(child, Tag) and child.name == "li"]
                numbers = self._numbers[id(parent)] = (parent, {id(item): n for n, item in enumerate(items)})
            return f"{start + numbers[1].get(id(el), 0)}."
        depth = sum(1 for node in (el, *el.parents) if node.name == "ul") - 1
        bullets = self.options["bullets"]
        return bullets[depth % len(bullets)]

    def convert_s(self, el, text, parent_tags):
        """Struck-through words as <s>, which Markdown passes through: markdownify wrote `~~`, which
        Python-Markdown does not read, and the book printed the tildes (a Word document's strikethrough)."""
        stripped = text.strip()
        if not stripped:
            return text
        return f"{text[:len(text) - len(text.lstrip())]}<s>{stripped}</s>{text[len(text.rstrip()):]}"

    convert_del = convert_strike = convert_s


def html_to_markdown(fragment: Tag | str, base: str, images: Images) -> str:
    if isinstance(fragment, str):
        fragment = BeautifulSoup(fragment, "lxml")
    tight_line_breaks(fragment)
    footers_in_bodies(fragment)
    markdown = Converter(base, images).convert_soup(fragment)
    markdown = LANGUAGE_RE.sub(r'<span lang="\1">', markdown).replace(LANGUAGE_END, "</span>")
    return tidy(markdown)


def _language(el: Tag) -> str | None:
    value = el.get("xml:lang") or el.get("lang")
    return str(value).strip() if value and LANGUAGE_TAG_RE.match(str(value).strip()) else None


def _opening(language: str) -> str:
    return f"\ue002{language}\ue003"


def _primary(language: str | None) -> str:
    return (language or "").split("-")[0].lower()


def mark_languages(body: Tag, language: str | None) -> None:
    """Each passage in another language than the text around it (Standard Ebooks' <i xml:lang="la">, a
    French quotation in an English book) marked, in place, to come out of html_to_markdown() as a
    <span lang>: screen readers then speak it in its language (WCAG 2 Language of Parts, 3.1.2). The
    language around a passage is its nearest ancestor's, else the book's (`language`); a passage in a
    variant of it (en-US in en-GB) is not marked. A block in another language marks each of its
    paragraphs, so that no span runs across two."""
    start = next((found for up in (body, *body.parents) if isinstance(up, Tag) and (found := _language(up))), None)
    within = {id(body): start or language}
    for el in body.find_all(True):  # in document order: a parent before its children
        around = within[id(el.parent)]
        own = _language(el)
        within[id(el)] = own or around
        if own is None or _primary(own) == _primary(around):
            continue
        inline = el.name in PHRASING
        paragraphs = [] if inline or el.name in PARAGRAPHS else el.find_all(PARAGRAPHS)
        targets = [p for p in paragraphs if _language(p) is None and p.get_text(strip=True)] if paragraphs else [el]
        for target in targets:
            if inline:
                target.insert_before(NavigableString(_opening(own)))
                target.insert_after(NavigableString(LANGUAGE_END))
            else:  # inside the paragraph, next to its first and last words
                for end, strip in ((0, str.lstrip), (-1, str.rstrip)):
                    if target.contents and type(target.contents[end]) is NavigableString:
                        target.contents[end].replace_with(NavigableString(strip(str(target.contents[end]))))
                target.insert(0, NavigableString(_opening(own)))
                target.append(NavigableString(LANGUAGE_END))


# Where the white space at a line's end, or its start, is looked for no further.
LINE_BOUNDS = frozenset({"br", "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "section", "article",
                         "header", "footer", "aside", "table", "tr", "td", "th", "pre", "hr", "figure", "figcaption",
                         "h1", "h2", "h3", "h4", "h5", "h6", "body", "html"})


def footers_in_bodies(fragment: Tag) -> None:
    """A table's footer rows (<tfoot>: a bill's total) moved, in place, to the end of its body: a Markdown
    table has no footer, and markdownify made the footer a second table with an empty header row (Poe's
    'The Business Man', Standard Ebooks)."""
    for foot in fragment.find_all("tfoot"):
        table = foot.find_parent("table")
        bodies = table.find_all("tbody", recursive=False) if table is not None else []
        target = bodies[-1] if bodies else table
        if target is None:
            continue
        for row in foot.find_all("tr", recursive=False):
            target.append(row.extract())
        foot.decompose()


def tight_line_breaks(fragment: Tag) -> None:
    """The white space around each <br> dropped (outside <pre>), in place: the end of the line before it
    and the start of the line after, inside the inline elements there too. markdownify keeps a line
    break in white space as one, so the source's own line breaks around a <br> (Standard Ebooks' verse:
    a <span> a line, a <br/> on a line of its own between, and a line that is a quotation alone, its
    <q> on a line of its own inside the <span>) made a line of spaces after the line's end: a blank
    line to Markdown, and each line of a stanza a paragraph of its own."""
    for br in fragment.find_all("br"):
        if br.find_parent("pre") is not None:
            continue
        for elements, strip in ((br.previous_elements, str.rstrip), (br.next_elements, str.lstrip)):
            blank, edge = [], None  # changed once found: the walk's generator would lose its place
            for node in elements:
                if isinstance(node, Tag):
                    if node.name in LINE_BOUNDS:
                        break
                    continue
                if type(node) is not NavigableString:
                    continue  # a comment, never shown
                if strip(node):
                    edge = node
                    break
                blank.append(node)
            for node in blank:
                node.extract()
            if edge is not None and strip(edge) != edge:
                edge.replace_with(NavigableString(strip(edge)))


def tidy(markdown: str) -> str:
    lines = [line if line.endswith("  ") and line.strip() else line.rstrip() for line in markdown.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    text = re.sub(r"(\n\n\* \* \*){2,}", "\n\n* * *", text)
    text = quotes_parted(text)
    return text.strip("\n") + "\n" if text.strip() else ""


def quotes_parted(markdown: str) -> str:
    """Two quotations in a row kept two: Markdown joins quotes that only a blank line parts (a book's
    epigraph, then its first chapter's, ran together), so a comment goes between, which the book leaves out."""
    return re.sub(r"(?m)^( *)(>[^\n]*\n)\n(?=\1>)", r"\1\2\n\1<!-- -->\n\n", markdown)


def text_to_markdown(text: str, italics_marked: bool = False) -> str:
    """Plain text as Markdown: the characters Markdown would read as markup escaped, nothing else changed;
    with `italics_marked`, words between underscores in italics, as Project Gutenberg's plain texts mark them
    ("I'm _not_ a thief": it came in as underscores), and words between asterisks that hug them, as a
    story typed for the web marks them ("Wren Halloway knew--*knew*": it came in as `\\*knew\\*`); never a
    lone asterisk, a scene break's `* * *` or a list's bullet, which no word hugs."""
    def escaped(part: str) -> str:
        return re.sub(r"([\\`*_\[\]<])", r"\\\1", part)

    if not italics_marked:
        return escape_block_start(escaped(text))
    text = typed_dashes(text)
    out, at = [], 0
    for match in ITALICS_RE.finditer(text):
        words = match.group("underscored") or match.group("asterisked")
        out += [escaped(text[at:match.start()]), f"*{escaped(words)}*"]
        at = match.end()
    return escape_block_start("".join(out) + escaped(text[at:]))


def typed_dashes(text: str) -> str:
    """A transcription's dashes typed as hyphens, as dashes: Project Gutenberg writes an em dash "--"
    ("carry--dignified") and a long one "----", which Markdown's smart punctuation read as an en dash
    ("carry–dignified": The Hound of the Baskervilles as text, 133 times). A rule of three or more
    hyphens alone on a line is left as it is."""
    return TYPED_DASH_RE.sub(lambda m: "\u2014" * (len(m.group()) // 2), text)


TYPED_DASH_RE = re.compile(r"(?<![-\n])(?<!<!)(?:----|--)(?![->])|(?<=\n)(?:----|--)(?=[^-\s>])|\A(?:----|--)(?=[^-\s>])")
ITALICS_RE = re.compile(r"(?<![\w_])_(?=\S)(?P<underscored>[^_\n]*?\S)_(?![\w_])|"
                        r"(?<![\w*\\])\*(?=[^\s*])(?P<asterisked>[^*\n]*?[^\s*\\])\*(?![\w*])")


# Footnotes ------------------------------------------------------------------------------------------

# The heading of a page of notes: once its notes have gone to their chapters, nothing is left under it.
NOTES_TITLES = {"notes", "endnotes", "footnotes", "end notes"}
NOTE_CONTAINER_RE = re.compile(r"foot|endnote|rearnote|note", re.I)
BACKLINK_TEXTS = {"↩", "↩︎", "↑", "^", "back", "return", "[back]", "⏎"}


def _types(el: Tag) -> str:
    return " ".join(str(el.get(k) or "") for k in ("epub:type", "type", "role")) if isinstance(el, Tag) else ""


def _looks_like_note(el: Tag) -> bool:
    for node in [el, *el.parents]:
        if not isinstance(node, Tag) or node.name in ("body", "html", "[document]"):
            break
        marks = " ".join([_types(node), " ".join(node.get("class") or []), node.get("id") or "", node.get("name") or ""])
        if NOTE_CONTAINER_RE.search(marks):
            return True
    return False


def _note_element(target: Tag) -> Tag:
    if target.name in ("li", "aside", "p", "div", "section", "dd"):
        return target
    holder = target.find_parent(["li", "aside", "p", "div", "dd"])
    return holder or target


def _is_noteref(link: Tag, target: Tag | None) -> bool:
    if "noteref" in _types(link):
        return True
    if target is None:
        return False
    label = re.sub(r"[\s\[\]()]", "", link.get_text())
    if not label or len(label) > 4 or not re.match(r"^([0-9]+|[a-zA-Z]|[*†‡§¶]+|[ivxlcIVXLC]+)$", label):
        return False
    in_sup = link.find_parent("sup") is not None or link.find("sup") is not None
    return in_sup or _looks_like_note(target)


class Notes:
    """Footnotes and endnotes found across a source's documents, each turned into Markdown once."""

    def __init__(self):
        self.texts: dict[int, str] = {}

    def collect(self, docs: list[tuple[str, BeautifulSoup]], images: Images) -> None:
        """Replace every note reference with a token and take each note out of its page."""
        ids: dict[tuple[str, str], Tag] = {}
        for name, soup in docs:
            for el in soup.find_all(id=True):
                ids.setdefault((name, el["id"]), el)
            # An older HTML's anchors (Project Gutenberg's News from Nowhere: <a name="footnote1">): its
            # notes' calls link to them, and they came in as a chapter of notes, "[1] …", their calls as
            # plain "[1]" in the text.
            for el in soup.find_all("a", attrs={"name": True}):
                ids.setdefault((name, el["name"]), el)
        keys: dict[int, int] = {}  # id(note element) → key
        notes: list[tuple[Tag, str]] = []
        for name, soup in docs:
            for link in soup.find_all("a", href=True):
                href = link["href"]
                if "#" not in href:
                    continue
                path, fragment = href.split("#", 1)
                target_doc = inside_name(name, path) if path else name
                target = ids.get((target_doc, fragment))
                if not _is_noteref(link, target) or target is None:
                    continue
                note = _note_element(target)
                if note in (link, *link.parents):
                    continue
                key = keys.get(id(note))
                if key is None:
                    key = keys[id(note)] = len(keys) + 1
                    notes.append((note, target_doc or name))
                sup = link.find_parent("sup")
                holder = sup if sup is not None and sup.get_text(strip=True) == link.get_text(strip=True) else link
                holder.replace_with(NavigableString(f"\ue000{key}\ue001"))
        for key, (note, doc_name) in enumerate(notes, 1):
            self.texts[key] = self._note_text(note, doc_name, images)
        for note, _ in notes:
            parent = note.parent
            note.decompose()
            _drop_empty_note_lists(parent)

    def _note_text(self, note: Tag, doc_name: str, images: Images) -> str:
        for link in note.find_all("a"):
            text = link.get_text(strip=True).lower()
            if "backlink" in _types(link) or text in BACKLINK_TEXTS or (link.get("href", "").startswith("#")
                                                                       and re.fullmatch(r"\[?\d+\]?", text)):
                link.decompose()
        copy = BeautifulSoup(note.decode_contents(), "lxml")
        markdown = html_to_markdown(copy, doc_name, images).strip()
        markdown = re.sub(r"^\s*(\d+[.)]|\[\d+\])\s+", "", markdown)
        return markdown


def _drop_empty_note_lists(el: Tag | None) -> None:
    """After its notes have gone: an empty list, and a footnotes section left with only its heading or rule."""
    while el is not None and isinstance(el, Tag) and el.name not in ("body", "html", "[document]"):
        parent = el.parent
        if el.name in ("ol", "ul") and el.find("li") is None:
            el.decompose()
        elif el.name in ("section", "div", "aside", "footer") and _looks_like_note(el):
            rest = [c for c in el.find_all(True, recursive=False) if c.name not in ("hr", "h1", "h2", "h3", "h4",
                                                                                   "h5", "h6", "header")]
            if not rest and not "".join(t for t in el.find_all(string=True, recursive=False)).strip():
                el.decompose()
            else:
                return
        else:
            return
        el = parent


def with_footnotes(markdown: str, notes: Notes) -> str:
    """Note tokens numbered from 1 in this chapter, their definitions at its end."""
    labels: dict[int, int] = {}

    def label(match: re.Match) -> str:
        key = int(match.group(1))
        labels.setdefault(key, len(labels) + 1)
        return f"[^{labels[key]}]"

    # A call set after a space ("elegantly [1] dressed", an older HTML's) is set against its word.
    body = NOTE_TOKEN_RE.sub(label, re.sub(r"[ \t]+(?=\ue000)", "", markdown)).rstrip("\n")
    if not labels:
        return body + "\n"
    definitions = []
    done = 0
    while done < len(labels):  # a note called from inside a note (Standard Ebooks' The Art of War) is defined too
        key, number = list(labels.items())[done]
        done += 1
        text = NOTE_TOKEN_RE.sub(label, notes.texts.get(key, "")).strip() or "(empty note)"
        lines = text.split("\n")
        definitions.append(f"[^{number}]: {lines[0]}" + "".join(f"\n    {ln}" if ln else "\n" for ln in lines[1:]))
    return body + "\n\n" + "\n\n".join(definitions) + "\n"
