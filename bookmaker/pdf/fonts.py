"""One embedded font per face in a PDF joined from separately laid-out parts.

Each part of the parallel layout embeds its own subset of every face it uses, all under the same
subset name (WeasyPrint names a subset after the font file). Joined as they are, a 150-chapter book
would carry 150 copies of each face, under one name with different contents, which print preflight
rejects. WeasyPrint subsets keep the font's glyph ids, so the subsets of one face are merged into
one font: the glyphs of all of them, their widths and their Unicode mappings.

Only TrueType-outline subsets (FontFile2) are merged; other fonts are left as they are.
"""

from __future__ import annotations

import array
import hashlib
import io
import re
import struct
import sys
from collections.abc import Callable, Iterator

from fontTools.ttLib import TTFont
from pypdf import PdfWriter
from bookmaker.infra.cache import cache_root, cached_bytes, code_version
from bookmaker.pdf import fonttools_internals, pypdf_internals
from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject, FloatObject, IndirectObject,
                           NameObject, NumberObject, TextStringObject)

MAXP_FIELDS = ("maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours", "maxZones",
               "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
               "maxSizeOfInstructions", "maxComponentElements", "maxComponentDepth")
BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")


def font_slots(writer: PdfWriter) -> Iterator[tuple[DictionaryObject, NameObject, IndirectObject]]:
    """Every (font resources, name, font) in the document: pages and the forms drawn on them."""
    seen: set[int] = set()

    def from_resources(resources) -> Iterator:
        resources = resources.get_object() if resources is not None else None
        if not isinstance(resources, DictionaryObject):
            return
        fonts = resources.get("/Font")
        fonts = fonts.get_object() if fonts is not None else None
        if isinstance(fonts, DictionaryObject):
            for name, ref in list(fonts.items()):
                if isinstance(ref, IndirectObject):
                    yield fonts, name, ref
        xobjects = resources.get("/XObject")
        xobjects = xobjects.get_object() if xobjects is not None else None
        if isinstance(xobjects, DictionaryObject):
            for ref in xobjects.values():
                form = ref.get_object()
                key = ref.idnum if isinstance(ref, IndirectObject) else id(form)
                if key not in seen and form.get("/Subtype") == "/Form":
                    seen.add(key)
                    yield from from_resources(form.get("/Resources"))

    for page in writer.pages:
        yield from from_resources(page.get("/Resources"))


def truetype_parts(font: DictionaryObject):
    """(CID font, descriptor, FontFile2 stream) of a Type0 TrueType font, or None."""
    if font.get("/Subtype") != "/Type0":
        return None
    cid = font["/DescendantFonts"][0].get_object()
    descriptor = cid.get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else None
    if cid.get("/Subtype") != "/CIDFontType2" or descriptor is None or "/FontFile2" not in descriptor:
        return None
    if cid.get("/CIDToGIDMap", "/Identity") != "/Identity":
        return None
    return cid, descriptor, descriptor["/FontFile2"].get_object()


def widths(array) -> dict[int, float]:
    """A /W array ([first [w w ...]] or [first last w]) as {cid: width}."""
    array = array.get_object() if array is not None else []
    out, items, i = {}, list(array), 0
    while i < len(items):
        first = int(items[i])
        following = items[i + 1].get_object() if hasattr(items[i + 1], "get_object") else items[i + 1]
        if isinstance(following, list):
            for offset, width in enumerate(following):
                out.setdefault(first + offset, float(width))
            i += 2
        else:
            for cid in range(first, int(following) + 1):
                out.setdefault(cid, float(items[i + 2]))
            i += 3
    return out


def width_array(merged: dict[int, float]) -> ArrayObject:
    out, run = ArrayObject(), None
    for cid in sorted(merged):
        if run is None or cid - 1 not in merged:
            run = ArrayObject()
            out += [NumberObject(cid), run]
        width = merged[cid]
        run.append(NumberObject(int(width)) if width == int(width) else FloatObject(round(width, 3)))
    return out


def to_unicode(stream) -> dict[int, bytes]:
    data = stream.get_object().get_data() if stream is not None else b""
    out: dict[int, bytes] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for cid, text in BFCHAR.findall(block):
            out.setdefault(int(cid, 16), text.lower())
    return out


def cmap_stream(mapping: dict[int, bytes]) -> DecodedStreamObject:
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap", b"/CIDSystemInfo",
             b"<< /Registry (Adobe)", b"/Ordering (UCS)", b"/Supplement 0", b">> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def", b"1 begincodespacerange", b"<0000> <ffff>",
             b"endcodespacerange"]
    items = sorted(mapping.items())
    for start in range(0, len(items), 100):
        batch = items[start:start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines += [b"<%04x> <%s>" % (cid, text) for cid, text in batch]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    stream = DecodedStreamObject()
    stream.set_data(b"\n".join(lines))
    return stream


def raw_glyphs(font: TTFont) -> tuple[list[bytes], list[tuple[int, int]]]:
    """Each glyph's bytes and horizontal metrics, read from the tables as they are stored: decompiling
    the glyph table of each of a long book's hundreds of subsets was most of the merge's time."""
    long_offsets = font["head"].indexToLocFormat == 1
    loca = array.array("I" if long_offsets else "H", fonttools_internals.raw_table(font, "loca"))
    if sys.byteorder == "little":
        loca.byteswap()
    scale = 1 if long_offsets else 2
    glyf = fonttools_internals.raw_table(font, "glyf")
    count = font["maxp"].numGlyphs
    glyphs = [glyf[loca[i] * scale:loca[i + 1] * scale] for i in range(min(count, len(loca) - 1))]
    advances = font["hhea"].numberOfHMetrics
    hmtx = fonttools_internals.raw_table(font, "hmtx")
    long_metrics = struct.unpack(f">{2 * advances}H", hmtx[:4 * advances])
    metrics = [(long_metrics[2 * i], long_metrics[2 * i + 1]) for i in range(advances)]
    bearings = struct.unpack(f">{count - advances}H", hmtx[4 * advances:4 * advances + 2 * (count - advances)])
    metrics += [(metrics[-1][0], bearing) for bearing in bearings]
    return glyphs, [(advance, bearing - 65536 if bearing >= 32768 else bearing) for advance, bearing in metrics]


class Subset:
    """One subset's glyphs as stored: its glyph count, each of its non-empty glyphs' bytes and horizontal
    metrics by glyph id, and its maxp fields (None where its table lacks one)."""

    def __init__(self, data: bytes):
        font = TTFont(io.BytesIO(data), recalcBBoxes=False, recalcTimestamp=False, lazy=True)
        glyphs, metrics = raw_glyphs(font)
        self.count = font["maxp"].numGlyphs
        self.glyphs = {gid: (glyph, metrics[gid]) for gid, glyph in enumerate(glyphs) if glyph}
        self.maxp = tuple(getattr(font["maxp"], field, None) for field in MAXP_FIELDS)


class Summary:
    """What a merge needs to know of a subset before any font is written: its glyph count, a digest of
    each of its non-empty glyphs (bytes and metrics) by glyph id, and its maxp fields."""

    def __init__(self, subset: Subset):
        self.count, self.maxp = subset.count, subset.maxp
        self.glyphs = {gid: hashlib.blake2b(struct.pack(">ii", *metrics) + glyph, digest_size=16).digest()
                       for gid, (glyph, metrics) in subset.glyphs.items()}


# The summaries of the subsets this process merged last (merge_fonts), by the digest of their bytes: in
# `watch`, an edit reads only the subsets of the chapter it laid out again.
_summaries: dict[bytes, Summary] = {}
# Subsets read ahead of the next merge, while the layout workers lay the chapters out (read_ahead).
_ahead: dict[bytes, tuple[Subset, Summary]] = {}


def read_ahead(reader, idnums) -> None:
    """The TrueType subsets among a part's objects (`idnums` of pypdf's `reader`), read for the next
    merge now, while the parent waits for the layout workers: the cold 200k book's join read 85 of them
    (TTFont and its tables' modules, each glyph's bytes), about 0.1 s with both cores idle. Only a head
    start: a font it cannot read is left to the merge, which reads it as it would have."""
    for idnum in idnums:
        try:
            descriptor = reader.get_object(idnum)
            if not isinstance(descriptor, DictionaryObject) or "/FontFile2" not in descriptor:
                continue
            data = descriptor["/FontFile2"].get_object().get_data()
            digest = hashlib.sha256(data).digest()
            if digest not in _summaries and digest not in _ahead:
                subset = Subset(data)
                _ahead[digest] = (subset, Summary(subset))
        except Exception:  # noqa: BLE001, S112 - see above
            continue


class Merge:
    """What merging `programs` (one face's subsets, in the document's order) comes to: the base, the
    subset with the most glyphs (the first of those); the glyphs the others fill in where the base has
    none, each from the first subset that has one; and each maxp field, the greatest of all. The merged
    program follows from those alone (program()), so it is kept in the cache under their digest (key()):
    an edit that gives a chapter a glyph another chapter has (the bench's edit: digits) finds the merged
    font of the last build, where a key made of every subset's bytes did not."""

    def __init__(self, programs: list[bytes], used: dict[bytes, Summary]):
        self.programs = programs
        self.subsets: dict[int, Subset] = {}  # read here: those not summarized before
        summaries = []
        for i, data in enumerate(programs):
            digest = hashlib.sha256(data).digest()
            if digest in _ahead:
                self.subsets[i], summary = _ahead[digest]
            else:
                summary = used.get(digest) or _summaries.get(digest)
                if summary is None:
                    self.subsets[i] = Subset(data)
                    summary = Summary(self.subsets[i])
            used[digest] = summary
            summaries.append(summary)
        self.base = max(range(len(programs)), key=lambda i: summaries[i].count)
        base = summaries[self.base]
        self.filled: dict[int, tuple[int, bytes]] = {}  # glyph id -> (the subset it comes from, its digest)
        for i, summary in enumerate(summaries):
            if i != self.base:
                for gid, digest in summary.glyphs.items():
                    if gid not in base.glyphs and gid not in self.filled:
                        self.filled[gid] = (i, digest)
        self.maxp = tuple(None if own is None else max([own, *(summary.maxp[f] or 0 for summary in summaries)])
                          for f, own in enumerate(base.maxp))

    def key(self) -> str:
        import fontTools

        digest = hashlib.sha256(f"{code_version()}\0fontTools {fontTools.version}\0{self.maxp}".encode())
        digest.update(hashlib.sha256(self.programs[self.base]).digest())
        for gid in sorted(self.filled):
            digest.update(gid.to_bytes(4, "big") + self.filled[gid][1])
        return digest.hexdigest()

    def program(self) -> bytes:
        """The glyphs of every subset in one font: the base's, and those the others fill in. Glyph data
        is moved as it is, never decompiled: its component references are glyph ids, the same in every
        subset of one font."""
        base = TTFont(io.BytesIO(self.programs[self.base]), recalcBBoxes=False, recalcTimestamp=False, lazy=True)
        order = base.getGlyphOrder()
        for gid in sorted(self.filled):
            source = self.filled[gid][0]
            if source not in self.subsets:
                self.subsets[source] = Subset(self.programs[source])
            data, metrics = self.subsets[source].glyphs[gid]
            fonttools_internals.set_glyph(base, order[gid], data, metrics)
        for field, value in zip(MAXP_FIELDS, self.maxp):
            if value is not None:
                setattr(base["maxp"], field, value)
        out = io.BytesIO()
        base.save(out)
        return out.getvalue()


def cached_merged_program(programs: list[bytes], cache: bool, used: dict[bytes, Summary] | None = None) -> bytes:
    """Merge.program(), kept in the cache by what the merge comes to (Merge.key). `used`: the summaries
    of the subsets this merge reads, added to."""
    merge = Merge(programs, {} if used is None else used)
    if not cache:
        return merge.program()
    key = merge.key()
    return cached_bytes(cache_root() / "merged-fonts" / key[:2] / f"{key}.ttf", merge.program, lambda _: True)


def merge_fonts(writer: PdfWriter, cache: bool = False) -> None:
    """Merge, in place, the subsets of each face into one font used by every page; with `cache`, each
    merged font program is kept in the cache (cached_merged_program)."""
    groups: dict[str, dict[int, IndirectObject]] = {}
    slots = list(font_slots(writer))
    for ref in {ref.idnum: ref for _fonts, _name, ref in slots}.values():  # each font once, of its many slots
        font = ref.get_object()
        if truetype_parts(font) is not None:
            groups.setdefault(str(font["/BaseFont"]), {})[ref.idnum] = ref
    replacement: dict[int, IndirectObject] = {}
    used: dict[bytes, Summary] = {}
    for refs in groups.values():
        if len(refs) > 1:
            merged = merged_font(writer, list(refs.values()), cache, used)
            replacement.update({idnum: merged for idnum in refs})
    _summaries.clear()
    _summaries.update(used)
    _ahead.clear()
    for fonts, name, ref in slots:
        if ref.idnum in replacement:
            fonts[name] = replacement[ref.idnum]


def merged_font(writer: PdfWriter, refs: list[IndirectObject], cache: bool = False,
                used: dict[bytes, Summary] | None = None) -> IndirectObject:
    fonts = [ref.get_object() for ref in refs]
    parts = [truetype_parts(font) for font in fonts]
    first_font, (first_cid, first_descriptor, _) = fonts[0], parts[0]
    program = cached_merged_program([file.get_data() for _, _, file in parts], cache, used)
    file = DecodedStreamObject()
    file.set_data(program)
    file[NameObject("/Length1")] = NumberObject(len(program))
    descriptor = DictionaryObject(first_descriptor)
    descriptor[NameObject("/FontFile2")] = pypdf_internals.add_object(writer, file.flate_encode())
    boxes = [[float(v) for v in d["/FontBBox"]] for _, d, _ in parts if "/FontBBox" in d]
    if boxes:
        descriptor[NameObject("/FontBBox")] = ArrayObject(FloatObject(f(values)) for f, values in
                                                          zip((min, min, max, max), zip(*boxes)))
    cid = DictionaryObject(first_cid)
    cid[NameObject("/FontDescriptor")] = pypdf_internals.add_object(writer, descriptor)
    merged_widths: dict[int, float] = {}
    for part_cid, _, _ in parts:
        merged_widths.update({k: v for k, v in widths(part_cid.get("/W")).items() if k not in merged_widths})
    cid[NameObject("/W")] = width_array(merged_widths)
    mapping: dict[int, bytes] = {}
    for font in fonts:
        for key, value in to_unicode(font.get("/ToUnicode")).items():
            mapping.setdefault(key, value)
    font = DictionaryObject(first_font)
    font[NameObject("/Encoding")] = merged_encoding(writer, fonts)
    font[NameObject("/DescendantFonts")] = ArrayObject([pypdf_internals.add_object(writer, cid)])
    font[NameObject("/ToUnicode")] = pypdf_internals.add_object(writer, cmap_stream(mapping).flate_encode())
    return pypdf_internals.add_object(writer, font)


CIDCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s+(\d+)")


def merged_encoding(writer: PdfWriter, fonts: list[DictionaryObject]):
    """The merged font's encoding: /Identity-H where every subset's is, as WeasyPrint writes it. A part in
    which a character is in no typeface ('星' in a chapter's title, on the contents page) encodes its face
    with a CMap of its own: the codes of the glyphs that part uses mapped to themselves, and the missing
    characters' codes (past the font's last glyph) to .notdef. Given to the merged font as it was, every
    glyph only the other parts use (curly quotes, "…", capitals) printed as .notdef, in every chapter.
    The merged CMap maps every code to itself but those missing in any part, which map to .notdef."""
    missing: set[int] = set()
    for font in fonts:
        encoding = font.get("/Encoding")
        encoding = encoding.get_object() if encoding is not None else None
        if encoding is None or isinstance(encoding, NameObject):
            continue
        for block in re.findall(rb"begincidchar(.*?)endcidchar", encoding.get_data(), re.S):
            missing.update(int(code, 16) for code, cid in CIDCHAR.findall(block) if int(cid) == 0 and int(code, 16))
    if not missing and all(isinstance(f.get("/Encoding"), NameObject) for f in fonts):
        return NameObject("/Identity-H")
    ranges: list[tuple[int, int]] = []  # runs of codes mapped to themselves, none across a first byte
    start = None
    for code in range(0x10000):
        if code in missing or (start is not None and code % 256 == 0):
            if start is not None:
                ranges.append((start, code - 1))
            start = None
        if code not in missing and start is None:
            start = code
    ranges.append((start, 0xFFFF))
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap", b"/CIDSystemInfo",
             b"3 dict dup begin", b"/Registry (Adobe) def", b"/Ordering (Identity) def", b"/Supplement 0 def",
             b"end def", b"/CMapName /Bookmaker-Merged def", b"/CMapType 1 def", b"1 begincodespacerange",
             b"<0000> <ffff>", b"endcodespacerange"]
    for first in range(0, len(ranges), 100):
        batch = ranges[first:first + 100]
        lines += [f"{len(batch)} begincidrange".encode(), *(b"<%04x> <%04x> %d" % (lo, hi, lo) for lo, hi in batch),
                  b"endcidrange"]
    codes = sorted(missing)
    for first in range(0, len(codes), 100):
        batch = codes[first:first + 100]
        lines += [f"{len(batch)} begincidchar".encode(), *(b"<%04x> 0" % code for code in batch), b"endcidchar"]
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    stream = DecodedStreamObject()
    stream.set_data(b"\n".join(lines))
    stream.update({NameObject("/Type"): NameObject("/CMap"), NameObject("/CMapName"): NameObject("/Bookmaker-Merged"),
                   NameObject("/CIDSystemInfo"): DictionaryObject({
                       NameObject("/Registry"): TextStringObject("Adobe"),
                       NameObject("/Ordering"): TextStringObject("Identity"),
                       NameObject("/Supplement"): NumberObject(0)})})
    return pypdf_internals.add_object(writer, stream.flate_encode())


def drop_unreachable(writer: PdfWriter) -> None:
    """Remove every object the document no longer reaches (the subsets merged away, whole chains of
    them: pypdf's own clean-up keeps any object something else refers to, even an orphan)."""
    reached = reached_objects([writer.root_object, pypdf_internals.info_reference(writer)],
                              lambda ref: pypdf_internals.resolve(writer, ref.idnum))
    for idnum in range(1, pypdf_internals.object_count(writer) + 1):
        if idnum not in reached:
            pypdf_internals.drop(writer, idnum)



def reached_objects(roots: list, resolve: Callable) -> set[int]:
    """The numbers of the indirect objects reached from `roots` (pypdf objects), each reference
    resolved with `resolve` as it is first met."""
    reached: set[int] = set()
    pending = list(roots)
    while pending:
        obj = pending.pop()
        if isinstance(obj, IndirectObject):
            if obj.idnum in reached:
                continue
            reached.add(obj.idnum)
            obj = resolve(obj)
        if isinstance(obj, DictionaryObject):
            pending.extend(obj.values())
        elif isinstance(obj, ArrayObject):
            pending.extend(obj)
        if getattr(obj, "indirect_reference", None) is not None:
            reached.add(obj.indirect_reference.idnum)
    return reached
