"""The Backend protocol: messages in, one completion out. Every backend raises BackendError
(from cmdai.errors) with a message that names what failed and how to fix it."""

from __future__ import annotations

from collections.abc import Sequence
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
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float
    ) -> Completion:
        """Generate the assistant's reply to `messages`."""
        ...

    def close(self) -> None:
        """Free the model's memory."""
        ...
