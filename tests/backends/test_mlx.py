"""The MLX backend's real code (mlx-lm on the CPU here) through a tiny model made for the test
(tests/helpers/tiny_mlx.py: a real Qwen2 architecture with random weights). Skipped, with the
reason, only where mlx-lm cannot be imported."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("mlx_lm", reason="mlx-lm is not installed (pip install 'cmdai[mlx]')")

from cmdai.backends import mlx as mlx_backend
from cmdai.backends.mlx import MlxBackend
from cmdai.config import load_config
from cmdai.errors import BackendError, Cancelled
from cmdai.prompting import Context, build_messages
from tests.helpers.tiny_mlx import make_tiny_model

CONTEXT = Context("bash", "Linux", "/home/ana/project")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("mlx") / "tiny-qwen2")


def test_a_reply_is_one_line_and_the_prefix_is_not_processed_again(tiny: Path) -> None:
    backend = MlxBackend(tiny)
    first = backend.complete(build_messages("list files", CONTEXT), max_tokens=24, temperature=0)
    second = backend.complete(
        build_messages("show big files", CONTEXT), max_tokens=24, temperature=0
    )
    assert "\n" not in first.text and "\n" not in second.text
    # The system prompt and examples were processed once: the second call only pays its tail.
    assert second.prompt_tokens < first.prompt_tokens / 4, (first, second)
    again = backend.complete(
        build_messages("show big files", CONTEXT), max_tokens=24, temperature=0
    )
    assert again.text == second.text  # greedy: the same answer, from the same cache state


def test_warm_up_fills_the_cache_with_the_prefix(tiny: Path) -> None:
    backend = MlxBackend(tiny)
    backend.warm_up(build_messages("list files", CONTEXT))
    after = backend.complete(build_messages("count lines", CONTEXT), max_tokens=8, temperature=0)
    assert after.prompt_tokens < 60


def test_cancellation_stops_between_tokens_and_the_backend_serves_on(tiny: Path) -> None:
    backend = MlxBackend(tiny)
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(Cancelled):
        backend.complete(build_messages("list files", CONTEXT), max_tokens=64, temperature=0,
                         cancelled=cancelled)  # fmt: skip
    assert len(calls) == 3  # asked between tokens, stopped at once
    reply = backend.complete(build_messages("list files", CONTEXT), max_tokens=8, temperature=0)
    assert reply.completion_tokens <= 8


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "config.json").unlink(), "config.json is missing or not JSON"),
        (lambda d: (d / "config.json").write_text("{}"), "has no model_type"),
        (lambda d: (d / "model.safetensors").unlink(), "holds no .safetensors weights"),
        (lambda d: (d / "model.safetensors").write_bytes(b"\x00" * 64), "mlx-lm could not load"),
    ],
)
def test_a_damaged_model_directory_is_one_clear_error(
    tiny: Path, tmp_path: Path, damage, message: str
) -> None:
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(tiny, broken)
    damage(broken)
    with pytest.raises(BackendError, match=message) as caught:
        MlxBackend(broken)
    assert str(broken) in str(caught.value)


def test_the_backend_opens_through_the_registry(tiny: Path) -> None:
    config = load_config({}, environ={"CMDAI_BACKEND": "mlx", "CMDAI_MLX_MODEL": str(tiny)})
    session = config.spec("mlx").open(config, config.options("mlx"))
    assert session.name == "mlx" and session.model == "tiny-qwen2"
    missing = load_config({}, environ={"CMDAI_BACKEND": "mlx"})
    with pytest.raises(BackendError, match="no MLX model is configured"):
        missing.spec("mlx").open(missing, missing.options("mlx"))


@pytest.mark.parametrize(
    ("apple", "model", "chosen"),
    [(True, True, "mlx"), (True, False, "llama_cpp"), (False, True, "llama_cpp")],
)
def test_auto_picks_mlx_only_on_apple_silicon_with_a_model(
    tiny: Path, monkeypatch: pytest.MonkeyPatch, apple: bool, model: bool, chosen: str
) -> None:
    """The platform probe is replaced here (this machine is one platform); the rest is real."""
    monkeypatch.setattr(mlx_backend, "is_apple_silicon", lambda: apple)
    environ = {"CMDAI_MLX_MODEL": str(tiny)} if model else {}
    config = load_config({}, environ=environ)
    assert config.backend == (chosen,)
    assert config.origins["backend"].startswith(f"default (auto: {chosen},")


def test_importing_cmdai_and_reading_the_config_never_imports_mlx() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from cmdai.config import load_config; from cmdai import cli; "
        "config = load_config(); config.spec('mlx'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mlx', 'mlx_lm')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
