"""The embedded backend: llama-cpp-python on a local GGUF file.

Two things make it fast enough for a hotkey: the model is loaded once per process, and the
system prompt (plus few-shot turns) is byte-identical and first in every request, so llama.cpp
reuses the KV cache of that prefix and only evaluates the per-request tail.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmdai import settings
from cmdai.backends import prefix_state
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
from cmdai.backends.same_split import SameSplit
from cmdai.errors import BackendError, Cancelled, CmdaiError, UsageError
from cmdai.repetition import TOKEN_SPAN, drifts, repeats

if TYPE_CHECKING:
    from cmdai.config import Config

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


def amx_present(cpuinfo: str | None = None) -> bool:
    """Does this CPU have Intel AMX (Sapphire Rapids and later)? llama.cpp, built for such a
    CPU, moves part of the weights into its AMX buffers, and with llama-cpp-python 0.3.36 that
    path wrote garbage ("mpegmpegmpeg" for "hello") or crashed in decode on a Xeon with AMX."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return False
    return any(
        line.startswith("flags") and "amx_int8" in line.split() for line in cpuinfo.splitlines()
    )


@contextlib.contextmanager
def without_extra_buffers(active: bool) -> Iterator[None]:
    """Load a model with llama.cpp's extra buffer types (AMX, weight repacking) turned off.
    Llama() builds its model parameters itself and has no argument for this, so the default
    parameters it asks for are replaced for the duration of the load (the helper loads one
    model at a time)."""
    if not active:
        yield
        return
    import llama_cpp.llama_cpp as lib

    original = lib.llama_model_default_params

    def without_extra() -> Any:
        params = original()
        params.use_extra_bufts = False
        return params

    lib.llama_model_default_params = without_extra
    try:
        yield
    finally:
        lib.llama_model_default_params = original


def physical_cores() -> int:
    """Physical cores, not hyper-threads: llama.cpp gets slower when it uses SMT siblings."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return os.cpu_count() or 1
    cores: set[tuple[str, str]] = set()
    physical = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "physical id":
            physical = value
        elif key == "core id":
            cores.add((physical, value))
    return len(cores) or os.cpu_count() or 1


class LlamaCppBackend:
    name = "llama_cpp"

    def __init__(
        self, model_path: Path, *, model: str, n_threads: int, n_ctx: int,
        state_dir: Path | None = None, identity: str = "", tuning: dict[str, Any] | None = None,
        repack: str = "auto", seed: int | None = None,
    ) -> None:  # fmt: skip
        check_model_file(model_path)
        # Where sampling (temperature > 0) starts. llama-cpp-python's default is a constant, and
        # each call's seed follows from the last: every process drew the same samples. At
        # temperature 0 the seed changes nothing.
        self.seed = secrets.randbits(31) if seed is None else seed
        self.model = model
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        # Where the evaluated prompt prefix is kept between starts (None: never), and what
        # names the model's bytes in its key.
        self.state_dir = state_dir
        self.identity = identity or str(model_path)
        self.warm_start = ""  # how the last warm-up went, for `cmdai helper status`
        self.evaluated = 0  # prompt and generated tokens llama.cpp evaluated, all calls
        # llama.cpp's extra buffer types: repacked weights (faster matrix products on some
        # CPUs, a second copy of most weights in memory) and AMX, which fails here.
        self.extra_buffers = {"on": True, "off": False}.get(repack, not amx_present())
        self.stop_repeats = True  # the runaway guard (RepetitionStop); off only to compare
        self._split = SameSplit()  # a request asked again is evaluated as the first time
        from llama_cpp import Llama, LlamaGrammar  # heavy: imported only when a model loads

        try:
            with without_extra_buffers(not self.extra_buffers):
                self._llama = Llama(
                    model_path=str(model_path),
                    n_ctx=n_ctx,
                    n_threads=n_threads,
                    n_threads_batch=n_threads,
                    verbose=False,
                    # further Llama() arguments (how benchmarks try settings) may replace these
                    **{"seed": self.seed, **(tuning or {})},
                )
        except (ValueError, RuntimeError) as exc:
            raise BackendError(
                f"llama.cpp could not load {model_path}: {exc}",
                "the file may be truncated or corrupt: run `cmdai model verify`, "
                "or `cmdai model pull` to fetch it again",
            ) from None
        self._grammar = LlamaGrammar.from_string(ONE_LINE_GRAMMAR, verbose=False)
        self._count_evaluations()

    def _count_evaluations(self) -> None:
        """Every token llama.cpp evaluates passes through Llama.eval: count them (how the tests
        and the benchmark see that a loaded prefix is not evaluated again)."""
        evaluate = self._llama.eval

        def counted(tokens: Sequence[int]) -> None:
            self.evaluated += len(tokens)
            self._split.evaluating(self._llama.n_tokens, len(tokens))
            evaluate(tokens)

        self._llama.eval = counted  # type: ignore[method-assign]

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        cancelled: Callable[[], bool] | None = None,
        deadline: float | None = None,  # local: the caller's cancellation bounds it
    ) -> Completion:
        if cancelled is not None:
            return self._complete_streaming(messages, max_tokens, temperature, cancelled)
        guard = self._guard()
        self._llama.n_tokens = self._split.cut(messages, self._llama.n_tokens)
        try:
            reply: Any = self._llama.create_chat_completion(
                messages=list(messages),  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=temperature,
                grammar=self._grammar,
                logits_processor=self._processors(guard),
            )
        except (ValueError, RuntimeError) as exc:
            raise _generation_error(exc) from None
        self._split.done()
        usage = reply.get("usage", {})
        choice = reply["choices"][0]
        return Completion(
            text=choice["message"]["content"] or "",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            cut_off=guard.cut_off(choice.get("finish_reason")),
        )

    def plain_completion(self, prompt: str, max_tokens: int) -> tuple[int, float]:
        """Tokens generated and seconds taken for `prompt` as raw text, without the chat
        template, grammar or guard: the decode speed benchmarks report."""
        started = time.perf_counter()
        self._split.forget()  # the cache will hold this prompt, no request's
        out: Any = self._llama.create_completion(prompt, max_tokens=max_tokens, temperature=0)
        return out["usage"]["completion_tokens"], time.perf_counter() - started

    def _guard(self) -> RepetitionStop:
        def text(tokens: list[int]) -> str:
            return self._llama.detokenize(tokens).decode("utf-8", errors="replace")

        return RepetitionStop(self._llama.token_eos(), text)

    def _processors(self, guard: RepetitionStop) -> Any:
        from llama_cpp import LogitsProcessorList

        return LogitsProcessorList([guard]) if self.stop_repeats else None

    def _complete_streaming(
        self,
        messages: Sequence[Message],
        max_tokens: int,
        temperature: float,
        cancelled: Callable[[], bool],
    ) -> Completion:
        """Token by token, so that a client who left stops the generation within one token."""
        pieces: list[str] = []
        guard = self._guard()
        finish = None
        self._llama.n_tokens = self._split.cut(messages, self._llama.n_tokens)
        try:
            chunks: Any = self._llama.create_chat_completion(
                messages=list(messages),  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=temperature,
                grammar=self._grammar,
                logits_processor=self._processors(guard),
                stream=True,
            )
            for chunk in chunks:
                if cancelled():
                    chunks.close()
                    raise Cancelled("the request was cancelled")
                choice = chunk["choices"][0]
                if content := choice["delta"].get("content"):
                    pieces.append(content)
                finish = choice.get("finish_reason") or finish
        except (ValueError, RuntimeError) as exc:
            raise _generation_error(exc) from None
        self._split.done()
        # Streaming reports no usage; every piece of content is one token.
        return Completion("".join(pieces), prompt_tokens=0, completion_tokens=len(pieces),
                          cut_off=guard.cut_off(finish))  # fmt: skip

    def warm_up(self, messages: Sequence[Message]) -> None:
        """Have the constant prompt prefix evaluated now, so the first real request pays only
        for its own short tail: loaded from disk when an earlier start saved it (most of a cold
        start with the 1.5B model), else evaluated, then saved for the next start."""
        name = prefix_state.key(
            "llama_cpp", self.identity, json.dumps(list(messages), sort_keys=True),
            f"n_ctx={self.n_ctx}", f"extra_buffers={self.extra_buffers}", _llama_cpp_version(),
        )  # fmt: skip
        path = prefix_state.path_for(self.state_dir, name) if self.state_dir else None
        saved = prefix_state.load(path, name) if path else None
        if saved is not None and self._restore(saved):
            self.warm_start = f"prompt prefix loaded from disk ({len(saved.tokens)} tokens)"
            return
        before = self.evaluated
        self.complete(messages, max_tokens=1, temperature=0.0)
        self.warm_start = f"prompt prefix evaluated ({self.evaluated - before} tokens)"
        if path and prefix_state.save(path, name, self._capture()):
            self.warm_start += ", saved for the next start"

    def _capture(self) -> prefix_state.Saved:
        import ctypes

        import llama_cpp

        ctx = self._llama._ctx.ctx
        size = llama_cpp.llama_state_get_size(ctx)
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_get_data(ctx, buffer, size)
        tokens = [int(t) for t in self._llama.input_ids[: self._llama.n_tokens]]
        return prefix_state.Saved(tokens, bytes(buffer)[:written])

    def _restore(self, saved: prefix_state.Saved) -> bool:
        """Put a saved state into the context; False (and a clean context) when llama.cpp
        refuses it."""
        import ctypes

        import llama_cpp

        if len(saved.tokens) >= self.n_ctx:
            return False
        ctx = self._llama._ctx.ctx
        buffer = (ctypes.c_uint8 * len(saved.state)).from_buffer_copy(saved.state)
        if llama_cpp.llama_state_set_data(ctx, buffer, len(saved.state)) != len(saved.state):
            self._llama.reset()
            return False
        self._llama.input_ids[: len(saved.tokens)] = saved.tokens
        self._llama.n_tokens = len(saved.tokens)
        self._split.forget()
        return True

    def close(self) -> None:
        self._llama.close()


class RepetitionStop:
    """A llama.cpp logits processor that ends the reply (only the end-of-turn token may
    follow) once its generated tokens repeat themselves, or its text drifts through one shape
    of words (cmdai.repetition)."""

    def __init__(self, eos: int, text: Callable[[list[int]], str] | None = None) -> None:
        self.eos = eos
        self.text = text  # the generated tokens as text, for the drift check
        self.start: int | None = None  # where the reply begins in the token ids
        self.fired = False

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if self.start is None:
            self.start = len(input_ids)  # first call: nothing generated yet
        if not self.fired:
            generated = [int(token) for token in input_ids[self.start :]]
            self.fired = repeats(generated, TOKEN_SPAN) or (
                self.text is not None and drifts(self.text(generated))
            )
        if self.fired:
            eos_score = scores[self.eos]
            scores[:] = -float("inf")
            scores[self.eos] = max(eos_score, 0.0)
        return scores

    def cut_off(self, finish_reason: str | None) -> str:
        """Why the reply is not whole: "repeating", "length", or "" when it is."""
        if self.fired:
            return "repeating"
        return "length" if finish_reason == "length" else ""


# --- the spec -------------------------------------------------------------------------------


def _model_path(config: Config) -> Path:
    from cmdai.models.pull import resolve_model_path

    return resolve_model_path(config, allow_download=False)


def _resolve(config: Config, options: Options) -> Target:
    try:
        location = str(_model_path(config))
    except CmdaiError:
        location = ""  # not downloaded yet: `open` says so, the fallback command pulls it
    return Target("llama_cpp", config.model, location)


def _open(config: Config, options: Options) -> LlamaCppBackend:
    """Load the model (not downloaded, or unusable: ModelError/BackendError, and a chain asks
    its next backend)."""
    from cmdai import paths

    path = _model_path(config)
    return LlamaCppBackend(
        path, model=config.model, n_threads=options["n_threads"], n_ctx=options["n_ctx"],
        state_dir=paths.cache_dir() / "prefix-state", identity=_identity(config, path),
        repack=options["repack"],
    )  # fmt: skip


def _identity(config: Config, path: Path) -> str:
    """What names the model's bytes: its pinned or recorded sha256 (verified before use), else
    the file's path, size and modification time."""
    from cmdai.models.registry import ARTIFACTS
    from cmdai.models.store import ModelStore

    if config.model in ARTIFACTS:
        return ARTIFACTS[config.model].sha256
    if entry := ModelStore(config.model_dir).entries().get(config.model):
        return entry.sha256
    info = path.stat()
    return f"{path.resolve()}:{info.st_size}:{info.st_mtime_ns}"


_TOO_LONG = re.compile(r"Requested tokens \((\d+)\) exceed context window of (\d+)")


def _generation_error(exc: Exception) -> CmdaiError:
    """llama.cpp's error, said so the user knows what to do: a request too long for the
    context window is the request's fault (odd text can take a token per character)."""
    too_long = _TOO_LONG.search(str(exc))
    if too_long:
        needed, window = (int(n) for n in too_long.groups())
        return UsageError(
            f"the request is too long for the model: with the prompt it takes {needed:,} "
            f"tokens, and the context window holds {window:,}",
            "shorten the request, or raise n_ctx in [backends.llama_cpp]",
        )
    return BackendError(f"llama.cpp failed to generate: {exc}")


def _llama_cpp_version() -> str:
    import llama_cpp

    return f"llama-cpp-python={llama_cpp.__version__}"


def _probe(config: Config, options: Options) -> Probe:
    if importlib.util.find_spec("llama_cpp") is None:
        return Probe(False, "llama-cpp-python is not installed: pip install llama-cpp-python")
    try:
        path = _model_path(config)
    except CmdaiError as exc:
        return Probe(False, str(exc))
    return Probe(True, f"model file present ({path.stat().st_size >> 20} MB), loads in the helper")


SPEC = BackendSpec(
    name="llama_cpp",
    summary="embedded llama.cpp on a local GGUF file (the default; nothing leaves the machine)",
    capabilities=Capabilities(prefix_cache=True, grammar=True, concurrency=1, needs_download=True),
    resolve=_resolve,
    open=_open,
    probe=_probe,
    stored_model=lambda config, options: config.model,
    options={
        "n_threads": Option(
            settings.int_range(1, 512), "CPU threads for inference", default=physical_cores
        ),
        "n_ctx": Option(
            settings.int_range(512, 32768),
            "context window in tokens (the prompt prefix alone is about 1,850)",
            default=4096,  # a 1,850-token prefix plus a request of up to 4,000 characters of prose
        ),
        "repack": Option(
            settings.choice(("auto", "on", "off")),
            "llama.cpp's repacked weights: faster on some CPUs, a second copy of most weights "
            "in memory; auto = on, except on CPUs with AMX, where that path fails",
            default="auto",
        ),
    },
)
