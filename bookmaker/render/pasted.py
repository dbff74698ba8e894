"""HTML pasted from Google Docs or Word, made plain: its styles, classes, ids and formatting-only spans
are the source document's look, which would override the book's theme (a sans-serif chapter with no
indents). Works on the raw HTML Python-Markdown stashed, so the markup Markdown makes is never touched."""

from __future__ import annotations

import html
import re

TAG_RE = re.compile(r"<(/?)([A-Za-z][\w:.-]*)((?:\s+[^\s=>/]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*(/?)>")
ATTR_RE = re.compile(r"([^\s=>/]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+))?")
TARGET_RE = re.compile(r"""href\s*=\s*["']?[^"'\s>#]*#([^"'\s>]+)""", re.I)
# A paragraph that is only asterisks (or another ornament an author types) is a scene break.
BREAK_P_RE = re.compile(r"<p\b[^>]*>\s*(?:[*#~]\s*){1,5}\s*</p>", re.I)
LOOK_ATTRS = {"style", "class", "align", "face", "color", "size", "bgcolor"}
FORMATTING_ONLY = {"span", "font"}
# The ids word processors scatter (Google Docs' h.xxxx and kix.xxxx, Word's _Toc/_Ref/_Hlk bookmarks):
# an id the author chose may be the target of a link in another chapter, so only these go.
GENERATED_ID_RE = re.compile(r"^(h\.\w+|kix\.\w+|id\.\w+|_(Toc|Ref|Hlk|GoBack)\w*|docs-internal-guid-[\w-]+|OLE_LINK\d+)$")
RENAMED = {"b": "strong", "i": "em"}
MARKER = "bookmaker-pasted:"


def make_plain(stash: list, page_text: str, scene_breaks: bool, styled_classes=frozenset()) -> None:
    """Clean every stashed raw HTML piece in place; a comment at the first piece changed says what was
    removed, for the one warning xhtml.py gives per page. A class the book's own stylesheets name is
    the author's design, not the pasted document's look: it stays."""
    targets = set(TARGET_RE.findall(page_text))
    for piece in stash:
        targets.update(TARGET_RE.findall(str(piece)))
    removed: dict[str, str] = {}  # what → the first text it was found in, for the warning's line
    open_spans: list[bool] = []  # for each open <span>/<font>: whether its tags are dropped

    def tag(m: re.Match) -> str:
        closing, name, attrs, self_closing = m.group(1), m.group(2), m.group(3) or "", m.group(4)
        lower = name.lower()
        if closing:
            if lower in FORMATTING_ONLY:
                return "" if (open_spans.pop() if open_spans else True) else m.group(0)
            return f"</{RENAMED[lower]}>" if lower in RENAMED else m.group(0)
        kept = []
        for attr in ATTR_RE.finditer(attrs):
            key = attr.group(1).lower()
            value = html.unescape((attr.group(2) or "").strip("\"'"))
            if key == "class" and value.split() and all(c in styled_classes for c in value.split()):
                kept.append(attr.group(0))
            elif key in LOOK_ATTRS or key.startswith(("data-", "mso-")):
                removed.setdefault("inline styles" if key in ("style", "face", "color", "size", "bgcolor") else
                                   "classes" if key == "class" else "alignment", attr.group(0))
            elif key == "id" and value not in targets and GENERATED_ID_RE.match(value):
                removed.setdefault("word-processor ids", attr.group(0))
            else:
                kept.append(attr.group(0))
        if lower in FORMATTING_ONLY:
            plain = not kept  # a span that still says something (lang, dir, a link target) stays
            if not self_closing:
                open_spans.append(plain)
            if plain:
                removed.setdefault("formatting-only <span> tags", m.group(0))
                return ""
        if lower == "hr" and scene_breaks:
            return '<hr class="scene-break" />'
        name = RENAMED.get(lower, name)
        return f"<{name}{''.join(' ' + a for a in kept)}{' /' if self_closing else ''}>"

    first = None
    for i, piece in enumerate(stash):
        text = original = str(piece)
        if "<" not in text:
            continue
        if scene_breaks and BREAK_P_RE.search(text):
            text = BREAK_P_RE.sub('<hr class="scene-break" />', text)
            removed.setdefault("centred asterisks (now scene breaks)", "* *")
        cleaned = TAG_RE.sub(tag, text)
        if cleaned != original:
            stash[i] = cleaned
            first = i if first is None else first
    if first is not None and removed:
        what = ",".join(sorted(removed, key=list(removed).index))
        needle = next(iter(removed.values())).replace("--", "")
        stash[first] = f"<!--{MARKER}{what}|{needle}-->" + str(stash[first])
