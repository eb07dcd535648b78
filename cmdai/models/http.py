"""Resumable HTTP download into a `.part` file.

A download that stops (killed process, dropped connection) leaves its bytes in the `.part`
file; the next attempt, in this process or the next one, asks for the rest with an HTTP
Range request. Network errors are retried with exponential backoff; HTTP errors that will not
change on retry (404, 403, ...) are not.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import requests

from cmdai.errors import SourceUnavailable

BACKOFF = (1.0, 2.0, 4.0)  # seconds before each retry; one retry per entry
CHUNK = 1 << 16  # small: a dropped connection loses at most this much buffered data
_RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}
_NETWORK_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


class _Retry(Exception):
    """One attempt failed in a way another attempt may fix."""


def download_resumable(
    url: str,
    part: Path,
    total: int,
    *,
    timeout: float,
    on_bytes: Callable[[int], None] = lambda done: None,
    backoff: Sequence[float] = BACKOFF,
    headers: dict[str, str] | None = None,
) -> None:
    """Fill `part` until it holds `total` bytes from `url`, resuming whatever is there."""
    part.parent.mkdir(parents=True, exist_ok=True)
    delays = [*backoff, None]
    last_error = ""
    with requests.Session() as session:
        for delay in delays:
            try:
                _attempt(session, url, part, total, timeout, on_bytes, headers or {})
                return
            except _Retry as exc:
                last_error = str(exc)
            if delay is not None:
                time.sleep(delay)
    raise SourceUnavailable(
        f"download of {url} failed after {len(delays)} attempts: {last_error}",
        "the partial file is kept; run the same command again to resume",
    )


def _attempt(
    session: requests.Session,
    url: str,
    part: Path,
    total: int,
    timeout: float,
    on_bytes: Callable[[int], None],
    headers: dict[str, str],
) -> None:
    have = part.stat().st_size if part.exists() else 0
    if have > total:  # not ours, or a changed file: start over
        part.unlink()
        have = 0
    if have == total:
        return
    request_headers = {**headers, "Accept-Encoding": "identity"}
    if have:
        request_headers["Range"] = f"bytes={have}-"
    try:
        with session.get(url, headers=request_headers, stream=True, timeout=timeout) as response:
            mode = _open_mode(response, part, have, url)
            with part.open(mode) as out:
                done = have if mode == "ab" else 0
                on_bytes(done)
                for block in response.iter_content(CHUNK):
                    out.write(block)
                    done += len(block)
                    on_bytes(done)
    except _NETWORK_ERRORS as exc:
        raise _Retry(f"network error: {exc.__class__.__name__}: {exc}") from None
    size = part.stat().st_size
    if size < total:
        raise _Retry(f"connection closed after {size:,} of {total:,} bytes")


def _open_mode(response: requests.Response, part: Path, have: int, url: str) -> str:
    """'ab' to append to the partial file, 'wb' to start over; raise for failures."""
    status = response.status_code
    if status == 200:  # no range asked, or the server ignored it: the whole file follows
        return "wb"
    if status == 206:
        if have and response.headers.get("Content-Range", "").startswith(f"bytes {have}-"):
            return "ab"
        part.unlink(missing_ok=True)
        raise _Retry("server answered a different range; starting over")
    if status == 416:
        part.unlink(missing_ok=True)
        raise _Retry("server refused the resume range; starting over")
    if status in _RETRYABLE_STATUS:
        raise _Retry(f"HTTP {status}")
    raise SourceUnavailable(f"HTTP {status} for {url}")
