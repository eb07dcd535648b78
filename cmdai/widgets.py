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
    return source(shell).replace(PLACEHOLDER, quoted)


def _quote_powershell(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"
