"""The llama.cpp backend's evaluated prompt prefix, kept on disk between helper starts.

Every helper start used to evaluate the same ~1,850-token prefix (system prompt and examples)
again: most of a cold Ctrl-G. After evaluating it once, the backend saves llama.cpp's state
(the KV cache of those tokens) here; the next start loads it instead.

A file is `MAGIC`, one JSON header line (the key, the token count, the state's size, the
sha256 of what follows), the tokens (int32, little-endian), then the state. It is used only
when its key is the one asked for (the key covers everything that changes the state: the
model's bytes, the prompt, the context size, llama.cpp's version) and its bytes hash to the
header's sha256; anything else is deleted and evaluated again. Files are written atomically,
and only the newest few are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

MAGIC = b"CMDAI-PREFIX-STATE 1\n"
KEEP = 4  # files kept (a few models or prompts); older ones are removed
MAX_BYTES = 512 << 20  # a state this big is not worth a file (the 1.5B model's: 54 MB)


@dataclass(frozen=True)
class Saved:
    tokens: list[int]  # what the state's KV cache holds, in order
    state: bytes  # llama_state_get_data


def key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def path_for(directory: Path, name: str) -> Path:
    return directory / f"{name}.state"


def load(path: Path, wanted: str) -> Saved | None:
    """The state saved under `wanted`, or None (a missing, foreign, truncated or corrupt file;
    the bad ones are deleted so that the next save replaces them)."""
    try:
        with path.open("rb") as handle:
            saved = _read(handle, wanted)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        saved = None
    if saved is None:
        with contextlib.suppress(OSError):
            path.unlink()
    return saved


def _read(handle: BinaryIO, wanted: str) -> Saved | None:
    read = handle.read
    if read(len(MAGIC)) != MAGIC:
        return None
    header = _header(handle)
    if header["key"] != wanted:
        return None
    token_bytes = read(4 * int(header["tokens"]))
    state = read(int(header["state_size"]))
    if len(state) != int(header["state_size"]) or read(1):
        return None  # truncated, or something appended
    if hashlib.sha256(token_bytes + state).hexdigest() != header["sha256"]:
        return None
    tokens = array("i")
    tokens.frombytes(token_bytes)
    if sys.byteorder != "little":
        tokens.byteswap()
    return Saved(tokens.tolist(), state)


def _header(handle: BinaryIO) -> dict[str, Any]:
    line = handle.readline(4096)
    if not line.endswith(b"\n"):
        raise ValueError("no header line")
    header = json.loads(line)
    if not isinstance(header, dict):
        raise ValueError("the header is not an object")
    return header


def save(path: Path, name: str, saved: Saved) -> bool:
    """Write atomically (a reader sees the old file or the new one, never half); keep the
    newest files only. False when the state is too big to be worth it, or the disk refuses."""
    if len(saved.state) > MAX_BYTES:
        return False
    tokens = array("i", saved.tokens)
    if sys.byteorder != "little":
        tokens.byteswap()
    token_bytes = tokens.tobytes()
    header = {"key": name, "tokens": len(saved.tokens), "state_size": len(saved.state),
              "sha256": hashlib.sha256(token_bytes + saved.state).hexdigest()}  # fmt: skip
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tmp.open("wb") as handle:
            handle.write(MAGIC + json.dumps(header).encode() + b"\n" + token_bytes)
            handle.write(saved.state)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        return False
    prune(path.parent)
    return True


def prune(directory: Path, keep: int = KEEP) -> None:
    """Remove all but the `keep` most recently written states."""
    try:
        files = sorted(directory.glob("*.state"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in files[keep:]:
        with contextlib.suppress(OSError):
            old.unlink()
