"""Getting a model onto this machine: try each source in order, verify, install, explain."""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from cmdai import paths
from cmdai.config import Config
from cmdai.errors import DownloadError, ModelError
from cmdai.models.registry import ARTIFACTS, Artifact, for_backend, get_artifact
from cmdai.models.sources import Source, sources_from_config
from cmdai.models.store import ModelStore, ensure_space, removed_on_full_disk, sha256_file
from cmdai.progress import Progress


def pull(artifact: Artifact, store: ModelStore, sources: Sequence[Source]) -> Path:
    """Install `artifact` from the first source that delivers verified bytes."""
    with store.pull_lock(artifact):
        # Installed and intact (re-hashed only if a file changed since its last check): done,
        # or another process finished it while we waited. A damaged copy is fetched again.
        if store.is_installed(artifact):
            if store.intact(artifact.id):
                return store.path(artifact)
            print(f"{artifact.id}: the cached copy is damaged; fetching it again", file=sys.stderr)
        failures: list[str] = []
        for index, source in enumerate(sources):
            try:
                if artifact.is_directory:
                    path = _fetch_directory(artifact, store, source)
                else:
                    path = _fetch_file(artifact, store, source)
            except DownloadError as exc:  # unreachable, missing, or bad bytes (already deleted)
                failures.append(exc.message)
                if index + 1 < len(sources):
                    print(f"{exc.message}; trying {sources[index + 1].name}", file=sys.stderr)
                continue
            print(f"{artifact.id}: verified and saved to {path}", file=sys.stderr)
            return path
    raise DownloadError(
        f"could not download {artifact.id} from any source: " + "; ".join(failures),
        "check the network, or fetch the model elsewhere and run `cmdai model import PATH`",
    )


def _fetch_file(artifact: Artifact, store: ModelStore, source: Source) -> Path:
    part = store.partial_dir / f"{artifact.sha256}.{source.name}.part"
    part.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    have = part.stat().st_size if part.exists() else 0  # resumed, not fetched again
    ensure_space(store.partial_dir, artifact.size * source.copies - have, artifact.id)
    with removed_on_full_disk(store.partial_dir, artifact.id, part):
        source.fetch(artifact, part)
        return store.install(artifact, part, source.name)


def _fetch_directory(artifact: Artifact, store: ModelStore, source: Source) -> Path:
    """Fetch a directory artifact file by file into its staging directory, under one progress
    bar: a file already staged resumes, a good file of an installed copy is reused (so a
    damaged model fetches only what is damaged), the rest comes from `source`."""
    staging = store.partial_dir / f"{artifact.sha256}.{source.name}.d"
    staging.mkdir(mode=0o700, parents=True, exist_ok=True)
    installed = store.path(artifact)
    have = sum(_staged_size(staging / m.path) for m in artifact.files)
    ensure_space(store.partial_dir, artifact.size * source.copies - have, artifact.id)
    progress = Progress(f"{artifact.id} ({source.name})", artifact.size)
    done = 0
    try:
        with removed_on_full_disk(store.partial_dir, artifact.id, staging):
            for member, pinned in zip(artifact.members(), artifact.files, strict=True):
                part = staging / pinned.path
                if not _reuse(installed / pinned.path, part, member):
                    source.fetch(member, part, functools.partial(_after, done, progress.update))
                done += member.size
                progress.update(done)
            return store.install_directory(artifact, staging, source.name)
    finally:
        progress.close()


def _after(offset: int, update: Callable[[int], None], held: int) -> None:
    update(offset + held)


def _staged_size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def _reuse(installed: Path, part: Path, member: Artifact) -> bool:
    """Take the file of an installed copy when it still holds the pinned bytes (a hard link:
    no copy; the install replaces the directory, so the old name goes and the bytes stay)."""
    if part.exists() or not installed.is_file() or installed.stat().st_size != member.size:
        return False
    if sha256_file(installed) != member.sha256:
        return False
    part.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(installed, part)
    except OSError:
        shutil.copyfile(installed, part)
    return True


def resolve_model_path(config: Config, *, allow_download: bool = True) -> Path:
    """The GGUF file for `config.model` (the llama.cpp backend's model)."""
    return resolve_model(config.model, config, backend="llama_cpp", allow_download=allow_download)


def resolve_model(name: str, config: Config, *, backend: str, allow_download: bool = True) -> Path:
    """The model file or directory `name` means for `backend`: a path, an id imported into the
    cache, or a registry id (downloaded now, with a progress bar, when allowed)."""
    if paths.names_a_path(name):
        return _existing_path(Path(name).expanduser(), backend)
    store = ModelStore(config.model_dir)
    entry = store.entries().get(name)
    if entry is not None and name not in ARTIFACTS:  # imported under a custom id
        _check_backend(name, entry.backend, backend)
        return store.checked_path(name)
    artifact = get_artifact(name)
    _check_backend(name, artifact.backend, backend)
    if store.is_installed(artifact):
        return store.checked_path(name)
    if not allow_download:
        raise ModelError(f"model {name} is not downloaded", f"run `cmdai model pull {name}`")
    print(welcome(artifact, store), file=sys.stderr)
    return pull(artifact, store, sources_from_config(config))


def _existing_path(path: Path, backend: str) -> Path:
    if backend == "llama_cpp" and not path.is_file():
        raise ModelError(f"model file {path} does not exist", "check the `model` setting")
    if backend != "llama_cpp" and not path.exists():
        raise ModelError(f"model {path} does not exist", f"check [backends.{backend}] model")
    return path


def _check_backend(name: str, made_for: str, backend: str) -> None:
    if made_for != backend:
        choices = ", ".join(a.id for a in for_backend(backend)) or "none registered"
        raise ModelError(
            f"{name} is a model for the {made_for} backend, not for {backend}",
            f"models for {backend}: {choices}",
        )


def welcome(artifact: Artifact, store: ModelStore) -> str:
    return (
        f"Welcome to cmdai. The model {artifact.id} ({artifact.description}) is not on this "
        f"machine yet:\ndownloading it once ({artifact.size_label}) into {store.root}. "
        "Later runs start from the cache."
    )
