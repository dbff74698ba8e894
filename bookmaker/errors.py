"""The one domain error: every expected failure is a list of problems with a path and a line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# What would break "one line per problem" or the UTF-8 of a report: control characters, line and
# paragraph separators, and the lone surrogates Python uses for bytes of a non-UTF-8 file name.
UNPRINTABLE_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` with unprintable characters escaped as Python writes them (\\n, \\x01, \\xe9 for a stray
    byte of a Latin-1 file name); escaping twice changes nothing."""

    def escape(match: re.Match) -> str:
        char = match.group(0)
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:
            return f"\\x{code - 0xDC00:02x}"  # the byte os.fsdecode() could not decode
        return repr(char)[1:-1] if code < 0x100 else f"\\u{code:04x}"

    return UNPRINTABLE_RE.sub(escape, text)


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str
    severity: str = "error"  # "error" or "warning"
    code: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", printable(str(self.path)))
        object.__setattr__(self, "message", printable(str(self.message)))

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.path}:{self.line}: {prefix}{self.message}"


class BookmakerError(Exception):
    """Raised once with every problem found, so an author fixes them all in one round."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class Problems:
    """Collects problems while a stage runs; `check()` raises if any of them is an error."""

    items: list[Problem] = field(default_factory=list)

    def error(self, path: str, line: int, message: str, code: str = "") -> None:
        self.items.append(Problem(str(path), max(int(line), 1), message, "error", code))

    def warn(self, path: str, line: int, message: str, code: str = "") -> None:
        self.items.append(Problem(str(path), max(int(line), 1), message, "warning", code))

    def extend(self, problems) -> None:
        self.items.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def check(self) -> None:
        if self.errors:
            raise BookmakerError(self.errors)
