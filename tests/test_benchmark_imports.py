"""Every name a benchmark imports from cmdai exists. Benchmarks import inside the functions that
run in their worker processes, so a renamed function breaks one only when it is run:
bench_models.py imported `load_backend` for weeks after it became `open_backend`."""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).parent.parent / "benchmarks").glob("*.py"))


def _imports(path: Path) -> list[tuple[str, str]]:
    return [
        (node.module, alias.name)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cmdai")
        for alias in node.names
    ]


@pytest.mark.parametrize("path", BENCHMARKS, ids=[p.name for p in BENCHMARKS])
def test_every_name_a_benchmark_imports_from_cmdai_exists(path: Path) -> None:
    for module_name, name in _imports(path):
        module = importlib.import_module(module_name)
        exists = hasattr(module, name)
        if not exists:  # `from cmdai.models import pull`: a submodule
            exists = importlib.util.find_spec(f"{module_name}.{name}") is not None
        assert exists, f"{path.name}: `from {module_name} import {name}`"


def test_the_benchmarks_are_found() -> None:
    assert len(BENCHMARKS) >= 10 and any(_imports(p) for p in BENCHMARKS)
