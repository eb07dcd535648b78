"""Does the command use the numbers its request gives? "follow the logs of api, starting from
the last 100 lines" answered `docker logs -f api`, "4 at a time" a command with no 4, "process
2001" `env`: the command runs and does something else, which no other check sees.

A number counts as used when the command holds it, as written (`at 3pm`) or as the same amount
in a unit a command would write instead (`sleep 600` for 10 minutes, `-mtime +14` for 2 weeks,
`-mtime -1` for 24 hours, `-size +102400k` for 100 MB, 15 for 3pm), or the count of a range
("lines 10 to 20" is `tail -n 11`), or one more with head or tail (a header line: `head -n 6`
for the top 5; `tail -n +4` skips the first 3). `head` and `tail` show 10 lines by themselves,
and `openssl rand` prints 4 characters for every 3 bytes in base64 and 2 a byte in hex (a "20
character password" is `openssl rand -base64 15`). Numbers 0 and 1 are left alone ("1GB" is
`bs=1M count=1024` as well), and so is a number that is part of a name, version, address, time
or path (`mp3`, `v2.1`, `10.0.0.5`, `14:30`, `~/2024`), or the number of a standard ("ISO
8601", "RFC 3339").

And a number used one short: `ls -lt | head -n 5` for "the 5 most recent files" shows 4, the
listing of a directory in long format starting with a "total" line.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from cmdai.command_output import short_listing, starts_with_total
from cmdai.commandline import Simple, line_counts, parse

# A unit after a number, and the factors by which a command may write the same amount.
_SECONDS = (1, 1000)
_MINUTES = (1, 60)
_HOURS = (1, 60, 3600)
_DAYS = (1, 24, 1440, 86400)
_SIZES = (1, 1000, 1024)
_FACTORS: dict[str, tuple[int, ...]] = {
    "s": _SECONDS, "sec": _SECONDS, "secs": _SECONDS, "second": _SECONDS, "seconds": _SECONDS,
    "min": _MINUTES, "mins": _MINUTES, "minute": _MINUTES, "minutes": _MINUTES,
    "h": _HOURS, "hr": _HOURS, "hrs": _HOURS, "hour": _HOURS, "hours": _HOURS,
    "d": _DAYS, "day": _DAYS, "days": _DAYS, "week": (1, 7), "weeks": (1, 7),
    "k": _SIZES, "kb": _SIZES, "kib": _SIZES, "kilobytes": _SIZES,
    "mb": _SIZES, "mib": _SIZES, "megabytes": _SIZES,
    "g": _SIZES, "gb": _SIZES, "gib": _SIZES, "gigabytes": _SIZES,
    "tb": _SIZES, "tib": _SIZES, "terabytes": _SIZES,
    "m": (1, 60, 1000, 1024),  # minutes or megabytes
    "am": (1,), "st": (1,), "nd": (1,), "rd": (1,), "th": (1,),
}  # fmt: skip
# A number standing alone, and the word after it (a unit written on or after it: "100MB",
# "10 minutes", "3pm", "3rd"). Not one inside a name, version, address, time, path or option.
# At most 18 digits, so int() stays cheap (a longer run of digits is no amount anyone typed).
_NUMBER = re.compile(r"(?<![\w.:/$~+#=-])(\d{1,18}+)(?:(\s?)([A-Za-z]++))?(?![\w.:/-])")
_RANGE = re.compile(r"(?<![\w.:/-])(\d{1,18}+) ?(?:to|-|through|and) ?(\d{1,18}+)(?![\w.:/-])")
# The names of standards whose number follows after a space: "ISO 8601" names a format.
_STANDARD = re.compile(r"\b(?:ISO|RFC|PEP|ECMA|IEEE|ANSI|FIPS|CVE|UTF)\s$", re.I)
_IN_COMMAND = re.compile(r"(?<!\d)\d{1,18}+(?!\d)")
_COUNT_OPTION = re.compile(r"-[nc]|--lines|--bytes|-\d")


def check(request: str, command: str) -> str | None:
    """The first number `request` gives that `command` does not use, as one line for the user
    and for the model; or None."""
    used = {int(number) for number in _IN_COMMAND.findall(command)}
    commands = parse(command).commands
    used |= {n for c in commands if c.program == "openssl" and (n := _printed(c.args))}
    heads = [c for c in commands if c.program in ("head", "tail")]
    if any(not any(_COUNT_OPTION.match(arg) for arg in c.args) for c in heads):
        used.add(10)  # what head and tail show by themselves
    if heads:  # one more: a header line kept (`head -n 6`), or where tail starts (`-n +4`)
        used |= {number - 1 for number in used}
    ranges = [(int(low), int(high)) for low, high in _RANGE.findall(request)]
    givens = _numbers(request)
    for given in givens:
        counts = {high - low + 1 for low, high in ranges if given.value in (low, high)}
        if (given.amounts | counts) & used or _written_out(given, command):
            continue
        before, after = request[: given.start].split()[-2:], request[given.end :].split()[:1]
        said = " ".join([*before, given.text, *after])
        number = given.text if given.text[0].isdigit() else f"{given.value} (the {given.text})"
        return f"the request says “{said}”, and the command does not use {number}"
    return _total_line_taken({given.value for given in givens}, commands)


_OLD_COUNT = re.compile(r"-\d+")  # `head -5`


def _total_line_taken(given: set[int], commands: list[Simple]) -> str | None:
    """`ls -lt | head -n 5` for "the 5 most recent files": the first line is "total …", so
    head shows 4 files."""
    for head in commands:
        ls = head.pipe_from
        if head.program != "head" or ls is None or ls.program != "ls":
            continue
        if not starts_with_total(ls.args):
            continue
        count = _head_lines(head.args)
        if count is not None and count > 1 and count in given:
            return (f"`{' '.join(['ls', *ls.args])}` starts its listing with a “total” line, "
                    f"so `head -n {count}` shows {count - 1} entries: write "
                    f"`{short_listing(ls.args)} | head -n {count}`")  # fmt: skip
    return None


def _head_lines(args: list[str]) -> int | None:
    """The lines `head` shows: 10 by itself, or its -n/--lines/-N count; None for a count
    of bytes or one from the end."""
    if any(arg.startswith(("-c", "--bytes")) for arg in args):
        return None
    counts = line_counts(args) or [arg[1:] for arg in args if _OLD_COUNT.fullmatch(arg)]
    if not counts:
        return 10
    return int(counts[-1]) if counts[-1].isdigit() else None


def _printed(args: list[str]) -> int | None:
    """How many characters `openssl rand -base64 N` or `-hex N` prints (the newline aside)."""
    if args[:1] != ["rand"] or not args[-1].isdigit() or len(args[-1]) > 9:
        return None
    count = int(args[-1])
    if "-base64" in args:
        return 4 * -(-count // 3)  # padded to whole groups of 4
    return 2 * count if "-hex" in args else None


class _Given(NamedTuple):
    """A number the request gives: where, as written ("100MB", "10 minutes", "4"), its value,
    its unit ("" for a count of things), and the amounts a command may write for it."""

    start: int
    end: int
    text: str
    value: int
    unit: str
    amounts: set[int]


# "the second and fourth columns", "the third field": a column's place, which a command
# gives as its number (`$2`, `cut -f2,4`, `sort -k3`).
_ORDINALS = {"second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
             "eighth": 8, "ninth": 9, "tenth": 10}  # fmt: skip
_ORDINAL = "|".join(_ORDINALS)
_PLACE = re.compile(
    rf"\b({_ORDINAL})\b(?=(?:(?:,\s*|\s+(?:and|or)\s+)(?:the\s+)?(?:first|last|{_ORDINAL})\b)*"
    rf",?\s+(?:columns?|fields?|words?)\b)",
    re.I,
)


def _numbers(request: str) -> list[_Given]:
    """Each number the request gives above 1, and each column it names by its place."""
    found = [_Given(m.start(), m.end(), m.group(1), value, "", {value})
             for m in _PLACE.finditer(request)
             if (value := _ORDINALS[m.group(1).lower()])]  # fmt: skip
    for match in _NUMBER.finditer(request):
        value, unit = int(match.group(1)), (match.group(3) or "").lower()
        end = match.end()
        if unit and unit not in _FACTORS and unit != "pm":
            if not match.group(2):  # "2fa", "4k60": a name that starts with digits
                continue
            unit, end = "", match.end(1)  # "100 lines": a count of things
        if value <= 1 or _STANDARD.search(request, 0, match.start()):
            continue
        amounts = {value * factor for factor in _FACTORS.get(unit, (1,))}
        if unit == "pm" and value < 12:
            amounts = {value + 12}  # `at 3pm` itself is found as written
        elif unit == "am" and value == 12:
            amounts = {0}  # midnight: `0 0 * * *`
        elif _FACTORS.get(unit) == _HOURS and value % 24 == 0:
            amounts.add(value // 24)  # whole days: `-mtime -1` for 24 hours
        found.append(_Given(match.start(), end, request[match.start() : end], value, unit, amounts))
    return found


def _written_out(given: _Given, command: str) -> bool:
    """The number and its unit as the request writes them: `at 3pm` for "at 3pm"."""
    return bool(given.unit) and given.text.lower() in command.lower()
