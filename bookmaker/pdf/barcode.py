"""The EAN-13 barcode of a book's ISBN, as the vector SVG a print cover carries.

python-barcode draws the bars and the digits beneath them (the first digit outside the start guard,
then two groups of six between the guards, as on every book); this module adds the ISBN line above
the bars and takes out what would differ from one machine to the next (its version comment).
"""

from __future__ import annotations

import re

from lxml import etree

SVG = "http://www.w3.org/2000/svg"

# Sizes in millimetres. 0.33 mm is the EAN-13 module at 100 %; book covers print it smaller, and
# scanners read it down to 80 %. 0.3 mm keeps the whole block inside KDP's 2 x 1.2 in area.
MODULE = 0.30
BAR_HEIGHT = 18.0
QUIET_ZONE = 11 * MODULE  # the left quiet zone of EAN-13; the first digit is printed inside it
DIGITS_PT = 8.5
ISBN_PT = 8.5
ISBN_LINE = 4.2  # the height the ISBN line takes above the bars


class InvalidISBN(ValueError):
    pass


def isbn13_digits(isbn: str) -> str:
    """The 13 digits of an ISBN-13 written with or without hyphens, spaces or an `ISBN`/`urn:isbn:`
    prefix, its check digit verified."""
    text = re.sub(r"^(urn:isbn:|isbn(-13)?:?)", "", isbn.strip(), flags=re.IGNORECASE)
    digits = re.sub(r"[\s-]", "", text)
    if not re.fullmatch(r"97[89]\d{10}", digits):
        raise InvalidISBN(f"'{isbn}' is not an ISBN-13 (13 digits starting 978 or 979)")
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits[:12])) % 10) % 10
    if int(digits[12]) != check:
        raise InvalidISBN(f"'{isbn}' has check digit {digits[12]}, but its digits give {check}")
    return digits


def isbn_line(isbn: str) -> str:
    """The line above the bars: "ISBN" and the number as the author wrote it when it is hyphenated
    (agencies hand out ISBNs hyphenated; where the hyphens go depends on the registration group and
    publisher ranges, which we do not guess), else the 13 digits."""
    digits = isbn13_digits(isbn)
    written = re.sub(r"^(urn:isbn:|isbn(-13)?:?)", "", isbn.strip(), flags=re.IGNORECASE).strip()
    if "-" in written and re.fullmatch(r"\d{1,7}(-\d{1,7}){3}-\d", written):
        return f"ISBN {written}"
    return f"ISBN {digits}"


def ean13_svg(isbn13: str, font_family: str = "Spectral, serif") -> str:
    """The barcode as an SVG document: bars, digits, and the ISBN above, black on white, sized in mm."""
    import barcode
    from barcode.writer import SVGWriter

    digits = isbn13_digits(isbn13)
    writer = SVGWriter()
    writer.with_doctype = False
    code = barcode.get("ean13-guard", digits, writer=writer)
    data = code.render(writer_options={
        "module_width": MODULE, "module_height": BAR_HEIGHT, "quiet_zone": QUIET_ZONE,
        "font_size": DIGITS_PT, "text_distance": 1.0, "margin_top": ISBN_LINE, "margin_bottom": 0.6,
        "background": "white", "foreground": "black", "compress": False,
    })
    root = etree.fromstring(data)
    for comment in root.xpath("//comment()"):
        comment.getparent().remove(comment)
    width = float(root.get("width").removesuffix("mm"))
    height = float(root.get("height").removesuffix("mm"))
    root.set("viewBox", f"0 0 {width:.3f} {height:.3f}")
    for el in root.iter(f"{{{SVG}}}rect", f"{{{SVG}}}text"):
        for name in ("x", "y", "width", "height"):
            value = el.get(name)
            if value and value.endswith("mm"):
                el.set(name, value.removesuffix("mm"))  # user units are millimetres, by the viewBox
    group = root.find(f"{{{SVG}}}g")
    for text in root.iter(f"{{{SVG}}}text"):
        text.set("style", text.get("style").replace(f"font-size:{DIGITS_PT}pt", f"font-size:{DIGITS_PT * 0.3528:.3f}px")
                 + f"font-family:{font_family};")
    above = etree.SubElement(group, f"{{{SVG}}}text", {
        "x": f"{width / 2:.3f}", "y": f"{ISBN_LINE - 1.0:.3f}",
        "style": f"fill:black;font-size:{ISBN_PT * 0.3528:.3f}px;text-anchor:middle;font-family:{font_family};"
                 "letter-spacing:0.05px;"})
    above.text = isbn_line(isbn13)
    return etree.tostring(root, encoding="unicode")
