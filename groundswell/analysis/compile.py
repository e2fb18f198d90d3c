"""Metric definitions compiled to Ibis expressions (DuckDB now; the same expressions run on
the PySpark backend later).

Every field a definition names is checked against the table's columns, and every value is
cast to the column's type and handed to Ibis as a typed literal, which the SQL compiler quotes:
no text from a definition is ever pasted into SQL, so filters from untrusted callers are safe.
The only backend-specific pieces are built-in functions declared once below: three
(``epoch_us``, ``divide``, ``make_date``) number calendar periods, and two (``bitstring_agg``,
``bit_count``) count distinct authors exactly as bitmaps over their dense account numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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

BUILTIN = {"posts": "time", "indicators": "time", "account_snapshots": "time", "returns": "time"}
FACET = "facet_"  # facet columns are facet_0, facet_1
SOURCE = "source_id"
OTHER = "other"


@ibis.udf.scalar.builtin(name="epoch_us")
def _epoch_us(ts: dt.Timestamp(timezone="UTC")) -> dt.int64:  # type: ignore[valid-type]
    """Microseconds since 1970-01-01 UTC."""


@ibis.udf.scalar.builtin(name="divide")
def _div(a: dt.int64, b: dt.int64) -> dt.int64:
    """Integer division (times here are after 1970, so it is floor division)."""


@ibis.udf.scalar.builtin(name="make_date")
def _date(days: dt.int32) -> dt.date:
    """The date ``days`` days after 1970-01-01."""


@ibis.udf.agg.builtin(name="bitstring_agg")
def _bitmap(x: dt.int32, lo: dt.int32, hi: dt.int32) -> dt.binary:
    """A bitstring of ``hi - lo + 1`` bits with bit ``x - lo`` set for every ``x`` (each in
    [lo, hi]); null when there is none."""


@ibis.udf.scalar.builtin(name="bit_count")
def _bit_count(bits: dt.binary) -> dt.int64:
    """The number of bits set."""


# Distinct authors are counted as one bitmap per group over the account numbers when the
# bitmaps (groups x accounts / 8 bytes, per thread) fit in this; else with count(DISTINCT).
BITMAP_BUDGET = 256 * 2**20


US_HOUR, US_DAY = 3_600_000_000, 86_400_000_000
EPOCH = datetime(1970, 1, 1)


def offsets(zone: ZoneInfo, lo: datetime, hi: datetime) -> list[tuple[int, int]]:
    """The zone's UTC offsets over [lo, hi] as (from epoch µs, offset µs), first from -inf:
    found by sampling every day and bisecting each change to the second."""

    def off(t: datetime) -> int:
        u = t.astimezone(zone).utcoffset()
        return int(u.total_seconds()) * 1_000_000 if u else 0

    lo, hi = lo.astimezone(UTC) - timedelta(days=1), hi.astimezone(UTC) + timedelta(days=1)
    out = [(-(2**62), off(lo))]
    t = lo
    while t < hi:
        nxt = min(t + timedelta(days=1), hi)
        if off(nxt) != off(t):
            a, b = t, nxt  # the change lies in (a, b]
            while b - a > timedelta(seconds=1):
                mid = a + (b - a) / 2
                a, b = (a, mid) if off(mid) != off(a) else (mid, b)
            b = b.replace(microsecond=0)
            out.append(
                (int((b - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * 1_000_000, off(b))
            )
        t = nxt
    return out


def period_key(
    col: ir.TimestampValue, period: str, shifts: list[tuple[int, int]]
) -> ir.IntegerValue:
    """The local period of a UTC time as an integer, with integer arithmetic (five times
    faster than truncating timestamps): hours or days since 1970-01-01 local time, weeks
    since the Monday 1969-12-29, months since January 1970 (quarters and years from them)."""
    us = _epoch_us(col)
    if len(shifts) == 1:
        local = us + shifts[0][1] if shifts[0][1] else us
    else:  # the offset before each change, the last one after all
        local = us + ibis.cases(
            *(
                (us < ibis.literal(shifts[i][0], "int64"), shifts[i - 1][1])
                for i in range(1, len(shifts))
            ),
            else_=ibis.literal(shifts[-1][1], "int64"),
        )
    if period == "hour":
        return _div(local, ibis.literal(US_HOUR, "int64"))
    days = _div(local, ibis.literal(US_DAY, "int64"))
    if period == "day":
        return days
    if period == "week":
        return _div(days + 3, ibis.literal(7, "int64"))
    day = _date(days.cast("int32"))  # (a third faster than from a timestamp)
    months = day.year().cast("int64") * 12 + day.month().cast("int64") - 1 - 1970 * 12
    if period == "month":
        return months
    if period == "quarter":
        return _div(months, ibis.literal(3, "int64"))
    return _div(months, ibis.literal(12, "int64"))


def key_of(period: str, local: datetime) -> int:
    """The number ``period_key`` gives the period holding the naive local time ``local``."""
    if period == "hour":
        return (local - EPOCH) // timedelta(hours=1)
    days = (local - EPOCH).days
    if period == "day":
        return days
    if period == "week":
        return (days + 3) // 7
    months = (local.year - 1970) * 12 + local.month - 1
    return months // {"month": 1, "quarter": 3, "year": 12}[period]


def shift(period: str, local: datetime, n: int = 0) -> datetime:
    """The start of the period ``n`` periods after the one holding the naive local time
    ``local`` (0: its own start; -1: the one before)."""
    return key_start(period, key_of(period, local) + n)


def key_start(period: str, key: int) -> datetime:
    """The naive local start of the period ``period_key`` numbered ``key``."""
    if period == "hour":
        return EPOCH + timedelta(hours=key)
    if period == "day":
        return EPOCH + timedelta(days=key)
    if period == "week":
        return EPOCH + timedelta(days=key * 7 - 3)
    months = {"month": 1, "quarter": 3, "year": 12}[period] * key
    return datetime(1970 + months // 12, months % 12 + 1, 1)


@dataclass(frozen=True)
class Target:
    """The table a metric reads: its name in the store, its time column, and whether it
    carries ``source_id`` (so coverage spans apply)."""

    table: str
    time: str
    sourced: bool


class Engine:
    """The Ibis backend over a store connection, with its table objects kept (reading a
    table's schema costs about 20 ms, more than a small query)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.ib = ibis.duckdb.from_connection(con)
        self._tables: dict[str, ir.Table] = {}
        self._distinct: dict[tuple[str, str], float] = {}

    def table(self, name: str) -> ir.Table:
        if name not in self._tables:
            self._tables[name] = self.ib.table(name)
        return self._tables[name]

    def columns(self, expr: ir.Table) -> dict[str, list[Any]]:
        return dict(self.ib.to_pyarrow(expr).to_pydict())

    def accounts(self) -> int:
        """The highest account number (0: none). Read on every query: an import since may
        have added accounts."""
        return int(
            self.con.execute("SELECT coalesce(max(account), 0) FROM accounts").fetchall()[0][0]
        )

    def distinct_values(self, table: str, column: str) -> float:
        """About how many distinct non-null values ``column`` holds (HyperLogLog; inf when it
        cannot be counted), counted once per engine: an estimate only chooses how to count.
        (DuckDB's own statistics are not used: an UPDATE leaves their distinct count stale.)"""
        if (table, column) not in self._distinct:
            q = '"' + table.replace('"', '""') + '"'
            c = '"' + column.replace('"', '""') + '"'
            try:
                rows = self.con.execute(f"SELECT approx_count_distinct({c}) FROM {q}").fetchall()
                self._distinct[(table, column)] = float(rows[0][0])
            except duckdb.Error:
                self._distinct[(table, column)] = float("inf")
        return self._distinct[(table, column)]

    def threads(self) -> int:
        return int(self.con.execute("SELECT current_setting('threads')").fetchall()[0][0])

    def time_range(self, tgt: Target) -> tuple[datetime, datetime] | None:
        """The first and last time in a table (from DuckDB's statistics: about a millisecond;
        read every time, so rows written since are in)."""
        q = '"' + tgt.table.replace('"', '""') + '"'
        c = '"' + tgt.time.replace('"', '""') + '"'
        lo, hi = self.con.execute(f"SELECT min({c}), max({c}) FROM {q}").fetchall()[0]
        return None if lo is None else (lo, hi)


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


def relation(eng: Engine, metric: Metric) -> tuple[ir.Table, Target]:
    """The metric's rows: its table filtered by ``where``."""
    tgt = target(eng.con, metric)
    t = eng.table(tgt.table)
    _column(t, tgt.time, metric, "time")
    if not isinstance(t[tgt.time].type(), dt.Timestamp):
        raise MetricError(f"time column {tgt.time!r} is not a timestamp", metric=metric.name)
    for f in metric.where:
        t = t.filter(_condition(eng, t, f, metric))
    return t, tgt


def aggregate(
    eng: Engine,
    metric: Metric,
    timezone: str,
    *,
    period: str | None,
    since: datetime | None = None,
    until: datetime | None = None,
    keep: list[str] | None = None,
    by_source: bool = False,
) -> ir.Table:
    """The metric per local ``period`` (column ``period``: the period's number, see
    ``period_key``, ``key_start``) and facet (``facet_0``, ``facet_1``), and per ``source_id`` when
    ``by_source`` (for measures that add up): columns ``value``, ``last`` (the latest
    time), and ``total`` (rows matching ``where``) for a share. ``keep``: the first facet's values
    kept by a top-N; the others become ``other``."""
    t, tgt = _bounded(eng, metric, since, until)
    if _of_accounts(tgt, metric, t):
        t = _persons(eng, t)
    adds_up = metric.measure in ("count", "sum")  # (a share's parts are counts)
    fold_after = keep is not None and adds_up  # fold into "other" after counting: cheaper
    groups: dict[str, ir.Value] = {}
    periods = 1
    if period is not None:  # (None: the whole range as one)
        span = eng.time_range(tgt) or (datetime.now(UTC), datetime.now(UTC))
        lo = max(span[0], since) if since else span[0]
        hi = min(span[1], until) if until else span[1]
        zone = ZoneInfo(timezone)
        shifts = offsets(zone, min(lo, hi), hi)
        groups["period"] = period_key(t[tgt.time], period, shifts)
        first_, last_ = (key_of(period, x.astimezone(zone).replace(tzinfo=None)) for x in (lo, hi))
        periods = max(last_ - first_ + 1, 1)
    groups.update(_facets(t, metric, None if fold_after else keep))
    by_source = by_source and source_facet(metric) is None  # (else the facet says it)
    if by_source:
        groups["source_id"] = t.source_id
    value = _measure(t, metric)
    if _of_accounts(tgt, metric, t):
        value = _distinct_accounts(eng, t, _groups(eng, tgt, metric, keep, periods, by_source))
    aggs = {"value": value, "last": t[tgt.time].max()}
    if metric.share:
        cond = ibis.and_(*(_condition(eng, t, f, metric) for f in metric.share))
        aggs["value"] = cond.cast("int64").sum()
        aggs["total"] = t.count()
    counted = t.group_by(**groups).aggregate(**aggs) if groups else t.aggregate(**aggs)
    if not fold_after:
        return counted
    assert keep is not None
    first = counted[f"{FACET}0"]
    folded = counted.mutate(
        **{f"{FACET}0": ibis.cases((first.isin(keep), first), else_=ibis.literal(OTHER))}
    )
    sums = {"value": folded.value.sum(), "last": folded["last"].max()}
    if metric.share:
        sums["total"] = folded.total.sum()
    return folded.group_by([c for c in groups]).aggregate(**sums)


def source_facet(metric: Metric) -> int | None:
    """Which facet column holds the source itself (not folded into "other" by a top-N)."""
    fields = [field_name(f) for f in metric.by]
    if SOURCE not in fields:
        return None
    i = fields.index(SOURCE)
    return None if i == 0 and metric.top else i


def ranking(
    eng: Engine, metric: Metric, *, since: datetime | None, until: datetime | None
) -> ir.Table:
    """Values of the first facet field ranked for a top-N: by the metric's total when it is a
    count or a sum, else by rows."""
    t, _ = _bounded(eng, metric, since, until)
    key = _facet(t, metric, metric.by[0])
    weight = _measure(t, metric) if metric.additive else t.count()
    return (
        t.group_by(key=key)
        .aggregate(weight=weight)
        .order_by([ibis.desc("weight"), "key"])
        .limit(metric.top)
    )


def sources(
    eng: Engine,
    metric: Metric,
    *,
    since: datetime | None,
    until: datetime | None,
    keep: list[str] | None,
) -> ir.Table:
    """Per facet and source, the latest time: which sources' coverage applies to which
    facet (for measures whose rows cannot carry the source)."""
    t, tgt = _bounded(eng, metric, since, until)
    return t.group_by(source_id=t.source_id, **_facets(t, metric, keep)).aggregate(
        last=t[tgt.time].max()
    )


# -- pieces --------------------------------------------------------------------------------
def _bounded(
    eng: Engine, metric: Metric, since: datetime | None, until: datetime | None
) -> tuple[ir.Table, Target]:
    t, tgt = relation(eng, metric)
    time = t[tgt.time]
    if since is not None:
        t = t.filter(time >= ibis.literal(since.astimezone(UTC), type=time.type()))
    if until is not None:
        t = t.filter(t[tgt.time] < ibis.literal(until.astimezone(UTC), type=time.type()))
    return t, tgt


def _facet(t: ir.Table, metric: Metric, name: str) -> ir.Value:
    return _column(t, field_name(name), metric, "by").cast("string").fill_null("(none)")


def _facets(t: ir.Table, metric: Metric, keep: list[str] | None) -> dict[str, ir.Value]:
    out: dict[str, ir.Value] = {}
    for i, f in enumerate(metric.by):
        col = _facet(t, metric, f)
        if i == 0 and keep is not None:
            col = ibis.cases((col.isin(keep), col), else_=ibis.literal(OTHER)) if keep else col
        out[f"{FACET}{i}"] = col
    return out


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
        scale = DURATION_UNITS[metric.unit or "minutes"] * 1e6
        x = (_epoch_us(b) - _epoch_us(a)).cast("float64") / scale
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


def _of_accounts(tgt: Target, metric: Metric, t: ir.Table) -> bool:
    """Whether the metric counts distinct authors of posts (counted over their accounts)."""
    return (
        metric.measure == "distinct"
        and not metric.share
        and not metric.duration
        and tgt.table == "posts"
        and metric.column is not None
        and field_name(metric.column) == "author_id"
        and "account" in t.columns
    )


def _groups(
    eng: Engine,
    tgt: Target,
    metric: Metric,
    keep: list[str] | None,
    periods: int,
    by_source: bool,
) -> float:
    """About how many groups an aggregation makes, at most: periods times the values of each
    facet (a top-N's kept ones and "other"; else the column's distinct values with a margin for
    the estimate's error, and "(none)")."""
    n = float(periods)
    fields = [field_name(f) for f in metric.by] + (["source_id"] if by_source else [])
    for i, f in enumerate(fields):
        if i == 0 and keep:
            n *= len(keep) + 1
        else:
            n *= eng.distinct_values(tgt.table, f) * 1.25 + 1
    return n


def _persons(eng: Engine, t: ir.Table) -> ir.Table:
    """The posts with each account replaced by its person (``accounts.person``), so that
    confirmed aliases count once; the posts as they are when no alias is confirmed (one cheap
    query: the fast path stays untouched)."""
    found = eng.con.execute("SELECT 1 FROM accounts WHERE person IS NOT NULL LIMIT 1").fetchall()
    if not found:
        return t
    a = eng.table("accounts")
    persons = a.filter(a.person.notnull()).select(_acc=a.account, _person=a.person)
    joined = t.left_join(persons, t.account == persons._acc)
    return joined.mutate(account=joined._person.coalesce(joined.account)).drop("_acc", "_person")


def _distinct_accounts(eng: Engine, t: ir.Table, groups: float) -> ir.Scalar:
    """Distinct accounts, exactly: as a bitmap per group over the dense account numbers
    (about five times faster than count(DISTINCT)) when the bitmaps fit in BITMAP_BUDGET, else
    count(DISTINCT account)."""
    top = eng.accounts()
    if not top or groups * ((top + 7) // 8) * eng.threads() > BITMAP_BUDGET:
        return t.account.nunique()
    bitmap = _bitmap(t.account, ibis.literal(1, "int32"), ibis.literal(top, "int32"))
    return _bit_count(bitmap).fill_null(0)


def _condition(eng: Engine, t: ir.Table, f: Filter, metric: Metric) -> ir.BooleanValue:
    if f.field in DERIVED:
        return _derived(eng, t, f, metric)
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


def _derived(eng: Engine, t: ir.Table, f: Filter, metric: Metric) -> ir.BooleanValue:
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
    ind = eng.table("indicators")
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
