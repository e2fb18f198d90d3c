"""Where and how dates go on a chart's x axis: period starts as wall-clock times in the
series' own timezone, placed on a UTC millisecond scale; period names for tooltips; and tick
positions and labels computed here, so a picture never depends on the timezone of the machine
that renders it.

Examples::

    tz = zone("Europe/Berlin")
    walls = [wall_clock(s, tz) for s in series.starts]
    ms = [utc_ms(w) for w in walls]
    values, labels = ticks(walls, ms, series.period, plot_width=600)
    period_label(walls[0], "week")   # "Week 1 of 2020 (from Mon 30 Dec)"
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

from groundswell.errors import GroundswellError

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
STEPS = {
    "hour": relativedelta(hours=1),
    "day": relativedelta(days=1),
    "week": relativedelta(weeks=1),
    "month": relativedelta(months=1),
    "quarter": relativedelta(months=3),
    "year": relativedelta(years=1),
}
X_TITLES = {
    "hour": "Hour",
    "day": "Day",
    "week": "Week starting Monday",
    "month": "Month",
    "quarter": "Quarter",
    "year": "Year",
}
EPOCH = datetime(1970, 1, 1)
LABEL_PX = {"hour": 52, "day": 56, "month": 42, "quarter": 40, "year": 46}


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise GroundswellError(f"unknown timezone {name!r} in series") from None


def wall_clock(when: datetime, tz: ZoneInfo) -> datetime:
    """A time as naive wall-clock time in ``tz`` (a naive time is taken as already so)."""
    if when.tzinfo is None:
        return when
    return when.astimezone(tz).replace(tzinfo=None)


def utc_ms(wall: datetime) -> int:
    return (wall - EPOCH) // timedelta(milliseconds=1)


def index_span(
    walls: Sequence[datetime], period: str, timezone: str, start: datetime, end: datetime
) -> tuple[int, int] | None:
    """The period indexes an anomaly covers, clipped to the chart (None when outside)."""
    tz = zone(timezone)
    first = wall_clock(start, tz)
    last = wall_clock(end, tz)
    if last < first:
        first, last = last, first
    t0 = max(bisect.bisect_right(walls, first) - 1, 0)
    t1 = bisect.bisect_right(walls, last) - 1
    if t1 < 0 or first >= walls[-1] + STEPS[period]:
        return None
    return t0, t1


def period_label(d: datetime, period: str) -> str:
    """A period for a tooltip: "Thu 12 Mar 2020", "Week 11 of 2020 (from Mon 9 Mar)"..."""
    day = f"{DAYS[d.weekday()]} {d.day} {MONTHS[d.month - 1]} {d.year}"
    if period == "hour":
        return f"{day} {d.hour:02d}:{d.minute:02d}"
    if period == "day":
        return day
    if period == "week":
        year, week, _ = d.isocalendar()
        return f"Week {week} of {year} (from {DAYS[d.weekday()]} {d.day} {MONTHS[d.month - 1]})"
    if period == "month":
        return f"{MONTHS[d.month - 1]} {d.year}"
    if period == "quarter":
        return f"Q{(d.month - 1) // 3 + 1} {d.year}"
    return str(d.year)


def span_label(walls: Sequence[datetime], period: str, t0: int, t1: int) -> str:
    """Periods ``t0`` to ``t1`` (inclusive) for a tooltip."""
    first = period_label(walls[t0], period)
    return first if t1 == t0 else f"{first} to {period_label(walls[t1], period)}"


Rule = tuple[str, Callable[[datetime], bool]]


def _rules(period: str) -> list[Rule]:
    """Tick rules from finest to coarsest: (label style, which period starts get a tick)."""
    weekly = period == "week"

    def month_start(d: datetime) -> bool:
        return d.day <= 7 if weekly else (d.day == 1 and d.hour == 0)

    def every_months(k: int) -> Callable[[datetime], bool]:
        return lambda d: month_start(d) and (d.month - 1) % k == 0

    def every_years(k: int) -> Callable[[datetime], bool]:
        return lambda d: month_start(d) and d.month == 1 and d.year % k == 0

    def every_hours(k: int) -> Callable[[datetime], bool]:
        return lambda d: d.hour % k == 0 and d.minute == 0

    month_style = "day" if weekly else "month"
    years: list[Rule] = [("year", every_years(k)) for k in (1, 2, 5, 10, 20, 50, 100, 1000)]
    months: list[Rule] = [(month_style, every_months(k)) for k in (1, 2, 3, 6)]
    days: list[Rule] = [
        ("day", lambda d: d.hour == 0),
        ("day", lambda d: d.hour == 0 and d.weekday() == 0),
        ("day", lambda d: d.hour == 0 and d.day in (1, 15)),
    ]
    if period == "hour":
        return [*(("hour", every_hours(k)) for k in (1, 2, 3, 6, 12)), *days, *months, *years]
    if period == "day":
        return [*days, *months, *years]
    if period == "week":
        return [
            ("day", lambda d: True),
            ("day", lambda d: d.isocalendar()[1] % 2 == 1),
            *months,
            *years,
        ]
    if period == "month":
        return [*months, *years]
    if period == "quarter":
        return [("quarter", lambda d: True), ("quarter", lambda d: d.month in (1, 7)), *years]
    return years


def ticks(
    walls: Sequence[datetime], ms: Sequence[int], period: str, plot_width: float
) -> tuple[list[int], list[str | list[str]]]:
    """Tick positions (on period starts) and their labels: the coarsest calendar-aligned rule
    that fits the width, with the year (or the date, for hours) on a second line where it
    changes."""
    chosen: list[int] = []
    style = "year"
    for style, rule in _rules(period):
        chosen = [t for t, d in enumerate(walls) if rule(d)]
        if len(chosen) <= max(2, int(plot_width // LABEL_PX[style])):
            break
    if not chosen:
        every = max(1, math.ceil(len(walls) / max(2, int(plot_width // 60))))
        chosen = list(range(0, len(walls), every))
        style = {"hour": "hour", "day": "day", "week": "day"}.get(period, style)
        if period in ("month", "quarter"):
            style = period
    labels: list[str | list[str]] = []
    before: datetime | None = None
    for t in chosen:
        labels.append(_tick_label(walls[t], before, style))
        before = walls[t]
    return [ms[t] for t in chosen], labels


def _tick_label(d: datetime, before: datetime | None, style: str) -> str | list[str]:
    new_year = before is None or before.year != d.year
    day = f"{d.day} {MONTHS[d.month - 1]}"
    if style == "hour":
        if before is None or before.date() != d.date():
            return [f"{d.hour:02d}:{d.minute:02d}", f"{day} {d.year}" if new_year else day]
        return f"{d.hour:02d}:{d.minute:02d}"
    if style == "year":
        return str(d.year)
    first = {"day": day, "month": MONTHS[d.month - 1], "quarter": f"Q{(d.month - 1) // 3 + 1}"}
    return [first[style], str(d.year)] if new_year else first[style]
