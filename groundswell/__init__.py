"""Groundswell: trend intelligence from online communities and public event logs.

The public Python API::

    from groundswell import Workspace, ImportOptions
    ws = Workspace.init("my-workspace")
    ws.import_("reddit", ["RC_2020-03.zst"])
    ws.sql("SELECT source_id, count(*) FROM posts GROUP BY 1")
    ws.trend(Metric(period="week", by=("source",)))       # posts per week per source
    ws.trend("file_sharing_index")                         # a metric named in the config
"""

__version__ = "0.1.0"

from groundswell.analysis.metrics import Filter, Metric, parse_filter, parse_filters
from groundswell.analysis.series import Series
from groundswell.analysis.transforms import Transform
from groundswell.errors import (
    ConfigError,
    GroundswellError,
    HostileInputError,
    ImportError_,
    MetricError,
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
    "Filter",
    "GroundswellError",
    "HostileInputError",
    "ImportError_",
    "ImportOptions",
    "ImportResult",
    "Importer",
    "JsonLinesImporter",
    "Metric",
    "MetricError",
    "QueryError",
    "ReadContext",
    "RecordError",
    "Reject",
    "Series",
    "SourceInfo",
    "StoreBusyError",
    "Transform",
    "UnknownFormatError",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "parse_filter",
    "parse_filters",
    "register",
    "registry",
]
