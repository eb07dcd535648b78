"""Split a command line into the simple commands it runs, the way a shell would see them.

Quoting is honoured (so `grep -r "rm -rf" .` runs grep, not rm), and every simple command is
found: those joined by `;`, `&&`, `||`, `|` and `&`, those inside subshells, `$( )`, backticks
and process substitutions, those run by `sh -c`/`eval`, `find -exec` and `xargs`, and those
behind wrappers (`sudo`, `env`, `nice`, `command`, `\\rm`, `/bin/rm`, ...).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath

SEPARATORS = {";", "&&", "||", "|", "&", "(", ")", "{", "}", "\n", ";;", "|&", "!"}
REDIRECTS = {">", ">>", ">|", "&>", "&>>", "<", "<<", "<<<", "<>"}
SUBST = "__cmdai_subst__"  # where a lifted $( ) stood
SHELLS = {"sh", "bash", "zsh", "dash", "ksh", "fish", "pwsh", "powershell"}

# Wrappers: program -> options of the wrapper that take a value (skipped with their value).
WRAPPERS: dict[str, set[str]] = {
    "sudo": {"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "--user", "--group"},
    "doas": {"-u", "-C"},
    "env": {"-u", "-C", "-S", "--unset", "--chdir"},
    "nice": {"-n", "--adjustment"},
    "ionice": {"-c", "-n", "-p"},
    "nohup": set(),
    "time": {"-f", "-o"},
    "command": set(),
    "builtin": set(),
    "exec": {"-a"},
    "stdbuf": {"-i", "-o", "-e"},
    "timeout": {"-s", "-k", "--signal", "--kill-after"},
    "chroot": set(),
    "watch": {"-n", "-d"},
    "xargs": {"-I", "-i", "-n", "-P", "-L", "-d", "-E", "-s", "-a", "--max-args", "--delimiter"},
}
_POSITIONAL_WRAPPER_ARGS = {"timeout": 1, "chroot": 1}  # `timeout 5 CMD`, `chroot DIR CMD`


@dataclass
class Simple:
    """One simple command: the program (basename) and its words, plus redirection targets."""

    program: str
    args: list[str]
    redirects: list[tuple[str, str]] = field(default_factory=list)
    wrappers: list[str] = field(default_factory=list)
    pipe_from: Simple | None = None  # the command whose output this one reads
    word: str = ""  # the program as written (`./build.sh`, `\\rm`), for the PATH check


@dataclass
class Parsed:
    commands: list[Simple]
    parse_error: str | None = None  # set when the line could not be tokenised exactly


def parse(line: str, *, powershell: bool = False) -> Parsed:
    text, substitutions = _lift_substitutions(line)
    try:
        tokens = _tokenize(text, powershell)
        error = None
    except ValueError as exc:  # unbalanced quotes: fall back to plain words, say so
        tokens = text.replace("'", " ").replace('"', " ").split()
        error = str(exc)
    commands = _split(tokens, powershell)
    for inner in substitutions:
        nested = parse(inner, powershell=powershell)
        commands += nested.commands
        error = error or nested.parse_error
    return Parsed(commands, error)


_SUBSTITUTION = re.compile(r"`([^`]*)`|[$<>]\(([^()]*(?:\([^()]*\)[^()]*)*)\)")


def _lift_substitutions(line: str) -> tuple[str, list[str]]:
    """Take `…`, $(…), <(…) and >(…) out of the line (each becomes its own command list).

    Single-quoted text is left alone: '$(rm -rf /)' is a literal string, not a command.
    """
    found: list[str] = []
    parts = re.split(r"('[^']*')", line)
    for index, part in enumerate(parts):
        if part.startswith("'") and part.endswith("'") and len(part) >= 2:
            continue

        def lift(match: re.Match[str]) -> str:
            found.append(match.group(1) if match.group(1) is not None else match.group(2))
            return f" {SUBST} "

        parts[index] = _SUBSTITUTION.sub(lift, part)
    return "".join(parts), found


def _tokenize(text: str, powershell: bool) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    if powershell:
        lexer.escape = "`"
    return list(lexer)


def _split(tokens: list[str], powershell: bool) -> list[Simple]:
    commands: list[Simple] = []
    words: list[str] = []
    redirects: list[tuple[str, str]] = []
    pipe_source: Simple | None = None  # the command whose output the next stage reads
    pending_redirect: str | None = None
    for token in [*tokens, ";"]:
        if pending_redirect:
            redirects.append((pending_redirect, token))
            pending_redirect = None
        elif token in REDIRECTS or re.fullmatch(r"\d?>{1,2}\|?&?|&>>?|<&", token):
            pending_redirect = token
        elif token not in SEPARATORS:
            words.append(token)
        else:
            made = _make(words, redirects, powershell)
            if made and pipe_source is not None:
                made[0].pipe_from = pipe_source
            commands += made
            pipe_source = made[0] if made and token in ("|", "|&") else None
            words, redirects = [], []
    return commands


def _make(words: list[str], redirects: list[tuple[str, str]], powershell: bool) -> list[Simple]:
    """Unwrap one word list into the simple commands it runs (a wrapper may run another)."""
    words = words if powershell else _drop_assignments(words)
    words = [w for w in words if w != SUBST]
    if not words:
        return [Simple("", [], redirects)] if redirects else []
    wrappers: list[str] = []
    while words:
        program = program_name(words[0], powershell)
        if powershell or program not in WRAPPERS:  # the wrappers are POSIX programs
            break
        wrappers.append(program)
        words = _skip_wrapper_options(program, words[1:])
        words = _drop_assignments(words) if program == "env" else words
    if not words:
        return [Simple(wrappers[-1], [], redirects, wrappers[:-1])] if wrappers else []
    main = Simple(program_name(words[0], powershell), words[1:], redirects, wrappers, word=words[0])
    return [main, *_nested(main, powershell)]


def _skip_wrapper_options(program: str, words: list[str]) -> list[str]:
    takes_value = WRAPPERS[program]
    index = 0
    while index < len(words) and words[index].startswith("-") and words[index] != "--":
        index += 2 if words[index] in takes_value else 1
    if index < len(words) and words[index] == "--":
        index += 1
    return words[index + _POSITIONAL_WRAPPER_ARGS.get(program, 0) :]


def _nested(command: Simple, powershell: bool) -> list[Simple]:
    """Commands that this one runs: sh -c STRING, eval STRING, find -exec CMD ;."""
    nested: list[Simple] = []
    if command.program in SHELLS and "-c" in command.args:
        index = command.args.index("-c")
        if index + 1 < len(command.args):
            nested += parse(command.args[index + 1], powershell=powershell).commands
    if command.program == "eval" and command.args:
        nested += parse(" ".join(command.args), powershell=powershell).commands
    if command.program == "find":
        for flag in ("-exec", "-execdir", "-ok", "-okdir"):
            for start, word in enumerate(command.args):
                if word == flag:
                    tail = command.args[start + 1 :]
                    end = next((i for i, w in enumerate(tail) if w in (";", "+", "\\;")), len(tail))
                    nested += _make(tail[:end], [], powershell)
    return nested


def _drop_assignments(words: list[str]) -> list[str]:
    """`FOO=1 BAR=2 cmd args` -> `cmd args` (only leading words are assignments)."""
    index = 0
    while index < len(words) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[index], re.S):
        index += 1
    return words[index:]


def program_name(word: str, powershell: bool = False) -> str:
    """`\\rm`, `/bin/rm`, `"rm"` -> `rm`; PowerShell names are case-insensitive."""
    name = word.lstrip("\\")
    if "/" in name:
        name = PurePosixPath(name).name
    if powershell or re.fullmatch(r"[A-Za-z]+-[A-Za-z]+", name):
        name = name.lower()
    return name
