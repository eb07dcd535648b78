"""The MLX backend's real code (mlx-lm on the CPU here) through a tiny model made for the test
(tests/helpers/tiny_mlx.py: a real Qwen2 architecture with random weights). Skipped, with the
reason, only where mlx-lm cannot be imported."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("mlx_lm", reason="mlx-lm is not installed (pip install 'cmdai[mlx]')")

from cmdai.backends import auto
from cmdai.backends.mlx import MlxBackend
from cmdai.config import load_config
from cmdai.errors import BackendError, Cancelled, ModelError
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


def test_the_backend_opens_through_the_registry(tiny: Path, tmp_path: Path) -> None:
    config = load_config({}, environ={"CMDAI_BACKEND": "mlx", "CMDAI_MLX_MODEL": str(tiny)})
    session = config.spec("mlx").open(config, config.options("mlx"))
    assert session.name == "mlx" and session.model == str(tiny)
    fresh = {"CMDAI_BACKEND": "mlx", "CMDAI_MODEL_DIR": str(tmp_path / "empty")}
    missing = load_config({}, environ=fresh)
    assert missing.options("mlx")["model"] == "qwen2.5-coder-1.5b-mlx"  # the default
    with pytest.raises(ModelError) as caught:
        missing.spec("mlx").open(missing, missing.options("mlx"))
    assert caught.value.message == "model qwen2.5-coder-1.5b-mlx is not downloaded"
    assert caught.value.hint == "run `cmdai model pull qwen2.5-coder-1.5b-mlx`"


def test_an_imported_directory_opens_by_its_id(tiny: Path, tmp_path: Path) -> None:
    from tests.helpers.cli import run_cli

    environ = {"CMDAI_MODEL_DIR": str(tmp_path / "models"), "CMDAI_BACKEND": "mlx"}
    imported = run_cli("model", "import", str(tiny), "--id", "tiny", env=environ)
    assert imported.returncode == 0, imported.stderr
    config = load_config({}, environ={**environ, "CMDAI_MLX_MODEL": "tiny"})
    assert config.spec("mlx").resolve(config, config.options("mlx")).location == str(
        tmp_path / "models" / "tiny"
    )
    session = config.spec("mlx").open(config, config.options("mlx"))
    reply = session.complete(build_messages("list files", CONTEXT), max_tokens=8, temperature=0)
    assert session.model == "tiny" and "\n" not in reply.text


def test_a_first_run_downloads_the_mlx_model_from_the_hub_then_runs_it(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fake Hub (tests/helpers/fakehub.py) serves the tiny model's files, pinned in a
    registry entry added for the test; the download, the store and the backend are real."""
    import hashlib

    from cmdai.generate import ensure_model
    from cmdai.models.registry import ARTIFACTS, ArtifactFile, directory_artifact
    from tests.helpers.fakehub import FakeHub

    contents = {p.name: p.read_bytes() for p in sorted(tiny.iterdir()) if p.is_file()}
    files = tuple(
        ArtifactFile(n, len(d), hashlib.sha256(d).hexdigest()) for n, d in contents.items()
    )
    artifact = directory_artifact(files, id="tiny-mlx", filename="tiny-mlx",
                                  hf_repo="test-org/tiny-mlx", description="tiny", backend="mlx")  # fmt: skip
    monkeypatch.setitem(ARTIFACTS, artifact.id, artifact)
    with FakeHub({f"test-org/tiny-mlx/{n}": d for n, d in contents.items()}) as hub:
        config = load_config({}, environ={
            "CMDAI_BACKEND": "mlx", "CMDAI_MLX_MODEL": "tiny-mlx", "CMDAI_SOURCES": "hf",
            "CMDAI_MODEL_DIR": str(tmp_path / "models"), "CMDAI_HF_ENDPOINT": hub.endpoint,
        })  # fmt: skip
        ensure_model(config)
    session = config.spec("mlx").open(config, config.options("mlx"))
    assert session.model == "tiny-mlx"
    reply = session.complete(build_messages("list files", CONTEXT), max_tokens=8, temperature=0)
    assert "\n" not in reply.text


@pytest.mark.parametrize(
    ("apple", "installed", "gguf_set", "chosen"),
    [
        (True, True, False, "mlx"),
        (True, False, False, "llama_cpp"),
        (True, True, True, "llama_cpp"),
        (False, True, False, "llama_cpp"),
    ],
)
def test_auto_picks_mlx_on_apple_silicon_with_mlx_lm(
    monkeypatch: pytest.MonkeyPatch, apple: bool, installed: bool, gguf_set: bool, chosen: str
) -> None:
    """The platform probe and the "is mlx-lm installed" probe are replaced here (this machine
    is one platform, with mlx-lm installed); the rest of the selection is real."""
    monkeypatch.setattr(auto, "is_apple_silicon", lambda: apple)
    missing = "mlx-lm is not installed (install it with: pip install 'cmdai[mlx]')"
    monkeypatch.setattr(auto, "why_not_available", lambda: None if installed else missing)
    environ = {"CMDAI_MODEL": "qwen2.5-coder-0.5b"} if gguf_set else {}
    config = load_config({}, environ=environ)
    assert config.backend == (chosen,)
    assert config.origins["backend"].startswith(f"default (auto: {chosen},")
    if apple and not installed:
        assert "pip install 'cmdai[mlx]'" in config.origins["backend"]


def test_an_explicit_mlx_backend_that_cannot_run_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The "is mlx-lm installed" probe is replaced (it is installed here)."""
    monkeypatch.setattr(auto, "is_apple_silicon", lambda: False)
    monkeypatch.setattr(auto, "why_not_available", lambda: "mlx-lm is not installed (x)")
    config = load_config({}, environ={"CMDAI_BACKEND": "mlx"})
    with pytest.raises(BackendError) as caught:
        config.spec("mlx").open(config, config.options("mlx"))
    assert caught.value.message == (
        "the mlx backend cannot run: mlx-lm is not installed (x); "
        "it is made for macOS on Apple Silicon"
    )


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
