"""`cmdai hook --shell NAME`: the hot path behind Ctrl-G. Standard library only.

Reads: CMDAI_BUFFER (the line as typed), CMDAI_CURSOR (the cursor offset, in characters),
CMDAI_HOOK_TIMEOUT (seconds; else `hook_timeout` from config.toml; default 60).
Exit 0: stdout is the new line, verbatim, and stderr may hold one message for the user.
Any other exit (see protocol.EXIT_*): the shell keeps the line and shows stderr's one line.
While waiting, a `⌛` line on stderr says what is happening, when stderr is a terminal.
"""

from __future__ import annotations

import os
import sys

from cmdai import __version__, client, paths, protocol

TYPE_CHECKING = False  # see protocol.py
if TYPE_CHECKING:
    from typing import Any, TextIO

DEFAULT_TIMEOUT_S = 60.0
USAGE = "usage: cmdai hook --shell {bash,zsh,fish,powershell}  (called by the Ctrl-G widget)"


def main(argv: list[str]) -> int:
    status = Status(sys.stderr)
    try:
        return _run(argv, status)
    except KeyboardInterrupt:
        return status.fail("cancelled; your line is unchanged", protocol.EXIT_CANCELLED)
    except Exception as exc:  # a bug: still one line, and the shell keeps the line
        return status.fail(
            f"internal error: {type(exc).__name__}: {exc} (please report it)", protocol.EXIT_ERROR
        )


def _run(argv: list[str], status: Status) -> int:
    shell = _shell_from(argv)
    if shell is None:
        return status.fail(USAGE, protocol.EXIT_USAGE)
    buffer = os.environ.get("CMDAI_BUFFER")
    if buffer is None:
        return status.fail(
            "CMDAI_BUFFER is not set (set up the widget with `cmdai init SHELL`)",
            protocol.EXIT_USAGE,
        )
    problem = _check_buffer(buffer)
    if problem:
        return status.fail(problem, protocol.EXIT_ERROR)
    frame = protocol.generate(
        __version__, buffer, _cursor(buffer), shell, **client.client_env()
    )  # fmt: skip
    status.show("thinking… (Ctrl-C cancels)")
    try:
        reply = client.request(frame, timeout=hook_timeout(), on_progress=status.show)
    except client.ClientError as exc:
        return status.fail(str(exc), exc.exit_code)
    new_buffer, message = reply.get("buffer"), reply.get("message", "")
    if not isinstance(new_buffer, str) or not isinstance(message, str):
        return status.fail("the helper sent a malformed reply", protocol.EXIT_BAD_REPLY)
    status.clear()
    sys.stdout.write(new_buffer)
    if message:
        print(f"cmdai: {message}", file=sys.stderr)
    return protocol.EXIT_OK


def _shell_from(argv: list[str]) -> str | None:
    if len(argv) == 2 and argv[0] == "--shell" and argv[1] in protocol.SHELLS:
        return argv[1]
    if len(argv) == 1 and argv[0].startswith("--shell="):
        name = argv[0].partition("=")[2]
        return name if name in protocol.SHELLS else None
    return None


def _check_buffer(buffer: str) -> str | None:
    """Why this line cannot be sent, or None. Said here so no round trip is wasted."""
    if not buffer.strip():
        return "type what you want first, then press the key again"
    if any("\udc80" <= ch <= "\udcff" for ch in buffer):  # undecodable bytes from the env
        return "the line is not valid UTF-8; retype it"
    if "\x00" in buffer:
        return "the line contains a NUL byte; retype it"
    if len(buffer) > protocol.MAX_BUFFER_CHARS:
        return (
            f"the line is {len(buffer):,} characters long; the limit is "
            f"{protocol.MAX_BUFFER_CHARS:,}: describe the command in a sentence or two"
        )
    return None


def _cursor(buffer: str) -> int:
    try:
        return max(0, min(len(buffer), int(os.environ.get("CMDAI_CURSOR", ""))))
    except ValueError:
        return len(buffer)


def hook_timeout() -> float:
    """CMDAI_HOOK_TIMEOUT, else hook_timeout from config.toml, else the default. A bad value is
    ignored here (`cmdai config` reports it) so that the key keeps working."""
    raw: Any = os.environ.get("CMDAI_HOOK_TIMEOUT")
    config_file = os.environ.get("CMDAI_CONFIG") or paths.config_file()
    if raw is None and os.path.exists(config_file):
        import tomllib  # 5 ms: only when there is a file to read

        try:
            with open(config_file, "rb") as handle:
                raw = tomllib.load(handle).get("hook_timeout")
        except (OSError, tomllib.TOMLDecodeError):
            raw = None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return DEFAULT_TIMEOUT_S
    return value if 0.1 <= value <= 3600 else DEFAULT_TIMEOUT_S


class Status:
    """The one line the user sees: `⌛ …` while waiting (terminals only), then a message."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.shown = False

    def show(self, text: str) -> None:
        if self.live:
            self.stream.write(f"\r\x1b[K⌛ cmdai: {text}")
            self.stream.flush()
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False

    def fail(self, message: str, code: int) -> int:
        self.clear()
        print(f"cmdai: {message}", file=self.stream)
        return code
