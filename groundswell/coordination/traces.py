"""Traces: what two accounts can share, read from the store as :class:`Shares`.

Each trace turns posts into (account, object, time, post) rows; objects of different traces
never meet (a hashtag ``#nova`` and a domain ``nova`` are two objects). A post shares an
object once, however often it names it. Links, addresses and hashtags inside a quoted earlier
post are re-quoted, not shared, and never count.

======== ================================================================================
trace    the object two accounts share
======== ================================================================================
url      a link, normalised (docs/enrichment.md: lower-case host, no default port ...)
domain   a link's registrable domain (Public Suffix List)
hashtag  a hashtag, case-folded
crypto   a crypto address (valid or unverified; an address failing its checksum is none)
email    an email address
forward  a forwarded message: the same origin and the same text
reply    a reply target: the same post replied to (source and native id)
text     identical text: the same ``content_hash`` (at least ``min_chars`` characters)
similar  near-identical text: SimHashes within ``bits`` bits, posted within the window of
         each other; chains of such posts form one text (at least ``min_chars`` characters)
======== ================================================================================

Example::

    traced = read(ws, ["url", "similar"], Scope(since=datetime(2020, 5, 1)), window=600)
    traced.shares, traced.values[code], TRACES[traced.traces[code]]
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from groundswell.actors.profiles import window as time_window
from groundswell.coordination.pairs import Shares, co_shares
from groundswell.errors import QueryError

if TYPE_CHECKING:
    from groundswell.workspace import Workspace

INDICATOR_TRACES = {  # trace -> (indicator kind, the column that is the object)
    "url": ("url", "value"),
    "domain": ("url", "domain"),
    "hashtag": ("hashtag", "value"),
    "crypto": ("crypto", "value"),
    "email": ("email", "value"),
}
POST_TRACES = {  # trace -> (the object, the condition a post needs)
    "forward": ("forwarded_from || ' ' || content_hash", "forwarded_from IS NOT NULL"),
    "reply": ("source_id || ' ' || parent_id", "parent_id IS NOT NULL"),
    "text": ("content_hash::VARCHAR", "content_hash IS NOT NULL"),
}
TRACES = (*INDICATOR_TRACES, *POST_TRACES, "similar")


@dataclass(frozen=True)
class Scope:
    """The posts a detection reads: ``since`` inclusive, ``until`` exclusive (naive times in
    the workspace's timezone), ``sources`` by id, and ``posts`` (uids) when given."""

    since: datetime | None = None
    until: datetime | None = None
    sources: tuple[str, ...] = ()
    posts: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Traced:
    """Shares with their objects named: object code -> trace and value."""

    shares: Shares
    traces: np.ndarray  # the trace (index into TRACES) of each object code
    values: list[str]  # the value of each object code
    counts: dict[str, int] = field(default_factory=dict)  # shares read per trace


def check(traces: Sequence[str]) -> tuple[str, ...]:
    unknown = [t for t in traces if t not in TRACES]
    if unknown or not traces:
        raise QueryError(
            f"unknown trace {', '.join(unknown)}" if unknown else "no trace given",
            hint="one or more of " + ", ".join(TRACES),
        )
    return tuple(dict.fromkeys(traces))


def read(
    ws: Workspace,
    traces: Sequence[str],
    scope: Scope,
    *,
    window: int,
    bits: int = 6,
    min_chars: int = 30,
) -> Traced:
    """The shares of every trace in ``traces`` within ``scope``."""
    traces = check(traces)
    if not 0 <= bits <= 15:
        raise QueryError(f"similar text takes 0 to 15 bits, not {bits}")
    where, params = _scope(ws, scope)
    parts: list[pa.Table] = []
    for t in traces:
        if t in INDICATOR_TRACES:
            table = _indicator_shares(ws, t, where, params)
        elif t == "similar":
            table = _similar_shares(ws, where, params, window, bits, min_chars)
        else:
            table = _post_shares(ws, t, where, params, min_chars)
        parts.append(
            table.append_column("trace", pa.array([TRACES.index(t)] * len(table), pa.int8()))
        )
    both = pa.concat_tables(parts)
    key = pc.binary_join_element_wise(pc.cast(both["trace"], pa.string()), both["value"], "\x1f")
    encoded = pc.dictionary_encode(key).combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    labels = encoded.dictionary.to_pylist()
    traces_of = np.array([int(s.split("\x1f", 1)[0]) for s in labels], np.int8)
    values = [s.split("\x1f", 1)[1] for s in labels]
    col = both.column
    shares = Shares.of(
        col("account").to_numpy(zero_copy_only=False),
        codes,
        col("t").to_numpy(zero_copy_only=False),
        col("uid").to_numpy(zero_copy_only=False),
    )
    counts = {t: int(n) for t, n in zip(traces, (len(p) for p in parts), strict=True)}
    return Traced(shares, traces_of, values, counts)


def _scope(ws: Workspace, scope: Scope) -> tuple[str, list[Any]]:
    """Conditions on ``posts`` AS p (and their parameters)."""
    where, params = time_window("p.time", scope.since, scope.until, ws.config.timezone)
    where.append("p.account IS NOT NULL")
    if scope.sources:
        where.append("p.source_id IN (SELECT unnest(?))")
        params.append(list(scope.sources))
    if scope.posts is not None:
        where.append("p.uid IN (SELECT unnest(?))")
        params.append(list(scope.posts))
    return " AND ".join(where), params


def _indicator_shares(ws: Workspace, trace: str, where: str, params: list[Any]) -> pa.Table:
    kind, column = INDICATOR_TRACES[trace]
    validity = " AND coalesce(i.validity, '') <> 'invalid'" if kind == "crypto" else ""
    return ws.sql(
        f"""SELECT DISTINCT p.account::BIGINT AS account, i.{column} AS value,
                   epoch(p.time)::BIGINT AS t, p.uid
            FROM indicators i JOIN posts p ON p.uid = i.post_uid
            WHERE i.kind = ? AND i.{column} IS NOT NULL AND NOT coalesce(i.in_quote, false)
                  {validity} AND {where}""",
        [kind, *params],
    )


def _post_shares(
    ws: Workspace, trace: str, where: str, params: list[Any], min_chars: int
) -> pa.Table:
    value, condition = POST_TRACES[trace]
    if trace == "text":
        condition += f" AND length(coalesce(p.text, p.title, '')) >= {int(min_chars)}"
    return ws.sql(
        f"""SELECT p.account::BIGINT AS account, ({value})::VARCHAR AS value,
                   epoch(p.time)::BIGINT AS t, p.uid
            FROM posts p WHERE {condition} AND {where}""",
        params,
    )


def similar_texts(
    ws: Workspace, scope: Scope, *, window: int, bits: int = 6, min_chars: int = 30
) -> pa.Table:
    """The posts of ``scope`` that have a near-identical text (account, value: the text's
    earliest post, t, uid); see the ``similar`` trace."""
    where, params = _scope(ws, scope)
    return _similar_shares(ws, where, params, window, bits, min_chars)


def _similar_shares(
    ws: Workspace, where: str, params: list[Any], window: int, bits: int, min_chars: int
) -> pa.Table:
    """Posts joined into texts: two posts within ``bits`` bits of each other and ``window``
    seconds of each other are one text, and so are chains of them. With ``bits + 1`` bands
    of the 64-bit SimHash, two signatures that close agree on a whole band (pigeonhole), so
    candidates come from a sliding window per band value and are then checked bit by bit."""
    rows = ws.sql(
        f"""SELECT p.account::BIGINT AS account, p.simhash, epoch(p.time)::BIGINT AS t, p.uid
            FROM posts p WHERE p.simhash IS NOT NULL
                  AND length(coalesce(p.text, p.title, '')) >= {int(min_chars)} AND {where}""",
        params,
    )
    empty = pa.table(
        {
            "account": pa.array([], pa.int64()),
            "value": pa.array([], pa.string()),
            "t": pa.array([], pa.int64()),
            "uid": pa.array([], pa.int64()),
        }
    )
    if not len(rows):
        return empty
    acc = rows["account"].to_numpy(zero_copy_only=False)
    sig = rows["simhash"].to_numpy(zero_copy_only=False).view(np.uint64)
    t = rows["t"].to_numpy(zero_copy_only=False)
    uid = rows["uid"].to_numpy(zero_copy_only=False)
    row = np.arange(len(rows), dtype=np.int64)
    edges_a: list[np.ndarray] = []
    edges_b: list[np.ndarray] = []
    cuts = [64 * k // (bits + 1) for k in range(bits + 2)]
    for lo, hi in itertools.pairwise(cuts):
        band = (sig >> np.uint64(lo)) & np.uint64((1 << (hi - lo)) - 1)
        # any two posts may be one text (an account repeating itself too): pair by row
        s = Shares.of(row, band.view(np.int64), t, row)
        p = co_shares(s, window)
        x, y = s.post[p.first], s.post[p.second]
        close = np.bitwise_count(sig[x] ^ sig[y]) <= bits
        edges_a.append(x[close])
        edges_b.append(y[close])
    a, b = np.concatenate(edges_a), np.concatenate(edges_b)
    if not len(a):
        return empty
    import igraph

    g = igraph.Graph(n=len(rows), edges=np.c_[a, b].tolist())
    member = np.asarray(g.connected_components().membership, np.int64)
    joined = np.bincount(member, minlength=len(rows))[member] > 1  # posts in a text of 2+
    text_of = member[joined]
    # a text is named by its earliest post
    u, tt = uid[joined], t[joined]
    order = np.lexsort((u, tt, text_of))
    firsts = order[np.r_[True, text_of[order][1:] != text_of[order][:-1]]]
    name = np.zeros(int(text_of.max()) + 1, np.int64)
    name[text_of[firsts]] = u[firsts]
    return pa.table(
        {
            "account": pa.array(acc[joined]),
            "value": pc.cast(pa.array(name[text_of]), pa.string()),
            "t": pa.array(t[joined]),
            "uid": pa.array(uid[joined]),
        }
    )
