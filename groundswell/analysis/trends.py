"""Running a metric: its values on a regular grid of calendar periods, per facet, with
coverage (a period no relevant source was collected in is *missing*, never zero) and the
projection of the current, incomplete period.

The steps: rank the first facet for a top-N (one query), aggregate per period and facet (one
query), look up which sources each facet draws on and their coverage spans, lay the values on
the grid (an empty covered period is a true zero for counts and sums), then project.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import numpy as np

from groundswell.analysis import compile as cc
from groundswell.analysis.metrics import Metric
from groundswell.analysis.series import MISSING, OBSERVED, PROJECTED, Series
from groundswell.config import check_timezone
from groundswell.coverage import merge_spans
from groundswell.errors import ConfigError, MetricError

WEIGHT_DAYS = 56  # days before the as-of time whose weekday profile scales a projection
INCOMPLETE = 28  # a period is incomplete when more than 1/28 of it remains after as_of
EMPTY_IS_ZERO = ("count", "sum", "distinct")  # measures of an empty covered period


def trend(
    con: duckdb.DuckDBPyConnection,
    metric: Metric,
    *,
    timezone: str = "UTC",
    since: datetime | None = None,
    until: datetime | None = None,
    as_of: datetime | None = None,
    project: bool = True,
) -> Series:
    """The series of ``metric``. ``since``/``until`` bound the time range in whole periods
    (both are moved back to the start of the period holding them; ``until`` is exclusive;
    naive times are in the metric's timezone). ``as_of`` is when collection stopped (default: the latest coverage end of the
    sources involved, or the latest record): later data is not counted, and the period
    holding it is projected when ``project`` and it was incomplete."""
    metric.check()
    tz = metric.timezone or timezone
    try:
        check_timezone("timezone", tz)
    except ConfigError as e:
        raise MetricError(e.message, metric=metric.name or None) from None
    zone = ZoneInfo(tz)
    since, until, as_of = (_aware(x, zone) for x in (since, until, as_of))
    if since is not None:  # whole periods only: from the start of the one holding since
        since = _utc(_floor(since.astimezone(zone).replace(tzinfo=None), metric.period), zone)
    if until is not None:  # ... and to the start of the one holding until
        until = _utc(_floor(until.astimezone(zone).replace(tzinfo=None), metric.period), zone)
    ib = cc.backend(con)
    tgt = cc.target(con, metric)
    spans = _coverage(con, ib, metric) if tgt.sourced else None
    if as_of is None:
        as_of = _latest(con, ib, metric, spans)
    if as_of is not None and (until is None or as_of < until):
        until = as_of + timedelta(microseconds=1)  # (as_of itself is in)
    keep = None
    if metric.top:
        ranked = ib.to_pyarrow(cc.ranking(ib, con, metric, since=since, until=until))
        keep = {cc.FACET + "0": [str(k) for k in ranked.column("key").to_pylist()]}
    rows = ib.to_pyarrow(
        cc.aggregate(ib, con, metric, tz, since=since, until=until, keep=keep)
    ).to_pylist()
    if not rows and (since is None or until is None):
        return _empty(metric, tz)
    first = _floor(since.astimezone(zone).replace(tzinfo=None), metric.period) if since else None
    last_local = (
        (until - timedelta(microseconds=1)).astimezone(zone).replace(tzinfo=None) if until else None
    )
    periods = [r["period"] for r in rows]
    start = first or min(periods)
    end = _floor(last_local, metric.period) if last_local else max(periods)
    if rows:
        end = max(end, max(periods)) if until is None else end
    grid = _grid(start, end, metric.period)
    index = {p: i for i, p in enumerate(grid)}
    width = len(metric.by)
    totals: dict[tuple[str, ...], float] = defaultdict(float)
    for r in rows:
        totals[_key(r, width)] += float(r["value"] or 0)
    if keep is not None:
        order = {k: i for i, k in enumerate(keep[cc.FACET + "0"])}
        facets = sorted(totals, key=lambda k: (k[0] == cc.OTHER, order.get(k[0], 0), k))
    else:
        facets = sorted(totals, key=lambda k: (-totals[k], k))
    if not metric.by:
        facets = [()]
    fidx = {k: i for i, k in enumerate(facets)}
    shape = (len(facets), len(grid))
    zero = 0.0 if metric.measure in EMPTY_IS_ZERO else np.nan
    values = np.full(shape, zero)
    denominators = np.zeros(shape) if metric.share else None
    for r in rows:
        t = index.get(r["period"])
        if t is None:
            continue
        f = fidx[_key(r, width)]
        values[f, t] = np.nan if r["value"] is None else float(r["value"])
        if denominators is not None:
            denominators[f, t] = float(r["total"])
    if denominators is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.where(denominators > 0, values / np.maximum(denominators, 1), np.nan)
    status = np.full(shape, OBSERVED, np.int8)
    starts = [p.replace(tzinfo=zone) for p in grid]
    bounds = [_utc(p, zone) for p in [*grid, _next(grid[-1], metric.period)]]
    if spans is not None:
        facet_sources = _facet_sources(con, ib, metric, keep, width)
        for f, key in enumerate(facets):
            srcs = facet_sources.get(key) if metric.by else set().union(*facet_sources.values())
            merged = merge_spans(s for src in (srcs or ()) for s in spans.get(src, ()))
            for t in range(len(grid)):
                if not _covered(merged, bounds[t], bounds[t + 1]):
                    status[f, t] = MISSING
                    values[f, t] = np.nan
    series = Series(
        name=metric.label,
        period=metric.period,
        timezone=tz,
        starts=starts,
        facets=facets,
        values=values,
        status=status,
        facet_fields=tuple(metric.by),
        unit=_unit(metric),
        notes=[metric.describe()],
    )
    if project and as_of is not None and _incomplete(bounds[-2], bounds[-1], as_of):
        _project(con, series, metric, as_of, bounds[-2], bounds[-1], tz=tz, since=since)
    return series


# -- projection ----------------------------------------------------------------------------
def _project(
    con: duckdb.DuckDBPyConnection,
    series: Series,
    metric: Metric,
    as_of: datetime,
    start: datetime,
    end: datetime,
    *,
    tz: str,
    since: datetime | None,
) -> None:
    """Scale the last (incomplete) period's value to a whole period. Counts and sums: by the
    expected share of the period elapsed, each day weighted by its weekday's mean over the
    WEIGHT_DAYS before ``as_of`` (hours and days: by the time elapsed). Other measures: the
    value so far is the estimate."""
    t = len(series.starts) - 1
    partial = np.full(series.values.shape, np.nan)
    partial[:, t] = series.values[:, t]
    zone = ZoneInfo(tz)
    if not metric.additive:
        factors = np.ones(len(series.facets))
        how = "the value so far (not additive: no scaling)"
    elif metric.period in ("hour", "day"):
        factors = np.full(len(series.facets), (end - start) / (as_of - start))
        how = "scaled by the time elapsed"
    else:
        weights = _weekday_weights(con, series, metric, as_of, tz)
        day = start.astimezone(zone).replace(tzinfo=None)
        last = end.astimezone(zone).replace(tzinfo=None)
        now = as_of.astimezone(zone).replace(tzinfo=None)
        whole = np.zeros(len(series.facets))
        elapsed = np.zeros(len(series.facets))
        while day < last:
            w = weights[:, day.weekday()]
            whole += w
            nxt = day + timedelta(days=1)
            if nxt <= now:
                elapsed += w
            elif day < now:
                elapsed += w * ((now - day) / (nxt - day))
            day = nxt
        with np.errstate(invalid="ignore", divide="ignore"):
            factors = np.where(elapsed > 0, whole / np.maximum(elapsed, 1e-12), np.nan)
        how = f"scaled by weekday (each day weighted by its weekday's mean over {WEIGHT_DAYS} days)"
    for f in range(len(series.facets)):
        if series.status[f, t] != OBSERVED:
            continue
        series.values[f, t] = series.values[f, t] * factors[f]
        series.status[f, t] = PROJECTED
    series.partial = partial
    to = as_of.astimezone(zone)
    series.notes.append(
        f"{series.starts[t]:%Y-%m-%d} is incomplete (data to {to:%Y-%m-%d %H:%M}): projected, {how}"
    )


def _weekday_weights(
    con: duckdb.DuckDBPyConnection, series: Series, metric: Metric, as_of: datetime, tz: str
) -> np.ndarray:
    """Per facet, the mean value per weekday (Monday 0) over the WEIGHT_DAYS before
    ``as_of``'s day; uniform where there is no data."""
    zone = ZoneInfo(tz)
    day = as_of.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    ib = cc.backend(con)
    keep = None
    if metric.top:
        keep = {cc.FACET + "0": [k[0] for k in series.facets if k and k[0] != cc.OTHER]}
    rows = ib.to_pyarrow(
        cc.aggregate(
            ib,
            con,
            metric,
            tz,
            since=day - timedelta(days=WEIGHT_DAYS),
            until=day,
            keep=keep,
            period="day",
        )
    ).to_pylist()
    fidx = {k: i for i, k in enumerate(series.facets)}
    sums = np.zeros((len(series.facets), 7))
    for r in rows:
        f = fidx.get(_key(r, len(metric.by)) if metric.by else ())
        if f is not None:
            sums[f, r["period"].weekday()] += float(r["value"] or 0)
    uniform = sums.sum(axis=1) <= 0
    sums[uniform] = 1.0
    return sums


def _incomplete(start: datetime, end: datetime, as_of: datetime) -> bool:
    """Whether the period [start, end) was still running at ``as_of``: more than 1/28 of it
    remained (a day of a month, six hours of a week), so a last record late on its last day
    does not make a period "projected"."""
    return start <= as_of and (end - as_of) > (end - start) / INCOMPLETE


# -- coverage ------------------------------------------------------------------------------
def _coverage(
    con: duckdb.DuckDBPyConnection, ib: Any, metric: Metric
) -> dict[str, list[tuple[datetime, datetime]]]:
    """Coverage spans per source (the sources table's first to last record where no span
    was recorded)."""
    spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for src, a, b in con.execute("SELECT source_id, span_start, span_end FROM coverage").fetchall():
        spans[src].append((a, b))
    for src, a, b in con.execute(
        "SELECT source_id, first_time, last_time FROM sources WHERE first_time IS NOT NULL"
    ).fetchall():
        if src not in spans:
            spans[src].append((a, b))
    return spans


def _facet_sources(
    con: duckdb.DuckDBPyConnection,
    ib: Any,
    metric: Metric,
    keep: dict[str, list[str]] | None,
    width: int,
) -> dict[tuple[str, ...], set[str]]:
    out: dict[tuple[str, ...], set[str]] = defaultdict(set)
    kept = set(keep[cc.FACET + "0"]) if keep else None
    for r in ib.to_pyarrow(cc.sources(ib, con, metric)).to_pylist():
        key = _key(r, width)
        if kept is not None and key[0] not in kept:
            key = (cc.OTHER, *key[1:])
        out[key].add(r["source_id"])
    return out


def _covered(spans: list[tuple[datetime, datetime]], a: datetime, b: datetime) -> bool:
    return any(s < b and e >= a for s, e in spans)


def _latest(
    con: duckdb.DuckDBPyConnection,
    ib: Any,
    metric: Metric,
    spans: dict[str, list[tuple[datetime, datetime]]] | None,
) -> datetime | None:
    t, tgt = cc.relation(ib, con, metric)
    latest = ib.to_pyarrow(t.aggregate(last=t[tgt.time].max())).column("last")[0].as_py()
    if spans is None or latest is None:
        return latest
    involved = {r["source_id"] for r in ib.to_pyarrow(t.select("source_id").distinct()).to_pylist()}
    ends = [e for src in involved for _, e in spans.get(src, ())]
    return max([latest, *ends])


# -- periods -------------------------------------------------------------------------------
def _floor(t: datetime, period: str) -> datetime:
    """The start of the period holding the naive local time ``t``."""
    if period == "hour":
        return t.replace(minute=0, second=0, microsecond=0)
    d = t.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return d
    if period == "week":
        return d - timedelta(days=d.weekday())
    if period == "month":
        return d.replace(day=1)
    if period == "quarter":
        return d.replace(day=1, month=(d.month - 1) // 3 * 3 + 1)
    return d.replace(day=1, month=1)


def _next(t: datetime, period: str) -> datetime:
    if period == "hour":
        return t + timedelta(hours=1)
    if period == "day":
        return t + timedelta(days=1)
    if period == "week":
        return t + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    m = t.month - 1 + months
    return t.replace(year=t.year + m // 12, month=m % 12 + 1)


def _grid(start: datetime, end: datetime, period: str) -> list[datetime]:
    out = []
    t = _floor(start, period)
    while t <= end:
        out.append(t)
        t = _next(t, period)
    return out


def _utc(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(UTC)


def _aware(t: datetime | None, zone: ZoneInfo) -> datetime | None:
    if t is None:
        return None
    return t.replace(tzinfo=zone) if t.tzinfo is None else t


def _key(r: dict[str, Any], width: int) -> tuple[str, ...]:
    return tuple(str(r[f"{cc.FACET}{i}"]) for i in range(width))


def _unit(metric: Metric) -> str:
    if metric.share:
        return "share"
    if metric.duration:
        return metric.unit or "minutes"
    if metric.unit:
        return metric.unit
    noun = {"posts": "posts", "indicators": "indicators", "account_snapshots": "snapshots"}
    if metric.measure == "count":
        return noun.get(metric.table, "rows")
    if metric.measure == "distinct":
        return f"distinct {metric.column}"
    return metric.column or ""


def _empty(metric: Metric, tz: str) -> Series:
    return Series(
        name=metric.label,
        period=metric.period,
        timezone=tz,
        starts=[],
        facets=[] if metric.by else [()],
        values=np.zeros((0 if metric.by else 1, 0)),
        status=np.zeros((0 if metric.by else 1, 0), np.int8),
        facet_fields=tuple(metric.by),
        unit=_unit(metric),
        notes=[metric.describe()],
    )
