"""Co-shares and the account network against a brute-force oracle on random shares: every
pair of shares is compared with every other, so the sliding window can miss nothing and
invent nothing; plus the documented bounds (inclusive window, no self-pairs, repeated shares)."""

from __future__ import annotations

import doctest
import itertools
from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groundswell.coordination import network as network_mod
from groundswell.coordination import pairs as pairs_mod
from groundswell.coordination.network import Settings, network, quantile_floor
from groundswell.coordination.pairs import Shares, co_shares
from groundswell.errors import QueryError

share = st.tuples(
    st.integers(1, 6),  # account
    st.integers(0, 4),  # object
    st.integers(0, 400),  # time
)


def oracle_pairs(rows: list[tuple[int, int, int]], window: int) -> set[tuple[int, int]]:
    """(post, post) of every two shares of one object by two accounts within the window."""
    found = set()
    for (i, (a1, o1, t1)), (j, (a2, o2, t2)) in itertools.combinations(enumerate(rows), 2):
        if o1 == o2 and a1 != a2 and abs(t1 - t2) <= window:
            found.add((min(i, j), max(i, j)))
    return found


def found_pairs(s: Shares, window: int) -> set[tuple[int, int]]:
    p = co_shares(s, window)
    out = set()
    for i, j in zip(p.first.tolist(), p.second.tolist(), strict=True):
        x, y = int(s.post[i]), int(s.post[j])
        assert s.time[i] <= s.time[j]
        out.add((min(x, y), max(x, y)))
    assert len(out) == len(p)  # never the same pair twice
    return out


def oracle_edges(rows: list[tuple[int, int, int]], st_: Settings) -> dict[tuple[int, int], Any]:
    """The network by its definition (network.py's docstring), one pair at a time."""
    pairs = oracle_pairs(rows, st_.window)
    r = st_.min_participation
    if r > 1:  # CooRTweet's rule: rows before pairing, then rows in paired posts, either side
        n_rows = Counter(a for a, _, _ in rows)
        pairs = {(i, j) for i, j in pairs if n_rows[rows[i][0]] >= r and n_rows[rows[j][0]] >= r}
        paired = {k for p in pairs for k in p}
        in_pairs = Counter(rows[k][0] for k in paired)
        pairs = {(i, j) for i, j in pairs if max(in_pairs[rows[i][0]], in_pairs[rows[j][0]]) >= r}
    edges: dict[tuple[int, int], dict[str, Any]] = {}
    for i, j in pairs:
        if rows[i][0] > rows[j][0]:
            i, j = j, i
        (a1, o, t1), (a2, _, t2) = rows[i], rows[j]
        e = edges.setdefault(
            (a1, a2),
            {"objects": set(), "fast": set(), "deltas": [], "t": [], "pa": set(), "pb": set()},
        )
        e["objects"].add(o)
        d = abs(t1 - t2)
        e["deltas"].append(d)
        e["t"] += [t1, t2]
        e["pa"].add(i)
        e["pb"].add(j)
        if st_.fast_window is not None and d <= st_.fast_window:
            e["fast"].add(o)
    out = {}
    for k, e in edges.items():
        weights = {
            "objects": len(e["objects"]),
            "pairs": len(e["deltas"]),
            "posts": max(len(e["pa"]), len(e["pb"])),
        }
        out[k] = {
            "weight": weights[st_.weight],
            "objects": len(e["objects"]),
            "pairs": len(e["deltas"]),
            "posts_a": len(e["pa"]),
            "posts_b": len(e["pb"]),
            "fast_objects": len(e["fast"]),
            "mean_delta": sum(e["deltas"]) / len(e["deltas"]),
            "min_delta": min(e["deltas"]),
            "first": min(e["t"]),
            "last": max(e["t"]),
        }
    if st_.quantile is not None and out:
        floor = float(np.quantile([v["weight"] for v in out.values()], st_.quantile))
        out = {
            k: v
            for k, v in out.items()
            if (v["weight"] > floor if st_.strict_quantile else v["weight"] >= floor)
        }
    return {k: v for k, v in out.items() if v["weight"] >= st_.min_weight}


def shares_of(rows: list[tuple[int, int, int]]) -> Shares:
    return Shares.of(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], list(range(len(rows)))
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(share, max_size=60), st.integers(0, 200))
def test_pairs_equal_the_brute_force_oracle(rows: list[tuple[int, int, int]], window: int) -> None:
    assert found_pairs(shares_of(rows), window) == oracle_pairs(rows, window)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(share, max_size=60),
    st.integers(0, 200),
    st.integers(1, 3),
    st.integers(1, 3),
    st.none() | st.floats(0, 1),
    st.none() | st.integers(0, 50),
    st.sampled_from(["objects", "pairs", "posts"]),
    st.booleans(),
)
def test_network_equals_the_brute_force_oracle(
    rows: list[tuple[int, int, int]],
    window: int,
    min_participation: int,
    min_weight: int,
    quantile: float | None,
    fast: int | None,
    weight: str,
    strict: bool,
) -> None:
    st_ = Settings(
        window=window,
        min_participation=min_participation,
        min_weight=min_weight,
        quantile=quantile,
        strict_quantile=strict,
        fast_window=None if fast is None else min(fast, window),
        weight=weight,
    )
    s = shares_of(rows)
    net = network(s, co_shares(s, window), st_)
    got = {(e.pop("a"), e.pop("b")): e for e in net.edges.to_pylist()}
    want = oracle_edges(rows, st_)
    assert got.keys() == want.keys()
    for k, e in want.items():
        assert got[k] == pytest.approx(e)
    # the evidence is exactly the co-shares of the kept edges
    behind = {
        (min(int(s.account[i]), int(s.account[j])), max(int(s.account[i]), int(s.account[j])))
        for i, j in zip(net.pairs.first, net.pairs.second, strict=True)
    }
    assert behind == set(want)
    assert len(net.pairs) == sum(e["pairs"] for e in want.values())


def test_window_bound_is_inclusive_and_self_pairs_never_count() -> None:
    s = Shares.of(account=[1, 2, 1, 3], obj=[0, 0, 0, 0], time=[0, 60, 61, 121])
    assert found_pairs(s, 60) == {(0, 1), (1, 2), (2, 3)}  # 61 s apart: no; 0 and 61: same account
    assert found_pairs(s, 59) == {(1, 2)}


def test_repeated_shares_count_as_pairs_and_once_as_an_object() -> None:
    s = Shares.of(account=[1, 1, 2], obj=[9, 9, 9], time=[0, 10, 20])
    net = network(s, co_shares(s, 60), Settings(window=60, min_participation=1, min_weight=1))
    [edge] = net.edges.to_pylist()
    assert (edge["objects"], edge["pairs"], edge["min_delta"]) == (1, 2, 10)
    assert edge["mean_delta"] == 15


def test_a_hot_object_is_paired_within_the_window_only() -> None:
    # 200,000 shares of one object, one a second: each pairs with the next 5 only
    n = 200_000
    s = Shares.of(np.arange(n) % 1000, np.zeros(n, np.int64), np.arange(n))
    assert len(co_shares(s, 5)) == 5 * n - 15


def test_too_many_pairs_are_refused_with_advice() -> None:
    s = Shares.of(np.arange(3000), np.zeros(3000, np.int64), np.zeros(3000, np.int64))
    with pytest.raises(QueryError, match="narrow the window"):
        co_shares(s, 10, limit=1_000_000)


def test_settings_are_checked() -> None:
    for bad in (
        Settings(window=-1),
        Settings(min_participation=0),
        Settings(quantile=1.5),
        Settings(window=10, fast_window=20),
        Settings(weight="likes"),
    ):
        with pytest.raises(QueryError):
            bad.check()


def test_quantile_is_r_type_7() -> None:
    # R: quantile(c(1, 2, 3, 4, 10), 0.9) == 7.6
    assert quantile_floor(np.array([1, 2, 3, 4, 10]), 0.9) == pytest.approx(7.6)


def test_docstring_examples_hold() -> None:
    for mod in (pairs_mod, network_mod):
        assert doctest.testmod(mod).failed == 0
