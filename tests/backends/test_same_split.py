"""Where a request's evaluation starts when it is asked again (SameSplit: bookkeeping only;
the real model's side is in test_llama_cpp.py)."""

from __future__ import annotations

from cmdai.backends.base import Message
from cmdai.backends.same_split import SameSplit

PREFIX: list[Message] = [{"role": "system", "content": "one command"}]
X = [*PREFIX, {"role": "user", "content": "show free memory"}]
Y = [*PREFIX, {"role": "user", "content": "list open ports"}]
X_RETRY = [*X, {"role": "assistant", "content": "free"}, {"role": "user", "content": "add -h"}]


def call(split: SameSplit, messages: list[Message], cached: int, evaluated: int = 40) -> int:
    """One successful call: the cached tokens it may keep; llama.cpp then evaluates
    `evaluated` tokens after them (the prompt's tail), then one per generated token."""
    kept = split.cut(messages, cached)
    split.evaluating(kept, evaluated)
    split.evaluating(kept + evaluated, 1)
    split.done()
    return kept


def test_a_request_asked_again_keeps_only_what_its_first_evaluation_found_cached() -> None:
    split = SameSplit()
    assert call(split, Y, cached=900) == 900
    assert call(split, X, cached=1010) == 1010  # evaluated from 1010 the first time
    assert call(split, X, cached=1060) == 1010  # its whole prompt is cached now: cut back
    assert call(split, X, cached=1060) == 1010  # and every time after


def test_a_retry_between_the_two_asks_does_not_end_the_remembering() -> None:
    split = SameSplit()
    call(split, X, cached=1010)
    assert call(split, X_RETRY, cached=1060) == 1060  # a continuation reuses the cache
    assert call(split, X, cached=1100) == 1010


def test_another_request_between_the_two_asks_does() -> None:
    split = SameSplit()
    call(split, X, cached=1010)
    call(split, Y, cached=1060)
    assert call(split, X, cached=1060) == 1060


def test_a_failed_request_between_the_two_asks_does_too() -> None:
    """A call that raised may have overwritten the cache: the earlier request's start no
    longer describes what the cache holds."""
    split = SameSplit()
    call(split, X, cached=1010)
    split.cut(Y, 1060)  # no done(): it failed
    assert call(split, X, cached=1060) == 1060


def test_a_retry_after_a_failed_call_is_not_taken_for_a_continuation() -> None:
    split = SameSplit()
    call(split, Y, cached=900)
    split.cut(X, 1010)  # failed
    assert call(split, X_RETRY, cached=1010) == 1010
    assert call(split, X_RETRY, cached=1080) == 1010  # it became the request remembered


def test_a_prompt_found_whole_in_the_cache_cannot_be_cut_back_to_its_split() -> None:
    """Its answer came from logits an earlier call left; the next ask gets what llama.cpp
    does by itself."""
    split = SameSplit()
    kept = split.cut(X, 1050)
    split.evaluating(kept, 0)  # nothing to evaluate: the prompt is cached whole
    split.evaluating(kept, 1)
    split.done()
    assert call(split, X, cached=1060) == 1060


def test_a_replaced_cache_forgets_everything() -> None:
    split = SameSplit()
    call(split, X, cached=1010)
    split.forget()
    assert call(split, X, cached=1060) == 1060
    assert call(split, X_RETRY, cached=1100) == 1100
