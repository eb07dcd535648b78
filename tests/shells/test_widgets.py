"""The Ctrl-G widget in real zsh, bash and fish, driven through tmux: one test body for all
three shells. The helper is real; its model is HelperScript (tests/helpers/scripted.py, a
documented test double) so that failures happen on cue, except in the test marked `model`,
which runs the real 0.5B model end to end. One failure path fakes the helper itself (a socket
that answers garbage), since a real helper never does."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.helper_process import REPO, wait_until_dead
from tests.helpers.shells import require
from tests.shells.session import ShellSession, base_env

SHELLS = ["zsh", "bash", "fish"]
# Quotes, a variable, a backslash, a glob and non-ASCII: all must survive a failure exactly.
TRICKY = """'it''s' "$HOME" \\back *.py é ü"""


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CMDAI_TEST_BACKEND", "tests.helpers.scripted:helper_script")
    monkeypatch.setenv("PYTHONPATH", str(REPO))


@contextlib.contextmanager
def running_shell(name: str, tmp_path: Path, **env: str) -> Iterator[ShellSession]:
    require(name)
    require("tmux")
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    session = ShellSession(name, tmp_path, {**base_env(home), **env})
    try:
        yield session
    except BaseException:
        print(f"--- {name}: the screen when the test failed ---\n{session.screen()}")
        raise
    finally:
        session.close()


@pytest.fixture(params=SHELLS)
def shell(request: pytest.FixtureRequest, tmp_path: Path, scripted: None) -> Iterator[ShellSession]:
    with running_shell(request.param, tmp_path) as session:
        yield session
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            print(f"--- {request.param}: the screen when the test failed ---\n{session.screen()}")


def test_ctrl_g_replaces_the_line_and_puts_the_cursor_at_the_end(shell: ShellSession) -> None:
    shell.type("list my files")
    shell.keys("C-g")
    shell.type("X")  # typed at the cursor: at the end if the widget put it there
    assert shell.buffer() == "echo list-my-filesX"


def test_the_suggestion_runs_only_on_enter(shell: ShellSession) -> None:
    shell.type("say hello")
    shell.keys("C-g")
    assert shell.buffer() == "echo say-hello"
    shell.keys("Enter")
    shell.wait_prompt()
    assert "say-hello" in shell.screen().split("cmdai-test-2>")[0]


def test_high_risk_is_shown_as_a_message(shell: ShellSession) -> None:
    shell.type("risky cleanup")
    shell.keys("C-g")
    assert shell.buffer() == "rm -rf ./build"
    shell.wait_for("cmdai: high risk: recursive delete")


def test_critical_is_inserted_commented_out(shell: ShellSession) -> None:
    shell.type("danger now")
    shell.keys("C-g")
    assert shell.buffer().startswith("# cmdai blocked: ")
    shell.wait_for("cmdai: blocked (critical risk:")
    shell.keys("Enter")  # a comment: runs nothing, and the next prompt comes
    shell.wait_prompt()


def test_pressing_again_cycles_alternatives_then_back_to_the_original(shell: ShellSession) -> None:
    shell.type("find big files")
    seen = []
    for _ in range(4):
        shell.keys("C-g")
        seen.append(shell.buffer())
    assert seen == [
        "echo find-big-files", "echo find-big-files 2", "echo find-big-files 3", "find big files"
    ]  # fmt: skip
    shell.wait_for("cmdai: your original text")


def test_ctrl_c_while_waiting_restores_the_line(shell: ShellSession) -> None:
    shell.type(f"slow 60 {TRICKY}")
    shell.keys("C-g")
    shell.wait_for("⌛ cmdai: ")  # thinking, or starting the helper
    shell.wait_for_hook()
    shell.keys("C-c")
    shell.wait_for("cmdai: cancelled; your line is unchanged")
    assert shell.buffer() == f"slow 60 {TRICKY}"


def test_empty_line_is_explained(shell: ShellSession) -> None:
    shell.keys("C-g")
    shell.wait_for("cmdai: type what you want first")
    assert shell.buffer() == ""


def test_helper_killed_mid_request_keeps_the_line(shell: ShellSession, isolated_home: Path) -> None:
    shell.type(f"crash {TRICKY}")
    shell.keys("C-g")
    shell.wait_for("cmdai: the helper hung up before answering")
    assert shell.buffer() == f"crash {TRICKY}"
    wait_until_dead(int((isolated_home / "run" / "daemon.pid").read_text()))
    shell.clear_line()
    shell.type("after")
    shell.keys("C-g")
    assert shell.buffer() == "echo after"  # a new helper took over


def test_timeout_keeps_the_line(name_and_tmp: tuple[str, Path], scripted: None) -> None:
    name, tmp_path = name_and_tmp
    with running_shell(name, tmp_path, CMDAI_HOOK_TIMEOUT="2") as session:
        session.type(f"slow 30 {TRICKY}")
        session.keys("C-g")
        session.wait_for("cmdai: no answer in time")
        assert session.buffer() == f"slow 30 {TRICKY}"


def test_helper_that_cannot_start_keeps_the_line(
    name_and_tmp: tuple[str, Path], scripted: None
) -> None:
    name, tmp_path = name_and_tmp
    with running_shell(name, tmp_path, CMDAI_N_THREADS="lots") as session:
        session.type(TRICKY)
        session.keys("C-g")
        session.wait_for("cmdai: the helper exited at start-up")
        session.wait_for("CMDAI_N_THREADS")
        assert session.buffer() == TRICKY


def test_malformed_reply_keeps_the_line(
    name_and_tmp: tuple[str, Path], scripted: None, isolated_home: Path
) -> None:
    """The helper is faked here: a socket that answers garbage (a real helper never does)."""
    name, tmp_path = name_and_tmp
    with serving_garbage(isolated_home / "run" / "helper.sock"), running_shell(name, tmp_path) as s:
        s.type(TRICKY)
        s.keys("C-g")
        s.wait_for("cmdai: the helper sent a malformed reply")
        assert s.buffer() == TRICKY


@pytest.fixture(params=SHELLS)
def name_and_tmp(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path]:
    return request.param, tmp_path


@contextlib.contextmanager
def serving_garbage(path: Path) -> Iterator[None]:
    """A fake helper on `path` that answers every request with a line that is not JSON."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(4)
    server.settimeout(0.2)
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(b"this is not json\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(5)
        server.close()


@pytest.mark.model
@pytest.mark.parametrize("name", SHELLS)
def test_real_model_end_to_end(name: str, tmp_path: Path, use_small_model: Path) -> None:
    """No test double: the helper loads the real Qwen2.5-Coder 0.5B model."""
    os.environ.pop("CMDAI_TEST_BACKEND", None)
    with running_shell(name, tmp_path) as session:
        session.type("print the current date and time")
        session.keys("C-g")
        line = session.buffer(timeout=120)
        assert "date" in line and line != "print the current date and time", line


def test_missing_model_keeps_the_line(name_and_tmp: tuple[str, Path], tmp_path: Path) -> None:
    """The real llama.cpp backend path, with an empty model cache: the helper never downloads."""
    name, _ = name_and_tmp
    with running_shell(
        name, tmp_path, CMDAI_MODEL="qwen2.5-coder-0.5b", CMDAI_MODEL_DIR=str(tmp_path / "none")
    ) as session:
        session.type(TRICKY)
        session.keys("C-g")
        session.wait_for("cmdai: model qwen2.5-coder-0.5b is not downloaded")
        assert session.buffer() == TRICKY
