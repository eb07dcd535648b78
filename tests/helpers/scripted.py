"""A scripted Backend: a test double for the model, used where a real model cannot be made to
misbehave on cue (a wrong program on the first answer, garbage, a failure). It returns the
given replies in order and records every conversation it was asked."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cmdai.backends.base import Completion, Message


class ScriptedBackend:
    name = "scripted"
    model = "scripted-model"

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.asked: list[list[Message]] = []

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        cancelled: Callable[[], bool] | None = None,
    ) -> Completion:
        self.asked.append(list(messages))
        return Completion(self.replies.pop(0), prompt_tokens=10, completion_tokens=5)

    def close(self) -> None:
        pass
