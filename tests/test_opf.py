import pytest
from lxml import etree

from bookmaker.epub.opf import add_to_metadata, fix_package_element, sort_metadata

OPF = b"""<?xml version='1.0' encoding='utf-8'?>
<package xmlns="http://www.idpf.org/2007/opf" unique-identifier="id" version="3.0" prefix="rendition: http://www.idpf.org/vocab/rendition/#">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:opf="http://www.idpf.org/2007/opf">
    <dc:title id="title">The Almanac</dc:title>
    <dc:creator id="creator-1">Wren Halloway</dc:creator>
  </metadata>
  <manifest/>
</package>
"""
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def test_package_gets_language_and_direction():
    fixed = fix_package_element(OPF, "en-GB", rtl=False)
    root = etree.fromstring(fixed)
    assert root.get(XML_LANG) == "en-GB" and root.get("dir") == "ltr"
    assert root.get("unique-identifier") == "id" and root.get("prefix").startswith("rendition:")
    # Everything but the start tag is byte for byte as ebooklib wrote it.
    assert fixed.split(b"<package", 1)[0] == OPF.split(b"<package", 1)[0]
    assert fixed.split(b">", 2)[2] == OPF.split(b">", 2)[2]


def test_right_to_left_and_existing_attributes_replaced():
    once = fix_package_element(OPF, "en", rtl=False)
    twice = fix_package_element(once, "ar", rtl=True)
    root = etree.fromstring(twice)
    assert root.get(XML_LANG) == "ar" and root.get("dir") == "rtl"
    assert twice.count(b"xml:lang") == 1 and twice.count(b" dir=") == 1
    assert fix_package_element(twice, "ar", rtl=True) == twice


def test_language_is_escaped_and_missing_package_is_an_error():
    root = etree.fromstring(fix_package_element(OPF, 'x"<y', rtl=False))
    assert root.get(XML_LANG) == 'x"<y'
    with pytest.raises(ValueError):
        fix_package_element(b"<metadata/>", "en", rtl=False)


def test_sort_metadata_refines_creators_and_title():
    opf = add_to_metadata(OPF, sort_metadata([("creator-1", "Halloway, Wren")], "title", "Almanac, The & Co"))
    root = etree.fromstring(opf)
    ns = {"opf": "http://www.idpf.org/2007/opf"}
    metas = {m.get("refines"): m.text for m in root.iterfind(".//opf:meta[@property='file-as']", ns)}
    assert metas == {"#creator-1": "Halloway, Wren", "#title": "Almanac, The & Co"}
