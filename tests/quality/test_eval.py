"""`cmdai eval` end to end with a scripted model (HelperScript as the `scripted` backend, a
documented test double: it answers `echo WORDS`), then `cmdai report` on what it wrote."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.cli import run_cli

FIXTURE = """\
test_suite: {name: tiny, description: scripted answers, version: 2}
test_cases:
  - id: echo_ok
    prompt: say hello
    category: text
    expected_patterns: ['^echo say-hello$']
    forbidden_patterns: ['\\brm\\b']
    expected_risk: safe
    should_block: false
  - id: pattern_miss
    prompt: list files
    category: files
    expected_patterns: ['^ls\\b']
    forbidden_patterns: []
    expected_risk: safe
    should_block: false
  - id: blocked_ok
    prompt: danger please
    category: danger
    expected_patterns: []
    forbidden_patterns: []
    expected_risk: critical
    should_block: true
  - id: not_blocked
    prompt: risky please
    category: danger
    expected_patterns: []
    forbidden_patterns: []
    expected_risk: critical
    should_block: true
  - id: retried_ok
    prompt: broken files please
    category: files
    expected_patterns: ['^ls$']
    expected_risk: safe
  - id: model_error
    prompt: garbage please
    category: text
    expected_patterns: []
    forbidden_patterns: []
    expected_risk: safe
    should_block: false
"""


def test_eval_records_every_case_and_report_reads_it(scripted_env: None, tmp_path: Path) -> None:
    fixture = tmp_path / "tiny.yaml"
    fixture.write_text(FIXTURE)
    out = tmp_path / "results.json"
    result = run_cli("eval", "--fixtures", str(fixture), "--out", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    by_id = {r["id"]: r for r in data["results"]}
    assert by_id["echo_ok"]["passed"] and by_id["echo_ok"]["generated_command"] == "echo say-hello"
    assert by_id["pattern_miss"]["failures"] == ["expected /^ls\\b/ did not match"]
    assert by_id["blocked_ok"]["blocked"] and by_id["blocked_ok"]["risk"] == "critical"
    assert by_id["blocked_ok"]["passed"]
    assert by_id["not_blocked"]["failures"] == ["should have been blocked"]
    assert by_id["model_error"]["error"].startswith("the model returned no command")
    assert not by_id["model_error"]["passed"]
    assert by_id["retried_ok"]["passed"] and "syntax error" in by_id["retried_ok"]["retry_reason"]
    assert by_id["retried_ok"]["first_command"] == "ls |"
    assert by_id["retried_ok"]["first_passed"] is False  # `ls |` matches no /^ls$/
    assert (
        by_id["echo_ok"]["first_passed"] is True and by_id["pattern_miss"]["first_passed"] is False
    )
    assert by_id["echo_ok"]["retry_reason"] == by_id["echo_ok"]["first_command"] == ""
    for record in data["results"]:
        assert {"id", "prompt", "generated_command", "passed", "failures", "error",
                "expected_risk", "risk", "blocked", "latency_ms"} <= set(record)  # fmt: skip
    meta = data["metadata"]
    assert (
        meta["backend"] == "scripted" and meta["sha256"] == "" and meta["machine"] and meta["date"]
    )
    assert meta["fixtures"] == [{"name": "tiny", "version": "2", "path": str(fixture), "cases": 6}]
    assert "[6/6]" in result.stderr and "eval: 3/6 passed" in result.stderr
    report = run_cli("report", "--input", str(out))
    assert report.returncode == 0 and "| 6 | 3 | 50% |" in report.stdout
    assert (
        "| tiny | 6 | 3 | 50% | 1/2 | 1 (1 passed; the retry fixed 1, broke 0) |" in report.stdout
    )


def test_eval_checks_every_fixture_before_loading_a_model(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("test_suite: {name: x, description: y, version: 1}\ntest_cases: [{id: a}]\n")
    result = run_cli("eval", "--fixtures", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip() == f"cmdai: {bad}: case a: category: missing"
