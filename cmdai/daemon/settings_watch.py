"""Does the helper still run what the client's settings say?

The helper reads config.toml and its environment once, at start; the user may edit the file or
run a shell with other CMDAI_* variables since. Each client therefore sends its own setting
variables (client.settings_env), and the helper compares a fingerprint of them and of the
config file's bytes with its own:
- the same: nothing to do (the common case: one small file read);
- different, but the same identity (backend chain, model, backend options): the helper adopts
  the new settings in place, without reloading the model (a changed safety_mode applies at
  once);
- a different identity: the helper must be restarted with the client's settings (the client
  then starts a new one, as after a version change).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

from cmdai.client import settings_env
from cmdai.config import Config, config_path, load_config
from cmdai.protocol import SETTING_VARIABLES


def fingerprint(env: Mapping[str, str]) -> str:
    """The client's setting variables and the bytes of the config file they point at."""
    try:
        data = config_path(env).read_bytes()
    except OSError:
        data = b""
    text = json.dumps(sorted(env.items()))
    return hashlib.sha256(text.encode() + b"\0" + data).hexdigest()


@dataclass(frozen=True)
class Verdict:
    config: Config  # the settings to serve this request with
    restart: bool  # the identity changed: this helper cannot serve it


class SettingsWatch:
    def __init__(self, config: Config) -> None:
        self.config = config
        self._seen = fingerprint(settings_env())

    def check(self, client_env: Mapping[str, str]) -> Verdict:
        """Raises ConfigError when the client's settings are invalid (the helper keeps
        serving; the client shows the error)."""
        seen = fingerprint(client_env)
        if seen == self._seen:
            return Verdict(self.config, restart=False)
        own = {k: v for k, v in os.environ.items() if not _is_setting(k)}
        config = load_config(environ={**own, **client_env})
        if config.identity() != self.config.identity():
            return Verdict(config, restart=True)
        self.config, self._seen = config, seen
        return Verdict(config, restart=False)


def _is_setting(name: str) -> bool:
    return name.startswith("CMDAI_") or name in SETTING_VARIABLES
