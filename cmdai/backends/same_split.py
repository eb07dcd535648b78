"""Where llama.cpp starts evaluating a prompt, so that a request asked again gets the same
answer.

llama.cpp's logits depend slightly on how a prompt's tokens are split into batches, and
llama-cpp-python evaluates only what its KV cache does not already hold. A request asked
twice in a row finds its whole prompt cached, so the second time only the last token is
evaluated: the arithmetic differs, and now and then so does the greedy answer (seen with the
1.5B model: `find . -type l -exec test ! -e {} \\;` first, a different pipeline on the
repeats). SameSplit remembers where the last fresh request's evaluation began and, when the
same messages come again, has the cache cut back to that point, so the tail is evaluated
whole, as the first time. The cost is that tail's evaluation, on repeats only.

A retry or an alternative continues the conversation before it (its messages start with
the previous call's): it is left to reuse the cache, and it does not end the remembering of
the request it continues. Pure bookkeeping, no llama.cpp here: the backend asks where to cut
and reports what was evaluated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cmdai.backends.base import Message


@dataclass(frozen=True)
class _Fresh:
    messages: list[Message]
    start: int | None  # where its evaluation began; None: it found its whole prompt cached


class SameSplit:
    def __init__(self) -> None:
        self._fresh: _Fresh | None = None  # the last request that continued nothing
        self._previous: list[Message] | None = None  # the last call that succeeded
        self._asking: tuple[list[Message], bool] = ([], False)  # this call; does it continue?
        self._first_eval: tuple[int, int] | None = None  # (cached, evaluated) tokens, first eval

    def cut(self, messages: Sequence[Message], cached: int) -> int:
        """How many of the `cached` tokens the call with `messages` may keep."""
        asked, previous, fresh = list(messages), self._previous, self._fresh
        self._previous, self._first_eval = None, None  # until this call succeeds
        if fresh is not None and asked == fresh.messages:  # asked again
            self._asking = (asked, False)
            return cached if fresh.start is None else min(cached, fresh.start)
        continues = _continues(asked, previous)
        self._asking = (asked, continues)
        if not continues:
            self._fresh = None  # the cache is about to hold another prompt
        return cached

    def evaluating(self, cached: int, count: int) -> None:
        """llama.cpp evaluates `count` tokens after the `cached` ones (every eval passes here;
        the first of a call is its prompt's tail)."""
        if self._first_eval is None:
            self._first_eval = (cached, count)

    def done(self) -> None:
        """The call last given to cut() succeeded."""
        asked, continues = self._asking
        if not continues:
            first = self._first_eval
            # No tokens in the first eval: the prompt was whole in the cache and the answer
            # was sampled from logits an earlier call left, a split that cannot be asked for
            # again.
            start = first[0] if first is not None and first[1] > 0 else None
            self._fresh = _Fresh(asked, start)
        self._previous = asked

    def forget(self) -> None:
        """The cache was replaced (a saved prefix loaded): nothing remembered holds."""
        self._fresh, self._previous, self._first_eval = None, None, None


def _continues(messages: list[Message], earlier: list[Message] | None) -> bool:
    """True when `messages` are `earlier` with more turns after them."""
    return (
        earlier is not None and len(messages) > len(earlier) and messages[: len(earlier)] == earlier
    )
