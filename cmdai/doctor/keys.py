"""Are cmdai's widgets loaded in the user's shell, and do their keys (Ctrl-G, Alt-G) reach them?

An interactive shell is started the way a terminal starts one (it reads the user's start-up
files) and asked for its key bindings in every keymap cmdai binds. The answer says, per keymap,
what the key runs and which longer bindings start with it: a key that is also a prefix (fzf-git
binds Ctrl-G Ctrl-F and friends) makes the shell wait for a second key instead of running the
widget at once, and a key bound to something else was left alone by cmdai on purpose.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field

# What each shell calls the default key, cmdai's widget there, and its keymaps.
DEFAULT_KEY = {"zsh": "^G", "bash": "\\C-g", "fish": "\\cg"}
WIDGET = {"zsh": "cmdai-generate", "bash": "_cmdai_generate", "fish": "_cmdai_generate"}
# The same for Alt-G, which explains the command on the line.
EXPLAIN_KEY = {"zsh": "^[g", "bash": "\\eg", "fish": "\\eg"}
EXPLAIN_WIDGET = {"zsh": "cmdai-explain", "bash": "_cmdai_explain", "fish": "_cmdai_explain"}
KEYMAPS = {
    "zsh": ("emacs", "viins", "vicmd"),
    "bash": ("emacs", "vi-insert", "vi-command"),
    "fish": ("default", "insert"),
}
# What the keys do in a shell without cmdai (not "taken" by anyone: cmdai binds over these).
STOCK = {
    "zsh": {"send-break", "list-expand", "undefined-key"},
    "bash": {"abort", "self-insert"},
    "fish": {"cancel", "cancel-commandline"},
}
EXPLAIN_STOCK = {
    "zsh": {"get-line", "undefined-key"},
    "bash": {"glob-complete-word"},
    "fish": set(),
}
RC_FILE = {"zsh": "~/.zshrc", "bash": "~/.bashrc", "fish": "~/.config/fish/config.fish"}
INIT_LINE = {
    "zsh": 'eval "$(cmdai init zsh)"',
    "bash": 'eval "$(cmdai init bash)"',
    "fish": "cmdai init fish | source",
}
MARK = "@@cmdai-keymap "


@dataclass
class Keymap:
    name: str
    bound_to: str | None = None  # what the key runs ("" when the shell shows none)
    shadowed: bool = False  # bash marks a key that is also a prefix with a trailing \000
    prefix_of: list[tuple[str, str]] = field(default_factory=list)  # (sequence, what it runs)


def query_script(shell: str) -> str:
    maps = " ".join(KEYMAPS[shell])
    if shell == "zsh":
        return f"for m in {maps}; do print -r -- '{MARK}'$m; bindkey -M $m; done"
    if shell == "bash":
        return f"for m in {maps}; do echo '{MARK}'$m; bind -m $m -X; bind -m $m -p; done"
    return f"echo '{MARK}all'; bind"


def read_bindings(shell: str, timeout: float = 20) -> str | None:
    """The shell's own listing of its bindings, from an interactive shell that read the
    user's start-up files; None when the shell is not installed."""
    program = shutil.which(shell)
    if program is None:
        return None
    argv = [program, "-i", "-c", query_script(shell)]
    result = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        # A look at the bindings must not start a helper as a side effect.
        env={**os.environ, "CMDAI_PRESTART": "false"}, errors="replace",
    )  # fmt: skip
    return result.stdout


def keymaps(shell: str, listing: str, key: str) -> list[Keymap]:
    """Parse `listing` (see `query_script`) into what `key` does in each keymap."""
    parse = {"zsh": _zsh_line, "bash": _bash_line, "fish": _fish_line}[shell]
    found: dict[str, Keymap] = {name: Keymap(name) for name in KEYMAPS[shell]}
    current = KEYMAPS[shell][0]
    for line in listing.splitlines():
        if line.startswith(MARK):
            current = line[len(MARK) :].strip()
            continue
        parsed = parse(line, current)
        if parsed is None:
            continue
        keymap, sequence, action = parsed
        entry = found.setdefault(keymap, Keymap(keymap))
        if sequence == key:
            entry.bound_to = action
        elif sequence == key + "\\000":
            entry.bound_to, entry.shadowed = action, True
        elif sequence.startswith(key):
            entry.prefix_of.append((sequence, action))
    return [found[name] for name in KEYMAPS[shell]]


def _zsh_line(line: str, keymap: str) -> tuple[str, str, str] | None:
    match = re.fullmatch(r'"(.+)" (\S+)', line.strip())
    return (keymap, match.group(1), match.group(2)) if match else None


def _bash_line(line: str, keymap: str) -> tuple[str, str, str] | None:
    match = re.fullmatch(r'"(.+)": (.+)', line.strip())
    if not match:
        return None
    return keymap, match.group(1), match.group(2).strip('"')


def _fish_line(line: str, keymap: str) -> tuple[str, str, str] | None:
    words = line.split()
    if not words or words[0] != "bind":
        return None
    words = [w for w in words[1:] if w != "--preset"]
    mode = "default"
    if words[:1] == ["-M"] and len(words) > 2:
        mode, words = words[1], words[2:]
    if len(words) < 2 or words[0].startswith("-"):
        return None
    return mode, words[0], " ".join(words[1:])
