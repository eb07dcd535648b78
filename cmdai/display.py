"""How cmdai words what it will not put on the line, and how it shows text it did not write (a
model's command) inside a one-line message: control and invisible characters made visible,
long text shortened. Used by the helper's replies and by the fallback command alike."""

from __future__ import annotations

import unicodedata

from cmdai.safety.levels import Verdict

MESSAGE_COMMAND_CHARS = 120


def visible(text: str, limit: int = MESSAGE_COMMAND_CHARS) -> str:
    """`text` on one line with every control, format or separator character written as an
    escape (`\\n`, `\\x1b`, `\\u200b`), so a message cannot hide or redraw anything; cut to
    `limit` characters with an ellipsis."""
    shown = "".join(_visible_char(ch) for ch in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _visible_char(ch: str) -> str:
    if ch == " " or unicodedata.category(ch)[0] not in ("C", "Z"):
        return ch
    named = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
    if ch in named:
        return named[ch]
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def blocked_message(verdict: Verdict, command: str) -> str:
    """Why a command was kept off the line, naming the command (made visible)."""
    return f"will not write `{visible(command)}` ({verdict.level.label} risk: {verdict.reason})"


REFUSED_MESSAGE = (
    "the model declined this request as destructive; name exactly what it should act on, "
    "or type the command yourself"
)
