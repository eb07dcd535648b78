"""The embedded backend against the OpenAI-compatible one, with the same model, through the
helper as the Ctrl-G widget uses it; and what cmdai's HTTP side costs per request.

    .venv/bin/python benchmarks/bench_backends.py          # writes benchmarks/results/backends.*
    .venv/bin/python benchmarks/bench_backends.py --rounds 10

1. Warm latency through the helper (a `cmdai hook` process per request, after one request
   that warmed everything up) for: the embedded llama.cpp backend with the 0.5B model; the
   `openai` backend against llama-cpp-python's server (`python -m llama_cpp.server`) serving
   the same GGUF file on 127.0.0.1, with the one-line grammar (`grammar = "auto"`) and without
   (`grammar = "off"`). Each also records which commands came back, to show what the grammar
   changes.
2. HTTP overhead: the same chat request sent straight to the server with `requests` (the
   server's own time) and through cmdai's OpenAIBackend.complete (redaction, the worker
   thread, streaming, parsing), alternately; the overhead is the difference of the medians.
   Goal: <= 30 ms at p50.
3. Cancellation: a long reply is cancelled half a second in (as Ctrl-C does); measured are the
   time until complete() gives up, and how long a one-token request sent right after takes
   compared with one sent to an idle server (if the server kept generating for the cancelled
   request, the next one would wait for it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_helper import MODEL_DIR, hook_once, stop  # noqa: E402
from bench_models import REQUESTS, percentile  # noqa: E402

from cmdai.backends.openai import OpenAIBackend  # noqa: E402
from cmdai.prompting import Context, build_messages  # noqa: E402

MODEL = "qwen2.5-coder-0.5b"
GGUF = Path(MODEL_DIR) / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


def start_server(threads: int) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.llama_server", "--model", str(GGUF), "--host",
         "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", str(threads)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/models", timeout=5).ok:
                return process, url
        except requests.RequestException:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("the llama.cpp server did not start")


def through_helper(extra_env: dict[str, str], rounds: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as home:
        # No alternatives prepared ahead: only the embedded backend does that, and requests sent
        # back to back (no one reads a suggestion here) would compete with it for the CPU.
        env = {**os.environ, "CMDAI_HOME": home, "CMDAI_MODEL": MODEL,
               "CMDAI_MODEL_DIR": MODEL_DIR, "CMDAI_HOOK_TIMEOUT": "900",
               "CMDAI_PREPARE_ALTERNATIVES": "false", **extra_env}  # fmt: skip
        for name in ("CMDAI_PLUGINS",):
            env.pop(name, None)
        first_ms, first = hook_once(env, REQUESTS[0])  # loads / warms up the prefix
        if first.returncode != 0:
            raise SystemExit(f"{extra_env}: {first.stderr.strip()}")
        times, commands = [], []
        for request in REQUESTS[1 : rounds + 1]:
            took, result = hook_once(env, request)
            times.append(took)
            commands.append(result.stdout)
        stop(env)
    return {
        "first_ms": round(first_ms),
        "warm_p50_ms": round(statistics.median(times)),
        "warm_p95_ms": round(percentile(times, 95)),
        "requests": len(times),
        "commands": commands,
    }


def http_overhead(url: str, rounds: int) -> dict[str, object]:
    """The same requests straight to the server (a kept-alive session, like cmdai's) and
    through OpenAIBackend. The server caches the last prompt, so a request is never sent right
    after the same one: cmdai's side lags one request behind."""
    backend = OpenAIBackend({"base_url": url, "api_key": "", "model": "", "grammar": "auto",
                             "read_timeout": 120.0})  # fmt: skip
    context = Context("bash", "Linux", "/home/ana/project")
    asks = [build_messages(REQUESTS[i % len(REQUESTS)], context) for i in range(rounds + 1)]
    backend.complete(asks[-1], max_tokens=64, temperature=0.0)  # discovery + prefix cache
    direct, through = bare_then_cmdai(backend, url, asks[1:], asks[:rounds])
    backend.close()
    return {
        "server_p50_ms": round(statistics.median(direct), 1),
        "cmdai_p50_ms": round(statistics.median(through), 1),
        "overhead_p50_ms": round(statistics.median(through) - statistics.median(direct), 1),
        "rounds": rounds,
    }


def bare_then_cmdai(
    backend: OpenAIBackend, url: str, bare: list, through: list | None = None
) -> tuple[list[float], list[float]]:
    """Round by round, one request sent with plain `requests` (a kept-alive session, like
    cmdai's) and one through OpenAIBackend.complete: the wall times in ms of each kind.
    `bare[n]` and `through[n]` are the messages of round n (the same when `through` is None)."""
    session = requests.Session()
    bare_ms, cmdai_ms = [], []
    for number, messages in enumerate(bare):
        body = backend._body(messages, 64, 0.0) | {"model": backend.model}
        started = time.perf_counter()
        with session.post(f"{url}/chat/completions", json=body, stream=True, timeout=120) as reply:
            for _line in reply.iter_lines():
                pass
        bare_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        backend.complete((through or bare)[number], max_tokens=64, temperature=0.0)
        cmdai_ms.append((time.perf_counter() - started) * 1000)
    session.close()
    return bare_ms, cmdai_ms


def client_cost(rounds: int) -> dict[str, object]:
    """cmdai's own cost per request, against a local server that answers at once (the test
    suite's FakeServer): OpenAIBackend.complete against the same request sent with requests.
    On the real server this difference drowns in the model's own variation."""
    from tests.helpers import fake_servers as fake

    server = fake.FakeServer()
    server.script("/v1/models", fake.models())
    server.script("/v1/chat/completions", fake.sse_text("ls", " -la"))
    backend = OpenAIBackend({"base_url": f"{server.url}/v1", "api_key": "", "model": "",
                             "grammar": "auto", "read_timeout": 10.0})  # fmt: skip
    messages = build_messages(REQUESTS[1], Context("bash", "Linux", "/home/ana/project"))
    backend.complete(messages, max_tokens=64, temperature=0.0)
    direct, through = bare_then_cmdai(backend, f"{server.url}/v1", [messages] * rounds)
    backend.close()
    server.close()
    return {
        "plain_requests_p50_ms": round(statistics.median(direct), 2),
        "cmdai_p50_ms": round(statistics.median(through), 2),
        "overhead_p50_ms": round(statistics.median(through) - statistics.median(direct), 2),
        "rounds": rounds,
    }


def cancellation(url: str, rounds: int) -> dict[str, object]:
    """A long one-line reply cancelled 0.5 s in. Then a tiny request: if the server were still
    generating the cancelled reply, it would wait for it. Its baseline is the same kind of tiny
    request on an idle server (two prompts alternated, so that none is answered from the
    server's cache of the previous prompt)."""
    import threading

    from cmdai.errors import Cancelled

    backend = OpenAIBackend({"base_url": url, "api_key": "", "model": "", "grammar": "auto",
                             "read_timeout": 120.0})  # fmt: skip
    long_ask = [{"role": "user", "content": "Write the numbers from 1 to 300 on one line."}]
    tiny = [[{"role": "user", "content": f"Say {word}."}] for word in ("OK", "yes")]

    def tiny_ms(number: int) -> float:
        started = time.perf_counter()
        backend.complete(tiny[number % 2], max_tokens=1, temperature=0.0)
        return (time.perf_counter() - started) * 1000

    idle = [tiny_ms(n) for n in range(6)]
    gave_up, after = [], []
    for number in range(rounds):
        pressed = threading.Event()
        when: list[float] = []

        def press(event: threading.Event = pressed, when: list[float] = when) -> None:
            when.append(time.perf_counter())
            event.set()

        threading.Timer(0.5, press).start()
        try:
            backend.complete(long_ask, max_tokens=600, temperature=0.0, cancelled=pressed.is_set)
        except Cancelled:
            gave_up.append((time.perf_counter() - when[0]) * 1000)
        after.append(tiny_ms(number))
    backend.close()
    return {
        "gave_up_p50_ms": round(statistics.median(gave_up), 1) if gave_up else None,
        "cancelled": len(gave_up),
        "next_request_p50_ms": round(statistics.median(after)),
        "idle_request_p50_ms": round(statistics.median(idle)),
        "rounds": rounds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="warm requests per setup")
    parser.add_argument("--overhead-rounds", type=int, default=20)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    if not GGUF.is_file():
        raise SystemExit(f"{GGUF} is missing: run `cmdai model pull {MODEL}` first")
    embedded = {"CMDAI_BACKEND": "llama_cpp", "CMDAI_LLAMA_CPP_N_THREADS": str(args.threads)}
    runs: dict[str, object] = {"embedded llama_cpp": through_helper(embedded, args.rounds)}
    server, url = start_server(args.threads)
    try:
        for grammar in ("auto", "off"):
            env = {"CMDAI_BACKEND": "openai", "CMDAI_OPENAI_BASE_URL": url,
                   "CMDAI_OPENAI_GRAMMAR": grammar}  # fmt: skip
            runs[f"openai, grammar {grammar}"] = through_helper(env, args.rounds)
        overhead = http_overhead(url, args.overhead_rounds)
        cancel = cancellation(url, 5)
    finally:
        server.terminate()
        server.wait(30)
    result = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "model": MODEL,
        "runs": runs,
        "http_overhead": overhead,
        "cancellation": cancel,
        "client_cost": client_cost(200),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "backends.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "backends.md").write_text(markdown(result))
    print(markdown(result))
    return 0


def markdown(result: dict) -> str:
    over = result["http_overhead"]
    cancel = result["cancellation"]
    cost = result["client_cost"]
    lines = [
        f"# Backends benchmark ({result['date']}, {result['machine']})",
        "",
        f"Model: {result['model']} (Q4_K_M GGUF) in every row; through the helper, a `cmdai "
        "hook` process per request, as the widget runs it.",
        "",
        "| backend | first request ms | warm p50 ms | warm p95 ms | requests |",
        "|---|---|---|---|---|",
    ]
    for name, run in result["runs"].items():
        lines.append(
            f"| {name} | {run['first_ms']} | {run['warm_p50_ms']} | {run['warm_p95_ms']} | "
            f"{run['requests']} |"
        )
    auto = result["runs"].get("openai, grammar auto", {}).get("commands", [])
    off = result["runs"].get("openai, grammar off", {}).get("commands", [])
    differ = sum(a != b for a, b in zip(auto, off, strict=False))
    lines += [
        "",
        f"The grammar changed {differ} of {len(auto)} commands (same requests, same model). "
        "The `grammar off` run follows the `auto` one on the same server, which still holds "
        "the prompt prefix: hence its short first request.",
        "",
        f"HTTP overhead per request (same request, {over['rounds']} rounds each, alternating): "
        f"server alone p50 {over['server_p50_ms']} ms, through cmdai's OpenAI backend p50 "
        f"{over['cmdai_p50_ms']} ms: {over['overhead_p50_ms']} ms, within the model's own "
        "variation. Against a local server that answers at once (200 rounds), cmdai's side "
        f"(redaction, worker thread, streaming, parsing) costs p50 {cost['cmdai_p50_ms']} ms "
        f"against {cost['plain_requests_p50_ms']} ms for the bare request: "
        f"**{cost['overhead_p50_ms']} ms** (goal <= 30 ms).",
        "",
        f"Cancellation: a long reply cancelled 0.5 s in ({cancel['cancelled']} of "
        f"{cancel['rounds']} still running then) gave up after p50 {cancel['gave_up_p50_ms']} ms "
        f"(goal <= 200 ms); a one-token request sent right after took p50 "
        f"{cancel['next_request_p50_ms']} ms, against {cancel['idle_request_p50_ms']} ms on an "
        "idle server.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
