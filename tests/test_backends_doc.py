"""docs/backends.md's example backend is a working plug-in: registered through the `plugins`
setting, it answers through the real command line (no model involved: it is the example)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers.cli import run_cli

DOC = Path(__file__).resolve().parents[1] / "docs" / "backends.md"


def test_the_example_backend_in_the_docs_works(tmp_path: Path) -> None:
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert code, "docs/backends.md has no python example"
    (tmp_path / "echo_backend.py").write_text(code.group(1))
    env = {"PYTHONPATH": str(tmp_path), "CMDAI_PLUGINS": "echo_backend", "CMDAI_BACKEND": "echo"}
    result = run_cli("--print", "--no-daemon", "--no-validate", "hi there", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "echo 'hi there'\n"
    listed = run_cli("backends", env=env)
    assert (
        listed.returncode == 0
        and "1. echo: echo" in listed.stdout
        and "ok: always ready" in listed.stdout
    )
