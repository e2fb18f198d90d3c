"""Running a metric: its values on a regular grid of calendar periods, per facet, with
coverage (a period no relevant source was collected in is *missing*, never zero) and the
projection of the current, incomplete period.

The steps: rank the first facet for a top-N (one query), aggregate per period and facet (one
query), look up which sources each facet draws on and their coverage spans, lay the values on
the grid (an empty covered period is a true zero for counts and sums), then project.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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
from groundswell.search.attention import SearchCounter, uses_search

WEIGHT_DAYS = 56  # days before the as-of time whose weekday profile scales a projection
LONG = ("week", "month", "quarter", "year")  # periods projected by weekday
INCOMPLETE = 28  # a period is incomplete when more than 1/28 of it remains after as_of
EMPTY_IS_ZERO = ("count", "sum", "distinct")  # measures of an empty covered period


@dataclass
class _Read:
    """What the queries returned: the aggregate as columns with each row's facet, which
    sources each facet draws on, and the latest time seen."""

    cols: dict[str, list[Any]]
    keys: list[tuple[str, ...]]
    sources: dict[tuple[str, ...], set[str]]
    latest: datetime | None


def trend(
    eng: cc.Engine,
    metric: Metric,
    *,
    timezone: str = "UTC",
    since: datetime | None = None,
    until: datetime | None = None,
    as_of: datetime | None = None,
    project: bool = True,
    search: SearchCounter | None = None,
) -> Series:
    """The series of ``metric``. ``since``/``until`` bound the time range in whole periods
    (both are moved back to the start of the period holding them; ``until`` is exclusive;
    naive times are in the metric's timezone). ``as_of`` is when collection stopped (default:
    the latest coverage end of the sources involved, or the latest record): later data is not
    counted, and the period holding it is projected when ``project`` and it was incomplete.

    Measures that add up (counts, sums, shares) are read per period, facet and source in
    one query, which also tells which sources each facet draws on; other measures take a
    second query for that. A projection by weekday reads the days before ``as_of``. A metric
    with a ``search`` filter is counted by ``search``, in the full-text index."""
    metric.check()
    tz = metric.timezone or timezone
    try:
        check_timezone("timezone", tz)
    except ConfigError as e:
        raise MetricError(e.message, metric=metric.name or None) from None
    zone = ZoneInfo(tz)
    since, until, as_of = (aware(x, zone) for x in (since, until, as_of))
    if since is not None:  # whole periods only: from the start of the one holding since
        since = _utc(cc.shift(metric.period, _local(since, zone)), zone)
    if until is not None:  # ... and to the start of the one holding until
        until = _utc(cc.shift(metric.period, _local(until, zone)), zone)
    if as_of is not None and (until is None or as_of < until):
        until = as_of + timedelta(microseconds=1)  # (as_of itself is in)
    tgt = cc.target(eng.con, metric)
    keep = None
    if metric.top:
        ranked = eng.columns(cc.ranking(eng, metric, since=since, until=until))
        keep = [str(k) for k in ranked["key"]]
    read = _read(eng, metric, tgt, tz, since, until, keep, search)
    spans = _coverage(eng.con) if tgt.sourced else None
    involved = [
        s for srcs in read.sources.values() for src in srcs for s in (spans or {}).get(src, ())
    ]
    if as_of is None and read.latest is not None:
        as_of = max([read.latest, *(end for _, end in involved)])
    if not read.keys and (since is None or until is None):
        return _empty(metric, tz)
    # the grid, in period numbers (cc.period_key): consecutive integers from lo to hi
    numbers = np.asarray(read.cols["period"], dtype=np.int64)
    if since is not None:
        lo = cc.key_of(metric.period, _local(since, zone))
    else:  # from when the sources involved were collected: quiet periods are zeros too
        lo = min(
            [int(numbers.min()), *(cc.key_of(metric.period, _local(a, zone)) for a, _ in involved)]
        )
    if until is not None:
        hi = cc.key_of(metric.period, _local(until - timedelta(microseconds=1), zone))
    elif as_of is not None:  # to the period holding as-of: quiet periods at the end are zeros
        hi = cc.key_of(metric.period, _local(as_of, zone))
    else:
        hi = int(numbers.max())
    grid = [cc.key_start(metric.period, k) for k in range(lo, hi + 1)]
    facets = _facets(metric, read, keep)
    values = _lay(metric, read, facets, numbers - lo, len(grid))
    status = np.full(values.shape, OBSERVED, np.int8)
    bounds = [_utc(p, zone) for p in [*grid, cc.key_start(metric.period, hi + 1)]]
    if spans is not None:
        for f, key in enumerate(facets):
            mine = read.sources.get(key) if metric.by else set().union(*read.sources.values())
            uncovered = ~_covered(
                bounds, merge_spans(s for src in mine or () for s in spans.get(src, ()))
            )
            status[f, uncovered] = MISSING
            values[f, uncovered] = np.nan
    series = Series(
        name=metric.label,
        period=metric.period,
        timezone=tz,
        starts=[p.replace(tzinfo=zone) for p in grid],
        facets=facets,
        values=values,
        status=status,
        facet_fields=tuple(metric.by),
        unit=_unit(metric),
        notes=[metric.description or metric.describe()],
    )
    if project and as_of is not None and _incomplete(bounds[-2], bounds[-1], as_of):
        weights = None
        if metric.additive and metric.period in LONG:
            weights = _weekday_weights(eng, metric, facets, keep, as_of, zone, search)
        _project(series, metric, as_of, bounds[-2], bounds[-1], zone, weights)
    return series


def _read(
    eng: cc.Engine,
    metric: Metric,
    tgt: cc.Target,
    tz: str,
    since: datetime | None,
    until: datetime | None,
    keep: list[str] | None,
    search: SearchCounter | None,
) -> _Read:
    rollup = metric.measure in ("count", "sum")  # (a share's parts are counts)
    cols = _columns(
        eng,
        metric,
        tz,
        search,
        period=metric.period,
        since=since,
        until=until,
        keep=keep,
        by_source=rollup and tgt.sourced,
    )
    width = len(metric.by)
    keys = _keys(cols, width)
    pair_cols, pair_keys = cols, keys
    if tgt.sourced and not rollup:
        pair_cols = eng.columns(cc.sources(eng, metric, since=since, until=until, keep=keep))
        pair_keys = _keys(pair_cols, width)
    sources: dict[tuple[str, ...], set[str]] = defaultdict(set)
    if tgt.sourced:
        own = cc.source_facet(metric)
        srcs = pair_cols["source_id"] if "source_id" in pair_cols else pair_cols[f"{cc.FACET}{own}"]
        for key, src in zip(pair_keys, srcs, strict=True):
            sources[key].add(src)
    lasts = [t for t in pair_cols["last"] if t is not None]
    return _Read(cols, keys, sources, max(lasts) if lasts else None)


def _columns(
    eng: cc.Engine, metric: Metric, tz: str, search: SearchCounter | None, **kw: Any
) -> dict[str, list[Any]]:
    """The metric aggregated (see ``compile.aggregate``), by the index for a search."""
    if not uses_search(metric):
        return eng.columns(cc.aggregate(eng, metric, tz, **kw))
    if search is None:
        raise MetricError("a search is counted in a workspace's index", metric=metric.name or None)
    return search(metric, tz, **kw)


def _facets(metric: Metric, read: _Read, keep: list[str] | None) -> list[tuple[str, ...]]:
    """The facets in order: a top-N's order with "other" last, else by total."""
    if not metric.by:
        return [()]
    seen = {k: i for i, k in enumerate(dict.fromkeys(read.keys))}
    if keep is not None:
        order = {k: i for i, k in enumerate(keep)}
        return sorted(seen, key=lambda k: (k[0] == cc.OTHER, order.get(k[0], 0), k))
    weight = read.cols["total"] if metric.share else read.cols["value"]
    totals = np.bincount(
        np.fromiter((seen[k] for k in read.keys), np.int64, len(read.keys)),
        weights=np.nan_to_num(np.asarray([w if w is not None else 0 for w in weight], float)),
        minlength=len(seen),
    )
    return sorted(seen, key=lambda k: (-totals[seen[k]], k))


def _lay(
    metric: Metric, read: _Read, facets: list[tuple[str, ...]], t_at: np.ndarray, periods: int
) -> np.ndarray:
    """The values on the grid (facets x periods): an empty covered period is a true zero for
    counts, sums and distinct counts; the parts of a count per source are added up."""
    values = np.full((len(facets), periods), 0.0 if metric.measure in EMPTY_IS_ZERO else np.nan)
    if not read.keys:
        return values
    rank = {k: i for i, k in enumerate(facets)}
    raw = np.asarray([np.nan if v is None else v for v in read.cols["value"]], dtype=float)
    f_at = np.fromiter((rank[k] for k in read.keys), np.int64, len(read.keys))
    inside = (t_at >= 0) & (t_at < periods)
    f_at, t_at, raw = f_at[inside], t_at[inside], raw[inside]
    if metric.measure in ("count", "sum"):  # a sum of no values adds 0
        np.add.at(values, (f_at, t_at), np.nan_to_num(raw))
    else:
        values[f_at, t_at] = raw
    if metric.share:
        totals = np.asarray(read.cols["total"], dtype=float)[inside]
        denominators = np.zeros(values.shape)
        np.add.at(denominators, (f_at, t_at), totals)
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.where(denominators > 0, values / np.maximum(denominators, 1), np.nan)
    return values


def _covered(bounds: list[datetime], spans: list[tuple[datetime, datetime]]) -> np.ndarray:
    """Per period (between consecutive bounds): whether any span overlaps it."""
    edges = np.array([b.timestamp() for b in bounds])
    covered = np.zeros(len(bounds) - 1, bool)
    for begin, end in spans:
        covered |= (edges[:-1] <= end.timestamp()) & (edges[1:] > begin.timestamp())
    return covered


def pooled(
    eng: cc.Engine,
    metric: Metric,
    series: Series,
    first: date,
    last: date,
    search: SearchCounter | None = None,
) -> np.ndarray:
    """Per facet of ``series``, the metric measured over the days ``first``..``last`` as one
    period (a mean of every row in it, not a mean of period means); NaN where it has none."""
    zone = ZoneInfo(series.timezone)
    keep = [k[0] for k in series.facets if k and k[0] != cc.OTHER] if metric.top else None
    since = datetime(first.year, first.month, first.day, tzinfo=zone)
    until = datetime(last.year, last.month, last.day, tzinfo=zone) + timedelta(days=1)
    cols = _columns(
        eng, metric, series.timezone, search, period=None, since=since, until=until, keep=keep
    )
    out = np.full(len(series.facets), np.nan)
    rank = {k: i for i, k in enumerate(series.facets)}
    for i, key in enumerate(_keys(cols, len(metric.by))):
        f = rank.get(key)
        value = cols["value"][i]
        if f is None or value is None:
            continue
        if metric.share:
            total = cols["total"][i]
            out[f] = value / total if total else np.nan
        else:
            out[f] = float(value)
    return out


# -- projection ----------------------------------------------------------------------------
def _project(
    series: Series,
    metric: Metric,
    as_of: datetime,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    weights: np.ndarray | None,
) -> None:
    """Scale the last (incomplete) period's value to a whole period. Counts and sums: by the
    expected share of the period elapsed, each day weighted by its weekday's mean over the
    WEIGHT_DAYS before ``as_of`` (hours and days: by the time elapsed). Other measures: the
    value so far is the estimate."""
    t = len(series.starts) - 1
    partial = np.full(series.values.shape, np.nan)
    partial[:, t] = series.values[:, t]
    if not metric.additive:
        factors = np.ones(len(series.facets))
        how = "the value so far (not additive: no scaling)"
    elif weights is None:
        factors = np.full(len(series.facets), (end - start) / (as_of - start))
        how = "scaled by the time elapsed"
    else:
        day, last, now = _local(start, zone), _local(end, zone), _local(as_of, zone)
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
    eng: cc.Engine,
    metric: Metric,
    facets: list[tuple[str, ...]],
    keep: list[str] | None,
    as_of: datetime,
    zone: ZoneInfo,
    search: SearchCounter | None,
) -> np.ndarray:
    """Per facet, the total per weekday (Monday 0) over the WEIGHT_DAYS before ``as_of``'s
    day; uniform where there is none."""
    today = _local(as_of, zone).replace(hour=0, minute=0, second=0, microsecond=0)
    first = today - timedelta(days=WEIGHT_DAYS)
    cols = _columns(
        eng,
        metric,
        str(zone),
        search,
        period="day",
        since=_utc(first, zone),
        until=_utc(today, zone),
        keep=keep,
    )
    fidx = {k: i for i, k in enumerate(facets)}
    sums = np.zeros((len(facets), 7))
    for key, day, value in zip(
        _keys(cols, len(metric.by)), cols["period"], cols["value"], strict=True
    ):
        f = fidx.get(key)
        if f is not None:
            sums[f, cc.key_start("day", day).weekday()] += float(value or 0)
    sums[sums.sum(axis=1) <= 0] = 1.0
    return sums


def _incomplete(start: datetime, end: datetime, as_of: datetime) -> bool:
    """Whether the period [start, end) was still running at ``as_of``: more than 1/28 of it
    remained (a day of a month, six hours of a week), so a last record late on its last day
    does not make a period "projected"."""
    return start <= as_of and (end - as_of) > (end - start) / INCOMPLETE


# -- coverage ------------------------------------------------------------------------------
def _coverage(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[datetime, datetime]]]:
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


# -- periods -------------------------------------------------------------------------------
def _utc(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(UTC)


def _local(t: datetime, zone: ZoneInfo) -> datetime:
    """An aware time as naive wall-clock time in ``zone``."""
    return t.astimezone(zone).replace(tzinfo=None)


def aware(t: datetime | None, zone: ZoneInfo) -> datetime | None:
    """``t`` with ``zone`` as its timezone when it has none."""
    if t is None:
        return None
    return t.replace(tzinfo=zone) if t.tzinfo is None else t


def _keys(cols: dict[str, list[Any]], width: int) -> list[tuple[str, ...]]:
    """The facet of every row of a columnar result."""
    n = len(cols["last"])
    if not width:
        return [()] * n
    return list(zip(*(map(str, cols[f"{cc.FACET}{i}"]) for i in range(width)), strict=True))


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
        notes=[metric.description or metric.describe()],
    )
