"""llama.cpp settings tried on the 1.5B model: faster decoding and less memory, each measured
on the same requests against the defaults, greedy, with every output compared.

    .venv/bin/python benchmarks/bench_llama_settings.py                 # all variants
    .venv/bin/python benchmarks/bench_llama_settings.py --variants default prompt-lookup-10

Each variant loads the model in its own subprocess (so its memory is its own), evaluates the
prompt prefix, then answers every request once: the 24 of bench_models.py and the prompts of
the quality fixtures, through the real prompt (prompting.build_messages) and the backend's
own `complete`, temperature 0. A variant is only worth keeping if its commands are the
default's, byte for byte, and it is faster or smaller. Writes
benchmarks/results/llama_settings.{json,md}.

Variants:
- prompt-lookup-N: llama-cpp-python's LlamaPromptLookupDecoding (draft tokens copied from the
  prompt when its last two tokens occurred before), N tokens drafted at a time.
- draft-0.5b-N: the 0.5B model proposes N tokens greedily, the 1.5B checks them in one batch
  (SmallModelDraft below).
- batch-N: n_batch = n_ubatch = N (the default is 512): the compute buffer scales with it.
- ctx-N: n_ctx = N (the default is 4096): the KV cache scales with it.
- kv-q8: K and V caches stored as q8_0 (flash attention, which quantised V needs).
- flash-attn: flash attention alone.
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
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_models import REQUESTS, percentile  # noqa: E402

MODEL = "qwen2.5-coder-1.5b"
DRAFT_MODEL = "qwen2.5-coder-0.5b"
GGML_TYPE_Q8_0 = 8

VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "prompt-lookup-10": {"lookup": 10},
    "prompt-lookup-4": {"lookup": 4},
    "draft-0.5b-4": {"draft": 4},
    "batch-256": {"n_batch": 256, "n_ubatch": 256},
    "batch-128": {"n_batch": 128, "n_ubatch": 128},
    "ctx-2048": {"n_ctx": 2048},
    "flash-attn": {"flash_attn": True},
    "kv-q8": {"flash_attn": True, "type_k": GGML_TYPE_Q8_0, "type_v": GGML_TYPE_Q8_0},
}


def requests() -> list[tuple[str, str]]:
    """(shell, request) pairs: the benchmark's requests, then every fixture prompt."""
    from cmdai.quality.fixtures import load

    pairs = [("bash", r) for r in REQUESTS]
    for name in ("basic.yaml", "dangerous.yaml"):
        suite = load(ROOT / "tests" / "fixtures" / "prompts" / name)
        pairs += [(case.shell, case.prompt) for case in suite.cases]
    return pairs


class SmallModelDraft:
    """A LlamaDraftModel: a second, smaller model with the same vocabulary proposes the next
    `count` tokens greedily. Its own KV cache keeps the longest prefix it shares with the big
    model's tokens, so it evaluates only what is new."""

    def __init__(self, path: Path, count: int, n_threads: int) -> None:
        from llama_cpp import Llama

        from cmdai.backends.llama_cpp import amx_present, without_extra_buffers

        with without_extra_buffers(amx_present()):  # as the backend loads the 1.5B
            self.llama = Llama(model_path=str(path), n_ctx=4096, n_threads=n_threads,
                               n_threads_batch=n_threads, verbose=False)  # fmt: skip
        self.count = count
        self.eos = self.llama.token_eos()

    def __call__(self, input_ids: Any, /, **kwargs: Any) -> Any:
        import llama_cpp
        import numpy as np

        llama = self.llama
        ids = [int(t) for t in input_ids]
        shared = 0
        limit = min(llama.n_tokens, len(ids) - 1)  # at least one token evaluated: fresh logits
        while shared < limit and llama.input_ids[shared] == ids[shared]:
            shared += 1
        llama.n_tokens = shared  # eval() drops the KV cache from here on
        llama.eval(ids[shared:])
        drafted: list[int] = []
        for _ in range(self.count):
            logits = llama_cpp.llama_get_logits_ith(llama._ctx.ctx, -1)
            token = int(np.argmax(np.ctypeslib.as_array(logits, shape=(llama.n_vocab(),))))
            if token == self.eos:
                break
            drafted.append(token)
            llama.eval([token])
        return np.array(drafted, dtype=np.intc)


def open_backend(settings: dict[str, Any]) -> Any:
    from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

    from cmdai.backends.llama_cpp import LlamaCppBackend, physical_cores
    from cmdai.config import load_config
    from cmdai.models.pull import resolve_model_path

    tuning = dict(settings)
    n_ctx = tuning.pop("n_ctx", 4096)
    threads = physical_cores()
    if lookup := tuning.pop("lookup", 0):
        tuning.update(draft_model=LlamaPromptLookupDecoding(num_pred_tokens=lookup),
                      logits_all=True)  # fmt: skip
    if draft := tuning.pop("draft", 0):
        small = resolve_model_path(load_config({"model": DRAFT_MODEL}), allow_download=False)
        tuning.update(draft_model=SmallModelDraft(small, draft, threads), logits_all=True)
    path = resolve_model_path(load_config({"model": MODEL}), allow_download=False)
    return LlamaCppBackend(path, model=MODEL, n_threads=threads, n_ctx=n_ctx, tuning=tuning)


def memory_mb() -> dict[str, int]:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {key: int(fields[key].split()[0]) // 1024 for key in ("VmRSS", "VmHWM")}


def measure(name: str) -> dict[str, Any]:
    """Runs in the worker subprocess."""
    from cmdai.prompting import Context, build_messages

    started = time.perf_counter()
    backend = open_backend(VARIANTS[name])
    load_s = time.perf_counter() - started
    context_of = {shell: Context(shell, "Linux", "/home/user/project")
                  for shell in ("bash", "zsh", "fish", "powershell")}  # fmt: skip
    started = time.perf_counter()
    backend.warm_up(build_messages("list files", context_of["bash"])[:-1])
    prefix_s = time.perf_counter() - started
    outputs, latencies, tokens = [], [], []
    for shell, request in requests():
        started = time.perf_counter()
        completion = backend.complete(build_messages(request, context_of[shell]),
                                      max_tokens=128, temperature=0.0)  # fmt: skip
        latencies.append((time.perf_counter() - started) * 1000)
        outputs.append(completion.text)
        tokens.append(completion.completion_tokens)
    return {
        "variant": name,
        "load_s": round(load_s, 2),
        "prefix_s": round(prefix_s, 2),
        "p50_ms": round(statistics.median(latencies)),
        "p95_ms": round(percentile(latencies, 95)),
        "mean_ms": round(statistics.fmean(latencies)),
        "output_tokens_mean": round(statistics.fmean(tokens), 1),
        **{k.lower() + "_mb": v for k, v in memory_mb().items()},
        "outputs": outputs,
    }


def compare(results: list[dict[str, Any]]) -> None:
    """Each variant's outputs against the default's."""
    base = next(r for r in results if r["variant"] == "default")["outputs"]
    pairs = requests()
    for r in results:
        r["differs"] = [
            {"request": pairs[i][1], "default": base[i], "variant": out}
            for i, out in enumerate(r["outputs"]) if out != base[i]
        ]  # fmt: skip


def markdown(meta: dict[str, Any], results: list[dict[str, Any]]) -> str:
    base = next(r for r in results if r["variant"] == "default")
    lines = [
        f"# llama.cpp settings on {MODEL} ({meta['date']}, {meta['machine']})",
        "",
        f"{meta['requests']} requests, each answered once, greedy, after the prompt prefix was "
        "evaluated; every variant in its own process, one after another on the same machine.",
        "",
        "| variant | p50 ms | p95 ms | mean ms | p50 vs default | outputs differing | "
        "RSS MB | peak RSS MB | load s | prefix s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        change = f"{(r['p50_ms'] / base['p50_ms'] - 1) * 100:+.0f}%"
        lines.append(
            f"| {r['variant']} | {r['p50_ms']} | {r['p95_ms']} | {r['mean_ms']} | {change} | "
            f"{len(r['differs'])} | {r['vmrss_mb']} | {r['vmhwm_mb']} | {r['load_s']} | "
            f"{r['prefix_s']} |"
        )
    for r in results:
        for d in r["differs"][:5]:
            lines.append(f"- {r['variant']}: `{d['request']}`: `{d['default']}` → "
                         f"`{d['variant']}`")  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.worker)))
        return 0
    names = ["default", *[v for v in args.variants if v != "default"]]
    results = []
    for name in names:
        done = subprocess.run([sys.executable, __file__, "--worker", name],
                              capture_output=True, text=True, check=True)  # fmt: skip
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(name, {k: v for k, v in results[-1].items() if k != "outputs"}, file=sys.stderr)
    compare(results)
    meta = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "requests": len(requests()),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "llama_settings.json").write_text(
        json.dumps({**meta, "results": results}, indent=2) + "\n"
    )
    (args.out / "llama_settings.md").write_text(markdown(meta, results))
    print(markdown(meta, results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
