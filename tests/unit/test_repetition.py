"""The runaway guard: a reply that repeats one segment is recognised (and only such a reply),
and llama.cpp's logits processor then lets nothing but the end-of-turn token follow."""

from __future__ import annotations

import numpy as np
import pytest

from cmdai.backends.llama_cpp import RepetitionStop
from cmdai.repetition import TOKEN_SPAN, drifts, repeats, text_repeats


@pytest.mark.parametrize(
    "text",
    ["cat a.log | sort | uniq -c" + " | sort -rn | uniq -c" * 4,
     "find . -name '*.py' -o -name '*.txt'" + " -o -name '*.txt'" * 4,
     "echo hello && echo world && echo hello && echo world && echo hello && echo world && e"],
)  # fmt: skip
def test_runaway_replies_are_recognised(text: str) -> None:
    assert text_repeats(text)


@pytest.mark.parametrize(
    "text",
    ["cd ../../../../../../../../../../../../../../../../../../../../../../..",
     "echo " + "-" * 80,
     "printf '=%.0s' {1..80}",
     "find . -name a -o -name b -o -name c -o -name d",
     "git log --oneline | head -5 | cat | head -5",
     "sort a.log | uniq -c | sort -rn | head -20"],
)  # fmt: skip
def test_ordinary_commands_are_not_runaways(text: str) -> None:
    assert not text_repeats(text)


# Runaways the two models wrote (cut short here), each a list of made-up values.
DRIFTING = [
    "tar -xzf dist.tar -C . --exclude='dist' --exclude='node_modules' --exclude='dist.tar' "
    "--exclude='dist.tar.gz' --exclude='dist.tar.bz2' --exclude='dist.tar.xz' "
    "--exclude='dist.tar.7z' --exclude='dist.t",
    "journalctl -u systemd -u init -u udev -u NetworkManager -u NetworkManager-dispatcher -u",
    "top -o %mem -n 1 | awk '{print $2, $3, $4, $5, $6, $7, $8, $9,",
    "echo abc | tr -d '[:upper:]' | tr -d '[:lower:]' | tr -d '[:space:]' | tr -d '[:punct:]' "
    "| tr -d '[:alnum:]' | tr -d '[:digit:]' | tr -d",
    "dd if=/dev/zero of=/dev/sda bs=1M count=1" + "0" * 32,
    'echo "7' + "0" * 32,
]


@pytest.mark.parametrize("text", DRIFTING)
def test_drifting_runaways_are_recognised(text: str) -> None:
    assert drifts(text) and text_repeats(text)


@pytest.mark.parametrize("text", DRIFTING)
def test_a_drift_is_recognised_only_once_it_has_gone_on(text: str) -> None:
    """Cut back by a third, each of them is still an ordinary start of a command."""
    words = text.split()
    assert not drifts(" ".join(words[: len(words) * 2 // 3]))


@pytest.mark.parametrize(
    "text",
    ["awk '{print $1, $2, $3, $4, $5, $6, $7}' data.txt",
     "rsync -a --exclude=.git --exclude=node_modules --exclude='*.pyc' --exclude=dist src/ dst/",
     "find . -name '*.py' -o -name '*.js' -o -name '*.ts' -o -name '*.go' -o -name '*.rs'",
     "git add a.py b.py c.py d.py e.py f.py g.py h.py i.py j.py",
     "echo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
     "printf '%s\\n' 'a' 'b' 'c' 'd' 'e' 'f' 'g' 'h' 'i'",
     "cat a.log | grep -v DEBUG | grep -v TRACE | grep -v INFO | sort | uniq -c",
     "ssh -L 8080:db:5432 -L 9090:cache:6379 -L 3000:web:80 bastion"],
)  # fmt: skip
def test_ordinary_lists_are_not_drifts(text: str) -> None:
    for end in range(1, len(text.split()) + 1):  # nor any start of them
        assert not drifts(" ".join(text.split()[:end]))


def test_a_number_runs_on_only_past_what_real_numbers_hold() -> None:
    assert not drifts("dd if=/dev/zero of=disk.img bs=1M count=1" + "0" * 31)
    assert drifts("dd if=/dev/zero of=disk.img bs=1M count=1" + "0" * 32)
    null_sha1, null_sha256 = "0" * 40, "0" * 64  # git's null object ids
    assert not drifts(f"git update-ref -d refs/heads/old {null_sha1}")
    assert not drifts(f"git update-ref -d refs/heads/old {null_sha256}")
    assert drifts(f"echo {null_sha256}0")


def test_repeats_needs_three_whole_repeats_of_a_long_enough_span() -> None:
    segment = [5, 6, 7, 8, 9, 10, 11, 12]
    assert repeats([1, 2, *segment * 3], TOKEN_SPAN)
    assert not repeats([1, 2, *segment * 2, *segment[:-1]], TOKEN_SPAN)
    assert not repeats([1, 2, 3, 4] * 3, TOKEN_SPAN)  # 12 tokens: too short to count
    assert not repeats([7, 8] * 20, TOKEN_SPAN)  # two tokens, over and over: `../../`


def test_the_llama_processor_ends_the_reply_once_it_repeats() -> None:
    eos, vocab = 2, 50
    guard = RepetitionStop(eos)
    prompt = list(range(30, 40))
    scores = np.zeros(vocab, dtype=np.single)
    assert (guard(np.array(prompt, dtype=np.intc), scores.copy()) == 0).all()  # nothing yet
    reply = [10, 11, 12, 13, 14, 15, 16, 17] * 3
    ended = guard(np.array(prompt + reply, dtype=np.intc), scores.copy())
    assert guard.fired and guard.cut_off("stop") == "repeating"
    assert ended[eos] == 0 and np.isneginf(np.delete(ended, eos)).all()


def test_the_llama_processor_ends_a_drifting_reply() -> None:
    """The text of the tokens comes from a stand-in for llama.cpp's detokenizer (a table here:
    the real one is exercised by every real-model test, where the guard always runs)."""
    line = "journalctl -u systemd -u init -u udev -u net -u dbus -u cron -u ssh"
    words = line.split(" ")
    guard = RepetitionStop(2, lambda tokens: " ".join(words[token - 100] for token in tokens))
    scores = np.zeros(50, dtype=np.single)
    guard(np.array([30, 31], dtype=np.intc), scores.copy())
    fired_at = []
    for end in range(1, len(words) + 1):
        ended = guard(np.array([30, 31, *range(100, 100 + end)], dtype=np.intc), scores.copy())
        fired_at.append(guard.fired)
    assert fired_at.index(True) == 11  # six `WORD -u` in a row, the program's name the first
    assert all(fired_at[11:]) and guard.cut_off("stop") == "repeating"
    assert ended[2] == 0 and np.isneginf(np.delete(ended, 2)).all()


def test_the_llama_processor_leaves_ordinary_replies_alone() -> None:
    guard = RepetitionStop(2)
    prompt = np.array(list(range(30, 40)), dtype=np.intc)
    guard(prompt, np.zeros(50, dtype=np.single))
    reply = np.array(list(range(30, 40)) + list(range(40, 60)), dtype=np.intc)
    assert (guard(reply, np.zeros(50, dtype=np.single)) == 0).all()
    assert guard.cut_off("length") == "length" and guard.cut_off("stop") == ""
