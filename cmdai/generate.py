"""One generation, the same for every front end: context -> messages -> backend -> clean."""

from __future__ import annotations

import time
from dataclasses import dataclass

from cmdai.backends.base import Backend
from cmdai.config import Config
from cmdai.errors import UsageError
from cmdai.prompting import Context, build_messages, clean_reply, relative_to_cwd

MAX_REQUEST_CHARS = 4000


@dataclass(frozen=True)
class Generated:
    command: str
    backend: str
    model: str
    latency_ms: int
    prompt_tokens: int
    completion_tokens: int

    def as_json(self) -> dict[str, object]:
        return {
            "command": self.command,
            "backend": self.backend,
            "model": self.model,
            "latency_ms": self.latency_ms,
        }


def load_backend(config: Config) -> Backend:
    """Build the configured backend (downloading its model on first use)."""
    from cmdai.backends.llama_cpp import LlamaCppBackend
    from cmdai.models.pull import resolve_model_path

    path = resolve_model_path(config)
    return LlamaCppBackend(path, model=config.model, n_threads=config.n_threads, n_ctx=config.n_ctx)


def check_request(request: str) -> str:
    text = request.strip()
    if not text:
        raise UsageError("the request is empty", 'say what you want, e.g. cmdai "list big files"')
    if len(text) > MAX_REQUEST_CHARS:
        raise UsageError(
            f"the request is {len(text):,} characters long; the limit is {MAX_REQUEST_CHARS:,}",
            "describe the command in a sentence or two",
        )
    if "\x00" in text:
        raise UsageError("the request contains a NUL byte", "remove binary data from the request")
    return text


def generate(request: str, config: Config, backend: Backend, context: Context) -> Generated:
    messages = build_messages(check_request(request), context)
    started = time.perf_counter()
    completion = backend.complete(
        messages, max_tokens=config.max_tokens, temperature=config.temperature
    )
    latency_ms = round((time.perf_counter() - started) * 1000)
    return Generated(
        command=relative_to_cwd(clean_reply(completion.text), context.cwd),
        backend=backend.name,
        model=backend.model,
        latency_ms=latency_ms,
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
    )
