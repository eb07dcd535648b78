"""Safety classification speed and the confusion matrix of the test table.

.venv/bin/python benchmarks/bench_safety.py     # writes benchmarks/results/safety.{json,md}
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cmdai.safety import Risk, classify
from tests.fixtures.safety_cases import DANGEROUS, EVERYDAY

LEVELS = [r.label for r in Risk]


def main() -> int:
    cases = DANGEROUS + EVERYDAY
    timings: list[float] = []
    matrix: Counter[tuple[str, str]] = Counter()
    for _ in range(20):
        for shell, command, expected in cases:
            started = time.perf_counter()
            verdict = classify(command, shell)
            timings.append((time.perf_counter() - started) * 1000)
            matrix[(expected, verdict.level.label)] += 1
    ordered = sorted(timings)
    result = {
        "cases": len(cases),
        "p50_ms": round(statistics.median(ordered), 4),
        "p99_ms": round(ordered[int(len(ordered) * 0.99)], 4),
        "max_ms": round(ordered[-1], 4),
        "matrix": {f"{e}->{g}": n // 20 for (e, g), n in sorted(matrix.items())},
    }
    lines = [
        f"# Safety classification ({len(cases)} table cases x 20)",
        "",
        f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, max {result['max_ms']} ms",
        "",
        "| expected \\ got | " + " | ".join(LEVELS) + " |",
        "|---" * (len(LEVELS) + 1) + "|",
    ]
    for expected in LEVELS:
        row = [str(matrix[(expected, got)] // 20) for got in LEVELS]
        lines.append(f"| {expected} | " + " | ".join(row) + " |")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "safety.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "safety.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
