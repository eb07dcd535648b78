"""A real interactive shell in a private tmux server, with an isolated rc file that loads the
cmdai widget, a prompt with a counter (each wait matches the next prompt, never a stale one),
and a dump key that writes the exact line buffer to a file. The screen is attached to any
failure."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from pathlib import Path

from cmdai.widgets import executable, render

RC = {
    "zsh": """
PS1='cmdai-test-${_cmdai_n}> '
setopt prompt_subst
_cmdai_n=0
precmd() { (( _cmdai_n++ )) }
_test_dump() { print -rn -- "$BUFFER" > $CMDAI_TEST_DUMP.tmp && mv $CMDAI_TEST_DUMP.tmp $CMDAI_TEST_DUMP }
zle -N _test_dump
bindkey '^X^B' _test_dump
setopt ignore_eof
KEYTIMEOUT=100
""",
    "bash": """
_cmdai_n=0
PROMPT_COMMAND='_cmdai_n=$((_cmdai_n+1))'
PS1='cmdai-test-${_cmdai_n}> '
IGNOREEOF=100
for _m in emacs vi-insert vi-command; do
  bind -m $_m -x '"\\C-x\\C-b": printf %s "$READLINE_LINE" > "$CMDAI_TEST_DUMP.tmp" && mv "$CMDAI_TEST_DUMP.tmp" "$CMDAI_TEST_DUMP"'
done
""",
    "fish": """
set -g _cmdai_n 0
function _cmdai_count --on-event fish_prompt
    set -g _cmdai_n (math $_cmdai_n + 1)
end
function fish_prompt
    echo -n "cmdai-test-$_cmdai_n> "
end
function fish_greeting
end
function _test_dump
    printf %s (commandline | string collect) > $CMDAI_TEST_DUMP.tmp
    and mv $CMDAI_TEST_DUMP.tmp $CMDAI_TEST_DUMP
end
bind \\cx\\cb _test_dump
""",
}


class ShellSession:
    def __init__(
        self, shell: str, workdir: Path, env: dict[str, str], rc_extra: str = "",
        via_init: bool = False,
    ) -> None:  # fmt: skip
        self.shell = shell
        self.rc_extra = rc_extra
        self.via_init = via_init  # load the widget as users do: from `cmdai init SHELL`
        self.workdir = workdir
        self.socket = workdir / "tmux.sock"
        self.dump_file = workdir / "buffer.dump"
        self.prompts = 0
        rc = self._write_rc()
        if shell == "fish" and "HOME" in env:
            # fish's first start in a new home generates completions from every man page in
            # the background (half a minute of CPU): there is nothing to generate them for.
            Path(env["HOME"], ".local/share/fish/generated_completions").mkdir(
                parents=True, exist_ok=True
            )
        shell_env = {**env, "CMDAI_TEST_DUMP": str(self.dump_file), "LANG": "C.UTF-8"}
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in shell_env.items())
        command = {
            "zsh": f"env {exports} ZDOTDIR={workdir} zsh -i",
            "bash": f"env {exports} bash --noprofile --rcfile {rc} -i",
            "fish": f"env {exports} XDG_CONFIG_HOME={workdir / 'config'} fish -i",
        }[shell]
        # In the test's own directory: a command that runs there can only touch the test's files.
        self._tmux("new-session", "-d", "-x", "120", "-y", "30", "-c", str(workdir), command)
        self.wait_prompt()

    def _write_rc(self) -> Path:
        widget = render(self.shell)
        if self.via_init:
            exe = shlex.quote(executable())
            widget = (f"{exe} init fish | source" if self.shell == "fish"
                      else f'eval "$({exe} init {self.shell})"')  # fmt: skip
        if self.shell == "zsh":
            path = self.workdir / ".zshrc"
        elif self.shell == "bash":
            path = self.workdir / "bashrc"
        else:
            path = self.workdir / "config" / "fish" / "config.fish"
            path.parent.mkdir(parents=True)
        path.write_text(RC[self.shell] + self.rc_extra + "\n" + widget)
        return path

    def _tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-S", str(self.socket), *args],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout  # fmt: skip

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-J")

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", *keys)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-l", text)

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.screen():
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; screen:\n{self.screen()}")
            time.sleep(0.05)

    def wait_gone(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text in self.screen():
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never went away; screen:\n{self.screen()}")
            time.sleep(0.05)

    def wait_prompt(self, timeout: float = 30) -> None:
        self.prompts += 1
        self.wait_for(f"cmdai-test-{self.prompts}> ", timeout)

    def buffer(self, timeout: float = 60) -> str:
        """The exact line buffer, once every key sent so far has been handled."""
        self.dump_file.unlink(missing_ok=True)
        self.keys("C-x", "C-b")
        deadline = time.monotonic() + timeout
        while not self.dump_file.exists():
            if time.monotonic() > deadline:
                raise AssertionError(f"the shell never dumped its buffer; screen:\n{self.screen()}")
            time.sleep(0.02)
        return self.dump_file.read_text()

    def wait_for_hook(self, timeout: float = 30) -> None:
        """Until a `cmdai hook` of this shell runs and has had time to start Python: a Ctrl-C
        before that reaches the shell's widget, not the hook."""
        deadline = time.monotonic() + timeout
        marker = f"CMDAI_TEST_DUMP={self.dump_file}".encode()
        while not any(marker in environ for environ in _hook_environments()):
            if time.monotonic() > deadline:
                raise AssertionError(f"no hook process appeared; screen:\n{self.screen()}")
            time.sleep(0.02)
        time.sleep(0.5)

    def clear_line(self) -> None:
        self.keys("C-e", "C-u") if self.shell != "fish" else self.keys("C-a", "C-k")

    def close(self) -> None:
        subprocess.run(["tmux", "-S", str(self.socket), "kill-server"], capture_output=True)


def _hook_environments() -> list[bytes]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if b"hook\x00--shell" in (proc / "cmdline").read_bytes():
                found.append((proc / "environ").read_bytes())
        except OSError:
            continue
    return found


def base_env(home: Path) -> dict[str, str]:
    """The shell's environment: a clean HOME, cmdai's state in the test's CMDAI_HOME. No
    helper is started with the shell unless a test sets CMDAI_PRESTART: most tests are about
    what a key press does, helper or not."""
    keep = {k: os.environ[k] for k in ("PATH", "PYTHONPATH", "TMPDIR") if k in os.environ}
    cmdai = {k: v for k, v in os.environ.items() if k.startswith("CMDAI_")}
    return {**keep, "CMDAI_PRESTART": "false", **cmdai, "HOME": str(home),
            "TERM": "xterm-256color"}  # fmt: skip
