"""Model benchmark: load time, first-call and warm-call latency, tokens/s and peak RSS.

Each model runs in its own subprocess so that its peak RSS is its own. Results are written as
JSON and as a markdown table (default: benchmarks/results/models.{json,md}).

    .venv/bin/python benchmarks/bench_models.py                       # both Qwen models
    .venv/bin/python benchmarks/bench_models.py --models qwen2.5-coder-0.5b --repeat 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cmdai.backends.llama_cpp import LlamaCppBackend

# Typical one-line requests: each differs only in the tail after the cached prompt prefix.
REQUESTS = [
    "list all files including hidden ones",
    "show disk usage of the current directory",
    "count the lines in README.md",
    "show the last 20 lines of app.log",
    "search for TODO in all python files",
    "show the current git branch",
    "compress the folder photos into photos.tar.gz",
    "show which processes use the most memory",
    "make script.sh executable",
    "find python files changed this week",
    "show my ip address",
    "print the date in UTC",
    "delete all .pyc files here",
    "show the 10 most recent git commits in one line each",
    "find empty directories",
    "list open ports",
    "show the size of each file in logs sorted by size",
    "replace foo with bar in config.txt",
    "count files in each subdirectory",
    "download https://example.com/file.txt",
    "extract archive.tar.gz",
    "show environment variables containing PATH",
    "find files named notes.txt",
    "show free memory in megabytes",
]
FIRST_REQUEST = "find all files larger than 100MB in the current directory"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def measure(model: str, repeat: int) -> dict[str, object]:
    """Runs inside the worker subprocess."""
    from cmdai.backends.llama_cpp import LlamaCppBackend
    from cmdai.config import load_config
    from cmdai.generate import generate, open_backend
    from cmdai.prompting import Context

    config = load_config({"model": model})
    started = time.perf_counter()
    backend = open_backend(config)
    if not isinstance(backend, LlamaCppBackend):
        raise SystemExit(f"{model} is not a llama.cpp model: this benchmark measures those")
    load_s = time.perf_counter() - started
    context = Context("bash", "Linux", "/home/user/project")
    first = generate(FIRST_REQUEST, config, backend, context)
    warm = [generate(r, config, backend, context) for _ in range(repeat) for r in REQUESTS]
    latencies = [g.latency_ms / 1000 for g in warm]
    decode_tokens_s = _decode_speed(backend)
    return {
        "model": model,
        "n_threads": backend.n_threads,
        "load_s": round(load_s, 3),
        "first_call_s": round(first.latency_ms / 1000, 3),
        "first_command": first.command,
        "warm_calls": len(warm),
        "warm_p50_s": round(statistics.median(latencies), 3),
        "warm_p95_s": round(percentile(latencies, 95), 3),
        "warm_mean_s": round(statistics.fmean(latencies), 3),
        "warm_output_tokens_mean": round(statistics.fmean(g.completion_tokens for g in warm), 1),
        "decode_tokens_s": round(decode_tokens_s, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _decode_speed(backend: LlamaCppBackend) -> float:
    """Generation speed alone: 64 tokens after a tiny prompt, no grammar."""
    tokens, seconds = backend.plain_completion("# A bash script that prints numbers\n", 64)
    return tokens / seconds


def to_markdown(results: list[dict[str, object]], meta: dict[str, object]) -> str:
    lines = [
        f"# Model benchmark ({meta['date']}, {meta['machine']}, {meta['cpus']} CPUs)",
        "",
        "| model | load s | first call s | warm p50 s | warm p95 s | decode tok/s | peak RSS MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['model']} | {r['load_s']} | {r['first_call_s']} | {r['warm_p50_s']} | "
            f"{r['warm_p95_s']} | {r['decode_tokens_s']} | {r['peak_rss_mb']} |"
        )
    lines += ["", f"Warm calls: {results[0]['warm_calls']} one-line requests per model, "
              "temperature 0, the real prompt with its cached prefix."]  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"])
    parser.add_argument("--repeat", type=int, default=1, help="passes over the 24 requests")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "models")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.worker, args.repeat)))
        return 0
    results = []
    for model in args.models:
        worker = [sys.executable, __file__, "--worker", model, "--repeat", str(args.repeat)]
        done = subprocess.run(worker, capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), file=sys.stderr)
    meta = {
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.system()} {platform.machine()}",
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(
        json.dumps({"meta": meta, "results": results}, indent=2)
    )
    args.out.with_suffix(".md").write_text(to_markdown(results, meta))
    print(to_markdown(results, meta))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
