"""Arguments a program cannot take the way the command gives them, each a usage error the
program itself would report: a process name given to `kill`, which takes process ids ("kill:
nginx: arguments must be process or job IDs"); a file given to `git reset --hard` ("Cannot do
hard reset with paths"); and an archive named for one compression and written or read with
another (`tar -czf photos.tar.zst`: gzip inside a name that says zstd; reading it so fails).

Each check returns one line for the user and for the model, or None.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from cmdai.commandline import SUBST, Simple, parse, subcommand, tar_args
from cmdai.safety.words import operands, short_flags


def check(command: str) -> str | None:
    """The first argument of `command` its program cannot take as given, or None."""
    simples = parse(command).commands
    checks = (_name_to_kill, _paths_to_a_hard_reset, _archive_named_otherwise)
    return next((problem for check in checks if (problem := check(simples))), None)


# What kill takes: a process id, a job (`%1`), a signal option (`-HUP`, `-s HUP`, `-9`), or
# what a shell computes (`$(pidof x)`, `$PID`, `` `cat pid` ``).
_KILLABLE = re.compile(rf"-?\d+|%\S*|.*(?:[$`]|{SUBST}).*")
_SIGNAL_VALUE = frozenset({"-s", "-n", "--signal"})


def _name_to_kill(simples: list[Simple]) -> str | None:
    """`kill -HUP nginx`: kill takes process ids; pkill takes names."""
    for simple in simples:
        if simple.program != "kill":
            continue
        words = [w for i, w in enumerate(simple.args)
                 if not (i and simple.args[i - 1] in _SIGNAL_VALUE)]  # fmt: skip
        names = [w for w in operands(words) if not _KILLABLE.fullmatch(w)]
        if not names or "-l" in words or "-L" in words or "--list" in words:
            continue
        pkill = " ".join(["pkill", *_signal(simple.args), *names])
        return (f"`kill` takes process ids, not names like {names[0]} (it stops with "
                f"“arguments must be process or job IDs”): `{pkill}` signals by name")  # fmt: skip
    return None


def _signal(args: list[str]) -> list[str]:
    """kill's signal as pkill takes it (`-s HUP`, `--signal=HUP`, `-HUP` -> `-HUP`; pkill's
    own -s is a session id), or nothing for the default."""
    for index, arg in enumerate(args):
        if arg in _SIGNAL_VALUE and index + 1 < len(args):
            return [f"-{args[index + 1]}"]
        if arg.startswith("--signal="):
            return [f"-{arg.split('=', 1)[1]}"]
        if re.fullmatch(r"-(?:\d+|[A-Z][A-Z0-9+-]*)", arg):
            return [arg]
    return []


# git reset's modes that take no paths, and what looks like a file rather than a commit:
# `app.js`, `src/main.c`, anything after `--` (not `HEAD~1`, `v2.1`, `origin/main`).
_NO_PATHS = frozenset({"--hard", "--soft", "--merge", "--keep"})
_FILE = re.compile(r"[^-].*\.[A-Za-z]\w{0,5}")


def _paths_to_a_hard_reset(simples: list[Simple]) -> str | None:
    """`git reset --hard app.js` for "undo the changes to app.js": git refuses ("Cannot do
    hard reset with paths"); `git restore app.js` does it (and `git reset -- app.js`
    unstages, for `git reset --soft config.yaml`)."""
    for simple in simples:
        sub, args = subcommand(simple.program, simple.args)
        if simple.program != "git" or sub != "reset":
            continue
        mode = next((arg for arg in args if arg in _NO_PATHS), None)
        after = args[args.index("--") + 1 :] if "--" in args else []
        paths = after or [arg for arg in operands(args) if _FILE.fullmatch(arg)]
        if mode and paths:
            named = " ".join(paths)
            return (f"`git reset {mode}` takes no paths (git stops: “Cannot do {mode[2:]} reset "
                    f"with paths”): `git reset -- {named}` unstages, `git restore {named}` "
                    f"discards the changes")  # fmt: skip
    return None


class _Compression(NamedTuple):
    letter: str  # "" when tar has only the long option
    option: str
    name: str
    suffixes: tuple[str, ...]

    def given(self, args: list[str]) -> str:
        """How `args` ask tar for it (`-z`, `--gzip`), or ""."""
        if self.letter and self.letter in short_flags(args):
            return f"-{self.letter}"
        return self.option if self.option in args else ""


# tar's compression options, and the archive names each one writes or reads.
_COMPRESSIONS = (
    _Compression("z", "--gzip", "gzip", (".tar.gz", ".tgz")),
    _Compression("j", "--bzip2", "bzip2", (".tar.bz2", ".tbz2", ".tbz")),
    _Compression("J", "--xz", "xz", (".tar.xz", ".txz")),
    _Compression("", "--zstd", "zstd", (".tar.zst", ".tzst")),
    _Compression("", "--lzma", "lzma", (".tar.lzma",)),
)


def _archive_named_otherwise(simples: list[Simple]) -> str | None:
    """`tar -czf photos.tar.zst photos`: -z writes gzip into a file whose name says zstd (and
    reading one with the other fails); -a picks the compression from the name."""
    for simple in simples:
        if simple.program != "tar":
            continue
        args = tar_args(simple.args)
        archive = _archive(args)
        given = [c for c in _COMPRESSIONS if c.given(args)]
        named = [c for c in _COMPRESSIONS if archive.lower().endswith(c.suffixes)]
        if len(given) != 1 or len(named) != 1 or given == named:
            continue
        told, wanted = given[0], named[0]
        option = f"-{wanted.letter} ({wanted.option})" if wanted.letter else wanted.option
        return (f"tar's `{told.given(args)}` is {told.name}, and {archive} names a "
                f"{wanted.name} archive: {option}, or -a (--auto-compress) to take it from "
                f"the name")  # fmt: skip
    return None


def _archive(args: list[str]) -> str:
    """The archive tar is given with -f (in a cluster: the next word), --file=… or --file …."""
    for index, arg in enumerate(args):
        if arg.startswith("--file="):
            return arg.split("=", 1)[1]
        cluster = re.fullmatch(r"-[A-Za-z]*f([^\s]*)", arg)
        if arg == "--file" or (cluster and not arg.startswith("--")):
            attached = cluster.group(1) if cluster else ""
            return attached or (args[index + 1] if index + 1 < len(args) else "")
    return ""
