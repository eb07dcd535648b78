"""Talk to the helper: connect, start it when it is not running, restart it when it is another
version, send one request and collect the reply. Stdlib only (the hook imports this).

The start-up dance follows atuin's: take the start-up lock, probe again (another client may
have started it meanwhile), remove the socket only when connect is refused, spawn the helper
detached in its own session, and poll until it accepts or the deadline passes.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Callable, Mapping

from cmdai import __version__, paths, protocol, transport

TYPE_CHECKING = False  # see protocol.py
if TYPE_CHECKING:
    import subprocess
    from typing import Any

POLL_S = 0.02
ProgressFn = Callable[[str], None]


class ClientError(Exception):
    """Why a request got no result; `exit_code` is the hook's exit status for it."""

    exit_code = protocol.EXIT_ERROR

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class HelperUnavailable(ClientError):
    exit_code = protocol.EXIT_UNAVAILABLE


class HelperTimeout(ClientError):
    exit_code = protocol.EXIT_TIMEOUT


class BadReply(ClientError):
    exit_code = protocol.EXIT_BAD_REPLY


class HelperError(ClientError):
    """The helper answered with an `error` frame."""

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(message, hint)
        self.code = code


def request(
    frame: dict[str, Any], timeout: float, on_progress: ProgressFn | None = None
) -> dict[str, Any]:
    """Send `frame` and return the helper's `result` frame (starting the helper if needed)."""
    deadline = time.monotonic() + timeout
    try:
        return _exchange(connect_or_start(deadline, on_progress), frame, deadline, on_progress)
    except HelperError as exc:
        if exc.code not in (protocol.VERSION_MISMATCH, protocol.SETTINGS_CHANGED):
            raise
        if on_progress and exc.code == protocol.SETTINGS_CHANGED:
            on_progress("settings changed: restarting the helper")
    # The helper is another version, or runs other settings: it exits after saying so; start
    # ours and ask again.
    _wait_until_gone(deadline)
    return _exchange(connect_or_start(deadline, on_progress), frame, deadline, on_progress)


def connect_or_start(deadline: float, on_progress: ProgressFn | None = None) -> socket.socket:
    try:
        try:
            return transport.connect(_remaining(deadline))
        except (FileNotFoundError, ConnectionRefusedError):
            pass
        return start(deadline, on_progress)
    except transport.UnsafeRunDir as exc:
        raise HelperUnavailable(str(exc)) from None
    except OSError as exc:
        raise HelperUnavailable(f"cannot reach the helper: {exc.strerror or exc}") from None


def start(deadline: float, on_progress: ProgressFn | None = None) -> socket.socket:
    """Start the helper (unless another client just did) and connect to it."""
    try:
        directory = transport.run_dir()
    except transport.UnsafeRunDir:
        raise
    except OSError as exc:
        raise HelperUnavailable(f"cannot use the runtime dir: {exc}") from None
    with open(directory / "start.lock", "w") as lock:
        while not transport.lock(lock, blocking=False):  # another client is starting it
            _remaining(deadline)  # raises HelperTimeout when our time is up
            time.sleep(POLL_S)
        try:
            return transport.connect(_remaining(deadline))  # someone started it meanwhile
        except (FileNotFoundError, ConnectionRefusedError):
            pass
        if transport.is_stale():
            transport.socket_path().unlink(missing_ok=True)
        if on_progress:
            on_progress("starting the helper")
        try:
            process = spawn()
        except OSError as exc:
            raise HelperUnavailable(f"cannot start the helper: {exc}") from None
        return _wait_for_helper(process, deadline)


def spawn() -> subprocess.Popen[bytes]:
    """The helper, detached: own session (no SIGINT from the terminal), no terminal streams."""
    import subprocess  # only here: starting the helper is the slow path anyway

    log = paths.state_dir()
    log.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = log / "daemon-start.log"  # this start's output only; private, as every log is
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    os.fchmod(descriptor, 0o600)  # an older file may have been made 0644
    with open(descriptor, "wb") as startup_log:
        return subprocess.Popen(
            # -P: not the current directory first on sys.path, where the user's own json.py
            # or numbers.py would be imported in place of the standard library's
            [sys.executable, "-P", "-m", "cmdai", "daemon", "run"],
            env=_without_empty_path_entries(os.environ),
            stdin=subprocess.DEVNULL,
            stdout=startup_log,
            stderr=startup_log,
            start_new_session=True,
            close_fds=True,
        )


def _without_empty_path_entries(environ: Mapping[str, str]) -> dict[str, str]:
    """An empty PYTHONPATH entry (`export PYTHONPATH=$PYTHONPATH:~/lib` with it unset) is the
    current directory, which -P alone does not keep off sys.path."""
    env = dict(environ)
    if "PYTHONPATH" in env:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, env["PYTHONPATH"].split(os.pathsep)))
    return env


def _wait_for_helper(process: subprocess.Popen[bytes], deadline: float) -> socket.socket:
    while True:
        try:
            return transport.connect(_remaining(deadline))
        except (FileNotFoundError, ConnectionRefusedError):
            pass
        if process.poll() is not None:
            raise HelperUnavailable(
                f"the helper exited at start-up: {startup_failure()}", "see `cmdai helper logs`"
            )
        time.sleep(POLL_S)


def startup_failure() -> str:
    """The last line the helper wrote before it died at start-up."""
    try:
        lines = (paths.state_dir() / "daemon-start.log").read_text(errors="replace").splitlines()
    except OSError:
        return "no log"
    last = next((line for line in reversed(lines) if line.strip()), "no log")
    return last.removeprefix("cmdai: ")


def _exchange(
    conn: socket.socket,
    frame: dict[str, Any],
    deadline: float,
    on_progress: ProgressFn | None,
) -> dict[str, Any]:
    with conn, conn.makefile("rb") as replies:
        try:
            conn.settimeout(_remaining(deadline))
            conn.sendall(protocol.encode(frame))
            while True:
                conn.settimeout(_remaining(deadline))
                reply = protocol.read_frame(replies)
                if reply is None:
                    raise BadReply(
                        "the helper hung up before answering",
                        "it restarts on the next try; see `cmdai helper logs`",
                    )
                kind = reply.get("type")
                if kind == "result":
                    return reply
                if kind == "error":
                    raise HelperError(
                        str(reply.get("code")), str(reply.get("message")), str(reply.get("hint"))
                    )
                if kind != "progress":
                    raise BadReply(f"the helper sent a frame of unknown type {kind!r}")
                if on_progress:
                    on_progress(str(reply.get("message", "")))
        except protocol.ProtocolError as exc:
            raise BadReply(f"the helper sent a malformed reply: {exc.message}") from None
        except TimeoutError:
            raise _timeout() from None
        except (ConnectionResetError, BrokenPipeError):
            raise BadReply(
                "the helper hung up before answering",
                "it restarts on the next try; see `cmdai helper logs`",
            ) from None


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _timeout()
    return left


def _timeout() -> HelperTimeout:
    return HelperTimeout("no answer in time", "raise hook_timeout in config.toml")


def _wait_until_gone(deadline: float) -> None:
    while transport.accepting(_remaining(deadline)):
        time.sleep(POLL_S)


def hello(timeout: float) -> dict[str, Any] | None:
    """The running helper's hello reply, or None when no helper is running (never starts one)."""
    deadline = time.monotonic() + timeout
    try:
        conn = transport.connect(timeout)
    except transport.UnsafeRunDir as exc:
        raise HelperUnavailable(str(exc)) from None
    except OSError:
        return None
    return _exchange(conn, protocol.hello(__version__), deadline, None)


# CMDAI_* variables that are not settings of the helper: per key press, or where it lives.
_NOT_SETTINGS = ("CMDAI_BUFFER", "CMDAI_CURSOR", "CMDAI_STATUS", "CMDAI_HOME", "CMDAI_KEY")


def settings_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The variables that make up this client's settings, for the helper to compare with its
    own (it restarts, or adopts them, when they differ: daemon/settings_watch.py)."""
    environ = dict(os.environ) if environ is None else environ
    settings = {
        name: value
        for name, value in environ.items()
        if (name.startswith("CMDAI_") and name not in _NOT_SETTINGS)
        or name in protocol.SETTING_VARIABLES
    }
    return paths.anchored_env(settings)  # the helper works in /, not where this client is


def client_env() -> dict[str, str]:
    """What a generate request says about where the user is (the helper has its own env)."""
    return {"cwd": _cwd(), "path": os.environ.get("PATH", ""), "session": session_id()}


def _cwd() -> str:
    try:
        return os.getcwd()
    except OSError:
        return os.environ.get("PWD", "/")


def session_id() -> str:
    """One terminal: the session id (a login shell in a terminal leads its own session)."""
    try:
        return f"sid:{os.getsid(0)}"
    except (AttributeError, OSError):  # Windows
        return f"ppid:{os.getppid()}"
