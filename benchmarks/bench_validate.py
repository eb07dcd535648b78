"""Validation overhead per request: the shell's parser (a subprocess), the PATH check, the
option check against the man pages, and the checks of what the request names.

.venv/bin/python benchmarks/bench_validate.py   # writes benchmarks/results/validate.{json,md}

The first call per shell also asks the shell for its builtins (cached for the helper's life);
it is reported separately as `first_ms`. The target is <= 30 ms per request. The option check
alone is measured too: cold (each program's page found with `man -w` and parsed, once per
helper) and warm (the helper's cache), target <= 10 ms warm.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cmdai import option_check
from cmdai.validate import validate

COMMANDS = [
    "ls -lah",
    "find . -name '*.py' -mtime -7",
    "du -sh -- */ | sort -rh | head -n 5",
    "grep -rn TODO --include='*.py' .",
    "tar -czf backup.tar.gz ./src",
    "ps aux --sort=-%mem | head -n 10",
    "git log --oneline -n 20",
    "find . -name '*.md' -exec cat {} + | wc -l",
]
FISH_COMMANDS = [*COMMANDS[:7], "set -gx EDITOR vim"]
POWERSHELL = ["Get-ChildItem -File | Sort-Object Length -Descending | Select-Object -First 3"]
ROUNDS = 25


def measure(shell: str, commands: list[str]) -> dict[str, float | int]:
    cwd = os.getcwd()
    started = time.perf_counter()
    validate(commands[0], shell, cwd)
    first_ms = (time.perf_counter() - started) * 1000
    timings = []
    for _ in range(ROUNDS):
        for command in commands:
            started = time.perf_counter()
            validate(command, shell, cwd)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "calls": len(timings),
        "first_ms": round(first_ms, 2),
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(len(timings) * 0.95)], 2),
        "max_ms": round(timings[-1], 2),
    }


def measure_options(commands: list[str]) -> dict[str, float | int]:
    """The option check per command: cold (no page read yet) and warm."""
    cold, warm = [], []
    for command in commands:
        option_check.doc_for.cache_clear()
        started = time.perf_counter()
        option_check.check(command)
        cold.append((time.perf_counter() - started) * 1000)
        for _ in range(ROUNDS):
            started = time.perf_counter()
            option_check.check(command)
            warm.append((time.perf_counter() - started) * 1000)
    cold.sort()
    warm.sort()
    return {
        "calls": len(warm),
        "cold_p50_ms": round(statistics.median(cold), 2),
        "cold_max_ms": round(cold[-1], 2),
        "warm_p50_ms": round(statistics.median(warm), 3),
        "warm_p95_ms": round(warm[int(len(warm) * 0.95)], 3),
        "warm_max_ms": round(warm[-1], 3),
    }


def main() -> int:
    results: dict[str, dict[str, float | int]] = {}
    for shell, commands in (("bash", COMMANDS), ("zsh", COMMANDS), ("fish", FISH_COMMANDS),
                            ("powershell", POWERSHELL)):  # fmt: skip
        if shell != "powershell" and not shutil.which(shell):
            print(f"{shell} is not installed: skipped", file=sys.stderr)
            continue
        results[shell] = measure(shell, commands)
    lines = [
        f"# Validation overhead per request ({ROUNDS} rounds of typical commands)",
        "",
        "| shell | first call ms | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|",
    ]
    for shell, r in results.items():
        lines.append(
            f"| {shell} | {r['first_ms']} | {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} |"
        )
    options = results["options"] = measure_options(COMMANDS)
    lines += [
        "",
        "Option check alone (included above), per command: cold, the first time a program's "
        f"man page is needed: p50 {options['cold_p50_ms']} ms, max {options['cold_max_ms']} ms; "
        f"warm: p50 {options['warm_p50_ms']} ms, p95 {options['warm_p95_ms']} ms, "
        f"max {options['warm_max_ms']} ms.",
    ]
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "validate.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "validate.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
