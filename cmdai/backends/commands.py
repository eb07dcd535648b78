"""`cmdai backends`: the configured chain with each backend's state, then every backend cmdai
knows (built in, installed plug-ins, the `plugins` setting) and any plug-in that failed to load.
Exit 0 when at least one configured backend can answer, 6 (backend) when none can."""

from __future__ import annotations

import argparse
import concurrent.futures

from cmdai.backends.base import Probe
from cmdai.config import Config
from cmdai.errors import BackendUnavailable


def run(args: argparse.Namespace, config: Config) -> int:
    probes = _probe_all(config)
    chose = (
        f"; backend = auto chose {config.backend[0]}: {config.auto_reason}"
        if config.auto_reason
        else ""
    )
    print(f"configured (tried in this order{chose}):")
    for number, (name, probe) in enumerate(probes, start=1):
        target = config.spec(name).resolve(config, config.options(name))
        state = "ok" if probe.ok else "unavailable"
        took = f", {probe.latency_ms} ms" if probe.latency_ms is not None else ""
        where = f" at {target.location}" if target.location else ""
        print(f"  {number}. {name}: {target.model}{where}")
        print(f"     {state}{took}: {probe.detail}")
    registry = config.registry()
    print("available:")
    for name, spec in registry.specs.items():
        mark = "*" if name in config.backend else " "
        print(f"  {mark} {name:<10} {spec.summary}")
    for what, why in registry.broken.items():
        print(f"  ! {what} failed to load: {why}")
    if not any(probe.ok for _, probe in probes):
        raise BackendUnavailable(
            "no configured backend can answer", "see the reasons above, or `cmdai config`"
        )
    return 0


def _probe_all(config: Config) -> list[tuple[str, Probe]]:
    """Every configured backend's probe, at the same time (each is bounded by its own
    timeouts), in chain order."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(config.backend)) as pool:
        futures = [(name, pool.submit(_probe, config, name)) for name in config.backend]
        return [(name, future.result()) for name, future in futures]


def _probe(config: Config, name: str) -> Probe:
    try:
        return config.spec(name).probe(config, config.options(name))
    except Exception as exc:  # a plug-in's probe: report it, do not crash the listing
        return Probe(False, f"the probe failed: {type(exc).__name__}: {exc}")
