"""The fallback command's editable prompt, driven through prompt_toolkit's pipe input (the way
prompt_toolkit tests itself): real PromptSession, real key parsing, real shell to run in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput

from cmdai.config import Config
from cmdai.errors import Blocked, Cancelled
from cmdai.fallback import confirm_and_run
from cmdai.generate import Generated
from cmdai.prompting import REFUSAL


@pytest.fixture
def keys() -> Iterator[PipeInput]:
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        yield pipe


def suggestion(command: str) -> Generated:
    return Generated(command, "llama_cpp", "test-model", 12, 10, 5)


def test_enter_runs_the_suggested_command(keys: PipeInput, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    keys.send_text("\r")
    status = confirm_and_run(suggestion(f"echo ok > {marker}"), Config(shell="bash"))
    assert status == 0
    assert marker.read_text() == "ok\n"


def test_the_user_can_edit_before_running(keys: PipeInput, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    keys.send_text("\x15")  # Ctrl-U: kill the line
    keys.send_text(f"printf edited > {marker}\r")
    confirm_and_run(suggestion("echo original"), Config(shell="bash"))
    assert marker.read_text() == "edited"


def test_ctrl_c_cancels_and_runs_nothing(keys: PipeInput, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    keys.send_text("\x03")
    with pytest.raises(Cancelled) as caught:
        confirm_and_run(suggestion(f"touch {marker}"), Config(shell="bash"))
    assert caught.value.exit_code == 130
    assert not marker.exists()


def test_ctrl_d_cancels_too(keys: PipeInput, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    keys.send_text("\x15\x04")  # empty the line, then Ctrl-D (end of input)
    with pytest.raises(Cancelled):
        confirm_and_run(suggestion(f"touch {marker}"), Config(shell="bash"))
    assert not marker.exists()


def test_exit_status_of_the_command_is_returned(keys: PipeInput) -> None:
    keys.send_text("\r")
    assert confirm_and_run(suggestion("exit 3"), Config(shell="bash")) == 3


def test_a_critical_suggestion_is_never_offered(keys: PipeInput, tmp_path: Path) -> None:
    """Refused before the prompt (after it, the message would say "refused to run")."""
    victim = tmp_path / "victim"
    victim.mkdir()
    keys.send_text("\r")
    with pytest.raises(Blocked) as caught:
        confirm_and_run(suggestion(f"rm -rf ~ {victim}"), Config(shell="bash"))
    assert caught.value.message.startswith(f"will not write `rm -rf ~ {victim}` (critical risk: ")
    assert caught.value.exit_code == 8 and victim.exists()


def test_a_refusal_is_never_offered(keys: PipeInput) -> None:
    keys.send_text("\r")
    with pytest.raises(Blocked, match="the model declined this request"):
        confirm_and_run(suggestion(REFUSAL), Config(shell="bash"))


def test_an_edit_that_makes_the_command_critical_is_refused(
    keys: PipeInput, tmp_path: Path
) -> None:
    keys.send_text("\x15chmod -R 777 /\r")
    with pytest.raises(Blocked, match="recursive chmod of the root directory"):
        confirm_and_run(suggestion("ls"), Config(shell="bash"))


def test_high_risk_runs_only_after_yes(keys: PipeInput, tmp_path: Path) -> None:
    build = tmp_path / "build"
    build.mkdir()
    keys.send_text("\r")
    keys.send_text("yes\r")
    assert confirm_and_run(suggestion(f"rm -rf {build}"), Config(shell="bash")) == 0
    assert not build.exists()


@pytest.mark.parametrize("answer", ["\r", "y\r", "no\r", "\x03"])
def test_high_risk_without_yes_runs_nothing(keys: PipeInput, tmp_path: Path, answer: str) -> None:
    build = tmp_path / "build"
    build.mkdir()
    keys.send_text("\r")
    keys.send_text(answer)
    with pytest.raises(Cancelled, match="not confirmed"):
        confirm_and_run(suggestion(f"rm -rf {build}"), Config(shell="bash"))
    assert build.exists()


def test_permissive_mode_runs_high_risk_without_asking(keys: PipeInput, tmp_path: Path) -> None:
    build = tmp_path / "build"
    build.mkdir()
    keys.send_text("\r")
    confirm_and_run(suggestion(f"rm -rf {build}"), Config(shell="bash", safety_mode="permissive"))
    assert not build.exists()
