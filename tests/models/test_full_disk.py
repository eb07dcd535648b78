"""A full disk during a pull, an import or the first run: one line saying where and how much,
no partial file left behind, the space given back. The disk is a real small tmpfs (mounting
needs root; elsewhere these tests say why they are skipped). Where the disk must fill up
*during* the write, the free-space reading taken before it is replaced (a documented test
double for shutil.disk_usage only); the ENOSPC itself is the kernel's."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cmdai.errors import DiskFull
from cmdai.models.pull import pull
from cmdai.models.sources import HfSource
from cmdai.models.store import ModelStore
from tests.helpers.cli import run_cli
from tests.models.test_download import NO_BACKOFF, hub_for, leftovers, make_artifact

DISK_BYTES = 2 << 20


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    if os.getuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mountpoint)],
        capture_output=True, text=True,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], capture_output=True)


def used(disk: Path) -> int:
    return shutil.disk_usage(disk).used


def test_a_pull_that_cannot_fit_is_refused_before_writing(small_disk: Path) -> None:
    payload = os.urandom(3 << 20)  # bigger than the disk
    artifact = make_artifact(payload)
    store = ModelStore(small_disk / "models")
    with hub_for(artifact, payload) as hub:
        with pytest.raises(DiskFull) as caught:
            pull(artifact, store, [HfSource(hub.endpoint, timeout=5, backoff=NO_BACKOFF)])
        assert hub.state.requests == []  # nothing was even asked for
    assert str(caught.value).startswith(f"not enough disk space in {store.partial_dir} for tiny")
    assert leftovers(store) == []


def test_a_disk_that_fills_up_mid_pull_gets_its_space_back(
    small_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = os.urandom(3 << 20)
    artifact = make_artifact(payload)
    store = ModelStore(small_disk / "models")
    before = used(small_disk)
    plenty = shutil.disk_usage(small_disk)._replace(free=1 << 40)
    monkeypatch.setattr("cmdai.models.store.shutil.disk_usage", lambda _: plenty)
    with hub_for(artifact, payload) as hub, pytest.raises(DiskFull) as caught:
        pull(artifact, store, [HfSource(hub.endpoint, timeout=5, backoff=NO_BACKOFF)])
    assert "the disk filled up while writing tiny" in str(caught.value)
    assert leftovers(store) == [] and used(small_disk) - before < 64 * 1024


def test_an_import_that_fills_the_disk_leaves_nothing(
    small_disk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "big.gguf"
    source.write_bytes(b"GGUF" + os.urandom(3 << 20))
    store = ModelStore(small_disk / "models")
    plenty = shutil.disk_usage(small_disk)._replace(free=1 << 40)
    monkeypatch.setattr("cmdai.models.store.shutil.disk_usage", lambda _: plenty)
    with pytest.raises(DiskFull, match="the disk filled up while writing mine"):
        store.import_custom("mine", source)
    assert leftovers(store) == []


@pytest.mark.parametrize(
    "args",
    [["model", "pull", "qwen2.5-coder-0.5b"], ["--print", "--no-daemon", "list files"]],
    ids=["pull", "first-run"],
)
def test_the_command_line_says_it_in_one_line(small_disk: Path, args: list[str]) -> None:
    result = run_cli(*args, env={"CMDAI_MODEL_DIR": str(small_disk / "models"),
                                 "CMDAI_MODEL": "qwen2.5-coder-0.5b"})  # fmt: skip
    assert result.returncode == 4
    lines = [line for line in result.stderr.splitlines() if not line.startswith("Welcome")]
    lines = [line for line in lines if "downloading it once" not in line]
    assert len(lines) == 1 and lines[0].startswith("cmdai: not enough disk space in "), lines
    assert "free some space" in lines[0] and "Traceback" not in result.stderr
    assert not list((small_disk / "models").rglob("*.part"))


def test_import_from_the_command_line_says_it_in_one_line(small_disk: Path, tmp_path: Path) -> None:
    source = tmp_path / "big.gguf"
    source.write_bytes(b"GGUF" + os.urandom(3 << 20))
    result = run_cli("model", "import", str(source), "--id", "mine",
                     env={"CMDAI_MODEL_DIR": str(small_disk / "models")})  # fmt: skip
    assert result.returncode == 4
    assert (
        result.stderr.startswith("cmdai: not enough disk space in ")
        and result.stderr.count("\n") == 1
    )
