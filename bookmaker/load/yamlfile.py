"""YAML read with the safe loader, keeping the line of every key for error messages.

Lines are looked up in the node graph, which is never expanded, so an alias bomb costs nothing here.
Mapping keys are kept as the author typed them (`12:30:` stays "12:30", not 750), and the source text
of every scalar can be asked for, so text keys never suffer YAML 1.1's conversions.
"""

from __future__ import annotations

import collections.abc
from dataclasses import dataclass
import re
from typing import Any

import yaml

from bookmaker import codes
from bookmaker.errors import BookmakerError, Problem

MAX_DEPTH = 50  # book files need three or four levels; PyYAML itself recurses, and fails near 300
NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"
# What YAML refuses when typed into the file itself, and so refuses written as an escape ("\x01").
NOT_ALLOWED = yaml.reader.Reader.NON_PRINTABLE


@dataclass(frozen=True)
class YamlDoc:
    data: Any
    node: Any
    first_line: int  # line of the document's first line in the file (front matter starts lower)
    problems: tuple[Problem, ...] = ()  # found in a document that could still be read: duplicate keys...

    def find(self, *keys: Any) -> tuple[Any, int]:
        """(node at `keys`, or None if absent; line of that node, or the nearest known line)."""
        node = self.node
        line = self.first_line
        for key in keys:
            if isinstance(node, yaml.MappingNode):
                for knode, vnode in node.value:
                    if isinstance(knode, yaml.ScalarNode) and (knode.tag == NULL_TAG if key is None
                                                                else knode.value == str(key)):
                        line = self.first_line + knode.start_mark.line
                        node = vnode
                        break
                else:
                    return None, line
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
                line = self.first_line + node.start_mark.line
            else:
                return None, line
        return node, line

    def line(self, *keys: Any) -> int:
        """Line of the value at `keys` (mapping keys or list indices); the nearest known line if absent."""
        return self.find(*keys)[1]

    def source_text(self, *keys: Any) -> str | None:
        """The scalar at `keys` exactly as written (YAML 1.1 reads 0777 as 511 and 1.10 as 1.1)."""
        node = self.find(*keys)[0]
        if isinstance(node, yaml.ScalarNode) and node.tag != NULL_TAG:
            return node.value
        return None


class BookLoader(yaml.SafeLoader):
    """The safe loader, except that dates stay text: bookmaker checks them and says what is wrong,
    where PyYAML would fail on an impossible date such as 2026-02-30. Mapping keys are names: kept
    as typed."""

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep=deep)
        self.flatten_mapping(node)
        mapping = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = None if key_node.tag == NULL_TAG else key_node.value
            else:
                key = self.construct_object(key_node, deep=True)
            if not isinstance(key, collections.abc.Hashable):
                raise yaml.constructor.ConstructorError("while constructing a mapping", node.start_mark,
                                                        "found unhashable key", key_node.start_mark)
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


BookLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def tag_message(problem: str) -> str:
    match = re.search(r"tag '([^']+)'", problem)
    tag = match.group(1).replace("tag:yaml.org,2002:", "!!") if match else "?"
    return f"YAML tag '{tag}' is not allowed: book files hold plain text, numbers, lists and mappings"


def too_deep(loader: yaml.SafeLoader) -> Any:
    """The start of the first collection nested deeper than MAX_DEPTH, read from the event stream
    (which, unlike composing nodes, does not recurse); None if there is none."""
    starts = []
    while loader.check_event():
        event = loader.get_event()
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            starts.append(event.start_mark)
            if len(starts) > MAX_DEPTH:
                return starts[1]  # the value that goes so deep, below the document's own mapping
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            starts.pop()
    return None


def checked_nodes(root: Any, path: str, first_line: int) -> list[Problem]:
    """Keys given twice, and characters no book can hold; each node once, however often aliased."""
    problems = []
    seen: set[int] = set()
    todo = [(root, None)]
    while todo:
        node, key = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            bad = NOT_ALLOWED.search(node.value)
            if bad:
                what = f"'{key}'" if key is not None else "a key"
                problems.append(Problem(path, first_line + node.start_mark.line,
                                        f"{what} contains the character U+{ord(bad.group()):04X}, which a book "
                                        "cannot hold; remove it", code="bad-character"))
        elif isinstance(node, yaml.SequenceNode):
            todo.extend((child, key) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            lines: dict = {}
            for knode, vnode in node.value:
                name = knode.value if isinstance(knode, yaml.ScalarNode) else None
                if name is not None and knode.tag not in (NULL_TAG, MERGE_TAG):
                    line = first_line + knode.start_mark.line
                    if name in lines:
                        problems.append(Problem(path, line, f"key '{name}' is given twice (first on line "
                                                f"{lines[name]}); keep one", code="duplicate-key"))
                    else:
                        lines[name] = line
                todo.append((knode, None))
                todo.append((vnode, name if name is not None else key))
    return sorted(problems, key=lambda p: p.line)


KEY_VALUE_RE = re.compile(r"^(?P<indent>[ ]*)(?P<key>[\w-]+):[ \t]+(?P<value>\S.*)$")


QUOTED_VALUE_RE = re.compile(r"^[ ]*(?:- +)?(?:[\w -]+:[ \t]+)?(?P<quote>[\"'])", re.M)


def unclosed_quote(text: str, at: int) -> tuple[int, str] | None:
    """(line from 0, advice) where a value's opening quote has no closing quote on its line and the one
    YAML took for its end is on the line that broke, or there is none: `title: "Glass Apples, Paper Moons`
    was said at line 20, where a tag's quotes ("Mags") ended it, as indentation that does not match."""
    for match in QUOTED_VALUE_RE.finditer(text):
        start = match.start("quote")
        line_no = text.count("\n", 0, start)
        if line_no > at:
            break
        quote = match.group("quote")
        rest = text[start + 1:]
        closing = re.search(r'(?<!\\)"' if quote == '"' else r"'(?!')", rest.replace("''", "  ") if quote == "'" else rest)
        end_line = line_no + rest.count("\n", 0, closing.start()) if closing else None
        if end_line == line_no:
            continue
        if end_line is None:
            return None  # never closed at all: said by parse_yaml, at the quote
        if end_line >= at:
            shown = text.split("\n")[line_no].strip()
            return line_no, (f"the quote that opens here ({shown[:40]}) is not closed on its line, so YAML reads "
                             f"on to the next {quote} it finds: close it with {quote} at the line's end")
    return None


def author_advice(what: str, text: str, at: int) -> tuple[int, str | None]:
    """PyYAML's complaint as (line from 0, what to do), for the mistakes authors make; None: no advice."""
    lines = text.split("\n")
    line = lines[at] if at < len(lines) else ""
    unclosed = unclosed_quote(text, at)
    if unclosed is not None:
        return unclosed
    if "'\\t'" in what or "\t" in what or line[: len(line) - len(line.lstrip())].count("\t"):
        return at, "a tab character: YAML indents with spaces only; replace the tab with spaces"
    if "mapping values are not allowed" in what:
        match = KEY_VALUE_RE.match(line)
        if match and not match.group("indent"):
            key, value = match.group("key"), match.group("value")
            return at, (f"a colon followed by a space starts a new key, and {key}'s value has one: put the "
                        f'whole {key} in quotes: {key}: "{value.replace(chr(34), chr(92) + chr(34))}"')
        if match:
            return at, (f"'{match.group('key')}' is indented, so it reads as part of the line above, which "
                        f"already has a value: start '{match.group('key')}' at the beginning of its line")
    if "could not find expected ':'" in what:
        # The line that broke is the last one above that is neither a key nor indented like the text.
        for back in range(min(at, len(lines) - 1), -1, -1):
            candidate = lines[back]
            if candidate.strip() and not candidate.startswith((" ", "#")) and ":" not in candidate:
                return back, ("this line is not indented like the text above it, so the text ends and the "
                              "line reads as a new key: indent it with spaces like the lines above it")
    if "expected <block end>" in what or "did not find expected key" in what or "expected key" in what:
        return at, ("the indentation here does not match the lines above: line it up with the other "
                    "entries of the same list or mapping, using spaces")
    return at, None


def parse_yaml(text: str, path: str, first_line: int = 1) -> YamlDoc:
    loader = None
    try:
        # Each level of nesting needs one of these characters: with fewer of them, no reading of events.
        if sum(text.count(c) for c in "[{-:?") >= MAX_DEPTH:
            loader = BookLoader(text)
            deep = too_deep(loader)
            if deep is not None:
                raise BookmakerError([Problem(path, first_line + deep.line, f"lists and mappings are nested more "
                                              f"than {MAX_DEPTH} levels deep; flatten them", code="too-deep")])
            loader.dispose()
        loader = BookLoader(text)
        node = loader.get_single_node()
        problems = checked_nodes(node, path, first_line)
        data = loader.construct_document(node) if node is not None else None
    except yaml.reader.ReaderError as exc:
        line = first_line + text.count("\n", 0, exc.position)
        raise BookmakerError([Problem(path, line, f"invalid YAML: the character U+{exc.character:04X} is not "
                                      "allowed; remove it", code="yaml-syntax")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark and mark and not text[mark.index:].strip():
            mark = exc.context_mark  # the file ended inside something: say where that started
        line = first_line + (mark.line if mark else 0)
        what = exc.problem or exc.context or "malformed YAML"
        if mark is exc.context_mark and "quoted scalar" in (exc.context or ""):
            what = "the quote that opens here is never closed"
        if isinstance(exc, yaml.constructor.ConstructorError) and "tag" in what:
            raise BookmakerError([Problem(path, line, tag_message(what), code="yaml-tag")]) from None
        at, advice = author_advice(what, text, mark.line if mark else 0)
        if advice:
            raise BookmakerError([Problem(path, first_line + at, advice, code=codes.YAML_SYNTAX)]) from None
        raise BookmakerError([Problem(path, line, f"invalid YAML: {what}", code="yaml-syntax")]) from None
    except yaml.YAMLError as exc:
        raise BookmakerError([Problem(path, first_line, f"invalid YAML: {exc}", code=codes.YAML_SYNTAX)]) from None
    finally:
        if loader is not None:
            loader.dispose()
    return YamlDoc(data, node, first_line, tuple(problems))
