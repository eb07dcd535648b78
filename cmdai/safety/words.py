"""What the rules look at in a command's words: system locations and options."""

from __future__ import annotations

import posixpath
import re

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
# Inside Windows' own tree, or a registry hive's top keys (HKLM:\SOFTWARE, HKLM:\SYSTEM).
_WINDOWS_TREE = re.compile(r"^(?:[a-z]:|\$env:(?:systemroot|windir))[\\/](?:windows[\\/])?"
                           r"(?:system32|syswow64|winsxs|boot)\b", re.IGNORECASE)  # fmt: skip
_REGISTRY = re.compile(r"^(?:registry::)?(hklm|hkey_local_machine|hkcu|hkey_current_user|hkcr|"
                       r"hku)(?::|\b)[\\/]?([^\\/]*)[\\/]?$", re.IGNORECASE)  # fmt: skip


def windows_system_part(path: str) -> str | None:
    """`C:\\Windows\\System32\\drivers`, `HKLM:\\SOFTWARE`: a part of Windows it cannot run
    without, named for a message; or None."""
    clean = path.strip().strip("'\"")
    if _WINDOWS_TREE.match(clean):
        return "Windows' system files"
    if (hive := _REGISTRY.match(clean)) and hive.group(2).lower() in ("", "software", "system"):
        return "a registry hive"
    return None


BLOCK_DEVICE = re.compile(
    r"^/dev/(?:sd[a-z]|hd[a-z]|vd[a-z]|xvd[a-z]|nvme\d|mmcblk\d|disk\d|md\d|dm-|mapper/|disk/by-)"
)
# Directories whose contents, at any depth, the system needs: a recursive delete, chmod or
# chown anywhere under them breaks it (/usr/local is the administrator's own tree: not here).
_PROTECTED_TREES = re.compile(r"^/(?:boot|usr(?!/local(?:/|$))|lib\w*|bin|sbin|etc|var/lib)/.+")
ACCOUNT_FILES = {"/etc/passwd", "/etc/shadow", "/etc/sudoers", "/etc/group", "/etc/gshadow"}


# System files the machine needs whole, which a command replaces instead of appending to
# (`echo "10.0.0.5 db" > /etc/hosts` for "add db to /etc/hosts"); a new drop-in file
# (/etc/sysctl.d/99-swap.conf) is not among them.
_KEPT_WHOLE = frozenset({
    "/etc/fstab", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname", "/etc/crontab",
    "/etc/environment", "/etc/profile", "/etc/bash.bashrc", "/etc/sysctl.conf",
    "/etc/ssh/sshd_config", "/etc/ssh/ssh_config", "/etc/apt/sources.list", "/etc/default/grub",
    "/etc/nsswitch.conf", "/etc/login.defs", "/etc/network/interfaces", "/etc/exports",
    "/etc/security/limits.conf", "/etc/ld.so.conf", "/etc/modules", "/etc/machine-id",
    "/etc/sudo.conf", "/etc/locale.gen", "/etc/timezone",
})  # fmt: skip


def kept_whole(path: str) -> bool:
    """A file the system needs whole: one of _KEPT_WHOLE, a PAM file or anything in /boot."""
    clean = posixpath.normpath(path.strip()) if path.strip().startswith("/") else path
    return clean in _KEPT_WHOLE or clean.startswith(("/etc/pam.d/", "/boot/"))


def under_system_tree(path: str) -> str | None:
    """`/usr/lib/python3*`, `/etc/ssl/certs`: somewhere inside a tree the system needs."""
    clean = posixpath.normpath(path.strip()) if path.strip().startswith("/") else path
    match = _PROTECTED_TREES.match(clean)
    return f"system files under /{clean.split('/')[1]}" if match else None


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


_SHORT_FLAGS = re.compile(r"-[A-Za-z]+")


def short_flags(args: list[str]) -> set[str]:
    """Letters of combined short options: -rf, -fr, -Rf -> {r, f}."""
    letters: set[str] = set()
    for arg in args:
        if arg == "--":
            break
        if arg[:1] == "-" and _SHORT_FLAGS.fullmatch(arg):
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


# chmod reads a symbolic mode that starts with a dash as its mode, not as an option: `chmod -x
# run.sh` takes execute permission from everyone, `chmod -R -rwx ~` every permission.
_MINUS_MODE = re.compile(r"-[rwxXst]+")


def _chmod_operands(args: list[str]) -> list[str]:
    """chmod's operands, the mode first even when it starts with a dash."""
    for index, arg in enumerate(args):
        if arg == "--" or not arg.startswith("-"):
            break
        if _MINUS_MODE.fullmatch(arg):
            return [arg, *operands(args[index + 1 :])]
    return operands(args)


def program_operands(program: str, args: list[str]) -> list[str]:
    """The operands `program` reads from `args`: chmod's dash modes count (see above)."""
    return _chmod_operands(args) if program == "chmod" else operands(args)
