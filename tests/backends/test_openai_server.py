"""The OpenAI-compatible backend against a real server: llama-cpp-python's own
(`python -m llama_cpp.server`, from the `llama-cpp-python[server]` extra, started through
tests/helpers/llama_server.py so that it loads the model as cmdai does on a CPU with AMX)
serving the real Qwen2.5-Coder 0.5B model on 127.0.0.1, started with an API key. No test
double."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from cmdai import paths
from tests.helpers.cli import run_cli
from tests.test_hook import hook

pytestmark = pytest.mark.model
REPO = Path(__file__).resolve().parents[2]
KEY = "sk-cmdai-test-0123456789abcdefghij"
START_LIMIT_S = 900  # loading the model on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(
    small_model_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.llama_server", "--model", str(small_model_path),
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2",
             "--api_key", KEY],
            stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=REPO,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + START_LIMIT_S
        while True:
            assert process.poll() is None, f"the server exited:\n{log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, "the server did not start in time"
            try:
                if requests.get(
                    f"{url}/models", headers={"Authorization": f"Bearer {KEY}"}, timeout=5
                ).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        yield url, log
    finally:
        process.terminate()
        process.wait(30)


def server_env(url: str, key: str = KEY) -> dict[str, str]:
    return {"CMDAI_BACKEND": "openai", "CMDAI_OPENAI_BASE_URL": url, "CMDAI_OPENAI_API_KEY": key}


def test_cmdai_json_gets_a_plausible_command_from_the_server(llama_server) -> None:
    url, _ = llama_server
    result = run_cli(
        "--json", "--no-daemon", "list all files here, including hidden ones", env=server_env(url)
    )
    assert result.returncode == 0, result.stderr
    reply = json.loads(result.stdout)
    assert reply["backend"] == "openai" and reply["model"].endswith(".gguf")
    assert reply["command"].split()[0] in ("ls", "find"), reply


def test_the_hook_gets_a_command_through_the_helper_and_the_key_never_shows(
    llama_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = llama_server
    for name, value in {**server_env(url), "CMDAI_LOG_REQUESTS": "true"}.items():
        monkeypatch.setenv(name, value)
    result = hook(
        "--shell", "bash", buffer="show the disk usage of this directory", CMDAI_HOOK_TIMEOUT="900"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] in (b"du", b"df", b"ls"), result.stdout
    logs = "".join(p.read_text() for p in paths.state_dir().glob("daemon*.log*"))
    assert "by openai (" in logs  # the helper log says who answered
    config = run_cli("config")
    assert KEY not in logs and KEY not in config.stdout + config.stderr
    assert "backends.openai.api_key = " in config.stdout


def test_a_wrong_key_is_one_clear_sentence_and_not_retried(llama_server) -> None:
    url, log = llama_server
    before = log.read_text().count(" 401")
    result = run_cli(
        "--print", "--no-daemon", "list files", env=server_env(url, "sk-wrong-key-0000000000000000")
    )
    assert result.returncode == 6
    assert result.stderr.strip() == (
        f"cmdai: openai at {url} rejected the API key (HTTP 401) "
        "(set api_key in [backends.openai], or CMDAI_OPENAI_API_KEY or OPENAI_API_KEY)"
    )
    assert "sk-wrong" not in result.stderr
    deadline = time.monotonic() + 30  # the server's access log may lag behind its reply
    while log.read_text().count(" 401") == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert log.read_text().count(" 401") - before == 1
