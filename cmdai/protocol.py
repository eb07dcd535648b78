"""The contract between the shell hook (or the fallback command) and the helper. Stdlib only.

Spoken over a per-user Unix socket, one request per connection. The client sends one request
line; the helper answers with any number of `progress` lines and then exactly one `result` or
`error` line, and closes. Every line is one JSON object in UTF-8, at most MAX_FRAME_BYTES long
including the newline. docs/protocol.md is the prose version of this file; a test checks
that its examples parse here.
"""

from __future__ import annotations

import json
import posixpath

from cmdai.errors import (
    BackendError,
    Cancelled,
    CmdaiError,
    ConfigError,
    GenerationError,
    ModelError,
    UsageError,
)

TYPE_CHECKING = False  # typing costs milliseconds on the hot path; only checkers import it
if TYPE_CHECKING:
    from typing import Any, BinaryIO

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 64 * 1024
MAX_BUFFER_CHARS = 4000  # the same limit as a request to the fallback command

OPS = ("hello", "generate", "explain", "stop")
# Variables outside CMDAI_* that feed a setting (backend options read them): sent with a request.
SETTING_VARIABLES = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OLLAMA_HOST")
SHELLS = ("bash", "zsh", "fish", "powershell")

# Error codes: what went wrong, for the client to act on; the message says it to the user.
BAD_FRAME = "bad_frame"  # not one line of UTF-8 JSON object, or over MAX_FRAME_BYTES
UNSUPPORTED_VERSION = "unsupported_version"
UNKNOWN_OP = "unknown_op"
BAD_REQUEST = "bad_request"  # a field is missing, has the wrong type or an invalid value
VERSION_MISMATCH = "version_mismatch"  # the client is another cmdai version: restart me
MODEL_MISMATCH = "model_mismatch"  # the client asked for another model than the helper's
SETTINGS_CHANGED = "settings_changed"  # the client's backend/model settings differ: restart me
CONFIG = "config"  # the client's settings are invalid (config.toml or CMDAI_* variables)
MODEL = "model"  # the model is missing or cannot be loaded
BACKEND = "backend"  # the backend failed while generating
GENERATION = "generation"  # the model answered, but not with a usable command
CANCELLED = "cancelled"
BUSY = "busy"  # the helper serves as many connections as it will at once
INTERNAL = "internal"

# The errors a helper reports, by code, both ways (errors.py imports nothing: cheap here).
_ERROR_CLASSES: list[tuple[type[CmdaiError], str]] = [
    (ModelError, MODEL),
    (BackendError, BACKEND),
    (GenerationError, GENERATION),
    (UsageError, BAD_REQUEST),
    (ConfigError, CONFIG),
    (Cancelled, CANCELLED),
]


def code_for(exc: CmdaiError) -> str:
    """The error code the helper sends for `exc`."""
    return next((code for kind, code in _ERROR_CLASSES if isinstance(exc, kind)), INTERNAL)


def error_for(code: str, message: str, hint: str = "") -> CmdaiError:
    """The CmdaiError a client raises for an error frame (BackendError when unknown)."""
    kind = next((k for k, c in _ERROR_CLASSES if c == code), BackendError)
    return kind(message, hint or None)


# Exit statuses of `cmdai hook`. Only 0 and EXIT_CONFIRM change the shell's buffer.
EXIT_OK = 0  # stdout is the new buffer, verbatim
EXIT_BLOCKED = 8  # nothing runnable to offer (blocked, or the model refused): keep the line
EXIT_CONFIRM = 9  # stdout is the new buffer, and it is high risk: Enter must be pressed twice
EXIT_ERROR = 1  # the helper answered with an error; stderr says why
EXIT_USAGE = 2  # the hook was called wrongly (missing CMDAI_BUFFER, bad --shell)
EXIT_UNAVAILABLE = 3  # the helper could not be started or reached
EXIT_TIMEOUT = 4  # no answer within hook_timeout
EXIT_BAD_REPLY = 5  # the helper broke the protocol or hung up mid-request
EXIT_CANCELLED = 130  # Ctrl-C
STATUS_INTERRUPTED = 130  # a shell's $? after Ctrl-C: a command the user stopped, not a failure


class ProtocolError(Exception):
    """A frame or request that breaks the contract; `code` is one of the error codes above."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def encode(message: dict[str, Any]) -> bytes:
    frame = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
    if len(frame) > MAX_FRAME_BYTES:
        raise ProtocolError(BAD_FRAME, f"frame of {len(frame):,} bytes is over the limit")
    return frame


def read_frame(stream: BinaryIO) -> dict[str, Any] | None:
    """The next frame from `stream`, or None at a clean end of stream."""
    line = stream.readline(MAX_FRAME_BYTES + 1)
    if not line:
        return None
    if len(line) > MAX_FRAME_BYTES:
        raise ProtocolError(BAD_FRAME, f"frame over the limit of {MAX_FRAME_BYTES:,} bytes")
    if not line.endswith(b"\n"):
        raise ProtocolError(BAD_FRAME, "frame not terminated by a newline")
    return decode(line)


def decode(line: bytes) -> dict[str, Any]:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(BAD_FRAME, f"frame is not valid UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ProtocolError(BAD_FRAME, f"frame is not valid JSON ({exc})") from None
    except RecursionError:
        raise ProtocolError(BAD_FRAME, "frame nests too deeply") from None
    if not isinstance(value, dict):
        raise ProtocolError(BAD_FRAME, "frame is not a JSON object")
    if "\\ud" in text.lower():  # every surrogate is \\ud800-\\udfff
        _check_surrogates(value)
    return value


def _check_surrogates(value: Any) -> None:
    """JSON can spell a lone UTF-16 surrogate (\\ud800), which is no character: a string
    holding one could not even be written back, so the frame is refused here."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ProtocolError(BAD_FRAME, "frame holds a lone surrogate (not a character)") from None


# --- requests ---------------------------------------------------------------------------------


class Request:
    """A parsed, checked request (a plain class: dataclasses cost the hook 8 ms to import)."""

    __slots__ = (
        "ask_model", "buffer", "client", "cursor", "cwd", "last_command", "last_status",
        "model", "op", "path", "session", "settings", "shell", "timeout",
    )  # fmt: skip

    def __init__(
        self,
        op: str,
        client: str,  # the client's cmdai version; the helper restarts when it differs
        buffer: str = "",
        cursor: int = 0,
        shell: str = "bash",
        cwd: str = "/",
        path: str = "",  # the client's PATH, for the installed-program check
        session: str = "",  # identifies one terminal, for cycling through alternatives
        model: str = "",  # the model the client expects; empty: whatever the helper runs
        timeout: float = 0.0,  # seconds the client waits; 0: not said
        settings: dict[str, str] | None = None,  # the client's CMDAI_* variables, if sent
        last_command: str = "",  # the shell's last command, when the line is empty (a fix)
        last_status: int = 0,  # and its exit status
        ask_model: bool = False,  # explain: the model describes what the local docs do not
    ) -> None:
        self.op, self.client, self.buffer, self.cursor = op, client, buffer, cursor
        self.shell, self.cwd, self.path, self.session, self.model = shell, cwd, path, session, model
        self.timeout, self.settings = timeout, settings
        self.last_command, self.last_status = last_command, last_status
        self.ask_model = ask_model


def hello(client: str) -> dict[str, Any]:
    return {"v": PROTOCOL_VERSION, "op": "hello", "client": client}


def stop(client: str) -> dict[str, Any]:
    return {"v": PROTOCOL_VERSION, "op": "stop", "client": client}


def generate(
    client: str,
    buffer: str,
    cursor: int,
    shell: str,
    cwd: str,
    path: str,
    session: str,
    model: str = "",
    timeout: float = 0.0,
    settings: dict[str, str] | None = None,
    last_command: str = "",
    last_status: int = 0,
) -> dict[str, Any]:
    frame = {
        "v": PROTOCOL_VERSION, "op": "generate", "client": client, "buffer": buffer,
        "cursor": cursor, "shell": shell, "cwd": cwd, "path": path, "session": session,
    }  # fmt: skip
    if last_command:
        frame["last_command"], frame["last_status"] = last_command, last_status
    if model:
        frame["model"] = model
    if timeout:
        frame["timeout"] = timeout
    if settings is not None:
        frame["settings"] = settings
    return frame


def explain(
    client: str, buffer: str, shell: str, cwd: str, path: str,
    settings: dict[str, str] | None = None, ask_model: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """What the command on the line does: the line and where the user is, as `generate` says
    them; answered from the man pages, without the model."""
    frame = {
        "v": PROTOCOL_VERSION, "op": "explain", "client": client, "buffer": buffer,
        "shell": shell, "cwd": cwd, "path": path,
    }  # fmt: skip
    if settings is not None:
        frame["settings"] = settings
    if ask_model:
        frame["ask_model"] = True
    return frame


def parse_request(frame: dict[str, Any]) -> Request:
    version = frame.get("v")
    if type(version) is not int or version != PROTOCOL_VERSION:  # true == 1 in Python
        raise ProtocolError(
            UNSUPPORTED_VERSION,
            f"protocol version {version!r} is not supported; this helper speaks {PROTOCOL_VERSION}",
        )
    op = frame.get("op")
    if op not in OPS:
        raise ProtocolError(UNKNOWN_OP, f"unknown op {op!r}; known: {', '.join(OPS)}")
    fields = {"client": _field(frame, "client", str)}
    if op in ("generate", "explain"):
        fields |= {
            "buffer": _field(frame, "buffer", str),
            "cursor": _field(frame, "cursor", int, 0 if op == "explain" else None),
            "shell": _field(frame, "shell", str),
            "cwd": _field(frame, "cwd", str),
            "path": _field(frame, "path", str, ""),
            "session": _field(frame, "session", str, ""),
            "model": _field(frame, "model", str, ""),
            "timeout": _timeout(frame),
            "settings": _settings(frame),
            "last_command": _field(frame, "last_command", str, ""),
            "last_status": _field(frame, "last_status", int, 0),
        }
        _check_generate(fields)
    if op == "explain":
        fields["ask_model"] = frame.get("ask_model", False)
        if type(fields["ask_model"]) is not bool:
            raise ProtocolError(BAD_REQUEST, "field 'ask_model' must be true or false")
    return Request(op=op, **fields)


def _field(frame: dict[str, Any], name: str, kind: type, default: Any = None) -> Any:
    value = frame.get(name, default)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ProtocolError(BAD_REQUEST, f"field {name!r} must be a {kind.__name__}")
    return value


def _timeout(frame: dict[str, Any]) -> float:
    value = frame.get("timeout", 0)
    if type(value) not in (int, float) or not 0 <= value <= 86400:
        raise ProtocolError(BAD_REQUEST, "field 'timeout' must be seconds from 0 to 86400")
    return float(value)


def _settings(frame: dict[str, Any]) -> dict[str, str] | None:
    value = frame.get("settings")
    if value is None:
        return None
    names_ok = (
        isinstance(value, dict)
        and len(value) <= 256
        and all(
            isinstance(k, str) and (k.startswith("CMDAI_") or k in SETTING_VARIABLES) for k in value
        )
    )
    if not names_ok or not all(isinstance(v, str) and "\x00" not in v for v in value.values()):
        raise ProtocolError(
            BAD_REQUEST, "field 'settings' must map setting variable names to strings"
        )
    return value


def _check_generate(fields: dict[str, Any]) -> None:
    if fields["shell"] not in SHELLS:
        raise ProtocolError(BAD_REQUEST, f"shell {fields['shell']!r} is not one of {SHELLS}")
    if len(fields["buffer"]) > MAX_BUFFER_CHARS:
        raise ProtocolError(
            BAD_REQUEST,
            f"the line is {len(fields['buffer']):,} characters long; "
            f"the limit is {MAX_BUFFER_CHARS:,}",
        )
    if "\x00" in fields["buffer"] or "\x00" in fields["last_command"]:
        raise ProtocolError(BAD_REQUEST, "the line contains a NUL byte")
    if len(fields["last_command"]) > MAX_BUFFER_CHARS:
        raise ProtocolError(BAD_REQUEST, "field 'last_command' is over the line's length limit")
    cwd = fields["cwd"]
    if not (cwd.startswith("/") or cwd[1:3] in (":\\", ":/")) or "\x00" in cwd or len(cwd) > 4096:
        raise ProtocolError(BAD_REQUEST, "field 'cwd' must be an absolute path without NUL")
    if "\x00" in fields["path"] or len(fields["session"]) > 256:
        raise ProtocolError(BAD_REQUEST, "field 'path' has a NUL byte, or 'session' is too long")
    fields["path"] = _searched_from(cwd, fields["path"])


def _searched_from(cwd: str, path: str) -> str:
    """PATH with its relative entries (`.`, `bin`, and the empty one a stray colon leaves, which
    means `.`) joined to `cwd`, where the command runs: the helper works in /, not there."""
    if not path or not cwd.startswith("/"):
        return path  # not sent, or a Windows path, whose PATH has other separators
    folders = path.split(":")
    if all(folder.startswith("/") for folder in folders):
        return path
    return ":".join(posixpath.normpath(posixpath.join(cwd, folder)) for folder in folders)


# --- replies ----------------------------------------------------------------------------------


def progress(message: str) -> dict[str, Any]:
    return {"type": "progress", "message": message}


def result(**fields: Any) -> dict[str, Any]:
    return {"type": "result", **fields}


def error(code: str, message: str, hint: str = "") -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message, "hint": hint}
