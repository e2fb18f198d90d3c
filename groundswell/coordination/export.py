"""Writing a coordination result to files: tables for scripts, a network for Gephi.

:func:`write` puts the chosen formats in one directory, under fixed names, each written to a
temporary file beside it and renamed (a reader never sees half a file):

========== =========================================================================
format     files
========== =========================================================================
csv        ``edges.csv accounts.csv clusters.csv evidence.csv objects.csv``: lists
           joined with ``"; "``, times as ISO 8601 in UTC (``2024-03-01T10:00:00Z``)
parquet    the same five tables as ``.parquet``, exactly the Arrow tables
gexf       ``network.gexf``: accounts as nodes, edges with their figures (Gephi)
graphml    ``network.graphml``: the same network
(always)   ``settings.json``: the result's summary (traces, settings, counts) and scope
========== =========================================================================

The network (:func:`to_networkx`) has one node per account (its id is the account number,
its label the author's name) and one edge per pair of accounts that passed the filters.
Attribute values are made what GEXF and GraphML can hold (text, whole numbers, decimals,
yes/no; times as ISO 8601 text; characters XML cannot carry dropped) and missing values
are left out. Example::

    result = ws.coordination(["url", "crypto"], Settings(window=600))
    write(result, Path("nova-campaign"), ["csv", "gexf"])
    # [.../edges.csv, ..., .../network.gexf, .../settings.json]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from groundswell.csvfile import write_csv
from groundswell.errors import QueryError
from groundswell.report.render import atomic

if TYPE_CHECKING:
    import networkx as nx

    from groundswell.coordination.detect import Coordination

FORMATS = ("csv", "parquet", "gexf", "graphml")
TABLES = ("edges", "accounts", "clusters", "evidence", "objects")
NODE_FIELDS = (
    "source_id", "author_id", "name", "cluster", "community", "first_seen", "posts", "degree",
    "strength",
)  # fmt: skip
EDGE_FIELDS = (
    "weight", "objects", "pairs", "fast_objects", "mean_delta", "min_delta", "first", "last",
    "cluster",
)  # fmt: skip
LIST_SEPARATOR = "; "
# characters XML 1.0 cannot hold, even escaped (control characters, surrogates, U+FFFE/F)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def check(formats: Sequence[str]) -> tuple[str, ...]:
    """The formats, each once, in the order given; an unknown one is a one-line error."""
    wanted = tuple(dict.fromkeys(f.strip().lower() for f in formats if f.strip()))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise QueryError(
            f"unknown export format {', '.join(unknown)}" if unknown else "no export format",
            hint="one or more of " + ", ".join(FORMATS),
        )
    return wanted


def write(result: Coordination, directory: Path, formats: Sequence[str]) -> list[Path]:
    """Write ``result`` in ``formats`` (see the module docstring) into ``directory`` (made if
    missing); the paths written, ``settings.json`` last."""
    wanted = check(formats)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for fmt in wanted:
        if fmt in ("csv", "parquet"):
            for name in TABLES:
                table: pa.Table = getattr(result, name)
                path = directory / f"{name}.{fmt}"
                with atomic(path) as tmp:
                    if fmt == "csv":
                        write_csv(csv_ready(table), tmp)
                    else:
                        pq.write_table(table, tmp)
                written.append(path)
        else:
            import networkx as nx

            path = directory / f"network.{fmt}"
            graph = to_networkx(result)
            with atomic(path) as tmp:
                if fmt == "gexf":
                    nx.write_gexf(graph, tmp)
                else:
                    nx.write_graphml(graph, tmp)
            written.append(path)
    path = directory / "settings.json"
    with atomic(path) as tmp:
        tmp.write_bytes(orjson.dumps(settings(result), option=orjson.OPT_INDENT_2) + b"\n")
    written.append(path)
    return written


def settings(result: Coordination) -> dict[str, Any]:
    """How the result was made: its summary, and the posts it read (the scope)."""
    scope = result.scope
    return {
        **result.summary(),
        "scope": {
            "since": scope.since.isoformat() if scope.since else None,
            "until": scope.until.isoformat() if scope.until else None,
            "sources": list(scope.sources),
            "posts": None if scope.posts is None else len(scope.posts),
        },
    }


def csv_ready(table: pa.Table) -> pa.Table:
    """``table`` with its lists joined by ``"; "`` and its times as ISO 8601 UTC text."""
    columns = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type):
            column = pc.strftime(_whole_seconds(column), format="%Y-%m-%dT%H:%M:%SZ")
        elif pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
            column = pc.binary_join(column.cast(pa.list_(pa.string())), LIST_SEPARATOR)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def _whole_seconds(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Times in UTC, in seconds when no value has a fraction of one (the detection's times
    are whole seconds), so that ISO text shows none."""
    try:
        return column.cast(pa.timestamp("s", tz="UTC"))
    except pa.ArrowInvalid:  # fractions: keep them
        return column.cast(pa.timestamp("us", tz="UTC"))


def to_networkx(result: Coordination) -> nx.Graph:
    """The account network: nodes are accounts, edges pairs of accounts that passed."""
    import networkx as nx

    graph = nx.Graph()
    for row in result.accounts.to_pylist():
        attrs = _attributes(row, NODE_FIELDS)
        label = row["name"] or row["author_id"]
        if label:
            attrs["label"] = _xml_text(label)
        graph.add_node(row["account"], **attrs)
    for row in result.edges.to_pylist():
        graph.add_edge(row["a"], row["b"], **_attributes(row, EDGE_FIELDS))
    return graph


def _attributes(row: dict[str, Any], fields: Sequence[str]) -> dict[str, str | int | float]:
    """The values GEXF and GraphML can hold; None left out."""
    out: dict[str, str | int | float] = {}
    for f in fields:
        value = _value(row[f])
        if value is not None:
            out[f] = value
    return out


def _value(value: Any) -> str | int | float | None:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, list | tuple):
        return _xml_text(LIST_SEPARATOR.join(str(v) for v in value))
    return _xml_text(str(value))


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)
