"""Every filesystem location cmdai uses, in one place. Standard library only: the hook uses it.

Reads: CMDAI_HOME (puts everything under one directory, used by tests), and the XDG base
directory variables XDG_CONFIG_HOME, XDG_CACHE_HOME, XDG_STATE_HOME and XDG_RUNTIME_DIR
(a relative value is ignored, as the XDG spec says).
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "cmdai"


def _home_override() -> Path | None:
    value = os.environ.get("CMDAI_HOME")
    return Path(value).expanduser() if value else None


def _xdg(variable: str, default: str) -> Path:
    value = os.environ.get(variable, "")
    return Path(value) if os.path.isabs(value) else Path.home() / default


def config_dir() -> Path:
    if home := _home_override():
        return home / "config"
    return _xdg("XDG_CONFIG_HOME", ".config") / APP


def config_file() -> Path:
    return config_dir() / "config.toml"


def cache_dir() -> Path:
    if home := _home_override():
        return home / "cache"
    return _xdg("XDG_CACHE_HOME", ".cache") / APP


def default_model_dir() -> Path:
    return cache_dir() / "models"


def state_dir() -> Path:
    if home := _home_override():
        return home / "state"
    return _xdg("XDG_STATE_HOME", ".local/state") / APP


def runtime_dir() -> Path:
    """Where the helper's socket lives: $XDG_RUNTIME_DIR/cmdai (per user, on tmpfs, cleared at
    logout), else a directory in the cache dir. The caller makes it 0700."""
    if home := _home_override():
        return home / "run"
    value = os.environ.get("XDG_RUNTIME_DIR", "")
    if os.path.isabs(value) and os.path.isdir(value):
        return Path(value) / APP
    return cache_dir() / "run"
