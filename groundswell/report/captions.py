"""Numbers and periods written for people, and the one-line caption a chart or table gets:
computed from the series, never typed by hand.

Examples::

    number(3189.0, "posts")            # "3,189"
    number(0.125, "share")             # "12.5%"
    period_name(start, "month")        # "March 2020"
    caption(series, focus, additive=True)
    # "March 2020: 9,255, up 231% on February 2020; the highest month since January 2019."

A caption speaks of the report's period (``focus``: [start, end)). When the series' periods
are as long as the report's or longer, it is the one point there, compared with the point
before and ranked against the earlier points shown ("highest since"). When they are shorter
(days in a weekly report) it is the period's total (counts and sums) or mean (other measures),
compared with the same number of periods just before. A faceted series is spoken of as its
total when its measure adds up, else by the facet that moved most.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from groundswell.analysis.compile import shift
from groundswell.analysis.series import MISSING, OBSERVED, PROJECTED, Series
from groundswell.report.spec import MONTH_NAMES

SHORT_MONTHS = tuple(m[:3] for m in MONTH_NAMES)
ORDER = ("hour", "day", "week", "month", "quarter", "year")


def number(v: float | None, unit: str = "") -> str:
    """A value as a person reads it: thousands separators, a share as a percentage, one
    decimal for values that are not whole."""
    if v is None or np.isnan(v):
        return "n/a"
    if unit == "share":
        return f"{v * 100:.1f}%"
    if unit.startswith("%"):
        return f"{v:+.1f}%"
    if abs(v - round(v)) < 1e-9 and abs(v) < 1e15:
        return f"{round(v):,}"
    return f"{v:,.1f}" if abs(v) >= 10 else f"{v:,.2f}"


def amount(v: float | None, unit: str = "") -> str:
    """A value with its unit: ``1,403 links``, ``13.7 minutes``, ``12.5%``."""
    text = number(v, unit)
    return text if not unit or unit == "share" or unit.startswith("%") else f"{text} {unit}"


def change(now: float, before: float) -> str:
    """``up 24%``, ``down 50%``, ``about the same as``, ``up from 0``."""
    if before == 0:
        return "up from none" if now > 0 else "the same as"
    pct = (now - before) / abs(before) * 100
    if abs(pct) < 0.5:
        return "about the same as"
    return f"{'up' if pct > 0 else 'down'} {abs(pct):,.0f}% on"


def period_name(start: datetime, period: str) -> str:
    """``14 May 2020``, ``the week of 11 May 2020``, ``May 2020``, ``Q2 2020``."""
    month = MONTH_NAMES[start.month - 1]
    if period == "hour":
        return f"{start.day} {month} {start.year}, {start:%H}:00"
    if period == "day":
        return f"{start.day} {month} {start.year}"
    if period == "week":
        return f"the week of {start.day} {month} {start.year}"
    if period == "month":
        return f"{month} {start.year}"
    if period == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return str(start.year)


def span_name(first: datetime, last: datetime, period: str) -> str:
    """Periods ``first`` to ``last`` (their starts, both in): ``12 to 14 May 2020``,
    ``the weeks of 13 April to 8 June 2020``, ``March to May 2020``; one period by
    :func:`period_name`."""
    if first == last:
        return period_name(first, period)
    if period == "week":
        year = f" {first.year}" if first.year != last.year else ""
        month = MONTH_NAMES[first.month - 1]
        return f"the weeks of {first.day} {month}{year} to {period_name(last, 'day')}"
    if first.year == last.year and period in ("day", "month"):
        if period == "month":
            return f"{MONTH_NAMES[first.month - 1]} to {period_name(last, period)}"
        if period == "day" and first.month == last.month:
            return f"{first.day} to {period_name(last, period)}"
    return f"{period_name(first, period)} to {period_name(last, period)}"


def column_name(start: datetime, period: str) -> str:
    """A short period name for a table column: ``14 May``, ``W20``, ``May 2020``."""
    if period == "hour":
        return f"{start:%d %H}:00"
    if period == "day":
        return f"{start.day} {SHORT_MONTHS[start.month - 1]}"
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"W{week} {year}"
    if period == "month":
        return f"{SHORT_MONTHS[start.month - 1]} {start.year}"
    return period_name(start, period)


def facet_name(series: Series, f: int) -> str:
    """A facet for people: ``forum:Lantern Hall``, ``priority 2`` (a bare number is named by
    its field)."""
    key = series.facets[f]
    fields = [*series.facet_fields, *[""] * len(key)]
    return " / ".join(
        f"{sentence(field)} {v}" if field and v.lstrip("-").isdigit() else v
        for field, v in zip(fields, key, strict=False)
    )


def _row(series: Series, additive: bool, focus: slice) -> tuple[np.ndarray, np.ndarray, str]:
    """The values, statuses and name of what a caption speaks of."""
    if len(series.facets) == 1:
        return series.values[0], series.status[0], facet_name(series, 0)
    if additive:
        ok = series.status != MISSING
        values = np.where(ok.any(axis=0), np.nansum(np.where(ok, series.values, 0), axis=0), np.nan)
        status = np.where(
            (series.status == PROJECTED).any(axis=0),
            PROJECTED,
            np.where(ok.any(axis=0), OBSERVED, MISSING),
        )
        return values, status, "all together"
    # the facet that moved most in the focus, against its own earlier level
    best, score = 0, -1.0
    for f in range(len(series.facets)):
        v = series.values[f]
        now = np.nanmean(v[focus]) if np.isfinite(v[focus]).any() else np.nan
        before = np.nanmedian(v[: focus.start]) if np.isfinite(v[: focus.start]).any() else np.nan
        if np.isfinite(now) and np.isfinite(before) and before:
            moved = abs(now - before) / abs(before)
            if moved > score:
                best, score = f, moved
    return series.values[best], series.status[best], facet_name(series, best)


def caption(
    series: Series, start: datetime, end: datetime, *, additive: bool, unit: str = ""
) -> str:
    """One sentence on the report period [start, end) of ``series`` (see the module doc)."""
    unit = unit or series.unit
    # the points whose periods overlap [start, end)
    starts = series.starts
    inside = [
        t
        for t, s in enumerate(starts)
        if s < end and (starts[t + 1] if t + 1 < len(starts) else end) > start
    ]
    if not inside:
        return ""
    focus = slice(inside[0], inside[-1] + 1)
    values, status, name = _row(series, additive, focus)
    who = f"{name}, " if name and name != "all together" else ""  # (a name keeps its case)
    if ORDER.index(series.period) >= _length(start, end):
        return who + sentence(_point(series, values, status, inside[-1], unit))
    # a total or mean over the periods wholly inside (days of a week, weeks of a month)
    whole = [t for t in inside if starts[t] >= start and _next(series, t) <= end] or inside
    within = len(whole) < len(inside)
    focus = slice(whole[0], whole[-1] + 1)
    return who + sentence(_span(series, values, status, focus, additive, unit, within))


def _next(series: Series, t: int) -> datetime:
    """Where the period starting at ``starts[t]`` ends."""
    if t + 1 < len(series.starts):
        return series.starts[t + 1]
    start = series.starts[t]
    return shift(series.period, start.replace(tzinfo=None), 1).replace(tzinfo=start.tzinfo)


def _length(start: datetime, end: datetime) -> int:
    """The index in ORDER of the period a span of this length is."""
    days = (end - start).days
    return 2 if days <= 7 else 3 if days <= 31 else 4 if days <= 92 else 5


def _point(series: Series, values: np.ndarray, status: np.ndarray, t: int, unit: str) -> str:
    label = period_name(series.starts[t], series.period)
    if status[t] == MISSING:
        return f"{label}: not collected."
    v = values[t]
    if status[t] == PROJECTED:
        v = round(v)  # an estimate: no false precision
    text = f"{label}: {amount(v, unit)}"
    if status[t] == PROJECTED:
        text += " expected"
        if series.partial is not None and len(series.facets) == 1:
            text += f" ({number(series.partial[0, t], unit)} so far)"
    if t > 0 and status[t - 1] != MISSING and np.isfinite(values[t - 1]):
        prev = period_name(series.starts[t - 1], series.period)
        text += f", {change(v, values[t - 1])} {prev}"
    earlier = [i for i in range(t) if status[i] == OBSERVED and np.isfinite(values[i])]
    if status[t] == OBSERVED and len(earlier) >= 3:
        higher = [i for i in earlier if values[i] >= v]
        lower = [i for i in earlier if values[i] <= v]
        what = series.period
        if not higher:
            text += f"; the highest {what} in the {len(earlier) + 1} shown"
        elif not lower:
            text += f"; the lowest {what} in the {len(earlier) + 1} shown"
        elif higher[-1] < t - 1 and len(higher) <= len(lower):
            since = period_name(series.starts[higher[-1]], series.period)
            text += f"; the highest {what} since {since}"
        elif lower[-1] < t - 1:
            since = period_name(series.starts[lower[-1]], series.period)
            text += f"; the lowest {what} since {since}"
    return text + "."


def _span(
    series: Series,
    values: np.ndarray,
    status: np.ndarray,
    focus: slice,
    additive: bool,
    unit: str,
    within: bool,
) -> str:
    n = focus.stop - focus.start
    now_ok = status[focus] != MISSING
    if not now_ok.any():
        return "not collected in this period."
    per = f"{series.period}s"
    kind = "total" if additive else "mean"

    def measure(cut: slice) -> float:
        v = values[cut][status[cut] != MISSING]
        return float(np.nansum(v) if additive else np.nanmean(v))

    now = measure(focus)
    if (status[focus] == PROJECTED).any():  # an estimate: no false precision
        now = round(now)
    span = f"the {n} {per} within the period" if within else "the period"
    text = f"{kind} over {span}: {amount(now, unit)}"
    if n_missing := int((~now_ok).sum()):
        text += f" ({n_missing} of {n} {per} not collected)"
    before = slice(max(focus.start - n, 0), focus.start)
    if before.stop - before.start == n and (status[before] != MISSING).all():
        text += f", {change(now, measure(before))} the {n} {per} before"
    return text + "."


def sentence(s: str) -> str:
    """``s`` with its first letter in upper case (the rest as it is)."""
    return s[:1].upper() + s[1:]
