"""Groundswell: trend intelligence from online communities and public event logs.

The public Python API::

    from groundswell import Workspace, ImportOptions
    ws = Workspace.init("my-workspace")
    ws.import_("reddit", ["RC_2020-03.zst"])
    ws.sql("SELECT source_id, count(*) FROM posts GROUP BY 1")
"""

__version__ = "0.1.0"

from groundswell.errors import (
    ConfigError,
    GroundswellError,
    HostileInputError,
    ImportError_,
    QueryError,
    RecordError,
    StoreBusyError,
    UnknownFormatError,
    WorkspaceError,
)
from groundswell.ingest import ImportResult
from groundswell.sources.base import (
    Importer,
    ImportOptions,
    JsonLinesImporter,
    ReadContext,
    Reject,
    SourceInfo,
    register,
    registry,
)
from groundswell.workspace import Workspace

__all__ = [
    "ConfigError",
    "GroundswellError",
    "HostileInputError",
    "ImportError_",
    "ImportOptions",
    "ImportResult",
    "Importer",
    "JsonLinesImporter",
    "QueryError",
    "ReadContext",
    "RecordError",
    "Reject",
    "SourceInfo",
    "StoreBusyError",
    "UnknownFormatError",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "register",
    "registry",
]
