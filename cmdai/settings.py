"""Settings: a name's parser and help text, and the value parsers every layer shares.

A parser takes a raw value (TOML-typed from config.toml, or a string from an environment
variable or a flag) and returns the typed value, or raises ValueError whose text says what was
expected. config.py and every backend's options (cmdai/backends/) are built from these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Setting:
    parse: Callable[[Any], Any]
    help: str
    secret: bool = False  # shown masked by `cmdai config`, never logged


def choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(raw: Any) -> str:
        if isinstance(raw, str) and raw in options:
            return raw
        raise ValueError(f"one of {', '.join(options)}")

    return parse


def int_range(low: int, high: int) -> Callable[[Any], int]:
    def parse(raw: Any) -> int:
        try:
            value = int(raw) if isinstance(raw, (int, str)) and not isinstance(raw, bool) else None
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise ValueError(f"a whole number from {low} to {high}")
        return value

    return parse


def float_range(low: float, high: float) -> Callable[[Any], float]:
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


def text(raw: Any) -> str:
    if isinstance(raw, str) and raw.strip():
        return raw.strip()
    raise ValueError("a non-empty string")


def boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    words = {"1": True, "true": True, "yes": True, "on": True}
    words |= {"0": False, "false": False, "no": False, "off": False}
    if isinstance(raw, str) and raw.lower() in words:
        return words[raw.lower()]
    raise ValueError("true or false")


def optional_url(raw: Any) -> str | None:
    if isinstance(raw, str) and raw == "":
        return None
    if isinstance(raw, str) and raw.startswith(("http://", "https://", "file://")):
        return raw.rstrip("/")
    raise ValueError("an http(s):// or file:// URL, or an empty string for the default")


def path(raw: Any) -> Path:
    if isinstance(raw, str) and raw.strip():
        return Path(raw).expanduser()
    raise ValueError("a directory path")


def list_of(item: Callable[[Any], Any], what: str) -> Callable[[Any], tuple[Any, ...]]:
    def parse(raw: Any) -> tuple[Any, ...]:
        items = [p.strip() for p in raw.split(",") if p.strip()] if isinstance(raw, str) else raw
        if not isinstance(items, list):
            raise ValueError(f"a list of {what}")
        try:
            return tuple(item(i) for i in items)
        except ValueError as exc:
            raise ValueError(f"a list of {what} ({exc})") from None

    return parse
