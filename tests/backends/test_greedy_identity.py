"""Greedy decoding gives the same commands with and without the runaway guard (a llama.cpp
logits processor that only ever acts on a reply that repeats itself): every prompt of the
quality fixtures, real 0.5B model, temperature 0, through the real prompt."""

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


@pytest.mark.model
def test_the_runaway_guard_changes_no_greedy_output(backend: LlamaCppBackend) -> None:
    differing = []
    for case in CASES:
        messages = build_messages(case.prompt, Context(case.shell, "Linux", "/home/u/project"))
        outputs = []
        for guarded in (True, False):
            backend.stop_repeats = guarded
            outputs.append(backend.complete(messages, max_tokens=128, temperature=0.0))
        with_guard, without = outputs
        if with_guard.text != without.text and with_guard.cut_off != "repeating":
            differing.append((case.id, with_guard.text, without.text))
    backend.stop_repeats = True
    assert not differing
    assert len(CASES) >= 60
