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


class UnsafeRunDir(OSError):
    """The runtime dir, or whoever listens in it, is not this user's alone: nothing is sent
    through it, and nothing is repaired (a directory someone else can write to may already
    hold their socket)."""


def run_dir() -> Path:
    """The runtime dir, created 0700 if missing (never through a symlink), checked to be ours
    and private."""
    directory = paths.runtime_dir()
    if WINDOWS:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        return directory
    directory.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:  # noqa: SIM105 (contextlib is an import the hot path does without)
        os.mkdir(directory, 0o700)  # fails on an existing name, a symlink included
    except FileExistsError:
        pass
    check_private(directory)
    return directory


def check_private(directory: Path) -> None:
    """Raise UnsafeRunDir unless `directory` is a real directory of this user's that nobody
    else can write to, in a parent that nobody else can swap it out of."""
    uid = os.getuid()
    info = os.lstat(directory)  # FileNotFoundError when there is none: no helper either
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise UnsafeRunDir(f"{directory} is not a directory (a symlink?); remove it")
    if info.st_uid != uid:
        raise UnsafeRunDir(f"{directory} belongs to uid {info.st_uid}, not to you (uid {uid})")
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise UnsafeRunDir(
            f"{directory} is open to other users (mode {stat.S_IMODE(info.st_mode):o}); "
            f"remove it or run `chmod 700 {directory}`"
        )
    # The parent may be group-writable (umask 002 with a group of one's own is common); a
    # group member could then only swap the directory for one of their own, which the owner
    # check and the server's uid check refuse. World-writable needs the sticky bit (/tmp).
    parent = os.stat(directory.parent)
    open_to_all = stat.S_IMODE(parent.st_mode) & 0o002 and not parent.st_mode & stat.S_ISVTX
    if parent.st_uid not in (uid, 0) or open_to_all:
        raise UnsafeRunDir(
            f"{directory.parent} can be changed by another user, so {directory.name} in it "
            "cannot be trusted; set XDG_RUNTIME_DIR to a directory of your own"
        )


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
    """A connected socket to this user's own helper. Raises FileNotFoundError or
    ConnectionRefusedError when no helper is listening (the caller may then start one),
    UnsafeRunDir when the directory or the process listening in it is not the user's (nothing
    has been sent), OSError otherwise."""
    if WINDOWS:
        return _connect_loopback(timeout)
    path = socket_path()
    check_private(path.parent)
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(timeout)
    try:
        client.connect(str(path))
        uid = peer_uid(client)
        if uid is not None and uid != os.getuid():
            raise UnsafeRunDir(
                f"{path} is served by uid {uid}, not by you (uid {os.getuid()}); "
                "refusing to send anything to it"
            )
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
    server.listen(128)  # a burst of key presses from many terminals waits, not refused
    return server


def peer_uid(conn: socket.socket) -> int | None:
    """The uid of the process at the other end, where the OS tells: Linux SO_PEERCRED, macOS
    LOCAL_PEERCRED (that branch is written to the documented struct xucred, not run here)."""
    import struct

    option = getattr(socket, "SO_PEERCRED", None)
    if option is not None:
        credentials = conn.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", credentials)
        return int(uid)
    if sys.platform == "darwin":
        sol_local, local_peercred = 0, 1
        xucred = conn.getsockopt(sol_local, local_peercred, struct.calcsize("IIh16I"))
        _version, uid = struct.unpack_from("II", xucred)
        return int(uid)
    return None  # elsewhere the private directory is the only guard


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
