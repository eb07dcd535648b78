"""`cmdai doctor`: everything a user can get wrong, checked in one go, each with its fix.

Exit status 0 when no check fails (skipped ones, which could not run yet, do not count), 1
otherwise; `--json` prints the checks for scripts.
"""

from __future__ import annotations

import argparse
import json
import sys

from cmdai.doctor import checks
from cmdai.doctor.checks import FAIL, Check


def run(args: argparse.Namespace) -> int:
    found = collect(args.shell)
    if args.json:
        print(json.dumps([vars(c) for c in found], indent=2))
    else:
        _print(found)
    return 1 if any(c.status == FAIL for c in found) else 0


def collect(shell: str | None) -> list[Check]:
    found = checks.versions()
    config_checks, config = checks.configuration()
    found += config_checks
    if config is not None:
        found += checks.backends(config)
        found += checks.cache(config)
    helper_checks, hello = checks.helper()
    found += helper_checks
    found += checks.shell_integration(shell or (config.shell if config else _login_shell()))
    found += checks.warm_request(hello, config)
    return found


def _login_shell() -> str:
    from cmdai.config import detect_shell

    return detect_shell()


MARKS = {"ok": ("✓", "ok"), "fail": ("✗", "FAIL"), "skip": ("–", "skip")}


def _print(found: list[Check]) -> None:
    fancy = _can_print("✓✗–")
    for check in found:
        mark = MARKS[check.status][0 if fancy else 1]
        print(f"{mark} {check.name}: {check.detail}")
        if check.fix:
            print(f"    fix: {check.fix}" if check.status == FAIL else f"    {check.fix}")
    failed = sum(c.status == FAIL for c in found)
    print(f"\n{failed} problem{'s' * (failed != 1)} found" if failed else "\nno problems found")


def _can_print(text: str) -> bool:
    try:
        text.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True
