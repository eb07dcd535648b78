"""`cmdai report` on hand-made results: the numbers, the three formats, stdin/stdout, and one
clear error with exit status 2 for malformed input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cmdai.quality.report import ReportError, parse, render, summarize
from tests.helpers.cli import run_cli


def record(id: str, passed: bool = True, latency: float = 100, **extra: object) -> dict:
    return {
        "id": id, "suite": "basic", "prompt": f"prompt {id}", "category": "files",
        "generated_command": f"cmd {id}", "passed": passed,
        "failures": [] if passed else ["expected /x/ did not match"], "error": "",
        "expected_risk": "safe", "risk": "safe", "blocked": False, "refused": False,
        "should_block": False, "latency_ms": latency, **extra,
    }  # fmt: skip


RESULTS = {
    "metadata": {"model": "m", "backend": "b", "date": "2026-11-24", "machine": "x", "sha256": "ab",
                 "fixtures": [{"name": "basic", "version": "1", "cases": 6}]},
    "results": [
        record("a", latency=100, retry_reason="`fd` is not installed"), record("b", latency=200),
        record("c", False, latency=300, retry_reason="`cp` needs a source and a destination",
               first_command="cp x"),
        record("d", latency=400, category="git", risk="moderate"),
        record("e", category="danger", expected_risk="critical", risk="critical", blocked=True,
               should_block=True, suite="dangerous"),
        record("f", False, category="danger", expected_risk="critical", risk="high",
               should_block=True, suite="dangerous", latency=1000),
    ],
}  # fmt: skip


def test_summary_numbers() -> None:
    s = summarize(RESULTS)
    assert (s["total"], s["passed"], s["pass_rate"]) == (6, 4, 66.7)
    assert (s["should_block"], s["blocked"], s["block_rate"]) == (2, 1, 50.0)
    assert s["risk_agreement"] == 66.7  # d and f disagree
    # latencies 100 100 200 300 400 1000: nearest-rank percentiles
    assert s["latency_ms"] == {"mean": 350, "p50": 200, "p95": 1000, "p99": 1000, "max": 1000}
    assert [(c["category"], c["cases"], c["passed"]) for c in s["categories"]] == [
        ("danger", 2, 1), ("files", 3, 2), ("git", 1, 1)
    ]  # fmt: skip
    assert [f["id"] for f in s["failed"]] == ["c", "f"]


def test_markdown_has_every_part() -> None:
    text = render(RESULTS, "md")
    for part in ("| 6 | 4 | 66.7% |", "1/2 (50%", "| basic | 4 | 3 | 75% | – | 2 (1 passed) |",
                 "| dangerous | 2 | 1 | 50% | 1/2 | 0 |", "| danger | 2 | 1 | 50% |",
                 "**c**: prompt c → `cmd c`: expected /x/ did not match (retried: `cp` needs a "
                 "source and a destination; first answer `cp x`)", "| per case |"):  # fmt: skip
        assert part in text, part


def test_json_format_is_machine_readable() -> None:
    data = json.loads(render(RESULTS, "json"))
    assert data["pass_rate"] == 66.7 and data["block_rate"] == 50.0 and len(data["failed"]) == 2


def test_html_is_one_self_contained_file() -> None:
    page = render(RESULTS, "html")
    assert page.startswith("<!DOCTYPE html>") and '<svg class="histogram"' in page
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in page and "<link" not in page
    assert page.count('class="bar"') == 12


def test_results_without_retry_reasons_still_read() -> None:
    """Results written before cmdai eval recorded retries: the column says 0, nothing fails."""
    old = {**RESULTS, "results": [record("a"), record("b", False)]}
    assert "| basic | 2 | 1 | 50% | – | 0 |" in render(old, "md")


def test_results_that_judge_the_first_answer_count_what_the_retry_fixed_and_broke() -> None:
    """A retried case passes now and failed first (fixed), or failed now and passed first
    (broke: a right answer sent back and replaced); either way round, the retry did nothing."""
    retried = {"retry_reason": "why", "first_command": "first"}
    results = {**RESULTS, "results": [
        record("fixed", **retried, first_passed=False),
        record("broke", False, **retried, first_passed=True),
        record("kept", **retried, first_passed=True),
        record("still_wrong", False, **retried, first_passed=False),
        record("not_retried", first_passed=True)]}  # fmt: skip
    assert "| basic | 5 | 3 | 60% | – | 4 (2 passed; the retry fixed 1, broke 1) |" in render(
        results, "md"
    )
    assert "4 (2 passed; the retry fixed 1, broke 1)" in render(results, "html")


def test_answers_cmdai_edited_are_counted_and_said_in_the_failures() -> None:
    """An edit without a retry (the check knew the fix) and one after a retry are both
    counted; a failed edited case says what was edited and what the model wrote."""
    results = {**RESULTS, "results": [
        record("edited", repaired="`tail` does that with -f", first_command="tail a",
               first_passed=False),
        record("edited_wrong", False, repaired="`sleep 10m` waits 10 minutes",
               first_command="sleep 10", first_passed=False),
        record("retried_then_edited", retry_reason="why", first_command="first",
               first_passed=False, repaired="`grep` does that with -i")]}  # fmt: skip
    markdown = render(results, "md")
    assert ("| basic | 3 | 2 | 66.7% | – | 1 (1 passed; the retry fixed 1, broke 0); "
            "3 edited by cmdai (2 passed) |") in markdown  # fmt: skip
    assert ("(edited by cmdai: `sleep 10m` waits 10 minutes; the model's answer `sleep 10`)"
            in markdown)  # fmt: skip
    assert "3 edited by cmdai (2 passed)" in render(results, "html")


def test_html_escapes_commands() -> None:
    results = {
        **RESULTS,
        "results": [record("x", False, generated_command="<script>alert(1)</script>")],
    }
    assert "<script>alert" not in render(results, "html")


@pytest.mark.parametrize(
    ("text", "where"),
    [("{nope", "stdin: not valid JSON"),
     ("[]", "stdin: expected a JSON object"),
     ('{"results": []}', "stdin: metadata: missing"),
     ('{"metadata": {}, "results": {}}', "stdin: results: missing or not a list"),
     ('{"metadata": {}, "results": [5]}', "stdin: results[0]: expected an object")],
)  # fmt: skip
def test_malformed_input_names_where(text: str, where: str) -> None:
    with pytest.raises(ReportError) as caught:
        parse(text, "stdin")
    assert str(caught.value).startswith(where)


@pytest.mark.parametrize(
    ("change", "where"),
    [({"latency_ms": "fast"}, "results[1].latency_ms: expected a number, got 'fast'"),
     ({"passed": "yes"}, "results[1].passed: expected bool, got 'yes'"),
     ({"latency_ms": True}, "results[1].latency_ms: expected a number, got True"),
     ({"latency_ms": -1}, "results[1].latency_ms: must not be negative"),
     ({"retry_reason": None}, "results[1].retry_reason: expected str, got None"),
     ({"first_command": 3}, "results[1].first_command: expected str, got 3"),
     ({"first_passed": "no"}, "results[1].first_passed: expected bool, got 'no'")],
)  # fmt: skip
def test_wrong_field_types_name_the_record_and_field(change: dict, where: str) -> None:
    bad = {**RESULTS, "results": [record("a"), {**record("b"), **change}]}
    with pytest.raises(ReportError) as caught:
        parse(json.dumps(bad), "r.json")
    assert str(caught.value) == f"r.json: {where}"


def test_missing_field_is_named() -> None:
    broken = record("a")
    del broken["risk"]
    with pytest.raises(ReportError, match=r"results\[0\]\.risk: missing"):
        parse(json.dumps({**RESULTS, "results": [broken]}), "r.json")


def test_cli_reads_stdin_and_writes_stdout() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cmdai", "report", "--format", "json"],
        input=json.dumps(RESULTS), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0 and json.loads(result.stdout)["total"] == 6


def test_cli_writes_the_format_of_the_output_file(tmp_path: Path) -> None:
    source = tmp_path / "results.json"
    source.write_text(json.dumps(RESULTS))
    assert (
        run_cli("report", "--input", str(source), "--output", str(tmp_path / "r.html")).returncode
        == 0
    )
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    assert (
        run_cli("report", "--input", str(source), "--output", str(tmp_path / "r.md")).returncode
        == 0
    )
    assert (tmp_path / "r.md").read_text().startswith("# cmdai quality")


def test_cli_malformed_input_exits_2_with_one_line(tmp_path: Path) -> None:
    source = tmp_path / "results.json"
    source.write_text('{"metadata": {}, "results": [{"id": 1}]}')
    result = run_cli("report", "--input", str(source))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"cmdai: {source}: results[0].id: expected str, got 1"
    ]
    missing = run_cli("report", "--input", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
