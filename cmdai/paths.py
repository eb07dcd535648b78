"""Every filesystem location cmdai uses, in one place.

Reads: CMDAI_HOME (puts everything under one directory, used by tests), and the XDG base
directory variables through `xdg-base-dirs` (XDG_CONFIG_HOME, XDG_CACHE_HOME, XDG_STATE_HOME,
XDG_RUNTIME_DIR).
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "cmdai"


def _home_override() -> Path | None:
    value = os.environ.get("CMDAI_HOME")
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    if home := _home_override():
        return home / "config"
    from xdg_base_dirs import xdg_config_home

    return xdg_config_home() / APP


def config_file() -> Path:
    return config_dir() / "config.toml"


def cache_dir() -> Path:
    if home := _home_override():
        return home / "cache"
    from xdg_base_dirs import xdg_cache_home

    return xdg_cache_home() / APP


def default_model_dir() -> Path:
    return cache_dir() / "models"


def state_dir() -> Path:
    if home := _home_override():
        return home / "state"
    from xdg_base_dirs import xdg_state_home

    return xdg_state_home() / APP
