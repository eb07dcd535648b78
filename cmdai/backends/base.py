"""The Backend protocol: messages in, one completion out. Every backend raises BackendError
(from cmdai.errors) with a message that names what failed and how to fix it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypedDict


class Message(TypedDict):
    role: str  # "system", "user" or "assistant"
    content: str


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int


class Backend(Protocol):
    name: str
    model: str

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        cancelled: Callable[[], bool] | None = None,
    ) -> Completion:
        """Generate the assistant's reply to `messages`. When `cancelled` is given it is polled
        while generating, and Cancelled (cmdai.errors) is raised as soon as it returns True."""
        ...

    def close(self) -> None:
        """Free the model's memory."""
        ...
