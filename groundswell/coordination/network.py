"""The account network of co-shares: one edge per pair of accounts, then the filters.

Every edge joins two accounts (``a < b``; undirected) and carries:

- ``objects``: distinct objects both shared within the window of each other;
- ``pairs``: co-shares (pairs of shares) behind the edge; repeated shares each count;
- ``weight``: ``objects`` by default, or ``pairs`` (``Settings.weight``);
- ``mean_delta``, ``min_delta``: seconds between the two shares of a pair, over its pairs;
- ``fast_objects``: distinct objects co-shared within the faster sub-window, if one is set;
- ``first``, ``last``: the earliest and the latest share behind the edge (epoch seconds).

The filters, in this order (docs/coordination.md has the mapping to other tools):

1. ``min_participation``: an account stays when it co-shared at least this many distinct
   objects (with anyone); pairs with an account below it go;
2. ``min_weight``: edges below this weight go;
3. ``quantile``: of the remaining edges, those with a weight below the ``quantile``-th
   quantile of their weights go (linear interpolation, as R's default ``quantile`` type 7).

Example::

    >>> from groundswell.coordination.pairs import Shares, co_shares
    >>> s = Shares.of(account=[1, 2, 1, 2, 3], obj=[5, 5, 6, 6, 6], time=[0, 10, 50, 55, 59])
    >>> every = Settings(window=60, min_participation=1, min_weight=1)
    >>> edges = network(s, co_shares(s, 60), every).edges
    >>> [(e["a"], e["b"], e["objects"]) for e in edges.to_pylist()]
    [(1, 2, 2), (1, 3, 1), (2, 3, 1)]
    >>> [(e["a"], e["b"]) for e in network(s, co_shares(s, 60), Settings()).edges.to_pylist()]
    [(1, 2)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from groundswell.coordination.pairs import Pairs, Shares
from groundswell.errors import QueryError

WEIGHTS = ("objects", "pairs")
UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def seconds(text: str | int) -> int:
    """A duration as written by people: ``90``, ``90s``, ``10m``, ``10 min``, ``2h``, ``1d``."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    m = re.fullmatch(r"\s*(\d+)\s*(s|m|min|h|d)?\s*", str(text))
    if not m:
        raise QueryError(
            f"cannot read {text!r} as a duration",
            hint="seconds, or a number with s, m, h or d: 10m",
        )
    return int(m.group(1)) * UNITS[m.group(2) or "s"]


@dataclass(frozen=True)
class Settings:
    """What counts as coordination; every figure of a result says which settings made it."""

    window: int = 60  # seconds between two shares of one object, inclusive
    min_participation: int = 2  # distinct co-shared objects an account needs
    min_weight: int = 2  # edges lighter than this go
    quantile: float | None = None  # keep edges at or above this quantile of weights
    fast_window: int | None = None  # a faster sub-window, counted per edge
    weight: str = "objects"  # what the weight counts: objects or pairs

    def check(self) -> Settings:
        if self.window < 0:
            raise QueryError("the time window must be zero or more seconds")
        if self.min_participation < 1 or self.min_weight < 1:
            raise QueryError("min participation and min weight must be 1 or more")
        if self.quantile is not None and not 0 <= self.quantile <= 1:
            raise QueryError(f"the edge-weight quantile must be 0 to 1, not {self.quantile}")
        if self.fast_window is not None and not 0 <= self.fast_window <= self.window:
            raise QueryError("the fast window must be between 0 and the time window")
        if self.weight not in WEIGHTS:
            raise QueryError(f"unknown weight {self.weight!r}", hint="objects or pairs")
        return self


@dataclass(frozen=True)
class Network:
    """The edges that passed the filters, and the co-shares behind them (the evidence)."""

    edges: (
        pa.Table
    )  # a, b, weight, objects, pairs, fast_objects, mean_delta, min_delta, first, last
    pairs: Pairs  # the co-shares behind the kept edges, into the sorted shares


def _distinct(*keys: np.ndarray) -> np.ndarray:
    """Indices of the first row of each distinct combination of ``keys`` (lexicographic)."""
    if not len(keys[0]):
        return np.empty(0, np.int64)
    order = np.lexsort(keys[::-1])
    change = np.zeros(len(order), bool)
    change[0] = True
    for k in keys:
        ks = k[order]
        change[1:] |= ks[1:] != ks[:-1]
    return order[change]


def _participants(shares: Shares, pairs: Pairs, least: int) -> np.ndarray:
    """Accounts that co-shared at least ``least`` distinct objects."""
    acc = np.r_[shares.account[pairs.first], shares.account[pairs.second]]
    obj = np.r_[shares.obj[pairs.first], shares.obj[pairs.second]]
    first = _distinct(acc, obj)
    accounts, counts = np.unique(acc[first], return_counts=True)
    return np.asarray(accounts[counts >= least])


def quantile_floor(weights: np.ndarray, q: float) -> float:
    """The ``q``-th quantile of ``weights`` (linear interpolation, R's type 7)."""
    return float(np.quantile(weights, q, method="linear")) if len(weights) else 0.0


def network(shares: Shares, pairs: Pairs, settings: Settings) -> Network:
    settings.check()
    if settings.min_participation > 1 and len(pairs):
        keep = _participants(shares, pairs, settings.min_participation)
        pairs = pairs.take(
            np.isin(shares.account[pairs.first], keep) & np.isin(shares.account[pairs.second], keep)
        )
    x, y = shares.account[pairs.first], shares.account[pairs.second]
    a, b = np.minimum(x, y), np.maximum(x, y)
    obj = shares.obj[pairs.first]
    delta = shares.time[pairs.second] - shares.time[pairs.first]
    edges = _aggregate(a, b, obj, delta, shares, pairs, settings)
    w = edges["weight"]
    keep_e = w >= settings.min_weight
    if settings.quantile is not None:
        keep_e &= w >= quantile_floor(w[keep_e], settings.quantile)
    kept = {k: v[keep_e] for k, v in edges.items()}
    # the co-shares behind the kept edges: edges are sorted by (a, b), so look each pair up
    code = kept["a"] * (1 << 32) + kept["b"]
    pair_code = a * (1 << 32) + b
    at = np.searchsorted(code, pair_code)
    at[at >= len(code)] = 0
    hit = (code[at] == pair_code) if len(code) else np.zeros(len(pair_code), bool)
    return Network(pa.table(kept), pairs.take(hit))


def _aggregate(
    a: np.ndarray,
    b: np.ndarray,
    obj: np.ndarray,
    delta: np.ndarray,
    shares: Shares,
    pairs: Pairs,
    settings: Settings,
) -> dict[str, np.ndarray]:
    """One row per (a, b), sorted by (a, b)."""
    if not len(a):
        empty = np.empty(0, np.int64)
        cols = [
            "a",
            "b",
            "weight",
            "objects",
            "pairs",
            "fast_objects",
            "min_delta",
            "first",
            "last",
        ]
        out = {c: empty for c in cols}
        out["mean_delta"] = np.empty(0, np.float64)
        return out
    order = np.lexsort((b, a))
    a, b, obj, delta = a[order], b[order], obj[order], delta[order]
    t1, t2 = shares.time[pairs.first][order], shares.time[pairs.second][order]
    starts = np.flatnonzero(np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])])
    n_pairs = np.diff(np.r_[starts, len(a)])
    edge = np.repeat(np.arange(len(starts)), n_pairs)  # each pair's edge number

    def distinct_objects(mask: np.ndarray | None = None) -> np.ndarray:
        e, o = (edge, obj) if mask is None else (edge[mask], obj[mask])
        first = _distinct(e, o)
        return np.bincount(e[first], minlength=len(starts)).astype(np.int64)

    objects = distinct_objects()
    fast = (
        distinct_objects(delta <= settings.fast_window)
        if settings.fast_window is not None
        else np.zeros(len(starts), np.int64)
    )
    return {
        "a": a[starts],
        "b": b[starts],
        "weight": objects if settings.weight == "objects" else n_pairs.astype(np.int64),
        "objects": objects,
        "pairs": n_pairs.astype(np.int64),
        "fast_objects": fast,
        "mean_delta": np.add.reduceat(delta, starts) / n_pairs,
        "min_delta": np.minimum.reduceat(delta, starts),
        "first": np.minimum.reduceat(t1, starts),
        "last": np.maximum.reduceat(t2, starts),
    }
