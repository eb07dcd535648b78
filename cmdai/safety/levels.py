"""Risk levels and the verdict every rule returns."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Risk(IntEnum):
    SAFE = 0
    MODERATE = 1
    HIGH = 2
    CRITICAL = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Verdict:
    level: Risk
    reason: str
    rule: str


# No rule found anything it changes: not a proof that it only reads (an unknown program too).
SAFE = Verdict(Risk.SAFE, "no known risk", "safe")
