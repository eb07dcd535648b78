"""Download progress: a bar with size, speed and ETA on a terminal, one plain line otherwise."""

from __future__ import annotations

import io

from cmdai.progress import Progress


class FakeTerminal(io.StringIO):
    """A text stream that says it is a terminal (no pty needed to check what is drawn)."""

    def isatty(self) -> bool:
        return True


def test_terminal_gets_a_bar_with_size_speed_and_eta() -> None:
    stream = FakeTerminal()
    progress = Progress("model", 10_000_000, stream)
    progress.update(0)
    progress.update(10_000_000)
    progress.close()
    last = stream.getvalue().split("\r")[-1]
    assert "model" in last and "10.0 MB/10.0 MB" in last and "/s" in last and "ETA" in last
    assert stream.getvalue().endswith("\n")


def test_pipe_gets_one_plain_line() -> None:
    stream = io.StringIO()
    progress = Progress("model", 5_000_000, stream)
    for done in range(0, 5_000_001, 500_000):
        progress.update(done)
    progress.close()
    assert stream.getvalue() == "model: downloading 5.0 MB…\n"
