"""Runaway replies: a small model sometimes writes one pipeline segment again and again until
it runs out of tokens (`cmd | sort | uniq | sort | uniq | …`). Such a reply is never complete
and never what was asked; it is stopped as soon as the repetition shows, and retried.

A reply repeats itself when it ends with one segment written `times` times in a row, the
repeats together at least `min_span` items long (tokens while generating, characters after),
and the segment made of at least `min_distinct` different items, so that `../../..` or a line
of dashes is not taken for a runaway.
"""

from __future__ import annotations

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
    return repeats(text, TEXT_SPAN, min_distinct=6)
