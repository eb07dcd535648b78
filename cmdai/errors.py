"""The CmdaiError tree: every failure a user can meet, with its message, hint and exit code.

`cli.main` is the only place these become output and exit statuses. A message says what went
wrong in one sentence; a hint says what to do about it.
"""

from __future__ import annotations


class CmdaiError(Exception):
    """Base of every error cmdai reports to a user instead of a traceback."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(CmdaiError):
    """The command line itself is wrong."""

    exit_code = 2


class ConfigError(CmdaiError):
    """A config file, environment variable or flag has an invalid value."""

    exit_code = 3


class ModelError(CmdaiError):
    """A model is unknown, missing, or its file is unusable."""

    exit_code = 4


class DownloadError(ModelError):
    """No source could deliver a verified copy of a model."""

    exit_code = 5


class IntegrityError(DownloadError):
    """Bytes from a source did not match the pinned size or sha256."""


class SourceUnavailable(DownloadError):
    """A source could not be reached or does not have the artifact."""


class DiskFull(ModelError):
    """Not enough disk space to write a model (checked before, or met while writing)."""


class BackendError(CmdaiError):
    """The inference backend failed to load or to generate."""

    exit_code = 6


class BackendUnavailable(BackendError):
    """The backend cannot answer at all: server down or refusing, model missing, key rejected.
    A fallback chain passes the request on to its next backend."""


class GenerationError(CmdaiError):
    """The model answered, but not with a usable command."""

    exit_code = 7


class Blocked(CmdaiError):
    """The safety check refused to run a command."""

    exit_code = 8


class Cancelled(CmdaiError):
    """The user cancelled (Ctrl-C)."""

    exit_code = 130
