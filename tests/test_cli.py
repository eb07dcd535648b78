"""The `cmdai` command as a user runs it: a subprocess, real model, real exit codes."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED_MODEL_DIR, SMALL_MODEL
from tests.helpers.cli import run_cli

REQUEST = "find all files larger than 100MB in the current directory"


def one_line_error(result: object) -> str:
    stderr = result.stderr  # type: ignore[attr-defined]
    assert stderr.count("\n") == 1 and stderr.startswith("cmdai: "), stderr
    assert "Traceback" not in stderr
    return stderr


@pytest.mark.model
def test_print_outputs_only_the_command(use_small_model: Path) -> None:
    result = run_cli("--print", REQUEST)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    assert result.stdout.startswith("find . ") and "-size +100M" in result.stdout


@pytest.mark.model
def test_not_a_tty_prints_instead_of_prompting(use_small_model: Path) -> None:
    result = run_cli("show", "disk", "usage")  # stdin and stdout are pipes here
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() and "\n" not in result.stdout.strip()


@pytest.mark.model
def test_json_output(use_small_model: Path) -> None:
    result = run_cli("--json", "--shell", "fish", "list files")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {
        "command",
        "backend",
        "model",
        "latency_ms",
        "risk",
        "reason",
        "rule",
        "blocked",
        "refused",
        "warning",
        "retried",
        "retry_reason",
        "repaired",
        "skipped",
    }
    assert data["risk"] in ("safe", "moderate", "high", "critical")
    assert (data["backend"], data["model"]) == ("llama_cpp", SMALL_MODEL)
    assert isinstance(data["latency_ms"], int) and data["command"]


@pytest.mark.model
def test_a_request_at_the_length_limit_fits_the_context_window(use_small_model: Path) -> None:
    """About 1,000 tokens of request after a 1,850-token prompt prefix: the default n_ctx must
    hold both (it did not at 2048)."""
    request = ("list the files and then also the big ones " * 100)[:3999]
    result = run_cli("--json", "--no-daemon", request)
    # What the model makes of this repetitive text (a command, or the refusal) is not the
    # point, and changes with the smallest numeric difference: that it answered is.
    assert result.returncode in (0, 8), result.stderr
    data = json.loads(result.stdout)
    assert data["command"] and data["model"] == SMALL_MODEL


@pytest.mark.model
def test_a_request_too_long_in_tokens_says_so_in_one_line(use_small_model: Path) -> None:
    """Under the character limit, odd text can still take a token per character: the user is
    told it is too long, and what to do, not that llama.cpp failed."""
    request = "😀" * 3990  # a token each: 3,990 tokens after a prefix of 1,250 or more
    result = run_cli("--print", "--no-daemon", request)
    assert result.returncode == 2
    error = one_line_error(result)
    assert error.startswith("cmdai: the request is too long for the model: with the prompt "), error
    assert error.endswith("(shorten the request, or raise n_ctx in [backends.llama_cpp])\n")


@pytest.mark.model
def test_first_run_welcomes_and_pulls_the_model(tmp_path: Path, small_model_path: Path) -> None:
    env = {
        "CMDAI_MODEL": SMALL_MODEL,
        "CMDAI_MODEL_DIR": str(tmp_path / "fresh-cache"),
        "CMDAI_SOURCES": "file",  # offline: the file source copies from the shared cache
        "CMDAI_MODEL_PATHS": str(SHARED_MODEL_DIR),
    }
    result = run_cli("--print", "print the current date", env=env)
    assert result.returncode == 0, result.stderr
    assert "Welcome to cmdai" in result.stderr and "491.4 MB" in result.stderr
    assert str(tmp_path / "fresh-cache") in result.stderr
    assert "date" in result.stdout
    listing = run_cli("model", "list", env=env)
    assert f"{SMALL_MODEL} *" in listing.stdout and "cached" in listing.stdout


def test_missing_model_file_exits_4(tmp_path: Path) -> None:
    result = run_cli("--model", str(tmp_path / "nope.gguf"), "list files")
    assert result.returncode == 4
    assert "nope.gguf does not exist" in one_line_error(result)


def test_not_a_gguf_exits_6_naming_the_file(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"\x00" * 1024)
    result = run_cli("--model", str(fake), "list files")
    assert result.returncode == 6
    assert f"{fake} is not a GGUF model file" in one_line_error(result)


def test_unknown_model_id_lists_known_ones() -> None:
    result = run_cli("--model", "gpt-17", "list files")
    assert result.returncode == 4
    assert "unknown model 'gpt-17'" in one_line_error(result) and SMALL_MODEL in result.stderr


def test_model_not_downloaded_and_all_sources_fail(tmp_path: Path) -> None:
    env = {"CMDAI_SOURCES": "file", "CMDAI_MODEL_DIR": str(tmp_path / "empty")}
    result = run_cli("--print", "list files", env=env)
    assert result.returncode == 5
    assert "could not download qwen2.5-coder-1.5b from any source" in result.stderr
    assert "cmdai model import" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["   "], "the request is empty"),
        (["--shell", "tcsh", "x"], "invalid choice: 'tcsh'"),
        (["--print", "--json", "x"], "not allowed with argument"),
        ([], "the following arguments are required: request"),
        (["model", "frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in one_line_error(result)


def test_help_documents_every_option_with_examples() -> None:
    text = run_cli("--help").stdout
    for option in ("--print", "--json", "--shell", "--model", "--backend", "--debug", "--version"):
        assert option in text
    assert 'cmdai "find all files larger than 100MB' in text
    assert "model list|pull|path|verify|rm|import" in text


def test_import_list_path_and_remove_a_custom_model(tmp_path: Path) -> None:
    model = tmp_path / "mine.gguf"
    model.write_bytes(b"GGUF" + b"\x01" * 4096)
    imported = run_cli("model", "import", str(model), "--id", "my-model")
    assert imported.returncode == 0, imported.stderr
    listing = run_cli("model", "list")
    assert "my-model" in listing.stdout and "imported" in listing.stdout
    path = run_cli("model", "path", "my-model").stdout.strip()
    assert Path(path).read_bytes() == model.read_bytes()
    assert run_cli("model", "verify", "my-model").returncode == 0
    assert run_cli("model", "rm", "my-model").returncode == 0
    assert not Path(path).exists()
    assert run_cli("model", "path", "my-model").returncode == 4


def test_import_of_an_unknown_file_without_id_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "x.gguf"
    model.write_bytes(b"GGUF1234")
    result = run_cli("model", "import", str(model))
    assert result.returncode == 2 and "--id NAME" in one_line_error(result)


def test_import_under_a_registry_id_verifies_the_pin(tmp_path: Path) -> None:
    model = tmp_path / "fake.gguf"
    model.write_bytes(b"GGUF" * 100)
    result = run_cli("model", "import", str(model), "--id", SMALL_MODEL)
    assert result.returncode == 5
    assert "bad bytes for qwen2.5-coder-0.5b: size 400 bytes" in one_line_error(result)


@pytest.mark.model
def test_verify_a_real_cached_model(use_small_model: Path) -> None:
    result = run_cli("model", "verify", SMALL_MODEL)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout and "1d9614638d18024d" in result.stdout


# --- the fallback command and the helper (model: HelperScript, the documented test double) ---


def test_the_fallback_command_uses_and_starts_the_helper(scripted_env: None) -> None:
    first = run_cli("--print", "list my files")
    assert (first.returncode, first.stdout) == (0, "echo list-my-files\n"), first.stderr
    status = run_cli("daemon", "status")
    assert status.returncode == 0 and "served: 1" in status.stdout
    assert run_cli("--print", "again please").stdout == "echo again-please\n"
    assert "served: 2" in run_cli("daemon", "status").stdout


def test_no_daemon_works_in_process(scripted_env: None) -> None:
    result = run_cli("--print", "--no-daemon", "list my files")
    assert (result.returncode, result.stdout) == (0, "echo list-my-files\n")
    assert run_cli("daemon", "status").returncode == 3  # no helper was started


def test_another_model_than_the_helpers_runs_in_process(scripted_env: None) -> None:
    run_cli("daemon", "start")
    result = run_cli("--print", "--model", "other-model", "list my files")
    assert (result.returncode, result.stdout) == (0, "echo list-my-files\n")
    assert "served: 0" in run_cli("daemon", "status").stdout


def test_an_unreachable_helper_is_worked_around(scripted_env: None, isolated_home: Path) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "run").write_text("not a directory")
    result = run_cli("--print", "list my files")
    assert (result.returncode, result.stdout) == (0, "echo list-my-files\n")
    assert "the helper is unavailable" in result.stderr and "working without it" in result.stderr


def test_helper_errors_keep_their_exit_status(scripted_env: None) -> None:
    result = run_cli("--print", "garbage please")
    assert result.returncode == 7 and "the model returned no command" in result.stderr


@pytest.mark.parametrize("request_text", ["home please", "refuse this"])
def test_print_piped_into_a_shell_runs_nothing_when_blocked_or_refused(
    scripted_env: None, tmp_path: Path, request_text: str
) -> None:
    """The scripted model answers `ls -l ~; rm -rf ~` (critical) or the refusal; HOME is a
    throwaway directory with a file in it, which must survive the pipe."""
    home = tmp_path / "throwaway-home"
    home.mkdir()
    (home / "keep.txt").write_text("still here")
    pipe = subprocess.run(
        ["bash", "-c", f"{shlex.quote(sys.executable)} -m cmdai --print {request_text!r} | sh; "
                       "echo \"status ${PIPESTATUS[0]}\""],
        env={**os.environ, "HOME": str(home)}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (home / "keep.txt").read_text() == "still here"
    assert pipe.stdout == "status 8\n", pipe.stderr
    lines = pipe.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cmdai: ")
    assert ("will not write `ls -l ~; rm -rf ~`" in lines[0]) or ("declined" in lines[0])


@pytest.mark.parametrize(
    ("request_text", "blocked", "refused"),
    [("home please", True, False), ("refuse this", False, True), ("list it", False, False)],
)
def test_json_says_blocked_or_refused(
    scripted_env: None, request_text: str, blocked: bool, refused: bool
) -> None:
    result = run_cli("--json", request_text)
    data = json.loads(result.stdout)
    assert (data["blocked"], data["refused"]) == (blocked, refused)
    assert result.returncode == (8 if blocked or refused else 0)


def test_an_edit_made_in_the_helper_reaches_the_fallback_and_its_json(scripted_env: None) -> None:
    """`cmdai --print` and `--json` through the helper: the edited command, and the note on
    stderr saying cmdai changed it."""
    printed = run_cli("--print", "follow app.log")
    assert printed.stdout == "tail -f app.log\n", printed.stderr
    assert "cmdai: note: changed by cmdai: the request asks to follow the log" in printed.stderr
    data = json.loads(run_cli("--json", "follow app.log").stdout)
    assert data["command"] == "tail -f app.log" and "`tail` does that with -f" in data["repaired"]


def test_broken_config_does_not_break_init_or_the_helper_commands(isolated_home: Path) -> None:
    config = isolated_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('n_thread = 4\nmodel = "qwen2.5-coder-0.5b"\n')
    for shell in ("zsh", "bash", "fish", "powershell"):
        init = run_cli("init", shell)
        assert init.returncode == 0 and "hook --shell" in init.stdout, init.stderr
    assert run_cli("daemon", "status").returncode == 3  # not running, and it says so
    logs = run_cli("daemon", "logs")
    assert logs.returncode == 3
    assert logs.stdout.splitlines()[-1] == (
        f"config: {config}: unknown key 'n_thread' = 4 (did you mean 'n_threads'?)"
    )
    generate = run_cli("--print", "list files")
    assert generate.returncode == 3 and "unknown key 'n_thread'" in generate.stderr


def test_a_bug_is_one_line_and_its_traceback_only_on_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug cannot be made on purpose in working code: a command handler that raises
    (a test double, run in-process) stands in for one."""
    from cmdai import cli

    def broken(args: object, config: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setitem(cli.COMMANDS, "explain", (cli.explain_parser, broken))
    assert cli.main(["explain", "ls"]) == 1
    assert capsys.readouterr().err == (
        "cmdai: internal error: RuntimeError: boom (please report it; --debug shows where)\n"
    )
    assert cli.main(["explain", "--debug", "ls"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.endswith("--debug shows where)\n")
