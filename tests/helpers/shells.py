"""Real shells for tests: skip when one is missing on a developer's machine, fail under CI
(`.ci/run` installs them, so a missing shell there is a broken setup, not a reason to skip)."""

from __future__ import annotations

import os
import shutil

import pytest


def require(program: str) -> str:
    path = shutil.which(program)
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{program} is not installed; .ci/run should have installed it")
    pytest.skip(f"{program} is not installed")
