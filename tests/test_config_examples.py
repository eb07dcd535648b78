"""Every config.toml example in the README is a valid configuration: loaded as the config
file, each gives the settings it says it gives (no server is contacted: loading reads only)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cmdai.config import load_config

README = Path(__file__).resolve().parents[1] / "README.md"
EXAMPLES = re.findall(r"```toml\n(.*?)```", README.read_text(), re.DOTALL)


def test_the_readme_has_config_examples() -> None:
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.splitlines()[0] for e in EXAMPLES])
def test_a_readme_config_example_loads(example: str, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(example)
    config = load_config({}, environ={"CMDAI_CONFIG": str(path)})
    if match := re.search(r'^backend = "(\w+)"', example, re.M):
        assert config.backend == (match.group(1),)
    for name, table in re.findall(r"^\[backends\.(\w+)\]\n((?:\w+ = .*\n)+)", example, re.M):
        for key, raw in re.findall(r"^(\w+) = (\"[^\"]*\"|\S+)", table, re.M):
            assert config.origins[f"backends.{name}.{key}"] == f"{path} [backends.{name}]"
            assert str(config.options(name)[key]) == raw.strip('"'), (name, key)
