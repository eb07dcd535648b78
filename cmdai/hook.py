"""`cmdai hook --shell NAME`: the hot path behind Ctrl-G. Standard library only.

Reads: CMDAI_BUFFER (the line as typed), CMDAI_CURSOR (the cursor offset, in characters),
CMDAI_LAST_COMMAND and CMDAI_LAST_STATUS (the shell's last command and its exit status: on an
empty line after a failure, not Ctrl-C's 130, the helper is asked for a fix of it),
CMDAI_HOOK_TIMEOUT (seconds; else `hook_timeout` from config.toml; default 60), CMDAI_STATUS
(`tty`: the widget asks for the waiting line on the terminal, placed for its shell).
Exit 0: stdout is the new line, verbatim, and stderr may hold one message for the user.
Exit 9 (EXIT_CONFIRM): the same, and the line is high risk: the widget asks for a second Enter.
Any other exit (see protocol.EXIT_*): the shell keeps the line and shows stderr's one line;
8 (EXIT_BLOCKED) means the command was blocked or the model refused.
With --explain (the Alt-G widget): stderr says what the command on the line does, in several
lines, and the widget never changes the line, whatever the exit status.
While waiting, a `⌛` line says what is happening: on stderr when it is a terminal, else on the
terminal itself when the widget asks for it (its stderr is then a file it shows afterwards).
"""

from __future__ import annotations

import os
import sys

from cmdai import __version__, client, paths, protocol

TYPE_CHECKING = False  # see protocol.py
if TYPE_CHECKING:
    from typing import Any, TextIO

DEFAULT_TIMEOUT_S = 60.0
USAGE = (
    "usage: cmdai hook --shell {bash,zsh,fish,powershell} [--explain]  (called by the widgets "
    "of Ctrl-G and Alt-G)"
)


def main(argv: list[str]) -> int:
    status = Status(sys.stderr, waiting_line(argv))
    try:
        return _run(argv, status)
    except KeyboardInterrupt:
        return status.fail("cancelled; your line is unchanged", protocol.EXIT_CANCELLED)
    except Exception as exc:  # a bug: still one line, and the shell keeps the line
        return status.fail(
            f"internal error: {type(exc).__name__}: {exc} (please report it)", protocol.EXIT_ERROR
        )


def _run(argv: list[str], status: Status) -> int:
    explaining = "--explain" in argv
    shell = _shell_from([a for a in argv if a != "--explain"])
    if shell is None:
        return status.fail(USAGE, protocol.EXIT_USAGE)
    buffer = os.environ.get("CMDAI_BUFFER")
    if buffer is None:
        return status.fail(
            "CMDAI_BUFFER is not set (set up the widget with `cmdai init SHELL`)",
            protocol.EXIT_USAGE,
        )
    last_command, last_status = _last_failure() if not buffer.strip() else ("", 0)
    problem = None if last_command and not explaining else _check_buffer(buffer)
    if explaining and not buffer.strip():
        problem = "nothing to explain: type or recall a command, then press the key again"
    if problem:
        return status.fail(problem, protocol.EXIT_ERROR)
    try:
        timeout = hook_timeout()
    except ValueError as exc:
        return status.fail(f"{exc}; your line is unchanged", protocol.EXIT_USAGE)
    if explaining:
        return _explain(buffer, shell, timeout, status)
    frame = protocol.generate(
        __version__, buffer, _cursor(buffer), shell, **client.client_env(),
        timeout=timeout, settings=client.settings_env(),
        last_command=last_command, last_status=last_status,
    )  # fmt: skip
    status.show("looking at what failed" if last_command else "thinking")
    try:
        reply = client.request(frame, timeout=timeout, on_progress=status.show)
    except client.HelperTimeout as exc:
        return status.fail(f"{exc.message} ({timeout_hint()})", exc.exit_code)
    except client.ClientError as exc:
        return status.fail(str(exc), exc.exit_code)
    new_buffer, message = reply.get("buffer"), reply.get("message", "")
    action = reply.get("action")
    if not isinstance(new_buffer, str) or not isinstance(message, str) or action not in EXITS:
        return status.fail("the helper sent a malformed reply", protocol.EXIT_BAD_REPLY)
    if any(not ch.isprintable() and ch not in "\n\t" for ch in new_buffer):
        # What you see is what runs: an escape or an invisible character could hide or redraw
        # part of the line. Whoever wrote it (a model, a server), it does not reach the line.
        return status.fail(
            f"the suggestion holds hidden or control characters "
            f"({_printable(new_buffer)[:80]}); your line is unchanged",
            protocol.EXIT_BAD_REPLY,
        )
    status.clear()
    if EXITS[action] in (protocol.EXIT_OK, protocol.EXIT_CONFIRM):
        sys.stdout.write(new_buffer)
    if message:
        print(f"cmdai: {_printable(message)}", file=sys.stderr)
    return EXITS[action]


def _explain(buffer: str, shell: str, timeout: float, status: Status) -> int:
    """The explanation of the line on stderr, several lines; the line itself never changes
    (the widget does not read stdout)."""
    where = client.client_env()
    frame = protocol.explain(
        __version__, buffer, shell, where["cwd"], where["path"], client.settings_env()
    )
    status.show("explaining")
    try:
        reply = client.request(frame, timeout=timeout, on_progress=status.show)
    except client.ClientError as exc:
        return status.fail(str(exc), exc.exit_code)
    lines = reply.get("lines")
    text = reply.get("text")
    if not isinstance(lines, list) or not isinstance(text, str):
        return status.fail("the helper sent a malformed reply", protocol.EXIT_BAD_REPLY)
    status.clear()
    for line in text.split("\n"):
        print(_printable(line), file=sys.stderr)
    return protocol.EXIT_OK


def _printable(text: str) -> str:
    """A message on one line that cannot move the cursor or hide text: it may quote what a
    model wrote (a program name), so control and format characters are written as escapes."""
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)


# What each kind of result does to the line: only these two exits replace it.
EXITS = {
    "insert": protocol.EXIT_OK,
    "confirm": protocol.EXIT_CONFIRM,
    "blocked": protocol.EXIT_BLOCKED,
    "refused": protocol.EXIT_BLOCKED,
}


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


def _last_failure() -> tuple[str, int]:
    """The shell's last command and its exit status, when it failed (not by Ctrl-C): the
    widget passes them in CMDAI_LAST_COMMAND and CMDAI_LAST_STATUS, and a key pressed on an
    empty line then asks for a fix. ("", 0) otherwise."""
    command = os.environ.get("CMDAI_LAST_COMMAND", "").strip()
    try:
        status = int(os.environ.get("CMDAI_LAST_STATUS", "0"))
    except ValueError:
        return "", 0
    if not command or status in (0, protocol.STATUS_INTERRUPTED) or _check_buffer(command):
        return "", 0
    return command, status


def _cursor(buffer: str) -> int:
    try:
        return max(0, min(len(buffer), int(os.environ.get("CMDAI_CURSOR", ""))))
    except ValueError:
        return len(buffer)


def _setting(name: str) -> Any:
    """CMDAI_<NAME>, else `name` from config.toml, else None. A broken file counts as absent
    here: the helper reports it, and the key keeps working."""
    raw: Any = os.environ.get(f"CMDAI_{name.upper()}")
    config_file = _config_file()
    if raw is None and os.path.exists(config_file):
        import tomllib  # 5 ms: only when there is a file to read

        try:
            with open(config_file, "rb") as handle:
                raw = tomllib.load(handle).get(name)
        except (OSError, tomllib.TOMLDecodeError):
            raw = None
    return raw


def _config_file() -> str:
    return os.environ.get("CMDAI_CONFIG") or str(paths.config_file())


def timeout_hint() -> str:
    """What to do after a timeout: a longer wait, and a smaller model when there is one."""
    from cmdai.models.registry import ARTIFACTS, DEFAULT_MODEL, smaller_than  # the slow path

    hint = "raise hook_timeout in config.toml"
    model = ARTIFACTS.get(str(_setting("model") or DEFAULT_MODEL))
    smaller = smaller_than(model.size) if model else None
    return f"{hint}, or use the smaller model {smaller.id}" if smaller else hint


def hook_timeout() -> float:
    """CMDAI_HOOK_TIMEOUT, else hook_timeout from config.toml, else the default. A bad value
    raises ValueError with the sentence to show: silently waiting 60 s instead of the 5 the
    user wrote (or 0.05 they mistyped) would be worse than saying so."""
    from_env = "CMDAI_HOOK_TIMEOUT" in os.environ
    raw = _setting("hook_timeout")
    if raw is None:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = -1.0
    if not 0.1 <= value <= 3600 or isinstance(raw, bool):
        where = "CMDAI_HOOK_TIMEOUT" if from_env else f"hook_timeout in {_config_file()}"
        raise ValueError(f"{where} is {raw!r}: expected seconds from 0.1 to 3600")
    return value


class Status:
    """What the user sees: `⌛ cmdai: …` while waiting, then one message on `stream`.

    The waiting line goes to `stream` when it is a terminal (the fallback command, a hook run
    by hand), else to the widget's `line`, if any."""

    def __init__(self, stream: TextIO, line: WaitingLine | None = None) -> None:
        self.stream = stream
        self.line = InPlace(stream) if stream.isatty() else line

    def show(self, stage: str) -> None:
        if self.line:
            self.line.show(f"⌛ cmdai: {_printable(stage)}… (Ctrl-C cancels)")

    def clear(self) -> None:
        if self.line:
            self.line.clear()

    def fail(self, message: str, code: int) -> int:
        self.clear()
        print(f"cmdai: {_printable(message)}", file=self.stream)  # may quote a helper's words
        return code


class WaitingLine:
    """One line of the terminal that shows the current stage. Each shell leaves the terminal
    differently while a widget runs, so each gets the placement that keeps its line intact."""

    def __init__(self, tty: TextIO, suffix: str = "") -> None:
        self.tty = tty
        self.suffix = suffix  # the typed text, where the shell has hidden it
        self.shown = False

    def _fit(self, text: str) -> str:
        """One screen line at most: a wrapped line could not be erased or returned from."""
        try:
            width = max(20, os.get_terminal_size(self.tty.fileno()).columns - 1)
        except (OSError, ValueError):
            width = 79
        text = f"{text}  {self.suffix}" if self.suffix else text
        return text if len(text) <= width else text[: width - 1] + "…"

    def _write(self, data: str) -> None:
        try:
            self.tty.write(data)
            self.tty.flush()
        except OSError:  # the terminal went away: nothing to draw on
            pass

    def show(self, text: str) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError


class InPlace(WaitingLine):
    """On the cursor's line, erased afterwards: bash has already cleared that line for the
    widget (and redraws it afterwards), a stream that is a terminal has it to itself."""

    def show(self, text: str) -> None:
        self._write(f"\r\x1b[K{self._fit(text)}")
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self._write("\r\x1b[K")
            self.shown = False


class BelowSaved(WaitingLine):
    """On the line below the cursor, which zsh has drawn (`zle -R`) under the edit line: the
    cursor is saved and restored around each write, so zle finds it where it left it."""

    def show(self, text: str) -> None:
        self._write(f"\x1b7\x1b[1B\r\x1b[K{self._fit(text)}\x1b8")
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self._write("\x1b7\x1b[1B\r\x1b[K\x1b8")
            self.shown = False


class BelowNew(WaitingLine):
    """On a new line below the cursor (fish keeps its line on screen and repaints it after the
    widget): made with a newline, which scrolls at the bottom of the screen, so the way back is
    a relative move, not a saved position. Everything below is cleared with it: the widget's
    last message, however many rows it took."""

    def show(self, text: str) -> None:
        down = "\x1b[1B\r" if self.shown else "\n"
        self._write(f"{down}\x1b[J{self._fit(text)}\x1b[1A\r")
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self._write("\x1b[1B\r\x1b[J\x1b[1A\r")
            self.shown = False


def waiting_line(argv: list[str]) -> WaitingLine | None:
    """The waiting line the widget asked for (CMDAI_STATUS=tty), placed for its shell."""
    if os.environ.get("CMDAI_STATUS") != "tty":
        return None
    shell = _shell_from(argv)
    try:
        tty = open("/dev/tty", "w", encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError:  # no controlling terminal
        return None
    if shell == "zsh":
        return BelowSaved(tty)
    if shell == "fish":
        return BelowNew(tty)
    # bash has cleared the line the user typed: show it in the waiting line instead.
    typed = " ".join(os.environ.get("CMDAI_BUFFER", "").split())
    typed = "".join(ch if ch.isprintable() else "?" for ch in typed)
    return InPlace(tty, f"│ {typed}" if typed else "")
