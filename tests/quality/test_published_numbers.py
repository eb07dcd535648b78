"""The quality numbers written in words agree with the results they come from: docs/quality.md
is what benchmarks/bench_quality.py makes of the committed benchmarks/results/quality-*.json,
and the README's two quality tables give the same pass rates, counts and p50 latencies. A rerun
that regenerates the page but leaves the README behind fails here (the README once showed a
tuning-half rate and latencies two runs old beside a newer page)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_quality", ROOT / "benchmarks" / "bench_quality.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
