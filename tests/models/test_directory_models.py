"""Directory models (MLX): each file pinned by size and sha256, fetched from the fake Hub
(tests/helpers/fakehub.py, the real huggingface_hub client talking to it, since the Hub is out
of reach here), resumed file by file, verified, moved into place whole, checked before use,
and repaired by fetching only what is damaged. The artifacts are small synthetic files."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

from cmdai.config import Config
from cmdai.errors import DownloadError, IntegrityError, ModelError, UsageError
from cmdai.models import commands
from cmdai.models.pull import pull, resolve_model
from cmdai.models.registry import ARTIFACTS, Artifact, ArtifactFile, directory_artifact
from cmdai.models.sources import FileSource, HfSource, Source
from cmdai.models.store import ModelStore
from tests.helpers.fakehub import FakeHub

NO_BACKOFF = (0.0, 0.0, 0.0)
REPO = "test-org/tiny-mlx"


@pytest.fixture
def contents() -> dict[str, bytes]:
    return {
        "config.json": b'{"model_type": "qwen2"}',
        "model.safetensors": os.urandom(2 * 1024 * 1024 + 77),
        "tokenizer.json": os.urandom(300 * 1024),
    }


def make_directory_artifact(contents: dict[str, bytes], **changes: str) -> Artifact:
    files = tuple(
        ArtifactFile(name, len(data), hashlib.sha256(data).hexdigest())
        for name, data in contents.items()
    )
    fields = {"id": "tiny-mlx", "filename": "tiny-mlx-dir", "hf_repo": REPO,
              "description": "synthetic directory", "backend": "mlx", **changes}  # fmt: skip
    return directory_artifact(files, **fields)


def hub_with(contents: dict[str, bytes]) -> FakeHub:
    return FakeHub({f"{REPO}/{name}": data for name, data in contents.items()})


def cdn_gets(hub: FakeHub, contents: dict[str, bytes]) -> list[str]:
    """The files whose bytes the hub sent (by name), in order."""
    by_digest = {hashlib.sha256(d).hexdigest(): name for name, d in contents.items()}
    return [
        by_digest[path.rsplit("/", 1)[1]]
        for method, path, _ in hub.state.requests
        if method == "GET" and "/cdn/" in path
    ]


def hf(hub: FakeHub) -> HfSource:
    return HfSource(hub.endpoint, timeout=5, backoff=NO_BACKOFF)


def test_a_directory_is_fetched_verified_and_recorded_with_one_progress_line(
    tmp_path: Path, contents: dict[str, bytes], capfd: pytest.CaptureFixture[str]
) -> None:
    artifact = make_directory_artifact(contents)
    store = ModelStore(tmp_path / "models")
    with hub_with(contents) as hub:
        path = pull(artifact, store, [hf(hub)])
    assert path == store.root / "tiny-mlx-dir"
    assert {p.name: p.read_bytes() for p in path.iterdir()} == contents
    entry = store.entries()["tiny-mlx"]
    assert (entry.backend, entry.sha256, entry.size) == ("mlx", artifact.sha256, artifact.size)
    assert (
        entry.files["model.safetensors"][1]
        == hashlib.sha256(contents["model.safetensors"]).hexdigest()
    )
    assert [p.name for p in store.partial_dir.iterdir() if not p.name.endswith(".lock")] == []
    err = capfd.readouterr().err.splitlines()
    assert err == [
        f"tiny-mlx (hf): downloading {artifact.size_label}…",  # one line, not one per file
        f"tiny-mlx: verified and saved to {path}",
    ]
    assert store.is_installed(artifact)
    assert store.checked_path("tiny-mlx") == path


def test_a_dropped_connection_resumes_inside_the_file(
    tmp_path: Path, contents: dict[str, bytes]
) -> None:
    artifact = make_directory_artifact(contents)
    store = ModelStore(tmp_path / "models")
    with hub_with(contents) as hub:
        hub.state.drop_after = 1_000_000  # cuts model.safetensors (config.json is smaller)
        pull(artifact, store, [hf(hub)])
        ranges = [r for r in hub.state.ranges() if r]
    assert ranges and int(ranges[0][6:-1]) > 0  # asked for the rest, not the whole file again
    assert (store.root / "tiny-mlx-dir" / "model.safetensors").read_bytes() == contents[
        "model.safetensors"
    ]


class _FailsAfter:
    """A source that delivers `good` files through a real one, then fails like a dropped
    network: what an interrupted pull leaves behind."""

    name = "hf"
    copies = 1

    def __init__(self, real: Source, good: int) -> None:
        self.real, self.good = real, good

    def fetch(self, artifact: Artifact, dest: Path, on_bytes=None) -> None:  # type: ignore[no-untyped-def]
        if self.good == 0:
            raise DownloadError("hf: the network went away")
        self.good -= 1
        self.real.fetch(artifact, dest, on_bytes)


def test_an_interrupted_pull_resumes_without_fetching_finished_files_again(
    tmp_path: Path, contents: dict[str, bytes]
) -> None:
    artifact = make_directory_artifact(contents)
    store = ModelStore(tmp_path / "models")
    with hub_with(contents) as hub:
        with pytest.raises(DownloadError, match="the network went away"):
            pull(artifact, store, [_FailsAfter(hf(hub), good=2)])
        assert not store.path(artifact).exists()  # nothing half-installed
        first = cdn_gets(hub, contents)
        hub.state.requests.clear()
        pull(artifact, store, [hf(hub)])
        second = cdn_gets(hub, contents)
    assert first == ["config.json", "model.safetensors"]
    assert second == ["tokenizer.json"]
    assert store.checked_path("tiny-mlx") == store.path(artifact)


def test_bad_bytes_from_the_hub_are_rejected_and_nothing_is_installed(
    tmp_path: Path, contents: dict[str, bytes]
) -> None:
    artifact = make_directory_artifact(contents)
    store = ModelStore(tmp_path / "models")
    with hub_with(contents) as hub:
        hub.state.corrupt = True
        with pytest.raises(DownloadError) as caught:
            pull(artifact, store, [hf(hub)])
    assert "hf gave bad bytes for tiny-mlx/" in caught.value.message
    assert store.entries() == {} and not store.path(artifact).exists()


def test_the_hubs_own_record_must_agree_with_the_pin(
    tmp_path: Path, contents: dict[str, bytes]
) -> None:
    """The Hub serves a file whose recorded sha256 is not the pinned one: nothing is fetched."""
    artifact = make_directory_artifact(contents)
    other = {**contents, "tokenizer.json": os.urandom(len(contents["tokenizer.json"]))}
    store = ModelStore(tmp_path / "models")
    with hub_with(other) as hub, pytest.raises(DownloadError) as caught:
        pull(artifact, store, [hf(hub)])
    assert "the Hub records sha256" in caught.value.message
    assert "tokenizer.json" in caught.value.message


def test_a_corrupted_file_is_detected_and_only_it_is_fetched_again(
    tmp_path: Path, contents: dict[str, bytes]
) -> None:
    artifact = make_directory_artifact(contents)
    store = ModelStore(tmp_path / "models")
    with hub_with(contents) as hub:
        path = pull(artifact, store, [hf(hub)])
        damaged = path / "tokenizer.json"
        with damaged.open("r+b") as handle:  # same size, other bytes: a bad disk
            handle.seek(100)
            handle.write(b"\x00" * 32)
        with pytest.raises(IntegrityError) as caught:
            store.checked_path("tiny-mlx")
        assert str(damaged) in caught.value.message
        hub.state.requests.clear()
        pull(artifact, store, [hf(hub)])
        fetched = cdn_gets(hub, contents)
    assert fetched == ["tokenizer.json"]
    assert damaged.read_bytes() == contents["tokenizer.json"]
    assert store.checked_path("tiny-mlx") == path


def test_a_model_paths_directory_is_a_source_too(
    tmp_path: Path, contents: dict[str, bytes]
) -> None:
    artifact = make_directory_artifact(contents)
    mirror = tmp_path / "mirror" / artifact.filename
    mirror.mkdir(parents=True)
    for name, data in contents.items():
        (mirror / name).write_bytes(data)
    store = ModelStore(tmp_path / "models")
    path = pull(artifact, store, [FileSource((tmp_path / "mirror",))])
    assert store.entries()["tiny-mlx"].source == "file"
    assert (path / "model.safetensors").read_bytes() == contents["model.safetensors"]


# --- `cmdai model …` on directories -------------------------------------------------------
# The registry's real MLX entry pins 880 MB of files; these tests put a small directory
# artifact into the registry the command reads (monkeypatched), everything else is real.


@pytest.fixture
def registry_with_tiny(contents: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> Artifact:
    artifact = make_directory_artifact(contents)
    monkeypatch.setitem(ARTIFACTS, artifact.id, artifact)
    return artifact


def model_command(tmp_path: Path, *argv: str, environ: dict[str, str] | None = None) -> int:
    from cmdai.cli import model_parser
    from cmdai.config import load_config

    args = model_parser().parse_args(list(argv))
    environ = {"CMDAI_MODEL_DIR": str(tmp_path / "models"), "CMDAI_BACKEND": "mlx",
               "CMDAI_CONFIG": str(tmp_path / "none.toml"), **(environ or {})}  # fmt: skip
    return commands.run(args, load_config({}, environ=environ))


def write_directory(directory: Path, contents: dict[str, bytes]) -> Path:
    directory.mkdir(parents=True)
    for name, data in contents.items():
        (directory / name).write_bytes(data)
    return directory


def test_importing_a_known_directory_installs_it_under_its_id(
    tmp_path: Path, contents: dict[str, bytes], registry_with_tiny: Artifact,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    source = write_directory(tmp_path / "download", contents)
    (source / ".cache").mkdir()  # what huggingface_hub leaves: not part of the model
    (source / "README.md").write_text("not pinned, not needed")
    assert model_command(tmp_path, "import", str(source)) == 0
    out = capsys.readouterr().out
    assert out.startswith("imported tiny-mlx (3 files, sha256 verified) to ")
    store = ModelStore(tmp_path / "models")
    assert sorted(p.name for p in store.path(registry_with_tiny).iterdir()) == sorted(contents)
    assert store.entries()["tiny-mlx"].source == f"file {source}"
    assert model_command(tmp_path, "list") == 0
    listing = capsys.readouterr().out
    row = next(line for line in listing.splitlines() if line.startswith("tiny-mlx"))
    assert row.split()[:6] == ["tiny-mlx", "mlx", "2.4", "MB", "cached", "file"]


def test_a_directory_with_a_wrong_file_is_not_imported_as_the_known_model(
    tmp_path: Path, contents: dict[str, bytes], registry_with_tiny: Artifact
) -> None:
    bad = {**contents, "tokenizer.json": os.urandom(len(contents["tokenizer.json"]))}
    source = write_directory(tmp_path / "download", bad)
    with pytest.raises(IntegrityError, match=r"tokenizer\.json"):
        model_command(tmp_path, "import", str(source))
    assert ModelStore(tmp_path / "models").entries() == {}


def test_a_directory_of_ones_own_is_imported_with_an_id_and_listed_for_mlx(
    tmp_path: Path, contents: dict[str, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_directory(tmp_path / "mine", contents)
    with pytest.raises(UsageError, match="give it a name of your own with --id"):
        model_command(tmp_path, "import", str(source))
    assert model_command(tmp_path, "import", str(source), "--id", "my-mlx") == 0
    store = ModelStore(tmp_path / "models")
    entry = store.entries()["my-mlx"]
    assert (entry.backend, sorted(entry.files)) == ("mlx", sorted(contents))
    capsys.readouterr()
    model_command(tmp_path, "list")
    row = next(line for line in capsys.readouterr().out.splitlines() if "my-mlx" in line)
    assert row.split()[:2] == ["my-mlx", "mlx"] and "imported" in row
    config = Config(model_dir=store.root)
    assert resolve_model("my-mlx", config, backend="mlx") == store.root / "my-mlx"
    with pytest.raises(ModelError, match="my-mlx is a model for the mlx backend"):
        resolve_model("my-mlx", config, backend="llama_cpp")


def test_a_directory_that_is_no_model_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "photos"
    source.mkdir()
    (source / "cat.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(UsageError, match="is not a model directory"):
        model_command(tmp_path, "import", str(source), "--id", "cats")


def test_verify_names_the_damaged_file_and_pull_repairs_it(
    tmp_path: Path, contents: dict[str, bytes], registry_with_tiny: Artifact,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    model_command(tmp_path, "import", str(write_directory(tmp_path / "dl", contents)))
    installed = ModelStore(tmp_path / "models").path(registry_with_tiny)
    (installed / "config.json").write_bytes(b'{"model_type": "llama"}')  # other size, too
    with pytest.raises(IntegrityError) as caught:
        model_command(tmp_path, "verify", "tiny-mlx")
    assert caught.value.message.endswith("does not match its pinned sha256: config.json")
    assert "cmdai model pull tiny-mlx" in (caught.value.hint or "")
    mirror = write_directory(tmp_path / "mirror" / registry_with_tiny.filename, contents)
    from_mirror = {"CMDAI_MODEL_PATHS": str(mirror.parent), "CMDAI_SOURCES": "file"}
    assert model_command(tmp_path, "pull", "tiny-mlx", environ=from_mirror) == 0
    assert "tiny-mlx: verified and saved to" in capsys.readouterr().err
    assert (installed / "config.json").read_bytes() == contents["config.json"]
    capsys.readouterr()
    assert model_command(tmp_path, "verify", "tiny-mlx") == 0
    assert capsys.readouterr().out.startswith("tiny-mlx: OK (2.4 MB, 3 files)")


def test_a_gguf_id_is_refused_for_the_mlx_backend_with_the_right_choices(tmp_path: Path) -> None:
    config = Config(model_dir=tmp_path)
    with pytest.raises(ModelError) as caught:
        resolve_model("qwen2.5-coder-0.5b", config, backend="mlx")
    assert caught.value.message == (
        "qwen2.5-coder-0.5b is a model for the llama_cpp backend, not for mlx"
    )
    assert "qwen2.5-coder-1.5b-mlx" in (caught.value.hint or "")


def test_the_registry_pins_every_file_of_the_default_mlx_model() -> None:
    """The pins that a Mac's first run checks: the directory's size is the sum of its files,
    its digest is of their list, and each file has a full sha256."""
    from cmdai.models.registry import DEFAULT_MLX_MODEL, tree_digest

    artifact = ARTIFACTS[DEFAULT_MLX_MODEL]
    assert artifact.backend == "mlx" and artifact.is_directory
    assert len(artifact.hf_revision) == 40
    names = {f.path for f in artifact.files}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= names
    assert all(len(f.sha256) == 64 and f.size > 0 for f in artifact.files)
    assert artifact.size == sum(f.size for f in artifact.files)
    assert artifact.sha256 == tree_digest(artifact.files)


@pytest.mark.parametrize(
    ("model_id", "message"),
    [
        ("../escape", "cannot be a model id"),
        (".partial", "cannot be a model id"),
        ("a/b", "cannot be a model id"),
        ("qwen2.5-coder-1.5b-instruct-4bit-mlx", "would take the place of qwen2.5-coder-1.5b-mlx"),
    ],
)
def test_an_id_of_ones_own_cannot_escape_or_replace_another_model(
    tmp_path: Path, contents: dict[str, bytes], model_id: str, message: str
) -> None:
    source = write_directory(tmp_path / "mine", contents)
    with pytest.raises(UsageError, match=re.escape(message)):
        model_command(tmp_path, "import", str(source), "--id", model_id)
    assert not (tmp_path / "escape").exists()
    assert ModelStore(tmp_path / "models").entries() == {}
