"""A shell that starts starts the helper in the background, so the first Ctrl-G finds it
ready: one helper however many shells start at once, none when the model is not downloaded
or `prestart = false`, and the prompt never waits for it. Real zsh, bash and fish in tmux; the
helper is real, with the scripted backend (tests/helpers/scripted.py) where the model is not
the point."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from cmdai import client
from tests.helpers.helper_process import REPO
from tests.helpers.scripted import scripted_settings
from tests.helpers.shells import require
from tests.shells.session import ShellSession, base_env

SHELLS = ["zsh", "bash", "fish"]


def helpers_of(home: Path) -> list[int]:
    """The helper processes (`cmdai daemon run`) whose CMDAI_HOME is `home`."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if b"daemon\x00run" in cmdline and f"CMDAI_HOME={home}\x00".encode() in environ:
            found.append(int(proc.name))
    return found


def start_shells(tmp_path: Path, env: dict[str, str]) -> list[ShellSession]:
    """zsh, bash and fish started at the same moment, each waited for until its prompt."""
    sessions: dict[str, ShellSession] = {}

    def start(name: str) -> None:
        workdir = tmp_path / name
        workdir.mkdir()
        sessions[name] = ShellSession(name, workdir, env)

    threads = [threading.Thread(target=start, args=(name,)) for name in SHELLS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(sessions) == sorted(SHELLS), "a shell did not start"
    return list(sessions.values())


def shell_env(home: Path, **settings: str) -> dict[str, str]:
    home.mkdir(exist_ok=True)
    return {**base_env(home), **settings}


def wait_for(check, what: str, limit: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.1)


def test_shells_starting_together_start_one_helper(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for program in (*SHELLS, "tmux"):
        require(program)
    for name, value in scripted_settings().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    env = shell_env(tmp_path / "home", CMDAI_PRESTART="true")
    sessions = start_shells(tmp_path, env)
    try:
        wait_for(lambda: client.hello(2) is not None, "a helper answering")
        time.sleep(3)  # time for any second start to show itself
        assert len(helpers_of(isolated_home)) == 1
        for session in sessions:  # every prompt is there and usable
            session.type("echo ready")
            assert session.buffer() == "echo ready"
    finally:
        for session in sessions:
            session.close()
    assert client.hello(2) is not None  # closing the shells did not take the helper down


def test_no_helper_when_the_model_is_not_downloaded(isolated_home: Path, tmp_path: Path) -> None:
    """The default backend, llama_cpp, with an empty model cache: a prestart never downloads."""
    for program in (*SHELLS, "tmux"):
        require(program)
    sessions = start_shells(tmp_path, shell_env(tmp_path / "home", CMDAI_PRESTART="true"))
    try:
        time.sleep(5)  # the three prestarts have had time to run and give up
        assert helpers_of(isolated_home) == []
        assert not (isolated_home / "cache" / "models").exists()  # nothing was fetched
    finally:
        for session in sessions:
            session.close()


def test_prestart_false_starts_nothing(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require("zsh")
    require("tmux")
    for name, value in scripted_settings().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    workdir = tmp_path / "zsh"
    workdir.mkdir()
    session = ShellSession("zsh", workdir, shell_env(tmp_path / "home", CMDAI_PRESTART="false"))
    try:
        time.sleep(4)
        assert helpers_of(isolated_home) == []
    finally:
        session.close()
