"""`cmdai doctor` as a user runs it, with each check failing in turn: a missing model, a
corrupted model, a stale helper, a bad config, an unreachable server, a key shadowed by
another widget. The shells are real (the doctor starts them as a terminal would, reading the
test's start-up files); the helper is real, with the scripted backend
(tests/helpers/scripted.py) where a model is not the point."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cmdai import __version__
from cmdai.models.store import ModelStore
from cmdai.widgets import executable
from tests.helpers.cli import run_cli
from tests.helpers.helper_process import REPO, Helper
from tests.helpers.shells import require

EXE = shlex.quote(executable())
WIDGET = {
    "zsh": f'eval "$({EXE} init zsh)"\n',
    "bash": f'eval "$({EXE} init bash)"\n',
    "fish": f"{EXE} init fish | source\n",
}


@pytest.fixture
def user(isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home whose shells load the widget (each test may add lines)."""
    home = tmp_path / "user"
    (home / ".config/fish").mkdir(parents=True)
    # fish would generate completions from every man page on its first start here.
    (home / ".local/share/fish/generated_completions").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.delenv("ZDOTDIR", raising=False)
    write_rc(home, "zsh", WIDGET["zsh"])
    write_rc(home, "bash", WIDGET["bash"])
    write_rc(home, "fish", WIDGET["fish"])
    return home


def write_rc(home: Path, shell: str, text: str) -> None:
    path = {"zsh": ".zshrc", "bash": ".bashrc", "fish": ".config/fish/config.fish"}[shell]
    (home / path).write_text(text)


def doctor(*args: str) -> tuple[int, dict[str, dict[str, Any]]]:
    result = run_cli("doctor", "--json", *args)
    assert result.returncode in (0, 1), result.stderr
    checks = json.loads(result.stdout)
    return result.returncode, {c["name"]: c for c in checks}


def failed(checks: dict[str, dict[str, Any]]) -> list[str]:
    return [name for name, check in checks.items() if check["status"] == "fail"]


def test_a_healthy_setup_passes_every_check(user: Path, helper: Helper) -> None:
    require("zsh")
    code, checks = doctor("--shell", "zsh")
    assert failed(checks) == [] and code == 0
    assert checks["helper"]["detail"].startswith("running (pid ")
    assert checks["warm request"]["status"] == "ok"
    assert checks["warm request"]["detail"].endswith("('echo list-the-files-here')")
    assert {checks[f"zsh key ^G ({m})"]["status"] for m in ("emacs", "viins", "vicmd")} == {"ok"}
    assert {checks[f"zsh key ^[g ({m})"]["status"] for m in ("emacs", "viins", "vicmd")} == {"ok"}


@pytest.mark.parametrize(
    ("shell", "mine", "name"),
    [("zsh", "mine() {}; zle -N mine; bindkey -M emacs '^[g' mine\n", "zsh key ^[g (emacs)"),
     ("bash", "mine() { :; }; bind -x '\"\\eg\": mine'\n", "bash key \\eg (emacs)"),
     ("fish", "function mine; end; bind \\eg mine\n", "fish key \\eg (default)")],
)  # fmt: skip
def test_an_alt_g_of_the_users_own_is_reported_not_failed(
    user: Path, scripted_env: None, shell: str, mine: str, name: str
) -> None:
    """cmdai binds Alt-G only over the shell's default; a binding of the user's is kept."""
    require(shell)
    write_rc(user, shell, mine + WIDGET[shell])
    code, checks = doctor("--shell", shell)
    assert code == 0 and failed(checks) == []
    assert checks[name]["status"] == "skip"
    assert checks[name]["detail"] == "runs mine, yours: cmdai left it alone"
    assert "CMDAI_EXPLAIN_KEY" in checks[name]["fix"]


def test_an_alt_g_that_waits_for_a_longer_binding_fails(user: Path, scripted_env: None) -> None:
    require("zsh")
    write_rc(user, "zsh", WIDGET["zsh"] + "f() {}; zle -N f; bindkey -M emacs '^[gx' f\n")
    code, checks = doctor("--shell", "zsh")
    assert code == 1 and failed(checks) == ["zsh key ^[g (emacs)"]
    assert checks["zsh key ^[g (emacs)"]["detail"].startswith(
        "bound to cmdai, but other bindings start with it (^[gx (f))"
    )
    assert "CMDAI_EXPLAIN_KEY" in checks["zsh key ^[g (emacs)"]["fix"]


def test_the_text_report_marks_each_check_and_gives_the_fix(user: Path, scripted_env: None) -> None:
    require("bash")
    write_rc(user, "bash", "")
    result = run_cli("doctor", "--shell", "bash")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "– helper: not running (it starts on the first Ctrl-G)" in lines
    assert "✗ bash widget: the cmdai widget is not loaded in bash" in lines
    assert '    fix: add this line to ~/.bashrc: eval "$(cmdai init bash)"' in lines
    assert lines[-1] == "1 problem found"


def test_a_missing_model(user: Path) -> None:
    code, checks = doctor("--shell", "zsh")
    assert code == 1 and failed(checks) == ["backend llama_cpp"]
    check = checks["backend llama_cpp"]
    assert check["detail"] == "model qwen2.5-coder-1.5b is not downloaded"
    assert check["fix"] == "run `cmdai model pull qwen2.5-coder-1.5b`"
    assert checks["helper"]["status"] == "skip"  # not a failure: it starts on demand


def test_a_corrupted_model(
    user: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ModelStore(isolated_home / "cache" / "models")
    source = user / "mine.gguf"
    source.write_bytes(b"GGUF" + os.urandom(64 * 1024))
    path = store.import_custom("mine", source)
    with path.open("r+b") as handle:  # same size, other bytes
        handle.seek(100)
        handle.write(b"\x00" * 16)
    monkeypatch.setenv("CMDAI_MODEL", "mine")
    code, checks = doctor("--shell", "zsh")
    assert code == 1 and failed(checks) == ["backend llama_cpp"]
    assert checks["backend llama_cpp"]["detail"] == (
        f"{path} does not match its sha256: it changed since it was downloaded"
    )
    assert "cmdai model pull mine" in checks["backend llama_cpp"]["fix"]


def test_a_stale_helper(user: Path, scripted_env: None) -> None:
    from cmdai import client

    old = subprocess.Popen([sys.executable, str(REPO / "tests/helpers/old_helper.py")],
                           start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not client.transport.accepting():
            assert time.monotonic() < deadline and old.poll() is None, "no old helper"
            time.sleep(0.05)
        code, checks = doctor("--shell", "zsh")
    finally:
        if old.poll() is None:
            old.terminate()
    assert code == 1 and failed(checks) == ["helper"]
    assert checks["helper"]["detail"] == (
        "a stale helper was running (this helper is cmdai 0.0.1, the client "
        f"{__version__}; restarting); it stopped"
    )
    assert checks["helper"]["fix"] == "cmdai helper start (or press Ctrl-G: it starts this version)"
    assert old.wait(15) == 0  # it stopped itself
    assert checks["warm request"]["status"] == "skip"


def test_a_bad_config(user: Path, isolated_home: Path, scripted_env: None) -> None:
    config = isolated_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('temperature = "hot"\n')
    code, checks = doctor("--shell", "zsh")
    assert code == 1 and failed(checks) == ["config"]
    assert checks["config"]["detail"].startswith(f"{config}: invalid value 'hot' for 'temperature'")
    assert "zsh key ^G (emacs)" in checks  # the other checks still ran


def test_a_config_with_a_key_others_can_read(
    user: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CMDAI_BACKEND", "openai")
    config = isolated_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[backends.openai]\napi_key = "sk-test-123456"\nbase_url = "{dead_url()}"\n')
    config.chmod(0o644)
    _, checks = doctor("--shell", "zsh")
    assert checks["config permissions"]["fix"] == f"chmod 600 {config}"
    assert "sk-test" not in json.dumps(checks)


def dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


def test_an_unreachable_server(user: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = dead_url()
    monkeypatch.setenv("CMDAI_BACKEND", "openai")
    monkeypatch.setenv("CMDAI_OPENAI_BASE_URL", url)
    code, checks = doctor("--shell", "zsh")
    assert code == 1 and failed(checks) == ["backend openai"]
    assert "refused the connection" in checks["backend openai"]["detail"]
    assert checks["backend openai"]["fix"] == (
        "start the server, or fix [backends.openai] (see `cmdai config`)"
    )


@pytest.mark.parametrize(
    ("shell", "extra", "failing", "detail"),
    [
        # fzf-git's way: Ctrl-G starts a family of bindings, so Ctrl-G alone waits.
        (
            "zsh",
            "f() {}; zle -N f; bindkey '^G^F' f\n",
            "zsh key ^G (emacs)",
            "bound to cmdai, but other bindings start with it (^G^F (f))",
        ),
        (
            "bash",
            "f() { :; }; bind -x '\"\\C-g\\C-f\": f'\n",
            "bash key \\C-g (emacs)",
            "bound to cmdai, but other bindings start with it (\\C-g\\C-f (f))",
        ),
        (
            "fish",
            "function f; end; bind \\cg\\cf f\n",
            "fish key \\cg (default)",
            "bound to cmdai, but other bindings start with it (\\cg\\cf (f))",
        ),
    ],
)
def test_a_key_shadowed_by_another_widget(
    user: Path, scripted_env: None, shell: str, extra: str, failing: str, detail: str
) -> None:
    require(shell)
    write_rc(user, shell, WIDGET[shell] + extra)
    code, checks = doctor("--shell", shell)
    assert code == 1 and failed(checks) == [failing]
    assert checks[failing]["detail"].startswith(detail)
    assert "CMDAI_KEY" in checks[failing]["fix"]


def test_a_key_taken_before_cmdai_loads_is_reported(user: Path, scripted_env: None) -> None:
    require("zsh")
    write_rc(user, "zsh", "mine() {}; zle -N mine; bindkey -M emacs '^G' mine\n" + WIDGET["zsh"])
    code, checks = doctor("--shell", "zsh")
    assert code == 1 and failed(checks) == ["zsh key ^G (emacs)"]
    assert checks["zsh key ^G (emacs)"]["detail"] == "runs mine, not cmdai"
