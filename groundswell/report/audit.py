"""The ``audit`` report section: the hype audit of an entity over the report's period.

One section becomes six blocks: the mention timeline (anomalies and the analyst's event
markers), the signals side by side with their baseline, the top amplifiers, the repeated
claims, the co-sharing clusters of the accounts that mention it, and the first co-shares of
the largest of them (the evidence). The computing is
``groundswell.coordination.audit``; this module only words and lays it out. Amplifiers are
people posting: their names are ``[redacted]`` unless the report is not redacted.

    [[reports.monthly.sections]]
    kind = "audit"
    entity = "0x302DFaF2CDbE51a18d97186A7384e87CF599877D"
    events = { "NOVA listing" = 2020-05-28 }
    window = "10m"
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from groundswell.coordination.audit import Audit, AuditOptions, run
from groundswell.coordination.network import Settings
from groundswell.report import captions as words
from groundswell.report.charts import trend_chart
from groundswell.report.document import Block, Definition, Table
from groundswell.report.redact import MARK

if TYPE_CHECKING:
    from groundswell.report.build import _Builder
    from groundswell.report.spec import Section


def audit_blocks(b: _Builder, n: int, s: Section) -> list[Block]:
    options = AuditOptions(
        since=b.lo,
        until=b.hi,
        period=s.period,
        events=s.events,
        baselines=s.baselines,
        new_days=s.new_days,
        traces=s.traces or AuditOptions.traces,
        settings=Settings(window=s.window or 600),
        top=s.limit,
    )
    a = run(b.ws, s.entity, options)
    ref = _definition(b, a, n)
    name = s.title or f"Audit of {a.entity.text}"
    return [
        _timeline(a, n, name, ref),
        _signals(a, n, ref),
        _amplifiers(b, a, n, ref),
        _claims(a, n, ref),
        _clusters(a, n, ref),
        _evidence(b, a, n, ref),
    ]


def _definition(b: _Builder, a: Audit, n: int) -> str:
    o, st = a.options, a.options.settings
    lines = [
        f"entity = {a.entity.text!r}  # {a.entity.describe()}",
        f"sources = {list(a.sources)!r}",
        f"baselines = {list(o.baselines) or ['all other posts of these sources']!r}",
        f"traces = {list(o.traces)!r}",
        f"window = {st.window}  # seconds",
        f"min_participation = {st.min_participation}",
        f"min_weight = {st.min_weight}",
        f"new_days = {o.new_days}",
        f"history_posts = {o.history_posts}",
        f"bits = {o.bits}",
    ]
    ref = f"audit-{n}"
    b.defs.setdefault(
        ref,
        Definition(
            ref,
            f"audit of {a.entity.text}",
            "method",
            f"The mentions are {a.entity.describe()}. Each signal is the share of the mentions "
            "that have it, next to the same share among the baseline; see "
            "docs/coordination.md.",
            "\n".join(lines),
        ),
    )
    return ref


def _timeline(a: Audit, n: int, name: str, ref: str) -> Block:
    caption = (
        f"{words.number(a.mentions)} mentions by {words.number(a.accounts)} accounts in "
        f"{len(a.sources)} sources ({', '.join(a.sources)})."
    )
    if a.anomalies:
        top = max(a.anomalies, key=lambda x: x.severity)
        caption += (
            f" Strongest anomaly: a {top.kind.replace('_', ' ')} on "
            f"{words.period_name(top.start, a.series.period)} "
            f"({words.number(top.value)} against {words.number(top.baseline)} expected)."
        )
    if a.options.events:
        marked = [f"{label} ({when:%-d %b %Y})" for when, label in a.options.events]
        caption += f" Marked: {', '.join(marked)}."
    return Block(
        "audit",
        name,
        caption=caption,
        chart=timeline_chart(a),
        refs=[ref],
        data={f"{n:02d}-audit-timeline.csv": a.series.to_arrow()},
    )


def timeline_chart(a: Audit, title: str = "") -> dict[str, Any]:
    """The mentions per period with their anomalies and the analyst's events (Vega-Lite)."""
    title = title or f"Mentions per {a.series.period}"
    return trend_chart(a.series, a.anomalies, title=title, events=a.options.events)


def signal_rows(a: Audit) -> list[list[str]]:
    """Each signal as shown: what it counts, "n of total", its share, the baseline's share,
    and the ratio of the two (the first baseline)."""
    rows = []
    for sig in a.signals:
        lift = sig.lift()
        rows.append(
            [
                sig.label,
                f"{words.number(sig.count)} of {words.number(sig.total)}",
                _pct(sig.share),
                _pct(sig.baseline_share()),
                "" if lift is None else f"×{lift:,.1f}",
            ]
        )
    return rows


def _pct(v: float | None) -> str:
    return "" if v is None else f"{v:.1%}"


def _signals(a: Audit, n: int, ref: str) -> Block:
    base = next(iter(a.signals[0].baselines))
    rows = signal_rows(a)
    strongest = max(a.signals, key=lambda x: x.share or 0)
    caption = (
        f"{_pct(strongest.share)} of the mentions came {strongest.label}, against "
        f"{_pct(strongest.baseline_share())} of the baseline ({base}). No overall score: "
        "each signal is shown with its inputs."
    )
    data = pa.Table.from_pylist(
        [
            {
                "signal": x.name,
                "count": x.count,
                "total": x.total,
                "share": x.share,
                "baseline": base,
                "baseline_count": x.baselines[base][0],
                "baseline_total": x.baselines[base][1],
                "baseline_share": x.baseline_share(),
            }
            for x in a.signals
        ]
    )
    return Block(
        "audit",
        "Signals against the baseline",
        caption=caption,
        table=Table(
            ["mentions …", "mentions", "share", f"baseline: {base}", "against baseline"],
            rows,
            [False, True, True, True, True],
        ),
        notes=[f"{x.label[0].upper()}{x.label[1:]}: {x.explanation}" for x in a.signals],
        refs=[ref],
        data={f"{n:02d}-audit-signals.csv": data},
    )


AMPLIFIER_COLUMNS = [
    "account", "source", "mentions", "first seen", "earlier posts", "new", "cluster",
    "near-duplicate", "disclosed",
]  # fmt: skip


AMPLIFIER_COLUMNS = [
    "account", "source", "mentions", "first seen", "earlier posts", "new", "cluster",
    "near-duplicate", "disclosed",
]  # fmt: skip


def _amplifiers(b: _Builder, a: Audit, n: int, ref: str) -> Block:
    rows: list[list[str]] = []
    for r in a.amplifiers:
        for x in (r["name"], r["author_id"]):
            if x:
                b.names.add(x)
        rows.append(
            [
                MARK if b.redact else (r["name"] or r["author_id"]),
                r["source_id"],
                words.number(r["mentions"]),
                f"{r['first_seen']:%Y-%m-%d}",
                words.number(r["posts_before"]),
                "yes" if r["new"] else "",
                "" if r["cluster"] is None else str(r["cluster"]),
                words.number(r["templated"]),
                words.number(r["disclosed"]),
            ]
        )
    shown: list[dict[str, Any]] = [
        {**r, "name": row[0], "author_id": MARK if b.redact else r["author_id"]}
        for r, row in zip(a.amplifiers, rows, strict=True)
    ]
    return Block(
        "audit",
        "Top amplifiers",
        caption=f"The {len(rows)} accounts with the most mentions; "
        f"{sum(1 for r in a.amplifiers if r['new'])} are new to their source and "
        f"{sum(1 for r in a.amplifiers if r['cluster'] is not None)} are in a co-sharing cluster.",
        table=Table(
            AMPLIFIER_COLUMNS, rows, [False, False, True, False, True, False, True, True, True]
        ),
        refs=[ref],
        data={f"{n:02d}-audit-amplifiers.csv": pa.Table.from_pylist(shown)},
        empty="No account mentions it.",
    )


def _claims(a: Audit, n: int, ref: str) -> Block:
    rows = [
        [c["kind"], c["value"], words.number(c["posts"]), words.number(c["accounts"]),
         words.number(c["in_clusters"])]
        for c in a.claims
    ]  # fmt: skip
    return Block(
        "audit",
        "Claims the posts repeat",
        caption="Addresses, repositories, links, handles and names that more than one account "
        "repeats in the mentions, with how many accounts repeat each (names: runs of two to "
        "four capitalised words, a heuristic). Checking them is the analyst's work: none is "
        "fetched.",
        table=Table(
            ["kind", "claim", "posts", "accounts", "in clusters"],
            rows,
            [False, False, True, True, True],
        ),
        refs=[ref],
        data={f"{n:02d}-audit-claims.csv": pa.Table.from_pylist(a.claims)},
        empty="No claim is repeated by two accounts.",
    )


def _clusters(a: Audit, n: int, ref: str) -> Block:
    rows = []
    for c in a.clusters:
        rows.append(
            [
                str(c["cluster"]),
                words.number(c["accounts"]),
                words.number(c["mentioning"]),
                words.number(c["edges"]),
                _span(c["first"], c["last"]),
                ", ".join(c["traces"]),
                "; ".join(c["top_objects"][:3]),
            ]
        )
    o = a.options.settings
    data = pa.Table.from_pylist(
        [{k: v for k, v in c.items() if k != "members"} for c in a.clusters]
    )
    return Block(
        "audit",
        "Co-sharing clusters of the accounts that mention it",
        caption=f"Accounts that shared the same {', '.join(a.options.traces)} in the period's "
        f"posts of these sources: {o.describe()}.",
        table=Table(
            ["cluster", "accounts", "mentioning", "edges", "time span", "traces", "top objects"],
            rows,
            [True, True, True, True, False, False, False],
        ),
        refs=[ref],
        data={f"{n:02d}-audit-clusters.csv": data},
        empty="No account that mentions it is in a co-sharing cluster.",
    )


EVIDENCE_ROWS = 12
EVIDENCE_COLUMNS = [
    "first post", "account", "second post", "other account", "seconds", "trace", "object",
]  # fmt: skip


def _evidence(b: _Builder, a: Audit, n: int, ref: str) -> Block:
    """The first co-shares behind the largest cluster of accounts that mention it: who posted
    what, and how many seconds apart (accounts redacted unless the report is not)."""
    if not a.clusters:
        return Block("audit", "The evidence", empty="No cluster, so no evidence to show.")
    first = a.clusters[0]["cluster"]
    net = a.coordination
    mine = net.evidence.filter(pc.equal(net.evidence["cluster"], first))
    names = {
        r["account"]: r["name"] or r["author_id"]
        for r in net.accounts.select(["account", "name", "author_id"]).to_pylist()
    }
    b.names.update(x for x in names.values() if x)
    pairs = []  # each co-share earlier side first, in time order
    for e in mine.to_pylist():
        early, late = ("a", "b") if e["time_a"] <= e["time_b"] else ("b", "a")
        pairs.append((e[f"time_{early}"], e[early], e[f"time_{late}"], e[late], e))
    pairs.sort(key=lambda p: (p[0], p[2]))
    rows = [
        [
            f"{t1:%Y-%m-%d %H:%M:%S}",
            MARK if b.redact else names[x],
            f"{t2:%H:%M:%S}",
            MARK if b.redact else names[y],
            words.number(e["delta"]),
            e["trace"],
            net.shown(e["trace"], e["object"]),
        ]
        for t1, x, t2, y, e in pairs[:EVIDENCE_ROWS]
    ]
    return Block(
        "audit",
        f"The evidence: the first co-shares of cluster {first}",
        caption=f"{words.number(mine.num_rows)} co-shares join the accounts of cluster {first}; "
        f"the first {len(rows)}, in time order, with both posts' times and the seconds between "
        "them.",
        table=Table(EVIDENCE_COLUMNS, rows, [False, False, False, False, True, False, False]),
        refs=[ref],
        data={f"{n:02d}-audit-evidence.csv": mine.drop_columns(["a", "b"])},
    )


def _span(first: datetime, last: datetime) -> str:
    if first.date() == last.date():
        return f"{first:%-d %b %Y, %H:%M}–{last:%H:%M} UTC"
    return f"{first:%-d %b %Y} – {last:%-d %b %Y}"
