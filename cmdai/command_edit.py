"""One edit to a command as written, for the checks that know the edit that puts their problem
right: an option after a program (`docker logs -f api`), one argument for another (`sleep
10m`), a variable for one program (`TZ=Asia/Tokyo date`). The rest of the line is kept
character for character, quotes and spacing included.

An edit finds the program by its name among the line's words, read with the shell's quoting;
it does not parse the line, so what it makes is checked again before anyone sees it (see
generate's repair): an edit that landed elsewhere leaves the problem in place and is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class Finding(NamedTuple):
    """A problem with a command, for the user and the model, and the command with the problem
    put right when one edit does it."""

    message: str
    fix: str | None = None


@dataclass(frozen=True)
class _Word:
    start: int
    end: int
    text: str  # with the quotes taken away: `'a b'` is `a b`
    operator: bool = False  # `|`, `&&`, `;`, `(`, `>` …


_OPERATOR_CHARS = ";&|()<>`"


def add_option(line: str, program: str, option: str) -> str | None:
    """`line` with `option` right after the first `program` in it (`docker logs`: after the
    subcommand, which must follow the program), or None when the line does not run it."""
    words = _words(line)
    names = program.split()
    for index, word in enumerate(words):
        following = words[index : index + len(names)]
        if _is(word, names[0]) and [w.text for w in following[1:]] == names[1:]:
            end = following[-1].end
            return f"{line[:end]} {option}{line[end:]}"
    return None


def replace_argument(line: str, program: str, old: str, new: str) -> str | None:
    """`line` with the first argument `old` of the first `program` that has one written as
    `new` (`sleep 10` -> `sleep 10m`), or None."""
    words = _words(line)
    for index, word in enumerate(words):
        if not _is(word, program):
            continue
        for argument in words[index + 1 :]:
            if argument.operator:
                break
            if argument.text == old:
                return f"{line[: argument.start]}{new}{line[argument.end :]}"
    return None


def set_variable(line: str, program: str, assignment: str) -> str | None:
    """`line` with `assignment` (`TZ=Asia/Tokyo`) in the environment of the first `program`:
    written just before it, or None."""
    word = next((word for word in _words(line) if _is(word, program)), None)
    if word is None:
        return None
    return f"{line[: word.start]}{assignment} {line[word.start :]}"


def _is(word: _Word, program: str) -> bool:
    return not word.operator and word.text.rsplit("/", 1)[-1] == program


def _words(line: str) -> list[_Word]:
    """The line's words and operators, where each is written. Quotes are read the shell's way
    ('…' keeps everything, "…" and a backslash escape one character)."""
    words: list[_Word] = []
    index = 0
    while index < len(line):
        char = line[index]
        if char.isspace():
            index += 1
        elif char in _OPERATOR_CHARS:
            end = index + 1
            while end < len(line) and line[end] in ";&|<>":  # `&&`, `||`, `>>`
                end += 1
            words.append(_Word(index, end, line[index:end], operator=True))
            index = end
        else:
            end, text = _read_word(line, index)
            words.append(_Word(index, end, text))
            index = end
    return words


def _read_word(line: str, start: int) -> tuple[int, str]:
    """Where the word that begins at `start` ends, and its text without quotes."""
    text: list[str] = []
    index = start
    while index < len(line) and not line[index].isspace() and line[index] not in _OPERATOR_CHARS:
        char = line[index]
        if char == "'":
            close = line.find("'", index + 1)
            close = len(line) if close < 0 else close
            text.append(line[index + 1 : close])
            index = close + 1
        elif char == '"':
            index += 1
            while index < len(line) and line[index] != '"':
                if line[index] == "\\" and index + 1 < len(line):
                    index += 1
                text.append(line[index])
                index += 1
            index += 1
        elif char == "\\" and index + 1 < len(line):
            text.append(line[index + 1])
            index += 2
        else:
            text.append(char)
            index += 1
    return min(index, len(line)), "".join(text)
