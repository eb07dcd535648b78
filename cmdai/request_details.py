"""Details a request gives in words that a program reads one way only: whose permission
("for others" is `chmod o-x`, not `chmod -x`, which takes it from everyone), which processes
("named node" is `pkill node`; `pkill -f node` also matches `vim node.txt`), which end of a
file ("all but the last 3 lines" is `head -n -3`, not `tail -n +4`), what an empty file is
(`echo "" > f` leaves a line in it), which account, container or branch ("the group
www-data" must be named); and a time, port, download, record type, city or order that a
program is told in one way only ("wait 10 minutes" is not `sleep 10`, a "download" is not a
curl that writes the file to the terminal, "the time in Tokyo" is `TZ=Asia/Tokyo date`). Each
rule speaks only when the request says it in so many words and the command does the other
thing; a command that does it some other way passes.

Each check returns one line for the user and for the model, or None.
"""

from __future__ import annotations

import functools
import os
import re

from cmdai.command_edit import Finding, add_option, replace_argument, set_variable
from cmdai.command_output import writes_file
from cmdai.commandline import Simple, line_counts, parse
from cmdai.phrases import says
from cmdai.safety.words import program_operands, short_flags


def check(request: str, command: str) -> str | None:
    """The first detail of `request` that `command` reads the other way, or None."""
    found = find(request, command)
    return found.message if found else None


def find(request: str, command: str) -> Finding | None:
    """check()'s problem, with the command put right where one edit does it (`chmod o-x`,
    `sleep 10m`, `TZ=Asia/Tokyo date`, `dig MX example.com`)."""
    simples = parse(command).commands
    checks = (_chmod_names_someone_else, _name_matched_anywhere, _lines_from_the_wrong_end,
              _echo_leaves_a_line, _sleep_in_seconds, _download_shown, _record_type_left_out,
              _sizes_unsorted, _port_unused, _time_zone_left_out, _account_left_out)  # fmt: skip
    return next((found for check in checks if (found := check(request, command, simples))), None)


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


def _chmod_names_someone_else(request: str, command: str, simples: list[Simple]) -> Finding | None:
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
        return Finding(
            f"the request says “{said}”, so chmod's mode must name {_WHO_NAMES[letter]}: {mode}, "
            f"not {modes[0]} (u owner, g group, o others)",
            replace_argument(command, "chmod", modes[0], mode),
        )
    return None


# "processes named node", "the process called nginx": a name, not a pattern in a command line.
_NAMED = re.compile(
    r"\bprocess(?:es)? (?:\w+ )?(?:named|called) ['\"]?([A-Za-z][\w-]{0,14})(?![\w./-])", re.I
)
_BY_NAME = frozenset({"pkill", "pgrep"})


def _name_matched_anywhere(request: str, command: str, simples: list[Simple]) -> Finding | None:
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
            return Finding(
                f"the request asks for processes named {name}, and `{program} -f {name}` "
                f"matches {name} anywhere in a command line: without -f {program} matches the "
                f"process name (-x for exactly {name})"
            )
    return None


# "all but the last 3 lines", "every line except the last 3", "without the first 2 lines".
_LEAVE_OUT = re.compile(r"\b(?:all but|except(?: for)?|without|other than|but not|skip(?:ping)?"
                        r"|minus) the (last|first) (\d{1,9})\b", re.I)  # fmt: skip


def _lines_from_the_wrong_end(request: str, command: str, simples: list[Simple]) -> Finding | None:
    """`tail -n +4 list.txt` for "all lines except the last 3" (it leaves out the first 3),
    and `head -n -2` for "without the first 2 lines" (it leaves out the last 2)."""
    found = _LEAVE_OUT.search(request)
    if not found:
        return None
    end, count = found.group(1).lower(), found.group(2)
    for simple in simples:
        counts = line_counts(simple.args)
        if end == "last" and simple.program == "tail" and any(c.startswith("+") for c in counts):
            return Finding(
                f"the request leaves out the last {count}, and `tail -n +N` leaves out the "
                f"first N-1 lines: `head -n -{count}` leaves out the last {count}"
            )
        if end == "first" and simple.program == "head" and any(c.startswith("-") for c in counts):
            return Finding(
                f"the request leaves out the first {count}, and `head -n -N` leaves out the "
                f"last N lines: `tail -n +{int(count) + 1}` starts after the first {count}"
            )
    return None


# "empty the file debug.log", "clear the contents of app.log", "truncate out.txt".
_EMPTY = re.compile(
    r"\b(?:empty|clear|blank|truncate|wipe)\b(?! (?:line|directory|folder|dir)s?\b)", re.I
)


def _echo_leaves_a_line(request: str, command: str, simples: list[Simple]) -> Finding | None:
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
            return Finding(
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


def _account_left_out(request: str, command: str, simples: list[Simple]) -> Finding | None:
    """`chmod -R g+w uploads` for "make uploads writable by the group www-data": the group
    the request names is nowhere in the command (chgrp or chown would name it), so the group
    that has the file gets the permission. Any user, group, container or branch named in so
    many words must be in the command (`find /home -user bob`, `docker port api`)."""
    for kind, name in _ACCOUNT.findall(request):  # the line as written: `sudo -u postgres`
        if name in _NOT_A_NAME or re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", command):
            continue
        return Finding(f"the request names the {kind} {name}, and the command does not use it")
    return None


# "wait 10 minutes", "in 2 hours": a time the request gives in a unit longer than seconds.
_LONG_TIME = re.compile(r"\b(\d+(?:\.\d+)?)[ -]?(min(?:ute)?s?|h(?:ou)?rs?|hours?|days?)\b", re.I)


def _sleep_in_seconds(request: str, command: str, simples: list[Simple]) -> Finding | None:
    """`sleep 10` for "wait 10 minutes": sleep's number alone counts seconds."""
    asked = {m.group(1): m.group(2).lower() for m in _LONG_TIME.finditer(request)}
    for simple in simples:
        if simple.program != "sleep" or len(simple.args) != 1 or simple.args[0] not in asked:
            continue
        number, unit = simple.args[0], asked[simple.args[0]]
        written = f"{number}{unit[0]}"
        return Finding(
            f"the request asks for {number} {unit}, and `sleep {number}` waits {number} "
            f"seconds: `sleep {written}` waits {number} {unit}",
            replace_argument(command, "sleep", number, written),
        )
    return None


_PORT = re.compile(r"\bports? (\d{2,5})\b", re.I)


_SSH_FAMILY = re.compile(r"(?<![\w.-])(?:ssh|scp|sftp|rsync|autossh|sshfs)(?![\w.-])")


def _port_unused(request: str, command: str, simples: list[Simple]) -> Finding | None:
    """A port the request names, used in an ssh-family command as something else: "copy
    backup.tar to root@10.1.1.9:/srv using port 2200" answered `scp … root@10.1.1.9:/srv/2200`.
    A port is a number of its own (`-P 2200`, `:2200`, `Port=2200`), not the end of a path,
    an address or a longer number. Only for the ssh family, where a port is always written out
    (`python3 -m http.server` serves on 8000 by itself)."""
    if not _SSH_FAMILY.search(command):
        return None
    for port in _PORT.findall(request):
        if not re.search(rf"(?<![\d/.]){port}(?![\d.])", command):
            return Finding(
                f"the request names port {port}, but the command does not use it as a port"
            )
    return None


_DOWNLOAD = re.compile(r"\bdownload(?:s|ed|ing)?\b", re.I)
# curl's options that save what it fetches, and those after which nothing is downloaded
# (-I asks only for the headers)
_CURL_SAVES = frozenset({"--output", "--remote-name", "--remote-name-all", "--output-dir"})
_CURL_ONLY_HEADERS = frozenset({"--head"})


def _download_shown(request: str, command: str, simples: list[Simple]) -> Finding | None:
    """`curl -C - -L https://example.com/big.iso` for "download … big.iso": with no -o or -O,
    curl writes what it fetches to the terminal (and cannot resume). Not when the output is
    redirected or piped (`curl -fsSL … | sh`)."""
    if not says(_DOWNLOAD, request):
        return None
    readers = {id(simple.pipe_from) for simple in simples if simple.pipe_from is not None}
    for curl in simples:
        if curl.program != "curl" or id(curl) in readers or writes_file(curl):
            continue
        letters = short_flags(curl.args)
        longs = {arg.split("=", 1)[0] for arg in curl.args if arg.startswith("--")}
        if letters & set("oOI") or longs & (_CURL_SAVES | _CURL_ONLY_HEADERS):
            continue
        return Finding(
            "the request asks to download a file, and `curl` without -O or -o writes it "
            "to the terminal: -O (--remote-name) saves it under its own name, -o FILE "
            "under another",
            add_option(command, "curl", "-O") if _names_a_file(curl.args) else None,
        )
    return None


def _names_a_file(args: list[str]) -> bool:
    """One URL, whose path ends in a name for -O to save under (not `https://example.com/`)."""
    urls = [arg for arg in args if "://" in arg]
    if len(urls) != 1:
        return False
    path = urls[0].split("://", 1)[1].split("?", 1)[0].split("#", 1)[0]
    return "/" in path and bool(path.rsplit("/", 1)[1])


_RECORD_TYPE = re.compile(r"\b(AAAA|MX|TXT|NS|CNAME|SOA|PTR|SRV|CAA) records?\b", re.I)
_DNS_LOOKUPS = frozenset({"dig", "nslookup", "host", "drill", "kdig"})
_SHOWN_BY_ITSELF = {"host": frozenset({"AAAA", "MX"})}  # host shows A, AAAA and MX unasked


def _record_type_left_out(request: str, command: str, simples: list[Simple]) -> Finding | None:
    """`nslookup example.com` for "the MX records of example.com": without the type, a lookup
    asks for the address. The message gives the command with the type (told only which
    options name it, the 1.5B model repeated its `nslookup example.com`)."""
    if not (match := _RECORD_TYPE.search(request)):
        return None
    kind = match.group(1).upper()
    for simple in simples:
        if simple.program not in _DNS_LOOKUPS or kind in _SHOWN_BY_ITSELF.get(simple.program, ()):
            continue
        words = {part.lower() for arg in simple.args for part in re.split(r"[=\s]", arg)}
        if kind.lower() in words:
            continue
        names = [arg for arg in simple.args if not arg.startswith(("-", "+", "@"))]
        name = names[0] if names else "NAME"
        typed = _TYPED.get(simple.program, "dig {kind} {name}").format(kind=kind, name=name)
        option = _TYPE_OPTION.get(simple.program, "{kind}").format(kind=kind)
        return Finding(
            f"the request asks for {kind} records, and `{simple.program} {name}` looks up the "
            f"address: `{typed}` asks for them",
            add_option(command, simple.program, option),
        )
    return None


# How each lookup is told the type (drill and kdig read dig's way: the type anywhere)
_TYPED = {"nslookup": "nslookup -type={kind} {name}", "host": "host -t {kind} {name}"}
_TYPE_OPTION = {"nslookup": "-type={kind}", "host": "-t {kind}"}


ZONEINFO = "/usr/share/zoneinfo"
_ZONE_REGIONS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe",
                 "Indian", "Pacific")  # fmt: skip
_CLOCK = re.compile(r"\b(?:time|date|clock|o'clock)\b", re.I)


def _time_zone_left_out(request: str, command: str, simples: list[Simple]) -> Finding | None:
    """`date` for "show the current time in Tokyo": date shows this machine's time zone; the
    city's is `TZ=Asia/Tokyo date`. Cities are the time zones of this machine's tz database;
    without it, nothing is checked."""
    if not _CLOCK.search(request) or "TZ=" in command:
        return None
    if not any(simple.program == "date" for simple in simples):
        return None
    zones = _zones(ZONEINFO)
    for match in re.finditer(r"\bin\s+", request):
        words = re.findall(r"[A-Za-z]+", " ".join(request[match.end() :].split()[:3]))
        for count in range(len(words), 0, -1):  # "New York City" -> "New York"
            if zone := zones.get(" ".join(words[:count]).lower()):
                city = zone.rsplit("/", 1)[1].replace("_", " ")
                return Finding(
                    f"the request asks for the time in {city}, and `date` shows this machine's "
                    f"time zone: `TZ={zone} date` shows the time there",
                    None if _in_utc(simples) else set_variable(command, "date", f"TZ={zone}"),
                )
    return None


def _in_utc(simples: list[Simple]) -> bool:
    """`date -u`: the time in UTC, whatever TZ says."""
    return any(simple.program == "date" and ("u" in short_flags(simple.args)
               or {"--utc", "--universal"} & set(simple.args)) for simple in simples)  # fmt: skip


@functools.lru_cache(maxsize=2)
def _zones(root: str) -> dict[str, str]:
    """ "tokyo" -> "Asia/Tokyo", "new york" -> "America/New_York": the cities of the tz
    database's regions (not the zones of a state inside one, America/Indiana/…)."""
    zones: dict[str, str] = {}
    for region in _ZONE_REGIONS:
        try:
            names = os.listdir(os.path.join(root, region))
        except OSError:
            continue
        for name in names:
            if os.path.isfile(os.path.join(root, region, name)):
                zones[name.replace("_", " ").lower()] = f"{region}/{name}"
    return zones


_BY_SIZE = re.compile(
    r"\b(?:sort(?:ed)?|order(?:ed)?) by (?:their |its )?(?:size|disk usage)\b"
    r"|\b(?:largest|biggest|smallest)\b",
    re.I,
)


def _sizes_unsorted(request: str, command: str, simples: list[Simple]) -> Finding | None:
    """`du -sh *` for "disk usage sorted by size", `du -sh * | head -n 5` for "the 5 biggest
    directories": du lists in the order it walks, so nothing is sorted by size."""
    programs = {simple.program for simple in simples}
    if "du" not in programs or "sort" in programs or not _BY_SIZE.search(request):
        return None
    return Finding(
        "the request asks for an order by size, and `du` lists in the order it walks the "
        "directories: pipe it to `sort -h` (`sort -rh` for the largest first)"
    )
