"""What the helper does with a generate request: load the backend once, serialise generation on
it, check the command's safety, and remember the last suggestion per terminal so that pressing
the key again offers the next alternative (up to MAX_ALTERNATIVES), then the original text.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cmdai import protocol
from cmdai.backends.base import Backend
from cmdai.config import Config
from cmdai.errors import BackendError, Cancelled, CmdaiError
from cmdai.generate import Generated, generate
from cmdai.prompting import Context, build_messages, os_label
from cmdai.safety import Action, Risk, action_for, blocked_line, classify

MAX_ALTERNATIVES = 3
MAX_SESSIONS = 64  # terminals whose last suggestion is remembered
POLL_S = 0.05
log = logging.getLogger("cmdai.daemon")

Progress = Callable[[str], None]
IsCancelled = Callable[[], bool]


@dataclass
class Cycle:
    """The alternatives offered for one request in one terminal."""

    original: str  # the user's own text, given back after the last alternative
    shell: str
    cwd: str
    commands: list[str] = field(default_factory=list)
    shown: str = ""  # the exact line last handed to the shell


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
        self._model_lock.acquire()
        self._loader = threading.Thread(target=self._first_load, name="load", daemon=True)
        self._loader.start()

    @property
    def busy(self) -> bool:
        """The model is generating (or loading): a new request would queue."""
        return self._model_lock.locked()

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
        with self._model_lock:
            if self.backend is not None:
                self.backend.close()
                self.backend = None

    # --- one request ------------------------------------------------------------------------

    def handle(
        self, request: protocol.Request, progress: Progress, cancelled: IsCancelled
    ) -> dict[str, Any]:
        """The result frame for a generate request (raises CmdaiError for an error frame)."""
        with self._cycles_lock:
            cycle = self._cycles.get(request.session) if request.session else None
            if cycle and not (request.buffer == cycle.shown and request.cwd == cycle.cwd):
                cycle = None
        if cycle is None:
            cycle = Cycle(original=request.buffer, shell=request.shell, cwd=request.cwd)
        generated = self._next_command(cycle, request, progress, cancelled)
        if generated is None:  # no (more) alternatives: the user's own words come back
            self._forget(request.session)
            return protocol.result(
                buffer=cycle.original, cursor=len(cycle.original), command="", risk="safe",
                reason="", blocked=False, alternative=0, alternatives=len(cycle.commands),
                message="your original text (press the key again for a new suggestion)",
            )  # fmt: skip
        reply = self._result(cycle, generated)
        cycle.shown = reply["buffer"]
        self._remember(request.session, cycle)
        return reply

    def _next_command(
        self, cycle: Cycle, request: protocol.Request, progress: Progress, cancelled: IsCancelled
    ) -> Generated | None:
        if len(cycle.commands) >= MAX_ALTERNATIVES:
            return None
        generated = self._generate(cycle, request, progress, cancelled)
        if generated.command in cycle.commands:
            return None  # the model has nothing new to offer
        cycle.commands.append(generated.command)
        return generated

    def _generate(
        self, cycle: Cycle, request: protocol.Request, progress: Progress, cancelled: IsCancelled
    ) -> Generated:
        backend = self._wait_for_model(progress, cancelled)
        try:
            context = Context(shell=cycle.shell, os_name=os_label(), cwd=cycle.cwd)
            return generate(
                cycle.original, self.config, backend, context, request.path,
                avoid=cycle.commands, cancelled=cancelled,
            )  # fmt: skip
        finally:
            self._model_lock.release()

    def _wait_for_model(self, progress: Progress, cancelled: IsCancelled) -> Backend:
        """The backend, with the model lock held by the caller's thread."""
        said = False
        while not self._model_lock.acquire(timeout=POLL_S):
            if cancelled():
                raise Cancelled("the request was cancelled while waiting")
            if not said:
                progress(f"loading {self.config.model}" if self.state == "loading" else "queued")
                said = True
        if self.backend is None:  # the last load failed: the user may have fixed it since
            progress(f"loading {self.config.model}")
            self._load_locked()
            if self.backend is None:
                self._model_lock.release()
                raise self.load_error or BackendError("the backend failed to load")
        return self.backend

    def _result(self, cycle: Cycle, generated: Generated) -> dict[str, Any]:
        policy = self.config.safety_policy()
        verdict = classify(generated.command, cycle.shell, policy)
        blocked = action_for(verdict, self.config.safety_mode) is Action.BLOCK
        buffer = blocked_line(verdict, generated.command) if blocked else generated.command
        notes = []
        if blocked:
            notes.append(
                f"blocked ({verdict.level.label} risk: {verdict.reason}); Enter does nothing"
            )
        elif verdict.level >= Risk.MODERATE:
            notes.append(f"{verdict.level.label} risk: {verdict.reason}")
        if generated.note:
            notes.append(generated.note)
        if len(cycle.commands) > 1:
            notes.append(f"alternative {len(cycle.commands)} of up to {MAX_ALTERNATIVES}")
        return protocol.result(
            buffer=buffer, cursor=len(buffer), command=generated.command,
            risk=verdict.level.label, reason=verdict.reason, rule=verdict.rule, blocked=blocked,
            message="; ".join(notes), alternative=len(cycle.commands),
            alternatives=MAX_ALTERNATIVES, latency_ms=generated.latency_ms,
            model=generated.model, backend=generated.backend,
            problem=generated.problem.as_json() if generated.problem else None,
            retry_reason=generated.retry_reason,
        )  # fmt: skip

    def _remember(self, session: str, cycle: Cycle) -> None:
        if not session:
            return
        with self._cycles_lock:
            self._cycles[session] = cycle
            self._cycles.move_to_end(session)
            while len(self._cycles) > MAX_SESSIONS:
                self._cycles.popitem(last=False)

    def _forget(self, session: str) -> None:
        with self._cycles_lock:
            self._cycles.pop(session, None)
