"""The numbers a request gives (cmdai/request_numbers.py): a command that leaves one out is
caught; one that writes it, or the same amount another way, passes; and through validate()
and the one retry."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cmdai.config import Config
from cmdai.generate import generate
from cmdai.prompting import Context
from cmdai.request_numbers import check
from cmdai.validate import validate
from tests.helpers.scripted import ScriptedBackend
from tests.helpers.shells import require

PROMPTS = Path(__file__).resolve().parents[1] / "fixtures" / "prompts"

CAUGHT = [
    ("follow the logs of the container api, starting from the last 100 lines",
     "docker logs -f api", "“the last 100 lines”, and the command does not use 100"),
    ("compress every .log file here with gzip, 4 at a time, using xargs",
     "find . -name '*.log' | xargs gzip", "does not use 4"),
    ("show the environment variables of process 2001", "env", "does not use 2001"),
    ("cut the first 30 seconds of clip.mp4 into start.mp4",
     "ffmpeg -i clip.mp4 -ss 0:00:03 -c copy start.mp4", "does not use 30 seconds"),
    ("show the first 100 bytes of image.png in hex", "xxd image.png", "does not use 100"),
    ("delete files in /tmp older than 7 days", "find /tmp -type f -mtime +5 -delete", "use 7 days"),
    ("files changed in the last 36 hours", "find . -mtime -1", "does not use 36 hours"),
    ("find files bigger than 500MB", "find . -size +50M", "does not use 500MB"),
    ("run backup.sh every day at 3pm", "echo '0 3 * * * backup.sh' | crontab -", "use 3pm"),
    ("print all lines of list.txt except the last 3", "tail -n +5 list.txt", "does not use 3"),
    ("show the 5 biggest files here", "ls -S | head", "does not use 5"),
    ("show the last 2 lines of app.log", "tail -n 20 app.log", "does not use 2"),
    ("tag v2.1.0 and show the last 3 tags", "git tag v2.1.0 && git tag | tail -n 5",
     "says “the last 3 tags”"),
    ("generate a random 32 character password", "openssl rand -base64 12",
     "does not use 32"),  # 16 characters
    ("make a 32 character random token", "openssl rand -hex 24", "does not use 32"),  # 48
    # used one short: a directory's long listing starts with a "total" line
    ("list the 5 most recently modified files here", "ls -lt | head -n 5",
     "`ls -lt` starts its listing with a “total” line, so `head -n 5` shows 4 entries"),
    ("show the 10 largest files in /var/log", "ls -lhS /var/log | head",
     "so `head -n 10` shows 9 entries: write `ls -S /var/log | head -n 10`"),
    ("the 3 newest files in docs", "ls -tl docs | head -3", "`head -n 3` shows 2 entries"),
    # a column named by its place: the command gives its number
    ("print the second and fourth columns of report.tsv", "awk 'NR>1 && NR<5' report.tsv",
     "the request says “print the second and”, and the command does not use 2 (the second)"),
    ("print the second and fourth columns of report.tsv", "awk '{print $2}' report.tsv",
     "does not use 4 (the fourth)"),
    ("show the third field of every line of /etc/passwd", "cut -d: -f1 /etc/passwd",
     "does not use 3 (the third)"),
]  # fmt: skip

PASSES = [
    ("follow the logs of the container api, starting from the last 100 lines",
     "docker logs -f --tail 100 api"),
    ("compress every .log file here with gzip, 4 at a time, using xargs",
     "find . -name '*.log' -print0 | xargs -0 -P4 gzip"),
    ("wait 10 minutes and then beep", "sleep 600 && printf '\\a'"),
    ("wait 10 minutes and then beep", "sleep 10m && printf '\\a'"),
    ("delete files in /tmp older than 2 weeks", "find /tmp -type f -mtime +14 -delete"),
    ("files changed in the last 2 hours", "find . -mmin -120"),
    ("list files in /etc modified in the last 24 hours", "find /etc -mtime -1"),  # whole days
    ("files changed in the last 48 hours", "find . -mtime -2"),
    ("find files bigger than 100MB", "find . -size +100M"),
    ("find files bigger than 100MB", "find . -size +102400k"),
    ("find files bigger than 2 gigabytes", "find . -size +2048M"),
    ("run backup.sh every day at 3pm", "echo '0 15 * * * backup.sh' | crontab -"),
    ("run backup.sh at 3pm", "echo backup.sh | at 3pm"),
    ("run backup.sh every day at 2am", "echo '0 2 * * * backup.sh' | crontab -"),
    ("run backup.sh every night at 12am", "echo '0 0 * * * backup.sh' | crontab -"),
    ("run cleanup.sh every 5 minutes", "echo '*/5 * * * * cleanup.sh' | crontab -"),
    ("print lines 10 to 20 of data.csv", "head -n 20 data.csv | tail -n 11"),
    ("print lines 10 to 20 of data.csv", "sed -n '10,20p' data.csv"),
    ("show the top 5 processes by memory", "ps aux --sort=-%mem | head -n 6"),
    ("skip the first 3 lines of data.csv", "tail -n +4 data.csv"),
    ("show the last 10 logins on this machine", "last | head"),
    ("undo the last 3 commits but keep the changes", "git reset --soft HEAD~3"),
    ("print the 3rd column of data.csv", "cut -d, -f3 data.csv"),
    ("create a 1GB file called test.img", "fallocate -l 1024M test.img"),  # 0 and 1: left alone
    # a number inside a name, version, address, time, path or option is not an amount
    ("convert song.wav to mp3", "ffmpeg -i song.wav song.mp3"),
    ("tag the current commit as v2.1.0", "git tag v2.1.0"),
    ("ping 10.0.0.5 three times", "ping -c 3 10.0.0.5"),
    ("shut down at 14:30", "shutdown -h 14:30"),
    ("list ~/2024 sorted by size", "ls -S ~/2024"),
    ("encode notes.txt in base64", "base64 notes.txt"),
    ("set up 2fa for ssh", "google-authenticator"),
    ("print 2 to the power of 40", "echo $((2**40))"),
    ("print the current date in ISO 8601 format", "date -Iseconds"),  # a standard's number
    ("print the date as RFC 2822", "date -R"),
    ("list the 5 most recently modified files here", "ls -t | head -n 5"),
    ("list the 5 most recently modified files here", "ls -lt | head -n 6"),
    ("list the 5 newest logs", "ls -lt *.log | head -n 5"),  # files named: no "total" line
    ("list the 5 newest directories", "ls -ldt */ | head -n 5"),
    ("show all but the last 5 entries", "ls -l | head -n -5"),
    # what openssl rand prints for its byte count
    ("generate a random 20 character password", "openssl rand -base64 15"),
    ("generate a random 32 character password", "openssl rand -base64 24"),
    ("make a 32 character random token", "openssl rand -hex 16"),
    ("print the second and fourth columns of report.tsv", "cut -f2,4 report.tsv"),
    ("print the second and fourth columns of report.tsv", "awk '{print $2, $4}' report.tsv"),
    ("sort data.csv by the third column", "sort -t, -k3 data.csv"),
    ("show the second line of a.txt", "sed -n 2p a.txt"),  # a line: not a column's place
    ("wait a second, then list the files", "sleep 1; ls"),
    ("print the second word of the third line", "sed -n 3p f | awk '{print $2}'"),
]  # fmt: skip


@pytest.mark.parametrize(("request_", "command", "says"), CAUGHT)
def test_a_command_without_a_number_the_request_gives_is_caught(
    request_: str, command: str, says: str
) -> None:
    problem = check(request_, command)
    assert problem is not None and says in problem, problem


@pytest.mark.parametrize(("request_", "command"), PASSES)
def test_a_command_that_uses_the_number_or_the_same_amount_passes(
    request_: str, command: str
) -> None:
    assert check(request_, command) is None


def test_no_right_answer_of_the_tuning_half_or_the_fixtures_is_rejected() -> None:
    """The right answers written for basic.yaml and the tuning half (dev-answers.yaml): none may
    be sent back for a number. (The untouched half's answers are not read here: the rule is
    not tuned on them.)"""
    answers = yaml.safe_load((PROMPTS / "dev-answers.yaml").read_text())
    cases = [case for name in ("basic", "dev-tune")
             for case in yaml.safe_load((PROMPTS / f"{name}.yaml").read_text())["test_cases"]]  # fmt: skip
    pairs = [(case["id"], case["prompt"], right) for case in cases
             for right in answers.get(case["id"], {}).get("right", [])]  # fmt: skip
    assert len(pairs) >= 300
    rejected = [(i, r, c, problem) for i, r, c in pairs if (problem := check(r, c))]
    assert not rejected


def test_the_problem_reaches_validate_as_a_detail(tmp_path: Path) -> None:
    require("bash")
    # tail, not docker: every program on the line must be installed, or that is the problem
    problem = validate("tail -f app.log", "bash", str(tmp_path),
                       request="follow app.log, starting from the last 100 lines")  # fmt: skip
    assert problem is not None and problem.kind == "detail"
    assert problem.message == (
        "the request says “the last 100 lines”, and the command does not use 100"
    )


def test_the_retry_is_told_the_number_and_its_answer_is_taken(tmp_path: Path) -> None:
    """A scripted backend stands in for the model (the retry path is what is tested): the first
    answer leaves out the count, the second has it."""
    require("bash")
    backend = ScriptedBackend("env", "cat /proc/2001/environ | tr '\\0' '\\n'")
    context = Context(shell="bash", os_name="Linux", cwd=str(tmp_path))
    result = generate("show the environment variables of process 2001", Config(), backend, context)
    assert result.command == "cat /proc/2001/environ | tr '\\0' '\\n'"
    assert (
        result.retry_reason
        == "the request says “of process 2001”, and the command does not use 2001"
    )
    assert result.problem is None
