"""Units of the font merge that follows the parallel PDF layout."""

from __future__ import annotations

from pypdf.generic import ArrayObject, DecodedStreamObject, FloatObject, NumberObject

from bookmaker.pdf.fonts import cmap_stream, to_unicode, width_array, widths


def test_widths_read_both_forms_of_a_w_array():
    array = ArrayObject([NumberObject(3), ArrayObject([NumberObject(500), FloatObject(612.5)]),
                         NumberObject(10), NumberObject(12), NumberObject(250)])
    assert widths(array) == {3: 500, 4: 612.5, 10: 250, 11: 250, 12: 250}
    assert widths(width_array(widths(array))) == widths(array)


def test_unicode_maps_survive_a_round_trip():
    stream = DecodedStreamObject()
    stream.set_data(b"2 beginbfchar\n<0279> <0063>\n<0fb1> <00660069>\nendbfchar\n")
    mapping = to_unicode(stream)
    assert mapping == {0x279: b"0063", 0xFB1: b"00660069"}  # 'c', and a ligature: 'fi'
    assert to_unicode(cmap_stream(mapping)) == mapping


def test_subset_arrays_are_allocated_under_one_type_string():
    """WeasyPrint spells each glyph array's length out (`hb_codepoint_t[N]`), and cffi parses every
    type string it has not seen (7 ms): the stand-in FFI asks for the same array as `hb_codepoint_t[]`."""
    import weasyprint.pdf.fonts as pdf_fonts

    from bookmaker.pdf import weasy_internals as W

    W.install_hook()
    ffi = pdf_fonts.ffi
    assert isinstance(ffi, W.SizedArrays)
    W.install_hook()
    assert not isinstance(ffi._ffi, W.SizedArrays)  # installed once, never wrapped twice
    parsed = []
    original = ffi._ffi.new
    ffi._ffi.new = lambda cdecl, init=None: parsed.append(cdecl) or original(cdecl, init)
    try:
        glyphs = ffi.new("hb_codepoint_t[5]", [3, 5, 8, 13, 21])
        padded = ffi.new("hb_codepoint_t[4]", [1])  # fewer items than its length: left as WeasyPrint asked
    finally:
        del ffi._ffi.new
    assert list(glyphs) == [3, 5, 8, 13, 21] and list(padded) == [1, 0, 0, 0]
    assert parsed == ["hb_codepoint_t[]", "hb_codepoint_t[4]"]
    assert ffi.NULL is ffi._ffi.NULL  # everything else is the FFI's own


def test_names_are_written_as_pypdf_writes_them():
    """pypdf_internals.names_written_once: a name's bytes made once and written again, the same bytes
    as pypdf's own renumber() makes (escapes and characters past '~' included)."""
    import io

    from pypdf.generic import NameObject

    from bookmaker.pdf.pypdf_internals import names_written_once

    names = ["/Type", "/F#20one", "/A B", "/Caf\u00e9", "/Type", "/x(y)"]
    own = [NameObject(name).renumber() for name in names]
    names_written_once()
    written = []
    for name in names:
        out = io.BytesIO()
        NameObject(name).write_to_stream(out)
        written.append(out.getvalue())
    assert written == own and own[2] == b"/A#20B"
    assert NameObject.write_to_stream.bookmaker_names  # the kept bytes were the ones written


def subset_of(text: str) -> bytes:
    """A subset of the book's typeface as WeasyPrint embeds one: only `text`'s glyphs, their ids kept."""
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    from bookmaker.pdf.layout import font_files

    font = TTFont(font_files()["bookmaker:fonts/Spectral-Regular.ttf"])
    options = subset.Options(retain_gids=True, notdef_outline=True, hinting=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def test_a_merged_font_is_found_again_when_a_glyph_moves_between_chapters(tmp_path, monkeypatch):
    """A merge is kept by what it comes to (the base subset, the glyphs the others fill in, maxp), not by
    every subset's bytes: after an edit that gives one chapter a glyph another chapter has, the merged
    font is the last build's, and the same bytes as merging afresh. A new glyph makes a new font."""
    import io

    from fontTools.ttLib import TTFont

    from bookmaker.pdf import fonts

    monkeypatch.setenv("BOOKMAKER_CACHE_DIR", str(tmp_path))
    base = subset_of("The harbour ledger, 1 to 9: \u00e6\u00fe\u0153 ABCDEFGHIJKLMNOPQRSTUVWXYZ")  # the most glyph ids
    before = [base, subset_of("She read it again."), subset_of("and smiled, quickly.")]
    after = [base, subset_of("She read it again quickly."), subset_of("and smiled, quickly.")]  # q, c, k... moved in
    assert before[1] != after[1]
    assert fonts.Merge(before, {}).key() == fonts.Merge(after, {}).key()
    made = []
    monkeypatch.setattr(fonts.Merge, "program", lambda self, real=fonts.Merge.program: made.append(1) or real(self))
    first = fonts.cached_merged_program(before, cache=True)
    again = fonts.cached_merged_program(after, cache=True)
    assert made == [1] and again == first  # found in the cache
    assert fonts.Merge(after, {}).program() == first  # and what merging afresh makes
    merged = TTFont(io.BytesIO(first))
    order = merged.getGlyphOrder()
    alone = TTFont(io.BytesIO(subset_of("q")))
    q = alone.getGlyphID(alone.getBestCmap()[ord("q")])  # the same id in every subset
    assert merged["glyf"][order[q]].numberOfContours > 0  # filled in from a chapter
    assert len(order) == TTFont(io.BytesIO(base))["maxp"].numGlyphs
    grown = [base, subset_of("She read it again."), subset_of("and smiled, quickly; ")]  # a new glyph: ';'
    assert fonts.Merge(grown, {}).key() != fonts.Merge(before, {}).key()
    assert fonts.cached_merged_program(grown, cache=True) != first and len(made) == 3  # merged, not found


def descriptors_of(programs: list[bytes]):
    """A PDF (read back with pypdf) holding a font descriptor with a FontFile2 for each of `programs`."""
    import io

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    for data in programs:
        stream = DecodedStreamObject()
        stream.set_data(data)
        writer._add_object(DictionaryObject({NameObject("/Type"): NameObject("/FontDescriptor"),
                                             NameObject("/FontFile2"): writer._add_object(stream.flate_encode())}))
    out = io.BytesIO()
    writer.write(out)
    return PdfReader(io.BytesIO(out.getvalue()))


def test_subsets_read_ahead_are_merged_without_being_read_again(monkeypatch):
    """fonts.read_ahead reads a part's TrueType subsets while the layout workers work; the merge then
    takes them as read (no subset read twice), and makes the same font as reading them there."""
    from bookmaker.pdf import fonts

    programs = [subset_of("The harbour ledger, 1 to 9."), subset_of("She read it again, quickly.")]
    reader = descriptors_of(programs)
    fresh = fonts.cached_merged_program(programs, cache=False)
    reads = []
    real = fonts.Subset.__init__
    monkeypatch.setattr(fonts.Subset, "__init__", lambda self, data: reads.append(1) or real(self, data))
    monkeypatch.setattr(fonts, "_summaries", {})
    monkeypatch.setattr(fonts, "_ahead", {})
    fonts.read_ahead(reader, range(1, reader.trailer["/Size"]))  # every object
    assert len(reads) == 2 and len(fonts._ahead) == 2
    assert fonts.cached_merged_program(programs, cache=False) == fresh and len(reads) == 2


def test_a_font_that_cannot_be_read_ahead_is_left_to_the_merge(monkeypatch):
    """fonts.read_ahead is only a head start: a FontFile2 that is not a font is skipped, not raised."""
    from bookmaker.pdf import fonts

    reader = descriptors_of([b"not a font", subset_of("A quiet harbour.")])
    monkeypatch.setattr(fonts, "_summaries", {})
    monkeypatch.setattr(fonts, "_ahead", {})
    fonts.read_ahead(reader, range(1, reader.trailer["/Size"]))
    assert len(fonts._ahead) == 1  # the real subset, read


def drawn_pdf(pages: int, drawing: bytes = b"") -> bytes:
    """A PDF of `pages` pages, each drawn with `drawing` (its content stream)."""
    import io

    from pypdf import PdfWriter
    from pypdf.generic import NameObject

    from bookmaker.pdf import join, pypdf_internals

    writer = PdfWriter()
    for _ in range(pages):
        page = writer.add_blank_page(432, 648)
        page[NameObject("/Contents")] = pypdf_internals.add_object(writer, join.stream(drawing))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_one_shot_join_lets_each_parts_parsed_pdf_go_once_it_is_added(monkeypatch):
    """pypdf's writer keeps every reader it copied from alive as long as itself. Outside `watch` no later
    join asks for a part's reader again, so the join closes it once the part is added: the 200,000-word
    book's peak with `--jobs 1` went from 156 to 145 MB. In `watch` (memo.session) they are kept."""
    import datetime as dt
    from types import SimpleNamespace

    from bookmaker.infra import memo
    from bookmaker.pdf import join

    front = SimpleNamespace(pdf=drawn_pdf(2), words=[[], []], height=864)
    page = SimpleNamespace(id="chapter-1", title="One", sections=[])
    body = SimpleNamespace(pdf=drawn_pdf(3, b"0 0 m 9 9 l S"), words=[["harbour"]] * 3, anchors={}, links=[], height=864)
    numbers = drawn_pdf(3, b"BT ET")
    when = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)

    def joined() -> tuple[bytes, object]:  # the PDF, and the part's reader
        monkeypatch.setattr(join.Readers, "last", {})
        monkeypatch.setattr(join.Readers, "ahead", {})
        join.read_ahead(body.pdf)
        parsed = join.Readers.ahead[next(iter(join.Readers.ahead))]
        one = join.Join(front, when)
        one.add(page, body, numbers)
        pdf, _ = one.finish([])
        return pdf, parsed

    pdf, parsed = joined()
    assert parsed.resolved_objects == {} and not join.Readers.last and not join.Readers.ahead  # closed, none kept
    with memo.session():
        kept_pdf, parsed = joined()
        assert parsed.resolved_objects and parsed in join.Readers.last.values()
    assert kept_pdf == pdf and len(pdf) > 0
    # A one-shot build after the session, in the same process, takes the reader the session kept and closes
    # it; a join it begins again (its front matter guessed wrong: parts.lay_out_flow) is never handed it.
    abandoned = join.Join(front, when)
    abandoned.add(page, body, numbers)
    assert parsed.resolved_objects == {}
    again = join.Join(front, when)
    again.add(page, body, numbers)
    assert again.finish([])[0] == pdf


def cid_of(cmap: bytes):
    """A CID CMap (cidrange and cidchar) as a function of a code."""
    import re

    ranges = [(int(lo, 16), int(hi, 16), int(cid)) for block in re.findall(rb"begincidrange(.*?)endcidrange", cmap, re.S)
              for lo, hi, cid in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(\d+)", block)]
    chars = {int(code, 16): int(cid) for block in re.findall(rb"begincidchar(.*?)endcidchar", cmap, re.S)
             for code, cid in re.findall(rb"<([0-9a-fA-F]+)>\s*(\d+)", block)}
    return lambda code: chars[code] if code in chars else next(
        (cid + code - lo for lo, hi, cid in ranges if lo <= code <= hi), None)


def test_a_character_in_no_typeface_leaves_every_other_glyph_of_the_merged_font_drawn(tmp_path):
    """A helper writing a story titled a chapter "星の歌": no face on the machine has '星', and WeasyPrint
    then encodes the front matter's face with a CMap of its own, which sends every glyph that part does
    not use to .notdef. The merge gave that encoding to the one font of the whole book: its curly quotes,
    "…" and most capitals printed as empty boxes, in every chapter (pdftotext read them right, so no
    check saw it). The merged font's encoding now maps every glyph to itself, the missing one to .notdef."""
    import io

    from pypdf import PdfReader

    from bookmaker import load_book, render_book
    from bookmaker.pdf.writer import pdf_bytes

    manuscript = tmp_path / "book" / "manuscript"
    manuscript.mkdir(parents=True)
    (manuscript / "book.yaml").write_text("title: Boxes\nauthor: A. Writer\n", encoding="utf-8")
    (manuscript / "01-a.md").write_text("\u201cHello,\u201d she said\u2026 You and Rain.\n", encoding="utf-8")
    (manuscript / "02-b.md").write_text("---\ntitle: \u661f Star\n---\n\nA star.\n", encoding="utf-8")
    data, _ = pdf_bytes(render_book(load_book(tmp_path / "book"), jobs=1, cache=False), jobs=2, cache=False)
    fonts = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"].get("/Font", {}).values():  # a blank page has none
            font = font.get_object()
            fonts.setdefault(str(font["/BaseFont"]).split("+")[-1], font)
    regular = fonts["Spectral"]
    encoding = regular["/Encoding"].get_object()
    assert not isinstance(encoding, str), "no part had a missing glyph: the test tests nothing"
    cid = cid_of(encoding.get_data())
    unicode = {text: code for code, text in to_unicode(regular["/ToUnicode"]).items()}
    drawn = [unicode[f"{ord(c):04x}".encode()] for c in "\u201c\u201d\u2026YR"]
    assert [cid(code) for code in drawn] == drawn
    assert cid(unicode[b"661f"]) == 0
    for name in ("Spectral-Bold", "Spectral-Italic"):
        if name in fonts:
            assert fonts[name]["/Encoding"] == "/Identity-H"
