"""The MLX backend: load time, first call (the whole prompt prefix), warm calls (only each
request's own tokens) and peak memory.

    .venv/bin/python benchmarks/bench_mlx.py                  # a tiny random model, made here
    .venv/bin/python benchmarks/bench_mlx.py --model qwen2.5-coder-1.5b-mlx   # the default
    .venv/bin/python benchmarks/bench_mlx.py --model DIR      # any MLX model directory

Without --model it builds the tests' tiny Qwen2 model (random weights) so that the script is
known to work on any machine where mlx runs; its latencies say nothing about a real model.
On a Mac with Apple Silicon, give it the default MLX model (a registry id: downloaded into the
model cache first if needed): the goals there are a first call under 2 s and a warm p50 under
0.3 s (M1).
Writes benchmarks/results/mlx-<model>.{json,md}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_models import REQUESTS, percentile  # noqa: E402

from cmdai.backends.auto import is_apple_silicon  # noqa: E402
from cmdai.backends.mlx import MlxBackend  # noqa: E402
from cmdai.prompting import Context, build_messages  # noqa: E402


def measure(directory: Path, rounds: int) -> dict[str, object]:
    context = Context("bash", "Linux", "/home/ana/project")
    started = time.perf_counter()
    backend = MlxBackend(directory)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    first = backend.complete(build_messages(REQUESTS[0], context), max_tokens=64, temperature=0)
    first_s = time.perf_counter() - started
    warm, tokens = [], []
    for request in REQUESTS[1 : rounds + 1]:
        started = time.perf_counter()
        reply = backend.complete(build_messages(request, context), max_tokens=64, temperature=0)
        warm.append(time.perf_counter() - started)
        tokens.append(reply.prompt_tokens)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_mb = (
        peak_kb // (1 << 20) if sys.platform == "darwin" else peak_kb // 1024
    )  # bytes on macOS
    return {
        "load_s": round(load_s, 3),
        "first_call_s": round(first_s, 3),
        "first_prompt_tokens": first.prompt_tokens,
        "warm_p50_s": round(statistics.median(warm), 3),
        "warm_p95_s": round(percentile(warm, 95), 3),
        "warm_prompt_tokens_p50": statistics.median(tokens),
        "peak_rss_mb": peak_mb,
        "requests": len(warm),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model", help="an MLX model id from `cmdai model list`, or a directory (default: tiny)"
    )
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        if args.model is None:
            from tests.helpers.tiny_mlx import make_tiny_model

            directory = make_tiny_model(Path(scratch) / "tiny-qwen2-random")
        else:
            from cmdai.config import load_config
            from cmdai.models.pull import resolve_model

            directory = resolve_model(args.model, load_config(), backend="mlx")
        result = {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {platform.system()}, Python "
            f"{platform.python_version()}, Apple Silicon: {is_apple_silicon()}",
            "model": directory.name,
            **measure(directory, args.rounds),
        }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"mlx-{result['model']}"
    (args.out / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / f"{stem}.md").write_text(markdown(result))
    print(markdown(result))
    return 0


def markdown(r: dict) -> str:
    return (
        f"# MLX backend ({r['date']}, {r['machine']})\n\n"
        f"Model: {r['model']}\n\n"
        "| load s | first call s (prompt tokens) | warm p50 s | warm p95 s | "
        "warm prompt tokens p50 | peak RSS MB |\n|---|---|---|---|---|---|\n"
        f"| {r['load_s']} | {r['first_call_s']} ({r['first_prompt_tokens']}) | "
        f"{r['warm_p50_s']} | {r['warm_p95_s']} | {r['warm_prompt_tokens_p50']} | "
        f"{r['peak_rss_mb']} |\n"
    )


if __name__ == "__main__":
    raise SystemExit(main())
