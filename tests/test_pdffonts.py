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
