"""The helper over its real socket: concurrency, bad input, lifecycle, permissions, alternatives.
The model is HelperScript (a documented test double, see tests/helpers/helper_process.py),
except where a test says it uses the real llama.cpp backend."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cmdai import __version__, client, protocol
from tests.helpers.cli import run_cli
from tests.helpers.helper_process import REPO, Helper, bind_dead_socket, wait_until_dead
from tests.helpers.scripted import model_calls


def good_request(buffer: str = "list files") -> bytes:
    frame = protocol.generate(__version__, buffer, 0, "bash", "/tmp", os.environ["PATH"], "")
    return protocol.encode(frame)


def test_hello_reports_version_model_and_state(helper: Helper) -> None:
    reply = helper.hello()
    assert reply["version"] == __version__ and reply["protocol"] == protocol.PROTOCOL_VERSION
    assert reply["state"] == "ready" and reply["pid"] != os.getpid()


def test_a_generate_request_gets_a_result(helper: Helper) -> None:
    reply = helper.ask("list files")
    assert reply["buffer"] == "echo list-files" and reply["cursor"] == len(reply["buffer"])
    assert reply["risk"] == "safe" and reply["blocked"] is False and reply["message"] == ""


def test_sixteen_concurrent_clients_are_all_answered_correctly(helper: Helper) -> None:
    replies: dict[int, str] = {}
    errors: list[BaseException] = []

    def ask(number: int) -> None:
        try:
            replies[number] = helper.ask(f"request {number}", session=f"s{number}")["buffer"]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert replies == {n: f"echo request-{n}" for n in range(16)}


BAD_INPUT = [
    (b"{not json\n", protocol.BAD_FRAME, "not valid JSON"),
    (b"[1, 2]\n", protocol.BAD_FRAME, "not a JSON object"),
    (b'{"v": 1, "op": "generate", "buffer": "\xff\xfe"}\n', protocol.BAD_FRAME, "not valid UTF-8"),
    (b'{"v": 1, "op": "hello",\x00 "client": "x"}\n', protocol.BAD_FRAME, "not valid JSON"),
    (b"x" * (protocol.MAX_FRAME_BYTES + 10) + b"\n", protocol.BAD_FRAME, "over the limit"),
    (b'{"v": 99, "op": "hello", "client": "x"}\n', protocol.UNSUPPORTED_VERSION, "99"),
    (b'{"op": "hello", "client": "x"}\n', protocol.UNSUPPORTED_VERSION, "None"),
    (b'{"v": 1, "op": "dance", "client": "x"}\n', protocol.UNKNOWN_OP, "'dance'"),
    (b'{"v": 1, "op": "hello"}\n', protocol.BAD_REQUEST, "'client'"),
    (b'{"v": 1, "op": "generate", "client": "x", "buffer": 5}\n', protocol.BAD_REQUEST, "buffer"),
    (b"\n", protocol.BAD_FRAME, "not valid JSON"),
    (b'{"v": 1, "op": "hello", "client": "\\ud800"}\n', protocol.BAD_FRAME, "lone surrogate"),
    (
        b'{"v": 1, "op": "generate", "client": "x", "buffer": "a\\udfffb", "cursor": 0,'
        b' "shell": "bash", "cwd": "/"}\n',
        protocol.BAD_FRAME,
        "lone surrogate",
    ),
    (b"[" * 60_000 + b"\n", protocol.BAD_FRAME, "nests too deeply"),
    (b'{"a": ' * 9_000 + b"1" + b"}" * 9_000 + b"\n", protocol.BAD_FRAME, "nests too deeply"),
    (b'{"v": true, "op": "hello", "client": "x"}\n', protocol.UNSUPPORTED_VERSION, "True"),
    (b'{"v": 1.0, "op": "hello", "client": "x"}\n', protocol.UNSUPPORTED_VERSION, "1.0"),
    (b'{"v": "1", "op": "hello", "client": "x"}\n', protocol.UNSUPPORTED_VERSION, "'1'"),
    (
        b'{"v": 1, "op": "generate", "client": "x", "buffer": "ls", "cursor": true, "shell": '
        b'"bash", "cwd": "/"}\n',
        protocol.BAD_REQUEST,
        "cursor",
    ),
    *[
        (
            b'{"v": 1, "op": "generate", "client": "x", "buffer": "ls", "cursor": 0, "shell": '
            b'"bash", ' + tail + b"}\n",
            protocol.BAD_REQUEST,
            text,
        )
        for tail, text in [
            (b'"cwd": "relative/dir"', "'cwd' must be an absolute path"),
            (b'"cwd": "/tmp\\u0000x"', "'cwd' must be an absolute path"),
            (b'"cwd": "/", "path": "/bin\\u0000"', "NUL"),
        ]
    ],
]


@pytest.mark.parametrize(("data", "code", "text"), BAD_INPUT)
def test_bad_input_gets_an_error_and_the_helper_keeps_serving(
    helper: Helper, data: bytes, code: str, text: str
) -> None:
    frames = helper.raw(data)
    assert len(frames) == 1 and frames[0]["type"] == "error"
    assert frames[0]["code"] == code and text in frames[0]["message"]
    assert helper.raw(good_request())[-1]["buffer"] == "echo list-files"


@pytest.mark.parametrize(
    ("buffer", "text"),
    [("x" * 1_000_000, "over the limit"),  # a 1 MB line: too big a frame
     ("x" * (protocol.MAX_BUFFER_CHARS + 1), "the limit is 4,000"),
     ("ls\x00rm", "NUL byte")],
)  # fmt: skip
def test_oversized_and_nul_buffers_are_refused(helper: Helper, buffer: str, text: str) -> None:
    frame = protocol.generate(__version__, buffer, 0, "bash", "/tmp", "", "")
    data = (json.dumps(frame) + "\n").encode()
    frames = helper.raw(data)
    assert frames[-1]["type"] == "error" and text in frames[-1]["message"]
    assert helper.ask("still there")["buffer"] == "echo still-there"


def test_a_client_that_sends_half_a_line_and_waits_is_dropped(helper: Helper) -> None:
    frames = helper.raw(b'{"v": 1, "op"', read_timeout=20)
    assert frames[0]["code"] == protocol.BAD_FRAME and "within 5 s" in frames[0]["message"]


def test_a_slow_loris_is_cut_off_at_the_deadline_for_the_whole_line(helper: Helper) -> None:
    """A byte every second kept a per-read timeout of 5 s happy forever; the deadline is for
    the whole request line."""
    with client.transport.connect(5) as conn:
        conn.settimeout(1)
        started = time.monotonic()
        reply = b""
        for byte in b'{"v": 1, "op": "hello", "client": "' + b"x" * 60:
            try:
                conn.sendall(bytes([byte]))
                reply += conn.recv(4096)
            except TimeoutError:
                continue
            except OSError:  # the helper closed: its error frame waits to be read
                break
            if reply.endswith(b"\n"):
                break
        conn.settimeout(10)
        while not reply.endswith(b"\n") and (chunk := conn.recv(4096)):
            reply += chunk
        assert time.monotonic() - started < 30
    assert json.loads(reply)["code"] == protocol.BAD_FRAME


def test_a_hundred_simultaneous_connects_are_all_answered(helper: Helper) -> None:
    """Each gets its hello reply or a `busy` error: none is refused or left hanging."""

    def hello_once(_: int) -> str:
        frames = helper.raw((json.dumps(protocol.hello(__version__)) + "\n").encode(), 30)
        return frames[-1].get("code", "ok") if frames else "nothing"

    with ThreadPoolExecutor(100) as pool:
        outcomes = list(pool.map(hello_once, range(100)))
    assert set(outcomes) <= {"ok", protocol.BUSY} and outcomes.count("ok") >= 1, outcomes


def test_a_client_that_leaves_cancels_its_generation(helper: Helper) -> None:
    """The slow request would hold the model for 60 s; the next one is answered in time only
    because the first was cancelled when its client closed the connection."""
    conn = client.transport.connect(5)
    conn.sendall(good_request("slow 60 please"))
    time.sleep(0.5)
    conn.close()
    assert helper.ask("next please")["buffer"] == "echo next-please"
    deadline = time.monotonic() + 10
    while "cancelled (client left)" not in helper.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "cancelled (client left)" in helper.log()


def test_queued_requests_see_progress(helper: Helper) -> None:
    conn = client.transport.connect(5)
    conn.sendall(good_request("slow 3 first"))
    deadline = time.monotonic() + 10
    while not helper.hello()["busy"]:  # the first request holds the model
        assert time.monotonic() < deadline
        time.sleep(0.01)
    messages: list[str] = []
    frame = protocol.generate(__version__, "second", 6, "bash", "/tmp", "", "")
    reply = client.request(frame, timeout=30, on_progress=messages.append)
    conn.close()
    assert reply["buffer"] == "echo second" and messages == ["queued"]


def test_socket_and_directory_are_private(helper: Helper) -> None:
    run = helper.home / "run"
    assert stat.S_IMODE(run.stat().st_mode) == 0o700
    sock = run / "helper.sock"
    assert stat.S_ISSOCK(sock.stat().st_mode) and stat.S_IMODE(sock.stat().st_mode) == 0o600


def test_logs_and_the_pid_file_are_private(helper: Helper) -> None:
    """With log_requests the log holds what the user typed: it must be theirs alone."""
    state = helper.home / "state"
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    for path in (state / "daemon.log", state / "daemon-start.log", helper.home / "run/daemon.pid"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_the_peer_uid_is_seen(helper: Helper) -> None:
    with client.transport.connect(5) as conn:
        assert client.transport.peer_uid(conn) == os.getuid()


def test_a_stale_socket_is_replaced(isolated_home: Path, scripted_env: None) -> None:
    bind_dead_socket(isolated_home / "run" / "helper.sock")
    assert Helper(isolated_home).ask("after a crash")["buffer"] == "echo after-a-crash"


def test_a_live_helper_is_never_replaced(helper: Helper) -> None:
    pid = helper.hello()["pid"]
    result = run_cli("daemon", "run")  # a second helper finds the lock taken and leaves
    assert result.returncode == 0 and "already running" in result.stderr
    assert helper.hello()["pid"] == pid


def test_an_older_helper_is_restarted_by_a_newer_client(
    isolated_home: Path, scripted_env: None
) -> None:
    old = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "helpers" / "old_helper.py")],
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not client.transport.accepting():
        assert time.monotonic() < deadline and old.poll() is None, "the old helper did not start"
        time.sleep(0.05)
    helper = Helper(isolated_home)
    assert helper.ask("hello again")["buffer"] == "echo hello-again"
    assert old.wait(15) == 0  # it stopped itself after refusing our version
    assert helper.hello()["version"] == __version__
    assert f"stopping: client version {__version__}" in helper.log()


def test_idle_helper_exits(isolated_home: Path, scripted_env: None, monkeypatch) -> None:
    monkeypatch.setenv("CMDAI_IDLE_TIMEOUT", "1")
    Helper(isolated_home).ask("then idle")
    pid_file = isolated_home / "run" / "daemon.pid"
    deadline = time.monotonic() + 20
    while pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not pid_file.exists() and client.hello(1) is None
    assert "idle for 1 s" in Helper(isolated_home).log()


def test_files_in_the_users_directory_cannot_stand_in_for_the_standard_library(
    isolated_home: Path, scripted_env: None, monkeypatch, tmp_path: Path
) -> None:
    """The helper starts in the directory where Ctrl-G was pressed (and leaves it for / once
    running); a project's own json.py or numbers.py there (llama_cpp imports numbers through
    jinja2) must not replace the standard library's modules in it."""
    for name in ("json", "numbers", "logging", "selectors"):
        (tmp_path / f"{name}.py").write_text(f"raise ImportError('the user\\'s {name}.py')\n")
    monkeypatch.chdir(tmp_path)
    # `export PYTHONPATH=$PYTHONPATH:` leaves an empty entry: the current directory too
    monkeypatch.setenv("PYTHONPATH", os.environ["PYTHONPATH"] + os.pathsep)
    assert Helper(isolated_home).ask("from a project")["buffer"] == "echo from-a-project"


def test_the_helper_leaves_the_start_directory_and_relative_settings_keep_their_meaning(
    isolated_home: Path, scripted_env: None, monkeypatch, tmp_path: Path
) -> None:
    """The helper outlives the shell it started from: working in that directory, it kept the
    file system busy (`umount` of the USB stick where Ctrl-G was first pressed failed). It works
    in /; a relative model_dir still means the directory it was given in, on both sides."""
    stick = tmp_path / "stick"
    stick.mkdir()
    monkeypatch.chdir(stick)
    monkeypatch.setenv("CMDAI_MODEL_DIR", "models")
    helper = Helper(isolated_home)
    helper.ask("first", settings=client.settings_env())
    pid = helper.hello()["pid"]
    assert os.readlink(f"/proc/{pid}/cwd") == "/"
    monkeypatch.chdir(tmp_path)
    stick.rmdir()  # nothing holds it
    # the same relative value, sent from where it was set: the same settings, no restart
    same = {**client.settings_env(), "CMDAI_MODEL_DIR": str(stick / "models")}
    assert helper.ask("second", settings=same)["buffer"] == "echo second"
    assert helper.hello()["pid"] == pid
    # from another directory it means another model_dir: a helper with that one takes over
    helper.ask("third", settings=client.settings_env())
    assert helper.hello()["pid"] != pid


def test_helper_that_cannot_start_is_explained(isolated_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("CMDAI_N_THREADS", "many")
    with pytest.raises(client.HelperUnavailable) as caught:
        Helper(isolated_home).ask("anything")
    assert "the helper exited at start-up" in str(caught.value)
    assert "CMDAI_N_THREADS" in str(caught.value)


def test_missing_model_is_an_error_reply_and_fixable_without_restart(
    isolated_home: Path, monkeypatch, tmp_path: Path
) -> None:
    """The real llama.cpp backend path (no test double): the model is not in the cache."""
    monkeypatch.setenv("CMDAI_MODEL", "qwen2.5-coder-0.5b")
    monkeypatch.setenv("CMDAI_MODEL_DIR", str(tmp_path / "empty-cache"))
    with pytest.raises(client.HelperError) as caught:
        Helper(isolated_home).ask("list files")
    assert caught.value.code == protocol.MODEL
    assert "not downloaded" in caught.value.message and "cmdai model pull" in caught.value.hint
    assert client.hello(5)["state"] == "failed"  # and it still answers


def test_crash_mid_request_is_reported_and_the_next_request_restarts(helper: Helper) -> None:
    crashed = helper.hello()["pid"]
    with pytest.raises(client.BadReply) as caught:
        helper.ask("crash now")
    assert "hung up" in str(caught.value)
    wait_until_dead(crashed)
    assert helper.ask("after crash")["buffer"] == "echo after-crash"
    assert helper.hello()["pid"] != crashed


def test_garbage_from_the_model_is_a_generation_error(helper: Helper) -> None:
    with pytest.raises(client.HelperError) as caught:
        helper.ask("garbage please")
    assert caught.value.code == protocol.GENERATION


def test_a_critical_command_never_comes_back_as_the_line(helper: Helper) -> None:
    reply = helper.ask("danger zone")
    assert (reply["action"], reply["blocked"], reply["risk"]) == ("blocked", True, "critical")
    assert reply["buffer"] == "danger zone" and reply["command"] == "rm -rf /"
    assert reply["message"].startswith("will not write `rm -rf /` (critical risk: ")
    assert "your line is unchanged" in reply["message"]


def test_a_refusal_never_comes_back_as_the_line(helper: Helper) -> None:
    reply = helper.ask("refuse this please", session="r1")
    assert (reply["action"], reply["refused"], reply["blocked"]) == ("refused", True, False)
    assert reply["buffer"] == "refuse this please"
    assert reply["message"].startswith("the model declined this request as destructive")


@pytest.mark.parametrize(("request_text", "alternative"),
                         [("home dir", "ls -l ~"), ("refuse it", "echo not-refused")])  # fmt: skip
def test_after_a_block_or_refusal_pressing_again_gives_an_alternative(
    helper: Helper, request_text: str, alternative: str
) -> None:
    first = helper.ask(request_text, session="b1")
    assert first["action"] in ("blocked", "refused") and first["buffer"] == request_text
    second = helper.ask(request_text, session="b1")
    assert (second["action"], second["buffer"]) == ("insert", alternative)


def test_high_risk_comes_back_to_be_confirmed(helper: Helper) -> None:
    reply = helper.ask("risky business")
    assert (reply["action"], reply["buffer"]) == ("confirm", "rm -rf ./build")
    assert reply["message"] == "high risk: recursive delete; press Enter twice to run it"


def test_permissive_mode_inserts_high_risk_on_one_enter(
    isolated_home: Path, scripted_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CMDAI_SAFETY_MODE", "permissive")
    reply = Helper(isolated_home).ask("risky business")
    assert (reply["action"], reply["message"]) == ("insert", "high risk: recursive delete")


def test_validation_retry_happens_in_the_helper(helper: Helper) -> None:
    reply = helper.ask("broken tool")
    assert reply["buffer"] == "ls" and "syntax error" in reply["retry_reason"]
    assert f"note: asked again because {reply['retry_reason']}" in reply["message"]


def test_an_edit_cmdai_makes_itself_is_in_the_reply(helper: Helper) -> None:
    """The model is asked once; the line gets the edited command, and the message says why."""
    reply = helper.ask("follow app.log")
    assert reply["buffer"] == reply["command"] == "tail -f app.log"
    assert not reply["retry_reason"] and "`tail` does that with -f" in reply["repaired"]
    assert f"note: changed by cmdai: {reply['repaired']}" in reply["message"]


def test_a_missing_program_comes_with_its_warning(helper: Helper) -> None:
    reply = helper.ask("missing tool")
    assert (reply["buffer"], reply.get("retry_reason", "")) == ("fdx-nonexistent -e py", "")
    assert "warning: `fdx-nonexistent` is not installed" in reply["message"]


def test_relative_path_entries_are_looked_up_where_the_user_is(
    helper: Helper, tmp_path: Path
) -> None:
    """A program found through a relative PATH entry (`bin`, `.`, a stray colon's empty one) is
    installed for the user, wherever the helper runs."""
    tool = tmp_path / "bin" / "fdx-nonexistent"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    bin_dir = str(tmp_path / "bin")
    for cwd, path in ((str(tmp_path), "bin:/usr/bin"), (bin_dir, "/usr/bin:"),
                      (bin_dir, "/usr/bin:."), (str(tmp_path), "/usr/bin:./bin/../bin")):  # fmt: skip
        frame = protocol.generate(__version__, "missing tool", 12, "bash", cwd, path, "s")
        reply = client.request(frame, timeout=30)
        assert (reply["buffer"], reply.get("retry_reason", "")) == ("fdx-nonexistent -e py", "")


def test_pressing_again_cycles_alternatives_then_the_original(helper: Helper) -> None:
    shown = [helper.ask("find big files", session="tty1")]
    for _ in range(3):
        shown.append(helper.ask(shown[-1]["buffer"], session="tty1"))
    assert [r["buffer"] for r in shown] == [
        "echo find-big-files", "echo find-big-files 2", "echo find-big-files 3", "find big files"
    ]  # fmt: skip
    assert shown[1]["message"] == "alternative 2 of up to 3"
    assert shown[3]["message"].startswith("your original text")
    assert helper.ask("find big files", session="tty1")["buffer"] == "echo find-big-files"


def test_an_edited_suggestion_starts_a_new_request(helper: Helper) -> None:
    first = helper.ask("find big files", session="tty2")
    edited = helper.ask(first["buffer"] + " now", session="tty2")
    assert edited["buffer"] == "echo echo-find-big-files-now"


def test_alternatives_are_per_terminal(helper: Helper) -> None:
    helper.ask("list files", session="a")
    assert helper.ask("echo list-files", session="b")["buffer"] == "echo echo-list-files"


def test_no_new_alternative_gives_the_original_back(helper: Helper) -> None:
    first = helper.ask("same again", session="tty3")
    assert helper.ask(first["buffer"], session="tty3")["buffer"] == "same again"


def wait_until_prepared(helper: Helper, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while helper.hello()["preparing"]:
        assert time.monotonic() < deadline, "the next alternative was never prepared"
        time.sleep(0.05)


def test_the_original_text_comes_back_without_waiting_for_the_model(helper: Helper) -> None:
    """HelperScript takes 5 s for each alternative (and has none): the helper works that out
    while the user reads the suggestion, so the press that gives the text back asks the model
    nothing (HelperScript counts its calls)."""
    first = helper.ask("slowalt 5 find it", session="tty4")
    assert first["buffer"] == "echo first"
    wait_until_prepared(helper)
    calls = model_calls(helper.home)
    assert calls >= 2  # the suggestion, and the alternative prepared (none: a repeat)
    back = helper.ask("echo first", session="tty4")
    assert model_calls(helper.home) == calls
    assert (back["buffer"], back["alternative"]) == ("slowalt 5 find it", 0)
    assert back["message"] == "no other suggestion; your original text"


def test_preparing_an_alternative_gives_way_to_a_new_request(helper: Helper) -> None:
    """The alternative being prepared would take 300 s; another terminal's request is served
    at once, and the helper says it is not busy while it only prepares."""
    helper.ask("slowalt 300 find it", session="tty5")
    assert helper.hello()["busy"] is False
    started = time.monotonic()
    assert helper.ask("list files", session="tty6")["buffer"] == "echo list-files"
    assert time.monotonic() - started < 60


def test_request_text_is_not_logged_unless_asked(helper: Helper) -> None:
    helper.ask("secret project name")
    assert "secret" not in helper.log() and "generated" in helper.log()


def test_request_text_is_logged_with_log_requests(
    isolated_home: Path, scripted_env: None, monkeypatch
) -> None:
    monkeypatch.setenv("CMDAI_LOG_REQUESTS", "true")
    helper = Helper(isolated_home)
    helper.ask("visible words")
    assert "visible words" in helper.log()


def test_daemon_commands(helper: Helper) -> None:
    status = run_cli("daemon", "status")
    assert status.returncode == 0 and "state: ready" in status.stdout
    assert f"pid: {helper.hello()['pid']}" in status.stdout
    old_pid = helper.hello()["pid"]
    restarted = run_cli("daemon", "restart")
    assert restarted.returncode == 0, restarted.stderr
    assert helper.hello()["pid"] != old_pid
    logs = run_cli("daemon", "logs", "-n", "5")
    assert logs.returncode == 0 and len(logs.stdout.splitlines()) == 5
    stopped = run_cli("daemon", "stop")
    assert stopped.returncode == 0 and stopped.stdout.strip() == "helper stopped"
    not_running = run_cli("daemon", "status")
    assert not_running.returncode == 3 and "not running" in not_running.stdout
    assert run_cli("daemon", "stop").stdout.strip() == "helper not running"


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as another user")
def test_another_users_connection_is_refused(helper: Helper) -> None:
    """The 0700 directory already keeps other users out; open it up to reach the uid check."""
    run_dir = helper.home / "run"
    opened = [run_dir, *[p for p in run_dir.parents if p != Path("/") and p != Path("/tmp")]]
    modes = {path: path.stat().st_mode for path in opened}
    for path in opened:
        path.chmod(0o755)
    (run_dir / "helper.sock").chmod(0o666)
    probe = (
        # The helper refuses before it reads anything: just listen (sending first could meet
        # a closed connection under load).
        "import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); "
        "print(s.makefile().readline())"
    )
    python = "/usr/bin/python3"  # the venv's interpreter may live where nobody cannot read
    if not os.access(python, os.X_OK):
        pytest.skip("no system python3 for the other user")
    try:
        result = subprocess.run(
            [python, "-c", probe, str(run_dir / "helper.sock")],
            user=65534, capture_output=True, text=True, timeout=30, cwd="/",
        )  # fmt: skip
    finally:
        for path, mode in modes.items():
            path.chmod(stat.S_IMODE(mode))
    assert "this helper serves its own user only" in result.stdout, result.stderr
    assert helper.ask("still mine")["buffer"] == "echo still-mine"


def test_a_long_path_segment_does_not_stall_the_helper(helper: Helper) -> None:
    """Once the named-place check took exponential time on one long path segment (24
    characters: 1.75 s, doubling with each 2 more), holding the whole helper. The deadline is
    generous; with that regex this request would have taken hours."""
    request = "list the files in /var/log/nginx_access_archive_2024_backups_of_last_year*"
    long: dict = {}
    thread = threading.Thread(target=lambda: long.update(helper.ask(request, session="long")))
    thread.start()
    assert helper.ask("list files", session="other")["buffer"] == "echo list-files"
    thread.join(30)
    assert long["action"] == "insert"
