"""What the widget adds to every prompt: the hook that keeps the last command and its exit
status (for the key on an empty line), per shell. The goal is under 1 ms a prompt.

.venv/bin/python benchmarks/bench_prompt_hooks.py
(writes benchmarks/results/prompt_hooks.{json,md})

Each shell loads the widget script (as `cmdai init SHELL` prints it) and runs what one prompt
runs N times in a loop — zsh: the preexec and precmd hooks, bash: the PROMPT_COMMAND function,
fish: the fish_postexec event — and the same loop without them (a failing command each
time in both); the difference divided by N is the cost of one prompt. Each measurement is
repeated and the median kept.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cmdai.widgets import render  # noqa: E402

N = 20_000
REPEATS = 5
# One prompt, per shell, with the hook and (for the baseline) without: N is the prompt count.
LOOPS = {
    "zsh": ("repeat N { false; _cmdai_preexec 'ls -la /tmp'; _cmdai_precmd }",
            "repeat N { false; : 'ls -la /tmp'; : }"),
    "bash": ("for ((i = 0; i < N; i++)); do false; _cmdai_precmd; done",
             "for ((i = 0; i < N; i++)); do false; :; done"),
    "fish": ("for i in (seq N); false; emit fish_postexec 'ls -la /tmp'; end",
             "for i in (seq N); false; : 'ls -la /tmp'; end"),
}  # fmt: skip
ARGV = {
    "zsh": ["zsh", "-f", "-i", "-c"],
    "bash": ["bash", "--norc", "--noprofile", "-i", "-c"],
    "fish": ["fish", "--no-config", "-i", "-c"],
}


def run(shell: str, script: Path, loop: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [*ARGV[shell], f"source {script}; {loop.replace('N', str(N))}; true"],
        env={**os.environ, "CMDAI_PRESTART": "false"},
        stdin=subprocess.DEVNULL, capture_output=True, timeout=600, check=True,
    )  # fmt: skip
    return time.perf_counter() - started


def per_prompt_us(shell: str) -> float:
    with_hook, without = LOOPS[shell]
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / f"cmdai.{shell}"
        script.write_text(render(shell, exe="/nonexistent/cmdai"))
        base = statistics.median(run(shell, script, without) for _ in range(REPEATS))
        hooked = statistics.median(run(shell, script, with_hook) for _ in range(REPEATS))
    return (hooked - base) / N * 1e6


def main() -> int:
    results = {shell: round(per_prompt_us(shell), 1) for shell in LOOPS if shutil.which(shell)}
    meta = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "prompts": N,
    }
    lines = [
        f"# What the widget adds to each prompt ({meta['date']}, {meta['machine']})",
        "",
        f"The hook that keeps the last command and its status, run {N:,} times in a loop, "
        "less the same loop without it (benchmarks/bench_prompt_hooks.py). Goal: under 1 ms "
        "(1,000 µs) a prompt.",
        "",
        "| shell | per prompt, µs |",
        "|---|---|",
        *[f"| {shell} | {us} |" for shell, us in results.items()],
        "",
    ]
    out = ROOT / "benchmarks" / "results"
    (out / "prompt_hooks.json").write_text(
        json.dumps({**meta, "per_prompt_us": results}, indent=2) + "\n"
    )
    (out / "prompt_hooks.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
