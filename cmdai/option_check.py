"""Do the options a command passes to its programs exist? Looked up in the documentation on
this machine (`manpage.py`: the program's man page read as roff, or its `--help` output for a
few programs known to print only help), never guessed.

Long options are matched exactly (or as the unambiguous prefix GNU getopt accepts), short
options and clusters letter by letter until a letter that takes a value (`-n5`, `-d,`),
subcommands (`git reset`, `docker run`) on the subcommand's own page. A program without docs,
a value that only looks like an option (`chmod -x`, `kill -HUP`, `find -mtime -7`) or anything
after `--` is not checked: the check may miss an invented option, but must not reject a real
one. What a page offers is parsed once per program and process (the helper keeps it warm).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from cmdai import manpage
from cmdai.commandline import (
    COMPUTED,
    FIND_COMMAND_ENDS,
    FIND_EXEC_ACTIONS,
    Simple,
    parse,
    subcommand,
)

# Programs whose subcommands have their own page (`git-reset(1)`, `docker-run(1)`). A
# subcommand without one (an alias, a plug-in, `ip a`) is not checked: the program's own page
# lists only its global options.
SUBCOMMAND_PAGES = {"git", "openssl", "docker", "podman", "npm", "cargo", "ip", "gh"}
# Programs whose dash-words are values, not options: chmod's modes, kill's signals.
_MODE = re.compile(r"^-[rwxXstugo]+$")
# `-9`, `-KILL`, `-SIGKILL`, `-RTMIN+3`; not `pkill -U alice` (a user)
_SIGNAL = re.compile(r"-(?:SIG)?([A-Z][A-Z0-9]*(?:[+-]\d+)?)|-(\d+)")
# Programs whose first operand starts another command line, whose options are not theirs:
# `ssh web1 df -h`, `strace -f make -j4`, `docker run -d nginx nginx -g …`. Checked up to it.
RUNNERS = {"ssh", "strace", "ltrace", "flock", "taskset", "runuser", "su", "valgrind",
           "parallel", "gdb", "perf", "script", "docker run", "docker exec", "podman run",
           "podman exec", "kubectl exec"}  # fmt: skip
# Programs whose own page does not list their options: the page that does (none: not checked).
OPTION_PAGES = {"perl": "perlrun"}
# Interpreters: what follows `-m module`, `-c code`, `-e code` or the script is not theirs.
INTERPRETERS = {"python", "python3", "python2", "perl", "ruby", "node", "php", "lua", "bash",
                "sh", "dash", "zsh", "ksh", "fish", "java"}  # fmt: skip
_INTERPRETER_ENDS = {"-m", "-c", "-e", "-E", "-jar", "-r", "--command", "--eval"}
_NAME = re.compile(r"\w[\w.+-]*")  # a program or subcommand name, never an option


@dataclass(frozen=True)
class Doc:
    """What one page says a program accepts."""

    longs: frozenset[str]  # "--all"
    shorts: frozenset[str]  # "a"
    words: frozenset[str]  # single-dash words: find's "-name", java's "-version"
    valued: frozenset[str]  # options shown with a value: "n", "--lines", "-name"
    word_style: bool = False  # options are mostly single-dash words (find, openssl, java)
    # Letters whose value is optional and can only be attached (`-I[FMT]`): the rest of a word
    # after them is their value (`date -Ihours`, `sed -i.bak`), and the next word never is.
    attached: frozenset[str] = frozenset()

    def knows_long(self, name: str) -> bool:
        if name in self.longs:
            return True
        base = name.removeprefix("--no-")
        if base != name and f"--{base}" in self.longs:
            return True  # `--no-verify` where the page documents `--verify` (and the reverse)
        if f"--no-{name[2:]}" in self.longs:
            return True
        return len(name) >= 5 and any(long.startswith(name) for long in self.longs)

    def knows_word(self, word: str) -> bool:
        """A single-dash word (`-name`), or one filling a placeholder the page shows in capitals
        (find's `-newerXY` documents `-newermt`)."""
        if word in self.words:
            return True
        return any(
            len(pattern) == len(word)
            and word.startswith(pattern.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
            for pattern in self.placeholders
        )

    @functools.cached_property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(w for w in self.words if re.fullmatch(r"-[a-z]+[A-Z]+", w))


def check(command: str) -> str | None:
    """The first option a program of `command` does not have, worded for the user and the
    model ("`git reset` has no option `--config.yaml`"), or None."""
    for simple in parse(command).commands:
        problem = check_simple(simple)
        if problem:
            return problem
    return None


def check_simple(simple: Simple) -> str | None:
    program = simple.program
    if program == COMPUTED or not _NAME.fullmatch(program):
        return None
    args = list(simple.args)
    name = program
    if program in SUBCOMMAND_PAGES:
        # `git -C dir log -n 5`: what follows the subcommand, on its page; the global
        # options before it are not checked
        sub, args = subcommand(program, args)
        if not _NAME.fullmatch(sub):
            return None
        doc = doc_for(f"{program}-{sub}")
        name = f"{program} {sub}"
    else:
        doc = doc_for(OPTION_PAGES.get(program, program))
    if doc is None:
        return None
    unknown = next(unknown_options(name, args, doc), None)
    return f"`{name}` has no option {unknown}" if unknown else None


@dataclass(frozen=True)
class Option:
    """One option as a command passes it, and whether the program's docs list it."""

    name: str  # "--all", "-a", "-name"
    value: str | None  # its value: "*.py" of `-name '*.py'`, "5" of `-n5`
    known: bool
    cluster: str = ""  # the word a letter came from ("-lah"), for messages
    command: tuple[str, ...] = ()  # what find's -exec runs, with its `;` or `+`


def unknown_options(program: str, args: list[str], doc: Doc) -> Iterator[str]:
    """Each option in `args` that `doc` does not list, in order, quoted for a message:
    "`--colour`", or "`-z` (in `-lQz`)" for a letter of a cluster."""
    for option in read_options(program, args, doc):
        if not option.known:
            alone = not option.cluster or sum(c.isalpha() for c in option.cluster[1:]) == 1
            yield f"`{option.name}`" if alone else f"`{option.name}` (in `{option.cluster}`)"


def read_options(program: str, args: list[str], doc: Doc) -> Iterator[Option]:
    """The options in `args`, each with its value, as `doc` says the program reads them: up
    to `--`, the command a runner or interpreter runs, or the end. Operands are skipped."""
    return (word for word in read_words(program, args, doc) if isinstance(word, Option))


def operands(program: str, args: list[str], doc: Doc) -> list[str]:
    """The words of `args` that are neither options nor their values (`grep -A 3 x f`: x and
    f), those after `--` included (see read_words for runners and interpreters)."""
    return [word for word in read_words(program, args, doc) if isinstance(word, str)]


def read_words(program: str, args: list[str], doc: Doc) -> Iterator[Option | str]:
    """The options of `args` (each with its value, as `doc` says the program reads them) and
    its operands (as strings), in order. A number, a signal or a chmod mode written with a
    dash (`-7`, `-HUP`, `-x`) is neither. Stops after the first operand of a runner or an
    interpreter (ssh's host in `ssh web1 df -h`, the script in `python3 app.py -v`, strace's
    program): what follows belongs to the command it runs."""
    words = iter(args)
    for word in words:
        if word == "--":
            yield from words
            return
        if program == "find" and word in FIND_EXEC_ACTIONS:
            inner = []
            for inner_word in words:  # another program's words, up to `;` or `+`
                inner.append(inner_word)
                if inner_word in FIND_COMMAND_ENDS:
                    break
            yield Option(word, None, True, command=tuple(inner))
            continue
        if program in INTERPRETERS and word in _INTERPRETER_ENDS:
            yield Option(word, next(words, None), True)  # not checked: -e is perl's, -jar java's
            return  # the module's, the code's or the script's own words follow
        if not word.startswith("-") or word == "-":
            yield word
            if program in RUNNERS or program in INTERPRETERS:
                return  # the command or script it runs follows
            continue
        if _is_value(program, word) and not (len(word) == 2 and word[1] in doc.shorts):
            continue  # `-7` is a number, but xargs's `-0` an option
        yield from _read_option(word, words, doc)


def _read_option(word: str, words: Iterator[str], doc: Doc) -> Iterator[Option]:
    """The option (or the letters of the cluster) in `word`; its value may be the next word."""
    if word.startswith("--"):
        name, has_value, value = word.partition("=")
        known = doc.knows_long(name)
        if known and not has_value and name in doc.valued:
            yield Option(name, next(words, None), known)
        else:
            yield Option(name, value if has_value else None, known)
        return
    if len(word) > 2 and doc.knows_word(word):  # `-name`; `-L` is read as a letter below
        yield Option(word, next(words, None) if word in doc.valued else None, True)
        return
    if doc.word_style and len(word) > 2:
        yield Option(word, None, False)  # `-expiry` is one option here, not letters
        return
    yield from _cluster(word, words, doc)


def _cluster(word: str, words: Iterator[str], doc: Doc) -> Iterator[Option]:
    """`-lah`: each letter an option, up to one that takes a value (the rest of the word, or
    the next word when the cluster ends with it); an unknown letter ends the reading, and so
    does a character that is not a letter (`-j4`, `-d,`: the value of the letter before)."""
    cluster = word if len(word) > 2 else ""
    letters: list[Option] = []
    for index, letter in enumerate(word[1:], start=1):
        if not (letter.isalpha() or (index == 1 and letter in doc.shorts)):  # xargs -0, ls -1
            if index == 1 and letter.isdigit():  # `wc -1`: read as a number only where it is one
                letters.append(Option(word, None, False))
            if letters:
                letters[-1] = replace(letters[-1], value=word[index:])
            break
        if letter not in doc.shorts:
            letters.append(Option(f"-{letter}", None, False, cluster))
            break
        if letter in doc.attached:
            letters.append(Option(f"-{letter}", word[index + 1 :] or None, True, cluster))
            break
        if letter in doc.valued:
            rest = word[index + 1 :]
            letters.append(Option(f"-{letter}", rest or next(words, None), True, cluster))
            break
        letters.append(Option(f"-{letter}", None, True, cluster))
    yield from letters


def _is_value(program: str, word: str) -> bool:
    if word[1].isdigit() or word[1] in "+.":  # `-7`, `-100k`, `-1.5`: a number
        return program not in _FILES_ONLY  # `wc -l -1`: wc stops on it (invalid option)
    if program == "chmod" and _MODE.match(word):
        return True
    return program in ("kill", "pkill", "killall", "timeout") and signal_given(word) is not None


# Programs whose operands are only files: a dashed number given to them is no count or value
# but an option they do not have (`head -5` and `kill -9` take one; these take none).
_FILES_ONLY = frozenset({"wc", "cat", "cp", "mv", "rm", "mkdir", "rmdir", "touch", "ln", "stat",
                         "file", "chown", "chgrp", "ls"})  # fmt: skip


def signal_given(word: str) -> str | None:
    """The signal that a word such as `-9`, `-KILL`, `-SIGKILL` or `-RTMIN+3` names, as
    written after the dash and any SIG; None for any other word."""
    match = _SIGNAL.fullmatch(word)
    return (match.group(1) or match.group(2)) if match else None


# --- the documentation ----------------------------------------------------------------------


@functools.cache
def doc_for(program: str) -> Doc | None:
    """The options `program` documents, or None when this machine has no docs for it."""
    text = manpage.man_text(program)
    if text is not None:
        return parse_roff(text)
    help_text = manpage.help_output(program)
    return parse_plain(help_text) if help_text else None


# roff: font changes, zero-width and spacing escapes, special characters that are dashes.
_FONT = manpage.FONT
_ITALIC = re.compile(r"\\f(?:I|\[I\]|\(BI)")
_DASH = manpage.DASH
_ZERO_WIDTH = re.compile(r"\\(?:&|%|:|\^|\||\)|c$)", re.M)
_MDOC_FLAG = re.compile(r"\bFl\s+(\S+)(\s+(?:Ar|Oo|Op)\b)?")
VALUE_MARK = "\x01"  # where an italic (argument) font started


def parse_roff(source: str) -> Doc:
    # An mdoc example line shows other programs' options too (ssh(1): `dig -t SSHFP host`).
    source = re.sub(r"^\.Dl\b.*$", "", source, flags=re.M)
    text = _ITALIC.sub(VALUE_MARK, _font_macros(source))
    text = _ZERO_WIDTH.sub("", _FONT.sub("", _DASH.sub("-", text)))
    text = re.sub(r'\\\(?[a-z]{2}|\\\[[a-z]+\]|\\e|\\ |"', " ", text)
    doc = parse_plain(text)
    mdoc_shorts, mdoc_words, mdoc_valued = set(), set(), set()
    for match in _MDOC_FLAG.finditer(text):  # BSD mdoc pages: `.It Fl L Ar address`
        flag = "-" + match.group(1).strip(",|[]")
        if flag.startswith("--"):
            mdoc_words.add(flag)
        elif flag[1:].isalnum():
            mdoc_shorts.update(flag[1:])
            mdoc_words.add(flag)
            if match.group(2) and len(flag) == 2:
                mdoc_valued.add(flag[1])
    longs = {w for w in mdoc_words if w.startswith("--")}
    return Doc(
        longs=doc.longs | longs,
        shorts=doc.shorts | mdoc_shorts,
        words=doc.words | (mdoc_words - longs),
        valued=doc.valued | mdoc_valued,
        word_style=doc.word_style,
        attached=doc.attached - mdoc_valued,
    )


# Font macros with their arguments on the line: `.BI \-I " replace-str"` (bold, italic, … run
# together), `.I file` (all italic). Their italic arguments are values, as after `\fI`.
_FONT_MACRO_LINE = re.compile(r"^\.(BI|IB|RI|IR|BR|RB|I)[ \t]+(.*)$", re.M)


def _font_macros(source: str) -> str:
    """Font macro lines as the text they show, a VALUE_MARK where italics start."""

    def shown(match: re.Match[str]) -> str:
        name, rest = match.groups()
        args = manpage.macro_args(rest)
        if name == "I":
            return VALUE_MARK + " ".join(args)
        if "I" not in name:
            return "".join(args)  # BR, RB
        italic = 0 if name[0] == "I" else 1  # IB, IR: the 1st, 3rd … argument; BI, RI: the 2nd …
        return "".join(VALUE_MARK * (index % 2 == italic) + arg for index, arg in enumerate(args))

    return _FONT_MACRO_LINE.sub(shown, source)


_OPTION = re.compile(r"(?<![\w/.\\-])(--?)(\[no-\])?([A-Za-z0-9?@#][\w?@#+.-]*)")
# After an option: `=VALUE`, ` <value>`, ` VALUE`, an italic value. Not `[=VALUE]` or
# `[VALUE]`: a value that may only be attached (`-f, --follow[=HOW]`, `-i[SUFFIX]`) is never
# the next word, and the letter takes none (`tail -f app.log` follows app.log).
_VALUE_AFTER = re.compile(r"^(?:,\s*\x01?--[\w-]+)?(?:=|\s?\x01|\s+<|\s+[A-Z][A-Z_]+\b|<)")
_SYNOPSIS_CLUSTER = re.compile(r"\[-([A-Za-z0-9]{2,})\]")


def parse_plain(text: str) -> Doc:
    longs: set[str] = set()
    shorts: set[str] = set()
    words: set[str] = set()
    valued: set[str] = set()
    letters: set[str] = set()  # shorts written as `-x` on their own
    attached: set[str] = set()
    for match in _OPTION.finditer(text):
        dashes, negatable, name = match.groups()
        name = name.rstrip(".-")
        if not name:
            continue
        takes_value = bool(_VALUE_AFTER.match(text[match.end() : match.end() + 60]))
        if dashes == "--":
            forms = [f"--{name}", f"--no-{name}"] if negatable else [f"--{name}"]
            longs.update(forms)
            if takes_value:
                valued.update(forms)
        elif len(name) == 1:
            shorts.add(name)
            letters.add(name)
            if takes_value:
                valued.add(name)
            elif text.startswith("[", match.end()):
                attached.add(name)
        else:
            words.add(f"-{name}")
            if takes_value:
                valued.add(f"-{name}")
            _short_value_attached(name, shorts, valued)
    for cluster in _SYNOPSIS_CLUSTER.findall(text):
        if cluster.islower() and len(cluster) >= 4:
            continue  # `[-help]`, `[-noout]`: one option spelled as a word (openssl)
        shorts.update(cluster)
        letters.update(cluster)
    word_style = len(words) >= 10 and len(words) > 3 * len(letters)
    return Doc(frozenset(longs), frozenset(shorts), frozenset(words), frozenset(valued),
               word_style, frozenset(attached - valued))  # fmt: skip


def _short_value_attached(name: str, shorts: set[str], valued: set[str]) -> None:
    """`-nNUM` in a page: the letter is an option with its value attached. (An optional value
    in brackets, `-i[SUFFIX]`, is seen where the letter is read: it is never the next word.)"""
    if re.fullmatch(r"[A-Za-z][A-Z_]{2,}", name):
        shorts.add(name[0])
        valued.add(name[0])
