"""Where the helper listens and how a client reaches it, per user only. Stdlib only.

POSIX: a Unix socket `helper.sock` in the runtime dir (paths.runtime_dir()), which is made 0700
and must belong to the user; the socket itself is 0600 and the helper checks the peer's uid.

Windows (designed, not run here: no Windows machine in CI): AF_UNIX is not available to
Python there, so the helper listens on 127.0.0.1 on a free port and writes `helper.port`
holding `PORT TOKEN` into the runtime dir, which lives in the user's profile and is readable
by the user only. A client must send the token as the first line; any other peer is dropped.
"""

from __future__ import annotations

import os
import socket
import stat
import sys
from pathlib import Path

from cmdai import paths

TYPE_CHECKING = False  # see protocol.py
if TYPE_CHECKING:
    from typing import IO

WINDOWS = sys.platform == "win32"


class UnsafeRunDir(Exception):
    """The runtime dir is not private to this user: refuse to talk through it."""


def run_dir() -> Path:
    """The runtime dir, created 0700 if missing, checked to be ours and private."""
    directory = paths.runtime_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if WINDOWS:
        return directory
    info = directory.stat()
    if info.st_uid != os.getuid():
        raise UnsafeRunDir(f"{directory} belongs to another user")
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(directory, 0o700)  # we own it: tighten it rather than fail
    return directory


def lock(handle: IO[str], blocking: bool = True) -> bool:
    """Take an exclusive lock on an open file, held until it is closed; False if `blocking` is
    off and another process holds it."""
    if WINDOWS:
        import msvcrt

        mode = msvcrt.LK_LOCK if blocking else msvcrt.LK_NBLCK  # type: ignore[attr-defined]
        try:
            msvcrt.locking(handle.fileno(), mode, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def socket_path() -> Path:
    return paths.runtime_dir() / ("helper.port" if WINDOWS else "helper.sock")


def connect(timeout: float) -> socket.socket:
    """A connected socket to the helper. Raises FileNotFoundError or ConnectionRefusedError
    when no helper is listening (the caller may then start one), OSError otherwise."""
    if WINDOWS:
        return _connect_loopback(timeout)
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(timeout)
    try:
        client.connect(str(socket_path()))
    except BaseException:
        client.close()
        raise
    return client


def listen() -> socket.socket:
    """The helper's listening socket. The caller holds the single-instance lock."""
    if WINDOWS:
        return _listen_loopback()
    path = socket_path()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)  # born 0600: no window in which others could connect
    try:
        server.bind(str(path))
    finally:
        os.umask(old_umask)
    os.chmod(path, 0o600)
    server.listen(64)
    return server


def peer_uid(conn: socket.socket) -> int | None:
    """The uid of the process at the other end, where the OS tells (Linux: SO_PEERCRED)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None  # macOS/BSD: the 0700 directory is the guard
    import struct

    credentials = conn.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", credentials)
    return uid


def accepting(timeout: float = 1.0) -> bool:
    """A helper accepts connections on the socket right now."""
    try:
        connect(timeout).close()
    except OSError:
        return False
    return True


def is_stale() -> bool:
    """True when a socket file exists but nothing accepts on it (connect is refused)."""
    try:
        connect(0.5).close()
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    return False


# --- Windows: loopback + token ------------------------------------------------------------------


def _connect_loopback(timeout: float) -> socket.socket:
    port, token = socket_path().read_text().split()
    client = socket.create_connection(("127.0.0.1", int(port)), timeout=timeout)
    client.sendall(token.encode() + b"\n")
    return client


def _listen_loopback() -> socket.socket:
    import secrets

    server = socket.create_server(("127.0.0.1", 0))
    token = secrets.token_hex(32)
    socket_path().write_text(f"{server.getsockname()[1]} {token}\n")
    server.token = token  # type: ignore[attr-defined]  # checked per connection by the helper
    return server
