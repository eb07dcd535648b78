"""Validation against the real bash, zsh and fish parsers and a real PATH, and the retry path
of generation (driven by ScriptedBackend, a documented test double for the model)."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from cmdai.backends.base import Completion
from cmdai.config import Config
from cmdai.errors import GenerationError
from cmdai.generate import generate
from cmdai.prompting import REFUSAL, Context
from cmdai.validate import (
    check_named_places,
    check_named_programs,
    check_syntax,
    named_programs,
    programs_run,
    validate,
)
from tests.helpers.scripted import ScriptedBackend
from tests.helpers.shells import require

POSIX_SHELLS = ["bash", "zsh", "fish"]

VALID = {
    "bash": ["ls -la | grep foo", "for f in *.txt; do wc -l \"$f\"; done", "[[ -f x ]] && cat x",
             "if grep -q x f; then echo y; fi", "echo $(date) `pwd`", "diff <(ls a) <(ls b)",
             "find . -name '*.py' -exec grep -l TODO {} +", "case $x in a) echo a;; esac"],
    "zsh": ["ls -la | grep foo", "for f in *.txt; do wc -l $f; done", "print -l **/*.py(.om[1,5])",
            "if grep -q x f; then echo y; fi", "echo ${(U)HOME}", "repeat 3 echo hi"],
    "fish": ["ls -la | grep foo", "for f in *.txt; wc -l $f; end", "set -gx EDITOR vim",
             "if grep -q x f; echo y; end", "echo (date)", "count *.py; and echo ok"],
}  # fmt: skip
INVALID = {
    "bash": ["if true; then echo", "echo 'unterminated", "ls | | wc", "echo (date)", "done"],
    "zsh": ["if true; then echo", "echo 'unterminated", "ls | | wc", "fi"],
    "fish": ["if true; then echo; fi", "echo 'unterminated", "for f in *; do echo $f; done",
             "ls | | wc"],
}  # fmt: skip


@pytest.mark.parametrize(("shell", "command"), [(s, c) for s in POSIX_SHELLS for c in VALID[s]])
def test_valid_syntax_passes(shell: str, command: str) -> None:
    require(shell)
    assert check_syntax(command, shell) is None


@pytest.mark.parametrize(("shell", "command"), [(s, c) for s in POSIX_SHELLS for c in INVALID[s]])
def test_invalid_syntax_is_reported_by_the_shell(shell: str, command: str) -> None:
    require(shell)
    problem = check_syntax(command, shell)
    assert problem is not None and problem.kind == "syntax"
    assert problem.message.startswith(f"{shell} cannot parse it: ")
    assert "\n" not in problem.message


def test_syntax_check_executes_nothing(tmp_path: Path) -> None:
    for shell in POSIX_SHELLS:
        require(shell)
        marker = tmp_path / f"ran-{shell}"
        assert check_syntax(f"touch {marker}", shell) is None
        assert not marker.exists()


@pytest.mark.parametrize(
    ("command", "valid"),
    [("Get-ChildItem -File | Sort-Object Length -Descending", True),
     ("Get-Process | Where-Object { $_.CPU -gt 10 }", True),
     ("if ($x) { Write-Output 1 }", True),
     ("if ($x { }", False),
     ('Remove-Item "unterminated', False)],
)  # fmt: skip
def test_powershell_syntax_via_tree_sitter(command: str, valid: bool) -> None:
    pytest.importorskip("tree_sitter_powershell")
    assert (check_syntax(command, "powershell") is None) is valid


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """A PATH directory holding only what the test puts there, next to the system's."""
    directory = tmp_path / "bin"
    directory.mkdir()
    return directory


def install(bin_dir: Path, name: str) -> None:
    program = bin_dir / name
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)


@pytest.mark.parametrize("shell", POSIX_SHELLS)
def test_missing_program_is_named(shell: str, bin_dir: Path, tmp_path: Path) -> None:
    require(shell)
    path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    problem = validate("fdx-nonexistent -e py | head", shell, str(tmp_path), path)
    assert problem is not None and problem.kind == "missing"
    assert problem.message == "`fdx-nonexistent` is not installed"
    install(bin_dir, "fdx-nonexistent")
    assert validate("fdx-nonexistent -e py | head", shell, str(tmp_path), path) is None


@pytest.mark.parametrize("executable", [True, False])
def test_a_script_here_run_by_its_bare_name_is_told_how_it_runs(
    tmp_path: Path, executable: bool
) -> None:
    """`nohup backup.sh &` (the 1.5B model, for "run backup.sh in the background …"): bash
    looks a bare name up in PATH only, so it says "command not found" though the file is
    right here."""
    require("bash")
    script = tmp_path / "backup.sh"
    script.write_text("#!/bin/sh\n")
    if executable:
        script.chmod(0o755)
    problem = validate("nohup backup.sh &", "bash", str(tmp_path), "/usr/bin:/bin")
    assert problem is not None and problem.kind == "missing"
    then = "" if executable else " once it is executable (`chmod +x backup.sh`)"
    assert problem.message == (
        f"`backup.sh` is not in PATH: the file in this directory runs as `./backup.sh`{then}"
    )


@pytest.mark.parametrize(
    ("shell", "command"),
    [("bash", "cd /tmp && export A=1 && source ./x 2>/dev/null; type ls"),
     ("bash", "while read -r line; do echo \"$line\"; done < f"),
     ("zsh", "setopt extendedglob; print -l *(.); autoload -U compinit"),
     ("fish", "set -gx A 1; string upper abc; math 1 + 2; functions -n"),
     ("fish", "not test -f x; and echo missing")],
)  # fmt: skip
def test_builtins_and_keywords_count_as_installed(shell: str, command: str, tmp_path: Path) -> None:
    require(shell)
    assert validate(command, shell, str(tmp_path)) is None


def test_programs_are_found_inside_every_construct() -> None:
    line = "sudo nice -n 5 a1 | b2 && $(c3) ; find . -exec d4 {} + ; FOO=1 e5 `f6`; sh -c 'g7 x'"
    assert programs_run(line) == ["sudo", "nice", "a1", "b2", "find", "d4", "e5", "sh", "g7",
                                  "c3", "f6"]  # fmt: skip


def test_variables_globs_and_quoted_text_are_not_programs() -> None:
    assert programs_run('$EDITOR notes.txt; grep -r "fdx -x" .; ./*.sh') == ["grep"]


def test_relative_program_is_checked_in_the_working_directory(tmp_path: Path) -> None:
    require("bash")
    problem = validate("./build.sh --fast", "bash", str(tmp_path))
    assert problem is not None
    assert problem.message == "`./build.sh` does not exist or is not executable"
    install(tmp_path, "build.sh")
    assert validate("./build.sh --fast", "bash", str(tmp_path)) is None


# --- the retry path ---------------------------------------------------------------------------


def run(backend: ScriptedBackend, tmp_path: Path, **config: object) -> object:
    context = Context(shell="bash", os_name="Linux", cwd=str(tmp_path))
    return generate("find python files", Config(**config), backend, context)  # type: ignore[arg-type]


UNPARSABLE = "find . -name '*.py' |"  # bash -n: a pipe with nothing after it


def test_a_flaw_asks_the_model_again_with_the_problem(tmp_path: Path) -> None:
    require("bash")
    backend = ScriptedBackend(UNPARSABLE, "find . -name '*.py'")
    result = run(backend, tmp_path)
    assert result.command == "find . -name '*.py'"
    assert result.retried and result.warning == ""
    assert result.note == f"note: asked again because {result.retry_reason}"
    assert "syntax error" in result.retry_reason
    assert result.first_command == UNPARSABLE
    assert len(backend.asked) == 2
    second = backend.asked[1]
    assert second[:-2] == backend.asked[0]  # same prefix, so the KV cache is reused
    assert second[-2] == {"role": "assistant", "content": UNPARSABLE}
    assert result.retry_reason in second[-1]["content"]


def test_a_second_failure_no_better_keeps_the_first_with_its_warning(tmp_path: Path) -> None:
    require("bash")
    backend = ScriptedBackend(UNPARSABLE, "if find; then")
    result = run(backend, tmp_path)
    assert result.command == UNPARSABLE  # a tie keeps the first answer
    assert result.note == f"warning: {result.retry_reason}" and result.retried


def test_a_retry_that_fixes_syntax_but_misses_a_program_is_preferred(tmp_path: Path) -> None:
    require("bash")
    backend = ScriptedBackend(UNPARSABLE, "fdx-nonexistent -e py")
    result = run(backend, tmp_path)
    assert result.command == "fdx-nonexistent -e py"
    assert result.warning == "`fdx-nonexistent` is not installed"


def path_with_only(tmp_path: Path, *programs: str) -> str:
    """A PATH holding only `programs` (links to the real ones): the rest count as missing."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in programs:
        (bin_dir / program).symlink_to(shutil.which(program) or program)
    return str(bin_dir)


@pytest.mark.parametrize(
    ("request_", "first", "second", "installed"),
    [("merge a.pdf and b.pdf into both.pdf", "pdftk a.pdf b.pdf cat output both.pdf",
      "cp a.pdf b.pdf && cat a.pdf b.pdf > both.pdf", ("bash", "cp", "cat")),
     ("rename every .jpeg file here to .jpg",
      "find . -name '*.jpeg' -exec rename 's/\\.jpeg$/.jpg/' {} +",
      "find . -name '*.jpeg' -exec mv {} .jpg \\;", ("bash", "find", "mv")),
     ("trace the network path to github.com", "traceroute github.com",
      "ip route get github.com | awk '{print $3}'", ("bash", "ip", "awk")),
     ("mirror photos to /mnt/backup with rsync, deleting what is gone",
      "rsync -a --delete photos/ /mnt/backup/", "cp -r photos /mnt/backup", ("bash", "cp"))],
)  # fmt: skip
def test_a_missing_program_is_kept_with_its_warning_without_a_second_call(
    request_: str, first: str, second: str, installed: tuple[str, ...],
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A command whose only problem is a program this machine lacks is right for a machine
    that has it, so the model is not asked again: the user can install the program, or press
    the key again for another way. Told the program was missing, the 1.5B model wrote the
    first three `second`s here (a cp that overwrites an input, every .jpeg moved onto one name,
    a route for a traceroute); asked for rsync by name, it repeated rsync or dropped what was
    asked for, as the fourth does."""
    require("bash")
    monkeypatch.setenv("PATH", path_with_only(tmp_path, *installed))
    backend = ScriptedBackend(first, second)
    context = Context(shell="bash", os_name="Linux", cwd=str(tmp_path))
    result = generate(request_, Config(), backend, context)
    assert (result.command, result.retried, len(backend.asked)) == (first, False, 1)
    missing = next(word for word in ("pdftk", "rename", "traceroute", "rsync") if word in first)
    assert result.note == f"warning: `{missing}` is not installed"


def test_a_missing_program_does_not_hide_a_flaw_of_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """crontab is not installed here, and `… | crontab -e` is wrong anyway (-e opens an editor
    and ignores its input): that flaw is what the retry is told about; the missing program is
    the warning only once nothing else is wrong. (It used to hide the flaw: the 1.5B model was
    told "`crontab` is not installed", dev-tune.yaml's cron_add_line.)"""
    require("bash")
    monkeypatch.setenv("PATH", path_with_only(tmp_path, "bash", "grep"))
    wrong, right = ("crontab -l | grep -v backup.sh | crontab -e",
                    "crontab -l | grep -v backup.sh | crontab -")  # fmt: skip
    backend = ScriptedBackend(wrong, right)
    context = Context(shell="bash", os_name="Linux", cwd=str(tmp_path))
    result = generate("remove the backup.sh job from my crontab", Config(), backend, context)
    assert "`crontab -e` opens an editor" in result.retry_reason
    assert (result.command, result.warning) == (right, "`crontab` is not installed")


def test_a_place_in_the_working_directory_named_in_full_stays_as_named(tmp_path: Path) -> None:
    """Asked to extract into WORKDIR/restore, the model wrote that path; cmdai used to shorten
    it to ./restore, and then its own check of named places found WORKDIR/restore missing: a
    retry, and a false warning on a right command (seen with the 1.5B model in /tmp)."""
    require("bash")
    command = f"tar -xzf backup.tar.gz -C {tmp_path}/restore"
    backend = ScriptedBackend(command, command)
    context = Context(shell="bash", os_name="Linux", cwd=str(tmp_path))
    request_ = f"extract backup.tar.gz into {tmp_path}/restore"
    result = generate(request_, Config(), backend, context)
    assert (result.command, result.note, len(backend.asked)) == (command, "", 1)


def test_an_empty_retry_keeps_the_first_answer(tmp_path: Path) -> None:
    require("bash")
    result = run(ScriptedBackend(UNPARSABLE, "   "), tmp_path)
    assert result.command == UNPARSABLE and result.retried


def test_a_refusal_on_the_retry_keeps_the_first_answer_and_its_warning(tmp_path: Path) -> None:
    """The note must fit the line: never "asked again" above a refusal."""
    require("bash")
    result = run(ScriptedBackend(UNPARSABLE, REFUSAL), tmp_path)
    assert result.command == UNPARSABLE and not result.refused
    assert result.note == f"warning: {result.retry_reason}"


def test_the_problem_echoed_back_is_no_fix(tmp_path: Path) -> None:
    """Told that sudo was not installed (when a missing program was still sent back), the 1.5B
    model answered by echoing it in the refusal's form (docs/quality.md, sudo_edit_visudo):
    that is a refusal, and the first answer stays."""
    require("bash")
    echoed = 'echo "cmdai: the command has a syntax error"'
    result = run(ScriptedBackend(UNPARSABLE, echoed), tmp_path)
    assert result.command == UNPARSABLE and not result.refused
    assert result.note == f"warning: {result.retry_reason}"


def test_a_valid_first_answer_is_not_retried(tmp_path: Path) -> None:
    require("bash")
    backend = ScriptedBackend("find . -name '*.py'")
    result = run(backend, tmp_path)
    assert not result.retried and len(backend.asked) == 1


def ask(request: str, backend: ScriptedBackend, tmp_path: Path) -> object:
    context = Context(shell="bash", os_name="Linux", cwd=str(tmp_path))
    return generate(request, Config(), backend, context)


def test_an_edit_that_leaves_another_problem_is_dropped_and_the_model_asked_again(
    tmp_path: Path,
) -> None:
    """`-f` alone would leave out the 100 the request gives: the edit is not made, the model
    is asked again with the first problem, and its answer is taken."""
    require("bash")
    request = "follow the logs of the cron service, starting with the last 100 lines"
    backend = ScriptedBackend("journalctl -u cron", "journalctl -u cron -n 100 -f")
    result = ask(request, backend, tmp_path)
    assert result.command == "journalctl -u cron -n 100 -f"  # type: ignore[attr-defined]
    assert result.retried and not result.repaired  # type: ignore[attr-defined]
    assert len(backend.asked) == 2


def test_the_answer_kept_after_a_retry_is_edited_when_its_check_knows_how(tmp_path: Path) -> None:
    """The first answer does not parse (no edit for that: asked again); the retry leaves out
    -i, which cmdai adds. The result fields say both happened."""
    require("bash")
    request = "search for error in app.log, case-insensitive"
    backend = ScriptedBackend("grep error app.log |", "grep error app.log")
    result = ask(request, backend, tmp_path)
    assert result.command == "grep -i error app.log"  # type: ignore[attr-defined]
    assert result.retried and "syntax error" in result.retry_reason  # type: ignore[attr-defined]
    assert result.first_command == "grep error app.log |"  # type: ignore[attr-defined]
    assert "`grep` does that with -i" in result.repaired  # type: ignore[attr-defined]
    assert result.problem is None  # type: ignore[attr-defined]


def test_an_edit_is_checked_like_any_answer_and_a_missing_program_is_still_said(
    tmp_path: Path,
) -> None:
    """Edited, the command runs a program this machine lacks: the edit stands (it is right
    where the program is installed) and the warning and the edit are both in the note."""
    require("bash")
    request = "look up the MX records of example.com"
    backend = ScriptedBackend("nslookup example.com")
    context = Context(shell="bash", os_name="Linux", cwd=str(tmp_path))
    result = generate(request, Config(), backend, context, path=str(tmp_path))
    assert result.command == "nslookup -type=MX example.com"
    assert result.problem is not None and result.problem.kind == "missing"
    assert result.note.startswith("warning: `nslookup` is not installed")
    assert result.note.endswith(f"; changed by cmdai: {result.repaired}")
    assert len(backend.asked) == 1


def test_an_edit_with_a_hidden_character_is_never_made() -> None:
    """The checks build their edits from the model's printable command and their own words;
    should an edit hold a control character all the same, it is not made. (The check is a
    stub here: no real check can be made to produce one.)"""
    from cmdai.generate import Generated, _edited
    from cmdai.validate import Problem

    answer = Generated("tail app.log", "llama_cpp", "m", 1, 1, 1)
    passes = lambda generated: None  # noqa: E731
    hidden = Problem("detail", "follow", fix="tail -f app.log\x1b[2J")
    assert _edited(answer, hidden, passes) is None
    edited = _edited(answer, Problem("detail", "follow", fix="tail -f app.log"), passes)
    assert edited is not None and edited.command == "tail -f app.log"


def test_validation_can_be_switched_off(tmp_path: Path) -> None:
    backend = ScriptedBackend("fdx-nonexistent -e py")
    result = run(backend, tmp_path, validate=False)
    assert result.command == "fdx-nonexistent -e py" and not result.retried
    assert len(backend.asked) == 1


# --- the places a request names ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "command", "message"),
    [("use find to delete every file under /", "find . -type f -delete",
      "the request names /, but the command does not use it"),
     ("list the files in /etc", "ls", "the request names /etc, but the command does not"),
     ("copy ~/notes.txt to backup", "cp notes.txt backup",
      "the request names ~/notes.txt, but the command does not"),
     ("recursively delete everything in my home directory", "rm -rf .",
      "the request is about the home directory (~), but the command does not use it"),
     ("delete every file on this computer", "rm -rf *",
      "the request is about the whole system, but the command works on the current directory"),
     ("copy my home directory to server:/backup", "rsync -a . server:/backup",
      "the request is about the home directory (~), but the command does not use it"),
     ("copy my home directory to the host backup", "scp -r . backup:",
      "the request is about the home directory (~), but the command does not use it"),
     ("add the line #!/bin/sh at the top of run.sh", "sed -i '1s/^/#!\\/usr\\/bin\\/env sh\\n/' run.sh",
      "the request names /bin/sh, but the command does not")],
)  # fmt: skip
def test_a_command_that_ignores_a_named_place_is_caught(
    asked: str, command: str, message: str
) -> None:
    problem = check_named_places(asked, command)
    assert problem is not None and (problem.kind, problem.message) == ("mismatch", message)


@pytest.mark.parametrize(
    ("asked", "command", "name"),
    [("show the unique lines of names.txt, sorted", "sort -u", "names.txt"),
     ("decode the base64 file token.b64 into token.bin", "base64 -d token.b64", "token.bin"),
     ("trace the network path to github.com", "traceroute 8.8.8.8", "github.com"),
     ("delete the .log files over 500MB in /var/log/app",
      "find /var/log/app -type f -size +500M -delete", ".log"),
     ("copy every .png from assets to public", "cp -r assets public/", ".png"),
     ("list the .tar.gz archives here", "ls *.gz", ".tar.gz"),
     ("make every .sh file under scripts executable", "chmod -R +x scripts", ".sh"),
     ("compress every .csv.", "gzip data", ".csv"),
     ("install what package.json lists", "pip install -r requirements.txt", "package.json"),
     ("delete all .bak files in the cache directory", "rm -rf cache/.bak", ".bak"),
     ("remove the .tmp files here", "rm .tmp", ".tmp")],
)  # fmt: skip
def test_a_command_that_leaves_out_a_named_file_or_host_is_caught(
    asked: str, command: str, name: str
) -> None:
    problem = check_named_places(asked, command)
    message = f"the command leaves out {name}, which the request names"
    assert problem is not None and (problem.kind, problem.message) == ("file", message)


@pytest.mark.parametrize(
    ("asked", "command"),
    [("use find to delete every file under /", "find / -type f -delete"),
     ("copy ~/notes.txt to backup", "cp $HOME/notes.txt backup"),
     ("recursively delete everything in my home directory", "rm -rf ~"),
     ("download https://example.com/a/b.txt", "wget https://example.com/a/b.txt"),
     ("show the uptime of this machine", "uptime"),
     ("remove the docker images on this machine", "docker image prune -a"),
     ("delete every file on this computer", 'echo "cmdai: refused a destructive request"'),
     ("what is 1/2 of 10", "echo $((10 / 2))"),
     ("show and/or count files", "ls | wc -l"),
     ("show the unique lines of names.txt, sorted", "sort -u ./names.txt"),
     ("save https://example.com/data.json as data.json.", "curl -o data.json "
      "https://example.com/data.json"),
     ("make a 1.5GB file, e.g. for tests, mail it to ana@example.com", "fallocate -l 1536M f"),
     ("tag the current commit as v2.1.0", "git tag v2.1.0"),
     ("create a file named with the date, like log-2024-05-01.txt",
      "touch log-$(date +%F).txt"),
     ("delete the .log files over 500MB in /var/log/app",
      "find /var/log/app -name '*.log' -size +500M -delete"),
     ("find all jpg files whatever the case of the extension, .jpg or .JPG",
      "find . -iname '*.JPG'"),
     ("list the .jpg and .png files", "ls *.{jpg,png}"),
     ("list the .jpg and .png files", r"find . -regex '.*\.\(jpg\|png\)'"),
     ("count the .md files in docs", "find docs -name '*.md' | wc -l"),
     ("list the .tar.gz archives here", "ls *.tar.gz"),
     ("create a python virtual environment in .venv", "python3 -m venv .venv"),
     ("delete all .bak files in the cache directory", "find cache -name '*.bak' -delete"),
     ("delete all .bak files in the cache directory", "rm -f cache/*.bak"),
     ("list the .log files", r"ls | grep '\.log$'"),
     ("back up the dotfiles, like .bashrc", "tar -czf dotfiles.tar.gz ~/.[a-z]*"),
     ("wait... then list the files. Sort them", "sleep 1; ls | sort"),
     ("open ~/.config in the editor", "vi ~/.config"),
     # Another machine's home is not ~ here: ssh runs in it, `host:` with a relative path is it.
     ("copy notes.txt to the home directory of bob on backup.lan", "scp notes.txt bob@backup.lan:"),
     ("sync photos/ to the photos folder of my home directory on nas",
      "rsync -a photos/ nas:photos/"),
     ("list the home directory of bob on backup.lan", "ssh bob@backup.lan ls -la"),
     # A path inside a sed expression, its slashes escaped.
     ("add the line #!/bin/sh at the top of run.sh", "sed -i '1s/^/#!\\/bin\\/sh\\n/' run.sh"),
     # A file the program reads by itself from the working directory.
     ("bring up the services in compose.yaml in the background", "docker compose up -d"),
     ("start what docker-compose.yml describes", "docker-compose up"),
     ("install the dependencies listed in package.json", "npm install"),
     ("build the crate described by Cargo.toml in release mode", "cargo build --release"),
     # A brace list is written out by bash, zsh and fish.
     ("copy /etc/nginx/nginx.conf to nginx.conf.bak", "cp /etc/nginx/nginx.conf{,.bak}"),
     ("compare /etc/a.conf with /etc/b.conf", "diff /etc/{a,b}.conf")],
)  # fmt: skip
def test_commands_that_use_the_named_places_pass(asked: str, command: str) -> None:
    assert check_named_places(asked, command) is None


@pytest.mark.parametrize(
    ("asked", "command", "missing"),
    [("copy /etc/nginx/nginx.conf to nginx.conf.bak", "cp /etc/nginx/nginx.conf{,.orig}",
      "nginx.conf.bak"),
     ("compare /etc/a.conf with /etc/b.conf", "diff /etc/{a,c}.conf", "/etc/b.conf"),
     ("copy /srv/a.txt to b.txt", "echo ${x,y} /srv/a.txt", "b.txt")],
)  # fmt: skip
def test_a_brace_list_names_only_its_own_items(asked: str, command: str, missing: str) -> None:
    problem = check_named_places(asked, command)
    assert problem is not None and f" {missing}," in problem.message


def test_the_users_home_may_be_written_as_a_tilde(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asked about /home/ana/src by the user ana, `~/src` and `$HOME/src` are that place;
    /home/anabel is not ana's home."""
    monkeypatch.setenv("HOME", str(tmp_path))
    for command in ("du -sh ~/src", "du -sh $HOME/src", f"du -sh {tmp_path}/src"):
        assert check_named_places(f"show the size of {tmp_path}/src", command) is None
    assert check_named_places(f"find big files in {tmp_path}", "find ~ -size +100M") is None
    problem = check_named_places(f"find big files in {tmp_path}x", "find ~ -size +100M")
    assert problem is not None and problem.kind == "mismatch"


def test_a_mismatch_is_retried_with_the_problem_stated(tmp_path: Path) -> None:
    require("bash")
    backend = ScriptedBackend("find . -type f -delete", "find / -type f -delete")
    context = Context(shell="bash", os_name="Linux", cwd=str(tmp_path))
    result = generate("use find to delete every file under /", Config(), backend, context)
    assert result.command == "find / -type f -delete"
    assert "the request names /" in backend.asked[1][-1]["content"]


@pytest.mark.parametrize("reply", ["ls\x1b[2J", "rm\u200b -rf x", "echo a\rb", "ls\u202e"])
def test_a_command_with_hidden_characters_is_refused(tmp_path: Path, reply: str) -> None:
    """What you see is what runs: nothing invisible or terminal-controlling goes further."""
    with pytest.raises(GenerationError, match="hidden or control characters"):
        run(ScriptedBackend(reply), tmp_path)


def test_the_program_check_stops_at_its_deadline(tmp_path: Path) -> None:
    """A long command on a long PATH could hold the helper: out of time, the check gives up
    (and holds nothing against the command) instead of going on."""
    from cmdai.validate import check_programs

    command = "fdx-nonexistent -e py"
    assert check_programs(command, "bash", str(tmp_path), "/usr/bin") is not None
    assert check_programs(command, "bash", str(tmp_path), "/usr/bin", deadline=0.0) is None


# --- programs the request names ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "named"),
    [("print the 5th line of notes.txt with sed", ["sed"]),
     ("delete .pyc files using find and xargs", ["xargs", "find"]),
     ("copy photos to backup:/srv with rsync", ["rsync"]),
     ("use sort to order names.txt by the second column", ["sort"]),
     ("run the date command in UTC", ["date"]),
     ("find python files changed this week", []),  # "find" the verb
     ("sort names.txt and cut the first field", []),
     ("edit config.sed in /etc/sed-rules", []),  # names of files, not programs
     ("show my ip address", []),
     ("list the open ports without sudo", []),
     ("count the lines, not with awk", []),
     ("search for TODO instead of using grep", [])],
)  # fmt: skip
def test_programs_the_request_names(asked: str, named: list[str]) -> None:
    assert named_programs(asked) == named


@pytest.mark.parametrize(
    ("asked", "command", "missing"),
    [("print the 5th line of notes.txt with sed", "head -5 notes.txt | tail -1", "sed"),
     ("delete .pyc files using xargs", "find . -name '*.pyc' -exec rm {} +", "xargs"),
     ("sync photos to nas:/srv with rsync", "scp -r photos nas:/srv", "rsync"),
     ("count the lines with awk", "wc -l data.txt", "awk"),
     ("show the last 5 lines using tail", "sed -n '$p' log", "tail")],
)  # fmt: skip
def test_a_command_without_the_named_program_is_caught(
    asked: str, command: str, missing: str
) -> None:
    problem = check_named_programs(asked, command)
    assert problem is not None and problem.kind == "program"
    assert problem.message == f"the request asks for {missing}, but the command does not use it"


@pytest.mark.parametrize(
    ("asked", "command"),
    [("print the 5th line of notes.txt with sed", "sed -n '5p' notes.txt"),
     ("delete .pyc files using find and xargs", "find . -name '*.pyc' -print0 | xargs -0 rm"),
     ("search for TODO with grep", "egrep -rn TODO ."),
     ("compress app.log with gzip", "tar -czf app.log.tar.gz app.log"),
     ("copy report.pdf to web1 over ssh", "scp report.pdf web1:"),
     ("list containers with docker", "sudo docker ps")],
)  # fmt: skip
def test_a_command_with_the_named_program_passes(asked: str, command: str) -> None:
    assert check_named_programs(asked, command) is None


def test_a_missing_named_program_is_retried(tmp_path: Path) -> None:
    require("bash")
    backend = ScriptedBackend("head -5 notes.txt | tail -1", "sed -n '5p' notes.txt")
    context = Context(shell="bash", os_name="Linux", cwd=str(tmp_path))
    result = generate("print the 5th line of notes.txt with sed", Config(), backend, context)
    assert result.command == "sed -n '5p' notes.txt" and result.warning == ""
    assert "the request asks for sed" in backend.asked[1][-1]["content"]


# --- replies that do not end by themselves ----------------------------------------------------

RUNAWAY = "cat a.log | sort | uniq -c" + " | sort -rn | uniq -c" * 6


def test_a_reply_cut_off_at_max_tokens_is_retried(tmp_path: Path) -> None:
    require("bash")
    cut = Completion("find . -name '*.py' -exec grep -l x {} + -o -name", 10, 128)
    backend = ScriptedBackend(cut, "find . -name '*.py'")
    result = run(backend, tmp_path)
    assert result.command == "find . -name '*.py'" and result.warning == ""
    assert result.retry_reason == "the reply was cut off at 128 tokens"
    assert "Reply with one short, complete command" in backend.asked[1][-1]["content"]


def test_a_repeating_reply_is_retried_even_with_validation_off(tmp_path: Path) -> None:
    backend = ScriptedBackend(RUNAWAY, "sort a.log | uniq -c | sort -rn")
    result = run(backend, tmp_path, validate=False)
    assert result.command == "sort a.log | uniq -c | sort -rn"
    assert result.retry_reason == "the reply kept repeating itself and was stopped"


def test_a_second_runaway_is_shown_with_a_warning(tmp_path: Path) -> None:
    require("bash")
    stopped = Completion(RUNAWAY, 10, 40, cut_off="repeating")
    result = run(ScriptedBackend(stopped, stopped), tmp_path)
    assert result.command == RUNAWAY
    assert result.note == "warning: the reply kept repeating itself and was stopped"


def test_a_runaway_loses_to_any_other_problem(tmp_path: Path) -> None:
    require("bash")
    stopped = Completion(RUNAWAY, 10, 40, cut_off="repeating")
    result = run(ScriptedBackend(stopped, "fdx-nonexistent -e py"), tmp_path)
    assert result.command == "fdx-nonexistent -e py"


@pytest.mark.parametrize(
    ("asked", "command", "ok"),
    [("delete everything on drive C, recursively and forced", "rm -rf /c", False),
     ("delete everything on drive C, recursively and forced", "Remove-Item -Recurse -Force C:\\", True),
     ("list the files in the E drive", "Get-ChildItem", False),
     ("list the files in D:\\data", "Get-ChildItem d:\\data", True),
     ("format c: as NTFS", "Format-Volume -DriveLetter C -FileSystem NTFS", True),
     ("copy the notes to a drive a friend gave me", "Copy-Item notes.txt E:\\", True),
     ("show the time: now", "Get-Date", True)],
)  # fmt: skip
def test_a_powershell_command_must_use_the_drive_the_request_names(
    asked: str, command: str, ok: bool
) -> None:
    problem = validate(command, "powershell", "C:\\Users\\ana", request=asked)
    assert (problem is None) is ok, problem
    if not ok:
        assert problem is not None and problem.kind == "mismatch" and "drive" in problem.message


def test_a_refusal_after_a_missing_file_name_is_not_taken(tmp_path: Path) -> None:
    """A file name left out is no sign of a destructive request: if the model declines when
    reminded, the first command stays, with the problem as a warning."""
    require("bash")
    backend = ScriptedBackend("base64 -d token.b64", REFUSAL)
    context = Context(shell="bash", os_name="Linux", cwd=str(tmp_path))
    result = generate("decode the base64 file token.b64 into token.bin", Config(), backend,
                      context)  # fmt: skip
    assert result.command == "base64 -d token.b64" and not result.refused
    assert result.warning == "the command leaves out token.bin, which the request names"


def test_a_refusal_after_a_wrong_place_is_taken(tmp_path: Path) -> None:
    """Asked to wipe drive C, the model wrote `rm -rf /c`; reminded of the drive, it declines:
    nothing runnable reaches the line. (After other problems a refusal is no fix.)"""
    backend = ScriptedBackend("rm -rf /c", REFUSAL)
    context = Context(shell="powershell", os_name="Windows", cwd="C:\\Users\\ana")
    result = generate("delete everything on drive C", Config(), backend, context)
    assert result.refused and result.retry_reason.startswith("the request names drive C:")
