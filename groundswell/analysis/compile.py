"""Metric definitions compiled to Ibis expressions (DuckDB now; the same expressions run on
the PySpark backend later).

Every field a definition names is checked against the table's columns, and every value is
cast to the column's type and handed to Ibis as a typed literal, which the SQL compiler quotes:
no text from a definition is ever pasted into SQL, so filters from untrusted callers are safe.
The only backend-specific piece is the conversion of UTC times to local wall-clock time
(``_local``), in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from groundswell.analysis.metrics import (
    DERIVED,
    DURATION_UNITS,
    PERCENTILE,
    Filter,
    Metric,
    field_name,
)
from groundswell.errors import MetricError

BUILTIN = {"posts": "time", "indicators": "time", "account_snapshots": "time"}
TRUNCATE = {"hour": "h", "day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}
FACET = "facet_"  # facet columns are facet_0, facet_1
OTHER = "other"


@ibis.udf.scalar.builtin(name="timezone")
def _timezone(zone: str, ts: dt.Timestamp(timezone="UTC")) -> dt.Timestamp():  # type: ignore[valid-type]
    """DuckDB's ``timezone(zone, timestamptz)``: the wall-clock time in ``zone``."""


@dataclass(frozen=True)
class Target:
    """The table a metric reads: its name in the store, its time column, and whether it
    carries ``source_id`` (so coverage spans apply)."""

    table: str
    time: str
    sourced: bool


def backend(con: duckdb.DuckDBPyConnection) -> Any:
    """The Ibis backend over the store's connection."""
    return ibis.duckdb.from_connection(con)


def target(con: duckdb.DuckDBPyConnection, metric: Metric) -> Target:
    """Where ``metric.table`` lives: a built-in table, or an imported event table."""
    if metric.table in BUILTIN:
        time = metric.time or BUILTIN[metric.table]
        return Target(metric.table, time, metric.table != "account_snapshots")
    found = con.execute(
        "SELECT table_name, time_column FROM event_tables WHERE name = ?", [metric.table]
    ).fetchall()
    row = found[0] if found else None
    if row is None:
        names = [r[0] for r in con.execute("SELECT name FROM event_tables ORDER BY 1").fetchall()]
        raise MetricError(
            f"no table {metric.table!r}",
            metric=metric.name or None,
            hint="tables: " + ", ".join([*BUILTIN, *names]),
        )
    return Target(row[0], metric.time or row[1], False)


def relation(ib: Any, con: duckdb.DuckDBPyConnection, metric: Metric) -> tuple[ir.Table, Target]:
    """The metric's rows: its table filtered by ``where``, with the columns it needs."""
    tgt = target(con, metric)
    t = ib.table(tgt.table)
    _column(t, tgt.time, metric, "time")
    if not isinstance(t[tgt.time].type(), dt.Timestamp):
        raise MetricError(f"time column {tgt.time!r} is not a timestamp", metric=metric.name)
    for f in metric.where:
        t = t.filter(_condition(ib, t, f, metric))
    return t, tgt


def aggregate(
    ib: Any,
    con: duckdb.DuckDBPyConnection,
    metric: Metric,
    timezone: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    keep: dict[str, list[str]] | None = None,
    period: str | None = None,
) -> ir.Table:
    """The metric per local period (column ``period``, wall-clock time in ``timezone``) and
    facet (``facet_0``, ``facet_1``): column ``value``, plus ``total`` (rows matching
    ``where``) for a share. ``keep`` maps the first facet to the values kept by a top-N;
    others become ``other``."""
    t, tgt = relation(ib, con, metric)
    time = t[tgt.time]
    if since is not None:
        t = t.filter(time >= ibis.literal(since.astimezone(UTC), type=time.type()))
    if until is not None:
        t = t.filter(t[tgt.time] < ibis.literal(until.astimezone(UTC), type=time.type()))
    unit = TRUNCATE[period or metric.period]
    local = _timezone(ibis.literal(timezone), t[tgt.time])
    groups: dict[str, ir.Value] = {"period": local.truncate(unit)}
    for i, f in enumerate(metric.by):
        col = _column(t, field_name(f), metric, "by").cast("string").fill_null("(none)")
        if i == 0 and keep is not None:
            kept = keep.get(FACET + "0", [])
            col = ibis.cases((col.isin(kept), col), else_=ibis.literal(OTHER)) if kept else col
        groups[f"{FACET}{i}"] = col
    aggs = {"value": _measure(t, metric)}
    if metric.share:
        cond = ibis.and_(*(_condition(ib, t, f, metric) for f in metric.share))
        aggs = {"value": cond.cast("int64").sum(), "total": t.count()}
    return t.group_by(**groups).aggregate(**aggs)


def ranking(
    ib: Any,
    con: duckdb.DuckDBPyConnection,
    metric: Metric,
    *,
    since: datetime | None,
    until: datetime | None,
) -> ir.Table:
    """Values of the first facet field ranked for a top-N: by the metric's total when it is a
    count or a sum, else by rows."""
    t, tgt = relation(ib, con, metric)
    if since is not None:
        t = t.filter(t[tgt.time] >= ibis.literal(since.astimezone(UTC), type=t[tgt.time].type()))
    if until is not None:
        t = t.filter(t[tgt.time] < ibis.literal(until.astimezone(UTC), type=t[tgt.time].type()))
    key = _column(t, field_name(metric.by[0]), metric, "by").cast("string").fill_null("(none)")
    weight = _measure(t, metric) if metric.additive else t.count()
    return (
        t.group_by(key=key)
        .aggregate(weight=weight)
        .order_by([ibis.desc("weight"), "key"])
        .limit(metric.top)
    )


def sources(ib: Any, con: duckdb.DuckDBPyConnection, metric: Metric) -> ir.Table:
    """The distinct (facet, source) pairs of the metric's rows: which sources' coverage
    applies to which facet."""
    t, _ = relation(ib, con, metric)
    groups = {
        f"{FACET}{i}": _column(t, field_name(f), metric, "by").cast("string").fill_null("(none)")
        for i, f in enumerate(metric.by)
    }
    return t.select(source_id=t.source_id, **groups).distinct()


# -- pieces --------------------------------------------------------------------------------
def _column(t: ir.Table, name: str, metric: Metric, key: str) -> ir.Column:
    if name not in t.columns:
        visible = [c for c in t.columns if not c.startswith("_")]
        raise MetricError(
            f"{key}: no column {name!r} in {metric.table}",
            metric=metric.name or None,
            hint="columns: " + ", ".join(visible),
        )
    return t[name]


def _measure(t: ir.Table, metric: Metric) -> ir.Scalar:
    m = metric.measure
    if m == "count":
        return t.count()
    if metric.duration:
        a = _column(t, metric.duration[0], metric, "duration")
        b = _column(t, metric.duration[1], metric, "duration")
        for c, name in ((a, metric.duration[0]), (b, metric.duration[1])):
            if not isinstance(c.type(), dt.Timestamp):
                raise MetricError(f"duration: {name!r} is not a timestamp", metric=metric.name)
        scale = DURATION_UNITS[metric.unit or "minutes"]
        x = (b.epoch_seconds() - a.epoch_seconds()) / scale
    else:
        assert metric.column is not None
        x = _column(t, field_name(metric.column), metric, "column")
        if m != "distinct" and not isinstance(x.type(), dt.Numeric | dt.Boolean):
            raise MetricError(
                f"{m} needs a numeric column; {metric.column!r} is {x.type()}",
                metric=metric.name,
            )
    if m == "distinct":
        return x.nunique()
    if isinstance(x.type(), dt.Boolean):
        x = x.cast("int64")
    if m == "sum":
        return x.sum()
    if m == "mean":
        return x.mean()
    if m == "median":
        return x.quantile(0.5)
    if m == "min":
        return x.min()
    if m == "max":
        return x.max()
    p = PERCENTILE.fullmatch(m)
    assert p is not None
    return x.quantile(int(p.group(1)) / 100)


def _condition(ib: Any, t: ir.Table, f: Filter, metric: Metric) -> ir.BooleanValue:
    if f.field in DERIVED:
        return _derived(ib, t, f, metric)
    col = _column(t, field_name(f.field), metric, "where")
    op = f.op
    if op == "is null":
        return col.isnull()
    if op == "is not null":
        return col.notnull()
    if op == "contains":
        value = str(f.value)
        if isinstance(col.type(), dt.Array):
            return col.contains(ibis.literal(value, type=col.type().value_type))
        if isinstance(col.type(), dt.String):
            return col.contains(ibis.literal(value, type="string"))
        raise MetricError(f"'contains' needs a list or text column; {f.field!r} is {col.type()}")
    if op == "startswith":
        if not isinstance(col.type(), dt.String):
            raise MetricError(f"'startswith' needs a text column; {f.field!r} is {col.type()}")
        return col.startswith(ibis.literal(str(f.value), type="string"))
    if op in ("in", "not in"):
        values = f.value if isinstance(f.value, tuple) else (str(f.value),)
        lits = [_literal(col, v, f, metric) for v in values]
        return col.isin(lits) if op == "in" else col.notin(lits)
    v = _literal(col, str(f.value), f, metric)
    return {
        "=": col == v,
        "!=": col != v,
        "<": col < v,
        "<=": col <= v,
        ">": col > v,
        ">=": col >= v,
    }[op]


def _derived(ib: Any, t: ir.Table, f: Filter, metric: Metric) -> ir.BooleanValue:
    """``lexicon = NAME``: rows with a hit in that lexicon (not in a quote); ``has = KIND``:
    rows with an indicator of that kind (not in a quote)."""
    if f.op not in ("=", "in"):
        raise MetricError(f"{f.field} takes '=' or 'in', got {f.op!r}", metric=metric.name)
    values = list(f.value) if isinstance(f.value, tuple) else [str(f.value)]
    if metric.table == "indicators":
        if f.field == "lexicon":
            return (t.kind == "lexicon") & t.subkind.isin(values)
        return t.kind.isin(values)
    if metric.table != "posts":
        raise MetricError(f"{f.field} applies to posts and indicators", metric=metric.name)
    ind = ib.table("indicators")
    ind = ind.filter(ind.in_quote.isnull() | ~ind.in_quote)
    if f.field == "lexicon":
        ind = ind.filter((ind.kind == "lexicon") & ind.subkind.isin(values))
    else:
        ind = ind.filter(ind.kind.isin(values))
    return t.uid.isin(ind.post_uid)


def _literal(col: ir.Column, text: str, f: Filter, metric: Metric) -> ir.Value:
    """``text`` as a literal of the column's type (a clear error when it is not one)."""
    typ = col.type()
    try:
        if isinstance(typ, dt.Boolean):
            low = text.strip().lower()
            if low not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return ibis.literal(low in ("true", "1", "yes"), type=typ)
        if isinstance(typ, dt.Integer):
            return ibis.literal(int(text), type=typ)
        if isinstance(typ, dt.Floating | dt.Decimal):
            return ibis.literal(float(text), type=typ)
        if isinstance(typ, dt.Timestamp):
            return ibis.literal(_when(text, metric), type=typ)
        if isinstance(typ, dt.Date):
            return ibis.literal(date.fromisoformat(text), type=typ)
    except ValueError:
        raise MetricError(
            f"where: {f.field} is {typ}, and {text!r} is not one", metric=metric.name or None
        ) from None
    return ibis.literal(text, type=typ if isinstance(typ, dt.String) else "string")


def _when(text: str, metric: Metric) -> datetime:
    d = datetime.fromisoformat(text)
    if d.tzinfo is None:
        d = d.replace(tzinfo=ZoneInfo(metric.timezone or "UTC"))
    return d.astimezone(UTC)
