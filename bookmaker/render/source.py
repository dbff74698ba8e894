"""A chapter's Markdown as written, with its code blanked out: what looks like a footnote, or a character's
glyph, inside code is neither (check's lint, the PDF's typeface coverage)."""

from __future__ import annotations

import re

CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
FENCE = re.compile(r"^[ ]{0,3}(```|~~~)[^\n]*\n.*?(^[ ]{0,3}\1[^\n]*$|\Z)", re.M | re.S)
HTML_CODE = re.compile(r"<(code|pre|kbd|samp)\b[^>]*>.*?</\1\s*>", re.S | re.I)
LIST_OR_NOTE = re.compile(r"^\s*([-*+]|\d+[.)]|\[\^[^\]]+\]:)\s")


def blanked(text: str, pattern: re.Pattern) -> str:
    """`text` with what `pattern` matches turned into spaces, lines kept, so offsets still point home."""
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def without_code(text: str) -> str:
    """The text with code spans and code blocks blanked out: what looks like a footnote there is not one."""
    text = blanked(blanked(blanked(text, FENCE), HTML_CODE), CODE_SPAN)
    lines, out, opener = text.split("\n"), [], ""
    in_code = False
    for i, line in enumerate(lines):
        indented = line.startswith(("    ", "\t"))
        if indented and (in_code or (i and not lines[i - 1].strip() and not LIST_OR_NOTE.match(opener))):
            in_code = True
            out.append(" " * len(line))
            continue
        if line.strip():
            in_code = False
            if not indented:
                opener = line
        out.append(line)
    return "\n".join(out)
