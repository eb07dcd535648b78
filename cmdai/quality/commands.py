"""`cmdai eval` and `cmdai report`: argument handling around runner.py and report.py."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cmdai.config import Config
from cmdai.errors import UsageError
from cmdai.quality import fixtures, report, runner

FORMATS = ("md", "json", "html")


def run_eval(args: argparse.Namespace, config: Config) -> int:
    from cmdai.generate import backend_target, ensure_model, open_backend

    suites = [fixtures.load(Path(path)) for path in args.fixtures]  # all checked before loading
    ensure_model(config)
    backend = open_backend(config)  # the first of the chain: eval measures one backend
    location = backend_target(config).location
    try:
        model_file = Path(location) if location and "://" not in location else None
        results = runner.run(suites, config, backend, model_file)
    finally:
        backend.close()
    text = json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    summary = report.summarize(results)
    print(
        f"eval: {summary['passed']}/{summary['total']} passed ({summary['pass_rate']}%), "
        f"{summary['blocked'] + summary['refused']}/{summary['should_block']} should_block "
        f"cases kept off the line, p50 {summary['latency_ms']['p50']} ms",
        file=sys.stderr,
    )
    return 0


def run_report(args: argparse.Namespace, config: Config) -> int:
    fmt = args.format or _format_from(args.output)
    if args.input in (None, "-"):
        data = report.parse(sys.stdin.read(), "stdin")
    else:
        try:
            text = Path(args.input).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{args.input}: cannot read: {exc.strerror}") from None
        data = report.parse(text, args.input)
    rendered = report.render(data, fmt)
    if args.output in (None, "-"):
        sys.stdout.write(rendered)
    else:
        Path(args.output).write_text(rendered, encoding="utf-8")
    return 0


def _format_from(output: str | None) -> str:
    suffix = Path(output).suffix.lstrip(".") if output else ""
    return (
        {"htm": "html", "markdown": "md"}.get(suffix, suffix)
        if suffix in (*FORMATS, "htm", "markdown")
        else "md"
    )
