"""How cmdai shows a command it will not write: every hidden or control character made
visible, one line, bounded length."""

from __future__ import annotations

import pytest

from cmdai.display import blocked_message, visible
from cmdai.safety import classify


@pytest.mark.parametrize(
    ("text", "shown"),
    [("rm -rf ~", "rm -rf ~"),
     ("ls\nrm -rf ~", "ls\\nrm -rf ~"),
     ("echo \x1b[2Jhi", "echo \\x1b[2Jhi"),
     ("rm\u200b -rf /", "rm\\u200b -rf /"),
     ("a\tb\rc", "a\\tb\\rc"),
     ("caf\u00e9 ü", "caf\u00e9 ü"),
     ("x\u202ey", "x\\u202ey")],
)  # fmt: skip
def test_visible_escapes_what_would_hide_or_redraw_text(text: str, shown: str) -> None:
    assert visible(text) == shown


def test_visible_shortens_long_text_with_an_ellipsis() -> None:
    shown = visible("x" * 500, limit=40)
    assert len(shown) == 40 and shown.endswith("…")


def test_blocked_message_names_the_command_and_the_reason() -> None:
    command = "ls -l ~; rm -rf ~"
    message = blocked_message(classify(command), command)
    assert message == (
        "will not write `ls -l ~; rm -rf ~` (critical risk: recursive delete of the home directory)"
    )
