"""What `backend = "auto"` means on this machine: MLX on Apple Silicon when mlx-lm imports,
else the embedded llama.cpp model. Kept apart from the MLX backend itself so that reading the
configuration (which resolves `auto`) looks at the platform without importing any backend."""

from __future__ import annotations

import importlib.util
import platform
import sys
from collections.abc import Mapping
from typing import Any

INSTALL_HINT = "install it with: pip install 'cmdai[mlx]'"


def why_not_available() -> str | None:
    """Why the MLX backend cannot run here, or None."""
    if importlib.util.find_spec("mlx_lm") is None or importlib.util.find_spec("mlx") is None:
        return f"mlx-lm is not installed ({INSTALL_HINT})"
    return None


def is_apple_silicon() -> bool:
    return sys.platform == "darwin" and platform.machine() == "arm64"


def auto_choice(options: Mapping[str, Any], gguf_model_set: bool = False) -> tuple[str, str]:
    """The backend `auto` stands for, and why. A `model` setting (a GGUF model) asks for
    llama.cpp even on Apple Silicon."""
    if not is_apple_silicon():
        return "llama_cpp", "not macOS on Apple Silicon"
    if reason := why_not_available():
        return "llama_cpp", reason
    if gguf_model_set:
        return "llama_cpp", "`model` names a GGUF model"
    return "mlx", "Apple Silicon with mlx-lm"
