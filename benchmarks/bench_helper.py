"""The helper, measured from the shell's side: every number is the wall time of a `cmdai hook`
process (what the Ctrl-G widget pays), or of a whole `cmdai --no-daemon` process.

    .venv/bin/python benchmarks/bench_helper.py            # writes benchmarks/results/helper.*
    .venv/bin/python benchmarks/bench_helper.py --models qwen2.5-coder-0.5b --rounds 20

1. Hook round trip with a zero-cost backend (HelperScript from tests/helpers/scripted.py):
   process start, imports, socket, helper, reply. Target p50 <= 60 ms.
2. Warm end to end with each real model: the same requests as bench_models.py, through a
   helper that has already answered once; the first request with no helper running, once
   with no saved prompt prefix (a fresh cache: the helper evaluates it) and once with the
   prefix saved by that first start (loaded from disk); and the first request to a helper
   started by `cmdai helper prestart` (what a new shell runs) once it reports itself ready.
3. One-shot: `cmdai --print --no-daemon` for a few of those requests (load + first call every
   time), and the ratio of its median to the warm median.
4. Helper memory (VmRSS / VmHWM from /proc) with the zero-cost backend and with each model.
"""

from __future__ import annotations

import argparse
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

from bench_models import REQUESTS, percentile  # noqa: E402

CMDAI = str(Path(sys.executable).parent / "cmdai")
MODEL_DIR = os.environ.get("CMDAI_MODEL_DIR") or str(Path.home() / ".cache" / "cmdai" / "models")


def hook_once(env: dict[str, str], buffer: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    result = subprocess.run(
        [CMDAI, "hook", "--shell", "bash"], env={**env, "CMDAI_BUFFER": buffer},
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return (time.perf_counter() - started) * 1000, result


def helper_memory(home: Path) -> dict[str, int]:
    pid = (home / "run" / "daemon.pid").read_text().split()[0]
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {key: int(fields[key].split()[0]) // 1024 for key in ("VmRSS", "VmHWM")}


def stop(env: dict[str, str]) -> None:
    subprocess.run([CMDAI, "helper", "stop"], env=env, capture_output=True, timeout=60)


def zero_cost(rounds: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "CMDAI_HOME": home, "PYTHONPATH": str(ROOT),
               "CMDAI_PLUGINS": "tests.helpers.scripted", "CMDAI_BACKEND": "scripted"}  # fmt: skip
        hook_once(env, "start the helper")
        times = [hook_once(env, f"list files {n}")[0] for n in range(rounds)]
        memory = helper_memory(Path(home))
        stop(env)
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "min_ms": round(min(times), 1),
        "rss_mb": memory["VmRSS"],
    }


def first_after_prestart(env: dict[str, str]) -> float:
    """The helper started the way a new shell starts it (`cmdai helper prestart`, in the
    background), then the first Ctrl-G once it reports itself ready: what a user meets on the
    first press of the day when the shell was opened a few seconds earlier."""
    subprocess.run([CMDAI, "helper", "prestart"], env=env, capture_output=True, timeout=600)
    deadline = time.monotonic() + 600
    while (
        "state: ready"
        not in subprocess.run(
            [CMDAI, "helper", "status"], env=env, capture_output=True, text=True, timeout=60
        ).stdout
    ):
        if time.monotonic() > deadline:
            raise SystemExit("the prestarted helper never became ready")
        time.sleep(0.2)
    elapsed, _ = hook_once(env, REQUESTS[-1])
    stop(env)
    return elapsed


def slot_warm_start(env: dict[str, str]) -> str:
    """How the running helper's first backend got ready (from `cmdai helper status`)."""
    status = subprocess.run([CMDAI, "helper", "status"], env=env, capture_output=True,
                            text=True, timeout=60).stdout  # fmt: skip
    line = next((x for x in status.splitlines() if x.startswith("backend llama_cpp:")), "")
    _, found, rest = line.partition(", ready (")
    return rest.removesuffix(")") if found else ""


def warm_model(model: str, rounds: int, one_shots: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "CMDAI_HOME": home, "CMDAI_MODEL": model, "CMDAI_MODEL_DIR": MODEL_DIR}
        env.pop("CMDAI_PLUGINS", None)
        env.pop("CMDAI_BACKEND", None)
        first_ms, first = hook_once(env, REQUESTS[0])
        if first.returncode != 0:
            raise SystemExit(f"{model}: {first.stderr.strip()}")
        times = [hook_once(env, request)[0] for request in REQUESTS[1 : rounds + 1]]
        memory = helper_memory(Path(home))
        stop(env)
        saved_ms, saved = hook_once(env, REQUESTS[-2])  # a new helper: the prefix from disk
        if saved.returncode != 0:
            raise SystemExit(f"{model}: {saved.stderr.strip()}")
        warm_start = slot_warm_start(env)
        stop(env)
        ready_ms = first_after_prestart(env)
        shots = []
        for request in REQUESTS[1 : one_shots + 1]:
            started = time.perf_counter()
            subprocess.run(
                [CMDAI, "--print", "--no-daemon", request], env=env, capture_output=True,
                timeout=600, stdin=subprocess.DEVNULL, check=True,
            )  # fmt: skip
            shots.append((time.perf_counter() - started) * 1000)
    warm_p50 = statistics.median(times)
    return {
        "cold_first_ms": round(first_ms),
        "cold_first_saved_prefix_ms": round(saved_ms),
        "saved_prefix_start": warm_start,
        "cold_over_warm": round(first_ms / warm_p50, 1),
        "cold_saved_prefix_over_warm": round(saved_ms / warm_p50, 1),
        "first_after_prestart_ms": round(ready_ms),
        "prestart_over_warm": round(ready_ms / warm_p50, 1),
        "warm_p50_ms": round(warm_p50),
        "warm_p95_ms": round(percentile(times, 95)),
        "one_shot_p50_ms": round(statistics.median(shots)),
        "one_shot_over_warm": round(statistics.median(shots) / warm_p50, 1),
        "rss_mb": memory["VmRSS"],
        "peak_rss_mb": memory["VmHWM"],
        "requests": len(times),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"])
    parser.add_argument("--rounds", type=int, default=23, help="warm requests per model")
    parser.add_argument("--hook-rounds", type=int, default=100)
    parser.add_argument("--one-shots", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    result = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "hook_zero_cost": zero_cost(args.hook_rounds),
        "models": {m: warm_model(m, args.rounds, args.one_shots) for m in args.models},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "helper.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "helper.md").write_text(markdown(result))
    print(markdown(result))
    return 0


def markdown(result: dict) -> str:
    zero = result["hook_zero_cost"]
    lines = [
        f"# Helper benchmark ({result['date']}, {result['machine']})",
        "",
        "Hook round trip, zero-cost backend (a `cmdai hook` process, as the widget runs it): "
        f"p50 {zero['p50_ms']} ms, p95 {zero['p95_ms']} ms, min {zero['min_ms']} ms; "
        f"helper RSS {zero['rss_mb']} MB.",
        "",
        "| model | cold first Ctrl-G, prefix evaluated ms | cold first Ctrl-G, prefix from "
        "disk ms | first after prestart ms | warm p50 ms | warm p95 ms | "
        "one-shot p50 ms | one-shot / warm | helper RSS MB | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for model, r in result["models"].items():
        lines.append(
            f"| {model} | {r['cold_first_ms']} ({r['cold_over_warm']}x) | "
            f"{r['cold_first_saved_prefix_ms']} ({r['cold_saved_prefix_over_warm']}x) | "
            f"{r['first_after_prestart_ms']} ({r['prestart_over_warm']}x) | "
            f"{r['warm_p50_ms']} | {r['warm_p95_ms']} | "
            f"{r['one_shot_p50_ms']} | {r['one_shot_over_warm']}x | {r['rss_mb']} | "
            f"{r['peak_rss_mb']} |"
        )
    lines += [
        "",
        "How the helper with the saved prefix got ready: "
        + "; ".join(
            f"{model}: {r['saved_prefix_start'] or 'not reported'}"
            for model, r in result["models"].items()
        ),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
