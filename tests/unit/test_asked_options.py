"""The options a request asks for in words (cmdai/asked_options.py): each rule on commands that
leave the option out and on commands that have it (in every spelling the program takes, or
done another way), and through validate() and the one retry."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from cmdai.asked_options import ASKED, check, find, program_key
from cmdai.commandline import parse
from cmdai.config import Config
from cmdai.generate import generate
from cmdai.prompting import Context
from cmdai.validate import validate
from tests.helpers.scripted import ScriptedBackend
from tests.helpers.shells import require

PROMPTS = Path(__file__).resolve().parents[1] / "fixtures" / "prompts"
# validate() runs the option check first, which reads man pages: .ci/run installs man-db.
needs_man = pytest.mark.skipif(
    shutil.which("man") is None and not os.environ.get("CI"), reason="man-db is not installed"
)

CAUGHT = [
    ("copy every .png from assets to public without overwriting existing files",
     "cp assets/*.png public/", "not overwrite existing files: `cp` does that with -n"),
    ("move the logs into old/ but don't overwrite anything there", "mv -v *.log old/",
     "`mv` does that with -n"),
    ("sync photos/ to /mnt/backup, skipping the files that already exist",
     "rsync -av photos/ /mnt/backup", "`rsync` does that with --ignore-existing"),
    ("unzip site.zip without replacing existing files", "unzip site.zip", "`unzip` does that"),
    ("extract backup.tar here without overwriting existing files", "tar xvf backup.tar",
     "`tar` does that with -k (--keep-old-files)"),
    ("follow the logs of the container api", "docker logs api --tail 100",
     "follow the log as it grows: `docker logs` does that with -f (--follow)"),
    ("follow the logs of the cron service", "journalctl -u cron", "`journalctl` does that"),
    ("follow app.log", "tail -n 50 app.log", "`tail` does that with -f"),
    ("show the nginx error log live", "sudo tail /var/log/nginx/error.log", "`tail`"),
    ("follow the logs of pod web-1", "kubectl -n shop logs web-1", "`kubectl logs`"),
    ("find all jpg files whatever the case of the extension", "find . -name '*.jpg'",
     "ignore case: `find` does that with -iname"),
    ("search for error in app.log, case-insensitive", "grep error app.log",
     "`grep` does that with -i"),
    ("sort names.txt ignoring case", "sort names.txt", "`sort` does that with -f"),
    ("compress dump.sql with gzip but keep the original", "gzip dump.sql",
     "keep the original file: `gzip` does that with -k (--keep)"),
    ("decompress logs.xz without deleting the original", "unxz logs.xz", "`unxz`"),
    ("show old.txt and new.txt side by side", "diff old.txt new.txt",
     "`diff` does that with -y (--side-by-side)"),
    ("compare v1 and v2 recursively and list only which files differ", "diff -r v1 v2",
     "list only which files differ: `diff` does that with -q (--brief)"),
    ("list the files under src that mention deprecated", "grep -r deprecated src",
     "`grep` does that with -l"),
    ("show which files contain TODO", "find . -name '*.py' | xargs grep TODO", "-l"),
    ("stash my changes including untracked files", "git stash",
     "include untracked files: `git stash` does that with -u"),
    ("stash everything with untracked files too", "git -C app stash push", "`git stash`"),
    ("show the git log of README.md with diffs", "git log --oneline README.md",
     "show each commit's changes: `git log` does that with -p (--patch)"),
    ("copy the directory site to /var/www recursively preserving permissions",
     "cp -r site /var/www", "keep the files' permissions: `cp` does that with -p (--preserve)"),
    ("copy site to the backup disk keeping the permissions", "rsync -r site/ /mnt/backup/",
     "`rsync` does that with -a (--archive)"),
    ("show the size of each folder here, largest first", "du -sh * | sort -h",
     "put the largest first: `sort` does that with -r (--reverse)"),
    ("count the words of book.txt, most common first",
     "tr -s ' ' '\\n' < book.txt | sort | uniq -c | sort -n", "`sort` does that with -r"),
    ("list the files by size in descending order", "ls -l | sort -k 5,5n", "with -r"),
    ("take one snapshot of top sorted by memory", "top -b -n 1 | head -n 10",
     "sort by memory: `top` does that with -o %MEM"),
    ("show the total disk usage of /home in gigabytes", "du -sh /home",
     "show sizes in gigabytes: `du` does that with -BG (--block-size=G)"),
    ("print the free memory in gigabytes", "free -h", "`free` does that with -g (--giga)"),
    ("show the size of big.iso in megabytes", "ls -lh big.iso", "`ls` does that with --block-size=M"),
    ("show free disk space in GB", "df -BM", "`df` does that with -BG"),
    ("list the open TCP ports on this machine with the programs using them", "ss -tuln",
     "show the program using each socket: `ss` does that with -p (--processes)"),
    ("show listening ports and the processes", "netstat -tln", "`netstat` does that with -p"),
    ("show the uptime in a pretty format", "uptime", "`uptime` does that with -p (--pretty)"),
    ("clone https://github.com/user/repo.git into myrepo with only the latest commit",
     "git clone https://github.com/user/repo.git myrepo",
     "clone only the latest commit: `git clone` does that with --depth 1"),
    ("make a shallow clone of https://example.com/big.git", "git clone https://example.com/big.git",
     "--depth 1"),
    ("show the permissions of /etc/shadow in octal", "ls -ld /etc/shadow | awk '{print $1}'",
     "show the permissions in octal, which `ls` cannot do; `stat -c '%a %n' FILE` shows them"),
    ("delete lines containing foo from notes.txt in place", "sed '/foo/d' notes.txt",
     "change the file in place: `sed` does that with -i (--in-place)"),
    ("replace a with b in every .txt file here in place",
     "find . -name '*.txt' | xargs sed 's/a/b/g'", "`sed` does that with -i"),
    ("swap tabs for commas in data.txt in-place with perl", "perl -pe 's/\\t/,/g' data.txt",
     "`perl` does that with -i"),
    ("find the literal text a.b*c in notes.txt", "grep 'a.b*c' notes.txt",
     "`grep` does that with -F (--fixed-strings)"),
    ("count lines with the whole word cat in pets.txt", "grep -c cat pets.txt",
     "match whole words only: `grep` does that with -w"),
    ("show what rsync would copy from src/ to dest/ without copying anything",
     "rsync -av src/ dest/", "(a dry run): `rsync` does that with -n (--dry-run)"),
    ("dry run of git clean", "git clean -fd", "`git clean` does that with -n"),
    ("copy movie.mkv to /media/usb showing progress", "cp movie.mkv /media/usb",
     "show progress, which `cp` cannot do; rsync --progress or pv can"),
    ("write disk.img to backup.img with dd showing progress", "dd if=disk.img of=backup.img",
     "`dd` does that with status=progress"),
    ("copy the folder conf to /srv following symlinks", "cp -r conf /srv",
     "follow symbolic links: `cp` does that with -L"),
    ("find broken files here, following symbolic links", "find . -type f", "`find`"),
    ("download https://example.com/file, following redirects", "curl -O https://example.com/file",
     "`curl` does that with -L (--location)"),
    ("run nginx in a container in the background", "docker run nginx",
     "`docker run` does that with -d (--detach)"),
    ("show disk usage of /var in human readable form", "du -s /var", "`du` does that with -h"),
    ("show disk usage of /var in human readable form", "du -sH /var", "`du` does that with -h"),
    ("list the files here with human readable sizes", "ls -lm", "`ls` does that with -h"),
    ("show how long this machine has been running in a readable form", "uptime",
     "`uptime` does that with -p (--pretty)"),
    ("undo the last commit but keep my changes", "git reset --hard HEAD~1",
     "`git reset` does that with --soft or --mixed (--hard discards them)"),
    ("unstage config.yaml but keep my edits", "git restore config.yaml",
     "`git restore` does that with --staged"),
    ("unstage config.yaml but keep my edits", "git checkout config.yaml",
     "which `git checkout` cannot do; git restore --staged FILE unstages it and keeps the edits"),
    ("give the group write permission on everything under shared", "chmod g+w shared",
     "act on everything inside the directory too: `chmod` does that with -R (--recursive)"),
    ("make www-data the owner of /var/www/html and everything in it",
     "chown www-data /var/www/html", "`chown` does that with -R"),
    ("copy the folder conf recursively to /srv", "cp conf /srv", "`cp` does that with -r"),
    ("show the inode numbers of the files here", "ls -la", "`ls` does that with -i (--inode)"),
    ("show inode usage of all filesystems", "df -h", "`df` does that with -i (--inodes)"),
    ("show all listening tcp ports with the process names", "ss -tuln | awk '{print $4, $7}'",
     "`ss` does that with -p (--processes)"),
]  # fmt: skip


@pytest.mark.parametrize(("request_", "command", "said"), CAUGHT)
def test_a_command_without_the_option_the_request_asks_for_is_caught(
    request_: str, command: str, said: str
) -> None:
    problem = check(request_, command)
    assert problem is not None and said in problem, problem
    assert problem.startswith("the request ")


PASSES = [
    ("copy every .png from assets to public without overwriting existing files",
     "cp -n assets/*.png public/"),
    ("copy every .png from assets to public without overwriting existing files",
     "cp --no-clobber assets/*.png public/"),
    ("copy every .png from assets to public without overwriting existing files",
     "cp --update=none assets/*.png public/"),
    ("copy every .png from assets to public without overwriting existing files",
     "cp -vn assets/*.png public/"),
    ("copy a.txt to b/ without overwriting", "rsync -a --ignore-existing a.txt b/"),
    ("follow the logs of the container api", "docker logs -f --tail 100 api"),
    ("follow the logs of the cron service", "journalctl -fu cron"),
    ("follow app.log", "tail -F app.log"),
    ("follow app.log", "less +F app.log"),  # no program the rule knows: not judged
    ("find all jpg files whatever the case of the extension", "find . -iname '*.jpg'"),
    ("find all jpg files whatever the case of the extension", "find . -name '*.[jJ][pP][gG]' -o -iname '*.jpeg'"),
    ("find all jpg files whatever the case of the extension", "find . -name '*.[jJ][pP][gG]'"),
    ("search for error in app.log, case-insensitive", "grep '[Ee][Rr][Rr][Oo][Rr]' app.log"),
    ("search for error in app.log, case-insensitive", "grep -in error app.log"),
    ("search for error in app.log, case-insensitive", "rg -S error app.log"),
    ("compress dump.sql with gzip but keep the original", "gzip -k dump.sql"),
    ("compress dump.sql with gzip but keep the original", "gzip -c dump.sql > dump.sql.gz"),
    ("show old.txt and new.txt side by side", "sdiff old.txt new.txt"),
    ("show old.txt and new.txt side by side", "diff -y old.txt new.txt"),
    ("compare v1 and v2 recursively and list only which files differ", "diff -rq v1 v2"),
    ("list the files under src that mention deprecated", "grep -rl deprecated src"),
    ("list the files under src that mention deprecated", "find src -type f -exec grep -l deprecated {} +"),
    ("stash my changes including untracked files", "git stash push --include-untracked"),
    ("stash my changes including untracked files", "git stash -a"),
    ("show the git log of README.md with diffs", "git log -p README.md"),
    ("copy the directory site to /var/www recursively preserving permissions",
     "cp -a site /var/www"),
    ("copy site to the backup disk keeping the permissions", "rsync -av site/ /mnt/backup/"),
    ("copy notes.txt to the server keeping its permissions", "scp -p notes.txt srv:/data/"),
    ("show the history of app.py with the patches", "git log --patch --follow app.py"),
    ("show the history of app.py with the patches", "git show HEAD -- app.py"),  # not git log
    ("show the size of each folder here, largest first", "du -sh * | sort -rh"),
    ("show the size of each folder here, largest first", "du -sh * | sort -h --reverse"),
    ("show the size of each folder here, largest first", "du -s * | sort -k1,1nr"),
    ("show the size of each folder here, largest first", "ls -lS"),
    ("count the words of book.txt, most common first",
     "tr -s ' ' '\\n' < book.txt | sort | uniq -c | sort -rn"),
    ("sort names.txt, largest first", "sort names.txt"),  # not by number: left to the model
    ("take one snapshot of top sorted by memory", "top -b -n 1 -o %MEM | head -n 20"),
    ("take one snapshot of top sorted by memory", "top -bn1 --sort-override=%MEM"),
    ("show the disk usage of /home", "du -sh /home"),
    ("show the total disk usage of /home in gigabytes", "du -sBG /home"),
    ("show the total disk usage of /home in gigabytes", "du -s -B 1G /home"),
    ("show the total disk usage of /home in gigabytes", "du -s --block-size=GB /home"),
    ("print the free memory in gigabytes", "free -g"),
    ("show the size of big.iso in megabytes", "du -m big.iso"),
    ("show the size of big.iso in megabytes", "ls -l --block-size=M big.iso"),
    ("list the open TCP ports on this machine with the programs using them", "sudo ss -tlnp"),
    ("list the open TCP ports on this machine with the programs using them",
     "sudo netstat --tcp --listening --program"),
    ("list the open TCP ports on this machine with the programs using them", "sudo lsof -i -P"),
    ("list the processes with the programs using them", "ps aux"),  # no ss or netstat
    ("show the uptime in a pretty format", "uptime -p"),
    ("clone https://github.com/user/repo.git into myrepo with only the latest commit",
     "git clone --depth 1 https://github.com/user/repo.git myrepo"),
    ("make a shallow clone of https://example.com/big.git",
     "git clone --depth=1 https://example.com/big.git"),
    ("show the permissions of /etc/shadow in octal", "stat -c %a /etc/shadow"),
    ("show the permissions of /etc/shadow, not in octal", "ls -l /etc/shadow"),
    ("delete lines containing foo from notes.txt in place", "sed -i '/foo/d' notes.txt"),
    ("delete lines containing foo from notes.txt in place", "sed -Ei '/fo+/d' notes.txt"),
    ("delete lines containing foo from notes.txt in place", "sed -i.bak '/foo/d' notes.txt"),
    ("delete lines containing foo from notes.txt in place", "sed --in-place '/foo/d' notes.txt"),
    ("delete lines containing foo from notes.txt in place",
     "sed '/foo/d' notes.txt > notes.new && mv notes.new notes.txt"),
    ("swap tabs for commas in data.txt in-place with perl", "perl -pi.orig -e 's/\\t/,/g' data.txt"),
    ("swap tabs for commas in data.txt in-place with perl", "perl -i -pe 's/\\t/,/g' data.txt"),
    ("print notes.txt without the foo lines, not in place", "sed '/foo/d' notes.txt"),
    ("find the literal text a.b*c in notes.txt", "grep -F 'a.b*c' notes.txt"),
    ("find the literal text a.b*c in notes.txt", "fgrep 'a.b*c' notes.txt"),
    ("find the literal text hello in notes.txt", "grep hello notes.txt"),  # same either way
    ("count lines with the whole word cat in pets.txt", "grep -cw cat pets.txt"),
    ("count lines with the whole word cat in pets.txt", "grep -c '\\bcat\\b' pets.txt"),
    ("show what rsync would copy from src/ to dest/ without copying anything",
     "rsync -avn src/ dest/"),
    ("copy movie.mkv to /media/usb showing progress", "rsync -P movie.mkv /media/usb/"),
    ("copy movie.mkv to /media/usb showing progress", "pv movie.mkv > /media/usb/movie.mkv"),
    ("copy the folder conf to /srv following symlinks", "cp -rL conf /srv"),
    ("find broken files here, following symbolic links", "find -L . -type f"),
    ("run nginx in a container in the background", "docker run -d nginx"),
    ("show disk usage of /var in human readable form", "du -sh /var"),
    ("show free space on every filesystem in human readable form", "df -H"),
    ("compress notes.txt with zstd but keep the original", "zstd notes.txt"),
    ("undo the last commit but keep my changes", "git reset --soft HEAD~1"),
    ("undo the last commit but keep my changes", "git reset HEAD~1"),
    ("unstage config.yaml but keep my edits", "git restore --staged config.yaml"),
    ("switch to main but keep my changes", "git checkout main"),
    ("give the group write permission on everything under shared", "chmod -R g+w shared"),
    ("make every .sh file under scripts executable, recursively",
     "find scripts -name '*.sh' -exec chmod +x {} +"),
    ("list everything under assets recursively", "find assets -type f -print0 | xargs -0 ls -l"),
    ("copy the folder conf recursively to /srv", "cp -a conf /srv"),
    ("show the size of everything under /var", "du -sh /var/*"),
    ("show inode usage of all filesystems", "df -hi"),
    ("extract backup.tar here without overwriting existing files", "tar xkf backup.tar"),
    ("show the inode of notes.txt", "stat notes.txt"),
    ("list the markdown files below here with a recursive glob", "ls -l **/*.md"),
    ("switch to the tag v2.1.0, keeping my changes", "git checkout v2.1.0"),
    # The words alone, or another meaning of them:
    ("list the files in /etc", "ls /etc"),
    ("delete the build folder without overwriting anything else", "rm -rf build"),
    ("show the last 20 lines of app.log", "tail -n 20 app.log"),
    ("show the last 20 lines of app.log from the live server", "tail -n 20 app.log"),
    ("print the following numbers", "seq 1 10"),
    ("list the files containing report in their name", "ls | grep report"),
    ("show the 5 biggest files, in human readable form", "find . -type f -printf '%s %p\\n' | sort -n | tail -5"),
    # The phrase negated:
    ("find broken links without following symlinks", "find . -xtype l"),
    ("list the files here, but don't follow symlinks", "ls -l"),
    ("show the last 20 lines of the nginx journal, don't follow the logs", "journalctl -u nginx -n 20"),
    ("show the last 20 lines of app.log instead of following the log", "tail -n 20 app.log"),
    ("print notes.txt as is, not ignoring case", "grep TODO notes.txt"),
    ("show all listening tcp ports with the process names", "sudo ss -tlnp"),
]  # fmt: skip


@pytest.mark.parametrize(("request_", "command"), PASSES)
def test_a_command_that_does_what_the_request_asks_passes(request_: str, command: str) -> None:
    assert check(request_, command) is None


@pytest.mark.parametrize(
    ("command", "key"),
    [("git stash -u", "git stash"), ("git -C repo stash", "git stash"),
     ("git -c user.name=x commit", "git commit"), ("kubectl -n web logs api", "kubectl logs"),
     ("docker run -d nginx", "docker run"), ("git --version", "git"), ("tail -f x", "tail")],
)  # fmt: skip
def test_a_subcommand_is_part_of_what_the_table_is_keyed_by(command: str, key: str) -> None:
    assert program_key(parse(command).commands[0]) == key


def test_every_rule_knows_a_program() -> None:
    assert all(asked.ways for asked in ASKED)
    assert len({asked.what for asked in ASKED}) == len(ASKED)


def test_no_right_answer_of_the_dev_set_is_rejected() -> None:
    """The right answers written for each dev-set request (dev-answers.yaml, both halves):
    none may be sent back for an option its request asks for."""
    answers = yaml.safe_load((PROMPTS / "dev-answers.yaml").read_text())
    cases = [case for name in ("dev-tune", "dev-check")
             for case in yaml.safe_load((PROMPTS / f"{name}.yaml").read_text())["test_cases"]]  # fmt: skip
    pairs = [(case["prompt"], right) for case in cases
             for right in answers.get(case["id"], {}).get("right", [])]  # fmt: skip
    assert len(pairs) >= 600
    assert [(r, c, problem) for r, c in pairs if (problem := check(r, c))] == []


@needs_man
def test_the_problem_reaches_validate_as_a_detail(tmp_path: Path) -> None:
    require("bash")
    problem = validate("cp assets/*.png public/", "bash", str(tmp_path),
                       request="copy every .png from assets to public without overwriting")  # fmt: skip
    assert problem is not None and problem.kind == "detail"
    assert problem.message == (
        "the request asks to not overwrite existing files: `cp` does that with -n (--no-clobber)"
    )


FIXED = [
    ("follow the logs of the cron service", "journalctl -u cron", "journalctl -f -u cron"),
    ("follow the logs of the container api", "docker logs api --tail 100",
     "docker logs -f api --tail 100"),
    ("stash my changes including untracked files", "git stash", "git stash -u"),
    ("sync photos/ to /mnt/backup, skipping the files that already exist",
     "rsync -av photos/ /mnt/backup", "rsync --ignore-existing -av photos/ /mnt/backup"),
    ("show which files contain TODO", "find . -name '*.py' | xargs grep TODO",
     "find . -name '*.py' | xargs grep -l TODO"),
    ("find the literal text a.b*c in notes.txt", "grep -o 'a.b*c' notes.txt",
     "grep -F -o 'a.b*c' notes.txt"),
    # a hint, not one option, or an option that needs a value: the model is asked again
    ("clone https://github.com/user/repo.git into myrepo with only the latest commit",
     "git clone https://github.com/user/repo.git myrepo", None),
    ("take one snapshot of top sorted by memory", "top -b -n 1 | head -n 10", None),
    ("find all jpg files whatever the case of the extension", "find . -name '*.jpg'", None),
    ("copy the folder conf recursively to /srv", "cp conf /srv", None),
    # tar's first word may be old-style letters, which a dashed option would turn into a file
    ("extract backup.tar here without overwriting existing files", "tar xvf backup.tar", None),
    # the program cannot do it
    ("copy movie.mkv to /media/usb showing progress", "cp movie.mkv /media/usb", None),
    # the subcommand does not follow the program: no place to put the option for sure
    ("follow the logs of pod web-1", "kubectl -n shop logs web-1", None),
]  # fmt: skip


@pytest.mark.parametrize(("request_", "command", "fixed"), FIXED)
def test_the_fix_is_the_command_with_the_option_where_one_option_says_it_all(
    request_: str, command: str, fixed: str | None
) -> None:
    found = find(request_, command)
    assert found is not None and found.message == check(request_, command)
    assert found.fix == fixed
    if fixed:
        assert check(request_, fixed) is None


@needs_man
def test_the_retry_is_told_which_option_and_its_answer_is_taken(tmp_path: Path) -> None:
    """A scripted backend stands in for the model (the retry path is what is tested): the
    first answer leaves out --depth 1 (a hint, not an edit cmdai makes), the second has it."""
    require("bash")
    request = "clone https://example.com/big.git with only the latest commit"
    backend = ScriptedBackend("git clone https://example.com/big.git",
                              "git clone --depth 1 https://example.com/big.git")  # fmt: skip
    context = Context(shell="bash", os_name="Linux", cwd=str(tmp_path))
    result = generate(request, Config(), backend, context)
    assert result.command == "git clone --depth 1 https://example.com/big.git"
    assert result.retry_reason == (
        "the request asks to clone only the latest commit: `git clone` does that with --depth 1"
    )
    assert result.problem is None and not result.repaired
    retry = backend.asked[1][-1]["content"]
    assert retry.startswith("That command is wrong: the request asks to clone only the latest")


@needs_man
def test_an_option_the_check_knows_is_added_by_cmdai_without_asking_again(tmp_path: Path) -> None:
    """A scripted backend stands in for the model, which answers once: `-f` is added to its
    command as written, and the note says so."""
    require("bash")
    backend = ScriptedBackend("journalctl -u cron")
    context = Context(shell="bash", os_name="Linux", cwd=str(tmp_path))
    result = generate("follow the logs of the cron service", Config(), backend, context)
    assert result.command == "journalctl -f -u cron"
    assert len(backend.asked) == 1 and not result.retried
    assert result.first_command == "journalctl -u cron"
    assert result.repaired == (
        "the request asks to follow the log as it grows: `journalctl` does that with -f (--follow)"
    )
    assert result.note == f"note: changed by cmdai: {result.repaired}"
