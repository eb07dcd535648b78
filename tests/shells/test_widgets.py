"""The Ctrl-G widget in real zsh, bash and fish, driven through tmux: one test body for all
three shells. The helper is real; its model is HelperScript (tests/helpers/scripted.py, a
documented test double) so that failures happen on cue, except in the test marked `model`,
which runs the real 0.5B model end to end. One failure path fakes the helper itself (a socket
that answers garbage), since a real helper never does."""

from __future__ import annotations

import contextlib
import os
import shlex
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cmdai.widgets import executable
from tests.helpers.helper_process import REPO, wait_until_dead
from tests.helpers.scripted import scripted_settings
from tests.helpers.shells import require
from tests.shells.session import ShellSession, base_env

SHELLS = ["zsh", "bash", "fish"]
# Quotes, a variable, a backslash, a glob and non-ASCII: all must survive a failure exactly.
TRICKY = """'it''s' "$HOME" \\back *.py é ü"""


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in scripted_settings().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PYTHONPATH", str(REPO))


# zsh leaves interactive_comments off unless the user sets it: a line starting with # is then
# a command, so nothing cmdai puts on a line may rely on comments. Tests of what must never run
# use both.
ZSH_VARIANTS = {"zsh": "", "zsh+comments": "setopt interactive_comments\n"}


@contextlib.contextmanager
def running_shell(
    name: str, tmp_path: Path, via_init: bool = False, **env: str
) -> Iterator[ShellSession]:
    shell, rc_extra = (name.partition("+")[0], ZSH_VARIANTS.get(name, ""))
    require(shell)
    require("tmux")
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    session = ShellSession(shell, tmp_path, {**base_env(home), **env}, rc_extra, via_init)
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


def test_high_risk_runs_only_on_a_second_enter(shell: ShellSession) -> None:
    build = shell.workdir / "build"
    build.mkdir()
    shell.type("risky cleanup")
    shell.keys("C-g")
    assert shell.buffer() == "rm -rf ./build"
    shell.wait_for("cmdai: high risk: recursive delete; press Enter twice to run it")
    shell.keys("Enter")  # the first Enter on the unchanged suggestion runs nothing
    assert shell.buffer() == "rm -rf ./build"
    assert build.is_dir() and "cmdai-test-2> " not in shell.screen()
    shell.keys("Enter")
    shell.wait_prompt()
    assert not build.exists()


def test_an_edited_high_risk_line_runs_on_one_enter(shell: ShellSession) -> None:
    (shell.workdir / "buildx").mkdir()
    shell.type("risky cleanup")
    shell.keys("C-g")
    assert shell.buffer() == "rm -rf ./build"
    shell.type("x")
    shell.keys("Enter")
    shell.wait_prompt()
    assert not (shell.workdir / "buildx").exists()
    shell.type("echo after")  # Enter is plain Enter again
    shell.keys("Enter")
    shell.wait_prompt()


@pytest.mark.parametrize("name", ["zsh", "zsh+comments", "bash", "fish"])
@pytest.mark.parametrize(
    ("typed", "message"),
    [("home dir", "cmdai: will not write `ls -l ~; rm -rf ~` (critical risk: recursive delete"),
     ("refuse this", "cmdai: the model declined this request as destructive")],
)  # fmt: skip
def test_blocked_and_refused_leave_the_line_and_enter_runs_nothing_of_theirs(
    name: str, typed: str, message: str, tmp_path: Path, scripted: None
) -> None:
    """HelperScript answers `ls -l ~; rm -rf ~` (critical) or the refusal. HOME is a throwaway
    directory with a file in it, which must survive."""
    with running_shell(name, tmp_path) as session:
        keep = tmp_path / "home" / "keep.txt"
        keep.write_text("still here")
        session.type(typed)
        session.keys("C-g")
        session.wait_for(message)
        assert session.buffer() == typed
        session.wait_for("your line is unchanged")
        session.keys("Enter")  # runs what the user typed: `home` / `refuse`, not found
        session.wait_prompt()
        assert keep.read_text() == "still here"
        assert "not-refused" not in session.screen() and "rm -rf" not in session.screen().split(
            "cmdai: "
        )[0]  # fmt: skip


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


def test_the_waiting_line_keeps_the_typed_text_in_view(shell: ShellSession) -> None:
    shell.type("slow 4 find the big files")
    shell.keys("C-g")
    shell.wait_for("⌛ cmdai: ")
    screen = shell.screen()
    assert "slow 4 find the big files" in screen, screen
    assert any(stage in screen for stage in ("starting the helper", "thinking", "loading"))
    shell.wait_gone("⌛ cmdai: ")
    assert shell.buffer() == "echo slept"


def test_messages_replace_each_other(shell: ShellSession) -> None:
    """Each press leaves one message; the next press replaces it instead of adding a line."""
    shell.type("mkdir it")
    for expected in ("moderate risk", "no other suggestion", "moderate risk", "no other"):
        shell.keys("C-g")
        shell.wait_for(f"cmdai: {expected}")
        shell.buffer()  # every key handled: the screen is settled
        assert shell.screen().count("cmdai: ") == 1, shell.screen()


def test_the_original_text_comes_back_without_waiting_for_the_model(
    shell: ShellSession, isolated_home: Path
) -> None:
    """HelperScript takes 5 s per alternative (and has none); the helper works that out while
    the user reads the suggestion, so the press that gives the text back asks the model
    nothing (HelperScript counts its calls)."""
    from tests.daemon.test_helper import wait_until_prepared
    from tests.helpers.helper_process import Helper
    from tests.helpers.scripted import model_calls

    shell.type("slowalt 5 find it")
    shell.keys("C-g")
    assert shell.buffer() == "echo first"
    wait_until_prepared(Helper(isolated_home))
    calls = model_calls(isolated_home)
    shell.keys("C-g")
    assert shell.buffer() == "slowalt 5 find it"
    assert model_calls(isolated_home) == calls
    shell.wait_for("cmdai: no other suggestion; your original text")


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


@pytest.mark.parametrize(
    ("failing", "fixed", "reason"),
    [("gti status", "git status", "cmdai: `gti` is not installed; did you mean git?"),
     ("ls --colour=sometimes /nonexistent", "ls --color=sometimes /nonexistent",
      "cmdai: `ls` has no option `--colour`; did you mean `--color`?; `/nonexistent` does not "
      "exist"),
     ("tar -xf missing.tar", "tar -xf mising.tar",
      "cmdai: `missing.tar` does not exist; did you mean `mising.tar`?")],
)  # fmt: skip
def test_the_key_on_an_empty_line_after_a_failure_puts_a_fix_on_it(
    shell: ShellSession, failing: str, fixed: str, reason: str
) -> None:
    """The fix comes from what this machine says (programs on PATH, man pages, files), found
    without running anything again; the scripted model is not asked for the first one."""
    (shell.workdir / "mising.tar").write_text("")
    shell.type(failing)
    shell.keys("Enter")
    shell.wait_prompt()
    shell.keys("C-g")
    shell.wait_for(reason)
    assert shell.buffer() == fixed
    shell.keys("C-g")  # the next press: the model's fix, then the empty line again
    shell.wait_for("alternative 2 of up to 3")
    for _ in range(2):  # the third, then the empty line
        shell.keys("C-g")
        shell.buffer()
    shell.wait_for("no other fix; the line is empty again")
    assert shell.buffer() == ""


def test_after_a_success_the_empty_line_message_stays(shell: ShellSession) -> None:
    shell.type("true")
    shell.keys("Enter")
    shell.wait_prompt()
    shell.keys("C-g")
    shell.wait_for("cmdai: type what you want first")
    assert shell.buffer() == ""


def test_the_status_and_the_users_own_prompt_hooks_still_work(shell: ShellSession) -> None:
    """The prompt's counter is the user's precmd / PROMPT_COMMAND / fish_prompt event: each
    wait_prompt() needs it. $? (fish: $status) must still be the failed command's."""
    shell.type("ls /nonexistent")
    shell.keys("Enter")
    shell.wait_prompt()
    shell.type("echo status=$status" if shell.shell == "fish" else "echo status=$?")
    shell.keys("Enter")
    shell.wait_prompt()
    shell.wait_for("status=2")


def test_ctrl_c_while_a_fix_is_made_keeps_the_empty_line(shell: ShellSession) -> None:
    """`slow 30`, a shell function that fails with status 3 (nothing to find about it), is
    fixed by the scripted model, which waits 30 s: Ctrl-C cancels."""
    define = {"fish": "function slow; return 3; end", "zsh": "slow() { return 3 }"}
    shell.type(define.get(shell.shell, "slow() { return 3; }"))
    shell.keys("Enter")
    shell.wait_prompt()
    shell.type("slow 30")
    shell.keys("Enter")
    shell.wait_prompt()
    shell.keys("C-g")
    shell.wait_for("⌛ cmdai: ")
    shell.wait_for_hook()
    shell.keys("C-c")
    shell.wait_for("cmdai: cancelled; your line is unchanged")
    assert shell.buffer() == ""


def test_alt_g_explains_the_line_under_or_above_it_and_keeps_it(shell: ShellSession) -> None:
    """Explained by the real helper from this machine's man pages; the scripted model is not
    asked. The line stays as it was."""
    shell.type("ls -la | wc -l > n.txt")
    shell.keys("C-b", "C-b")  # the cursor is not at the end: it must stay where it is
    shell.keys("M-g")
    shell.wait_for("wc: print newline, word, and byte counts for each file")
    shell.wait_for("  >n.txt  the output is written to n.txt, replacing what it held")
    shell.wait_for("risk: moderate (writes to n.txt)")
    assert shell.buffer() == "ls -la | wc -l > n.txt"
    shell.keys("C-g")  # the next message replaces the explanation, all its lines
    shell.wait_gone("risk: moderate (writes to n.txt)")
    shell.wait_gone("wc: print newline")


def test_alt_g_keeps_the_cursor_where_it_was(shell: ShellSession) -> None:
    shell.type("ls -la")
    shell.keys("C-b", "C-b")
    shell.keys("M-g")
    shell.wait_for("risk: safe (no known risk)")
    shell.type("X")
    assert shell.buffer() == "ls -Xla"


def test_alt_g_on_an_empty_line_says_what_to_do(shell: ShellSession) -> None:
    shell.keys("M-g")
    shell.wait_for("cmdai: nothing to explain: type or recall a command, then press the key again")
    assert shell.buffer() == ""


def test_helper_killed_mid_request_keeps_the_line(shell: ShellSession, isolated_home: Path) -> None:
    shell.type(f"crash {TRICKY}")
    shell.keys("C-g")
    shell.wait_for("cmdai: the helper hung up before answering")
    assert shell.buffer() == f"crash {TRICKY}"
    wait_until_dead(int((isolated_home / "run" / "daemon.pid").read_text().split()[0]))
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


def test_a_broken_config_still_binds_the_key_and_says_what_is_wrong(
    name_and_tmp: tuple[str, Path], scripted: None, isolated_home: Path
) -> None:
    """The shell loads the widget with `cmdai init` while config.toml has a typo."""
    name, tmp_path = name_and_tmp
    config = isolated_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("n_thread = 4\n")
    with running_shell(name, tmp_path, via_init=True) as session:
        session.type(TRICKY)
        session.keys("C-g")
        session.wait_for("cmdai: the helper exited at start-up: ")
        session.wait_for("unknown key 'n_thread' = 4 (did you mean 'n_threads'?)")
        assert session.buffer() == TRICKY


def test_bash_vi_command_mode_has_the_key(tmp_path: Path, scripted: None) -> None:
    with running_shell("bash", tmp_path) as session:
        session.type("set -o vi")
        session.keys("Enter")
        session.wait_prompt()
        session.type("list my files")
        session.keys("Escape")
        session.keys("C-g")
        assert session.buffer() == "echo list-my-files"


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


def serving_garbage(path: Path) -> contextlib.AbstractContextManager[None]:
    """A fake helper on `path` that answers every request with a line that is not JSON."""
    return serving_reply(path, b"this is not json\n")


@contextlib.contextmanager
def serving_reply(path: Path, reply: bytes) -> Iterator[None]:
    """A fake helper on `path` that answers every request with `reply`."""
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
                conn.sendall(reply)

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
    for variable in scripted_settings():
        os.environ.pop(variable, None)
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


@pytest.mark.parametrize("typed", ["home dir", "refuse this"])
def test_the_fallback_command_never_offers_a_blocked_command_or_a_refusal(
    typed: str, tmp_path: Path, scripted: None
) -> None:
    """`cmdai "…"` on a real terminal (so it would show its editable prompt)."""
    with running_shell("bash", tmp_path) as session:
        keep = tmp_path / "home" / "keep.txt"
        keep.write_text("still here")
        session.type(f"{shlex.quote(executable())} '{typed}'; echo status=$?")
        session.keys("Enter")
        session.wait_for("status=8", timeout=120)
        screen = session.screen()
        assert "Enter: run" not in screen and "❯" not in screen
        assert "will not write `ls -l ~; rm -rf ~`" in screen or "declined" in screen
        assert keep.read_text() == "still here"
