"""A real helper process on a real Unix socket in the test's CMDAI_HOME, with the model replaced
by HelperScript (tests/helpers/scripted.py, registered as the `scripted` backend through CMDAI_PLUGINS) so that
failures happen on cue. Tests that need the real model say so. The fixtures `scripted_env` and
`helper` are registered in tests/conftest.py."""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cmdai import __version__, client, protocol, transport
from tests.helpers.scripted import scripted_settings

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Helper:
    home: Path

    def ask(self, buffer: str, session: str = "test", shell: str = "bash", **extra: Any) -> dict:
        frame = protocol.generate(
            __version__, buffer, len(buffer), shell, "/tmp", os.environ["PATH"], session
        )
        return client.request(frame | extra, timeout=30)

    def hello(self) -> dict[str, Any]:
        reply = client.hello(5)
        assert reply is not None, "no helper is running"
        return reply

    def raw(self, data: bytes, read_timeout: float = 10) -> list[dict[str, Any]]:
        """Send raw bytes on a fresh connection; every frame of the reply, decoded."""
        with transport.connect(5) as conn:
            conn.settimeout(read_timeout)
            conn.sendall(data)
            with conn.makefile("rb") as replies:
                frames = []
                while (frame := protocol.read_frame(replies)) is not None:
                    frames.append(frame)
                return frames

    def log(self) -> str:
        path = self.home / "state" / "daemon.log"
        return path.read_text() if path.exists() else ""


@pytest.fixture
def scripted_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in scripted_settings().items():
        monkeypatch.setenv(name, value)
    # no empty entry: it would put the current directory on the helper's sys.path
    paths = [str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))


@pytest.fixture
def helper(isolated_home: Path, scripted_env: None) -> Helper:
    """A running scripted helper (started the way the hook starts it)."""
    helper = Helper(isolated_home)
    helper.ask("warm up")
    return helper


def socket_pair_path(home: Path) -> Path:
    return home / "run" / "helper.sock"


def bind_dead_socket(path: Path) -> None:
    """Leave a socket file nobody listens on, as a killed helper would."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()


def wait_until_dead(pid: int) -> None:
    """A crashed helper may hold its socket for a moment (its process, or a child it was
    forking, has not let go of it yet); a request then meets a second "hung up" (the next one
    works). Tests wait it out: until the process is gone or a zombie and nothing accepts on
    its socket."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            state = "gone"
        if ("zombie" in state.lower() or state == "gone") and not transport.accepting(0.5):
            return
        time.sleep(0.02)
