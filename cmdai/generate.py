"""One generation, the same for every front end: context -> messages -> backend -> clean ->
validate (and on a problem, make the one edit its check knows or else ask once more with the
problem stated)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from cmdai.backends.base import Message, Session, Target
from cmdai.config import Config
from cmdai.errors import GenerationError, UsageError
from cmdai.prompting import (
    Context,
    alternative_messages,
    build_messages,
    clean_reply,
    is_refusal,
    relative_to_cwd,
    retry_messages,
)
from cmdai.protocol import MAX_BUFFER_CHARS
from cmdai.repetition import text_repeats
from cmdai.validate import Problem, validate

MAX_REQUEST_CHARS = MAX_BUFFER_CHARS  # one limit for the fallback command and the hook


@dataclass(frozen=True)
class Generated:
    command: str
    backend: str
    model: str
    latency_ms: int
    prompt_tokens: int
    completion_tokens: int
    problem: Problem | None = None  # what validation still found wrong, if anything
    cut_off: str = ""  # "length" or "repeating": the reply did not end by itself
    retry_reason: str = ""  # why the first answer was rejected and the model asked again
    first_command: str = ""  # the model's answer, when cmdai asked again or edited it
    repaired: str = ""  # the problem cmdai put right itself with one edit (see _edited)
    skipped: tuple[str, ...] = ()  # why backends before this one in the chain did not answer

    @property
    def refused(self) -> bool:
        """The model declined the request (its refusal is never put on a line or run)."""
        return is_refusal(self.command)

    @property
    def retried(self) -> bool:
        return bool(self.retry_reason)

    @property
    def warning(self) -> str:
        return self.problem.message if self.problem else ""

    @property
    def note(self) -> str:
        """One line for the user when the command is not what the model first said, or is flawed."""
        changed = f"changed by cmdai: {self.repaired}" if self.repaired else ""
        if self.problem:
            return f"warning: {self.problem.message}" + (f"; {changed}" if changed else "")
        if changed:
            return f"note: {changed}"
        if self.retry_reason:
            return f"note: asked again because {self.retry_reason}"
        return self.via

    @property
    def via(self) -> str:
        """Who answered, when it was not the first backend of the chain, and why."""
        return f"via {self.backend}: {'; '.join(self.skipped)}" if self.skipped else ""

    def as_json(self) -> dict[str, object]:
        return {
            "command": self.command,
            "backend": self.backend,
            "model": self.model,
            "latency_ms": self.latency_ms,
            "warning": self.warning,
            "retried": self.retried,
            "retry_reason": self.retry_reason,
            "repaired": self.repaired,
            "skipped": list(self.skipped),
        }


def open_backend(config: Config, name: str | None = None) -> Session:
    """Open one configured backend (the first of the chain by default) in this process."""
    spec = config.spec(name or config.backend[0])
    return spec.open(config, config.options(spec.name))


def backend_target(config: Config, name: str | None = None) -> Target:
    """What a backend will use (its model file or server), found without loading anything."""
    spec = config.spec(name or config.backend[0])
    return spec.resolve(config, config.options(spec.name))


def ensure_model(config: Config) -> None:
    """Download the model now, with a progress bar, if the first backend runs a model from the
    store that is not cached yet (the helper never downloads; a server has its own models)."""
    spec = config.spec(config.backend[0])
    if spec.capabilities.needs_download and spec.stored_model is not None:
        from cmdai.models.pull import resolve_model

        resolve_model(spec.stored_model(config, config.options(spec.name)), config,
                      backend=spec.name)  # fmt: skip


def check_request(request: str) -> str:
    text = request.strip()
    if not text:
        raise UsageError("the request is empty", 'say what you want, e.g. cmdai "list big files"')
    if len(text) > MAX_REQUEST_CHARS:
        raise UsageError(
            f"the request is {len(text):,} characters long; the limit is {MAX_REQUEST_CHARS:,}",
            "describe the command in a sentence or two",
        )
    if "\x00" in text:
        raise UsageError("the request contains a NUL byte", "remove binary data from the request")
    return text


def generate(
    request: str,
    config: Config,
    backend: Session,
    context: Context,
    path: str | None = None,
    *,
    avoid: Sequence[str] = (),
    cancelled: Callable[[], bool] | None = None,
    deadline: float | None = None,
) -> Generated:
    """One command for `request`. `path` is the user's PATH for the installed-program check;
    `avoid` lists commands already offered, when the user asks for an alternative; `cancelled`
    and `deadline` are passed on to the backend (see Session.complete)."""
    request = check_request(request)
    ask = functools.partial(_complete, config=config, backend=backend, context=context,
                            request=request, cancelled=cancelled, deadline=deadline)  # fmt: skip
    messages = alternative_messages(build_messages(request, context, backend.model), avoid)
    first = ask(messages)
    check = functools.partial(_check, config=config, context=context, path=path,
                              request=request)  # fmt: skip
    if first.refused:  # a refusal needs no second opinion
        return first
    problem = check(first)
    if problem is None:
        return first
    if problem.kind == "missing":
        # Nothing else is wrong (validate reports a missing program last): the command is right
        # for a machine that has the program. Asked again, the models swapped a right command
        # for a wrong one (`traceroute github.com` -> `ip route get github.com`, `pdftk` -> a cp
        # that overwrote an input) and never for a right one in the published runs; the user
        # can install the program, or press the key again for another way.
        return replace(first, problem=problem)
    if edited := _edited(first, problem, check):
        return edited  # the check knew the whole fix: no need to ask the model again
    try:
        second = ask(retry_messages(messages, first.command, problem.message, problem.kind))
    except GenerationError:  # the retry said nothing usable: keep the first answer
        second = None
    if second and second.refused:
        if problem.kind == "mismatch":
            # The command worked on another place than the one named (`rm -rf /c` for "wipe
            # drive C"); reminded, the model declines: nothing runnable beats the wrong place.
            return replace(second, latency_ms=first.latency_ms + second.latency_ms,
                           retry_reason=problem.message, first_command=first.command)  # fmt: skip
        second = None  # a refusal is no fix for a command that was not refused
    second_problem = check(second) if second else None
    best, best_problem = first, problem
    if second and _rank(second_problem) < _rank(problem):
        best, best_problem = second, second_problem
    spent = first.latency_ms + (second.latency_ms if second else 0)
    kept = replace(best, problem=best_problem, retry_reason=problem.message, latency_ms=spent,
                   first_command=first.command)  # fmt: skip
    return _edited(kept, best_problem, check) or kept


def _edited(
    answer: Generated, problem: Problem | None, check: Callable[[Generated], Problem | None]
) -> Generated | None:
    """The answer with its problem put right by the one edit the check that found it knows
    (`sleep 10m` for `sleep 10` and "wait 10 minutes", `docker logs -f` for "follow the
    logs"), or None. The edited command must pass every check (a program that is not installed
    aside): an edit that landed elsewhere, or that brings a problem of its own, is dropped. On
    the published answers, editing the first answer lost no case the model's retry passed and
    kept what the model got right (`journalctl -f -u cron`, where the retry wrote
    `journalctl -f`); where no edit is known the model is asked again, as before."""
    if problem is None or not problem.fix or not problem.fix.isprintable():
        return None  # what you see must be what runs, whatever an edit was made of
    edited = replace(answer, command=problem.fix)
    left = check(edited)
    if left is not None and left.kind != "missing":
        return None
    return replace(edited, problem=left, repaired=problem.message,
                   first_command=answer.first_command or answer.command)  # fmt: skip


def _check(
    generated: Generated, *, config: Config, context: Context, path: str | None, request: str
) -> Problem | None:
    """What is wrong with an answer: cut off (always checked: such a reply is never whole),
    then, unless validation is off, what validate() finds."""
    if generated.cut_off == "repeating":
        return Problem("runaway", "the reply kept repeating itself and was stopped")
    if generated.cut_off == "length":
        return Problem("runaway", f"the reply was cut off at {config.max_tokens} tokens")
    if not config.validate:
        return None
    return validate(generated.command, context.shell, context.cwd, path, request)


def _rank(problem: Problem | None) -> int:
    """Lower is better: a missing program can be installed and a place the command ignores can
    be typed in, but a syntax error cannot run at all. On a tie the first answer stays."""
    ranks = {None: 0, "mismatch": 1, "file": 1, "program": 1, "detail": 1, "missing": 1,
             "option": 2, "usage": 2, "syntax": 2, "runaway": 3}  # fmt: skip
    return ranks[problem.kind if problem else None]


def _complete(
    messages: list[Message],
    *,
    config: Config,
    backend: Session,
    context: Context,
    request: str,
    cancelled: Callable[[], bool] | None,
    deadline: float | None,
) -> Generated:
    started = time.perf_counter()
    completion = backend.complete(
        messages,
        max_tokens=config.max_tokens,
        temperature=config.temperature,
        cancelled=cancelled,
        deadline=deadline,
    )
    latency_ms = round((time.perf_counter() - started) * 1000)
    command = relative_to_cwd(clean_reply(completion.text), context.cwd, request)
    if any(not ch.isprintable() for ch in command):  # what you see must be what runs
        from cmdai.display import visible

        raise GenerationError(
            f"the model's command holds hidden or control characters: {visible(command, 80)}",
            "rephrase the request and try again",
        )
    cut_off = completion.cut_off
    if not cut_off and completion.completion_tokens >= config.max_tokens:
        cut_off = "length"  # a backend that does not say: it used every token it had
    if not cut_off and text_repeats(command):
        cut_off = "repeating"  # a server's reply, checked after the fact
    return Generated(
        command=command,
        backend=backend.name,
        model=backend.model,
        latency_ms=latency_ms,
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        cut_off=cut_off,
    )
