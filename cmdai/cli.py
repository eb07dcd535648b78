"""The `cmdai` command line: argument parsing, dispatch, and the one place where errors become
messages and exit codes (`--debug` shows the traceback instead).

`cmdai [options] "request"` generates a command; `cmdai COMMAND ...` runs a subcommand.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import traceback
from collections.abc import Callable, Sequence

from cmdai import __version__
from cmdai.config import SHELLS, Config, config_path, load_config, toml_value
from cmdai.errors import Cancelled, CmdaiError, UsageError

GENERATE_EPILOG = """\
examples:
  cmdai "find all files larger than 100MB in the current directory"
  cmdai --print "count lines of python code"       print the command only
  cmdai --json "show disk usage"                    {command, backend, model, latency_ms, risk…}
  cmdai --shell fish --model qwen2.5-coder-0.5b "list running docker containers"
  cmdai --backend ollama,llama_cpp "show the 5 largest files"   Ollama, else the local model

commands (see `cmdai COMMAND --help`):
  init zsh|bash|fish|powershell
                            print the widgets (Ctrl-G: generate, or fix what just
                            failed; Alt-G: explain the line) for your shell's rc file
  helper status|start|stop|restart|logs
                            manage the helper that keeps the model loaded
                            (`cmdai daemon …` is another name for it)
  doctor                    check the setup: backends, models, helper, your shell's keys
  config                    print the effective configuration and where each value came from
  backends                  the configured backends, whether each can answer now, and all
                            the backends cmdai knows
  model list|pull|path|verify|rm|import
                            manage the local model cache
  explain "COMMAND"         what a command does, from this machine's man pages (no model)
  eval --fixtures FILE…     measure command quality on fixture files (JSON results)
  report --input FILE       summarise eval results as markdown, JSON or HTML

Options go after the command word: `cmdai model list --debug`.
exit status: 0 ok (or the status of the command you ran), 2 usage, 3 config, 4 model,
             5 download, 6 backend, 7 generation, 8 blocked by the safety check or refused
             by the model (nothing printed or run), 130 cancelled
"""


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing and exiting on its own."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, f"see `{self.prog} --help`")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")


def generate_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cmdai",
        description="Turn plain English into one shell command with a local model (or a model "
        "server: see `cmdai backends`). On a terminal the command is shown for editing: Enter "
        "runs it, Ctrl-C cancels.",
        epilog=GENERATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("request", nargs="+", help='what you want, e.g. "list big files here"')
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--print", action="store_true", help="print the command only, never run it")
    out.add_argument("--json", action="store_true", help="print a JSON object, never run it")
    parser.add_argument("--shell", choices=SHELLS, help="shell to write for (default: $SHELL)")
    parser.add_argument("--model", help="model id or .gguf path (default: qwen2.5-coder-1.5b)")
    parser.add_argument(
        "--backend", help="backend, or comma-separated chain (`cmdai backends` lists them)"
    )
    parser.add_argument(
        "--no-daemon",
        action="store_true",
        help="open the backend in this process instead of using (or starting) the helper",
    )
    parser.add_argument(
        "--no-validate",
        dest="validate",
        action="store_false",
        default=None,
        help="skip the checks of syntax, programs, options and named places and programs (and "
        "the retry they may cause; a reply that never ended is still asked again)",
    )
    parser.add_argument("--version", action="version", version=f"cmdai {__version__}")
    _common(parser)
    return parser


def config_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cmdai config",
        description="Print the effective configuration: each setting, its value, and where the "
        "value came from (default, the config file, a CMDAI_* variable or a flag).",
        epilog="example:\n  CMDAI_LLAMA_CPP_N_THREADS=4 cmdai config",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(parser)
    return parser


def helper_parser(prog: str = "cmdai helper") -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        description="The helper: one process per user that keeps the model loaded, so Ctrl-G "
        "answers in about a second. It starts on demand and exits after `idle_timeout` seconds "
        "unused (default 900). It re-reads changed settings by itself, and restarts when the "
        "backend, model or backend options change. `cmdai daemon` is another name for it.",
        epilog="examples:\n  cmdai helper status\n  cmdai helper restart\n"
        "  cmdai helper logs -n 50",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="daemon_command", required=True, parser_class=_Parser)
    for name, text in (
        ("status", "is it running, which model, since when (exit 3 when not running)"),
        ("start", "start it now (it also starts on demand)"),
        (
            "prestart",
            "start it in the background unless it runs or the model is not downloaded "
            "(what the shell scripts run when a shell starts; `prestart = false` turns that off)",
        ),
        ("stop", "stop it and free the model's memory"),
        ("restart", "stop, then start (picks up config changes)"),
        ("run", "serve in the foreground (what `start` runs, detached)"),
    ):
        _common(sub.add_parser(name, help=text))
    _common(p := sub.add_parser("logs", help="print the end of the helper's log"))
    p.add_argument("-n", "--lines", type=int, default=20, help="how many lines (default 20)")
    _common(parser)
    return parser


def doctor_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cmdai doctor",
        description="Check everything that can stop Ctrl-G from working: versions, the "
        "config, each configured backend and its model (verified against its pin), the model "
        "cache, the helper, your shell's widgets and their keys, Ctrl-G and Alt-G (bound in "
        "every keymap, not taken or shadowed by another binding; an Alt-G of your own is "
        "reported, not failed), and the time of one request. Each check prints "
        "✓ or ✗ and, when it fails, the fix; a check that cannot run yet says so. "
        "Exit 1 when any check fails.",
        epilog="examples:\n  cmdai doctor\n  cmdai doctor --shell zsh\n  cmdai doctor --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--shell", choices=("zsh", "bash", "fish"),
        help="the shell whose widget to check (default: yours, from $SHELL)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    _common(parser)
    return parser


def backends_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cmdai backends",
        description="List the configured backends in the order they are tried, with whether "
        "each can answer now (a tiny request to a server, a look at the model file), then every "
        "backend cmdai knows. Exit 6 when none of the configured ones can answer.",
        epilog="examples:\n  cmdai backends\n  CMDAI_BACKEND=ollama,llama_cpp cmdai backends",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(parser)
    return parser


def eval_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cmdai eval",
        description="Run every case of the fixture files through real generation (prompting, "
        "cleaning, validation, safety) and record the results as JSON.",
        epilog="example:\n  cmdai eval --fixtures tests/fixtures/prompts/basic.yaml "
        "--model qwen2.5-coder-0.5b --out results.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--fixtures", nargs="+", required=True, metavar="FILE",
                        help="YAML fixture files (schema: README, section Quality)")  # fmt: skip
    parser.add_argument("--model", help="model id or .gguf path (default: the configured one)")
    parser.add_argument(
        "--backend", help="backend, or comma-separated chain (`cmdai backends` lists them)"
    )
    parser.add_argument("--out", metavar="FILE", help="write the results here (default: stdout)")
    _common(parser)
    return parser


def report_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cmdai report",
        description="Summarise `cmdai eval` results: pass rate, block rate, risk agreement, "
        "latency percentiles, a per-category table and every failed case.",
        epilog="examples:\n  cmdai report --input results.json\n"
        "  cmdai report --input results.json --output report.html\n"
        "  cmdai eval --fixtures basic.yaml | cmdai report --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--input", metavar="FILE", help="results JSON (default: stdin)")
    parser.add_argument("--output", metavar="FILE", help="where to write (default: stdout)")
    parser.add_argument("--format", choices=("md", "json", "html"),
                        help="default: from the output file's extension, else md")  # fmt: skip
    _common(parser)
    return parser


def init_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cmdai init",
        description="Print the widgets for a shell, with this cmdai's path filled in: Ctrl-G "
        "turns the English on the line into a command (on an empty line after a failed "
        "command: a fix for it), Alt-G says what the command on the line does. Load it from "
        "your shell's startup file; CMDAI_KEY and CMDAI_EXPLAIN_KEY change the keys.",
        epilog="setup:\n"
        '  zsh  (~/.zshrc):   eval "$(cmdai init zsh)"\n'
        '  bash (~/.bashrc):  eval "$(cmdai init bash)"\n'
        "  fish (config.fish): cmdai init fish | source\n"
        "  PowerShell ($PROFILE): Invoke-Expression (& cmdai init powershell | Out-String)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("shell", choices=SHELLS, help="the shell to set up")
    _common(parser)
    return parser


def explain_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cmdai explain",
        description="Say what a command does without running it: each program with the summary "
        "of its man page, each option with its description there, pipes and redirections in "
        "words, and the safety check's verdict. Everything comes from the documentation on "
        "this machine, nothing from a model; what it does not cover is said to be missing. "
        "In a shell set up with `cmdai init`, Alt-G (or $CMDAI_EXPLAIN_KEY) explains the line.",
        epilog='examples:\n  cmdai explain "tar -xzvf backup.tar.gz -C /opt"\n'
        "  cmdai explain \"find . -name '*.log' -mtime +7 -exec rm {} +\"\n"
        '  cmdai explain --json "git reset --soft HEAD~1"',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", nargs="+", help="the command line (one argument, quoted)")
    parser.add_argument("--shell", choices=SHELLS, help="the shell it is for (default: $SHELL)")
    parser.add_argument("--json", action="store_true", help="print a JSON object instead")
    parser.add_argument(
        "--model-explain", action="store_true",
        help="for programs this machine has no documentation for, also ask the model (its "
        "words are marked as its own: they may be wrong)",
    )  # fmt: skip
    _common(parser)
    return parser


def model_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cmdai model",
        description="Manage the model cache. Downloads are verified (size and sha256) before "
        "use; an interrupted download resumes on the next pull.",
        epilog="examples:\n  cmdai model list\n  cmdai model pull qwen2.5-coder-0.5b\n"
        "  cmdai model import ~/Downloads/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf\n"
        "  cmdai model import ~/models/my-mlx-model --id my-mlx",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="model_command", required=True, parser_class=_Parser)
    _common(sub.add_parser("list", help="known and cached models"))
    for name, text in (
        (
            "pull",
            "download and verify a model (default: the configured one); with the ollama "
            "backend first in the chain, the Ollama server pulls it",
        ),
        ("path", "print the cached file (or directory) of a model"),
        ("verify", "re-hash a cached model against its pinned sha256"),
    ):
        _common(p := sub.add_parser(name, help=text))
        p.add_argument("id", nargs="?", help="model id (default: the configured model)")
    _common(p := sub.add_parser("rm", help="delete a cached model"))
    p.add_argument("id", help="model id")
    _common(p := sub.add_parser("import", help="add a local .gguf file or MLX directory"))
    p.add_argument(
        "path",
        help="a .gguf file or an MLX model directory (copied; verified when it is a known model)",
    )
    p.add_argument("--id", help="name for a model the registry does not know")
    _common(parser)
    return parser


def _run_config(args: argparse.Namespace, config: Config) -> int:
    print(f"# config file: {config_path()}")
    for name, value, origin in config.items():
        print(f"{name} = {toml_value(value)}  # {origin}")
    for note in config.notes:
        print(f"# note: {note}")
    return 0


def _run_model(args: argparse.Namespace, config: Config) -> int:
    from cmdai.models import commands

    return commands.run(args, config)


def _run_generate(args: argparse.Namespace, config: Config) -> int:
    from cmdai import fallback

    return fallback.run(args, config)


def _run_daemon(args: argparse.Namespace, config: Config | None) -> int:
    from cmdai.daemon import lifecycle

    return lifecycle.command(args, config)


def _run_doctor(args: argparse.Namespace, config: Config | None) -> int:
    from cmdai import doctor

    return doctor.run(args)


def _run_init(args: argparse.Namespace, config: Config | None) -> int:
    from cmdai import widgets

    sys.stdout.write(widgets.render(args.shell))
    return 0


def _run_backends(args: argparse.Namespace, config: Config) -> int:
    from cmdai.backends import commands

    return commands.run(args, config)


def _run_explain(args: argparse.Namespace, config: Config) -> int:
    import json
    from dataclasses import asdict

    from cmdai.explain import explain

    line = " ".join(args.command)
    found = explain(line, config.shell, config.safety_policy())
    said, model = (
        _model_explain(line, found.undocumented, config) if args.model_explain else ("", "")
    )
    if args.json:
        print(json.dumps({**asdict(found), "model_says": said, "model": model}, ensure_ascii=False))
        return 0
    print(found.render(offer_model=not args.model_explain))
    if said:
        print(f"the model {model} says (not from the documentation here; it may be wrong): {said}")
    elif args.model_explain:
        print("everything here is in this machine's documentation: the model was not asked")
    return 0


def _model_explain(line: str, undocumented: Sequence[str], config: Config) -> tuple[str, str]:
    """What the helper's model says about the programs without docs here, and which model."""
    if not undocumented:
        return "", ""
    from cmdai import __version__, client, protocol
    from cmdai.fallback import FALLBACK_TIMEOUT_S
    from cmdai.hook import Status

    where = client.client_env()
    frame = protocol.explain(__version__, line, config.shell, where["cwd"], where["path"],
                             client.settings_env(), ask_model=True)  # fmt: skip
    status = Status(sys.stderr)
    try:
        reply = client.request(frame, FALLBACK_TIMEOUT_S, on_progress=status.show)
    except client.HelperError as exc:
        raise protocol.error_for(exc.code, exc.message, exc.hint) from None
    except client.ClientError as exc:
        raise protocol.error_for(protocol.BACKEND, str(exc)) from None
    finally:
        status.clear()
    return str(reply.get("model_says", "")), str(reply.get("model", ""))


def _run_eval(args: argparse.Namespace, config: Config) -> int:
    from cmdai.quality import commands

    return commands.run_eval(args, config)


def _run_report(args: argparse.Namespace, config: Config) -> int:
    from cmdai.quality import commands

    return commands.run_report(args, config)


def _run_hook(argv: list[str]) -> int:
    from cmdai import hook

    return hook.main(argv)


COMMANDS: dict[str, tuple[Callable[[], argparse.ArgumentParser], Callable[..., int]]] = {
    "init": (init_parser, _run_init),
    "helper": (helper_parser, _run_daemon),
    "daemon": (functools.partial(helper_parser, "cmdai daemon"), _run_daemon),
    "doctor": (doctor_parser, _run_doctor),
    "config": (config_parser, _run_config),
    "backends": (backends_parser, _run_backends),
    "model": (model_parser, _run_model),
    "explain": (explain_parser, _run_explain),
    "eval": (eval_parser, _run_eval),
    "report": (report_parser, _run_report),
}


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    try:
        return _dispatch(args_list)
    except Cancelled as exc:
        print(f"cmdai: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("cmdai: cancelled", file=sys.stderr)
        return Cancelled.exit_code
    except BrokenPipeError:  # `cmdai config | head`: the reader left; so do we, quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except CmdaiError as exc:
        if debug:
            traceback.print_exc()
        print(f"cmdai: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # a bug: one line, as for every error; the traceback on --debug
        if debug:
            traceback.print_exc()
        print(f"cmdai: internal error: {type(exc).__name__}: {exc} (please report it; "
              "--debug shows where)", file=sys.stderr)  # fmt: skip
        return CmdaiError.exit_code


def _dispatch(argv: list[str]) -> int:
    if argv[:1] == ["hook"]:  # normally dispatched by cmdai.entry before this module loads
        return _run_hook(argv[1:])
    command = argv[0] if argv and argv[0] in COMMANDS else ""
    if command:
        make_parser, handler = COMMANDS[command]
        args = make_parser().parse_args(argv[1:])
    else:
        if argv[:1] == ["--"]:  # `cmdai -- config`: a request that is a command word
            argv = argv[1:]
        make_parser, handler = generate_parser, _run_generate
        args = make_parser().parse_args(argv)
    if _works_without_config(command, args):
        return handler(args, None)
    flags = {name: getattr(args, name, None) for name in ("shell", "model", "backend", "validate")}
    config = load_config(flags)
    for warning in config.warnings:
        print(f"cmdai: warning: {warning}", file=sys.stderr)
    return handler(args, config)


def _works_without_config(command: str, args: argparse.Namespace) -> bool:
    """The commands a broken config.toml must not break: `init` (a shell that starts must get
    its widget, which then reports the config error when pressed), and the helper's status,
    logs, stop and start (the helper it starts reads the config itself and says what is wrong)."""
    if command in ("init", "doctor"):  # the doctor reports a broken config as one check
        return True
    return command in ("helper", "daemon") and args.daemon_command != "run"
