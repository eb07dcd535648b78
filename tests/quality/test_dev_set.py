"""The development set (dev-tune.yaml, the tuning half; dev-check.yaml, the untouched half):
its size and spread, the split, and for every case that its patterns accept each listed right
answer and reject each listed near miss (dev-answers.yaml), and that the checks comparing a
command with its request (named places, files and programs) let every right answer through: a
check that rejects a right answer sends the model back for nothing, and may get a wrong one."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cmdai.quality.fixtures import Case, load
from cmdai.validate import check_named_places, check_named_programs

PROMPTS = Path(__file__).resolve().parents[1] / "fixtures" / "prompts"
TUNE = load(PROMPTS / "dev-tune.yaml")
CHECK = load(PROMPTS / "dev-check.yaml")
ANSWERS = yaml.safe_load((PROMPTS / "dev-answers.yaml").read_text())
CASES = {case.id: case for case in (*TUNE.cases, *CHECK.cases)}


def passes(case: Case, command: str) -> bool:
    return all(p.search(command) for p in case.expected_patterns) and not any(
        p.search(command) for p in case.forbidden_patterns
    )


def test_the_set_is_large_spread_and_split_in_two_halves() -> None:
    assert len(CASES) == len(TUNE.cases) + len(CHECK.cases) >= 300  # no id in both halves
    assert abs(len(TUNE.cases) - len(CHECK.cases)) <= 1
    assert len({case.category for case in CASES.values()}) >= 40
    assert not {c.prompt for c in TUNE.cases} & {c.prompt for c in CHECK.cases}


def test_every_case_has_right_answers_and_near_misses() -> None:
    assert set(ANSWERS) == set(CASES)
    for case_id, answers in ANSWERS.items():
        assert answers["right"] and answers["wrong"], case_id


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_patterns_accept_the_right_answers_and_reject_the_near_misses(case_id: str) -> None:
    case = CASES[case_id]
    rejected = [r for r in ANSWERS[case_id]["right"] if not passes(case, r)]
    accepted = [w for w in ANSWERS[case_id]["wrong"] if passes(case, w)]
    assert not rejected and not accepted


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_the_request_checks_let_every_right_answer_through(case_id: str) -> None:
    case = CASES[case_id]
    problems = [(answer, problem.message) for answer in ANSWERS[case_id]["right"]
                for check in (check_named_places, check_named_programs)
                if (problem := check(case.prompt, answer))]  # fmt: skip
    assert not problems
