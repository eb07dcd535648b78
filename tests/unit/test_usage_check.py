"""The usage checks: operands a program cannot do without, and where its input comes from.
Option values are read from this machine's real man pages (as in test_option_check), through
`validate()` with the real bash parser and PATH, and through the retry with ScriptedBackend (a
documented test double for the model)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from cmdai.config import Config
from cmdai.generate import generate
from cmdai.option_check import doc_for, operands
from cmdai.prompting import Context
from cmdai.usage_check import (
    _GREP_WITHOUT_PAGE,
    check,
    check_counted_ps_header,
    check_counted_total_line,
    check_date_iso_format,
    check_echoed_sum,
    check_endless_dd,
    check_find_exec_end,
    check_find_exec_piped,
    check_find_late_option,
    check_find_start,
    check_grep_alternation,
    check_human_sizes_as_numbers,
    check_ignored_input,
    check_numeric_sort,
    check_operands,
    check_piped_grep,
    check_sized_start,
    check_ssh_destination,
    check_sudoers_editor,
    check_terminal_input,
    check_top_in_pipe,
    check_touch_stamp,
    check_unpacked_to_disk,
)
from cmdai.validate import validate
from tests.helpers.scripted import ScriptedBackend
from tests.helpers.shells import require

# For the tests that read option values from man pages. Skipped only off CI: .ci/run installs
# man-db, and there a missing `man` must fail loudly.
needs_man = pytest.mark.skipif(
    shutil.which("man") is None and not os.environ.get("CI"), reason="man-db is not installed"
)
PROMPTS = Path(__file__).resolve().parents[1] / "fixtures" / "prompts"

# --- operands ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "message"),
    [("pkill -9", "`pkill` needs a process name or pattern"),
     ("kill -9", "`kill` needs a process id"),
     ("chmod +x", "`chmod` needs a mode and a file"),
     ("chmod -x", "`chmod` needs a mode and a file"),
     ("mv notes.txt", "`mv` needs a source and a target"),
     ("ls && chown alice", "`chown` needs an owner and a file")],
)  # fmt: skip
def test_a_command_that_would_only_print_its_usage_is_caught(command: str, message: str) -> None:
    assert check_operands(command) == message


@pytest.mark.parametrize(
    "command",
    ["pkill -9 sleep", "pkill -u alice", "kill -l", "kill -9 $(pgrep x)", "kill %1",
     "pgrep -f 'python app.py' | xargs kill", "chmod -R u+x bin", "cp -r src dst",
     "ps aux | xargs kill -9", "git mv a b", "chmod -x deploy.sh", "chmod -R -w shared",
     "chmod --reference=a.txt b.txt", "cp -t /backup a.txt", "killall -u bob",
     "pgrep -u root sshd", "kill -s TERM 1234", "mv --target-directory=/srv/old a b"],
)  # fmt: skip
def test_complete_commands_pass_the_operand_check(command: str) -> None:
    assert check_operands(command) is None


@needs_man
@pytest.mark.parametrize(
    ("command", "message"),
    [("kill -s TERM", "`kill` needs a process id"),
     ("pkill --signal TERM", "`pkill` needs a process name or pattern"),
     ("killall -s HUP", "`killall` needs a process name"),
     ("cp -t /backup", "`cp` needs a source and a target")],
)  # fmt: skip
def test_an_option_value_is_not_taken_for_an_operand(command: str, message: str) -> None:
    """TERM is the value of -s, /backup of -t: read from the page, they are not operands."""
    assert check_operands(command) == message


# --- a grep after a pipe ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "file"),
    [("history | grep docker run", "run"),
     ("ps -ef | grep gunicorn app:main", "app:main"),
     ("ps aux | grep -iA3 nginx worker", "worker"),
     ("cat x | grep -e foo notes.txt", "notes.txt"),
     ("cat x | grep --context=2 foo bar", "bar"),
     ("cat x | grep -- -v f", "f"),
     ("dmesg | egrep usb error", "error"),
     ("cat logs.gz | zgrep -A 2 disk full", "full")],
)  # fmt: skip
def test_a_grep_after_a_pipe_given_files_is_caught(command: str, file: str) -> None:
    problem = check_piped_grep(command)
    assert problem is not None and f"after a pipe reads the file {file} instead" in problem


@pytest.mark.parametrize(
    "command",
    ["history | grep 'docker run'", 'history | grep "docker run"', "ps aux | grep -A 3 nginx",
     "ps aux | grep -iA 3 nginx", "cat x | grep -e foo -e bar", "cat x | grep -f patterns.txt",
     "cat x | grep --context 2 foo", "cat x | grep foo -", "cat x | grep -- -v",
     "find . -name '*.py' | xargs grep TODO", "grep TODO a.py b.py", "grep -r TODO src | wc -l",
     "ps aux | grep -v grep | grep -m 1 nginx"],
)  # fmt: skip
def test_a_grep_that_reads_its_input_passes(command: str) -> None:
    assert check_piped_grep(command) is None


@needs_man
def test_grep_is_read_alike_with_and_without_its_page() -> None:
    """The fallback for a machine without grep's page reads option values as the page does."""
    page = doc_for("grep")
    assert page is not None
    for args in (["-iA", "3", "x", "f"], ["--context", "2", "x"], ["-e", "a", "-m1", "f"],
                 ["-rn", "--include", "*.py", "TODO", "src"], ["-C2", "x", "-", "f"]):  # fmt: skip
        assert operands("grep", args, page) == operands("grep", args, _GREP_WITHOUT_PAGE)


# --- a program that does not read its input ---------------------------------------------------


@pytest.mark.parametrize(
    ("command", "program", "source"),
    [("find . -name '*.tmp' | rm", "rm", "find"),
     ("find . -name '*.tmp' | rm -f", "rm", "find"),
     ("ls *.bak | sudo rm", "rm", "ls"),
     ("pgrep node | kill", "kill", "pgrep"),
     ("cat dirs.txt | mkdir -p", "mkdir", "cat"),
     ("find . -type f | du -sh", "du", "find"),
     ("git ls-files | cp /backup", "cp", "git"),
     ("ls | echo", "echo", "ls"),
     ("$list_cmd | rm", "rm", "$list_cmd")],
)  # fmt: skip
def test_a_program_that_ignores_its_pipe_is_caught(command: str, program: str, source: str) -> None:
    assert check_ignored_input(command) == (
        f"`{program}` does not read its input, so what `{source}` writes is lost; "
        f"`xargs {program}` gives it as arguments"
    )


@pytest.mark.parametrize(
    "command",
    ["echo '0 2 * * * /usr/local/bin/backup.sh' | crontab -e",
     "crontab -l | crontab -e", "crontab -e < jobs.txt"],
)  # fmt: skip
def test_crontab_e_fed_its_jobs_is_caught(command: str) -> None:
    problem = check_ignored_input(command)
    assert problem is not None and problem.startswith("`crontab -e` opens an editor")


@pytest.mark.parametrize(
    "command",
    ["find . -name '*.tmp' | xargs rm", "find . -print0 | xargs -0 rm -f",
     "find . -name '*.tmp' | parallel rm", "yes | rm -i *.tmp", "echo y | cp -i a b",
     "find . -print0 | du -ch --files0-from=-", "echo 2024-01-01 | date -f -",
     "curl -s https://example.com/x | cp /dev/stdin x", "echo secret | sudo -S rm /tmp/lock",
     "find . -name '*.tmp' | while read -r f; do rm \"$f\"; done",
     "(crontab -l; echo '0 2 * * * /x') | crontab -", "crontab -l | sort | crontab -",
     "ls | wc -l", "crontab -e", "rm -f a.tmp && ls"],
)  # fmt: skip
def test_a_program_that_reads_its_pipe_passes(command: str) -> None:
    assert check_ignored_input(command) is None


# --- a line that waits for the terminal -------------------------------------------------------


@needs_man
@pytest.mark.parametrize(
    ("command", "program"),
    [("xargs -I {} cp files.txt {} /backup", "xargs"), ("xargs -n 1 rm", "xargs"),
     ("uniq -d", "uniq"), ("sort -u", "sort"), ("wc -l", "wc"), ("head -n 5", "head"),
     ("tail -f", "tail"), ("cut -d , -f 1", "cut"), ("grep -n", "grep"), ("grep -c ERROR", "grep"),
     ("grep -A 3 ERROR", "grep"), ("zgrep -C 2 ERROR", "zgrep"), ("sed -n 1p", "sed"), ("sed -i s/a/b/", "sed"),
     ("base64 -d", "base64"), ("sha256sum -c", "sha256sum"), ("xxd -r -p", "xxd"),
     ("sort -k 2 | uniq -c", "sort"), ("cd src && grep -n TODO", "grep"),
     ("ls | sort; wc -l", "wc"), ("git pull && uniq -d", "uniq")],
)  # fmt: skip
def test_a_line_that_would_wait_for_the_terminal_is_caught(command: str, program: str) -> None:
    assert check_terminal_input(command) == (
        f"`{program}` is given no file and nothing is piped into it, so it would wait for input "
        "from the terminal"
    )


@needs_man
@pytest.mark.parametrize("command", ["tr a-z A-Z", "tr a-z A-Z names.txt", "tr -d '\\r' a.txt"])
def test_tr_without_input_is_caught(command: str) -> None:
    """tr opens no file: given one it fails, given none it waits for the terminal."""
    problem = check_terminal_input(command)
    assert problem is not None and problem.startswith("`tr` reads only its input, never a file")


@needs_man
@pytest.mark.parametrize(
    "command",
    ["xargs -a files.txt -I {} cp {} /backup", "xargs --arg-file=files.txt rm",
     "xargs -I {} cp {} /backup < files.txt", "cat files.txt | xargs -I {} cp {} /backup",
     "uniq -d ids.txt", "sort -u names.txt", "wc -l *.py", "head -n 5 notes.txt",
     "tail -f app.log", "tail -n 20 -f app.log", "cut -d , -f 1 data.csv",
     "tr a-z A-Z < in.txt", "tr -d '\\r' < a > b", "grep -rn TODO", "grep -R TODO",
     "grep -c ERROR app.log", "grep -e foo -e bar notes.txt", "grep -A 3 ERROR app.log",
     "sed -n 1p notes.txt", "sed -e s/a/b/ notes.txt", "sed -i s/a/b/ *.txt",
     "base64 <<< 'hello world'", "sort <<EOF", "sha256sum -c SHA256SUMS", "sort -u <(ls a)",
     "grep TODO $(git ls-files)", "echo hi | base64", "cd src && grep -n TODO notes.txt",
     "(sort -u) < names.txt", "{ sort -u; } < names.txt", "sort --help", "ls | sort",
     "cat > notes.txt", "read -r name", "make || tail -n 20 build.log",
     "ls && (sort -u) < names.txt", "(cd src; ls) | sort", "cat ids | (sort; uniq)",
     "while read f; do echo; sort; done < list", "if true; then sort; fi",
     "ls; and wc -l"],
)  # fmt: skip
def test_a_line_with_its_input_passes(command: str) -> None:
    assert check_terminal_input(command) is None


@needs_man
@pytest.mark.parametrize(
    "command",
    ["awk '{print $1}'", "awk -F: '{print $1}'", "awk 'END { print NR }'", "awk -f sum.awk",
     "awk 'BEGIN { FS = \":\" } { print $1 }'", "awk -v n=2 '{ print $n }'"],
)  # fmt: skip
def test_awk_that_would_wait_for_the_terminal_is_caught(command: str) -> None:
    problem = check_terminal_input(command)
    assert problem is not None and "would wait for input from the terminal" in problem


@needs_man
@pytest.mark.parametrize(
    "command",
    ["awk 'BEGIN { print 2^40 }'", "awk 'BEGIN{print 10/2}'",
     "awk -v n=3 'BEGIN { for (i = 1; i <= n; i++) print \"{\" i \"}\" }'",
     "awk 'function twice(x) { return 2 * x } BEGIN { print twice(21) }'",
     "awk '{print $1}' access.log", "awk -F, '{ s += $2 } END { print s }' sales.csv",
     "awk -f sum.awk data.txt", "ls -l | awk '{ print $5 }'"],
)  # fmt: skip
def test_awk_with_its_input_or_none_needed_passes(command: str) -> None:
    assert check_terminal_input(command) is None


@needs_man
@pytest.mark.parametrize(
    ("command", "words"),
    [(["tail", "-f", "app.log"], ["app.log"]), (["ls", "-F", "src"], ["src"]),
     (["diff", "-u", "a", "b"], ["a", "b"]), (["cp", "--backup", "a", "b"], ["a", "b"])],
)  # fmt: skip
def test_an_option_whose_value_may_only_be_attached_takes_no_word(
    command: list[str], words: list[str]
) -> None:
    """`-f, --follow[=HOW]`: the next word is a file, not the option's value."""
    program, *args = command
    page = doc_for(program)
    assert page is not None and operands(program, args, page) == words


# --- ssh given a place to copy to ---------------------------------------------------------------


@needs_man
@pytest.mark.parametrize(
    ("command", "place"),
    [("ssh -p 2022 user@nas:/volume1/music rsync -avz music/", "user@nas:/volume1/music"),
     ("ssh backup.example.com:/srv/backups", "backup.example.com:/srv/backups"),
     ("ssh -i ~/.ssh/id_ed25519 alice@web1:~/logs ls", "alice@web1:~/logs"),
     ("cd src && ssh -t web1:/var/www", "web1:/var/www")],
)  # fmt: skip
def test_ssh_given_host_and_path_is_caught(command: str, place: str) -> None:
    assert check_ssh_destination(command) == (
        f"`ssh` connects to a host, not to host:path ({place}); scp and rsync copy to host:path"
    )


@needs_man
@pytest.mark.parametrize(
    "command",
    ["ssh web1 df -h", "ssh -p 2022 alice@nas", "ssh -t web1 htop", "ssh -L 8080:localhost:80 db",
     "ssh -J bastion:22 web1", "ssh ssh://alice@nas:2222", "ssh fe80::1", "ssh web1 ls /a:/b",
     "scp report.pdf alice@nas:/srv/", "rsync -e 'ssh -p 2022' -a music/ nas:/volume1/music",
     "ssh -o ProxyCommand='nc -x proxy:1080 %h %p' web1"],
)  # fmt: skip
def test_ssh_to_a_host_passes(command: str) -> None:
    assert check_ssh_destination(command) is None


# --- find given a file as the place to search -----------------------------------------------


@pytest.mark.parametrize(
    ("command", "named"),
    [("find notes.txt", "notes.txt"), ("find . notes.txt", "notes.txt"),
     ("find ~/docs/report.pdf", "~/docs/report.pdf"), ("find -L backup.tar.gz", "backup.tar.gz"),
     ("cd src && find main.py", "main.py"), ("find -D tree -O3 notes.txt", "notes.txt")],
)  # fmt: skip
def test_find_given_a_file_name_to_search_in_is_caught(command: str, named: str) -> None:
    assert check_find_start(command) == (
        f"`find` is given {named} as a place to search, where it finds only that one file: a "
        "name to look for goes after -name"
    )
    assert check(command) == check_find_start(command)


@pytest.mark.parametrize(
    "command",
    ["find . -name notes.txt", "find src", "find /etc/conf.d", "find notes.txt -newer a.txt",
     "find report.pdf -mtime -1", "find . ! -name '*.txt'", "find \\( -name a.c \\)",
     "ls | xargs find a.txt", "find main.c", "find", "find . -type f | grep notes.txt",
     "find -D tree . -name notes.txt"],
)  # fmt: skip
def test_find_given_places_or_tests_passes(command: str) -> None:
    assert check_find_start(command) is None


@pytest.mark.parametrize(
    ("command", "late"),
    [("find . -L -type l -exec test ! -e {} \\;", "-L"), ("find / -name x -P", "-P"),
     ("find . -type l -H", "-H"), ("find . -exec ls -L {} + -L", "-L"),
     ("cd src && find . -L", "-L")],
)  # fmt: skip
def test_find_given_l_after_its_places_is_caught(command: str, late: str) -> None:
    """GNU find stops with "unknown predicate `-L'": -H, -L and -P go before the places to
    search. (The 1.5B model wrote the first one for "find broken links"; the option check
    passes it, since -L is in find's manual.)"""
    message = (f"`find` takes {late} before the places to search (`find {late} . …`); after "
               "them it is an error")  # fmt: skip
    assert check_find_late_option(command) == message
    assert check(command) == message


@pytest.mark.parametrize(
    "command",
    ["find -L . -type l", "find -H /etc -name '*.conf'", "find . -type l -exec ls -L {} \\;",
     "find . -name -L", "find -L", "find . -xtype l", "ls -L", "find -P . -newer a -print"],
)  # fmt: skip
def test_find_with_l_in_its_place_passes(command: str) -> None:
    assert check_find_late_option(command) is None


# --- a numeric sort of lines that start with no number ------------------------------------------

LS_LINES = (
    "`sort` compares the number at the start of each line, and `ls -l` lines start with the "
    "permissions: sort on a field with -k, or let ls sort (-S by size, -t by time)"
)
FIND_LINES = (
    "`sort` compares the number at the start of each line, and `find` prints only paths: print "
    "the number to sort by first (du, -printf)"
)


@pytest.mark.parametrize(
    ("command", "message"),
    [("ls -lh | sort -rh", LS_LINES), ("ls -la /var/log | sort -n -r | head -n 3", LS_LINES),
     ("ls -lt | sort --human-numeric-sort", LS_LINES),
     ("find /var -type f | sort -rh | head -n 10", FIND_LINES),
     ("find . -name '*.log' | sort -g", FIND_LINES)],
)  # fmt: skip
def test_a_numeric_sort_of_lines_without_a_leading_number_is_caught(
    command: str, message: str
) -> None:
    assert check_numeric_sort(command) == message
    assert check(command) == message


@pytest.mark.parametrize(
    "command",
    ["ls -lh | sort -k5 -rh", "ls -l | sort -rhk5", "ls -l | sort --key=5,5n", "ls -ls | sort -n",
     "ls -l | sort", "ls | sort -r", "du -sh * | sort -rh", "find . -exec du -h {} + | sort -rh",
     "find . -printf '%s %p\\n' | sort -n", "find . -type f | sort", "wc -l *.txt | sort -n",
     "sort -n sizes.txt"],
)  # fmt: skip
def test_a_sort_with_numbers_to_compare_passes(command: str) -> None:
    assert check_numeric_sort(command) is None


# --- dd from a device that never ends, with no count= -------------------------------------------


@pytest.mark.parametrize(
    ("command", "source", "target"),
    [("dd if=/dev/zero of=test.img bs=1G status=progress", "/dev/zero", "test.img"),
     ("sudo dd if=/dev/urandom of=/swapfile bs=1M", "/dev/urandom", "/swapfile"),
     ("cd /tmp && dd bs=4k if=/dev/random of=random.bin", "/dev/random", "random.bin")],
)  # fmt: skip
def test_dd_from_an_endless_device_with_no_count_is_caught(
    command: str, source: str, target: str
) -> None:
    assert check_endless_dd(command) == (
        f"`dd` reads {source}, which never ends, and has no count=: it writes {target} until "
        "the disk is full (bs=1M count=1024 writes 1 GiB)"
    )
    assert check(command) == check_endless_dd(command)


@pytest.mark.parametrize(
    "command",
    ["dd if=/dev/zero of=test.img bs=1M count=1024", "dd if=/dev/zero of=test.img bs=1G count=1",
     "dd if=/dev/urandom of=/dev/sdb bs=4M status=progress",  # a wipe: to the device's end
     "dd if=ubuntu.iso of=/dev/sdb bs=4M", "dd if=/dev/zero bs=1M | pv > /dev/null",
     "dd if=/dev/sda of=disk.img bs=4M", "grep 'dd if=/dev/zero of=x' notes.txt"],
)  # fmt: skip
def test_dd_with_an_end_passes(command: str) -> None:
    assert check_endless_dd(command) is None


# --- touch -t given a date that is not in its digits-only form --------------------------------


@pytest.mark.parametrize(
    ("command", "stamp"),
    [("touch -t 2024-01-01 00:00 index.html", "2024-01-01"),
     ("touch -m -t '2024-01-01 00:00' a.txt", "2024-01-01 00:00"),
     ("touch -t2024/01/01 a.txt", "2024/01/01"), ("touch -t 202401011200:00 a.txt", "202401011200:00")],
)  # fmt: skip
def test_touch_t_given_a_written_date_is_caught(command: str, stamp: str) -> None:
    assert check_touch_stamp(command) == (
        "`touch -t` takes the time as [[CC]YY]MMDDhhmm[.ss] in digits (202401010000 is "
        f"2024-01-01 00:00), not {stamp}; -d takes a date as written"
    )
    assert check(command) == check_touch_stamp(command)


@pytest.mark.parametrize(
    "command",
    ["touch -t 202401010000 index.html", "touch -t 2401010000.30 a", "touch -t01011200 a",
     "touch -d '2024-01-01 00:00' index.html", "touch --date=yesterday a", "touch -r a.txt b.txt",
     "touch --time=mtime a"],
)  # fmt: skip
def test_touch_with_a_well_formed_time_passes(command: str) -> None:
    assert check_touch_stamp(command) is None


# --- find -exec with nothing to end its command ----------------------------------------------


@pytest.mark.parametrize(
    ("command", "action"),
    [("find . -type d -exec find {} -type f | wc -l \\;", "-exec"),  # the pipe ends find
     ("find . -name '*.tmp' -exec rm {} ;", "-exec"),  # the shell takes the bare ;
     ("find . -name '*.tmp' -ok rm {}", "-ok"),
     ("find . -exec ls {} \\; -execdir rm {} ;", "-execdir")],
)  # fmt: skip
def test_an_exec_without_an_end_is_caught(command: str, action: str) -> None:
    assert check_find_exec_end(command) == (
        f"the command `find {action}` runs is never ended: it needs `\\;` (or `{{}} +`) after "
        f"it, and a bare `;` or a `|` ends find's own words, so find stops with \"missing "
        f"argument to `{action}'\""
    )
    assert check(command) == check_find_exec_end(command)


@pytest.mark.parametrize(
    "command",
    ["find . -name '*.tmp' -exec rm {} \\;", "find . -name '*.tmp' -exec rm {} ';'",
     "find . -name '*.log' -exec gzip {} +", "find . -exec sh -c 'echo {} | wc -c' \\;",
     "find . -execdir mv {} {}.bak \\; -print", "find . -name x -exec grep -l a {} + | xargs ls",
     "find . -name '*.tmp' -delete"],
)  # fmt: skip
def test_an_exec_with_its_end_passes(command: str) -> None:
    assert check_find_exec_end(command) is None


# --- date -I given a format's name --------------------------------------------------------


@needs_man
@pytest.mark.parametrize(
    ("command", "named", "value"),
    [("date -IISO", "-I", "ISO"), ("date --iso-8601=ISO", "--iso-8601", "ISO"),
     ("date -uIsecs", "-I", "secs"), ("date --iso=8601", "--iso", "8601")],
)  # fmt: skip
def test_date_i_given_a_format_name_is_caught(command: str, named: str, value: str) -> None:
    assert check_date_iso_format(command) == (
        f"`date {named}` takes date, hours, minutes, seconds or ns (how much of the time to "
        f"show: `date -Iseconds`), not {value}"
    )
    assert check(command) == check_date_iso_format(command)


@needs_man
@pytest.mark.parametrize(
    "command",
    ["date -I", "date -Iseconds", "date -Isec", "date -uIh", "date --iso-8601=ns",
     "date --iso-8601", "date +%Y-%m-%dT%H:%M:%S%z", "date -d yesterday -Idate"],
)  # fmt: skip
def test_date_i_with_what_it_takes_passes(command: str) -> None:
    assert check_date_iso_format(command) is None


# --- `|` in a basic regular expression; wc -l counting ls -l's total line --------------------


@needs_man
@pytest.mark.parametrize(
    ("command", "program", "pattern"),
    [("grep -i 'ERROR|WARN' app.log", "grep", "ERROR|WARN"),
     ("journalctl -u ssh | grep -v 'Accepted|session'", "grep", "Accepted|session"),
     ("grep -n -e 'foo|bar' src/main.c", "grep", "foo|bar"),
     ("grep -A 3 '(timeout|refused)' app.log", "grep", "(timeout|refused)"),
     ("zgrep 'GET|POST' access.log.gz", "zgrep", "GET|POST")],
)  # fmt: skip
def test_an_or_in_a_basic_grep_pattern_is_caught(command: str, program: str, pattern: str) -> None:
    """Checked in bash: `printf 'ERROR x\\n' | grep 'ERROR|WARN'` finds nothing (exit 1)."""
    assert check_grep_alternation(command) == (
        f"`{program}` reads the `|` in '{pattern}' as a plain character (a basic regular "
        f"expression), so it looks for that exact text: -E makes `|` mean “or” "
        f"(`{program} -E '{pattern}'`)"
    )
    assert check(command) == check_grep_alternation(command)


@needs_man
@pytest.mark.parametrize(
    "command",
    ["grep -E 'ERROR|WARN' app.log", "grep -iE 'ERROR|WARN' app.log", "egrep 'a|b' f",
     "grep 'ERROR\\|WARN' app.log", "grep -P '(foo|bar)' f", "grep -F 'a|b' f",
     "grep --extended-regexp 'a|b' f", "grep '||' build.sh", "grep 'cat | grep' notes.md",
     "grep -e error -e warn app.log", "awk '/a|b/' f"],
)  # fmt: skip
def test_a_grep_pattern_read_as_meant_passes(command: str) -> None:
    assert check_grep_alternation(command) is None


@pytest.mark.parametrize(
    ("command", "more", "written"),
    [("ls -l /usr/bin | wc -l", "one more", "ls /usr/bin | wc -l"),
     ("ls -lh | wc --lines", "one more", "ls | wc -l"),
     ("ls -la ~/Downloads | wc -l", "three more (with `.` and `..`)", "ls -A ~/Downloads | wc -l"),
     ("ls -l --all | wc -l", "three more (with `.` and `..`)", "ls --almost-all | wc -l")],
)  # fmt: skip
def test_counting_a_long_listing_is_caught(command: str, more: str, written: str) -> None:
    """Checked in bash, in a directory of a, b and .c: `ls -l | wc -l` says 3, `ls -la | wc
    -l` 6, `ls | wc -l` 2 and `ls -A | wc -l` 3."""
    listing = command.split(" | ")[0]
    assert check_counted_total_line(command) == (
        f"`{listing}` starts its listing with a “total” line, so `wc -l` counts {more} than "
        f"there are entries: write `{written}`"
    )
    assert check(command) == check_counted_total_line(command)


@pytest.mark.parametrize(
    ("command", "written"),
    [("ps -u postgres | wc -l", "ps --no-headers -u postgres | wc -l"),
     ("ps aux | wc --lines", "ps --no-headers aux | wc -l"),
     ("ps -e -o pid | wc -l", "ps --no-headers -e -o pid | wc -l")],
)  # fmt: skip
def test_counting_ps_with_its_header_is_caught(command: str, written: str) -> None:
    """Checked in bash: `ps --no-headers aux | wc -l` says 76 where `ps aux | wc -l` says 77."""
    assert check_counted_ps_header(command) == (
        "`ps` prints a header line first, so `wc -l` counts one more than there are "
        f"processes: `{written}`"
    )
    assert check(command) == check_counted_ps_header(command)


@pytest.mark.parametrize(
    "command",
    ["ps --no-headers -u postgres | wc -l", "ps haux | wc -l", "ps -u postgres -o pid= | wc -l",
     "ps aux | grep nginx | wc -l", "pgrep -c -u postgres", "ps -ef | wc -c"],
)  # fmt: skip
def test_counting_ps_without_its_header_passes(command: str) -> None:
    assert check_counted_ps_header(command) is None


@pytest.mark.parametrize(
    "command",
    ["ls /usr/bin | wc -l", "ls -A | wc -l", "ls -1 | wc -l", "ls -l *.txt | wc -l",
     "ls -ld */ | wc -l", "ls -l | wc -c", "ls -lR | wc -l", "find . -type f | wc -l"],
)  # fmt: skip
def test_counting_a_listing_without_a_total_line_passes(command: str) -> None:
    assert check_counted_total_line(command) is None


# --- a sum echoed as written ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "computed"),
    [("echo 2**40", "the shell computes it in `echo $((2**40))`"),
     ("echo 3*7+1", "the shell computes it in `echo $((3*7+1))`"),
     ("printf '%s\\n' 2+2", "the shell computes it in `echo $((2+2))`"),
     ("echo 2^10", "`echo '2^10' | bc -l` computes it"),
     ("echo 1.5*2", "`echo '1.5*2' | bc -l` computes it")],
)  # fmt: skip
def test_a_sum_echoed_as_written_is_caught(command: str, computed: str) -> None:
    """Checked in bash: `echo 2**40` prints 2**40, `echo $((2**40))` 1099511627776,
    `echo $((2^10))` 8 (exclusive or) and `echo '2^10' | bc -l` 1024."""
    problem = check_echoed_sum(command)
    assert problem is not None and problem.endswith(f"as written: {computed}"), problem
    assert check(command) == problem


@pytest.mark.parametrize(
    "command",
    ["echo $((2**40))", "echo '2^40' | bc", "echo 2024-01-01", "echo 10-20", "echo 12/25",
     "echo v1.2", "echo 192.168.1.1", "echo 3 * 4 | bc", "python3 -c 'print(2**40)'"],
)  # fmt: skip
def test_a_sum_computed_or_a_date_passes(command: str) -> None:
    assert check_echoed_sum(command) is None


# --- sizes with units sorted as plain numbers ----------------------------------------------------


@pytest.mark.parametrize(
    ("command", "listing"),
    [("du -sh * | sort -rn", "du -sh *"), ("ls -lh | sort -k 5,5n", "ls -lh"),
     ("df -h | sort -k 4 -n", "df -h"), ("du --human-readable * | sort -g -r", "du --human-readable *"),
     ("du -h --max-depth=1 /var | sort --numeric-sort", "du -h --max-depth=1 /var")],
)  # fmt: skip
def test_sizes_with_units_sorted_as_numbers_are_caught(command: str, listing: str) -> None:
    """Checked in bash: `printf '1.2M a\\n512K b\\n' | sort -n` puts 1.2M first."""
    assert check_human_sizes_as_numbers(command) == (
        f"`{listing}` writes sizes with units (4.0K, 1.2M), and `sort -n` reads only their "
        "numbers, so 1.2M comes before 512K: `sort -h` reads the units"
    )


@pytest.mark.parametrize(
    "command",
    ["du -sh * | sort -rh", "du -s * | sort -rn", "ls -lh | sort -k 5,5h", "du -sh * | sort",
     "ls -h | sort -n", "ls -lS | sort -n"],
)  # fmt: skip
def test_sizes_sorted_the_way_they_are_written_pass(command: str) -> None:
    assert check_human_sizes_as_numbers(command) is None


# --- find's start point given to du -----------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "start"),
    [("find /opt -maxdepth 1 -type d -exec du -sh {} + | sort -rh | head -n 3", "/opt"),
     ("find /var -maxdepth 1 -type d | xargs du -sh | sort -rh", "/var"),
     ("find -maxdepth 2 -exec du -s {} \\;", ".")],
)  # fmt: skip
def test_find_giving_its_start_to_du_is_caught(command: str, start: str) -> None:
    """Checked in bash: in a directory sz holding a/ with a 100 kB file, `find sz -maxdepth 1
    -type d -exec du -sh {} +` prints only `108K sz` (du counted sz/a under sz and skipped
    it); with -mindepth 1 it prints `104K sz/a`."""
    assert check_sized_start(command) == (
        f"`find {start} -maxdepth …` lists {start} itself as well, and du shows it with the size "
        "of everything in it (and, given it in the same call, skips the directories inside, "
        "counted already): add -mindepth 1"
    )
    assert check(command) == check_sized_start(command)


@pytest.mark.parametrize(
    "command",
    ["find /opt -mindepth 1 -maxdepth 1 -type d -exec du -sh {} + | sort -rh",
     "find . -maxdepth 1 -type f -exec du -sh {} +", "find /srv -maxdepth 0 -type d -exec du -s {} +",
     "find /var -maxdepth 1 -type d", "find /var -type d -exec du -s {} +",
     "du -sh /var/*/ | sort -rh"],
)  # fmt: skip
def test_find_without_its_start_given_to_du_passes(command: str) -> None:
    assert check_sized_start(command) is None


@needs_man
def test_no_right_answer_of_the_dev_set_is_rejected() -> None:
    """700-odd real commands written as right answers (tests/fixtures/prompts/dev-answers.yaml,
    both halves): none may become a retry."""
    answers = yaml.safe_load((PROMPTS / "dev-answers.yaml").read_text())
    commands = [command for case in answers.values() for command in case["right"]]
    assert len(commands) >= 600
    assert [(c, problem) for c in commands if (problem := check(c))] == []


# --- through validate() and the retry ---------------------------------------------------------


@needs_man
@pytest.mark.parametrize(
    "command",
    [
        "history | grep docker run",
        "find . -name '*.tmp' | rm",
        "uniq -d",
        "pkill -9",
        "find . -name '*.log' -exec gzip {} + | xargs -n 4",
    ],
)
def test_usage_problems_reach_validate(tmp_path: Path, command: str) -> None:
    require("bash")
    problem = validate(command, "bash", str(tmp_path), request="anything")
    assert problem is not None and problem.kind == "usage"


@needs_man
def test_a_line_that_would_wait_for_the_terminal_is_retried(tmp_path: Path) -> None:
    """Asked to copy the files listed in files.txt with xargs, the 1.5B model wrote an xargs
    with nothing to read. Told so, it repeats itself (the warning then stays); a model that
    gives it the list is taken."""
    require("bash")
    (tmp_path / "files.txt").write_text("a\n")
    backend = ScriptedBackend("xargs -I {} cp {} /backup", "xargs -a files.txt -I {} cp {} /backup")
    context = Context(shell="bash", os_name="Linux", cwd=str(tmp_path))
    result = generate("copy every file listed in files.txt into /backup using xargs", Config(),
                      backend, context)  # fmt: skip
    assert result.command == "xargs -a files.txt -I {} cp {} /backup"
    assert "wait for input from the terminal" in result.retry_reason


# --- top in a pipeline without batch mode; an editor on the sudoers file ------------------------


@pytest.mark.parametrize(
    "command", ["top -o %mem -n 1 | head -n 10", "top -n 1 | grep nginx", "top -c | head"]
)
def test_top_in_a_pipeline_without_batch_mode_is_caught(command: str) -> None:
    assert check_top_in_pipe(command) == (
        "`top` writes to a pipe only in batch mode: add -b (`top -b -n 1`)"
    )
    assert check(command) == check_top_in_pipe(command)


@pytest.mark.parametrize(
    "command", ["top -b -n 1 | head", "top -bn1 | head -n 20", "top -n 1 --batch | grep x",
                "top", "top -o %MEM", "ps aux | sort -k4 -nr | head"],
)  # fmt: skip
def test_top_in_batch_mode_or_on_the_terminal_passes(command: str) -> None:
    assert check_top_in_pipe(command) is None


@pytest.mark.parametrize(
    ("command", "name", "editor"),
    [("sudo nano /etc/sudoers", "/etc/sudoers", "nano"),
     ("sudo vim /etc/sudoers.d/deploy", "/etc/sudoers.d/deploy", "vim"),
     ("sudoedit /etc/sudoers", "/etc/sudoers", "sudoedit")],
)  # fmt: skip
def test_an_editor_opened_on_sudoers_is_caught(command: str, name: str, editor: str) -> None:
    assert check_sudoers_editor(command) == (
        f"edit {name} with visudo (`sudo visudo`, `sudo visudo -f FILE`): it checks the file "
        f"before saving, and a mistake saved by `{editor}` leaves sudo unusable"
    )
    assert check(command) == check_sudoers_editor(command)


@pytest.mark.parametrize(
    "command", ["sudo visudo", "sudo visudo -f /etc/sudoers.d/deploy", "sudo cat /etc/sudoers",
                "sudo nano /etc/hosts", "EDITOR=nano sudo -E visudo"],
)  # fmt: skip
def test_visudo_or_another_file_passes(command: str) -> None:
    assert check_sudoers_editor(command) is None


# --- a compressor given a file, piped on ----------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "program", "name"),
    [("gzip -d dump.sql.gz | cat", "gzip", "dump.sql.gz"),
     ("gunzip dump.sql.gz | less", "gunzip", "dump.sql.gz"),
     ("xz -dk logs.xz | grep ERROR", "xz", "logs.xz")],
)  # fmt: skip
def test_a_compressor_given_a_file_and_piped_on_is_caught(
    command: str, program: str, name: str
) -> None:
    assert check_unpacked_to_disk(command) == (
        f"`{program}` given {name} writes its result to a file, not to the pipe: add -c (--stdout)"
    )
    assert check(command) == check_unpacked_to_disk(command)


@pytest.mark.parametrize(
    "command", ["gunzip -c dump.sql.gz | less", "gzip -dc a.gz | head", "zcat a.gz | head",
                "xz -d --stdout a.xz | head", "gunzip < a.gz | head", "tar -c src | gzip | wc -c",
                "gzip -d a.gz && cat a"],
)  # fmt: skip
def test_a_compressor_writing_to_its_output_passes(command: str) -> None:
    assert check_unpacked_to_disk(command) is None


# --- find -exec running a quiet program, piped on -------------------------------------------------


@pytest.mark.parametrize(
    ("command", "program", "reader"),
    [("find . -name '*.log' -exec gzip -9 {} + | xargs -n 4", "gzip", "xargs"),
     ("find . -name '*.tmp' -exec rm {} \\; | wc -l", "rm", "wc"),
     ("find /srv -type f -execdir chmod 644 {} + | sort", "chmod", "sort"),
     ("find . -name '*.bak' -exec /bin/mv {} old/ \\; | xargs echo", "mv", "xargs echo")],
)  # fmt: skip
def test_find_exec_of_a_quiet_program_piped_on_is_caught(
    command: str, program: str, reader: str
) -> None:
    problem = check_find_exec_piped(command)
    assert problem is not None
    assert problem.startswith(f"`find … -exec {program}` writes no file names to the pipe")
    assert f"so `{reader}` is given none" in problem
    assert check(command) == problem


@pytest.mark.parametrize(
    "command",
    ["find . -name '*.log' -print0 | xargs -0 -P 4 gzip",  # the names go to the pipe
     "find . -name '*.log' -exec gzip {} +",  # nothing piped on
     "find . -name '*.py' -exec grep -l TODO {} + | xargs wc -l",  # grep -l writes names
     "find . -name '*.gz' -exec gzip -dc {} \\; | grep ERROR",  # -c writes to the pipe
     "find . -name '*.tmp' -exec rm -v {} + | wc -l",  # -v lists what it removes
     "find . -type f -print -exec rm {} + | wc -l",  # -print writes the names
     "find . -name '*.txt' -exec cat {} + | wc -l"],  # cat writes
)  # fmt: skip
def test_find_exec_that_writes_to_the_pipe_passes(command: str) -> None:
    assert check_find_exec_piped(command) is None
