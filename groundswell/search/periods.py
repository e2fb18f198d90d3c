"""Calendar periods as UTC epoch microsecond edges, for counting in the index by range."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from groundswell.analysis import compile as cc
from groundswell.store.duckdb import Store, first


def local(us: int, zone: ZoneInfo) -> datetime:
    """The naive local time of epoch microseconds."""
    return datetime.fromtimestamp(us / 1_000_000, UTC).astimezone(zone).replace(tzinfo=None)


def edge(local_start: datetime, zone: ZoneInfo) -> int:
    """Epoch microseconds of a naive local time (the earlier instant when ambiguous)."""
    return int(local_start.replace(tzinfo=zone).timestamp() * 1_000_000)


def keys(period: str, timezone: str, lo: int, hi: int) -> range:
    """The period numbers (``compile.period_key``) holding epoch µs ``lo`` to ``hi`` - 1."""
    zone = ZoneInfo(timezone)
    return range(cc.key_of(period, local(lo, zone)), cc.key_of(period, local(hi - 1, zone)) + 1)


def boundaries(period: str, timezone: str, lo: int, hi: int) -> list[int]:
    """Edges of the whole local periods covering [lo, hi), in epoch µs: n periods, n + 1 edges."""
    zone = ZoneInfo(timezone)
    ks = keys(period, timezone, lo, hi)
    return [edge(cc.key_start(period, k), zone) for k in [*ks, ks.stop]]


def label(period: str, timezone: str, us: int) -> str:
    """A period's name from its start: 2020-03 for a month, 2020-03-02 otherwise."""
    start = local(us, ZoneInfo(timezone))
    return f"{start:%Y-%m}" if period in ("month", "quarter", "year") else f"{start:%Y-%m-%d}"


def epoch_us(t: datetime) -> int:
    """Epoch microseconds of ``t`` (naive: UTC)."""
    return int((t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp() * 1_000_000)


def posts_span(store: Store) -> tuple[int, int] | None:
    """Epoch µs [first, last + 1) of the stored posts (from DuckDB's statistics: fast)."""
    lo, hi = first(store.con, "SELECT epoch_us(min(time)), epoch_us(max(time)) FROM posts")
    return None if lo is None else (int(lo), int(hi) + 1)
