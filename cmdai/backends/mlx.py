"""The MLX backend (Apple Silicon's fastest local path): mlx-lm on an MLX model directory.

Loaded once in the helper. Every request's prompt starts with the same system prompt and
examples, so the KV cache of the last prompt is kept: a new request trims it back to the
tokens it shares with the last one and processes only the rest (the warm-up fills it with the
shared prefix). Greedy decoding, stopped at the end of the first line, cancellable between
tokens. mlx is imported only when this backend opens.

The model (`[backends.mlx] model`) is a registry id fetched into cmdai's model store (by
default the 4-bit MLX conversion of Qwen2.5-Coder-1.5B-Instruct), an id given to a directory
with `cmdai model import DIR`, or a directory path.

Selection: `backend = "auto"` picks this backend on macOS arm64 when mlx-lm imports (unless a
GGUF `model` is set: that asks for llama.cpp), else the llama.cpp backend.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cmdai import settings
from cmdai.backends import auto
from cmdai.backends.base import (
    BackendSpec,
    Capabilities,
    Completion,
    Message,
    Option,
    Options,
    Probe,
    Target,
)
from cmdai.errors import BackendError, Cancelled, CmdaiError
from cmdai.models.registry import DEFAULT_MLX_MODEL

if TYPE_CHECKING:
    from cmdai.config import Config


class MlxBackend:
    name = "mlx"

    def __init__(self, directory: Path, model: str | None = None) -> None:
        check_model_directory(directory)
        import mlx_lm  # heavy: only when this backend opens
        from mlx_lm.models.cache import make_prompt_cache

        try:
            self._model, self._tokenizer = mlx_lm.load(str(directory))
        except Exception as exc:  # mlx-lm raises whatever its loaders raise
            raise BackendError(
                f"mlx-lm could not load the model in {directory}: {exc}",
                "the directory may be incomplete or corrupt: fetch the model again",
            ) from None
        self.model = model or directory.name
        self._cache = make_prompt_cache(self._model)
        self._cached: list[int] = []  # the tokens whose keys and values the cache holds

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,  # greedy always: one best command, the same every time
        cancelled: Callable[[], bool] | None = None,
        deadline: float | None = None,  # local: the caller's cancellation bounds it
    ) -> Completion:
        import mlx.core as mx
        from mlx_lm.generate import generate_step

        prompt = list(
            self._tokenizer.apply_chat_template(list(messages), add_generation_prompt=True)
        )
        start = self._reuse_cache(prompt)
        tokens: list[int] = []
        text = ""
        try:
            steps = generate_step(mx.array(prompt[start:]), self._model,
                                  max_tokens=max_tokens, prompt_cache=self._cache)  # fmt: skip
            for (token, _), _count in zip(steps, range(max_tokens), strict=False):
                if cancelled is not None and cancelled():
                    raise Cancelled("the request was cancelled")
                token = int(token)
                if token in self._tokenizer.eos_token_ids:
                    break
                tokens.append(token)
                text = self._tokenizer.decode(tokens)
                if text.strip() and "\n" in text.lstrip():
                    break  # the first line is complete
        finally:
            self._keep_prompt_only(prompt)
        return Completion(text.lstrip().split("\n", 1)[0], len(prompt) - start, len(tokens))

    def _reuse_cache(self, prompt: list[int]) -> int:
        """Trim the cache to the tokens this prompt shares with the last one; returns how many
        it shares (at least one token is always processed anew, to get logits)."""
        from mlx_lm.models.cache import trim_prompt_cache

        shared = 0
        for old, new in zip(self._cached, prompt, strict=False):
            if old != new:
                break
            shared += 1
        shared = min(shared, len(prompt) - 1)
        trim_prompt_cache(self._cache, len(self._cached) - shared)
        self._cached = prompt[:shared]
        return shared

    def _keep_prompt_only(self, prompt: list[int]) -> None:
        """After a reply (or a cancel) the cache also holds generated tokens, how many depends
        on how far generation ran ahead: trim back to exactly the prompt."""
        from mlx_lm.models.cache import trim_prompt_cache

        held = self._cache[0].offset if self._cache else 0
        trim_prompt_cache(self._cache, max(0, held - len(prompt)))
        self._cached = prompt[: min(held, len(prompt))]

    def warm_up(self, messages: Sequence[Message]) -> None:
        """Fill the cache with the constant prefix now, not on the first key press."""
        self.complete(messages, max_tokens=1, temperature=0.0)

    def close(self) -> None:
        self._cache = []
        self._cached = []


def check_model_directory(directory: Path) -> None:
    """Fail early, naming the directory, on what mlx-lm would report obscurely."""
    if not directory.is_dir():
        raise BackendError(f"MLX model directory {directory} does not exist",
                           "set [backends.mlx] model to an MLX model directory")  # fmt: skip
    try:
        config = json.loads((directory / "config.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackendError(
            f"{directory} is not an MLX model directory: config.json is missing or not JSON",
            f"({exc.__class__.__name__}) fetch the model again",
        ) from None
    if not isinstance(config, dict) or "model_type" not in config:
        raise BackendError(f"{directory}/config.json has no model_type: not an MLX model")
    if not any(directory.glob("*.safetensors")):
        raise BackendError(f"{directory} holds no .safetensors weights", "fetch the model again")


# --- the spec -------------------------------------------------------------------------------


def _directory(config: Config, options: Options) -> Path:
    from cmdai.models.pull import resolve_model

    return resolve_model(options["model"], config, backend="mlx", allow_download=False)


def _resolve(config: Config, options: Options) -> Target:
    try:
        location = str(_directory(config, options))
    except CmdaiError:
        location = ""  # not downloaded yet: `open` says so, the fallback command pulls it
    return Target("mlx", options["model"], location)


def _open(config: Config, options: Options) -> MlxBackend:
    if reason := auto.why_not_available():
        where = "" if auto.is_apple_silicon() else "; it is made for macOS on Apple Silicon"
        raise BackendError(f"the mlx backend cannot run: {reason}{where}")
    return MlxBackend(_directory(config, options), options["model"])


def _probe(config: Config, options: Options) -> Probe:
    if reason := auto.why_not_available():
        return Probe(False, reason)
    try:
        check_model_directory(_directory(config, options))
    except CmdaiError as exc:
        return Probe(False, str(exc))
    where = "Apple Silicon" if auto.is_apple_silicon() else f"{platform.machine()} CPU"
    return Probe(True, f"model directory present; runs on {where}")


SPEC = BackendSpec(
    name="mlx",
    summary="mlx-lm on an MLX model directory (Apple Silicon; CPU elsewhere)",
    capabilities=Capabilities(prefix_cache=True, concurrency=1, needs_download=True),
    resolve=_resolve,
    open=_open,
    probe=_probe,
    stored_model=lambda config, options: str(options["model"]),
    options={
        "model": Option(
            settings.text,
            "an MLX model: an id from `cmdai model list`, or a model directory",
            DEFAULT_MLX_MODEL,
        ),
    },
)
