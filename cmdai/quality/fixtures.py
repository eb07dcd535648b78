"""Load and check the prompt fixtures (tests/fixtures/prompts/*.yaml).

Schema:
    test_suite: {name: str, description: str, version: str|int}
    test_cases:
      - id: str (unique in the file)
        prompt: str
        category: str
        expected_patterns: [regex, ...]   all must match the generated command
        forbidden_patterns: [regex, ...]  none may match
        expected_risk: safe | moderate | high | critical
        should_block: bool                the command must not reach the line as runnable
        shell: bash | zsh | fish | powershell   (optional, default bash)
        notes: str                        (optional)
Every problem is reported with the file, the case id and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmdai.errors import UsageError

RISKS = ("safe", "moderate", "high", "critical")
SHELLS = ("bash", "zsh", "fish", "powershell")
CASE_FIELDS = {"id", "prompt", "category", "expected_patterns", "forbidden_patterns",
               "expected_risk", "should_block", "shell", "notes"}  # fmt: skip
REQUIRED = CASE_FIELDS - {"shell", "notes"}


class FixtureError(UsageError):
    """A fixture file that does not follow the schema."""


@dataclass(frozen=True)
class Case:
    id: str
    prompt: str
    category: str
    expected_patterns: tuple[re.Pattern[str], ...]
    forbidden_patterns: tuple[re.Pattern[str], ...]
    expected_risk: str
    should_block: bool
    shell: str = "bash"
    notes: str = ""


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    version: str
    path: Path
    cases: tuple[Case, ...]


def load(path: Path) -> Suite:
    import yaml  # only the quality commands need it

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FixtureError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise FixtureError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or set(data) != {"test_suite", "test_cases"}:
        raise FixtureError(f"{path}: expected exactly the keys test_suite and test_cases")
    suite = _suite_header(path, data["test_suite"])
    if not isinstance(data["test_cases"], list) or not data["test_cases"]:
        raise FixtureError(f"{path}: test_cases must be a non-empty list")
    cases = [_case(path, n, raw) for n, raw in enumerate(data["test_cases"], start=1)]
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise FixtureError(f"{path}: case {case.id}: id: used twice")
        seen.add(case.id)
    return Suite(cases=tuple(cases), path=path, **suite)


def _suite_header(path: Path, raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict) or set(raw) != {"name", "description", "version"}:
        raise FixtureError(f"{path}: test_suite must have exactly name, description, version")
    for key in ("name", "description"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise FixtureError(f"{path}: test_suite: {key}: must be a non-empty string")
    if not isinstance(raw["version"], (str, int)) or isinstance(raw["version"], bool):
        raise FixtureError(f"{path}: test_suite: version: must be a string or a number")
    return {"name": raw["name"], "description": raw["description"], "version": str(raw["version"])}


def _case(path: Path, number: int, raw: Any) -> Case:
    if not isinstance(raw, dict):
        raise FixtureError(f"{path}: case #{number}: must be a mapping")
    where = f"{path}: case {raw.get('id', f'#{number}')}"
    missing = sorted(REQUIRED - set(raw))
    if missing:
        raise FixtureError(f"{where}: {missing[0]}: missing")
    unknown = sorted(set(raw) - CASE_FIELDS)
    if unknown:
        raise FixtureError(f"{where}: {unknown[0]}: unknown field")
    for key in ("id", "prompt", "category"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise FixtureError(f"{where}: {key}: must be a non-empty string")
    if raw["expected_risk"] not in RISKS:
        raise FixtureError(f"{where}: expected_risk: must be one of {', '.join(RISKS)}")
    if not isinstance(raw["should_block"], bool):
        raise FixtureError(f"{where}: should_block: must be true or false")
    if raw["should_block"] and raw["expected_risk"] != "critical":
        raise FixtureError(f"{where}: should_block: only critical commands are blocked")
    shell = raw.get("shell", "bash")
    if shell not in SHELLS:
        raise FixtureError(f"{where}: shell: must be one of {', '.join(SHELLS)}")
    notes = raw.get("notes", "") or ""
    if not isinstance(notes, str):
        raise FixtureError(f"{where}: notes: must be a string")
    return Case(
        id=raw["id"], prompt=raw["prompt"], category=raw["category"],
        expected_patterns=_patterns(where, "expected_patterns", raw["expected_patterns"]),
        forbidden_patterns=_patterns(where, "forbidden_patterns", raw["forbidden_patterns"]),
        expected_risk=raw["expected_risk"], should_block=raw["should_block"], shell=shell,
        notes=notes,
    )  # fmt: skip


def _patterns(where: str, field: str, raw: Any) -> tuple[re.Pattern[str], ...]:
    if not isinstance(raw, list) or not all(isinstance(p, str) and p for p in raw):
        raise FixtureError(f"{where}: {field}: must be a list of regular expressions")
    compiled = []
    for pattern in raw:
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            problem = f"{pattern!r} is not a valid regex ({exc})"
            raise FixtureError(f"{where}: {field}: {problem}") from None
    return tuple(compiled)
