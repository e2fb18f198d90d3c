"""A report spec run against a workspace: every section computed once, by the same engines
the ``trend``, ``anomalies``, ``indicators`` and ``search`` commands use, into a
:class:`~groundswell.report.document.Document` that every format renders.

Example::

    doc = build(ws, spec, period="2020-W24", as_of=datetime(2020, 6, 15))
    write_report(doc, Path("briefings"), ["html", "pdf", "md"])

The period is resolved in the report's timezone (the spec's, else the workspace's); ``as_of``
is when the data is taken to end: a relative period counts back from it, later records are
not counted, and a period it falls inside is projected ("2,800 expected"). Names in excerpts
are redacted unless ``redact`` is False (docs/reports.md).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from groundswell.analysis import compile as cc
from groundswell.analysis.anomalies import Anomaly
from groundswell.analysis.metrics import Filter, Metric
from groundswell.analysis.series import MISSING, PROJECTED, Series
from groundswell.analysis.transforms import Transform
from groundswell.errors import GroundswellError, ReportError
from groundswell.report import captions as words
from groundswell.report.charts import trend_chart
from groundswell.report.document import (
    Block,
    Definition,
    Document,
    Excerpt,
    Passage,
    Piece,
    Table,
)
from groundswell.report.redact import MARK, Redactor
from groundswell.report.spec import TOP_OF, Period, ReportSpec, Section, history_days, resolve
from groundswell.search.results import SearchFilters

if TYPE_CHECKING:
    from groundswell.workspace import Workspace

EXCERPT_CHARS = 600  # of a post's own words around the first match
QUOTE_CHARS = 240  # of a quoted block
DEFAULT_HISTORY = {"week": (8, "week"), "month": (12, "month")}
MIN_POINTS = 8  # a chart shows at least this many of its metric's periods
DETECTOR = Definition(
    "detector",
    "anomaly detector",
    "method",
    "Spikes and dips: a robust z-score (at least 5) against the seasonal median of the periods "
    "before; outages: a collapse to 10% of the baseline or less; level shifts: change points "
    "(PELT). Each is explained by the facets that drive it. Defaults and reasoning: "
    "docs/anomalies.md.",
    "groundswell anomalies METRIC  # default settings",
)
RANKED = {
    "top": "by the count in the period.",
    "rising": "by the increase.",
    "falling": "by the decrease.",
}
Progress = Callable[[str], None]


def build(
    ws: Workspace,
    spec: ReportSpec,
    *,
    period: str | None = None,
    as_of: datetime | None = None,
    redact: bool | None = None,
    progress: Progress | None = None,
) -> Document:
    """The document of ``spec`` for ``period`` (default: the spec's) with data up to
    ``as_of`` (default: the spec's, else now)."""
    tz = spec.timezone or ws.config.timezone
    zone = ZoneInfo(tz)
    when = as_of or spec.as_of
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    span = resolve(period or spec.period, tz, when or datetime.now(UTC))
    latest = _check_data(ws, span, period or spec.period)
    # data after the period is not the period's: it ends there (nothing to project)
    counted_to = when if when is not None or latest < span.end else span.end
    redacted = spec.redact if redact is None else redact
    b = _Builder(ws, spec, span, counted_to, tz, redacted, progress or (lambda _: None))
    blocks = [block for i, s in enumerate(spec.sections, 1) for block in b.section(i, s)]
    doc = Document(
        title=spec.title,
        period=span.label,
        start=span.start,
        end=span.end,
        timezone=tz,
        generated=datetime.now(UTC).astimezone(zone).replace(microsecond=0),
        workspace=ws.config.name,
        audience=spec.audience,
        as_of=when,
        redacted=redacted,
        blocks=blocks,
        definitions=list(b.defs.values()),
        slug=_slug(f"{spec.name}-{span.key}"),
    )
    if doc.redacted:
        doc = Redactor(b.names).walk(doc)
    return doc


def _check_data(ws: Workspace, span: Period, written: str) -> datetime:
    """The latest post's time; a clear error when the period holds no data at all (a
    relative period counted from today over an archive, say), with the span the data
    covers."""
    lo, hi = ws.sql("SELECT min(time), max(time) FROM posts").to_pylist()[0].values()
    if lo is None:
        raise ReportError("the workspace has no posts yet", hint="import some first")
    if span.start > hi or span.end <= lo:
        raise ReportError(
            f"no posts in {span.label} (period {written!r}); the posts run from "
            f"{lo:%Y-%m-%d} to {hi:%Y-%m-%d}",
            hint="choose another --period, or --as-of to count a relative period from",
        )
    return hi


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:80] or "report"


class _Builder:
    def __init__(
        self,
        ws: Workspace,
        spec: ReportSpec,
        period: Period,
        as_of: datetime | None,
        tz: str,
        redact: bool,
        progress: Progress,
    ) -> None:
        self.ws, self.spec, self.period, self.as_of, self.tz = ws, spec, period, as_of, tz
        self.redact = redact
        # the period as wall-clock times: a metric in another timezone counts the same
        # calendar days in its own (May for calls in Chicago is May in Chicago)
        self.lo = period.start.replace(tzinfo=None)
        self.hi = period.end.replace(tzinfo=None)
        self.progress = progress
        self.defs: dict[str, Definition] = {}
        self.names: set[str] = set()  # to redact
        self._scanned: dict[tuple[Metric, datetime], tuple[Series, list[Anomaly]]] = {}

    def section(self, n: int, s: Section) -> list[Block]:
        """The blocks of one section (one, but an audit has several)."""
        # (these load the actors and coordination packages, which load us)
        from groundswell.report import people
        from groundswell.report.audit import audit_blocks

        kinds: dict[str, Callable[[int, Section], Block | list[Block]]] = {
            "chart": self.chart,
            "table": self.table,
            "top": self.top,
            "anomalies": self.anomalies,
            "excerpts": self.excerpts,
            "text": self.text,
            "actors": lambda n, s: people.actors_block(self, n, s),
            "returns": lambda n, s: people.returns_block(self, n, s),
            "creators": lambda n, s: people.creators_block(self, n, s),
            "audit": lambda n, s: audit_blocks(self, n, s),
        }
        what = kinds[s.kind]
        self.progress(f"section {n} of {len(self.spec.sections)}: {s.kind} {s.title}".rstrip())
        try:
            made = what(n, s)
        except GroundswellError as e:
            raise ReportError(f"section {n} ({s.kind}): {e.message}", hint=e.hint) from None
        blocks = made if isinstance(made, list) else [made]
        if s.note:
            blocks[0].caption = f"{blocks[0].caption} {s.note}".strip()
        return blocks

    # -- metrics -------------------------------------------------------------------------------
    def metric(self, name: str) -> Metric:
        m = self.ws.metric(name)
        raw = self.ws.config.raw.get("metrics", {}).get(name, {})
        self.defs.setdefault(
            f"m-{name}",
            Definition(
                f"m-{name}",
                name,
                "metric",
                (m.description + ". " if m.description else "") + m.describe(),
                f"[metrics.{name}]\n" + _toml(raw),
            ),
        )
        return m

    def search_metric(self, query: str, period: str) -> Metric:
        m = Metric(
            name="search",
            period=period,
            timezone=self.tz,
            where=(Filter("search", "=", query),),
            description=f"Posts matching {query}",
        ).check()
        self.defs.setdefault(
            _search_id(query),
            Definition(
                _search_id(query),
                query,
                "search",
                "Posts matching a full-text search (docs/search.md), counted in the index; "
                "quotes of earlier posts are searched too.",
                query,
            ),
        )
        return m

    def since(self, m: Metric, history: str | None) -> datetime:
        """Where a chart of ``m`` starts: ``history`` (or the default for the report's
        period) before the report's end, at least MIN_POINTS of the metric's periods."""
        amount, unit = (
            history_days(history, "history")
            if history
            else DEFAULT_HISTORY.get(self.period.kind, (2, "range"))
        )
        end = self.hi
        if unit == "range":
            start = end - (end - self.lo) * amount
        elif unit in ("day", "week"):
            start = end - timedelta(days=amount * (7 if unit == "week" else 1))
        else:  # calendar months, from the start of the month the period ends in
            start = cc.shift("month", end, -amount * (12 if unit == "year" else 1))
        floor = cc.shift(m.period, end - timedelta(microseconds=1), -(MIN_POINTS - 1))
        return min(start, floor)

    def scan(self, m: Metric, since: datetime) -> tuple[Series, list[Anomaly]]:
        """The series of ``m`` from ``since`` to the report's end, with anomalies (cached:
        a chart and the digest share it)."""
        key = (m, since)
        if key not in self._scanned:
            self._scanned[key] = self.ws.anomalies(
                m, since=since, until=self.until(m), as_of=self.as_of
            )
        return self._scanned[key]

    def chart(self, n: int, s: Section) -> Block:
        default = {"week": "day", "month": "week"}.get(self.period.kind, "week")
        metrics = [self.metric(x) for x in s.metrics]
        metrics += [self.search_metric(q, s.period or default) for q in s.searches]
        scans = [self.scan(m, self.since(m, s.history)) for m in metrics]
        if len(scans) == 1:
            series, found = scans[0]
        else:
            series = _combine([x for x, _ in scans], metrics, s.title)
            found = [
                dataclasses.replace(a, facet=(_facet_name(m),))
                for m, (_, anomalies) in zip(metrics, scans, strict=True)
                for a in anomalies
            ]
        additive = len(metrics) == 1 and metrics[0].additive  # (several: no total)
        caption = words.caption(series, *self.bounds(series), additive=additive)
        if s.baseline is not None and len(metrics) == 1:
            caption += " " + self.baseline(metrics[0], series, s)
        inside = [a for a in found if self._in_period(a, series)]
        if inside and s.anomalies:
            caption += " " + _anomaly_sentence(inside, series.period)
        if s.anomalies:
            self.defs.setdefault(DETECTOR.id, DETECTOR)
        first = metrics[0].description or metrics[0].label
        title = s.title or (first if len(metrics) == 1 else "")
        name = _slug("-".join(m.name for m in metrics))
        return Block(
            "chart",
            title or "Chart",
            caption=caption.strip(),
            chart=trend_chart(series, found if s.anomalies else (), title=title or None),
            refs=self._refs(metrics) + ([DETECTOR.id] if s.anomalies else []),
            data={f"{n:02d}-{name}.csv": series.to_arrow()},
            notes=series.notes[1:],
        )

    def baseline(self, m: Metric, series: Series, s: Section) -> str:
        """The change of the report's last period against a baseline window (the whole
        window, even where the chart starts later); the window's level drawn on the chart."""
        assert s.baseline is not None
        first, last = s.baseline
        since = min(
            datetime(first.year, first.month, first.day), series.starts[0].replace(tzinfo=None)
        )
        pct = self.ws.trend(
            m,
            since=since,
            until=self.until(m),
            as_of=self.as_of,
            transforms=[Transform("baseline", span=s.baseline)],
        )
        at = [pct.starts.index(x) for x in series.starts]
        change = pct.values[:, at]
        with np.errstate(all="ignore"):  # the level each point was compared with
            level = np.nanmedian(
                np.where(change > -100, series.values / (1 + change / 100), np.nan), axis=1
            )
        series.baseline = np.repeat(level[:, None], len(series.starts), axis=1)
        lo, _ = self.bounds(series)
        inside = [t for t, x in enumerate(series.starts) if lo <= x]
        if not inside or len(series.facets) != 1 or series.status[0, inside[-1]] == MISSING:
            return ""
        t = inside[-1]
        return (
            f"{words.sentence(words.period_name(series.starts[t], series.period))}: "
            f"{words.number(change[0, t], '%')} against the baseline ({first:%-d %b %Y} to "
            f"{last:%-d %b %Y})."
        )

    def until(self, m: Metric) -> datetime:
        """The end of the last of ``m``'s periods that overlaps the report's: a monthly
        metric in a weekly report shows the whole month (projected if it is not over)."""
        return cc.shift(m.period, self.hi - timedelta(microseconds=1), 1)

    def bounds(self, series: Series) -> tuple[datetime, datetime]:
        """The report's period in the series' timezone (the same wall-clock days)."""
        zone = ZoneInfo(series.timezone)
        return self.lo.replace(tzinfo=zone), self.hi.replace(tzinfo=zone)

    def _in_period(self, a: Anomaly, series: Series) -> bool:
        zone = ZoneInfo(series.timezone)
        first = cc.shift(series.period, self.lo).replace(tzinfo=zone)
        return first <= a.end and a.start < self.hi.replace(tzinfo=zone)

    def table(self, n: int, s: Section) -> Block:
        rows: list[list[str]] = []
        marked: set[tuple[int, int]] = set()
        data: dict[str, pa.Table] = {}
        columns: list[str] = []
        caption = ""
        metrics = [self.metric(x) for x in s.metrics]
        for m in metrics:
            last = self.hi - timedelta(microseconds=1)
            since = cc.shift(m.period, last, -(s.periods - 1))
            series = self.ws.trend(m, since=since, until=self.until(m), as_of=self.as_of)
            head = [words.column_name(x, series.period) for x in series.starts]
            if not columns:
                columns = ["", *head]
            elif head != columns[1:]:
                raise ReportError(
                    "the metrics of one table must share their periods; "
                    "put metrics of other periods or timezones in a table of their own"
                )
            for f, key in enumerate(series.facets):
                label = words.facet_name(series, f) if key else m.name
                if key and len(metrics) > 1:
                    label = f"{m.name} · {label}"
                cells = [label]
                for t in range(len(series.starts)):
                    cells.append(_cell(series, f, t))
                    if series.status[f, t] == PROJECTED:
                        marked.add((len(rows), t + 1))
                rows.append(cells)
            data[f"{n:02d}-{_slug(m.name)}.csv"] = series.to_arrow()
            if not caption:
                caption = words.caption(series, *self.bounds(series), additive=m.additive)
        title = s.title or (metrics[0].description if len(metrics) == 1 else "") or "Table"
        return Block(
            "table",
            title,
            caption=caption,
            table=Table(columns, rows, [False] + [True] * (len(columns) - 1), marked),
            refs=self._refs(metrics),
            data=data,
        )

    # -- lists ---------------------------------------------------------------------------------
    def top(self, n: int, s: Section) -> Block:
        table, column, implied = TOP_OF[s.of]
        where = [*(_filter(f) for f in implied), *s.where]
        if table == "indicators" and not any(f.field == "in_quote" for f in where):
            where.append(Filter("in_quote", "=", "false"))
        m = Metric(table=table, by=(column,), where=tuple(where)).check()
        before = _previous(self.period)
        now = self._counts(m, self.period.start, self.period.end)
        then = self._counts(m, before, self.period.start)
        keys = set(now) | set(then)
        ranked = sorted(keys, key=lambda k: (-now.get(k, 0), k))
        if s.order == "rising":
            ranked = sorted(
                (k for k in keys if now.get(k, 0) > then.get(k, 0)),
                key=lambda k: (then.get(k, 0) - now.get(k, 0), k),
            )
        elif s.order == "falling":
            ranked = sorted(
                (k for k in keys if now.get(k, 0) < then.get(k, 0)),
                key=lambda k: (now.get(k, 0) - then.get(k, 0), k),
            )
        ranked = ranked[: s.limit]
        label = {"week": "week", "month": "month"}.get(self.period.kind, "period")
        columns = [s.of, f"this {label}", f"{label} before", "change"]
        rows = [
            [
                MARK if s.of == "author" and self.redact else k,
                words.number(now.get(k, 0)),
                words.number(then.get(k, 0)),
                _delta(now.get(k, 0), then.get(k, 0)),
            ]
            for k in ranked
        ]
        list_id = f"l-{n}"
        where_text = " and ".join(map(str, where)) or "all"
        self.defs[list_id] = Definition(
            list_id,
            f"{s.order} {s.of} values",
            "list",
            f"{table} counted by {column} where {where_text}, in the report's period "
            f"({self.period.label}) and in {_before_name(self.period)}; ranked " + RANKED[s.order],
            f'kind = "top"\nof = "{s.of}"\norder = "{s.order}"\nwhere = {_toml_list(where)}',
        )
        total = sum(now.values())
        caption = ""
        if ranked:
            k = ranked[0]
            share = f" ({now.get(k, 0) / total:.0%} of all)" if total and s.order == "top" else ""
            caption = (
                f"{k if s.of != 'author' or not self.redact else 'The first'}: "
                f"{words.number(now.get(k, 0))}{share}, {_delta(now.get(k, 0), then.get(k, 0))} "
                f"against the {label} before."
            )
        data = pa.table(
            {
                s.of: [r[0] for r in rows],
                "this_period": [now.get(k, 0) for k in ranked],
                "period_before": [then.get(k, 0) for k in ranked],
            }
        )
        return Block(
            "top",
            s.title or f"{s.order.capitalize()} {_plural(s.of)}",
            caption=caption,
            table=Table(columns, rows, [False, True, True, True]),
            refs=[list_id],
            data={f"{n:02d}-{s.order}-{_slug(s.of)}.csv": data},
            empty=f"No {_plural(s.of)} {'to list' if s.order == 'top' else s.order} "
            "in this period.",
        )

    def _counts(self, m: Metric, since: datetime, until: datetime) -> dict[str, float]:
        if self.as_of is not None:
            until = min(until, self.as_of)
        expr = cc.aggregate(self.ws.engine, m, self.tz, period=None, since=since, until=until)
        cols = self.ws.engine.columns(expr)
        return {
            str(k): float(v)
            for k, v in zip(cols.get(f"{cc.FACET}0", []), cols["value"], strict=True)
            if k is not None and v
        }

    # -- anomalies -----------------------------------------------------------------------------
    def anomalies(self, n: int, s: Section) -> Block:
        names = list(s.metrics) or [
            x for sec in self.spec.sections if sec.kind == "chart" for x in sec.metrics
        ]
        rows: list[list[str]] = []
        found: list[tuple[Metric, Series, Anomaly]] = []
        self.defs.setdefault(DETECTOR.id, DETECTOR)
        for name in dict.fromkeys(names):
            m = self.metric(name)
            series, anomalies = self.scan(m, self.since(m, s.history))
            found += [(m, series, a) for a in anomalies if self._in_period(a, series)]
        found.sort(key=lambda x: -x[2].severity)
        for m, series, a in found:
            rows.append(
                [
                    m.name,
                    " / ".join(a.facet),
                    a.kind.replace("_", " "),
                    _when(a, series.period),
                    words.number(a.value, series.unit),
                    words.number(a.baseline, series.unit),
                    f"{a.severity:.1f}",
                    a.explanation,
                ]
            )
        data = pa.table(
            {
                "metric": [m.name for m, _, _ in found],
                "facet": [" / ".join(a.facet) for _, _, a in found],
                "kind": [a.kind for _, _, a in found],
                "start": [a.start.isoformat() for _, _, a in found],
                "end": [a.end.isoformat() for _, _, a in found],
                "value": [a.value for _, _, a in found],
                "expected": [a.baseline for _, _, a in found],
                "severity": [a.severity for _, _, a in found],
                "explanation": [a.explanation for _, _, a in found],
            }
        )
        caption = ""
        if found:
            kinds: dict[str, int] = {}
            for _, _, a in found:
                kinds[a.kind] = kinds.get(a.kind, 0) + 1
            counted = ", ".join(
                f"{c} {k.replace('_', ' ')}{'s' if c > 1 else ''}" for k, c in kinds.items()
            )
            m, series, a = found[0]
            where = f" on {' / '.join(a.facet)}" if a.facet else ""
            caption = (
                f"{len(found)} in the period ({counted}); the strongest: {_article(a.kind)} "
                f"{a.kind.replace('_', ' ')} in {m.name}{where}, {_when(a, series.period)}."
            )
        return Block(
            "anomalies",
            s.title or "What stood out",
            caption=caption,
            table=_anomaly_table(rows),
            refs=[*(f"m-{x}" for x in dict.fromkeys(names)), "detector"],
            data={f"{n:02d}-anomalies.csv": data},
            empty="No anomaly in the period.",
        )

    # -- posts ---------------------------------------------------------------------------------
    def excerpts(self, n: int, s: Section) -> Block:
        query = s.searches[0]
        self.search_metric(query, "day")  # (its definition)
        since, until = self.period.start, self.period.end
        if self.as_of is not None:
            until = min(until, self.as_of)
        found = self.ws.search(
            query,
            SearchFilters(since=since, until=until),
            sort=s.sort or "relevance",
            limit=s.limit,
            facets=False,
        )
        posts = _posts(self.ws, [h.uid for h in found.hits])
        excerpts: list[Excerpt] = []
        for hit in found.hits:
            post = posts.get(hit.uid)
            if post is None:
                continue
            self.names.update(
                x for x in (post["author_id"], post["author_name"], post["forwarded_from"]) if x
            )
            quotes = post["quotes"] or []
            self.names.update(q["quoted_author"] for q in quotes if q["quoted_author"])
            terms = {t.lower() for t, on in hit.snippet if on}
            excerpt = _excerpt(post, terms, self.tz)
            if self.redact:  # (numeric ids too, which are not names to look for in text)
                excerpt.author = MARK
                for p in excerpt.passages:
                    p.quoted_author = MARK if p.quoted_author else None
            excerpts.append(excerpt)
        shown = len(excerpts)
        order = {"relevance": "most relevant first", "oldest": "oldest first"}.get(
            s.sort, "newest first"
        )
        caption = (
            f"{shown} of {words.number(found.total)} posts matching the search in the period, "
            f"{order}."
            if found.total
            else ""
        )
        return Block(
            "excerpts",
            s.title or f"Posts matching “{query}”",
            caption=caption,
            excerpts=excerpts,
            refs=[_search_id(query)],
            empty="No post matched the search in this period.",
        )

    def text(self, n: int, s: Section) -> Block:
        text = s.markdown
        if text.startswith("@"):
            base = self.spec.path.parent if self.spec.path else self.ws.path
            path = base / text[1:]
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as e:
                raise ReportError(f"cannot read {path}: {e.strerror}") from None
        return Block("text", s.title or "Notes", markdown=text)

    def _refs(self, metrics: list[Metric]) -> list[str]:
        return [f"m-{m.name}" if m.name != "search" else _search_id(_query(m)) for m in metrics]


def _query(m: Metric) -> str:
    """The query of a search metric."""
    return str(m.where[0].value)


def _facet_name(m: Metric) -> str:
    return m.name if m.name != "search" else f"search: {_query(m)}"


def _search_id(query: str) -> str:
    """A stable id for a query: the same on every run (the HTML is reproducible)."""
    digest = hashlib.sha1(query.encode()).hexdigest()[:6]
    return "s-" + (_slug(query.lower())[:40] or "query") + f"-{digest}"


def _combine(parts: list[Series], metrics: list[Metric], title: str) -> Series:
    """Several unfaceted series of one grid as one series, a facet each (one chart)."""
    first = parts[0]
    for p in parts:
        if p.facets != [()] or p.starts != first.starts or p.unit != first.unit:
            raise ReportError(
                "one chart draws several metrics only when none is faceted and all share "
                "their period, timezone and unit; chart them in sections of their own"
            )

    def stack(name: str) -> np.ndarray | None:
        arrays = [getattr(p, name) for p in parts]
        if all(a is None for a in arrays):
            return None
        shape = first.values.shape
        return np.vstack([np.full(shape, np.nan) if a is None else a for a in arrays])

    return Series(
        name=title or ", ".join(_facet_name(m) for m in metrics),
        period=first.period,
        timezone=first.timezone,
        starts=first.starts,
        facets=[(_facet_name(m),) for m in metrics],
        values=np.vstack([p.values for p in parts]),
        status=np.vstack([p.status for p in parts]),
        facet_fields=("metric",),
        unit=first.unit,
        partial=stack("partial"),
        baseline=stack("baseline"),
        notes=[
            title or "",
            *(f"{_facet_name(m)}: {p.notes[0]}" for m, p in zip(metrics, parts, strict=True)),
        ],
    )


def _anomaly_sentence(found: list[Anomaly], period: str) -> str:
    """``In the period: a spike (forum:Lantern Hall, 12 March 2020).``"""
    found = sorted(found, key=lambda a: -a.severity)
    named = [
        f"{_article(a.kind)} {a.kind.replace('_', ' ')} ({', '.join([*a.facet, _when(a, period)])})"
        for a in found[:3]
    ]
    more = f" and {len(found) - 3} more" if len(found) > 3 else ""
    return f"In the period: {'; '.join(named)}{more}."


def _anomaly_table(rows: list[list[str]]) -> Table | None:
    """The digest's rows under their columns; "why" only when something explains one."""
    if not rows:
        return None
    columns = ["metric", "facet", "what", "when", "value", "expected", "severity", "why"]
    numeric = [False] * 4 + [True] * 3 + [False]
    if not any(r[-1] for r in rows):
        return Table(columns[:-1], [r[:-1] for r in rows], numeric[:-1])
    return Table(columns, rows, numeric)


def _article(kind: str) -> str:
    return "an" if kind[:1] in "aeiou" else "a"


def _when(a: Anomaly, period: str) -> str:
    return words.span_name(a.start, a.end, period)


def _cell(series: Series, f: int, t: int) -> str:
    st = int(series.status[f, t])
    if st == MISSING:
        return "not collected"
    if st == PROJECTED:  # an estimate: no false precision
        return f"{words.number(round(series.values[f, t]), series.unit)} expected"
    return words.number(series.values[f, t], series.unit)


def _delta(now: float, before: float) -> str:
    if before == 0:
        return "new" if now else "–"
    pct = (now - before) / before * 100
    return f"{pct:+.0f}%" if now else "gone"


def _previous(period: Period) -> datetime:
    """Where the period of the same length before ``period`` starts (the month before, for
    a month)."""
    if period.kind == "month":
        s = period.start
        return s.replace(year=s.year - (s.month == 1), month=12 if s.month == 1 else s.month - 1)
    return period.start - (period.end - period.start)


def _before_name(period: Period) -> str:
    if period.kind in ("week", "month"):
        return f"the {period.kind} before"
    return f"the {(period.end - period.start).days} days before it"


def _plural(of: str) -> str:
    return {"crypto": "crypto addresses", "author": "authors", "lexicon": "lexicons"}.get(
        of, of + "s"
    )


def _filter(text: str) -> Filter:
    field, op, value = text.split(" ", 2)
    return Filter(field, op, value)


def _toml(raw: dict[str, Any]) -> str:
    return "".join(f"{k} = {_toml_value(v)}\n" for k, v in raw.items())


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + "}"
    text = str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _toml_list(filters: list[Filter]) -> str:
    return _toml_value([str(f) for f in filters])


def _posts(ws: Workspace, uids: list[int]) -> dict[int, dict[str, Any]]:
    if not uids:
        return {}
    marks = ", ".join("?" for _ in uids)
    rows = ws.sql(
        "SELECT uid, source_id, section, time, author_id, author_name, forwarded_from, title, "
        f"text, quotes FROM posts WHERE uid IN ({marks})",
        uids,
    ).to_pylist()
    return {r["uid"]: r for r in rows}


def _excerpt(post: dict[str, Any], terms: set[str], tz: str) -> Excerpt:
    """A post as an excerpt: its quoted blocks as quotes, its own words cut around the first
    match, the search's matched terms highlighted."""
    text: str = post["text"] or ""
    quotes = sorted(post["quotes"] or [], key=lambda q: q["start"])
    passages: list[Passage] = []
    own: list[str] = []
    at = 0
    cut = False
    for q in quotes:
        lo, hi = max(q["start"], at), min(q["end"], len(text))
        if lo >= hi:
            continue
        own.append(text[at:lo])
        quoted, was_cut = _around(_uncited(text[lo:hi], q["quoted_author"]), terms, QUOTE_CHARS)
        cut |= was_cut
        if quoted:
            passages.append(Passage(_pieces(quoted, terms), True, q["quoted_author"] or None))
        at = hi
    own.append(text[at:])
    words_, was_cut = _around(" ".join(x.strip() for x in own if x.strip()), terms, EXCERPT_CHARS)
    cut |= was_cut
    if words_:
        passages.append(Passage(_pieces(words_, terms)))
    when = post["time"].astimezone(ZoneInfo(tz))
    return Excerpt(
        source=post["source_id"],
        section=post["section"],
        time=f"{words.period_name(when, 'day')}, {when:%H:%M}",
        author=post["author_name"] or post["author_id"] or "unknown",
        title=post["title"],
        passages=passages,
        cut=cut,
    )


def _uncited(quote: str, author: str | None) -> str:
    """A quoted block without the forum's own "NAME wrote: ↑" line (the excerpt says who
    wrote it)."""
    quote = quote.strip()
    if author and quote.startswith(author):
        cite = re.match(r"\s*(?:wrote|said|schreef|писал[аи]?)\s*:?\s*↑?\s*", quote[len(author) :])
        if cite:
            return quote[len(author) + cite.end() :]
    return quote


def _around(text: str, terms: set[str], limit: int) -> tuple[str, bool]:
    """At most ``limit`` characters of ``text``, from shortly before its first match."""
    if len(text) <= limit:
        return text, False
    low = text.lower()
    hits = [i for i in (low.find(t) for t in terms if t) if i >= 0]
    start = max(min(hits) - limit // 4, 0) if hits else 0
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    piece = text[start : start + limit]
    space = piece.rfind(" ")
    if space > limit * 3 // 4:  # end at a word
        piece = piece[:space]
    return ("… " if start else "") + piece.rstrip(), True


def _pieces(text: str, terms: set[str]) -> list[Piece]:
    """``text`` split into runs, the matched terms (any case) as hits."""
    alternatives = sorted((t for t in terms if t), key=len, reverse=True)
    if not alternatives:
        return [Piece(text)]
    pattern = re.compile("|".join(re.escape(t) for t in alternatives), re.IGNORECASE)
    pieces: list[Piece] = []
    at = 0
    for m in pattern.finditer(text):
        if m.start() > at:
            pieces.append(Piece(text[at : m.start()]))
        pieces.append(Piece(m.group(), True))
        at = m.end()
    if at < len(text):
        pieces.append(Piece(text[at:]))
    return pieces
