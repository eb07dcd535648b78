"""Where cmdai keeps things: the XDG variables (read through xdg_base_dirs), CMDAI_HOME over
all of them, and the socket's directory falling back when there is no runtime directory; and
relative paths in settings made absolute where they were given."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cmdai import client, paths
from cmdai.backends import registry
from cmdai.config import SPEC


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


def test_relative_path_settings_are_anchored_where_they_were_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the client sends the helper (which works in /) and what the helper does with its
    own environment at start: every relative path made absolute here, names left alone."""
    monkeypatch.chdir(tmp_path)
    environ = {
        "CMDAI_HOME": "h", "CMDAI_CONFIG": "../c.toml", "CMDAI_MODEL_DIR": "/abs",
        "CMDAI_MODEL_PATHS": "a,~/b, c", "CMDAI_MODEL": "qwen2.5-coder-0.5b",
        "CMDAI_MLX_MODEL": "./mlx", "CMDAI_SHELL": "zsh", "PATH": "bin:/usr/bin",
    }  # fmt: skip
    assert paths.anchored_env(environ) == environ | {
        "CMDAI_HOME": str(tmp_path / "h"),
        "CMDAI_CONFIG": str(tmp_path.parent / "c.toml"),
        "CMDAI_MODEL_PATHS": f"{tmp_path / 'a'},~/b,{tmp_path / 'c'}",
        "CMDAI_MLX_MODEL": str(tmp_path / "mlx"),
    }
    assert paths.anchored("CMDAI_MODEL", "m.gguf", "/x") == "/x/m.gguf"
    assert paths.anchored("CMDAI_MODEL_PATHS", ["a", 3], "/x") == ["/x/a", 3]  # 3: the parser's
    assert paths.anchored("CMDAI_MODEL_DIR", "a", "") == "a"  # no base (directory gone)


def test_the_client_sends_its_settings_with_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CMDAI_MODEL_DIR", "models")
    assert client.settings_env()["CMDAI_MODEL_DIR"] == str(tmp_path / "models")


def test_every_setting_that_names_files_is_anchored() -> None:
    """A new path setting must join the lists, or the helper would read it against /."""
    named_files = {f"CMDAI_{name.upper()}" for name, setting in SPEC.items()
                   if _gives_paths(setting.parse)}  # fmt: skip
    assert named_files | {"CMDAI_HOME", "CMDAI_CONFIG"} == set(paths.PATH_VARIABLES)
    models = {"CMDAI_MODEL"} | {
        f"CMDAI_{name.upper()}_{key.upper()}"
        for name, spec in registry(()).specs.items()
        for key, option in spec.options.items()
        if "directory" in option.help or "file" in option.help
    }
    assert models == set(paths.MODEL_VARIABLES)


def _gives_paths(parse: Callable[[Any], Any]) -> bool:
    try:
        value = parse("x")
    except (ValueError, TypeError):
        return False
    return isinstance(value, Path) or (
        isinstance(value, tuple) and bool(value) and all(isinstance(v, Path) for v in value)
    )
