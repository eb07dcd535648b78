"""The OpenAI-compatible backend: `POST {base_url}/chat/completions`, streamed.

Works with vLLM, llama.cpp's server, llama-cpp-python's server, LM Studio and hosted services.
The model defaults to the first one the server lists (`GET {base_url}/models`), which is also
how the server's kind is told for the grammar: llama.cpp servers take the same one-line GBNF
grammar as the embedded backend (`grammar`), vLLM takes it as a guided-decoding grammar. With
no grammar the reply is read until its first complete command line, then the stream is closed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from cmdai import settings
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
from cmdai.backends.llama_cpp import ONE_LINE_GRAMMAR
from cmdai.backends.remote import (
    HttpBackend,
    NotFound,
    Stop,
    has_command_line,
    json_lines,
    probe_once,
    read_json,
    server_said,
)
from cmdai.errors import BackendError, BackendUnavailable, CmdaiError, GenerationError
from cmdai.redact import Redaction

if TYPE_CHECKING:
    from cmdai.config import Config

DEFAULT_URL = "http://localhost:8000/v1"
KEY_HINT = "set api_key in [backends.openai], or CMDAI_OPENAI_API_KEY or OPENAI_API_KEY"
# What `owned_by` in GET /models says about the server, for the grammar field it accepts.
LLAMA_CPP_OWNERS = ("llamacpp", "me")  # llama.cpp's server, llama-cpp-python's server
VLLM_OWNERS = ("vllm",)


class OpenAIBackend:
    name = "openai"

    def __init__(self, options: Options) -> None:
        self.http = HttpBackend("openai", options["base_url"], options["read_timeout"],
                                options["api_key"])  # fmt: skip
        self.http.key_hint = KEY_HINT
        self.model = options["model"]  # "" until the server says what it serves
        self.grammar = options["grammar"]
        self.server_kind = ""  # llama_cpp, vllm or other, once known

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        cancelled: Callable[[], bool] | None = None,
        deadline: float | None = None,
    ) -> Completion:
        redaction = Redaction()  # nothing secret leaves; the reply gets the user's secrets back
        sent = redaction.messages(messages)

        def attempt(stop: Stop) -> Completion:
            self._discover(stop)
            body = self._body(sent, max_tokens, temperature)
            with self.http.stream("POST", "/chat/completions", body, stop) as response:
                return self._read(response, stop, bool(body.get("stop")))

        completion = self.http.call(attempt, cancelled, deadline)
        return Completion(redaction.restore(completion.text), 0, completion.completion_tokens)

    def _body(self, messages: list[Message], max_tokens: int, temperature: float) -> dict:
        body: dict[str, Any] = {
            "model": self.model, "messages": messages, "max_tokens": max_tokens,
            "temperature": temperature, "stream": True,
        }  # fmt: skip
        if self.grammar == "auto" and self.server_kind == "llama_cpp":
            body |= {"grammar": ONE_LINE_GRAMMAR, "stop": ["\n"]}
        elif self.grammar == "auto" and self.server_kind == "vllm":
            # guided_grammar for vLLM before 0.10, structured_outputs after (it ignores the other)
            grammar = ONE_LINE_GRAMMAR.strip()
            body |= {"guided_grammar": grammar, "structured_outputs": {"grammar": grammar}}
            body["stop"] = ["\n"]
        return body

    def _read(self, response: Any, stop: Stop, one_line: bool) -> Completion:
        pieces: list[str] = []
        chunks = 0
        for item in json_lines(response, self.http.where, stop, sse=True):
            if "error" in item:
                raise BackendError(
                    f"{self.http.where} failed mid-reply: {server_said(item['error'])}"
                )
            choices = item.get("choices")
            if not isinstance(choices, list):
                raise BackendError(f"{self.http.where} sent a reply without `choices`")
            if not choices:
                continue  # a usage-only chunk
            delta = choices[0].get("delta") or choices[0].get("message") or {}
            pieces.append(str(delta.get("content") or ""))
            chunks += 1
            if not one_line and has_command_line("".join(pieces)):
                break  # the command is complete: closing the stream stops the server
        if not chunks:
            raise GenerationError(f"{self.http.where} sent no choices", "try again")
        return Completion("".join(pieces), 0, chunks)

    def _discover(self, stop: Stop) -> None:
        """Which model to ask for (the first listed, when not configured) and what kind of
        server this is. Asked once per session; a server without /models is taken as is."""
        if self.server_kind:
            return
        models = self._models(stop)
        if not self.model:
            if not models:
                raise BackendUnavailable(f"{self.http.where} lists no model",
                                         "set model in [backends.openai]")  # fmt: skip
            self.model = str(models[0].get("id"))
        owners = {str(m.get("owned_by", "")).lower() for m in models}
        self.server_kind = (
            "llama_cpp" if owners & set(LLAMA_CPP_OWNERS)
            else "vllm" if owners & set(VLLM_OWNERS) else "other"
        )  # fmt: skip

    def _models(self, stop: Stop) -> list[dict]:
        try:
            with self.http.stream("GET", "/models", None, stop) as response:
                data = read_json(response, self.http.where).get("data")
        except NotFound:
            return []  # no model list here: use the configured name as it is
        return [m for m in data if isinstance(m, dict)] if isinstance(data, list) else []

    def warm_up(self, messages: Sequence[Message]) -> None:
        """Find out the model and the server's kind now, not on the first key press."""
        self.http.call(self._discover, None, time.monotonic() + 10)

    def close(self) -> None:
        self.http.close()


# --- the spec -------------------------------------------------------------------------------


def _resolve(config: Config, options: Options) -> Target:
    return Target("openai", options["model"] or "(the server's first model)", options["base_url"])


def _open(config: Config, options: Options) -> OpenAIBackend:
    return OpenAIBackend(options)  # connects on first use: a server down is met per request


def _probe(config: Config, options: Options) -> Probe:
    backend = OpenAIBackend(options)
    try:
        _, took = probe_once(backend.http, backend._discover)
    except CmdaiError as exc:
        return Probe(False, str(exc))
    finally:
        backend.close()
    return Probe(True, f"reachable, model {backend.model} ({backend.server_kind} server)", took)


def _url(raw: Any) -> str:
    if isinstance(raw, str) and raw.startswith(("http://", "https://")):
        return raw.rstrip("/")
    raise ValueError("an http:// or https:// URL")


SPEC = BackendSpec(
    name="openai",
    summary="an OpenAI-compatible server: vLLM, llama.cpp's server, LM Studio, hosted APIs",
    capabilities=Capabilities(grammar=True, concurrency=4, remote=True),
    resolve=_resolve,
    open=_open,
    probe=_probe,
    options={
        "base_url": Option(_url, "the API's base URL", DEFAULT_URL, env=("OPENAI_BASE_URL",)),
        "api_key": Option(
            settings.text,
            "API key (sent as a bearer token)",
            "",
            secret=True,
            env=("OPENAI_API_KEY",),
        ),
        "model": Option(settings.text, "model name (empty: the first the server lists)", ""),
        "grammar": Option(
            settings.choice(("auto", "off")),
            "send the one-line grammar to servers that accept one (llama.cpp, vLLM)",
            "auto",
        ),
        "read_timeout": Option(
            settings.float_range(1, 600), "seconds to wait for the server's next bytes", 30.0
        ),
    },
)
