"""Coordination detection over a workspace: traces, co-shares, the network, its clusters.

:func:`detect` reads the shares of the chosen traces, pairs them, keeps the edges that pass
the filters, and names everything: accounts with their actor profiles, edges with the posts
behind them, clusters (connected components) and communities (Leiden, modularity, seeded so
a run gives the same answer every time). The result holds five Arrow tables::

    result = detect(ws, ["url", "crypto", "similar"], Settings(window=600), Scope(...))
    result.edges      # a, b, weight, objects, pairs, posts_a, posts_b, deltas, ..., cluster
    result.accounts   # account, source_id, author_id, name, first_seen, posts, cluster ...
    result.clusters   # cluster, accounts, edges, weight, first, last, objects, traces
    result.evidence   # one row per co-share: both posts, the object, the seconds between
    result.objects    # one row per co-shared object: trace, value, shares, accounts

Exports (CSV, Parquet, GEXF, GraphML) are in :mod:`groundswell.coordination.export`.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from groundswell.coordination import traces as traces_mod
from groundswell.coordination.network import Network, Settings, network, pair
from groundswell.coordination.pairs import estimate_window
from groundswell.coordination.traces import Scope, Traced

if TYPE_CHECKING:
    from groundswell.workspace import Workspace

SEED = 42  # Leiden's random start: fixed, so the communities are reproducible


@dataclass
class Coordination:
    """A detection's settings and its tables (see the module docstring)."""

    settings: Settings
    traces: tuple[str, ...]
    scope: Scope
    edges: pa.Table
    accounts: pa.Table
    clusters: pa.Table
    evidence: pa.Table
    objects: pa.Table
    shares_read: dict[str, int] = field(default_factory=dict)
    # (trace, object) -> the text behind a text-like object (its hash or post id says nothing)
    excerpts: dict[tuple[str, str], str] = field(default_factory=dict)

    def shown(self, trace: str, value: str) -> str:
        """An object as people read it: the excerpt of a text-like object, else its value."""
        return self.excerpts.get((trace, value), value)

    def summary(self) -> dict[str, Any]:
        return {
            "traces": list(self.traces),
            "shares": sum(self.shares_read.values()),
            "shares_per_trace": self.shares_read,
            "accounts": self.accounts.num_rows,
            "edges": self.edges.num_rows,
            "clusters": self.clusters.num_rows,
            "co_shares": self.evidence.num_rows,
            "settings": self.settings.__dict__,
            "settings_in_words": self.settings.describe(),
        }

    def cluster_of(self) -> dict[int, int]:
        """account -> cluster."""
        return dict(
            zip(
                self.accounts["account"].to_pylist(),
                self.accounts["cluster"].to_pylist(),
                strict=True,
            )
        )


def detect(
    ws: Workspace,
    traces: Sequence[str],
    settings: Settings | None = None,
    scope: Scope | None = None,
    *,
    bits: int = 6,
    min_chars: int = 30,
    auto_window: bool = False,
) -> Coordination:
    """Co-sharing coordination among the accounts of ``scope`` over ``traces``; with
    ``auto_window``, the window is CooRnet's estimate from the shares themselves
    (:func:`groundswell.coordination.pairs.estimate_window`)."""
    settings = (settings or Settings()).check()
    scope = scope or Scope()
    traced = traces_mod.read(
        ws, traces, scope, window=settings.window, bits=bits, min_chars=min_chars
    )
    if auto_window:
        w = estimate_window(traced.shares)
        fast = None if settings.fast_window is None else min(settings.fast_window, w)
        settings = dataclasses.replace(settings, window=w, fast_window=fast).check()
        if "similar" in traces:  # its texts depend on the window
            traced = traces_mod.read(
                ws, traces, scope, window=settings.window, bits=bits, min_chars=min_chars
            )
    net = network(traced.shares, pair(traced.shares, settings), settings)
    return name(ws, traced, net, settings, traces_mod.check(traces), scope)


def communities(edges: pa.Table) -> tuple[dict[int, int], dict[int, int]]:
    """account -> cluster (connected component, 1 = most accounts) and account -> community
    (Leiden on modularity with the edge weights; 1 = most accounts)."""
    import igraph

    if not edges.num_rows:
        return {}, {}
    a = edges["a"].to_numpy()
    b = edges["b"].to_numpy()
    ids, idx = np.unique(np.r_[a, b], return_inverse=True)
    n = len(ids)
    g = igraph.Graph(n=n, edges=np.c_[idx[: len(a)], idx[len(a) :]].tolist())
    g.es["weight"] = edges["weight"].to_pylist()
    state = random.getstate()
    random.seed(SEED)
    try:
        # igraph's default two iterations: 0.5 s where running to convergence took 8 s on a
        # 235,000-edge network, for a modularity of 0.448 instead of 0.456 (benchmarks)
        leiden = g.community_leiden(objective_function="modularity", weights="weight")
    finally:
        random.setstate(state)
    out = []
    for membership in (g.connected_components().membership, leiden.membership):
        m = np.asarray(membership)
        sizes = np.bincount(m)
        # number groups by size (largest first), then by their smallest account
        smallest = np.full(len(sizes), np.iinfo(np.int64).max)
        np.minimum.at(smallest, m, ids)
        rank = np.empty(len(sizes), np.int64)
        rank[np.lexsort((smallest, -sizes))] = np.arange(1, len(sizes) + 1)
        out.append(dict(zip(ids.tolist(), rank[m].tolist(), strict=True)))
    return out[0], out[1]


def name(
    ws: Workspace,
    traced: Traced,
    net: Network,
    settings: Settings,
    traces: tuple[str, ...],
    scope: Scope,
) -> Coordination:
    """The labelled tables of a network."""
    s, p = traced.shares, net.pairs
    cluster, community = communities(net.edges)
    edges = net.edges.append_column(
        "cluster", pa.array([cluster[a] for a in net.edges["a"].to_pylist()], pa.int64())
    )
    first, second = p.first, p.second
    acc1, acc2 = s.account[first], s.account[second]
    swap = acc1 > acc2
    lo = np.where(swap, second, first)  # the evidence row's side a is the smaller account
    hi = np.where(swap, first, second)
    obj = s.obj[first]
    evidence = pa.table(
        {
            "a": s.account[lo],
            "b": s.account[hi],
            "post_a": s.post[lo],
            "post_b": s.post[hi],
            "time_a": _ts(s.time[lo]),
            "time_b": _ts(s.time[hi]),
            "delta": np.abs(s.time[hi] - s.time[lo]),
            "trace": pa.array(np.asarray(traces_mod.TRACES)[traced.traces[obj]], pa.string()),
            "object": pa.array(np.asarray(traced.values, dtype=object)[obj], pa.string()),
        }
    )
    evidence = evidence.append_column(
        "cluster", pa.array([cluster[a] for a in evidence["a"].to_pylist()], pa.int64())
    ).sort_by(
        [
            ("cluster", "ascending"),
            ("time_a", "ascending"),
            ("time_b", "ascending"),
            ("a", "ascending"),
        ]
    )
    edges = edges.set_column(
        edges.schema.get_field_index("first"), "first", pa.array(_ts(edges["first"].to_numpy()))
    ).set_column(
        edges.schema.get_field_index("last"), "last", pa.array(_ts(edges["last"].to_numpy()))
    )
    accounts = _accounts(ws, net.edges, cluster, community, s)
    excerpts = _excerpts(ws, evidence)
    objects = _objects(ws, evidence, traced)
    objects = objects.append_column(
        "excerpt",
        pa.array(
            [
                excerpts.get(k)
                for k in zip(
                    objects["trace"].to_pylist(), objects["object"].to_pylist(), strict=True
                )
            ],
            pa.string(),
        ),
    )
    clusters = _clusters(edges, evidence, accounts, excerpts)
    return Coordination(
        settings,
        traces,
        scope,
        edges,
        accounts,
        clusters,
        evidence,
        objects,
        traced.counts,
        excerpts,
    )


TEXT_LIKE = ("text", "similar", "forward")


def _excerpts(ws: Workspace, evidence: pa.Table, width: int = 120) -> dict[tuple[str, str], str]:
    """The text behind each text-like object: the first post of its first co-share, its
    whitespace collapsed, in quotes, cut to ``width`` characters."""
    post_of: dict[tuple[str, str], int] = {}
    for t, o, p in zip(
        *(evidence[k].to_pylist() for k in ("trace", "object", "post_a")), strict=True
    ):
        if t in TEXT_LIKE:
            post_of.setdefault((t, o), p)
    if not post_of:
        return {}
    rows = ws.sql(
        "SELECT uid, coalesce(text, title, '') AS text FROM posts WHERE uid IN (SELECT unnest(?))",
        [sorted(set(post_of.values()))],
    ).to_pylist()
    text = {r["uid"]: " ".join(r["text"].split()) for r in rows}
    out = {}
    for key, uid in post_of.items():
        t = text.get(uid, "")
        out[key] = f"“{t if len(t) <= width else t[: width - 1] + '…'}”"
    return out


def _ts(seconds: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(seconds, np.int64) * 1_000_000, pa.timestamp("us", tz="UTC"))


def _accounts(
    ws: Workspace,
    edges: pa.Table,
    cluster: dict[int, int],
    community: dict[int, int],
    shares: Any,
) -> pa.Table:
    """The accounts of the network with their actor profiles and their weighted degree."""
    from groundswell.actors import profiles

    profiles.ensure(ws)
    members = sorted(cluster)
    strength: dict[int, int] = {}
    degree: dict[int, int] = {}
    for a, b, w in zip(
        edges["a"].to_pylist(), edges["b"].to_pylist(), edges["weight"].to_pylist(), strict=True
    ):
        for x in (a, b):
            strength[x] = strength.get(x, 0) + w
            degree[x] = degree.get(x, 0) + 1
    rows = ws.sql(
        """SELECT a.account, a.source_id, a.author_id, p.name, p.first_seen, p.last_seen,
                  p.posts, p.active_days
           FROM accounts a LEFT JOIN actors p ON p.account = a.account
           WHERE a.account IN (SELECT unnest(?)) ORDER BY a.account""",
        [members],
    ).to_pylist()
    for r in rows:
        acc = r["account"]
        r.update(
            cluster=cluster[acc],
            community=community[acc],
            degree=degree[acc],
            strength=strength[acc],
        )
    schema = pa.schema(
        [
            ("account", pa.int64()),
            ("source_id", pa.string()),
            ("author_id", pa.string()),
            ("name", pa.string()),
            ("first_seen", pa.timestamp("us", tz="UTC")),
            ("last_seen", pa.timestamp("us", tz="UTC")),
            ("posts", pa.int64()),
            ("active_days", pa.int32()),
            ("cluster", pa.int64()),
            ("community", pa.int64()),
            ("degree", pa.int64()),
            ("strength", pa.int64()),
        ]
    )
    table = pa.Table.from_pylist(rows, schema=schema)
    return table.sort_by(
        [("cluster", "ascending"), ("strength", "descending"), ("account", "ascending")]
    )


def _objects(ws: Workspace, evidence: pa.Table, traced: Traced) -> pa.Table:
    """One row per co-shared object: how many co-shares, accounts and clusters it has."""
    con = ws.store.con
    con.register("_evidence", evidence)
    try:
        return con.sql(
            """WITH pairs AS (SELECT trace, object, count(*) AS co_shares FROM _evidence
                              GROUP BY ALL),
                    sides AS (SELECT trace, object, count(DISTINCT account) AS accounts,
                                     count(DISTINCT cluster) AS clusters,
                                     min(t) AS first, max(t) AS last
                              FROM (SELECT trace, object, a AS account, cluster, time_a AS t
                                    FROM _evidence
                                    UNION ALL SELECT trace, object, b, cluster, time_b
                                    FROM _evidence)
                              GROUP BY ALL)
               SELECT trace, object, co_shares, accounts, clusters, first, last
               FROM pairs JOIN sides USING (trace, object)
               ORDER BY accounts DESC, co_shares DESC, trace, object"""
        ).to_arrow_table()
    finally:
        con.unregister("_evidence")


def _clusters(
    edges: pa.Table,
    evidence: pa.Table,
    accounts: pa.Table,
    excerpts: dict[tuple[str, str], str],
) -> pa.Table:
    """One row per cluster: its size, weight, time span, and what it shared."""
    out: list[dict[str, Any]] = []
    by_cluster: dict[int, list[dict[str, Any]]] = {}
    for e in edges.select(["cluster", "weight", "first", "last"]).to_pylist():
        by_cluster.setdefault(e["cluster"], []).append(e)
    objects: dict[int, dict[tuple[str, str], set[int]]] = {}
    for c, t, o, a, b in zip(
        *(evidence[k].to_pylist() for k in ("cluster", "trace", "object", "a", "b")), strict=True
    ):
        objects.setdefault(c, {}).setdefault((t, o), set()).update((a, b))
    members: dict[int, list[int]] = {}
    communities: dict[int, set[int]] = {}
    for acc, c, m in zip(
        *(accounts[k].to_pylist() for k in ("account", "cluster", "community")), strict=True
    ):
        members.setdefault(c, []).append(acc)
        communities.setdefault(c, set()).add(m)
    for c in sorted(by_cluster):
        es = by_cluster[c]
        shared = sorted(objects.get(c, {}).items(), key=lambda kv: (-len(kv[1]), kv[0]))
        out.append(
            {
                "cluster": c,
                "accounts": len(members[c]),
                "communities": len(communities[c]),
                "edges": len(es),
                "weight": sum(e["weight"] for e in es),
                "first": min(e["first"] for e in es),
                "last": max(e["last"] for e in es),
                "objects": len(shared),
                "traces": sorted({t for t, _ in objects.get(c, {})}),
                "top_objects": [f"{t}: {excerpts.get((t, o), o)}" for (t, o), _ in shared[:5]],
                "members": members[c],
            }
        )
    schema = pa.schema(
        [
            ("cluster", pa.int64()),
            ("accounts", pa.int64()),
            ("communities", pa.int64()),
            ("edges", pa.int64()),
            ("weight", pa.int64()),
            ("first", pa.timestamp("us", tz="UTC")),
            ("last", pa.timestamp("us", tz="UTC")),
            ("objects", pa.int64()),
            ("traces", pa.list_(pa.string())),
            ("top_objects", pa.list_(pa.string())),
            ("members", pa.list_(pa.int64())),
        ]
    )
    return pa.Table.from_pylist(out, schema=schema)
