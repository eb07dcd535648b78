"""Rules that need the whole line, not one simple command: fork bombs, downloads run by a
shell, kills of every listed process, find piped into xargs rm, a loop's files moved onto one
name, and redirections."""

from __future__ import annotations

import re

from cmdai.commandline import Simple
from cmdai.safety.levels import Risk, Verdict
from cmdai.safety.programs import (
    FIND_DESTRUCTIVE,
    container_command,
    find_over_system,
    onto_one_name,
)
from cmdai.safety.words import (
    ACCOUNT_FILES,
    BLOCK_DEVICE,
    kept_whole,
    operands,
    short_flags,
)

# The name starts where a word does and is taken whole (possessive): otherwise every suffix of a
# long word was tried as the name, quadratic in its length.
_FORK_BOMB = re.compile(r"(?<!\w)(\w++|:)\s*+\(\)\s*\{[^}]*\1\s*\|\s*\1\s*&")
_LOOP_HEADER = re.compile(r"\b(?:for|foreach|select)\s+([A-Za-z_]\w*)(?:\s+in\b|\s*\()")
_NAME = re.compile(r"[A-Za-z_]\w*")
_DOWNLOADERS = {"curl", "wget", "fetch", "invoke-webrequest", "iwr", "invoke-restmethod", "irm"}
_INTERPRETERS = {
    "sh", "bash", "zsh", "dash", "ksh", "fish", "python", "python3", "perl", "ruby", "node",
    "pwsh", "powershell", "invoke-expression", "iex", "source", ".",
}  # fmt: skip


def _lists_every_process(cmd: Simple) -> bool:
    flags = short_flags(cmd.args)
    return bool(flags & {"e", "A"} or {"a", "x"} <= flags or {"aux", "ax"} & set(cmd.args))


def _kills_every_listed_process(commands: list[Simple]) -> bool:
    """kill $(ps -e -o pid=), ps aux | awk '{print $2}' | xargs kill: every process ps lists,
    since nothing (grep PATTERN, pgrep) narrows the list down."""
    lists_all = any(c.program == "ps" and _lists_every_process(c) for c in commands)
    kills = any(c.program in ("kill", "killall", "pkill") for c in commands)
    narrowed = _narrowed_by_grep(commands) or any(c.program == "pgrep" for c in commands)
    return lists_all and kills and not narrowed


def _narrowed_by_grep(commands: list[Simple]) -> bool:
    """A grep that keeps only the lines matching its pattern (not one with -v)."""
    return any(
        c.program == "grep" and "-v" not in c.args and "--invert-match" not in c.args
        for c in commands
    )


def _loop_variables(line: str, commands: list[Simple]) -> set[str]:
    """The names a loop on this line sets once per item: `for f in`, zsh's `for f (…)`,
    `foreach f (…)`, and the names `while read -r f` reads (or REPLY when it names none)."""
    names = set(_LOOP_HEADER.findall(line))
    for command in commands:
        if command.program == "read":
            read_into = [w for w in operands(command.args) if _NAME.fullmatch(w)]
            names.update(read_into or ["REPLY"])
    return names


def _moved_onto_one_name(line: str, commands: list[Simple]) -> Verdict | None:
    """`for f in *.jpeg; do mv "$f" .jpg; done`: each item of a loop moved onto one fixed
    name, as `find … -exec mv {} .jpg` does (programs.py)."""
    moves = [c for c in commands if c.program == "mv"]
    if not moves:
        return None
    sources = {form.format(name) for name in _loop_variables(line, commands)
               for form in ("${}", "${{{}}}")}  # fmt: skip
    for command in moves:
        ops = operands(command.args)
        per_item = len(ops) == 2 and ops[0] in sources and "$" not in ops[1]
        if per_item and (lost := onto_one_name(ops[1])):
            return lost
    return None


def _replaces_crontab(commands: list[Simple]) -> Verdict | None:
    """`echo "0 2 * * * x.sh" | crontab -`: crontab takes its whole new table from the pipe,
    so every job not in it is gone; with `crontab -l` on the line, the old jobs are in it."""
    from_pipe = any(c.program == "crontab" and "-" in operands(c.args) for c in commands)
    keeps = any(c.program == "crontab" and "l" in short_flags(c.args) for c in commands)
    if from_pipe and not keeps:
        reason = "replaces the whole crontab with what is piped in (`crontab -l` keeps the jobs)"
        return Verdict(Risk.HIGH, reason, "crontab-replace")
    return None


def _container_verb(command: Simple) -> tuple[str, list[str]]:
    """What a docker or podman command does to containers and the words after it, with the
    `container` group read as the plain subcommand (`docker container ls` is `docker ps`):
    ("", []) for any other program."""
    if command.program not in ("docker", "podman"):
        return "", []
    sub, verb, rest = container_command(command.program, command.args)
    if sub != "container":
        return sub, rest
    return _CONTAINER_GROUP_VERBS.get(verb, verb), rest


_CONTAINER_GROUP_VERBS = {"ls": "ps", "list": "ps", "remove": "rm"}


def _removes_every_container(commands: list[Simple]) -> Verdict | None:
    """`docker rm -f $(docker ps -aq)`: every container, stopped ones and their data included,
    as `kill $(ps -e …)` is every process."""
    verbs = [_container_verb(c) for c in commands]
    lists_all = any(
        verb == "ps" and "a" in short_flags(rest)
        and not any(a.startswith(("-f", "--filter")) for a in rest)
        for verb, rest in verbs
    )  # fmt: skip
    # what rm removes is the substitution's output (lifted out by parse), so it names nothing
    removes = any(verb == "rm" and not operands(rest) for verb, rest in verbs)
    if lists_all and removes and not _narrowed_by_grep(commands):
        return Verdict(Risk.HIGH, "removes every container, stopped ones included", "docker-prune")
    return None


def line_rules(line: str, commands: list[Simple]) -> Verdict | None:
    if _FORK_BOMB.search(line):
        return Verdict(Risk.CRITICAL, "fork bomb", "fork-bomb")
    if _kills_every_listed_process(commands):
        return Verdict(Risk.CRITICAL, "kills every process ps lists", "kill-all")
    if lost := (
        _moved_onto_one_name(line, commands)
        or _replaces_crontab(commands)
        or _removes_every_container(commands)
    ):
        return lost
    for command in commands:  # find / … | xargs rm: the same as find / -exec rm
        source = command.pipe_from
        if (
            "xargs" in command.wrappers
            and command.program in FIND_DESTRUCTIVE
            and source is not None
            and source.program == "find"
            and find_over_system(source)
        ):
            reason = "deletes or changes every file under a system or home directory"
            return Verdict(Risk.CRITICAL, reason, "find-delete-system")
    if not {c.program for c in commands} & _DOWNLOADERS:
        return None
    downloaded = False
    for command in commands:
        downloaded = downloaded or command.program in _DOWNLOADERS
        runs_file = command.program in _INTERPRETERS | {"source", "."} and operands(command.args)
        if command.program not in _INTERPRETERS and not (downloaded and runs_file):
            continue
        source = command.pipe_from
        piped = source is not None and source.program in _DOWNLOADERS  # curl … | sh
        substituted = not command.args or "-c" in command.args  # bash <(curl …), iex (iwr …)
        # wget URL && bash setup: the file it runs may well be the one just downloaded
        if piped or substituted or (downloaded and runs_file):
            reason = "runs a script downloaded from the network"
            return Verdict(Risk.CRITICAL, reason, "download-to-shell")
    return None


def redirect_rule(command: Simple) -> Verdict | None:
    for operator, target in command.redirects:
        if operator.startswith("<"):
            continue
        if BLOCK_DEVICE.match(target):
            return Verdict(Risk.CRITICAL, f"writes over the disk {target}", "redirect-device")
        if target in ACCOUNT_FILES:
            return Verdict(Risk.CRITICAL, f"overwrites {target}", "overwrite-accounts")
        if operator in (">", ">|", "&>") and kept_whole(target):
            return Verdict(Risk.HIGH, f"replaces {target}: what it held is lost", "replace-system")
        harmless = target in ("/dev/null", "/dev/stdout", "/dev/stderr") or target.isdigit()
        if not harmless and not target.startswith("&"):
            return Verdict(Risk.MODERATE, f"writes to {target}", "redirect-write")
    return None
