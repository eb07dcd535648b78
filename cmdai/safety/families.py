"""Families of danger that a per-program table misses: secrets sent off the machine, shells
handed to a network peer, text fed to an interpreter, disks wiped by tools other than dd, root
taken over; and the help, dry-run and list-only forms of dangerous tools, which are harmless.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from cmdai.commandline import COMPUTED, SHELLS, Simple, program_name, subcommand
from cmdai.safety.levels import Risk, Verdict
from cmdai.safety.rules import ACCESS_OFF, FIREWALL_OFF
from cmdai.safety.words import BLOCK_DEVICE, has_long, operands, program_operands, short_flags

Judge = Callable[[str], Verdict]  # classifies text that a shell or interpreter is handed
NETWORK_TOOLS = {"nc", "ncat", "netcat", "socat", "telnet"}
SCRIPT_RUNNERS = {"python", "python3", "python2", "perl", "ruby", "node", "nodejs", "php"}
_SECRET = re.compile(
    r"""(?:^|/)(?:
        shadow|gshadow|sudoers                                   # /etc/shadow …
      | \.ssh(?:/(?!.*\.pub$|known_hosts$|config$).*)?$          # keys; not .pub, known_hosts
      | id_(?:rsa|dsa|ecdsa|ed25519)(?!\.pub)$
      | \.aws(?:/.*)?$|\.config/gcloud(?:/.*)?$|\.azure(?:/.*)?$|\.kube/config$
      | \.docker/config\.json$|\.netrc$|\.git-credentials$|\.pgpass$|\.env$
      | \.(?:bash|zsh|sh|python)_history$|\.histfile$|fish_history$
      | \.gnupg(?:/.*)?$|\.password-store(?:/.*)?$|\.vault-token$
    )""",
    re.VERBOSE,
)


def is_secret(path: str) -> bool:
    return bool(_SECRET.search(path.strip().strip("\"'").rstrip("/")))


# --- secrets leaving the machine -----------------------------------------------------------


def _uploaded_files(cmd: Simple) -> list[str]:
    """Local files this command sends to a network peer."""
    args, files = cmd.args, []
    if cmd.program == "curl":
        for i, arg in enumerate(args):
            value = args[i + 1] if i + 1 < len(args) else ""
            name, _, inline = arg.partition("=")
            if arg in ("-T", "--upload-file"):
                files.append(value)
            elif name in ("--upload-file",) and inline:
                files.append(inline)
            elif arg in ("-F", "--form") and re.search(r"=[@<]", value):
                files.append(re.split(r"=[@<]", value, maxsplit=1)[1].split(";")[0])
            elif arg in (
                "-d",
                "--data",
                "--data-binary",
                "--data-raw",
                "--data-urlencode",
                "--json",
            ) and (value.startswith("@") or "=@" in value):
                files.append(value.split("@", 1)[1])
    elif cmd.program == "wget":
        for i, arg in enumerate(args):
            name, _, inline = arg.partition("=")
            if name in ("--post-file", "--body-file"):
                files.append(inline or (args[i + 1] if i + 1 < len(args) else ""))
    elif cmd.program in ("scp", "rsync", "sftp"):
        ops = operands(cmd.args)
        if len(ops) >= 2 and _remote(ops[-1]):
            files += [op for op in ops[:-1] if not _remote(op)]
    return files


def _remote(operand: str) -> bool:
    """`host:path`, `user@host:path`, `rsync://…`: not a local path."""
    return bool(re.match(r"^(?:[\w.-]+@)?[\w.-]+:(?!//)|^rsync://", operand)) and not (
        operand.startswith(("/", "./", "~"))
    )


def exfiltration(cmd: Simple) -> Verdict | None:
    files = _uploaded_files(cmd)
    if cmd.program in NETWORK_TOOLS or "-" in files:  # nc, or `curl -d @-`: sends its input
        named = _input_files(cmd) or (["its input"] if "-" in files else [])
        files = [f for f in files if f != "-"] + named
    secrets = [f for f in files if is_secret(f)]
    if secrets:
        return Verdict(Risk.CRITICAL, f"sends {secrets[0]} to a network peer", "exfiltration")
    if files:
        return Verdict(Risk.MODERATE, f"uploads {files[0]}", "upload")
    return None


def _input_files(cmd: Simple) -> list[str]:
    """The files a command reads as its input: `< FILE`, or `cat FILE |` before it."""
    files = [t for op, t in cmd.redirects if op.startswith("<") and not op.startswith("<<")]
    if cmd.pipe_from is not None and cmd.pipe_from.program in ("cat", "tar", "base64"):
        files += operands(cmd.pipe_from.args)
    return files


# --- shells handed to the network, root taken over ---------------------------------------


def remote_shell(cmd: Simple) -> Verdict | None:
    if cmd.program in ("nc", "ncat", "netcat") and (
        short_flags(cmd.args) & {"e", "c"}
        or has_long(cmd.args, "--exec", "--sh-exec", "--lua-exec")
    ):
        return Verdict(Risk.CRITICAL, "gives a network peer a shell", "reverse-shell")
    if cmd.program == "socat" and any(re.match(r"(?i)(exec|system):", a) for a in cmd.args):
        return Verdict(Risk.CRITICAL, "gives a network peer a shell", "reverse-shell")
    for _, target in cmd.redirects:
        if re.match(r"/dev/(?:tcp|udp)/", target):
            return Verdict(Risk.CRITICAL, "connects a shell to a network peer", "reverse-shell")
    return None


def takeover(cmd: Simple) -> Verdict | None:
    args = cmd.args
    if cmd.program in ("useradd", "usermod", "adduser") and re.search(
        r"(?:^|\s)(?:-u|--uid)[\s=]*0(?:\s|$)", " ".join(args)
    ):
        return Verdict(Risk.CRITICAL, "creates a second root account", "uid-0")
    if cmd.program == "passwd" and short_flags(args) & {"d"}:
        return Verdict(Risk.CRITICAL, "removes a password", "passwordless")
    if cmd.program == "chmod" and (given := program_operands("chmod", args)):
        mode = given[0]
        setuid = re.fullmatch(r"[0-7]?[4-7][0-7]{3}", mode) and mode[0] in "4567" and len(mode) == 4
        if (setuid or re.search(r"[ugoa]*\+[rwx]*s", mode)) and any(
            program_name(t) in SHELLS | SCRIPT_RUNNERS for t in given[1:]
        ):
            return Verdict(Risk.CRITICAL, "makes a setuid shell", "setuid-shell")
    for op, target in cmd.redirects:
        if op.startswith(">") and target.startswith("/etc/sudoers"):
            return Verdict(Risk.CRITICAL, f"changes {target}", "sudoers")
        if op.startswith(">") and target.endswith("authorized_keys"):
            return Verdict(Risk.HIGH, "lets a new key log in as you", "authorized-keys")
    if cmd.program == "tee" and any(o.startswith("/etc/sudoers") for o in operands(args)):
        return Verdict(Risk.CRITICAL, "changes the sudoers rules", "sudoers")
    return None


# --- disks, power, services ------------------------------------------------------------------


_DISK_PROGRAMS = {"blkdiscard", "sgdisk", "hdparm", "cp", "tee", "install", "cat", "pv",
                  "killall5", "init", "telinit"}  # fmt: skip


def disk_and_system(cmd: Simple) -> Verdict | None:
    if cmd.program not in _DISK_PROGRAMS and not cmd.redirects:
        return _remote_access_off(cmd)
    args, ops = cmd.args, operands(cmd.args)
    device = next((o for o in ops if BLOCK_DEVICE.match(o)), None)
    if cmd.program == "blkdiscard" and device:
        return Verdict(Risk.CRITICAL, f"discards every block of {device}", "disk-wipe")
    if cmd.program == "sgdisk" and (
        short_flags(args) & {"Z", "z", "o"} or has_long(args, "--zap-all", "--zap", "--clear")
    ):
        return Verdict(Risk.CRITICAL, "erases a disk's partition table", "partition")
    if cmd.program == "hdparm" and has_long(
        args, "--security-erase", "--security-erase-enhanced", "--trim-sector-ranges"
    ):
        return Verdict(Risk.CRITICAL, "erases a disk", "disk-wipe")
    if cmd.program in ("cp", "tee", "install", "cat", "pv") and device and ops[-1] == device:
        return Verdict(Risk.CRITICAL, f"writes over the disk {device}", "redirect-device")
    if cmd.program == "killall5":
        return Verdict(Risk.CRITICAL, "kills every process", "kill-all")
    if cmd.program in ("init", "telinit") and ops[:1] in (["0"], ["6"], ["1"], ["S"]):
        return Verdict(Risk.HIGH, "shuts down or restarts the machine", "power")
    written = [t for op, t in cmd.redirects if op.startswith(">")]
    for target in written + (ops if cmd.program == "tee" else []):
        if target == "/proc/sysrq-trigger":
            return Verdict(Risk.CRITICAL, "triggers a kernel sysrq action", "sysrq")
    return _remote_access_off(cmd)


_ACCESS_SERVICES = re.compile(
    r"^(?:ssh|sshd|openssh-server|firewalld|ufw|nftables|iptables)(?:\.service)?$"
)


def _remote_access_off(cmd: Simple) -> Verdict | None:
    if cmd.program not in ("systemctl", "service", "ufw"):
        return None
    ops = operands(cmd.args)
    stops = {"stop", "disable", "mask", "kill"}
    sub, rest = subcommand("systemctl", cmd.args)  # `systemctl -H web1 stop sshd` too
    if (
        cmd.program == "systemctl"
        and sub in stops
        and any(_ACCESS_SERVICES.match(o) for o in operands(rest))
    ):
        return ACCESS_OFF
    if (
        cmd.program == "service"
        and len(ops) >= 2
        and _ACCESS_SERVICES.match(ops[0])
        and ops[1] == "stop"
    ):
        return ACCESS_OFF
    if cmd.program == "ufw" and ops[:1] == ["disable"]:
        return FIREWALL_OFF
    return None


# --- text and code handed to an interpreter --------------------------------------------------

_DELETES = re.compile(
    r"rmtree|os\.remove|os\.unlink|os\.rmdir|\bunlink\s*\(|rmSync|rmdirSync|unlinkSync|"
    r"File\.delete|FileUtils\.rm|\brm\s+-|\bremove_dir_all",
)
_RUNS_SHELL = re.compile(r"os\.system|subprocess|os\.popen|child_process|execSync|\bsystem\s*\(|`")
_QUOTED = re.compile(r"\"([^\"]*)\"|'([^']*)'")


def interpreter_text(cmd: Simple, judge: Judge) -> Verdict | None:
    """What a shell or a script interpreter is given to run, when it can be seen: the echoed
    text piped in, a here-string, `python -c CODE`. What cannot be seen is at least high."""
    if cmd.program in SHELLS and "-c" in cmd.args[:-1]:  # with every rewrite (normalize.py)
        return _as_nested(judge(cmd.args[cmd.args.index("-c") + 1]))
    if cmd.program == "eval" and cmd.args:
        return _as_nested(judge(" ".join(cmd.args)))
    runner = cmd.program in SHELLS or cmd.program in ("source", ".")
    if runner and not _runs_own_script(cmd):
        for op, text in cmd.redirects:
            if op in ("<<<", "<<"):  # a here-string, or a here-document's text
                return _as_nested(judge(text))
        source = cmd.pipe_from
        if source is not None and source.program in ("echo", "printf"):
            return _as_nested(judge(_echoed(source.args)))
        if source is not None:
            return Verdict(
                Risk.HIGH, f"runs text from {source.program} as shell commands", "pipe-to-shell"
            )
    if cmd.program in SCRIPT_RUNNERS:
        code = _inline_code(cmd)
        if code is not None:
            return _code_verdict(code, judge)
    if cmd.program == COMPUTED:
        return Verdict(
            Risk.HIGH, "runs a program whose name is only known when it runs", "computed-program"
        )
    return None


def _echoed(args: list[str]) -> str:
    """The text `echo ARGS` prints (its own -n/-e/-E dropped; `- rm …` is text, not an option)."""
    while args and args[0] in ("-n", "-e", "-E", "-ne", "-en", "--"):
        args = args[1:]
    return " ".join(args)


def _runs_own_script(cmd: Simple) -> bool:
    """`bash script.sh`, `sh -c '…'` (classified as nested commands): not fed from stdin."""
    return "-c" in cmd.args or any(not a.startswith("-") for a in cmd.args)


def _inline_code(cmd: Simple) -> str | None:
    for flag in ("-c", "-e", "-E", "-r", "--eval"):
        if flag in cmd.args:
            index = cmd.args.index(flag)
            return cmd.args[index + 1] if index + 1 < len(cmd.args) else ""
    if operands(cmd.args) in ([], ["-"]):  # `python3 - <<EOF` … `EOF`: the program is its input
        return next((text for op, text in cmd.redirects if op in ("<<<", "<<")), None)
    return None


def _code_verdict(code: str, judge: Judge) -> Verdict | None:
    nested = [judge(a or b) for a, b in _QUOTED.findall(code)] if _RUNS_SHELL.search(code) else []
    worst = max(nested, key=lambda v: v.level, default=None)
    if worst is not None and worst.level >= Risk.HIGH:
        return _as_nested(worst)
    if _DELETES.search(code):
        quoted = [a or b for a, b in _QUOTED.findall(code)]
        if any(
            q in ("/", "~")
            or (
                q.startswith(("/etc", "/usr", "/boot", "/bin", "/lib", "/home", "/root", "~"))
                and len(q) < 12
            )
            for q in quoted
        ):
            return Verdict(
                Risk.CRITICAL, "runs code that deletes system or home files", "code-delete-system"
            )
        return Verdict(Risk.HIGH, "runs code that deletes files", "code-delete")
    return worst


def _as_nested(verdict: Verdict) -> Verdict | None:
    return verdict if verdict.level > Risk.SAFE else None


# --- help, dry runs and listings ------------------------------------------------------------

_LISTS_ONLY = {
    "wipefs": lambda a: not (short_flags(a) & {"a", "o"} or has_long(a, "--all", "--offset")),
    "sfdisk": lambda a: bool(
        short_flags(a) & {"d", "l", "s", "V"}
        or has_long(a, "--dump", "--list", "--show-size", "--verify", "--json")
    ),
    "fdisk": lambda a: bool(short_flags(a) & {"l"} or has_long(a, "--list")),
    "parted": lambda a: "print" in a or short_flags(a) & {"l"} or has_long(a, "--list"),
    "kill": lambda a: bool(a[:1] in (["-l"], ["-L"], ["-0"]) or has_long(a, "--list", "--table")),
    "git": lambda a: (
        subcommand("git", a)[0] == "clean"
        and bool(short_flags(a) & {"n"} or has_long(a, "--dry-run"))
    ),
    "rsync": lambda a: bool(short_flags(a) & {"n"} or has_long(a, "--dry-run")),
    "mkfs": lambda a: bool(short_flags(a) & {"n"}),
}


def harmless_form(cmd: Simple) -> bool:
    """`mkfs --help`, `wipefs /dev/sdb` (lists signatures), `git clean -n`: judged as what
    they do, which is print."""
    args = cmd.args[: cmd.args.index("--")] if "--" in cmd.args else cmd.args
    if any(a in ("--help", "--version", "--usage") for a in args):
        return cmd.program not in SHELLS and not cmd.redirects
    program = "mkfs" if cmd.program.startswith("mkfs.") else cmd.program
    check = _LISTS_ONLY.get(program)
    return bool(check and check(cmd.args))


# --- PowerShell spellings of the same families --------------------------------------------

_PS_REMOVERS = {"remove-item", "ri", "rm", "del", "erase", "rd", "rmdir"}
_PS_LISTERS = {"get-childitem", "gci", "ls", "dir"}
_PS_DOWNLOAD = re.compile(
    r"(?i)downloadstring|downloadfile|downloaddata|invoke-webrequest|invoke-restmethod|\biwr\b|"
    r"\birm\b|net\.webclient|start-bitstransfer"
)
_PS_RUN_TEXT = re.compile(r"(?i)\b(?:iex|invoke-expression)\b|\[scriptblock\]::create")


def powershell_families(cmd: Simple, line: str, judge: Judge) -> Verdict | None:
    """`gci C:\\ -Recurse | ri -Force`, `iex (New-Object Net.WebClient).DownloadString(…)`,
    `powershell -enc …` (decoded and judged), `cmd /c rd /s /q C:\\` (judged)."""
    from cmdai.safety.words import system_location

    source = cmd.pipe_from
    if cmd.program in _PS_REMOVERS and source is not None and source.program in _PS_LISTERS:
        roots = [a for a in source.args if not a.startswith("-")] or ["."]
        recursive = any(a.lower().startswith("-r") for a in source.args)
        where = next((w for r in roots if (w := system_location(r))), None)
        if where:
            return Verdict(
                Risk.CRITICAL, f"deletes everything listed in {where}", "ps-remove-system"
            )
        if recursive:
            return Verdict(
                Risk.HIGH, "deletes everything a recursive listing finds", "ps-remove-recursive"
            )
    if cmd.program in ("iex", "invoke-expression") and _PS_DOWNLOAD.search(line):
        return Verdict(
            Risk.CRITICAL, "runs a script downloaded from the network", "download-to-shell"
        )
    if cmd.program in ("powershell", "pwsh", "powershell.exe", "pwsh.exe"):
        encoded = _encoded_command(cmd.args)
        if encoded is not None:
            decoded = _decode_utf16_base64(encoded)
            if decoded is None:
                return Verdict(
                    Risk.HIGH, "runs an encoded command that cannot be read", "ps-encoded"
                )
            return (
                judge(decoded)
                if judge(decoded).level > Risk.MODERATE
                else Verdict(Risk.HIGH, "runs an encoded command; review it", "ps-encoded")
            )
        if "-command" in (a.lower() for a in cmd.args) or "-c" in (a.lower() for a in cmd.args):
            index = next(i for i, a in enumerate(cmd.args) if a.lower() in ("-command", "-c"))
            return _as_nested(judge(_rejoin(cmd.args[index + 1 :])))
    if cmd.program in ("cmd", "cmd.exe") and any(a.lower() in ("/c", "/k") for a in cmd.args):
        index = next(i for i, a in enumerate(cmd.args) if a.lower() in ("/c", "/k"))
        return _as_nested(judge(_rejoin(cmd.args[index + 1 :])))
    if _PS_RUN_TEXT.search(cmd.program) and not _PS_DOWNLOAD.search(line):
        return Verdict(Risk.HIGH, "runs text as PowerShell code", "ps-invoke-expression")
    return None


def _rejoin(words: list[str]) -> str:
    """Words back into a line for the nested judgement: one word is the command text itself
    (`pwsh -Command "Remove-Item …"`); of several, `C:\\Program Files` stays one word."""
    if len(words) == 1:
        return words[0]
    return " ".join(f'"{w}"' if " " in w else w for w in words)


def _encoded_command(args: list[str]) -> str | None:
    for index, arg in enumerate(args[:-1]):
        if re.fullmatch(r"(?i)-e(?:c|nc|ncodedcommand|ncoded)?", arg):
            return args[index + 1]
    return None


def _decode_utf16_base64(text: str) -> str | None:
    import base64
    import binascii

    try:
        return base64.b64decode(text, validate=True).decode("utf-16-le")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
