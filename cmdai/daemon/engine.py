"""What the helper does with a generate request: load the backend once, serialise generation on
it, check the command's safety, and remember the last suggestion per terminal so that pressing
the key again offers the next alternative (up to MAX_ALTERNATIVES), then the original text.

A command that safety blocks, and the model's refusal, never go on the line: the reply keeps the
user's line and says why. High-risk commands (in the modes where the fallback asks for `yes`)
go on the line marked `confirm`, for the widget to ask for a second Enter.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cmdai import protocol
from cmdai.backends.base import Backend
from cmdai.config import Config
from cmdai.display import REFUSED_MESSAGE, blocked_message
from cmdai.errors import BackendError, Cancelled, CmdaiError
from cmdai.generate import Generated, generate
from cmdai.prompting import Context, build_messages, os_label
from cmdai.safety import Action, Risk, Verdict, action_for, classify

MAX_ALTERNATIVES = 3
MAX_TRIES = MAX_ALTERNATIVES + 2  # model answers per cycle, skipped refusals and blocks included
MAX_SESSIONS = 64  # terminals whose last suggestion is remembered
POLL_S = 0.05
log = logging.getLogger("cmdai.daemon")

Progress = Callable[[str], None]
IsCancelled = Callable[[], bool]


@dataclass
class Cycle:
    """What one request in one terminal has been offered, so that pressing the key again with
    the suggestion still on the line gives the next alternative, then the user's own text."""

    original: str  # the user's own text, given back after the last alternative
    shell: str
    cwd: str
    path: str
    tried: list[str] = field(default_factory=list)  # every command the model gave: not again
    offered: int = 0  # how many of them were put on the line
    shown: str = ""  # the exact line the shell has after the last reply
    ahead: Ahead | None = None  # the next step, prepared in the background

    def exhausted(self) -> bool:
        return self.offered >= MAX_ALTERNATIVES or len(self.tried) >= MAX_TRIES


class Ahead:
    """The next step of a cycle, prepared while the user reads the suggestion: the next
    alternative, or None when there is none (then the user's text comes back at once)."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.step: Generated | None = None
        self.ok = False  # False: cancelled or failed, so the next press asks the model itself


def _warm_up(backend: Backend) -> None:
    """Evaluate the constant prompt prefix (system prompt and examples) now: llama.cpp keeps
    it cached, so the first real request pays only for its own short tail (1.5B model: ~8 s
    of prefix on 2 cores, moved from the first Ctrl-G to the helper's start)."""
    context = Context(shell="bash", os_name=os_label(), cwd="/")
    try:
        backend.complete(build_messages("list files", context), max_tokens=1, temperature=0.0)
    except CmdaiError as exc:  # the first real request will meet and report it
        log.warning("warm-up failed: %s", exc)


class Engine:
    def __init__(self, config: Config, load: Callable[[Config], Backend]) -> None:
        self.config = config
        self._load = load
        self.backend: Backend | None = None
        self.load_error: CmdaiError | None = None
        self._model_lock = threading.Lock()  # one generation at a time on one local model
        self._cycles: OrderedDict[str, Cycle] = OrderedDict()
        self._cycles_lock = threading.Lock()
        self._counter_lock = threading.Lock()
        self._waiting = 0  # requests waiting for the model lock
        self._closing = False
        self.preparing = False  # the model is preparing an alternative ahead (gives way)
        self._model_lock.acquire()
        self._loader = threading.Thread(target=self._first_load, name="load", daemon=True)
        self._loader.start()

    @property
    def busy(self) -> bool:
        """The model is generating (or loading) for a request: a new one would queue."""
        return self._model_lock.locked() and not self.preparing

    @property
    def state(self) -> str:
        if self.backend is not None:
            return "ready"
        return "failed" if self.load_error else "loading"

    def _first_load(self) -> None:
        try:
            self._load_locked()
        finally:
            self._model_lock.release()  # taken in __init__, so no request can slip in first

    def _load_locked(self) -> None:
        """Load (and warm up) the backend; the caller holds the model lock."""
        started = time.perf_counter()
        try:
            backend = self._load(self.config)
            _warm_up(backend)
            self.backend = backend  # ready only now: requests wait on the lock meanwhile
            self.load_error = None
            seconds = time.perf_counter() - started
            log.info("model %s loaded in %.2f s", self.config.model, seconds)
        except CmdaiError as exc:
            self.load_error = exc
            log.error("model %s failed to load: %s", self.config.model, exc)
        except Exception as exc:  # llama.cpp and friends may raise anything
            self.load_error = BackendError(f"the backend failed to load: {exc}")
            log.exception("model %s failed to load", self.config.model)

    def close(self) -> None:
        self._closing = True  # an alternative being prepared stops at its next token
        with self._model_lock:
            if self.backend is not None:
                self.backend.close()
                self.backend = None

    # --- one request ------------------------------------------------------------------------

    def handle(
        self, request: protocol.Request, progress: Progress, cancelled: IsCancelled
    ) -> dict[str, Any]:
        """The result frame for a generate request (raises CmdaiError for an error frame)."""
        cycle = self._cycle_for(request)
        if cycle is None:
            cycle = Cycle(request.buffer, request.shell, request.cwd, request.path)
            reply = self._first_reply(cycle, request, progress, cancelled)
        else:
            step = self._next_step(cycle, progress, cancelled)
            reply = self._original_reply(cycle) if step is None else self._reply(cycle, step)
        cycle.shown = reply["buffer"]  # a blocked or refused reply keeps the line as it was
        if reply["alternative"] == 0:
            self._forget(request.session)
        elif request.session:
            self._remember(request.session, cycle)
            self._prepare_next(cycle)
        return reply

    def _cycle_for(self, request: protocol.Request) -> Cycle | None:
        """The cycle this press continues: same terminal, its last line unchanged, same place."""
        with self._cycles_lock:
            cycle = self._cycles.get(request.session) if request.session else None
        if cycle and request.buffer == cycle.shown and request.cwd == cycle.cwd:
            return cycle
        return None

    def _first_reply(
        self, cycle: Cycle, request: protocol.Request, progress: Progress, cancelled: IsCancelled
    ) -> dict[str, Any]:
        with self._model(progress, cancelled) as backend:
            generated = self._generate(backend, cycle, cancelled)
        cycle.tried.append(generated.command)
        if self._kept_off_the_line(cycle, generated):
            return self._kept_reply(cycle, generated, request.buffer)
        cycle.offered += 1
        return self._reply(cycle, generated)

    def _next_step(
        self, cycle: Cycle, progress: Progress, cancelled: IsCancelled
    ) -> Generated | None:
        """The next alternative, or None when there is none: prepared ahead if it could be."""
        ahead, cycle.ahead = cycle.ahead, None
        if ahead is not None:
            while not ahead.done.wait(POLL_S):
                if cancelled():
                    raise Cancelled("the request was cancelled while waiting")
            if ahead.ok:
                return ahead.step
        if cycle.exhausted():
            return None
        with self._model(progress, cancelled) as backend:
            return self._alternative(backend, cycle, cancelled)

    def _alternative(
        self, backend: Backend, cycle: Cycle, cancelled: IsCancelled
    ) -> Generated | None:
        """Ask for alternatives until one can go on the line: refusals and blocked commands are
        skipped, a repeat means the model has nothing new. Counts it as offered."""
        while not cycle.exhausted():
            generated = self._generate(backend, cycle, cancelled)
            if generated.command in cycle.tried:
                return None
            cycle.tried.append(generated.command)
            if self._kept_off_the_line(cycle, generated):
                continue
            cycle.offered += 1
            return generated
        return None

    def _generate(self, backend: Backend, cycle: Cycle, cancelled: IsCancelled) -> Generated:
        context = Context(shell=cycle.shell, os_name=os_label(), cwd=cycle.cwd)
        return generate(
            cycle.original, self.config, backend, context, cycle.path,
            avoid=cycle.tried, cancelled=cancelled,
        )  # fmt: skip

    # --- the next step, ahead of time -------------------------------------------------------

    def _prepare_next(self, cycle: Cycle) -> None:
        """Start on the next alternative now, so that pressing the key again (and getting the
        user's own text back after the last one) needs no wait. It runs only on an idle model
        and gives way at the next token to any request that wants the model."""
        if cycle.exhausted() or not self.config.prepare_alternatives:
            return
        if self.backend is None or not self._model_lock.acquire(blocking=False):
            return
        ahead = cycle.ahead = Ahead()
        self.preparing = True

        def give_way() -> bool:
            return self._waiting > 0 or self._closing

        def run() -> None:
            try:
                assert self.backend is not None
                ahead.step = self._alternative(self.backend, cycle, give_way)
                ahead.ok = True
            except CmdaiError as exc:
                log.debug("next alternative not prepared: %s", exc)
            except Exception:
                log.exception("preparing the next alternative failed")
            finally:
                self.preparing = False
                self._model_lock.release()
                ahead.done.set()

        threading.Thread(target=run, name="ahead", daemon=True).start()

    # --- the model --------------------------------------------------------------------------

    @contextlib.contextmanager
    def _model(self, progress: Progress, cancelled: IsCancelled) -> Iterator[Backend]:
        """The backend, with the model lock held: one generation at a time."""
        backend = self._wait_for_model(progress, cancelled)
        try:
            yield backend
        finally:
            self._model_lock.release()

    def _wait_for_model(self, progress: Progress, cancelled: IsCancelled) -> Backend:
        """The backend, with the model lock held by the caller's thread."""
        said = False
        with self._counter_lock:
            self._waiting += 1  # work prepared ahead gives way at once
        try:
            while not self._model_lock.acquire(timeout=POLL_S):
                if cancelled():
                    raise Cancelled("the request was cancelled while waiting")
                if not said and not self.preparing:  # preparing gives way within a token
                    loading = self.state == "loading"
                    progress(f"loading {self.config.model}" if loading else "queued")
                    said = True
        finally:
            with self._counter_lock:
                self._waiting -= 1
        if self.backend is None:  # the last load failed: the user may have fixed it since
            progress(f"loading {self.config.model}")
            self._load_locked()
            if self.backend is None:
                self._model_lock.release()
                raise self.load_error or BackendError("the backend failed to load")
        return self.backend

    # --- replies ----------------------------------------------------------------------------

    def _kept_off_the_line(self, cycle: Cycle, generated: Generated) -> bool:
        """A refusal, or a command the safety mode blocks: never put on the line."""
        return generated.refused or self._verdict(cycle, generated)[1] is Action.BLOCK

    def _verdict(self, cycle: Cycle, generated: Generated) -> tuple[Verdict, Action]:
        verdict = classify(generated.command, cycle.shell, self.config.safety_policy())
        return verdict, action_for(verdict, self.config.safety_mode)

    def _reply(self, cycle: Cycle, generated: Generated) -> dict[str, Any]:
        """A command for the line: inserted, or inserted to be confirmed by a second Enter."""
        verdict, action = self._verdict(cycle, generated)
        notes = []
        if verdict.level >= Risk.MODERATE:
            notes.append(f"{verdict.level.label} risk: {verdict.reason}")
        if action is Action.CONFIRM:
            notes[-1] += "; press Enter twice to run it"
        if generated.note:
            notes.append(generated.note)
        if cycle.offered > 1:
            notes.append(f"alternative {cycle.offered} of up to {MAX_ALTERNATIVES}")
        kind = "confirm" if action is Action.CONFIRM else "insert"
        return self._frame(cycle, generated, kind, generated.command, verdict, "; ".join(notes))

    def _kept_reply(self, cycle: Cycle, generated: Generated, line: str) -> dict[str, Any]:
        """Nothing runnable: the model refused, or the command is blocked. The line stays."""
        verdict, _ = self._verdict(cycle, generated)
        if generated.refused:
            kind, message = "refused", REFUSED_MESSAGE
        else:
            kind, message = "blocked", blocked_message(verdict, generated.command)
        hint = "; press the key again for an alternative" if not cycle.exhausted() else ""
        message = f"{message}; your line is unchanged{hint}"
        return self._frame(cycle, generated, kind, line, verdict, message)

    def _frame(
        self, cycle: Cycle, generated: Generated, kind: str, line: str, verdict: Verdict,
        message: str,
    ) -> dict[str, Any]:  # fmt: skip
        return protocol.result(
            action=kind, buffer=line, cursor=len(line), command=generated.command,
            risk=verdict.level.label, reason=verdict.reason, rule=verdict.rule,
            blocked=kind == "blocked", refused=kind == "refused", message=message,
            alternative=max(cycle.offered, 1), alternatives=MAX_ALTERNATIVES,
            latency_ms=generated.latency_ms, model=generated.model, backend=generated.backend,
            problem=generated.problem.as_json() if generated.problem else None,
            retry_reason=generated.retry_reason,
        )  # fmt: skip

    def _original_reply(self, cycle: Cycle) -> dict[str, Any]:
        """No (more) alternatives: the user's own words come back."""
        message = (
            "no other suggestion; your original text"
            if cycle.offered <= 1
            else "your original text (press the key again for a new suggestion)"
        )
        return protocol.result(
            action="insert", buffer=cycle.original, cursor=len(cycle.original), command="",
            risk="safe", reason="", rule="", blocked=False, refused=False, message=message,
            alternative=0, alternatives=MAX_ALTERNATIVES, latency_ms=0, model=self.config.model,
            backend=self.config.backend, problem=None, retry_reason="",
        )  # fmt: skip

    def _remember(self, session: str, cycle: Cycle) -> None:
        with self._cycles_lock:
            self._cycles[session] = cycle
            self._cycles.move_to_end(session)
            while len(self._cycles) > MAX_SESSIONS:
                self._cycles.popitem(last=False)

    def _forget(self, session: str) -> None:
        with self._cycles_lock:
            self._cycles.pop(session, None)
