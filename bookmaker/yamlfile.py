"""YAML read with the safe loader, keeping the line of every key for error messages.

Lines are looked up in the node graph, which is never expanded, so an alias bomb costs nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import Any

import yaml

from bookmaker.errors import BookmakerError, Problem


@dataclass(frozen=True)
class YamlDoc:
    data: Any
    node: Any
    first_line: int  # line of the document's first line in the file (front matter starts lower)

    def line(self, *keys: Any) -> int:
        """Line of the value at `keys` (mapping keys or list indices); the nearest known line if absent."""
        node = self.node
        line = self.first_line
        for key in keys:
            if isinstance(node, yaml.MappingNode):
                for knode, vnode in node.value:
                    if isinstance(knode, yaml.ScalarNode) and knode.value == str(key):
                        line = self.first_line + knode.start_mark.line
                        node = vnode
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
                line = self.first_line + node.start_mark.line
            else:
                return line
        return line


class BookLoader(yaml.SafeLoader):
    """The safe loader, except that dates stay text: bookmaker checks them and says what is wrong,
    where PyYAML would fail on an impossible date such as 2026-02-30."""


BookLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def tag_message(problem: str) -> str:
    match = re.search(r"tag '([^']+)'", problem)
    tag = match.group(1).replace("tag:yaml.org,2002:", "!!") if match else "?"
    return f"YAML tag '{tag}' is not allowed: book files hold plain text, numbers, lists and mappings"


def parse_yaml(text: str, path: str, first_line: int = 1) -> YamlDoc:
    loader = BookLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        what = exc.problem or exc.context or "malformed YAML"
        if isinstance(exc, yaml.constructor.ConstructorError) and "tag" in what:
            raise BookmakerError([Problem(path, line, tag_message(what), code="yaml-tag")]) from None
        raise BookmakerError([Problem(path, line, f"invalid YAML: {what}", code="yaml-syntax")]) from None
    except yaml.YAMLError as exc:
        raise BookmakerError([Problem(path, first_line, f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    return YamlDoc(data, node, first_line)
