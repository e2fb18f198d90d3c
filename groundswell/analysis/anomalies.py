"""Anomalies in a :class:`~groundswell.analysis.series.Series`: spikes, dips, outages and
level shifts, per facet row.

    events = detect(series)                       # every kind, default settings
    events = detect(series, AnomalySettings(threshold=5), kinds=("outage",))
    line = expected(series)                       # the baseline a chart draws under the values

Each point is compared with a robust seasonal baseline: the median of the previous same-season
observed points (same weekday for daily data, same hour for hourly data) and their scaled MAD.
Spikes and dips are runs of points whose robust z-score passes the threshold; an outage is a run
of points that collapsed to a small fraction of a meaningful baseline; level shifts come from
PELT changepoints (``ruptures``) on the deseasonalised values. Points whose source was not
collected (MISSING) and projected points are never scored. docs/anomalies.md gives the formulas
and every default.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from groundswell.analysis.changepoints import MAD_SCALE, Shift, level_shifts
from groundswell.analysis.series import OBSERVED, Series

KINDS = ("spike", "dip", "outage", "level_shift")
# Baseline window in periods, by period (``AnomalySettings.window`` when None).
DEFAULT_WINDOWS = {"hour": 168, "day": 28, "week": 12, "month": 12, "quarter": 8, "year": 5}
# Seasonal cycle in periods: day of week for daily data, hour of day for hourly data.
SEASON_LENGTHS = {"hour": 24, "day": 7}
# Default PELT penalty: PENALTY_FACTOR * ln(n) on values standardised to unit noise.
PENALTY_FACTOR = 3.0
# A level shift is reported when its severity is at least MIN_SHIFT * threshold.
MIN_SHIFT = 0.5
# The scale also pools the prediction errors of the previous ERROR_WINDOWS baseline windows
# (every season), each divided by baseline ** REF_POWER for a row that is never negative:
# Poisson noise grows as the square root of the level, so pooled errors stay comparable across
# a level shift and between busy and quiet seasons.
ERROR_WINDOWS = 3
REF_POWER = 0.5
# Mean absolute deviation to standard deviation for normal noise: sqrt(pi / 2).
MEAN_AD_SCALE = math.sqrt(math.pi / 2)


@dataclass(frozen=True)
class Anomaly:
    """One event on one facet. ``start`` and ``end`` are period starts (``end`` inclusive).

    ``value`` is the peak (spike), the trough (dip), the mean over the run (outage) or the level
    after (level shift); ``baseline`` the expected value there (the level before, for a level
    shift); ``severity`` a robust z-score-like magnitude, always >= 0, larger = stronger (see
    docs/anomalies.md)."""

    kind: str  # "spike" | "dip" | "outage" | "level_shift"
    facet: tuple[str, ...]
    start: datetime
    end: datetime
    value: float
    baseline: float
    severity: float
    explanation: str = ""  # free text; the metric engine fills facet drivers


@dataclass(frozen=True)
class AnomalySettings:
    """What counts as an anomaly. Every default is documented in docs/anomalies.md."""

    window: int | None = None  # baseline window in periods (None: DEFAULT_WINDOWS by period)
    threshold: float = 5.0  # robust z for spikes (>= threshold) and dips (<= -threshold)
    min_periods: int = 1  # minimum persistence: consecutive anomalous periods
    cooldown: int = 3  # periods after an event in which the same kind is folded into it
    outage_ratio: float = 0.1  # a point at or below this fraction of its baseline collapsed
    min_baseline: float = 10.0  # an outage needs a baseline at least this large
    changepoint_penalty: float | None = None  # PELT penalty (None: 3 ln n, unit-noise values)
    min_segment: int = 7  # ruptures min_size: a level must hold this many observed periods


@dataclass
class _Scan:
    """One row's baseline pass: per point the baseline median, its scale, the robust z (NaN
    where not scored), whether the point collapsed (a candidate outage point) and the score of
    a collapse (against the pooled errors and the floor only)."""

    baseline: np.ndarray
    scale: np.ndarray
    z: np.ndarray
    collapsed: np.ndarray
    collapse_z: np.ndarray


def _median_sorted(v: list[float]) -> float:
    n = len(v)
    mid = n // 2
    return v[mid] if n % 2 else v[mid - 1] / 2 + v[mid] / 2


def _seasons(series: Series) -> tuple[np.ndarray, int]:
    """Season index per period (hour of day, weekday, or 0) and the number of seasons."""
    n_seasons = SEASON_LENGTHS.get(series.period, 1)
    if series.period == "hour":
        return np.array([s.hour for s in series.starts], dtype=np.int64), n_seasons
    if series.period == "day":
        return np.array([s.weekday() for s in series.starts], dtype=np.int64), n_seasons
    return np.zeros(len(series.starts), dtype=np.int64), 1


def _history_sizes(series: Series, settings: AnomalySettings) -> tuple[int, int]:
    """(k, m): the baseline uses the previous k usable same-season points and needs m."""
    window = settings.window if settings.window is not None else DEFAULT_WINDOWS.get(series.period)
    window = max(1, int(window if window is not None else 12))
    k = max(1, window // SEASON_LENGTHS.get(series.period, 1))
    return k, min(k, max(3, k // 2))


def _count_like(values: np.ndarray, usable: np.ndarray) -> bool:
    """Counts: every usable value a non-negative whole number."""
    x = values[usable]
    return bool(len(x)) and bool(np.all(x >= 0)) and bool(np.all(np.floor(x) == x))


def _scale_floor(med: float, window: list[float], count_like: bool) -> float:
    """The smallest scale a baseline may have (the MAD is 0 when most of the window is equal):
    Poisson noise ``sqrt(max(|median|, 1))`` for counts; otherwise the mean absolute deviation
    times sqrt(pi/2), at least 1% of the median and at least 1e-12 * max(1, |median|)."""
    if count_like:
        return math.sqrt(max(abs(med), 1.0))
    mean_ad = sum(abs(v - med) for v in window) / len(window)
    return max(MEAN_AD_SCALE * mean_ad, 0.01 * abs(med), 1e-12 * max(1.0, abs(med)))


def _scan(
    values: np.ndarray,
    usable: np.ndarray,
    seasons: np.ndarray,
    n_seasons: int,
    k: int,
    m: int,
    count_like: bool,
    settings: AnomalySettings,
    shifts: Sequence[Shift] = (),
) -> _Scan:
    """The baseline pass over one row, in time order. At a level shift every season's history
    is moved to the new level (times after/before, or plus after - before), so the baseline
    follows the shift at once instead of scoring the new level as spikes or dips."""
    n = len(values)
    relevel = {sh.index: sh for sh in shifts}
    baseline = np.full(n, np.nan)
    scale = np.full(n, np.nan)
    z = np.full(n, np.nan)
    collapsed = np.zeros(n, dtype=bool)
    collapse_z = np.full(n, np.nan)
    history: list[list[float]] = [[] for _ in range(n_seasons)]
    # Prediction errors |value - baseline| / reference of the previous usable points of every
    # season: relative to the baseline when the row is never negative (so that the noise it
    # describes follows the level after a shift), absolute otherwise.
    nonnegative = bool(np.all(values[usable] >= 0))
    errors: list[float] = []
    n_errors = ERROR_WINDOWS * k * n_seasons
    min_errors = max(3, k * n_seasons // 4)
    vals = values.tolist()
    for t in range(n):
        if t in relevel:
            _relevel(history, relevel[t])
        past = history[int(seasons[t])]
        med = math.nan
        if len(past) >= m:
            window = sorted(past)
            med = _median_sorted(window)
            if math.isfinite(med):
                baseline[t] = med
            else:
                med = math.nan
        if not usable[t] or math.isnan(med):
            if usable[t]:
                _push(past, vals[t], k)
            continue
        v = vals[t]
        ref = _reference(med, count_like, nonnegative)
        if len(errors) >= min_errors:
            mad = _median_sorted(sorted(abs(x - med) for x in window))
            typical = _median_sorted(sorted(errors)) * ref if ref > 0 else 0.0
            pooled = max(MAD_SCALE * typical, _scale_floor(med, window, count_like))
            s = max(MAD_SCALE * mad, pooled)
            if math.isfinite(s) and s > 0:
                scale[t] = s
                score = (v - med) / s
                if math.isfinite(score):
                    z[t] = score
                if med >= settings.min_baseline and v <= settings.outage_ratio * med:
                    collapsed[t] = True
                    collapse_z[t] = max((v - med) / pooled, -sys.float_info.max)
                    continue  # a collapsed point never enters the baseline: it stays frozen
        error = abs(v - med) / ref if ref > 0 else math.nan
        if math.isfinite(error):
            _push(errors, error, n_errors)
        _push(past, v, k)
    return _Scan(baseline, scale, z, collapsed, collapse_z)


def _relevel(history: list[list[float]], shift: Shift) -> None:
    if shift.multiplicative and shift.before > 0 and shift.after >= 0:
        ratio = shift.after / shift.before
        for past in history:
            past[:] = [v * ratio for v in past]
    else:
        delta = shift.after - shift.before
        for past in history:
            past[:] = [v + delta for v in past]


def _reference(med: float, count_like: bool, nonnegative: bool) -> float:
    """What a prediction error is divided by before it is pooled, and the pooled typical
    error multiplied by to give a scale at this baseline: ``sqrt(max(median, 1))`` for counts,
    ``sqrt(median)`` for other rows that are never negative (0, not pooled, when the median is
    0), 1 for rows with negative values."""
    if count_like:
        return max(med, 1.0) ** REF_POWER
    if nonnegative:
        return med**REF_POWER if med > 0 else 0.0
    return 1.0


def _push(items: list[float], value: float, keep: int) -> None:
    items.append(value)
    if len(items) > keep:
        del items[0]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) of every run of consecutive True values."""
    if not len(mask):
        return []
    padded = np.concatenate([[False], mask.astype(bool), [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


@dataclass
class _Event:
    kind: str
    first: int
    last: int
    peak: int
    value: float
    baseline: float
    severity: float


def _outages(
    sc: _Scan, values: np.ndarray, settings: AnomalySettings
) -> tuple[list[_Event], np.ndarray]:
    """Runs of collapsed points long enough (min_periods) whose combined score
    ``sum(collapse_z) / sqrt(length)`` is at most -threshold; and the mask of their points."""
    outages: list[_Event] = []
    in_outage = np.zeros(len(values), dtype=bool)
    for a, b in _runs(sc.collapsed):
        combined = float(np.sum(sc.collapse_z[a : b + 1])) / math.sqrt(b - a + 1)
        if b - a + 1 >= max(1, settings.min_periods) and combined <= -settings.threshold:
            in_outage[a : b + 1] = True
            value = float(np.mean(values[a : b + 1]))
            base = float(np.mean(sc.baseline[a : b + 1]))
            outages.append(_Event("outage", a, b, a, value, base, -combined))
    return outages, in_outage


def _analyse(
    values: np.ndarray,
    status: np.ndarray,
    seasons: np.ndarray,
    n_seasons: int,
    k: int,
    m: int,
    settings: AnomalySettings,
) -> tuple[_Scan, list[_Event]]:
    """One row: its baseline pass and every event of every kind (before the cooldown).

    A first pass finds the outages, which are left out of the changepoint search; the level
    shifts found then re-level the baseline in a second pass, which scores spikes, dips and
    outages."""
    usable = (status == OBSERVED) & np.isfinite(values)
    count_like = _count_like(values, usable)
    threshold = settings.threshold
    first = _scan(values, usable, seasons, n_seasons, k, m, count_like, settings)
    _, in_outage = _outages(first, values, settings)
    index = np.flatnonzero(usable & ~in_outage)
    shifts = level_shifts(
        values[index],
        index,
        seasons,
        n_seasons,
        count_like,
        settings.changepoint_penalty,
        PENALTY_FACTOR,
        max(2, settings.min_segment),
        MIN_SHIFT * threshold,
        k * n_seasons,
    )
    sc = first
    if shifts:
        sc = _scan(values, usable, seasons, n_seasons, k, m, count_like, settings, shifts)
    outages, in_outage = _outages(sc, values, settings)
    events = list(outages)

    z = sc.z
    scored = np.isfinite(z)
    up = np.zeros(len(values), dtype=bool)
    up[scored] = z[scored] >= threshold
    down = np.zeros(len(values), dtype=bool)
    down[scored] = z[scored] <= -threshold
    down &= ~in_outage
    # A changepoint may be placed a period early or late; the new level scored against the
    # old baseline there is the shift itself.
    edges = {(sh.index, "spike" if sh.after > sh.before else "dip") for sh in shifts}
    for kind, mask, sign in (("spike", up, 1.0), ("dip", down, -1.0)):
        for a, b in _runs(mask):
            if b - a + 1 < max(1, settings.min_periods):
                continue
            if kind == "dip" and (in_outage[max(0, a - 1)] or in_outage[min(len(mask) - 1, b + 1)]):
                continue  # the edge of an outage (a partly collected day), not a dip of its own
            if any((c, kind) in edges for c in range(a - 1, b + 2)):
                continue
            peak = a + int(np.argmax(sign * z[a : b + 1]))
            value, base = float(values[peak]), float(sc.baseline[peak])
            events.append(_Event(kind, a, b, peak, value, base, float(sign * z[peak])))
    for sh in shifts:
        events.append(
            _Event("level_shift", sh.index, sh.index, sh.index, sh.after, sh.before, sh.severity)
        )
    return sc, events


def _cool_down(events: list[_Event], cooldown: int) -> list[_Event]:
    """Fold an event into the previous one of the same kind when it starts within ``cooldown``
    periods after that one's end: one event is reported, spanning both."""
    kept: list[_Event] = []
    last: dict[str, _Event] = {}
    for e in sorted(events, key=lambda e: (e.first, e.kind)):
        prev = last.get(e.kind)
        if prev is not None and e.first <= prev.last + max(0, cooldown):
            span_prev = prev.last - prev.first + 1
            span_new = e.last - e.first + 1
            if e.kind == "spike":
                if e.value > prev.value:
                    prev.value, prev.baseline, prev.peak = e.value, e.baseline, e.peak
            elif e.kind == "dip":
                if e.value < prev.value:
                    prev.value, prev.baseline, prev.peak = e.value, e.baseline, e.peak
            elif e.kind == "outage":
                total = span_prev + span_new
                prev.value = (prev.value * span_prev + e.value * span_new) / total
                prev.baseline = (prev.baseline * span_prev + e.baseline * span_new) / total
            prev.severity = max(prev.severity, e.severity)
            prev.last = max(prev.last, e.last)
            continue
        kept.append(e)
        last[e.kind] = e
    return kept


def detect(
    series: Series,
    settings: AnomalySettings = AnomalySettings(),
    kinds: Iterable[str] = KINDS,
) -> list[Anomaly]:
    """Every anomaly of the given kinds on every facet of ``series``, sorted by start, then
    facet (then kind). Never raises on odd values (all NaN, constant, one period, huge)."""
    wanted = set(kinds)
    unknown = wanted - set(KINDS)
    if unknown:
        raise ValueError(f"unknown anomaly kinds {sorted(unknown)}; kinds: {', '.join(KINDS)}")
    seasons, n_seasons = _seasons(series)
    k, m = _history_sizes(series, settings)
    values = np.asarray(series.values, dtype=float)
    status = np.asarray(series.status)
    found: list[Anomaly] = []
    with np.errstate(all="ignore"):
        for f, facet in enumerate(series.facets):
            _, events = _analyse(values[f], status[f], seasons, n_seasons, k, m, settings)
            events = _cool_down([e for e in events if e.kind in wanted], settings.cooldown)
            for e in events:
                found.append(
                    Anomaly(
                        kind=e.kind,
                        facet=tuple(facet),
                        start=series.starts[e.first],
                        end=series.starts[e.last],
                        value=e.value,
                        baseline=e.baseline,
                        severity=min(float(e.severity), sys.float_info.max),
                    )
                )
    order = {kind: i for i, kind in enumerate(KINDS)}
    found.sort(key=lambda a: (a.start, a.facet, order[a.kind], a.end))
    return found


def expected(series: Series, settings: AnomalySettings = AnomalySettings()) -> np.ndarray:
    """The robust seasonal baseline of every point (the median that :func:`detect` scores
    against), NaN where there is not enough usable history; shape of ``series.values``. During
    an outage the baseline stays at the level before it."""
    seasons, n_seasons = _seasons(series)
    k, m = _history_sizes(series, settings)
    values = np.asarray(series.values, dtype=float)
    status = np.asarray(series.status)
    out = np.full(values.shape, np.nan)
    with np.errstate(all="ignore"):
        for f in range(values.shape[0]):
            sc, _ = _analyse(values[f], status[f], seasons, n_seasons, k, m, settings)
            out[f] = sc.baseline
    return out
