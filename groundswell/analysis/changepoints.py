"""Level shifts in one row of a series: PELT (``ruptures``) with a least-squares cost on the
deseasonalised, variance-stabilised and standardised values, then a robust check that merges
segments whose medians do not differ (so a short spike or an outage is never bracketed by two
changepoints). The public entry point is :func:`groundswell.analysis.anomalies.detect`; the
method is described in docs/anomalies.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import ruptures as rpt
from ruptures.base import BaseCost

MAD_SCALE = 1.4826
# Standard error of a median relative to a mean's, for normal noise: sqrt(pi / 2).
MEDIAN_SE = math.sqrt(math.pi / 2)
# PELT is quadratic in the number of points when there are few changepoints; above this many
# points, candidate breakpoints are taken every ``n // MAX_EXACT + 1`` points and each
# changepoint found is then placed exactly among its neighbours.
MAX_EXACT = 1000
# Standardised values are clipped to this many noise units around their running median.
CLIP = 3.0
# PELT's own minimum segment length; segments shorter than min_segment are merged afterwards,
# so that a changepoint is placed where the step is, not min_segment points before the end.
PELT_MIN_SIZE = 2


class _CumulativeL2(BaseCost):
    """The ``l2`` cost of ruptures (sum of squared deviations from the segment mean) from
    prefix sums: O(1) per segment instead of O(length)."""

    model = "l2_cumulative"
    min_size = 1

    def __init__(self) -> None:
        self.signal: np.ndarray | None = None
        self.s1: list[float] = []
        self.s2: list[float] = []

    def fit(self, signal: np.ndarray) -> _CumulativeL2:
        x = np.asarray(signal, dtype=float).ravel()
        self.signal = x.reshape(-1, 1)
        self.s1 = np.concatenate([[0.0], np.cumsum(x)]).tolist()
        self.s2 = np.concatenate([[0.0], np.cumsum(x * x)]).tolist()
        return self

    def error(self, start: int, end: int) -> float:
        n = end - start
        total = self.s1[end] - self.s1[start]
        return max(0.0, (self.s2[end] - self.s2[start]) - total * total / n)


@dataclass(frozen=True)
class Shift:
    """A level shift found in a row: ``index`` is the first period at the new level."""

    index: int
    before: float  # median deseasonalised level just before (up to ``local`` points)
    after: float  # median deseasonalised level just after
    severity: float  # |after - before| / robust noise of the points before
    multiplicative: bool = True  # seasonal factors (else offsets): the shift is a ratio


def _median(x: np.ndarray) -> float:
    return float(np.median(x)) if len(x) else math.nan


def _noise(x: np.ndarray) -> float:
    """Robust point-to-point noise: scaled MAD of first differences over sqrt(2)
    (insensitive to level shifts); the plain standard deviation of the differences when more
    than half of them are zero; 0 for a constant row."""
    if len(x) < 2:
        return 0.0
    d = np.diff(x)
    sigma = MAD_SCALE * float(np.median(np.abs(d))) / math.sqrt(2)
    if not sigma > 0:
        sigma = float(np.std(d)) / math.sqrt(2)
    return sigma if math.isfinite(sigma) else 0.0


def seasonal_factors(
    x: np.ndarray, index: np.ndarray, seasons: np.ndarray, n_seasons: int
) -> tuple[np.ndarray, bool]:
    """Per-season factors (multiplicative, mean 1) or offsets (additive, mean 0).

    ``x`` are the usable values at original positions ``index``; each is compared with the
    median of the usable values within half a seasonal cycle of it (a centred moving median),
    and a season's factor is the median of those ratios (differences when the row has negative
    values). Returns (factors or offsets indexed by season, multiplicative?)."""
    multiplicative = bool(len(x) and np.min(x) >= 0 and np.median(x) > 0)
    neutral = np.ones(n_seasons) if multiplicative else np.zeros(n_seasons)
    if n_seasons <= 1 or len(x) < 2 * n_seasons:
        return neutral, multiplicative
    half = n_seasons // 2
    lo = np.searchsorted(index, index - half, side="left")
    hi = np.searchsorted(index, index + half, side="right")
    per_season: list[list[float]] = [[] for _ in range(n_seasons)]
    for i in range(len(x)):
        local = float(np.median(x[lo[i] : hi[i]]))
        s = int(seasons[index[i]])
        if multiplicative:
            if local > 0:
                per_season[s].append(float(x[i]) / local)
        else:
            per_season[s].append(float(x[i]) - local)
    factors = np.array([float(np.median(v)) if v else math.nan for v in per_season])
    if multiplicative:
        factors = np.where(np.isfinite(factors) & (factors > 0), factors, math.nan)
        mean = float(np.nanmean(factors)) if np.isfinite(factors).any() else math.nan
        if not (math.isfinite(mean) and mean > 0):
            return neutral, multiplicative
        return np.where(np.isfinite(factors), factors / mean, 1.0), multiplicative
    factors = np.where(np.isfinite(factors), factors, math.nan)
    if not np.isfinite(factors).any():
        return neutral, multiplicative
    factors = factors - float(np.nanmean(factors))
    return np.where(np.isfinite(factors), factors, 0.0), multiplicative


def _running_median(u: np.ndarray, half: int) -> np.ndarray:
    """Median of ``u[i - half : i + half + 1]`` for every i (fewer points at the ends)."""
    padded = np.concatenate([np.full(half, np.nan), u, np.full(half, np.nan)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    return np.asarray(np.nanmedian(windows, axis=1))


def _pelt(u: np.ndarray, penalty: float, min_segment: int) -> list[int]:
    """Changepoints of ``u`` (positions where a new segment starts), by ruptures' PELT."""
    n = len(u)
    jump = n // MAX_EXACT + 1
    cost = _CumulativeL2()
    algo = rpt.Pelt(custom_cost=cost, min_size=min_segment, jump=jump)
    try:
        ends = algo.fit(u).predict(pen=penalty)
    except rpt.exceptions.BadSegmentationParameters:
        return []
    cps = [int(e) for e in ends[:-1]]
    if jump == 1 or not cps:
        return cps
    # Place each changepoint exactly within +-jump of where the subsampled search put it.
    bounds = [0, *cps, n]
    for i in range(1, len(bounds) - 1):
        lo, hi = bounds[i - 1], bounds[i + 1]
        first = max(lo + min_segment, bounds[i] - jump)
        last = min(hi - min_segment, bounds[i] + jump)
        if first > last:
            continue
        bounds[i] = min(range(first, last + 1), key=lambda c: cost.error(lo, c) + cost.error(c, hi))
    return bounds[1:-1]


def _sse_line(x: np.ndarray, y: np.ndarray) -> float:
    """Sum of squared residuals of the least-squares line through (x, y)."""
    xc = x - x.mean()
    yc = y - y.mean()
    sxx = float(xc @ xc)
    sxy = float(xc @ yc)
    syy = float(yc @ yc)
    return max(0.0, syy - (sxy * sxy / sxx if sxx > 0 else 0.0))


def _sse_flat(y: np.ndarray) -> float:
    yc = y - y.mean()
    return float(yc @ yc)


def _drop_short(u: np.ndarray, cps: list[int], min_segment: int) -> list[int]:
    """Merge every segment shorter than ``min_segment`` into a neighbour, shortest first: into
    the one whose median is closer (the only one at either end of the row). A level must hold
    ``min_segment`` points on both sides of its changepoint."""
    cps = list(cps)
    n = len(u)
    while cps:
        bounds = [0, *cps, n]
        lengths = [bounds[i + 1] - bounds[i] for i in range(len(bounds) - 1)]
        i = int(np.argmin(lengths))
        if lengths[i] >= min_segment:
            break
        if i == 0:
            del cps[0]
        elif i == len(lengths) - 1:
            del cps[-1]
        else:
            own = _median(u[bounds[i] : bounds[i + 1]])
            left = _median(u[bounds[i - 1] : bounds[i]])
            right = _median(u[bounds[i + 1] : bounds[i + 2]])
            del cps[i - 1 if abs(own - left) <= abs(own - right) else i]
    return cps


def _merge_weak(u: np.ndarray, x: np.ndarray, cps: list[int], penalty: float) -> list[int]:
    """Drop, one at a time, every changepoint that is not a step between its two segments:

    - their medians must differ by the margin PELT asks of their means: ``z**2 >= penalty``
      with ``z = |median_a - median_b| / (MEDIAN_SE * sqrt(1/n_a + 1/n_b))`` (``u`` has unit
      noise); a short spike moves a segment's mean but not its median;
    - two constant levels must fit the two segments better than one straight line through
      both (positions ``x``): a slow drift cut into steps is a trend, not level shifts.

    The failing changepoint with the smallest ``z`` goes first; the rest are then judged again
    with the merged segment."""
    cps = list(cps)
    n = len(u)
    while cps:
        bounds = [0, *cps, n]
        meds = [_median(u[bounds[i] : bounds[i + 1]]) for i in range(len(bounds) - 1)]
        failing: list[tuple[float, int]] = []
        for i in range(1, len(bounds) - 1):
            a, c, b = bounds[i - 1], bounds[i], bounds[i + 1]
            se = MEDIAN_SE * math.sqrt(1 / (c - a) + 1 / (b - c))
            z2 = ((meds[i] - meds[i - 1]) / se) ** 2
            step = _sse_flat(u[a:c]) + _sse_flat(u[c:b])
            if z2 < penalty or step >= _sse_line(x[a:b], u[a:b]):
                failing.append((z2, i - 1))
        if not failing:
            break
        del cps[min(failing)[1]]
    return cps


def level_shifts(
    values: np.ndarray,
    index: np.ndarray,
    seasons: np.ndarray,
    n_seasons: int,
    count_like: bool,
    penalty: float | None,
    penalty_factor: float,
    min_segment: int,
    min_severity: float,
    local: int,
) -> list[Shift]:
    """Level shifts among the usable values ``values`` (at original positions ``index``).

    The values are deseasonalised with :func:`seasonal_factors`, passed through the Anscombe
    transform ``sqrt(x + 3/8)`` when they are counts (so Poisson noise has the same variance
    at every level), and standardised by their robust noise; PELT then uses ``penalty`` or,
    when None, ``penalty_factor * ln(n)``. A shift whose severity is below ``min_severity`` is
    dropped (the weakest first, the levels recomputed each time). The levels either side are
    medians over at most ``local`` points next to the changepoint, within its segments."""
    n = len(values)
    if n < 2 * min_segment or n < 2:
        return []
    factors, multiplicative = seasonal_factors(values, index, seasons, n_seasons)
    season_of = seasons[index]
    level = values / factors[season_of] if multiplicative else values - factors[season_of]
    y = np.sqrt(np.maximum(level, 0) + 0.375) if count_like else level
    sigma = _noise(y)
    if not (sigma > 0 and math.isfinite(sigma)):
        return []
    u = (y - float(np.median(y))) / sigma
    if not np.isfinite(u).all():
        return []
    # Clip to +-CLIP around a centred running median over 2 * min_segment + 1 points: a median
    # filter keeps a step where it is but erases any run shorter than min_segment (a spike, a
    # dip, the edge of an outage), so PELT cannot bracket one with two changepoints.
    centre = _running_median(u, min_segment)
    u = np.clip(u, centre - CLIP, centre + CLIP)
    if not math.isfinite(float(np.sum(u * u))):
        return []  # values too large to square: no changepoint search
    pen = penalty if penalty is not None else penalty_factor * math.log(n)
    if not (pen > 0 and math.isfinite(pen)):
        pen = penalty_factor * math.log(n)
    cps = _drop_short(u, _pelt(u, pen, PELT_MIN_SIZE), min_segment)
    cps = _merge_weak(u, index.astype(float), cps, pen)
    while True:
        shifts = _describe(level, index, cps, count_like, local)
        if not shifts:
            return shifts
        weakest = min(range(len(shifts)), key=lambda i: shifts[i].severity)
        if shifts[weakest].severity >= min_severity:
            return [replace(s, multiplicative=multiplicative) for s in shifts]
        del cps[weakest]  # too small to see: the two segments are one level


def _describe(
    level: np.ndarray, index: np.ndarray, cps: list[int], count_like: bool, local: int
) -> list[Shift]:
    """Each changepoint's levels (medians of the deseasonalised values of at most ``local``
    points on either side, within its segments) and severity: the step over the robust noise
    of the points before (scaled MAD, at least the Poisson noise ``sqrt(level)`` for counts)."""
    shifts: list[Shift] = []
    bounds = [0, *cps, len(level)]
    for i in range(1, len(bounds) - 1):
        before = level[max(bounds[i - 1], bounds[i] - local) : bounds[i]]
        after = level[bounds[i] : min(bounds[i + 1], bounds[i] + local)]
        b, a = _median(before), _median(after)
        scale = MAD_SCALE * _median(np.abs(before - b))
        if count_like:
            scale = max(scale, math.sqrt(max(abs(b), 1.0)))
        if not scale > 0:
            scale = max(_noise(level), 1e-12 * max(1.0, abs(b)))
        severity = abs(a - b) / scale
        shifts.append(
            Shift(
                index=int(index[bounds[i]]),
                before=b,
                after=a,
                severity=severity if math.isfinite(severity) else float(np.finfo(float).max),
            )
        )
    return shifts
