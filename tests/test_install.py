"""install.sh as a new user runs it: a real install from this checkout into a temporary HOME
(its own virtual environment, pip taking llama-cpp-python's wheel from this machine's pip
cache instead of compiling it again), then new interactive zsh, bash and fish in tmux with the
widget bound, a second run that upgrades in place, and an uninstall that leaves every start-up
file byte for byte as it was. The quick tests around it change nothing or fail early."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.shells import require

REPO = Path(__file__).resolve().parents[1]
INSTALLER = REPO / "install.sh"
BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)

BEFORE = {
    ".zshrc": b"export EDITOR=vi\n",
    ".bashrc": b"alias ll='ls -l'",  # no newline at the end: it must stay that way
}


def pip_cache() -> str:
    return subprocess.run(
        [sys.executable, "-m", "pip", "cache", "dir"], capture_output=True, text=True, check=True
    ).stdout.strip()


def user_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CMDAI_", "XDG_", "VIRTUAL_ENV", "PYTHON"))}  # fmt: skip
    path = f"{home / '.local/bin'}:{env.get('PATH', '/usr/bin:/bin')}"
    return {**env, "HOME": str(home), "PIP_CACHE_DIR": pip_cache(), "SHELL": "/bin/bash",
            "PATH": path, "PIP_DISABLE_PIP_VERSION_CHECK": "1", **extra}  # fmt: skip


def install(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/sh", str(INSTALLER), *args], env=env or user_env(home), capture_output=True,
        text=True, timeout=1500, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("home")
    # fish would generate completions from every man page on its first start here.
    (home / ".local/share/fish/generated_completions").mkdir(parents=True)
    for name, data in BEFORE.items():
        (home / name).write_bytes(data)
    result = install(home, "--from", str(REPO), "--shell", "zsh,bash,fish", "--python", BASE_PYTHON)
    assert result.returncode == 0, result.stdout + result.stderr
    yield home
    exe = home / ".local/bin/cmdai"
    if exe.exists():
        subprocess.run([str(exe), "daemon", "stop"], env=user_env(home), capture_output=True)


def test_the_installer_passes_shellcheck() -> None:
    require("shellcheck")
    result = subprocess.run(
        ["shellcheck", "-s", "sh", str(INSTALLER)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_an_install_puts_cmdai_on_the_path_and_one_block_in_each_rc(installed: Path) -> None:
    exe = installed / ".local/bin/cmdai"
    assert exe.is_symlink() and os.readlink(exe) == str(
        installed / ".local/share/cmdai/venv/bin/cmdai"
    )
    version = subprocess.run(
        [str(exe), "--version"], capture_output=True, text=True, env=user_env(installed)
    )
    assert version.returncode == 0 and version.stdout.startswith("cmdai ")
    for rc in (".zshrc", ".bashrc", ".config/fish/conf.d/cmdai.fish"):
        text = (installed / rc).read_text()
        assert text.count("# >>> cmdai >>>") == 1 and text.count("# <<< cmdai <<<") == 1, rc
    assert (installed / ".zshrc").read_text().startswith("export EDITOR=vi\n# >>> cmdai >>>\n")
    assert (installed / ".bashrc").read_text().startswith("alias ll='ls -l'\n# >>> cmdai >>>\n")
    backups = sorted(p.name.split(".cmdai-backup-")[0] for p in installed.glob(".*.cmdai-backup-*"))
    assert backups == [".bashrc", ".zshrc"]  # the fish file is new: nothing to back up


class Tmux:
    """An interactive shell in a private tmux server, as the shell tests drive them."""

    def __init__(self, argv: str, home: Path, workdir: Path) -> None:
        self.socket = workdir / "tmux.sock"
        exports = " ".join(
            f"{k}='{v}'" for k, v in user_env(home, TERM="xterm").items() if "'" not in v
        )
        self._tmux(
            "new-session",
            "-d",
            "-x",
            "150",
            "-y",
            "40",
            "-c",
            str(workdir),
            f"env -i {exports} {argv}",
        )

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-S", str(self.socket), *args], capture_output=True,
                              text=True, check=True, timeout=10).stdout  # fmt: skip

    def run(self, command: str, out: Path, timeout: float = 60) -> str:
        self._tmux("send-keys", "-l", f"{command} > {out}.tmp 2>&1; mv {out}.tmp {out}")
        self._tmux("send-keys", "Enter")
        deadline = time.monotonic() + timeout
        while not out.exists():
            screen = self._tmux("capture-pane", "-p")
            assert time.monotonic() < deadline, f"the shell never ran it; screen:\n{screen}"
            time.sleep(0.1)
        return out.read_text()

    def close(self) -> None:
        subprocess.run(["tmux", "-S", str(self.socket), "kill-server"], capture_output=True)


@pytest.mark.parametrize(
    ("shell", "argv", "query", "bound"),
    [
        ("zsh", "zsh -i", "bindkey -M emacs '^G'", '"^G" cmdai-generate'),
        ("bash", "bash -i", "bind -X", '"\\C-g": "_cmdai_generate"'),
        ("fish", "fish -i", "bind \\cg", "_cmdai_generate"),
    ],
)
def test_a_new_shell_has_the_widget_bound_and_cmdai_runs(
    installed: Path, tmp_path: Path, shell: str, argv: str, query: str, bound: str
) -> None:
    require(shell)
    require("tmux")
    session = Tmux(argv, installed, tmp_path)
    try:
        assert bound in session.run(query, tmp_path / "bound")
        assert session.run("cmdai --version", tmp_path / "version").startswith("cmdai ")
    finally:
        session.close()


def test_a_second_run_upgrades_in_place_restarts_the_helper_and_adds_nothing(
    installed: Path,
) -> None:
    """The helper is started with the scripted test backend (tests/helpers/scripted.py), so
    that no model loads; the installer restarts it whatever it runs."""
    scripted = user_env(installed, PYTHONPATH=str(REPO), CMDAI_PLUGINS="tests.helpers.scripted",
                        CMDAI_BACKEND="scripted")  # fmt: skip
    exe = str(installed / ".local/bin/cmdai")
    started = subprocess.run([exe, "daemon", "start"], env=scripted, capture_output=True, text=True)
    assert started.returncode == 0, started.stderr
    old_pid = pid_of_helper(exe, scripted)
    rc_before = {rc: (installed / rc).read_bytes() for rc in (".zshrc", ".bashrc")}
    again = install(installed, "--from", str(REPO), "--shell", "zsh,bash", "--python", BASE_PYTHON,
                    env=scripted)  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{installed / '.zshrc'} already loads cmdai" in again.stdout
    assert "restarting the running helper on the new version" in again.stdout
    assert {rc: (installed / rc).read_bytes() for rc in rc_before} == rc_before
    assert pid_of_helper(exe, scripted) not in (None, old_pid)


def pid_of_helper(exe: str, env: dict[str, str]) -> str | None:
    status = subprocess.run([exe, "daemon", "status"], env=env, capture_output=True, text=True)
    return next((line[5:] for line in status.stdout.splitlines() if line.startswith("pid: ")), None)


def test_uninstall_leaves_every_start_up_file_as_it_was(installed: Path) -> None:
    # Last in this module: it takes the installation away.
    result = install(installed, "--uninstall")
    assert result.returncode == 0, result.stdout + result.stderr
    for name, data in BEFORE.items():
        assert (installed / name).read_bytes() == data, name
    assert not (installed / ".config/fish/conf.d/cmdai.fish").exists()
    assert not (installed / ".local/bin/cmdai").exists()
    assert not (installed / ".local/share/cmdai").exists()
    assert list(installed.glob(".*.cmdai-backup-*")) == []
    assert "Your settings" in result.stdout


# --- quick: nothing is installed --------------------------------------------------------------


def test_help_and_a_wrong_option(tmp_path: Path) -> None:
    helped = install(tmp_path, "--help")
    assert (
        helped.returncode == 0 and "--uninstall" in helped.stdout and "--from PATH" in helped.stdout
    )
    wrong = install(tmp_path, "--colour")
    assert wrong.returncode == 2
    assert wrong.stderr == "cmdai-install: error: unknown option: --colour (see --help)\n"


def test_a_dry_run_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / ".bashrc").write_bytes(b"PS1='$ '\n")
    result = install(tmp_path, "--dry-run", "--from", str(REPO), "--shell", "bash,fish",
                     "--python", BASE_PYTHON)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "would run:" in result.stdout and "venv" in result.stdout
    assert f"would copy {tmp_path / '.bashrc'} to " in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [".bashrc"]
    assert (tmp_path / ".bashrc").read_bytes() == b"PS1='$ '\n"


def tools_without_python(directory: Path, old_python: bool) -> str:
    """A PATH with the tools the installer uses but no Python 3.11 (here every Python is
    3.11; an old one is a stand-in script that fails the version check, as Python 3.9 would)."""
    directory.mkdir()
    for tool in ("uname", "basename", "dirname", "tr", "sed", "cat", "mkdir"):
        os.symlink(shutil.which(tool), directory / tool)
    if old_python:
        fake = directory / "python3"
        fake.write_text("#!/bin/sh\nexit 1\n")
        fake.chmod(0o755)
    return str(directory)


@pytest.mark.parametrize("old_python", [False, True], ids=["none", "too-old"])
def test_without_python_3_11_it_says_what_to_install(tmp_path: Path, old_python: bool) -> None:
    env = {**user_env(tmp_path), "PATH": tools_without_python(tmp_path / "bin", old_python)}
    result = install(tmp_path, "--from", str(REPO), env=env)
    assert result.returncode == 1
    assert result.stderr.startswith(
        "cmdai-install: error: cmdai needs Python 3.11 or newer, and none was found on PATH"
    )
    assert "--python PATH" in result.stderr and result.stderr.count("\n") == 1


def test_uv_or_pipx_is_used_when_present(tmp_path: Path) -> None:
    """Neither uv nor pipx is installed here: stand-in scripts on PATH show that they are
    chosen (uv first) and what they are asked to do."""
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("uv", "pipx"):
        (tools / tool).write_text('#!/bin/sh\necho "$0 $*" >> "$HOME/calls"\n')
        (tools / tool).chmod(0o755)
    env = user_env(tmp_path)
    env["PATH"] = f"{tools}:{env['PATH']}"
    result = install(tmp_path, "--dry-run", "--from", str(REPO), "--no-modify-rc", "--python",
                     BASE_PYTHON, env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"would run: uv tool install --force --python {BASE_PYTHON} {REPO}" in result.stdout
    piped = install(tmp_path, "--dry-run", "--method", "pipx", "--no-modify-rc", "--python",
                    BASE_PYTHON, env=env)  # fmt: skip
    assert f"would run: pipx install --force --python {BASE_PYTHON} cmdai" in piped.stdout


def test_uninstall_without_an_installation_says_so(tmp_path: Path) -> None:
    result = install(tmp_path, "--uninstall")
    assert result.returncode == 1 and "nothing to uninstall" in result.stderr


# --- install.ps1: no PowerShell can run here (none is packaged for this machine), so it is
# parsed with the tree-sitter PowerShell grammar that validation uses, and held to install.sh's
# markers, options and messages.

PS1 = REPO / "install.ps1"


def test_the_powershell_installer_parses() -> None:
    tree_sitter = pytest.importorskip("tree_sitter")
    grammar = pytest.importorskip("tree_sitter_powershell")
    parser = tree_sitter.Parser(tree_sitter.Language(grammar.language()))
    tree = parser.parse(PS1.read_bytes())
    errors = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            errors.append((node.start_point, node.text[:60]))
        stack.extend(node.children)
    assert errors == []


def test_the_powershell_installer_matches_install_sh() -> None:
    ps1, sh = PS1.read_text(), INSTALLER.read_text()
    for marker in ("# >>> cmdai >>>", "# <<< cmdai <<<"):
        assert f"'{marker}'" in ps1 and f"'{marker}'" in sh
    for option in ("NoModifyProfile", "WithModel", "From", "Method", "Python", "Uninstall",
                   "DryRun", "Help"):  # fmt: skip
        assert re.search(rf"\[(switch|string)\]\${option}\b", ps1), option
    for phrase in ("cmdai needs Python 3.11 or newer, and none was found", "already loads cmdai",
                   "restarting the running helper on the new version", "nothing to uninstall",
                   "cmdai was installed with another method"):  # fmt: skip
        assert phrase in ps1 and phrase in sh, phrase
    assert "init powershell" in ps1
