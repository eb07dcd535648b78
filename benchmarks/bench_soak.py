"""Soak: many requests through one helper with a real model, its memory sampled as it goes.
Answers "does the helper grow without bound over a day of key presses?".

    .venv/bin/python benchmarks/bench_soak.py                     # 1,000 requests, 0.5B model
    .venv/bin/python benchmarks/bench_soak.py --requests 200 --model qwen2.5-coder-1.5b

Requests cycle through bench_models.REQUESTS, each in its own terminal session (as many
terminals would send them), through the same client the hook uses. VmRSS is read from /proc
every --every requests; the report compares the samples after warm-up (the first 10 %) with
their median. Writes benchmarks/results/soak.json and soak.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_helper import helper_memory, stop  # noqa: E402
from bench_models import REQUESTS, percentile  # noqa: E402

from cmdai import __version__, client, protocol  # noqa: E402

MODEL_DIR = os.environ.get("CMDAI_MODEL_DIR") or str(Path.home() / ".cache" / "cmdai" / "models")


def soak(model: str, requests: int, every: int) -> dict[str, object]:
    home = Path(tempfile.mkdtemp(prefix="cmdai-soak-"))
    os.environ.update({"CMDAI_HOME": str(home), "CMDAI_MODEL_DIR": MODEL_DIR, "CMDAI_MODEL": model})
    samples: list[tuple[int, int]] = []
    latencies: list[float] = []
    try:
        for number in range(1, requests + 1):
            text = REQUESTS[number % len(REQUESTS)]
            frame = protocol.generate(
                __version__, text, len(text), "bash", "/tmp", os.environ["PATH"], f"soak:{number}"
            )
            started = time.perf_counter()
            client.request(frame, timeout=600)
            latencies.append((time.perf_counter() - started) * 1000)
            if number % every == 0 or number == 1:
                samples.append((number, helper_memory(home)["VmRSS"]))
                print(f"{number:5d} requests  RSS {samples[-1][1]} MB", flush=True)
    finally:
        stop({**os.environ})
    return summarise(model, samples, latencies)


def summarise(model: str, samples: list[tuple[int, int]], latencies: list[float]) -> dict:
    warm = [rss for number, rss in samples if number > len(latencies) // 10]
    middle = statistics.median(warm)
    return {
        "model": model,
        "requests": len(latencies),
        "samples": samples,
        "rss_after_warmup_mb": {"min": min(warm), "median": middle, "max": max(warm)},
        "spread_pct": round(100 * (max(warm) - min(warm)) / middle, 1),
        "latency_ms": {"p50": round(percentile(latencies, 50)),
                       "p95": round(percentile(latencies, 95))},
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "date": dt.date.today().isoformat(),
    }  # fmt: skip


def markdown(result: dict) -> str:
    rss = result["rss_after_warmup_mb"]
    rows = "\n".join(f"| {n} | {mb} |" for n, mb in result["samples"])
    return (
        f"# Soak: {result['requests']} requests, {result['model']} ({result['date']}, "
        f"{result['machine']})\n\n"
        f"RSS after warm-up: min {rss['min']} MB, median {rss['median']} MB, max {rss['max']} MB"
        f" (spread {result['spread_pct']} % of the median). Latency p50 "
        f"{result['latency_ms']['p50']} ms, p95 {result['latency_ms']['p95']} ms.\n\n"
        f"| requests | RSS MB |\n|---|---|\n{rows}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args()
    result = soak(args.model, args.requests, args.every)
    out = Path(args.out)
    (out / "soak.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "soak.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
