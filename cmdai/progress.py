"""Download progress on stderr: a redrawn bar with size, speed and ETA on a terminal, or one
plain line when stderr is a file or a pipe (logs stay readable)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from cmdai.models.registry import human_size


class Progress:
    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = total
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._started = time.monotonic()
        self._start_bytes: int | None = None
        self._last_draw = 0.0
        if not self.tty:
            print(f"{label}: downloading {human_size(total)}…", file=self.stream, flush=True)

    def update(self, done: int) -> None:
        if self._start_bytes is None:
            self._start_bytes = done  # resumed bytes do not count towards the speed
        now = time.monotonic()
        if not self.tty or (now - self._last_draw < 0.1 and done < self.total):
            return
        self._last_draw = now
        elapsed = max(now - self._started, 1e-6)
        speed = (done - self._start_bytes) / elapsed
        eta = (self.total - done) / speed if speed > 0 else float("inf")
        width = 24
        filled = int(width * done / self.total) if self.total else width
        bar = "█" * filled + "·" * (width - filled)
        line = (
            f"\r{self.label} {bar} {human_size(done)}/{human_size(self.total)} "
            f"{human_size(speed)}/s ETA {_clock(eta)}"
        )
        self.stream.write(line + "\x1b[K")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    if seconds == float("inf"):
        return "--:--"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"
