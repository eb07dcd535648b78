"""The runaway guard: a reply that repeats one segment is recognised (and only such a reply),
and llama.cpp's logits processor then lets nothing but the end-of-turn token follow."""

from __future__ import annotations

import numpy as np
import pytest

from cmdai.backends.llama_cpp import RepetitionStop
from cmdai.repetition import TOKEN_SPAN, repeats, text_repeats


@pytest.mark.parametrize(
    "text",
    ["cat a.log | sort | uniq -c" + " | sort -rn | uniq -c" * 4,
     "find . -name '*.py' -o -name '*.txt'" + " -o -name '*.txt'" * 4,
     "echo hello && echo world && echo hello && echo world && echo hello && echo world && e"],
)  # fmt: skip
def test_runaway_replies_are_recognised(text: str) -> None:
    assert text_repeats(text)


@pytest.mark.parametrize(
    "text",
    ["cd ../../../../../../../../../../../../../../../../../../../../../../..",
     "echo " + "-" * 80,
     "printf '=%.0s' {1..80}",
     "find . -name a -o -name b -o -name c -o -name d",
     "git log --oneline | head -5 | cat | head -5",
     "sort a.log | uniq -c | sort -rn | head -20"],
)  # fmt: skip
def test_ordinary_commands_are_not_runaways(text: str) -> None:
    assert not text_repeats(text)


def test_repeats_needs_three_whole_repeats_of_a_long_enough_span() -> None:
    segment = [5, 6, 7, 8, 9, 10, 11, 12]
    assert repeats([1, 2, *segment * 3], TOKEN_SPAN)
    assert not repeats([1, 2, *segment * 2, *segment[:-1]], TOKEN_SPAN)
    assert not repeats([1, 2, 3, 4] * 3, TOKEN_SPAN)  # 12 tokens: too short to count
    assert not repeats([7, 8] * 20, TOKEN_SPAN)  # two tokens, over and over: `../../`


def test_the_llama_processor_ends_the_reply_once_it_repeats() -> None:
    eos, vocab = 2, 50
    guard = RepetitionStop(eos)
    prompt = list(range(30, 40))
    scores = np.zeros(vocab, dtype=np.single)
    assert (guard(np.array(prompt, dtype=np.intc), scores.copy()) == 0).all()  # nothing yet
    reply = [10, 11, 12, 13, 14, 15, 16, 17] * 3
    ended = guard(np.array(prompt + reply, dtype=np.intc), scores.copy())
    assert guard.fired and guard.cut_off("stop") == "repeating"
    assert ended[eos] == 0 and np.isneginf(np.delete(ended, eos)).all()


def test_the_llama_processor_leaves_ordinary_replies_alone() -> None:
    guard = RepetitionStop(2)
    prompt = np.array(list(range(30, 40)), dtype=np.intc)
    guard(prompt, np.zeros(50, dtype=np.single))
    reply = np.array(list(range(30, 40)) + list(range(40, 60)), dtype=np.intc)
    assert (guard(reply, np.zeros(50, dtype=np.single)) == 0).all()
    assert guard.cut_off("length") == "length" and guard.cut_off("stop") == ""
