"""Every filesystem location cmdai uses, in one place.

Reads: CMDAI_HOME (puts everything under one directory, used by tests), and the XDG base
directory variables through `xdg_base_dirs` (XDG_CONFIG_HOME, XDG_CACHE_HOME, XDG_STATE_HOME,
XDG_RUNTIME_DIR; a relative value is ignored, as the spec says). Also which settings name files,
and how a relative one is made absolute. The hook uses this module:
`xdg_base_dirs` is the one package outside the standard library on that path — a single
module that itself imports only `os` and `pathlib` (tests/test_hook.py holds it to that).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import xdg_base_dirs

TYPE_CHECKING = False  # typing costs milliseconds on the hook's path; only checkers import it
if TYPE_CHECKING:
    from typing import Any

APP = "cmdai"

# The variables whose values are files or directories, and those that name a model, which is a
# file or directory when the value looks like a path (`names_a_path`). A relative value means
# "from where it was written": the client makes its own absolute before the helper, which works
# in /, sees them; config.toml's are relative to the file. tests/unit/test_paths.py keeps these
# lists in step with the settings.
PATH_VARIABLES = ("CMDAI_HOME", "CMDAI_CONFIG", "CMDAI_MODEL_DIR", "CMDAI_MODEL_PATHS")
MODEL_VARIABLES = ("CMDAI_MODEL", "CMDAI_MLX_MODEL")


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


def names_a_path(model: str) -> bool:
    """A model setting that is a file or directory, not an id: `~/m.gguf`, `./m`, `m.gguf`."""
    return model.endswith(".gguf") or "/" in model or model.startswith(("~", "."))


def anchored(variable: str, value: Any, base: str) -> Any:
    """`value` of `variable` (a string, or config.toml's list) with each relative path in it
    joined to `base`; anything else as it was. `~` stays: it means the same in every process."""
    if variable in MODEL_VARIABLES:
        return _absolute(value, base) if isinstance(value, str) and names_a_path(value) else value
    if variable not in PATH_VARIABLES:
        return value
    if isinstance(value, list):
        return [_absolute(item, base) if isinstance(item, str) else item for item in value]
    if isinstance(value, str) and variable == "CMDAI_MODEL_PATHS":  # comma-separated
        return ",".join(_absolute(item.strip(), base) for item in value.split(","))
    return _absolute(value, base) if isinstance(value, str) else value


def anchored_env(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` with relative paths in the path settings made absolute against the current
    directory (left as they are when it is gone: nothing better can be said of them)."""
    try:
        here = os.getcwd()
    except OSError:
        return dict(environ)
    return {name: anchored(name, value, here) for name, value in environ.items()}


def _absolute(path: str, base: str) -> str:
    if not (path and base) or path.startswith("~") or os.path.isabs(path):
        return path
    return os.path.normpath(os.path.join(base, path))
