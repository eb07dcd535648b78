"""The helper's life: single instance, pid file, logs, signals, idle exit; and the
`cmdai helper run|start|status|stop|restart|logs` commands (also `cmdai daemon …`) that
manage it from outside.

Files (runtime dir, 0700): helper.sock, daemon.lock (held while running), daemon.pid.
Logs (state dir): daemon.log, rotated at 1 MB, 3 kept; daemon-start.log catches output from
before logging is set up. Request text is logged only with `log_requests = true`.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import logging.handlers
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from cmdai import __version__, client, paths, protocol, transport
from cmdai.config import Config, load_config
from cmdai.daemon.engine import Engine
from cmdai.daemon.server import Server
from cmdai.errors import CmdaiError

LOG_BYTES = 1 << 20
LOG_BACKUPS = 3
STOP_WAIT_S = 10.0
log = logging.getLogger("cmdai.daemon")


def log_file() -> Path:
    return paths.state_dir() / "daemon.log"


def pid_file() -> Path:
    return paths.runtime_dir() / "daemon.pid"


def run(config: Config) -> int:
    """Serve until stopped or idle. Returns at once if another helper holds the lock."""
    os.umask(0o077)  # the log may hold request text (log_requests): nothing here is for others
    _leave_the_start_directory()
    directory = transport.run_dir()
    with open(directory / "daemon.lock", "w") as lock:
        if not _take_lock(lock):
            print("cmdai: another helper is already running", file=sys.stderr)
            return 0
        _setup_logging(config)
        if transport.is_stale():
            transport.socket_path().unlink(missing_ok=True)
        listener = transport.listen()
        pid_file().write_text(_pid_line(os.getpid()))
        engine = Engine(config)
        server = Server(listener, engine, config.idle_timeout)
        server.on_stop.append(lambda: _remove_files(listener))
        # Started by a client it has its own session, so a Ctrl-C meant for the client never
        # reaches it; run by hand (`cmdai daemon run`), Ctrl-C stops it like SIGTERM.
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(signum, lambda *_: server.stop("signal"))
        log.info(
            "cmdai %s helper, pid %d, backend %s, model %s",
            __version__, os.getpid(), " → ".join(config.backend), config.model,
        )  # fmt: skip
        try:
            server.serve()
        finally:
            _remove_files(listener)
            server.wait_for_clients(STOP_WAIT_S)
            engine.close()
            log.info("stopped after %d requests", server.served)
    return 0


def _leave_the_start_directory() -> None:
    """Work in /, as a daemon should: the helper outlives the shell it started from by up to
    idle_timeout, and a process working in a directory keeps its file system busy (`umount` of
    the USB stick the user pressed Ctrl-G on fails). Relative path settings are made absolute
    first (config was loaded with them already; the environment is read again by the settings
    watch and by paths)."""
    os.environ.update(paths.anchored_env(os.environ))
    os.chdir("/")


def _take_lock(lock: IO[str]) -> bool:
    """The single-instance lock. A helper that holds it but no longer listens is on its way
    out (stopping, or replaced after a version change): wait for it rather than give up."""
    deadline = time.monotonic() + STOP_WAIT_S
    while not transport.lock(lock, blocking=False):
        if time.monotonic() > deadline or transport.accepting():
            return False
        time.sleep(0.05)
    return True


def _remove_files(listener: object) -> None:
    """Socket and pid file go first: a client arriving now starts a new helper."""
    for path in (transport.socket_path(), pid_file()):
        path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        listener.close()  # type: ignore[attr-defined]


def _setup_logging(config: Config) -> None:
    log_file().parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    for old in log_file().parent.glob(f"{log_file().name}*"):  # made 0644 by older versions
        with contextlib.suppress(OSError):
            old.chmod(0o600)
    handler = logging.handlers.RotatingFileHandler(
        log_file(), maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger("cmdai")
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if config.log_requests else logging.INFO)


# --- the commands -----------------------------------------------------------------------------


def command(args: argparse.Namespace, config: Config | None) -> int:
    """`cmdai daemon …`; only `run` needs the configuration (the others must work when it is
    broken, to diagnose it)."""
    if args.daemon_command == "run":
        assert config is not None  # cli loads it for `run`, the one command that needs it
        return run(config)
    return {
        "start": start,
        "prestart": prestart,
        "status": status,
        "stop": stop,
        "restart": restart,
        "logs": lambda: logs(args.lines),
    }[args.daemon_command]()


def start() -> int:
    hello = client.hello(2.0)
    if hello is None:
        try:
            client.connect_or_start(time.monotonic() + 30.0).close()
        except client.ClientError as exc:
            raise CmdaiError(str(exc)) from None
        hello = client.hello(2.0)
    print(f"helper running, pid {hello['pid'] if hello else '?'}")
    return 0


def prestart() -> int:
    """`cmdai helper prestart`, which the shell scripts run in the background when an
    interactive shell starts: start the helper now, so that the first Ctrl-G of the day does
    not wait for a model load. Silent; does nothing when `prestart = false`, when a helper
    answers already (or another shell is starting one: the start lock lets one through), when
    the configured model is not downloaded (a prestart never downloads) or the configuration
    is broken (the key press reports that)."""
    try:
        config = load_config()
        if not config.prestart or client.hello(2.0) is not None:
            return 0
        spec = config.spec(config.backend[0])
        if spec.capabilities.needs_download and spec.stored_model is not None:
            from cmdai.models.pull import resolve_model

            model = spec.stored_model(config, config.options(spec.name))
            resolve_model(model, config, backend=spec.name, allow_download=False)
        client.connect_or_start(time.monotonic() + 60.0).close()
    except (CmdaiError, client.ClientError):
        return 0  # not now: the next Ctrl-G starts it, and says what is wrong if anything
    return 0


def restart() -> int:
    stop(quiet=True)
    return start()


def status() -> int:
    try:
        hello = client.hello(2.0)
    except client.ClientError as exc:
        raise CmdaiError(f"the helper does not answer properly: {exc}") from None
    if hello is None:
        print("helper not running (it starts on the next Ctrl-G or `cmdai helper start`)")
        return 3
    for key in ("version", "pid", "backend", "model", "state", "uptime_s", "served"):
        chose = (
            f" (auto: {hello['auto_reason']})"
            if key == "backend" and hello.get("auto_reason")
            else ""
        )
        print(f"{key}: {hello.get(key)}{chose}")
    if hello.get("load_error"):
        print(f"load_error: {hello['load_error']}")
    if hello.get("answered"):
        print("last answer by: {} ({})".format(*hello["answered"]))
    for slot in hello.get("backends", []):
        print(f"backend {slot['backend']}: {_slot_line(slot)}")
    print(f"socket: {transport.socket_path()}\nlog: {log_file()}")
    return 0


def _slot_line(slot: dict[str, object]) -> str:
    """One backend of the chain: model, where it is, state, and whether it is being skipped."""
    where = f" at {slot['location']}" if slot.get("location") else ""
    line = f"{slot['model']}{where}, {slot['state']}"
    if slot.get("skipped_for_s"):
        line += f", skipped for {slot['skipped_for_s']} s more: {slot['reason']}"
    elif slot.get("load_error"):
        line += f": {slot['load_error']}"
    elif slot.get("warm_start"):
        line += f" ({slot['warm_start']})"
    return line


def stop(quiet: bool = False) -> int:
    pid = _running_pid()
    try:
        conn = transport.connect(2.0)
    except transport.UnsafeRunDir as exc:
        raise CmdaiError(str(exc)) from None
    except OSError:
        conn = None
    if conn is None and pid is None:
        if not quiet:
            print("helper not running")
        return 0
    asked = False
    if conn is not None:
        with conn, contextlib.suppress(OSError):
            conn.sendall(protocol.encode(protocol.stop(__version__)))
            asked = bool(conn.recv(4096))
    if not asked and pid is not None:  # no socket, or no answer: it is stuck; use a signal
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    _wait_for_exit(pid)
    if not quiet:
        print("helper stopped")
    return 0


def _running_pid() -> int | None:
    """The helper's pid, only while that process is still this user's helper: after a kill -9
    the pid file stays behind, and its pid may belong to another process by now (then the file
    is removed)."""
    try:
        pid_text, _, started = pid_file().read_text().strip().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    if _is_our_helper(pid, started):
        return pid
    pid_file().unlink(missing_ok=True)
    return None


def _pid_line(pid: int) -> str:
    """What the pid file holds: the pid and, where the OS tells, when that process started."""
    return f"{pid} {_started(pid)}".strip() + "\n"


def _started(pid: int) -> str:
    """When process `pid` started (clock ticks since boot, field 22 of /proc/PID/stat): with the
    pid it names one process, even once the pid is reused. Empty without /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return ""
    return fields[19] if len(fields) > 19 else ""


def _is_our_helper(pid: int, started: str) -> bool:
    """Process `pid` is alive, started when the pid file says, is ours and runs the helper."""
    if started and _started(pid) != started:
        return False
    identity = _owner_and_command(pid)
    if identity is None:
        return False
    uid, command = identity
    return uid == os.getuid() and "cmdai" in command and "daemon run" in command


def _owner_and_command(pid: int) -> tuple[int, str] | None:
    """The uid and command line of a live process, or None."""
    try:
        if os.path.isdir("/proc"):
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            return os.stat(f"/proc/{pid}").st_uid, b" ".join(argv).decode(errors="replace")
        # macOS, BSD: no /proc, ask ps
        out = subprocess.run(["ps", "-o", "uid=,command=", "-p", str(pid)],
                             capture_output=True, text=True, timeout=5).stdout.strip()  # fmt: skip
        uid, _, command = out.partition(" ")
        return int(uid), command
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def _wait_for_exit(pid: int | None) -> None:
    """Until the helper has released its lock (a process that exited holds none, even while
    it is a zombie its parent has not reaped); SIGKILL after STOP_WAIT_S."""
    deadline = time.monotonic() + STOP_WAIT_S
    with open(transport.run_dir() / "daemon.lock", "w") as lock:
        while not transport.lock(lock, blocking=False):
            if time.monotonic() > deadline:
                if pid is not None and _running_pid() == pid:  # still the helper: stuck
                    os.kill(pid, signal.SIGKILL)
                transport.lock(lock)
                return
            time.sleep(0.05)


def logs(lines: int) -> int:
    """The end of the helper's log, what its last start printed if it failed, and whether the
    configuration it would read now is valid: the three places a broken helper explains itself."""
    path = log_file()
    if path.exists():
        for line in path.read_text(errors="replace").splitlines()[-lines:]:
            print(line)
    else:
        print(f"no log yet ({path})")
    failure = client.startup_failure()
    if failure != "no log" and _running_pid() is None:
        print(f"last start: {failure}")
    try:
        load_config()
    except CmdaiError as exc:
        print(f"config: {exc}")
        return 3
    return 0
