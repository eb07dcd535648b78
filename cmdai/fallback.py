"""`cmdai "request"`: generate one command, let the user edit it, run it only on Enter."""

from __future__ import annotations

import argparse
import json
import sys

from cmdai.config import Config
from cmdai.generate import Generated, check_request, generate, load_backend
from cmdai.interactive import edit_command, run_command
from cmdai.prompting import Context


def run(args: argparse.Namespace, config: Config) -> int:
    request = check_request(" ".join(args.request))  # before a model is loaded or downloaded
    backend = load_backend(config)
    try:
        result = generate(request, config, backend, Context.current(config.shell))
    finally:
        backend.close()
    if args.json:
        print(json.dumps(result.as_json()))
        return 0
    if args.print or not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(result.command)
        return 0
    return confirm_and_run(result, config)


def confirm_and_run(result: Generated, config: Config, **prompt_io: object) -> int:
    """Show the command for editing; run what the user confirms. Ctrl-C raises Cancelled."""
    toolbar = f"{result.model} · {result.latency_ms} ms"
    command = edit_command(result.command, toolbar=toolbar, **prompt_io)  # type: ignore[arg-type]
    if not command:
        print("nothing to run", file=sys.stderr)
        return 0
    return run_command(config.shell, command)
