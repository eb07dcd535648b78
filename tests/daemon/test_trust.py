"""The client talks only to the user's own helper, through a directory only the user controls,
and `daemon stop` signals only the helper. Each test is named after a failure an adversarial
review found (another user's socket received the user's line and could put any command on it;
a symlinked run directory had its target chmod-ed; a stale pid file got a stranger killed)."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cmdai import protocol
from tests.helpers.cli import run_cli
from tests.test_hook import hook

NOBODY = 65534
needs_root = pytest.mark.skipif(
    os.getuid() != 0, reason="acting as a second local account needs root"
)

# Accepts connections and prints, for each, how many bytes it received before the client left.
LISTENER = """
import socket, sys
server = socket.socket(fileno=int(sys.argv[1]))
server.listen(4)
while True:
    conn, _ = server.accept()
    conn.settimeout(10)
    received = b""
    try:
        while chunk := conn.recv(65536):
            received += chunk
    except OSError:
        pass
    conn.close()
    print(len(received), flush=True)
"""


def listening_at(path: Path, user: int | None = None) -> subprocess.Popen[str]:
    """A process listening on `path` (bound here, listened on by the child, as `user`)."""
    python = sys.executable if user is None else "/usr/bin/python3"  # one nobody can run
    if not os.access(python, os.X_OK):
        pytest.skip("no system python3 for the other account")
    bound = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    bound.bind(str(path))
    child = subprocess.Popen(
        [python, "-c", LISTENER, str(bound.fileno())], pass_fds=(bound.fileno(),),
        stdout=subprocess.PIPE, text=True, user=user, cwd="/",
    )  # fmt: skip
    bound.close()
    deadline = time.monotonic() + 30
    while not _listening(path):  # asked of the kernel: a probe would be a connection
        assert time.monotonic() < deadline and child.poll() is None, "the listener never listened"
        time.sleep(0.02)
    return child


def _listening(path: Path) -> bool:
    """/proc/net/unix lists the socket with the accepting flag (__SO_ACCEPTCON, 0x10000)."""
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 8 and fields[7] == str(path) and int(fields[3], 16) & 0x10000:
            return True
    return False


def private_run_dir(home: Path) -> Path:
    run = home / "run"
    run.mkdir(mode=0o700, parents=True)
    return run


def received_by(listener: subprocess.Popen[str]) -> int:
    """Bytes the listener got on the first connection to it."""
    assert listener.stdout is not None
    return int(listener.stdout.readline())


@needs_root
def test_another_users_socket_gets_nothing(isolated_home: Path) -> None:
    """The socket is in the user's own directory, but another account listens on it."""
    run = private_run_dir(isolated_home)
    listener = listening_at(run / "helper.sock", user=NOBODY)
    try:
        result = hook("--shell", "zsh", buffer="my secret line")
        assert received_by(listener) == 0  # it learned who listens, and sent nothing
    finally:
        listener.kill()
    assert result.returncode == protocol.EXIT_UNAVAILABLE and result.stdout == b""
    assert f"is served by uid {NOBODY}, not by you" in result.stderr.decode()


def test_a_socket_in_a_world_writable_directory_gets_nothing(isolated_home: Path) -> None:
    run = private_run_dir(isolated_home)
    run.chmod(0o777)
    listener = listening_at(run / "helper.sock")
    result = hook("--shell", "bash", buffer="my secret line")
    listener.kill()
    assert result.returncode == protocol.EXIT_UNAVAILABLE and result.stdout == b""
    assert "is open to other users (mode 777)" in result.stderr.decode()
    assert stat.S_IMODE(run.stat().st_mode) == 0o777  # refused, not repaired


@needs_root
def test_a_run_dir_of_another_user_is_refused(isolated_home: Path) -> None:
    run = private_run_dir(isolated_home)
    os.chown(run, NOBODY, NOBODY)
    result = hook("--shell", "fish", buffer="my secret line")
    assert result.returncode == protocol.EXIT_UNAVAILABLE
    assert f"belongs to uid {NOBODY}, not to you" in result.stderr.decode()


def test_a_symlinked_run_dir_is_refused_and_its_target_left_alone(isolated_home: Path) -> None:
    target = isolated_home.parent / "elsewhere"
    target.mkdir(mode=0o755)
    target.chmod(0o755)
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "run").symlink_to(target)
    result = hook("--shell", "zsh", buffer="list files")
    assert result.returncode == protocol.EXIT_UNAVAILABLE and result.stdout == b""
    assert "is not a directory (a symlink?)" in result.stderr.decode()
    assert stat.S_IMODE(target.stat().st_mode) == 0o755 and list(target.iterdir()) == []


@pytest.mark.parametrize("pid_line", ["{pid}\n", "{pid} 1\n"])  # old format; a reused pid
def test_a_stale_pid_file_never_gets_a_stranger_killed(isolated_home: Path, pid_line: str) -> None:
    stranger = subprocess.Popen(["sleep", "300"])
    try:
        run = private_run_dir(isolated_home)
        (run / "daemon.pid").write_text(pid_line.format(pid=stranger.pid))
        result = run_cli("daemon", "stop")
        assert result.returncode == 0 and result.stdout.strip() == "helper not running"
        time.sleep(0.2)
        assert stranger.poll() is None, "daemon stop killed a process that is not the helper"
        assert not (run / "daemon.pid").exists()  # the stale file is cleaned up
    finally:
        stranger.kill()


def test_a_group_writable_parent_is_fine(isolated_home: Path) -> None:
    """umask 002 (a group of one's own) makes ~/.cache/cmdai 0775: that must not lock the user
    out. A world-writable parent without the sticky bit is refused."""
    isolated_home.mkdir(parents=True)
    isolated_home.chmod(0o775)
    helper_run = hook("--shell", "zsh", buffer="list files", CMDAI_N_THREADS="x")
    assert "the helper exited at start-up" in helper_run.stderr.decode()  # it got that far
    isolated_home.chmod(0o777)
    refused = hook("--shell", "zsh", buffer="list files")
    assert refused.returncode == protocol.EXIT_UNAVAILABLE
    assert "can be changed by another user" in refused.stderr.decode()
