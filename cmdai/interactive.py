"""The fallback front end's editable prompt, and running the confirmed command.

The command is shown pre-filled in a prompt_toolkit line editor. Enter returns the (possibly
edited) text; Ctrl-C or Ctrl-D cancel. Nothing runs unless the user pressed Enter.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output

from cmdai.errors import Cancelled, UsageError


def edit_command(
    command: str,
    *,
    toolbar: str = "",
    input: Input | None = None,
    output: Output | None = None,
) -> str:
    """Let the user edit `command`; return what they confirmed with Enter."""
    hint = " Enter: run   Ctrl-C: cancel"
    session: PromptSession[str] = PromptSession(
        message="❯ ",
        bottom_toolbar=f"{hint}   {toolbar}" if toolbar else hint,
        input=input,
        output=output,
    )
    try:
        return session.prompt(default=command).strip()
    except (KeyboardInterrupt, EOFError):
        raise Cancelled("cancelled; nothing was run") from None


def ask_yes(question: str, *, input: Input | None = None, output: Output | None = None) -> bool:
    """True only when the user types the whole word `yes` (Enter alone is not consent)."""
    session: PromptSession[str] = PromptSession(message=question, input=input, output=output)
    try:
        return session.prompt().strip().lower() == "yes"
    except (KeyboardInterrupt, EOFError):
        return False


def shell_argv(shell: str, command: str) -> list[str]:
    """How to run `command` in `shell`: the user's own $SHELL binary when it is that shell."""
    if shell == "powershell":
        exe = shutil.which("pwsh") or shutil.which("powershell")
        if exe is None:
            raise UsageError("PowerShell (pwsh) is not installed", "use --shell bash, zsh or fish")
        return [exe, "-NoProfile", "-Command", command]
    user_shell = os.environ.get("SHELL", "")
    exe = user_shell if Path(user_shell).name == shell else shutil.which(shell)
    if exe is None:
        raise UsageError(f"{shell} is not installed", "choose another shell with --shell")
    return [exe, "-c", command]


def run_command(shell: str, command: str) -> int:
    """Run the confirmed command in the user's shell; its exit status becomes ours."""
    status = subprocess.run(shell_argv(shell, command), check=False).returncode
    return 128 - status if status < 0 else status  # killed by a signal: shell convention
