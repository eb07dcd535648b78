"""What a request says in so many words: a phrase, not turned around by a word before it
("download the file" says "download"; "show it without downloading" does not)."""

from __future__ import annotations

import re

# Words that turn the phrase after them around: "without following symlinks", "don't
# follow the log". (A rule whose phrase is a negation itself starts its match at the word.)
NEGATION_BEFORE = re.compile(r"\b(?:without|not|never|don'?t|do not|no|instead of|rather "
                             r"than)\s+$", re.I)  # fmt: skip


def says(said: re.Pattern[str], request: str) -> bool:
    """The request says the phrase, and not after a word that negates it."""
    return any(not NEGATION_BEFORE.search(request, 0, match.start())
               for match in said.finditer(request))  # fmt: skip
