"""The hype audit of an entity: how much of its buzz is coordinated, new, templated or paid.

An *entity* is a search query (``"NOVA token"``), an indicator value (a contract address, a
domain, a hashtag: ``0x302D...``, written as is or as ``indicator:VALUE``) or a lexicon
(``lexicon:NAME``). Its *mentions* are the posts that match, in the period and sources.

The audit lists its signals side by side, each the share of the mentions that have it, next to
the same share among the *baseline*: all other posts of the same sources in the same period,
or the posts of the baseline topics the analyst names. It gives no overall score on purpose:
one number would hide which evidence holds and which does not.

========== ===================================================================================
signal     a mention counts when ...
========== ===================================================================================
coordinated its account is in a co-sharing cluster of the period's posts in those sources
            (``groundswell.coordination.detect``, with the audit's settings)
new         its account's first post in the source is at most ``new_days`` days earlier
history     its account had fewer than ``history_posts`` earlier posts in the source
templated   another account posted text within ``bits`` bits of it (SimHash), within the
            coordination window (the near-duplicate texts of ``traces.similar_texts``)
disclosed   it carries a disclosure marker (the built-in ``disclosure`` lexicon: #ad,
            sponsored by, paid partnership, 广告, #iklan ...) outside quotes
========== ===================================================================================

Example::

    audit = run(ws, "0x302DFaF2CDbE51a18d97186A7384e87CF599877D",
                AuditOptions(events=((datetime(2020, 5, 28), "listing"),)))
    audit.signals[0].share, audit.signals[0].baseline_share, audit.amplifiers[:5]
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from groundswell.analysis.anomalies import Anomaly
from groundswell.analysis.metrics import Filter, Metric
from groundswell.analysis.series import Series
from groundswell.analysis.trends import aware
from groundswell.coordination.detect import Coordination, detect
from groundswell.coordination.network import Settings, in_words
from groundswell.coordination.traces import Scope, similar_texts
from groundswell.errors import QueryError

if TYPE_CHECKING:
    from groundswell.workspace import Workspace

# Hosts whose links are code repositories (and any host starting with git. or code.)
CODE_HOSTS = (
    "github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "gitee.com",
    "sourceforge.net", "sr.ht", "git.sr.ht", "huggingface.co",
)  # fmt: skip
# A name: two to four capitalised words ("Lumen Ridge Capital"); a heuristic, said so
NAME = re.compile(r"\b[A-Z][a-z]+(?:[ -](?:[A-Z][a-z]+|of|de|van|von|der)){1,3}\b")
SIGNALS = ("coordinated", "new", "history", "templated", "disclosed")


@dataclass(frozen=True)
class AuditOptions:
    """The period ([since, until); naive times in the workspace's timezone; by default two
    weeks before the first mention to a week after the last), the timeline's period (hour,
    day or week; by default chosen from the span), the analyst's event markers, the baseline
    topics (default: all other posts of the same sources), the thresholds of the signals, and
    the coordination settings."""

    since: datetime | None = None
    until: datetime | None = None
    sources: tuple[str, ...] = ()
    period: str | None = None
    events: tuple[tuple[datetime, str], ...] = ()
    baselines: tuple[str, ...] = ()
    new_days: int = 30
    history_posts: int = 5
    traces: tuple[str, ...] = ("url", "crypto", "hashtag", "similar")
    settings: Settings = field(default_factory=lambda: Settings(window=600))
    bits: int = 6
    min_chars: int = 30
    top: int = 15


@dataclass(frozen=True)
class Entity:
    text: str  # as the analyst wrote it
    kind: str  # query | indicator | lexicon
    value: str  # the query, the stored indicator value, or the lexicon name

    def describe(self) -> str:
        return {
            "query": f"posts matching the search {self.value!r}",
            "indicator": f"posts naming {self.value} (outside quotes)",
            "lexicon": f"posts with a hit in the lexicon {self.value!r} (outside quotes)",
        }[self.kind]


@dataclass
class Signal:
    name: str
    label: str
    explanation: str
    count: int
    total: int
    baselines: dict[str, tuple[int, int]]  # baseline name -> (count, total)

    @property
    def share(self) -> float | None:
        return self.count / self.total if self.total else None

    def baseline_share(self, name: str | None = None) -> float | None:
        c, t = self.baselines[name or next(iter(self.baselines))]
        return c / t if t else None

    def lift(self, name: str | None = None) -> float | None:
        """The mentions' share over the baseline's (None when the baseline has none)."""
        b = self.baseline_share(name)
        return None if not b or self.share is None else self.share / b

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "explanation": self.explanation,
            "count": self.count,
            "total": self.total,
            "share": self.share,
            "baselines": {
                k: {"count": c, "total": t, "share": c / t if t else None, "lift": self.lift(k)}
                for k, (c, t) in self.baselines.items()
            },
        }


@dataclass
class Audit:
    entity: Entity
    options: AuditOptions
    since: datetime  # aware, in the workspace's timezone
    until: datetime
    sources: tuple[str, ...]
    mentions: int
    accounts: int
    series: Series
    anomalies: list[Anomaly]
    metric: Metric
    signals: list[Signal]
    amplifiers: list[dict[str, Any]]
    clusters: list[dict[str, Any]]
    claims: list[dict[str, Any]]
    coordination: Coordination

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity": {
                "text": self.entity.text,
                "kind": self.entity.kind,
                "value": self.entity.value,
            },
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "sources": list(self.sources),
            "mentions": self.mentions,
            "accounts": self.accounts,
            "timeline": {
                "metric": self.metric.describe(),
                "period": self.series.period,
                "points": [
                    {"start": s.isoformat(), "mentions": float(v)}
                    for s, v in zip(self.series.starts, self.series.values[0], strict=False)
                ]
                if self.series.facets
                else [],
                "anomalies": [
                    {
                        "kind": a.kind,
                        "start": a.start.isoformat(),
                        "end": a.end.isoformat(),
                        "value": a.value,
                        "baseline": a.baseline,
                        "explanation": a.explanation,
                    }
                    for a in self.anomalies
                ],
                "events": [{"time": t.isoformat(), "label": x} for t, x in self.options.events],
            },
            "signals": [s.to_dict() for s in self.signals],
            "amplifiers": self.amplifiers,
            "clusters": self.clusters,
            "claims": self.claims,
            "coordination": self.coordination.summary(),
        }


# -- the entity and its mentions ---------------------------------------------------------------
def entity(ws: Workspace, text: str) -> Entity:
    """What ``text`` names: ``lexicon:NAME``, ``indicator:VALUE``, a stored indicator value
    (any case; the whole text, no spaces), or else a search query."""
    text = text.strip()
    if not text:
        raise QueryError(
            "an audit needs an entity", hint="a search query, an indicator value or lexicon:NAME"
        )
    head, _, rest = text.partition(":")
    if head == "lexicon" and rest:
        known = {"disclosure", *ws.config.lexicons}
        if rest not in known:
            raise QueryError(f"no lexicon {rest!r}", hint="one of " + ", ".join(sorted(known)))
        return Entity(text, "lexicon", rest)
    value = rest if head == "indicator" and rest else text
    if head == "indicator" or " " not in value:
        rows = ws.sql(
            "SELECT value FROM indicators WHERE lower(value) = lower(?) "
            "GROUP BY value ORDER BY count(*) DESC LIMIT 1",
            [value],
        ).to_pylist()
        if rows:
            return Entity(text, "indicator", rows[0]["value"])
        if head == "indicator":
            raise QueryError(f"no indicator {value!r} in this workspace")
    return Entity(text, "query", text)


def mention_uids(
    ws: Workspace,
    e: Entity,
    since: datetime | None,
    until: datetime | None,
    sources: tuple[str, ...],
) -> list[int]:
    """The posts of an entity in [since, until) and ``sources`` (all when empty)."""
    from groundswell.actors.profiles import window
    from groundswell.search.results import SearchFilters

    if e.kind == "query":
        return ws.search_uids(e.value, SearchFilters(since=since, until=until, sources=sources))
    where, params = window("time", since, until, ws.config.timezone)
    if sources:
        where.append("source_id IN (SELECT unnest(?))")
        params.append(list(sources))
    if e.kind == "lexicon":
        where.append("kind = 'lexicon' AND subkind = ?")
    else:
        where.append("value = ?")
    params.append(e.value)
    where.append("NOT coalesce(in_quote, false)")
    rows = ws.sql(f"SELECT DISTINCT post_uid FROM indicators WHERE {' AND '.join(where)}", params)
    return rows["post_uid"].to_pylist()


def timeline_metric(e: Entity, period: str, sources: tuple[str, ...]) -> Metric:
    """The metric that counts an entity's mentions per period (what the timeline draws)."""
    narrow = (Filter("source_id", "in", sources),) if sources else ()
    if e.kind == "indicator":
        return Metric(
            name="mentions",
            description=f"mentions of {e.value}",
            table="indicators",
            measure="distinct",
            column="post_uid",
            where=(Filter("value", "=", e.value), Filter("in_quote", "=", "false"), *narrow),
            period=period,
            unit="posts",
        )
    f = Filter("lexicon", "=", e.value) if e.kind == "lexicon" else Filter("search", "=", e.value)
    return Metric(
        name="mentions",
        description=f"mentions of {e.text}",
        where=(f, *narrow),
        period=period,
        unit="posts",
    )


# -- the audit -------------------------------------------------------------------------------
def run(ws: Workspace, text: str, options: AuditOptions | None = None) -> Audit:
    """The audit of ``text`` (see the module docstring)."""
    zone = ZoneInfo(ws.config.timezone)
    o = options or AuditOptions()
    o.settings.check()
    events = tuple((aware(t, zone) or t, label) for t, label in o.events)
    o = dataclasses.replace(o, events=events)
    e = entity(ws, text)
    every = mention_uids(ws, e, o.since, o.until, o.sources)
    if not every:
        raise QueryError(
            f"no posts mention {text!r} in that period",
            hint="check the spelling or widen --since/--until",
        )
    span = ws.sql(
        "SELECT min(time) AS lo, max(time) AS hi, list(DISTINCT source_id) AS sources "
        "FROM posts WHERE uid IN (SELECT unnest(?))",
        [every],
    ).to_pylist()[0]
    since = aware(o.since, zone) or _day(span["lo"], zone) - timedelta(days=14)
    until = aware(o.until, zone) or _day(span["hi"], zone) + timedelta(days=8)
    sources = o.sources or tuple(sorted(span["sources"]))
    period = o.period or _period(until - since)
    metric = timeline_metric(e, period, o.sources)
    series, found = ws.anomalies(metric, since=since, until=until, explain=False)

    coord = detect(
        ws, o.traces, o.settings, Scope(since, until, sources), bits=o.bits, min_chars=o.min_chars
    )
    in_cluster = coord.cluster_of()
    baselines = {"all other posts": None} if not o.baselines else {b: b for b in o.baselines}
    sets: dict[str, list[int]] = {}
    for name, topic in baselines.items():
        if topic is None:
            sets[name] = _others(ws, every, since, until, sources)
        else:
            sets[name] = mention_uids(ws, entity(ws, topic), since, until, sources)
    flags = {
        name: _flags(ws, uids, o, in_cluster) for name, uids in [("mentions", every), *sets.items()]
    }
    signals = _signals(flags, o, coord)
    mine = flags["mentions"]
    return Audit(
        entity=e,
        options=o,
        since=since,
        until=until,
        sources=sources,
        mentions=len(every),
        accounts=len({r["account"] for r in mine}),
        series=series,
        anomalies=found,
        metric=metric,
        signals=signals,
        amplifiers=_amplifiers(ws, mine, o.top),
        clusters=_clusters(coord, {r["account"] for r in mine}),
        claims=_claims(ws, every, in_cluster, o.top),
        coordination=coord,
    )


def _day(t: datetime, zone: ZoneInfo) -> datetime:
    return t.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)


def _period(span: timedelta) -> str:
    return "hour" if span <= timedelta(days=4) else "day" if span <= timedelta(days=120) else "week"


def _others(
    ws: Workspace, mentions: list[int], since: datetime, until: datetime, sources: tuple[str, ...]
) -> list[int]:
    rows = ws.sql(
        "SELECT uid FROM posts WHERE time >= ? AND time < ? AND source_id IN (SELECT unnest(?)) "
        "AND uid NOT IN (SELECT unnest(?))",
        [since.astimezone(UTC), until.astimezone(UTC), list(sources), mentions],
    )
    return rows["uid"].to_pylist()


def _flags(
    ws: Workspace, uids: list[int], o: AuditOptions, in_cluster: dict[int, int]
) -> list[dict[str, Any]]:
    """One row per post of ``uids``: its account and each signal's flag."""
    if not uids:
        return []
    rows = ws.sql(
        f"""WITH x AS (SELECT unnest(?) AS uid),
           acc AS (SELECT DISTINCT p.account FROM posts p JOIN x USING (uid)),
           hist AS (
               SELECT uid, account, source_id, time,
                      rank() OVER (PARTITION BY account ORDER BY time) - 1 AS before,
                      min(time) OVER (PARTITION BY account) AS first_time
               FROM posts WHERE account IN (SELECT account FROM acc))
           SELECT h.uid, h.account, h.source_id, h.time, h.before, h.first_time,
                  h.time - h.first_time <= INTERVAL {int(o.new_days)} DAY AS new,
                  h.before < {int(o.history_posts)} AS history,
                  EXISTS (SELECT 1 FROM indicators i WHERE i.post_uid = h.uid
                          AND i.kind = 'lexicon' AND i.subkind = 'disclosure'
                          AND NOT coalesce(i.in_quote, false)) AS disclosed
           FROM hist h JOIN x USING (uid)""",
        [uids],
    ).to_pylist()
    templated = _templated(ws, uids, o)
    for r in rows:
        r["coordinated"] = r["account"] in in_cluster
        r["cluster"] = in_cluster.get(r["account"])
        r["templated"] = r["uid"] in templated
    return rows


def _templated(ws: Workspace, uids: list[int], o: AuditOptions) -> set[int]:
    """Posts of ``uids`` with near-identical text by another account among them."""
    texts = similar_texts(
        ws, Scope(posts=tuple(uids)), window=o.settings.window, bits=o.bits, min_chars=o.min_chars
    )
    accounts: dict[str, set[int]] = defaultdict(set)
    for v, a in zip(texts["value"].to_pylist(), texts["account"].to_pylist(), strict=True):
        accounts[v].add(a)
    return {
        u
        for u, v in zip(texts["uid"].to_pylist(), texts["value"].to_pylist(), strict=True)
        if len(accounts[v]) > 1
    }


def _signals(
    flags: dict[str, list[dict[str, Any]]], o: AuditOptions, coord: Coordination
) -> list[Signal]:
    s = o.settings
    window = in_words(s.window)
    words = {
        "coordinated": (
            "from coordinated clusters",
            f"Mentions by accounts in a co-sharing cluster: accounts that shared the same "
            f"{', '.join(coord.traces)} ({s.describe()}), among all posts of these sources in "
            "the period (docs/coordination.md).",
        ),
        "new": (
            f"from accounts new to the source ({o.new_days} days)",
            f"Mentions by accounts whose first post in the source was at most {o.new_days} "
            "days before the mention.",
        ),
        "history": (
            f"from accounts with little history (< {o.history_posts} posts)",
            f"Mentions by accounts with fewer than {o.history_posts} earlier posts in the source.",
        ),
        "templated": (
            "with near-duplicate text",
            f"Mentions whose text is near-identical (SimHash within {o.bits} bits) to another "
            f"account's post in the same set, posted within {window} of it.",
        ),
        "disclosed": (
            "with a disclosure marker",
            "Mentions carrying a paid-promotion marker of the built-in disclosure lexicon "
            "(#ad, #sponsored, paid partnership, sponsored by, 广告, 合作, #iklan ...), outside "
            "quotes.",
        ),
    }
    mine = flags["mentions"]
    out = []
    for name in SIGNALS:
        label, text = words[name]
        out.append(
            Signal(
                name,
                label,
                text,
                sum(bool(r[name]) for r in mine),
                len(mine),
                {
                    b: (sum(bool(r[name]) for r in rows), len(rows))
                    for b, rows in flags.items()
                    if b != "mentions"
                },
            )
        )
    return out


def _amplifiers(ws: Workspace, mine: list[dict[str, Any]], top: int) -> list[dict[str, Any]]:
    """The accounts with the most mentions, with their flags."""
    by: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in mine:
        by[r["account"]].append(r)
    ranked = sorted(by.items(), key=lambda kv: (-len(kv[1]), min(r["time"] for r in kv[1]), kv[0]))
    ranked = ranked[:top]
    names = {
        r["account"]: r
        for r in ws.sql(
            """SELECT a.account, a.author_id, coalesce(p.name, a.author_id) AS name
               FROM accounts a LEFT JOIN actors p USING (account)
               WHERE a.account IN (SELECT unnest(?))""",
            [[a for a, _ in ranked]],
        ).to_pylist()
    }
    out = []
    for acc, rows in ranked:
        first = min(rows, key=lambda r: r["time"])
        out.append(
            {
                "account": acc,
                "source_id": first["source_id"],
                "author_id": names[acc]["author_id"],
                "name": names[acc]["name"],
                "mentions": len(rows),
                "first_mention": first["time"],
                "first_seen": first["first_time"],
                "posts_before": first["before"],
                "new": bool(first["new"]),
                "cluster": first["cluster"],
                "templated": sum(bool(r["templated"]) for r in rows),
                "disclosed": sum(bool(r["disclosed"]) for r in rows),
            }
        )
    return out


def _clusters(coord: Coordination, authors: set[int]) -> list[dict[str, Any]]:
    """The clusters with at least one account that mentions the entity."""
    out = []
    for c in coord.clusters.to_pylist():
        members = set(c["members"])
        if members & authors:
            out.append({**c, "mentioning": len(members & authors)})
    return out


def _claims(
    ws: Workspace, uids: list[int], in_cluster: dict[int, int], top: int
) -> list[dict[str, Any]]:
    """What the mentions repeat: addresses, repositories, other links, handles, emails and
    names, each with the posts and the distinct accounts that repeat it."""
    rows = ws.sql(
        """SELECT i.post_uid, p.account, i.kind, i.value, i.host
           FROM indicators i JOIN posts p ON p.uid = i.post_uid
           WHERE i.post_uid IN (SELECT unnest(?)) AND NOT coalesce(i.in_quote, false)
                 AND i.kind IN ('crypto', 'url', 'handle', 'email')""",
        [uids],
    ).to_pylist()
    found: list[tuple[str, str, int, int]] = []  # kind, value, post, account
    for r in rows:
        kind = {"crypto": "address", "handle": "handle", "email": "email"}.get(r["kind"], "link")
        if r["kind"] == "url" and _code_host(r["host"] or ""):
            kind = "repository"
        found.append((kind, r["value"], r["post_uid"], r["account"]))
    texts = ws.sql(
        "SELECT uid, account, coalesce(title || ' ', '') || coalesce(text, '') AS text "
        "FROM posts WHERE uid IN (SELECT unnest(?))",
        [uids],
    ).to_pylist()
    for t in texts:
        for name in set(NAME.findall(t["text"])):
            found.append(("name", name, t["uid"], t["account"]))
    posts: dict[tuple[str, str], set[int]] = defaultdict(set)
    accounts: dict[tuple[str, str], set[int]] = defaultdict(set)
    for kind, value, post, account in found:
        posts[kind, value].add(post)
        accounts[kind, value].add(account)
    repeated = [k for k, a in accounts.items() if len(a) > 1]
    repeated.sort(key=lambda k: (-len(accounts[k]), -len(posts[k]), k))
    return [
        {
            "kind": k,
            "value": v,
            "posts": len(posts[k, v]),
            "accounts": len(accounts[k, v]),
            "in_clusters": sum(a in in_cluster for a in accounts[k, v]),
        }
        for k, v in repeated[:top]
    ]


def _code_host(host: str) -> bool:
    return (
        host in CODE_HOSTS
        or host.startswith(("git.", "code."))
        or any(host.endswith("." + h) for h in CODE_HOSTS)
    )
