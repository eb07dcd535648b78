"""The configured backends, tried in order: `backend = ["ollama", "llama_cpp"]`.

A Slot is one configured backend: its session once opened (a model loaded, a connection made),
how many requests it may serve at once (its capability: one for an embedded model), and a
circuit breaker. A backend that cannot answer (BackendUnavailable: refused, timed out, model
missing, key rejected; or failed to load) passes the request to the next one and is skipped for
BREAKER_S, unless it is the last one left. A cancelled request, or a reply that was merely bad,
stops the chain where it is: the next backend would not know better.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from cmdai.backends.base import Session
from cmdai.errors import BackendError, BackendUnavailable, Cancelled, CmdaiError

if TYPE_CHECKING:
    from cmdai.config import Config

BREAKER_S = 30.0  # an unavailable backend is not asked again for this long
POLL_S = 0.05
CLOSE_WAIT_S = 10.0
log = logging.getLogger("cmdai.chain")
log.addHandler(logging.NullHandler())  # the helper logs to its file; the fallback says it once

Progress = Callable[[str], None]
IsCancelled = Callable[[], bool]
Result = TypeVar("Result")


class Slot:
    def __init__(self, config: Config, name: str) -> None:
        self.config = config
        self.name = name
        self.spec = config.spec(name)
        self.options = config.options(name)
        self.target = self.spec.resolve(config, self.options)
        self.session: Session | None = None
        self.load_error: CmdaiError | None = None
        self.waiting = 0  # requests waiting for a turn (work done ahead gives way to them)
        self.serving = 0  # requests being served, not counting work done ahead
        self._turns = threading.Semaphore(self.spec.capabilities.concurrency)
        self._load_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self.down_until = 0.0
        self.down_reason = ""

    @property
    def label(self) -> str:
        return f"{self.name} ({self.target.model})"

    @property
    def state(self) -> str:
        if self.session is not None:
            return "ready"
        if self._load_lock.locked():
            return "loading"
        return "failed" if self.load_error else "not loaded"

    def is_down(self) -> bool:
        return time.monotonic() < self.down_until

    def mark_down(self, exc: CmdaiError) -> None:
        self.down_until = time.monotonic() + BREAKER_S
        self.down_reason = exc.message
        log.warning("%s unavailable, skipped for %.0f s: %s", self.name, BREAKER_S, exc.message)

    def status(self) -> dict[str, Any]:
        """For `cmdai helper status`: what this backend is and whether it is being skipped."""
        down = max(0.0, self.down_until - time.monotonic())
        return {
            "backend": self.name, "model": self.target.model, "location": self.target.location,
            "state": self.state, "serving": self.serving,
            "concurrency": self.spec.capabilities.concurrency,
            "skipped_for_s": round(down, 1), "reason": self.down_reason if down else "",
            "load_error": str(self.load_error or ""),
            # How the session got ready (the llama.cpp backend: prefix loaded from disk, or
            # evaluated); a backend without the attribute has nothing to say.
            "warm_start": str(getattr(self.session, "warm_start", "") or ""),
        }  # fmt: skip

    # --- opening --------------------------------------------------------------------------

    def open_now(self, warm_up: Callable[[Session], None] | None = None) -> None:
        """Open the session (load the model), then warm it up. A failure is kept in
        `load_error`; a request meets it as OpenFailed (this backend cannot answer)."""
        with self._load_lock:
            self._open_locked(warm_up)

    def _open_locked(self, warm_up: Callable[[Session], None] | None) -> None:
        if self.session is not None:
            return
        started = time.perf_counter()
        try:
            session = self.spec.open(self.config, self.options)
        except CmdaiError as exc:
            self.load_error = exc
        except Exception as exc:  # llama.cpp and plug-ins may raise anything
            log.exception("%s failed to load", self.name)
            self.load_error = BackendUnavailable(f"{self.name} failed to load: {exc}")
        else:
            if warm_up is not None:
                warm_up(session)
            self.session, self.load_error = session, None
            log.info("%s loaded in %.2f s", self.label, time.perf_counter() - started)
            return
        log.error("%s failed to load: %s", self.label, self.load_error.message)

    def _opened(
        self, progress: Progress, cancelled: IsCancelled, warm_up: Callable[[Session], None] | None
    ) -> Session:
        """The session, loading it first if needed (waiting for a load already under way)."""
        if self.session is not None:
            return self.session
        said = False
        while not self._load_lock.acquire(timeout=POLL_S):
            if cancelled():
                raise Cancelled("the request was cancelled while the model loaded")
            if not said:
                progress(f"loading {self.target.model}")
                said = True
        try:
            if self.session is None:  # the last load failed: the user may have fixed it since
                if not said:
                    progress(f"loading {self.target.model}")
                self._open_locked(warm_up)
        finally:
            self._load_lock.release()
        if self.session is None:
            raise OpenFailed(self.load_error or BackendUnavailable(f"{self.name} failed to load"))
        return self.session

    # --- turns ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def turn(
        self, progress: Progress, cancelled: IsCancelled,
        warm_up: Callable[[Session], None] | None = None, says_queued: IsCancelled = lambda: True,
    ) -> Iterator[Session]:  # fmt: skip
        """The session, with one of its turns held: at most `concurrency` requests at once.
        `says_queued` tells whether waiting is worth a "queued" message (not when the turn is
        held by work done ahead, which gives way within a token)."""
        with self._count_lock:
            self.waiting += 1
        said = False
        try:
            while not self._turns.acquire(timeout=POLL_S):
                if cancelled():
                    raise Cancelled("the request was cancelled while waiting")
                if not said and says_queued():
                    progress("queued")
                    said = True
        finally:
            with self._count_lock:
                self.waiting -= 1
        with self._count_lock:
            self.serving += 1
        try:
            yield self._opened(progress, cancelled, warm_up)
        finally:
            with self._count_lock:
                self.serving -= 1
            self._turns.release()

    def try_turn(self) -> bool:
        """Take a turn only if one is free now (for work done ahead); release with end_turn."""
        return self.session is not None and self._turns.acquire(blocking=False)

    def end_turn(self) -> None:
        self._turns.release()

    @property
    def busy(self) -> bool:
        return self.serving >= self.spec.capabilities.concurrency

    def close(self, wait_s: float = CLOSE_WAIT_S) -> None:
        """Close the session once every turn is back (work done ahead stops at its next token
        when the engine closes); a turn still out after `wait_s` leaves the memory to exit."""
        taken = 0
        for _ in range(self.spec.capabilities.concurrency):
            taken += self._turns.acquire(timeout=wait_s)
        try:
            with self._load_lock:
                if self.session is not None and taken == self.spec.capabilities.concurrency:
                    self.session.close()
                    self.session = None
        finally:
            for _ in range(taken):
                self._turns.release()


class Chain:
    def __init__(self, config: Config) -> None:
        self.slots = [Slot(config, name) for name in config.backend]

    def run(
        self,
        work: Callable[[Session], Result],
        progress: Progress,
        cancelled: IsCancelled,
        warm_up: Callable[[Session], None] | None = None,
        says_queued: IsCancelled = lambda: True,
    ) -> tuple[Result, Slot, tuple[str, ...]]:
        """`work` done by the first backend that can: its result, that backend, and why the
        ones before it were skipped (one sentence each)."""
        skipped: list[str] = []
        for index, slot in enumerate(self.slots):
            rest = self.slots[index + 1 :]
            if slot.is_down() and rest:
                skipped.append(f"{slot.down_reason} (not retried for a while)")
                continue
            try:
                with slot.turn(progress, cancelled, warm_up, says_queued) as session:
                    return work(session), slot, tuple(skipped)
            except (BackendUnavailable, OpenFailed) as exc:
                error = exc.error if isinstance(exc, OpenFailed) else exc
                slot.mark_down(error)
                skipped.append(error.message)
                if not rest:
                    raise _none_answered(skipped, error) from None
                progress(f"{slot.name} unavailable; asking {rest[0].name}")
        raise BackendError("no backend is configured")  # config rejects an empty chain

    def status(self) -> list[dict[str, Any]]:
        return [slot.status() for slot in self.slots]

    def close(self) -> None:
        for slot in self.slots:
            slot.close()


class OpenFailed(CmdaiError):
    """A backend could not be opened (model missing, not loadable): it cannot answer. Carries
    the original error, which is what the user sees when no other backend is left."""

    def __init__(self, error: CmdaiError) -> None:
        super().__init__(error.message, error.hint)
        self.error = error


def _none_answered(reasons: Sequence[str], last: CmdaiError) -> CmdaiError:
    """The last backend's own error when it was the only one asked, else all the reasons."""
    if len(reasons) == 1:
        return last
    return BackendUnavailable("no backend could answer: " + "; ".join(reasons), last.hint)
