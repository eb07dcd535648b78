"""What explaining a command costs: in the helper (Alt-G), and in a process of its own.

.venv/bin/python benchmarks/bench_explain.py   # writes benchmarks/results/explain.{json,md}

1. Alt-G end to end: `cmdai hook --shell bash --explain`, the process the widget runs, against
   a running helper whose pages are already read (warm; the goal is under 50 ms for a typical
   command), and the first press for each command in a fresh helper (its pages read then).
   The helper's model is HelperScript (tests/helpers/scripted.py): explaining never uses it.
2. explain() alone, in this process: cold (each program's page found with `man -w` and
   parsed, as the first time in a helper) and warm (cached).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_helper import CMDAI, stop  # noqa: E402
from bench_models import percentile  # noqa: E402

# Typical lines: one program, clusters, a pipeline, a wrapper, find -exec, a subcommand.
COMMANDS = [
    "ls -lah /etc",
    "tar -xzvf backup.tar.gz -C /opt",
    "find . -name '*.py' -mtime -7 2>/dev/null | xargs grep -l TODO > out.txt",
    "du -sh --max-depth=1 . | sort -rh | head -n 5",
    "git log --oneline -n 5 --author=ana",
    "ps -eo pid,comm --sort=-%mem | head",
    "sudo ssh -N -L 9000:intranet.lan:80 gw.example.com",
    "find /tmp -name '*.log' -mtime +7 -exec rm -f {} +",
]
ROUNDS = 15


def hook_explain(env: dict[str, str], line: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [CMDAI, "hook", "--shell", "bash", "--explain"], env={**env, "CMDAI_BUFFER": line},
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if done.returncode != 0 or "risk:" not in done.stderr:
        raise SystemExit(f"explain failed for {line!r}: {done.stderr}")
    return (time.perf_counter() - started) * 1000


def through_the_helper() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "CMDAI_HOME": home, "PYTHONPATH": str(ROOT),
               "CMDAI_PLUGINS": "tests.helpers.scripted", "CMDAI_BACKEND": "scripted"}  # fmt: skip
        hook_explain(env, "true")  # starts the helper
        first = [hook_explain(env, line) for line in COMMANDS]
        warm = [hook_explain(env, line) for _ in range(ROUNDS) for line in COMMANDS]
        stop(env)
    return {
        "first_p50_ms": round(statistics.median(first), 1),
        "first_max_ms": round(max(first), 1),
        "warm_p50_ms": round(statistics.median(warm), 1),
        "warm_p95_ms": round(percentile(warm, 95), 1),
        "warm_min_ms": round(min(warm), 1),
        "calls": len(warm),
    }


def in_process() -> dict[str, object]:
    from cmdai import manpage, option_check
    from cmdai.explain import explain

    caches = (manpage.man_text, manpage.help_output, manpage.page_for, option_check.doc_for)
    cold = []
    for line in COMMANDS:
        for cache in caches:
            cache.cache_clear()
        started = time.perf_counter()
        explain(line)
        cold.append((time.perf_counter() - started) * 1000)
    for line in COMMANDS:  # the cold loop cleared the caches: read every page once more
        explain(line)
    warm = []
    for _ in range(ROUNDS):
        for line in COMMANDS:
            started = time.perf_counter()
            explain(line)
            warm.append((time.perf_counter() - started) * 1000)
    return {
        "cold_p50_ms": round(statistics.median(cold), 1),
        "cold_max_ms": round(max(cold), 1),
        "warm_p50_ms": round(statistics.median(warm), 2),
        "warm_p95_ms": round(percentile(warm, 95), 2),
    }


def main() -> int:
    meta = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "commands": COMMANDS,
    }
    results = {**meta, "alt_g": through_the_helper(), "explain": in_process()}
    hook, alone = results["alt_g"], results["explain"]
    text = "\n".join([
        f"# Explaining a command ({meta['date']}, {meta['machine']})",
        "",
        f"{len(COMMANDS)} typical lines (benchmarks/bench_explain.py), {ROUNDS} rounds.",
        "",
        "| what | p50 ms | p95 / max ms |",
        "|---|---|---|",
        f"| Alt-G, warm helper (`cmdai hook --explain` process, end to end) | "
        f"{hook['warm_p50_ms']} | {hook['warm_p95_ms']} |",  # type: ignore[index]
        f"| Alt-G, first time each line's pages are read in the helper | "
        f"{hook['first_p50_ms']} | {hook['first_max_ms']} |",  # type: ignore[index]
        f"| explain() in the helper, warm | {alone['warm_p50_ms']} | {alone['warm_p95_ms']} |",  # type: ignore[index]
        f"| explain() with no page read yet | {alone['cold_p50_ms']} | {alone['cold_max_ms']} |",  # type: ignore[index]
        "",
    ])  # fmt: skip
    out = ROOT / "benchmarks" / "results"
    (out / "explain.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "explain.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
