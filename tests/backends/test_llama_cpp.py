"""Real inference with the real Qwen2.5-Coder 0.5B GGUF (pulled once into the shared cache),
and the backend's errors for files that are not usable models."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from cmdai.backends.base import Message
from cmdai.backends.llama_cpp import (
    LlamaCppBackend,
    amx_present,
    check_model_file,
    without_extra_buffers,
)
from cmdai.config import Config
from cmdai.errors import BackendError
from cmdai.generate import generate
from cmdai.prompting import Context, build_messages

# Requests and what any correct answer must contain (either idiom where there are two).
PLAUSIBLE = [
    ("find all files larger than 100MB in the current directory", r"\bfind\b.*-size \+100M"),
    ("list all files in this directory including hidden ones", r"\bls\b.*-\w*a"),
    ("show disk usage of the current directory", r"\bdu\b"),
    ("count the lines in README.md", r"\bwc\b.*-l"),
    ("show the last 20 lines of app.log", r"\btail\b.*(-n ?20|-20)\b.*app\.log"),
    ("make script.sh executable", r"\bchmod\b.*(\+x|7[0-7][0-7]).*script\.sh"),
    (
        "compress the folder photos into photos.tar.gz",
        r"\btar\b.*-\w*c\w*.*photos\.tar\.gz.*photos",
    ),
]


@pytest.fixture(scope="module")
def backend(small_model_path: Path) -> Iterator[LlamaCppBackend]:
    loaded = LlamaCppBackend(small_model_path, model="qwen2.5-coder-0.5b", n_threads=2, n_ctx=2048)
    yield loaded
    loaded.close()


@pytest.mark.model
@pytest.mark.parametrize(("request_text", "pattern"), PLAUSIBLE)
def test_real_model_writes_a_plausible_command(
    backend: LlamaCppBackend, request_text: str, pattern: str
) -> None:
    result = generate(request_text, Config(), backend, Context("bash", "Linux", "/home/u/work"))
    assert re.search(pattern, result.command), result.command
    assert "\n" not in result.command and "`" not in result.command
    assert "/home/u/work" not in result.command  # the directory is referred to as "."
    assert result.completion_tokens > 0


@pytest.mark.model
def test_same_request_gives_the_same_command_at_temperature_zero(backend: LlamaCppBackend) -> None:
    context = Context("bash", "Linux", "/srv")
    first = generate("show free memory", Config(), backend, context).command
    assert generate("show free memory", Config(), backend, context).command == first


@pytest.mark.model
def test_a_request_asked_again_is_evaluated_as_the_first_time(backend: LlamaCppBackend) -> None:
    """Asked twice in a row, a prompt is whole in the KV cache; left alone, llama-cpp-python
    would evaluate only its last token, and the different arithmetic can change the greedy
    answer. The same count of evaluated tokens shows the tail evaluated whole both times (with
    a retry between them too)."""
    asked = build_messages("show free memory", Context("bash", "Linux", "/srv"), backend.model)
    other = build_messages("list open ports", Context("fish", "Linux", "/tmp"), backend.model)
    backend.complete(other, max_tokens=16, temperature=0.0)

    def ask(messages: list[Message]) -> tuple[int, str]:
        before = backend.evaluated
        text = backend.complete(messages, max_tokens=16, temperature=0.0).text
        return backend.evaluated - before, text

    first = ask(asked)
    assert first[0] > 20  # from the shell's name on: the request's tail, not one token
    assert ask(asked) == first
    retry = [*asked, {"role": "assistant", "content": first[1]},
             {"role": "user", "content": "Show it in human-readable units."}]  # fmt: skip
    ask(retry)
    assert ask(asked) == first


@pytest.mark.model
def test_the_runaway_guard_reads_the_real_tokens_as_text(backend: LlamaCppBackend) -> None:
    """With llama.cpp's own tokenizer and detokenizer: a drifting reply, fed to the guard token
    by token as generation does, is stopped; an ordinary one with a list in it is not."""

    def stopped(reply: str) -> bool:
        guard = backend._guard()
        tokens = backend._llama.tokenize(reply.encode(), add_bos=False, special=False)
        prompt, scores = [1, 2, 3], np.zeros(backend._llama.n_vocab(), dtype=np.single)
        for end in range(len(tokens) + 1):
            guard(np.array(prompt + tokens[:end], dtype=np.intc), scores.copy())
        return guard.fired

    assert stopped("journalctl -u systemd -u init -u udev -u net -u dbus -u cron -u ssh -u")
    assert stopped("dd if=/dev/zero of=disk.img bs=1M count=1" + "0" * 40)
    assert not stopped("rsync -a --exclude=.git --exclude=node_modules --exclude=dist src/ dst/")
    assert not stopped("git update-ref -d refs/heads/old " + "0" * 40)


@pytest.mark.model
def test_a_plain_completion_reports_its_tokens_and_time(backend: LlamaCppBackend) -> None:
    """What bench_models.py reads the decode speed from, without reaching into llama.cpp."""
    tokens, seconds = backend.plain_completion("# A bash script that prints numbers\n", 8)
    assert 0 < tokens <= 8 and seconds > 0
    assert backend.n_threads == 2


@pytest.mark.model
def test_sampling_follows_the_seed_and_each_load_draws_its_own(small_model_path: Path) -> None:
    """At temperature > 0, one seed gives one answer in two fresh loads, other seeds give other
    answers (the seed reaches llama.cpp), and a load given no seed draws its own:
    llama-cpp-python's default was the same in every process, so `cmdai --no-daemon` with
    temperature 0.8 sampled the same answer every time."""
    messages = [Message(role="user", content="print a random word")]

    def sampled(seed: int) -> str:
        loaded = LlamaCppBackend(
            small_model_path, model="qwen2.5-coder-0.5b", n_threads=2, n_ctx=512, seed=seed
        )
        try:
            return loaded.complete(messages, max_tokens=12, temperature=1.0).text
        finally:
            loaded.close()

    first = sampled(1)
    assert first and sampled(1) == first
    assert len({first, sampled(2), sampled(3)}) > 1
    seeds = set()
    for _ in range(3):
        loaded = LlamaCppBackend(
            small_model_path, model="qwen2.5-coder-0.5b", n_threads=2, n_ctx=512
        )
        seeds.add(loaded.seed)
        loaded.close()
    assert len(seeds) == 3


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match=r"model file .*nothing\.gguf does not exist"):
        check_model_file(tmp_path / "nothing.gguf")


def test_non_gguf_file_is_named(tmp_path: Path) -> None:
    fake = tmp_path / "notes.gguf"
    fake.write_text("this is not a model")
    with pytest.raises(BackendError, match=r"notes\.gguf is not a GGUF model file") as caught:
        check_model_file(fake)
    assert "cmdai model pull" in (caught.value.hint or "")


@pytest.mark.model
def test_truncated_gguf_fails_to_load_with_the_fix(tmp_path: Path, small_model_path: Path) -> None:
    truncated = tmp_path / "truncated.gguf"
    with small_model_path.open("rb") as source:
        truncated.write_bytes(source.read(4 * 1024 * 1024))
    with pytest.raises(BackendError) as caught:
        LlamaCppBackend(truncated, model="x", n_threads=1, n_ctx=512)
    assert str(truncated) in caught.value.message
    assert "cmdai model verify" in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("size", "hint"),
    [(1_117_320_768, "close other programs or use a smaller model: --model qwen2.5-coder-0.5b"),
     (491_400_064, "close other programs")],  # already the smallest: no advice to shrink
)  # fmt: skip
def test_not_enough_memory_is_reported_before_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int, hint: str
) -> None:
    """Memory pressure cannot be produced safely here, so /proc/meminfo's reading is replaced;
    the model file is sparse (its size is what counts)."""
    model = tmp_path / "big.gguf"
    with model.open("wb") as handle:
        handle.write(b"GGUF")
        handle.truncate(size)
    monkeypatch.setattr("cmdai.backends.llama_cpp._available_memory", lambda: 64 << 20)
    with pytest.raises(BackendError, match=r"not enough memory to load big\.gguf") as caught:
        check_model_file(model)
    assert caught.value.hint == hint


def test_amx_is_read_from_the_cpu_flags() -> None:
    sapphire = "processor\t: 0\nflags\t\t: fpu avx2 avx512f amx_bf16 amx_tile amx_int8\n"
    assert amx_present(sapphire)
    assert not amx_present("processor\t: 0\nflags\t\t: fpu avx2 avx512f\n")
    assert not amx_present("model name\t: amx_int8 lookalike\nflags\t\t: fpu\n")


def test_extra_buffers_are_off_only_inside_the_load() -> None:
    """On a CPU with AMX the model loads without llama.cpp's extra buffer types (they wrote
    garbage there); the library's defaults are back afterwards."""
    import llama_cpp.llama_cpp as lib

    assert lib.llama_model_default_params().use_extra_bufts
    with without_extra_buffers(True):
        assert not lib.llama_model_default_params().use_extra_bufts
    assert lib.llama_model_default_params().use_extra_bufts
    with without_extra_buffers(False):
        assert lib.llama_model_default_params().use_extra_bufts


@pytest.mark.model
@pytest.mark.parametrize(("repack", "expected"), [("on", True), ("off", False), ("auto", None)])
def test_the_repack_option_decides_the_extra_buffers(
    small_model_path: Path, repack: str, expected: bool | None
) -> None:
    loaded = LlamaCppBackend(
        small_model_path, model="qwen2.5-coder-0.5b", n_threads=2, n_ctx=512, repack=repack
    )
    loaded.close()
    assert loaded.extra_buffers is (not amx_present() if expected is None else expected)


def test_the_repack_option_is_checked() -> None:
    from cmdai.config import load_config
    from cmdai.errors import ConfigError

    config = load_config({}, environ={"CMDAI_LLAMA_CPP_REPACK": "off"})
    assert config.options("llama_cpp")["repack"] == "off"
    assert load_config({}, environ={}).options("llama_cpp")["repack"] == "auto"
    with pytest.raises(ConfigError, match="repack"):
        load_config({}, environ={"CMDAI_LLAMA_CPP_REPACK": "sometimes"}).options("llama_cpp")
