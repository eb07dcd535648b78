"""What a backend is: a BackendSpec (name, options, capabilities, `resolve`, `open`) and the
Session that `open` returns (messages in, one completion out). Every backend raises
BackendError (cmdai.errors) with a message that names what failed and how to fix it, and
BackendUnavailable when it cannot answer at all (so that a fallback chain tries the next one).

Nothing here imports a backend's libraries: a spec is data, and `open` imports what it needs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypedDict

if TYPE_CHECKING:
    from cmdai.config import Config


class Message(TypedDict):
    role: str  # "system", "user" or "assistant"
    content: str


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    # Why the reply is not whole: "length" (it hit max_tokens), "repeating" (stopped because
    # it repeated itself), "" when it ended by itself. Backends that cannot tell leave it
    # empty; generate() also compares completion_tokens with max_tokens.
    cut_off: str = ""


class Session(Protocol):
    """An opened backend: a loaded model, or a connection to a model server."""

    name: str  # the backend's name, as in config
    model: str  # the model that answers, as the user would name it

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        cancelled: Callable[[], bool] | None = None,
        deadline: float | None = None,
    ) -> Completion:
        """Generate the assistant's reply to `messages`. When `cancelled` is given it is polled
        while generating, and Cancelled (cmdai.errors) is raised as soon as it returns True.
        `deadline` (time.monotonic()) bounds the whole call, retries included."""
        ...

    def warm_up(self, messages: Sequence[Message]) -> None:
        """Get ready for requests that start with `messages` (the constant prompt prefix):
        evaluate and cache it, or ask a server to load the model. Failures are the caller's
        to log; the first real request meets and reports them."""
        ...

    def close(self) -> None:
        """Free the model's memory, or the connections."""
        ...


@dataclass(frozen=True)
class Capabilities:
    prefix_cache: bool = False  # keeps the evaluated prompt prefix: warm it up at start
    grammar: bool = False  # can hold the reply to a single line
    concurrency: int = 1  # requests it can serve at once
    needs_download: bool = False  # its model comes from cmdai's model store (`stored_model`)
    remote: bool = False  # requests leave the machine: opt-in, and redacted first


@dataclass(frozen=True)
class Option:
    """One backend option: `[backends.NAME] key = value` in config.toml, or CMDAI_NAME_KEY."""

    parse: Callable[[Any], Any]
    help: str
    default: Any = None
    secret: bool = False  # masked by `cmdai config`, never logged or put in a message
    env: tuple[str, ...] = ()  # other variables read when cmdai's own are unset (OPENAI_API_KEY)


@dataclass(frozen=True)
class Target:
    """What a configured backend will use, found without loading or contacting anything."""

    backend: str
    model: str
    location: str  # the model file, or the server's URL ("" when not known yet)


Options = Mapping[str, Any]


@dataclass(frozen=True)
class Probe:
    """`cmdai backends`: can this backend answer now, and how long a tiny request took."""

    ok: bool
    detail: str  # one line: "reachable, model qwen2.5-coder present" or why not
    latency_ms: int | None = None


@dataclass(frozen=True)
class BackendSpec:
    name: str
    summary: str  # one line for `cmdai backends`
    capabilities: Capabilities
    resolve: Callable[[Config, Options], Target]  # cheap: loads and contacts nothing
    open: Callable[[Config, Options], Session]  # loads the model / opens the connection
    probe: Callable[[Config, Options], Probe]
    options: Mapping[str, Option] = field(default_factory=dict)
    # `cmdai model pull` for a backend whose server fetches models itself (Ollama); the model
    # name is options["model"].
    pull: Callable[[Config, Options], None] | None = None
    # For a `needs_download` backend: the configured model, as `cmdai model` names it (a
    # registry id, an imported id, or a path): the first run and `cmdai model pull` fetch it.
    stored_model: Callable[[Config, Options], str] | None = None
