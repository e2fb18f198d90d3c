"""Transformations of a series, applied per facet after the metric ran (pure NumPy, the same
on every backend). Missing points stay missing; projected points stay projected.

- ``rolling``: trailing mean over ``window`` periods, of the points present (at least half
  the window must be present, else missing);
- ``cumsum``: running total (a missing point adds nothing and stays missing);
- ``change``: percent change against the previous period;
- ``yoy``: percent change against the same period a year earlier (the same date, ISO week
  number, month, quarter or year; Feb 29 compares with Feb 28; week 53 with nothing);
- ``baseline``: percent change against the mean of the observed points whose periods start
  within a window ``FROM..TO`` (inclusive dates); the baseline is kept on the series;
- ``index``: the value as an index, 100 at a base period (the period holding ``base``, else
  the first observed point).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

import numpy as np

from groundswell.analysis.series import MISSING, Series
from groundswell.errors import MetricError

KINDS = ("rolling", "cumsum", "change", "yoy", "baseline", "index")


@dataclass(frozen=True)
class Transform:
    kind: str
    window: int = 7  # rolling: periods
    span: tuple[date, date] | None = None  # baseline: first and last day of the window
    base: date | None = None  # index: a day inside the base period

    def check(self) -> Transform:
        if self.kind not in KINDS:
            raise MetricError(f"unknown transform {self.kind!r}; choose from {', '.join(KINDS)}")
        if self.kind == "rolling" and self.window < 1:
            raise MetricError("a rolling window is at least 1 period")
        if self.kind == "baseline" and (self.span is None or self.span[0] > self.span[1]):
            raise MetricError("a baseline needs a window FROM..TO (dates, FROM before TO)")
        return self


def parse(text: str) -> Transform:
    """``rolling:7``, ``cumsum``, ``change``, ``yoy``, ``baseline:2019-01-01..2020-02-29``,
    ``index`` or ``index:2020-01-01``."""
    kind, _, arg = text.partition(":")
    kind = kind.strip().lower()
    try:
        if kind == "rolling":
            return Transform(kind, window=int(arg) if arg else 7).check()
        if kind == "baseline":
            a, _, b = arg.partition("..")
            return Transform(kind, span=(date.fromisoformat(a), date.fromisoformat(b))).check()
        if kind == "index":
            return Transform(kind, base=date.fromisoformat(arg) if arg else None).check()
    except ValueError:
        raise MetricError(
            f"cannot read transform {text!r}",
            hint="e.g. rolling:7, baseline:2019-01-01..2020-02-29, index:2020-01-01",
        ) from None
    if arg:
        raise MetricError(f"transform {kind!r} takes no argument, got {arg!r}")
    return Transform(kind).check()


def apply(series: Series, t: Transform, reference: np.ndarray | None = None) -> Series:
    """A new series: the transformed values, the same grid, facets and statuses.
    ``reference``: for ``baseline``, the value per facet to compare with (the metric measured
    over the window as a whole) instead of the mean of the window's period values."""
    t.check()
    v = series.values.astype(float, copy=True)
    v[series.status == MISSING] = np.nan
    baseline = series.baseline
    unit = series.unit
    if t.kind == "rolling":
        out = _rolling(v, t.window)
        note = f"rolling mean over {t.window} {series.period}s"
    elif t.kind == "cumsum":
        out = np.where(np.isnan(v), np.nan, np.cumsum(np.nan_to_num(v), axis=1))
        note = "cumulative sum"
    elif t.kind == "change":
        prev = np.full_like(v, np.nan)
        prev[:, 1:] = v[:, :-1]
        out, unit = _pct(v, prev), "% change"
        note = f"percent change against the previous {series.period}"
    elif t.kind == "yoy":
        out, unit = _pct(v, _year_earlier(series, v)), "% change"
        note = "percent change against the same period a year earlier"
    elif t.kind == "baseline":
        assert t.span is not None
        lo, hi = t.span
        inside = np.array([lo <= s.date() <= hi for s in series.starts], bool)
        if not inside.any():
            raise MetricError(f"the baseline window {lo}..{hi} holds no period of the series")
        if reference is not None:
            means = reference
            note = f"percent change against the value over {lo}..{hi} (all its rows at once)"
        else:
            with np.errstate(invalid="ignore"):
                means = np.nanmean(np.where(inside, v, np.nan), axis=1) if v.size else np.zeros(0)
            note = f"percent change against the mean of the periods of {lo}..{hi}"
        base = np.repeat(means[:, None], v.shape[1], axis=1)
        out, unit = _pct(v, base), "% vs baseline"
        baseline = np.zeros_like(base)
    else:
        out, unit = _index(series, v, t.base), "index"
        note = "index, 100 at " + (str(t.base) if t.base else "the first observed period")
    return replace(
        series,
        values=out,
        status=series.status.copy(),
        unit=unit,
        baseline=baseline,
        partial=None,
        notes=[*series.notes, note],
    )


def _rolling(v: np.ndarray, window: int) -> np.ndarray:
    present = ~np.isnan(v)
    sums = np.cumsum(np.nan_to_num(v), axis=1)
    counts = np.cumsum(present, axis=1)
    lag_s = np.zeros_like(sums)
    lag_c = np.zeros_like(counts)
    lag_s[:, window:] = sums[:, :-window]
    lag_c[:, window:] = counts[:, :-window]
    n = counts - lag_c
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (sums - lag_s) / n
    need = (window + 1) // 2
    return np.where((n >= need) & present, out, np.nan)


def _pct(v: np.ndarray, ref: np.ndarray) -> np.ndarray:
    # against zero, or a reference so small the change overflows: no percentage (NaN)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        out = (v - ref) / ref * 100.0
    return np.where(np.isfinite(out), out, np.nan)


def _year_earlier(series: Series, v: np.ndarray) -> np.ndarray:
    index = {_calendar_key(s, series.period): i for i, s in enumerate(series.starts)}
    ref = np.full_like(v, np.nan)
    for i, s in enumerate(series.starts):
        j = index.get(_calendar_key(s, series.period, years_back=1))
        if j is not None:
            ref[:, i] = v[:, j]
    return ref


def _calendar_key(s: datetime, period: str, years_back: int = 0) -> tuple[int, ...]:
    if period == "week":
        y, w, _ = s.isocalendar()
        return (y - years_back, w)
    y = s.year - years_back
    if period in ("day", "hour"):
        day = min(s.day, 28) if (s.month, s.day) == (2, 29) and years_back else s.day
        return (y, s.month, day, s.hour)
    return (y, s.month)


def _index(series: Series, v: np.ndarray, base: date | None) -> np.ndarray:
    out = np.full_like(v, np.nan)
    for f in range(v.shape[0]):
        if base is not None:
            cols = [i for i, s in enumerate(series.starts) if s.date() <= base]
            j = cols[-1] if cols else None
        else:
            observed = np.flatnonzero(~np.isnan(v[f]))
            j = int(observed[0]) if observed.size else None
        if j is None or np.isnan(v[f, j]) or v[f, j] == 0:
            continue
        with np.errstate(over="ignore", invalid="ignore"):
            out[f] = v[f] / v[f, j] * 100.0
    return np.where(np.isfinite(out), out, np.nan)
