"""Every critical command in the table, rewritten by each meaning-preserving transformation the
classifier claims to see through, must stay critical: compound commands, wrappers, subshells,
text fed to a shell (here-documents too), a program named by a variable, `${IFS}` for spaces,
a newline for `;`, comments and `#` inside words."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

import pytest

from cmdai.safety import classify
from tests.fixtures.safety_cases import DANGEROUS

PLAIN_PROGRAM = re.compile(r"^[a-z][\w.-]*(?= )")
# Words that only mean something at the start of a command line (sudo would run a program of
# that name): `sudo` is not put in front of them.
KEYWORDS = {"if", "for", "while", "until", "select", "case", "coproc", "time", "function",
            "noglob", "nocorrect", "repeat", "-", "not", "and", "or", "begin"}  # fmt: skip


def _needs(
    condition: Callable[[str], bool], make: Callable[[str], str]
) -> Callable[[str], str | None]:
    return lambda command: make(command) if condition(command) else None


def no_single_quotes(command: str) -> bool:
    return "'" not in command


def unquoted(command: str) -> bool:
    return not re.search(r"[\"'`\\\\]", command)


TRANSFORMATIONS: dict[str, Callable[[str], str | None]] = {
    "if": lambda c: f"if true; then {c}; fi",
    "else": lambda c: f"if false; then :; else {c}; fi",
    "for": lambda c: f"for i in 1; do {c}; done",
    "while": lambda c: f"while true; do {c}; break; done",
    "and-list": lambda c: f"true && {c}",
    "subshell": lambda c: f"( {c} )",
    "group": lambda c: f"{{ {c}; }}",
    "function": lambda c: f"f() {{ {c}; }}; f",
    "time": lambda c: f"time {c}",
    "sudo": _needs(
        lambda c: bool(PLAIN_PROGRAM.match(c)) and c.split()[0] not in KEYWORDS,
        lambda c: f"sudo {c}",
    ),
    "echo-pipe-shell": _needs(no_single_quotes, lambda c: f"echo '{c}' | bash"),
    "bash-c": _needs(no_single_quotes, lambda c: f"bash -c '{c}'"),
    "here-string": _needs(no_single_quotes, lambda c: f"bash <<< '{c}'"),
    "variable-program": _needs(
        lambda c: bool(PLAIN_PROGRAM.match(c)),
        lambda c: re.sub(PLAIN_PROGRAM, lambda m: f"p={m.group(0)}; $p", c, count=1),
    ),
    "ifs": _needs(unquoted, lambda c: c.replace(" ", "${IFS}")),
    "next-line": lambda c: f"true\n{c}",
    "after-a-comment": lambda c: f"ls # it's here\n{c}",
    "after-a-hash-in-a-word": lambda c: f"echo a#b ${{f#./}}; {c}",
    "here-document": _needs(lambda c: "EOF" not in c, lambda c: f"bash <<EOF\n{c}\nEOF"),
    "quoted-here-document": _needs(
        lambda c: "END" not in c, lambda c: f"sh <<-'END'\n\t{c}\n\tEND"
    ),
    "after-a-here-document": lambda c: f"cat <<'EOF' > notes.txt\nhi; there\nEOF\n{c}",
    "joined-subshell": _needs(lambda c: not c.startswith("("), lambda c: f"true&&({c})"),
    "after-a-joined-subshell": lambda c: f"(false)||{c}",
    "after-a-case-in-a-substitution": lambda c: f"echo $(case $1 in a) echo a;; esac);{c}",
    "busybox": _needs(
        lambda c: (
            bool(PLAIN_PROGRAM.match(c))
            and c.split()[0] in ("rm", "dd", "chmod", "chown", "mkfs", "cp", "tee")
        ),
        lambda c: f"busybox {c}",
    ),
}
FISH: dict[str, Callable[[str], str | None]] = {
    "begin": lambda c: f"begin; {c}; end",
    "and": lambda c: f"true; and {c}",
    "or": lambda c: f"false; or {c}",
    "if": lambda c: f"if true; {c}; end",
    "for": lambda c: f"for i in 1; {c}; end",
    "while": lambda c: f"while true; {c}; break; end",
    "echo-pipe-fish": _needs(no_single_quotes, lambda c: f"echo '{c}' | fish"),
    "fish-c": _needs(no_single_quotes, lambda c: f"fish -c '{c}'"),
    "sudo": _needs(
        lambda c: bool(PLAIN_PROGRAM.match(c)) and c.split()[0] not in KEYWORDS,
        lambda c: f"sudo {c}",
    ),
    "not-not": lambda c: f"not not {c}",
    "function": lambda c: f"function f; {c}; end; f",
}
POWERSHELL: dict[str, Callable[[str], str | None]] = {
    "call-block": lambda c: f"& {{ {c} }}",
    "dot-block": lambda c: f". {{ {c} }}",
    "if": lambda c: f"if ($true) {{ {c} }}",
    "foreach": lambda c: f"foreach ($i in 1) {{ {c} }}",
    "then-more": lambda c: f"{c}; Get-Date",
    "after-more": lambda c: f"Get-Date; {c}",
    "encoded": lambda c: f"powershell -enc {base64.b64encode(c.encode('utf-16-le')).decode()}",
    "command": _needs(lambda c: '"' not in c, lambda c: f'pwsh -Command "{c}"'),
    "script-block": lambda c: f"Invoke-Command -ScriptBlock {{ {c} }}",
}
# zsh's own spellings (`noglob`, `repeat`, `- rm`) mean something only to zsh: fed to zsh.
ZSH = {
    **TRANSFORMATIONS,
    "echo-pipe-shell": _needs(no_single_quotes, lambda c: f"echo '{c}' | zsh"),
    "bash-c": _needs(no_single_quotes, lambda c: f"zsh -c '{c}'"),
    "here-string": _needs(no_single_quotes, lambda c: f"zsh <<< '{c}'"),
    "short-function": lambda c: f"f () {c}\nf",  # zsh: a function whose body is one command
}
BY_SHELL = {"bash": TRANSFORMATIONS, "zsh": ZSH, "fish": FISH, "powershell": POWERSHELL}
CRITICAL = [(shell, c) for shell, c, level in DANGEROUS if level == "critical"]
CASES = [
    (shell, name, command, rewritten)
    for shell, command in CRITICAL
    for name, transform in BY_SHELL[shell].items()
    if (rewritten := transform(command)) is not None
]


def test_every_critical_command_gets_at_least_8_transformations() -> None:
    counts = {(shell, command): 0 for shell, command in CRITICAL}
    for shell, _, command, _ in CASES:
        counts[(shell, command)] += 1
    assert min(counts.values()) >= 8, min(counts.items(), key=lambda item: item[1])


@pytest.mark.parametrize(
    ("shell", "name", "command", "rewritten"), CASES, ids=[f"{s}:{n}:{c}" for s, n, c, _ in CASES]
)
def test_a_critical_command_stays_critical_however_it_is_written(
    shell: str, name: str, command: str, rewritten: str
) -> None:
    verdict = classify(rewritten, shell)
    assert verdict.level.label == "critical", (rewritten, verdict)
