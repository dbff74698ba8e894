"""The batch manifest: read (YAML or JSON), checked against its schema, expanded into one job per book.

The schema (`schemas/batch-manifest.schema.json`) is the published contract. It is checked here by a
small validator of the keywords that schema uses, not by `jsonschema`: that would be a new runtime
dependency (with a compiled extension) for one file, and a manifest would be judged differently with
and without it installed. `tests/test_batch.py` checks this validator against `jsonschema`.
"""

from __future__ import annotations

import glob
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from bookmaker import codes
from bookmaker.infra.budget import Budget, parse_seconds, parse_size
from bookmaker.errors import BookmakerError, Problem, Problems

MANIFEST_SCHEMA = "batch-manifest.schema.json"


@dataclass(frozen=True)
class Job:
    """One book to build: the project as the manifest names it (relative to the manifest's folder,
    the key shards are taken by), where it is, what to make, where to put it, and its budget."""

    name: str
    project: Path
    formats: tuple[str, ...] | None
    out_dir: Path | None
    budget: Budget
    problems: tuple[Problem, ...] = ()  # a job that cannot start: reported as failed, never built


def schema() -> dict:
    return json.loads(resources.files("bookmaker.schemas").joinpath(MANIFEST_SCHEMA).read_text(encoding="utf-8"))


# The schema's types in an author's words.
KIND_WORDS = {"object": "a set of keys", "array": "a list", "string": "text", "integer": "a whole number",
              "number": "a number"}


def described(value) -> str:
    """A YAML value as an author would name it: 'the number 3', 'a list', 'the text "x"'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing (the key has no value)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {json.dumps(value, ensure_ascii=False)[:40]}"
    return {dict: "a set of keys", list: "a list"}.get(type(value), type(value).__name__)


def schema_errors(value, rule: dict, root: dict, where: str = "") -> list[tuple[str, str]]:
    """(where, message) for each way `value` breaks `rule`: the keywords the manifest schema uses."""
    if "$ref" in rule:  # the referring rule's own description, if any, says more than the shared one's
        rule = {**root["$defs"][rule["$ref"].rsplit("/", 1)[1]],
                **{k: v for k, v in rule.items() if k == "description"}}
    shown = where or "the manifest"
    if "oneOf" in rule:
        fits = [schema_errors(value, option, root, where) for option in rule["oneOf"]]
        if sum(not errors for errors in fits) == 1:
            return []
        if not all(fits):
            return [(shown, "matches more than one form")]
        # the errors of the form this value has the type of: those say what to mend
        typed = [errors for errors in fits if not (errors[0][0] == shown and errors[0][1].startswith("must be "))]
        return min(typed or fits, key=len)
    kinds = rule.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        checks = {"object": dict, "array": list, "string": str, "integer": int, "number": (int, float)}
        if isinstance(value, bool) or not isinstance(value, tuple(checks[k] for k in kinds)):
            wanted = " or ".join(KIND_WORDS[k] for k in kinds)
            hint = f" ({rule['description']})" if "description" in rule else ""
            return [(shown, f"must be {wanted}, not {described(value)}{hint}")]
    errors: list[tuple[str, str]] = []
    if "enum" in rule and value not in rule["enum"]:
        errors.append((shown, f"{json.dumps(value)} is not one of {', '.join(rule['enum'])}"))
    if "minLength" in rule and isinstance(value, str) and len(value) < rule["minLength"]:
        errors.append((shown, "must not be empty"))
    if "exclusiveMinimum" in rule and value <= rule["exclusiveMinimum"]:
        errors.append((shown, f"must be more than {rule['exclusiveMinimum']}"))
    if isinstance(value, list):
        if len(value) < rule.get("minItems", 0):
            errors.append((shown, f"needs at least {rule['minItems']} item{'s' if rule['minItems'] > 1 else ''}"))
        if rule.get("uniqueItems") and len({json.dumps(v, sort_keys=True) for v in value}) < len(value):
            errors.append((shown, "lists an item twice"))
        for i, item in enumerate(value):
            errors += schema_errors(item, rule.get("items", {}), root, f"{where}[{i}]")
    if isinstance(value, dict):
        errors += [(shown, f"needs a '{key}' key") for key in rule.get("required", []) if key not in value]
        known = rule.get("properties", {})
        for key, item in value.items():
            inner = f"{where}.{key}" if where else str(key)
            if key in known:
                errors += schema_errors(item, known[key], root, inner)
            elif rule.get("additionalProperties", True) is False:
                errors.append((inner, f"unknown key '{key}' (known: {', '.join(known)})"))
    return errors


def node_lines(text: str) -> dict[str, int]:
    """The line of each value in the manifest, by the path the validator names it with."""
    lines: dict[str, int] = {}

    def walk(node, where: str) -> None:
        lines[where] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, item in node.value:
                walk(item, f"{where}.{key.value}" if where else str(key.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{where}[{i}]")

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines
    if root is not None:
        walk(root, "")
    return lines


def read_manifest(path: Path) -> tuple[dict, dict[str, int]]:
    """The manifest's data and the line of each value; every problem raised at once."""
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BookmakerError([Problem(shown, 1, f"cannot read the manifest: {getattr(exc, 'strerror', None) or exc}",
                                      code=codes.UNREADABLE)]
                             ) from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise BookmakerError([Problem(shown, exc.lineno, f"not valid JSON: {exc.msg}", code=codes.BAD_MANIFEST)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise BookmakerError([Problem(shown, mark.line + 1 if mark else 1,
                                      f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
                                      code=codes.YAML_SYNTAX)]) from None
    lines = node_lines(text)
    rules = schema()
    errors = schema_errors(data, rules, rules)
    if errors:
        raise BookmakerError([Problem(shown, lines.get(where.replace("the manifest", ""), 1), f"{where}: {message}",
                                      code=codes.BAD_MANIFEST)
                              for where, message in errors])
    return data, lines


def budget_of(entry: dict, shown: str, line: int) -> Budget | None:
    if "budget" not in entry:
        return None
    given = entry["budget"]
    problems = Problems()
    seconds = memory = None
    try:
        seconds = parse_seconds(given["max_seconds"]) if "max_seconds" in given else None
        memory = parse_size(given["max_memory"]) if "max_memory" in given else None
    except BookmakerError as exc:
        for problem in exc.problems:
            problems.error(shown, line, f"budget: {problem.message}", code=codes.BAD_SETTING)
    problems.check()
    return Budget(seconds, memory)


def expand(pattern: str, base: Path) -> list[Path]:
    """The project folders a manifest entry names, in a stable order."""
    if not glob.has_magic(pattern):
        return [base / pattern]
    return [Path(p) for p in sorted(glob.glob(str(base / pattern), recursive=True)) if Path(p).is_dir()]


def read_jobs(manifest: Path, budget: Budget) -> list[Job]:
    """Every book the manifest names, once each (the first entry naming it wins)."""
    data, lines = read_manifest(manifest)
    base = manifest.parent
    shown = str(manifest)
    default_budget = budget.stricter(budget_of(data, shown, lines.get("budget", 1)))
    jobs: dict[str, Job] = {}
    problems = Problems()
    for i, entry in enumerate(data["projects"]):
        entry = {"path": entry} if isinstance(entry, str) else entry
        line = lines.get(f"projects[{i}]", 1)
        formats = entry.get("formats", data.get("formats"))
        output = entry.get("output", data.get("output"))
        entry_budget = budget_of(entry, shown, line)
        own_budget = default_budget.stricter(entry_budget)
        found = expand(entry["path"], base)
        if not found:
            jobs.setdefault(entry["path"], Job(entry["path"], base / entry["path"], None, None, own_budget,
                                               (Problem(shown, line, f"no project folder matches "
                                                                     f"'{entry['path']}'", code=codes.BAD_PROJECT),)))
        for project in found:
            name = Path(project).relative_to(base).as_posix() if project.is_relative_to(base) else str(project)
            out_dir = None if output is None else base / output / project.resolve().name
            jobs.setdefault(name, Job(name, project, tuple(formats) if formats else None, out_dir, own_budget))
    by_out: dict[Path, str] = {}
    for job in jobs.values():
        if job.out_dir is not None:
            other = by_out.setdefault(job.out_dir.resolve(), job.name)
            if other != job.name:
                problems.error(shown, 1, f"'{other}' and '{job.name}' would both write into {job.out_dir}: "
                                         "give one of them an output of its own", code=codes.BAD_OUTPUT)
    problems.check()
    return list(jobs.values())


def in_shard(name: str, shard: tuple[int, int] | None) -> bool:
    """Whether shard I of N (counted from 1) builds this project: by a hash of its path as the
    manifest names it, the same on every machine and every Python (not `hash()`, which is salted)."""
    if shard is None:
        return True
    index, count = shard
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big") % count == index - 1


def parse_shard(text: str) -> tuple[int, int]:
    """"2/4" -> (2, 4): the second of four shards."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise BookmakerError([Problem("--shard", 1, f"'{text}' is not a shard: give I/N, for example 1/4",
                                      code=codes.BAD_SETTING)]) from None
    if not 1 <= index <= count:
        raise BookmakerError([Problem("--shard", 1, f"shard {text}: I must be from 1 to N (shards are counted "
                                      "from 1; a Kubernetes JOB_COMPLETION_INDEX from 0, so add 1)",
                                      code=codes.BAD_SETTING)])
    return index, count
