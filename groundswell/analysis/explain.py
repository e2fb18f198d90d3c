"""Why an anomaly happened, in the data's own terms: the facets that drive it ("General chat
+1,850 posts/day; Russian chat +620") and, for metrics over indicators, the values that
appeared or vanished ("vanished: imgdrop.example, picbox.example").

The metric is run again, restricted to the anomaly's facet and split by one more field, over
the event and the ``window`` periods before it; each value's change is its mean over the event
minus its median over the periods before. Only for counts and sums (a mean or a percentile of a
part does not add up to the whole).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from groundswell.analysis import compile as cc
from groundswell.analysis.anomalies import Anomaly
from groundswell.analysis.metrics import Filter, Metric
from groundswell.analysis.series import OBSERVED, Series
from groundswell.analysis.trends import trend
from groundswell.errors import MetricError
from groundswell.search.attention import SearchCounter

SPLITS = {  # fields tried, in order, by table
    "posts": ("section", "source", "language"),
    "indicators": ("host", "domain", "source"),
}
VALUE_FIELDS = ("host", "domain", "value")  # indicator fields whose new or vanished values count
WINDOW = {"hour": 72, "day": 28, "week": 12, "month": 6, "quarter": 4, "year": 3}  # periods before
DRIVERS = 3  # facet values named


def explain(
    eng: cc.Engine,
    metric: Metric,
    series: Series,
    anomaly: Anomaly,
    search: SearchCounter | None = None,
) -> Anomaly:
    """``anomaly`` with its ``explanation`` filled (unchanged when nothing can be said). A
    search is split only by what the index can count (``search``)."""
    if not metric.additive:
        return anomaly
    fields = [f for f in SPLITS.get(metric.table, ()) if f not in metric.by]
    if not fields:
        return anomaly
    where = list(metric.where)
    for name, value in zip(metric.by, anomaly.facet, strict=False):
        if value != cc.OTHER:
            where.append(Filter(name, "=", value))
        elif metric.top:  # the rest of a top-N: what the named facets are not
            top = tuple(k[0] for k in series.facets if k and k[0] != cc.OTHER)
            where.append(Filter(name, "not in", top))
    since = cc.shift(series.period, anomaly.start.replace(tzinfo=None), -WINDOW[series.period])
    until = cc.shift(series.period, anomaly.end.replace(tzinfo=None), 1)
    parts: list[str] = []
    for field in fields:
        split = dataclasses.replace(metric, by=(field,), top=None, where=tuple(where))
        try:
            s = trend(
                eng,
                split,
                timezone=series.timezone,
                since=since,
                until=until,
                project=False,
                search=search,
            )
        except MetricError:  # (a split the index cannot count)
            continue
        if len(s.facets) < 2 or not s.starts:
            continue
        event = np.array([anomaly.start <= t <= anomaly.end for t in s.starts])
        before = ~event & np.array([t < anomaly.start for t in s.starts])
        if not event.any() or not before.any():
            continue
        ok = s.status == OBSERVED
        with np.errstate(all="ignore"):
            during = np.nanmean(np.where(ok[:, event], s.values[:, event], np.nan), axis=1)
            usual = np.nanmedian(np.where(ok[:, before], s.values[:, before], np.nan), axis=1)
        delta = np.nan_to_num(during) - np.nan_to_num(usual)
        sign = 1 if anomaly.value >= anomaly.baseline else -1
        order = np.argsort(-sign * delta)
        named = [
            f"{s.facets[i][0]} {delta[i]:+,.0f}" for i in order[:DRIVERS] if sign * delta[i] > 0
        ]
        if named:
            parts.append(f"by {field}: " + "; ".join(named) + f" {series.unit}/{series.period}")
        if metric.table == "indicators" and field in VALUE_FIELDS:
            new = [s.facets[i][0] for i in range(len(s.facets)) if usual[i] == 0 and during[i] > 0]
            gone = [s.facets[i][0] for i in range(len(s.facets)) if usual[i] > 0 and during[i] == 0]
            if new:
                parts.append("new: " + ", ".join(sorted(new)[:5]))
            if gone:
                parts.append("vanished: " + ", ".join(sorted(gone)[:5]))
        if len(parts) >= 2:
            break
    return dataclasses.replace(anomaly, explanation="; ".join(parts)) if parts else anomaly
