"""Is each program of a command given what it needs, where it reads it? Operands it cannot do
without (`pkill -9` names no process), and input: a program after a pipe that never reads its
input (`find … | rm`), a grep after a pipe given files (`history | grep docker run` searches a
file named run), `crontab -e` fed from a pipe (it opens an editor), and a filter that starts a
pipeline given no file (`xargs cp {} /backup`, `cd logs && uniq -d`, `awk '{print $1}'`): it
would wait for the terminal. And ssh given a place to copy to (`ssh nas:/volume1/music`), not
a host. And find given a file's name as the place to search (`find notes.txt`), a
numeric sort of lines that start with no number (`ls -lh | sort -rh`), dd from /dev/zero with
no count= (it fills the disk), `touch -t` given a date that is not in its digits, `date -I`
given a format's name (`-IISO`: it takes how much of the time to show), `top`
without -b in a pipeline (it stops at once: no terminal), an editor opened on /etc/sudoers
(visudo checks it before saving), `gunzip dump.sql.gz | less` (the file goes to disk), and
`find … -exec gzip {} + | xargs …` (find writes no names to the pipe), an -exec whose
command nothing ends (`find . -exec rm {} ;`: the shell takes the `;`), an "or" in grep's
basic syntax (`grep 'ERROR|WARN'` looks for that text), `ls -l | wc -l` (it counts the
"total" line), `find /opt -maxdepth 1 -type d -exec du -sh {} +` (/opt is listed too), and
`du -sh * | sort -rn` (sizes with units sorted by their numbers alone), `echo 2**40`
(printed as written), and `ps aux | wc -l` (it counts the header).

Each check returns one line for the user and for the model, or None. Option values are read as
the program's man page says (`option_check`), so `head -n 5` has no file and `grep -A 3 x`
one pattern; a program without a page is not checked where its values matter.
"""

from __future__ import annotations

import functools
import itertools
import re
import string
from collections.abc import Callable

from cmdai import option_check
from cmdai.command_output import short_listing, sort_modes, starts_with_total
from cmdai.commandline import (
    COMPUTED,
    FIND_COMMAND_ENDS,
    FIND_EXEC_ACTIONS,
    HEADER_KEYWORDS,
    LEADING_KEYWORDS,
    Simple,
    Step,
    find_exec_commands,
    parse,
    program_name,
    split_find_args,
    steps,
)
from cmdai.safety.words import program_operands, short_flags


@functools.lru_cache(maxsize=16)
def _commands(command: str) -> tuple[Simple, ...]:
    """The simple commands of `command`, read once for all the checks below (each is called
    with the line; none changes what it is given)."""
    return tuple(parse(command).commands)


def check(command: str) -> str | None:
    """The first usage problem of `command`, or None."""
    checks: list[Callable[[str], str | None]] = [
        check_operands, check_piped_grep, check_ignored_input, check_terminal_input,
        check_ssh_destination, check_find_start, check_numeric_sort, check_endless_dd,
        check_touch_stamp, check_top_in_pipe, check_sudoers_editor, check_unpacked_to_disk,
        check_find_exec_piped, check_find_late_option, check_date_iso_format,
        check_find_exec_end, check_grep_alternation, check_counted_total_line,
        check_sized_start, check_human_sizes_as_numbers, check_echoed_sum,
        check_counted_ps_header,
    ]  # fmt: skip
    return next((problem for check in checks if (problem := check(command))), None)


# Programs that do nothing useful, or fail, without operands: (how many, what they need).
NEEDS_OPERANDS: dict[str, tuple[int, str]] = {
    "kill": (1, "a process id"), "pkill": (1, "a process name or pattern"),
    "pgrep": (1, "a process name or pattern"), "killall": (1, "a process name"),
    "chmod": (2, "a mode and a file"), "chown": (2, "an owner and a file"),
    "chgrp": (2, "a group and a file"), "mv": (2, "a source and a target"),
    "cp": (2, "a source and a target"),
}  # fmt: skip


# Options that name what to act on in place of operands, and how many operands are needed
# then: `pkill -u alice` signals alice's processes, `kill -l` lists the signals, `cp -t /backup
# a.txt` names the target with -t, `chmod --reference=a.txt b.txt` copies a.txt's mode.
_PROCESS_CRITERIA = frozenset({
    "-u", "-U", "-g", "-G", "-P", "-s", "-t", "-O", "-F", "-r", "--euid", "--uid", "--pgroup",
    "--group", "--parent", "--session", "--terminal", "--older", "--pidfile", "--runstates",
    "--cgroup", "--ns",
})  # fmt: skip
_STAND_INS: dict[str, tuple[frozenset[str], int]] = {
    "kill": (frozenset({"-l", "-L", "--list", "--table"}), 0),
    "pkill": (_PROCESS_CRITERIA, 0),
    "pgrep": (_PROCESS_CRITERIA, 0),
    "killall": (frozenset({"-u", "--user", "-o", "--older-than", "-y", "--younger-than"}), 0),
    **dict.fromkeys(("chmod", "chown", "chgrp"), (frozenset({"--reference"}), 1)),
    **dict.fromkeys(("cp", "mv"), (frozenset({"-t", "--target-directory"}), 1)),
}


def check_operands(command: str) -> str | None:
    """`pkill -9`, `chmod +x`, `kill -s TERM`: a command that would only print its usage."""
    if re.search(r"\$\(|`|<\(", command):
        return None  # operands may come from a substitution
    for simple in _commands(command):
        need = NEEDS_OPERANDS.get(simple.program)
        if need is None or "xargs" in simple.wrappers or simple.pipe_from is not None:
            continue
        given, options = _operands_and_options(simple.program, simple.args)
        count, what = need
        stand_ins, fewer = _STAND_INS.get(simple.program, (frozenset(), count))
        if given < (fewer if options & stand_ins else count):
            return f"`{simple.program}` needs {what}"
    return None


def _operands_and_options(program: str, args: list[str]) -> tuple[int, set[str]]:
    """How many operands `args` gives `program`, and the names of its options, values read
    as its page says (in `kill -s TERM`, TERM is -s's value, not a process id)."""
    doc = None if program == "chmod" else option_check.doc_for(program)
    if doc is None:  # no page, or chmod, whose `-x` is a mode (an operand): by the dashes
        names = {arg.partition("=")[0] for arg in args if arg.startswith("-")}
        return len(program_operands(program, args)), names
    words = list(option_check.read_words(program, args, doc))
    names = {word.name for word in words if isinstance(word, option_check.Option)}
    return sum(isinstance(word, str) for word in words), names


_GREPS = frozenset({"grep", "egrep", "fgrep", "zgrep"})  # all read grep's options
# grep's options as its page lists them, for a machine without the page: every letter is one
# (an unknown letter would end the reading of a cluster); these take a value.
_GREP_VALUED_LONGS = frozenset({
    "--regexp", "--file", "--after-context", "--before-context", "--context", "--max-count",
    "--devices", "--directories", "--include", "--exclude", "--exclude-from", "--exclude-dir",
    "--label", "--binary-files", "--group-separator",
})  # fmt: skip
_GREP_WITHOUT_PAGE = option_check.Doc(
    longs=_GREP_VALUED_LONGS,
    shorts=frozenset(string.ascii_letters),
    words=frozenset(),
    valued=_GREP_VALUED_LONGS | frozenset("ABCDdefm"),
)
_PATTERN_OPTIONS = frozenset({"-e", "-f", "--regexp", "--file"})


def check_piped_grep(command: str) -> str | None:
    """A grep after a pipe that is given files searches them and ignores its input: asked to
    search the shell history for docker run, a model wrote `history | grep docker run`, which
    reads a file named run."""
    for simple in _commands(command):
        if simple.program not in _GREPS or simple.pipe_from is None:
            continue
        if "xargs" in simple.wrappers:
            continue  # xargs gives it the files on purpose
        if files := _grep_files(simple.program, simple.args):
            return (f"`{simple.program}` after a pipe reads the file {files[0]} instead of its "
                    "input; quote a pattern that has spaces")  # fmt: skip
    return None


def _grep_files(program: str, args: list[str]) -> list[str]:
    """The files grep reads (`-` is its input, not a file): the operands after the pattern,
    or all of them when -e or -f gives the pattern."""
    doc = option_check.doc_for("grep") or _GREP_WITHOUT_PAGE
    words = list(option_check.read_words(program, args, doc))
    given = any(isinstance(w, option_check.Option) and w.name in _PATTERN_OPTIONS for w in words)
    operands = [word for word in words if isinstance(word, str)]
    return [name for name in (operands if given else operands[1:]) if name != "-"]


def check_grep_alternation(command: str) -> str | None:
    """`grep 'ERROR|WARN' app.log`, for the lines with either word: a basic regular expression
    (grep's default) reads `|` as itself, so grep looks for the text ERROR|WARN and finds
    nothing. Only a `|` between letters or parentheses is taken for an "or" (`grep '||'` and
    `grep 'a | b'` look for text that has them)."""
    for simple in _commands(command):
        if simple.program not in _BASIC_GREPS:
            continue
        doc = option_check.doc_for("grep") or _GREP_WITHOUT_PAGE
        words = list(option_check.read_words(simple.program, simple.args, doc))
        options = [word for word in words if isinstance(word, option_check.Option)]
        if any(option.name in _OTHER_SYNTAXES for option in options):
            continue
        given = [option.value or "" for option in options if option.name in _PATTERN_OPTIONS]
        patterns = given or [word for word in words if isinstance(word, str)][:1]
        for pattern in patterns:
            if _BARE_BAR.search(pattern):
                return (f"`{simple.program}` reads the `|` in '{pattern}' as a plain character "
                        f"(a basic regular expression), so it looks for that exact text: -E "
                        f"makes `|` mean “or” (`{simple.program} -E '{pattern}'`)")  # fmt: skip
    return None


_BASIC_GREPS = frozenset({"grep", "zgrep"})  # egrep reads extended ones, fgrep plain text
_OTHER_SYNTAXES = frozenset({
    "-E", "-P", "-F", "--extended-regexp", "--perl-regexp", "--fixed-strings",
})  # fmt: skip
_BARE_BAR = re.compile(r"[\w)]\|[\w(]")


def check_counted_total_line(command: str) -> str | None:
    """`ls -l /usr/bin | wc -l`, for "the number of files in /usr/bin": a long listing starts
    with a "total" line, so wc counts one more than there are files (and -a adds `.` and
    `..`, which -A leaves out)."""
    for wc in _commands(command):
        ls = wc.pipe_from
        if wc.program != "wc" or ls is None or ls.program != "ls":
            continue
        if _counts_lines(wc) and starts_with_total(ls.args):
            listing = short_listing([_ALMOST_ALL.get(word, word) if word.startswith("--")
                                     else word.replace("a", "A") if word.startswith("-")
                                     else word for word in ls.args])  # fmt: skip
            every = "a" in short_flags(ls.args) or "--all" in ls.args
            more = "three more (with `.` and `..`)" if every else "one more"
            return (f"`{' '.join(['ls', *ls.args])}` starts its listing with a “total” line, "
                    f"so `wc -l` counts {more} than there are entries: write "
                    f"`{listing} | wc -l`")  # fmt: skip
    return None


_ALMOST_ALL = {"--all": "--almost-all"}


def _counts_lines(wc: Simple) -> bool:
    return "l" in short_flags(wc.args) or "--lines" in wc.args


def check_counted_ps_header(command: str) -> str | None:
    """`ps -u postgres | wc -l`, for "the number of processes of postgres": ps prints a header
    line first (PID TTY TIME CMD), so wc counts one more. --no-headers leaves it out, as do
    BSD's `h` and `-o pid=` (a column with an empty heading)."""
    for wc in _commands(command):
        ps = wc.pipe_from
        if wc.program != "wc" or ps is None or ps.program != "ps":
            continue
        if not _counts_lines(wc) or _ps_headless(ps.args):
            continue
        written = " ".join(["ps", "--no-headers", *ps.args])
        return (f"`ps` prints a header line first, so `wc -l` counts one more than there are "
                f"processes: `{written} | wc -l`")  # fmt: skip
    return None


def _ps_headless(args: list[str]) -> bool:
    """--no-headers, BSD's `h` (`ps haux`), or every -o column given an empty heading."""
    if {"--no-headers", "--no-heading", "--noheaders", "--noheading"} & set(args):
        return True
    if any(not arg.startswith("-") and "h" in arg for arg in args[:1]):
        return True  # BSD options come without a dash: `ps haux`
    columns = [b for a, b in itertools.pairwise(args) if a in ("-o", "o", "--format")]
    return bool(columns) and all(column.endswith("=") for column in columns)


def check_sized_start(command: str) -> str | None:
    """`find /opt -maxdepth 1 -type d -exec du -sh {} + | sort -rh | head -n 3`, for "the 3
    largest directories under /opt": find lists /opt itself too (depth 0), and du gives it the
    size of everything in it, so it comes first; given /opt and its directories at once (`{}
    +`, xargs), GNU du counts each file once, under /opt, and leaves the others out. -mindepth
    1 leaves /opt out."""
    for simple in _commands(command):
        if simple.program != "find" or "-mindepth" in simple.args:
            continue
        places, expression = split_find_args(simple.args)
        if _value_of("-maxdepth", expression) in (None, "0") or not _lists_directories(expression):
            continue  # no -maxdepth: a size of every directory; 0: the start alone, as asked
        sized = any(program_name(words[0]) == "du" for words in find_exec_commands(expression))
        readers = (reader for reader in _commands(command) if reader.pipe_from is simple)
        if sized or any(reader.program == "du" for reader in readers):
            start = places[0] if places else "."
            return (
                f"`find {start} -maxdepth …` lists {start} itself as well, and du shows it with "
                "the size of everything in it (and, given it in the same call, skips the "
                "directories inside, counted already): add -mindepth 1"
            )
    return None


def _value_of(option: str, words: list[str]) -> str | None:
    """The word after `option` (find's `-maxdepth 1`), or None."""
    return next((value for word, value in itertools.pairwise(words) if word == option), None)


def _lists_directories(expression: list[str]) -> bool:
    """Does find list directories, the start among them (no -type, or -type d)?"""
    return (_value_of("-type", expression) or "d").startswith("d")


# Programs that never read their input: after a pipe, what the pipe carries is lost.
IGNORE_INPUT = frozenset({
    "rm", "rmdir", "unlink", "mv", "cp", "ln", "mkdir", "touch", "chmod", "chown", "chgrp", "ls",
    "echo", "kill", "basename", "dirname", "realpath", "readlink", "stat", "du", "df", "sleep",
    "date", "pwd", "whoami",
})  # fmt: skip
# Programs that ask before they overwrite or delete, reading the answer from their input:
# `yes | cp -i a b` and `echo y | rm -i f` feed them answers.
_ASKS = frozenset({"rm", "mv", "cp", "ln"})
_ANSWERS = frozenset({"yes", "echo", "printf"})


def check_ignored_input(command: str) -> str | None:
    """A program after a pipe that does not read its input: `find . -name '*.tmp' | rm`
    deletes nothing, `… | crontab -e` opens an editor. Names reach such a program as
    arguments (`xargs rm`)."""
    for simple in _commands(command):
        source = simple.pipe_from
        fed = source is not None or _redirected_in(simple.redirects)
        if simple.program == "crontab" and "-e" in simple.args and fed:
            return ("`crontab -e` opens an editor and ignores its input; `crontab -` installs "
                    "what it reads")  # fmt: skip
        if source is None or simple.program not in IGNORE_INPUT or _reads_input(simple, command):
            continue
        if simple.program in _ASKS and source.program in _ANSWERS:
            continue  # answers to its questions
        writer = source.word if source.program == COMPUTED else source.program  # `$cmd | rm`
        return (f"`{simple.program}` does not read its input, so what `{writer}` writes is "
                f"lost; `xargs {simple.program}` gives it as arguments")  # fmt: skip
    return None


def _redirected_in(redirects: list[tuple[str, str]]) -> bool:
    """`< file`, `<<EOF`, `<<< "text"`, `0< file`: the input comes from there."""
    return any(op.lstrip("0").startswith("<") for op, _ in redirects)


def _reads_input(simple: Simple, command: str) -> bool:
    """Told to read it after all: `-` or /dev/stdin as a file (`date -f -`, `cp /dev/stdin
    x`), a list of names on it (`du --files0-from=-`), a password for `sudo -S`."""
    if "xargs" in simple.wrappers or "parallel" in simple.wrappers:
        return True  # they read it and pass it on as arguments
    if any(arg == "-" or arg.endswith("=-") or "/dev/stdin" in arg for arg in simple.args):
        return True
    return "sudo" in simple.wrappers and bool(re.search(r"\bsudo\s+(?:-\w*S|--stdin)\b", command))


# Filters that read their input when given no file: at the start of a pipeline, with nothing
# piped or redirected in, they wait for the terminal. (How many operands come before the
# files: grep's pattern, sed's script, jq's filter; None: no operand is a file, as tr's two
# sets or the command xargs runs.)
READS_INPUT_WITHOUT_FILES: dict[str, int | None] = {
    "sort": 0, "uniq": 0, "wc": 0, "head": 0, "tail": 0, "cut": 0, "tac": 0, "nl": 0,
    "rev": 0, "base64": 0, "xxd": 0, "sha256sum": 0, "sha1sum": 0, "md5sum": 0,
    "grep": 1, "egrep": 1, "fgrep": 1, "zgrep": 1, "sed": 1, "jq": 1, "awk": 1, "gawk": 1,
    "mawk": 1, "tr": None, "xargs": None,
}  # fmt: skip
_AWKS = frozenset({"awk", "gawk", "mawk"})
# Options that give the script or pattern (then every operand is a file) …
_SCRIPT_OPTIONS: dict[str, frozenset[str]] = {
    **dict.fromkeys(_GREPS, frozenset({"-e", "-f", "--regexp", "--file"})),
    "sed": frozenset({"-e", "-f", "--expression", "--file"}),
    "jq": frozenset({"-f", "--from-file"}),
    **dict.fromkeys(_AWKS, frozenset({"-f", "--file"})),
}
# … and options after which no input is read: the files are found (`grep -r`), listed in a
# file (`xargs -a list.txt`), or there are none (`jq -n`).
_NO_INPUT_OPTIONS: dict[str, frozenset[str]] = {
    **dict.fromkeys(_GREPS, frozenset({"-r", "-R", "--recursive", "--dereference-recursive"})),
    "xargs": frozenset({"-a", "--arg-file"}),
    "jq": frozenset({"-n", "--null-input"}),
    "sort": frozenset({"--files0-from"}),
    "wc": frozenset({"--files0-from"}),
}


# Words that open or continue a compound command (bash's, zsh's and fish's): from there on, a
# step's input may be the loop's or the condition's (`while read f; do sort; done < list`), so
# the reading stops.
_COMPOUND = LEADING_KEYWORDS | HEADER_KEYWORDS | {"time", "[[", "(("}


def check_terminal_input(command: str) -> str | None:
    """A filter that starts a pipeline, given no file and fed nothing: `xargs -I {} cp {}
    /backup`, `uniq -d`, `cd logs && grep -c ERROR` would wait for the user to type the
    input."""
    found, substitutions = steps(command)
    if substitutions:
        return None  # a substitution may be the file (`sort <(ls)`)
    for step in found:
        if step.words and step.words[0] in _COMPOUND:
            return None
        if not (step.piped or step.grouped) and (problem := _waits_for_terminal(step)):
            return problem
    return None


def _waits_for_terminal(step: Step) -> str | None:
    program = program_name(step.words[0]) if step.words else ""
    if program not in READS_INPUT_WITHOUT_FILES or _redirected_in(step.redirects):
        return None
    doc = option_check.doc_for("grep" if program in _GREPS else program)
    if doc is None:
        return None  # its option values are unknown: a value could be taken for a file
    words = list(option_check.read_words(program, step.words[1:], doc))
    names = {word.name for word in words if isinstance(word, option_check.Option)}
    if names & (_NO_INPUT_OPTIONS.get(program, frozenset()) | {"--help", "--version"}):
        return None
    before_files = READS_INPUT_WITHOUT_FILES[program]
    operands = [word for word in words if isinstance(word, str)]
    script_given = bool(names & _SCRIPT_OPTIONS.get(program, frozenset()))
    if before_files is not None and operands[0 if script_given else before_files :]:
        return None
    if program in _AWKS and not script_given and operands and _only_begin(operands[0]):
        return None  # `awk 'BEGIN { print 2^40 }'` reads no input
    if program == "tr":  # `tr a-z A-Z names.txt` is an error: tr never opens a file
        return "`tr` reads only its input, never a file, and nothing is piped or redirected into it"
    return (
        f"`{program}` is given no file and nothing is piped into it, so it would wait for "
        "input from the terminal"
    )


def _only_begin(program: str) -> bool:
    """An awk program of BEGIN blocks (and functions) only: it ends before reading input."""
    rest = program.strip()
    while rest.startswith(("BEGIN", "function ", "func ")):
        end = _block_end(rest, rest.find("{"))
        if end is None:
            return False
        rest = rest[end + 1 :].lstrip(" \t\n;")
    return not rest


def _block_end(text: str, start: int) -> int | None:
    """Where the `{` at `start` is closed, braces inside "strings" aside. (A `/` may be a
    division as well as a regexp's start: `print 10/2`; a brace in a regexp is rare.)"""
    if start < 0:
        return None
    depth, in_string = 0, False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            in_string = not (char == '"' and text[index - 1] != "\\")
        elif char == '"':
            in_string = True
        elif char in "{}":
            depth += 1 if char == "{" else -1
            if depth == 0:
                return index
    return None


# `host:/path`, `alice@nas:~/music`: where scp and rsync copy to, never where ssh connects.
_REMOTE_PATH = re.compile(r"^(?!ssh://)(?:[^@/\s]+@)?[\w.-]+:[/~]")


def check_ssh_destination(command: str) -> str | None:
    """ssh given `host:path` (`ssh -p 2022 nas:/volume1/music …`, written for a copy over
    ssh): it would look for a host named `nas:/volume1/music`. (`ssh://user@host:2222` is
    ssh's own form; an IPv6 address has no slash.)"""
    for simple in _commands(command):
        doc = option_check.doc_for("ssh") if simple.program == "ssh" else None
        if doc is None:
            continue
        words = option_check.operands("ssh", simple.args, doc)
        if words and _REMOTE_PATH.match(words[0]):
            return (f"`ssh` connects to a host, not to host:path ({words[0]}); scp and rsync "
                    "copy to host:path")  # fmt: skip
    return None


# A starting point that names a file (`notes.txt`, `src/app.py`), not a directory (`.`, `src`,
# `/etc/conf.d`): 2-5 letters after the dot, where safety's mv targets allow 1-5 characters.
_NAMES_A_FILE = re.compile(r"(?:^|/)[^/]*[^/.]\.[A-Za-z][A-Za-z0-9]{1,4}$")


def check_find_start(command: str) -> str | None:
    """`find notes.txt`, written for "find files named notes.txt": find's first words are the
    places to search, so a file's name there, with no test after it, finds only itself."""
    for simple in _commands(command):
        if simple.program != "find" or "xargs" in simple.wrappers:
            continue
        starting_points, expression = split_find_args(simple.args)
        if expression:
            continue  # `find notes.txt -newer x` tests that one file
        named = next((word for word in starting_points if _NAMES_A_FILE.search(word)), None)
        if named:
            return (f"`find` is given {named} as a place to search, where it finds only that "
                    "one file: a name to look for goes after -name")  # fmt: skip
    return None


_FIND_LEADING = frozenset({"-H", "-L", "-P"})


def check_find_late_option(command: str) -> str | None:
    """`find . -L -type l`: -H, -L and -P are options of find itself and go before the places
    to search; after them they are read as tests that do not exist, and find stops with
    "unknown predicate `-L'" (the option check finds -L in find's manual and passes it)."""
    for simple in _commands(command):
        if simple.program != "find":
            continue
        if late := _late_leading_option(split_find_args(simple.args)[1]):
            return (f"`find` takes {late} before the places to search (`find {late} . …`); "
                    f"after them it is an error")  # fmt: skip
    return None


def _late_leading_option(expression: list[str]) -> str | None:
    """-H, -L or -P among find's tests, outside the commands -exec runs and not as the value
    of a test (`-name -L` looks for a file named -L)."""
    before = ""
    words = iter(expression)
    for word in words:
        if word in FIND_EXEC_ACTIONS:
            next((ran for ran in words if ran in FIND_COMMAND_ENDS), None)  # the command it runs
            before = ";"
        elif word in _FIND_LEADING and not before.startswith("-"):
            return word
        else:
            before = word
    return None


def check_find_exec_end(command: str) -> str | None:
    """`find . -type f -exec rm {} ;` or `find . -type d -exec find {} -type f | wc -l \\;`:
    the command -exec runs ends at a `;` that reaches find (`\\;` or `';'`) or at `{} +`; the
    shell takes a bare `;` and a `|` for its own, and find, left without an end, stops with
    "missing argument to `-exec'"."""
    for simple in _commands(command):
        if simple.program != "find":
            continue
        words = iter(split_find_args(simple.args)[1])
        for word in words:
            if word in FIND_EXEC_ACTIONS and not any(ran in FIND_COMMAND_ENDS for ran in words):
                return (f"the command `find {word}` runs is never ended: it needs `\\;` (or "
                        f"`{{}} +`) after it, and a bare `;` or a `|` ends find's own words, "
                        f"so find stops with \"missing argument to `{word}'\"")  # fmt: skip
    return None


_NUMERIC_SORT = frozenset({"--numeric-sort", "--human-numeric-sort", "--general-numeric-sort"})
_KEY = re.compile(r"-[A-Za-z]*k|--key\b")
# find's actions that print more than a path (a size, a long listing, another program's output)
_FIND_PRINTS_MORE = FIND_EXEC_ACTIONS | {"-printf", "-fprintf", "-ls"}


def check_numeric_sort(command: str) -> str | None:
    """`ls -lh | sort -rh`, `find /var -type f | sort -rh`: with no -k, sort -n/-h/-g compares
    the number each line starts with, and these lines start with none, so the order is not
    by size (or by anything asked for)."""
    for simple in _commands(command):
        source = simple.pipe_from
        if simple.program != "sort" or source is None or "xargs" in source.wrappers:
            continue
        numeric = short_flags(simple.args) & {"n", "h", "g"} or _NUMERIC_SORT & set(simple.args)
        if not numeric or any(_KEY.match(arg) for arg in simple.args):
            continue
        listed = short_flags(source.args)
        if source.program == "ls" and "l" in listed and "s" not in listed:  # -s: sizes first
            lines = "`ls -l` lines start with the permissions: sort on a field with -k, or let "
            lines += "ls sort (-S by size, -t by time)"
        elif source.program == "find" and not _FIND_PRINTS_MORE & set(source.args):
            lines = "`find` prints only paths: print the number to sort by first (du, -printf)"
        else:
            continue
        return f"`sort` compares the number at the start of each line, and {lines}"
    return None


def check_human_sizes_as_numbers(command: str) -> str | None:
    """`du -sh * | sort -rn`, `ls -lh | sort -k 5,5n`: with -h the sizes carry a unit (4.0K,
    1.2M, 512), and sort -n or -g reads only the number, so 1.2M sorts below 512K. sort -h
    reads the units (checked: `printf '1.2M a\\n512K b\\n' | sort -n` puts 1.2M first)."""
    for sort in _commands(command):
        source = sort.pipe_from
        if sort.program != "sort" or source is None or source.program not in _HUMAN_SIZES:
            continue
        letters = short_flags(source.args)
        if "h" not in letters and "--human-readable" not in source.args:
            continue
        if source.program == "ls" and not letters & {"l", "s"}:
            continue  # names only: no sizes to sort
        how = sort_modes(sort.args)
        if "h" in how or not how & {"n", "g"}:
            continue
        listing = " ".join([source.program, *source.args])
        return (f"`{listing}` writes sizes with units (4.0K, 1.2M), and `sort -n` reads only "
                f"their numbers, so 1.2M comes before 512K: `sort -h` reads the units")  # fmt: skip
    return None


_HUMAN_SIZES = frozenset({"du", "ls", "df"})


def check_echoed_sum(command: str) -> str | None:
    """`echo 2**40`, `echo 3*7+1`, for "calculate …": echo prints the sum as written (and a
    `*` in it is a glob, which a matching file name would replace)."""
    commands = _commands(command)
    piped = {id(simple.pipe_from) for simple in commands}  # `echo '2^40' | bc` is computed
    for simple in commands:
        if simple.program not in ("echo", "printf") or id(simple) in piped:
            continue
        sums = [word for word in simple.args if _SUM.fullmatch(word) and _SUM_SIGN.search(word)]
        if sums:
            return f"`{simple.program} {sums[0]}` prints {sums[0]} as written: {_computed(sums[0])}"
    return None


def _computed(expression: str) -> str:
    """What computes it: the shell for whole numbers, bc for decimals and for `^` (a power
    to bc, an exclusive or to the shell: `$((2^10))` is 8)."""
    if "^" in expression or "." in expression:
        return f"`echo '{expression}' | bc -l` computes it"
    return f"the shell computes it in `echo $(({expression}))`"


# Numbers joined by operators: 2**40, 3*7+1, (2+3)*4; one of them a sign no date or range
# has (2024-01-01, 10-20 and 12/25 are what they say)
_SUM = re.compile(r"\(?\d+(?:\.\d+)?\)?(?:(?:\*\*|[-+*/%^])\(?\d+(?:\.\d+)?\)?)+")
_SUM_SIGN = re.compile(r"[*+^%]")


# Devices that never run out: read with no count=, dd copies until the target is full.
_ENDLESS_SOURCES = frozenset({"/dev/zero", "/dev/urandom", "/dev/random"})


def check_endless_dd(command: str) -> str | None:
    """`dd if=/dev/zero of=test.img bs=1G`, written for "a 1GB file": with no count= it
    writes until the disk is full. (A device as the target, `of=/dev/sdb`, is filled to its
    end on purpose when it is wiped; the classifier judges that.)"""
    for simple in _commands(command):
        if simple.program != "dd":
            continue
        operands = dict(arg.split("=", 1) for arg in simple.args if "=" in arg)
        target = operands.get("of", "")  # not `> file`: parse() drops a redirect's descriptor
        endless = operands.get("if") in _ENDLESS_SOURCES and "count" not in operands
        if endless and target and not target.startswith("/dev/"):
            return (f"`dd` reads {operands['if']}, which never ends, and has no count=: "
                    f"it writes {target} until the disk is full (bs=1M count=1024 writes "
                    "1 GiB)")  # fmt: skip
    return None


# touch -t's time: [[CC]YY]MMDDhhmm[.ss], digits only
_TOUCH_STAMP = re.compile(r"(?:\d\d){4,6}(?:\.\d\d)?")


def check_touch_stamp(command: str) -> str | None:
    """`touch -t 2024-01-01 00:00 index.html`: -t takes the time as digits only, so touch
    fails, and `00:00` would be a file to create."""
    for simple in _commands(command):
        stamps = _touch_stamps(simple.args) if simple.program == "touch" else []
        if wrong := next((s for s in stamps if not _TOUCH_STAMP.fullmatch(s)), None):
            return (f"`touch -t` takes the time as [[CC]YY]MMDDhhmm[.ss] in digits "
                    f"(202401010000 is 2024-01-01 00:00), not {wrong}; -d takes a date "
                    "as written")  # fmt: skip
    return None


def _touch_stamps(args: list[str]) -> list[str]:
    """The values given to -t, as the next word (`-t 202401010000`) or attached."""
    following = [*args[1:], ""]
    return [following[i] if arg == "-t" else arg[2:] for i, arg in enumerate(args)
            if arg.startswith("-t")]  # fmt: skip


# What `date -I` and `--iso-8601=` take (GNU date lists them when given anything else); a
# start of one is enough (`-Isec`).
_ISO_PARTS = ("date", "hours", "minutes", "seconds", "ns")


def check_date_iso_format(command: str) -> str | None:
    """`date -IISO`: -I (--iso-8601) takes how much of the time to show, not the name of a
    format, and date stops: "invalid argument ‘ISO’"."""
    for simple in _commands(command):
        doc = option_check.doc_for("date") if simple.program == "date" else None
        for option in option_check.read_options("date", simple.args, doc) if doc else ():
            iso = option.name == "-I" or (
                len(option.name) > 4 and "--iso-8601".startswith(option.name)
            )
            if iso and option.value and not any(p.startswith(option.value) for p in _ISO_PARTS):
                return (
                    f"`date {option.name}` takes date, hours, minutes, seconds or ns (how "
                    f"much of the time to show: `date -Iseconds`), not {option.value}"
                )
    return None


def check_top_in_pipe(command: str) -> str | None:
    """`top -o %MEM -n 1 | head`: without a terminal, top stops at once ("failed tty get")
    unless it runs in batch mode."""
    for simple in _commands(command):
        source = simple.pipe_from
        if source is None or source.program != "top":
            continue
        if not any(re.match(r"-[A-Za-z]*b", arg) or arg == "--batch" for arg in source.args):
            return "`top` writes to a pipe only in batch mode: add -b (`top -b -n 1`)"
    return None


# Editors that would open a sudoers file as any other: a mistake saved there leaves sudo
# unusable, and visudo checks the file before it saves.
_EDITORS = frozenset({"nano", "pico", "vi", "vim", "nvim", "emacs", "micro", "mcedit", "joe",
                      "ed", "gedit", "code", "sudoedit"})  # fmt: skip


def check_sudoers_editor(command: str) -> str | None:
    """`sudo nano /etc/sudoers`, written for "safely edit the sudoers file"."""
    for simple in _commands(command):
        if simple.program not in _EDITORS:
            continue
        for name in program_operands(simple.program, simple.args):
            if name == "/etc/sudoers" or name.startswith("/etc/sudoers.d/"):
                return (f"edit {name} with visudo (`sudo visudo`, `sudo visudo -f FILE`): it "
                        f"checks the file before saving, and a mistake saved by `{simple.program}`"
                        " leaves sudo unusable")  # fmt: skip
    return None


_COMPRESSORS = frozenset({"gzip", "gunzip", "bzip2", "bunzip2", "xz", "unxz", "zstd", "unzstd",
                          "lz4"})  # fmt: skip
_TO_OUTPUT = frozenset({"--stdout", "--to-stdout"})


def check_unpacked_to_disk(command: str) -> str | None:
    """`gzip -d dump.sql.gz | cat`, written for "show it without decompressing it to disk":
    given a file, a compressor writes its result to another file and nothing to the pipe."""
    for simple in _commands(command):
        source = simple.pipe_from
        if source is None or source.program not in _COMPRESSORS or "xargs" in source.wrappers:
            continue
        files = [word for word in program_operands(source.program, source.args) if word != "-"]
        if files and "c" not in short_flags(source.args) and not _TO_OUTPUT & set(source.args):
            return (f"`{source.program}` given {files[0]} writes its result to a file, not to "
                    "the pipe: add -c (--stdout)")  # fmt: skip
    return None


# Programs that write nothing to their output when they work (unless told to be verbose): what
# find -exec runs them on reaches no pipe.
_QUIET = frozenset({"gzip", "bzip2", "xz", "zstd", "rm", "mv", "cp", "chmod", "chown", "chgrp",
                    "touch", "mkdir", "rmdir", "ln", "unlink", "truncate", "shred"})  # fmt: skip
# find's actions that write names (or lines) to its output.
_FIND_PRINTS = frozenset({"-print", "-print0", "-printf", "-ls"})


def check_find_exec_piped(command: str) -> str | None:
    """`find . -name '*.log' -exec gzip {} + | xargs -n 4`: given -exec and no -print, find
    writes only what the command it runs writes, and gzip writes nothing, so the command after
    the pipe is given nothing (xargs then runs its command once on no names)."""
    for simple in _commands(command):
        source = simple.pipe_from
        if source is None or source.program != "find" or _FIND_PRINTS & set(source.args):
            continue
        runs = find_exec_commands(source.args)
        if runs and all(_quiet(words) for words in runs):
            program = program_name(runs[0][0])
            reader = f"xargs {simple.program}" if "xargs" in simple.wrappers else simple.program
            return (
                f"`find … -exec {program}` writes no file names to the pipe (only what {program} "
                f"writes, which is nothing), so `{reader}` is given none: give the names "
                f"with -print0 | xargs -0 {program}, or let -exec run {program} alone"
            )
    return None


def _quiet(words: list[str]) -> bool:
    """Does this command write nothing to its output? (`rm -v` lists what it removes, `gzip
    -c` writes the compressed file.)"""
    options = [word for word in words[1:] if word.startswith("-")]
    letters = short_flags(options)
    writes = "v" in letters or {"--verbose", "--stdout", "--to-stdout"} & set(options)
    program = program_name(words[0])
    return program in _QUIET and not writes and not ("c" in letters and program in _COMPRESSORS)
