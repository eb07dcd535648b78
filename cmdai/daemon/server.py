"""The helper's socket server: accept, read one request, dispatch, reply, close.

Every connection gets its own thread, so a slow or broken client never blocks another; the
engine serialises the model. Whatever a client sends, it gets an `error` frame rather than a
crash: the frame is read with a size limit and a deadline, and any unexpected exception in a
handler is logged and reported to that client (as dmypy does).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import select
import socket
import threading
import time
from typing import Any

from cmdai import __version__, protocol, transport
from cmdai.daemon.engine import Engine
from cmdai.daemon.settings_watch import SettingsWatch
from cmdai.errors import CmdaiError
from cmdai.explain import explain

READ_TIMEOUT_S = 5.0  # a client has this long to send its whole request line
MAX_CONNECTIONS = 64  # served at once; more are told `busy` (each holds a thread)
ACCEPT_POLL_S = 0.5
DRAIN_TIMEOUT_S = 1.0
DRAIN_MAX_BYTES = 16 << 20
log = logging.getLogger("cmdai.daemon")


class Server:
    def __init__(self, listener: socket.socket, engine: Engine, idle_timeout: float) -> None:
        self.listener = listener
        self.engine = engine
        self.watch = SettingsWatch(engine.config)
        self.idle_timeout = idle_timeout
        self.started = time.monotonic()
        self.served = 0  # generate requests received
        self._active = 0
        self._last_activity = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.on_stop: list[Any] = []  # callbacks run once, before the stop is acknowledged

    # --- lifecycle --------------------------------------------------------------------------

    def serve(self) -> None:
        self.listener.settimeout(ACCEPT_POLL_S)
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                self._maybe_idle_exit()
                continue
            except OSError:
                if self._stop.is_set():
                    break
                raise
            with self._lock:
                full = self._active >= MAX_CONNECTIONS
                if not full:
                    self._active += 1
                self._last_activity = time.monotonic()
            if full:
                _turn_away(conn)
                continue
            threading.Thread(target=self._serve_one, args=(conn,), daemon=True).start()

    def stop(self, reason: str) -> None:
        """Stop accepting: remove the socket first, so a new client starts a fresh helper."""
        with self._lock:
            if self._stop.is_set():
                return
            self._stop.set()
        log.info("stopping: %s", reason)
        for callback in self.on_stop:
            callback()

    def wait_for_clients(self, timeout: float) -> None:
        """After stop(): let requests in flight finish their replies before the process ends."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._active == 0:
                    return
            time.sleep(0.05)

    def _maybe_idle_exit(self) -> None:
        with self._lock:
            idle = self._active == 0 and time.monotonic() - self._last_activity > self.idle_timeout
        if idle:
            self.stop(f"idle for {self.idle_timeout:g} s")

    # --- one connection ---------------------------------------------------------------------

    def _serve_one(self, conn: socket.socket) -> None:
        started = time.perf_counter()
        outcome = "?"
        try:
            with conn:
                outcome = self._converse(conn)
        except (BrokenPipeError, ConnectionResetError):
            outcome = "client left"
        except Exception:  # never let one connection take the helper down
            log.exception("connection failed")
            outcome = "internal error"
        finally:
            with self._lock:
                self._active -= 1
                self._last_activity = time.monotonic()
            level = logging.DEBUG if outcome in ("probe", "hello") else logging.INFO
            log.log(level, "%s in %.0f ms", outcome, (time.perf_counter() - started) * 1000)

    def _converse(self, conn: socket.socket) -> str:
        def send(frame: dict[str, Any]) -> None:
            conn.sendall(protocol.encode(frame))

        uid = transport.peer_uid(conn)
        if uid is not None and uid != os.getuid():
            send(protocol.error(protocol.BAD_REQUEST, "this helper serves its own user only"))
            return f"refused uid {uid}"
        conn.settimeout(READ_TIMEOUT_S)
        # READ_TIMEOUT_S bounds the whole request line, not each read: a client that sends a
        # byte now and then is cut off at the deadline all the same.
        expired = threading.Event()
        deadline = threading.Timer(READ_TIMEOUT_S, _stop_reading, args=(conn, expired))
        deadline.start()
        with conn.makefile("rb") as reader:
            try:
                if transport.WINDOWS and not _token_ok(reader, self.listener):
                    return "refused: bad token"
                frame = protocol.read_frame(reader)
                if frame is None:
                    return "probe"  # connected and left: a liveness check
                request = protocol.parse_request(frame)
            except (TimeoutError, protocol.ProtocolError) as exc:
                if isinstance(exc, TimeoutError) or expired.is_set():
                    message = f"no complete request line within {READ_TIMEOUT_S:g} s"
                    send(protocol.error(protocol.BAD_FRAME, message))
                    return "rejected: timeout"
                send(protocol.error(exc.code, exc.message))
                _drain(conn, reader)
                return f"rejected: {exc.code}"
            finally:
                deadline.cancel()
        conn.settimeout(None)
        return self._dispatch(request, conn, send)

    def _dispatch(self, request: protocol.Request, conn: socket.socket, send: Any) -> str:
        if request.client != __version__:
            send(protocol.error(
                protocol.VERSION_MISMATCH,
                f"this helper is cmdai {__version__}, the client {request.client}; restarting",
            ))  # fmt: skip
            self.stop(f"client version {request.client}")
            return "version mismatch"
        if request.op == "hello":
            send(protocol.result(**self.status()))
            return "hello"
        if request.op == "stop":
            self.stop("asked to stop")
            send(protocol.result(stopping=True, pid=os.getpid()))
            return "stop"
        if request.settings is not None and (refused := self._settings_refused(request, send)):
            return refused
        if request.op == "explain":
            return self._explain(request, conn, send)
        if request.model and request.model != self.engine.config.model:
            send(protocol.error(
                protocol.MODEL_MISMATCH,
                f"this helper runs {self.engine.config.model}, not {request.model}",
                "`cmdai helper restart` with the new setting, or use --no-daemon",
            ))  # fmt: skip
            return "model mismatch"
        return self._generate(request, conn, send)

    def _explain(self, request: protocol.Request, conn: socket.socket, send: Any) -> str:
        """Answered from the man pages (cached in this process), never waiting for the model,
        unless the client asks the model about the programs without docs (`ask_model`)."""
        found = explain(
            request.buffer, request.shell, self.engine.config.safety_policy(), path=request.path
        )
        said, by = "", ""
        if request.ask_model and found.undocumented:
            try:
                said, by = self.engine.describe(
                    request.buffer, found.undocumented,
                    lambda message: send(protocol.progress(message)), lambda: client_gone(conn),
                )  # fmt: skip
            except CmdaiError as exc:
                code = protocol.code_for(exc)
                if code != protocol.CANCELLED:
                    send(protocol.error(code, exc.message, exc.hint or ""))
                return f"error: {code}"
        send(protocol.result(
            lines=list(found.lines), risk=found.risk, reason=found.reason,
            undocumented=list(found.undocumented), text=found.render(),
            model_says=said, model=by,
        ))  # fmt: skip
        return f"explained ({found.risk})" + (f", with {by}'s words" if said else "")

    def _settings_refused(self, request: protocol.Request, send: Any) -> str:
        """Serve with the client's current settings (see settings_watch.py); "" when it can."""
        assert request.settings is not None
        try:
            verdict = self.watch.check(request.settings)
        except CmdaiError as exc:
            send(protocol.error(protocol.code_for(exc), exc.message, exc.hint or ""))
            return f"error: {protocol.code_for(exc)}"
        if verdict.restart:
            send(protocol.error(
                protocol.SETTINGS_CHANGED,
                "the backend or model settings changed; restarting the helper",
            ))  # fmt: skip
            self.stop("the client's backend or model settings differ")
            return "settings changed"
        self.engine.config = verdict.config  # same identity: new safety mode etc. apply now
        return ""

    def _generate(self, request: protocol.Request, conn: socket.socket, send: Any) -> str:
        def progress(message: str) -> None:
            send(protocol.progress(message))

        with self._lock:
            self.served += 1  # generate requests, the ones that use the model
        if self.engine.config.log_requests:  # off by default: requests can be private
            log.debug("request %r in %s (%s)", request.buffer, request.cwd, request.shell)

        try:
            reply = self.engine.handle(request, progress, lambda: client_gone(conn))
        except CmdaiError as exc:
            code = protocol.code_for(exc)
            if code == protocol.CANCELLED:
                return "cancelled (client left)"
            send(protocol.error(code, exc.message, exc.hint or ""))
            return f"error: {code}"
        except Exception as exc:
            log.exception("generate failed")
            send(protocol.error(
                protocol.INTERNAL, f"the helper failed: {exc}", "see `cmdai helper logs`"
            ))  # fmt: skip
            return "internal error"
        send(reply)
        return (
            f"generated: {reply['action']} ({reply['risk']}, {reply['latency_ms']} ms) "
            f"by {reply['backend']} ({reply['model']})"
        )

    def status(self) -> dict[str, Any]:
        slots = self.engine.chain.status()
        return {
            "protocol": protocol.PROTOCOL_VERSION, "version": __version__, "pid": os.getpid(),
            "backend": self.engine.config.backend[0], "model": slots[0]["model"],
            "auto_reason": self.engine.config.auto_reason, "backends": slots,
            "answered": list(self.engine.answered or ()),
            "state": self.engine.state, "busy": self.engine.busy,
            "preparing": self.engine.preparing,
            "uptime_s": round(time.monotonic() - self.started, 1),
            "served": self.served, "idle_timeout_s": self.idle_timeout,
            "load_error": str(self.engine.load_error or ""),
        }  # fmt: skip


def _stop_reading(conn: socket.socket, expired: threading.Event) -> None:
    """The request line's deadline has passed: whatever the client still sends is not read."""
    expired.set()  # before the read side closes, so the reader knows why it ended
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RD)


def _turn_away(conn: socket.socket) -> None:
    """Too many connections at once: say so without reading, and without a thread."""
    with conn, contextlib.suppress(OSError):
        conn.setblocking(False)
        conn.send(protocol.encode(protocol.error(
            protocol.BUSY, f"the helper is serving {MAX_CONNECTIONS} connections already",
            "try again in a moment",
        )))  # fmt: skip


def _drain(conn: socket.socket, reader: Any) -> None:
    """Read and drop what the client is still sending (the rest of an oversized frame), so
    that it can read our error instead of meeting a reset connection."""
    conn.settimeout(DRAIN_TIMEOUT_S)
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_WR)
        for _ in range(DRAIN_MAX_BYTES // 65536):
            if not reader.read1(65536):
                break


def client_gone(conn: socket.socket) -> bool:
    """True once the client has closed its end (it was cancelled: Ctrl-C in the shell)."""
    try:
        readable, _, _ = select.select([conn], [], [], 0)
        return bool(readable) and conn.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


def _token_ok(reader: Any, listener: socket.socket) -> bool:
    """Windows loopback transport: the first line must be the secret token."""
    line = reader.readline(256).strip().decode(errors="replace")
    return secrets.compare_digest(line, getattr(listener, "token", ""))
