"""The one domain error: every expected failure is a list of problems with a path and a line."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str
    severity: str = "error"  # "error" or "warning"
    code: str = ""

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
