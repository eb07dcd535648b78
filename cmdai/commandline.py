"""Split a command line into the simple commands it runs, the way a shell would see them.

Quoting is honoured (so `grep -r "rm -rf" .` runs grep, not rm), and every simple command is
found: those joined by `;`, `&&`, `||`, `|` and `&`, those inside subshells, `$( )`, backticks
and process substitutions, those run by `sh -c`/`eval`, `find -exec` and `xargs`, and those
behind wrappers (`sudo`, `env`, `nice`, `command`, `\\rm`, `/bin/rm`, ...).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

SEPARATORS = {";", "&&", "||", "|", "&", "(", ")", "{", "}", "\n", ";;", "|&", "!"}
REDIRECTS = {">", ">>", ">|", "&>", "&>>", "<", "<<", "<<<", "<>"}
SUBST = "__cmdai_subst__"  # where a lifted $( ) stood
COMPUTED = "__cmdai_computed__"  # the program of a command whose name is a variable or $( )
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
    # Multi-call binaries and launchers that run the program named next.
    "busybox": set(),
    "toybox": set(),
    "setsid": set(),
    "unbuffer": set(),
    "strace": {"-o", "-e", "-p", "-s", "-u", "-E", "-a"},
    "ltrace": {"-o", "-e", "-p", "-s", "-u"},
    "flock": {"-w", "-E", "--timeout", "--conflict-exit-code"},
    "parallel": {"-j", "--jobs", "-S", "--sshlogin"},
    "systemd-run": {"-p", "--property", "-u", "--unit", "--uid", "--gid"},
    "unshare": set(),
    "nsenter": {"-t", "--target"},
    "caffeinate": set(),
    "torsocks": set(),
    "proxychains": {"-f"},
    "proxychains4": {"-f"},
}
# `timeout 5 CMD`, `chroot DIR CMD`, `flock LOCKFILE CMD`
POSITIONAL_WRAPPER_ARGS = {"timeout": 1, "chroot": 1, "flock": 1}

# Reserved words that start a command list in bash, zsh and fish: what follows them is a
# command (`if rm …`, `then rm …`, `do rm …`, fish `and rm …`), so they are dropped from the
# front of a word list. `repeat N` (zsh) also takes a count. (`time` and `exec` are wrappers:
# they take options of their own.)
LEADING_KEYWORDS = {
    "if", "then", "elif", "else", "do", "while", "until", "coproc", "!",
    "and", "or", "not", "begin", "noglob", "nocorrect", "-", "repeat",
}  # fmt: skip
# Words that end a compound command, and headers whose words are not a command at all.
CLOSING_KEYWORDS = {"fi", "done", "esac", "end", "}"}
HEADER_KEYWORDS = {"for", "select", "case", "function", "foreach", "switch"}
# Compiled once: these run on every word of every command the classifier sees.
_REDIRECT_TOKEN = re.compile(r"\d?>{1,2}\|?&?|&>>?|\d?<&?")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*", re.S)
_EQUALS_NAME = re.compile(r"=[A-Za-z_][\w.-]*")
_VERB_NOUN = re.compile(r"[A-Za-z]+-[A-Za-z]+")


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


_LEXER_SPECIAL = frozenset(";&|()<>#\\'\"`")
_LEXER_WHITESPACE = re.compile(r"[ \t\r\n]+")


def _tokenize(text: str, powershell: bool) -> list[str]:
    if _LEXER_SPECIAL.isdisjoint(text):  # no quote, escape, comment or operator: plain words,
        # split where the lexer splits (its whitespace is these four), at a fraction of its cost
        return [word for word in _LEXER_WHITESPACE.split(text) if word]
    return list(_lexer(text, powershell))


def _lexer(text: str, powershell: bool) -> shlex.shlex:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    if powershell:
        lexer.escape = "`"
    return lexer


_SEMICOLON_WORD = "__cmdai_semicolon__"
# `\;` (not `\\;`: an escaped backslash, then a real separator), and `';'` or `";"` standing
# alone as a word (in `'x';'rm'` the `;` between the quotes separates two commands).
_QUOTED_SEMICOLON = re.compile(r"(?<!\\)((?:\\\\)*)\\;|(?:(?<=\s)|^)(?:';'|\";\")(?=\s|$)")


@dataclass
class Step:
    """One word list of a line as written (wrappers and all), its redirections, and the
    separator after it ("|", "&&", ";", …; "" at the end of the line)."""

    words: list[str]
    redirects: list[tuple[str, str]]
    then: str


def steps(line: str) -> tuple[list[Step], list[str]]:
    """The line's word lists in order, and the text of each `$( )`, backtick or `<( )` in it
    (their commands run first). A file descriptor written against its redirection (`2>`,
    `2>&1`) is part of the operator, not a word of the command."""
    text, substitutions = _lift_substitutions(line)
    # A quoted or escaped `;` (find's `-exec … \;`) is a word; the lexer would return it as
    # the separator it looks like.
    text = _QUOTED_SEMICOLON.sub(lambda m: (m.group(1) or "") + _SEMICOLON_WORD, text)
    try:
        tokens = _tokenize(text, False)
    except ValueError:  # unbalanced quotes: plain words
        tokens = text.replace("'", " ").replace('"', " ").split()
    tokens = [t.replace(_SEMICOLON_WORD, "\\;") for t in tokens]
    found = []
    for words, redirects, then in _word_lists(_join_descriptors(tokens, text)):
        # `2>&1`, `>&2`: a descriptor is written against its operator, with no target word.
        redirects = [(op + target, "") if target.isdigit() and op.endswith("&") else (op, target)
                     for op, target in redirects]  # fmt: skip
        words = [w for w in words if w != SUBST]
        if words or redirects:
            found.append(Step(words, redirects, then))
    return found, substitutions


def _join_descriptors(tokens: list[str], text: str) -> list[str]:
    """["2", ">", "x"] -> ["2>", "x"] where the line has `2>` written together."""
    joined: list[str] = []
    for token in tokens:
        if (
            joined
            and joined[-1].isdigit()
            and len(joined[-1]) == 1
            and token in (">", ">>", ">&", "<", "<&", ">|")
            and re.search(rf"(?<![\w-]){joined[-1]}{re.escape(token)}", text)
        ):
            joined[-1] += token
        else:
            joined.append(token)
    return joined


def _word_lists(tokens: list[str]) -> Iterator[tuple[list[str], list[tuple[str, str]], str]]:
    """(words, redirections, separator after them) for each stretch between separators."""
    words: list[str] = []
    redirects: list[tuple[str, str]] = []
    pending_redirect: str | None = None
    for index, token in enumerate([*tokens, ""]):
        if pending_redirect and index < len(tokens):
            redirects.append((pending_redirect, token))
            pending_redirect = None
        elif token in REDIRECTS or _REDIRECT_TOKEN.fullmatch(token):
            pending_redirect = token
        elif token not in SEPARATORS and index < len(tokens):
            words.append(token)
        else:
            yield words, redirects, token
            words, redirects = [], []


def _split(tokens: list[str], powershell: bool) -> list[Simple]:
    commands: list[Simple] = []
    pipe_source: Simple | None = None  # the command whose output the next stage reads
    for words, redirects, separator in _word_lists(tokens):
        made = _make(words, redirects, powershell)
        if made and pipe_source is not None:
            made[0].pipe_from = pipe_source
        commands += made
        pipe_source = made[0] if made and separator in ("|", "|&") else None
    return commands


def _make(words: list[str], redirects: list[tuple[str, str]], powershell: bool) -> list[Simple]:
    """Unwrap one word list into the simple commands it runs (a wrapper may run another)."""
    if not powershell:
        words = strip_leading(words)
    computed = (
        not powershell
        and bool(words)
        and ("$" in words[0] or (words[0] == SUBST and len(words) > 1))
    )
    words = [w for w in words if w != SUBST]
    if computed:  # `$(echo rm) -rf ~`, `$cmd -rf ~`: the program is known only when it runs
        return [Simple(COMPUTED, words, redirects, word=words[0] if words else "")]
    if not words:
        return [Simple("", [], redirects)] if redirects else []
    wrappers: list[str] = []
    while words:
        program = program_name(words[0], powershell)
        if powershell or program not in WRAPPERS:  # the wrappers are POSIX programs
            break
        wrappers.append(program)
        words = _skip_wrapper_options(program, words[1:])
        words = strip_leading(words)  # `time LANG=C rm`, `sudo FOO=1 rm`, `time coproc rm`
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
    return words[index + POSITIONAL_WRAPPER_ARGS.get(program, 0) :]


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


def strip_leading(words: list[str]) -> list[str]:
    """`then FOO=1 rm …` -> `rm …`: reserved words and assignments, in any order."""
    while (stripped := _drop_keywords(_drop_assignments(words))) != words:
        words = stripped
    return words


def _drop_keywords(words: list[str]) -> list[str]:
    """`if rm …` -> `rm …`; `for f in *` and `fi` -> nothing (they run no program)."""
    while words and words[0] in LEADING_KEYWORDS:
        words = words[2:] if words[0] == "repeat" and len(words) > 1 else words[1:]
    if words and (words[0] in CLOSING_KEYWORDS or words[0] in HEADER_KEYWORDS):
        return []
    return words


def _drop_assignments(words: list[str]) -> list[str]:
    """`FOO=1 BAR=2 cmd args` -> `cmd args` (only leading words are assignments)."""
    index = 0
    while index < len(words) and _ASSIGNMENT.fullmatch(words[index]):
        index += 1
    return words[index:]


def program_name(word: str, powershell: bool = False) -> str:
    """`\\rm`, `/bin/rm`, `"rm"` -> `rm`; PowerShell names are case-insensitive."""
    name = word.lstrip("\\")
    if name.startswith("=") and _EQUALS_NAME.fullmatch(name):  # zsh: `=rm` is the path of rm
        name = name[1:]
    if "/" in name:
        name = PurePosixPath(name).name
    if powershell or ("-" in name and _VERB_NOUN.fullmatch(name)):
        name = name.lower()
    return name
