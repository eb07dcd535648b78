"""bench_quality's pieces that need no model: the untouched half rewritten in the baseline
commit's fixture schema, the then-and-now table, and the published numbers. docs/quality.md
must be what bench_quality makes of the committed benchmarks/results/quality-*.json, and the
README's two quality tables must give the same pass rates, counts and p50 latencies: a rerun
that regenerates the page but leaves the README behind fails here (the README once showed a
tuning-half rate and latencies two runs old beside a newer page)."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from cmdai.quality import fixtures

ROOT = Path(__file__).resolve().parents[2]
# The baseline's loader (cmdai/quality/fixtures.py at that commit) wants exactly these.
BASELINE_TOP_KEYS = {"test_suite", "test_cases"}
BASELINE_REQUIRED = {"id", "prompt", "category", "expected_patterns", "forbidden_patterns",
                     "expected_risk", "should_block"}  # fmt: skip
BASELINE_ALLOWED = BASELINE_REQUIRED | {"shell", "notes"}


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_quality", ROOT / "benchmarks" / "bench_quality.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_untouched_half_in_the_baseline_schema_keeps_every_case(
    bench: ModuleType, tmp_path: Path
) -> None:
    source = ROOT / "tests" / "fixtures" / "prompts" / f"{bench.BASELINE_SUITE}.yaml"
    written = bench.baseline_fixture(source, tmp_path / "suite.yaml")
    data = yaml.safe_load(written.read_text())
    assert set(data) == BASELINE_TOP_KEYS
    for case in data["test_cases"]:
        assert BASELINE_REQUIRED <= set(case) <= BASELINE_ALLOWED, case["id"]
    original, rewritten = fixtures.load(source), fixtures.load(written)
    assert [(c.id, c.prompt, c.shell, c.expected_patterns, c.forbidden_patterns, c.should_block)
            for c in original.cases] == [
        (c.id, c.prompt, c.shell, c.expected_patterns, c.forbidden_patterns, c.should_block)
        for c in rewritten.cases
    ]  # fmt: skip


def test_the_baseline_commit_and_its_fixes_are_in_the_history(bench: ModuleType) -> None:
    """A clone too shallow to hold them cannot run the baseline; a full clone can."""
    shallow = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--is-shallow-repository"],
                             capture_output=True, text=True)  # fmt: skip
    if shallow.returncode != 0 or shallow.stdout.strip() == "true":
        pytest.skip("not a full git clone")
    for commit in [bench.BASELINE, *bench.BASELINE_FIXES]:
        found = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{commit}^{{commit}}"])
        assert found.returncode == 0, commit


def _records(suite: str, latencies: list[float], passed: int) -> list[dict]:
    return [{"suite": suite, "latency_ms": ms, "error": "", "passed": n < passed}
            for n, ms in enumerate(latencies)]  # fmt: skip


def test_then_and_now_compares_pass_rate_and_p50(bench: ModuleType) -> None:
    suite = bench.BASELINE_SUITE
    then = {"results": _records(suite, [900, 1000, 1100, 5000], passed=2)}
    now = {"results": _records(suite, [1000, 1200, 1200, 4000], passed=3)}
    table = "\n".join(bench.then_and_now({"m": now}, {"m": then}))
    assert "| m | 50.0% (2/4) | 75.0% (3/4) | 1050 → 1200 | +14.3% | 5000 → 4000 |" in table


def test_the_quality_page_is_what_the_results_make_it(bench: ModuleType) -> None:
    results, baselines = bench.published()
    assert sorted(results) == sorted(baselines) == sorted(bench.MODELS)
    page = (ROOT / "docs" / "quality.md").read_text()
    assert page == bench.page(results, baselines), (
        "docs/quality.md differs from benchmarks/results: run benchmarks/bench_quality.py "
        "rather than editing either by hand"
    )


def test_the_readme_quality_tables_agree_with_the_results(bench: ModuleType) -> None:
    readme = (ROOT / "README.md").read_text().splitlines()
    rows = bench.readme_rows(*bench.published())
    assert len(rows) == 2 * len(bench.MODELS)
    missing = [row for row in rows if row not in readme]
    assert missing == [], "the README's quality tables should have these rows:\n" + "\n".join(
        missing
    )
