"""A scripted Backend: a test double for the model, used where a real model cannot be made to
misbehave on cue (a wrong program on the first answer, garbage, a failure). It returns the
given replies in order and records every conversation it was asked."""

from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from cmdai.backends.base import BackendSpec, Capabilities, Completion, Message, Probe, Target
from cmdai.errors import Cancelled
from cmdai.prompting import REFUSAL


class ScriptedBackend:
    name = "scripted"
    model = "scripted-model"

    def __init__(self, *replies: str | Completion) -> None:
        self.replies = list(replies)  # a string is a whole reply of 5 tokens
        self.asked: list[list[Message]] = []

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        cancelled: Callable[[], bool] | None = None,
        deadline: float | None = None,
    ) -> Completion:
        self.asked.append(list(messages))
        reply = self.replies.pop(0)
        return reply if isinstance(reply, Completion) else Completion(reply, 10, 5)

    def warm_up(self, messages: Sequence[Message]) -> None:
        pass

    def close(self) -> None:
        pass


class HelperScript:
    """A test double for the model inside a real helper process (registered as the `scripted`
    backend by this module's SPEC: CMDAI_PLUGINS=tests.helpers.scripted, CMDAI_BACKEND=scripted;
    see `scripted_settings`), for the failure paths a real model cannot produce on cue. What it
    does depends on the request's first word:

      slow N …   waits N seconds (stops at once when the request is cancelled), then answers
      crash …    kills the helper mid-request (os._exit)
      garbage …  answers nothing usable
      danger …   answers `rm -rf /` (critical)
      home …     answers `ls -l ~; rm -rf ~` (critical), then `ls -l ~` as the alternative
      refuse …   answers the refusal, then `echo not-refused` as the alternative
      risky …    answers `rm -rf ./build` (high)
      mkdir …    answers `mkdir build` (moderate)
      hidden …   answers a command with an escape sequence and a zero-width space in it
      slowalt N  answers `echo first` at once; an alternative takes N seconds (stops at once
                 when cancelled) and repeats `echo first`: there is none

    Every call is also written, one line each, to $CMDAI_HOME/model-calls (see `model_calls`),
    so a test can tell whether a key press asked the model at all.
      missing …  answers a program that is not installed (kept, with its warning)
      broken …   answers a line that does not parse, then `ls` when asked again
      follow …   answers `tail app.log`, which leaves out the -f cmdai adds itself
      same …     answers `ls -la` every time (no alternatives to offer)
      hostile N  answers the Nth reply of tests/fixtures/hostile_replies.py
      wipehere … answers `rm -rf .` (critical or not depending on the directory)
      anything   answers `echo WORDS` first, then `echo WORDS 2`, `echo WORDS 3` for alternatives
    A request to fix a failed command (an empty line after it) is answered as that command
    would be: `false` gets `echo false`, `slow 5` waits. Asked to describe programs
    (`cmdai explain --model-explain`), it says `NAME: scripted words about NAME` for each, and
    something about `&&` that nobody asked for.
    """

    def __init__(self, config: object, name: str = "scripted") -> None:
        self.name = name
        self.model = str(getattr(config, "model", "scripted-model"))

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        cancelled: Callable[[], bool] | None = None,
        deadline: float | None = None,
    ) -> Completion:
        if messages[-1]["content"].startswith("Command: "):  # --model-explain: describe them
            programs = messages[-1]["content"].rpartition("Programs: ")[2].split(", ")
            said = "; ".join(f"{p}: scripted words about {p}" for p in programs)
            return Completion(f"{said}; &&: not asked about", 10, 5)
        request = next(
            m["content"] for m in reversed(messages) if m["content"].startswith("Shell:")
        ).rpartition("Request: ")[2]
        offered = sum(1 for m in messages if m["content"].startswith("Give another command"))
        if home := os.environ.get("CMDAI_HOME"):
            os.makedirs(home, exist_ok=True)  # in-process runs (eval, --no-daemon) made none
            with open(os.path.join(home, "model-calls"), "a") as calls:
                calls.write(f"{request}\n")
        retried = any(m["content"].startswith("That command ") for m in messages)
        return Completion(self._reply(request, offered, retried, cancelled), 10, 5)

    def _reply(
        self, request: str, offered: int, retried: bool, cancelled: Callable[[], bool] | None
    ) -> str:
        fixing = re.match(r"Fix this command, which failed with exit status \d+: (.*)", request)
        if fixing:  # a fix of a failed command is scripted by that command's own words
            request = fixing.group(1)
        word, _, rest = request.partition(" ")
        if word == "slow":
            deadline = time.monotonic() + float(rest.split()[0])
            while time.monotonic() < deadline:
                if cancelled and cancelled():
                    raise Cancelled("cancelled")
                time.sleep(0.01)
            return "echo slept"
        if word == "crash":
            os._exit(70)
        if word == "hostile":
            from tests.fixtures.hostile_replies import HOSTILE

            return HOSTILE[int(rest.split()[0])]
        if word == "slowalt":
            if offered:
                self._reply(f"slow {rest.split()[0]}", 0, False, cancelled)
            return "echo first"
        replies = {
            "garbage": "   ",
            "danger": "rm -rf /",
            "home": "ls -l ~" if offered else "ls -l ~; rm -rf ~",
            "refuse": "echo not-refused" if offered else REFUSAL,
            "risky": "rm -rf ./build",
            "mkdir": "mkdir build",
            "hidden": "ls\x1b[2J; echo \u200bhi",
            "missing": "fdx-nonexistent -e py",
            "broken": "ls" if retried else "ls |",
            "follow": "tail app.log",
            "same": "ls -la",
            "wipehere": "rm -rf .",
        }
        if word in replies:
            return replies[word]
        slug = "-".join(request.split()) or "empty"
        return f"echo {slug}" + (f" {offered + 1}" if offered else "")

    def warm_up(self, messages: Sequence[Message]) -> None:
        pass  # nothing to evaluate ahead, and the call log counts key presses only

    def close(self) -> None:
        pass


SPEC = BackendSpec(
    name="scripted",
    summary="the test suite's scripted model (tests/helpers/scripted.py)",
    # Like the embedded model: one request at a time, alternatives prepared ahead.
    capabilities=Capabilities(prefix_cache=True, concurrency=1),
    resolve=lambda config, options: Target("scripted", config.model, ""),
    open=lambda config, options: HelperScript(config),
    probe=lambda config, options: Probe(True, "scripted replies"),
)


# The same replies from a backend that serves several requests at once, as a server does.
PARALLEL_SPEC = dataclasses.replace(
    SPEC, name="scripted_parallel", capabilities=Capabilities(concurrency=4, remote=True),
    open=lambda config, options: HelperScript(config, "scripted_parallel"),
)  # fmt: skip
SPECS = [SPEC, PARALLEL_SPEC]


def scripted_settings() -> dict[str, str]:
    """The variables that make a helper (or `cmdai --no-daemon`) use HelperScript."""
    return {"CMDAI_PLUGINS": "tests.helpers.scripted", "CMDAI_BACKEND": "scripted"}


def model_calls(home: Path) -> int:
    """How many times the HelperScript of the helper in `home` has been asked so far."""
    path = home / "model-calls"
    return len(path.read_text().splitlines()) if path.exists() else 0
