"""What went wrong with a command that failed, found without running it again, and the fixes
that follow from it: a program that is not installed (exit 127) and the installed one with
the closest name, an option its manual does not list and the closest one it does, a file or
directory that does not exist and the closest name beside it, a program that may not be
executed (126) and its permission bits. The helper offers these fixes first, then asks the
model, telling it what was found.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import shlex
import stat
from dataclasses import dataclass

from cmdai import manpage, option_check
from cmdai.commandline import COMPUTED, Simple, parse
from cmdai.protocol import STATUS_INTERRUPTED

NOT_FOUND = 127
NOT_EXECUTABLE = 126
# Operands of these programs are files or directories that must exist.
READS_FILES = {"cat", "less", "more", "head", "tail", "tar", "unzip", "gunzip", "gzip", "cd",
               "ls", "cp", "mv", "source", ".", "bash", "sh", "python", "python3", "wc",
               "sort", "grep", "diff", "chmod", "chown", "rm", "du", "file", "stat", "zcat",
               "xz", "bzip2", "open", "vim", "nano", "code"}  # fmt: skip
_PATHLIKE = re.compile(r"[/~]|\.\w{1,5}$")


@dataclass(frozen=True)
class Diagnosis:
    reason: str  # one line for the user: "`gti` is not installed; did you mean git?"
    fixes: tuple[str, ...]  # commands that fix what was found, best first
    facts: tuple[str, ...]  # what was found, for the model

    def request(self, command: str, status: int) -> str:
        """What the model is asked, with everything found (it never sees the command run)."""
        known = "; ".join(self.facts) if self.facts else "nothing more is known"
        return (
            f"Fix this command, which failed with exit status {status}: {command}\n"
            f"What is known without running it: {known}\n"
            "Reply with the corrected command that does what it was meant to do."
        )


def worth_fixing(command: str, status: int) -> bool:
    return bool(command.strip()) and status not in (0, STATUS_INTERRUPTED)


def diagnose(command: str, status: int, cwd: str, path: str) -> Diagnosis:
    """What can be found out about `command`'s failure from this machine, without running it."""
    facts: list[str] = []
    fixed = command
    for simple in parse(command).commands:
        for fact, replacement in _findings(simple, status, cwd, path):
            facts.append(fact)
            if replacement:
                fixed = _replace_word(fixed, *replacement)
    if not facts:
        reason = f"it exited with status {status}; nothing here says why without running it"
        return Diagnosis(reason, (), ())
    fixes = (fixed,) if fixed != command else ()
    return Diagnosis("; ".join(facts), fixes, tuple(facts))


def _findings(
    simple: Simple, status: int, cwd: str, path: str
) -> list[tuple[str, tuple[str, str] | None]]:
    """(fact, (word, replacement) or None) for one simple command."""
    program = simple.program
    if not program or program == COMPUTED:
        return []
    word = simple.word or program
    if status == NOT_FOUND and "/" not in word and not _installed(program, path):
        return [_missing_program(program, path)]
    if status == NOT_EXECUTABLE and "/" in word:
        return [_not_executable(word, cwd)]
    found = []
    problem = option_check.check_simple(simple)
    if problem:
        found.append(_unknown_option(simple, problem))
    if program in READS_FILES:
        found += [_missing_path(arg, cwd) for arg in _operands(simple) if _absent(arg, cwd)]
    return found


def _missing_program(program: str, path: str) -> tuple[str, tuple[str, str] | None]:
    close = closest(program, installed_programs(path))
    if close:
        return f"`{program}` is not installed; did you mean {close}?", (program, close)
    return f"`{program}` is not installed, and nothing installed has a similar name", None


def _not_executable(word: str, cwd: str) -> tuple[str, tuple[str, str] | None]:
    target = os.path.join(cwd, os.path.expanduser(word))
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return f"`{word}` does not exist", None
    if os.path.isdir(target):
        return f"`{word}` is a directory, not a program", None
    fact = f"`{word}` may not be executed (its mode is {mode:o}, {stat.filemode(mode)[1:]})"
    return fact, (word, f"chmod u+x {shlex.quote(word)} && {word}")


def _unknown_option(simple: Simple, problem: str) -> tuple[str, tuple[str, str] | None]:
    """`ls` has no option `--colour`; did you mean `--color`?"""
    unknown = re.search(r"has no option `(-[^`]+)`", problem)
    if not unknown or not unknown.group(1).startswith("--"):
        return problem, None
    name = unknown.group(1)
    page = manpage.page_for(simple.program)
    longs = [o for o in (page.options if page else ()) if o.startswith("--")]
    close = closest(name, longs)
    if not close:
        return problem, None
    return f"{problem}; did you mean `{close}`?", (name, close)


def _operands(simple: Simple) -> list[str]:
    found, after_dashes = [], False
    for arg in simple.args:
        if arg == "--":
            after_dashes = True
        elif after_dashes or not arg.startswith("-"):
            found.append(arg)
    return found


def _absent(arg: str, cwd: str) -> bool:
    if not _PATHLIKE.search(arg) or any(c in arg for c in "*?[$`{"):
        return False  # not a path, or one the shell would expand
    return not os.path.lexists(os.path.join(cwd, os.path.expanduser(arg)))


def _missing_path(arg: str, cwd: str) -> tuple[str, tuple[str, str] | None]:
    """`missing.tar` does not exist here; did you mean `mising.tar`?"""
    where = os.path.join(cwd, os.path.expanduser(arg))
    folder, name = os.path.split(where)
    try:
        names = os.listdir(folder or "/")
    except OSError:
        return f"`{arg}` does not exist (nor does its directory)", None
    close = closest(name, names)
    if not close:
        return f"`{arg}` does not exist", None
    better = arg[: len(arg) - len(os.path.basename(arg))] + close
    return f"`{arg}` does not exist; did you mean `{better}`?", (arg, better)


def closest(typed: str, names: frozenset[str] | list[str]) -> str | None:
    """The name `typed` was most likely meant to be: fewest edits, a swap of two neighbours
    counting as one (`gti` -> git, not tic), at most 1 edit in names up to 4 letters and 2 in
    longer ones; ties go to the most similar by difflib's measure."""
    limit = 1 if len(typed) <= 4 else 2
    scored = [(d, n) for n in names if abs(len(n) - len(typed)) <= limit
              and (d := edit_distance(typed, n, limit)) <= limit and n != typed]  # fmt: skip
    if not scored:
        return None
    best = min(d for d, _ in scored)
    tied = sorted(n for d, n in scored if d == best)
    return max(tied, key=lambda n: difflib.SequenceMatcher(None, typed, n).ratio())


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, or limit + 1 once it is over."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, other in enumerate(b, start=1):
            cost = char != other
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char == b[j - 2] and a[i - 2] == other:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _installed(program: str, path: str) -> bool:
    return program in installed_programs(path)


def installed_programs(path: str) -> frozenset[str]:
    """Every executable name on `path`: listed again only when a folder on it changed (a
    program installed or removed changes its folder's mtime; a stat per folder is cheap)."""
    return _listing(path, tuple(_mtime(folder or ".") for folder in path.split(os.pathsep)))


def _mtime(folder: str) -> int:
    try:
        return os.stat(folder).st_mtime_ns
    except OSError:
        return -1


@functools.lru_cache(maxsize=4)
def _listing(path: str, stamp: tuple[int, ...]) -> frozenset[str]:
    """The names, for `path` as it was at `stamp` (its folders' mtimes: part of the cache key)."""
    names: set[str] = set()
    for folder in path.split(os.pathsep):
        try:
            with os.scandir(folder or ".") as entries:
                names.update(e.name for e in entries if os.access(e.path, os.X_OK))
        except OSError:
            continue
    return frozenset(names)


def _replace_word(command: str, old: str, new: str) -> str:
    """`old` replaced where it stands as a word (or an option before `=`), once."""
    pattern = re.compile(rf"(?<![\w./-]){re.escape(old)}(?=$|[\s=;|&)'\"])")
    return pattern.sub(lambda _: new, command, count=1)
