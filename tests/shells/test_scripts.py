"""The shell adapters as files: each loads silently under strict options in its real shell,
binds only what it should, passes the linters, and speaks only the contract."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from cmdai import widgets
from tests.helpers.cli import run_cli
from tests.helpers.shells import require

POSIX_SHELLS = ["zsh", "bash", "fish"]
CONTRACT_VARIABLES = {"CMDAI_BUFFER", "CMDAI_CURSOR", "CMDAI_STATUS", "CMDAI_KEY",
                      "CMDAI_EXPLAIN_KEY", "CMDAI_LAST_COMMAND", "CMDAI_LAST_STATUS"}  # fmt: skip


def rendered(shell: str, tmp_path: Path) -> Path:
    path = tmp_path / widgets.SCRIPTS[shell]
    path.write_text(widgets.render(shell, exe="/opt/cmdai dir/bin/cmdai"))
    return path


def run_in(shell: str, script: str, interactive: bool = True) -> subprocess.CompletedProcess[str]:
    """`script` in a clean, strict `shell` (no user rc files)."""
    argv = {
        "zsh": ["zsh", "-f", *(["-i"] if interactive else []), "-c",
                "setopt err_exit no_unset warn_create_global pipe_fail; " + script],
        "bash": ["bash", "--norc", "--noprofile", "-eu", *(["-i"] if interactive else []), "-c",
                 script],
        "fish": ["fish", "--no-config", *(["-i"] if interactive else []), "-c", script],
    }[shell]  # fmt: skip
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL
    )


def noise(stderr: str) -> str:
    """stderr without what an interactive shell without a terminal always says."""
    lines = [
        line for line in stderr.splitlines()
        if "job control" not in line and "terminal process group" not in line
    ]  # fmt: skip
    return "\n".join(lines)


BINDING_QUERY = {
    "zsh": "bindkey -M emacs '^G'; bindkey -M viins '^G'; bindkey -M vicmd '^G'",
    "bash": "bind -m emacs -X; bind -m vi-insert -X; bind -m vi-command -X",
    "fish": "bind \\cg; bind -M insert \\cg",
}


@pytest.mark.parametrize("shell", POSIX_SHELLS)
@pytest.mark.parametrize("interactive", [False, True])
def test_script_loads_silently_in_strict_mode(
    shell: str, interactive: bool, tmp_path: Path
) -> None:
    require(shell)
    script = rendered(shell, tmp_path)
    result = run_in(shell, f"source '{script}'", interactive)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and noise(result.stderr) == ""


@pytest.mark.parametrize("shell", POSIX_SHELLS)
def test_key_is_bound_in_every_keymap_and_loading_twice_changes_nothing(
    shell: str, tmp_path: Path
) -> None:
    require(shell)
    script = rendered(shell, tmp_path)
    once = run_in(shell, f"source '{script}'; {BINDING_QUERY[shell]}")
    twice = run_in(shell, f"source '{script}'; source '{script}'; {BINDING_QUERY[shell]}")
    assert once.returncode == 0 and noise(once.stderr) == ""
    assert once.stdout == twice.stdout and noise(twice.stderr) == ""
    expected = {"zsh": 3, "bash": 3, "fish": 2}[shell]
    assert once.stdout.count("cmdai-generate" if shell == "zsh" else "_cmdai_generate") == expected


# The default keys of Ctrl-G and Alt-G, as each shell spells them in a binding and a query.
KEYS = {
    "generate": {"zsh": "^G", "bash": "\\C-g", "fish": "\\cg"},
    "explain": {"zsh": "^[g", "bash": "\\eg", "fish": "\\eg"},
}


@pytest.mark.parametrize("kind", KEYS)
@pytest.mark.parametrize("shell", POSIX_SHELLS)
def test_a_key_the_user_bound_is_left_alone(shell: str, kind: str, tmp_path: Path) -> None:
    require(shell)
    script = rendered(shell, tmp_path)
    key = KEYS[kind][shell]
    bind, query = {
        "zsh": (f"my_widget() {{ :; }}; zle -N my_widget; bindkey -M emacs '{key}' my_widget",
                f"bindkey -M emacs '{key}'"),
        "bash": (f"my_func() {{ :; }}; bind -m emacs -x '\"{key}\": my_func'",
                 f"bind -m emacs -X | grep -F '{key}'"),
        "fish": (f"function my_func; end; bind {key} my_func", f"bind {key}"),
    }[shell]  # fmt: skip
    result = run_in(shell, f"{bind}; source '{script}'; {query}")
    assert result.returncode == 0, result.stderr
    assert "my_" in result.stdout and "cmdai" not in result.stdout


@pytest.mark.parametrize(
    ("shell", "setter", "query"),
    [("zsh", "export CMDAI_EXPLAIN_KEY='^X^Y'", "bindkey -M emacs '^X^Y'"),
     ("bash", "export CMDAI_EXPLAIN_KEY='\\C-x\\C-y'", "bind -m emacs -X"),
     ("fish", "set -gx CMDAI_EXPLAIN_KEY '\\cx\\cy'", "bind \\cx\\cy")],
)  # fmt: skip
def test_cmdai_explain_key_chooses_the_key(
    shell: str, setter: str, query: str, tmp_path: Path
) -> None:
    require(shell)
    script = rendered(shell, tmp_path)
    result = run_in(shell, f"{setter}; source '{script}'; {query}")
    assert result.returncode == 0, result.stderr
    assert "_cmdai_explain" in result.stdout or "cmdai-explain" in result.stdout


@pytest.mark.parametrize(
    ("shell", "key", "query"),
    [("zsh", "^X^G", "bindkey -M emacs '^X^G'"),
     ("bash", "\\C-x\\C-g", "bind -m emacs -X"),
     ("fish", "\\cx\\cg", "bind \\cx\\cg")],
)  # fmt: skip
def test_cmdai_key_chooses_the_key(shell: str, key: str, query: str, tmp_path: Path) -> None:
    require(shell)
    script = rendered(shell, tmp_path)
    setter = f"set -gx CMDAI_KEY '{key}'; " if shell == "fish" else f"export CMDAI_KEY='{key}'; "
    result = run_in(shell, f"{setter}source '{script}'; {query}")
    assert result.returncode == 0, result.stderr
    assert "cmdai" in result.stdout


def test_bash_script_passes_shellcheck(tmp_path: Path) -> None:
    require("shellcheck")
    result = subprocess.run(
        ["shellcheck", "--shell=bash", str(rendered("bash", tmp_path))],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout


def test_fish_script_is_fish_indent_clean(tmp_path: Path) -> None:
    require("fish_indent")
    result = subprocess.run(
        ["fish_indent", "--check", str(rendered("fish", tmp_path))], capture_output=True, timeout=30
    )
    assert result.returncode == 0, "run fish_indent -w on cmdai/shell/cmdai.fish"


def test_powershell_script_parses_cleanly() -> None:
    tree_sitter = pytest.importorskip("tree_sitter")
    grammar = pytest.importorskip("tree_sitter_powershell")
    parser = tree_sitter.Parser(tree_sitter.Language(grammar.language()))
    tree = parser.parse(widgets.render("powershell", exe="C:\\Program Files\\cmdai.exe").encode())
    assert not tree.root_node.has_error


@pytest.mark.parametrize("shell", [*POSIX_SHELLS, "powershell"])
def test_scripts_use_only_the_contract(shell: str) -> None:
    """docs/protocol.md: the widget sets CMDAI_BUFFER and CMDAI_CURSOR, runs `hook --shell
    NAME`, applies stdout only on exit 0 or 9 (and arms Enter on 9), runs `hook --shell NAME
    --explain` for the explain key and never changes the line after it; each script also runs
    `helper prestart` once, in the background. Nothing else of cmdai's is used."""
    text = widgets.source(shell)
    variables = set(re.findall(r"\bCMDAI_[A-Z_]+", text))
    assert {"CMDAI_BUFFER", "CMDAI_CURSOR"} <= variables <= CONTRACT_VARIABLES
    calls = re.findall(rf"{widgets.PLACEHOLDER}\s+(.*?)(?:\s*[<|2)]|$)", text, re.M)
    if shell == "powershell":  # Start-Process takes the arguments as one string
        assert calls == [
            f"hook --shell {shell}",
            f"hook --shell {shell} --explain",
            "-ArgumentList 'helper prestart' @_cmdai_hidden -ErrorAction Stop",
        ]
    else:
        assert calls == [f"hook --shell {shell}", f"hook --shell {shell} --explain",
                         "helper prestart"]  # fmt: skip
    applies = {"zsh": "rc == 0 || rc == 9", "bash": "$rc -eq 0 || $rc -eq 9",
               "fish": "test $rc -eq 0; or test $rc -eq 9",
               "powershell": "$code -eq 0 -or $code -eq 9"}[shell]  # fmt: skip
    arms = {"zsh": "rc == 9", "bash": "$rc -eq 9", "fish": "test $rc -eq 9",
            "powershell": "$code -eq 9"}[shell]  # fmt: skip
    assert applies in text and arms in text


def test_init_prints_the_script_with_this_executable(tmp_path: Path) -> None:
    result = run_cli("init", "zsh")
    assert result.returncode == 0
    assert widgets.PLACEHOLDER not in result.stdout
    exe = re.search(r"CMDAI_LAST_STATUS=\$_cmdai_last_status (\S+) hook", result.stdout)
    assert exe and Path(exe.group(1)).is_file()


def test_init_refuses_an_unknown_shell() -> None:
    result = run_cli("init", "tcsh")
    assert result.returncode == 2 and "invalid choice: 'tcsh'" in result.stderr


def test_bash_older_than_4_says_why_in_one_line_and_binds_nothing(tmp_path: Path) -> None:
    """bash 3.2 cannot run here: the test sets BASH_VERSION, the variable the script reads
    (bash lets it be assigned; BASH_VERSINFO is read-only), to what macOS's /bin/bash says."""
    require("bash")
    script = rendered("bash", tmp_path)
    old = run_in("bash", f'BASH_VERSION="3.2.57(1)-release"; . "{script}"; bind -X; bind -p')
    assert old.returncode == 0, old.stderr
    assert noise(old.stderr) == (
        "cmdai: bash 3.2.57(1)-release cannot run the Ctrl-G widget: it needs bash 4 or newer "
        '(on macOS: brew install bash, and use that bash); cmdai "request" works in any shell'
    )
    assert "_cmdai" not in old.stdout
    current = run_in("bash", f'. "{script}"; bind -X; declare -F')
    assert noise(current.stderr) == "" and '"\\C-g": "_cmdai_generate"' in current.stdout
