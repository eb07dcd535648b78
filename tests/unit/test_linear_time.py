"""No text a user types or a model writes can stall the helper: every check that reads it
finishes quickly on 10,000-character adversarial inputs. Run in a subprocess with a deadline,
so a regression fails (exponential backtracking took minutes at 30 characters) instead of
hanging the suite. The deadline is generous: all of them take 10 to 20 seconds on 2 cores."""

from __future__ import annotations

import subprocess
import sys

N = 10_000
ADVERSARIAL = [
    "/" + "a" * N + "*",
    "list the files in /var/log/" + "nginx_access_archive_" * (N // 21) + "*",
    "~/" + "a/" * (N // 2) + "*",
    "/" + "a." * (N // 2) + "!x",
    "(" * N,
    "$(" * (N // 2),
    '"' * N,
    "`" * (N - 1),
    "\\" * N,
    "'" * N,
    " -" * (N // 2),
    "rm " + "-rf " * (N // 4),
    "a;" * (N // 2),
    "x|" * (N // 2),
    "#" * N,
    "```" + "\n" * N,
    "$(echo" + " " * N,  # the rewrites of normalize.py
    "{" + "a," * (N // 2),
    "a=" * (N // 2),
    "set " + "x " * (N // 2),
    "curl -F " + "f=@" * (N // 3),
    "python -c '" + "os.system(" * (N // 10),
    "/.ssh" * (N // 5),
    "echo '" + "rm -rf ~ | bash " * (N // 16) + "' | bash",
    "<<a\n" * (N // 4),  # here-documents (commandline.py)
    "cat <<a " * (N // 8) + "\n" + "a\n" * (N // 8),
    "$((" * (N // 3),
    "`" + "\\`" * (N // 2),
    "$'" + "\\'" * (N // 2),
    "a #\n" * (N // 4),
    "$(case " * (N // 7),  # `case` inside $( ) (its `esac` never comes)
    "$(" + " " * N + "case" + " " * N + "case",
    "&&(" * (N // 3),  # operator runs cut into operators
    "((" + " x" * (N // 2),
    "a 2>&1 " * (N // 7),  # descriptors joined to their redirection
    "2 > " * (N // 4),
    "$(${x:-)" * (N // 7),  # parameter expansions inside substitutions
    "${" * (N // 2),
    "grep " + "[A" * (N // 2),  # bracket expressions (asked_options.py)
    "wait " + "1" * N + " minutes",
    "follow the " * (N // 11) + "logs",
    "list the files " * (N // 15) + "that contain",
    "scp using port " + "22 " * (N // 3),
    "touch -t " + "12" * (N // 2) + "x",
    "top -" + "a" * N + " | head",
    "psql -c 'DELETE FROM " + "a" * N + " x'",  # the administration rules (safety/admin.py)
    "psql -c 'UPDATE " + "a " * (N // 2) + "'",
    "pkill '" + "^." * (N // 2) + "'",
    "aws s3api delete-" + "a-" * (N // 2),
    "mongosh --eval 'deleteMany({" + " " * N + "'",
    "setcap cap_" + "_" * N,
    "Remove-Item -Recurse HKLM:" + "\\a" * (N // 2),  # Windows rules (safety/windows.py)
    "Remove-Item -Recurse C:\\" + "Windows\\" * (N // 8),
    "Set-NetFirewallProfile " + "-En " * (N // 4),
    "show the last " + "1" * N + "x lines",  # the numbers of a request (request_numbers.py)
    "lines " + "10 to " * (N // 6) + "20",
    "wait " + "5 " * (N // 2) + "minutes",
    "processes named " * (N // 16) + "x",  # the details of a request (request_details.py)
    "except the last " * (N // 16) + "3",
    "chmod " + "-x," * (N // 3) + " f",
    "tail -n +4 " + "-n " * (N // 3),
    "find -exec " * (N // 11) + "| xargs",  # commands run by commands (commandline.py)
    "eval " * (N // 5) + "rm -rf /",
    "sh -c " * (N // 6),
]

PROGRAM = """
import sys
from cmdai.commandline import parse
from cmdai.prompting import clean_reply
from cmdai.safety import classify
from cmdai import asked_options, request_details, request_numbers, usage_check
from cmdai.validate import check_named_places
from tests.unit.test_linear_time import ADVERSARIAL
for text in ADVERSARIAL:
    check_named_places(text, text)
    asked_options.check(text, text)
    request_numbers.check(text, text)
    request_details.check(text, text)
    usage_check.check(text)
    classify(text, "bash")
    classify(text, "powershell")
    parse(text)
    try:
        clean_reply(text)
    except Exception:  # GenerationError: no command in it; only the time matters
        pass
print("done")
"""


def test_checks_on_user_and_model_text_take_linear_time() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == "done\n"
