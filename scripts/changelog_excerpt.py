"""Print one version's section of CHANGELOG.md (Keep a Changelog format), for release notes.

    python scripts/changelog_excerpt.py 0.2.0 > release-notes.md

Exits 1, saying so, when the changelog has no section for that version: a release must not go
out without its notes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

CHANGELOG = Path(__file__).resolve().parents[1] / "CHANGELOG.md"


def excerpt(text: str, version: str) -> str | None:
    """The body under `## [version]` up to the next `## ` heading, or None."""
    heading = re.compile(rf"^## \[{re.escape(version)}\]", re.M)
    match = heading.search(text)
    if match is None:
        return None
    body = text[text.index("\n", match.start()) + 1 :]
    following = re.search(r"^## ", body, re.M)
    return (body[: following.start()] if following else body).strip() + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: changelog_excerpt.py VERSION", file=sys.stderr)
        return 2
    notes = excerpt(CHANGELOG.read_text(encoding="utf-8"), argv[0])
    if notes is None:
        print(f"CHANGELOG.md has no section ## [{argv[0]}]", file=sys.stderr)
        return 1
    sys.stdout.write(notes)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
