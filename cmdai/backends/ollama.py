"""The Ollama backend: Ollama's own API (`POST /api/chat`, streamed as JSON lines).

Every request sends `keep_alive` (default 30 minutes) so that the server keeps the model
loaded between key presses: Ollama unloads it after 5 idle minutes by default, and the next
Ctrl-G would wait for a reload. Ollama takes no grammar, so the reply is read until its first
complete command line and the stream is then closed (which stops the generation).
"""

from __future__ import annotations

import re
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

DEFAULT_HOST = "http://localhost:11434"
DEFAULT_MODEL = "qwen2.5-coder:1.5b"  # Ollama's tag for Qwen2.5-Coder-1.5B-Instruct (Q4_K_M)


class OllamaBackend:
    name = "ollama"

    def __init__(self, options: Options) -> None:
        self.http = HttpBackend("ollama", options["host"], options["read_timeout"])
        self.model = options["model"]
        self.keep_alive = options["keep_alive"]

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        cancelled: Callable[[], bool] | None = None,
        deadline: float | None = None,
    ) -> Completion:
        redaction = Redaction()
        body = {
            "model": self.model, "messages": redaction.messages(messages), "stream": True,
            "keep_alive": self.keep_alive,
            "options": {"temperature": temperature, "num_predict": max_tokens},
        }  # fmt: skip

        def attempt(stop: Stop) -> Completion:
            with self.http.stream("POST", "/api/chat", body, stop) as response:
                return self._read(response, stop)

        try:
            completion = self.http.call(attempt, cancelled, deadline)
        except NotFound:
            raise self._not_pulled() from None
        return Completion(
            redaction.restore(completion.text), completion.prompt_tokens,
            completion.completion_tokens,
        )  # fmt: skip

    def _read(self, response: Any, stop: Stop) -> Completion:
        pieces: list[str] = []
        counts = (0, 0)
        for item in json_lines(response, self.http.where, stop, sse=False):
            if "error" in item:
                raise BackendError(f"{self.http.where} failed: {server_said(item['error'])}")
            message = item.get("message")
            if isinstance(message, dict):
                pieces.append(str(message.get("content") or ""))
            if item.get("done"):
                counts = (int(item.get("prompt_eval_count", 0)), int(item.get("eval_count", 0)))
                break
            if has_command_line("".join(pieces)):
                break  # the command is complete: closing the stream stops the server
        if not pieces:
            raise GenerationError(f"{self.http.where} sent an empty reply", "try again")
        return Completion("".join(pieces), *counts)

    def _not_pulled(self) -> BackendUnavailable:
        return BackendUnavailable(
            f"model {self.model} is not pulled on {self.http.url}",
            f"run `ollama pull {self.model}` (or `cmdai model pull` with this backend)",
        )

    def has_model(self, stop: Stop) -> bool:
        """Is the model among the server's local models (`GET /api/tags`)?"""
        with self.http.stream("GET", "/api/tags", None, stop) as response:
            listed = read_json(response, self.http.where).get("models") or []
        names = {str(m.get(key, "")) for m in listed if isinstance(m, dict)
                 for key in ("name", "model")}  # fmt: skip
        return self.model in names or f"{self.model}:latest" in names

    def warm_up(self, messages: Sequence[Message]) -> None:
        """Check the model is there, and ask the server to load it now (an empty chat loads
        the model and keeps it for `keep_alive`), not on the first key press."""

        def load(stop: Stop) -> None:
            if not self.has_model(stop):
                raise self._not_pulled()
            body = {"model": self.model, "messages": [], "keep_alive": self.keep_alive}
            with self.http.stream("POST", "/api/chat", body | {"stream": False}, stop):
                pass

        self.http.call(load, None, time.monotonic() + 120)

    def pull(self, on_progress: Callable[[str, int, int], None]) -> None:
        """Ask the server to pull the model (`POST /api/pull`), reporting (status, done,
        total) as it goes."""

        def attempt(stop: Stop) -> None:
            body = {"model": self.model, "stream": True}
            with self.http.stream("POST", "/api/pull", body, stop) as response:
                for item in json_lines(response, self.http.where, stop, sse=False):
                    if "error" in item:
                        raise BackendError(
                            f"{self.http.where} could not pull {self.model}: "
                            f"{server_said(item['error'])}"
                        )
                    status = server_said(item.get("status", ""))
                    on_progress(
                        status, int(item.get("completed") or 0), int(item.get("total") or 0)
                    )
                    if status == "success":
                        return
            raise BackendError(f"{self.http.where} stopped before the pull of {self.model} ended")

        self.http.call(attempt, None, None)

    def close(self) -> None:
        self.http.close()


# --- the spec -------------------------------------------------------------------------------


def _resolve(config: Config, options: Options) -> Target:
    return Target("ollama", options["model"], options["host"])


def _open(config: Config, options: Options) -> OllamaBackend:
    return OllamaBackend(options)


def _probe(config: Config, options: Options) -> Probe:
    backend = OllamaBackend(options)
    try:
        present, took = probe_once(backend.http, backend.has_model)
    except CmdaiError as exc:
        return Probe(False, str(exc))
    finally:
        backend.close()
    if not present:
        return Probe(False, str(backend._not_pulled()), took)
    return Probe(True, f"reachable, model {backend.model} pulled", took)


def _pull(config: Config, options: Options) -> None:
    """`cmdai model pull` with this backend: the server downloads, we show its progress."""
    import sys

    from cmdai.progress import Progress

    backend = OllamaBackend(options)
    bars: dict[str, Progress] = {}
    said: set[str] = set()

    def show(status: str, done: int, total: int) -> None:
        if total:
            bar = bars.get(status) or bars.setdefault(status, Progress(status, total))
            bar.update(done)
        elif status not in said:
            said.add(status)
            print(f"{backend.model}: {status}", file=sys.stderr)

    try:
        backend.pull(show)
    finally:
        for bar in bars.values():
            bar.close()
        backend.close()
    print(f"{backend.model} is pulled on {backend.http.url}")


def _host(raw: Any) -> str:
    """OLLAMA_HOST's forms: `http://host:port`, `host:port`, `host` (port 11434)."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("a URL such as http://localhost:11434, or host:port")
    url = raw.strip().rstrip("/")
    if not re.match(r"https?://", url):
        url = f"http://{url}"
    if not re.search(r":\d+$", url.split("://", 1)[1]):
        url += ":11434"
    return url


def _keep_alive(raw: Any) -> str | int:
    """A duration Ollama understands: "30m", "1h", "-1" (forever), or seconds."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"-1|\d+(\.\d+)?(ms|s|m|h)?", raw.strip()):
        return raw.strip()
    raise ValueError('a duration such as "30m", "2h", "-1" (keep loaded), or seconds')


SPEC = BackendSpec(
    name="ollama",
    summary="an Ollama server (its own API; keeps the model loaded between key presses)",
    capabilities=Capabilities(concurrency=4, remote=True),
    resolve=_resolve,
    open=_open,
    probe=_probe,
    pull=_pull,
    options={
        "host": Option(_host, "the server's URL", DEFAULT_HOST, env=("OLLAMA_HOST",)),
        "model": Option(settings.text, "model name as Ollama knows it", DEFAULT_MODEL),
        "keep_alive": Option(_keep_alive, "how long the server keeps the model loaded", "30m"),
        "read_timeout": Option(
            settings.float_range(1, 600), "seconds to wait for the server's next bytes", 30.0
        ),
    },
)
