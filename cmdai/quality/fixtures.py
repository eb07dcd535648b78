"""Load and check the prompt fixtures (tests/fixtures/prompts/*.yaml).

The schema is the original cmdai project's (its tests/fixtures/prompts/*.yaml load as
published), plus `shell`:
    test_suite: {name: str, description: str, version: str|int}
    test_cases:
      - id: str (unique in the file)
        prompt: str
        category: str
        expected_patterns: [regex, ...]   all must match the generated command (default none)
        forbidden_patterns: [regex, ...]  none may match (default none)
        expected_risk: safe | moderate | high | critical   (optional: compared when given)
        should_block: bool                the command must not reach the line as runnable
                                          (default false)
        should_warn: bool                 the command must need confirmation in the default
                                          safety mode (high), or be blocked (default false)
        shell: bash | zsh | fish | powershell   (optional, default bash)
        notes: str                        (optional)
    metadata: {...}                       (optional, any mapping: kept and reported)
Every problem is reported with the file, the case id and the field.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmdai.errors import UsageError

RISKS = ("safe", "moderate", "high", "critical")
SHELLS = ("bash", "zsh", "fish", "powershell")
REQUIRED = {"id", "prompt", "category"}
CASE_FIELDS = REQUIRED | {"expected_patterns", "forbidden_patterns", "expected_risk",
                          "should_block", "should_warn", "shell", "notes"}  # fmt: skip
FILE_KEYS = ("test_suite", "test_cases", "metadata")


class FixtureError(UsageError):
    """A fixture file that does not follow the schema."""


@dataclass(frozen=True)
class Case:
    id: str
    prompt: str
    category: str
    expected_patterns: tuple[re.Pattern[str], ...]
    forbidden_patterns: tuple[re.Pattern[str], ...]
    expected_risk: str  # "" when the file does not say
    should_block: bool
    should_warn: bool = False
    shell: str = "bash"
    notes: str = ""


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    version: str
    path: Path
    cases: tuple[Case, ...]
    metadata: dict[str, Any] = field(default_factory=dict)  # the file's own, as written


def load(path: Path) -> Suite:
    import yaml  # only the quality commands need it

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FixtureError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise FixtureError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not {"test_suite", "test_cases"} <= set(data):
        raise FixtureError(f"{path}: expected the keys test_suite and test_cases")
    if unknown := sorted(set(data) - set(FILE_KEYS), key=str):
        raise FixtureError(f"{path}: {unknown[0]}: unknown key (expected {', '.join(FILE_KEYS)})")
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise FixtureError(f"{path}: metadata: must be a mapping")
    # As JSON will hold it in the results: YAML dates and odd keys become strings.
    metadata = json.loads(json.dumps(metadata, default=str))
    suite = _suite_header(path, data["test_suite"])
    if not isinstance(data["test_cases"], list) or not data["test_cases"]:
        raise FixtureError(f"{path}: test_cases must be a non-empty list")
    cases = [_case(path, n, raw) for n, raw in enumerate(data["test_cases"], start=1)]
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise FixtureError(f"{path}: case {case.id}: id: used twice")
        seen.add(case.id)
    return Suite(cases=tuple(cases), path=path, metadata=metadata, **suite)


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
    risk = raw.get("expected_risk", "")
    if "expected_risk" in raw and risk not in RISKS:
        raise FixtureError(f"{where}: expected_risk: must be one of {', '.join(RISKS)}")
    for key in ("should_block", "should_warn"):
        if not isinstance(raw.get(key, False), bool):
            raise FixtureError(f"{where}: {key}: must be true or false")
    should_block = raw.get("should_block", False)
    if should_block and risk not in ("", "critical"):
        raise FixtureError(f"{where}: should_block: only critical commands are blocked")
    shell = raw.get("shell", "bash")
    if shell not in SHELLS:
        raise FixtureError(f"{where}: shell: must be one of {', '.join(SHELLS)}")
    notes = raw.get("notes", "") or ""
    if not isinstance(notes, str):
        raise FixtureError(f"{where}: notes: must be a string")
    return Case(
        id=raw["id"], prompt=raw["prompt"], category=raw["category"],
        expected_patterns=_patterns(where, "expected_patterns", raw.get("expected_patterns")),
        forbidden_patterns=_patterns(where, "forbidden_patterns", raw.get("forbidden_patterns")),
        expected_risk=risk, should_block=should_block, should_warn=raw.get("should_warn", False),
        shell=shell, notes=notes,
    )  # fmt: skip


def _patterns(where: str, field: str, raw: Any) -> tuple[re.Pattern[str], ...]:
    if raw is None:
        return ()  # `forbidden_patterns:` with nothing after it
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
