"""Runaway replies: a small model sometimes writes one pipeline segment again and again until
it runs out of tokens (`cmd | sort | uniq | sort | uniq | …`). Such a reply is never complete
and never what was asked; it is stopped as soon as the repetition shows, and retried.

A reply repeats itself when it ends with one segment written `times` times in a row, the
repeats together at least `min_span` items long (tokens while generating, characters after),
and the segment made of at least `min_distinct` different items, so that `../../..` or a line
of dashes is not taken for a runaway.

A runaway may also drift instead: the same option with a new made-up value each time, or a
count going up, or a number that never ends (`drifts`). It is recognised on the words with
their values blanked out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

TOKEN_SPAN = 24  # tokens: three repeats of an 8-token segment
TEXT_SPAN = 60  # characters, for replies checked after the fact
TIMES = 3


def repeats(
    items: Sequence[object], min_span: int, times: int = TIMES, min_distinct: int = 3
) -> bool:
    """Does `items` end with one segment of at least `min_distinct` different items, repeated
    at least `times` times in a row, the repeats covering at least `min_span` items?"""
    n = len(items)
    for period in range(1, n // times + 1):
        if items[n - 1] != items[n - 1 - period]:
            continue  # cheap first test: the last item must recur one period back
        tail = items[n - period :]
        if len(set(tail)) < min_distinct:
            continue
        count = 1
        while (count + 1) * period <= n and items[
            n - (count + 1) * period : n - count * period
        ] == tail:
            count += 1
        if count >= times and count * period >= min_span:
            return True
    return False


def text_repeats(text: str) -> bool:
    return repeats(text, TEXT_SPAN, min_distinct=6) or drifts(text)


# --- drifting repeats -------------------------------------------------------------------------
# A runaway does not always repeat itself exactly: it lists made-up values after the same
# option (`--exclude='dist.tar.gz' --exclude='dist.tar.xz' …`, `-u udev -u NetworkManager …`)
# or counts up (`$2, $3, $4, …`). Read word by word with the values blanked out, such a reply
# repeats exactly. Found on the two models' replies to the fixtures and the development set:
# every runaway there is caught, and none of 728 other replies or 1,324 listed right answers.
DRIFT_TIMES = 6  # repeats of one shape of several words (`-u NAME`, `tr -d '…' |`)
DRIFT_TIMES_ONE_WORD = 8  # of a one-word shape (`--exclude=…`, `$3,`): seven columns are real
DRIFT_PERIOD = 6  # words in the longest shape looked for
_OPERATORS = {"|", "||", "&&", ";", "&", "|&"}
_PLAIN = re.compile(r"[\w.:/@~+%,=-]*")
_DIGITS = re.compile(r"\d+")
# A number that never ends (`count=1000000…`, `echo "7000000…"`): one digit written on and on
# after another digit. (Qwen's tokenizer writes a digit a token: too short a segment for
# `repeats`.) A run of its own may be a null hash (`git update-ref … 0000…0000`, 40 or 64).
DIGIT_RUN = 32
DIGIT_RUN_ALONE = 65


def _shape(word: str) -> str:
    """A word with its value blanked out: an option keeps its name, an operator itself, a quoted
    word or a plain name or number becomes a placeholder, other words keep all but digits."""
    if word.startswith("-") and len(word) > 1:
        name, equals, _value = word.partition("=")
        return name + equals
    if word in _OPERATORS:
        return word
    if word[:1] in ("'", '"'):
        return "Q"
    if _PLAIN.fullmatch(word):
        return "W"
    return _DIGITS.sub("0", word)


def drifts(text: str) -> bool:
    """Does `text` end with one shape of words written many times in a row, a shape that is more
    than placeholders (a list of names or numbers is not a runaway), or in a number that never
    ends?"""
    if _number_runs_on(text):
        return True
    shapes = [_shape(word) for word in text.split()]
    n = len(shapes)
    for period in range(1, DRIFT_PERIOD + 1):
        times = DRIFT_TIMES_ONE_WORD if period == 1 else DRIFT_TIMES
        if times * period > n:
            break
        tail = shapes[n - period :]
        if all(shape in ("W", "Q") for shape in tail):
            continue
        if shapes[n - times * period :] == tail * times:
            return True
    return False


def _number_runs_on(text: str) -> bool:
    if not text[-1:].isdigit():
        return False
    before = text.rstrip(text[-1])
    run = len(text) - len(before)
    return run >= (DIGIT_RUN if before[-1:].isdigit() else DIGIT_RUN_ALONE)
