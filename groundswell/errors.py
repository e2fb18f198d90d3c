"""Errors: one root, one base per area, each carrying the context a user needs to act.

The CLI prints ``str(error)`` as a one-line message and exits with ``error.exit_code``;
tracebacks are reserved for bugs, never for user errors.
"""

from __future__ import annotations

from typing import TypeVar


class GroundswellError(Exception):
    """Root of every error Groundswell raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if hint is None else f"{message} ({hint})")


class WorkspaceError(GroundswellError):
    """The workspace directory is missing, not a workspace, or of another schema version."""

    exit_code = 2


class ConfigError(WorkspaceError):
    """The workspace config file has a bad value; ``key`` names it."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"groundswell.toml: [{key}] {message}")


class StoreBusyError(WorkspaceError):
    """Another process holds the store; ``holder`` says who, when we know."""

    exit_code = 3

    def __init__(self, message: str, *, holder: dict[str, object] | None = None) -> None:
        self.holder = holder or {}
        super().__init__(message)


class ImportError_(GroundswellError):
    """An import could not run or was stopped; ``path`` and ``location`` say where."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        location: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = path
        self.location = location
        where = path or ""
        if location:
            where = f"{where}:{location}" if where else location
        super().__init__(f"{where}: {message}" if where else message, hint=hint)


class HostileInputError(ImportError_):
    """The input file itself is unusable (truncated, a bomb, not the declared format)."""


class RecordError(GroundswellError):
    """One record is malformed. Raised inside importers; the pipeline quarantines it."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class UnknownFormatError(GroundswellError):
    """No importer is registered under the requested name."""

    exit_code = 2


class QueryError(GroundswellError):
    """A query or table name passed to the store is invalid."""

    exit_code = 2


class MetricError(GroundswellError):
    """A metric definition or trend request is invalid (names the metric and the key)."""

    exit_code = 2

    def __init__(self, message: str, *, metric: str | None = None, hint: str | None = None):
        super().__init__(f"metric {metric!r}: {message}" if metric else message, hint=hint)
        self.metric = metric


class ReportError(GroundswellError):
    """A report spec is invalid (names the key that holds the mistake) or cannot be built."""

    exit_code = 2


E = TypeVar("E", bound=GroundswellError)


def fresh(error: E) -> E:
    """A new exception like ``error``, without its traceback. Raise this when an error is kept
    and raised again (a stream that fails on every read): a kept exception that is re-raised
    collects every frame it passes through, and with them the store."""
    copy = type(error).__new__(type(error))
    copy.__dict__.update(error.__dict__)
    copy.args = error.args
    return copy
