"""Actor profiles: one row per account (an author on one source) in the ``actors`` table,
derived from the posts and their indicators by set-based SQL (a few GROUP BY passes, no loop
over posts), and their return events (``returns``) with them.

What each column counts (docs/schema.md has the table):

- ``first_seen``/``last_seen``/``posts``: over the account's stored posts;
- ``active_days`` and ``hours``: days and hours of the day in the *source's* timezone
  (``sources.timezone``; UTC when the source declares none);
- ``name`` is the display name of the latest post that has one; ``names``, ``sections`` and
  ``languages`` are most used first (ties by value);
- ``replies_given``: posts with a ``parent_id``; ``replies_received``: posts by *other*
  accounts whose ``parent_id`` is the native id of one of this account's posts, on the same
  source;
- ``quotes_given``: quoted blocks (``posts.quotes``) in the account's posts;
  ``quotes_received``: quoted blocks in other accounts' posts on the same source that quote
  one of this account's posts (``quoted_id``), or, when the block names no stored post, whose
  ``quoted_author`` is one of this account's display names or its author id (any case; a name
  shared by two accounts counts for both);
- ``indicators``: indicator rows of its posts not inside a quote (``in_quote`` not true).

Kept up to date incrementally: ``update`` recomputes the accounts that posted in the imports
since the last update (``meta`` key ``actors_import_id``: the highest ``posts.import_id``
included; an import that updated older posts gives them its id, so they count) and the
accounts those posts reply to or quote. ``rebuild`` recomputes every account. Reading
functions call ``ensure`` first: stale profiles are updated when the store is writable, and
used as they are (``ensure`` returns False) when it is read-only.

    >>> update(ws)                      # after an import: accounts recomputed
    12
    >>> profile(ws, "quietfox")[0]["posts"]
    36
    >>> [r["name"] for r in ranked(ws, sort="posts", limit=3)]
    ['Old Owl', 'quietfox', 'Marsh Hen']
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import duckdb

from groundswell.actors import returns
from groundswell.errors import QueryError
from groundswell.store.duckdb import first

if TYPE_CHECKING:  # (the workspace imports what imports this module)
    from groundswell.workspace import Workspace

IMPORT_KEY = "actors_import_id"
DAYS_KEY = "actors_dormant_days"
TODO = "_actors_todo"
SORTS = {
    "posts": "posts DESC",
    "first_seen": "first_seen ASC",
    "last_seen": "last_seen DESC",
    "active_days": "active_days DESC",
}
Step = Callable[[str], None]


# -- freshness -------------------------------------------------------------------------------
def _latest_import(con: duckdb.DuckDBPyConnection) -> int:
    row = first(con, "SELECT coalesce(max(import_id), 0) FROM posts")
    return int(row[0]) if row else 0


def _meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = first(con, "SELECT value FROM meta WHERE key = ?", [key])
    return None if row is None else str(row[0])


def _set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute(
        "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def stale(ws: Workspace) -> bool:
    """Whether profiles or returns miss posts imported since the last update, or were
    computed with another ``[actors] dormant_days``."""
    con = ws.store.con
    done = _meta(con, IMPORT_KEY)
    latest = _latest_import(con)
    if done is None:
        return latest > 0
    days = _meta(con, DAYS_KEY)
    return int(done) < latest or days is None or float(days) != returns.dormant_days(ws)


def ensure(ws: Workspace) -> bool:
    """Bring stale profiles up to date when the store is writable; whether they are up to
    date now (False: stale and read-only, so reads use what is there)."""
    if not stale(ws):
        return True
    if ws.store.read_only:
        return False
    update(ws)
    return True


# -- computing -------------------------------------------------------------------------------
def update(ws: Workspace, *, progress: Step | None = None) -> int:
    """Recompute the profiles and returns of the accounts touched by the imports since the
    last update (all of them when the threshold changed or there was none); how many."""
    con = ws.store.con
    done = _meta(con, IMPORT_KEY)
    days = _meta(con, DAYS_KEY)
    if done is None or days is None or float(days) != returns.dormant_days(ws):
        return rebuild(ws, progress=progress)
    latest = _latest_import(con)
    if int(done) >= latest:
        return 0
    since = int(done)
    with ws.store.transaction():
        con.execute(f"DROP TABLE IF EXISTS {TODO}")
        con.execute(
            f"""
            CREATE TEMP TABLE {TODO} AS
            WITH new AS (SELECT source_id, account, parent_id, quotes FROM posts
                         WHERE import_id > {since}),
                 q AS (SELECT source_id, unnest(quotes) AS q FROM new WHERE len(quotes) > 0)
            SELECT DISTINCT account FROM (
              SELECT account FROM new
              UNION ALL
              SELECT t.account FROM new n JOIN posts t
                ON t.source_id = n.source_id AND t.native_id = n.parent_id
              UNION ALL
              SELECT t.account FROM q JOIN posts t
                ON t.source_id = q.source_id AND t.native_id = q.q.quoted_id
              UNION ALL
              SELECT t.account FROM q JOIN posts t
                ON t.source_id = q.source_id AND q.q.quoted_id IS NULL
               AND (lower(t.author_name) = lower(q.q.quoted_author)
                    OR lower(t.author_id) = lower(q.q.quoted_author)))
            WHERE account IS NOT NULL"""
        )
        n = _compute(ws, True, latest, progress)
        con.execute(f"DROP TABLE IF EXISTS {TODO}")
    return n


def rebuild(ws: Workspace, *, progress: Step | None = None) -> int:
    """Recompute every profile and return event; the number of profiles."""
    con = ws.store.con
    latest = _latest_import(con)
    with ws.store.transaction():
        return _compute(ws, False, latest, progress)


def _in(alias: str, todo: bool) -> str:
    """The condition keeping the rows of ``alias`` whose account is to be recomputed: those
    in the temporary table of an update, else every one."""
    column = f"{alias}.account" if alias else "account"
    return f"{column} IN (SELECT account FROM {TODO})" if todo else "TRUE"


def _compute(ws: Workspace, todo: bool, latest: int, progress: Step | None) -> int:
    """Replace the profiles and returns of the accounts listed in the temporary table (every
    account unless ``todo``), inside the caller's transaction."""
    con = ws.store.con
    step = progress or (lambda _: None)
    days = returns.dormant_days(ws)
    step("profiles")
    con.execute(f"DELETE FROM actors WHERE {_in('actors', todo)}")
    con.execute(_PROFILE_SQL.replace("$SCOPE", _in("p", todo)))
    step("received")
    _received(con, todo)
    step("indicators")
    con.execute(
        f"""
        UPDATE actors SET indicators = c.n FROM (
          SELECT p.account, count(*) AS n FROM indicators i JOIN posts p ON p.uid = i.post_uid
          WHERE i.in_quote IS NOT TRUE AND {_in("p", todo)} GROUP BY 1) c
        WHERE actors.account = c.account"""
    )
    step("returns")
    returns.write(con, days, _in("", todo))
    _set_meta(con, IMPORT_KEY, str(latest))
    _set_meta(con, DAYS_KEY, repr(days))
    row = first(con, f"SELECT count(*) FROM actors WHERE {_in('actors', todo)}")
    return int(row[0]) if row else 0


_ORDERED = (  # a histogram MAP as its keys, most counted first, ties by key
    "list_transform(list_sort(list_transform(map_entries({h}), "
    "lambda e: {{'n': -(e.value::BIGINT), 'k': e.key}})), lambda e: e.k)"
)

_PROFILE_SQL = f"""
INSERT INTO actors (account, source_id, author_id, name, names, first_seen, last_seen, posts,
                    active_days, sections, languages, hours, replies_given, replies_received,
                    quotes_given, quotes_received, indicators, updated_at)
WITH p AS (
  SELECT p.account, p.source_id, p.author_id, p.author_name, p.time, p.section, p.language,
         p.parent_id, len(p.quotes) AS nq,
         CASE WHEN s.timezone IS NULL OR s.timezone = 'UTC' THEN p.time::TIMESTAMP
              ELSE timezone(s.timezone, p.time) END AS local
  FROM posts p LEFT JOIN sources s USING (source_id)
  WHERE p.account IS NOT NULL AND $SCOPE)
SELECT account, any_value(source_id), any_value(author_id),
       arg_max(author_name, time) FILTER (WHERE author_name IS NOT NULL),
       {_ORDERED.format(h="histogram(author_name)")},
       min(time), max(time), count(*), count(DISTINCT local::DATE),
       {_ORDERED.format(h="histogram(section)")},
       {_ORDERED.format(h="histogram(language)")},
       list_transform(range(24), lambda h: coalesce(histogram(hour(local))[h], 0)::INTEGER),
       count(parent_id), 0, coalesce(sum(nq), 0), 0, 0, now()
FROM p GROUP BY account
"""


def _received(con: duckdb.DuckDBPyConnection, todo: bool) -> None:
    """Fill replies_received and quotes_received of the accounts recomputed."""
    t_scope = _in("t", todo)
    con.execute(
        f"""
        UPDATE actors SET replies_received = c.n FROM (
          SELECT t.account, count(*) AS n
          FROM posts r JOIN posts t ON t.source_id = r.source_id AND t.native_id = r.parent_id
          WHERE r.parent_id IS NOT NULL AND {t_scope}
            AND r.account IS DISTINCT FROM t.account
          GROUP BY 1) c
        WHERE actors.account = c.account"""
    )
    has_quotes = first(con, "SELECT 1 FROM posts WHERE len(quotes) > 0 LIMIT 1")
    if has_quotes is None:
        return
    con.execute(
        f"""
        UPDATE actors SET quotes_received = c.n FROM (
          WITH q AS (SELECT source_id, account AS quoter, unnest(quotes) AS q FROM posts
                     WHERE len(quotes) > 0),
               by_id AS (SELECT q.source_id, q.quoter, q.q.quoted_author AS who,
                                t.account AS target
                         FROM q LEFT JOIN posts t
                           ON t.source_id = q.source_id AND t.native_id = q.q.quoted_id),
               names AS (SELECT DISTINCT source_id, lower(n) AS n, account FROM (
                           SELECT source_id, author_name AS n, account FROM posts
                           UNION ALL SELECT source_id, author_id, account FROM accounts)
                         WHERE n IS NOT NULL),
               got AS (SELECT b.quoter, b.target AS account FROM by_id b
                       WHERE b.target IS NOT NULL
                       UNION ALL
                       SELECT b.quoter, n.account FROM by_id b JOIN names n
                         ON n.source_id = b.source_id AND n.n = lower(b.who)
                       WHERE b.target IS NULL)
          SELECT account, count(*) AS n FROM got t
          WHERE {t_scope} AND quoter IS DISTINCT FROM account GROUP BY 1) c
        WHERE actors.account = c.account"""
    )


# -- reading ---------------------------------------------------------------------------------
def window(
    column: str, since: datetime | None, until: datetime | None, timezone: str
) -> tuple[list[str], list[Any]]:
    """SQL conditions (and their parameters) keeping ``column`` in [since, until); naive
    times are in ``timezone``."""
    where: list[str] = []
    params: list[Any] = []
    for bound, op in ((since, ">="), (until, "<")):
        if bound is not None:
            aware = bound if bound.tzinfo else bound.replace(tzinfo=ZoneInfo(timezone))
            where.append(f"{column} {op} ?")
            params.append(aware.astimezone(UTC))
    return where, params


def named(who: str, source: str | None = None) -> tuple[str, list[Any]]:
    """A condition on ``actors`` (and its parameters): the author id or any display name is
    ``who`` in any case, on ``source`` when given."""
    where = "(lower(author_id) = lower(?) OR list_contains(list_transform(names, "
    where += "lambda n: lower(n)), lower(?)))"
    params: list[Any] = [who, who]
    if source is not None:
        where += " AND source_id = ?"
        params.append(source)
    return where, params


def profile(ws: Workspace, who: str, source: str | None = None) -> list[dict[str, Any]]:
    """The profiles of the accounts whose author id or one of whose display names is ``who``
    (any case), on ``source`` when given: several matches give several profiles (by posts,
    most first). Each is the ``actors`` row plus ``top_domains``, ``crypto`` and ``emails``
    (from the indicators of its posts outside quotes: value and count, most first, 10 each),
    ``returns`` (its return events) and ``stale`` (True when the profiles could not be
    brought up to date: a read-only workspace)."""
    fresh = ensure(ws)
    where, params = named(who, source)
    rows = ws.sql(
        f"SELECT * FROM actors WHERE {where} ORDER BY posts DESC, account", params
    ).to_pylist()
    for r in rows:
        r.update(_indicators(ws, r["account"]))
        r["returns"] = ws.sql(
            "SELECT time, previous, gap_days, section, uid FROM returns WHERE account = ? "
            "ORDER BY time",
            [r["account"]],
        ).to_pylist()
        r["stale"] = not fresh
    return rows


def _indicators(ws: Workspace, account: int, top: int = 10) -> dict[str, list[dict[str, Any]]]:
    """What an account posted outside quotes: domains of its links and emails, crypto
    addresses and emails, each value with its count, most first."""
    rows = ws.sql(
        """
        WITH i AS (SELECT i.kind, i.value, i.domain, i.subkind FROM indicators i
                   JOIN posts p ON p.uid = i.post_uid
                   WHERE p.account = ? AND i.in_quote IS NOT TRUE
                     AND i.kind IN ('url', 'email', 'crypto'))
        SELECT 'top_domains' AS what, domain AS value, NULL AS subkind, count(*) AS n FROM i
          WHERE kind IN ('url', 'email') AND domain IS NOT NULL GROUP BY 2
        UNION ALL
        SELECT 'crypto', value, any_value(subkind), count(*) FROM i WHERE kind = 'crypto'
          GROUP BY 2
        UNION ALL
        SELECT 'emails', value, NULL, count(*) FROM i WHERE kind = 'email' GROUP BY 2
        ORDER BY what, n DESC, value""",
        [account],
    ).to_pylist()
    out: dict[str, list[dict[str, Any]]] = {"top_domains": [], "crypto": [], "emails": []}
    for r in rows:
        if len(out[r["what"]]) < top:
            item = {"value": r["value"], "count": r["n"]}
            if r["what"] == "crypto":
                item["type"] = r["subkind"]
            out[r["what"]].append(item)
    return out


def ranked(
    ws: Workspace,
    *,
    source: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    sort: str = "posts",
    limit: int = 50,
    min_posts: int = 1,
) -> list[dict[str, Any]]:
    """Profiles ranked by ``sort`` (posts, first_seen, last_seen or active_days), at least
    ``min_posts`` posts each, on ``source`` when given. With ``since``/``until`` (naive
    times in the workspace's timezone) only accounts that posted in [since, until) are
    listed, and ``posts`` (what ``sort="posts"`` ranks) is their posts in that window, the
    profile's total staying in ``posts_total``."""
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}", hint=f"sort by one of {', '.join(SORTS)}")
    if limit < 1 or min_posts < 0:
        raise QueryError("limit must be at least 1 and min_posts at least 0")
    ensure(ws)
    cond, params = window("time", since, until, ws.config.timezone)
    if source is not None:
        cond.append("source_id = ?")
        params.append(source)
    where = " AND ".join(cond) or "TRUE"
    if since is None and until is None:
        counted = f"SELECT account, posts AS n FROM actors WHERE {where}"
    else:
        counted = f"SELECT account, count(*) AS n FROM posts WHERE {where} GROUP BY 1"
    order = "c.n DESC" if sort == "posts" else f"a.{SORTS[sort]}"
    sql = f"""
        SELECT a.* REPLACE (c.n AS posts), a.posts AS posts_total
        FROM ({counted}) c JOIN actors a USING (account)
        WHERE c.n >= ?
        ORDER BY {order}, a.account
        LIMIT ?"""
    return ws.sql(sql, [*params, min_posts, limit]).to_pylist()
