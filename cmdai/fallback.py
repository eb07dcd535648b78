"""`cmdai "request"`: generate one command, let the user edit it, run it only on Enter.

Safety (see cmdai/safety/) is checked on the suggestion and again on what the user confirms:
a blocked command, like the model's refusal, is never printed or offered (exit 8, with the
reason on stderr); a high-risk one needs the word `yes` before it runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from typing import Any

from cmdai.chain import Chain
from cmdai.config import Config
from cmdai.display import REFUSED_MESSAGE, blocked_message
from cmdai.errors import Blocked, Cancelled
from cmdai.generate import Generated, check_request, ensure_model, generate
from cmdai.interactive import ask_yes, edit_command, run_command
from cmdai.prompting import Context
from cmdai.safety import Action, Verdict, action_for, classify
from cmdai.validate import Problem

FALLBACK_TIMEOUT_S = 600.0  # a first start loads the model; a slow machine may need minutes


def run(args: argparse.Namespace, config: Config) -> int:
    request = check_request(" ".join(args.request))  # before a model is loaded or downloaded
    result = None if args.no_daemon else generate_via_helper(request, config)
    if result is None:
        result = generate_in_process(request, config)
    verdict = classify(result.command, config.shell, config.safety_policy(), cwd=_cwd())
    blocked = not result.refused and action_for(verdict, config.safety_mode) is Action.BLOCK
    if args.json:
        flags = {"blocked": blocked, "refused": result.refused}
        print(json.dumps({**result.as_json(), **verdict_json(verdict), **flags}))
        return Blocked.exit_code if blocked or result.refused else 0
    if result.refused or blocked:  # nothing to print, offer or run: a pipe gets nothing
        why = REFUSED_MESSAGE if result.refused else blocked_message(verdict, result.command)
        raise Blocked(why, "nothing was printed or run")
    if args.print or not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(result.command)
        if verdict.level:
            print(f"cmdai: {verdict.level.label} risk: {verdict.reason}", file=sys.stderr)
        if result.note:
            print(f"cmdai: {result.note}", file=sys.stderr)
        return 0
    return confirm_and_run(result, config)


def generate_in_process(request: str, config: Config) -> Generated:
    """Without the helper: the chain's backends are opened here, in turn, as needed."""
    from cmdai.hook import Status

    ensure_model(config)  # a first run downloads here, with a progress bar
    chain = Chain(config)
    status = Status(sys.stderr)
    try:
        generated, _, skipped = chain.run(
            lambda session: generate(request, config, session, Context.current(config.shell)),
            progress=status.show,
            cancelled=lambda: False,  # Ctrl-C raises KeyboardInterrupt here
        )
    finally:
        status.clear()
        chain.close()
    return replace(generated, skipped=skipped)


def generate_via_helper(request: str, config: Config) -> Generated | None:
    """Ask the helper (starting it if needed); None when it cannot serve this request, so the
    caller generates in-process instead."""
    from cmdai import __version__, client, protocol
    from cmdai.hook import Status

    if any(config.origins.get(key, "").startswith("flag") for key in ("model", "backend")):
        return None  # a one-off choice on the command line: not worth restarting the helper
    ensure_model(config)  # a first run downloads here, with a progress bar
    frame = protocol.generate(
        __version__, request, len(request), config.shell,
        **{**client.client_env(), "session": ""}, timeout=FALLBACK_TIMEOUT_S,
        settings=client.settings_env(),
    )  # fmt: skip
    status = Status(sys.stderr)
    try:
        reply = client.request(frame, FALLBACK_TIMEOUT_S, on_progress=status.show)
    except client.HelperError as exc:
        status.clear()
        raise protocol.error_for(exc.code, exc.message, exc.hint) from None
    except client.ClientError as exc:
        status.clear()
        print(f"cmdai: the helper is unavailable ({exc}); working without it", file=sys.stderr)
        return None
    status.clear()
    return generated_from(reply)


def generated_from(reply: dict[str, Any]) -> Generated:
    problem = reply.get("problem")
    return Generated(
        command=str(reply["command"]),
        backend=str(reply.get("backend", "")),
        model=str(reply.get("model", "")),
        latency_ms=int(reply.get("latency_ms", 0)),
        prompt_tokens=0,
        completion_tokens=0,
        problem=Problem(problem["kind"], problem["message"]) if problem else None,
        retry_reason=str(reply.get("retry_reason", "")),
        repaired=str(reply.get("repaired", "")),
        skipped=tuple(str(reason) for reason in reply.get("skipped", [])),
    )


def _cwd() -> str | None:
    """Where the command would run: `.` in it is judged as that directory."""
    try:
        return os.getcwd()
    except OSError:
        return None


def verdict_json(verdict: Verdict) -> dict[str, str]:
    return {"risk": verdict.level.label, "reason": verdict.reason, "rule": verdict.rule}


def confirm_and_run(result: Generated, config: Config, **prompt_io: Any) -> int:
    """Show the command for editing; run what the user confirms, if safety allows it. A blocked
    suggestion or a refusal is never shown as something Enter would run."""
    policy = config.safety_policy()
    suggested = classify(result.command, config.shell, policy, cwd=_cwd())
    if result.refused:
        raise Blocked(REFUSED_MESSAGE, "nothing was run")
    if action_for(suggested, config.safety_mode) is Action.BLOCK:
        raise Blocked(blocked_message(suggested, result.command), "nothing was run")
    toolbar = f"{result.model} · {result.latency_ms} ms"
    if result.note:
        toolbar = f"{result.note}   {toolbar}"
    if suggested.level:
        toolbar = f"{suggested.level.label} risk: {suggested.reason}   {toolbar}"
    command = edit_command(result.command, toolbar=toolbar, **prompt_io)
    if not command:
        print("nothing to run", file=sys.stderr)
        return 0
    verdict = classify(command, config.shell, policy, cwd=_cwd())  # the user may have edited it
    action = action_for(verdict, config.safety_mode)
    if action is Action.BLOCK:
        raise Blocked(
            f"refused to run a {verdict.level.label}-risk command: {verdict.reason}",
            "cmdai never runs these; type it yourself if you really mean it",
        )
    if action is Action.CONFIRM and not ask_yes(
        f"{verdict.level.label} risk: {verdict.reason}. Type yes to run it: ", **prompt_io
    ):
        raise Cancelled("not confirmed; nothing was run")
    return run_command(config.shell, command)
