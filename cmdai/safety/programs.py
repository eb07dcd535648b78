"""Per-program rules: a simple command in, a verdict (or None: nothing to say) out.
POSIX_RULES and POWERSHELL_RULES map a program name to its rule."""

from __future__ import annotations

import getpass
import itertools
import os
import re

from cmdai.commandline import (
    FIND_EXEC_ACTIONS,
    Simple,
    program_name,
    split_find_args,
    subcommand,
    tar_args,
)
from cmdai.safety.admin import ADMIN_RULES, CROSS_PLATFORM_TOOLS
from cmdai.safety.levels import Risk, Verdict
from cmdai.safety.macos import MACOS_RULES
from cmdai.safety.rules import Rule, always
from cmdai.safety.windows import WINDOWS_RULES
from cmdai.safety.words import (
    ACCOUNT_FILES,
    BLOCK_DEVICE,
    has_long,
    kept_whole,
    operands,
    program_operands,
    short_flags,
    system_location,
    under_system_tree,
    windows_system_part,
)


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
        if (where := under_system_tree(target)) and (recursive or "*" in target):
            return Verdict(Risk.CRITICAL, f"recursive delete of {where}", "rm-system")
    if recursive:
        return Verdict(Risk.HIGH, "recursive delete", "rm-recursive")
    return Verdict(Risk.MODERATE, "deletes files", "rm")


# Programs that find -exec may run over a whole system directory with catastrophic effect.
FIND_DESTRUCTIVE = {"rm", "shred", "unlink", "rmdir", "mv", "chown", "chmod", "chgrp"}


def find_over_system(cmd: Simple) -> bool:
    starting_points, _ = split_find_args(cmd.args)
    return any(system_location(point) for point in starting_points)


def _find(cmd: Simple) -> Verdict | None:
    over_system = find_over_system(cmd)
    executes = {cmd.args[i + 1] for i, a in enumerate(cmd.args[:-1]) if a in FIND_EXEC_ACTIONS}
    destroys = bool({program_name(p) for p in executes} & FIND_DESTRUCTIVE)
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


_CHANGED = {"chmod": "permissions", "chown": "owners", "chgrp": "groups"}


def _recursive_owner(kind: str) -> Rule:
    def rule(cmd: Simple) -> Verdict:
        recursive = bool(short_flags(cmd.args) & {"R"}) or has_long(cmd.args, "--recursive")
        given = program_operands(kind, cmd.args)
        targets = given[1:]  # the first operand is the mode or owner
        where = next(
            (w for t in targets if (w := system_location(t) or under_system_tree(t))), None
        )
        if where and recursive:
            return Verdict(Risk.CRITICAL, f"recursive {kind} of {where}", f"{kind}-system")
        # The root or a system directory itself (`chown nobody /`, `chmod 777 /`, `chmod 000
        # /etc`): no everyday use, and the machine stops working (a home directory is the
        # user's own: `chmod 700 ~` is everyday).
        if where == "the root directory":
            return Verdict(Risk.CRITICAL, f"{kind} of the root directory", f"{kind}-system")
        if where and where.startswith("the system directory"):
            return Verdict(Risk.HIGH, f"{kind} of {where}", f"{kind}-system-directory")
        if recursive:
            return Verdict(Risk.HIGH, f"recursive {kind}", f"{kind}-recursive")
        return Verdict(Risk.MODERATE, f"changes file {_CHANGED[kind]}", kind)

    return rule


def _kill(cmd: Simple) -> Verdict:
    if "-1" in operands(cmd.args) or cmd.args[-1:] == ["-1"]:  # pid -1: every process
        return Verdict(Risk.CRITICAL, "kills every process you can signal", "kill-all")
    pairs = zip(cmd.args, cmd.args[1:], strict=False)
    named = any(a in ("-s", "-n") and b.upper() in ("9", "KILL", "SIGKILL") for a, b in pairs)
    if named or any(a in ("-9", "-KILL", "-SIGKILL") for a in cmd.args):
        return Verdict(Risk.HIGH, "force-kills a process", "kill-9")
    return Verdict(Risk.MODERATE, "stops a process", "kill")


_USER_OPTIONS = ("-u", "-U", "--euid", "--uid", "--user")


def _another_user(args: list[str], values: set[str]) -> str | None:
    """The one account `pkill -u guest` names, when it is written out and is neither root
    nor whoever runs cmdai: killing that user's processes is an admin's everyday task (high),
    where your own (`-u $(whoami)`, `-u "$USER"`) or root's take down your session or the
    machine (critical)."""
    given = [a for a in args if a in _USER_OPTIONS or a.startswith(("--euid=", "--uid="))]
    named = {a.split("=", 1)[1] for a in given if "=" in a} | values
    if len(named) != 1 or len(given) != 1:
        return None  # `-u $(whoami)`: the value was lifted out
    (name,) = named
    if not _ACCOUNT_NAME.fullmatch(name) or name in ("root", "0", *_own_account()):
        return None
    return name


_ACCOUNT_NAME = re.compile(r"[a-z_][a-z0-9_.-]{0,31}|\d{1,10}")


def _own_account() -> tuple[str, ...]:
    """The name and uid of whoever runs cmdai, as far as this machine can tell: getpass reads
    the environment, then the password database, and raises when neither knows (a container's
    uid with no passwd entry); Windows has no uid. The classifier must still answer."""
    uid = getattr(os, "getuid", None)
    own = (str(uid()),) if uid else ()
    try:
        return (*own, getpass.getuser())
    except (OSError, KeyError):
        return own


def _kill_by_user(program: str) -> Rule:
    """`pkill -u alice`, `killall -u "$USER"`: with a user and no name or pattern, every process
    of that user dies, as with `kill -9 -1` (asked to kill everything it may, the 1.5B model
    wrote `pkill -9 -u $(whoami)`)."""

    def rule(cmd: Simple) -> Verdict:
        args = cmd.args
        by_user = any(a in _USER_OPTIONS or a.startswith(("--euid=", "--uid=")) for a in args)
        values = {b for a, b in itertools.pairwise(args) if a in _USER_OPTIONS}
        names = [a for a in operands(args) if a not in values]  # `$(whoami)`: lifted out
        if by_user and not names:
            if (other := _another_user(args, values)) is not None:
                return Verdict(Risk.HIGH, f"kills every process of the user {other}",
                               "kill-user-other")  # fmt: skip
            return Verdict(Risk.CRITICAL, "kills every process of a user", "kill-user")
        if program == "pkill" and names and all(_MATCHES_ANY_NAME.fullmatch(n) for n in names):
            return Verdict(Risk.CRITICAL, "kills every process it may (the pattern matches any "
                           "name)", "kill-all")  # fmt: skip
        return Verdict(Risk.MODERATE, "stops processes by name", program)

    return rule


# pkill's pattern is a regex: '', '^', '.', '.*', '^.*$' match every name
_MATCHES_ANY_NAME = re.compile(r"\^?(?:\.[*+]?)?\$?")


def _dd(cmd: Simple) -> Verdict:
    target = next((a[3:] for a in cmd.args if a.startswith("of=")), "")
    if BLOCK_DEVICE.match(target):
        return Verdict(Risk.CRITICAL, f"overwrites the disk {target}", "dd-device")
    return Verdict(Risk.MODERATE, "writes raw data to a file", "dd")


def _disk_tool(reason: str, rule_id: str) -> Rule:
    def rule(cmd: Simple) -> Verdict | None:
        if any(a in ("-l", "--list", "print") for a in cmd.args):
            return None  # `fdisk -l`, `parted /dev/sda print`: listing only
        return Verdict(Risk.CRITICAL, reason, rule_id)

    return rule


def _shred(cmd: Simple) -> Verdict:
    """shred, and the secure-delete tools (wipe, srm), which also go into directories with
    -r: `wipe -rf ~` is `rm -rf ~` with no way back."""
    targets = operands(cmd.args)
    if any(BLOCK_DEVICE.match(t) for t in targets):
        return Verdict(Risk.CRITICAL, "shreds a whole disk", "shred-device")
    if short_flags(cmd.args) & {"r", "R"} and cmd.program != "shred":
        for where in filter(None, map(system_location, targets)):
            return Verdict(Risk.CRITICAL, f"destroys {where} beyond recovery", "rm-system")
    return Verdict(Risk.HIGH, "destroys file contents beyond recovery", "shred")


def _git(cmd: Simple) -> Verdict | None:
    sub, args = subcommand("git", cmd.args)  # `git -C repo reset --hard` is a reset too
    ops, flags = operands(args), short_flags(args)
    if sub == "reset" and "--hard" in args:
        return Verdict(Risk.HIGH, "discards uncommitted changes", "git-reset-hard")
    if sub == "clean" and ("f" in flags or has_long(args, "--force")):
        return Verdict(Risk.HIGH, "deletes untracked files", "git-clean")
    if sub == "push" and (
        "f" in flags
        or has_long(args, "--force", "--force-with-lease", "--mirror")
        or any(op.startswith("+") for op in ops)  # `git push origin +main` forces that branch
    ):
        return Verdict(Risk.HIGH, "rewrites the remote branch", "git-push-force")
    if sub == "push" and _push_deletes(args, flags, ops):
        return Verdict(Risk.HIGH, "deletes branches on the remote", "git-push-delete")
    if sub == "branch" and _deletes_unmerged(args, flags):
        return Verdict(Risk.HIGH, "deletes a branch even if unmerged", "git-branch-D")
    if sub in ("checkout", "restore") and "." in ops:
        return Verdict(Risk.HIGH, "discards changes to tracked files", "git-discard")
    if sub in ("filter-branch", "filter-repo") or (sub == "reflog" and ops[:1] in _REFLOG_DROPS):
        return Verdict(Risk.HIGH, "rewrites or forgets the repository's history", "git-history")
    if sub == "stash" and ops[:1] == ["clear"]:
        return Verdict(Risk.HIGH, "deletes every stashed change", "git-stash-clear")
    if sub == "stash" and ops[:1] in (["list"], ["show"]):
        return None  # lists or shows what is stashed
    if sub == "tag" and _lists_tags(args, flags, ops):
        return None  # `git tag`, `git tag -l 'v1.*'`: lists the tags
    if sub in {"commit", "add", "rm", "mv", "merge", "rebase", "pull", "push", "stash", "checkout",
               "switch", "restore", "cherry-pick", "revert", "tag", "init", "clone", "fetch", "am",
               "apply", "reset", "clean", "config", "gc", "prune", "update-ref"}:  # fmt: skip
        return Verdict(Risk.MODERATE, f"changes the repository (git {sub})", "git-write")
    if sub == "remote" and ops[:1] in (["remove"], ["rm"], ["rename"], ["set-url"], ["add"]):
        return Verdict(Risk.MODERATE, f"changes the repository (git {sub})", "git-write")
    return None


_REFLOG_DROPS = (["expire"], ["delete"])  # the reflog is what brings back lost commits


def _push_deletes(args: list[str], flags: set[str], ops: list[str]) -> bool:
    """`git push -d origin old`, `--prune`, or `git push origin :old` (nothing pushed onto it)."""
    return (
        "d" in flags
        or has_long(args, "--delete", "--prune")
        or any(op.startswith(":") for op in ops)
    )


def _lists_tags(args: list[str], flags: set[str], ops: list[str]) -> bool:
    """`git tag` alone, or with -l/--list (a pattern then), lists the tags; with a name, or
    -a, -s, -m, -d, -f …, it makes, moves or deletes one."""
    if flags & set("asumFfdev") or has_long(args, *_TAG_WRITES):
        return False
    return not ops or "l" in flags or has_long(args, "--list")


_TAG_WRITES = ("--annotate", "--sign", "--local-user", "--message", "--file", "--force",
               "--delete", "--verify", "--edit", "--create-reflog")  # fmt: skip


def _deletes_unmerged(args: list[str], flags: set[str]) -> bool:
    """`git branch -D x`, or -d/--delete with -f/--force."""
    deletes = "d" in flags or has_long(args, "--delete")
    return "D" in flags or (deletes and ("f" in flags or has_long(args, "--force")))


def _sed(cmd: Simple) -> Verdict | None:
    if "i" in short_flags(cmd.args) or any(a.startswith(("-i", "--in-place")) for a in cmd.args):
        files = operands(cmd.args)
        if account := next((f for f in files if f in ACCOUNT_FILES), None):
            return Verdict(Risk.CRITICAL, f"rewrites {account}", "overwrite-accounts")
        return Verdict(Risk.MODERATE, "edits files in place", "sed-in-place")
    return None


def _rsync(cmd: Simple) -> Verdict:
    if any(a.startswith("--delete") for a in cmd.args):
        # `rsync -a --delete empty/ ~/` empties the home directory
        if where := system_location(next(iter(operands(cmd.args)[-1:]), "")):
            return Verdict(Risk.CRITICAL, f"deletes whatever {where} holds that the source "
                           "does not", "rsync-system")  # fmt: skip
        return Verdict(Risk.HIGH, "deletes files at the destination", "rsync-delete")
    if "--remove-source-files" in cmd.args:
        return Verdict(Risk.HIGH, "deletes the source files", "rsync-delete")
    return Verdict(Risk.MODERATE, "copies files", "rsync")


def _moderate(reason: str, rule_id: str) -> Rule:
    return always(Risk.MODERATE, reason, rule_id)


def _high(reason: str, rule_id: str) -> Rule:
    return always(Risk.HIGH, reason, rule_id)


# A name with an extension (`.jpg`, `all.log`): taken for a file, not a directory, since the
# classifier reads only the command line (`archive`, `logs/` are taken for directories).
_FILE_NAME = re.compile(r"(?:^|/)[^/]*\.[A-Za-z0-9]{1,5}$")


def _mv(cmd: Simple) -> Verdict:
    ops = operands(cmd.args)
    if any(system_location(o) for o in ops[:-1]):
        return Verdict(Risk.CRITICAL, "moves a system or home directory away", "mv-system")
    if ops and ops[-1] == "/dev/null":
        return Verdict(Risk.HIGH, "moves files into /dev/null (deletes them)", "mv-devnull")
    # `find … -exec mv {} .jpg \;`, `xargs -I {} mv {} all.log`: run once per file found
    repeated = ops[:1] == ["{}"] and len(ops) == 2 and "{}" not in ops[1]
    if repeated and (lost := onto_one_name(ops[1])):
        return lost
    return Verdict(Risk.MODERATE, "moves or renames files", "mv")


def onto_one_name(target: str) -> Verdict | None:
    """For an mv repeated once per file: high if `target` is one file name, since each file
    is moved over the one before."""
    if not _FILE_NAME.search(target):
        return None
    reason = f"moves every file onto the one name {target}: all but the last are lost"
    return Verdict(Risk.HIGH, reason, "mv-onto-one-name")


def _copy_onto(reason: str, rule_id: str) -> Rule:
    def rule(cmd: Simple) -> Verdict:
        ops = operands(cmd.args)
        if ops and ops[-1] in ACCOUNT_FILES:
            return Verdict(Risk.CRITICAL, f"overwrites {ops[-1]}", "overwrite-accounts")
        if cmd.program == "tee" and (replaced := _tee_replaces(cmd.args, ops)):
            return Verdict(
                Risk.HIGH, f"replaces {replaced}: what it held is lost", "replace-system"
            )
        return Verdict(Risk.MODERATE, reason, rule_id)

    return rule


def _tee_replaces(args: list[str], files: list[str]) -> str | None:
    """`… | sudo tee /etc/hosts` replaces it, as `>` does (`tee -a` appends)."""
    if "a" in short_flags(args) or has_long(args, "--append"):
        return None
    return next(filter(kept_whole, files), None)


def _crontab(cmd: Simple) -> Verdict | None:
    if "r" in short_flags(cmd.args) or operands(cmd.args)[-1:] == ["/dev/null"]:
        return Verdict(Risk.HIGH, "deletes your crontab", "crontab-r")
    if "e" in short_flags(cmd.args) or operands(cmd.args):
        return Verdict(Risk.MODERATE, "changes scheduled jobs", "crontab")
    return None


def _package(cmd: Simple) -> Verdict | None:
    ops = operands(cmd.args)
    if cmd.program == "npm" and ops[:1] == ["unpublish"]:  # others' builds may depend on it
        return Verdict(Risk.HIGH, "removes a published package from the registry", "publish")
    if cmd.program == "npm" and ops[:1] in (["publish"], ["deprecate"]):
        return Verdict(Risk.MODERATE, f"publishes to the registry (npm {ops[0]})", "publish")
    if ops and ops[0] in {"install", "remove", "purge", "uninstall", "upgrade", "autoremove",
                          "update", "erase", "dist-upgrade"}:  # fmt: skip
        return Verdict(Risk.MODERATE, f"changes installed packages ({ops[0]})", "packages")
    return None


def _systemctl(cmd: Simple) -> Verdict | None:
    sub, _ = subcommand("systemctl", cmd.args)  # `systemctl -H web1 poweroff` too
    if sub in {"stop", "disable", "mask", "kill", "restart", "start", "enable", "reload"}:
        return Verdict(Risk.MODERATE, f"changes a service ({sub})", "systemctl")
    if sub in {"poweroff", "reboot", "halt", "suspend", "hibernate", "kexec"}:
        return Verdict(Risk.HIGH, "shuts down or restarts the machine", "power")
    return None


# What `docker`/`podman` SUB [OBJECT] deletes for good: images, volumes (the data in them),
# whatever a prune finds unused.
_CONTAINER_DATA_DELETES = {("rmi", ""), ("image", "rm"), ("volume", "rm"), ("image", "prune"),
                           ("volume", "prune"), ("system", "prune"), ("container", "prune"),
                           ("builder", "prune"), ("network", "prune")}  # fmt: skip
# What changes containers, images or volumes, as a subcommand (`docker rm`) or after a group
# (`docker container rm`, `docker compose up`); the rest lists or shows (`docker image ls`).
_CONTAINER_CHANGES = {"rm", "stop", "kill", "run", "build", "pull", "push", "exec", "restart",
                      "create", "start", "cp", "rename", "update", "tag", "load", "import",
                      "commit", "connect", "disconnect", "up", "down"}  # fmt: skip
_CONTAINER_GROUPS = {"container", "image", "volume", "network", "compose", "builder", "system"}


def _containers(program: str) -> Rule:
    """docker, podman and docker-compose, read after their global options (`docker -H host
    rmi img`) and compose's own (`docker compose -f prod.yml down -v`)."""

    def rule(cmd: Simple) -> Verdict | None:
        sub, verb, args = container_command(program, cmd.args)
        if (sub, verb) in _CONTAINER_DATA_DELETES or _compose_down_volumes(sub, verb, args):
            return Verdict(Risk.HIGH, f"deletes {program} data", f"{program}-prune")
        if sub in _CONTAINER_CHANGES or verb in _CONTAINER_CHANGES:
            name = program if program == "docker-compose" else f"{program} {sub}"
            shown = f"{name} {verb}" if verb else name
            return Verdict(Risk.MODERATE, f"changes containers ({shown})", program)
        return None

    return rule


def container_command(program: str, args: list[str]) -> tuple[str, str, list[str]]:
    """What a docker, podman or docker-compose command runs: its subcommand, the verb after a
    group ("" without one) and the words left, read past global options (`docker -H host rmi
    img`), into a group (`docker container rm x` -> ("container", "rm", ["x"])) and past
    compose's own options (`docker compose -f prod.yml down -v`)."""
    # The stand-alone compose (`docker-compose down -v`) is `docker compose` without the word.
    sub, args = ("compose", args) if program == "docker-compose" else subcommand(program, args)
    if sub == "compose":
        verb, args = subcommand("compose", args)
        return sub, verb, args
    verb = next(iter(operands(args)), "") if sub in _CONTAINER_GROUPS else ""
    if verb:
        at = args.index(verb)
        args = args[:at] + args[at + 1 :]
    return sub, verb, args


def _compose_down_volumes(sub: str, verb: str, args: list[str]) -> bool:
    """`docker compose down -v`: removes the project's named volumes with the containers."""
    return (sub, verb) == ("compose", "down") and (
        "v" in short_flags(args) or has_long(args, "--volumes")
    )


# kubectl's subcommands that change the cluster; `delete` is the one that takes things away.
_KUBECTL_CHANGES = {"apply", "create", "edit", "patch", "replace", "scale", "rollout", "set",
                    "label", "annotate", "drain", "cordon", "uncordon", "taint", "exec", "cp",
                    "run", "expose", "autoscale"}  # fmt: skip


def _kubectl(cmd: Simple) -> Verdict | None:
    sub, _ = subcommand("kubectl", cmd.args)  # `kubectl -n web delete pod api`
    if sub == "delete":
        return Verdict(Risk.HIGH, "deletes cluster resources", "kubectl-delete")
    if sub == "drain":
        return Verdict(Risk.HIGH, "evicts every pod from a node", "kubectl-drain")
    if sub in _KUBECTL_CHANGES:
        return Verdict(Risk.MODERATE, f"changes the cluster (kubectl {sub})", "kubectl")
    return None


def _tar(cmd: Simple) -> Verdict | None:
    modes = short_flags(tar_args(cmd.args))
    writes = modes & {"c", "r", "u"} or has_long(cmd.args, "--create", "--append")
    if writes and (device := next((a for a in cmd.args if BLOCK_DEVICE.match(a)), None)):
        return Verdict(Risk.CRITICAL, f"writes an archive over the disk {device}", "tar-device")
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
    method = {b.upper() for a, b in itertools.pairwise(cmd.args) if a in ("-X", "--request")}
    method |= {a.split("=", 1)[-1].removeprefix("-X").upper()  # -XDELETE, --request=DELETE
               for a in cmd.args if a.startswith(("-X", "--request="))}  # fmt: skip
    if "DELETE" in method:
        return Verdict(Risk.MODERATE, "asks the server to delete something", "http-delete")
    return None  # prints to the terminal (piping into a shell is a line rule)


def _truncate(cmd: Simple) -> Verdict:
    if any(op in ACCOUNT_FILES for op in operands(cmd.args)):
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
    "pkill": _kill_by_user("pkill"),
    "killall": _kill_by_user("killall"),
    "dd": _dd,
    "mkfs": _disk_tool("formats a filesystem", "mkfs"),
    "wipefs": _disk_tool("wipes filesystem signatures from a disk", "wipefs"),
    "fdisk": _disk_tool("repartitions a disk", "partition"),
    "sfdisk": _disk_tool("repartitions a disk", "partition"),
    "parted": _disk_tool("repartitions a disk", "partition"),
    "gdisk": _disk_tool("repartitions a disk", "partition"),
    "mkswap": _disk_tool("formats a device as swap", "mkswap"),
    "shred": _shred, "wipe": _shred, "srm": _shred,
    "git": _git,
    "sed": _sed,
    "perl": _sed,
    "rsync": _rsync,
    "mv": _mv,
    "rename": _moderate("renames files", "rename"),
    "cp": _copy_onto("copies files", "cp"),
    "tee": _copy_onto("writes files", "tee"),
    "install": _copy_onto("installs files", "install"),
    "ln": _copy_onto("creates links", "ln"),
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
    "snap": _package, "flatpak": _package, "zypper": _package,
    "pacman": _moderate("changes installed packages", "packages"),
    "brew": _package, "pip": _package, "pip3": _package, "npm": _package,
    "conda": _package, "mamba": _package,
    "docker": _containers("docker"),
    "podman": _containers("podman"),
    "docker-compose": _containers("docker-compose"),
    "kubectl": _kubectl,
    **ADMIN_RULES,
    **MACOS_RULES,
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
    cmd_switches = {a.lower() for a in cmd.args if re.fullmatch(r"/[A-Za-z]", a)}  # rd /s /q
    recursive = _ps_switch(cmd, "recurse", 1) or "/s" in cmd_switches
    targets = [a for a in cmd.args if not a.startswith("-") and a.lower() not in cmd_switches]
    where = next((w for t in targets if (w := system_location(t) or windows_system_part(t))), None)
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
    "npm": _package, "pip": _package,
    **WINDOWS_RULES,
    # the tools that are the same on every system
    "docker": _containers("docker"), "podman": _containers("podman"),
    "docker-compose": _containers("docker-compose"), "kubectl": _kubectl,
    **{name: ADMIN_RULES[name] for name in CROSS_PLATFORM_TOOLS},
}  # fmt: skip
