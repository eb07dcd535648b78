"""One edit to a command as written (cmdai/command_edit.py): the rest of the line is kept
character for character, quotes, spacing and operators included, and a line that does not run
the program is not edited."""

from __future__ import annotations

import pytest

from cmdai.command_edit import add_option, replace_argument, set_variable


@pytest.mark.parametrize(
    ("line", "program", "option", "edited"),
    [
        ("tail app.log", "tail", "-f", "tail -f app.log"),
        ("sudo tail  /var/log/syslog", "tail", "-f", "sudo tail -f  /var/log/syslog"),
        ("/usr/bin/tail app.log", "tail", "-f", "/usr/bin/tail -f app.log"),
        ("docker logs api --tail 100", "docker logs", "-f", "docker logs -f api --tail 100"),
        ("git stash", "git stash", "-u", "git stash -u"),
        ("cd app && git stash push", "git stash", "-u", "cd app && git stash -u push"),
        ("find . -name '*.py' | xargs grep TODO", "grep", "-l",
         "find . -name '*.py' | xargs grep -l TODO"),
        ("echo 'tail here' | grep x", "grep", "-i", "echo 'tail here' | grep -i x"),
        ("diff old.txt new.txt|less", "diff", "-y", "diff -y old.txt new.txt|less"),
        ("(cd src; grep -r foo .)", "grep", "-l", "(cd src; grep -l -r foo .)"),
        ("nslookup example.com", "nslookup", "-type=MX", "nslookup -type=MX example.com"),
        ("x=$(dig +short example.net)", "dig", "NS", "x=$(dig NS +short example.net)"),
    ],
)  # fmt: skip
def test_an_option_goes_right_after_the_program(
    line: str, program: str, option: str, edited: str
) -> None:
    assert add_option(line, program, option) == edited


@pytest.mark.parametrize(
    ("line", "program"),
    [
        ("journalctl -u cron", "tail"),
        ("git -C app stash", "git stash"),  # the subcommand does not follow the program
        ("echo 'tail -n 5 f'", "tail"),  # a quoted word holds it, not the program's name
        ("tailor app.log", "tail"),
        ("", "tail"),
    ],
)
def test_a_line_that_does_not_run_the_program_is_not_edited(line: str, program: str) -> None:
    assert add_option(line, program, "-f") is None


def test_a_program_named_in_quotes_is_read_as_the_shell_reads_it() -> None:
    assert add_option("'tail' app.log", "tail", "-f") == "'tail' -f app.log"
    assert add_option('"/usr/bin/tail" a', "tail", "-f") == '"/usr/bin/tail" -f a'


@pytest.mark.parametrize(
    ("line", "program", "old", "new", "edited"),
    [
        ("sleep 10 && printf '\\a'", "sleep", "10", "10m", "sleep 10m && printf '\\a'"),
        ("echo 10; sleep 10; echo done", "sleep", "10", "10m", "echo 10; sleep 10m; echo done"),
        ("chmod -x deploy.sh", "chmod", "-x", "o-x", "chmod o-x deploy.sh"),
        ("sudo chmod -R +w shared/", "chmod", "+w", "g+w", "sudo chmod -R g+w shared/"),
        ("chmod '-x' a", "chmod", "-x", "o-x", "chmod o-x a"),
    ],
)  # fmt: skip
def test_one_argument_of_the_program_is_written_anew(
    line: str, program: str, old: str, new: str, edited: str
) -> None:
    assert replace_argument(line, program, old, new) == edited


def test_an_argument_past_the_programs_own_words_is_not_touched() -> None:
    assert replace_argument("sleep 5; echo 10", "sleep", "10", "10m") is None
    assert replace_argument("echo 10", "sleep", "10", "10m") is None


@pytest.mark.parametrize(
    ("line", "edited"),
    [
        ("date", "TZ=Asia/Tokyo date"),
        ("date +%H:%M", "TZ=Asia/Tokyo date +%H:%M"),
        ("echo now; date", "echo now; TZ=Asia/Tokyo date"),
        ("sudo date", "sudo TZ=Asia/Tokyo date"),
    ],
)
def test_a_variable_is_set_for_the_program_alone(line: str, edited: str) -> None:
    assert set_variable(line, "date", "TZ=Asia/Tokyo") == edited


def test_a_variable_for_a_program_the_line_does_not_run_is_not_set() -> None:
    assert set_variable("uptime", "date", "TZ=Asia/Tokyo") is None
    # inside double quotes `$(date)` is part of a word this reading does not open: no edit,
    # and the model is asked again instead
    assert set_variable('echo "now: $(date)"', "date", "TZ=Asia/Tokyo") is None
