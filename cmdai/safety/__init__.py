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

import re
from dataclasses import dataclass
from enum import IntEnum

from cmdai.commandline import Simple, parse
from cmdai.safety.levels import SAFE, Risk, Verdict
from cmdai.safety.lines import line_rules, redirect_rule
from cmdai.safety.programs import POSIX_RULES, POWERSHELL_RULES
from cmdai.safety.words import operands, system_location

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
    "system_location",
]


def _command_verdict(command: Simple, powershell: bool) -> Verdict:
    rules = POWERSHELL_RULES if powershell else POSIX_RULES
    program = command.program
    rule = rules.get(program) or (rules.get("mkfs") if program.startswith("mkfs.") else None)
    verdicts = [v for v in (rule(command) if rule else None, redirect_rule(command)) if v]
    if command.wrappers and {"sudo", "doas"} & set(command.wrappers):
        verdicts.append(Verdict(Risk.MODERATE, "runs as root", "sudo"))
    return max(verdicts, key=lambda v: v.level, default=SAFE)


def classify_builtin(command_line: str, shell: str = "bash") -> Verdict:
    """The built-in classification, before user rules and modes."""
    powershell = shell == "powershell"
    parsed = parse(command_line, powershell=powershell)
    candidates = [_command_verdict(c, powershell) for c in parsed.commands]
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


def classify(command_line: str, shell: str = "bash", policy: Policy = Policy()) -> Verdict:
    """Built-in rules, then the user's deny rules (can raise the level) and allow rules (can
    lower it to safe, except from critical: those stay blocked whatever the config says)."""
    verdict = classify_builtin(command_line, shell)
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
