"""bench_then_now's arithmetic, without a model: each side's p50 is the median of each case's
mean over its two runs, over the cases both runs answered."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    sys.path.insert(0, str(BENCHMARKS))  # it imports bench_quality, as it does when run
    try:
        yield importlib.import_module("bench_then_now")
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_each_case_counts_once_with_the_mean_of_its_two_runs(bench: ModuleType) -> None:
    first = {"a": 100.0, "b": 300.0, "c": 900.0}
    second = {"a": 300.0, "b": 500.0, "c": 1100.0, "d": 50.0}  # d failed in the first run
    assert bench.p50_of_means([first, second]) == (400, 3)


def test_the_row_shows_every_run_and_the_change_of_the_means(bench: ModuleType) -> None:
    then = [{"a": 1000.0, "b": 2000.0}, {"a": 1200.0, "b": 2200.0}]  # runs 1 and 4
    now = [{"a": 1100.0, "b": 2300.0}, {"a": 1300.0, "b": 2500.0}]  # runs 2 and 3
    row = bench.row("m", {"then": then, "now": now})
    # then: means 1100, 2100 -> 1600; now: 1200, 2400 -> 1800; +12.5 %
    assert row == "| m | 1500, 1700 | 1700, 1900 | 1600 → 1800 | +12.5% | 2, 2 |"


def test_the_order_is_symmetric(bench: ModuleType) -> None:
    """Then, now, now, then: a load that rises or falls steadily over the runs weighs the same
    on both sides."""
    assert tuple(reversed(bench.ORDER)) == bench.ORDER
    assert sorted(bench.ORDER) == ["now", "now", "then", "then"]
