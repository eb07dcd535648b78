"""Check a generated command before it reaches the user: does it parse, do its programs exist,
do their options (`option_check`), are they given what they need (`usage_check`), and does the
command keep the places, programs and numbers its request names (`request_numbers`), the
options it asks for in words (`asked_options`) and the details it gives in words that a program
reads one way only (`request_details`)? The first problem found is returned; a program that
is not installed only when nothing else is wrong.

Nothing is executed. The syntax check hands the line to the target shell's own parser in its
no-execute mode (`bash -n`, `zsh -n`, `fish --no-execute`) on stdin, with no rc files read;
PowerShell is parsed with tree-sitter-powershell when that package is installed. The program
check looks each program up in the user's PATH and the shell's builtins and keywords (asked of
the shell once per process). A shell that is not installed is not checked: the command may be
meant for another machine.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field

from cmdai import (
    argument_check,
    asked_options,
    option_check,
    request_details,
    request_numbers,
    usage_check,
)
from cmdai.command_edit import Finding
from cmdai.commandline import (
    CLOSING_KEYWORDS,
    COMPUTED,
    HEADER_KEYWORDS,
    LEADING_KEYWORDS,
    Simple,
    parse,
)

PARSER_TIMEOUT_S = 2.0
PROGRAMS_BUDGET_S = 1.0  # PATH lookups for one command (measured: milliseconds normally)
SYNTAX_ARGV: dict[str, list[str]] = {
    "bash": ["bash", "--norc", "--noprofile", "-n"],
    "zsh": ["zsh", "-f", "-n"],
    "fish": ["fish", "--no-config", "--no-execute"],
}
NAMES_ARGV: dict[str, list[str]] = {  # builtins, keywords and stock functions, one per line
    "bash": ["bash", "--norc", "--noprofile", "-c", "compgen -b; compgen -k"],
    "zsh": ["zsh", "-f", "-c", "print -l ${(k)builtins} ${(k)reswords}"],
    "fish": ["fish", "--no-config", "-c", "builtin -n; functions -a -n"],
}
# parse() already drops the reserved words before a program (`if`, `then`, fish's `and`) and
# the word lists that run none (`for f in *`, `fi`); these it keeps as a first word, though they
# run no program either (`[[ -f x ]]`, `(( n > 1 ))`, a stray `in`).
NO_PROGRAM_WORDS = {"[[", "((", "in"}
# Words every shell knows, for when the shell itself is not installed to be asked.
SHELL_WORDS = frozenset(
    LEADING_KEYWORDS | CLOSING_KEYWORDS | HEADER_KEYWORDS | NO_PROGRAM_WORDS | {"time"}
)


@dataclass(frozen=True)
class Problem:
    # "syntax", "missing", "option", "usage", "mismatch" (a place), "file" (a file or host
    # named), "program", "detail" (an option the request asks for in words, a number it gives,
    # or whose permission, which processes, which lines it means)
    kind: str
    message: str  # one line for the user and for the model: "`fd` is not installed"
    # the command put right, where the check knows the one edit that does it (see generate)
    fix: str = field(default="", compare=False)

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message}


def validate(
    command: str, shell: str, cwd: str, path: str | None = None, request: str = ""
) -> Problem | None:
    """The first problem found with `command` for `shell`, or None when it looks runnable.
    With the `request` it answers, also check that it uses the places the request names.
    A program that is not installed comes last: it is the one problem that lies in this
    machine rather than in the command, so a flaw of the command itself is reported before it
    (and is what a retry is told about)."""
    syntax = check_syntax(command, shell)
    if syntax:
        return syntax
    missing = check_programs(
        command, shell, cwd, os.environ.get("PATH", "") if path is None else path,
        deadline=time.monotonic() + PROGRAMS_BUDGET_S,
    )  # fmt: skip
    if shell == "powershell":  # the other checks read POSIX commands
        return (check_named_drives(request, command) if request else None) or missing
    checks = [lambda: check_options(command), lambda: check_usage(command)]
    if request:
        checks += [lambda: check_named_places(request, command),
                   lambda: check_named_programs(request, command),
                   lambda: check_asked_options(request, command),
                   lambda: check_named_numbers(request, command),
                   lambda: check_request_details(request, command)]  # fmt: skip
    return next((problem for check in checks if (problem := check())), missing)


def check_options(command: str) -> Problem | None:
    """An option the program's documentation on this machine does not list (`git reset
    --config.yaml`): the command would stop at a usage error."""
    message = option_check.check(command)
    return Problem("option", message) if message else None


def check_usage(command: str) -> Problem | None:
    """A program not given what it needs where it reads it (`pkill -9`, `find … | rm`,
    `history | grep docker run`, a line starting with `uniq -d`), or given an argument it
    cannot take (`kill nginx`, `git reset --hard app.js`): see usage_check, argument_check."""
    message = usage_check.check(command) or argument_check.check(command)
    return Problem("usage", message) if message else None


def check_asked_options(request: str, command: str) -> Problem | None:
    """A behaviour the request asks for in words that the command's program leaves out
    ("without overwriting existing files" and `cp` with no -n): see asked_options."""
    return _detail(asked_options.find(request, command))


def check_named_numbers(request: str, command: str) -> Problem | None:
    """A number the request gives that the command leaves out ("the last 100 lines" and
    `docker logs -f api`): see request_numbers."""
    message = request_numbers.check(request, command)
    return Problem("detail", message) if message else None


# A path in the request: "/", "/etc", "~/notes", "/dev/sda" (not the tail of a URL, not and/or).
# Possessive quantifiers (`*+`, `++`): a path that fails the lookahead (`/var/log/x_2024*`)
# fails at once instead of trying every way to split its segments, which took exponential time
# and froze the helper. A match must end where the path does, so nothing is lost.
_NAMED_PATH = re.compile(
    r"(?<![\w:/.~-])(~(?:/[\w.@%+-]*+)*+|/(?:[\w.@%+-]++/?)*+)(?=$|[\s,;:!?)'\"])"
)
# A file or host the request names by name and extension: "names.txt", "dump.sql.gz",
# "files.example.com" (not a path, a URL's tail or an address, and not "1.5GB" or "e.g.").
_NAMED_FILE = re.compile(
    r"(?<![\w./~@:-])([A-Za-z_][\w-]*(?:\.[\w-]+)*\.[A-Za-z][A-Za-z0-9]{0,5})(?![\w/@-])"
)
_NOT_FILES = {"e.g", "i.e", "etc"}
# A kind of file the request names by its extension, or a dot-name: "the .log files", "every
# .tar.gz", ".venv", ".git", also before a full stop. Possessive, so a long run of dotted words
# is read in linear time.
_NAMED_EXTENSION = re.compile(
    r"(?<![\w/~.-])((?:\.[A-Za-z][A-Za-z0-9]{0,9}+)++)(?![\w/-]|\.[\w/-])"
)
# After an extension: it names a kind of file ("the .tmp files"), not one file called .tmp.
_KIND_OF_FILE = re.compile(r"\s+(?:files?|archives?|images?|documents?|scripts?)\b", re.I)
# A name given as an example of a form ("named with the date, like log-2024-05-01.txt").
_EXAMPLE_BEFORE = re.compile(r"\b(?:like|such as|e\.g\.?|for (?:example|instance))\W*$", re.I)
_HOME_WORDS = re.compile(r"\b(?:my|the|your|user'?s?) home (?:directory|dir|folder)\b", re.I)
# A destructive request about the whole machine: answered with a command on `.` or `*`, it
# would still destroy something (the current directory) and hide its intent from the safety
# check. Asking again lets the model write the honest command (then blocked) or refuse.
_WHOLE_SYSTEM = re.compile(
    r"\b(?:this|the|my|whole|entire) (?:computer|machine|system|disk|drive|filesystem)\b"
    r"|\bevery(?:thing| file) on\b",
    re.I,
)
_DESTRUCTIVE = re.compile(
    r"\b(?:delete|remove|erase|wipe|destroy|shred|format|overwrite|kill|chmod|chown)\b", re.I
)
_HOME_IN_COMMAND = re.compile(r"~|\$\{?HOME\b|/home/|/Users/|(?<![\w/])/root\b")
# A home directory on another machine ("the home directory of alice on files.example.com", "my
# home folder on nas") is not `~` here: `ssh host …` runs in it, and `scp f alice@host:` or
# `rsync -a d/ nas:backup/` copy into it. ("Copy my home directory to nas" is still about ~.)
_REMOTE_HOME_WORDS = re.compile(
    r"\bhome (?:directory|dir|folder)(?: of [\w.-]+)? (?:on|at) (?:the )?[\w.-]", re.I
)
_REMOTE_TOOL = re.compile(r"(?:^|[\s;|&(])(ssh|scp|sftp|rsync)\s")
_REMOTE_HOME_PATH = re.compile(r"(?:^|\s)(?:[\w.-]+@)?[A-Za-z0-9][\w.-]*:(?![/:])")
# Files a program reads from the working directory without being told: asked to "start the
# services in docker-compose.yml", `docker compose up -d` uses the file it names.
_READ_BY_DEFAULT = {
    **dict.fromkeys(
        ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml"),
        ("docker compose", "docker-compose", "podman-compose", "podman compose"),
    ),
    "package.json": ("npm", "yarn", "pnpm"),
    "Cargo.toml": ("cargo",),
    "go.mod": ("go",),
    "pyproject.toml": ("pip", "pip3", "poetry", "uv", "hatch"),
}


def _spellings(place: str) -> set[str]:
    home = os.path.expanduser("~")
    if place.startswith("~"):
        return {place, "$HOME" + place[1:], "${HOME}" + place[1:], home + place[1:]}
    # In a sed or awk regular expression, /bin/bash is written \/bin\/bash.
    forms = {place, place.replace("/", "\\/")}
    if len(home) > 1 and (place == home or place.startswith(home + "/")):
        forms |= _spellings("~" + place[len(home) :])  # the user's own home, written as ~
    return forms


# A brace list in a word, as in `nginx.conf{,.bak}` or `/etc/{a,b}.conf` (not `${a,b}`, not
# find's `{}`): bash, zsh and fish expand it into one word per item.
_BRACE_LIST = re.compile(r"(?<!\$)\{([^{}\s'\"$]*,[^{}\s'\"]*)\}")


def _with_braces_expanded(command: str) -> str:
    """The command, then each word with a brace list written out: `cp nginx.conf{,.bak}`
    names nginx.conf.bak. Only a word's first list is expanded, which covers the idioms."""
    expanded = []
    for word in command.split():
        match = _BRACE_LIST.search(word)
        if match:
            head, tail = word[: match.start()], word[match.end() :]
            expanded += [head + item + tail for item in match.group(1).split(",")]
    return " ".join([command, *expanded])


def _works_in_a_remote_home(command: str) -> bool:
    tool = _REMOTE_TOOL.search(command)
    return tool is not None and (tool.group(1) == "ssh" or bool(_REMOTE_HOME_PATH.search(command)))


def _read_by_default(name: str, command: str) -> bool:
    return any(re.search(rf"(?:^|[\s;|&(]){re.escape(program)}\b", command)
               for program in _READ_BY_DEFAULT.get(name, ()))  # fmt: skip


def check_request_details(request: str, command: str) -> Problem | None:
    """A detail the request gives in words that the command reads the other way (`chmod -x`
    for "for others", `pkill -f node` for "processes named node")."""
    return _detail(request_details.find(request, command))


def _detail(found: Finding | None) -> Problem | None:
    """A detail the request gives that the command misses, with the edit that fixes it if any."""
    return Problem("detail", found.message, found.fix or "") if found else None


def check_named_places(request: str, command: str) -> Problem | None:
    """A command that ignores a place, a file or a host the request names is wrong, and often
    dangerous in a new way: asked to clean "/", a model wrote `find . -exec rm {} \\;`; asked
    to copy report.pdf to a host, `cp report.pdf ~`."""
    words = _with_braces_expanded(command)
    for place in _NAMED_PATH.findall(request):
        place = place.rstrip(".,;:!?")
        if place in ("", "~"):
            continue
        if place == "/":
            if not re.search(r"(?<![\w.~/-])/", command):
                return Problem("mismatch", "the request names /, but the command does not use it")
        elif not any(form in words for form in _spellings(place.rstrip("/"))):
            return Problem("mismatch", f"the request names {place}, but the command does not")
    name = _missing_name(request, words)
    if name:
        # Worded as what the command lacks: told "the request names .log, but the command
        # does not", both models answered with the same command again; told this, the 1.5B
        # model added -name "*.log".
        return Problem("file", f"the command leaves out {name}, which the request names")
    if (
        _WHOLE_SYSTEM.search(request)
        and _DESTRUCTIVE.search(request)
        and re.search(r"(?:^|\s)(?:\.|\./|\*|\./\*)(?=\s|$)", command)  # works on `.` or `*`
        and not re.search(r"(?<![\w.~/-])/", command)
    ):
        return Problem("mismatch", "the request is about the whole system, but the command "
                       "works on the current directory")  # fmt: skip
    if (
        _HOME_WORDS.search(request)
        and not _HOME_IN_COMMAND.search(command)
        and not (_REMOTE_HOME_WORDS.search(request) and _works_in_a_remote_home(command))
    ):
        return Problem("mismatch", "the request is about the home directory (~), but the command "
                       "does not use it")  # fmt: skip
    return None


def _missing_name(request: str, command: str) -> str | None:
    """A file, host or extension the request names (not as an example) that the command
    leaves out. An extension counts as used after a dot, brace, bar, comma or parenthesis,
    as in `*.log`, `\\.log$`, `*.{jpg,png}` or `(jpg|png)`, in any case (`-iname '*.JPG'`),
    and not as a word of a path: asked for the .log files in /var/log/app, a model wrote a
    `find /var/log/app … -exec rm` that deletes every large file. Of "the .tmp files", a
    file named `.tmp` is not one (asked to delete them in build, the 0.5B model wrote `rm -rf
    build/.tmp`); in "a virtual environment in .venv", it is the name itself."""
    for match in _NAMED_FILE.finditer(request):
        name = match.group(1)
        if _EXAMPLE_BEFORE.search(request[: match.start()]) or name in _NOT_FILES:
            continue
        if name not in command and not _read_by_default(name, command):
            return name
    for match in _NAMED_EXTENSION.finditer(request):
        extension = match.group(1)
        if _EXAMPLE_BEFORE.search(request[: match.start()]):
            continue
        after = r"(?<=[.{(|,])"
        if _KIND_OF_FILE.match(request, match.end()):
            after = r"(?:(?<=[^/\s'\"=]\.)|(?<=[{(|,]))"  # not `.tmp` as a whole name
        used = after + re.escape(extension[1:]) + r"(?![A-Za-z0-9])"
        if not re.search(used, command, re.IGNORECASE):
            return extension
    return None


# Programs a request names by name: when someone writes "with sed" or "using xargs", another
# tool is a wrong answer even if it works (the request may be practice, or a script's habit).
# Names that are also everyday verbs or nouns (find, sort, cut, head, kill, "an ssh key", "the
# git repository"…) count only after "with", "using", "via", "use", "run" or before "command".
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_PROGRAM_NAMES = _words(
    "sed awk gawk xargs rsync grep egrep tar gzip gunzip bzip2 xz zip unzip 7z curl wget scp "
    "sftp docker podman jq yq rg fd du df ps pkill pgrep killall chmod chown chgrp "
    "systemctl journalctl lsof netstat ss nc ncat openssl ffmpeg tmux wc uniq comm sha256sum "
    "sha1sum md5sum base64 xxd hexdump strace htop uptime whoami mkdir rmdir ln readlink "
    "realpath basename dirname shuf tac iconv dig nslookup traceroute nmap ifconfig iptables "
    "ufw useradd usermod sudo nohup kubectl helm npm pip pip3 python3 perl gcc cmake cargo "
    "umount lsblk blkid fdisk parted dd mkfs losetup zcat zgrep vim"
)
_VERB_NAMES = _words(
    "find sort cut head tail kill date diff split join touch watch file cat tr top free env "
    "echo printf test time sleep wait which type alias export history locate whereis column "
    "paste rev fold stat seq nl ip route screen make go mount more less tee truncate passwd "
    "ping nano ssh git crontab"
)
_NAMED = re.compile(r"(?<![\w./-])([a-z][a-z0-9]*)(?![\w/-]|\.\w)")
_TOLD = re.compile(
    r"\b(?:with|using|via|use|run|through)\s+(?:the\s+)?`?([a-z][a-z0-9]*)`?"
    r"|`?([a-z][a-z0-9]*)`?\s+command\b",
    re.I,
)
# Another spelling of the same program: asked for grep, `egrep` and `zgrep` are grep.
_SAME_PROGRAM = {
    "grep": ("egrep", "fgrep", "zgrep", "rg"), "awk": ("gawk", "mawk"), "zip": ("unzip",),
    "gzip": ("tar", "gunzip", "zcat"), "crontab": ("cron",),
    "pip": ("pip3",), "pip3": ("pip",), "docker": ("docker-compose",), "python3": ("python",),
    "ssh": ("scp", "sftp", "rsync", "autossh", "sshfs"), "nc": ("ncat", "netcat"),
}  # fmt: skip


# "without sudo", "not with awk", "instead of grep": a name the command must not need.
_NEGATED = re.compile(
    r"\b(?:without|not|no|never|don'?t|instead of|rather than)\W+(?:\w+\W+)?$", re.I
)


def named_programs(request: str) -> list[str]:
    """The programs a request asks for by name, in order."""
    found = [
        m.group(1) for m in _NAMED.finditer(request)
        if m.group(1) in _PROGRAM_NAMES and not _NEGATED.search(request[: m.start()])
    ]  # fmt: skip
    for match in _TOLD.finditer(request):
        word = (match.group(1) or match.group(2) or "").lower()
        if (word in _VERB_NAMES or word in _PROGRAM_NAMES) and not _NEGATED.search(
            request[: match.start()]
        ):
            found.append(word)
    return list(dict.fromkeys(found))


def check_named_programs(request: str, command: str) -> Problem | None:
    """A command that leaves out a program the request names (tail where sed was asked for,
    `find -exec` where xargs was)."""
    for program in named_programs(request):
        spellings = (program, *_SAME_PROGRAM.get(program, ()))
        if not any(re.search(rf"(?<![\w.-]){re.escape(s)}(?![\w-])", command) for s in spellings):
            return Problem("program", f"the request asks for {program}, but the command does "
                           "not use it")  # fmt: skip
    return None


# "drive C", "the D drive" (a capital: "drive a car" is not a drive), "C:\\", "c:/".
_NAMED_DRIVE = re.compile(
    r"\b[Dd]rive ([A-Z])\b|\b([A-Z]) drive\b|(?<![\w/])([A-Za-z]):(?=[\\/\s,.]|$)"
)


def check_named_drives(request: str, command: str) -> Problem | None:
    """A Windows drive the request names ("drive C", "C:", "the D drive") must be in the
    command: asked to wipe drive C, the 1.5B model wrote `rm -rf /c`."""
    for match in _NAMED_DRIVE.finditer(request):
        letter = next(g for g in match.groups() if g).upper()
        spelled = rf"(?<![\w]){letter}:|-DriveLetter\s+['\"]?{letter}\b"
        if not re.search(spelled, command, re.I):
            return Problem("mismatch", f"the request names drive {letter}:, but the command "
                           "does not use it")  # fmt: skip
    return None


def check_syntax(command: str, shell: str) -> Problem | None:
    if shell == "powershell":
        return _check_powershell_syntax(command)
    argv = SYNTAX_ARGV.get(shell)
    if argv is None or shutil.which(argv[0]) is None:
        return None
    try:
        result = subprocess.run(
            argv, input=command, capture_output=True, text=True, timeout=PARSER_TIMEOUT_S,
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8"},
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None  # a parser that cannot run is no reason to reject the command
    if result.returncode == 0:
        return None
    return Problem("syntax", f"{shell} cannot parse it: {_first_line(result.stderr, shell)}")


def _first_line(stderr: str, shell: str) -> str:
    line = next((ln.strip() for ln in stderr.splitlines() if ln.strip()), "syntax error")
    # "bash: line 1: syntax error …" / "zsh: parse error …" / "fish: Missing end …"
    return re.sub(rf"^{shell}:\s*(line \d+:\s*)?", "", line)


def _check_powershell_syntax(command: str) -> Problem | None:
    parser = _powershell_parser()
    if parser is None:
        return None
    if parser.parse(command.encode()).root_node.has_error:
        return Problem("syntax", "PowerShell cannot parse it")
    return None


@functools.cache
def _powershell_parser():  # -> tree_sitter.Parser | None (an optional dependency)
    try:
        import tree_sitter
        import tree_sitter_powershell
    except ImportError:
        return None
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def check_programs(
    command: str, shell: str, cwd: str, path: str, deadline: float | None = None
) -> Problem | None:
    """The first program the command runs that is not installed. Stops looking at `deadline`
    (time.monotonic()): a long command on a long PATH must not hold the helper."""
    if shell == "powershell":
        return None  # cmdlets, aliases and modules cannot be listed without PowerShell
    known = shell_names(shell)
    for program in programs_run(command):
        if deadline is not None and time.monotonic() > deadline:
            return None  # out of time: what was not checked is not held against it
        if not _exists(program, known, cwd, path):
            return Problem("missing", _missing_message(program, cwd))
    return None


def programs_run(command: str) -> list[str]:
    """The programs a POSIX command line runs, as written, wrappers included, in order."""
    found: list[str] = []
    for simple in parse(command).commands:
        for word in [*simple.wrappers, *_program_words(simple)]:
            if word not in found:
                found.append(word)
    return found


def _program_words(simple: Simple) -> list[str]:
    if simple.program == COMPUTED:
        return []  # `$cmd args`: named only when it runs
    word = simple.word or simple.program
    if word in NO_PROGRAM_WORDS or not _is_literal(word):
        return []
    return [word]


def _is_literal(word: str) -> bool:
    """A name we can look up: not `$EDITOR`, `*.sh`, `{a,b}` or an empty redirect-only command."""
    return bool(word) and not re.search(r"[$*?\[{}`=]", word) and word != "__cmdai_subst__"


def _missing_message(program: str, cwd: str) -> str:
    """Why it cannot run. A name without a slash is looked up in PATH only, so a script in the
    current directory (`nohup backup.sh &`) is not found there: say how it runs."""
    if "/" in program:
        return f"`{program}` does not exist or is not executable"
    here = os.path.join(cwd, program)
    if os.path.isfile(here):
        ready = os.access(here, os.X_OK)
        how = "" if ready else f" once it is executable (`chmod +x {program}`)"
        return f"`{program}` is not in PATH: the file in this directory runs as `./{program}`{how}"
    return f"`{program}` is not installed"


def _exists(program: str, known: frozenset[str], cwd: str, path: str) -> bool:
    if "/" in program:
        target = os.path.join(cwd, os.path.expanduser(program))
        return os.path.isfile(target) and os.access(target, os.X_OK)
    name = program.lstrip("\\")
    return name in known or shutil.which(name, path=path) is not None


@functools.cache
def shell_names(shell: str) -> frozenset[str]:
    """Builtins, keywords and shipped functions of `shell`; only the words every shell knows
    if it is not installed."""
    argv = NAMES_ARGV.get(shell)
    if argv is None or shutil.which(argv[0]) is None:
        return SHELL_WORDS
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=PARSER_TIMEOUT_S).stdout
    except (OSError, subprocess.TimeoutExpired):
        out = ""
    names = {name.strip() for name in re.split(r"[\n,]", out) if name.strip()}
    return frozenset(names) | SHELL_WORDS
