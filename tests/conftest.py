"""Shared fixtures. Every test runs with CMDAI_HOME in its own temp dir and no CMDAI_* from the
developer's environment; real models live in one shared cache so they are fetched only once."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cmdai import paths, protocol
from tests.helpers.helper_process import helper, scripted_env  # noqa: F401  (fixtures)

# The shared model cache: the same directory the installed cmdai uses (README command 1 puts
# the default model there), unless CMDAI_TEST_MODEL_DIR names another. Read at import, before
# the fixtures below point CMDAI_HOME at a temp dir.
SHARED_MODEL_DIR = Path(os.environ.get("CMDAI_TEST_MODEL_DIR") or paths.default_model_dir())
SMALL_MODEL = "qwen2.5-coder-0.5b"
DEFAULT_MODEL = "qwen2.5-coder-1.5b"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith("CMDAI_") or name in protocol.SETTING_VARIABLES:
            monkeypatch.delenv(name)
    home = tmp_path / "cmdai-home"
    monkeypatch.setenv("CMDAI_HOME", str(home))
    yield home
    stop_helper(home)


def stop_helper(home: Path) -> None:
    """Stop a helper a test started in its CMDAI_HOME, so none outlives its test."""
    pid_file = home / "run" / "daemon.pid"
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError):
        return
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and pid_file.exists():
        time.sleep(0.05)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


def pull_shared(model: str) -> Path:
    """A real Qwen GGUF, pulled into the shared cache by cmdai itself (verified by sha256)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMDAI_")}
    env["CMDAI_MODEL_DIR"] = str(SHARED_MODEL_DIR)
    result = subprocess.run(
        [sys.executable, "-m", "cmdai", "model", "pull", model],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, f"could not pull {model}:\n{result.stderr}"
    return Path(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def small_model_path() -> Path:
    return pull_shared(SMALL_MODEL)


@pytest.fixture(scope="session")
def default_model_path() -> Path:
    return pull_shared(DEFAULT_MODEL)


@pytest.fixture
def use_small_model(small_model_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point cmdai (in this process and in subprocesses) at the shared cache and the 0.5B model."""
    monkeypatch.setenv("CMDAI_MODEL_DIR", str(SHARED_MODEL_DIR))
    monkeypatch.setenv("CMDAI_MODEL", SMALL_MODEL)
    return small_model_path
