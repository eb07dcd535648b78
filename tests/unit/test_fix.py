"""What a failed command did wrong, found without running it: real files, a PATH of real
executables made for the test, and this machine's man pages (see test_option_check.py)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cmdai.fix import closest, diagnose, edit_distance, worth_fixing


@pytest.fixture
def path(tmp_path: Path) -> str:
    """A PATH of a few real executables, and the system's own for the man pages' programs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("git", "tic", "grep", "python3", "gzip"):
        program = bin_dir / name
        program.write_text("#!/bin/sh\n")
        program.chmod(0o755)
    (bin_dir / "not-executable").write_text("")
    return str(bin_dir)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("gti", "git"), ("grpe", "grep"), ("pyhton3", "python3"), ("gzpi", "gzip"),
     ("frobnicate", None), ("xyz", None)],
)  # fmt: skip
def test_a_missing_program_is_matched_to_the_installed_one_meant(
    typed: str, meant: str | None, path: str, tmp_path: Path
) -> None:
    found = diagnose(f"{typed} status", 127, str(tmp_path), path)
    if meant:
        assert found.fixes == (f"{meant} status",)
        assert found.reason == f"`{typed}` is not installed; did you mean {meant}?"
    else:
        assert found.fixes == ()
        assert (
            found.reason == f"`{typed}` is not installed, and nothing installed has a similar name"
        )


def test_a_program_installed_after_the_first_look_is_found(path: str, tmp_path: Path) -> None:
    """The helper lives for hours: a program installed meanwhile must be suggested."""
    assert diagnose("htpo", 127, str(tmp_path), path).fixes == ()
    program = Path(path) / "htop"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    os.utime(path, ns=(0, os.stat(path).st_mtime_ns + 1_000_000_000))  # a coarse clock
    assert diagnose("htpo", 127, str(tmp_path), path).fixes == ("htop",)


@pytest.mark.skipif(shutil.which("man") is None and not os.environ.get("CI"), reason="no man")
def test_an_option_the_manual_does_not_list_is_matched_to_one_it_does(tmp_path: Path) -> None:
    found = diagnose("ls --colour=sometimes /nonexistent", 2, str(tmp_path), os.environ["PATH"])
    assert found.fixes == ("ls --color=sometimes /nonexistent",)
    assert found.reason == (
        "`ls` has no option `--colour`; did you mean `--color`?; `/nonexistent` does not exist"
    )


def test_a_missing_file_is_matched_to_the_name_beside_it(tmp_path: Path) -> None:
    (tmp_path / "backup.tar").write_text("")
    (tmp_path / "docs").mkdir()
    found = diagnose("tar -xf bakup.tar", 2, str(tmp_path), os.environ["PATH"])
    assert found.fixes == ("tar -xf backup.tar",)
    assert found.reason == "`bakup.tar` does not exist; did you mean `backup.tar`?"
    found = diagnose("cat docs/nothing.md", 1, str(tmp_path), os.environ["PATH"])
    assert (found.fixes, found.reason) == ((), "`docs/nothing.md` does not exist")


def test_a_script_that_may_not_be_executed_gets_its_mode_and_chmod(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("echo hi\n")
    script.chmod(0o644)
    found = diagnose("./run.sh --fast", 126, str(tmp_path), os.environ["PATH"])
    assert found.reason == "`./run.sh` may not be executed (its mode is 644, rw-r--r--)"
    assert found.fixes == ("chmod u+x ./run.sh && ./run.sh --fast",)


def test_nothing_found_says_so_and_leaves_it_to_the_model(tmp_path: Path, path: str) -> None:
    found = diagnose("git status", 1, str(tmp_path), path)
    assert found.fixes == () and found.facts == ()
    assert found.reason == "it exited with status 1; nothing here says why without running it"
    assert found.request("git status", 1) == (
        "Fix this command, which failed with exit status 1: git status\n"
        "What is known without running it: nothing more is known\n"
        "Reply with the corrected command that does what it was meant to do."
    )


def test_globs_and_variables_are_not_taken_for_missing_files(tmp_path: Path) -> None:
    found = diagnose("cat *.txt $HOME/x.md", 1, str(tmp_path), os.environ["PATH"])
    assert found.facts == ()


@pytest.mark.parametrize(
    ("command", "status", "worth"),
    [("gti", 127, True), ("ls", 0, False), ("sleep 9", 130, False), ("  ", 1, False)],
)  # fmt: skip
def test_what_is_worth_fixing(command: str, status: int, worth: bool) -> None:
    assert worth_fixing(command, status) is worth


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("gti", "git", 1), ("gti", "tic", 2), ("grep", "grep", 0), ("sl", "ls", 1),
     ("abc", "xyz", 3), ("python3", "pyhton3", 1)],
)  # fmt: skip
def test_edit_distance_counts_a_swap_as_one(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, 5) == distance


def test_closest_keeps_short_names_to_one_edit() -> None:
    assert closest("sl", ["ls", "sed"]) == "ls"
    assert closest("gt", ["git", "go"]) in ("git", "go")
    assert closest("abcd", ["wxyz"]) is None
