"""The embedded backend: llama-cpp-python on a local GGUF file.

Two things make it fast enough for a hotkey: the model is loaded once per process, and the
system prompt (plus few-shot turns) is byte-identical and first in every request, so llama.cpp
reuses the KV cache of that prefix and only evaluates the per-request tail.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cmdai.backends.base import Completion, Message
from cmdai.errors import BackendError, Cancelled

# One line, no backticks, no leading blank: the reply can only be a bare command. This cured
# the fences and stray prose both Qwen models sometimes produce, at almost no cost in speed.
ONE_LINE_GRAMMAR = r"""
root ::= [^`\n\r\t ] [^`\n\r]*
"""

GGUF_MAGIC = b"GGUF"


def check_model_file(path: Path) -> None:
    """Fail early, with the file named, on what llama.cpp would report obscurely or crash on."""
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except FileNotFoundError:
        raise BackendError(f"model file {path} does not exist", "run `cmdai model pull`") from None
    except OSError as exc:
        raise BackendError(f"cannot read model file {path}: {exc.strerror}") from None
    if magic != GGUF_MAGIC:
        raise BackendError(
            f"{path} is not a GGUF model file",
            "point `model` at a .gguf file, or run `cmdai model pull`",
        )
    needed = int(path.stat().st_size * 1.2) + (256 << 20)  # weights + KV cache and buffers
    available = _available_memory()
    if available is not None and available < needed:
        from cmdai.models.registry import smaller_than

        smaller = smaller_than(path.stat().st_size)
        raise BackendError(
            f"not enough memory to load {path.name}: about {needed >> 20} MB needed, "
            f"{available >> 20} MB available",
            "close other programs"
            + (f" or use a smaller model: --model {smaller.id}" if smaller else ""),
        )


def _available_memory() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None  # not Linux: let llama.cpp try


class LlamaCppBackend:
    name = "llama_cpp"

    def __init__(self, model_path: Path, *, model: str, n_threads: int, n_ctx: int) -> None:
        check_model_file(model_path)
        self.model = model
        self.model_path = model_path
        from llama_cpp import Llama, LlamaGrammar  # heavy: imported only when a model loads

        try:
            self._llama = Llama(
                model_path=str(model_path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise BackendError(
                f"llama.cpp could not load {model_path}: {exc}",
                "the file may be truncated or corrupt: run `cmdai model verify`, "
                "or `cmdai model pull` to fetch it again",
            ) from None
        self._grammar = LlamaGrammar.from_string(ONE_LINE_GRAMMAR, verbose=False)

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        cancelled: Callable[[], bool] | None = None,
    ) -> Completion:
        if cancelled is not None:
            return self._complete_streaming(messages, max_tokens, temperature, cancelled)
        try:
            reply: Any = self._llama.create_chat_completion(
                messages=list(messages),  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=temperature,
                grammar=self._grammar,
            )
        except (ValueError, RuntimeError) as exc:
            raise BackendError(f"llama.cpp failed to generate: {exc}") from None
        usage = reply.get("usage", {})
        return Completion(
            text=reply["choices"][0]["message"]["content"] or "",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
        )

    def _complete_streaming(
        self,
        messages: Sequence[Message],
        max_tokens: int,
        temperature: float,
        cancelled: Callable[[], bool],
    ) -> Completion:
        """Token by token, so that a client who left stops the generation within one token."""
        pieces: list[str] = []
        try:
            chunks: Any = self._llama.create_chat_completion(
                messages=list(messages),  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=temperature,
                grammar=self._grammar,
                stream=True,
            )
            for chunk in chunks:
                if cancelled():
                    chunks.close()
                    raise Cancelled("the request was cancelled")
                pieces.append(chunk["choices"][0]["delta"].get("content") or "")
        except (ValueError, RuntimeError) as exc:
            raise BackendError(f"llama.cpp failed to generate: {exc}") from None
        # Streaming reports no usage; every chunk is one token.
        return Completion("".join(pieces), prompt_tokens=0, completion_tokens=len(pieces))

    def close(self) -> None:
        self._llama.close()
