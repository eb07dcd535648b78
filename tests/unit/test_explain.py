"""`cmdai explain` against this machine's real man pages (man-db and the pages of coreutils,
findutils, grep, sed, tar, git, openssh, curl, procps, iproute2, jq, gzip, which .ci/run makes
sure of): each row is a command and text its explanation must hold (indented as it is shown),
word for word as the local documentation has it, so nothing is invented."""

from __future__ import annotations

import os
import shutil

import pytest

from cmdai import manpage
from cmdai.commandline import Step, steps
from cmdai.explain import explain, redirect_words
from tests.helpers.cli import run_cli

pytestmark = pytest.mark.skipif(
    shutil.which("man") is None and not os.environ.get("CI"), reason="man-db is not installed"
)

TABLE: list[tuple[str, list[str]]] = [
    # programs and clustered short options
    ("ls -lah /etc", ["ls: list directory contents", "  -l  use a long listing format",
                      "  -a  do not ignore entries starting with .",
                      "  -h  with -l and -s, print sizes like 1K 234M 2G etc"]),
    ("tar -xzvf backup.tar.gz -C /opt", ["tar: an archiving utility",
                                         "  -x  Extract files from an archive",
                                         "  -f backup.tar.gz  Use archive file or device ARCHIVE",
                                         "  -C /opt  Change to DIR before performing any operations"]),
    ("ls -1", ["  -1  list one file per line"]),
    ("ps -eo pid,comm", ["  -e  Select all processes", "  -o pid,comm  User-defined format"]),
    ("ps aux", ["  a  Lift the BSD-style \"only yourself\" restriction",  # BSD options: no dash
                "  u  Display user-oriented format", "  x  Lift the BSD-style \"must have a tty\""]),
    ("du -sh .", ["du: estimate file space usage", "  -s  display only a total for each argument"]),
    ("sed -n '5,10p' app.log", ["sed: stream editor for filtering and transforming text",
                                "  -n  suppress automatic printing of pattern space"]),
    ("cut -d, -f1-3 a.csv", ["  -d ,  use DELIM instead of TAB for field delimiter",
                             "  -f 1-3  select only these fields"]),
    ("make -j4", ["  -j 4  Specifies the number of jobs (commands) to run simultaneously"]),
    # long options, with values given with = or as the next word, and optional values
    ("du --max-depth=1 --human-readable", ["  --max-depth 1  print the total for a directory",
                                          "  --human-readable  print sizes in human readable"]),
    ("curl --silent --output page.html https://example.com",
     ["curl: transfer a URL", "  --silent  Silent or quiet mode",
      "  --output page.html  Write output to <file> instead of stdout"]),
    ("grep -rn --include='*.py' TODO src", ["  --include '*.py'  Search only files whose base name"]),
    ("diff -u old.txt new.txt", ["  -u  output NUM (default 3) lines of unified context"]),
    ("sed -i 's/a/b/' f.txt", ["  -i  edit files in place (makes backup if SUFFIX supplied)"]),
    # single-dash words
    ("find . -name '*.py' -mtime -7", ["find: search for files in a directory hierarchy",
                                       "  -name '*.py'  Base of file name",
                                       "  -mtime -7  File's data was last modified"]),
    # subcommands with their own pages: git, and iproute2's `ip address` (docker-style)
    ("git reset --soft HEAD~1", ["git reset: Reset current HEAD to the specified state",
                                 "  --soft  Does not touch the index file or the working tree"]),
    ("git log --oneline -n 5 --author=ana", ["git log: Show commit logs",
                                             "  -n 5  Limit the number of commits to output",
                                             "  --author ana  Limit the commits output to ones"]),
    # global options before the subcommand, from the program's own page
    ("git -C repo log --oneline", ["git log: Show commit logs",
                                   "  -C repo  Run as if git was started in <path>",
                                   "  --oneline  This is a shorthand for"]),
    ("git stash push -u", ["git stash: Stash the changes in a dirty working directory away",
                           "  -u  When used with the push and save commands, all untracked"]),
    ("ip address show", ["ip address: protocol address management"]),
    # mdoc pages (OpenBSD's ssh)
    ("ssh -N -L 9000:intranet.lan:80 gw.example.com",
     ["ssh: OpenSSH remote login client", "  -N  Do not execute a remote command",
      "  -L 9000:intranet.lan:80  Specifies that connections to the given TCP port"]),
    # pipes and the other joins
    ("ps aux | grep -v grep | grep nginx",
     ["ps: report a snapshot of the current processes", "│ its output is the input of:",
      "  -v  Invert the sense of matching, to select non-matching lines"]),
    ("cd src && make || echo failed", ["cd: shell builtin: changes the current directory",
                                       "then, only if that succeeded:",
                                       "make: GNU make utility to maintain groups of programs",
                                       "then, only if that failed:"]),
    ("sleep 1; date -u", ["then:", "  -u  print or set Coordinated Universal Time (UTC)"]),
    # redirections
    ("find / -perm -4000 2>/dev/null", ["  2>/dev/null  error messages are thrown away"]),
    ("sort data.txt > sorted.txt 2>&1",
     ["  >sorted.txt  the output is written to sorted.txt, replacing what it held",
      "  2>&1  error messages go where the output goes"]),
    ("date >> log.txt", ["  >>log.txt  the output is appended to log.txt"]),
    ("echo oops >&2", ["  >&2  the output goes to the error stream"]),
    ("wc -l < notes.txt", ["  <notes.txt  reads its input from notes.txt"]),
    ("cat <<EOF > notes.txt\nhello; world\nEOF",
     ["  <<EOF  reads the lines that follow, up to EOF, as its input", "  >notes.txt  the output"]),
    # wrappers: sudo (no page on a minimal system: its role still said), xargs, env, find -exec
    ("sudo tar -xzf a.tgz", ["runs the command below as root (or the user given with -u)",
                             "  tar: an archiving utility", "    -x  Extract files"]),
    ("xargs -0 -n 1 echo", ["xargs: build and execute command lines from standard input; runs "
                            "the command below with the words it reads from its input as "
                            "arguments", "  -0  Input items are terminated by a null character",
                            "  -n 1  Use at most max-args arguments per command line",
                            "  echo: display a line of text"]),
    # signals, by number, name or -s: what they do to the process (kill's page lists none)
    ("kill -9 4242", ["kill: send a signal to a process", "  -9  sends signal KILL (9): ends "
                      "the process at once; it cannot clean up or refuse"]),
    ("killall -s SIGSTOP vlc", ["  -s SIGSTOP  sends signal STOP (19): stops (pauses)"]),
    ("pkill -HUP nginx", ["  -HUP  sends signal HUP (1): hang up; many services reload"]),
    ("kill 4242", ["  (no signal given: sends TERM (15): asks the process to end"]),
    ("pkill -9 -U alice", ["  -9  sends signal KILL (9)", "  -U alice  Only match processes"]),
    # find's page has an entry for each form of -exec; a quoted `;` is a word, not a separator
    ("find . -name '*.log' -mtime +7 -exec rm -f {} +",
     ["  -exec … +  This variant of the -exec action runs the specified command on the selected "
      "files", "    rm: remove files or directories", "      -f  ignore nonexistent files"]),
    ("find . -name '*.tmp' -exec rm {} \\; -print",
     ["  -exec … ;  Execute command; true if 0 status is returned",
      "    rm: remove files or directories", "  -print  True; print the full file name"]),
    ("find . -exec grep -l TODO {} ';' | wc -l",
     ["  -exec … ;  Execute command", "      -l  Suppress normal output",
      "│ its output is the input of:", "wc: print newline, word, and byte counts"]),
    ("env LC_ALL=C sort -u names.txt", ["  LC_ALL=C  sets LC_ALL for this command",
                                        "  sort: sort lines of text files"]),
    ("LC_ALL=C ls", ["LC_ALL=C  sets LC_ALL for this command", "ls: list directory contents"]),
    ("timeout 5 sleep 10", ["runs the command below and stops it after the given time",
                            "  sleep: delay for a specified amount of time"]),
    # command substitution
    ("echo $(date +%F)", ["$( date +%F ) runs first; its output becomes part of the line:",
                          "  date: print or set the system date and time"]),
    # the safety verdict
    ("rm -rf /", ["  -r  remove directories and their contents recursively",
                  "risk: critical (recursive delete of the root directory)"]),
    ("chmod -R 777 /var/www", ["chmod: change file mode bits", "risk: high"]),
    ("ls", ["risk: safe (no known risk)"]),
    # what the docs do not cover
    ("frobnicate --fast", ["frobnicate: not installed here, and no documentation on this machine"]),
    ("ls --colour=sometimes /nonexistent",
     ["  --colour sometimes  is not in the ls manual on this machine: check it"]),
    ("ls -lQz", ["  -z  is not in the ls manual on this machine: check it"]),
    ("jq -r .name data.json", ["jq: Command-line JSON processor",
                               "  -r  With this option, if the filter's result is a string"]),
]  # fmt: skip


@pytest.mark.parametrize(("command", "expected"), TABLE, ids=[row[0] for row in TABLE])
def test_explains_from_the_local_man_pages(command: str, expected: list[str]) -> None:
    rendered = explain(command).render().splitlines()
    for line in expected:
        assert any(line in shown for shown in rendered), (
            f"{line!r} not in the explanation of {command!r}:\n" + "\n".join(rendered)
        )


def test_the_table_covers_what_the_issue_asks_for() -> None:
    assert len(TABLE) >= 30


def test_a_program_without_docs_is_named_as_undocumented() -> None:
    found = explain("frobnicate --fast | sort")
    assert found.undocumented == ("frobnicate",)
    assert found.render().splitlines()[-2:] == [
        "risk: safe (no known risk)",
        "no documentation here for frobnicate: `cmdai explain --model-explain` asks the model",
    ]
    assert "model-explain" not in found.render(offer_model=False)


def test_powershell_gets_the_verdict_and_says_why_nothing_more() -> None:
    found = explain("Remove-Item -Recurse -Force C:\\", "powershell")
    assert found.risk == "critical"
    assert "no man pages" in found.lines[0]


def test_pages_give_summaries_and_option_sentences() -> None:
    page = manpage.page_for("grep")
    assert page is not None
    assert page.summary == "print lines that match patterns"
    assert page.options["-l"] == page.options["--files-with-matches"]
    assert page.options["-l"].startswith("Suppress normal output")
    assert {"-e", "--regexp", "-A"} <= page.valued and "-l" not in page.valued
    assert manpage.page_for("no-such-program-cmdai") is None


@pytest.mark.parametrize(
    ("text", "first"),
    [("do not ignore entries starting with .", "do not ignore entries starting with ."),
     ("Resets the index. Then more.", "Resets the index"),
     ("print sizes (e.g., 1K 234M 2G). More", "print sizes (e.g., 1K 234M 2G)"),
     ("x" * 200, "x" * 109 + "…")],
)  # fmt: skip
def test_a_description_is_its_first_sentence(text: str, first: str) -> None:
    assert manpage.sentence(text) == first


def test_steps_keep_the_joins_and_the_redirections_with_their_descriptors() -> None:
    found, substitutions = steps("ls -l 2>/dev/null >>log && echo ok | wc -l; cat <in $(pwd)")
    assert found == [
        Step(["ls", "-l"], [("2>", "/dev/null"), (">>", "log")], "&&"),
        Step(["echo", "ok"], [], "|"),
        Step(["wc", "-l"], [], ";", piped=True),
        Step(["cat"], [("<", "in")], ""),
    ]
    assert substitutions == ["pwd"]
    assert steps("ls 2 > x")[0] == [Step(["ls", "2"], [(">", "x")], "")]  # 2 is a file name


@pytest.mark.parametrize(
    ("operator", "target", "words"),
    [("2>", "/dev/null", "error messages are thrown away"),
     ("&>", "all.log", "the output and error messages are written to all.log, replacing what it held"),
     ("<<<", "hi", "reads this text as its input"),
     (">&2", "", "the output goes to the error stream")],
)  # fmt: skip
def test_redirections_in_words(operator: str, target: str, words: str) -> None:
    assert redirect_words(operator, target) == words


def test_cmdai_explain_prints_it_and_json_carries_the_same() -> None:
    done = run_cli("explain", "tar -xzvf backup.tar.gz -C /opt")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "tar: an archiving utility"
    assert done.stdout.rstrip().endswith("risk: moderate (writes an archive or extracts files)")
    done = run_cli("explain", "--json", "rm -rf ~")
    assert '"risk": "critical"' in done.stdout and done.returncode == 0


def test_a_signal_is_said_once_and_not_for_a_listing() -> None:
    rendered = explain("kill -9 4242").render()
    assert rendered.count("-9  ") == 1  # not again as an option "without a description"
    assert "sends" not in explain("kill -l").render()
    # pkill's -n (the newest) and -U (a user) are options, not signals
    assert "sends signal" not in explain("pkill -n -U alice firefox").render()
    rendered = explain("kill --signal=USR1 4242").render()
    assert "--signal=USR1  sends signal USR1 (10)" in rendered and rendered.count("--signal") == 1


@pytest.mark.parametrize("line", ["echo \\\\; rm -rf /tmp/x", "echo 'x';'rm' -rf /tmp/x"])
def test_a_real_separator_next_to_quotes_or_backslashes_still_separates(line: str) -> None:
    """Only a quoted or escaped `;` is a word: an escaped backslash before `;`, or quotes
    closed and reopened around it, leave a real separator, and the command after it shown."""
    assert "rm: remove files or directories" in explain(line).render()
