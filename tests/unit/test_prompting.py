"""Messages sent to the model, and cleaning of real messy replies into one command."""

from __future__ import annotations

import pytest

from cmdai.errors import GenerationError
from cmdai.prompting import (
    GIT_ONE_LINE,
    IDIOM_SHOTS,
    REFUSAL,
    REFUSAL_SHOTS,
    SYSTEM_PROMPT,
    Context,
    build_messages,
    clean_reply,
    is_refusal,
    relative_to_cwd,
)

# Replies of the kinds small chat models really give: fences, prose around the command,
# inline code, prompt markers, labels, bullets, comments, chat-template tokens.
MESSY_REPLIES: list[tuple[str, str]] = [
    ("ls -la", "ls -la"),
    ("  ls -la  \n", "ls -la"),
    ("`ls -la`", "ls -la"),
    ("```\nls -la\n```", "ls -la"),
    ("```bash\nfind . -size +100M\n```", "find . -size +100M"),
    ("```sh\ndu -sh *\n```\nThis shows the size of each item.", "du -sh *"),
    ("Here is the command:\n```bash\ndf -h\n```", "df -h"),
    ("Here's the command you need:\n\nps aux | grep nginx", "ps aux | grep nginx"),
    ("You can use `git status` to see the changes.", "git status"),
    ("To list files, run `ls -1`.", "ls -1"),
    ("$ tar -czf logs.tar.gz logs/", "tar -czf logs.tar.gz logs/"),
    ("```console\n$ uname -a\n```", "uname -a"),
    ("Command: `wc -l *.py`", "wc -l *.py"),
    ("Command: wc -l *.py", "wc -l *.py"),
    ("bash\nls -lt | head", "ls -lt | head"),
    ("find . -name '*.log' -mtime +7  # files older than a week", "find . -name '*.log' -mtime +7"),
    ("grep -rn 'TODO' .\n\nExplanation: searches recursively.", "grep -rn 'TODO' ."),
    ("echo 'a # b'", "echo 'a # b'"),
    ('grep -c "#include" main.c', 'grep -c "#include" main.c'),
    ("- du -sh .", "du -sh ."),
    ("1. git log --oneline -5", "git log --oneline -5"),
    ("ls -la<|im_end|>", "ls -la"),
    ("<|im_start|>assistant\nls<|im_end|>", "ls"),
    ("Sure! ```\nfree -h\n```", "free -h"),
    ("find . -type f \\\n  -name '*.tmp'", "find . -type f -name '*.tmp'"),
    ("PS> Get-ChildItem -Recurse", "Get-ChildItem -Recurse"),
    ("PS C:\\Users\\ana> Get-Process", "Get-Process"),
    ("The following command lists them:\nls -S", "ls -S"),
    ('"ls -la"', "ls -la"),
    ("scp notes.txt me@host:", "scp notes.txt me@host:"),
    ("Set-Location D:", "Set-Location D:"),
    ('find . -name "*.py" | xargs wc -l', 'find . -name "*.py" | xargs wc -l'),
    (
        "awk '{print $1}' access.log | sort | uniq -c",
        "awk '{print $1}' access.log | sort | uniq -c",
    ),
    ('echo "it\'s #1"', 'echo "it\'s #1"'),
    ("\ufeffpwd", "pwd"),
    ("```bash\n# list files\nls\n```", "ls"),
    ("❯ git diff --stat", "git diff --stat"),
    ("> uptime", "uptime"),
    ("> ls -la", "ls -la"),
    # A > before one file name empties the file: a redirection, not a prompt.
    ("> debug.log", "> debug.log"),
    ("```bash\n> /var/log/app.log\n```", "> /var/log/app.log"),
    ("$ > debug.log", "> debug.log"),
]


@pytest.mark.parametrize(("reply", "expected"), MESSY_REPLIES)
def test_clean_reply(reply: str, expected: str) -> None:
    assert clean_reply(reply) == expected


@pytest.mark.parametrize("reply", ["", "   \n", "```\n```", "Here is the command:", "<|im_end|>"])
def test_reply_without_a_command_is_an_error(reply: str) -> None:
    with pytest.raises(GenerationError, match="no command"):
        clean_reply(reply)


def test_messages_share_a_byte_identical_prefix() -> None:
    first = build_messages("list files", Context("bash", "Linux", "/a"))
    second = build_messages("show disk usage", Context("fish", "macOS", "/b"))
    assert first[0] == {"role": "system", "content": SYSTEM_PROMPT}
    assert first[:-1] == second[:-1]
    assert first[-1]["content"] == (
        "Shell: bash\nOS: Linux\nCurrent directory: /a\nRequest: list files"
    )
    assert second[-1]["content"].endswith("Request: show disk usage")
    assert "Shell: fish" in second[-1]["content"]


def test_the_small_model_is_shown_no_refusal_examples() -> None:
    """Shown refusals, the 0.5B model refused a quarter of everyday requests (prompting.py)."""
    small = build_messages("x", Context("bash", "Linux", "/"), "qwen2.5-coder-0.5b")
    large = build_messages("x", Context("bash", "Linux", "/"), "qwen2.5-coder-1.5b")
    assert small[0] == large[0]  # one system prompt
    refusals = [m for m in large if m["content"] == REFUSAL]
    assert len(refusals) == 6 and not [m for m in small if m["content"] == REFUSAL]
    idioms = {text for shot in IDIOM_SHOTS for text in shot[1:]}
    rest = [m for m in large[:-1] if m not in refusals and not _asks_refusal(m)]
    rest = [m for m in rest if not any(text in m["content"] for text in idioms)]
    assert sorted(map(str, small[:-1])) == sorted(map(str, rest))  # the same, in another order
    assert build_messages("x", Context("bash", "Linux", "/")) == large  # unknown: the default


def test_the_idiom_examples_go_to_the_large_model_before_the_one_line_git_log() -> None:
    """The 0.5B model copied them where they do not fit; after them, the 1.5B model kept
    --oneline for "one line each" only with that example last (prompting.py)."""
    small = build_messages("x", Context("bash", "Linux", "/"), "qwen2.5-coder-0.5b")
    large = build_messages("x", Context("bash", "Linux", "/"), "qwen2.5-coder-1.5b")
    answers = [m["content"] for m in large if m["role"] == "assistant"]
    idioms = [command for _, _, command in IDIOM_SHOTS]
    at = answers.index(idioms[0])
    assert answers[at : at + len(idioms) + 1] == [*idioms, GIT_ONE_LINE[2]]
    assert not {m["content"] for m in small} & set(idioms)
    assert GIT_ONE_LINE[2] in [m["content"] for m in small]


def _asks_refusal(message: dict[str, str]) -> bool:
    return message["role"] == "user" and any(
        request in message["content"] for _, request, _ in REFUSAL_SHOTS
    )


def test_few_shot_turns_alternate_user_and_assistant() -> None:
    roles = [m["role"] for m in build_messages("x", Context("bash", "Linux", "/"))]
    assert roles[0] == "system" and roles[-1] == "user"
    assert roles[1:-1] == ["user", "assistant"] * ((len(roles) - 2) // 2)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("du -sh /home/u/work", "du -sh ."),
        ("find /home/u/work/src -name '*.py'", "find ./src -name '*.py'"),
        ("ls '/home/u/work'", "ls '.'"),
        ("ls /home/u/workshop", "ls /home/u/workshop"),  # another directory with that prefix
        ("cp a /home/u/work;ls", "cp a .;ls"),
        ("ls /home/u", "ls /home/u"),
    ],
)
def test_working_directory_is_written_as_dot(command: str, expected: str) -> None:
    assert relative_to_cwd(command, "/home/u/work") == expected


def test_root_directory_is_never_rewritten() -> None:
    assert relative_to_cwd("ls /etc", "/") == "ls /etc"


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        ("extract b.tgz into /home/u/work/restore", "tar -xzf b.tgz -C /home/u/work/restore"),
        ("extract b.tgz here, in /home/u/work.", "tar -xzf b.tgz -C /home/u/work/restore"),
        ("extract b.tgz into /home/u/workshop/restore", "tar -xzf b.tgz -C ./restore"),
        ("extract b.tgz into restore", "tar -xzf b.tgz -C ./restore"),
    ],
)
def test_a_directory_the_request_spells_out_is_kept(request_: str, expected: str) -> None:
    """The user wrote the absolute path: it stays as written (another directory that merely
    starts like the working directory does not count)."""
    command = "tar -xzf b.tgz -C /home/u/work/restore"
    assert relative_to_cwd(command, "/home/u/work", request_) == expected


@pytest.mark.parametrize(
    ("command", "refusal"),
    [
        (REFUSAL, True),
        ('echo "cmdai: refused a destructive request" >&2', True),  # the 0.5B model, a fork bomb
        ("echo 'cmdai: sudo is not installed'", True),  # the 1.5B model, echoing a retry's problem
        ('printf "cmdai: refused"', True),
        ('echo "cmdai: refused" && rm -rf ~', False),  # a command after it: classified as such
        ('echo "cmdai is a tool"', False),
        ("echo hello", False),
    ],
)
def test_the_refusal_in_the_forms_the_models_write_it(command: str, refusal: bool) -> None:
    assert is_refusal(command) is refusal
