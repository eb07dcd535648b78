"""Local HTTP servers for the remote backends' failure paths, on 127.0.0.1.

A test double, used where the real thing cannot misbehave on cue (a 500 then a 200, a 429 with
Retry-After, a connection cut mid-reply) or cannot exist here (no Ollama binary can be
installed: FakeOllama implements the documented endpoints and fields cmdai uses — /api/chat
streamed as JSON lines with `message.content` and `done`, /api/tags `models[].name`, /api/pull
streamed `status`/`total`/`completed` — and answers 404 `{"error": "model … not found"}` for a
model it does not have, as Ollama does). The real OpenAI-compatible server is llama-cpp-python's
own (tests/backends/test_openai_server.py).

Each server records every request (method, path, headers, JSON body, arrival time) and serves
replies from a script: a list of Reply functions used in turn for one path (the last one
repeats), so a test says exactly what each attempt gets.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[["Handler"], None]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float


@dataclass
class FakeServer:
    scripts: dict[str, list[Reply]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    disconnected: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        fake = self

        class Bound(Handler):
            server_fake = fake

        self.httpd = QuietServer(("127.0.0.1", 0), Bound)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def script(self, path: str, *replies: Reply) -> None:
        self.scripts[path] = list(replies)

    def requests(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that left mid-reply (cancelled, or done reading) is not an error here."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    server_fake: FakeServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # small chunks go out at once, as a real server's do

    def log_message(self, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        fake = self.server_fake
        fake.seen.append(Seen(self.command, self.path, dict(self.headers), body, time.monotonic()))
        replies = fake.scripts.get(self.path) or [not_found]
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        reply(self)

    do_GET = do_POST = _handle

    # --- building blocks ---------------------------------------------------------------------

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def wait_for_disconnect(self, limit_s: float = 30) -> None:
        """Block until the client closes its end (it was cancelled), then record that."""
        self.connection.settimeout(limit_s)
        try:
            while self.connection.recv(1024):
                pass
        except (TimeoutError, OSError):
            return
        self.server_fake.disconnected.set()


# --- OpenAI-compatible replies -----------------------------------------------------------------


def models(owned_by: str = "fake", model_id: str = "fake-model") -> Reply:
    def reply(handler: Handler) -> None:
        payload = {
            "object": "list",
            "data": [{"id": model_id, "object": "model", "owned_by": owned_by}],
        }
        handler.send_json(200, payload)

    return reply


def sse_text(*pieces: str) -> Reply:
    """A streamed chat completion whose deltas are `pieces`."""

    def reply(handler: Handler) -> None:
        handler.start_stream("text/event-stream")
        for piece in pieces:
            event = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            handler.chunk(f"data: {json.dumps(event)}\n\n".encode())
        handler.chunk(b"data: [DONE]\n\n")
        handler.end_stream()

    return reply


def sse_raw(*events: str) -> Reply:
    def reply(handler: Handler) -> None:
        handler.start_stream("text/event-stream")
        for event in events:
            handler.chunk(f"data: {event}\n\n".encode())
        handler.end_stream()

    return reply


def status(code: int, payload: Any = None, headers: dict[str, str] | None = None) -> Reply:
    def reply(handler: Handler) -> None:
        handler.send_json(
            code,
            payload if payload is not None else {"error": {"message": f"status {code}"}},
            headers,
        )

    return reply


def not_found(handler: Handler) -> None:
    handler.send_json(404, {"error": "not found"})


def sleep_then(seconds: float, then: Reply) -> Reply:
    def reply(handler: Handler) -> None:
        time.sleep(seconds)
        then(handler)

    return reply


def cut_mid_reply(*pieces: str) -> Reply:
    """Start a streamed reply, then drop the connection without ending it."""

    def reply(handler: Handler) -> None:
        handler.start_stream("text/event-stream")
        for piece in pieces:
            event = {"choices": [{"index": 0, "delta": {"content": piece}}]}
            handler.chunk(f"data: {json.dumps(event)}\n\n".encode())
        handler.connection.shutdown(socket.SHUT_RDWR)
        handler.close_connection = True

    return reply


def hang(handler: Handler) -> None:
    """Accept the request and say nothing until the client leaves (a model still thinking)."""
    handler.wait_for_disconnect()
    handler.close_connection = True


# --- Ollama --------------------------------------------------------------------------------------


class FakeOllama(FakeServer):
    """The Ollama endpoints cmdai uses, with `pulled` the models it has."""

    def __init__(
        self, pulled: tuple[str, ...] = ("qwen2.5-coder:1.5b",), answer: str = "ls -la"
    ) -> None:
        super().__init__()
        self.pulled = list(pulled)
        self.answer = answer
        self.script("/api/tags", self._tags)
        self.script("/api/chat", self._chat)
        self.script("/api/pull", self._pull)

    def _tags(self, handler: Handler) -> None:
        handler.send_json(200, {"models": [{"name": name, "model": name} for name in self.pulled]})

    def _chat(self, handler: Handler) -> None:
        body = self.seen[-1].body
        if body["model"] not in self.pulled:
            handler.send_json(
                404, {"error": f"model '{body['model']}' not found, try pulling it first"}
            )
            return
        if not body.get("messages"):  # a load request: the model is loaded, nothing to say
            handler.send_json(200, {"model": body["model"], "done": True, "done_reason": "load"})
            return
        handler.start_stream("application/x-ndjson")
        for word in self.answer.split(" "):
            line = {
                "model": body["model"],
                "message": {"role": "assistant", "content": word + " "},
                "done": False,
            }
            handler.chunk((json.dumps(line) + "\n").encode())
        final = {
            "model": body["model"],
            "message": {"role": "assistant", "content": "\n"},
            "done": True,
            "prompt_eval_count": 42,
            "eval_count": 7,
        }
        handler.chunk((json.dumps(final) + "\n").encode())
        handler.end_stream()

    def _pull(self, handler: Handler) -> None:
        name = self.seen[-1].body["model"]
        handler.start_stream("application/x-ndjson")
        steps = [{"status": "pulling manifest"}]
        steps += [
            {"status": "pulling abc123", "digest": "sha256:abc123", "total": 1000, "completed": n}
            for n in (0, 400, 1000)
        ]
        steps += [
            {"status": "verifying sha256 digest"},
            {"status": "writing manifest"},
            {"status": "success"},
        ]
        for step in steps:
            handler.chunk((json.dumps(step) + "\n").encode())
        handler.end_stream()
        self.pulled.append(name)
