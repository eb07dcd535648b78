"""Arguments a program cannot take as given (cmdai/argument_check.py), each checked against the
real program where this machine has it: bash's kill, git, GNU tar."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from cmdai.argument_check import check
from cmdai.validate import validate
from tests.helpers.shells import require

PROMPTS = Path(__file__).resolve().parents[1] / "fixtures" / "prompts"

CAUGHT = [
    ("kill -HUP nginx", "`kill` takes process ids, not names like nginx (it stops with “arguments "
     "must be process or job IDs”): `pkill -HUP nginx` signals by name"),
    ("kill firefox", "`pkill firefox`"),
    ("sudo kill -s TERM node", "`pkill -TERM node`"),
    ("kill -9 1234 java", "not names like java (it stops with “arguments must be process or job "
     "IDs”): `pkill -9 java`"),
    ("git reset --hard app.js", "`git reset --hard` takes no paths (git stops: “Cannot do hard "
     "reset with paths”): `git reset -- app.js` unstages, `git restore app.js` discards the "
     "changes"),
    ("git reset --soft config.yaml", "Cannot do soft reset with paths"),
    ("git -C repo reset --keep -- src", "`git restore src`"),
    ("tar -czf photos.tar.zst photos", "tar's `-z` is gzip, and photos.tar.zst names a zstd "
     "archive: --zstd, or -a (--auto-compress) to take it from the name"),
    ("tar cjf logs.tar.gz logs", "tar's `-j` is bzip2, and logs.tar.gz names a gzip archive: -z "
     "(--gzip)"),
    ("tar --xz -cf site.tgz site", "tar's `--xz` is xz, and site.tgz names a gzip archive"),
    ("tar -xzf release.tar.xz", "names a xz archive: -J (--xz)"),
]  # fmt: skip

PASSES = [
    "kill 1234", "kill -9 1234 5678", "kill -HUP $(pidof nginx)", 'kill "$(cat app.pid)"',
    "kill $PID", "kill %1", "kill -s HUP 4242", "kill -l", "kill -- -4242", "pkill -HUP nginx",
    "pidof nginx | xargs kill -HUP", "kill -9 `cat /run/app.pid`",
    "git reset --hard HEAD~1", "git reset --hard origin/main", "git reset --soft v2.1",
    "git reset -- app.js", "git reset HEAD app.js", "git restore app.js", "git reset --hard",
    "tar -czf photos.tar.gz photos", "tar -caf photos.tar.zst photos", "tar --zstd -cf p.tar.zst p",
    "tar -xf release.tar.xz", "tar cJf site.txz site", "tar -cf plain.tar dir",
    "tar -czf backup.tgz -C /srv data", "tar -tzf a.tar.gz",
]  # fmt: skip


@pytest.mark.parametrize(("command", "said"), CAUGHT)
def test_an_argument_the_program_cannot_take_is_caught(command: str, said: str) -> None:
    problem = check(command)
    assert problem is not None and said in problem, problem


@pytest.mark.parametrize("command", PASSES)
def test_arguments_the_program_takes_pass(command: str) -> None:
    assert check(command) is None


def test_no_right_answer_of_the_dev_set_is_rejected() -> None:
    answers = yaml.safe_load((PROMPTS / "dev-answers.yaml").read_text())
    rights = [command for entry in answers.values() for command in entry.get("right", [])]
    assert len(rights) >= 600
    assert [(command, problem) for command in rights if (problem := check(command))] == []


def test_kill_given_a_name_fails_in_bash_as_the_message_says() -> None:
    require("bash")
    done = subprocess.run(["bash", "-c", "kill -HUP no-such-program-name"], capture_output=True,
                          text=True, timeout=30)  # fmt: skip
    assert done.returncode != 0 and "arguments must be process or job IDs" in done.stderr


@pytest.mark.skipif(shutil.which("git") is None and not os.environ.get("CI"),
                    reason="git is not installed")  # fmt: skip
@pytest.mark.parametrize("mode", ["--hard", "--soft", "--keep", "--merge"])
def test_git_refuses_a_path_with_each_mode_the_check_knows(tmp_path: Path, mode: str) -> None:
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", str(tmp_path)], check=True, timeout=60)
    (tmp_path / "app.js").write_text("a\n")
    subprocess.run([*git, "-C", str(tmp_path), "add", "app.js"], check=True, timeout=60)
    subprocess.run([*git, "-C", str(tmp_path), "commit", "-qm", "x"], check=True, timeout=60)
    done = subprocess.run([*git, "-C", str(tmp_path), "reset", mode, "app.js"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode != 0 and f"Cannot do {mode[2:]} reset with paths" in done.stderr
    assert check(f"git reset {mode} app.js") is not None


def test_the_problem_reaches_validate_as_usage(tmp_path: Path) -> None:
    require("bash")
    problem = validate("kill -HUP nginx", "bash", str(tmp_path))
    assert (
        problem is not None and problem.kind == "usage" and "`pkill -HUP nginx`" in problem.message
    )
