"""What the helper does with a generate request: load the backend once, serialise generation on
it, check the command's safety, and remember the last suggestion per terminal so that pressing
the key again offers the next alternative (up to MAX_ALTERNATIVES), then the original text.

A command that safety blocks, and the model's refusal, never go on the line: the reply keeps the
user's line and says why. High-risk commands (in the modes where the fallback asks for `yes`)
go on the line marked `confirm`, for the widget to ask for a second Enter.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from cmdai import fix, protocol
from cmdai.backends.base import Session
from cmdai.chain import Chain, Slot
from cmdai.config import Config
from cmdai.display import REFUSED_MESSAGE, blocked_message, visible
from cmdai.errors import Cancelled, CmdaiError
from cmdai.generate import Generated, generate
from cmdai.prompting import Context, build_messages, describe_messages, os_label
from cmdai.safety import Action, Risk, Verdict, action_for, classify

MAX_ALTERNATIVES = 3
MAX_TRIES = MAX_ALTERNATIVES + 2  # model answers per cycle, skipped refusals and blocks included
MAX_SESSIONS = 64  # terminals whose last suggestion is remembered
POLL_S = 0.05
DESCRIBE_TOKENS = 120  # the model's description of programs without docs: one line
DESCRIBE_CHARS = 400
log = logging.getLogger("cmdai.daemon")

Progress = Callable[[str], None]
IsCancelled = Callable[[], bool]
Step = TypeVar("Step")


@dataclass
class Cycle:
    """What one request in one terminal has been offered, so that pressing the key again with
    the suggestion still on the line gives the next alternative, then the user's own text."""

    original: str  # the user's own text, given back after the last alternative
    shell: str
    cwd: str
    path: str
    failed: str = ""  # the command being fixed, on an empty line after it failed
    ask: str = ""  # what the model is asked then, with what was found out
    found: list[str] = field(default_factory=list)  # fixes found without the model, offered first
    reason: str = ""  # what went wrong with the command being fixed, for the first reply
    tried: list[str] = field(default_factory=list)  # every command the model gave: not again
    offered: int = 0  # how many of them were put on the line
    shown: str = ""  # the exact line the shell has after the last reply
    ahead: Ahead | None = None  # the next step, prepared in the background
    slot: Slot | None = None  # the backend that answered last: it prepares the next step
    deadline: float | None = None  # when the client stops waiting (time.monotonic())

    def exhausted(self) -> bool:
        return self.offered >= MAX_ALTERNATIVES or len(self.tried) >= MAX_TRIES


def _deadline(request: protocol.Request) -> float | None:
    """When the client stops waiting: remote backends bound their retries by it."""
    return time.monotonic() + request.timeout if request.timeout else None


class Ahead:
    """The next step of a cycle, prepared while the user reads the suggestion: the next
    alternative, or None when there is none (then the user's text comes back at once)."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.step: Generated | None = None
        self.ok = False  # False: cancelled or failed, so the next press asks the model itself


def _warm_up(session: Session) -> None:
    """Get the session ready for the constant prompt prefix (system prompt and examples): a
    local model evaluates and caches it, so the first real request pays only for its own short
    tail (1.5B model: most of a cold start); a server may load the model."""
    context = Context(shell="bash", os_name=os_label(), cwd="/")
    try:
        session.warm_up(build_messages("list files", context, session.model))
    except CmdaiError as exc:  # the first real request will meet and report it
        log.warning("warm-up of %s failed: %s", session.name, exc)


class Engine:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.chain = Chain(config)
        self._cycles: OrderedDict[str, Cycle] = OrderedDict()
        self._cycles_lock = threading.Lock()
        self._closing = False
        self.preparing = False  # a backend is preparing an alternative ahead (gives way)
        self.answered: tuple[str, str] | None = None  # (backend, model) of the last answer
        first = self.chain.slots[0]
        self._loader = threading.Thread(
            target=first.open_now, args=(_warm_up,), name="load", daemon=True
        )
        self._loader.start()

    @property
    def busy(self) -> bool:
        """A backend serves as many requests as it can at once: a new one would queue."""
        return any(slot.busy for slot in self.chain.slots)

    @property
    def state(self) -> str:
        states = [slot.state for slot in self.chain.slots]
        if "ready" in states:
            return "ready"
        return "failed" if states[0] == "failed" else "loading"

    @property
    def load_error(self) -> CmdaiError | None:
        return self.chain.slots[0].load_error

    def close(self) -> None:
        self._closing = True  # an alternative being prepared stops at its next token
        self.chain.close()

    # --- one request ------------------------------------------------------------------------

    def handle(
        self, request: protocol.Request, progress: Progress, cancelled: IsCancelled
    ) -> dict[str, Any]:
        """The result frame for a generate request (raises CmdaiError for an error frame)."""
        cycle = self._cycle_for(request)
        if cycle is None:
            cycle = self._new_cycle(request)
            cycle.deadline = _deadline(request)
            reply = self._first_reply(cycle, request, progress, cancelled)
        else:
            cycle.deadline = _deadline(request)
            step = self._next_step(cycle, progress, cancelled)
            reply = self._original_reply(cycle) if step is None else self._reply(cycle, step)
        cycle.shown = reply["buffer"]  # a blocked or refused reply keeps the line as it was
        if reply["alternative"] == 0:
            self._forget(request.session)
        elif request.session:
            self._remember(request.session, cycle)
            self._prepare_next(cycle)
        return reply

    def _new_cycle(self, request: protocol.Request) -> Cycle:
        """A cycle for the user's text, or, on an empty line after a failed command, for fixes
        of that command: those found on this machine first, then the model's."""
        cycle = Cycle(request.buffer, request.shell, request.cwd, request.path)
        command, status = request.last_command, request.last_status
        if not request.buffer.strip() and fix.worth_fixing(command, status):
            found = fix.diagnose(command, status, request.cwd, request.path)
            cycle.failed, cycle.reason = command, found.reason
            cycle.ask, cycle.found = found.request(command, status), list(found.fixes)
        return cycle

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
        if cycle.failed:
            return self._first_fix(cycle, progress, cancelled)

        def work(session: Session) -> Generated:
            return self._generate(session, cycle, cancelled)

        generated = self._run(cycle, work, progress, cancelled)
        cycle.tried.append(generated.command)
        if self._kept_off_the_line(cycle, generated):
            return self._kept_reply(cycle, generated, request.buffer)
        cycle.offered += 1
        return self._reply(cycle, generated)

    def _first_fix(
        self, cycle: Cycle, progress: Progress, cancelled: IsCancelled
    ) -> dict[str, Any]:
        """A fix found on this machine, else the model's (never the failed command again), else
        the empty line back with what was found."""
        generated = self._found_fix(cycle)
        if generated is None:

            def work(session: Session) -> Generated | None:
                return self._alternative(session, cycle, cancelled)

            generated = self._run(cycle, work, progress, cancelled)
        return self._original_reply(cycle) if generated is None else self._reply(cycle, generated)

    def _next_step(
        self, cycle: Cycle, progress: Progress, cancelled: IsCancelled
    ) -> Generated | None:
        """The next alternative, or None when there is none: prepared ahead if it could be."""
        if found := self._found_fix(cycle):
            return found
        ahead, cycle.ahead = cycle.ahead, None
        if ahead is not None:
            while not ahead.done.wait(POLL_S):
                if cancelled():
                    raise Cancelled("the request was cancelled while waiting")
            if ahead.ok:
                return ahead.step
        if cycle.exhausted():
            return None

        def work(session: Session) -> Generated | None:
            return self._alternative(session, cycle, cancelled)

        return self._run(cycle, work, progress, cancelled)

    def _run(
        self, cycle: Cycle, work: Callable[[Session], Step], progress: Progress,
        cancelled: IsCancelled,
    ) -> Step:  # fmt: skip
        """`work` done by the first backend of the chain that can; remembers who did it."""
        result, slot, skipped = self.chain.run(
            work, progress, cancelled, _warm_up, says_queued=lambda: not self.preparing
        )
        cycle.slot = slot
        if isinstance(result, Generated):  # the model the session used (a server may name it)
            self.answered = (result.backend, result.model)
            if skipped:
                result = replace(result, skipped=skipped)  # type: ignore[assignment]
        return result

    def _alternative(
        self, backend: Session, cycle: Cycle, cancelled: IsCancelled
    ) -> Generated | None:
        """Ask for alternatives until one can go on the line: refusals and blocked commands are
        skipped, a repeat means the model has nothing new. Counts it as offered."""
        while not cycle.exhausted():
            generated = self._generate(backend, cycle, cancelled)
            if generated.command in cycle.tried or generated.command == cycle.failed:
                return None
            cycle.tried.append(generated.command)
            if self._kept_off_the_line(cycle, generated):
                continue
            cycle.offered += 1
            return generated
        return None

    def _found_fix(self, cycle: Cycle) -> Generated | None:
        """The next fix found without the model (answered by "cmdai" itself), or None."""
        while cycle.found:
            command = cycle.found.pop(0)
            if command in cycle.tried or command == cycle.failed:
                continue
            cycle.tried.append(command)
            generated = Generated(command, "cmdai", "", 0, 0, 0)
            if not self._kept_off_the_line(cycle, generated):  # `rn -rf /` is no typo to fix
                cycle.offered += 1
                return generated
        return None

    def _generate(self, backend: Session, cycle: Cycle, cancelled: IsCancelled) -> Generated:
        context = Context(shell=cycle.shell, os_name=os_label(), cwd=cycle.cwd)
        return generate(
            cycle.ask or cycle.original, self.config, backend, context, cycle.path,
            avoid=cycle.tried, cancelled=cancelled, deadline=cycle.deadline,
        )  # fmt: skip

    def describe(
        self, line: str, programs: Sequence[str], progress: Progress, cancelled: IsCancelled
    ) -> tuple[str, str]:
        """The model's words on what `programs` do in `line` (one line, every control character
        written as an escape), and the model that said them."""

        def work(session: Session) -> str:
            try:
                messages = describe_messages(line, programs)
                return session.complete(
                    messages, max_tokens=DESCRIBE_TOKENS, temperature=0.0, cancelled=cancelled
                ).text
            finally:
                _warm_up(session)  # the next Ctrl-G finds its prompt prefix in place again

        text, slot, _ = self.chain.run(work, progress, cancelled, _warm_up)
        first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
        # Only what was asked: models like to go on about `&&` and `;` too.
        asked = [part.strip() for part in first.split("; ")
                 if part.partition(":")[0].strip(" `") in programs]  # fmt: skip
        return visible("; ".join(asked), DESCRIBE_CHARS), slot.target.model

    # --- the next step, ahead of time -------------------------------------------------------

    def _prepare_next(self, cycle: Cycle) -> None:
        """Start on the next alternative now, so that pressing the key again (and getting the
        user's own text back after the last one) needs no wait. Only on a local model (a server
        would bill or queue work nobody may use), only while it is idle, and it gives way at
        the next token to any request that wants the model."""
        slot = cycle.slot
        if cycle.exhausted() or not self.config.prepare_alternatives or slot is None:
            return
        if not slot.spec.capabilities.prefix_cache or not slot.try_turn():
            return
        ahead = cycle.ahead = Ahead()
        self.preparing = True

        def give_way() -> bool:
            return slot.waiting > 0 or self._closing

        def run() -> None:
            try:
                assert slot.session is not None
                cycle.deadline = None  # nobody waits on this one: give_way bounds it
                ahead.step = self._alternative(slot.session, cycle, give_way)
                ahead.ok = True
            except CmdaiError as exc:
                log.debug("next alternative not prepared: %s", exc)
            except Exception:
                log.exception("preparing the next alternative failed")
            finally:
                self.preparing = False
                slot.end_turn()
                ahead.done.set()

        threading.Thread(target=run, name="ahead", daemon=True).start()

    # --- replies ----------------------------------------------------------------------------

    def _kept_off_the_line(self, cycle: Cycle, generated: Generated) -> bool:
        """A refusal, or a command the safety mode blocks: never put on the line."""
        return generated.refused or self._verdict(cycle, generated)[1] is Action.BLOCK

    def _verdict(self, cycle: Cycle, generated: Generated) -> tuple[Verdict, Action]:
        policy = self.config.safety_policy()
        verdict = classify(generated.command, cycle.shell, policy, cwd=cycle.cwd)
        return verdict, action_for(verdict, self.config.safety_mode)

    def _reply(self, cycle: Cycle, generated: Generated) -> dict[str, Any]:
        """A command for the line: inserted, or inserted to be confirmed by a second Enter."""
        verdict, action = self._verdict(cycle, generated)
        notes = [cycle.reason] if cycle.failed and cycle.offered <= 1 else []
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
            retry_reason=generated.retry_reason, repaired=generated.repaired,
            skipped=list(generated.skipped),
        )  # fmt: skip

    def _original_reply(self, cycle: Cycle) -> dict[str, Any]:
        """No (more) alternatives: the user's own words come back."""
        if cycle.failed:
            message = (
                f"{cycle.reason}; no fix found" if cycle.offered == 0
                else "no other fix; the line is empty again"
            )  # fmt: skip
        elif cycle.offered <= 1:
            message = "no other suggestion; your original text"
        else:
            message = "your original text (press the key again for a new suggestion)"
        return protocol.result(
            action="insert", buffer=cycle.original, cursor=len(cycle.original), command="",
            risk="safe", reason="", rule="", blocked=False, refused=False, message=message,
            alternative=0, alternatives=MAX_ALTERNATIVES, latency_ms=0,
            model=cycle.slot.target.model if cycle.slot else self.config.model,
            backend=cycle.slot.name if cycle.slot else self.config.backend[0],
            problem=None, retry_reason="", repaired="", skipped=[],
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
