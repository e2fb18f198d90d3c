"""Co-shares: pairs of shares of one object by two accounts within a time window.

A *share* is one account posting one object (a URL, a hashtag, a text ...) at one time. Two
shares are a co-share when they are of the same object, by different accounts, and at most
``window`` seconds apart (inclusive: a gap of exactly ``window`` counts). Each unordered pair
of shares counts once; an account's repeated shares of an object each pair with the others'
(the network counts both share pairs and distinct objects, see
:mod:`groundswell.coordination.network`).

Pairing is a sorted sliding window per object, never a join of an object's shares with
themselves: shares are sorted by (object, time), and share ``i`` pairs with the shares after
it up to the last one at ``time[i] + window``. The work is linear in the shares plus the pairs
found, whatever the object's popularity. Everything is vectorised with NumPy::

    >>> s = Shares.of(account=[1, 2, 3, 1], obj=[7, 7, 7, 8], time=[0, 30, 100, 5])
    >>> p = co_shares(s, window=60)
    >>> [(int(s.account[i]), int(s.account[j])) for i, j in zip(p.first, p.second)]
    [(1, 2)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from groundswell.errors import QueryError

# Candidate pairs held at once at most (about 33 bytes each while pairing): a window so wide
# that one object's shares all pair with each other is refused with advice, not run out of
# memory.
MAX_PAIRS = 150_000_000


@dataclass(frozen=True)
class Shares:
    """Shares as parallel arrays, sorted by (object, time, account, post).

    ``account`` numbers the account, ``obj`` the object (any int64 code), ``time`` is epoch
    seconds, ``post`` the post's uid (the evidence)."""

    account: np.ndarray
    obj: np.ndarray
    time: np.ndarray
    post: np.ndarray

    @staticmethod
    def of(
        account: Sequence[int] | np.ndarray,
        obj: Sequence[int] | np.ndarray,
        time: Sequence[int] | np.ndarray,
        post: Sequence[int] | np.ndarray | None = None,
    ) -> Shares:
        """Shares from columns in any order (``post`` defaults to the row number)."""
        a = np.asarray(account, dtype=np.int64)
        o = np.asarray(obj, dtype=np.int64)
        t = np.asarray(time, dtype=np.int64)
        p = np.arange(len(a), dtype=np.int64) if post is None else np.asarray(post, np.int64)
        if not len(a) == len(o) == len(t) == len(p):
            raise ValueError("account, obj, time and post must have the same length")
        order = np.lexsort((p, a, t, o))
        return Shares(a[order], o[order], t[order], p[order])

    def __len__(self) -> int:
        return len(self.account)

    def take(self, keep: np.ndarray) -> Shares:
        """The shares where ``keep`` (a boolean mask or sorted indices) holds."""
        return Shares(self.account[keep], self.obj[keep], self.time[keep], self.post[keep])


@dataclass(frozen=True)
class Pairs:
    """Co-shares as indices into the sorted :class:`Shares`: ``first`` is the earlier share
    (or the one sorted first at equal times), ``second`` the later; different accounts."""

    first: np.ndarray
    second: np.ndarray

    def __len__(self) -> int:
        return len(self.first)

    def take(self, keep: np.ndarray) -> Pairs:
        return Pairs(self.first[keep], self.second[keep])


def window_ends(shares: Shares, window: int) -> np.ndarray:
    """For each share, one past the last share of the same object at most ``window`` seconds
    after it."""
    if window < 0:
        raise QueryError("the time window must be zero or more seconds")
    n = len(shares)
    if not n:
        return np.empty(0, np.int64)
    # one sortable key per share: the object's rank, then the time within the object
    starts, rank = _object_starts(shares)
    t = shares.time - shares.time.min()
    stride = int(t.max()) + window + 1
    if len(starts) * stride >= 2**62:
        raise QueryError("too long a time span for this many objects", hint="narrow the period")
    key = rank * stride + t
    return np.searchsorted(key, key + window, side="right").astype(np.int64)


def co_shares(shares: Shares, window: int, *, limit: int = MAX_PAIRS) -> Pairs:
    """Every co-share of ``shares`` within ``window`` seconds."""
    ends = window_ends(shares, window)
    counts = ends - np.arange(len(shares)) - 1  # candidates after each share
    total = int(counts.sum())
    if total > limit:
        raise QueryError(
            f"a {window:,} s window pairs {total:,} shares, more than {limit:,}",
            hint="narrow the window or the period, or leave out the most common objects "
            "(a trace such as domain or hashtag pairs everyone who posts a popular one)",
        )
    first = np.repeat(np.arange(len(shares), dtype=np.int64), counts)
    second = (
        first + 1 + np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    other = shares.account[first] != shares.account[second]
    return Pairs(first[other], second[other])


def _object_starts(shares: Shares) -> tuple[np.ndarray, np.ndarray]:
    """(index of each object's first share, each share's object number)."""
    n = len(shares)
    starts = np.flatnonzero(np.r_[True, shares.obj[1:] != shares.obj[:-1]])
    return starts, np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, n]))


def binned(shares: Shares, width: int, *, limit: int = MAX_PAIRS) -> Pairs:
    """CooRnet's co-shares: each object's time is cut into bins of ``width`` seconds from its
    first share, ``[t0 + k·width, t0 + (k+1)·width)``; a bin holding two or more shares
    (rows, even of one account) makes each of its shares coordinated; then every two
    coordinated shares of the object by different accounts pair, in whichever bins they
    are (CooRnet's projection ignores the bins)."""
    if width < 1:
        raise QueryError("a bin is one second or more")
    if not len(shares):
        return Pairs(np.empty(0, np.int64), np.empty(0, np.int64))
    starts, number = _object_starts(shares)
    bin_ = (shares.time - shares.time[starts][number]) // width
    runs = np.flatnonzero(np.r_[True, (number[1:] != number[:-1]) | (bin_[1:] != bin_[:-1])])
    sizes = np.diff(np.r_[runs, len(shares)])
    coordinated = np.flatnonzero(np.repeat(sizes > 1, sizes))
    # all pairs of coordinated shares of one object (later ones after earlier ones)
    obj_of = number[coordinated]
    last = np.searchsorted(obj_of, obj_of, side="right")  # one past the object's last
    counts = last - np.arange(len(coordinated)) - 1
    total = int(counts.sum())
    if total > limit:
        raise QueryError(
            f"{width:,} s bins pair {total:,} shares, more than {limit:,}",
            hint="narrow the bins or the period, or leave out the most common objects",
        )
    i = np.repeat(np.arange(len(coordinated), dtype=np.int64), counts)
    j = i + 1 + np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    first, second = coordinated[i], coordinated[j]
    other = shares.account[first] != shares.account[second]
    return Pairs(first[other], second[other])


def estimate_window(shares: Shares, q: float = 0.1, p: float = 0.5) -> int:
    """CooRnet's automatic coordination interval, in seconds. Over the objects shared more
    than once: keep the quickest (the time from the first to the second share at most its
    ``q`` quantile); for each, the time from the first share to the first share past the
    ``p`` fraction of its shares; the interval is the ``p`` quantile of those times (R's
    type 7), truncated to whole seconds, and 1 when it is 0."""
    starts, _ = _object_starts(shares)
    sizes = np.diff(np.r_[starts, len(shares)])
    many = sizes > 1
    if not many.any():
        raise QueryError("no object is shared twice: the window cannot be estimated")
    s0, n = starts[many], sizes[many]
    second = shares.time[s0 + 1] - shares.time[s0]
    quick = second <= np.quantile(second, q, method="linear")
    s0, n = s0[quick], n[quick]
    past = s0 + np.floor(n * p).astype(np.int64)  # the first share whose rank / n > p
    spent = shares.time[past] - shares.time[s0]
    return max(int(np.quantile(spent, p, method="linear")), 1)
