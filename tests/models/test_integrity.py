"""A cached model is checked against its sha256 before it is used, cheaply: re-hashed only when
the file changed since its last check. A file corrupted in place at the same size was loaded
and generated garbage until the timeout; now it is refused before any model loads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cmdai.config import Config
from cmdai.errors import IntegrityError
from cmdai.models import store as store_module
from cmdai.models.pull import resolve_model_path
from cmdai.models.store import ModelStore
from tests.helpers.cli import run_cli


@pytest.fixture
def imported(tmp_path: Path) -> tuple[ModelStore, Path]:
    source = tmp_path / "mine.gguf"
    source.write_bytes(b"GGUF" + os.urandom(256 * 1024))
    store = ModelStore(tmp_path / "models")
    return store, store.import_custom("mine", source)


def corrupt_in_place(path: Path) -> None:
    with path.open("r+b") as handle:  # same size, other bytes, as a bad disk or a stray dd
        handle.seek(1000)
        handle.write(b"\x00" * 64)


def test_an_unchanged_file_is_not_hashed_again(
    imported: tuple[ModelStore, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, path = imported
    assert store.entries()["mine"].verified  # checked when it was imported

    def no_hashing(_: Path) -> str:
        raise AssertionError("hashed a file that did not change")

    monkeypatch.setattr(store_module, "sha256_file", no_hashing)
    assert resolve_model_path(Config(model="mine", model_dir=store.root)) == path


def test_a_same_size_corruption_is_refused_before_use(imported: tuple[ModelStore, Path]) -> None:
    store, path = imported
    size = path.stat().st_size
    corrupt_in_place(path)
    assert path.stat().st_size == size
    with pytest.raises(IntegrityError) as caught:
        resolve_model_path(Config(model="mine", model_dir=store.root))
    assert "does not match its sha256" in caught.value.message
    assert "cmdai model verify mine" in (caught.value.hint or "")


def test_the_command_refuses_it_before_loading_anything(imported: tuple[ModelStore, Path]) -> None:
    """Without the check llama.cpp would be asked to load the file (and say something else)."""
    store, path = imported
    corrupt_in_place(path)
    result = run_cli("--print", "--no-daemon", "--model", "mine", "list files",
                     env={"CMDAI_MODEL_DIR": str(store.root)})  # fmt: skip
    assert result.returncode == 5
    assert result.stderr.startswith(f"cmdai: {path} does not match its sha256")
    assert "llama" not in result.stderr


def test_a_file_that_changed_but_is_intact_is_accepted_and_recorded(
    imported: tuple[ModelStore, Path],
) -> None:
    store, path = imported
    os.utime(path, ns=(1, 1))  # touched (restored from a backup, say): same bytes
    assert store.checked_path("mine") == path
    assert store.entries()["mine"].verified.endswith(f":1:{path.stat().st_size}")
