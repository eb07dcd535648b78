"""What the remote backends (openai.py, ollama.py) share: one HTTP session per backend, retries,
cancellation, deadlines, and failures said in one sentence that names the URL and the fix.

- Connections are reused across key presses (one `requests.Session`, kept by the helper).
- Connect timeout 2 s; read timeout `read_timeout` (between two chunks of a streamed reply).
- At most 3 attempts, waiting 1 s then 2 s, on a connection dropped before the reply, 429 (its
  `Retry-After` honoured) and 5xx; none on other 4xx, and none once a reply has begun. A
  refused connection, an unknown host or a connect timeout is not retried: nothing is
  listening there, and a fallback chain should move on at once rather than wait 3 s. The
  waits are written here rather than with urllib3's Retry because they must stop at once on
  Ctrl-C and never outlast the caller's deadline, which Retry's own sleep cannot.
- The request runs on a worker thread; the caller polls `cancelled` and the deadline, and on
  either the worker is told to stop and its connection is shut (found through the connection
  class the session uses, which notes each worker's live connection): a read blocked on a
  server that has not even sent its headers returns at once, and the server sees the client
  gone and stops generating.
- Messages never contain the API key; request text is redacted before it leaves (redact.py).
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from cmdai.errors import BackendError, BackendUnavailable, Cancelled, GenerationError

CONNECT_TIMEOUT_S = 2.0
WAITS_S = (1.0, 2.0)  # before the 2nd and 3rd attempts (exponential: 1, 2, 4, … capped at 3)
POLL_S = 0.02
MAX_ERROR_CHARS = 200
PROBE_S = 10.0  # `cmdai backends` waits this long for each server

Stop = threading.Event
IsCancelled = Callable[[], bool]


class Retryable(Exception):
    """One attempt failed in a way worth another: carries the error to raise if none is left,
    and how long the server asked us to wait (Retry-After), if it did."""

    def __init__(self, error: BackendUnavailable, wait_s: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.wait_s = wait_s


class NotFound(BackendUnavailable):
    """HTTP 404: a wrong URL, or a model the server does not have."""


class HttpBackend:
    """The HTTP side of one remote backend: `name` and `url` are for messages."""

    def __init__(self, name: str, url: str, read_timeout: float, api_key: str = "") -> None:
        self.name = name
        self.url = url.rstrip("/")
        self.read_timeout = read_timeout
        self.http = _tracked_session()
        self.http.trust_env = False  # no proxy or netrc surprises: the URL is what is asked
        self.http.headers["User-Agent"] = "cmdai"
        if api_key:
            self.http.headers["Authorization"] = f"Bearer {api_key}"
        self.key_hint = ""  # what to say on 401/403 (set by the backend)

    # --- the caller's side --------------------------------------------------------------------

    def call(
        self,
        attempt: Callable[[Stop], Any],
        cancelled: IsCancelled | None,
        deadline: float | None,
        retry: bool = True,
    ) -> Any:
        """`attempt(stop)` with retries (unless `retry` is false: a probe asks once), on a
        worker thread; returns its result. Raises Cancelled at once when `cancelled()` turns
        true, BackendUnavailable at the deadline."""
        stop = threading.Event()
        box: dict[str, Any] = {}
        done = threading.Event()

        def work() -> None:
            try:
                box["result"] = self._with_retries(attempt, stop, deadline, retry)
            except BaseException as exc:  # handed to the caller's thread
                box["error"] = exc
            finally:
                done.set()

        worker = threading.Thread(target=work, name=f"{self.name}-request", daemon=True)
        worker.start()
        while not done.wait(POLL_S):
            if cancelled is not None and cancelled():
                _abort(worker, stop)
                raise Cancelled("the request was cancelled")
            if deadline is not None and time.monotonic() > deadline:
                _abort(worker, stop)
                raise BackendUnavailable(f"{self.where} did not answer in time")
        if "error" in box:
            raise box["error"]
        return box["result"]

    @property
    def where(self) -> str:
        return f"{self.name} at {self.url}"

    def _with_retries(
        self, attempt: Callable[[Stop], Any], stop: Stop, deadline: float | None, retry: bool
    ) -> Any:
        for number in range(len(WAITS_S) + 1 if retry else 1):
            try:
                return attempt(stop)
            except Retryable as failure:
                if stop.is_set():  # the failure is our own abort
                    raise Cancelled("the request was cancelled") from None
                if number == len(WAITS_S) or not retry:
                    raise failure.error from None
                wait = failure.wait_s if failure.wait_s is not None else WAITS_S[number]
                if deadline is not None and time.monotonic() + wait > deadline:
                    raise failure.error from None  # the caller would be gone before the retry
                if stop.wait(wait):
                    raise Cancelled("the request was cancelled") from None
        raise AssertionError("unreachable")

    # --- one attempt --------------------------------------------------------------------------

    @contextlib.contextmanager
    def stream(self, method: str, path: str, body: Any | None, stop: Stop) -> Iterator[Any]:
        """One request whose reply is read as it arrives; failures become the right error."""
        import requests

        url = f"{self.url}{path}"
        try:
            response = self.http.request(
                method, url, json=body, stream=True, timeout=(CONNECT_TIMEOUT_S, self.read_timeout)
            )
        except requests.exceptions.ConnectTimeout:
            raise BackendUnavailable(
                f"{self.where} did not accept a connection within {CONNECT_TIMEOUT_S:g} s",
                "is the server up, and the URL right?",
            ) from None
        except requests.exceptions.ReadTimeout:
            raise BackendUnavailable(
                f"{self.where} did not answer within {self.read_timeout:g} s",
                f"raise read_timeout in [backends.{self.name}]",
            ) from None
        except requests.exceptions.ConnectionError as exc:
            problem, worth_retrying = _connection_problem(exc)
            error = BackendUnavailable(f"{self.where} {problem}", "is the server running?")
            raise (Retryable(error) if worth_retrying else error) from None
        try:
            self._check_status(response)
            yield response
        except requests.exceptions.ReadTimeout:
            raise BackendUnavailable(
                f"{self.where} stopped sending for {self.read_timeout:g} s",
                f"raise read_timeout in [backends.{self.name}]",
            ) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError):
            if stop.is_set():
                raise Cancelled("the request was cancelled") from None
            raise BackendUnavailable(f"{self.where} closed the connection mid-reply") from None
        finally:
            _LIVE.pop(threading.get_ident(), None)
            response.close()

    def _check_status(self, response: Any) -> None:
        status = response.status_code
        if status < 400:
            return
        detail = _error_detail(response)
        if status in (401, 403):
            raise BackendUnavailable(
                f"{self.where} rejected the API key (HTTP {status})",
                self.key_hint or "check the key the server expects",
            )
        if status == 429:
            raise Retryable(
                BackendUnavailable(f"{self.where} is rate limiting requests (HTTP 429)"),
                wait_s=retry_after(response.headers.get("Retry-After")),
            )
        if status >= 500:
            raise Retryable(BackendUnavailable(f"{self.where} failed: HTTP {status}{detail}"))
        if status == 404:
            raise NotFound(f"{self.where}: not found (HTTP 404){detail}",
                           "check the URL and the model name")  # fmt: skip
        raise BackendError(f"{self.where} refused the request: HTTP {status}{detail}")

    def close(self) -> None:
        self.http.close()


def read_json(response: Any, where: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise BackendError(f"{where} sent a reply that is not JSON") from None


def json_lines(response: Any, where: str, stop: Stop, sse: bool) -> Iterator[dict[str, Any]]:
    """The objects of a streamed reply: server-sent events (`data: {…}` … `data: [DONE]`) or
    newline-delimited JSON (Ollama). Stops when `stop` is set."""
    for raw in response.iter_lines():
        if stop.is_set():
            raise Cancelled("the request was cancelled")
        line = raw.decode("utf-8", errors="replace").strip() if raw else ""
        if sse:
            if not line.startswith("data:"):
                continue  # comments, event names, keep-alives
            line = line[5:].strip()
            if line == "[DONE]":
                return
        if not line:
            continue
        try:
            item = json.loads(line)
        except ValueError:
            raise BackendError(f"{where} sent a malformed reply: {line[:80]!r}") from None
        if not isinstance(item, dict):
            raise BackendError(f"{where} sent a malformed reply: {line[:80]!r}")
        yield item


def has_command_line(text: str) -> bool:
    """Has the reply finished a line that holds a command (not a fence, not prose)?"""
    from cmdai.prompting import clean_reply

    for line in text.split("\n")[:-1]:
        if line.strip().startswith("```"):
            continue
        try:
            clean_reply(line)
        except GenerationError:
            continue
        return True
    return False


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds, or an HTTP date); None if absent."""
    if not value:
        return None
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    with contextlib.suppress(TypeError, ValueError):
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    return None


def _connection_problem(exc: Exception) -> tuple[str, bool]:
    """What went wrong, in words, and whether another attempt may go better (a dropped
    connection may; a refused one or an unknown host will not)."""
    text = str(exc)
    if "Connection refused" in text or "Errno 111" in text:
        return "refused the connection", False
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "cannot be found (unknown host name)", False
    if "RemoteDisconnected" in text or "Connection aborted" in text:
        return "closed the connection before answering", True
    return "cannot be reached", True


def _error_detail(response: Any) -> str:
    """The server's own error message, briefly, for the one-line error (never our request)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    said = server_said(body.get("error") if isinstance(body, dict) else None)
    return f": {said}" if said else ""


def server_said(error: Any) -> str:
    """A server's error (`"text"` or `{"message": "text"}`) for a one-line message: spaces
    collapsed, control and invisible characters made visible, shortened."""
    from cmdai.display import visible

    message = error.get("message") if isinstance(error, dict) else error
    if not isinstance(message, str):
        return ""
    return visible(" ".join(message.split()), MAX_ERROR_CHARS)


def probe_once(http: HttpBackend, check: Callable[[Stop], Any]) -> tuple[Any, int]:
    """`check` once (no retry) within PROBE_S, for `cmdai backends`: its result and how long
    it took in milliseconds. Raises what the request raises."""
    started = time.perf_counter()
    result = http.call(check, None, time.monotonic() + PROBE_S, retry=False)
    return result, round((time.perf_counter() - started) * 1000)


# The connection each worker thread is using right now, so that the caller can shut it.
_LIVE: dict[int, Any] = {}


def _abort(worker: threading.Thread, stop: Stop) -> None:
    """Tell the worker to stop, and shut its connection so that a blocked read returns."""
    stop.set()
    connection = _LIVE.get(worker.ident or 0)
    with contextlib.suppress(Exception):
        connection.sock.shutdown(socket.SHUT_RDWR)


@functools.cache
def _tracked_classes() -> tuple[type, type]:
    """urllib3 connection pools whose connections note which thread is using them."""
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    def noted(base: type) -> type:
        class Noted(base):  # type: ignore[misc, valid-type]
            def request(self, *args: Any, **kwargs: Any) -> Any:
                _LIVE[threading.get_ident()] = self
                return super().request(*args, **kwargs)

        return Noted

    class Pool(HTTPConnectionPool):
        ConnectionCls = noted(HTTPConnection)

    class TlsPool(HTTPSConnectionPool):
        ConnectionCls = noted(HTTPSConnection)

    return Pool, TlsPool


def _tracked_session() -> Any:
    import requests  # only when a remote backend is used
    from requests.adapters import HTTPAdapter

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            pool, tls_pool = _tracked_classes()
            self.poolmanager.pool_classes_by_scheme = {"http": pool, "https": tls_pool}

    session = requests.Session()
    for prefix in ("http://", "https://"):
        session.mount(prefix, Adapter())
    return session
