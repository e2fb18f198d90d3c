"""Trend charts: a ``Series`` and the anomalies found in it as a Vega-Lite spec in the house
style, rendered offline (no CDN, no remote fonts, no remote data) to SVG, PNG, JSON or
self-contained HTML.

Examples::

    spec = trend_chart(series, anomalies, title="Links to image files per day")
    write_chart(spec, Path("briefing/links.png"))   # also .svg, .json, .html

What the marks mean (docs/charts.md has the full legend):

- a solid line per facet for the observed points; a line breaks where a point is missing
  (never interpolated across a gap);
- grey bands for periods that were not collected: a darker band, labelled "not collected",
  where every facet on the chart is missing; a lighter band, labelled with the facets, where
  only some are;
- a hollow point joined by a dashed line for the projected (unfinished) period, labelled
  "... expected";
- a thin dashed line for the baseline;
- anomalies in vermillion: a shape at the point (triangle up for a spike, down for a dip,
  square for an outage, diamond for a level shift) or a tinted band for a run of periods,
  always with the kind written beside it.

Dates are drawn in the series' own timezone: each period start is placed at its wall-clock
time on a UTC scale, and the tick labels are computed in Python (``time_axis``), so the
picture does not depend on the timezone of the machine that renders it. Writing the files is
``chart_files``'s job (``write_chart`` is re-exported here).
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from groundswell.analysis.series import MISSING, OBSERVED, PROJECTED, Series
from groundswell.errors import GroundswellError
from groundswell.report.chart_files import write_chart
from groundswell.report.time_axis import (
    STEPS,
    X_TITLES,
    index_span,
    period_label,
    span_label,
    ticks,
    utc_ms,
    wall_clock,
    zone,
)

__all__ = ["AnomalyLike", "trend_chart", "write_chart"]

# Okabe-Ito, vermillion kept for anomalies; grey goes to the "other" facet (or the 8th).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
GREY = "#999999"
SINGLE = "#0072B2"
ANOMALY = "#D55E00"
EVENT = "#333333"  # the analyst's event markers
BASELINE_SINGLE = "#555555"
FONT = "Helvetica, Arial, sans-serif"
SHAPES = {"spike": "triangle-up", "dip": "triangle-down", "outage": "square"}
SHAPE_OTHER = "diamond"  # level_shift and any kind added later
POINTS_UP_TO = 30  # draw every observed point as a dot when a chart has at most this many periods


class AnomalyLike(Protocol):
    """What a chart reads of an anomaly (``groundswell.analysis.anomalies.Anomaly``)."""

    @property
    def kind(self) -> str: ...  # spike | dip | outage | level_shift
    @property
    def facet(self) -> tuple[str, ...]: ...
    @property
    def start(self) -> datetime: ...  # period starts, inclusive
    @property
    def end(self) -> datetime: ...
    @property
    def value(self) -> float: ...
    @property
    def baseline(self) -> float: ...
    @property
    def severity(self) -> float: ...
    @property
    def explanation(self) -> str: ...


@dataclass
class _Frame:
    """The series laid out for drawing: wall-clock positions, the facet rows shown, colours."""

    series: Series
    walls: list[datetime]  # period starts as naive wall-clock times in the series' timezone
    ms: list[int]  # the same as milliseconds on a UTC scale
    edges: list[float]  # edges[t], edges[t + 1]: the band a period occupies on the x axis
    rows: list[int]  # the facet rows drawn, in the caller's order
    labels: list[str]  # one per drawn row
    colours: list[str]
    faceted: bool
    plot_width: float  # an estimate, in pixels, for label placement

    def px(self, x0: float, x1: float) -> float:
        return self.plot_width * (x1 - x0) / (self.edges[-1] - self.edges[0])


# ---------------------------------------------------------------- the spec


def trend_chart(
    series: Series,
    anomalies: Sequence[AnomalyLike] = (),
    *,
    title: str | None = None,
    width: int = 720,
    height: int = 300,
    max_facets: int = 8,
    events: Sequence[tuple[datetime, str]] = (),
) -> dict[str, Any]:
    """A Vega-Lite spec (a JSON-able dict with its data inlined) drawing ``series`` with its
    gaps, projection, baseline and ``anomalies``, and the analyst's ``events`` (aware times
    with a label) as labelled vertical rules. ``width`` and ``height`` are the whole
    chart's size in pixels (titles and legend included). Past ``max_facets`` facets only the
    largest by total are drawn, and the subtitle says so."""
    if not series.starts:
        raise GroundswellError(f"series {series.name!r} has no periods to chart")
    if max_facets < 1:
        raise ValueError("max_facets must be at least 1")
    frame = _frame(series, width, max_facets)
    subtitle = [*series.notes]
    if len(frame.rows) < len(series.facets):
        by = f" by {', '.join(series.facet_fields)}" if series.facet_fields else ""
        subtitle.append(
            f"Showing {len(frame.rows)} of {len(series.facets)} lines{by}: the largest by total"
            f" ({len(series.facets) - len(frame.rows)} left out)."
        )
    x = _x_encoding(frame)
    unit = series.unit or "value"
    y: dict[str, Any] = {
        "field": "v",
        "type": "quantitative",
        "title": unit,
        "axis": {"format": ",~f"},
        "scale": {"zero": True, "nice": True},
    }
    if not np.isfinite(series.values[frame.rows]).any():
        y["scale"]["domain"] = [0, 1]  # nothing to scale to: an empty frame under the bands
        y["axis"].update(labels=False, grid=False)

    layers: list[dict[str, Any]] = []
    gaps, gap_labels = _gap_layers(frame, x)
    marks, runs = _anomaly_layers(frame, anomalies, x, y)
    layers += gaps
    layers += runs  # the tinted bands of anomalous runs, under the lines
    layers += _baseline_layers(frame, x, y)
    layers += _line_layers(frame, x, y)
    projected, projected_note = _projected_layers(frame, x, y)
    layers += projected
    layers += gap_labels
    layers += marks
    layers += _event_layers(frame, events, x)
    key = _key(frame, projected_note)
    if key:
        subtitle.append(key)

    spec: dict[str, Any] = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": width,
        "height": height,
        "autosize": {"type": "fit", "contains": "padding"},
        "title": {"text": title or series.name, "subtitle": _wrap(subtitle)},
        "config": _config(),
        "layer": layers,
    }
    if not subtitle:
        del spec["title"]["subtitle"]
    return spec


def _frame(series: Series, width: int, max_facets: int) -> _Frame:
    tz = zone(series.timezone)
    walls = [wall_clock(s, tz) for s in series.starts]
    step = STEPS[series.period]
    around = [walls[0] - step, *walls, walls[-1] + step]
    ms = [utc_ms(w) for w in walls]
    outer = [utc_ms(w) for w in around]
    edges = [(outer[i] + outer[i + 1]) / 2 for i in range(len(outer) - 1)]
    rows = list(range(len(series.facets)))
    if len(rows) > max_facets:
        shown = np.where(series.status == MISSING, 0.0, np.nan_to_num(series.values))
        totals = shown.sum(axis=1)
        keep = sorted(rows, key=lambda f: (-totals[f], f))[:max_facets]
        rows = sorted(keep)
    labels = [_facet_label(series, series.facets[f]) for f in rows]
    colours: list[str] = []
    palette = iter(PALETTE)
    for f in rows:
        if series.facets[f] == ("other",):
            colours.append(GREY)
        else:
            colours.append(next(palette, GREY))
    if len(rows) == 1 and not series.facet_fields:
        colours = [SINGLE]
    faceted = bool(series.facet_fields) or len(rows) > 1
    plot_width = max(width - (150 if faceted else 90), 100)
    return _Frame(series, walls, ms, edges, rows, labels, colours, faceted, plot_width)


def _config() -> dict[str, Any]:
    """The house style: quiet axes, a left-aligned title, a legend on top."""
    return {
        "font": FONT,
        "background": "white",
        "padding": {"left": 8, "right": 16, "top": 8, "bottom": 8},
        "view": {"stroke": None},
        "title": {
            "anchor": "start",
            "fontSize": 16,
            "fontWeight": "bold",
            "color": "#1a1a1a",
            "subtitleFontSize": 12,
            "subtitleColor": "#555555",
            "subtitlePadding": 5,
            "offset": 14,
        },
        "axis": {
            "labelFontSize": 11,
            "labelColor": "#333333",
            "titleFontSize": 11,
            "titleFontWeight": "normal",
            "titleColor": "#333333",
            "domainColor": "#888888",
            "tickColor": "#888888",
            "gridColor": "#e5e5e5",
        },
        "axisX": {"grid": False, "labelFlush": False, "labelOverlap": False, "titlePadding": 8},
        "axisY": {
            "domain": False,
            "ticks": False,
            "labelPadding": 6,
            "tickCount": 5,
            "titleAngle": 0,
            "titleAlign": "left",
            "titleAnchor": "end",
            "titleBaseline": "bottom",
            "titleY": -10,
        },
        "legend": {
            "orient": "top",
            "direction": "horizontal",
            "title": None,
            "labelFontSize": 11,
            "labelLimit": 200,
            "symbolType": "stroke",
            "symbolStrokeWidth": 3,
            "symbolSize": 240,
            "columnPadding": 18,
            "offset": 26,
        },
        "line": {"strokeCap": "round", "strokeJoin": "round"},
    }


def _x_encoding(frame: _Frame) -> dict[str, Any]:
    values, labels = ticks(frame.walls, frame.ms, frame.series.period, frame.plot_width)
    expr = f"{json.dumps(labels)}[indexof({json.dumps(values)}, time(datum.value))]"
    return {
        "field": "t",
        "type": "temporal",
        "title": f"{X_TITLES[frame.series.period]} ({frame.series.timezone})",
        "scale": {"type": "utc", "domain": [frame.edges[0], frame.edges[-1]]},
        "axis": {"values": values, "labelExpr": expr},
    }


def _colour(frame: _Frame) -> dict[str, Any]:
    """The facet colour encoding: the same scale and legend in every layer, so Vega-Lite
    merges them into one legend (a legend of lines, by the config's symbol type)."""
    widest = max(_text_px(label, 11) for label in frame.labels) + 48
    fits = max(1, min(len(frame.labels), int((frame.plot_width + 60) // widest)))
    columns = math.ceil(len(frame.labels) / math.ceil(len(frame.labels) / fits))  # balanced rows
    return {
        "field": "facet",
        "type": "nominal",
        "scale": {"domain": frame.labels, "range": frame.colours},
        "legend": {"columns": columns},
    }


# ---------------------------------------------------------------- layers


def _gap_layers(
    frame: _Frame, x: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(bands, their labels): grey bands over runs of periods with the same set of drawn
    facets not collected."""
    s = frame.series
    missing = s.status[frame.rows] == MISSING
    bands: list[dict[str, Any]] = []
    t = 0
    while t < len(frame.walls):
        which = tuple(np.flatnonzero(missing[:, t]))
        if not which:
            t += 1
            continue
        end = t
        while end + 1 < len(frame.walls) and tuple(np.flatnonzero(missing[:, end + 1])) == which:
            end += 1
        every = len(which) == len(frame.rows)
        label = "not collected"
        if not every:
            names = [frame.labels[i] for i in which]
            more = f" +{len(names) - 2}" if len(names) > 2 else ""
            label = f"{', '.join(names[:2])}{more} not collected"
        x0, x1 = frame.edges[t], frame.edges[end + 1]
        bands.append(
            {
                "x0": x0,
                "x1": x1,
                "mid": (x0 + x1) / 2,
                "label": label,
                "when": span_label(frame.walls, s.period, t, end),
                "shade": 0.11 if every else 0.05,
                "across": frame.px(x0, x1) >= _text_px(label, 10) + 8,
            }
        )
        t = end + 1
    if not bands:
        return [], []
    band_x = {**x, "field": "x0"}
    rect = {
        "data": {"values": bands},
        "mark": {"type": "rect", "color": "#000000"},
        "encoding": {
            "x": band_x,
            "x2": {"field": "x1"},
            "opacity": {"field": "shade", "type": "quantitative", "scale": None},
            "tooltip": [
                {"field": "label", "title": "coverage"},
                {"field": "when", "title": "periods"},
            ],
        },
    }
    return [rect], _band_labels(bands, band_x, "#555555", 10, 6)


def _band_labels(
    bands: list[dict[str, Any]], x: dict[str, Any], colour: str, size: int, top: float
) -> list[dict[str, Any]]:
    """A band's label at its top: across it when it fits, else up its middle."""
    centre = {"x": {**x, "field": "mid"}, "text": {"field": "label"}}
    halo = {"stroke": "white", "strokeWidth": 3, "strokeJoin": "round", "strokeOpacity": 0.8}
    layers = []
    across = [b for b in bands if b["across"]]
    along = [b for b in bands if not b["across"]]
    text = {"type": "text", "y": top, "fontSize": size}
    for rows, place in (
        (across, {"baseline": "top", "align": "center"}),
        (along, {"angle": 270, "baseline": "middle", "align": "right"}),
    ):
        if rows:
            for style in ({**halo, "color": "white"}, {"color": colour}):
                layers.append(
                    {
                        "data": {"values": rows},
                        "mark": {**text, **place, **style},
                        "encoding": centre,
                    }
                )
    return layers


def _line_layers(frame: _Frame, x: dict[str, Any], y: dict[str, Any]) -> list[dict[str, Any]]:
    """The observed points as lines, one path per run of consecutive observed periods (so a
    missing or projected period breaks the line), with dots where a run is one point long."""
    s = frame.series
    rows: list[dict[str, Any]] = []
    alone: list[dict[str, Any]] = []
    n = len(frame.walls)
    for i, f in enumerate(frame.rows):
        ok = (s.status[f] == OBSERVED) & np.isfinite(s.values[f])
        run = 0
        for t in range(n):
            if not ok[t]:
                continue
            if t == 0 or not ok[t - 1]:
                run += 1
            row = _point(frame, i, t, s.values[f, t], "observed")
            row["run"] = f"{i}.{run}"
            rows.append(row)
            if (t == 0 or not ok[t - 1]) and (t == n - 1 or not ok[t + 1]):
                alone.append(row)
    colour: dict[str, Any] = _colour(frame) if frame.faceted else {"value": frame.colours[0]}
    dots = n <= POINTS_UP_TO
    line = {
        "data": {"values": rows},
        "mark": {
            "type": "line",
            "strokeWidth": 2 if frame.faceted else 2.25,
            "point": {"filled": True, "size": 30} if dots else "transparent",
        },
        "encoding": {
            "x": x,
            "y": y,
            "color": colour,
            "detail": {"field": "run", "type": "nominal"},
            "tooltip": _tooltip(frame),
        },
    }
    layers = [line]
    if alone and not dots:
        layers.append(
            {
                "data": {"values": alone},
                "mark": {"type": "point", "filled": True, "size": 30, "opacity": 1},
                "encoding": {"x": x, "y": y, "color": colour},
            }
        )
    return layers


def _baseline_layers(frame: _Frame, x: dict[str, Any], y: dict[str, Any]) -> list[dict[str, Any]]:
    s = frame.series
    if s.baseline is None:
        return []
    rows: list[dict[str, Any]] = []
    for i, f in enumerate(frame.rows):
        ok = np.isfinite(s.baseline[f])
        run = 0
        for t in np.flatnonzero(ok):
            if t == 0 or not ok[t - 1]:
                run += 1
            row = _point(frame, i, int(t), s.baseline[f, t], "baseline")
            row["run"] = f"{i}.{run}"
            rows.append(row)
    if not rows:
        return []
    colour = _colour(frame) if frame.faceted else {"value": BASELINE_SINGLE}
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": rows},
            "mark": {
                "type": "line",
                "strokeWidth": 1.25,
                "strokeDash": [5, 4],
                "opacity": 0.85,
            },
            "encoding": {
                "x": x,
                "y": y,
                "color": colour,
                "detail": {"field": "run", "type": "nominal"},
            },
        }
    ]
    return layers


def _projected_layers(
    frame: _Frame, x: dict[str, Any], y: dict[str, Any]
) -> tuple[list[dict[str, Any]], bool]:
    """Each projected point hollow, a dashed connector from the observed point before it, and
    "N expected" beside the largest projected point."""
    s = frame.series
    points: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for i, f in enumerate(frame.rows):
        for t in map(int, np.flatnonzero((s.status[f] == PROJECTED) & np.isfinite(s.values[f]))):
            row = _point(frame, i, t, s.values[f, t], "projected")
            points.append(row)
            before = t - 1
            if before >= 0 and s.status[f, before] == OBSERVED and np.isfinite(s.values[f, before]):
                link = {"run": f"{i}.{t}"}
                links.append({**_point(frame, i, before, s.values[f, before], "observed"), **link})
                links.append({**row, **link})
    if not points:
        return [], False
    colour = _colour(frame) if frame.faceted else {"value": frame.colours[0]}
    layers: list[dict[str, Any]] = []
    if links:
        layers.append(
            {
                "data": {"values": links},
                "mark": {"type": "line", "strokeWidth": 1.75, "strokeDash": [3, 3]},
                "encoding": {
                    "x": x,
                    "y": y,
                    "color": colour,
                    "detail": {"field": "run", "type": "nominal"},
                },
            }
        )
    layers.append(
        {
            "data": {"values": points},
            "mark": {
                "type": "point",
                "filled": False,
                "fill": "white",
                "fillOpacity": 1,
                "strokeWidth": 2,
                "size": 64,
                "opacity": 1,
            },
            "encoding": {"x": x, "y": y, "color": colour, "tooltip": _tooltip(frame)},
        }
    )
    top = max(points, key=lambda p: (p["v"], p["t"]))
    label = {**top, "label": f"{_num(top['v'])} expected"}
    layers += _labels([label], x, y, "#333333", side="right")
    return layers, True


def _event_layers(
    frame: _Frame, events: Sequence[tuple[datetime, str]], x: dict[str, Any]
) -> list[dict[str, Any]]:
    """A dashed rule at the period each event falls in (where that period's point is drawn)
    and its label at the top, staggered over three rows so close events stay readable."""
    tz = zone(frame.series.timezone)
    rows: list[dict[str, Any]] = []
    for when, label in sorted(events, key=lambda e: e[0]):
        wall = wall_clock(when, tz)
        at = bisect.bisect_right(frame.walls, wall) - 1
        if at < 0 or wall >= frame.walls[-1] + STEPS[frame.series.period]:
            continue  # outside the chart
        rows.append(
            {
                "t": frame.ms[at],
                "label": label,
                "when": f"{wall:%Y-%m-%d %H:%M}",
                "px": 2 + 14 * (len(rows) % 3),
            }
        )
    if not rows:
        return []
    tips = [{"field": "label", "title": "event"}, {"field": "when", "title": "time"}]
    return [
        {
            "data": {"values": rows},
            "mark": {"type": "rule", "color": EVENT, "strokeDash": [2, 3], "strokeWidth": 1.5},
            "encoding": {"x": x, "tooltip": tips},
        },
        {
            "data": {"values": rows},
            "mark": {
                "type": "text",
                "color": EVENT,
                "align": "left",
                "baseline": "top",
                "dx": 4,
                "fontSize": 11,
                "fontWeight": "bold",
            },
            "encoding": {
                "x": x,
                "y": {"field": "px", "type": "quantitative", "scale": None},  # pixels
                "text": {"field": "label"},
                "tooltip": tips,
            },
        },
    ]


def _anomaly_layers(
    frame: _Frame, anomalies: Sequence[AnomalyLike], x: dict[str, Any], y: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(marks drawn over the lines, bands drawn under them). A one-period anomaly is a shape
    at its point; a run of periods, or an anomaly of no facet on a faceted chart, is a tinted
    band; both carry the kind as text. Anomalies on facets not drawn are left out."""
    s = frame.series
    where = {s.facets[f]: i for i, f in enumerate(frame.rows)}
    marks: list[dict[str, Any]] = []
    bands: list[dict[str, Any]] = []
    for a in anomalies:
        span = index_span(frame.walls, s.period, s.timezone, a.start, a.end)
        if span is None:
            continue
        t0, t1 = span
        row = where.get(tuple(a.facet), None if frame.faceted else 0)
        if row is None and a.facet:
            continue  # on a facet that is not drawn
        kind = a.kind.replace("_", " ")
        info = {
            "kind": kind,
            "when": span_label(frame.walls, s.period, t0, t1),
            "facet": " / ".join(a.facet) or "(all)",
            "value_text": _num(a.value),
            "baseline_text": _num(a.baseline),
            "severity_text": _num(a.severity),
            "explanation": a.explanation,
        }
        if t1 > t0 or row is None:  # a run, or a point of no one line: a band
            x0, x1 = frame.edges[t0], frame.edges[t1 + 1]
            label = kind if not frame.faceted or not a.facet else f"{kind}: {info['facet']}"
            bands.append({**info, **_band(frame, x0, x1, label)})
            continue
        f = frame.rows[row]
        value = next(
            (
                float(v)
                for v in (
                    a.value,
                    s.values[f, t0],
                    np.nan if s.baseline is None else s.baseline[f, t0],
                    0.0,
                )
                if v is not None and math.isfinite(v)
            ),
        )
        marks.append(
            {
                **info,
                "t": frame.ms[t0],
                "v": value,
                "label": kind,
                "shape": SHAPES.get(a.kind, SHAPE_OTHER),
                "below": a.kind == "dip",
            }
        )
    tips = [
        {"field": "kind", "title": "anomaly"},
        {"field": "when", "title": "period"},
        *([{"field": "facet", "title": "facet"}] if frame.faceted else []),
        {"field": "value_text", "title": "value"},
        {"field": "baseline_text", "title": "baseline"},
        {"field": "severity_text", "title": "severity"},
        {"field": "explanation", "title": "why"},
    ]
    over: list[dict[str, Any]] = []
    if marks:
        over.append(
            {
                "data": {"values": marks},
                "mark": {
                    "type": "point",
                    "filled": True,
                    "size": 120,
                    "color": ANOMALY,
                    "stroke": "white",
                    "strokeWidth": 1.5,
                    "opacity": 1,
                },
                "encoding": {
                    "x": x,
                    "y": y,
                    "shape": {"field": "shape", "type": "nominal", "scale": None},
                    "tooltip": tips,
                },
            }
        )
        named = _one_label_per_point(marks)
        over += _labels([m for m in named if not m["below"]], x, y, ANOMALY, side="above")
        over += _labels([m for m in named if m["below"]], x, y, ANOMALY, side="below")
    under: list[dict[str, Any]] = []
    if bands:
        band_x = {**x, "field": "x0"}
        under.append(
            {
                "data": {"values": bands},
                "mark": {"type": "rect", "color": ANOMALY, "opacity": 0.12},
                "encoding": {"x": band_x, "x2": {"field": "x1"}, "tooltip": tips},
            }
        )
        over += _band_labels(_one_label_per_overlap(frame, bands), band_x, ANOMALY, 11, 22)
    return over, under


def _one_label_per_point(marks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Marks of one kind in one period share one label ("level shift: 2 lines"), at the
    highest of them (the lowest, for dips): their labels would be printed over each other."""
    groups: dict[tuple[Any, str], list[dict[str, Any]]] = {}
    for m in marks:
        groups.setdefault((m["t"], m["label"]), []).append(m)
    out = []
    for g in groups.values():
        top = (min if g[0]["below"] else max)(g, key=lambda m: m["v"])
        out.append(top if len(g) == 1 else {**top, "label": f"{top['label']}: {len(g)} lines"})
    return out


def _one_label_per_overlap(frame: _Frame, bands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Bands of one kind that overlap share one label ("spike: 4 lines"), over their union:
    several facets surging in the same weeks would otherwise stack their labels unreadably."""
    groups: list[list[dict[str, Any]]] = []
    for b in sorted(bands, key=lambda b: (b["kind"], b["x0"])):
        last = groups[-1] if groups else None
        if last and last[0]["kind"] == b["kind"] and b["x0"] < max(g["x1"] for g in last):
            last.append(b)
        else:
            groups.append([b])
    labels = []
    for g in groups:
        if len(g) == 1:
            labels.append(g[0])
            continue
        x0, x1 = min(b["x0"] for b in g), max(b["x1"] for b in g)
        labels.append(_band(frame, x0, x1, f"{g[0]['kind']}: {len(g)} lines"))
    return labels


def _band(frame: _Frame, x0: float, x1: float, label: str) -> dict[str, Any]:
    """A band from x0 to x1 and its label, which goes across it when it fits."""
    across = frame.px(x0, x1) >= _text_px(label, 11) + 8
    return {"x0": x0, "x1": x1, "mid": (x0 + x1) / 2, "label": label, "across": across}


def _labels(
    rows: list[dict[str, Any]], x: dict[str, Any], y: dict[str, Any], colour: str, *, side: str
) -> list[dict[str, Any]]:
    """Text above, below or to the right of points, over a white halo so it stays legible
    where it crosses a line."""
    if not rows:
        return []
    mark: dict[str, Any] = {"type": "text", "fontSize": 11, "fontWeight": "bold"}
    if side == "right":
        mark.update(align="left", baseline="middle", dx=9)
    else:
        mark.update(
            align="center",
            baseline="bottom" if side == "above" else "top",
            dy=-9 if side == "above" else 9,
        )
    encoding = {"x": x, "y": y, "text": {"field": "label"}}
    halo = {
        **mark,
        "color": "white",
        "stroke": "white",
        "strokeWidth": 3,
        "strokeJoin": "round",
        "opacity": 0.9,
    }
    return [
        {"data": {"values": rows}, "mark": halo, "encoding": encoding},
        {"data": {"values": rows}, "mark": {**mark, "color": colour}, "encoding": encoding},
    ]


def _key(frame: _Frame, projected: bool) -> str:
    """One line explaining the marks that are not labelled where they are drawn."""
    parts = []
    if frame.series.baseline is not None and np.isfinite(frame.series.baseline[frame.rows]).any():
        parts.append("dashed lines: baseline" if frame.faceted else "dashed grey line: baseline")
    if projected:
        parts.append(f"hollow point: the estimate for the unfinished {frame.series.period}")
    return "; ".join(parts).capitalize() + ("." if parts else "")


def _point(frame: _Frame, i: int, t: int, value: float, status: str) -> dict[str, Any]:
    s = frame.series
    f = frame.rows[i]
    row: dict[str, Any] = {
        "t": frame.ms[t],
        "v": float(value),
        "facet": frame.labels[i],
        "when": period_label(frame.walls[t], s.period),
        "value_text": _num(float(value)),
        "status": status,
    }
    if status == "projected" and s.partial is not None and np.isfinite(s.partial[f, t]):
        row["value_text"] += f" (so far {_num(float(s.partial[f, t]))})"
    return row


def _tooltip(frame: _Frame) -> list[dict[str, Any]]:
    facet = [{"field": "facet", "title": " / ".join(frame.series.facet_fields) or "facet"}]
    return [
        *(facet if frame.faceted else []),
        {"field": "when", "title": "period"},
        {"field": "value_text", "title": frame.series.unit or "value"},
        {"field": "status", "title": "status"},
    ]


# ---------------------------------------------------------------- text


def _facet_label(series: Series, key: tuple[str, ...]) -> str:
    if not key:
        return series.name
    return " / ".join(str(k) if str(k) else "(none)" for k in key)


def _num(v: float | None) -> str:
    """A value for a label: thousands separators, few decimals, no trailing zeros."""
    if v is None or not math.isfinite(v):
        return "n/a"
    a = abs(v)
    digits = 0 if a >= 100 else 1 if a >= 10 else 2
    text = f"{v:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _text_px(text: str, size: int) -> float:
    return len(text) * size * 0.56


def _wrap(lines: list[str], width: int = 110) -> list[str]:
    out: list[str] = []
    for line in lines:
        words = line.split()
        current = ""
        for word in words:
            if current and len(current) + 1 + len(word) > width:
                out.append(current)
                current = word
            else:
                current = f"{current} {word}" if current else word
        if current:
            out.append(current)
    return out
