"""What a per-program rule is, a rule that always gives one verdict, and the verdicts that
several rule modules give alike (a network interface taken down, remote access or the
firewall turned off), so each is worded once."""

from __future__ import annotations

from collections.abc import Callable

from cmdai.commandline import Simple
from cmdai.safety.levels import Risk, Verdict

Rule = Callable[[Simple], Verdict | None]

INTERFACE_DOWN = Verdict(
    Risk.HIGH, "takes a network interface down (a session over it is cut)", "network-down"
)
ACCESS_OFF = Verdict(Risk.HIGH, "stops remote access or the firewall", "access-off")
FIREWALL_OFF = Verdict(Risk.HIGH, "turns the firewall off", "access-off")


def always(level: Risk, reason: str, rule_id: str) -> Rule:
    """A rule for a program that does the same whatever it is given (`ifdown`, `umount`)."""
    verdict = Verdict(level, reason, rule_id)
    return lambda cmd: verdict
