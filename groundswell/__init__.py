"""Groundswell: trend intelligence from online communities and public event logs.

The public Python API::

    from groundswell import Workspace, ImportOptions
    ws = Workspace.init("my-workspace")
    ws.import_("reddit", ["RC_2020-03.zst"])
    ws.sql("SELECT source_id, count(*) FROM posts GROUP BY 1")
"""

__version__ = "0.1.0"

from groundswell.errors import (  # noqa: E402
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
from groundswell.ingest import ImportResult  # noqa: E402
from groundswell.sources.base import (  # noqa: E402
    ImportOptions,
    Importer,
    JsonLinesImporter,
    ReadContext,
    Reject,
    SourceInfo,
    register,
    registry,
)
from groundswell.workspace import Workspace  # noqa: E402

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
    "__version__",
    "register",
    "registry",
]
