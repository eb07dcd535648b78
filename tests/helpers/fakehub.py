"""A fake Hugging Face Hub on 127.0.0.1, speaking the parts of the protocol huggingface_hub
and cmdai use: HEAD/GET /{repo}/resolve/{revision}/{file} answered with a 302 to a CDN path
plus X-Repo-Commit, X-Linked-Etag and X-Linked-Size (as the real Hub does for LFS files), and
the CDN path (same server, reached as `localhost`) serving the bytes with Range support (206).

Knobs for failure tests: `corrupt` serves different bytes of the same size, `drop_after`
closes the first GET longer than that after that many bytes, `delay` sleeps between chunks (so a client can be
killed mid-file). Every request is recorded with its Range header.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class HubState:
    files: dict[str, bytes]  # "repo/filename" -> content
    corrupt: bool = False
    drop_after: int | None = None
    delay: float = 0.0
    chunk: int = 64 * 1024
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)

    def ranges(self) -> list[str | None]:
        return [r for method, path, r in self.requests if method == "GET" and "/cdn/" in path]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def do_GET(self) -> None:
        self._handle(head=False)

    def _handle(self, head: bool) -> None:
        state = self.server.state
        state.requests.append((self.command, self.path, self.headers.get("Range")))
        if match := re.fullmatch(r"/(.+)/resolve/([^/]+)/([^/]+)", self.path):
            self._resolve(f"{match.group(1)}/{match.group(3)}")
        elif match := re.fullmatch(r"/cdn/([0-9a-f]{64})", self.path):
            self._serve(match.group(1), head)
        else:
            self.send_error(404)

    def _content(self, key: str) -> bytes | None:
        data = self.server.state.files.get(key)
        if data is not None and self.server.state.corrupt:
            data = bytes(b ^ 0xFF for b in data)
        return data

    def _resolve(self, key: str) -> None:
        data = self.server.state.files.get(key)
        if data is None:
            self.send_response(404)
            self.send_header("X-Error-Code", "EntryNotFound")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        digest = hashlib.sha256(data).hexdigest()
        port = self.server.server_address[1]
        self.send_response(302)
        # Another host name, as the real CDN is: huggingface_hub stops at such a redirect and
        # reads the metadata from this response.
        self.send_header("Location", f"http://localhost:{port}/cdn/{digest}")
        self.send_header("X-Repo-Commit", COMMIT)
        self.send_header("X-Linked-Etag", f'"{digest}"')
        self.send_header("ETag", '"pointer-etag"')
        self.send_header("X-Linked-Size", str(len(data)))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _serve(self, digest: str, head: bool) -> None:
        state = self.server.state
        key = next(
            (k for k, v in state.files.items() if hashlib.sha256(v).hexdigest() == digest), None
        )
        data = self._content(key) if key else None
        if data is None:
            self.send_error(404)
            return
        start = 0
        if (rng := self.headers.get("Range")) and (m := re.fullmatch(r"bytes=(\d+)-", rng)):
            start = int(m.group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", f'"{digest}"')
        self.end_headers()
        if not head:
            self._stream(data, start)

    def _stream(self, data: bytes, start: int) -> None:
        state = self.server.state
        limit = len(data)
        if state.drop_after is not None and start + state.drop_after < limit:
            limit = start + state.drop_after
            state.drop_after = None  # only the first transfer long enough is cut short
        position = start
        try:
            while position < limit:
                end = min(position + state.chunk, limit)
                self.wfile.write(data[position:end])
                self.wfile.flush()
                position = end
                if state.delay:
                    time.sleep(state.delay)
        except (BrokenPipeError, ConnectionResetError):
            return
        if limit < len(data):
            self.close_connection = True
            self.connection.shutdown(2)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: HubState


class FakeHub:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.state = HubState(files=files)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = self.state
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
