"""The evaluated prompt prefix kept on disk between helper starts: the file format's checks
(no model needed), then the real llama.cpp backend on the 0.5B model: a second start
evaluates none of the prefix and answers exactly as the first; a changed prompt or context
size is another key; a damaged file is ignored and replaced."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from cmdai.backends import prefix_state
from cmdai.backends.prefix_state import Saved
from cmdai.prompting import Context, build_messages

SAMPLE = Saved(tokens=[151644, 8948, 198, 2610] * 100, state=os.urandom(300_000))


def saved_file(tmp_path: Path, name: str = "k1") -> Path:
    path = prefix_state.path_for(tmp_path, name)
    assert prefix_state.save(path, name, SAMPLE)
    return path


def test_a_saved_state_loads_back_exactly(tmp_path: Path) -> None:
    path = saved_file(tmp_path)
    assert prefix_state.load(path, "k1") == SAMPLE
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda d: d[:-1000], id="truncated"),
        pytest.param(lambda d: d + b"x", id="appended"),
        pytest.param(lambda d: d[:-5000] + bytes([d[-5000] ^ 1]) + d[-4999:], id="one-bit"),
        pytest.param(lambda d: b"junk" + d[4:], id="not-ours"),
        pytest.param(lambda d: d[:40], id="header-cut"),
        pytest.param(lambda d: b"", id="empty"),
    ],
)
def test_a_damaged_file_is_refused_and_deleted(tmp_path: Path, damage) -> None:
    path = saved_file(tmp_path)
    path.write_bytes(damage(path.read_bytes()))
    assert prefix_state.load(path, "k1") is None
    assert not path.exists()  # the next save writes a good one


def test_another_key_is_not_this_state(tmp_path: Path) -> None:
    path = saved_file(tmp_path, "k1")
    assert prefix_state.load(path, "k2") is None


def test_only_the_newest_files_are_kept(tmp_path: Path) -> None:
    for number in range(6):
        path = saved_file(tmp_path, f"k{number}")
        os.utime(path, (time.time() - 100 + number, time.time() - 100 + number))
        prefix_state.prune(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"k{n}.state" for n in range(2, 6)]


def test_a_state_too_big_is_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prefix_state, "MAX_BYTES", 1000)
    assert not prefix_state.save(prefix_state.path_for(tmp_path, "k"), "k", SAMPLE)
    assert list(tmp_path.iterdir()) == []


# --- the real backend --------------------------------------------------------------------------

CONTEXT = Context("bash", "Linux", "/")


def open_backend(path: Path, state_dir: Path, n_ctx: int = 4096):  # -> LlamaCppBackend
    from cmdai.backends.llama_cpp import LlamaCppBackend

    return LlamaCppBackend(path, model="qwen2.5-coder-0.5b", n_threads=2, n_ctx=n_ctx,
                           state_dir=state_dir, identity="test-model")  # fmt: skip


@pytest.mark.model
def test_a_second_start_evaluates_no_prefix_and_answers_the_same(
    small_model_path: Path, tmp_path: Path
) -> None:
    warm = build_messages("list files", CONTEXT)
    request = build_messages("show the 3 largest files in /var/log", CONTEXT)
    first = open_backend(small_model_path, tmp_path)
    first.warm_up(warm)
    assert first.warm_start.startswith("prompt prefix evaluated (")
    assert first.warm_start.endswith(", saved for the next start")
    prefix_tokens = first.evaluated
    assert prefix_tokens > 1000
    expected = first.complete(request, max_tokens=48, temperature=0.0).text
    first.close()

    second = open_backend(small_model_path, tmp_path)
    second.warm_up(warm)
    assert second.evaluated == 0
    assert second.warm_start.startswith("prompt prefix loaded from disk (")
    reply = second.complete(request, max_tokens=48, temperature=0.0)
    assert reply.text == expected  # greedy: the loaded state is the evaluated one
    assert second.evaluated < prefix_tokens / 10  # only the request's own tokens (and reply)
    second.close()


@pytest.mark.model
def test_a_changed_prompt_or_context_size_is_evaluated_again(
    small_model_path: Path, tmp_path: Path
) -> None:
    first = open_backend(small_model_path, tmp_path)
    first.warm_up(build_messages("list files", CONTEXT))
    first.close()
    other_prompt = open_backend(small_model_path, tmp_path)
    other_prompt.warm_up(build_messages("list files", Context("zsh", "Linux", "/")))
    assert other_prompt.evaluated > 0
    other_prompt.close()
    other_size = open_backend(small_model_path, tmp_path, n_ctx=2048)
    other_size.warm_up(build_messages("list files", CONTEXT))
    assert other_size.evaluated > 0
    other_size.close()
    assert len(list(tmp_path.glob("*.state"))) == 3


@pytest.mark.model
def test_a_damaged_state_is_evaluated_again_and_replaced(
    small_model_path: Path, tmp_path: Path
) -> None:
    warm = build_messages("list files", CONTEXT)
    first = open_backend(small_model_path, tmp_path)
    first.warm_up(warm)
    first.close()
    [path] = tmp_path.glob("*.state")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # a flipped bit in the KV cache
    path.write_bytes(bytes(data))
    again = open_backend(small_model_path, tmp_path)
    again.warm_up(warm)
    assert again.evaluated > 1000 and again.warm_start.endswith("saved for the next start")
    again.close()
    third = open_backend(small_model_path, tmp_path)
    third.warm_up(warm)
    assert third.evaluated == 0  # the replacement is good
    third.close()
