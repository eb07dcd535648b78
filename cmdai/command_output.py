"""What a command's programs print and where it goes, as far as their options tell: whether
`ls` starts with a "total" line and the same listing without it, how `sort` compares, and
whether the output is written to a file. Read by the checks that compare a command with its
request (request_numbers, asked_options, request_details) and with itself (usage_check).
"""

from __future__ import annotations

import itertools

from cmdai.commandline import Simple
from cmdai.safety.words import short_flags

# ls letters that list in long format (each starts a directory's listing with "total …"), and
# those after which no such line comes (-d lists the directory itself; -R has one per directory)
_LONG_FORMAT = frozenset("lgnos")
_NO_TOTAL = frozenset("dR")


def starts_with_total(ls_args: list[str]) -> bool:
    """Does `ls` given `ls_args` start its output with a "total …" line? In long format, for a
    directory; not when given names with a wildcard (files: no such line), nor with -d or -R."""
    letters = short_flags(ls_args)
    if not letters & _LONG_FORMAT or letters & _NO_TOTAL:
        return False
    return not any(set("*?[") & set(word) for word in ls_args if not word.startswith("-"))


def short_listing(args: list[str]) -> str:
    """`ls` with `args` less the letters of the long format (and -h, which only sizes in it
    use): `ls -lhS /var/log` -> `ls -S /var/log`."""
    kept = []
    for word in args:
        if word.startswith("-") and not word.startswith("--"):
            letters = "".join(c for c in word[1:] if c not in _LONG_FORMAT | {"h"})
            word = f"-{letters}" if letters else ""
        if word:
            kept.append(word)
    return " ".join(["ls", *kept])


def sort_modes(args: list[str]) -> set[str]:
    """How sort compares and in which direction: its -n/-g/-h/-r letters, long options, and
    the letters a key ends with (`-k 5,5n`, `-k5nr`, `--key=5h`)."""
    modes = short_flags(args) & set(_SORT_LETTERS) | {_SORT_LONGS.get(a, "") for a in args}
    keys = [value for option, value in itertools.pairwise(args) if option == "-k"]
    keys += [arg[2:] for arg in args if arg.startswith("-k") and len(arg) > 2]
    keys += [arg.split("=", 1)[1] for arg in args if arg.startswith("--key=")]
    return (modes | {letter for key in keys for letter in key if letter in _SORT_LETTERS}) - {""}


_SORT_LETTERS = "nghr"
_SORT_LONGS = {"--numeric-sort": "n", "--general-numeric-sort": "g",
               "--human-numeric-sort": "h", "--reverse": "r"}  # fmt: skip


def writes_file(simple: Simple) -> bool:
    """Is the output redirected to a file? (`2>/dev/null` is read as `>` too: not a file.)"""
    return any(op in (">", ">>", ">|") and target != "/dev/null"
               for op, target in simple.redirects)  # fmt: skip
