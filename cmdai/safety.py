"""Risk classification of a command, whatever model or backend wrote it.

Levels: safe < moderate (changes files or state) < high (destructive but legitimate) <
critical (destroys or takes over the system). Classification parses the command (see
commandline.py) and applies per-program rules to every simple command it runs, so quoting,
chaining, substitutions and wrappers cannot hide a dangerous program, and a dangerous word
inside a quoted string is not mistaken for one. Pure functions, no I/O.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from cmdai.commandline import Simple, parse, program_name


class Risk(IntEnum):
    SAFE = 0
    MODERATE = 1
    HIGH = 2
    CRITICAL = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Verdict:
    level: Risk
    reason: str
    rule: str


SAFE = Verdict(Risk.SAFE, "reads only", "safe")

# --- what counts as a system location -------------------------------------------------------

_SYSTEM_DIRS = (
    "bin", "boot", "dev", "etc", "home", "lib", "lib32", "lib64", "libx32", "opt", "proc", "root",
    "run", "sbin", "srv", "sys", "usr", "var", "System", "Library", "Users", "Applications",
    "private", "Volumes",
)  # fmt: skip
_HOME_WORDS = ("~", "$HOME", "${HOME}")
_WINDOWS_SYSTEM = re.compile(
    r"^(?:[a-z]:[\\/]?\*?|[\\/]|\$env:(?:systemroot|systemdrive|windir|userprofile|programfiles)"
    r"[\\/]?\*?|[a-z]:[\\/](?:windows|program files(?: \(x86\))?|users|programdata)[\\/]?\*?)$",
    re.IGNORECASE,
)
_BLOCK_DEVICE = re.compile(
    r"^/dev/(?:sd[a-z]|hd[a-z]|vd[a-z]|xvd[a-z]|nvme\d|mmcblk\d|disk\d|md\d|dm-)"
)
_ACCOUNT_FILES = {"/etc/passwd", "/etc/shadow", "/etc/sudoers", "/etc/group", "/etc/gshadow"}


def system_location(path: str) -> str | None:
    """A short name for `path` when it is the root, a home or a system directory."""
    clean = path.strip().rstrip("/") or "/"
    if clean.startswith(("/", "~", "$")):  # `/home/ana/.`, `/usr/./bin/..`, `~/.` say the same
        clean = posixpath.normpath(clean).replace("//", "/")
    for home in _HOME_WORDS:
        if clean in (home, f"{home}/*", f"{home}/.*") or clean == f"{home}/..":
            return "the home directory"
    if clean in ("/", "/*", "/.*"):
        return "the root directory"
    if re.fullmatch(r"/(?:home|Users)/[^/]+(?:/\*)?", clean):
        return "a home directory"
    top = clean.removeprefix("/").split("/")[0]
    rest = clean.removeprefix("/")[len(top) :].strip("/")
    if clean.startswith("/") and top in _SYSTEM_DIRS and rest in ("", "*"):
        return f"the system directory /{top}"
    if _WINDOWS_SYSTEM.match(path.strip()):
        return "a system drive or directory"
    return None


# --- flag helpers ----------------------------------------------------------------------------


def short_flags(args: list[str]) -> set[str]:
    """Letters of combined short options: -rf, -fr, -Rf -> {r, f}."""
    letters: set[str] = set()
    for arg in args:
        if arg == "--":
            break
        if re.fullmatch(r"-[A-Za-z]+", arg):
            letters.update(arg[1:])
    return letters


def has_long(args: list[str], *names: str) -> bool:
    return any(a.split("=", 1)[0] in names for a in args if a.startswith("--"))


def operands(args: list[str]) -> list[str]:
    """Arguments that are not options (everything after `--` counts)."""
    out: list[str] = []
    after_dashdash = False
    for arg in args:
        if after_dashdash or not arg.startswith("-") or arg == "-":
            out.append(arg)
        elif arg == "--":
            after_dashdash = True
    return out


# --- per-program rules -----------------------------------------------------------------------

Rule = Callable[[Simple], Verdict | None]


def _rm(cmd: Simple) -> Verdict:
    flags = short_flags(cmd.args)
    recursive = bool(flags & {"r", "R"}) or has_long(cmd.args, "--recursive")
    if has_long(cmd.args, "--no-preserve-root"):
        return Verdict(
            Risk.CRITICAL, "recursive delete with --no-preserve-root", "rm-no-preserve-root"
        )
    for target in operands(cmd.args):
        if (where := system_location(target)) and (recursive or target.endswith("*")):
            return Verdict(Risk.CRITICAL, f"recursive delete of {where}", "rm-system")
    if recursive:
        return Verdict(Risk.HIGH, "recursive delete", "rm-recursive")
    return Verdict(Risk.MODERATE, "deletes files", "rm")


# Programs that find -exec may run over a whole system directory with catastrophic effect.
_FIND_DESTRUCTIVE = {"rm", "shred", "unlink", "rmdir", "mv", "chown", "chmod", "chgrp"}


def _find_over_system(cmd: Simple) -> bool:
    first_option = next((i for i, a in enumerate(cmd.args) if a.startswith("-")), len(cmd.args))
    return any(system_location(root) for root in cmd.args[:first_option])


def _find(cmd: Simple) -> Verdict | None:
    over_system = _find_over_system(cmd)
    executes = {
        cmd.args[i + 1] for i, a in enumerate(cmd.args[:-1]) if a in ("-exec", "-execdir", "-ok")
    }
    destroys = bool({program_name(p) for p in executes} & _FIND_DESTRUCTIVE)
    if over_system and ("-delete" in cmd.args or destroys):
        reason = "deletes or changes every file under a system or home directory"
        return Verdict(Risk.CRITICAL, reason, "find-delete-system")
    if "-delete" in cmd.args:
        return Verdict(Risk.HIGH, "deletes every file find matches", "find-delete")
    # find -exec CMD: CMD is also classified on its own (commandline.py lifts it out).
    return None


def _format_drive(cmd: Simple) -> Verdict | None:
    """Windows' format.exe (also what `format` runs in PowerShell): `format D: /Q`."""
    if any(re.fullmatch(r"[A-Za-z]:\\?", op) for op in operands(cmd.args)):
        return Verdict(Risk.CRITICAL, "formats a drive", "format-drive")
    return None


def _recursive_owner(kind: str) -> Rule:
    def rule(cmd: Simple) -> Verdict:
        recursive = bool(short_flags(cmd.args) & {"R"}) or has_long(cmd.args, "--recursive")
        targets = operands(cmd.args)[1:]  # the first operand is the mode or owner
        where = next((w for t in targets if (w := system_location(t))), None)
        if where and recursive:
            return Verdict(Risk.CRITICAL, f"recursive {kind} of {where}", f"{kind}-system")
        if recursive:
            return Verdict(Risk.HIGH, f"recursive {kind}", f"{kind}-recursive")
        return Verdict(Risk.MODERATE, f"changes file {kind.removeprefix('ch')}", kind)

    return rule


def _kill(cmd: Simple) -> Verdict:
    if "-1" in operands(cmd.args) or cmd.args[-1:] == ["-1"]:  # pid -1: every process
        return Verdict(Risk.CRITICAL, "kills every process you can signal", "kill-all")
    pairs = zip(cmd.args, cmd.args[1:], strict=False)
    named = any(a in ("-s", "-n") and b.upper() in ("9", "KILL", "SIGKILL") for a, b in pairs)
    if named or any(a in ("-9", "-KILL", "-SIGKILL") for a in cmd.args):
        return Verdict(Risk.HIGH, "force-kills a process", "kill-9")
    return Verdict(Risk.MODERATE, "stops a process", "kill")


def _dd(cmd: Simple) -> Verdict:
    target = next((a[3:] for a in cmd.args if a.startswith("of=")), "")
    if _BLOCK_DEVICE.match(target):
        return Verdict(Risk.CRITICAL, f"overwrites the disk {target}", "dd-device")
    return Verdict(Risk.MODERATE, "writes raw data to a file", "dd")


def _disk_tool(reason: str, rule_id: str) -> Rule:
    def rule(cmd: Simple) -> Verdict | None:
        if any(a in ("-l", "--list", "print") for a in cmd.args):
            return None  # `fdisk -l`, `parted /dev/sda print`: listing only
        return Verdict(Risk.CRITICAL, reason, rule_id)

    return rule


def _shred(cmd: Simple) -> Verdict:
    if any(_BLOCK_DEVICE.match(t) for t in operands(cmd.args)):
        return Verdict(Risk.CRITICAL, "shreds a whole disk", "shred-device")
    return Verdict(Risk.HIGH, "destroys file contents beyond recovery", "shred")


def _git(cmd: Simple) -> Verdict | None:
    ops = operands(cmd.args)
    sub = ops[0] if ops else ""
    args = cmd.args
    if sub == "reset" and "--hard" in args:
        return Verdict(Risk.HIGH, "discards uncommitted changes", "git-reset-hard")
    if sub == "clean" and ("f" in short_flags(args) or has_long(args, "--force")):
        return Verdict(Risk.HIGH, "deletes untracked files", "git-clean")
    if sub == "push" and (
        "f" in short_flags(args) or has_long(args, "--force", "--force-with-lease", "--mirror")
    ):
        return Verdict(Risk.HIGH, "rewrites the remote branch", "git-push-force")
    if sub == "branch" and "D" in short_flags(args):
        return Verdict(Risk.HIGH, "deletes a branch even if unmerged", "git-branch-D")
    if sub in ("checkout", "restore") and "." in ops[1:]:
        return Verdict(Risk.HIGH, "discards changes to tracked files", "git-discard")
    if sub in {"commit", "add", "rm", "mv", "merge", "rebase", "pull", "push", "stash", "checkout",
               "switch", "restore", "cherry-pick", "revert", "tag", "init", "clone", "fetch", "am",
               "apply", "reset", "clean", "config"}:  # fmt: skip
        return Verdict(Risk.MODERATE, f"changes the repository (git {sub})", "git-write")
    return None


def _sed(cmd: Simple) -> Verdict | None:
    if "i" in short_flags(cmd.args) or any(a.startswith(("-i", "--in-place")) for a in cmd.args):
        return Verdict(Risk.MODERATE, "edits files in place", "sed-in-place")
    return None


def _rsync(cmd: Simple) -> Verdict:
    if any(a.startswith("--delete") or a == "--remove-source-files" for a in cmd.args):
        return Verdict(Risk.HIGH, "deletes files at the destination", "rsync-delete")
    return Verdict(Risk.MODERATE, "copies files", "rsync")


def _moderate(reason: str, rule_id: str) -> Rule:
    return lambda cmd: Verdict(Risk.MODERATE, reason, rule_id)


def _high(reason: str, rule_id: str) -> Rule:
    return lambda cmd: Verdict(Risk.HIGH, reason, rule_id)


def _mv(cmd: Simple) -> Verdict:
    ops = operands(cmd.args)
    if any(system_location(o) for o in ops[:-1]):
        return Verdict(Risk.CRITICAL, "moves a system or home directory away", "mv-system")
    if ops and ops[-1] == "/dev/null":
        return Verdict(Risk.HIGH, "moves files into /dev/null (deletes them)", "mv-devnull")
    return Verdict(Risk.MODERATE, "moves or renames files", "mv")


def _copy_onto(reason: str, rule_id: str) -> Rule:
    def rule(cmd: Simple) -> Verdict:
        ops = operands(cmd.args)
        if ops and ops[-1] in _ACCOUNT_FILES:
            return Verdict(Risk.CRITICAL, f"overwrites {ops[-1]}", "overwrite-accounts")
        return Verdict(Risk.MODERATE, reason, rule_id)

    return rule


def _crontab(cmd: Simple) -> Verdict | None:
    if "r" in short_flags(cmd.args):
        return Verdict(Risk.HIGH, "deletes your crontab", "crontab-r")
    if "e" in short_flags(cmd.args) or operands(cmd.args):
        return Verdict(Risk.MODERATE, "changes scheduled jobs", "crontab")
    return None


def _package(cmd: Simple) -> Verdict | None:
    ops = operands(cmd.args)
    if ops and ops[0] in {"install", "remove", "purge", "uninstall", "upgrade", "autoremove",
                          "update", "erase", "dist-upgrade"}:  # fmt: skip
        return Verdict(Risk.MODERATE, f"changes installed packages ({ops[0]})", "packages")
    return None


def _systemctl(cmd: Simple) -> Verdict | None:
    ops = operands(cmd.args)
    if ops and ops[0] in {
        "stop",
        "disable",
        "mask",
        "kill",
        "restart",
        "start",
        "enable",
        "reload",
    }:
        return Verdict(Risk.MODERATE, f"changes a service ({ops[0]})", "systemctl")
    if ops and ops[0] in {"poweroff", "reboot", "halt", "suspend", "hibernate"}:
        return Verdict(Risk.HIGH, "shuts down or restarts the machine", "power")
    return None


def _docker(cmd: Simple) -> Verdict | None:
    ops = operands(cmd.args)
    if ops[:2] in (["system", "prune"], ["volume", "prune"], ["image", "prune"]) or ops[:1] == [
        "rmi"
    ]:
        return Verdict(Risk.HIGH, "deletes docker data", "docker-prune")
    if ops[:1] in (["rm"], ["stop"], ["kill"], ["run"], ["build"], ["pull"], ["exec"]):
        return Verdict(Risk.MODERATE, f"changes containers (docker {ops[0]})", "docker")
    return None


def _tar(cmd: Simple) -> Verdict | None:
    first = cmd.args[0] if cmd.args else ""
    modes = set(first.lstrip("-")) if re.fullmatch(r"-?[A-Za-z]+", first) else short_flags(cmd.args)
    if modes & {"c", "x", "r", "u"} or has_long(cmd.args, "--create", "--extract", "--append"):
        return Verdict(Risk.MODERATE, "writes an archive or extracts files", "tar")
    return None


def _unzip(cmd: Simple) -> Verdict | None:
    if short_flags(cmd.args) & {"l", "v", "t", "Z"}:
        return None  # lists or tests the archive
    return Verdict(Risk.MODERATE, "extracts files", "unzip")


def _curl(cmd: Simple) -> Verdict | None:
    if short_flags(cmd.args) & {"o", "O"} or has_long(cmd.args, "--output", "--remote-name"):
        return Verdict(Risk.MODERATE, "downloads files", "download")
    return None  # prints to the terminal (piping into a shell is a line rule)


def _truncate(cmd: Simple) -> Verdict:
    if any(op in _ACCOUNT_FILES for op in operands(cmd.args)):
        return Verdict(Risk.CRITICAL, "empties a system account file", "overwrite-accounts")
    return Verdict(Risk.HIGH, "truncates files", "truncate")


def _firewall(cmd: Simple) -> Verdict | None:
    flushes = short_flags(cmd.args) & {"F", "X"} or has_long(cmd.args, "--flush", "--delete-chain")
    if flushes or operands(cmd.args)[:1] == ["flush"]:
        return Verdict(Risk.HIGH, "removes firewall rules", "firewall-flush")
    changes = short_flags(cmd.args) & {"A", "I", "D", "P"}
    if changes or operands(cmd.args)[:1] in (["add"], ["delete"]):
        return Verdict(Risk.MODERATE, "changes firewall rules", "firewall")
    return None


POSIX_RULES: dict[str, Rule] = {
    "rm": _rm,
    "rmdir": _moderate("removes directories", "rmdir"),
    "unlink": _moderate("deletes a file", "unlink"),
    "find": _find,
    "chmod": _recursive_owner("chmod"),
    "chown": _recursive_owner("chown"),
    "chgrp": _recursive_owner("chgrp"),
    "kill": _kill,
    "pkill": _moderate("stops processes by name", "pkill"),
    "killall": _moderate("stops processes by name", "killall"),
    "dd": _dd,
    "mkfs": _disk_tool("formats a filesystem", "mkfs"),
    "wipefs": _disk_tool("wipes filesystem signatures from a disk", "wipefs"),
    "fdisk": _disk_tool("repartitions a disk", "partition"),
    "sfdisk": _disk_tool("repartitions a disk", "partition"),
    "parted": _disk_tool("repartitions a disk", "partition"),
    "gdisk": _disk_tool("repartitions a disk", "partition"),
    "mkswap": _disk_tool("formats a device as swap", "mkswap"),
    "shred": _shred,
    "git": _git,
    "sed": _sed,
    "perl": _sed,
    "rsync": _rsync,
    "mv": _mv,
    "cp": _copy_onto("copies files", "cp"),
    "tee": _copy_onto("writes files", "tee"),
    "install": _copy_onto("installs files", "install"),
    "ln": _moderate("creates links", "ln"),
    "touch": _moderate("creates or touches files", "touch"),
    "mkdir": _moderate("creates directories", "mkdir"),
    "truncate": _truncate,
    "iptables": _firewall, "ip6tables": _firewall, "nft": _firewall,
    "crontab": _crontab,
    "shutdown": _high("shuts down the machine", "power"),
    "reboot": _high("restarts the machine", "power"),
    "halt": _high("halts the machine", "power"),
    "poweroff": _high("powers off the machine", "power"),
    "systemctl": _systemctl,
    "apt": _package, "apt-get": _package, "dnf": _package, "yum": _package,
    "pacman": _moderate("changes installed packages", "packages"),
    "brew": _package, "pip": _package, "pip3": _package, "npm": _package,
    "docker": _docker,
    "tar": _tar,
    "unzip": _unzip,
    "curl": _curl,
    "zip": _moderate("writes an archive", "zip"),
    "gzip": _moderate("compresses files in place", "gzip"),
    "gunzip": _moderate("decompresses files in place", "gunzip"),
    "wget": _moderate("downloads files", "download"),
    "history": lambda c: Verdict(Risk.MODERATE, "clears history", "history")
    if "-c" in c.args
    else None,
}  # fmt: skip


# --- PowerShell ------------------------------------------------------------------------------


def _ps_switch(cmd: Simple, name: str, minimum: int = 2) -> bool:
    """PowerShell parameters are case-insensitive and may be abbreviated to `minimum` letters
    or more (-Rec, -r); `-Force:$true` counts as -Force."""
    for arg in cmd.args:
        abbrev = arg[1:].split(":")[0].lower() if arg.startswith("-") else ""
        if len(abbrev) >= minimum and name.startswith(abbrev):
            return True
    return False


def _ps_remove(cmd: Simple) -> Verdict:
    recursive = _ps_switch(cmd, "recurse", 1)
    targets = [a for a in cmd.args if not a.startswith("-")]
    where = next((w for t in targets if (w := system_location(t))), None)
    if where and (recursive or any(t.endswith("*") for t in targets)):
        return Verdict(Risk.CRITICAL, f"recursive delete of {where}", "ps-remove-system")
    if recursive:
        return Verdict(Risk.HIGH, "recursive delete", "ps-remove-recursive")
    return Verdict(Risk.MODERATE, "deletes items", "ps-remove")


def _ps_stop_process(cmd: Simple) -> Verdict:
    if _ps_switch(cmd, "force"):
        return Verdict(Risk.HIGH, "force-stops processes", "ps-stop-process-force")
    return Verdict(Risk.MODERATE, "stops processes", "ps-stop-process")


POWERSHELL_RULES: dict[str, Rule] = {
    "format": _format_drive, "format.com": _format_drive,
    "remove-item": _ps_remove, "ri": _ps_remove, "rm": _ps_remove, "del": _ps_remove,
    "erase": _ps_remove, "rd": _ps_remove, "rmdir": _ps_remove,
    "format-volume": _disk_tool("formats a volume", "ps-format"),
    "clear-disk": _disk_tool("erases a disk", "ps-clear-disk"),
    "initialize-disk": _disk_tool("initialises a disk", "ps-init-disk"),
    "remove-partition": _disk_tool("deletes a partition", "ps-partition"),
    "stop-computer": _high("shuts down the machine", "power"),
    "restart-computer": _high("restarts the machine", "power"),
    "stop-process": _ps_stop_process, "kill": _ps_stop_process, "spps": _ps_stop_process,
    "set-executionpolicy": _high("weakens the script execution policy", "ps-execution-policy"),
    "set-content": _moderate("writes files", "ps-write"),
    "sc": _moderate("writes files", "ps-write"),
    "add-content": _moderate("writes files", "ps-write"),
    "out-file": _moderate("writes files", "ps-write"),
    "move-item": _moderate("moves items", "ps-move"), "mv": _moderate("moves items", "ps-move"),
    "copy-item": _moderate("copies items", "ps-copy"), "cp": _moderate("copies items", "ps-copy"),
    "new-item": _moderate("creates items", "ps-new"), "ni": _moderate("creates items", "ps-new"),
    "rename-item": _moderate("renames items", "ps-rename"),
    "clear-content": _high("empties files", "ps-clear-content"),
    "git": _git,
}  # fmt: skip

# --- whole-line rules ------------------------------------------------------------------------

_FORK_BOMB = re.compile(r"(\w+|:)\s*\(\)\s*\{[^}]*\1\s*\|\s*\1\s*&")
_DOWNLOADERS = {"curl", "wget", "fetch", "invoke-webrequest", "iwr", "invoke-restmethod", "irm"}
_INTERPRETERS = {"sh", "bash", "zsh", "dash", "ksh", "fish", "python", "python3", "perl", "ruby",
                 "node", "pwsh", "powershell", "invoke-expression", "iex"}  # fmt: skip


def _ps_lists_all(cmd: Simple) -> bool:
    flags = short_flags(cmd.args)
    return bool(flags & {"e", "A"} or {"a", "x"} <= flags or {"aux", "ax"} & set(cmd.args))


def _kills_every_listed_process(commands: list[Simple]) -> bool:
    """kill $(ps -e -o pid=), ps aux | awk '{print $2}' | xargs kill: every process ps lists,
    since nothing (grep PATTERN, pgrep) narrows the list down."""
    lists_all = any(c.program == "ps" and _ps_lists_all(c) for c in commands)
    kills = any(c.program in ("kill", "killall", "pkill") for c in commands)
    narrowed = any(
        (c.program == "grep" and "-v" not in c.args and "--invert-match" not in c.args)
        or c.program == "pgrep"
        for c in commands
    )
    return lists_all and kills and not narrowed


def _line_rules(line: str, commands: list[Simple]) -> Verdict | None:
    if _FORK_BOMB.search(line):
        return Verdict(Risk.CRITICAL, "fork bomb", "fork-bomb")
    if _kills_every_listed_process(commands):
        return Verdict(Risk.CRITICAL, "kills every process ps lists", "kill-all")
    for command in commands:  # find / … | xargs rm: the same as find / -exec rm
        source = command.pipe_from
        if (
            "xargs" in command.wrappers
            and command.program in _FIND_DESTRUCTIVE
            and source is not None
            and source.program == "find"
            and _find_over_system(source)
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


def _redirect_rule(command: Simple) -> Verdict | None:
    for operator, target in command.redirects:
        if operator.startswith("<"):
            continue
        if _BLOCK_DEVICE.match(target):
            return Verdict(Risk.CRITICAL, f"writes over the disk {target}", "redirect-device")
        if target in _ACCOUNT_FILES:
            return Verdict(Risk.CRITICAL, f"overwrites {target}", "overwrite-accounts")
        harmless = target in ("/dev/null", "/dev/stdout", "/dev/stderr") or target.isdigit()
        if not harmless and not target.startswith("&"):
            return Verdict(Risk.MODERATE, f"writes to {target}", "redirect-write")
    return None


def _command_verdict(command: Simple, powershell: bool) -> Verdict:
    rules = POWERSHELL_RULES if powershell else POSIX_RULES
    program = command.program
    rule = rules.get(program) or (rules.get("mkfs") if program.startswith("mkfs.") else None)
    verdicts = [v for v in (rule(command) if rule else None, _redirect_rule(command)) if v]
    if command.wrappers and {"sudo", "doas"} & set(command.wrappers):
        verdicts.append(Verdict(Risk.MODERATE, "runs as root", "sudo"))
    return max(verdicts, key=lambda v: v.level, default=SAFE)


def classify_builtin(command_line: str, shell: str = "bash") -> Verdict:
    """The built-in classification, before user rules and modes."""
    powershell = shell == "powershell"
    parsed = parse(command_line, powershell=powershell)
    candidates = [_command_verdict(c, powershell) for c in parsed.commands]
    if whole := _line_rules(command_line, parsed.commands):
        candidates.append(whole)
    verdict = max(candidates, key=lambda v: v.level, default=SAFE)
    if parsed.parse_error and verdict.level < Risk.HIGH:
        return Verdict(
            Risk.HIGH,
            f"could not be parsed ({parsed.parse_error.lower()}); review it",
            "unparseable",
        )
    return verdict


# --- policy: modes and the user's own rules --------------------------------------------------

MODES = ("strict", "moderate", "permissive")


class Action(IntEnum):
    ALLOW = 0  # insert or show as is
    WARN = 1  # show the level and reason
    CONFIRM = 2  # the fallback command asks for "yes"; the widget flags it
    BLOCK = 3  # never run: refused, or inserted commented out


_ACTIONS: dict[str, tuple[Action, Action, Action, Action]] = {
    # safe, moderate, high, critical
    "strict": (Action.ALLOW, Action.CONFIRM, Action.BLOCK, Action.BLOCK),
    "moderate": (Action.ALLOW, Action.WARN, Action.CONFIRM, Action.BLOCK),
    "permissive": (Action.ALLOW, Action.ALLOW, Action.WARN, Action.BLOCK),
}


@dataclass(frozen=True)
class DenyRule:
    pattern: re.Pattern[str]
    level: Risk
    reason: str


@dataclass(frozen=True)
class Policy:
    mode: str = "moderate"
    deny: tuple[DenyRule, ...] = ()
    allow: tuple[re.Pattern[str], ...] = ()


def classify(command_line: str, shell: str = "bash", policy: Policy = Policy()) -> Verdict:
    """Built-in rules, then the user's deny rules (can raise the level) and allow rules (can
    lower it to safe, except from critical: those stay blocked whatever the config says)."""
    verdict = classify_builtin(command_line, shell)
    for number, rule in enumerate(policy.deny, start=1):
        if rule.pattern.search(command_line) and rule.level > verdict.level:
            verdict = Verdict(rule.level, rule.reason, f"user-deny-{number}")
    if verdict.level < Risk.CRITICAL:
        for number, pattern in enumerate(policy.allow, start=1):
            if pattern.fullmatch(command_line.strip()):
                return Verdict(
                    Risk.SAFE, "allowed by your safety_allow list", f"user-allow-{number}"
                )
    return verdict


def action_for(verdict: Verdict, mode: str = "moderate") -> Action:
    return _ACTIONS[mode][verdict.level]


def blocked_line(verdict: Verdict, command: str) -> str:
    """The form a blocked command takes in the prompt: a comment, so Enter runs nothing."""
    return f"# cmdai blocked: {verdict.reason}: {command}"
