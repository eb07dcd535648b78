"""The backend registry: a backend name -> its BackendSpec (see base.py).

Three places add backends, later ones winning on a name clash:
- the built-in modules (BUILTIN), each holding a module-level `SPEC`;
- installed packages, through the `cmdai.backends` entry-point group (the way `llm` finds its
  plug-ins): `[project.entry-points."cmdai.backends"] mine = "my_package.backend:SPEC"`;
- the `plugins` setting: module names imported as they are, each holding `SPEC` or `SPECS`
  (how the test suite registers its scripted model without an installed package).

Loading a spec imports its module but none of the backend's libraries (llama_cpp, requests):
that happens in `spec.open`. A plug-in that fails to load is reported, not fatal, unless it is
the one configured.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cmdai.backends.base import BackendSpec

BUILTIN = {
    "llama_cpp": "cmdai.backends.llama_cpp",
    "openai": "cmdai.backends.openai",
    "ollama": "cmdai.backends.ollama",
    "mlx": "cmdai.backends.mlx",
}
ENTRY_POINT_GROUP = "cmdai.backends"


@dataclass(frozen=True)
class Registry:
    specs: dict[str, BackendSpec]
    broken: dict[str, str] = field(default_factory=dict)  # plug-in -> why it did not load

    def names(self) -> list[str]:
        return list(self.specs)

    def get(self, name: str) -> BackendSpec | None:
        return self.specs.get(name)


@functools.lru_cache(maxsize=8)
def registry(plugins: tuple[str, ...] = ()) -> Registry:
    specs: dict[str, BackendSpec] = {}
    broken: dict[str, str] = {}
    for name, module in BUILTIN.items():
        specs[name] = importlib.import_module(module).SPEC
    for name, load in _entry_points():
        try:
            specs.update(_specs_of(load(), name))
        except Exception as exc:  # a third-party package: report it, keep the others working
            broken[f"entry point {name}"] = f"{type(exc).__name__}: {exc}"
    for module in plugins:
        try:
            specs.update(_specs_of(importlib.import_module(module), module))
        except Exception as exc:
            broken[f"plugin {module}"] = f"{type(exc).__name__}: {exc}"
    return Registry(specs, broken)


def _entry_points() -> Iterable[tuple[str, object]]:
    from importlib.metadata import entry_points

    for point in entry_points(group=ENTRY_POINT_GROUP):
        yield point.name, point.load


def _specs_of(thing: object, origin: str) -> dict[str, BackendSpec]:
    """The specs an entry point or plug-in module offers: a spec, a module with SPEC/SPECS."""
    if isinstance(thing, BackendSpec):
        found: Sequence[object] = [thing]
    else:
        found = [*getattr(thing, "SPECS", ()), *filter(None, [getattr(thing, "SPEC", None)])]
    specs = {spec.name: spec for spec in found if isinstance(spec, BackendSpec)}
    if not specs:
        raise TypeError(f"{origin} holds no BackendSpec (SPEC or SPECS)")
    return specs
