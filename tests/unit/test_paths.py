"""Where cmdai keeps things: the XDG variables (read through xdg_base_dirs), CMDAI_HOME over
all of them, and the socket's directory falling back when there is no runtime directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from cmdai import paths


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("CMDAI_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
                 "XDG_RUNTIME_DIR"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_the_defaults_are_the_xdg_defaults(home: Path) -> None:
    assert paths.config_file() == home / ".config/cmdai/config.toml"
    assert paths.default_model_dir() == home / ".cache/cmdai/models"
    assert paths.state_dir() == home / ".local/state/cmdai"
    assert paths.runtime_dir() == home / ".cache/cmdai/run"  # no XDG_RUNTIME_DIR


def test_xdg_variables_are_followed_and_relative_ones_ignored(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "conf"))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # the spec: ignore it
    run = home / "run-user"
    run.mkdir()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    assert paths.config_dir() == home / "conf/cmdai"
    assert paths.cache_dir() == home / ".cache/cmdai"
    assert paths.runtime_dir() == run / "cmdai"
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(home / "gone"))  # set, but not there (su, ssh)
    assert paths.runtime_dir() == home / ".cache/cmdai/run"


def test_cmdai_home_puts_everything_in_one_place(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CMDAI_HOME", str(home / "all"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "conf"))
    assert {paths.config_dir(), paths.cache_dir(), paths.state_dir(), paths.runtime_dir()} == {
        home / "all" / name for name in ("config", "cache", "state", "run")
    }
