"""Transforms against plain-Python loops, on hand-made series with missing and projected
points."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from groundswell.analysis.series import MISSING, OBSERVED, PROJECTED, Series
from groundswell.analysis.transforms import Transform, apply, parse
from groundswell.errors import MetricError


def daily(values: list[float | None], start: date = date(2020, 1, 1)) -> Series:
    starts = [
        datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(days=i)
        for i in range(len(values))
    ]
    v = np.array([[np.nan if x is None else x for x in values]], float)
    status = np.array([[MISSING if x is None else OBSERVED for x in values]], np.int8)
    return Series("s", "day", "UTC", starts, [()], v, status, unit="posts")


def monthly(values: list[float], first: tuple[int, int] = (2019, 1)) -> Series:
    y, m = first
    starts = []
    for _ in values:
        starts.append(datetime(y, m, 1, tzinfo=UTC))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    v = np.array([values], float)
    return Series("s", "month", "UTC", starts, [()], v, np.zeros(v.shape, np.int8))


def test_rolling_mean_needs_half_the_window() -> None:
    xs = [1, 2, None, 4, 5, None, None, None, 9]
    got = apply(daily(xs), Transform("rolling", window=3)).values[0]
    want = []
    for i, x in enumerate(xs):
        win = [v for v in xs[max(0, i - 2) : i + 1] if v is not None]
        want.append(np.nan if x is None or len(win) < 2 else sum(win) / len(win))
    np.testing.assert_allclose(got, want, equal_nan=True)


def test_cumsum_change_and_index() -> None:
    xs = [2, 4, None, 8, 0, 5]
    s = daily(xs)
    np.testing.assert_allclose(
        apply(s, parse("cumsum")).values[0], [2, 6, np.nan, 14, 14, 19], equal_nan=True
    )
    np.testing.assert_allclose(
        apply(s, parse("change")).values[0],
        [np.nan, 100, np.nan, np.nan, -100, np.nan],
        equal_nan=True,
    )
    np.testing.assert_allclose(
        apply(s, parse("index")).values[0], [100, 200, np.nan, 400, 0, 250], equal_nan=True
    )
    np.testing.assert_allclose(
        apply(s, parse("index:2020-01-02")).values[0],
        [50, 100, np.nan, 200, 0, 125],
        equal_nan=True,
    )


def test_a_change_too_large_to_hold_is_missing_without_a_warning() -> None:
    s = daily([5e-324, 1e6, 0.0, 3.0])  # against a subnormal: overflows; against zero: none
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = apply(s, parse("change")).values[0]
    np.testing.assert_allclose(out, [np.nan, np.nan, -100, np.nan], equal_nan=True)


def test_year_over_year_and_baseline_window() -> None:
    xs = [float(10 + i) for i in range(18)]  # Jan 2019 .. Jun 2020
    s = monthly(xs)
    yoy = apply(s, parse("yoy")).values[0]
    assert np.isnan(yoy[:12]).all()
    assert yoy[12] == pytest.approx((22 - 10) / 10 * 100)
    base = apply(s, parse("baseline:2019-01-01..2019-12-31"))
    mean = sum(xs[:12]) / 12
    np.testing.assert_allclose(base.values[0], [(x - mean) / mean * 100 for x in xs])
    assert base.unit == "% vs baseline" and "2019-01-01..2019-12-31" in base.notes[-1]


def test_projected_points_stay_projected() -> None:
    s = daily([1, 2, 3])
    s.status[0, 2] = PROJECTED
    out = apply(s, parse("rolling:2"))
    assert out.status[0].tolist() == [OBSERVED, OBSERVED, PROJECTED]


@pytest.mark.parametrize(
    "text", ["rolling:x", "baseline:2020-02-01..2020-01-01", "nope", "cumsum:3"]
)
def test_bad_transforms_are_clear(text: str) -> None:
    with pytest.raises(MetricError):
        parse(text)


@given(
    st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6)), min_size=1, max_size=40), st.integers(1, 9)
)
def test_transforms_never_raise_and_keep_missing_missing(
    xs: list[float | None], window: int
) -> None:
    s = daily(xs)
    for t in (
        Transform("rolling", window=window),
        parse("cumsum"),
        parse("change"),
        parse("yoy"),
        parse("index"),
    ):
        out = apply(s, t)
        assert out.values.shape == s.values.shape
        assert np.isnan(out.values[s.status == MISSING]).all()
