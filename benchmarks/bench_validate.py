"""Validation overhead per request: the shell's parser (a subprocess) plus the PATH check.

.venv/bin/python benchmarks/bench_validate.py   # writes benchmarks/results/validate.{json,md}

The first call per shell also asks the shell for its builtins (cached for the helper's life);
it is reported separately as `first_ms`. The target is <= 30 ms per request.
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


def main() -> int:
    results = {}
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
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "validate.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "validate.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
