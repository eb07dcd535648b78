"""Details a request gives in words that a program reads one way only (cmdai/request_details.py):
each rule on commands that read the detail the other way and on commands that keep it (in every
spelling the program takes, or done another way), and through validate() and the one retry."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from cmdai import request_details
from cmdai.config import Config
from cmdai.generate import generate
from cmdai.prompting import Context
from cmdai.request_details import check
from cmdai.validate import validate
from tests.helpers.scripted import ScriptedBackend
from tests.helpers.shells import require

PROMPTS = Path(__file__).resolve().parents[1] / "fixtures" / "prompts"
# validate() runs the option check first, which reads man pages: .ci/run installs man-db.
needs_man = pytest.mark.skipif(
    shutil.which("man") is None and not os.environ.get("CI"), reason="man-db is not installed"
)

CAUGHT = [
    ("remove execute permission for others from deploy.sh", "chmod -x deploy.sh",
     "the request says “others”, so chmod's mode must name the others: o-x, not -x (u owner, "
     "g group, o others)"),
    ("remove execute permission for others from deploy.sh", "chmod u-x deploy.sh",
     "o-x, not u-x"),  # someone else's
    ("remove execute permission for others from deploy.sh", "chmod a-x deploy.sh",
     "o-x, not a-x"),  # everyone's
    ("give the group write access to shared/", "chmod -R +w shared/", "g+w, not +w"),
    ("make backup.sh executable only for the owner", "chmod +x backup.sh", "u+x, not +x"),
    ("take read and write away from other users on notes.txt", "chmod -rw notes.txt", "o-rw, not -rw"),
    ("make /srv/www no longer world-writable", "chmod -R -w /srv/www", "o-w, not -w"),
    ("let others read and not write notes.txt", "chmod +r,-w notes.txt", "o+r,o-w, not +r,-w"),
    ("gracefully stop all processes named node", "pkill -f node",
     "the request asks for processes named node, and `pkill -f node` matches node anywhere in "
     "a command line: without -f pkill matches the process name (-x for exactly node)"),
    ("list the pids of processes called nginx", "pgrep --full nginx", "`pgrep -f nginx`"),
    ("print all lines of list.txt except the last 3", "tail -n +4 list.txt",
     "the request leaves out the last 3, and `tail -n +N` leaves out the first N-1 lines: "
     "`head -n -3` leaves out the last 3"),
    ("show all but the last 2 lines of out.csv", "tail -n+3 out.csv", "`head -n -2`"),
    ("show report.txt without the first 5 lines", "head --lines=-5 report.txt",
     "the request leaves out the first 5, and `head -n -N` leaves out the last N lines: "
     "`tail -n +6` starts after the first 5"),
    ("empty the file debug.log without deleting it", 'echo "" > debug.log',
     "the request asks for an empty file, and `echo` writes a newline into debug.log: "
     "`: > debug.log` or `truncate -s 0 debug.log` empties it"),
    ("clear the contents of app.log", "echo > app.log", "writes a newline into app.log"),
    ("truncate out.txt to nothing", "echo '' >| out.txt", "writes a newline into out.txt"),
    ("make the directory uploads writable by the group www-data", "chmod -R g+w uploads",
     "the request names the group www-data, and the command does not use it"),
    ("show the processes of the user nginx", "ps aux", "names the user nginx"),
    ("list the crontab of user named deploy", "crontab -l", "names the user deploy"),
    ("list the ports docker container api publishes", "docker port $(docker ps -q)",
     "names the container api"),
    ("delete the branch feature-x on origin", "git push origin --delete",
     "names the branch feature-x"),
    # A time, port, download, record type, city or order told in one way only:
    ("show the current time in Tokyo", "date -u '+%Y-%m-%d %H:%M:%S'",
     "the request asks for the time in Tokyo, and `date` shows this machine's time zone: "
     "`TZ=Asia/Tokyo date` shows the time there"),
    ("what time is it in new york city?", "date +%H:%M", "`TZ=America/New_York date`"),
    ("show disk usage of the current directory sorted by size", "du -sh *",
     "the request asks for an order by size, and `du` lists in the order it walks the "
     "directories: pipe it to `sort -h` (`sort -rh` for the largest first)"),
    ("show the 5 biggest directories here", "du -sh * | head -n 5", "pipe it to `sort -h`"),
    ("look up the MX records of example.com", "nslookup example.com",
     "the request asks for MX records, and `nslookup example.com` looks up the address: "
     "`nslookup -type=MX example.com` asks for them"),
    ("show the txt record of example.org", "host example.org", "`host -t TXT example.org`"),
    ("show the NS records for example.net", "dig +short example.net", "`dig NS example.net`"),
    ("download https://example.com/big.iso and resume if it was interrupted",
     "curl -C - -L https://example.com/big.iso", "download a file, and `curl` without -O or -o "
     "writes it to the terminal: -O (--remote-name) saves it under its own name"),
    ("download the release notes from https://example.com/notes.txt",
     "curl -sL https://example.com/notes.txt 2>/dev/null", "-O (--remote-name)"),
    ("wait 10 minutes and then play a beep with printf", "sleep 10 && printf '\\a'",
     "the request asks for 10 minutes, and `sleep 10` waits 10 seconds: `sleep 10m` waits 10 "
     "minutes"),
    ("shut down in 2 hrs", "sleep 2; systemctl poweroff", "`sleep 2h` waits 2 hrs"),
    ("copy backup.tar to root@10.1.1.9:/srv using port 2200",
     "scp backup.tar root@10.1.1.9:/srv/2200",
     "the request names port 2200, but the command does not use it as a port"),
    ("connect to web on port 80 with ssh", "ssh -p 8080 web", "names port 80"),
]  # fmt: skip


@pytest.mark.parametrize(("request_", "command", "said"), CAUGHT)
def test_a_command_that_reads_the_detail_the_other_way_is_caught(
    request_: str, command: str, said: str
) -> None:
    problem = check(request_, command)
    assert problem is not None and said in problem, problem
    assert problem.startswith("the request ")


PASSES = [
    ("remove execute permission for others from deploy.sh", "chmod o-x deploy.sh"),
    ("remove execute permission for others from deploy.sh", "chmod 754 deploy.sh"),  # octal
    ("remove execute permission for others from deploy.sh", "chmod -R o-x,g-w deploy.sh"),
    ("remove execute permission for others from deploy.sh", "chmod go-x deploy.sh"),
    ("make run.sh executable for everyone", "chmod +x run.sh"),  # nobody in particular
    ("make run.sh executable", "chmod +x run.sh"),
    ("let the owner and the group write to data/", "chmod -R +w data/"),  # several: not read
    ("add alice to the group docker", "usermod -aG docker alice"),  # no chmod
    ("gracefully stop all processes named node", "pkill node"),
    ("gracefully stop all processes named node", "pkill -x node"),
    ("gracefully stop all processes named node", "killall node"),
    ("kill the processes named server.js", "pkill -f server.js"),  # a script: its command line
    ("stop the processes called node.js", "pkill -f node"),
    # longer than a process name can be (15 characters): only -f finds it
    ("kill the processes named kube-controller-manager", "pkill -f kube-controller-manager"),
    ("kill every process whose command line contains celery", "pkill -f celery"),
    ("print all lines of list.txt except the last 3", "head -n -3 list.txt"),
    ("print all lines of list.txt except the last 3", "head --lines=-3 list.txt"),
    ("skip the first 3 lines of list.txt", "tail -n +4 list.txt"),
    ("show the last 5 lines of list.txt", "tail -n 5 list.txt"),
    ("empty the file debug.log without deleting it", "truncate -s 0 debug.log"),
    ("empty the file debug.log without deleting it", ": > debug.log"),
    ("empty the file debug.log without deleting it", "echo -n > debug.log"),
    ("empty the file debug.log without deleting it", "cat /dev/null > debug.log"),
    ("add an empty line to the end of notes.txt", 'echo "" >> notes.txt'),  # appends
    ("print an empty line", "echo"),
    ("make the directory uploads writable by the group www-data",
     "chgrp -R www-data uploads && chmod -R g+w uploads"),
    ("list the members of the group docker", "getent group docker"),
    ("add the user alice to the group sudo", "sudo usermod -aG sudo alice"),
    ("find files owned by the user bob in /home", "find /home -user bob"),
    ("change the owner of site to the user www-data", "chown -R www-data:www-data site"),
    ("run psql as the user postgres", "sudo -u postgres psql"),  # a wrapper's option
    ("give the group write permission on everything under shared", "chmod -R g+w shared"),
    ("show my user id and group memberships", "id"),
    ("show the current user and group", "id"),
    ("run it as the user root", "sudo ./it"),  # root: what sudo is by itself
    ("show the branch history as a graph", "git log --graph --oneline --all"),  # not a name
    ("fetch the page with the user agent curl/8", "curl -A curl/8 https://example.com"),
    ("list the ports docker container api publishes", "docker port api"),
    ("publish container port 80 on 8080", "docker run -p 8080:80 nginx"),  # port: no name
    ("delete the branch feature/login", "git branch -d feature/login"),
    # A time, port, download, record type, city or order told its own way:
    ("show the current time in Tokyo", "TZ=Asia/Tokyo date"),
    ("show the current time in Tokyo", "env TZ='Asia/Tokyo' date +%T"),
    ("show the time in UTC", "date -u"),
    ("print the date in 3 days", "date -d '+3 days'"),
    ("show the time in the office", "date"),
    ("show disk usage of the current directory sorted by size", "du -sh * | sort -h"),
    ("show the 5 biggest directories here", "du -s * | sort -rn | head -5"),
    ("show the 5 biggest files here", "ls -lS | head -n 6"),
    ("look up the MX records of example.com", "dig MX example.com"),
    ("look up the MX records of example.com", "dig example.com mx +short"),
    ("look up the MX records of example.com", "nslookup -type=mx example.com"),
    ("look up the MX records of example.com", "nslookup -query=MX example.com"),
    ("look up the MX records of example.com", "host example.com"),  # host shows MX unasked
    ("show the txt record of example.org", "host -t TXT example.org"),
    ("show the A records of example.org", "dig example.org"),  # the address is the default
    ("download https://example.com/big.iso and resume if it was interrupted",
     "curl -C - -LO https://example.com/big.iso"),
    ("download https://example.com/big.iso and resume if it was interrupted",
     "wget -c https://example.com/big.iso"),
    ("download data.json from https://example.com", "curl -sSLo data.json https://example.com/data.json"),
    ("download data.json from https://example.com", "curl --output data.json https://example.com/data.json"),
    ("download data.json from https://example.com", "curl https://example.com/data.json > data.json"),
    ("download install.sh from https://example.com and run it", "curl -fsSL https://example.com/install.sh | sh"),
    ("check the headers before downloading https://example.com/a.zip", "curl -I https://example.com/a.zip"),
    ("show https://example.com/a.txt without downloading it", "curl https://example.com/a.txt"),
    ("copy backup.tar to root@10.1.1.9:/srv using port 2200", "scp -P2200 backup.tar root@10.1.1.9:/srv"),
    ("what is listening on port 3000", "lsof -i :3000"),
    ("serve this directory over HTTP on port 8000", "python3 -m http.server"),  # its default
    ("forward local port 8080 to port 80 on web", "ssh -L 8080:localhost:80 web"),
    ("sync music/ to nas over ssh on port 2022", "rsync -av -e 'ssh -p 2022' music/ nas:music/"),
    ("wait 10 minutes and then play a beep with printf", "sleep 600 && printf '\\a'"),
    ("wait 10 minutes and then play a beep with printf", "sleep 10m && printf '\\a'"),
    ("wait 5 seconds, then say done", "sleep 5 && echo done"),
    ("ping example.com 10 times, 2 minutes apart", "ping -c 10 -i 120 example.com"),
]  # fmt: skip


@pytest.mark.parametrize(("request_", "command"), PASSES)
def test_a_command_that_keeps_the_detail_passes(request_: str, command: str) -> None:
    assert check(request_, command) is None


def test_cities_are_read_from_the_tz_database(tmp_path: Path) -> None:
    """The machine's own database (.ci/run installs tzdata); without one, no city is known
    and nothing is checked."""
    zones = request_details._zones(request_details.ZONEINFO)
    assert zones["tokyo"] == "Asia/Tokyo" and zones["new york"] == "America/New_York"
    assert "center" not in zones  # America/North_Dakota/Center: a state's zone, not a city
    assert request_details._zones(str(tmp_path)) == {}


def test_no_right_answer_of_the_dev_set_or_the_fixtures_is_rejected() -> None:
    """The right answers written for the dev set (dev-answers.yaml: both halves, basic.yaml and
    dangerous.yaml): none may be sent back."""
    answers = yaml.safe_load((PROMPTS / "dev-answers.yaml").read_text())
    cases = [case for name in ("basic", "dangerous", "dev-tune", "dev-check")
             for case in yaml.safe_load((PROMPTS / f"{name}.yaml").read_text())["test_cases"]]  # fmt: skip
    pairs = [(case["prompt"], right) for case in cases
             for right in answers.get(case["id"], {}).get("right", [])]  # fmt: skip
    assert len(pairs) >= 600
    assert [(r, c, problem) for r, c in pairs if (problem := check(r, c))] == []


@needs_man
def test_the_problem_reaches_validate_as_a_detail(tmp_path: Path) -> None:
    require("bash")
    problem = validate("pkill -f node", "bash", str(tmp_path),
                       request="gracefully stop all processes named node")  # fmt: skip
    assert problem is not None and problem.kind == "detail"
    assert problem.message.startswith("the request asks for processes named node")


FIXED = [
    ("remove execute permission for others from deploy.sh", "chmod -x deploy.sh",
     "chmod o-x deploy.sh"),
    ("give the group write access to shared/", "sudo chmod -R +w shared/",
     "sudo chmod -R g+w shared/"),
    ("wait 10 minutes and then play a beep with printf", "sleep 10 && printf '\\a'",
     "sleep 10m && printf '\\a'"),
    ("shut down in 2 hrs", "sleep 2; systemctl poweroff", "sleep 2h; systemctl poweroff"),
    ("show the current time in Tokyo", "date +%H:%M", "TZ=Asia/Tokyo date +%H:%M"),
    ("look up the MX records of example.com", "nslookup example.com",
     "nslookup -type=MX example.com"),
    ("show the txt record of example.org", "host example.org", "host -t TXT example.org"),
    ("show the NS records for example.net", "dig +short example.net", "dig NS +short example.net"),
    ("download https://example.com/big.iso and resume if it was interrupted",
     "curl -C - -L https://example.com/big.iso", "curl -O -C - -L https://example.com/big.iso"),
    # `date -u` shows UTC whatever TZ says; a URL without a file name gives -O nothing to save
    # under; a port, a name or an order has no one edit: the model is asked again
    ("show the current time in Tokyo", "date -u '+%H:%M'", None),
    ("download the page https://example.com/", "curl -sL https://example.com/", None),
    ("connect to web on port 80 with ssh", "ssh -p 8080 web", None),
    ("stop all processes named node", "pkill -f node", None),
    ("show disk usage of the current directory sorted by size", "du -sh *", None),
]  # fmt: skip


@pytest.mark.parametrize(("request_", "command", "fixed"), FIXED)
def test_the_fix_is_the_command_with_the_detail_put_right_where_one_edit_does_it(
    request_: str, command: str, fixed: str | None
) -> None:
    found = request_details.find(request_, command)
    assert found is not None and found.message == check(request_, command)
    assert found.fix == fixed
    if fixed:
        assert check(request_, fixed) is None


@needs_man
def test_the_retry_is_told_the_detail_and_its_answer_is_taken(tmp_path: Path) -> None:
    """A scripted backend stands in for the model (the retry path is what is tested): the
    first answer matches node anywhere in a command line (no one edit puts that right), the
    second matches the process name."""
    require("bash")
    backend = ScriptedBackend("pkill -f node", "pkill node")
    context = Context(shell="bash", os_name="Linux", cwd=str(tmp_path))
    result = generate("stop all processes named node", Config(), backend, context)
    assert result.command == "pkill node"
    assert result.retry_reason is not None and "matches node anywhere" in result.retry_reason
    assert result.problem is None and not result.repaired
    assert backend.asked[1][-1]["content"].startswith("That command is wrong: the request asks")


@needs_man
def test_a_mode_the_check_knows_is_written_by_cmdai_without_asking_again(tmp_path: Path) -> None:
    """A scripted backend stands in for the model, which answers once: cmdai writes the
    others' mode into its command."""
    require("bash")
    backend = ScriptedBackend("chmod -x deploy.sh")
    context = Context(shell="bash", os_name="Linux", cwd=str(tmp_path))
    result = generate("remove execute permission for others from deploy.sh", Config(), backend,
                      context)  # fmt: skip
    assert result.command == "chmod o-x deploy.sh"
    assert len(backend.asked) == 1 and result.first_command == "chmod -x deploy.sh"
    assert "o-x, not -x" in result.repaired and result.problem is None
