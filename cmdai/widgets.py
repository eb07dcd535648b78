"""`cmdai init SHELL`: the shell adapters, shipped as files in cmdai/shell/ and printed with the
absolute path of this cmdai executable filled in (as starship and fzf do), so the widget
neither depends on PATH nor pays for a PATH search on every key press."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from importlib import resources
from pathlib import Path

SCRIPTS = {"zsh": "cmdai.zsh", "bash": "cmdai.bash", "fish": "cmdai.fish",
           "powershell": "cmdai.ps1"}  # fmt: skip
PLACEHOLDER = "__CMDAI_EXE__"


def source(shell: str) -> str:
    """The script as shipped, with the placeholder."""
    return resources.files("cmdai").joinpath("shell", SCRIPTS[shell]).read_text(encoding="utf-8")


def executable() -> str:
    """This cmdai's own executable: the console script next to this Python, else on PATH."""
    beside = Path(sys.executable).parent / ("cmdai.exe" if os.name == "nt" else "cmdai")
    if beside.is_file():
        return str(beside)
    found = shutil.which("cmdai")
    return os.path.abspath(found) if found else "cmdai"


def render(shell: str, exe: str | None = None) -> str:
    path = exe or executable()
    quoted = _quote_powershell(path) if shell == "powershell" else shlex.quote(path)
    script = source(shell).replace(PLACEHOLDER, quoted)
    return _guard_old_bash(script) if shell == "bash" else script


OLD_BASH = (
    "cmdai: bash $BASH_VERSION cannot run the Ctrl-G widget: it needs bash 4 or newer "
    '(on macOS: brew install bash, and use that bash); cmdai \\"request\\" works in any shell'
)


def _guard_old_bash(script: str) -> str:
    """bash 3 (macOS's /bin/bash) has no READLINE_LINE: its widget would send an empty line.
    There, say so in one line and bind nothing. The script is one quoted string for `eval`, so
    that an old bash never even parses it; the leading comments stay readable above it."""
    lines = script.splitlines(keepends=True)
    cut = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    header, body = "".join(lines[:cut]), "".join(lines[cut:])
    quoted = "'" + body.replace("'", "'\\''") + "'"
    return (
        f"{header}"
        'if [ "${BASH_VERSION%%.*}" -lt 4 ] 2>/dev/null; then\n'
        f"  printf '%s\\n' \"{OLD_BASH}\" >&2\n"
        f"else\n  eval {quoted}\nfi\n"
    )


def _quote_powershell(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"
