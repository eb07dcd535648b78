"""The backend registry inside a real helper: settings that change under it, a chain whose
first backend is down, and a backend that serves several requests at once. The model is
HelperScript (tests/helpers/scripted.py, the documented test double); the unreachable server is
a port nobody listens on."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from cmdai import client
from tests.helpers import fake_servers as fake
from tests.helpers.cli import run_cli
from tests.helpers.helper_process import Helper
from tests.test_hook import hook


def wait_for(check: Any, what: str, limit_s: float = 60) -> None:
    deadline = time.monotonic() + limit_s
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def test_changed_settings_apply_without_a_reload_unless_the_backend_changes(
    helper: Helper, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = helper.hello()["pid"]
    assert helper.ask("risky one")["action"] == "confirm"  # moderate: high risk asks twice
    monkeypatch.setenv("CMDAI_SAFETY_MODE", "strict")
    reply = helper.ask("risky one", session="other", settings=client.settings_env())
    assert reply["action"] == "blocked"  # strict blocks high risk: applied at once
    assert helper.hello()["pid"] == pid  # ... by the same helper, model still loaded
    monkeypatch.setenv("CMDAI_MODEL", "another-model")
    reply = helper.ask("say hi", session="third", settings=client.settings_env())
    assert reply["model"] == "another-model"  # a new helper, started with the new settings
    assert helper.hello()["pid"] != pid
    assert "settings differ" in helper.log() or "another-model" in helper.log()


def test_invalid_settings_from_a_client_are_its_error_and_the_helper_serves_on(
    helper: Helper,
) -> None:
    with pytest.raises(client.HelperError) as caught:
        helper.ask("say hi", settings={**client.settings_env(), "CMDAI_TEMPERATURE": "hot"})
    assert caught.value.code == "config"
    assert "env CMDAI_TEMPERATURE: invalid value 'hot'" in caught.value.message
    assert helper.ask("say hi")["command"] == "echo say-hi"


def test_the_chain_answers_from_the_next_backend_and_says_why(
    helper: Helper, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = fake.FakeServer()
    url = down.url
    down.close()
    monkeypatch.setenv("CMDAI_BACKEND", "openai,scripted")
    monkeypatch.setenv("CMDAI_OPENAI_BASE_URL", f"{url}/v1")
    result = hook("--shell", "bash", buffer="list files")
    assert result.returncode == 0 and result.stdout == b"echo list-files"
    assert (
        result.stderr.decode()
        == f"cmdai: via scripted: openai at {url}/v1 refused the connection\n"
    )
    status = helper.hello()
    assert [b["backend"] for b in status["backends"]] == ["openai", "scripted"]
    assert status["backends"][0]["skipped_for_s"] > 0 and status["answered"][0] == "scripted"
    assert "generated: insert (safe" in helper.log() and "by scripted (" in helper.log()


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (None, "refused the connection"),
        (fake.status(401), "rejected the API key (HTTP 401)"),
        (fake.sse_raw("{not json"), "sent a malformed reply"),
        (fake.cut_mid_reply("ls"), "closed the connection mid-reply"),
        (fake.sse_raw('{"choices": []}', "[DONE]"), "sent no choices"),
        (fake.sse_text("ls\u001b[2J; echo \u200bhi"), "hidden or control characters"),
        (fake.status(503), "failed: HTTP 503"),
        (fake.sleep_then(4, fake.sse_text("ls")), "did not answer within 1 s"),
    ],
)
def test_a_failing_server_never_costs_the_user_their_line(
    helper: Helper, monkeypatch: pytest.MonkeyPatch, script: Any, message: str
) -> None:
    server = fake.FakeServer()
    server.script("/v1/models", fake.models())
    if script is None:
        server.close()
    else:
        server.script("/v1/chat/completions", script)
    monkeypatch.setenv("CMDAI_BACKEND", "openai")
    monkeypatch.setenv("CMDAI_OPENAI_BASE_URL", f"{server.url}/v1")
    monkeypatch.setenv("CMDAI_OPENAI_GRAMMAR", "off")
    monkeypatch.setenv("CMDAI_OPENAI_READ_TIMEOUT", "1")
    try:
        result = hook("--shell", "zsh", buffer="list my files")
    finally:
        server.close()
    assert result.returncode not in (0, 9) and result.stdout == b""  # the widget keeps the line
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and message in lines[0], lines


def test_a_backend_with_capacity_serves_requests_at_once(
    helper: Helper, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CMDAI_BACKEND", "scripted_parallel")
    helper.ask("warm up", settings=client.settings_env())  # a helper with that backend
    replies: list[dict] = []

    def slow(session: str) -> None:
        replies.append(helper.ask("slow 3", session=session, settings=client.settings_env()))

    threads = [threading.Thread(target=slow, args=(s,)) for s in ("a", "b")]
    for thread in threads:
        thread.start()
    wait_for(lambda: helper.hello()["backends"][0]["serving"] == 2, "two requests served at once")
    for thread in threads:
        thread.join(60)
    assert [r["command"] for r in replies] == ["echo slept", "echo slept"]


def test_ctrl_c_in_the_shell_stops_the_servers_request(
    helper: Helper, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C reaches the hook (SIGINT), the hook leaves, the helper sees it gone and closes
    its connection to the server, which stops generating."""
    import os
    import signal
    import subprocess
    import sys

    server = fake.FakeServer()
    server.script("/v1/models", fake.models())
    server.script("/v1/chat/completions", fake.hang)
    monkeypatch.setenv("CMDAI_BACKEND", "openai")
    monkeypatch.setenv("CMDAI_OPENAI_BASE_URL", f"{server.url}/v1")
    env = {**os.environ, "CMDAI_BUFFER": "list my files"}
    process = subprocess.Popen(
        [sys.executable, "-m", "cmdai", "hook", "--shell", "bash"], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(lambda: server.requests("/v1/chat/completions"), "the request reached the server")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        assert (process.returncode, out) == (130, b""), err.decode()
        assert err.decode() == "cmdai: cancelled; your line is unchanged\n"
        assert server.disconnected.wait(30), "the server's request was never closed"
    finally:
        process.kill()
        server.close()


def test_the_helper_says_what_auto_chose_and_why(
    helper: Helper, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`auto` on this machine (Linux) is llama_cpp; its model is not downloaded in this home,
    so the chain's next backend answers and the status names both."""
    monkeypatch.setenv("CMDAI_BACKEND", "auto,scripted")
    result = hook("--shell", "bash", buffer="list files")
    assert result.returncode == 0 and result.stdout == b"echo list-files"
    assert "via scripted: model qwen2.5-coder-1.5b is not downloaded" in result.stderr.decode()
    status = helper.hello()
    assert (status["backend"], status["auto_reason"]) == ("llama_cpp", "not macOS on Apple Silicon")
    shown = run_cli("daemon", "status", env={"CMDAI_BACKEND": "auto,scripted"})
    assert "backend: llama_cpp (auto: not macOS on Apple Silicon)\n" in shown.stdout
    listed = run_cli("backends", env={"CMDAI_BACKEND": "auto,scripted"})
    assert listed.stdout.startswith(
        "configured (tried in this order; backend = auto chose llama_cpp: "
        "not macOS on Apple Silicon):\n"
    )


def test_a_failed_command_reaches_a_server_only_through_the_redactor(
    helper: Helper, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fix of a failed command is asked of a remote backend (a FakeServer, the documented
    test double) with the secret in it masked; the fix comes back with the secret in place."""
    secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789AB"
    server = fake.FakeServer()
    server.script("/v1/models", fake.models())
    server.script("/v1/chat/completions",
                  fake.sse_text("git push https://CMDAI_SECRET_1@github.com/a/b main"))  # fmt: skip
    monkeypatch.setenv("CMDAI_BACKEND", "openai")
    monkeypatch.setenv("CMDAI_OPENAI_BASE_URL", f"{server.url}/v1")
    monkeypatch.setenv("CMDAI_OPENAI_GRAMMAR", "off")
    failed = f"git psuh https://{secret}@github.com/a/b main"
    try:
        result = hook("--shell", "bash", buffer="", CMDAI_LAST_COMMAND=failed,
                      CMDAI_LAST_STATUS="1")  # fmt: skip
    finally:
        server.close()
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == f"git push https://{secret}@github.com/a/b main"
    sent = str(server.requests("/v1/chat/completions")[0].body)
    assert secret not in sent and "git psuh https://CMDAI_SECRET_1@github.com" in sent


def test_model_explain_asks_the_helpers_model_about_programs_without_docs(helper: Helper) -> None:
    """HelperScript describes the programs it is asked about (and `&&`, which is dropped)."""
    done = run_cli("explain", "--model-explain", "frobnicate --fast && ls -l")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "frobnicate: not installed here, and no documentation on this machine"
    assert "ls: list directory contents" in lines
    model = helper.hello()["model"]  # HelperScript answers as the configured model
    assert lines[-1] == (
        f"the model {model} says (not from the documentation here; it may be wrong): "
        "frobnicate: scripted words about frobnicate"
    )
    done = run_cli("explain", "--model-explain", "ls -l")  # all documented: not asked
    assert done.stdout.splitlines()[-1] == (
        "everything here is in this machine's documentation: the model was not asked"
    )
    assert f"with {model}'s words" in helper.log()
