"""Metric definitions: what to measure, over which table, filtered how, per which period and
facets. A definition is data: declared under ``[metrics.NAME]`` in the workspace config
(trusted), built with :class:`Metric` in Python, or given as flags to ``groundswell trend``.
It is compiled to a backend-neutral Ibis expression by :mod:`groundswell.analysis.compile`,
so a filter's field is checked against the table's columns and its value is a typed literal,
never text pasted into SQL.

Examples (the shapes of the four stories)::

    Metric("file_sharing_index", table="indicators", period="month",
           where=parse_filters(["kind = url", "extension = jpg", "network = clearnet",
                                "in_quote = false"]))
    Metric("covid_posts", period="day", by=("source",), where=parse_filters(["lexicon = covid"]))
    Metric("original_share", period="month", where=parse_filters(["section = Uploads"]),
           share=parse_filters(["tags contains Original"]))
    Metric("p1_assign_minutes", table="calls", measure="mean",
           duration=("queued_at", "assigned_at"), unit="minutes", period="week",
           by=("precinct",), where=parse_filters(["priority = 1"]), timezone="America/Chicago")
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from groundswell.analysis.series import PERIODS
from groundswell.errors import MetricError

MEASURES = ("count", "distinct", "sum", "mean", "median", "min", "max")
PERCENTILE = re.compile(r"p([1-9][0-9]?)")  # p1 .. p99
DURATION_UNITS = {"seconds": 1.0, "minutes": 60.0, "hours": 3600.0, "days": 86400.0}
OPS = ("=", "!=", "<", "<=", ">", ">=", "in", "not in", "contains", "startswith", "is null",
       "is not null")  # fmt: skip
# posts: a hit in a lexicon; an indicator of a kind; a match of a full-text search
DERIVED = ("lexicon", "has", "search")
ALIASES = {"source": "source_id"}
MAX_FACETS = 2
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class Filter:
    """``field op value``: ``value`` is a string as written (typed by the column when the
    metric is compiled), a tuple of them for ``in`` / ``not in``, None for the null tests."""

    field: str
    op: str
    value: str | tuple[str, ...] | None = None

    def __str__(self) -> str:
        if self.value is None:
            return f"{self.field} {self.op}"
        v = ", ".join(self.value) if isinstance(self.value, tuple) else self.value
        return f"{self.field} {self.op} {v}"


@dataclass(frozen=True)
class Metric:
    """A named measure per period (and facet). See docs/metrics.md for every option."""

    name: str = ""
    table: str = "posts"  # posts | indicators | account_snapshots | an event table's name
    measure: str = "count"  # count | distinct | sum | mean | median | min | max | p1..p99
    column: str | None = None  # the column measured (all but count)
    duration: tuple[str, str] | None = None  # measure the time from one column to another
    unit: str | None = None  # duration: seconds | minutes | hours | days; else a label
    where: tuple[Filter, ...] = ()
    share: tuple[Filter, ...] = ()  # the value is count(where and share) / count(where)
    period: str = "day"
    timezone: str | None = None  # calendar periods in this IANA zone (default: workspace's)
    by: tuple[str, ...] = ()  # up to two facet fields
    top: int | None = None  # keep the top N values of the first facet field, the rest "other"
    time: str | None = None  # the time column (default: the table's declared one)
    description: str = ""

    @property
    def label(self) -> str:
        return self.name or self.description or self.describe()

    @property
    def additive(self) -> bool:
        """Whether values of parts add up to the value of the whole (count and sum)."""
        return self.measure in ("count", "sum") and not self.share

    def describe(self) -> str:
        """One line in words: ``count of indicators per month where kind = url ...``."""
        what = {"count": "count", "distinct": "distinct "}.get(self.measure, f"{self.measure} of ")
        if self.duration:
            what += f"{self.unit or 'minutes'} from {self.duration[0]} to {self.duration[1]}"
        elif self.column:
            what += self.column
        text = f"{what} {'' if self.measure == 'count' else 'in '}{self.table} per {self.period}"
        if self.share:
            text = f"share of {self.table} with {' and '.join(map(str, self.share))}"
            text += f" per {self.period}"
        if self.by:
            text += " by " + ", ".join(self.by) + (f" (top {self.top})" if self.top else "")
        if self.where:
            text += " where " + " and ".join(map(str, self.where))
        return text

    def check(self) -> Metric:
        """This metric, validated (structure only: columns are checked when compiled)."""
        n = self.name or None
        if self.name and not NAME.fullmatch(self.name):
            raise MetricError("a name is letters, digits, '_', '.' and '-'", metric=n)
        if self.period not in PERIODS:
            raise MetricError(
                f"unknown period {self.period!r}; choose from {', '.join(PERIODS)}", metric=n
            )
        if self.measure not in MEASURES and not PERCENTILE.fullmatch(self.measure):
            raise MetricError(
                f"unknown measure {self.measure!r}; choose from {', '.join(MEASURES)} "
                "or a percentile p1..p99",
                metric=n,
            )
        if self.measure == "count" and (self.column or self.duration):
            raise MetricError("count takes no column; use distinct for distinct values", metric=n)
        if self.measure != "count" and not (self.column or self.duration):
            raise MetricError(f"{self.measure} needs a column or a duration", metric=n)
        if self.column and self.duration:
            raise MetricError("give a column or a duration, not both", metric=n)
        if self.duration and (self.unit or "minutes") not in DURATION_UNITS:
            raise MetricError(
                f"a duration's unit is one of {', '.join(DURATION_UNITS)}, got {self.unit!r}",
                metric=n,
            )
        if self.share and self.measure != "count":
            raise MetricError("a share is a share of a count (measure = count)", metric=n)
        if len(self.by) > MAX_FACETS:
            raise MetricError(f"at most {MAX_FACETS} facet fields, got {len(self.by)}", metric=n)
        if self.top is not None and (self.top < 1 or not self.by):
            raise MetricError("top needs a facet field and must be at least 1", metric=n)
        searched = any(f.field == "search" for f in (*self.where, *self.share))
        if searched and (self.table != "posts" or self.measure != "count" or self.top):
            raise MetricError(
                "a search counts posts (table posts, measure count, no top)", metric=n
            )
        return self

    def with_(self, **changes: Any) -> Metric:
        """A copy with some fields changed, checked again."""
        return replace(self, **changes).check()


_FILTER = re.compile(
    r"\s*(?P<field>[A-Za-z_][A-Za-z0-9_]*)\s*"
    r"(?P<op>is\s+not\s+null|is\s+null|not\s+in\b|in\b|contains\b|startswith\b|!=|<=|>=|==|=|<|>)"
    r"\s*(?P<value>.*?)\s*",
    re.IGNORECASE | re.DOTALL,
)


def parse_filter(text: str, *, key: str = "where") -> Filter:
    """``"kind = url"``, ``"priority in 1, 2"``, ``"tags contains Original"``,
    ``"source startswith forum:"``, ``"edited_at is not null"``. A value may be quoted
    (``"section = 'General chat'"``); for ``in`` the values are separated by commas."""
    m = _FILTER.fullmatch(text)
    if m is None:
        raise MetricError(
            f"{key}: cannot read {text!r} as 'FIELD OP VALUE'",
            hint=f"operators: {', '.join(OPS)}",
        )
    op = " ".join(m["op"].lower().split())
    op = "=" if op == "==" else op
    raw = m["value"]
    if op in ("is null", "is not null"):
        if raw:
            raise MetricError(f"{key}: {op!r} takes no value, got {raw!r}")
        return Filter(m["field"], op)
    if not raw:
        raise MetricError(f"{key}: {text!r} has no value after {op!r}")
    if op in ("in", "not in"):
        values = tuple(_unquote(v) for v in _split_list(raw))
        if not values:
            raise MetricError(f"{key}: {text!r} lists no values")
        return Filter(m["field"], op, values)
    if m["field"] == "search":  # the query as written: its quotes are phrases
        if op != "=":
            raise MetricError(f"{key}: a search takes '=', as in 'search = covid OR corona'")
        return Filter("search", "=", raw)
    return Filter(m["field"], op, _unquote(raw))


def parse_filters(
    items: Iterable[str] | Mapping[str, Any], *, key: str = "where"
) -> tuple[Filter, ...]:
    """Filters from a list of ``FIELD OP VALUE`` strings, or from a table of equalities
    (``{kind = "url", extension = "jpg"}``; a list value means ``in``)."""
    if isinstance(items, Mapping):
        out = []
        for f, v in items.items():
            if isinstance(v, list):
                out.append(Filter(f, "in", tuple(_text(x, key) for x in v)))
            else:
                out.append(Filter(f, "=", _text(v, key)))
        return tuple(out)
    if isinstance(items, str):
        items = [items]
    return tuple(parse_filter(t, key=key) for t in items)


def _text(v: Any, key: str) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str | int | float):
        return str(v)
    raise MetricError(f"{key}: a value must be text, a number or a boolean, got {v!r}")


def _split_list(raw: str) -> list[str]:
    raw = raw.strip()
    if raw.startswith("(") and raw.endswith(")"):
        raw = raw[1:-1]
    return [
        v
        for v in (x.strip() for x in re.split(r",(?=(?:[^'\"]*['\"][^'\"]*['\"])*[^'\"]*$)", raw))
        if v
    ]


def _unquote(v: str) -> str:
    v = v.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        return v[1:-1]
    return v


# -- from the config -----------------------------------------------------------------------
KEYS = {
    "table", "measure", "column", "duration", "unit", "where", "share", "period", "timezone",
    "by", "top", "time", "description",
}  # fmt: skip


def from_config(name: str, section: Any) -> Metric:
    """The metric ``[metrics.NAME]`` declares (trusted, validated key by key)."""
    key = f"metrics.{name}"
    if not isinstance(section, dict):
        raise MetricError(f"{key} must be a table of options", metric=name)
    for k in section:
        if k not in KEYS:
            raise MetricError(
                f"{key}.{k}: unknown key; known: {', '.join(sorted(KEYS))}", metric=name
            )
    kw: dict[str, Any] = {"name": name}
    for k in ("table", "measure", "column", "unit", "period", "timezone", "time", "description"):
        if k in section:
            if not isinstance(section[k], str):
                raise MetricError(f"{key}.{k} must be text", metric=name)
            kw[k] = section[k]
    if "duration" in section:
        d = section["duration"]
        if not (isinstance(d, list) and len(d) == 2 and all(isinstance(x, str) for x in d)):
            raise MetricError(f'{key}.duration must be ["from_column", "to_column"]', metric=name)
        kw["duration"] = (d[0], d[1])
    if "by" in section:
        by = section["by"]
        by = [by] if isinstance(by, str) else by
        if not (isinstance(by, list) and all(isinstance(x, str) for x in by)):
            raise MetricError(f"{key}.by must be a field name or a list of them", metric=name)
        kw["by"] = tuple(by)
    if "top" in section:
        if not isinstance(section["top"], int) or isinstance(section["top"], bool):
            raise MetricError(f"{key}.top must be a whole number", metric=name)
        kw["top"] = section["top"]
    for k in ("where", "share"):
        if k in section:
            v = section[k]
            if not isinstance(v, list | dict | str):
                raise MetricError(
                    f"{key}.{k} must be a list of 'FIELD OP VALUE' or a table", metric=name
                )
            try:
                kw[k] = parse_filters(v, key=f"{key}.{k}")
            except MetricError as e:
                raise MetricError(e.message, metric=name, hint=e.hint) from None
    return Metric(**kw).check()


def metrics_from_config(raw: Any) -> dict[str, Metric]:
    """Every metric of the config's ``[metrics]`` section."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise MetricError("[metrics] must be a table of [metrics.NAME] tables")
    return {name: from_config(name, section) for name, section in raw.items()}


def field_name(f: str) -> str:
    """A field as the store names it (``source`` is ``source_id``)."""
    return ALIASES.get(f, f)


__all__ = [
    "DERIVED",
    "DURATION_UNITS",
    "MEASURES",
    "OPS",
    "Filter",
    "Metric",
    "field_name",
    "from_config",
    "metrics_from_config",
    "parse_filter",
    "parse_filters",
]
