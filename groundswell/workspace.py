"""Workspace: one directory holding a config file, a DuckDB store and room for the search index.

    DIR/
      groundswell.toml   the config (TOML, trusted, validated on open)
      store.duckdb       the store (tables in groundswell.schema)
      index/             the full-text index (kept in step with the store)
      locks/             who has the store open (see groundswell.store.duckdb)

This class is the public Python API; the CLI and the web app only call it.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from groundswell import config as config_mod
from groundswell.analysis.anomalies import (
    DEFAULT_WINDOWS,
    ERROR_WINDOWS,
    KINDS,
    Anomaly,
    AnomalySettings,
    detect,
    expected,
)
from groundswell.analysis.compile import Engine, shift
from groundswell.analysis.explain import explain as explain_anomaly
from groundswell.analysis.indicators import IndicatorQuery
from groundswell.analysis.indicators import query as query_indicators
from groundswell.analysis.metrics import Metric
from groundswell.analysis.series import MISSING, Series
from groundswell.analysis.transforms import Transform
from groundswell.analysis.transforms import apply as apply_transform
from groundswell.analysis.trends import aware
from groundswell.analysis.trends import pooled as pooled_baseline
from groundswell.analysis.trends import trend as run_trend
from groundswell.coordination.audit import Audit, AuditOptions
from groundswell.coordination.detect import Coordination
from groundswell.coordination.network import Settings as CoordinationSettings
from groundswell.coordination.traces import Scope
from groundswell.coverage import merge_spans
from groundswell.enrich import Enricher
from groundswell.enrich.lexicons import Lexicons
from groundswell.errors import MetricError, QueryError, ReportError, WorkspaceError
from groundswell.ingest import ImportResult, Progress, run_import
from groundswell.ingest.reenrich import EnrichProgress, EnrichResult, enrich_store, stale
from groundswell.report.build import build as build_report
from groundswell.report.document import Document
from groundswell.report.spec import ReportSpec
from groundswell.report.spec import load as load_report_spec
from groundswell.search.attention import SearchCounter, uses_search
from groundswell.search.index import SearchIndex, SyncProgress, SyncResult
from groundswell.search.results import Searcher, SearchFilters, SearchResults
from groundswell.sources.base import ImportOptions, get_importer
from groundswell.store.duckdb import Store, first

STORE_NAME = "store.duckdb"
ENV_VAR = "GROUNDSWELL_WORKSPACE"


def locate(path: str | Path | None = None) -> Path:
    """The workspace directory: ``path``, else ``$GROUNDSWELL_WORKSPACE``, else the current
    directory or the nearest parent holding a ``groundswell.toml``."""
    if path is None and os.environ.get(ENV_VAR):
        path = os.environ[ENV_VAR]
    if path is not None:
        p = Path(path).expanduser().resolve()
        if not (p / config_mod.CONFIG_NAME).is_file():
            raise WorkspaceError(
                f"{p} is not a Groundswell workspace (no {config_mod.CONFIG_NAME})",
                hint=f"create one with `groundswell init {path}`",
            )
        return p
    here = Path.cwd().resolve()
    for p in (here, *here.parents):
        if (p / config_mod.CONFIG_NAME).is_file():
            return p
    raise WorkspaceError(
        f"{here} is not inside a Groundswell workspace",
        hint="pass --workspace DIR, set GROUNDSWELL_WORKSPACE, or run `groundswell init DIR`",
    )


class Workspace:
    """An open workspace. Use as a context manager so the store is released promptly."""

    def __init__(self, path: Path, store: Store, config: config_mod.Config) -> None:
        self.path = path
        self.store = store
        self.config = config

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def init(
        cls,
        path: str | Path,
        *,
        name: str | None = None,
        lexicons: dict[str, list[str]] | None = None,
        extra_config: str = "",
    ) -> Workspace:
        """Create a workspace in ``path`` (made if missing; must not be a workspace already),
        with ``lexicons`` (name -> terms) written into its config, and ``extra_config`` (TOML,
        e.g. ``[metrics.NAME]`` tables) appended to it."""
        p = Path(path).expanduser().resolve()
        if (p / config_mod.CONFIG_NAME).exists():
            raise WorkspaceError(f"{p} is already a Groundswell workspace")
        if p.exists() and not p.is_dir():
            raise WorkspaceError(f"{p} exists and is not a directory")
        p.mkdir(parents=True, exist_ok=True)
        (p / "index").mkdir(exist_ok=True)
        text = config_mod.TEMPLATE.format(name=(name or p.name).replace('"', "'"))
        for lexicon, terms in (lexicons or {}).items():
            text += f"{lexicon} = {json.dumps(terms, ensure_ascii=False)}\n"
        text += extra_config
        cfg = config_mod.parse(text)
        store = Store(p / STORE_NAME, create=True, settings=cfg.store)
        (p / config_mod.CONFIG_NAME).write_text(text, encoding="utf-8")
        return cls(p, store, cfg)

    @classmethod
    def open(
        cls, path: str | Path | None = None, *, read_only: bool = False, wait: float = 0.0
    ) -> Workspace:
        """Open an existing workspace; ``wait`` seconds for a busy store before giving up."""
        p = locate(path)
        cfg = config_mod.load(p / config_mod.CONFIG_NAME)
        store = Store(p / STORE_NAME, read_only=read_only, wait=wait, settings=cfg.store)
        return cls(p, store, cfg)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- importing -------------------------------------------------------------------------
    def import_(
        self,
        format: str,
        paths: Iterable[str | Path],
        *,
        options: ImportOptions | None = None,
        strict: bool = False,
        force: bool = False,
        covers: tuple[datetime, datetime] | None = None,
        progress: Progress | None = None,
        index: bool = True,
        index_progress: SyncProgress | None = None,
    ) -> list[ImportResult]:
        """Import files with the importer registered as ``format``; one run per file. The
        search index takes in what was stored right after (also after a failed run, for the
        batches it stored), unless ``index`` is False (the next search does it then)."""
        cls = get_importer(format)
        self._changed()
        results = []
        try:
            for path in paths:
                importer = cls(options or ImportOptions())
                results.append(
                    run_import(
                        self.store,
                        importer,
                        Path(path),
                        self.config.imports,
                        strict=strict,
                        force=force,
                        covers=covers,
                        progress=progress,
                        enricher=self.enricher,
                    )
                )
        finally:
            if index and not self.store.read_only:
                self.sync_index(progress=index_progress)
        return results

    # -- enrichment ------------------------------------------------------------------------
    @functools.cached_property
    def enricher(self) -> Enricher:
        """The enrichment of this workspace (its lexicons from the config)."""
        return Enricher(Lexicons(self.config.lexicons))

    def enrich(
        self, *, rebuild: bool = False, progress: EnrichProgress | None = None
    ) -> EnrichResult:
        """Enrich the posts whose enrichment is out of date (every post: ``rebuild``)."""
        workers = self.config.imports.workers or os.cpu_count() or 1
        changing = None if rebuild else self._stale_uids()
        self.index.mark_dirty()  # until the index has them too (a killed run: it rebuilds)
        result = enrich_store(
            self.store, self.enricher, rebuild=rebuild, workers=workers, progress=progress
        )
        if changing is None:
            self.rebuild_index()
        else:
            self.index.update(self.store, changing)
        return result

    def _stale_uids(self) -> list[int]:
        rows = self.store.con.execute(
            "SELECT uid FROM posts WHERE enriched IS DISTINCT FROM ?", [self.enricher.version]
        ).fetchall()
        return [r[0] for r in rows]

    def stale_posts(self) -> int:
        """Posts not enriched with the current extractors, detector and lexicons."""
        return stale(self.store, self.enricher)

    def indicators(self, query: IndicatorQuery | None = None) -> list[dict[str, Any]]:
        """Indicator counts by group (and period), or occurrences; see IndicatorQuery."""
        q = query or IndicatorQuery()
        if q.timezone == "UTC" and self.config.timezone != "UTC":
            q = dataclasses.replace(q, timezone=self.config.timezone)
        return query_indicators(self.store.con, q)

    # -- search ----------------------------------------------------------------------------
    @functools.cached_property
    def index(self) -> SearchIndex:
        """The full-text index (``index/``), kept in step with the store."""
        return SearchIndex(self.path / "index")

    def sync_index(self, *, progress: SyncProgress | None = None) -> SyncResult:
        """Bring the search index in step with the store (imports call this themselves)."""
        return self.index.sync(self.store, progress=progress)

    def rebuild_index(self, *, progress: SyncProgress | None = None) -> SyncResult:
        """Index every post again, from the store."""
        return self.index.rebuild(self.store, progress=progress)

    @functools.cached_property
    def searcher(self) -> Searcher:
        return Searcher(self.index, self.store)

    def search(
        self,
        query: str = "",
        filters: SearchFilters | None = None,
        *,
        sort: str = "relevance",
        limit: int = 20,
        offset: int = 0,
        facets: bool = True,
    ) -> SearchResults:
        """Posts matching ``query`` (see docs/search.md) and ``filters``: the total, one page
        of hits with HTML-safe snippets, and facet counts (months in the workspace timezone).
        An index left behind by a killed import is brought in step first."""
        self._index_in_step()
        zone = ZoneInfo(self.config.timezone)
        if filters is not None:  # naive times are in the workspace's timezone
            filters = dataclasses.replace(
                filters,
                since=aware(filters.since, zone),
                until=aware(filters.until, zone),
            )
        return self.searcher.search(
            query,
            filters,
            sort=sort,
            limit=limit,
            offset=offset,
            facets=facets,
            timezone=self.config.timezone,
        )

    def search_uids(self, query: str, filters: SearchFilters | None = None) -> list[int]:
        """The uid of every post matching ``query`` and ``filters`` (naive times in the
        workspace's timezone), for analyses that need the whole set."""
        self._index_in_step()
        zone = ZoneInfo(self.config.timezone)
        if filters is not None:
            filters = dataclasses.replace(
                filters, since=aware(filters.since, zone), until=aware(filters.until, zone)
            )
        return self.searcher.uids(query, filters)

    def _counter(self, metric: Metric) -> SearchCounter | None:
        """What counts a metric with a search filter: the index, brought in step first."""
        if not uses_search(metric):
            return None
        self._index_in_step()
        return SearchCounter(self.searcher)

    def _index_in_step(self) -> None:
        """Sync the index first if an import (say, a killed one) left it behind."""
        if self.index.behind(self.store):
            self.sync_index()

    # -- trends ----------------------------------------------------------------------------
    @functools.cached_property
    def engine(self) -> Engine:
        """The metric engine over the store (Ibis; it keeps table objects, so it is made
        again after this workspace imports anything)."""
        return Engine(self.store.con)

    def _changed(self) -> None:
        self.__dict__.pop("engine", None)

    def metrics(self) -> dict[str, Metric]:
        """The named metrics of the config (``[metrics.NAME]``)."""
        return dict(self.config.metrics)

    def metric(self, name: str) -> Metric:
        """A named metric; a clear error listing the names when there is none."""
        if name not in self.config.metrics:
            known = ", ".join(sorted(self.config.metrics)) or "none yet"
            raise MetricError(
                f"no metric named {name!r} in {config_mod.CONFIG_NAME}",
                hint=f"named metrics: {known}; or describe one with flags (see --help)",
            )
        return self.config.metrics[name]

    def trend(
        self,
        metric: Metric | str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        as_of: datetime | None = None,
        project: bool = True,
        transforms: Sequence[Transform] = (),
    ) -> Series:
        """The series of a metric (or a named one): per period and facet, each point
        observed, missing (not collected) or projected; then ``transforms`` in order."""
        m = self.metric(metric) if isinstance(metric, str) else metric
        if m.table == "returns":  # derived from the posts: bring it up to date first
            from groundswell.actors import profiles

            profiles.ensure(self)
        series = run_trend(
            self.engine,
            m,
            timezone=self.config.timezone,
            since=since,
            until=until,
            as_of=as_of,
            project=project,
            search=self._counter(m),
        )
        for t in transforms:
            # a baseline of counts is their mean per period; of means, percentiles and
            # shares, the metric over the window's rows at once
            reference = None
            if t.kind == "baseline" and t.span and not (m.additive or m.measure == "distinct"):
                reference = pooled_baseline(self.engine, m, series, *t.span, self._counter(m))
            series = apply_transform(series, t, reference)
        return series

    def anomalies(
        self,
        metric: Metric | str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        as_of: datetime | None = None,
        settings: AnomalySettings | None = None,
        kinds: Sequence[str] = KINDS,
        explain: bool = True,
    ) -> tuple[Series, list[Anomaly]]:
        """A metric's series (with the detector's expected value as its baseline) and the
        spikes, dips, outages and level shifts in it, each explained by the facets and values
        that drive it (``explain``). See docs/anomalies.md."""
        m = self.metric(metric) if isinstance(metric, str) else metric
        s = settings or AnomalySettings()
        history = None  # the history the detector needs before ``since`` to score from there
        if since is not None:
            periods = (ERROR_WINDOWS + 1) * (s.window or DEFAULT_WINDOWS.get(m.period, 12))
            zone = ZoneInfo(m.timezone or self.config.timezone)
            local = since.astimezone(zone).replace(tzinfo=None) if since.tzinfo else since
            history = shift(m.period, local, -periods)
        series = self.trend(m, since=history or since, until=until, as_of=as_of)
        series.baseline = np.where(series.status == MISSING, np.nan, expected(series, s))
        found = detect(series, s, kinds)
        if since is not None:
            zone = ZoneInfo(series.timezone)
            lo = since if since.tzinfo else since.replace(tzinfo=zone)
            series = series.between(lo, None)
            found = [a for a in found if a.end >= lo]
        if explain:
            counter = self._counter(m)
            found = [explain_anomaly(self.engine, m, series, a, counter) for a in found]
        return series, found

    # -- actors --------------------------------------------------------------------------------
    def actor(self, who: str, *, source: str | None = None) -> list[dict[str, Any]]:
        """The profiles of an author id or display name (any case; one per account), with
        the indicators they posted and their returns (docs/actors.md)."""
        from groundswell.actors import profiles

        return profiles.profile(self, who, source)

    def actors(self, **options: Any) -> list[dict[str, Any]]:
        """Actor profiles ranked (``groundswell.actors.profiles.ranked``: source, since,
        until, sort, limit, min_posts)."""
        from groundswell.actors import profiles

        return profiles.ranked(self, **options)

    def returns(self, **options: Any) -> list[dict[str, Any]]:
        """Return events after long absences, latest first (source, since, until, limit)."""
        from groundswell.actors import returns

        return returns.events(self, **options)

    def concentration(self, period: str = "month", **options: Any) -> Series:
        """Shares of posts by the top 1, 5 and 10% of actors per period, and the Gini
        coefficient (by_source, what="posts" or "links")."""
        from groundswell.actors import cohorts

        return cohorts.concentration(self, period, **options)

    def alias_candidates(
        self, who: str | int, *, source: str | None = None, limit: int = 10
    ) -> list[Any]:
        """Accounts on other sources that may be the same person as ``who``, best first,
        each with its evidence (``groundswell.actors.aliases.Candidate``)."""
        from groundswell.actors import aliases

        return aliases.candidates(self, who, source=source, limit=limit)

    def decide_alias(
        self, a: str | int, b: str | int, status: str, *, note: str = ""
    ) -> dict[str, Any]:
        """Record the analyst's decision on a pair: ``confirmed`` (one person in every
        distinct count) or ``rejected``. Never made automatically."""
        from groundswell.actors import aliases

        return aliases.decide(self, a, b, status, note=note)

    def creators(self, **options: Any) -> list[dict[str, Any]]:
        """One row per creator: tier, followers, growth, engagement (with its convention),
        sponsored share (``groundswell.actors.creators.creators``)."""
        from groundswell.actors import creators

        return creators.creators(self, **options)

    # -- coordination --------------------------------------------------------------------------
    def coordination(
        self,
        traces: Sequence[str] = ("url", "crypto", "similar"),
        settings: CoordinationSettings | None = None,
        scope: Scope | None = None,
        **options: Any,
    ) -> Coordination:
        """Accounts that shared the same objects within a time window of each other: the
        network, its clusters and the evidence behind every edge (docs/coordination.md;
        ``options``: bits and min_chars of the text traces)."""
        from groundswell.coordination.detect import detect

        return detect(self, traces, settings, scope, **options)

    def audit(self, entity: str, options: AuditOptions | None = None) -> Audit:
        """The hype audit of ``entity`` (a search query, an indicator value, or lexicon:NAME):
        its mention timeline with anomalies, the shares of its mentions that are coordinated,
        new, templated or disclosed against a baseline, its amplifiers and repeated claims
        (docs/coordination.md)."""
        from groundswell.coordination.audit import run

        return run(self, entity, options)

    # -- reports -------------------------------------------------------------------------------
    def reports(self) -> dict[str, ReportSpec]:
        """The named reports of the config (``[reports.NAME]``)."""
        return dict(self.config.reports)

    def report_spec(self, spec: str | Path) -> ReportSpec:
        """A report named in the config, or a spec file (a path ending in .toml)."""
        if isinstance(spec, str) and spec in self.config.reports:
            return self.config.reports[spec]
        path = Path(spec)
        if path.suffix.lower() == ".toml" or path.exists():
            return load_report_spec(path)
        known = ", ".join(sorted(self.config.reports)) or "none yet"
        raise ReportError(
            f"no report named {str(spec)!r} in {config_mod.CONFIG_NAME} and no such file",
            hint=f"named reports: {known}; or give a spec file (.toml)",
        )

    def report(
        self,
        spec: ReportSpec | str | Path,
        *,
        period: str | None = None,
        as_of: datetime | None = None,
        redact: bool | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> Document:
        """A briefing computed from ``spec`` (a ReportSpec, a report's name, or a spec file)
        for ``period`` (default: the spec's), ready for ``groundswell.report.render``. Names
        in excerpts are redacted unless ``redact`` is False (docs/reports.md)."""
        s = spec if isinstance(spec, ReportSpec) else self.report_spec(spec)
        return build_report(self, s, period=period, as_of=as_of, redact=redact, progress=progress)

    def import_table(
        self,
        path: str | Path,
        *,
        name: str,
        time_column: str,
        timezone: str = "UTC",
        time_format: str | None = None,
        key: Sequence[str] = (),
        force: bool = False,
    ) -> ImportResult:
        """Import a CSV or Parquet file as the event table ``ev_<name>`` (see tables.py)."""
        from groundswell.tables import import_event_table

        self._changed()
        return import_event_table(
            self.store,
            Path(path),
            name=name,
            time_column=time_column,
            timezone=timezone,
            time_format=time_format,
            key=tuple(key),
            force=force,
            settings=self.config.imports,
        )

    # -- reading ---------------------------------------------------------------------------
    def sql(self, query: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run SQL against the store and return an Arrow table (trusted callers only)."""
        import duckdb

        try:
            rel = self.store.con.sql(query, params=list(params) if params else None)
        except duckdb.Error as e:
            raise QueryError(f"query failed: {e}") from None
        return rel.to_arrow_table() if rel is not None else pa.table({})

    def table_names(self) -> list[str]:
        rows = self.store.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY 1"
        ).fetchall()
        return [r[0] for r in rows]

    def table(self, name: str, *, limit: int | None = None) -> pa.Table:
        """A whole table (or its first ``limit`` rows) as Arrow."""
        if name not in self.table_names():
            raise QueryError(f"no table {name!r}; tables: {', '.join(self.table_names())}")
        q = f'SELECT * FROM "{name}"' + (" LIMIT ?" if limit is not None else "")
        return self.sql(q, [limit] if limit is not None else None)

    def _rows(self, query: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        return self.sql(query, params).to_pylist()

    def sources(self) -> list[dict[str, Any]]:
        """Sources with their counts, time span and merged coverage spans."""
        rows = self._rows("""
            SELECT s.*, coalesce(c.spans, []) AS coverage
            FROM sources s LEFT JOIN (
              SELECT source_id, list({'start': span_start, 'end': span_end}) AS spans
              FROM coverage GROUP BY 1) c USING (source_id)
            ORDER BY s.source_id""")
        for r in rows:
            spans = merge_spans((c["start"], c["end"]) for c in r["coverage"])
            r["coverage"] = [{"start": a, "end": b} for a, b in spans]
        return rows

    def imports(self, *, limit: int = 50) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM imports ORDER BY import_id DESC LIMIT ?", [limit])

    def quarantine(self, *, import_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
        where = "WHERE import_id = ?" if import_id is not None else ""
        params: list[Any] = [import_id] if import_id is not None else []
        return self._rows(
            f"SELECT * FROM quarantine {where} ORDER BY import_id DESC, quarantined_at LIMIT ?",
            [*params, limit],
        )

    def stats(self) -> dict[str, Any]:
        """Headline figures: records, sources, time span, quarantine, per-platform counts."""
        con = self.store.con
        row = first(
            con, "SELECT count(*), min(time), max(time), count(DISTINCT source_id) FROM posts"
        )
        assert row is not None
        per_platform = self._rows("""
            SELECT s.platform, count(DISTINCT p.source_id) AS sources, count(*) AS posts,
                   min(p.time) AS first, max(p.time) AS last
            FROM posts p JOIN sources s USING (source_id) GROUP BY 1 ORDER BY posts DESC""")
        q = first(con, "SELECT count(*) FROM quarantine")
        snaps = first(con, "SELECT count(*) FROM account_snapshots")
        events = self._rows("SELECT name, table_name, rows FROM event_tables ORDER BY name")
        imports = first(con, "SELECT count(*) FROM imports")
        return {
            "workspace": str(self.path),
            "posts": row[0],
            "first": row[1],
            "last": row[2],
            "sources": row[3],
            "quarantined": q[0] if q else 0,
            "account_snapshots": snaps[0] if snaps else 0,
            "event_tables": events,
            "imports": imports[0] if imports else 0,
            "platforms": per_platform,
        }

    def export(self, query_or_table: str, dest: str | Path, *, format: str | None = None) -> int:
        """Write a table or a SELECT to CSV, JSON lines or Parquet; returns rows written."""
        from groundswell.export import export

        return export(self, query_or_table, Path(dest), format=format)
