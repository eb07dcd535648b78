"""The remote backends' failure paths, each against a local server that fails on cue
(tests/helpers/fake_servers.py, a documented test double). Each test is bounded in time by its
server's script; none depends on how fast this machine is, except that a Retry-After wait
must be at least as long as the server asked."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from cmdai.backends.openai import OpenAIBackend
from cmdai.backends.remote import retry_after
from cmdai.chain import Chain
from cmdai.config import load_config
from cmdai.errors import BackendError, BackendUnavailable, Cancelled, GenerationError
from cmdai.generate import generate
from cmdai.prompting import Context, build_messages
from tests.helpers import fake_servers as fake

CONTEXT = Context("bash", "Linux", "/tmp")
KEY = "sk-test-0123456789abcdefghijklmnop"


@pytest.fixture
def server() -> Iterator[fake.FakeServer]:
    server = fake.FakeServer()
    server.script("/v1/models", fake.models())
    yield server
    server.close()


def backend_for(server: fake.FakeServer, **options: object) -> OpenAIBackend:
    values = {"base_url": f"{server.url}/v1", "api_key": KEY, "model": "", "grammar": "auto",
              "read_timeout": 5.0} | options  # fmt: skip
    return OpenAIBackend(values)


def ask(backend: OpenAIBackend, **kwargs: object) -> str:
    messages = build_messages("list files", CONTEXT)
    return backend.complete(messages, max_tokens=32, temperature=0.0, **kwargs).text  # type: ignore[arg-type]


def test_a_streamed_reply_is_read_and_the_request_is_what_the_api_expects(server) -> None:
    server.script("/v1/chat/completions", fake.sse_text("ls", " -la"))
    assert ask(backend_for(server)) == "ls -la"
    (request,) = server.requests("/v1/chat/completions")
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.body["model"] == "fake-model"  # the first model the server lists
    assert request.body["stream"] is True and request.body["max_tokens"] == 32
    assert "grammar" not in request.body  # an unknown server gets no grammar field


@pytest.mark.parametrize(
    ("owner", "fields"),
    [
        ("llamacpp", {"grammar"}),
        ("me", {"grammar"}),
        ("vllm", {"guided_grammar", "structured_outputs"}),
    ],
)
def test_the_grammar_goes_where_the_server_takes_it(server, owner: str, fields: set[str]) -> None:
    server.script("/v1/models", fake.models(owned_by=owner))
    server.script("/v1/chat/completions", fake.sse_text("ls"))
    ask(backend_for(server))
    body = server.requests("/v1/chat/completions")[0].body
    assert fields <= set(body) and body["stop"] == ["\n"]
    server.seen.clear()
    ask(backend_for(server, grammar="off"))
    assert not fields & set(server.requests("/v1/chat/completions")[0].body)


def test_without_a_grammar_the_stream_ends_at_the_first_command_line(server) -> None:
    server.script(
        "/v1/chat/completions", fake.sse_text("```bash\n", "ls -la\n", "```\n", "This lists files.")
    )
    assert ask(backend_for(server)).startswith("```bash\nls -la\n")


def test_500_500_200_succeeds_on_the_third_attempt(server) -> None:
    server.script("/v1/chat/completions", fake.status(500), fake.status(500), fake.sse_text("ls"))
    assert ask(backend_for(server)) == "ls"
    assert len(server.requests("/v1/chat/completions")) == 3


def test_three_5xx_give_up_naming_the_url(server) -> None:
    server.script("/v1/chat/completions", fake.status(503))
    with pytest.raises(
        BackendUnavailable, match=r"openai at http://127\.0\.0\.1:\d+/v1 failed: HTTP 503"
    ):
        ask(backend_for(server))
    assert len(server.requests("/v1/chat/completions")) == 3


def test_429_retry_after_is_honoured(server) -> None:
    server.script(
        "/v1/chat/completions", fake.status(429, headers={"Retry-After": "1"}), fake.sse_text("ls")
    )
    assert ask(backend_for(server)) == "ls"
    first, second = server.requests("/v1/chat/completions")
    assert second.at - first.at >= 0.95  # waited as asked (a lower bound: never flaky)


def test_a_retry_after_longer_than_the_deadline_gives_up_at_once(server) -> None:
    server.script("/v1/chat/completions", fake.status(429, headers={"Retry-After": "120"}))
    with pytest.raises(BackendUnavailable, match="rate limiting"):
        ask(backend_for(server), deadline=time.monotonic() + 30)
    assert len(server.requests("/v1/chat/completions")) == 1


def test_401_is_one_sentence_without_the_key_and_no_retry(server) -> None:
    server.script("/v1/models", fake.status(401, {"error": {"message": f"bad key {KEY}"}}))
    with pytest.raises(BackendUnavailable) as caught:
        ask(backend_for(server))
    text = str(caught.value)
    assert "rejected the API key (HTTP 401)" in text and "CMDAI_OPENAI_API_KEY" in text
    assert KEY not in text
    assert len(server.seen) == 1


def test_other_4xx_is_not_retried(server) -> None:
    server.script(
        "/v1/chat/completions", fake.status(400, {"error": {"message": "max_tokens too large"}})
    )
    with pytest.raises(
        BackendError, match="refused the request: HTTP 400: max_tokens too large"
    ) as caught:
        ask(backend_for(server))
    assert not isinstance(caught.value, BackendUnavailable)
    assert len(server.requests("/v1/chat/completions")) == 1


def test_read_timeout(server) -> None:
    server.script("/v1/chat/completions", fake.sleep_then(3, fake.sse_text("ls")))
    with pytest.raises(BackendUnavailable, match=r"did not answer within 1 s.*raise read_timeout"):
        ask(backend_for(server, read_timeout=1.0))


def test_malformed_json_body(server) -> None:
    server.script("/v1/chat/completions", fake.sse_raw("{not json"))
    with pytest.raises(BackendError, match="sent a malformed reply") as caught:
        ask(backend_for(server))
    assert not isinstance(caught.value, BackendUnavailable)  # a bad reply: the chain stops here


def test_empty_choices(server) -> None:
    server.script("/v1/chat/completions", fake.sse_raw('{"choices": []}', "[DONE]"))
    with pytest.raises(GenerationError, match="sent no choices"):
        ask(backend_for(server))


def test_a_connection_dropped_before_the_reply_is_retried(server) -> None:
    def drop(handler: fake.Handler) -> None:
        handler.close_connection = True  # no status line at all: RemoteDisconnected

    server.script("/v1/chat/completions", drop, fake.sse_text("ls"))
    assert ask(backend_for(server)) == "ls"
    assert len(server.requests("/v1/chat/completions")) == 2


def test_the_server_closing_mid_reply(server) -> None:
    server.script("/v1/chat/completions", fake.cut_mid_reply("ls"))
    with pytest.raises(BackendUnavailable, match="closed the connection mid-reply"):
        ask(backend_for(server, grammar="off"))
    assert len(server.requests("/v1/chat/completions")) == 1  # a reply had begun: no retry


def test_connection_refused_is_unavailable_at_once() -> None:
    """Nothing listens there: no retry (a chain moves on without waiting)."""
    server = fake.FakeServer()
    url = server.url
    server.close()  # nothing listens there now
    backend = OpenAIBackend({"base_url": f"{url}/v1", "api_key": "", "model": "m", "grammar": "off",
                             "read_timeout": 5.0})  # fmt: skip
    with pytest.raises(
        BackendUnavailable, match=r"openai at http://127\.0\.0\.1:\d+/v1 refused the connection"
    ):
        ask(backend)


def test_ctrl_c_mid_request_closes_the_connection(server) -> None:
    """The caller's `cancelled` turns true while the server is still thinking: complete()
    raises Cancelled and the server sees the connection closed (so it stops generating)."""
    server.script("/v1/chat/completions", fake.hang)
    pressed = threading.Event()
    threading.Timer(0.3, pressed.set).start()
    with pytest.raises(Cancelled):
        ask(backend_for(server), cancelled=pressed.is_set)
    assert server.disconnected.wait(10), "the server never saw the client leave"


def test_secrets_in_the_request_do_not_reach_the_server_and_come_back_in_the_command(
    server,
) -> None:
    secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789AB"
    server.script(
        "/v1/chat/completions", fake.sse_text("git clone https://CMDAI_SECRET_1@github.com/a/b")
    )
    backend = backend_for(server)
    messages = build_messages(f"clone github.com/a/b with token {secret}", CONTEXT)
    reply = backend.complete(messages, max_tokens=32, temperature=0.0).text
    assert secret not in str(server.requests("/v1/chat/completions")[0].body)
    assert reply == f"git clone https://{secret}@github.com/a/b"


def test_retry_after_forms() -> None:
    assert retry_after("2") == 2.0
    assert retry_after(None) is None and retry_after("soon") is None
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: no wait


# --- the chain ----------------------------------------------------------------------------------


def chain_config(server_url: str, **env: str):  # type: ignore[no-untyped-def]
    return load_config({}, environ={
        "CMDAI_PLUGINS": "tests.helpers.scripted", "CMDAI_BACKEND": "openai,scripted",
        "CMDAI_OPENAI_BASE_URL": f"{server_url}/v1", "CMDAI_OPENAI_MODEL": "m", **env,
    })  # fmt: skip


def run_chain(chain: Chain, config, request: str = "list files"):  # type: ignore[no-untyped-def]
    def work(session):  # type: ignore[no-untyped-def]
        return generate(request, config, session, CONTEXT)

    return chain.run(work, progress=lambda _: None, cancelled=lambda: False)


def test_an_unavailable_backend_passes_the_request_on_and_is_skipped_for_a_while() -> None:
    server = fake.FakeServer()
    url = server.url
    server.close()
    config = chain_config(url)
    chain = Chain(config)
    generated, slot, skipped = run_chain(chain, config)
    assert slot.name == "scripted" and generated.command == "echo list-files"
    assert skipped == (f"openai at {url}/v1 refused the connection",)
    # The breaker is open: the next request does not wait for the dead server again.
    _, slot, skipped = run_chain(chain, config)
    assert slot.name == "scripted" and "not retried for a while" in skipped[0]
    assert chain.status()[0]["skipped_for_s"] > 0 and "refused" in chain.status()[0]["reason"]


def test_a_bad_reply_does_not_pass_the_request_on(server) -> None:
    server.script("/v1/chat/completions", fake.sse_raw("{not json"))
    config = chain_config(server.url)
    with pytest.raises(BackendError, match="malformed"):
        run_chain(Chain(config), config)


def test_when_no_backend_can_answer_every_reason_is_given() -> None:
    server = fake.FakeServer()
    url = server.url
    server.close()
    config = load_config({}, environ={
        "CMDAI_BACKEND": "openai,ollama", "CMDAI_OPENAI_BASE_URL": f"{url}/v1",
        "CMDAI_OPENAI_MODEL": "m", "CMDAI_OLLAMA_HOST": url,
    })  # fmt: skip
    with pytest.raises(BackendUnavailable) as caught:
        run_chain(Chain(config), config)
    assert str(caught.value).startswith(
        f"no backend could answer: openai at {url}/v1 refused the connection; "
        f"ollama at {url} refused the connection"
    )
