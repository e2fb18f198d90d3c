"""Trend charts: the spec is plain JSON with its data inline, renders offline to SVG and PNG
for every shape of series (one line, many facets, hour to year, all missing, one point, huge
values), labels what it draws, never interpolates across a gap and references nothing
outside the file."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from dateutil.relativedelta import relativedelta

from groundswell.analysis.anomalies import Anomaly
from groundswell.analysis.series import MISSING, OBSERVED, PROJECTED, Series
from groundswell.errors import GroundswellError
from groundswell.report.charts import trend_chart, write_chart

UTC = ZoneInfo("UTC")
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def series(
    period: str,
    values: Any,
    *,
    start: datetime = datetime(2020, 1, 1, tzinfo=UTC),
    status: Any = None,
    facets: list[tuple[str, ...]] | None = None,
    **kw: Any,
) -> Series:
    values = np.atleast_2d(np.asarray(values, dtype=float))
    step = {
        "hour": relativedelta(hours=1),
        "day": relativedelta(days=1),
        "week": relativedelta(weeks=1),
        "month": relativedelta(months=1),
        "quarter": relativedelta(months=3),
        "year": relativedelta(years=1),
    }[period]
    starts = [start + step * i for i in range(values.shape[1])]
    if status is None:
        status = np.where(np.isnan(values), MISSING, OBSERVED)
    kw.setdefault("timezone", "UTC")
    kw.setdefault("unit", "posts")
    return Series(
        name=kw.pop("name", f"Posts per {period}"),
        period=period,
        starts=starts,
        facets=facets or [()],
        values=values,
        status=np.asarray(status, dtype=np.int8).reshape(values.shape),
        **kw,
    )


def daily() -> tuple[Series, list[Anomaly]]:
    """90 days with a weekly pattern, a spike, a three-day outage, a week not collected, a
    baseline and a projected last day."""
    days = np.arange(90)
    base = 400 + 120 * (days % 7 < 5)
    values = base.astype(float)
    values[30] = 1600
    values[50:53] = 0
    values[60:67] = np.nan
    status = np.where(np.isnan(values), MISSING, OBSERVED)
    status[-1] = PROJECTED
    partial = np.full(90, np.nan)
    partial[-1] = 120
    s = series(
        "day",
        values,
        status=status,
        baseline=base[None, :].astype(float),
        partial=partial[None, :],
        notes=["Baseline: the same weekday's median over four weeks."],
        name="Posts per day, forum A",
    )
    a = [
        Anomaly("spike", (), s.starts[30], s.starts[30], 1600, 520, 9.0, "x3 the baseline"),
        Anomaly("outage", (), s.starts[50], s.starts[52], 0, 520, 8.0, "zero while collected"),
        Anomaly("dip", (), s.starts[80], s.starts[80], 200, 520, 3.0),
    ]
    return s, a


def faceted(n: int, periods: int = 12, period: str = "month") -> Series:
    rng = np.random.default_rng(n)
    values = rng.uniform(100, 1000, (n, periods)) * np.arange(1, n + 1)[:, None]
    return series(
        period,
        values,
        facets=[(f"host-{k:02d}",) for k in range(n)],
        facet_fields=("domain",),
        unit="links",
        name="Links per month by host",
    )


def cases() -> dict[str, tuple[Series, list[Anomaly]]]:
    hourly = series("hour", 50 + 40 * np.sin(np.arange(72) / 24 * 2 * np.pi), unit="messages")
    weekly = series("week", np.linspace(5, 14, 40), start=datetime(2019, 12, 30, tzinfo=UTC))
    quarterly = series("quarter", np.arange(1, 13) * 100.0)
    yearly = series("year", np.geomspace(1e6, 4.2e12, 25), unit="bytes")
    return {
        "daily": daily(),
        "single month": (series("month", [3189, 2790, 9255, 2802, 1403, 2750]), []),
        "facets 2": (faceted(2), []),
        "facets 8": (faceted(8), []),
        "facets 12 capped": (faceted(12), []),
        "hourly": (hourly, []),
        "weekly": (weekly, []),
        "quarterly": (quarterly, []),
        "yearly huge": (yearly, []),
        "all missing": (series("day", np.full(30, np.nan)), []),
        "one point": (series("month", [9255.0]), []),
        "one point projected": (series("month", [2800.0], status=[PROJECTED]), []),
    }


CASES = cases()


def svg_text(svg: str) -> str:
    """The words an SVG shows: its text and tspan contents, one per line."""
    root = ElementTree.fromstring(svg)
    return "\n".join(t.strip() for t in root.itertext() if t.strip())


def external(svg: str) -> set[str]:
    return set(re.findall(r"https?://[^\s\"'<>)]+", svg)) - NAMESPACES


def layers(spec: dict[str, Any], mark: str) -> list[dict[str, Any]]:
    def kind(layer: dict[str, Any]) -> str:
        m = layer["mark"]
        return m if isinstance(m, str) else m["type"]

    return [layer for layer in spec["layer"] if kind(layer) == mark]


def observed_lines(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of the layer drawing observed values (solid lines)."""
    (layer,) = [layer for layer in layers(spec, "line") if "strokeDash" not in layer["mark"]]
    return layer["data"]["values"]


# ---------------------------------------------------------------- every case renders


@pytest.mark.parametrize("name", list(CASES))
def test_renders_offline_to_svg_and_png(name: str, tmp_path: Path) -> None:
    s, anomalies = CASES[name]
    spec = trend_chart(s, anomalies)
    text = json.dumps(spec, allow_nan=False)  # plain JSON: no NaN, no datetimes
    assert json.loads(text) == spec
    for layer in spec["layer"]:
        assert set(layer["data"]) == {"values"}  # inline, nothing to fetch

    assert json.loads(write_chart(spec, tmp_path / "c.json").read_text()) == spec
    svg = write_chart(spec, tmp_path / "c.svg").read_text()
    png = write_chart(spec, tmp_path / "c.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(png[16:20], "big")
    assert width == 2 * 720  # twice the chart's pixel size, for print

    words = svg_text(svg)
    assert s.name in words
    assert s.unit in words.splitlines()  # the y axis title
    assert not external(svg), external(svg)
    assert "<image" not in svg and "@import" not in svg


def test_daily_chart_labels_what_it_draws(tmp_path: Path) -> None:
    s, anomalies = daily()
    spec = trend_chart(s, anomalies, title="Posts per day")
    words = svg_text(write_chart(spec, tmp_path / "c.svg").read_text())
    lines = words.splitlines()
    for expected in ("Posts per day", "posts", "not collected", "spike", "outage", "dip"):
        assert expected in lines, expected
    assert "400 expected" in lines  # the projected value, labelled
    assert any(line.startswith("Baseline: the same weekday") for line in lines)  # the notes
    assert any("dashed grey line: baseline" in line.lower() for line in lines)
    assert "1 Jan" in lines and "2020" in lines  # day ticks, year under the first
    assert "Day (UTC)" in lines
    assert "1,000" in lines  # thousands separators on the y axis


def test_missing_periods_break_the_line(tmp_path: Path) -> None:
    s, _ = daily()
    rows = observed_lines(trend_chart(s))
    missing = {int(t) for t in np.flatnonzero(s.status[0] == MISSING)}
    ms = {
        round((d.replace(tzinfo=None) - datetime(1970, 1, 1)).total_seconds() * 1000): t
        for t, d in enumerate(s.starts)
    }
    drawn = [ms[r["t"]] for r in rows]
    assert not missing & set(drawn)  # a missing point is absent, not zero
    assert all(r["v"] is not None and np.isfinite(r["v"]) for r in rows)
    # one path per run: the points either side of the gap are in different runs
    run = {ms[r["t"]]: r["run"] for r in rows}
    assert run[59] != run[67]
    assert run[0] == run[59]
    # the projected last day is not on the solid line either
    assert len(s.starts) - 1 not in drawn


def test_gaps_shade_per_set_of_missing_facets() -> None:
    values = np.full((2, 10), 100.0)
    values[:, 2:4] = np.nan  # both facets
    values[0, 6:8] = np.nan  # only the first
    s = series("day", values, facets=[("a",), ("b",)], facet_fields=("forum",))
    (rect, *_) = layers(trend_chart(s), "rect")
    bands = rect["data"]["values"]
    assert [b["label"] for b in bands] == ["not collected", "a not collected"]
    assert bands[0]["shade"] > bands[1]["shade"]


def test_facets_capped_keep_the_largest(tmp_path: Path) -> None:
    s = faceted(12)
    spec = trend_chart(s, max_facets=5)
    domain = observed_lines_colour(spec)
    totals = np.nansum(s.values, axis=1)
    largest = {s.facets[f][0] for f in np.argsort(-totals)[:5]}
    assert set(domain) == largest
    assert {r["facet"] for r in observed_lines(spec)} == largest
    words = svg_text(write_chart(spec, tmp_path / "c.svg").read_text())
    assert "Showing 5 of 12 lines by domain" in words
    # no cap: every facet in the legend, no note
    spec = trend_chart(faceted(3))
    assert len(observed_lines_colour(spec)) == 3
    assert "subtitle" not in spec["title"]


def observed_lines_colour(spec: dict[str, Any]) -> list[str]:
    (layer,) = [layer for layer in layers(spec, "line") if "strokeDash" not in layer["mark"]]
    return layer["encoding"]["color"]["scale"]["domain"]


def test_colours_are_okabe_ito_and_other_is_grey() -> None:
    s = series(
        "month",
        np.ones((3, 4)),
        facets=[("a",), ("other",), ("b",)],
        facet_fields=("host",),
    )
    scale = observed_lines_colour(trend_chart(s))
    colour = layers(trend_chart(s), "line")[0]["encoding"]["color"]["scale"]
    assert scale == ["a", "other", "b"]
    assert colour["range"] == ["#0072B2", "#999999", "#E69F00"]


@pytest.mark.parametrize(
    ("name", "labels"),
    [
        ("hourly", ["00:00", "1 Jan 2020", "12:00", "2 Jan"]),
        ("weekly", ["6 Jan", "3 Feb", "2020", "Week starting Monday (UTC)"]),
        ("single month", ["Jan", "2020", "Feb", "Jun", "Month (UTC)"]),
        ("quarterly", ["Q1", "Q2", "2020", "2021"]),
        ("yearly huge", ["2020", "2044", "4,000,000,000,000"]),
    ],
)
def test_dates_are_labelled_by_period(name: str, labels: list[str], tmp_path: Path) -> None:
    s, _ = CASES[name]
    lines = svg_text(write_chart(trend_chart(s), tmp_path / "c.svg").read_text()).splitlines()
    for label in labels:
        assert label in lines, (label, lines)


def test_dates_are_the_series_own_wall_clock(tmp_path: Path) -> None:
    """Amsterdam's midnight is 23:00 UTC the day before: points sit at local midnight on a
    UTC scale, so neither the ticks nor the points slip to the day before."""
    ams = ZoneInfo("Europe/Amsterdam")
    s = series(
        "day", np.arange(40.0), start=datetime(2020, 3, 1, tzinfo=ams), timezone="Europe/Amsterdam"
    )
    spec = trend_chart(s)
    rows = observed_lines(spec)
    assert rows[0]["t"] == (datetime(2020, 3, 1) - datetime(1970, 1, 1)).total_seconds() * 1000
    assert rows[0]["when"] == "Sun 1 Mar 2020"
    assert rows[29]["when"] == "Mon 30 Mar 2020"  # the day after the change to summer time
    assert rows[29]["t"] - rows[28]["t"] == 86_400_000
    assert spec["layer"][0]["encoding"]["x"]["scale"]["type"] == "utc"
    lines = svg_text(write_chart(spec, tmp_path / "c.svg").read_text()).splitlines()
    assert {"2 Mar", "30 Mar"} <= set(lines) and "29 Feb" not in lines  # Mondays
    assert "Day (Europe/Amsterdam)" in lines


def anomaly_marks(spec: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(shapes at points, tinted bands) drawn for anomalies."""
    shapes = [r for layer in layers(spec, "point") for r in layer["data"]["values"] if "shape" in r]
    bands = [r for layer in layers(spec, "rect") for r in layer["data"]["values"] if "kind" in r]
    return shapes, bands


def test_anomalies_are_shapes_or_bands() -> None:
    s, anomalies = daily()
    far = s.starts[-1] + timedelta(days=400)
    shapes, bands = anomaly_marks(
        trend_chart(s, [*anomalies, Anomaly("spike", (), far, far, 1, 1, 1)])
    )
    assert {p["kind"]: p["shape"] for p in shapes} == {
        "spike": "triangle-up",
        "dip": "triangle-down",
    }  # the one outside the chart's periods is left out
    assert [(b["kind"], b["when"]) for b in bands] == [
        ("outage", "Thu 20 Feb 2020 to Sat 22 Feb 2020")
    ]
    spike = next(p for p in shapes if p["kind"] == "spike")
    assert spike["v"] == 1600 and spike["explanation"] == "x3 the baseline"


def test_anomalies_on_facets() -> None:
    f = faceted(12)
    at = f.starts[3]
    on = Anomaly("spike", ("host-11",), at, at, 5, 1, 9)
    off = Anomaly("spike", ("host-00",), at, at, 5, 1, 9)  # host-00 is the smallest
    off_run = Anomaly("outage", ("host-00",), at, f.starts[5], 0, 1, 9)
    everywhere = Anomaly("level_shift", (), at, at, 5, 1, 9)
    shapes, bands = anomaly_marks(trend_chart(f, [on, off, off_run, everywhere], max_facets=3))
    assert [(p["kind"], p["facet"]) for p in shapes] == [("spike", "host-11")]
    assert [(b["kind"], b["label"]) for b in bands] == [("level shift", "level shift")]


def test_overlapping_runs_of_one_kind_share_one_label(tmp_path: Path) -> None:
    f = faceted(3)
    runs = [
        Anomaly("spike", k, f.starts[2], f.starts[4 + i], 9, 1, 9) for i, k in enumerate(f.facets)
    ]
    apart = Anomaly("outage", f.facets[0], f.starts[8], f.starts[9], 0, 5, 9)
    words = svg_text(write_chart(trend_chart(f, [*runs, apart]), tmp_path / "c.svg").read_text())
    spikes = {w for w in words.splitlines() if w.startswith("spike")}
    assert spikes == {"spike: 3 lines"}  # not one label per line (each is drawn with a halo)
    assert f"outage: {f.facets[0][0]}" in words  # alone: named


def test_marks_in_one_period_share_one_label(tmp_path: Path) -> None:
    f = faceted(3)
    at = f.starts[4]
    shifts = [Anomaly("level_shift", k, at, at, 9, 1, 9) for k in f.facets[:2]]
    words = svg_text(write_chart(trend_chart(f, shifts), tmp_path / "c.svg").read_text())
    labels = {w for w in words.splitlines() if w.startswith("level shift")}
    assert labels == {"level shift: 2 lines"}


def test_all_missing_draws_the_gap_only(tmp_path: Path) -> None:
    s, _ = CASES["all missing"]
    spec = trend_chart(s)
    assert observed_lines(spec) == []
    words = svg_text(write_chart(spec, tmp_path / "c.svg").read_text()).splitlines()
    assert "not collected" in words


def test_write_chart_formats(tmp_path: Path) -> None:
    spec = trend_chart(CASES["single month"][0])
    with pytest.raises(GroundswellError, match=r"\.svg, \.png, \.json, \.html"):
        write_chart(spec, tmp_path / "c.gif")
    html = write_chart(spec, tmp_path / "sub" / "c.html").read_text()
    assert not re.search(r"<script[^>]*\ssrc=|<link[^>]*\shref=", html)  # self-contained
    assert '"actions": false' in html  # no "open in editor" that would post the data
    assert "Posts per month" in html


def test_external_data_is_refused(tmp_path: Path) -> None:
    spec = trend_chart(CASES["single month"][0])
    spec["layer"][0]["data"] = {"url": "https://example.com/data.json"}
    with pytest.raises(Exception, match="not allowed"):
        write_chart(spec, tmp_path / "c.svg")
    assert not (tmp_path / "c.svg").exists()


def test_empty_series_is_a_clean_error() -> None:
    s = Series("Nothing", "day", "UTC", [], [()], np.empty((1, 0)), np.empty((1, 0), np.int8))
    with pytest.raises(GroundswellError, match="no periods"):
        trend_chart(s)
