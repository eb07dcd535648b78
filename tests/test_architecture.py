"""docs/architecture.md's layer table is the rule: every module is in it once, and every import
of a cmdai module (at the top of a file or inside a function; not under TYPE_CHECKING) goes to
a lower layer, or to the same layer within the same package."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "cmdai"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def layers() -> dict[str, int]:
    text = (REPO / "docs/architecture.md").read_text()
    table: dict[str, int] = {}
    for number, cell in re.findall(r"^\| (\d+) \| (.+?) \| .+ \|$", text, re.M):
        for name in re.findall(r"`([\w.]+)`", cell):
            full = name if name == "cmdai" else f"cmdai.{name}"
            assert full not in table, f"{full} is listed twice"
            table[full] = int(number)
    return table


def imports(path: Path) -> set[str]:
    """The cmdai modules `path` imports, resolved to modules (`from cmdai.x import y` is the
    module cmdai.x.y when that is a module, else cmdai.x)."""
    tree = ast.parse(path.read_text())
    hidden = {id(n) for node in tree.body if isinstance(node, ast.If)
              and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}  # fmt: skip
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "cmdai"}
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.split(".")[0] == "cmdai"
        ):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
    return found


def test_every_module_has_one_layer() -> None:
    table = layers()
    assert sorted(set(MODULES) - set(table)) == [], "modules missing from docs/architecture.md"
    assert sorted(set(table) - set(MODULES)) == [], "listed modules that do not exist"


def test_every_import_goes_down_or_stays_in_its_package() -> None:
    table = layers()
    wrong = []
    for module, path in sorted(MODULES.items()):
        for target in sorted(imports(path) - {module}):
            if table[target] < table[module]:
                continue
            # Within one subpackage (cmdai.safety, …): siblings, or its __init__ and its modules.
            parent = module.rsplit(".", 1)[0]
            same_package = (parent != "cmdai" and target.rsplit(".", 1)[0] == parent) or (
                target.startswith(f"{module}.")
            )
            if table[target] == table[module] and same_package:
                continue
            wrong.append(
                f"{module} (layer {table[module]}) imports {target} (layer {table[target]})"
            )
    assert wrong == []


def test_the_checker_sees_lazy_imports_and_ignores_type_hints(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\n"
        "from cmdai import errors\n"
        "if TYPE_CHECKING:\n    from cmdai.config import Config\n"
        "def f():\n    from cmdai.models import pull\n    import cmdai.hook\n"
    )
    assert imports(sample) == {"cmdai.errors", "cmdai.models.pull", "cmdai.hook"}
