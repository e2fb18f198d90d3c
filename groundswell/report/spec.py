"""Report specs: what a briefing shows, declared as data. A spec lives in the workspace config
(``[reports.NAME]``) or in a TOML file of its own, with the same keys (docs/reports.md)::

    title = "Weekly briefing: forum activity"
    audience = "Forum-monitoring team. Not for publication."
    period = "last complete week"     # or "2020-W24", "2020-06", "2020-03-01..2020-06-14"

    [[sections]]
    kind = "chart"                    # chart | table | top | anomalies | excerpts | text
    metrics = ["forum_posts"]
    history = "8 weeks"

    [[sections]]
    kind = "top"
    of = "domain"
    where = ["extension = jpg"]
    order = "rising"

Every key is checked here, with the key that holds a mistake named in the error, so a typo
fails before any figure is computed. :func:`resolve` turns a period as written into the
calendar span it covers, in the report's timezone.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from groundswell.analysis.metrics import Filter, parse_filters
from groundswell.errors import GroundswellError, MetricError, ReportError

SECTION_KEYS: dict[str, set[str]] = {
    "chart": {"metrics", "search", "history", "baseline", "anomalies", "period"},
    "table": {"metrics", "periods"},
    "top": {"of", "where", "order", "limit"},
    "anomalies": {"metrics", "history"},
    "excerpts": {"search", "limit", "sort"},
    "text": {"markdown", "file"},
    "actors": {"source", "sort", "limit"},
    "returns": {"source", "limit", "history"},
    "creators": {"accounts", "platform", "tier", "sort", "limit", "history"},
    "audit": {"entity", "events", "baselines", "window", "traces", "new_days", "period", "limit"},
}
ACTOR_SORTS = ("posts", "first_seen", "last_seen", "active_days")
CREATOR_SORTS = ("followers", "growth", "engagement")
COMMON_KEYS = {"kind", "title", "note"}
REPORT_KEYS = {"title", "audience", "period", "as_of", "timezone", "sections", "redact"}
# What a top list can rank: the table, the column, and the filters it always applies.
TOP_OF: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "domain": ("indicators", "domain", ("kind = url",)),
    "host": ("indicators", "host", ("kind = url",)),
    "url": ("indicators", "value", ("kind = url",)),
    "extension": ("indicators", "extension", ("kind = url",)),
    "hashtag": ("indicators", "value", ("kind = hashtag",)),
    "crypto": ("indicators", "value", ("kind = crypto",)),
    "lexicon": ("indicators", "subkind", ("kind = lexicon",)),
    "section": ("posts", "section", ()),
    "source": ("posts", "source_id", ()),
    "language": ("posts", "language", ()),
    "author": ("posts", "author_id", ()),
}
ORDERS = ("top", "rising", "falling")
_HISTORY = re.compile(r"\s*(\d+)\s*(days?|weeks?|months?|years?)\s*", re.IGNORECASE)
_WEEK = re.compile(r"(\d{4})-W(\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})")
RELATIVE = ("last complete week", "last complete month", "this week", "this month")


@dataclass(frozen=True)
class Section:
    """One section of a report; which keys count depends on ``kind`` (SECTION_KEYS)."""

    kind: str
    title: str = ""
    note: str = ""  # the analyst's words, shown under the caption
    metrics: tuple[str, ...] = ()
    searches: tuple[str, ...] = ()  # chart: search series; excerpts: the one search
    history: str | None = None  # chart, anomalies: "8 weeks" shown, ending with the period
    baseline: tuple[date, date] | None = None  # chart: change against this window
    anomalies: bool = True  # chart: mark anomalies
    period: str | None = None  # chart: the period of search series
    periods: int = 6  # table: periods shown, up to the report's
    of: str = ""  # top: what is ranked (TOP_OF)
    where: tuple[Filter, ...] = ()  # top
    order: str = "top"  # top: top | rising | falling
    limit: int = 10  # top, excerpts
    sort: str = ""  # excerpts (default relevance), actors (posts), creators (followers)
    markdown: str = ""  # text
    source: str = ""  # actors, returns: one source id
    accounts: tuple[str, ...] = ()  # creators: "platform:account" or "account"
    platform: str = ""  # creators
    tier: str = ""  # creators
    entity: str = ""  # audit: a search query, an indicator value or lexicon:NAME
    events: tuple[tuple[datetime, str], ...] = ()  # audit: the analyst's markers
    baselines: tuple[str, ...] = ()  # audit: baseline topics (default: all other posts)
    window: int | None = None  # audit: the coordination window in seconds
    traces: tuple[str, ...] = ()  # audit: the coordination traces
    new_days: int = 30  # audit: an account this new to its source is new


@dataclass(frozen=True)
class ReportSpec:
    name: str
    title: str
    sections: tuple[Section, ...]
    audience: str = ""
    period: str = "last complete week"
    as_of: datetime | None = None
    timezone: str | None = None
    redact: bool = True
    path: Path | None = None  # the spec's file, when it has one


@dataclass(frozen=True)
class Period:
    """A report's period: [start, end) in the report's timezone, with a name for people
    (``label``), one for file names (``key``), and its kind (week, month or range)."""

    start: datetime
    end: datetime
    kind: str
    key: str
    label: str


def load(path: Path) -> ReportSpec:
    """A spec from its own TOML file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"no report spec at {path}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ReportError(f"{path}: not a valid TOML file: {e}") from None
    return parse(raw, name=path.stem, where=path.name, path=path)


def from_config(raw: Any) -> dict[str, ReportSpec]:
    """Every ``[reports.NAME]`` of the workspace config."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ReportError("[reports] must hold [reports.NAME] tables")
    return {name: parse(table, name=name, where=f"reports.{name}") for name, table in raw.items()}


def parse(raw: Any, *, name: str, where: str, path: Path | None = None) -> ReportSpec:
    """A spec from its TOML table; ``where`` names it in errors."""
    if not isinstance(raw, dict):
        raise ReportError(f"{where} must be a table")
    _known(raw, REPORT_KEYS, where)
    sections = raw.get("sections")
    if not isinstance(sections, list) or not sections:
        raise ReportError(f"{where}: a report needs [[sections]], at least one")
    as_of = raw.get("as_of")
    if isinstance(as_of, str):
        as_of = _datetime(as_of, f"{where}.as_of")
    elif isinstance(as_of, date) and not isinstance(as_of, datetime):
        as_of = datetime(as_of.year, as_of.month, as_of.day)
    elif as_of is not None and not isinstance(as_of, datetime):
        raise ReportError(f"{where}.as_of must be a date or time")
    spec = ReportSpec(
        name=name,
        title=_text(raw, "title", where, name),
        audience=_text(raw, "audience", where, ""),
        period=_text(raw, "period", where, "last complete week"),
        as_of=as_of,
        timezone=_text(raw, "timezone", where, "") or None,
        redact=_flag(raw, "redact", where, True),
        sections=tuple(_section(s, f"{where}.sections[{i}]") for i, s in enumerate(sections)),
        path=path,
    )
    check_period(spec.period, f"{where}.period")
    if spec.timezone:
        try:
            ZoneInfo(spec.timezone)
        except (KeyError, ValueError):
            raise ReportError(f"{where}.timezone: unknown timezone {spec.timezone!r}") from None
    return spec


def _section(raw: Any, where: str) -> Section:
    if not isinstance(raw, dict):
        raise ReportError(f"{where} must be a table")
    kind = raw.get("kind")
    if kind not in SECTION_KEYS:
        raise ReportError(f"{where}.kind must be one of {', '.join(SECTION_KEYS)}, got {kind!r}")
    _known(raw, COMMON_KEYS | SECTION_KEYS[kind], where)
    kw: dict[str, Any] = {
        "kind": kind,
        "title": _text(raw, "title", where, ""),
        "note": _text(raw, "note", where, ""),
    }
    if "metrics" in raw:
        kw["metrics"] = _names(raw["metrics"], f"{where}.metrics")
    if "search" in raw:
        kw["searches"] = _names(raw["search"], f"{where}.search", names=False)
    if "history" in raw:
        kw["history"] = _text(raw, "history", where, "")
        history_days(kw["history"], f"{where}.history")
    if "baseline" in raw:
        kw["baseline"] = _span(raw["baseline"], f"{where}.baseline")
    if "anomalies" in raw:
        kw["anomalies"] = _flag(raw, "anomalies", where, True)
    if "period" in raw:
        kw["period"] = _text(raw, "period", where, "")
        if kw["period"] not in ("hour", "day", "week", "month", "quarter", "year"):
            raise ReportError(f"{where}.period must be hour, day, week, month, quarter or year")
    for key in ("periods", "limit"):
        if key in raw:
            v = raw[key]
            if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 100:
                raise ReportError(f"{where}.{key} must be a whole number from 1 to 100")
            kw[key] = v
    if "of" in raw:
        kw["of"] = _text(raw, "of", where, "")
    if "where" in raw:
        try:
            kw["where"] = parse_filters(raw["where"], key=f"{where}.where")
        except MetricError as e:
            raise ReportError(f"{where}.where: {e.message}", hint=e.hint) from None
    if "order" in raw:
        kw["order"] = _text(raw, "order", where, "top")
    if "sort" in raw:
        kw["sort"] = _text(raw, "sort", where, "")
    for key in ("source", "platform", "tier"):
        if key in raw:
            kw[key] = _text(raw, key, where, "")
    if "accounts" in raw:
        kw["accounts"] = _names(raw["accounts"], f"{where}.accounts")
    if "markdown" in raw:
        kw["markdown"] = _text(raw, "markdown", where, "")
    if "file" in raw:
        kw["markdown"] = "@" + _text(raw, "file", where, "")  # read when the report is built
    if kind == "audit":
        kw.update(_audit(raw, where))
    section = Section(**kw)
    _check(section, where)
    return section


def _audit(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """The keys of an audit section."""
    from groundswell.coordination.network import seconds
    from groundswell.coordination.traces import TRACES

    kw: dict[str, Any] = {"entity": _text(raw, "entity", where, "")}
    if not kw["entity"]:
        raise ReportError(
            f"{where}: an audit needs entity = '...' (a query, a value, lexicon:NAME)"
        )
    events = raw.get("events", {})
    if not isinstance(events, dict):
        raise ReportError(f'{where}.events must be a table: {{ "listing" = 2020-05-28 }}')
    kw["events"] = tuple(
        (_when(v, f"{where}.events.{label}"), str(label)) for label, v in events.items()
    )
    if "baselines" in raw:
        kw["baselines"] = _names(raw["baselines"], f"{where}.baselines", names=False)
    if "traces" in raw:
        kw["traces"] = _names(raw["traces"], f"{where}.traces", names=False)
        unknown = set(kw["traces"]) - set(TRACES)
        if unknown:
            raise ReportError(
                f"{where}.traces: unknown {', '.join(sorted(unknown))}; one of {', '.join(TRACES)}"
            )
    if "window" in raw:
        try:
            kw["window"] = seconds(raw["window"])
        except GroundswellError as e:
            raise ReportError(f"{where}.window: {e.message}", hint=e.hint) from None
    if "new_days" in raw:
        v = raw["new_days"]
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise ReportError(f"{where}.new_days must be a whole number of days")
        kw["new_days"] = v
    return kw


def _when(v: Any, where: str) -> datetime:
    if isinstance(v, datetime):
        return v
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    if isinstance(v, str):
        return _datetime(v, where)
    raise ReportError(f"{where} must be a date or time")


def _check(s: Section, where: str) -> None:
    if s.kind == "chart" and not (s.metrics or s.searches):
        raise ReportError(f"{where}: a chart needs metrics = [...] or search = '...'")
    if s.baseline is not None and len(s.metrics) + len(s.searches) != 1:
        raise ReportError(f"{where}.baseline: a baseline is drawn for a chart of one series")
    if s.kind == "table" and not s.metrics:
        raise ReportError(f"{where}: a table needs metrics = [...]")
    if s.kind == "top":
        if s.of not in TOP_OF:
            raise ReportError(f"{where}.of must be one of {', '.join(TOP_OF)}, got {s.of!r}")
        if s.order not in ORDERS:
            raise ReportError(f"{where}.order must be one of {', '.join(ORDERS)}")
        if any(f.field == "search" for f in s.where):
            raise ReportError(f"{where}.where: a top list cannot filter by a search")
    if s.kind == "excerpts":
        from groundswell.search.results import SORTS  # (here: the config module loads this one)

        if len(s.searches) != 1:
            raise ReportError(f"{where}: excerpts need one search = '...'")
        if s.sort and s.sort not in SORTS:
            raise ReportError(f"{where}.sort must be one of {', '.join(SORTS)}")
    sorts = {"actors": ACTOR_SORTS, "creators": CREATOR_SORTS}.get(s.kind)
    if sorts and s.sort and s.sort not in sorts:
        raise ReportError(f"{where}.sort must be one of {', '.join(sorts)}")
    if s.kind == "text" and not s.markdown:
        raise ReportError(f"{where}: a text section needs markdown = '...' or file = '...'")


def check_period(text: str, where: str) -> None:
    """Raise a clear error unless ``text`` is a period :func:`resolve` understands."""
    t = text.strip().lower()
    if t in RELATIVE or _RANGE.fullmatch(t):
        return
    try:
        if m := _WEEK.fullmatch(text.strip()):
            date.fromisocalendar(int(m[1]), int(m[2]), 1)
            return
        if m := _MONTH.fullmatch(text.strip()):
            date(int(m[1]), int(m[2]), 1)
            return
    except ValueError:
        pass
    raise ReportError(
        f"{where}: not a period: {text!r}",
        hint='write "2020-W23", "2020-06", "2020-03-01..2020-06-14", '
        + ", ".join(f'"{r}"' for r in RELATIVE),
    )


def resolve(text: str, timezone: str, as_of: datetime) -> Period:
    """The span a period as written covers, in ``timezone``; relative periods count back
    from ``as_of`` (a "complete" week or month ended before it)."""
    check_period(text, "period")
    zone = ZoneInfo(timezone)
    now = as_of.astimezone(zone) if as_of.tzinfo else as_of.replace(tzinfo=zone)
    today = now.date()
    t = text.strip().lower()
    if t in ("last complete week", "this week"):
        monday = today - timedelta(days=today.weekday())
        return _week(monday if t == "this week" else monday - timedelta(days=7), zone)
    if t in ("last complete month", "this month"):
        first = today.replace(day=1)
        if t == "last complete month":
            first = (first - timedelta(days=1)).replace(day=1)
        return _month(first, zone)
    if m := _WEEK.fullmatch(text.strip()):
        return _week(date.fromisocalendar(int(m[1]), int(m[2]), 1), zone)
    if m := _MONTH.fullmatch(text.strip()):
        return _month(date(int(m[1]), int(m[2]), 1), zone)
    m = _RANGE.fullmatch(t)
    assert m is not None
    a, b = date.fromisoformat(m[1]), date.fromisoformat(m[2])
    if b < a:
        raise ReportError(f"period {text!r} ends before it starts")
    label = f"{_day(a, a.year != b.year)} to {_day(b, True)}"
    return Period(_at(a, zone), _at(b + timedelta(days=1), zone), "range", f"{a}..{b}", label)


def _week(monday: date, zone: ZoneInfo) -> Period:
    year, week, _ = monday.isocalendar()
    sunday = monday + timedelta(days=6)
    same = monday.month == sunday.month
    first = str(monday.day) if same else _day(monday, False)
    label = f"Week {week} of {year} ({first} to {_day(sunday, False)})"
    key = f"{year}-W{week:02d}"
    return Period(_at(monday, zone), _at(sunday + timedelta(days=1), zone), "week", key, label)


def _month(first: date, zone: ZoneInfo) -> Period:
    nxt = (first + timedelta(days=32)).replace(day=1)
    label = f"{MONTH_NAMES[first.month - 1]} {first.year}"
    return Period(_at(first, zone), _at(nxt, zone), "month", f"{first:%Y-%m}", label)


MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def _day(d: date, year: bool) -> str:
    return f"{d.day} {MONTH_NAMES[d.month - 1]}" + (f" {d.year}" if year else "")


def _at(d: date, zone: ZoneInfo) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=zone)


def history_days(text: str, where: str) -> tuple[int, str]:
    """``"8 weeks"`` as (8, "week"): how much history a chart shows before its period."""
    m = _HISTORY.fullmatch(text)
    if m is None or int(m[1]) < 1:
        raise ReportError(f'{where}: write an amount of time such as "8 weeks" or "12 months"')
    return int(m[1]), m[2].lower().rstrip("s")


def _known(raw: dict[str, Any], keys: set[str], where: str) -> None:
    for k in raw:
        if k not in keys:
            raise ReportError(f"{where}.{k}: unknown key; known: {', '.join(sorted(keys))}")


def _text(raw: dict[str, Any], key: str, where: str, default: str) -> str:
    v = raw.get(key, default)
    if not isinstance(v, str):
        raise ReportError(f"{where}.{key} must be text")
    return v


def _flag(raw: dict[str, Any], key: str, where: str, default: bool) -> bool:
    v = raw.get(key, default)
    if not isinstance(v, bool):
        raise ReportError(f"{where}.{key} must be true or false")
    return v


def _names(v: Any, where: str, *, names: bool = True) -> tuple[str, ...]:
    items = [v] if isinstance(v, str) else v
    if not isinstance(items, list) or not items or not all(isinstance(x, str) for x in items):
        raise ReportError(f"{where} must be {'a name' if names else 'text'} or a list of them")
    if not all(x.strip() for x in items):
        raise ReportError(f"{where}: empty {'name' if names else 'text'}")
    return tuple(items)


def _span(v: Any, where: str) -> tuple[date, date]:
    m = _RANGE.fullmatch(v.strip()) if isinstance(v, str) else None
    if m is None:
        raise ReportError(f'{where} must be a window "YYYY-MM-DD..YYYY-MM-DD"')
    a, b = date.fromisoformat(m[1]), date.fromisoformat(m[2])
    if b < a:
        raise ReportError(f"{where}: the window ends before it starts")
    return a, b


def _datetime(text: str, where: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ReportError(f"{where}: not an ISO date or time: {text!r}") from None
