"""Risk classification of a command, whatever model or backend wrote it.

Levels: safe < moderate (changes files or state) < high (destructive but legitimate) <
critical (destroys or takes over the system). Classification parses the command (see
commandline.py) and applies per-program rules to every simple command it runs, so quoting,
chaining, substitutions and wrappers cannot hide a dangerous program, and a dangerous word
inside a quoted string is not mistaken for one. Pure functions, no I/O.

Modules: levels (Risk, Verdict), words (system locations, option helpers), programs
(per-program rules), lines (whole-line rules); this file combines them and applies the
user's policy.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from cmdai.commandline import Simple, parse
from cmdai.safety import families
from cmdai.safety.levels import SAFE, Risk, Verdict
from cmdai.safety.lines import line_rules, redirect_rule
from cmdai.safety.normalize import variants
from cmdai.safety.programs import POSIX_RULES, POWERSHELL_RULES
from cmdai.safety.words import operands, program_operands, system_location

__all__ = [
    "MODES",
    "Action",
    "DenyRule",
    "Policy",
    "Risk",
    "Verdict",
    "action_for",
    "classify",
    "classify_builtin",
    "operands",
    "program_operands",
    "system_location",
]


Judge = Callable[[str], Verdict]


def _command_verdict(command: Simple, powershell: bool, judge: Judge, line: str) -> Verdict:
    rules = POWERSHELL_RULES if powershell else POSIX_RULES
    program = command.program
    harmless = not powershell and families.harmless_form(command)
    rule = rules.get(program) or (rules.get("mkfs") if program.startswith("mkfs.") else None)
    verdicts = [v for v in (rule(command) if rule else None, redirect_rule(command)) if v]
    if harmless:  # `mkfs --help`, `wipefs /dev/sdb`: prints, whatever the tool could do
        verdicts = []
    elif powershell:
        verdicts += filter(None, [families.powershell_families(command, line, judge)])
    else:
        verdicts += filter(None, (
            families.exfiltration(command), families.remote_shell(command),
            families.takeover(command), families.disk_and_system(command),
            families.interpreter_text(command, judge),
        ))  # fmt: skip
    if command.wrappers and {"sudo", "doas"} & set(command.wrappers):
        verdicts.append(Verdict(Risk.MODERATE, "runs as root", "sudo"))
    return max(verdicts, key=lambda v: v.level, default=SAFE)


# Verdicts on the texts a line hands to a shell or interpreter, by (text, depth), for one
# classification: `eval eval … rm` hands on the same texts again and again.
Judged = dict[tuple[str, int], Verdict]


def classify_builtin(
    command_line: str,
    shell: str = "bash",
    cwd: str | None = None,
    depth: int = 0,
    judged: Judged | None = None,
) -> Verdict:
    """The built-in classification, before user rules and modes: the line as written, and
    each spelling of it that a shell would run the same (normalize.py); the worst counts.
    With `cwd`, `.`, `..`, `./x` and a bare `*` are judged as the places they name there."""
    judged = {} if judged is None else judged
    lines = [command_line] if shell == "powershell" else [command_line, *variants(command_line)]
    # A program named by a variable counts as unknown only if no rewrite could name it.
    verdicts = [
        _classify_one(line, shell, cwd, depth, judged, last=line is lines[-1]) for line in lines
    ]
    return max(verdicts, key=lambda v: v.level)


def _classify_one(
    command_line: str, shell: str, cwd: str | None, depth: int, judged: Judged, last: bool
) -> Verdict:
    powershell = shell == "powershell"
    parsed = parse(command_line, powershell=powershell, fish=shell == "fish")
    if cwd and not powershell:
        _resolve_relative(parsed.commands, cwd)

    def judge(text: str) -> Verdict:  # text a shell or interpreter is handed to run
        if depth >= 3:
            return SAFE
        if (text, depth) not in judged:
            judged[text, depth] = classify_builtin(text, shell, cwd, depth + 1, judged)
        return judged[text, depth]

    candidates = [_command_verdict(c, powershell, judge, command_line) for c in parsed.commands]
    if not last:
        candidates = [v for v in candidates if v.rule != "computed-program"]
    if whole := line_rules(command_line, parsed.commands):
        candidates.append(whole)
    verdict = max(candidates, key=lambda v: v.level, default=SAFE)
    if parsed.parse_error and verdict.level < Risk.HIGH:
        return Verdict(
            Risk.HIGH,
            f"could not be parsed ({parsed.parse_error.lower()}); review it",
            "unparseable",
        )
    return verdict


def _resolve_relative(commands: list[Simple], cwd: str) -> None:
    """`rm -rf .` in /etc is `rm -rf /etc`: the rules must see where it runs, not a weaker
    spelling (the reply is rewritten relative to the working directory before it is shown)."""
    for command in commands:
        command.args = [_absolute(arg, cwd) for arg in command.args]


def _absolute(arg: str, cwd: str) -> str:
    if arg in ("*", ".*", "./*"):
        return posixpath.normpath(cwd).rstrip("/") + "/*"
    if arg in (".", "..") or arg.startswith(("./", "../")):
        return posixpath.normpath(posixpath.join(cwd, arg))
    return arg


# --- policy: modes and the user's own rules --------------------------------------------------

MODES = ("strict", "moderate", "permissive")


class Action(IntEnum):
    ALLOW = 0  # insert or show as is
    WARN = 1  # show the level and reason
    CONFIRM = 2  # the fallback command asks for "yes"; the widget flags it
    BLOCK = 3  # never run, never put on a line: the user is told why instead


_ACTIONS: dict[str, tuple[Action, Action, Action, Action]] = {
    # safe, moderate, high, critical
    "strict": (Action.ALLOW, Action.CONFIRM, Action.BLOCK, Action.BLOCK),
    "moderate": (Action.ALLOW, Action.WARN, Action.CONFIRM, Action.BLOCK),
    "permissive": (Action.ALLOW, Action.ALLOW, Action.WARN, Action.BLOCK),
}


@dataclass(frozen=True)
class DenyRule:
    pattern: re.Pattern[str]
    level: Risk
    reason: str


@dataclass(frozen=True)
class Policy:
    mode: str = "moderate"
    deny: tuple[DenyRule, ...] = ()
    allow: tuple[re.Pattern[str], ...] = ()


def classify(
    command_line: str, shell: str = "bash", policy: Policy = Policy(), cwd: str | None = None
) -> Verdict:
    """Built-in rules, then the user's deny rules (can raise the level) and allow rules (can
    lower it to safe, except from critical: those stay blocked whatever the config says)."""
    verdict = classify_builtin(command_line, shell, cwd)
    for number, rule in enumerate(policy.deny, start=1):
        if rule.pattern.search(command_line) and rule.level > verdict.level:
            verdict = Verdict(rule.level, rule.reason, f"user-deny-{number}")
    if verdict.level < Risk.CRITICAL:
        for number, pattern in enumerate(policy.allow, start=1):
            if pattern.fullmatch(command_line.strip()):
                return Verdict(
                    Risk.SAFE, "allowed by your safety_allow list", f"user-allow-{number}"
                )
    return verdict


def action_for(verdict: Verdict, mode: str = "moderate") -> Action:
    return _ACTIONS[mode][verdict.level]
