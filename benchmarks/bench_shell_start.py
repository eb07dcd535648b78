"""What loading the widget costs a shell's start, and what its helper prestart adds.

    .venv/bin/python benchmarks/bench_shell_start.py    # benchmarks/results/shell_start.*

For zsh, bash and fish: the wall time of `SHELL -i -c exit` (start, read the start-up file,
exit) with an empty start-up file, with the widget as shipped, and with the widget minus its
prestart lines; the difference of the last two is what the prestart costs before the first
prompt (goal < 5 ms). A helper runs meanwhile (the scripted test backend), so each prestart
finds it and exits; runs are spaced so that the background processes do not share the CPU
with the next measured start.
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
from tests.helpers.scripted import scripted_settings  # noqa: E402

SHELLS = ("zsh", "bash", "fish")
ROUNDS = 40
CMDAI = str(Path(sys.executable).parent / "cmdai")


def without_prestart(script: str) -> str:
    """The script with its prestart block removed (the comment and the lines after it)."""
    cut = script.index("# Start the helper now")
    rest = script[cut:]
    end = rest.find("\nfi\n") + 4 if "\nfi\n" in rest else rest.find("\nend\n") + 5
    return script[:cut] + rest[end:]


def rc_setup(shell: str, home: Path, text: str) -> list[str]:
    """Write `text` as the shell's start-up file; the argv that reads it."""
    if shell == "zsh":
        (home / ".zshrc").write_text(text)
        return ["zsh", "-i", "-c", "exit"]
    if shell == "bash":
        (home / ".bashrc").write_text(text)
        return ["bash", "-i", "-c", "exit"]
    config = home / ".config" / "fish"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.fish").write_text(text)
    return ["fish", "-i", "-c", "exit"]


def median_start_ms(argv: list[str], env: dict[str, str]) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        times.append((time.perf_counter() - started) * 1000)
        time.sleep(0.4)  # let a prestart in the background finish before the next start
    return statistics.median(times)


def measure(shell: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch)
        env = {
            **os.environ, **scripted_settings(), "HOME": str(home), "PYTHONPATH": str(ROOT),
            "CMDAI_HOME": str(home / "cmdai"), "XDG_CONFIG_HOME": str(home / ".config"),
        }  # fmt: skip
        # fish would generate completions from every man page on its first start here.
        (home / ".local/share/fish/generated_completions").mkdir(parents=True)
        subprocess.run([CMDAI, "helper", "start"], env=env, capture_output=True, timeout=60)
        widget = render(shell)
        results = {}
        for name, text in (("empty", ""), ("widget", widget),
                           ("widget without prestart", without_prestart(widget))):  # fmt: skip
            results[name] = round(median_start_ms(rc_setup(shell, home, text), env), 1)
        subprocess.run([CMDAI, "helper", "stop"], env=env, capture_output=True, timeout=60)
    results["prestart adds"] = round(results["widget"] - results["widget without prestart"], 1)
    return results


def main() -> int:
    result = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "rounds": ROUNDS,
        "shells": {s: measure(s) for s in SHELLS if shutil.which(s)},
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "shell_start.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        f"# Shell start-up ({result['date']}, {result['machine']}, median of {ROUNDS})",
        "",
        "`SHELL -i -c exit`, wall time in ms.",
        "",
        "| shell | empty start-up file | with the widget | widget without prestart | "
        "prestart adds |",
        "|---|---|---|---|---|",
    ]
    for shell, r in result["shells"].items():
        lines.append(f"| {shell} | {r['empty']} | {r['widget']} | "
                     f"{r['widget without prestart']} | {r['prestart adds']} |")  # fmt: skip
    (out / "shell_start.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
