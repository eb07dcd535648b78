"""Spellings that hide a command from a parser but not from the shell, undone before the rules
look: `${IFS}` for spaces, `$(echo rm)`, a variable set earlier on the line (`r=rm; $r -rf ~`,
fish `set r rm`), brace expansion (`{rm,-rf,~}`). The classifier judges the line as written and
each of these rewrites, and keeps the worst verdict: a rewrite can only raise the risk.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_IFS = re.compile(r"\$\{IFS\}|\$IFS\b")
# $(echo X), `echo X`, and fish's (echo X)
# possessive: a long unclosed `$(echo    …` is not retried from every position
_ECHO = re.compile(r"\$?\(\s*+(?:echo|printf)\s++([^()`]*+)\)|`\s*+(?:echo|printf)\s++([^`]*+)`")
_VALUE = r"(\"[^\"]*\"|'[^']*'|[^\s;&|'\"]+)"
# NAME=VALUE (sh, also after `export`), and fish's `set [-gx…] NAME VALUE`
_ASSIGN = re.compile(
    r"(?:^|[;&|(\s])(?:export\s+)?([A-Za-z_]\w*)="
    + _VALUE
    + r"|(?:^|[;&|(\s])set\s+(?:-[gxlU]+\s+)*([A-Za-z_]\w*)\s+"
    + _VALUE
)
# A whole word that is a brace list (`{rm,-rf,~}` runs `rm -rf ~`); `file.{txt,bak}` is left
# alone (its expansion only repeats the same command's operands).
_BRACES = re.compile(r"(?:(?<=[\s;&|(])|^)\{([^{}\s,]*(?:,[^{}\s,]*)+)\}(?=[\s;&|)]|$)")


def _ifs(line: str) -> str:
    return _IFS.sub(" ", line)


def _echo(line: str) -> str:
    return _ECHO.sub(lambda m: _unquote(m.group(1) if m.group(1) is not None else m.group(2)), line)


def _variables(line: str) -> str:
    """Put the value of every variable assigned on the line where it is used later on."""
    values: dict[str, str] = {}
    for match in _ASSIGN.finditer(line):
        name = match.group(1) or match.group(3)
        values.setdefault(name, _unquote(match.group(2) or match.group(4)))
    for name, value in values.items():
        line = re.sub(r"\$\{" + name + r"\}|\$" + name + r"\b", lambda _m, v=value: v, line)
    return line


def _braces(line: str) -> str:
    def expand(match: re.Match[str]) -> str:
        return " ".join(part for part in match.group(1).split(",") if part)

    return _BRACES.sub(expand, line)


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


# Each rewrite, with a cheap test that the line could need it (most lines need none).
REWRITES: tuple[tuple[Callable[[str], bool], Callable[[str], str]], ...] = (
    (lambda line: "IFS" in line, _ifs),
    (lambda line: "echo" in line or "printf" in line, _echo),
    (lambda line: "$" in line and ("=" in line or "set " in line), _variables),
    (lambda line: "{" in line and "," in line, _braces),
)


def variants(line: str) -> list[str]:
    """Each rewrite that changes the line, then all of them together (in order)."""
    found: list[str] = []
    combined = line
    for needed, rewrite in REWRITES:
        if not needed(line):
            continue
        if (changed := rewrite(line)) != line:
            found.append(changed)
        combined = rewrite(combined)
    if combined != line and combined not in found:
        found.append(combined)
    return found
