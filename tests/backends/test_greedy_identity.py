"""Greedy decoding gives the same commands with and without the runaway guard (a llama.cpp
logits processor that only ever acts on a reply that repeats itself): every prompt of the
quality fixtures, real 0.5B model, temperature 0, through the real prompt.

Both runs of a prompt must do the same arithmetic: llama.cpp's logits depend slightly on how a
prompt's tokens are split into batches, and a prompt asked twice in a row is only re-evaluated
from its last token. So before each call the KV cache is cut back to the shared prompt prefix,
as it is in use (each request follows a different one), and the request's tail is evaluated
whole every time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cmdai.backends.llama_cpp import LlamaCppBackend
from cmdai.prompting import Context, build_messages
from cmdai.quality.fixtures import load

PROMPTS = Path(__file__).resolve().parents[1] / "fixtures" / "prompts"
CASES = [case for name in ("basic.yaml", "dangerous.yaml") for case in load(PROMPTS / name).cases]


@pytest.fixture(scope="module")
def backend(small_model_path: Path) -> Iterator[LlamaCppBackend]:
    loaded = LlamaCppBackend(small_model_path, model="qwen2.5-coder-0.5b", n_threads=2, n_ctx=4096)
    yield loaded
    loaded.close()


def shared_prefix_tokens(backend: LlamaCppBackend) -> int:
    """How many prompt tokens every request shares, whatever its shell (the system prompt and
    the examples)."""
    seen = []
    for request, shell in (("list files", "bash"), ("show disk usage", "fish")):
        messages = build_messages(request, Context(shell, "Linux", "/tmp"))
        backend.complete(messages, max_tokens=1, temperature=0.0)
        seen.append(list(backend._llama.input_ids[: backend._llama.n_tokens]))
    return next(i for i, (a, b) in enumerate(zip(*seen, strict=False)) if a != b)


@pytest.mark.model
# 122 generations: about 135 s on an idle 2-core machine, but several times that when another
# llama.cpp process shares the cores (over 600 s once); the limit only catches a hang.
@pytest.mark.timeout(1800)
def test_the_runaway_guard_changes_no_greedy_output(backend: LlamaCppBackend) -> None:
    shared = shared_prefix_tokens(backend)
    assert shared > 1000  # the system prompt and the examples
    differing = []
    for case in CASES:
        messages = build_messages(case.prompt, Context(case.shell, "Linux", "/home/u/project"))
        outputs = []
        for guarded in (True, False):
            backend.stop_repeats = guarded
            backend._llama.n_tokens = min(backend._llama.n_tokens, shared)
            outputs.append(backend.complete(messages, max_tokens=128, temperature=0.0))
        with_guard, without = outputs
        if with_guard.text != without.text and with_guard.cut_off != "repeating":
            differing.append((case.id, with_guard.text, without.text))
    backend.stop_repeats = True
    assert not differing
    assert len(CASES) >= 60
