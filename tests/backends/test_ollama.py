"""The Ollama backend against FakeOllama (tests/helpers/fake_servers.py): a local HTTP server
that implements the documented endpoints and fields cmdai uses, because no Ollama binary can be
installed here. Through the real CLI where the user would meet it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from cmdai.backends.ollama import OllamaBackend, _host
from cmdai.errors import BackendUnavailable
from cmdai.prompting import Context, build_messages
from tests.helpers.cli import run_cli
from tests.helpers.fake_servers import FakeOllama

CONTEXT = Context("bash", "Linux", "/tmp")


@pytest.fixture
def ollama() -> Iterator[FakeOllama]:
    server = FakeOllama()
    yield server
    server.close()


def backend(server: FakeOllama, model: str = "qwen2.5-coder:1.5b") -> OllamaBackend:
    return OllamaBackend(
        {"host": server.url, "model": model, "keep_alive": "30m", "read_timeout": 5.0}
    )


def test_a_reply_streams_and_the_request_keeps_the_model_loaded(ollama) -> None:
    completion = backend(ollama).complete(
        build_messages("list files", CONTEXT), max_tokens=64, temperature=0.0
    )
    assert completion.text.strip() == "ls -la"
    (request,) = ollama.requests("/api/chat")
    assert request.body["keep_alive"] == "30m"  # Ollama would unload it after 5 minutes
    assert request.body["options"] == {"temperature": 0.0, "num_predict": 64}
    assert request.body["stream"] is True and request.body["model"] == "qwen2.5-coder:1.5b"


def test_a_model_that_is_not_pulled_says_how_to_pull_it(ollama) -> None:
    with pytest.raises(BackendUnavailable) as caught:
        backend(ollama, "llama3:8b").complete(
            build_messages("x", CONTEXT), max_tokens=8, temperature=0
        )
    assert str(caught.value) == (
        f"model llama3:8b is not pulled on {ollama.url} "
        "(run `ollama pull llama3:8b` (or `cmdai model pull` with this backend))"
    )


def test_warm_up_checks_the_model_and_asks_the_server_to_load_it(ollama) -> None:
    backend(ollama).warm_up([])
    assert [s.path for s in ollama.seen] == ["/api/tags", "/api/chat"]
    assert ollama.seen[-1].body == {
        "model": "qwen2.5-coder:1.5b",
        "messages": [],
        "keep_alive": "30m",
        "stream": False,
    }


def ollama_env(server: FakeOllama, model: str = "qwen2.5-coder:1.5b") -> dict[str, str]:
    return {"CMDAI_BACKEND": "ollama", "OLLAMA_HOST": server.url.removeprefix("http://"),
            "CMDAI_OLLAMA_MODEL": model}  # fmt: skip


def test_cmdai_json_answers_via_ollama(ollama) -> None:
    result = run_cli("--json", "--no-daemon", "list files", env=ollama_env(ollama))
    assert result.returncode == 0, result.stderr
    reply = json.loads(result.stdout)
    assert (reply["command"], reply["backend"], reply["model"]) == (
        "ls -la",
        "ollama",
        "qwen2.5-coder:1.5b",
    )


def test_model_pull_asks_the_server_with_progress(ollama) -> None:
    result = run_cli("model", "pull", "llama3:8b", env=ollama_env(ollama))
    assert result.returncode == 0, result.stderr
    assert "llama3:8b: pulling manifest" in result.stderr
    assert "pulling abc123: downloading" in result.stderr  # the progress bar's plain-line form
    assert result.stdout.strip() == f"llama3:8b is pulled on {ollama.url}"
    assert ollama.requests("/api/pull")[0].body == {"model": "llama3:8b", "stream": True}
    # Now it is there: a request with that model answers.
    assert (
        run_cli(
            "--print", "--no-daemon", "list files", env=ollama_env(ollama, "llama3:8b")
        ).returncode
        == 0
    )


def test_cmdai_backends_shows_the_state_and_fails_when_none_can_answer(ollama) -> None:
    result = run_cli("backends", env=ollama_env(ollama))
    assert result.returncode == 0, result.stderr
    assert "1. ollama: qwen2.5-coder:1.5b at " + ollama.url in result.stdout
    assert "ok, " in result.stdout and "reachable, model qwen2.5-coder:1.5b pulled" in result.stdout
    missing = run_cli("backends", env=ollama_env(ollama, "nope:1b"))
    assert missing.returncode == 6
    assert "model nope:1b is not pulled" in missing.stdout
    assert (
        missing.stderr.strip()
        == "cmdai: no configured backend can answer (see the reasons above, or `cmdai config`)"
    )


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("localhost", "http://localhost:11434"),
        ("0.0.0.0:8080", "http://0.0.0.0:8080"),
        ("https://gpu.example:443/", "https://gpu.example:443"),
    ],
)
def test_ollama_host_forms(raw: str, url: str) -> None:
    assert _host(raw) == url
