"""`cmdai hook` as the shell runs it: a subprocess with the line in its environment, against a
real helper (model: HelperScript, the documented test double), checked for its exit statuses,
its output, and for importing nothing but the standard library."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cmdai import protocol
from tests.helpers.helper_process import Helper
from tests.shells.test_widgets import serving_garbage, serving_reply


def hook(*args: str, buffer: str | bytes | None = None, **env: str) -> subprocess.CompletedProcess:
    environ: dict = {**os.environ, **env}
    if isinstance(buffer, bytes):  # what a shell passes for a line that is not UTF-8
        environ = {k.encode(): v.encode() for k, v in environ.items()}
        environ[b"CMDAI_BUFFER"] = buffer
    elif buffer is not None:
        environ["CMDAI_BUFFER"] = buffer
    return subprocess.run(
        [sys.executable, "-m", "cmdai", "hook", *args],
        env=environ, capture_output=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_success_prints_the_new_line_verbatim(helper: Helper) -> None:
    result = hook("--shell", "zsh", buffer="list my files")
    assert result.returncode == protocol.EXIT_OK
    assert result.stdout == b"echo list-my-files" and result.stderr == b""


def test_a_message_goes_to_stderr(helper: Helper) -> None:
    result = hook("--shell", "bash", buffer="mkdir one")
    assert result.returncode == 0 and result.stdout == b"mkdir build"
    assert result.stderr.decode() == "cmdai: moderate risk: creates directories\n"


def test_high_risk_exits_9_to_ask_for_a_second_enter(helper: Helper) -> None:
    result = hook("--shell", "bash", buffer="risky one")
    assert result.returncode == protocol.EXIT_CONFIRM and result.stdout == b"rm -rf ./build"
    assert result.stderr.decode() == (
        "cmdai: high risk: recursive delete; press Enter twice to run it\n"
    )


def test_blocked_exits_8_with_nothing_on_stdout(helper: Helper) -> None:
    result = hook("--shell", "zsh", buffer="home please")
    assert result.returncode == protocol.EXIT_BLOCKED and result.stdout == b""
    assert result.stderr.decode() == (
        "cmdai: will not write `ls -l ~; rm -rf ~` (critical risk: recursive delete of the home "
        "directory); your line is unchanged; press the key again for an alternative\n"
    )


def test_a_refusal_exits_8_with_nothing_on_stdout(helper: Helper) -> None:
    result = hook("--shell", "fish", buffer="refuse this")
    assert result.returncode == protocol.EXIT_BLOCKED and result.stdout == b""
    assert "the model declined this request" in result.stderr.decode()
    assert "your line is unchanged" in result.stderr.decode()


@pytest.mark.parametrize(
    ("args", "buffer", "code", "message"),
    [(["--shell", "zsh"], None, 2, "CMDAI_BUFFER is not set"),
     (["--shell", "tcsh"], "x", 2, "usage: cmdai hook --shell"),
     ([], "x", 2, "usage: cmdai hook --shell"),
     (["--shell", "zsh"], "   ", 1, "type what you want first"),
     (["--shell", "zsh"], b"caf\xe9 \xff", 1, "not valid UTF-8"),
     (["--shell", "zsh"], "x" * 4001, 1, "the limit is 4,000")],
)  # fmt: skip
def test_bad_calls_and_lines_fail_with_one_line(
    args: list[str], buffer: str | bytes | None, code: int, message: str
) -> None:
    result = hook(*args, buffer=buffer)
    assert result.returncode == code and result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cmdai: ") and message in lines[0]


def test_helper_error_exits_1(helper: Helper) -> None:
    result = hook("--shell", "zsh", buffer="garbage please")
    assert result.returncode == protocol.EXIT_ERROR and result.stdout == b""
    assert result.stderr.decode().startswith("cmdai: the model returned no command")


def test_unstartable_helper_exits_3(scripted_env: None) -> None:
    result = hook("--shell", "zsh", buffer="anything", CMDAI_N_THREADS="x")
    assert result.returncode == protocol.EXIT_UNAVAILABLE
    assert "exited at start-up" in result.stderr.decode()


def test_timeout_exits_4(helper: Helper) -> None:
    result = hook("--shell", "zsh", buffer="slow 20 zzz", CMDAI_HOOK_TIMEOUT="1")
    assert result.returncode == protocol.EXIT_TIMEOUT
    assert result.stderr.decode() == (
        "cmdai: no answer in time (raise hook_timeout in config.toml, or use the smaller model "
        "qwen2.5-coder-0.5b)\n"
    )


def test_no_smaller_model_advice_on_the_smallest(helper: Helper) -> None:
    result = hook("--shell", "zsh", buffer="slow 20 zzz", CMDAI_HOOK_TIMEOUT="1",
                  CMDAI_MODEL="qwen2.5-coder-0.5b")  # fmt: skip
    assert result.returncode == protocol.EXIT_TIMEOUT
    assert (
        result.stderr.decode() == "cmdai: no answer in time (raise hook_timeout in config.toml)\n"
    )


def test_timeout_from_the_config_file(helper: Helper, isolated_home: Path) -> None:
    (isolated_home / "config").mkdir(parents=True, exist_ok=True)
    (isolated_home / "config" / "config.toml").write_text("hook_timeout = 1\n")
    result = hook("--shell", "zsh", buffer="slow 20 zzz")
    assert result.returncode == protocol.EXIT_TIMEOUT


def test_malformed_reply_exits_5(isolated_home: Path) -> None:
    with serving_garbage(isolated_home / "run" / "helper.sock"):
        result = hook("--shell", "zsh", buffer="x")
    assert result.returncode == protocol.EXIT_BAD_REPLY
    assert "malformed reply" in result.stderr.decode()


HOT_PATH = {"cmdai", "cmdai.__main__", "cmdai.entry", "cmdai.hook", "cmdai.client",
            "cmdai.protocol", "cmdai.transport", "cmdai.paths", "cmdai.errors"}  # fmt: skip


# Loaded by Python's own start-up (site and .pth files) before cmdai is, in any program;
# apport's hook comes with Debian's and Ubuntu's system Python (its sitecustomize).
SITE = {"sitecustomize", "usercustomize", "_distutils_hack", "apport_python_hook"}
# The XDG paths (cmdai/paths.py): one module of a dependency, itself standard library only.
ALLOWED = {"xdg_base_dirs"}


def test_the_hook_imports_only_the_standard_library(helper: Helper) -> None:
    result = hook("--shell", "zsh", buffer="list my files", PYTHONPROFILEIMPORTTIME="1")
    assert result.returncode == 0, result.stderr
    modules = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", result.stderr.decode(), re.M)
    assert "cmdai.hook" in modules
    outside = {
        m for m in modules
        if m.split(".")[0] not in sys.stdlib_module_names
        and m not in HOT_PATH and m not in SITE and m not in ALLOWED
        and not m.startswith("__editable__")  # pip's editable install, loaded by site
    }  # fmt: skip
    assert outside == set()
    assert {m for m in modules if m.startswith("cmdai")} <= HOT_PATH


def test_the_one_dependency_on_the_hook_path_imports_only_the_standard_library() -> None:
    import ast
    import importlib.util

    spec = importlib.util.find_spec("xdg_base_dirs")
    assert spec is not None and spec.origin is not None
    sources = list(Path(spec.origin).parent.glob("*.py"))
    assert [p.name for p in sources] == ["__init__.py"]  # all of it is one small module
    tree = ast.parse(sources[0].read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}  # fmt: skip
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}  # fmt: skip
    assert imported <= sys.stdlib_module_names, imported


def test_a_message_cannot_carry_terminal_escapes() -> None:
    """A message may quote what a model wrote (a program's name in a note)."""
    from cmdai.hook import _printable

    assert _printable("`fdx\x1b[2Jx` is not installed\u200b") == (
        "`fdx\\u001b[2Jx` is not installed\\u200b"
    )


@pytest.mark.parametrize("value", ["abc", "0.05", "-1", "99999"])
def test_an_invalid_hook_timeout_is_reported_not_replaced(value: str) -> None:
    result = hook("--shell", "zsh", buffer="list files", CMDAI_HOOK_TIMEOUT=value)
    assert result.returncode == protocol.EXIT_USAGE and result.stdout == b""
    assert result.stderr.decode() == (
        f"cmdai: CMDAI_HOOK_TIMEOUT is {value!r}: expected seconds from 0.1 to 3600; "
        "your line is unchanged\n"
    )


def test_an_invalid_hook_timeout_in_the_config_file_names_the_file(isolated_home: Path) -> None:
    config = isolated_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('hook_timeout = "soon"\n')
    result = hook("--shell", "zsh", buffer="list files")
    assert result.returncode == protocol.EXIT_USAGE
    assert f"hook_timeout in {config} is 'soon'" in result.stderr.decode()


def test_a_model_command_with_hidden_characters_never_reaches_the_line(helper: Helper) -> None:
    result = hook("--shell", "zsh", buffer="hidden one")
    assert result.returncode == protocol.EXIT_ERROR and result.stdout == b""
    message = result.stderr.decode()
    assert message.startswith("cmdai: the model's command holds hidden or control characters")
    assert "\x1b" not in message and "\u200b" not in message


def test_a_server_that_sends_hidden_characters_gets_nothing_onto_the_line(
    isolated_home: Path,
) -> None:
    """The helper is faked here (a real one never sends this): the hook is the last guard."""
    reply = protocol.result(action="insert", buffer="ls\x1b[8m; rm -rf ~", message="")
    with serving_reply(isolated_home / "run" / "helper.sock", protocol.encode(reply)):
        result = hook("--shell", "bash", buffer="list files")
    assert result.returncode == protocol.EXIT_BAD_REPLY and result.stdout == b""
    assert "hidden or control characters (ls\\u001b[8m; rm -rf ~)" in result.stderr.decode()


def test_explain_prints_the_explanation_and_nothing_for_the_line(helper: Helper) -> None:
    """Answered by the helper from this machine's man pages: the scripted model is not asked."""
    result = hook("--shell", "zsh", "--explain", buffer="ls -la | wc -l > n.txt")
    assert result.returncode == protocol.EXIT_OK and result.stdout == b""
    assert result.stderr.decode().splitlines() == [
        "ls: list directory contents",
        "  -l  use a long listing format",
        "  -a  do not ignore entries starting with .",
        "│ its output is the input of:",
        "wc: print newline, word, and byte counts for each file",
        "  -l  print the newline counts",
        "  >n.txt  the output is written to n.txt, replacing what it held",
        "risk: moderate (writes to n.txt)",
    ]
    assert "explained (moderate)" in helper.log()


def test_explain_on_an_empty_line_says_so_without_a_round_trip(scripted_env: None) -> None:
    result = hook("--explain", "--shell", "bash", buffer="  ")
    assert result.returncode == protocol.EXIT_ERROR and result.stdout == b""
    assert result.stderr.decode() == (
        "cmdai: nothing to explain: type or recall a command, then press the key again\n"
    )


def test_explain_with_a_malformed_reply_says_so(isolated_home: Path) -> None:
    with serving_reply(isolated_home / "run" / "helper.sock", b'{"type": "result"}\n'):
        result = hook("--shell", "fish", "--explain", buffer="ls")
    assert result.returncode == protocol.EXIT_BAD_REPLY and result.stdout == b""
    assert result.stderr.decode() == "cmdai: the helper sent a malformed reply\n"


def test_an_explanation_cannot_carry_terminal_escapes(isolated_home: Path) -> None:
    """A fake helper: a real one builds its text from man pages, which could hold anything."""
    reply = b'{"type": "result", "lines": [], "text": "ls: \\u001b[2Jlists"}\n'
    with serving_reply(isolated_home / "run" / "helper.sock", reply):
        result = hook("--shell", "zsh", "--explain", buffer="ls")
    assert result.returncode == protocol.EXIT_OK
    assert result.stderr.decode() == "ls: \\u001b[2Jlists\n"


@pytest.fixture
def few_programs(tmp_path: Path) -> str:
    """A PATH with a known set of programs, so the closest name is the same on every machine."""
    for name in ("git", "tic", "sh", "rm"):
        program = tmp_path / "bin" / name
        program.parent.mkdir(exist_ok=True)
        program.write_text("#!/bin/sh\n")
        program.chmod(0o755)
    return str(tmp_path / "bin")


def test_an_empty_line_after_a_failure_gets_a_fix_found_without_the_model(
    helper: Helper, few_programs: str
) -> None:
    result = hook("--shell", "zsh", buffer="", CMDAI_LAST_COMMAND="gti status",
                  CMDAI_LAST_STATUS="127", PATH=few_programs)  # fmt: skip
    assert result.returncode == protocol.EXIT_OK, result.stderr
    assert result.stdout == b"git status"
    assert result.stderr.decode() == "cmdai: `gti` is not installed; did you mean git?\n"


def test_a_failure_with_nothing_found_is_fixed_by_the_model(helper: Helper) -> None:
    """HelperScript answers a fix of `false` with `echo false`."""
    result = hook("--shell", "bash", buffer=" ", CMDAI_LAST_COMMAND="false",
                  CMDAI_LAST_STATUS="1")  # fmt: skip
    assert result.returncode == protocol.EXIT_OK and result.stdout == b"echo false"
    assert result.stderr.decode() == (
        "cmdai: it exited with status 1; nothing here says why without running it\n"
    )


@pytest.mark.parametrize("status", ["0", "130", "not-a-number"])
def test_no_failure_to_fix_keeps_the_empty_line_message(status: str, scripted_env: None) -> None:
    result = hook("--shell", "fish", buffer="", CMDAI_LAST_COMMAND="gti status",
                  CMDAI_LAST_STATUS=status)  # fmt: skip
    assert result.returncode == protocol.EXIT_ERROR and result.stdout == b""
    assert "type what you want first" in result.stderr.decode()


def test_a_fix_that_would_be_blocked_is_never_offered(helper: Helper, few_programs: str) -> None:
    """`rn -rf /` failed (127); the closest program makes it `rm -rf /`, which the safety check
    blocks: the model is asked instead (HelperScript: `echo rn--rf-/`, as another command than
    the one turned down)."""
    result = hook("--shell", "bash", buffer="", CMDAI_LAST_COMMAND="rn -rf /",
                  CMDAI_LAST_STATUS="127", PATH=few_programs)  # fmt: skip
    assert result.returncode == protocol.EXIT_OK, result.stderr
    assert result.stdout.startswith(b"echo rn--rf-/") and b"rm " not in result.stdout
