"""The option check against this machine's real man pages (man-db and the pages of coreutils,
findutils, grep, sed, tar, git, openssh, curl, procps… which .ci/run makes sure of): real
options pass however they are spelled, invented ones are named, programs without docs are not
checked."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from cmdai import option_check
from cmdai.validate import validate

# Skipped only off CI: .ci/run installs man-db, and there a missing `man` must fail loudly.
pytestmark = pytest.mark.skipif(
    shutil.which("man") is None and not os.environ.get("CI"), reason="man-db is not installed"
)
PROMPTS = Path(__file__).resolve().parents[1] / "fixtures" / "prompts"

VALID = [
    "ls -la",
    "ls -lhS",
    "ls -l --sort=size",
    "ls --all --human-readable",
    "ls -1 --color=never",
    "cp -r src dst",
    "cp --preserve=mode,timestamps a b",
    "mv -n a b",
    "du -sh --max-depth=1",
    "du -h -d 1 | sort -rh",
    "df -hT",
    "sort -k2,2n -t, data.csv",
    "sort -u -o out.txt in.txt",
    "uniq -c",
    "cut -d, -f1-3 a.csv",
    "cut -d: -f1 /etc/passwd",
    "tr -d '\\r'",
    "head -n5 notes.txt",
    "head -20 notes.txt",
    "tail -f -n 100 app.log",
    "wc -l README.md",
    "date -d '-1 day' +%F",
    "date -Iseconds",
    # `-I[FMT]`: an optional value, only ever attached; the rest of the word is it
    "date -Ihours",
    "date -Ins",
    "date -Iminutes",
    "sed -ibak 's/a/b/' f",
    "date --iso-8601=seconds",
    "ln -sfn target link",
    "chmod -R 755 public",
    "chmod -x script.sh",
    "comm -12 a.txt b.txt",
    "diff -ruN old new",
    "tee -a log.txt",
    "grep -rn --include='*.py' TODO .",
    "grep -Po '\\d+' file",
    "grep -e -v file",
    "grep --count error app.log",
    "sed -i.bak 's/a/b/' f",
    "sed -n '5p' notes.txt",
    "find . -name '*.py' -mtime -7",
    "find . -type f -size +100M -exec ls -lh {} +",
    "find . -name '*.pyc' -exec rm -f {} \\;",
    "find -L . -type l",
    "find . -maxdepth 1 -newermt '2024-01-01' -print0 | xargs -0 -n1 echo",
    "xargs -I{} cp {} /tmp",
    "tar -czvf logs.tar.gz logs",
    "tar --exclude='*.o' -cf a.tar dir",
    "tar xzf archive.tar.gz",
    "gzip -k big.log",
    "git reset --soft HEAD~1",
    "git log --oneline -5",
    "git status --porcelain",
    "git stash push --include-untracked",
    "git commit -am 'fix: typo'",
    "git push --force-with-lease origin main",
    "git diff --cached --stat",
    "git -C repo status",
    "git -C ~/src/app log --oneline -n 5",
    "git -c color.ui=never --no-pager diff --stat",
    "ssh -L 8080:localhost:80 web1",
    "ssh -N -L8080:localhost:80 web1",
    "ssh -p 2222 -i ~/.ssh/id_ed25519 user@host",
    "ssh web1 df -h --output=pcent",  # the remote command's options are not ssh's
    "strace -f -p 1234",
    "strace -f make -j4",
    "watch -n 2 ls -lh big.log",
    "timeout 30s ./long_task --fast",
    "scp -P 2222 -r dir host:/srv",
    "curl -sSL -o out.html https://example.com",
    "curl -X POST -H 'Content-Type: application/json' -d '{}' http://localhost:8080",
    "ps -ef",
    "ps aux --sort=-%mem",
    "kill -HUP 1234",
    "kill -9 1234",
    "head -5 notes.txt",  # the old count: a number there
    "ls -1 /etc",  # a digit ls lists as an option
    "touch -d -1day stamp",
    "awk -F: '{print $1}' /etc/passwd",
    "grep -- -v file",
    "ls -l -- -weird-name",
    "frobnicate-xyz --no-such-option",
    "perl -pi -e 's/foo/bar/g' config.txt",  # perl(1) does not list its switches: perlrun(1)
    "python3 -m http.server 9000 --bind 127.0.0.1",  # the module's options
    "openssl x509 -enddate -noout -in cert.pem",  # openssl-x509(1ssl)
    "openssl rand -hex 32",
    "cmdai --definitely-not-an-option",
]

INVENTED = [
    ("git reset --config.yaml", "`git reset` has no option `--config.yaml`"),
    # after global options, on the subcommand's page (the global options are not checked)
    ("git -C repo reset --config.yaml", "`git reset` has no option `--config.yaml`"),
    ("ls --colour=sometimes /nonexistent", "`ls` has no option `--colour`"),
    ("ls -lQz", "`ls` has no option `-z` (in `-lQz`)"),
    ("ssh -Z host", "`ssh` has no option `-Z`"),
    ("grep --recursivly TODO .", "`grep` has no option `--recursivly`"),
    ("tar -czvf out.tgz --gzipped dir", "`tar` has no option `--gzipped`"),
    ("uniq --count-all f", "`uniq` has no option `--count-all`"),
    ("openssl x509 -in cert.pem -expiry", "`openssl x509` has no option `-expiry`"),
    ("find . -nmae notes.txt", "`find` has no option `-nmae`"),
    ("du --depth=1", "`du` has no option `--depth`"),
    ("sort --column=2 f", "`sort` has no option `--column`"),
    ("git log --since-days=3", "`git log` has no option `--since-days`"),
    ("git stash --untracked-files", "`git stash` has no option `--untracked-files`"),
    ("head --count=5 f", "`head` has no option `--count`"),
    ("cut -j1 f", "`cut` has no option `-j`"),
    ("date -QIns", "`date` has no option `-Q` (in `-QIns`)"),  # the letter before -I still counts
    ("wc --words-only f", "`wc` has no option `--words-only`"),
    ("curl --json-body x http://h", "`curl` has no option `--json-body`"),
    # a dashed number, where the program takes only files: `wc: invalid option -- '1'`
    ("ps --no-headers -u postgres | wc -l -1", "`wc` has no option `-1`"),
    ("cat -5 notes.txt", "`cat` has no option `-5`"),
]


@pytest.mark.parametrize("command", VALID)
def test_real_options_pass(command: str) -> None:
    assert option_check.check(command) is None


@pytest.mark.parametrize(("command", "problem"), INVENTED)
def test_invented_options_are_named(command: str, problem: str) -> None:
    assert option_check.check(command) == problem


def test_the_table_is_large_enough() -> None:
    assert len(VALID) + len(INVENTED) >= 60


def test_an_invented_option_feeds_the_retry_as_an_option_problem() -> None:
    problem = validate("git reset --config.yaml", "bash", "/tmp")
    assert problem is not None and problem.kind == "option"
    assert problem.message == "`git reset` has no option `--config.yaml`"


def test_each_page_is_read_once_per_process() -> None:
    option_check.doc_for.cache_clear()
    option_check.check("ls -la")
    option_check.check("ls -lh")
    assert option_check.doc_for.cache_info().misses == 1


def test_no_right_answer_of_the_dev_set_is_rejected() -> None:
    """700-odd real commands written as right answers (tests/fixtures/prompts/dev-answers.yaml):
    the check must not turn a single one into a retry."""
    answers = yaml.safe_load((PROMPTS / "dev-answers.yaml").read_text())
    commands = [command for case in answers.values() for command in case["right"]]
    assert len(commands) >= 600
    assert [(c, option_check.check(c)) for c in commands if option_check.check(c)] == []


def test_an_example_in_a_page_does_not_give_its_options_values() -> None:
    """ssh(1) shows `dig -t SSHFP host.example.com` in an example line: ssh's own -t takes no
    value, so in `ssh -t web1 htop` the host is web1 (a runner's reading stops after it)."""
    doc = option_check.doc_for("ssh")
    assert doc is not None and "t" not in doc.valued
    assert option_check.operands("ssh", ["-t", "web1", "htop"], doc) == ["web1"]
    assert option_check.operands("ssh", ["-p", "2022", "-i", "key", "nas", "df"], doc) == ["nas"]


def test_a_value_set_in_italics_by_a_font_macro_is_read() -> None:
    """A page may set a value in italics with a font macro line (`.BI \\-I " replace-str"`,
    procps and findutils do) instead of an inline font change: the value is read all the
    same, and the roman and bold macros only join their words."""
    page = (
        '.TP\n.BI \\-w " width"\nWrap at width.\n.TP\n.B \\-q\nQuiet.\n'
        '.TP\n.BR \\-v ", " \\-\\-verbose\nSay more.\n.TP\n.BI \\-\\-log= file\nLog to file.\n'
        ".TP\n.B \\-o\n.I output\nWrite to output.\n"
    )
    doc = option_check.parse_roff(page)
    assert doc.valued == {"w", "--log", "o"}
    assert {"v", "q"} <= doc.shorts and "--verbose" in doc.longs
    xargs, ps = option_check.doc_for("xargs"), option_check.doc_for("ps")
    assert xargs is not None and {"I", "a", "d", "n", "P"} <= xargs.valued
    read = option_check.operands("xargs", ["-I", "{}", "cp", "{}", "/b"], xargs)
    assert read == ["cp", "{}", "/b"]
    assert ps is not None and {"C", "o", "p", "u"} <= ps.valued
    assert option_check.operands("ps", ["-C", "nginx", "-o", "pid,rss"], ps) == []
