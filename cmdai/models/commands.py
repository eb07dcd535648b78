"""`cmdai model list | pull | path | verify | rm | import`."""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

from cmdai.config import Config
from cmdai.errors import IntegrityError, ModelError, UsageError
from cmdai.models.pull import pull, resolve_model
from cmdai.models.registry import ARTIFACTS, Artifact, find_by_size, get_artifact, human_size
from cmdai.models.sources import sources_from_config
from cmdai.models.store import ModelStore, ensure_space, removed_on_full_disk


def run(args: argparse.Namespace, config: Config) -> int:
    store = ModelStore(config.model_dir)
    action = args.model_command
    if action == "list":
        return _list(store, config)
    if action == "import":
        return _import(store, Path(args.path).expanduser(), args.id)
    if action == "rm":
        print(f"removed {store.remove(args.id)}")
        return 0
    spec = config.spec(config.backend[0])
    if action == "pull" and spec.pull is not None:  # a server that fetches its own models
        options = config.options(spec.name)
        spec.pull(config, options | ({"model": args.id} if args.id else {}))
        return 0
    model_id = args.id or configured_model(config)
    if action == "pull":
        print(pull(get_artifact(model_id), store, sources_from_config(config)))
        return 0
    if action == "path":
        print(resolve_model(model_id, config, backend=_backend_of(store, model_id, config),
                            allow_download=False))  # fmt: skip
        return 0
    if action == "verify":
        return _verify(store, model_id)
    raise UsageError(f"unknown model command {action!r}")


def configured_model(config: Config) -> str:
    """The model the first backend runs from the store (the llama.cpp `model` otherwise)."""
    spec = config.spec(config.backend[0])
    if spec.capabilities.needs_download and spec.stored_model is not None:
        return spec.stored_model(config, config.options(spec.name))
    return config.model


def _backend_of(store: ModelStore, model_id: str, config: Config) -> str:
    if model_id in ARTIFACTS:
        return ARTIFACTS[model_id].backend
    if entry := store.entries().get(model_id):
        return entry.backend
    return config.backend[0]


def _list(store: ModelStore, config: Config) -> int:
    entries = store.entries()
    chosen = configured_model(config)
    rows = [("ID", "BACKEND", "SIZE", "STATUS", "SOURCE", "DESCRIPTION")]
    for artifact in ARTIFACTS.values():
        entry = entries.get(artifact.id)
        status = "cached" if store.is_installed(artifact) else "not downloaded"
        mark = " *" if artifact.id == chosen else ""
        rows.append(
            (artifact.id + mark, artifact.backend, artifact.size_label, status,
             entry.source if entry else "-", artifact.description)
        )  # fmt: skip
    for entry in entries.values():
        if entry.id not in ARTIFACTS:
            mark = " *" if entry.id == chosen else ""
            rows.append(
                (entry.id + mark, entry.backend, human_size(entry.size), "cached", entry.source,
                 "imported")
            )  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[5]]))
    print(f"\n* = the configured model. Cache: {store.root}")
    return 0


def _verify(store: ModelStore, model_id: str) -> int:
    entry = store.entries().get(model_id)
    if entry is None:
        raise ModelError(
            f"model {model_id!r} is not in the cache", f"run `cmdai model pull {model_id}`"
        )
    path = store.root / entry.filename
    if not path.exists():
        raise ModelError(f"{path} is missing", f"run `cmdai model pull {model_id}`")
    pinned = ARTIFACTS.get(model_id)
    if pinned is not None and pinned.sha256 != entry.sha256:
        raise IntegrityError(
            f"{path} was installed from another pin than {model_id}'s",
            f"run `cmdai model pull {model_id}`",
        )
    if changed := store.changed_files(entry):
        more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
        shown = ", ".join(changed[:3]) + more
        raise IntegrityError(
            f"{path} does not match its pinned sha256: {shown}",
            f"run `cmdai model pull {model_id}` to fetch "
            + ("those files again" if entry.files else "it again"),
        )
    store.mark_verified(model_id)
    what = f"{len(entry.files)} files" if entry.files else f"sha256 {entry.sha256}"
    print(f"{model_id}: OK ({human_size(entry.size)}, {what})")
    return 0


MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _import(store: ModelStore, path: Path, model_id: str | None) -> int:
    if model_id is not None and model_id not in ARTIFACTS:
        _check_own_id(store, model_id)
    if path.is_dir():
        return _import_directory(store, path, model_id)
    if not path.is_file():
        raise UsageError(f"{path} is not a file or a model directory")
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
    if artifact.is_directory:
        raise UsageError(f"{artifact.id} is a model directory; import the directory, not {path}")
    staging = store.staging_file(f"import-{artifact.id}")
    ensure_space(store.partial_dir, artifact.size, artifact.id)
    with removed_on_full_disk(store.partial_dir, artifact.id, staging):
        shutil.copyfile(path, staging)
        target = store.install(artifact, staging, f"file {path}")
    print(f"imported {artifact.id} (sha256 verified) to {target}")
    return 0


def _check_own_id(store: ModelStore, model_id: str) -> None:
    """An id of the user's own names a file or directory in the cache: a plain name that
    neither escapes it nor takes the place of another model's files."""
    if not MODEL_ID.fullmatch(model_id):
        raise UsageError(
            f"{model_id!r} cannot be a model id",
            "use letters, digits, '.', '_' and '-', starting with a letter or digit",
        )
    taken = {e.filename: e.id for e in store.entries().values() if e.id != model_id}
    taken |= {a.filename: a.id for a in ARTIFACTS.values()}
    for name in (model_id, f"{model_id}.gguf"):
        if name in taken:
            raise UsageError(f"{model_id!r} would take the place of {taken[name]}'s files",
                             "choose another --id")  # fmt: skip


def _import_directory(store: ModelStore, path: Path, model_id: str | None) -> int:
    """An MLX model directory: the registry's own (every pinned file there, each verified), or
    a model of the user's under `--id`."""
    backend = _directory_backend(path)
    known = _known_directory(path) if model_id is None or model_id in ARTIFACTS else None
    if model_id in ARTIFACTS and known is None:
        raise UsageError(
            f"{path} does not hold the files of {model_id}",
            "see `cmdai model list`; or give it a name of your own with --id NAME",
        )
    if known is not None:
        staging = store.staging_directory(f"import-{known.id}")
        ensure_space(store.partial_dir, known.size, known.id)
        with removed_on_full_disk(store.partial_dir, known.id, staging):
            for member in known.files:
                shutil.copyfile(path / member.path, staging / member.path)
            target = store.install_directory(known, staging, f"file {path}")
        print(f"imported {known.id} ({len(known.files)} files, sha256 verified) to {target}")
        return 0
    if model_id is None:
        raise UsageError(
            f"{path} is not a known model (its files match no registry entry)",
            "give it a name of your own with --id NAME",
        )
    print(f"imported {model_id} to {store.import_directory(model_id, path, backend)}")
    return 0


def _directory_backend(path: Path) -> str:
    """Which backend runs a model directory: MLX (config.json + safetensors weights)."""
    try:
        config = json.loads((path / "config.json").read_text())
    except (OSError, ValueError):
        config = None
    if not isinstance(config, dict) or not any(path.glob("*.safetensors")):
        raise UsageError(
            f"{path} is not a model directory (config.json and *.safetensors weights)",
            "import a .gguf file, or an MLX model directory",
        )
    return "mlx"


def _known_directory(path: Path) -> Artifact | None:
    """The registry directory artifact whose files `path` holds at their pinned sizes."""
    for artifact in ARTIFACTS.values():
        if artifact.is_directory and all(
            (path / f.path).is_file() and (path / f.path).stat().st_size == f.size
            for f in artifact.files
        ):
            return artifact
    return None
