"""Anomaly detection: planted spikes, dips, outages and level shifts are found where they are;
clean noisy series stay quiet; missing and projected points are never scored; the baseline
equals a plain-Python computation; no input makes the detector raise."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groundswell.analysis.anomalies import (
    KINDS,
    Anomaly,
    AnomalySettings,
    detect,
    expected,
)
from groundswell.analysis.series import MISSING, OBSERVED, PERIODS, PROJECTED, Series

MONDAY = datetime(2024, 1, 1, tzinfo=UTC)
WEEK_PROFILE = np.array([1.05, 1.1, 1.1, 1.05, 1.0, 0.7, 0.6])


def make_series(
    values: np.ndarray,
    status: np.ndarray | None = None,
    period: str = "day",
    facets: list[tuple[str, ...]] | None = None,
) -> Series:
    values = np.atleast_2d(np.asarray(values, dtype=float))
    n = values.shape[1]
    if status is None:
        status = np.where(np.isnan(values), MISSING, OBSERVED)
    status = np.atleast_2d(np.asarray(status)).astype(np.int8)
    step = {"hour": timedelta(hours=1), "day": timedelta(days=1)}.get(period, timedelta(weeks=1))
    return Series(
        name="test",
        period=period,
        timezone="UTC",
        starts=[MONDAY + i * step for i in range(n)],
        facets=facets if facets is not None else [()] * values.shape[0],
        values=values,
        status=status,
    )


def daily(seed: int, n: int = 364, level: float = 200.0, noise: str = "poisson") -> np.ndarray:
    """A daily series with a weekly pattern (weekend lower) and Poisson, overdispersed or
    Gaussian noise."""
    rng = np.random.default_rng(seed)
    mean = level * WEEK_PROFILE[np.arange(n) % 7]
    if noise == "poisson":
        return rng.poisson(mean).astype(float)
    if noise == "negbin":
        shape = 200.0
        return rng.negative_binomial(shape, shape / (shape + mean)).astype(float)
    return rng.normal(mean, 0.05 * mean)


def kinds_at(events: list[Anomaly], series: Series) -> list[tuple[str, int, int]]:
    index = {s: i for i, s in enumerate(series.starts)}
    return [(a.kind, index[a.start], index[a.end]) for a in events]


# --- planted events -----------------------------------------------------------------------


@pytest.mark.parametrize("noise", ["poisson", "negbin", "gauss"])
def test_a_spike_is_found_at_its_place(noise: str) -> None:
    x = daily(1, noise=noise)
    x[200] *= 3
    s = make_series(x)
    events = detect(s)
    assert kinds_at(events, s) == [("spike", 200, 200)]
    (a,) = events
    assert a.value == x[200]
    assert a.baseline == pytest.approx(expected(s)[0, 200])
    assert a.severity >= 5
    assert a.facet == ()


@pytest.mark.parametrize("noise", ["poisson", "negbin", "gauss"])
def test_a_dip_is_found_and_is_not_an_outage(noise: str) -> None:
    x = daily(2, noise=noise)
    x[150:152] *= 0.35
    s = make_series(x)
    assert kinds_at(detect(s), s) == [("dip", 150, 151)]


def test_a_collapse_to_zero_is_an_outage_not_a_dip() -> None:
    x = daily(3)
    x[120:127] = 0
    x[127] *= 0.5  # the site came back mid-day: the edge of the outage, not a dip of its own
    s = make_series(x)
    events = detect(s)
    assert kinds_at(events, s) == [("outage", 120, 126)]
    (a,) = events
    assert a.value == 0
    assert a.baseline > 100
    assert a.severity > 20


def test_an_outage_that_never_ends_keeps_its_baseline() -> None:
    x = daily(4)
    x[300:] = 0
    s = make_series(x)
    assert kinds_at(detect(s), s) == [("outage", 300, 363)]
    base = expected(s)[0]
    assert np.all(base[300:] > 100)  # frozen at the level before, not learning the zeros


def test_zeros_on_a_quiet_series_are_not_outages() -> None:
    x = daily(5, level=3.0)  # baseline below min_baseline
    x[100:104] = 0
    s = make_series(x)
    assert [a for a in detect(s) if a.kind == "outage"] == []


@pytest.mark.parametrize("ratio", [2.0, 0.45])
def test_a_level_shift_is_found_and_its_new_level_raises_nothing_else(ratio: float) -> None:
    x = daily(6, n=420, level=150.0, noise="negbin")
    rng = np.random.default_rng(60)
    mean = 150.0 * ratio * WEEK_PROFILE[np.arange(200, 420) % 7]
    x[200:] = rng.negative_binomial(50.0, 50.0 / (50.0 + mean))
    s = make_series(x)
    events = detect(s)
    found = kinds_at(events, s)
    assert len(found) == 1, found
    kind, first, last = found[0]
    assert kind == "level_shift"
    assert abs(first - 200) <= 1 and first == last
    (a,) = events
    assert a.value / a.baseline == pytest.approx(ratio, rel=0.15)
    assert a.severity >= 2.5


@pytest.mark.parametrize("held", [6, 7, 9])
def test_a_new_level_is_a_shift_once_it_held_min_segment_periods(held: int) -> None:
    """A host that appears: until its new level has held min_segment (7) periods it is a run
    of spikes; then a level shift placed where it starts (not earlier, on an old zero)."""
    rng = np.random.default_rng(16)
    x = np.concatenate([np.zeros(60), rng.poisson(40, held)]).astype(float)
    s = make_series(x, period="week")
    expect = [("spike", 60, 59 + held)] if held < 7 else [("level_shift", 60, 60)]
    assert kinds_at(detect(s), s) == expect


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_an_outage_after_a_surge_and_a_decline(seed: int) -> None:
    """The file-host story: weekly links, a surge, a decline, then none at all. The surge
    widens the spread of the baseline window; the collapse is judged against the usual
    prediction errors, so it is still an outage, from its first week."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.poisson(50, 60), [147, 141, 199, 155, 80, 66, 73, 37, 24, 14, 27]])
    x = np.concatenate([x, np.zeros(6)]).astype(float)
    s = make_series(x, period="week")
    assert ("outage", 71, 76) in kinds_at(detect(s), s)


def test_a_weekly_series_outage_and_spike() -> None:
    rng = np.random.default_rng(7)
    x = rng.poisson(900.0, 120).astype(float)
    x[50:53] = 0
    x[90] = 2000
    s = make_series(x, period="week")
    assert kinds_at(detect(s), s) == [("outage", 50, 52), ("spike", 90, 90)]


def test_an_hourly_series_has_hour_of_day_seasonality() -> None:
    rng = np.random.default_rng(8)
    hours = np.arange(24 * 28)
    mean = 60 + 50 * np.cos(2 * np.pi * (hours % 24 - 14) / 24)  # 110 at 14:00, 10 at 02:00
    x = rng.poisson(mean).astype(float)
    night = 24 * 20 + 2  # 02:00: a value that would be ordinary in the afternoon
    x[night] = 40
    s = make_series(x, period="hour")
    assert kinds_at(detect(s), s) == [("spike", night, night)]
    # The expected value follows the hour of day: afternoon baselines far above night ones.
    base = expected(s)[0]
    assert base[24 * 21 + 14] > 5 * base[24 * 21 + 2]


# --- clean series stay quiet --------------------------------------------------------------


def test_clean_noisy_series_yield_almost_no_events() -> None:
    events = 0
    series = 0
    for seed in range(12):
        for noise in ("poisson", "negbin", "gauss"):
            level = [20.0, 200.0, 2000.0][seed % 3]
            s = make_series(daily(100 + seed, n=364, level=level, noise=noise))
            events += len(detect(s))
            series += 1
    assert events <= 3, f"{events} events on {series} clean series"


# --- missing and projected points ---------------------------------------------------------


def test_a_missing_run_is_never_an_outage_nor_a_dip() -> None:
    x = daily(9)
    status = np.full(len(x), OBSERVED)
    x[150:165] = np.nan
    status[150:165] = MISSING
    x[200:203] = 0.0  # zeros marked missing (not collected) are not zeros either
    status[200:203] = MISSING
    s = make_series(x, status)
    assert detect(s) == []
    base = expected(s)[0]
    assert np.all(np.isfinite(base[150:210]))  # the baseline carries over the gap


def test_a_projected_point_is_never_scored() -> None:
    x = daily(10)
    status = np.full(len(x), OBSERVED)
    x[-1] = 0.0
    status[-1] = PROJECTED
    assert detect(make_series(x, status)) == []
    x[-1] = 10_000.0
    assert detect(make_series(x, status)) == []


# --- cooldown, persistence, order, kinds --------------------------------------------------


def test_cooldown_reports_one_event() -> None:
    x = daily(11)
    x[200] *= 3
    x[202] *= 3
    s = make_series(x)
    events = detect(s)
    assert kinds_at(events, s) == [("spike", 200, 202)]
    assert events[0].value == max(x[200], x[202])
    apart = detect(s, AnomalySettings(cooldown=0))
    assert kinds_at(apart, s) == [("spike", 200, 200), ("spike", 202, 202)]


def test_persistence_drops_shorter_runs() -> None:
    x = daily(12)
    x[100] *= 3  # one period
    x[200:202] *= 3  # two periods
    s = make_series(x)
    assert kinds_at(detect(s), s) == [("spike", 100, 100), ("spike", 200, 201)]
    assert kinds_at(detect(s, AnomalySettings(min_periods=2)), s) == [("spike", 200, 201)]


def test_events_sorted_by_start_then_facet_and_kinds_filtered() -> None:
    a, b = daily(13), daily(14)
    a[220] *= 3
    b[220] *= 3
    b[100:105] = 0
    s = make_series(np.vstack([a, b]), facets=[("b-forum",), ("a-forum",)])
    events = detect(s)
    assert [(e.kind, e.facet) for e in events] == [
        ("outage", ("a-forum",)),
        ("spike", ("a-forum",)),
        ("spike", ("b-forum",)),
    ]
    only = detect(s, kinds=["outage"])
    assert [(e.kind, e.facet) for e in only] == [("outage", ("a-forum",))]
    with pytest.raises(ValueError, match="unknown anomaly kinds"):
        detect(s, kinds=["bump"])


# --- the baseline, computed independently -------------------------------------------------


def oracle(values: list[float], t: int, k: int = 4) -> tuple[float, float, list[float]]:
    """Median and MAD of the previous k observed values on the same weekday as day t, and
    those values; plain Python."""
    same = [values[i] for i in range(t - 7, -1, -7) if not math.isnan(values[i])][:k]
    med = statistics.median(same)
    mad = statistics.median([abs(v - med) for v in same])
    return med, mad, same


def test_baseline_median_and_mad_equal_a_plain_computation() -> None:
    x = daily(15, n=140, level=80.0, noise="gauss")  # non-count: no Poisson floor
    x[60] = np.nan  # a missing same-weekday point is skipped, not counted
    x[95] *= 1.6
    s = make_series(x)
    base = expected(s)[0]
    values = x.tolist()
    for t in (28, 29, 67, 74, 95, 139):
        med, _, same = oracle(values, t)
        assert len(same) == 4
        assert base[t] == pytest.approx(med, rel=1e-12)

    # The spike's severity is its robust z: (value - median) / scale, where the scale is the
    # largest of the scaled MAD of those points, the scaled median of the pooled prediction
    # errors of the previous 84 scored days (each divided by sqrt(its baseline), times
    # sqrt(this baseline)), and the floor.
    (spike,) = detect(s)
    assert spike.start == s.starts[95]
    med, mad, same = oracle(values, 95)
    errors = []
    for u in range(95):
        if math.isnan(values[u]):
            continue
        prior = [values[i] for i in range(u - 7, -1, -7) if not math.isnan(values[i])][:4]
        if len(prior) >= 3:
            m = statistics.median(prior)
            errors.append(abs(values[u] - m) / math.sqrt(m))
    typical = statistics.median(errors[-84:]) * math.sqrt(med)
    mean_ad = sum(abs(v - med) for v in same) / len(same)
    floor = max(math.sqrt(math.pi / 2) * mean_ad, 0.01 * abs(med))
    scale = max(1.4826 * mad, 1.4826 * typical, floor)
    assert spike.baseline == pytest.approx(med, rel=1e-12)
    assert spike.severity == pytest.approx((values[95] - med) / scale, rel=1e-9)


def test_the_count_floor_guards_a_zero_mad() -> None:
    x = np.full(70, 100.0)  # a constant count: MAD 0, the scale is sqrt(100) = 10
    x[50] = 149  # z = 4.9: not a spike
    x[60] = 151  # z = 5.1: a spike
    s = make_series(x)
    assert kinds_at(detect(s, kinds=["spike"]), s) == [("spike", 60, 60)]
    (a,) = detect(s, kinds=["spike"])
    assert a.severity == pytest.approx(5.1)


# --- never raises -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        [],
        [np.nan],
        [5.0],
        [np.nan] * 100,
        [0.0] * 100,
        [7.5] * 100,
        [1e308] * 50 + [-1e308] * 50,
        [1e300 * (i % 3) for i in range(100)],
        [np.inf, -np.inf, np.nan, 1.0] * 25,
        [-5.0, 5.0] * 60,
    ],
)
def test_odd_series_do_not_raise(values: list[float]) -> None:
    for period in PERIODS:
        s = make_series(np.array([values], dtype=float).reshape(1, len(values)), period=period)
        check(s, detect(s))
        assert expected(s).shape == s.values.shape


def check(s: Series, events: list[Anomaly]) -> None:
    keys = [(a.start, a.facet) for a in events]
    assert keys == sorted(keys)
    starts = set(s.starts)
    for a in events:
        assert a.kind in KINDS
        assert a.start in starts and a.end in starts and a.start <= a.end
        assert a.facet in s.facets
        assert math.isfinite(a.severity) and a.severity >= 0
        row = s.facets.index(a.facet)
        for t in (s.starts.index(a.start), s.starts.index(a.end)):
            assert s.status[row, t] == OBSERVED  # an event starts and ends on observed points


value = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=0, max_value=1000).map(round).map(float),
    st.sampled_from([0.0, 1e308, -1e308, 1e-300, np.nan]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(PERIODS),
    st.integers(1, 2),
    st.integers(0, 90).flatmap(
        lambda n: st.tuples(
            st.lists(value, min_size=n, max_size=n),
            st.lists(
                st.sampled_from([OBSERVED, OBSERVED, MISSING, PROJECTED]), min_size=n, max_size=n
            ),
        )
    ),
    st.builds(
        AnomalySettings,
        window=st.one_of(st.none(), st.integers(1, 40)),
        threshold=st.floats(0.5, 10),
        min_periods=st.integers(0, 3),
        cooldown=st.integers(0, 5),
        min_segment=st.integers(1, 10),
        changepoint_penalty=st.one_of(st.none(), st.floats(0, 100)),
    ),
)
def test_random_series_never_raise(
    period: str,
    rows: int,
    data: tuple[list[float], list[int]],
    config: AnomalySettings,
) -> None:
    values, status = data
    x = np.array([values] * rows, dtype=float).reshape(rows, len(values))
    if rows == 2:
        x[1] = x[1][::-1]
    st_ = np.array([status] * rows, dtype=np.int8).reshape(rows, len(values))
    s = make_series(x, st_, period=period, facets=[(f"f{i}",) for i in range(rows)])
    events = detect(s, config)
    check(s, events)
    base = expected(s, config)
    assert base.shape == x.shape


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["day", "week"]))
def test_random_count_series_are_consistent(seed: int, period: str) -> None:
    """On realistic random counts: events are valid, and asking for one kind gives exactly
    that kind's events of the full answer."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(30, 200))
    x = rng.poisson(rng.uniform(1, 500), n).astype(float)
    s = make_series(x, period=period)
    events = detect(s)
    check(s, events)
    for kind in KINDS:
        assert detect(s, kinds=[kind]) == [a for a in events if a.kind == kind]
