"""Return events: an account that posts again after a long silence.

Two consecutive posts of one account (ordered by time, then uid) more than ``dormant_days``
apart make one return event: its ``time`` is the first post after the gap, ``previous`` the
last one before it, ``gap_days`` the gap in days (fractional), ``section`` and ``uid`` those of
the post that came back. The threshold is strict: a gap of *exactly* ``dormant_days`` days
(to the microsecond) is not a return; one microsecond more is.

The threshold is ``[actors] dormant_days`` in ``groundswell.toml`` (180 by default, a positive
number of days, fractions allowed)::

    [actors]
    dormant_days = 365

Rows are derived with the actor profiles (``profiles.update``/``rebuild`` write them for the
accounts they recompute), by one window function (``lag(time)`` per account) over the posts.
A metric over the table counts them, e.g. returns per week per source::

    ws.trend(Metric(table="returns", period="week", by=("source",)))
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb

from groundswell.errors import ConfigError

if TYPE_CHECKING:  # (the workspace imports what imports this module)
    from groundswell.workspace import Workspace

DEFAULT_DORMANT_DAYS = 180.0
US_DAY = 86_400_000_000


def dormant_days(ws: Workspace) -> float:
    """The workspace's dormancy threshold in days (``[actors] dormant_days``, default 180);
    a ConfigError naming the key when it is not a positive number."""
    section = ws.config.raw.get("actors", {})
    if not isinstance(section, dict):
        raise ConfigError("actors", "must be a table, e.g. [actors] dormant_days = 180")
    value = section.get("dormant_days", DEFAULT_DORMANT_DAYS)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(
            "actors.dormant_days", f"must be a positive number of days, got {value!r}"
        )
    return float(value)


def write(con: duckdb.DuckDBPyConnection, days: float, scope: str = "TRUE") -> int:
    """Replace the return events of the accounts matching ``scope`` (SQL over ``posts``
    columns, e.g. ``account IN (SELECT account FROM todo)``) with those computed from their
    posts; the number of events written. Run inside the caller's transaction."""
    con.execute(f"DELETE FROM returns WHERE {scope}")
    limit = round(days * US_DAY)
    con.execute(
        f"""
        INSERT INTO returns (account, source_id, author_id, time, previous, gap_days, section,
                             uid)
        SELECT account, source_id, author_id, time, previous,
               (epoch_us(time) - epoch_us(previous)) / {US_DAY}, section, uid
        FROM (SELECT account, source_id, author_id, time, section, uid,
                     lag(time) OVER (PARTITION BY account ORDER BY time, uid) AS previous
              FROM posts WHERE account IS NOT NULL AND ({scope}))
        WHERE previous IS NOT NULL AND epoch_us(time) - epoch_us(previous) > ?""",
        [limit],
    )
    row = con.execute(f"SELECT count(*) FROM returns WHERE {scope}").fetchone()
    return int(row[0]) if row else 0


def events(
    ws: Workspace,
    *,
    source: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = 100,
) -> list[dict[str, Any]]:
    """Return events, latest first, each with the account's current name: returns in
    [since, until) on ``source`` (a source id) when given. Brings the profiles up to date
    first when they are stale and the workspace is writable (see ``profiles.ensure``)."""
    from groundswell.actors.profiles import ensure, window

    ensure(ws)
    where, params = window("r.time", since, until, ws.config.timezone)
    if source is not None:
        where.append("r.source_id = ?")
        params.append(source)
    sql = f"""
        SELECT r.time, a.name, r.author_id, r.source_id, r.gap_days, r.previous, r.section,
               r.account, r.uid
        FROM returns r LEFT JOIN actors a USING (account)
        WHERE {" AND ".join(where) or "TRUE"}
        ORDER BY r.time DESC, r.account"""
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return ws.sql(sql, params).to_pylist()
