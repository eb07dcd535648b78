"""The safety classifier against its table (tests/fixtures/safety_cases.py), plus modes and the
user's own rules."""

from __future__ import annotations

import getpass
import os
import re

import pytest

from cmdai.safety import (
    Action,
    DenyRule,
    Policy,
    Risk,
    action_for,
    classify,
    program_operands,
)
from cmdai.safety.programs import container_command
from tests.fixtures.safety_cases import DANGEROUS, EVERYDAY


def test_the_table_is_big_enough() -> None:
    assert len(DANGEROUS) >= 600 and len(EVERYDAY) >= 600
    shells = {shell for shell, _, _ in DANGEROUS + EVERYDAY}
    assert shells == {"bash", "zsh", "fish", "powershell"}
    assert len(set(DANGEROUS + EVERYDAY)) == len(DANGEROUS + EVERYDAY)  # no case twice


@pytest.mark.parametrize(("shell", "command", "level"), DANGEROUS)
def test_dangerous_commands(shell: str, command: str, level: str) -> None:
    verdict = classify(command, shell)
    assert verdict.level.label == level, verdict
    assert verdict.reason and verdict.rule


@pytest.mark.parametrize(("shell", "command", "level"), EVERYDAY)
def test_everyday_commands_are_never_high_or_critical(shell: str, command: str, level: str) -> None:
    verdict = classify(command, shell)
    assert verdict.level <= Risk.MODERATE, verdict
    assert verdict.level.label == level, verdict


def test_verdict_names_reason_and_rule() -> None:
    verdict = classify("rm -rf ~")
    assert (verdict.reason, verdict.rule) == ("recursive delete of the home directory", "rm-system")


def test_another_users_processes_are_judged_without_knowing_who_runs_cmdai(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """getpass.getuser() raises where neither the environment nor the password database names
    the user (a container's uid), and Windows has no os.getuid: the verdict stands."""

    def unknown() -> str:
        raise OSError("No username set in the environment")

    monkeypatch.setattr(getpass, "getuser", unknown)
    monkeypatch.delattr(os, "getuid")
    assert classify("pkill -u guest").level == Risk.HIGH
    assert classify("pkill -u root").level == Risk.CRITICAL
    assert classify("pkill -9 -u $(whoami)").level == Risk.CRITICAL


def test_your_own_account_named_outright_is_critical() -> None:
    assert classify(f"pkill -u {getpass.getuser()}").level == Risk.CRITICAL
    assert classify(f"killall -u {os.getuid()}").level == Risk.CRITICAL


def test_unparseable_input_says_so() -> None:
    verdict = classify('echo "unterminated')
    assert verdict.level is Risk.HIGH and "could not be parsed" in verdict.reason


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("strict", [Action.ALLOW, Action.CONFIRM, Action.BLOCK, Action.BLOCK]),
        ("moderate", [Action.ALLOW, Action.WARN, Action.CONFIRM, Action.BLOCK]),
        ("permissive", [Action.ALLOW, Action.ALLOW, Action.WARN, Action.BLOCK]),
    ],
)
def test_modes_map_levels_to_actions(mode: str, expected: list[Action]) -> None:
    commands = ["ls", "mv a b", "rm -rf build", "rm -rf /"]
    assert [action_for(classify(c), mode) for c in commands] == expected


def test_user_deny_rule_raises_the_level() -> None:
    policy = Policy(
        deny=(DenyRule(re.compile(r"\bterraform destroy\b"), Risk.CRITICAL, "destroys infra"),)
    )
    verdict = classify("terraform destroy -auto-approve", policy=policy)
    assert (verdict.level, verdict.reason, verdict.rule) == (
        Risk.CRITICAL,
        "destroys infra",
        "user-deny-1",
    )


def test_user_allow_rule_lowers_high_but_never_critical() -> None:
    policy = Policy(allow=(re.compile(r"rm -rf (build|dist)"), re.compile(r"rm -rf /")))
    assert classify("rm -rf build", policy=policy).rule == "user-allow-1"
    assert classify("rm -rf /", policy=policy).level is Risk.CRITICAL


@pytest.mark.parametrize(
    ("command", "cwd", "level"),
    [
        ("chmod -R 777 .", "/etc", "critical"),  # the reply said /etc; it was rewritten as .
        ("rm -rf .", "/home/me", "critical"),
        ("rm -rf ./*", "/usr/lib", "critical"),
        ("rm -rf ..", "/home/me/project", "critical"),
        ("rm -rf *", "/", "critical"),
        ("rm -rf .", "/home/me/project/build", "high"),
        ("rm -rf *", "/home/me/project", "high"),
        ("ls -la .", "/etc", "safe"),
    ],
)
def test_dot_is_judged_as_the_directory_it_names(command: str, cwd: str, level: str) -> None:
    assert classify(command, "bash", cwd=cwd).level.label == level


@pytest.mark.parametrize(
    ("program", "args", "expected"),
    [
        ("chmod", ["-x", "deploy.sh"], ["-x", "deploy.sh"]),  # a dash mode is chmod's mode
        ("chmod", ["-R", "-rwx", "~"], ["-rwx", "~"]),
        ("chmod", ["-R", "755", "bin"], ["755", "bin"]),
        ("chmod", ["--", "-x", "f"], ["-x", "f"]),
        ("chown", ["-R", "me", "dir"], ["me", "dir"]),
        ("grep", ["-x", "word", "f"], ["word", "f"]),  # -x is an option everywhere else
    ],
)
def test_program_operands_reads_chmods_dash_modes(
    program: str, args: list[str], expected: list[str]
) -> None:
    assert program_operands(program, args) == expected


@pytest.mark.parametrize(
    ("program", "line", "expected"),
    [
        ("docker", "rm -f api", ("rm", "", ["-f", "api"])),
        ("docker", "-H tcp://nas:2375 rm api", ("rm", "", ["api"])),  # past a global option
        ("docker", "container rm -f api", ("container", "rm", ["-f", "api"])),
        ("docker", "container ls -aq", ("container", "ls", ["-aq"])),
        ("podman", "--url unix:/run/p.sock image ls", ("image", "ls", [])),
        ("docker", "compose -f prod.yml down -v", ("compose", "down", ["-v"])),
        ("docker-compose", "down -v", ("compose", "down", ["-v"])),
        ("docker", "container", ("container", "", [])),  # a group with no verb
        ("docker", "--version", ("", "", ["--version"])),
    ],
)
def test_container_command_reads_subcommand_group_and_rest(
    program: str, line: str, expected: tuple[str, str, list[str]]
) -> None:
    assert container_command(program, line.split()) == expected
