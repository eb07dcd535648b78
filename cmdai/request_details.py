"""Details a request gives in words that a program reads one way only: whose permission
("for others" is `chmod o-x`, not `chmod -x`, which takes it from everyone), which processes
("named node" is `pkill node`; `pkill -f node` also matches `vim node.txt`), which end of a
file ("all but the last 3 lines" is `head -n -3`, not `tail -n +4`), what an empty file is
(`echo "" > f` leaves a line in it), and which account, container or branch ("the group
www-data" must be named). Each rule speaks only when the request says it in so many words and
the command does the other thing; a command that does it some other way passes.

Each check returns one line for the user and for the model, or None.
"""

from __future__ import annotations

import re

from cmdai.commandline import Simple, line_counts, parse
from cmdai.safety.words import program_operands, short_flags


def check(request: str, command: str) -> str | None:
    """The first detail of `request` that `command` reads the other way, or None."""
    simples = parse(command).commands
    checks = (_chmod_names_someone_else, _name_matched_anywhere, _lines_from_the_wrong_end,
              _echo_leaves_a_line)  # fmt: skip
    found = next((problem for check in checks if (problem := check(request, simples))), None)
    return found or _account_left_out(request, command)


# Who a request gives a permission to or takes it from, as chmod's letter. "everyone else" is
# the others; "everyone", "all users" are what a mode without a letter already means.
_WHO = (
    ("o", re.compile(r"\b(?:others|other users|everyone else|the world|world-\w+)\b", re.I)),
    ("g", re.compile(r"\b(?:the|its|my|for|to) group\b|\bgroup[- ](?:members|readable|"
                     r"writable|executable)\b", re.I)),
    ("u", re.compile(r"\b(?:the|its|file's) owner\b|\b(?:only|just) (?:me|the owner)\b", re.I)),
)  # fmt: skip
# A symbolic mode clause and whose permission it changes: `o-x`, `ug+rw`, `-x` (nobody named).
_SYMBOLIC = re.compile(r"([ugoa]*)[-+=]")
_WHO_NAMES = {"u": "the owner", "g": "the group", "o": "the others"}


def _chmod_names_someone_else(request: str, simples: list[Simple]) -> str | None:
    """`chmod -x deploy.sh` (or `chmod u-x`, `chmod a-x`) for "remove execute permission for
    others": a mode that names nobody, or everybody, or someone else, is not the others'."""
    whom = [(letter, found.group(0)) for letter, said in _WHO if (found := said.search(request))]
    if len(whom) != 1:  # nobody named, or several: the mode may rightly name all
        return None
    letter, said = whom[0]
    for simple in simples:
        modes = program_operands("chmod", simple.args)[:1] if simple.program == "chmod" else []
        if not modes:
            continue
        clauses = modes[0].split(",")
        symbolic = [found for clause in clauses if (found := _SYMBOLIC.match(clause))]
        if len(symbolic) < len(clauses):
            continue  # an octal mode, which says it for everyone, as it must
        if any(letter in found.group(1) for found in symbolic):
            continue
        mode = ",".join(dict.fromkeys(letter + found.string[found.end(1) :] for found in symbolic))
        return (
            f"the request says “{said}”, so chmod's mode must name {_WHO_NAMES[letter]}: {mode}, "
            f"not {modes[0]} (u owner, g group, o others)"
        )
    return None


# "processes named node", "the process called nginx": a name, not a pattern in a command line.
_NAMED = re.compile(
    r"\bprocess(?:es)? (?:\w+ )?(?:named|called) ['\"]?([A-Za-z][\w-]{0,14})(?![\w./-])", re.I
)
_BY_NAME = frozenset({"pkill", "pgrep"})


def _name_matched_anywhere(request: str, simples: list[Simple]) -> str | None:
    """`pkill -f node` for "stop all processes named node": -f matches the name anywhere in a
    command line (`vim node.txt`, `grep node`), where without it pkill matches the process
    name. Only for a program's name (no dot or slash, 15 characters at most, the longest name
    a process has): a script's name is in its command line only."""
    found = _NAMED.search(request)
    if not found:
        return None
    name = found.group(1)
    for simple in simples:
        if simple.program not in _BY_NAME or name not in simple.args:
            continue
        if "f" in short_flags(simple.args) or "--full" in simple.args:
            program = simple.program
            return (
                f"the request asks for processes named {name}, and `{program} -f {name}` "
                f"matches {name} anywhere in a command line: without -f {program} matches the "
                f"process name (-x for exactly {name})"
            )
    return None


# "all but the last 3 lines", "every line except the last 3", "without the first 2 lines".
_LEAVE_OUT = re.compile(r"\b(?:all but|except(?: for)?|without|other than|but not|skip(?:ping)?"
                        r"|minus) the (last|first) (\d{1,9})\b", re.I)  # fmt: skip


def _lines_from_the_wrong_end(request: str, simples: list[Simple]) -> str | None:
    """`tail -n +4 list.txt` for "all lines except the last 3" (it leaves out the first 3),
    and `head -n -2` for "without the first 2 lines" (it leaves out the last 2)."""
    found = _LEAVE_OUT.search(request)
    if not found:
        return None
    end, count = found.group(1).lower(), found.group(2)
    for simple in simples:
        counts = line_counts(simple.args)
        if end == "last" and simple.program == "tail" and any(c.startswith("+") for c in counts):
            return (
                f"the request leaves out the last {count}, and `tail -n +N` leaves out the "
                f"first N-1 lines: `head -n -{count}` leaves out the last {count}"
            )
        if end == "first" and simple.program == "head" and any(c.startswith("-") for c in counts):
            return (
                f"the request leaves out the first {count}, and `head -n -N` leaves out the "
                f"last N lines: `tail -n +{int(count) + 1}` starts after the first {count}"
            )
    return None


# "empty the file debug.log", "clear the contents of app.log", "truncate out.txt".
_EMPTY = re.compile(
    r"\b(?:empty|clear|blank|truncate|wipe)\b(?! (?:line|directory|folder|dir)s?\b)", re.I
)


def _echo_leaves_a_line(request: str, simples: list[Simple]) -> str | None:
    """`echo "" > debug.log` for "empty the file debug.log": echo ends what it writes with a
    newline, so the file keeps one (empty) line and is 1 byte long."""
    if not _EMPTY.search(request):
        return None
    for simple in simples:
        if simple.program != "echo" or any(arg not in ("", "-e", "-E") for arg in simple.args):
            continue
        targets = [name for op, name in simple.redirects if op.lstrip("1") in (">", ">|")]
        if targets:
            name = targets[0]
            return (
                f"the request asks for an empty file, and `echo` writes a newline into {name}: "
                f"`: > {name}` or `truncate -s 0 {name}` empties it"
            )
    return None


# "the group www-data", "the user alice", "user named deploy", "the container api", "the
# branch feature-x": an account, a container or a branch by its name.
_ACCOUNT = re.compile(
    r"\b(user|group|container|branch)\s+(?:named\s+|called\s+)?['\"`]?"
    r"([a-z_][a-z0-9_.-]{0,30}[a-z0-9_])\b"
)
# Words after such a noun that are not a name ("the group write bit", "user and group", "the
# container port")
_NOT_A_NAME = frozenset({
    "a", "an", "the", "and", "or", "to", "of", "in", "on", "at", "by", "for", "with", "from",
    "who", "that", "which", "is", "has", "can", "id", "ids", "name", "names", "permission",
    "permissions", "write", "read", "execute", "owner", "ownership", "members", "membership",
    "account", "accounts", "list", "running", "logged", "root", "me", "i", "only", "as", "it",
    "its", "their", "bits", "bit", "rights", "access", "settings", "info", "information",
    "memberships", "password", "passwords", "home", "shell", "quota", "quotas", "limits",
    "process", "processes", "files", "file", "directory", "directories", "session",
    "sessions", "login", "logins", "mode", "level", "space", "data", "details", "groups",
    "users", "database", "entry", "entries", "exists", "exist", "belongs", "will", "should",
    "must", "you", "we", "they", "this", "these", "those", "here", "there", "first", "last",
    "port", "ports", "image", "images", "logs", "log", "status", "start", "stop", "restart",
    "ip", "address", "runs", "stats", "now", "history", "agent", "input", "interface",
    "config", "configuration", "policy", "graph", "tracking", "upstream", "protection",
    "usage", "environment", "profile", "crontab", "limit", "changes", "commits", "tree",
    "volumes", "networks", "size", "sizes", "count",
})  # fmt: skip


def _account_left_out(request: str, command: str) -> str | None:
    """`chmod -R g+w uploads` for "make uploads writable by the group www-data": the group
    the request names is nowhere in the command (chgrp or chown would name it), so the group
    that has the file gets the permission. Any user, group, container or branch named in so
    many words must be in the command (`find /home -user bob`, `docker port api`)."""
    for kind, name in _ACCOUNT.findall(request):  # the line as written: `sudo -u postgres`
        if name in _NOT_A_NAME or re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", command):
            continue
        return f"the request names the {kind} {name}, and the command does not use it"
    return None
