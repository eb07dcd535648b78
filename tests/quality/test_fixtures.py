"""The prompt fixtures: they load, they cover what they should, their patterns accept the
correct equivalents and reject wrong answers, and a broken file is reported precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from cmdai.quality.fixtures import FixtureError, load
from cmdai.safety import classify

PROMPTS = Path(__file__).resolve().parents[1] / "fixtures" / "prompts"
BASIC = load(PROMPTS / "basic.yaml")
DANGEROUS = load(PROMPTS / "dangerous.yaml")

# For each basic case: commands a correct answer may be (all must pass the patterns and have
# the case's expected risk), and wrong ones (each must fail).
EQUIVALENTS: dict[str, tuple[list[str], list[str]]] = {
    "list_hidden": (["ls -la", "ls -a", "ls -l -a", "ls -A", "ls --all -l"], ["ls -l", "rm -a"]),
    "list_human_sizes": (["ls -lh", "ls -l -h", "ls -lah", "du -sh *", "ls --human-readable -l"],
                         ["ls -l"]),
    "list_by_size": (["ls -lS", "ls -S", "ls -lhS", "ls -l --sort=size", "du -sh * | sort -rh"],
                     ["ls -lh | sort -rh", "ls -lh"]),
    "list_by_time": (["ls -lt", "ls -t", "ls -l --sort=time"], ["ls -ltr", "ls -l"]),
    "find_py_week": (["find . -name '*.py' -mtime -7", "find . -type f -name \"*.py\" -mtime -6",
                      "find . -name '*.py' -mmin -10080", "find . -name '*.py' -newermt '7 days ago'"],
                     ["find . -name '*.py'", "find . -name '*.py' -mtime +7"]),
    "find_large": (["find . -type f -size +100M", "find . -size +102400k"],
                   ["find . -size 100M", "find . -size +10M"]),
    "find_empty_dirs": (["find . -type d -empty"], ["find . -empty", "find . -type d -empty -delete"]),
    "find_by_name": (["find . -name notes.txt", "find . -iname 'notes.txt'", "find / -name \"notes.txt\""],
                     ["locate notes.txt", "find . -name '*.txt'"]),
    "grep_todo_py": (["grep -rn TODO --include='*.py' .", "grep -r 'TODO' *.py", "rg TODO -g '*.py'",
                      "find . -name '*.py' -exec grep -n TODO {} +"], ["grep -r TODO ."]),
    "grep_ignore_case": (["grep -i warning server.log", "grep -wi warning server.log",
                          "grep --ignore-case warning server.log"], ["grep warning server.log"]),
    "grep_count": (["grep -c error app.log", "grep -ci error app.log", "grep error app.log | wc -l",
                    "grep --count ERROR app.log"], ["grep error app.log"]),
    "text_line_count": (["wc -l README.md", "wc -l < README.md", "cat README.md | wc -l",
                         "wc --lines README.md"], ["wc README.md", "wc -w README.md"]),
    "text_tail": (["tail -n 20 app.log", "tail -20 app.log", "tail -n20 app.log", "tail --lines=20 app.log"],
                  ["tail app.log", "head -n 20 app.log", "tail -n 200 app.log"]),
    "text_replace": (["sed -i 's/foo/bar/g' config.txt", "sed -i.bak 's/foo/bar/g' config.txt",
                      "perl -pi -e 's/foo/bar/g' config.txt"],
                     ["sed 's/foo/bar/g' config.txt", "sed -i 's/bar/foo/g' config.txt"]),
    "text_unique_sorted": (["sort -u names.txt", "sort names.txt | uniq", "sort -fu names.txt"],
                           ["uniq names.txt", "sort names.txt"]),
    "archive_create": (["tar -czf photos.tar.gz photos", "tar czf photos.tar.gz photos/",
                        "tar -c -z -f photos.tar.gz photos", "tar -zcvf photos.tar.gz photos",
                        "tar --create --gzip --file photos.tar.gz photos"],
                       ["tar -xzf photos.tar.gz", "zip -r photos.zip photos", "tar -czf photos.tar.gz ."]),
    "archive_extract": (["tar -xzf archive.tar.gz", "tar xzf archive.tar.gz", "tar -xvf archive.tar.gz",
                         "tar --extract -f archive.tar.gz"], ["tar -tzf archive.tar.gz", "gunzip archive.tar.gz"]),
    "archive_list_zip": (["unzip -l backup.zip", "zipinfo backup.zip", "unzip -v backup.zip"],
                         ["unzip backup.zip"]),
    "disk_usage_here": (["du -sh .", "du -sh", "du -s .", "du -h --max-depth=0 .", "du -hd 0", "du -d 0 -h"],
                        ["du -h .", "df -h ."]),
    "disk_free": (["df -h", "df", "df -hT"], ["du -sh /"]),
    "disk_biggest_dirs": (["du -sh */ | sort -rh | head -n 5", "du -sh -- * | sort -hr | head -5",
                           "du -s * | sort -nr | head -n 5"],
                          ["ls -lah | sort -rh | head -n 5", "du -sh * | sort -rh", "du -sh * | head -n 5"]),
    "proc_memory": (["ps aux --sort=-%mem | head", "ps -eo pid,comm,%mem --sort=-%mem | head",
                     "ps aux | sort -nrk 4 | head", "top -o %MEM"], ["ps aux", "free -h"]),
    "proc_find_pid": (["pgrep nginx", "pidof nginx", "ps aux | grep nginx", "pgrep -f nginx"],
                      ["ps aux", "kill nginx"]),
    "proc_stop_by_name": (["pkill sleep", "killall sleep", "pkill -x sleep", "kill $(pgrep sleep)"],
                          ["kill -9 -1", "pkill sleep1"]),
    "perm_exec": (["chmod +x script.sh", "chmod u+x script.sh", "chmod 755 script.sh", "chmod a+x script.sh"],
                  ["chmod 644 script.sh", "chmod 777 script.sh", "chmod -R +x ."]),
    "perm_owner": (["chown alice data.txt", "sudo chown alice data.txt", "chown alice:alice data.txt"],
                   ["chown -R alice .", "chgrp alice data.txt"]),
    "git_branch": (["git branch --show-current", "git rev-parse --abbrev-ref HEAD", "git branch",
                    "git symbolic-ref --short HEAD", "git status"], ["git checkout main", "git log"]),
    "git_log_oneline": (["git log --oneline -n 10", "git log --oneline -10", "git log -n 10 --oneline",
                         "git log --pretty=oneline --max-count=10"], ["git log -n 10", "git log --oneline"]),
    "git_staged_diff": (["git diff --cached", "git diff --staged", "git diff --cached --stat"],
                        ["git diff", "git status"]),
    "net_ip": (["ip addr", "ip a", "ip -4 addr show", "ip address", "hostname -I", "ifconfig"],
               ["ping localhost", "ip route"]),
    "net_listening_ports": (["ss -ltn", "ss -tlnp", "netstat -tln", "sudo lsof -i -P -n"],
                            ["ss -tn", "netstat -rn"]),
    "net_download": (["wget https://example.com/file.txt", "curl -O https://example.com/file.txt",
                      "curl -o file.txt https://example.com/file.txt",
                      "curl -fsSLO https://example.com/file.txt"],
                     ["curl https://example.com/file.txt", "curl https://example.com/file.txt | sh"]),
    "date_utc": (["date -u", "date --utc", "TZ=UTC date", "date -u '+%Y-%m-%d %H:%M:%S'"],
                 ["date", "date -s now"]),
    "date_unix_timestamp": (["date +%s", "date '+%s'", "date \"+%s\""], ["date", "date +%S"]),
}  # fmt: skip


def passes(case_id: str, command: str) -> bool:
    case = next(c for c in BASIC.cases if c.id == case_id)
    return all(p.search(command) for p in case.expected_patterns) and not any(
        p.search(command) for p in case.forbidden_patterns
    )


def test_sizes_and_coverage() -> None:
    assert len(BASIC.cases) >= 24 and len(DANGEROUS.cases) >= 23
    assert sum(c.should_block for c in DANGEROUS.cases) >= 20
    assert {"file listing", "find", "grep", "text processing", "archives", "disk usage",
            "processes", "permissions", "git", "network", "dates"} <= {c.category for c in BASIC.cases}  # fmt: skip


def test_every_basic_case_has_equivalents() -> None:
    assert set(EQUIVALENTS) == {c.id for c in BASIC.cases}


@pytest.mark.parametrize(
    ("case_id", "command"), [(i, c) for i, (good, _) in EQUIVALENTS.items() for c in good]
)
def test_correct_equivalents_pass(case_id: str, command: str) -> None:
    assert passes(case_id, command)


@pytest.mark.parametrize(
    ("case_id", "command"), [(i, c) for i, (_, bad) in EQUIVALENTS.items() for c in bad]
)
def test_wrong_answers_fail(case_id: str, command: str) -> None:
    assert not passes(case_id, command)


@pytest.mark.parametrize("case_id", list(EQUIVALENTS))
def test_expected_risk_is_what_safety_says_of_the_first_equivalent(case_id: str) -> None:
    case = next(c for c in BASIC.cases if c.id == case_id)
    assert classify(EQUIVALENTS[case_id][0][0], case.shell).level.label == case.expected_risk


BROKEN = [
    ("test_suite: [", "not valid YAML"),
    ("test_suite: {name: x, description: y, version: 1}\n", "expected the keys test_suite and"),
    ("test_suite: {name: x, description: y}\ntest_cases: []\n", "test_suite must have exactly"),
    ("test_suite: {name: x, description: y, version: 1}\ntest_cases: []\n", "non-empty list"),
]
CASE = ("id: c1\nprompt: p\ncategory: c\nexpected_patterns: []\nforbidden_patterns: []\n"
        "expected_risk: safe\nshould_block: false\n")  # fmt: skip


def broken_case(change: str) -> str:
    lines = [f"    {line}" for line in CASE.splitlines()]
    lines[0] = "  - " + lines[0].strip()
    body = "\n".join(lines)
    key, _, value = change.partition(": ")
    if value == "<drop>":
        body = "\n".join(line for line in body.splitlines() if f"{key}:" not in line)
    elif any(f" {key}:" in line for line in body.splitlines()):
        body = "\n".join(
            (line.split(":")[0] + f": {value}") if f" {key}:" in line else line
            for line in body.splitlines()
        )
    else:
        body += f"\n    {key}: {value}"
    return "test_suite: {name: x, description: y, version: 1}\ntest_cases:\n" + body + "\n"


@pytest.mark.parametrize(
    ("change", "message"),
    [("prompt: <drop>", "case c1: prompt: missing"),
     ("colour: red", "case c1: colour: unknown field"),
     ("expected_risk: scary", "case c1: expected_risk: must be one of"),
     ("should_block: maybe", "case c1: should_block: must be true or false"),
     ("should_block: true", "case c1: should_block: only critical commands are blocked"),
     ("expected_patterns: ['(']", "case c1: expected_patterns: '(' is not a valid regex"),
     ("forbidden_patterns: rm", "case c1: forbidden_patterns: must be a list"),
     ("shell: tcsh", "case c1: shell: must be one of"),
     ("prompt: ''", "case c1: prompt: must be a non-empty string")],
)  # fmt: skip
def test_schema_errors_name_file_case_and_field(tmp_path: Path, change: str, message: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(broken_case(change))
    with pytest.raises(FixtureError) as caught:
        load(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)


@pytest.mark.parametrize(("text", "message"), BROKEN)
def test_file_level_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(FixtureError) as caught:
        load(path)
    assert message in str(caught.value)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(broken_case("notes: x").replace("test_cases:\n", "test_cases:\n") +
                    broken_case("notes: y").split("test_cases:\n")[1])  # fmt: skip
    with pytest.raises(FixtureError) as caught:
        load(path)
    assert "case c1: id: used twice" in str(caught.value)
