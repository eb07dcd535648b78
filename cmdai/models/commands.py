"""`cmdai model list | pull | path | verify | rm | import`."""

from __future__ import annotations

import argparse
import shutil
from dataclasses import replace
from pathlib import Path

from cmdai.config import Config
from cmdai.errors import IntegrityError, ModelError, UsageError
from cmdai.models.pull import pull, resolve_model_path
from cmdai.models.registry import ARTIFACTS, find_by_size, get_artifact, human_size
from cmdai.models.sources import sources_from_config
from cmdai.models.store import ModelStore, ensure_space, removed_on_full_disk, sha256_file


def run(args: argparse.Namespace, config: Config) -> int:
    store = ModelStore(config.model_dir)
    action = args.model_command
    if action == "list":
        return _list(store, config)
    if action == "import":
        return _import(store, Path(args.path), args.id)
    if action == "rm":
        print(f"removed {store.remove(args.id)}")
        return 0
    spec = config.spec(config.backend[0])
    if action == "pull" and spec.pull is not None:  # a server that fetches its own models
        options = config.options(spec.name)
        spec.pull(config, options | ({"model": args.id} if args.id else {}))
        return 0
    model_id = args.id or config.model
    if action == "pull":
        print(pull(get_artifact(model_id), store, sources_from_config(config)))
        return 0
    if action == "path":
        print(resolve_model_path(_with_model(config, model_id), allow_download=False))
        return 0
    if action == "verify":
        return _verify(store, model_id)
    raise UsageError(f"unknown model command {action!r}")


def _with_model(config: Config, model_id: str) -> Config:
    return replace(config, model=model_id)


def _list(store: ModelStore, config: Config) -> int:
    entries = store.entries()
    rows = [("ID", "SIZE", "STATUS", "SOURCE", "DESCRIPTION")]
    for artifact in ARTIFACTS.values():
        entry = entries.get(artifact.id)
        status = "cached" if store.is_installed(artifact) else "not downloaded"
        mark = " *" if artifact.id == config.model else ""
        rows.append(
            (artifact.id + mark, artifact.size_label, status, entry.source if entry else "-",
             artifact.description)
        )  # fmt: skip
    for entry in entries.values():
        if entry.id not in ARTIFACTS:
            mark = " *" if entry.id == config.model else ""
            rows.append(
                (entry.id + mark, human_size(entry.size), "cached", entry.source, "imported")
            )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[4]]))
    print(f"\n* = the configured model. Cache: {store.root}")
    return 0


def _verify(store: ModelStore, model_id: str) -> int:
    entry = store.entries().get(model_id)
    if entry is None:
        raise ModelError(
            f"model {model_id!r} is not in the cache", f"run `cmdai model pull {model_id}`"
        )
    path = store.root / entry.filename
    if not path.is_file():
        raise ModelError(f"{path} is missing", f"run `cmdai model pull {model_id}`")
    expected = ARTIFACTS[model_id].sha256 if model_id in ARTIFACTS else entry.sha256
    actual = sha256_file(path)
    if actual != expected:
        raise IntegrityError(
            f"{path} does not match its pinned sha256 (got {actual[:16]}…)",
            f"run `cmdai model rm {model_id}` then `cmdai model pull {model_id}`",
        )
    store.mark_verified(model_id)
    print(f"{model_id}: OK ({human_size(path.stat().st_size)}, sha256 {actual})")
    return 0


def _import(store: ModelStore, path: Path, model_id: str | None) -> int:
    if not path.is_file():
        raise UsageError(f"{path} is not a file")
    if model_id is not None and model_id not in ARTIFACTS:
        print(f"imported {model_id} to {store.import_custom(model_id, path)}")
        return 0
    # A known id, or none: the registry pin decides (size picks the candidate, sha256 proves it).
    artifact = get_artifact(model_id) if model_id else find_by_size(path.stat().st_size)
    if artifact is None:
        raise UsageError(
            f"{path} is not a known model (its size matches no registry entry)",
            "give it a name of your own with --id NAME",
        )
    staging = store.staging_file(f"import-{artifact.id}")
    ensure_space(store.partial_dir, artifact.size, artifact.id)
    with removed_on_full_disk(store.partial_dir, artifact.id, staging):
        shutil.copyfile(path, staging)
        target = store.install(artifact, staging, f"file {path}")
    print(f"imported {artifact.id} (sha256 verified) to {target}")
    return 0
