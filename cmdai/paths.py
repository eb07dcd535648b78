"""Every filesystem location cmdai uses, in one place.

Reads: CMDAI_HOME (puts everything under one directory, used by tests), and the XDG base
directory variables through `xdg_base_dirs` (XDG_CONFIG_HOME, XDG_CACHE_HOME, XDG_STATE_HOME,
XDG_RUNTIME_DIR; a relative value is ignored, as the spec says). The hook uses this module:
`xdg_base_dirs` is the one package outside the standard library on that path — a single
module that itself imports only `os` and `pathlib` (tests/test_hook.py holds it to that).
"""

from __future__ import annotations

import os
from pathlib import Path

import xdg_base_dirs

APP = "cmdai"


def _home_override() -> Path | None:
    value = os.environ.get("CMDAI_HOME")
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    if home := _home_override():
        return home / "config"
    return xdg_base_dirs.xdg_config_home() / APP


def config_file() -> Path:
    return config_dir() / "config.toml"


def cache_dir() -> Path:
    if home := _home_override():
        return home / "cache"
    return xdg_base_dirs.xdg_cache_home() / APP


def default_model_dir() -> Path:
    return cache_dir() / "models"


def state_dir() -> Path:
    if home := _home_override():
        return home / "state"
    return xdg_base_dirs.xdg_state_home() / APP


def runtime_dir() -> Path:
    """Where the helper's socket lives: $XDG_RUNTIME_DIR/cmdai (per user, on tmpfs, cleared at
    logout), else a directory in the cache dir. The caller makes it 0700."""
    if home := _home_override():
        return home / "run"
    runtime = xdg_base_dirs.xdg_runtime_dir()
    if runtime is not None and runtime.is_dir():
        return runtime / APP
    return cache_dir() / "run"
