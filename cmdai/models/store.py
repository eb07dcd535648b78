"""The model cache: verified files, a manifest saying where each came from, partial downloads.

Layout under the model directory:
  <filename>.gguf        installed, verified one-file artifacts (moved in atomically)
  <directory>/           installed, verified directory artifacts (MLX models; moved in whole)
  manifest.json          {id: {filename, sha256, size, source, installed_at, backend, files}}
  .partial/<sha256>.<source>.part  an interrupted download, resumed by the next pull
  .partial/<sha256>.<source>.d/    the same for a directory artifact, file by file
  .partial/<sha256>.lock held while one process pulls that artifact
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cmdai.errors import DiskFull, IntegrityError, ModelError
from cmdai.models.registry import Artifact, ArtifactFile, human_size, tree_digest

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Entry:
    id: str
    filename: str
    sha256: str
    size: int
    source: str
    installed_at: str
    # The file's inode, mtime (ns) and size when its sha256 was last checked: while they are
    # unchanged the bytes are taken as verified, so a start needs no 1 GB re-hash.
    verified: str = ""
    backend: str = "llama_cpp"
    # A directory model: each file's path -> [size, sha256] (its sha256 is of this list).
    files: dict[str, list[int | str]] = field(default_factory=dict)


def file_stamp(path: Path) -> str:
    info = path.stat()
    return f"{info.st_ino}:{info.st_mtime_ns}:{info.st_size}"


def tree_stamp(directory: Path, paths: Iterable[str]) -> str:
    return ";".join(f"{path}={file_stamp(directory / path)}" for path in sorted(paths))


class ModelStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.partial_dir = root / ".partial"
        self.manifest_path = root / "manifest.json"

    # --- reading ----------------------------------------------------------------------------

    def entries(self) -> dict[str, Entry]:
        try:
            raw = json.loads(self.manifest_path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise ModelError(
                f"{self.manifest_path}: unreadable model manifest ({exc})",
                "delete it and run `cmdai model pull` again",
            ) from None
        return {key: Entry(id=key, **value) for key, value in raw.items()}

    def path(self, artifact: Artifact) -> Path:
        return self.root / artifact.filename

    def partial_path(self, artifact: Artifact) -> Path:
        return self.partial_dir / f"{artifact.sha256}.part"

    def is_installed(self, artifact: Artifact) -> bool:
        """Cheap check (manifest + sizes); `verify` re-hashes the bytes."""
        entry = self.entries().get(artifact.id)
        if entry is None or entry.sha256 != artifact.sha256:
            return False
        files = artifact.members() if artifact.is_directory else (artifact,)
        return all(_has_size(self.root / f.filename, f.size) for f in files)

    # --- writing ----------------------------------------------------------------------------

    def install(self, artifact: Artifact, candidate: Path, source: str) -> Path:
        """Verify `candidate` against the pin and move it into place atomically.

        `candidate` must be on the same filesystem (use a path under `partial_dir`). On a
        mismatch the bytes are deleted and IntegrityError names the source that gave them.
        """
        check_bytes(candidate, artifact.size, artifact.sha256, source, artifact.id)
        target = self.path(artifact)
        os.replace(candidate, target)
        self._record(
            Entry(artifact.id, target.name, artifact.sha256, artifact.size, source, _now(),
                  file_stamp(target))
        )  # fmt: skip
        return target

    def install_directory(self, artifact: Artifact, staging: Path, source: str) -> Path:
        """Verify every file of `staging` against its pin, then put the directory in place in
        one rename (a helper never sees half a model). `staging` must be under `partial_dir`."""
        for member, pinned in zip(artifact.members(), artifact.files, strict=True):
            check_bytes(staging / pinned.path, member.size, member.sha256, source, member.id)
        target = self.path(artifact)
        self._swap_in(staging, target)
        files = {f.path: [f.size, f.sha256] for f in artifact.files}
        self._record(
            Entry(artifact.id, target.name, artifact.sha256, artifact.size, source, _now(),
                  tree_stamp(target, files), artifact.backend, files)
        )  # fmt: skip
        return target

    def import_directory(self, model_id: str, source_dir: Path, backend: str) -> Path:
        """Copy a model directory that the registry does not know, under a user-chosen id."""
        names = [p.relative_to(source_dir).as_posix() for p in _model_files(source_dir)]
        size = sum((source_dir / name).stat().st_size for name in names)
        ensure_space(self.partial_dir, size, model_id)
        staging = self.staging_directory(f"import-{model_id}")
        with removed_on_full_disk(self.partial_dir, model_id, staging):
            for name in names:
                (staging / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source_dir / name, staging / name)
        files: dict[str, list[int | str]] = {
            name: [(staging / name).stat().st_size, sha256_file(staging / name)] for name in names
        }
        target = self.root / model_id
        self._swap_in(staging, target)
        pins = tuple(ArtifactFile(name, int(s), str(h)) for name, (s, h) in files.items())
        self._record(
            Entry(model_id, target.name, tree_digest(pins), size, "file", _now(),
                  tree_stamp(target, files), backend, files)
        )  # fmt: skip
        return target

    def _swap_in(self, staging: Path, target: Path) -> None:
        """Replace `target` (absent, or an older copy) by the directory `staging`."""
        old = self.partial_dir / f"{target.name}.old-{os.getpid()}"
        if target.exists():
            os.replace(target, old)
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)

    def import_custom(self, model_id: str, source_path: Path) -> Path:
        """Copy a GGUF that the registry does not know, under a user-chosen id."""
        digest = sha256_file(source_path)
        target = self.root / f"{model_id}.gguf"
        staging = self.staging_file(f"import-{model_id}")
        ensure_space(self.partial_dir, source_path.stat().st_size, model_id)
        with removed_on_full_disk(self.partial_dir, model_id, staging):
            shutil.copyfile(source_path, staging)
        check_bytes(staging, source_path.stat().st_size, digest, f"file {source_path}", model_id)
        os.replace(staging, target)
        entry = Entry(model_id, target.name, digest, target.stat().st_size, "file", _now(),
                      file_stamp(target))  # fmt: skip
        self._record(entry)
        return target

    def checked_path(self, model_id: str) -> Path:
        """The cached file (or directory) of `model_id`, known to hold the bytes its sha256
        names: re-hashed only when a file changed since it was last checked (then the check
        is recorded). A file corrupted in place at the same size is refused here, before any
        model loads."""
        entry = self.entries()[model_id]
        path = self.root / entry.filename
        if changed := self._changed_since_checked(entry):
            raise IntegrityError(
                f"{path / changed[0] if entry.files else path} does not match its sha256: "
                "it changed since it was downloaded",
                f"run `cmdai model verify {model_id}`, then `cmdai model pull {model_id}` "
                "to fetch it again",
            )
        return path

    def intact(self, model_id: str) -> bool:
        """Like `checked_path`, without raising: may a pull skip this model?"""
        return not self._changed_since_checked(self.entries()[model_id])

    def _changed_since_checked(self, entry: Entry) -> list[str]:
        if entry.verified and entry.verified == self._stamp(entry):
            return []
        changed = self.changed_files(entry)
        if not changed:
            self.mark_verified(entry.id)
        return changed

    def changed_files(self, entry: Entry) -> list[str]:
        """Re-hash an entry's bytes: the files (paths in a directory model, or the file's own
        name) whose size or sha256 is not the recorded one. Empty when all is well."""
        if not entry.files:
            path = self.root / entry.filename
            good = _has_size(path, entry.size) and sha256_file(path) == entry.sha256
            return [] if good else [entry.filename]
        directory = self.root / entry.filename
        return [
            name
            for name, (size, digest) in sorted(entry.files.items())
            if not _has_size(directory / name, int(size)) or sha256_file(directory / name) != digest
        ]

    def mark_verified(self, model_id: str) -> None:
        entry = self.entries()[model_id]
        self._record(Entry(**{**vars(entry), "verified": self._stamp(entry)}))

    def _stamp(self, entry: Entry) -> str:
        path = self.root / entry.filename
        try:
            return tree_stamp(path, entry.files) if entry.files else file_stamp(path)
        except FileNotFoundError:
            return "missing"

    def staging_file(self, name: str) -> Path:
        self.partial_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.partial_dir / f"{name}.tmp"
        path.unlink(missing_ok=True)
        return path

    def staging_directory(self, name: str) -> Path:
        path = self.partial_dir / f"{name}.tmp.d"
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(mode=0o700, parents=True)
        return path

    def remove(self, model_id: str) -> Path:
        entries = self.entries()
        if model_id not in entries:
            raise ModelError(f"model {model_id!r} is not in the cache", "see `cmdai model list`")
        path = self.root / entries[model_id].filename
        if entries[model_id].files:
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        del entries[model_id]
        self._write(entries)
        return path

    @contextlib.contextmanager
    def pull_lock(self, artifact: Artifact) -> Iterator[None]:
        """Serialise pulls of one artifact across processes (two shells pressing the key)."""
        self.partial_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        with (self.partial_dir / f"{artifact.sha256}.lock").open("w") as handle:
            try:
                import fcntl
            except ImportError:  # Windows: no advisory locks; pulls there are not concurrent.
                yield
                return
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _record(self, entry: Entry) -> None:
        entries = self.entries()
        entries[entry.id] = entry
        self._write(entries)

    def _write(self, entries: dict[str, Entry]) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = {
            key: {k: v for k, v in vars(e).items() if k != "id"}
            for key, e in sorted(entries.items())
        }
        # A name of its own: the helper and a `cmdai model …` may write at the same moment.
        tmp = self.manifest_path.with_name(f".manifest.{os.getpid()}.{id(data)}.tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        os.replace(tmp, self.manifest_path)


SPACE_MARGIN = 16 << 20  # room left for the manifest, logs and everything else on the disk


def ensure_space(directory: Path, needed: int, what: str) -> None:
    """Raise DiskFull, before anything is written, when `directory` cannot take `needed`
    bytes more (and a margin)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    free = shutil.disk_usage(directory).free
    if free < needed + SPACE_MARGIN:
        raise DiskFull(
            f"not enough disk space in {directory} for {what}: about "
            f"{human_size(needed + SPACE_MARGIN)} needed, {human_size(free)} free",
            FULL_DISK_HINT,
        )


FULL_DISK_HINT = "free some space, or set model_dir to a directory on a disk with room"


@contextlib.contextmanager
def removed_on_full_disk(directory: Path, what: str, *partial: Path) -> Iterator[None]:
    """A disk that fills up while writing: remove the partial files (resuming is for a network
    that broke, not for a full disk) and say so in one line."""
    try:
        yield
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        for path in partial:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        raise DiskFull(
            f"the disk filled up while writing {what} in {directory}; the partial file was removed",
            FULL_DISK_HINT,
        ) from None


def check_bytes(path: Path, size: int, sha256: str, source: str, model_id: str) -> None:
    """Raise IntegrityError (after deleting `path`) unless it has exactly this size and hash."""
    actual_size = path.stat().st_size
    problem = None
    if actual_size != size:
        problem = f"size {actual_size:,} bytes, expected {size:,}"
    else:
        actual = sha256_file(path)
        if actual != sha256:
            problem = f"sha256 {actual[:16]}…, expected {sha256[:16]}…"
    if problem:
        path.unlink(missing_ok=True)
        raise IntegrityError(
            f"{source} gave bad bytes for {model_id}: {problem}; the file was deleted",
            "try again, or set `sources` to skip that source",
        )


def _has_size(path: Path, size: int) -> bool:
    try:
        return path.is_file() and path.stat().st_size == size
    except OSError:
        return False


def _model_files(directory: Path) -> list[Path]:
    """The files of a model directory worth copying: not hidden, not caches of other tools."""
    return sorted(
        p for p in directory.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(directory).parts)
    )  # fmt: skip


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
