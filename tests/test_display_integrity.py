"""What you see is what runs: a table of hostile replies (tests/fixtures/hostile_replies.py)
from the scripted model (HelperScript, the documented test double) through a real helper and
`cmdai hook`, and through real zsh, bash and fish lines. None reaches the line as sent: the
line is kept with a one-line reason, or gets only the visible command."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.hostile_replies import HOSTILE
from tests.helpers.helper_process import Helper
from tests.shells.test_widgets import SHELLS, running_shell, scripted  # noqa: F401  (fixture)
from tests.test_hook import hook


def test_the_table_is_big_enough() -> None:
    assert len(HOSTILE) >= 25


def visible(text: str) -> bool:
    return all(ch.isprintable() for ch in text)


@pytest.mark.parametrize("number", range(len(HOSTILE)))
def test_a_hostile_reply_never_reaches_the_line_through_the_hook(
    helper: Helper, number: int
) -> None:
    result = hook("--shell", "bash", buffer=f"hostile {number}")
    line = result.stdout.decode("utf-8", errors="replace")
    assert line != HOSTILE[number]
    if result.returncode in (0, 9):  # a line was given: only its visible first command
        assert visible(line) and line and "\n" not in line, repr(line)
    else:
        assert line == ""  # the widget keeps the user's line
    lines = result.stderr.decode().splitlines()
    assert len(lines) <= 1 and all(visible(x) for x in lines), lines


@pytest.mark.usefixtures("scripted")
@pytest.mark.parametrize("name", SHELLS)
def test_no_hostile_reply_reaches_a_real_shell_line(name: str, tmp_path: Path) -> None:
    with running_shell(name, tmp_path) as session:
        for number in range(len(HOSTILE)):
            typed = f"hostile {number}"
            session.type(typed)
            session.keys("C-g")
            line = session.buffer()
            assert line != HOSTILE[number] and visible(line), (number, repr(line))
            assert line in (typed, HOSTILE[number].split("\n")[0].split("\r")[0]), (
                number,
                repr(line),
            )
            session.clear_line()


def test_dot_is_judged_as_the_directory_it_names(helper: Helper) -> None:
    """`rm -rf .` asked in /etc is `rm -rf /etc`: blocked, not merely high."""
    assert helper.ask("wipehere please", session="a", cwd="/etc")["action"] == "blocked"
    assert helper.ask("wipehere please", session="b", cwd="/tmp")["action"] == "confirm"
