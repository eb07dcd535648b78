"""Getting a model onto this machine: try each source in order, verify, install, explain."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from cmdai.config import Config
from cmdai.errors import DownloadError, ModelError
from cmdai.models.registry import ARTIFACTS, Artifact, get_artifact
from cmdai.models.sources import Source, sources_from_config
from cmdai.models.store import ModelStore, ensure_space, removed_on_full_disk


def pull(artifact: Artifact, store: ModelStore, sources: Sequence[Source]) -> Path:
    """Install `artifact` from the first source that delivers verified bytes."""
    with store.pull_lock(artifact):
        if store.is_installed(artifact):  # another process finished it while we waited
            return store.path(artifact)
        failures: list[str] = []
        for index, source in enumerate(sources):
            part = store.partial_dir / f"{artifact.sha256}.{source.name}.part"
            part.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            have = part.stat().st_size if part.exists() else 0  # resumed, not fetched again
            needed = artifact.size * source.copies - have
            ensure_space(store.partial_dir, needed, artifact.id)
            try:
                with removed_on_full_disk(store.partial_dir, artifact.id, part):
                    source.fetch(artifact, part)
                    path = store.install(artifact, part, source.name)
            except DownloadError as exc:  # unreachable, missing, or bad bytes (already deleted)
                failures.append(exc.message)
                if index + 1 < len(sources):
                    print(f"{exc.message}; trying {sources[index + 1].name}", file=sys.stderr)
                continue
            print(f"{artifact.id}: verified and saved to {path}", file=sys.stderr)
            return path
    raise DownloadError(
        f"could not download {artifact.id} from any source: " + "; ".join(failures),
        "check the network, or fetch the file elsewhere and run `cmdai model import PATH`",
    )


def resolve_model_path(config: Config, *, allow_download: bool = True) -> Path:
    """The GGUF file for `config.model`: a path, a cached id, or a registry id to pull."""
    name = config.model
    if name.endswith(".gguf") or "/" in name:
        path = Path(name).expanduser()
        if not path.is_file():
            raise ModelError(f"model file {path} does not exist", "check the `model` setting")
        return path
    store = ModelStore(config.model_dir)
    if name in store.entries() and name not in ARTIFACTS:
        return store.checked_path(name)  # imported under a custom id
    artifact = get_artifact(name)
    if store.is_installed(artifact):
        return store.checked_path(name)
    if not allow_download:
        raise ModelError(f"model {name} is not downloaded", f"run `cmdai model pull {name}`")
    print(welcome(artifact, store), file=sys.stderr)
    return pull(artifact, store, sources_from_config(config))


def welcome(artifact: Artifact, store: ModelStore) -> str:
    return (
        f"Welcome to cmdai. The model {artifact.id} ({artifact.description}) is not on this "
        f"machine yet:\ndownloading it once ({artifact.size_label}) into {store.root}. "
        "Later runs start from the cache."
    )
