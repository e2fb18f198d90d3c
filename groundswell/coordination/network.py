"""The account network of co-shares: one edge per pair of accounts, then the filters.

Every edge joins two accounts (``a < b``; undirected) and carries:

- ``objects``: distinct objects the two co-shared;
- ``pairs``: co-shares (pairs of shares) behind the edge; repeated shares each count;
- ``posts_a``, ``posts_b``: distinct posts of ``a`` (of ``b``) with a co-share by the other;
- ``weight``: ``objects`` (default), ``pairs``, or ``posts`` (the larger of ``posts_a`` and
  ``posts_b``), by ``Settings.weight``;
- ``mean_delta``, ``min_delta``: seconds between the two shares of a pair, over its pairs;
- ``fast_objects``: distinct objects co-shared within the faster sub-window, if one is set;
- ``first``, ``last``: the earliest and the latest share behind the edge (epoch seconds).

Co-shares come from a sliding window (:func:`groundswell.coordination.pairs.co_shares`) or,
with ``bins``, from CooRnet's fixed bins (:func:`groundswell.coordination.pairs.binned`).
The filters, in this order (docs/coordination.md maps each onto CooRTweet, CooRnet and the
QUT toolkit):

1. ``min_participation`` (CooRTweet's rule): an account needs at least this many shares in
   the input, else its co-shares go; then a co-share stays when either of its accounts has
   at least this many shares in posts that are part of some co-share;
2. ``quantile``: edges with a weight below the ``quantile``-th quantile of all the edges'
   weights go (R's default type 7; ``strict_quantile``: at or below it go, as in CooRTweet);
3. ``min_weight``: edges below this weight go.

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

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from groundswell.coordination.pairs import Pairs, Shares, binned, co_shares
from groundswell.errors import QueryError

WEIGHTS = ("objects", "pairs", "posts")
WEIGHT_WORDS = {  # plural, singular
    "objects": ("objects", "object"),
    "pairs": ("co-shares", "co-share"),
    "posts": ("posts", "post"),
}
UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
# The semantics of each established tool (docs/coordination.md): what to set to match it
PRESETS: dict[str, dict[str, Any]] = {
    "coortweet": {"weight": "pairs", "strict_quantile": True, "bins": False},
    "coornet": {"weight": "objects", "min_participation": 1, "bins": True},
    "qut": {"weight": "posts", "min_participation": 1, "bins": False},
}


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


def in_words(seconds: float) -> str:
    """A duration as people say it: ``90 s``, ``10 min``, ``2.5 h``, ``3 days``."""
    s = float(seconds)
    if s < 120:
        return f"{s:,.0f} s"
    if s < 2 * 3600:
        n, unit = s / 60, "min"
    elif s < 2 * 86400:
        n, unit = s / 3600, "h"
    else:
        n, unit = s / 86400, "days"
    return (f"{n:.1f}".removesuffix(".0") if n < 10 else f"{n:,.0f}") + f" {unit}"


@dataclass(frozen=True)
class Settings:
    """What counts as coordination; every figure of a result says which settings made it."""

    window: int = 60  # seconds between two shares of one object, inclusive (bins: bin width)
    min_participation: int = 2  # shares an account needs (CooRTweet's rule)
    min_weight: int = 2  # edges lighter than this go
    quantile: float | None = None  # keep edges at or above this quantile of weights
    strict_quantile: bool = False  # keep only edges above the quantile (CooRTweet)
    fast_window: int | None = None  # a faster sub-window, counted per edge
    weight: str = "objects"  # what the weight counts: objects, pairs or posts
    bins: bool = False  # CooRnet's fixed bins from each object's first share

    def check(self) -> Settings:
        if self.window < 0 or (self.bins and self.window < 1):
            raise QueryError("the time window must be zero or more seconds (bins: one or more)")
        if self.min_participation < 1 or self.min_weight < 1:
            raise QueryError("min participation and min weight must be 1 or more")
        if self.quantile is not None and not 0 <= self.quantile <= 1:
            raise QueryError(f"the edge-weight quantile must be 0 to 1, not {self.quantile}")
        if self.fast_window is not None and not 0 <= self.fast_window <= self.window:
            raise QueryError("the fast window must be between 0 and the time window")
        if self.weight not in WEIGHTS:
            raise QueryError(f"unknown weight {self.weight!r}", hint=", ".join(WEIGHTS))
        return self

    def like(self, tool: str) -> Settings:
        """These settings with the semantics of an established tool (PRESETS)."""
        if tool not in PRESETS:
            raise QueryError(f"unknown tool {tool!r}", hint="one of " + ", ".join(PRESETS))
        return dataclasses.replace(self, **PRESETS[tool])

    def describe(self) -> str:
        """The settings in words: ``within 60 s, at least 2 objects per pair``."""
        when = in_words(self.window)
        what = WEIGHT_WORDS[self.weight][self.min_weight == 1]
        parts = [
            f"in the same {when} bin" if self.bins else f"within {when}",
            f"at least {self.min_weight} {what} per pair",
        ]
        if self.min_participation > 1:
            parts.append(f"accounts with at least {self.min_participation} shares")
        if self.quantile is not None:
            op = "above" if self.strict_quantile else "at or above"
            parts.append(f"weights {op} the {self.quantile:g} quantile")
        if self.fast_window is not None:
            parts.append(f"fast: within {in_words(self.fast_window)}")
        return ", ".join(parts)


def pair(shares: Shares, settings: Settings) -> Pairs:
    """The co-shares under ``settings``: a sliding window, or CooRnet's bins."""
    return binned(shares, settings.window) if settings.bins else co_shares(shares, settings.window)


@dataclass(frozen=True)
class Network:
    """The edges that passed the filters, and the co-shares behind them (the evidence)."""

    edges: pa.Table  # the columns of the module docstring
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


def _with_at_least(accounts: np.ndarray, least: int) -> np.ndarray:
    """The accounts that occur at least ``least`` times in ``accounts``."""
    values, counts = np.unique(accounts, return_counts=True)
    return np.asarray(values[counts >= least])


def participation(shares: Shares, pairs: Pairs, least: int) -> Pairs:
    """CooRTweet's ``min_participation``: accounts with fewer than ``least`` shares are left
    out; then a co-share stays when either account has ``least`` shares in posts that take
    part in some co-share."""
    acc1, acc2 = shares.account[pairs.first], shares.account[pairs.second]
    enough = _with_at_least(shares.account, least)
    pairs = pairs.take(np.isin(acc1, enough) & np.isin(acc2, enough))
    paired = np.unique(np.r_[shares.post[pairs.first], shares.post[pairs.second]])
    rows = np.isin(shares.post, paired) & np.isin(shares.account, enough)
    taking = _with_at_least(shares.account[rows], least)
    acc1, acc2 = shares.account[pairs.first], shares.account[pairs.second]
    return pairs.take(np.isin(acc1, taking) | np.isin(acc2, taking))


def quantile_floor(weights: np.ndarray, q: float) -> float:
    """The ``q``-th quantile of ``weights`` (linear interpolation, R's type 7)."""
    return float(np.quantile(weights, q, method="linear")) if len(weights) else 0.0


def network(shares: Shares, pairs: Pairs, settings: Settings) -> Network:
    settings.check()
    if settings.min_participation > 1:
        pairs = participation(shares, pairs, settings.min_participation)
    x, y = shares.account[pairs.first], shares.account[pairs.second]
    a, b = np.minimum(x, y), np.maximum(x, y)
    edges = _aggregate(a, b, shares, pairs, settings)
    w = edges["weight"]
    keep_e = w >= settings.min_weight
    if settings.quantile is not None:
        floor = quantile_floor(w, settings.quantile)
        keep_e &= (w > floor) if settings.strict_quantile else (w >= floor)
    kept = {k: v[keep_e] for k, v in edges.items()}
    # the co-shares behind the kept edges: edges are sorted by (a, b), so look each pair up
    code = kept["a"] * (1 << 32) + kept["b"]
    pair_code = a * (1 << 32) + b
    at = np.searchsorted(code, pair_code)
    at[at >= len(code)] = 0
    hit = (code[at] == pair_code) if len(code) else np.zeros(len(pair_code), bool)
    return Network(pa.table(kept), pairs.take(hit))


COLUMNS = (
    "a", "b", "weight", "objects", "pairs", "posts_a", "posts_b", "fast_objects", "mean_delta",
    "min_delta", "first", "last",
)  # fmt: skip


def _aggregate(
    a: np.ndarray, b: np.ndarray, shares: Shares, pairs: Pairs, settings: Settings
) -> dict[str, np.ndarray]:
    """One row per (a, b), sorted by (a, b)."""
    if not len(a):
        out = {c: np.empty(0, np.int64) for c in COLUMNS}
        out["mean_delta"] = np.empty(0, np.float64)
        return out
    order = np.lexsort((b, a))
    first, second = pairs.first[order], pairs.second[order]
    a, b = a[order], b[order]
    obj = shares.obj[first]
    t1, t2 = shares.time[first], shares.time[second]
    delta = t2 - t1
    a_first = shares.account[first] == a  # which side of the pair is account a's
    post_a = np.where(a_first, shares.post[first], shares.post[second])
    post_b = np.where(a_first, shares.post[second], shares.post[first])
    starts = np.flatnonzero(np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])])
    n_pairs = np.diff(np.r_[starts, len(a)]).astype(np.int64)
    edge = np.repeat(np.arange(len(starts)), n_pairs)  # each pair's edge number

    def distinct(values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        e, v = (edge, values) if mask is None else (edge[mask], values[mask])
        return np.bincount(e[_distinct(e, v)], minlength=len(starts)).astype(np.int64)

    objects = distinct(obj)
    posts_a, posts_b = distinct(post_a), distinct(post_b)
    fast = (
        distinct(obj, delta <= settings.fast_window)
        if settings.fast_window is not None
        else np.zeros(len(starts), np.int64)
    )
    weight = {
        "objects": objects,
        "pairs": n_pairs,
        "posts": np.maximum(posts_a, posts_b),
    }[settings.weight]
    return {
        "a": a[starts],
        "b": b[starts],
        "weight": weight,
        "objects": objects,
        "pairs": n_pairs,
        "posts_a": posts_a,
        "posts_b": posts_b,
        "fast_objects": fast,
        "mean_delta": np.add.reduceat(delta, starts) / n_pairs,
        "min_delta": np.minimum.reduceat(delta, starts),
        "first": np.minimum.reduceat(t1, starts),
        "last": np.maximum.reduceat(t2, starts),
    }
