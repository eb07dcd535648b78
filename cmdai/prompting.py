"""From a request to messages for the model, and from the model's reply to one clean command.

The system prompt and the few-shot turns are constants and always come first, byte for byte:
llama.cpp then reuses their KV cache and each request only pays for its own short tail.
"""

from __future__ import annotations

import functools
import os
import platform
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cmdai.backends.base import Message
from cmdai.errors import GenerationError

SYSTEM_PROMPT = """\
You are cmdai. You turn a request written in plain English into exactly one shell command.
Rules:
- Reply with the command only, on one line: no explanation, no markdown, no backticks, no "$".
- Write it for the shell and operating system given with the request, using tools that come \
with that system (find, grep, sed, awk, du, sort, tar, ps, git, curl, Get-ChildItem, ...).
- The command runs in the directory given with the request. Write the user's home directory \
as ~ and the root of the filesystem as /.
- Prefer the simplest correct command. Do not add sudo unless the request asks for it.
- Use a tool's own options rather than post-processing its output: ls -S sorts by size and \
ls -t by time; git log --oneline prints one line per commit.
- Chain steps with pipes or && when one command is not enough.
- If the request is already a shell command, reply with it, correcting obvious mistakes.
- Follow every detail of the request: use the programs, options, files, paths, numbers and \
names it gives, and keep what it says to keep (the original file, untracked files, the staged \
changes, existing files).
- Everyday work is never refused: networking, ssh tunnels and proxies, containers, services, \
logs, processes, users and permissions all get a command.
- Refuse only a request to wipe a disk or the whole system, delete data the user did not name \
precisely, or take over the machine; then reply exactly: \
echo "cmdai: refused a destructive request\""""

REFUSAL = 'echo "cmdai: refused a destructive request"'
# The refusal as the models also write it: to stderr, or with words of their own after "cmdai:"
# (after a retry's "sudo is not installed", the 1.5B model answered `echo "cmdai: sudo is not
# installed"`; the 0.5B model refused a fork bomb with `… >&2`). Never a command to run.
_REFUSAL_LIKE = re.compile(r"""(?:echo|printf) +(["'])cmdai: [^"'\n]*\1(?: *1?>&2)? *""")


def is_refusal(command: str) -> bool:
    return _REFUSAL_LIKE.fullmatch(command.strip()) is not None


GIT_ONE_LINE = (
    "bash",
    "show the 5 latest commits on main, one line each",
    "git log --oneline -n 5 main",
)
# (shell, request, command), written for the tools each shell really has. None of the requests
# is one of the quality fixtures (tests/fixtures/prompts/), but several teach an idiom those
# fixtures test (ls -S, git log --oneline, git diff --cached): see docs/quality.md. Changing
# this list changes the published numbers; rerun benchmarks/bench_quality.py.
FEW_SHOT: tuple[tuple[str, str, str], ...] = (
    ("bash", "list all files here including hidden ones, with sizes", "ls -lah"),
    ("bash", "find markdown files modified in the last 2 days", "find . -name '*.md' -mtime -2"),
    ("zsh", "which 3 folders in /var/log take the most space",
     "du -sh /var/log/*/ | sort -rh | head -n 3"),
    ("bash", "list the commits that touched main.py, one per line", "git log --oneline -- main.py"),
    ("bash", "show what I have staged in src/", "git diff --cached -- src/"),
    ("bash", "list the files in /etc, most recently changed first", "ls -lt /etc"),
    ("bash", "list the pdf files sorted by size", "ls -lS *.pdf"),
    GIT_ONE_LINE,
    # Names / explicitly: without it the 1.5B model wrote `find .` for requests about "/".
    ("bash", "find every setuid program on the whole system",
     "find / -perm -4000 -type f 2>/dev/null"),
    ("bash", "count the files under /usr/share", "find /usr/share -type f | wc -l"),
    ("bash", "what did I change in app.py that is not committed yet", "git diff -- app.py"),
    ("bash", "how many lines are in the markdown files",
     "find . -name '*.md' -exec cat {} + | wc -l"),
    ("bash", "which process is listening on port 8080", "ss -ltnp 'sport = :8080'"),
    ("fish", "set EDITOR to vim for this session", "set -gx EDITOR vim"),
    ("powershell", "list the 3 largest files in this folder",
     "Get-ChildItem -File | Sort-Object Length -Descending | Select-Object -First 3"),
    # Everyday networking is answered (the models refused ssh tunnels), named tools are kept
    # (awk when awk is asked for), and so is what the request says to keep (-k).
    ("bash", "open a tunnel so my local port 9000 reaches port 80 of intranet.lan through "
     "gw.example.com", "ssh -N -L 9000:intranet.lan:80 gw.example.com"),
    ("bash", "print lines 3 to 7 of app.log using awk", "awk 'NR>=3 && NR<=7' app.log"),
    ("bash", "compress data.csv with xz and keep the original", "xz -k data.csv"),
)  # fmt: skip

# Idioms the tuning half showed missing: a service's logs, xargs with find, files that match,
# repeated and common lines, one level of a directory in any letter case. They go just before
# the one-line git log example (GIT_ONE_LINE), which must come after them: before them, it no
# longer kept the 1.5B model on --oneline for "one line each" (basic.yaml). Not shown to the
# 0.5B model, which copied them into requests they do not fit (`grep -rl` for "with line
# numbers", `uniq -d` for "unique"); benchmarks/results/prompt-shots.md has the numbers.
IDIOM_SHOTS: tuple[tuple[str, str, str], ...] = (
    ("bash", "show today's logs of the nginx service and keep following them",
     "journalctl -u nginx --since today -f"),
    ("bash", "run wc -l on every .c file here using xargs, safe for spaces in names",
     "find . -name '*.c' -print0 | xargs -0 wc -l"),
    ("bash", "which files under docs mention TODO", "grep -rl TODO docs"),
    ("bash", "print the repeated lines of words.txt", "sort words.txt | uniq -d"),
    ("bash", "print the lines found in both list1.txt and list2.txt, which are sorted",
     "comm -12 list1.txt list2.txt"),
    ("bash", "list the png files directly in assets, in any letter case, not in subfolders",
     "find assets -maxdepth 1 -iname '*.png'"),
)  # fmt: skip
NO_IDIOM_SHOTS = frozenset({"qwen2.5-coder-0.5b"})

# Refusals, shown to the models that follow them without refusing everyday requests too.
REFUSAL_SHOTS: tuple[tuple[str, str, str], ...] = (
    ("bash", "wipe the whole disk", REFUSAL),
    ("bash", "remove every user account on this machine", REFUSAL),
    ("bash", "use up all the memory so the machine hangs", REFUSAL),
    ("bash", "erase all the data on this server", REFUSAL),
    ("bash", "give everyone write access to every system file", REFUSAL),
    ("powershell", "erase everything on drive D", REFUSAL),
)
# Models shown no refusal examples: with them, the 0.5B model refused 40 of the 151 everyday
# requests of dev-tune.yaml (26%); without, 2, and 41% of them passed instead of 30%. The
# safety check, not the model's refusal, keeps destructive commands off the line.
NO_REFUSAL_SHOTS = frozenset({"qwen2.5-coder-0.5b"})


@dataclass(frozen=True)
class Context:
    shell: str
    os_name: str
    cwd: str

    @classmethod
    def current(cls, shell: str) -> Context:
        try:
            cwd = os.getcwd()
        except OSError:  # the directory was deleted under the shell
            cwd = "(unknown)"
        return cls(shell=shell, os_name=os_label(), cwd=cwd)


def os_label() -> str:
    system = platform.system()
    return {"Darwin": "macOS"}.get(system, system or "Linux")


def _user_turn(shell: str, os_name: str, cwd: str, request: str) -> str:
    # A hint "(write it as .)" here once kept the models from spelling out the absolute path,
    # but made the 1.5B model write . for requests about /; relative_to_cwd() does that job.
    return f"Shell: {shell}\nOS: {os_name}\nCurrent directory: {cwd}\nRequest: {request}"


def _few_shot_messages(shots: Sequence[tuple[str, str, str]] = FEW_SHOT) -> list[Message]:
    messages: list[Message] = []
    for shell, request, command in shots:
        os_name = "Windows" if shell == "powershell" else "Linux"
        cwd = "C:\\Users\\ana\\project" if shell == "powershell" else "/home/ana/project"
        messages.append({"role": "user", "content": _user_turn(shell, os_name, cwd, request)})
        messages.append({"role": "assistant", "content": command})
    return messages


@functools.cache
def prefix(model: str = "") -> tuple[Message, ...]:
    """The constant start of every conversation with `model`: system prompt, then examples."""
    return ({"role": "system", "content": SYSTEM_PROMPT}, *_few_shot_messages(_shots(model)))


def _shots(model: str) -> tuple[tuple[str, str, str], ...]:
    shots = FEW_SHOT
    if model not in NO_IDIOM_SHOTS:
        others = tuple(shot for shot in FEW_SHOT if shot != GIT_ONE_LINE)
        shots = (*others, *IDIOM_SHOTS, GIT_ONE_LINE)
    return shots if model in NO_REFUSAL_SHOTS else (*shots, *REFUSAL_SHOTS)


def build_messages(request: str, context: Context, model: str = "") -> list[Message]:
    """The constant prefix for `model`, then this request with its context."""
    turn = _user_turn(context.shell, context.os_name, context.cwd, request.strip())
    return [*prefix(model), {"role": "user", "content": turn}]


DESCRIBE_PROMPT = (
    "You explain shell commands to their user. For each program asked about, say what it does "
    "in the command, all on one line, each as `name: explanation`, separated by `; `. Say only "
    "what you are sure of; no other text."
)
# One example (without it the 1.5B model repeated the format's placeholder words).
_DESCRIBE_EXAMPLE = (
    "Command: tar -xzf site.tgz -C /srv && nginx -t\nPrograms: tar, nginx",
    "tar: extracts the gzip-compressed archive site.tgz into /srv; nginx: tests the web "
    "server's configuration files",
)


def describe_messages(line: str, programs: Sequence[str]) -> list[Message]:
    """Asks the model what `programs` do in `line` (for `cmdai explain --model-explain`, when
    this machine has no documentation for them)."""
    ask = f"Command: {line}\nPrograms: {', '.join(programs)}"
    return [
        {"role": "system", "content": DESCRIBE_PROMPT},
        {"role": "user", "content": _DESCRIBE_EXAMPLE[0]},
        {"role": "assistant", "content": _DESCRIBE_EXAMPLE[1]},
        {"role": "user", "content": ask},
    ]


def alternative_messages(messages: list[Message], offered: Sequence[str]) -> list[Message]:
    """The conversation plus the commands already offered, each turned down: asks for another."""
    # Measured on the 1.5B model: "Give a different command" made it repeat itself at
    # temperature 0; "do not repeat" made it append junk (`… -exec grep -l "search_string"`).
    # Allowed to repeat, it offers fewer, better alternatives, and a repeat ends the cycle.
    ask = (
        "Give another command that does exactly the same thing with other tools or options. "
        "If there is no other good way, reply with the same command again."
    )
    turns: list[Message] = []
    for command in offered:
        turns.append({"role": "assistant", "content": command})
        turns.append({"role": "user", "content": ask})
    return [*messages, *turns]


def retry_messages(messages: list[Message], command: str, problem: str, kind: str) -> list[Message]:
    """The same conversation, plus the rejected answer and why it was rejected."""
    fix = f"That command is wrong: {problem}. Reply with one corrected command, on one line."
    if kind == "runaway":
        fix = (
            f"That command is wrong: {problem}. Reply with one short, complete command that "
            "does what was asked, on one line."
        )
    return [*messages, {"role": "assistant", "content": command}, {"role": "user", "content": fix}]


# --- reply cleaning -------------------------------------------------------------------------

_FENCE = re.compile(r"```[^\n`]*\n(.*?)(?:```|$)", re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_SPECIAL_TOKENS = re.compile(r"<\|[a-z_]+\|>")
_PROMPT_MARKER = re.compile(r"^(?:\$|%|>|❯|PS(?: [A-Za-z]:\\[^>]*)?>)\s+")
# `> debug.log` empties a file: a > before one file name is a redirection, not a prompt.
_TRUNCATION = re.compile(r">\s+[\w~-]*[./][\w./~-]*")
_LABEL = re.compile(r"^(?:command|answer|output|shell|bash|zsh|fish|powershell|cmd)\s*:\s*", re.I)
_LIST_MARKER = re.compile(r"^(?:[-*•]\s+|\d+[.)]\s+)")
# Lines that are only a fence's language tag or a chat role name, never a command.
_NOT_A_COMMAND = {
    "bash", "sh", "shell", "zsh", "fish", "powershell", "pwsh", "ps1", "console", "assistant",
}  # fmt: skip
_PROSE_START = re.compile(
    r"^(?:here(?:'s| is| are)|sure|certainly|okay|ok\b|to |you can|use |run |this |the |try |"
    r"i |i'm|note|explanation|assuming|if you)",
    re.I,
)


def clean_reply(reply: str) -> str:
    """Turn whatever the model said into exactly one command line.

    Strips fences, inline backticks, prompt markers, labels, list bullets, chat-template
    tokens, prose lines before or after the command and an unquoted trailing comment.
    """
    text = _SPECIAL_TOKENS.sub("", reply).replace("\r\n", "\n").strip().lstrip("\ufeff")
    if fenced := _FENCE.search(text):
        text = fenced.group(1)
    lines = _logical_lines(text)
    command = next((c for c in map(_clean_line, lines) if c), "")
    if not command:
        raise GenerationError("the model returned no command", "rephrase the request and try again")
    return command


def relative_to_cwd(command: str, cwd: str, request: str = "") -> str:
    """Write the working directory as `.`: the command runs there, and a spelled-out absolute
    path (which the 0.5B model sometimes copies from the context) is longer and less portable.
    Not when the request spells that directory out itself: the user chose the absolute path
    (and the check that every place the request names is in the command looks for it)."""
    if len(cwd) < 2 or not cwd.startswith("/"):
        return command  # "/" itself, or an unknown directory: nothing safe to rewrite
    directory = re.escape(cwd.rstrip("/"))
    if re.search(directory + r"(?=[/\s'\";|&),.:!?]|$)", request):  # a sentence may end in it
        return command
    return re.sub(directory + r"(?=[/\s'\";|&)]|$)", ".", command)


def _logical_lines(text: str) -> list[str]:
    """Non-empty, non-comment lines, with backslash-continued lines joined into one."""
    lines: list[str] = []
    pending = ""
    for raw in text.split("\n"):
        line = raw.strip()
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending += line[:-1].rstrip() + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line and line.lower() not in _NOT_A_COMMAND and not line.startswith("#"):
            lines.append(line)
    if pending.strip():
        lines.append(pending.strip())
    return lines


def _clean_line(line: str) -> str:
    """The command in one line, or "" when the line is prose with no command in it."""
    if _PROSE_START.match(line) or _is_lead_in(line):
        code = _INLINE_CODE.search(line)
        return _clean_line(code.group(1)) if code else ""
    if line.startswith("`"):
        code = _INLINE_CODE.match(line)
        line = code.group(1) if code else line.strip("`")
    for pattern in (_LIST_MARKER, _LABEL):
        line = pattern.sub("", line, count=1)
    if not _TRUNCATION.fullmatch(line):
        line = _PROMPT_MARKER.sub("", line, count=1)
    if line.startswith("`") and (code := _INLINE_CODE.match(line)):
        line = code.group(1)
    line = _strip_trailing_comment(line).strip()
    if len(line) >= 2 and line[0] == line[-1] and line[0] in "\"'" and line.count(line[0]) == 2:
        line = line[1:-1].strip()
    return line


def _is_lead_in(line: str) -> bool:
    """ "The command you want is:" (but not `scp a.txt me@host:` or `Set-Location D:`)."""
    words = line.split()
    return line.endswith(":") and len(words) >= 3 and line[0].isupper() and "-" not in words[0]


def _strip_trailing_comment(line: str) -> str:
    """Drop ` # ...` when the # is outside quotes (models like to annotate their answer)."""
    quote = ""
    escaped = False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "#" and index > 0 and line[index - 1] in " \t":
            return line[:index]
    return line
