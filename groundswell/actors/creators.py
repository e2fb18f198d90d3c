"""Creators and influencers: follower growth, engagement rates, tiers, sponsored share and
mentions, from ``account_snapshots`` and the creators' own posts. Every figure is computed in
SQL over the store, and every function says which named convention it used.

    s = growth(ws, "tess.bakes")                    # followers gained per day (a Series)
    s, found = growth_anomalies(ws)                  # sudden jumps, by the anomaly detector
    engagement(ws, convention="median_er_last_n", n=12)
    creators(ws, tier="50k-500k", sort="growth")     # one row per creator
    compare(ws, ["tess.bakes", "instagram:anna.greens"])

**Accounts.** A creator is a ``(platform, account)`` pair of ``account_snapshots``. Where a
function takes accounts, ``"tess.bakes"`` means that account on every platform that has it and
``"instagram:tess.bakes"`` the one on Instagram; an exact spelling wins, else the case is
ignored.

**A creator's posts** are the stored records that reply to nothing (``parent_id`` is null),
from a source whose platform is the snapshot's platform (case ignored), whose ``author_id``
(else, when no id matches, ``author_name``) is the snapshot's account, with a leading ``@``
removed and case ignored. Import them with any posts importer that sets the platform, e.g.
``groundswell import jsonl posts.jsonl --platform instagram --source creators``.

**Followers at a post's time** are those of the latest snapshot at or before the post (the
earliest snapshot for a post older than every snapshot).

**Engagement conventions** (``CONVENTIONS`` holds their one-line definitions):

- ``mean_er_last_n``: mean over the creator's last N posts of (likes + comments) / followers;
- ``median_er_last_n``: the same with the median (robust to one viral post);
- ``platform_er_last_n``: mean over the last N posts of the platform's interactions /
  followers, interactions being ``INTERACTIONS[platform]`` (Xiaohongshu likes + saves +
  comments; Instagram likes + comments; TikTok, YouTube, Douyin likes + comments + shares;
  any other platform likes + comments);
- ``er_by_reach``: mean over the last N posts that report views of the platform's
  interactions / views;
- ``snapshot_er``: an approximation for creators whose posts are not in the store:
  (Δlikes / Δposts) / followers over the last ``days`` days of snapshots, i.e. likes gained
  per new post over the audience. Likes that older posts keep gaining count too, so it runs
  high for creators who post rarely.

A post counts when it has at least one of the convention's counts (a missing count is 0) and,
for the follower-based ones, followers above 0. Comments are ``posts.replies``.

**Growth** (``growth``) is the change of followers from the last snapshot of one period to
the last snapshot of the period before, per account, in the workspace's timezone; a period
with no snapshot, or whose previous period has none, is MISSING (never 0). Growth over 7 or
30 days (``creators``) compares the last snapshot with the latest one at least that many
days older, and is null when that one is more than twice as old.

**Tiers** are ranges of the last snapshot's followers, from ``[creators] tiers`` bounds
(default 5,000, 50,000 and 500,000: ``<5k``, ``5k-50k``, ``50k-500k``, ``>500k``); a bound
belongs to the tier above it.

**Sponsored share** is the share of a creator's posts with a hit of the ``disclosure``
lexicon outside quoted blocks (``indicators`` kind ``lexicon``, subkind ``disclosure``).
**Mentions** are the handles and hashtags of a creator's posts, outside quoted blocks, ranked
by the number of posts that hold them (the creator's own handle left out).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from groundswell.analysis import compile as cc
from groundswell.analysis.anomalies import Anomaly, AnomalySettings, detect, expected
from groundswell.analysis.series import MISSING, OBSERVED, PERIODS, Series
from groundswell.config import check_timezone
from groundswell.errors import ConfigError, MetricError, QueryError
from groundswell.workspace import Workspace

DEFAULT_TIERS = (5_000, 50_000, 500_000)
DEFAULT_N = 12  # posts in "the last N posts"
DEFAULT_DAYS = 30  # snapshot_er's window
SORTS = ("followers", "growth", "engagement")
BASIC = ("likes", "replies")
INTERACTIONS: dict[str, tuple[str, ...]] = {
    "xiaohongshu": ("likes", "saves", "replies"),
    "instagram": ("likes", "replies"),
    "tiktok": ("likes", "replies", "shares"),
    "douyin": ("likes", "replies", "shares"),
    "youtube": ("likes", "replies", "shares"),
}
CONVENTIONS = {
    "mean_er_last_n": "mean over the last {n} posts of (likes + comments) / followers",
    "median_er_last_n": "median over the last {n} posts of (likes + comments) / followers",
    "platform_er_last_n": "mean over the last {n} posts of the platform's interactions "
    "(xiaohongshu: likes + saves + comments; instagram: likes + comments; tiktok, douyin, "
    "youtube: likes + comments + shares; others: likes + comments) / followers",
    "er_by_reach": "mean over the last {n} posts with views of the platform's interactions / views",
    "snapshot_er": "approximation from snapshots: (likes gained / posts added) / followers "
    "over the last {days} days",
}
POST_CONVENTIONS = tuple(c for c in CONVENTIONS if c != "snapshot_er")

Pair = tuple[str, str]  # (platform, account)


# ---- tiers -------------------------------------------------------------------------------
def tier_bounds(ws: Workspace) -> tuple[int, ...]:
    """The follower bounds of the tiers: ``[creators] tiers`` of the config, validated
    (whole numbers above 0, ascending), else ``DEFAULT_TIERS``."""
    section = ws.config.raw.get("creators", {})
    if not isinstance(section, dict):
        raise ConfigError("creators", "must be a table, e.g. tiers = [5000, 50000, 500000]")
    unknown = sorted(set(section) - {"tiers"})
    if unknown:
        raise ConfigError("creators", f"unknown keys {unknown}; known: tiers")
    return check_bounds(section.get("tiers", DEFAULT_TIERS))


def check_bounds(bounds: Any) -> tuple[int, ...]:
    """``bounds`` as a tuple, or a ConfigError saying what a tier list must be."""
    ok = (
        isinstance(bounds, list | tuple)
        and len(bounds) > 0
        and all(isinstance(b, int) and not isinstance(b, bool) and b > 0 for b in bounds)
        and all(a < b for a, b in itertools.pairwise(bounds))
    )
    if not ok:
        raise ConfigError(
            "creators",
            f"tiers must be ascending whole numbers above 0, e.g. [5000, 50000, 500000]; "
            f"got {bounds!r}",
        )
    return tuple(bounds)


def short(n: int) -> str:
    """A follower count as a label: 5000 -> ``5k``, 1500000 -> ``1.5M``, 750 -> ``750``."""
    for size, suffix in ((10**9, "B"), (10**6, "M"), (10**3, "k")):
        if n >= size:
            return f"{n / size:.3g}{suffix}"
    return str(n)


def tier_labels(bounds: Sequence[int]) -> list[str]:
    """``<5k``, ``5k-50k``, ``50k-500k``, ``>500k`` for (5000, 50000, 500000)."""
    labels = [f"<{short(bounds[0])}"]
    labels += [f"{short(a)}-{short(b)}" for a, b in itertools.pairwise(bounds)]
    return [*labels, f">{short(bounds[-1])}"]


def tier_of(followers: int | None, bounds: Sequence[int]) -> str | None:
    """The tier label of a follower count (None for None); a bound is in the tier above."""
    if followers is None:
        return None
    labels = tier_labels(bounds)
    return labels[sum(1 for b in bounds if followers >= b)]


def accounts_by_tier(ws: Workspace, bounds: Sequence[int] | None = None) -> dict[str, list[str]]:
    """``{tier: ["platform:account", ...]}`` by the last snapshot's followers (sorted; tiers
    with no creator left out)."""
    bounds = check_bounds(bounds) if bounds is not None else tier_bounds(ws)
    out: dict[str, list[str]] = {}
    for platform, account, followers in _sql(ws, f"{_LAST} SELECT platform, account, f1 FROM last"):
        out.setdefault(str(tier_of(followers, bounds)), []).append(f"{platform}:{account}")
    return {k: sorted(v) for k, v in sorted(out.items())}


# ---- accounts ----------------------------------------------------------------------------
def resolve(ws: Workspace, accounts: str | Sequence[str] | None) -> list[Pair] | None:
    """The ``(platform, account)`` pairs named (None: every creator); a QueryError for a name
    no snapshot has."""
    if accounts is None:
        return None
    names = [accounts] if isinstance(accounts, str) else list(accounts)
    exact: dict[str, list[Pair]] = {}
    folded: dict[str, list[Pair]] = {}
    for p, a in _all(ws):
        for key in (a, f"{p}:{a}"):
            exact.setdefault(key, []).append((p, a))
            folded.setdefault(key.casefold(), []).append((p, a))
    pairs: list[Pair] = []
    for name in names:
        spec = name.strip().removeprefix("@")
        found = exact.get(spec) or folded.get(spec.casefold())
        if not found:
            raise QueryError(
                f"no creator {name!r} in account_snapshots",
                hint="`groundswell creators` lists them; write ACCOUNT or PLATFORM:ACCOUNT",
            )
        pairs += [f for f in found if f not in pairs]
    return pairs


def _all(ws: Workspace) -> list[Pair]:
    query = "SELECT DISTINCT platform, account FROM account_snapshots ORDER BY 1, 2"
    return [(str(p), str(a)) for p, a in _sql(ws, query)]


def _sel(pairs: list[Pair] | None) -> tuple[str, list[Any]]:
    """A join that keeps the chosen pairs (an empty string and no parameters for all)."""
    if pairs is None:
        return "", []
    join = (
        "JOIN (SELECT unnest(?::VARCHAR[]) AS platform, unnest(?::VARCHAR[]) AS account) sel "
        "USING (platform, account)"
    )
    return join, [[p for p, _ in pairs], [a for _, a in pairs]]


# The last snapshot per creator: time, followers, and the followers 7 and 30 days earlier
# (the latest snapshot at least that old, if it is not more than twice as old).
_LAST = """
WITH snap AS (SELECT * FROM account_snapshots {sel}),
ends AS (SELECT platform, account, max(time) AS t1 FROM snap WHERE followers IS NOT NULL
         GROUP BY ALL),
last AS (
  SELECT platform, account, any_value(t1) AS t1,
    arg_max(followers, time) FILTER (WHERE time = t1) AS f1,
    arg_max(followers, time) FILTER (WHERE time <= t1 - INTERVAL 7 DAY
                                     AND time > t1 - INTERVAL 14 DAY) AS f7,
    arg_max(followers, time) FILTER (WHERE time <= t1 - INTERVAL 30 DAY
                                     AND time > t1 - INTERVAL 60 DAY) AS f30,
    arg_max(display_name, time) AS name, arg_max(category, time) AS category,
    bool_or(is_virtual) AS is_virtual, max(time) AS last_snapshot, count(*) AS snapshots
  FROM snap JOIN ends USING (platform, account) GROUP BY ALL)
"""


def _sql(ws: Workspace, query: str, params: Sequence[Any] = (), sel: str = "") -> list[Any]:
    return ws.store.con.execute(query.replace("{sel}", sel), list(params)).fetchall()


# ---- followers and growth ----------------------------------------------------------------
def followers(
    ws: Workspace,
    account: str | Sequence[str] | None = None,
    period: str = "day",
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    timezone: str | None = None,
) -> Series:
    """Followers of the last snapshot of each period, per ``(platform, account)`` facet, on
    a regular grid in ``timezone`` (default: the workspace's); MISSING where an account has no
    snapshot in a period."""
    if period not in PERIODS:
        raise MetricError(f"unknown period {period!r}; choose from {', '.join(PERIODS)}")
    tz = timezone or ws.config.timezone
    try:
        check_timezone("timezone", tz)
    except ConfigError as e:
        raise MetricError(e.message) from None
    zone = ZoneInfo(tz)
    join, params = _sel(resolve(ws, account))
    bounds, bparams = "", []
    for t, op in ((since, ">="), (until, "<")):
        if t is not None:
            bounds += f" AND time {op} ?"
            bparams.append(t if t.tzinfo else t.replace(tzinfo=zone))
    query = f"""
        WITH g AS (
          SELECT platform, account, date_trunc('{period}', timezone(?, time)) AS p,
                 arg_max(followers, time) AS f
          FROM account_snapshots {join} WHERE followers IS NOT NULL {bounds} GROUP BY ALL)
        SELECT (dense_rank() OVER (ORDER BY platform, account) - 1)::BIGINT AS fi,
               platform, account, p, f::DOUBLE AS f FROM g ORDER BY fi, p"""
    # one row per account and period (aggregated), laid on the grid with numpy
    cols = ws.store.con.execute(query, [tz, *params, *bparams]).fetchnumpy()
    fi = np.asarray(cols["fi"], dtype=np.int64)
    first = np.flatnonzero(np.r_[True, fi[1:] != fi[:-1]]) if len(fi) else fi
    facets: list[tuple[str, ...]] = [
        (str(cols["platform"][i]), str(cols["account"][i])) for i in first
    ]
    if not len(fi):
        return Series(
            name="followers",
            period=period,
            timezone=tz,
            starts=[],
            facets=[],
            values=np.zeros((0, 0)),
            status=np.zeros((0, 0), np.int8),
            facet_fields=("platform", "account"),
            unit="followers",
        )
    starts, inverse = np.unique(np.asarray(cols["p"]), return_inverse=True)
    keys = np.array([cc.key_of(period, _naive(p)) for p in starts], dtype=np.int64)
    lo, hi = int(keys.min()), int(keys.max())
    values = np.full((len(facets), hi - lo + 1), np.nan)
    values[fi, keys[inverse] - lo] = np.asarray(cols["f"], dtype=float)
    status = np.where(np.isnan(values), MISSING, OBSERVED).astype(np.int8)
    return Series(
        name="followers",
        period=period,
        timezone=tz,
        starts=[cc.key_start(period, k).replace(tzinfo=zone) for k in range(lo, hi + 1)],
        facets=facets,
        values=values,
        status=status,
        facet_fields=("platform", "account"),
        unit="followers",
        notes=[f"followers in the last snapshot of each {period} ({tz})"],
    )


def _naive(p: Any) -> datetime:
    """A numpy datetime64 (or datetime) period start as a naive datetime."""
    if isinstance(p, datetime):
        return p
    return datetime(1970, 1, 1) + timedelta(
        microseconds=int(np.datetime64(p, "us").astype(np.int64))
    )


def growth(
    ws: Workspace,
    account: str | Sequence[str] | None = None,
    period: str = "day",
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    timezone: str | None = None,
) -> Series:
    """Followers gained per period (lost when negative): the last snapshot's followers minus
    those of the period before, per ``(platform, account)``; MISSING where either period has
    no snapshot. ``since`` and ``until`` bound the snapshots read."""
    return _growth_of(followers(ws, account, period, since=since, until=until, timezone=timezone))


def _growth_of(f: Series) -> Series:
    values = np.full(f.values.shape, np.nan)
    values[:, 1:] = f.values[:, 1:] - f.values[:, :-1]
    status = np.where(np.isnan(values), MISSING, OBSERVED).astype(np.int8)
    return Series(
        name="follower growth",
        period=f.period,
        timezone=f.timezone,
        starts=f.starts,
        facets=f.facets,
        values=values,
        status=status,
        facet_fields=f.facet_fields,
        unit="followers",
        notes=[
            f"change of the last snapshot's followers from one {f.period} to the next "
            f"({f.timezone}); no snapshot in either {f.period}: not collected"
        ],
    )


# Growth spikes are scored with the detector's defaults, without its level-shift search (a
# jump is one period; PELT over every account's daily noise costs 0.2 s an account for nothing).
GROWTH_SETTINGS = AnomalySettings(min_segment=10**9)
MIN_GAIN = 0.01  # a jump gains at least 1% of the followers before it, beyond the expected
HOLD = 3  # periods over which the followers must stay up after a jump (and are read before)


def growth_anomalies(
    ws: Workspace,
    account: str | Sequence[str] | None = None,
    period: str = "day",
    *,
    settings: AnomalySettings | None = None,
    kinds: Sequence[str] = ("spike",),
    min_gain: float = MIN_GAIN,
) -> tuple[Series, list[Anomaly]]:
    """The growth series (with the detector's expected value as its baseline) and its
    anomalies: by default follower jumps, the mark of a shout-out or of bought followers.

    A jump is a spike of the growth series (``groundswell.analysis.anomalies.detect``: far
    more followers gained than the account's usual same-weekday growth) that also

    - is material: the gain beyond the expected one is at least ``min_gain`` (1%) of the
      followers before it;
    - holds: the median followers of the spike's period and the HOLD - 1 after it exceed the
      median of the HOLD periods before it by at least half that excess gain (a snapshot that
      misread the count, up or down, makes a spike that the next snapshots undo).

    Other ``kinds`` (dip, level_shift, outage) are reported as the detector finds them."""
    s = settings or GROWTH_SETTINGS
    f = followers(ws, account, period)
    series = _growth_of(f)
    series.baseline = np.where(series.status == MISSING, np.nan, expected(series, s))
    found = [
        _explained(a, series)
        for a in detect(series, s, kinds)
        if a.kind != "spike" or _is_jump(a, f, series, min_gain)
    ]
    return series, found


def _is_jump(a: Anomaly, f: Series, growth: Series, min_gain: float) -> bool:
    row = growth.row(a.facet)
    t = growth.starts.index(a.start)
    counts = f.values[row]
    excess = a.value - (a.baseline if np.isfinite(a.baseline) else 0.0)
    before_t = counts[max(0, t - HOLD) : t]
    after_t = counts[t : t + HOLD]
    if excess <= 0 or not np.isfinite(before_t).any() or not np.isfinite(after_t).any():
        return False
    before, after = float(np.nanmedian(before_t)), float(np.nanmedian(after_t))
    return excess >= min_gain * max(before, 1.0) and after - before >= excess / 2


def _explained(a: Anomaly, series: Series) -> Anomaly:
    """The anomaly with a sentence: who gained how many followers against what."""
    verb = "gained" if a.value >= 0 else "lost"
    return replace(
        a,
        explanation=f"{a.facet[1]} on {a.facet[0]} {verb} {abs(a.value):,.0f} followers in a "
        f"{series.period}, against an expected {a.baseline:,.0f}",
    )


# ---- engagement --------------------------------------------------------------------------
def _interactions(convention: str) -> str:
    """The SQL sum of a post's interactions under ``convention`` (missing counts are 0)."""
    if convention in ("mean_er_last_n", "median_er_last_n"):
        return "(" + " + ".join(f"coalesce({c}, 0)" for c in BASIC) + ")"
    cases = " ".join(
        f"WHEN '{p}' THEN {' + '.join(f'coalesce({c}, 0)' for c in cols)}"
        for p, cols in INTERACTIONS.items()
    )
    basic = " + ".join(f"coalesce({c}, 0)" for c in BASIC)
    return f"(CASE lower(platform) {cases} ELSE {basic} END)"


def _counted(convention: str) -> str:
    """SQL: the post has at least one of the counts the convention adds up."""
    cols = set(BASIC)
    if convention not in ("mean_er_last_n", "median_er_last_n"):
        cols |= {c for v in INTERACTIONS.values() for c in v}
    return "(" + " OR ".join(f"{c} IS NOT NULL" for c in sorted(cols)) + ")"


# The creators' posts (see the module docstring): matched by author id, else by author name.
_POSTS = """
creators AS (SELECT DISTINCT platform, account, lower(account) AS key
             FROM account_snapshots {sel}),
src AS (SELECT source_id, lower(platform) AS platform FROM sources
        WHERE lower(platform) IN (SELECT platform FROM creators)),
cand AS (
  SELECT p.uid, c.platform, c.account, 1 AS how FROM posts p JOIN src USING (source_id)
    JOIN creators c ON c.platform = src.platform
     AND c.key = lower(ltrim(p.author_id, '@')) WHERE p.parent_id IS NULL
  UNION ALL
  SELECT p.uid, c.platform, c.account, 2 AS how FROM posts p JOIN src USING (source_id)
    JOIN creators c ON c.platform = src.platform
     AND c.key = lower(ltrim(p.author_name, '@')) WHERE p.parent_id IS NULL),
matched AS (SELECT uid, arg_min(platform, how) AS platform, arg_min(account, how) AS account
            FROM cand GROUP BY uid),
cp AS (SELECT m.platform, m.account, p.uid, p.time, p.likes, p.replies, p.saves, p.shares,
              p.views FROM matched m JOIN posts p USING (uid))
"""


def engagement(
    ws: Workspace,
    account: str | Sequence[str] | None = None,
    *,
    convention: str = "mean_er_last_n",
    n: int = DEFAULT_N,
    days: int = DEFAULT_DAYS,
) -> list[dict[str, Any]]:
    """The engagement rate of each creator under ``convention`` (see ``CONVENTIONS``): rows
    of platform, account, ``rate`` (a fraction: 0.05 is 5%), ``posts`` (the posts or, for
    snapshot_er, the posts added that it rests on), ``convention`` and ``definition``.
    Creators with nothing to rate are left out."""
    if convention not in CONVENTIONS:
        raise QueryError(
            f"unknown engagement convention {convention!r}",
            hint=f"conventions: {', '.join(CONVENTIONS)}",
        )
    if n < 1 or days < 1:
        raise QueryError("n and days must be at least 1")
    return _engagement(ws, resolve(ws, account), convention, n, days)


def _engagement(
    ws: Workspace, pairs: list[Pair] | None, convention: str, n: int, days: int
) -> list[dict[str, Any]]:
    join, params = _sel(pairs)
    definition = CONVENTIONS[convention].format(n=n, days=days)
    if convention == "snapshot_er":
        rows = _sql(ws, _SNAPSHOT_ER, [*params, days, days, days, days], sel=join)
    else:
        rows = _sql(ws, _post_er_sql(convention), [*params, n], sel=join)
    return [
        {
            "platform": p,
            "account": a,
            "rate": float(r),
            "posts": int(k),
            "convention": convention,
            "definition": definition,
        }
        for p, a, r, k in rows
        if r is not None
    ]


def _post_er_sql(convention: str) -> str:
    reach = convention == "er_by_reach"
    agg = "median" if convention == "median_er_last_n" else "avg"
    denominator = "views" if reach else "followers"
    return f"""
WITH {_POSTS.strip()},
firsts AS (SELECT platform, account, arg_min(followers, time) AS f0 FROM account_snapshots
           WHERE followers IS NOT NULL GROUP BY ALL),
snaps AS (SELECT platform, account, time, followers FROM account_snapshots
          WHERE followers IS NOT NULL),
j AS (SELECT cp.*, coalesce(s.followers, firsts.f0) AS followers
      FROM cp ASOF LEFT JOIN snaps s
        ON cp.platform = s.platform AND cp.account = s.account AND cp.time >= s.time
      LEFT JOIN firsts ON cp.platform = firsts.platform AND cp.account = firsts.account),
x AS (SELECT platform, account, {_interactions(convention)} / {denominator} AS er,
        row_number() OVER (PARTITION BY platform, account ORDER BY time DESC, uid) AS rn
      FROM j WHERE {_counted(convention)} AND {denominator} > 0)
SELECT platform, account, {agg}(er), count(*) FROM x WHERE rn <= ? GROUP BY ALL ORDER BY 1, 2
"""


# Δlikes / Δposts / followers between the last snapshot and the latest one at least DAYS
# older (if not more than twice as old); null when no post was added.
_SNAPSHOT_ER = """
WITH snap AS (SELECT * FROM account_snapshots {sel}
              WHERE likes IS NOT NULL AND posts IS NOT NULL AND followers IS NOT NULL),
ends AS (SELECT platform, account, max(time) AS t1 FROM snap GROUP BY ALL),
w AS (SELECT platform, account,
        arg_max(likes, time) FILTER (WHERE time = t1) AS l1,
        arg_max(posts, time) FILTER (WHERE time = t1) AS p1,
        arg_max(followers, time) FILTER (WHERE time = t1) AS f1,
        arg_max(likes, time) FILTER (WHERE time <= t1 - to_days(?::INTEGER)
                                     AND time > t1 - to_days(2 * ?::INTEGER)) AS l0,
        arg_max(posts, time) FILTER (WHERE time <= t1 - to_days(?::INTEGER)
                                     AND time > t1 - to_days(2 * ?::INTEGER)) AS p0
      FROM snap JOIN ends USING (platform, account) GROUP BY ALL)
SELECT platform, account,
  CASE WHEN p1 > p0 AND f1 > 0 THEN (l1 - l0)::DOUBLE / (p1 - p0) / f1 END, p1 - p0
FROM w WHERE l0 IS NOT NULL ORDER BY 1, 2
"""


# ---- sponsorship and mentions -------------------------------------------------------------
def sponsored_share(
    ws: Workspace, account: str | Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Per creator with posts: ``posts``, ``sponsored`` (posts with a disclosure-lexicon hit
    outside quotes) and ``share`` (sponsored / posts), with the convention's name."""
    return _sponsored(ws, resolve(ws, account))


def _sponsored(ws: Workspace, pairs: list[Pair] | None) -> list[dict[str, Any]]:
    join, params = _sel(pairs)
    rows = _sql(
        ws,
        f"""WITH {_POSTS.strip()},
        d AS (SELECT DISTINCT post_uid AS uid FROM indicators
              WHERE kind = 'lexicon' AND subkind = 'disclosure' AND in_quote IS NOT TRUE
                AND post_uid IN (SELECT uid FROM cp))
        SELECT platform, account, count(*), count(d.uid) FROM cp LEFT JOIN d USING (uid)
        GROUP BY ALL ORDER BY 1, 2""",
        params,
        sel=join,
    )
    return [
        {
            "platform": p,
            "account": a,
            "posts": int(k),
            "sponsored": int(s),
            "share": s / k,
            "convention": "posts with a disclosure-lexicon hit outside quotes / posts",
        }
        for p, a, k, s in rows
    ]


def top_mentions(
    ws: Workspace,
    account: str | Sequence[str] | None = None,
    *,
    limit: int = 10,
    kinds: Sequence[str] = ("handle", "hashtag"),
) -> list[dict[str, Any]]:
    """The handles and hashtags each creator's posts mention most, outside quotes: rows of
    platform, account, rank, kind, value, ``posts`` (posts holding it) and ``mentions``
    (occurrences), at most ``limit`` per creator; the creator's own handle left out."""
    bad = sorted(set(kinds) - {"handle", "hashtag"})
    if bad or not kinds:
        raise QueryError(f"mention kinds are handle and hashtag, got {list(kinds)}")
    if limit < 1:
        raise QueryError("limit must be at least 1")
    join, params = _sel(resolve(ws, account))
    rows = _sql(
        ws,
        f"""WITH {_POSTS.strip()},
        m AS (SELECT cp.platform, cp.account, i.kind, i.value,
                     count(DISTINCT i.post_uid) AS posts, count(*) AS mentions
              FROM indicators i JOIN cp ON i.post_uid = cp.uid
              WHERE i.kind IN (SELECT unnest(?::VARCHAR[])) AND i.in_quote IS NOT TRUE
                AND i.value <> '@' || lower(cp.account)
              GROUP BY ALL)
        SELECT platform, account, row_number() OVER w AS rank, kind, value, posts, mentions
        FROM m WINDOW w AS (PARTITION BY platform, account ORDER BY posts DESC, mentions DESC,
                            value)
        QUALIFY rank <= ? ORDER BY 1, 2, 3""",
        [*params, list(kinds), limit],
        sel=join,
    )
    cols = ("platform", "account", "rank", "kind", "value", "posts", "mentions")
    return [dict(zip(cols, r, strict=True)) for r in rows]


# ---- the creators table --------------------------------------------------------------------
def creators(
    ws: Workspace,
    *,
    platform: str | None = None,
    tier: str | None = None,
    sort: str = "followers",
    limit: int | None = 50,
    accounts: str | Sequence[str] | None = None,
    n: int = DEFAULT_N,
) -> list[dict[str, Any]]:
    """One row per creator: platform, account, name, category, tier, followers (last),
    growth over 7 and 30 days (absolute and %), engagement (``mean_er_last_n`` from posts,
    else ``snapshot_er``, named in ``engagement_convention``), posts stored, sponsored
    share, virtual flag and last snapshot time. Sorted by ``sort`` (followers, growth: 30-day
    %, engagement), largest first, missing values last."""
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}", hint=f"sort by {', '.join(SORTS)}")
    if limit is not None and limit < 1:
        raise QueryError("limit must be at least 1")
    bounds = tier_bounds(ws)
    labels = tier_labels(bounds)
    if tier is not None and tier not in labels:
        raise QueryError(f"unknown tier {tier!r}", hint=f"tiers: {', '.join(labels)}")
    pairs = resolve(ws, accounts)
    if platform is not None:
        platform = platform.lower()
        pairs = [p for p in pairs or _all(ws) if p[0] == platform]
        if not pairs:
            return []
    join, params = _sel(pairs)
    last = _sql(
        ws,
        f"{_LAST} SELECT platform, account, name, category, f1, f7, f30, is_virtual, t1 "
        "FROM last ORDER BY 1, 2",
        params,
        sel=join,
    )
    posted = _by_pair(_engagement(ws, pairs, "mean_er_last_n", n, DEFAULT_DAYS))
    approx = _by_pair(_engagement(ws, pairs, "snapshot_er", n, DEFAULT_DAYS))
    sponsored = _by_pair(_sponsored(ws, pairs))
    rows = []
    for p, a, name, category, f1, f7, f30, virtual, t1 in last:
        row: dict[str, Any] = {
            "platform": p,
            "account": a,
            "name": name,
            "category": category,
            "tier": tier_of(f1, bounds),
            "followers": f1,
        }
        for days, before in ((7, f7), (30, f30)):
            row[f"growth_{days}d"] = None if before is None else f1 - before
            row[f"growth_{days}d_pct"] = (
                None if not before else round(100 * (f1 - before) / before, 2)
            )
        er = posted.get((p, a)) or approx.get((p, a))
        row["engagement"] = None if er is None else er["rate"]
        row["engagement_convention"] = None if er is None else er["convention"]
        s = sponsored.get((p, a))
        row["posts"] = 0 if s is None else s["posts"]
        row["sponsored_share"] = None if s is None else s["share"]
        row["is_virtual"] = bool(virtual)
        row["last_snapshot"] = t1
        if tier is None or row["tier"] == tier:
            rows.append(row)
    key = {"followers": "followers", "growth": "growth_30d_pct", "engagement": "engagement"}[sort]
    rows.sort(key=lambda r: (r[key] is None, -(r[key] or 0), r["platform"], r["account"]))
    return rows if limit is None else rows[:limit]


def _by_pair(rows: list[dict[str, Any]]) -> dict[Pair, dict[str, Any]]:
    return {(r["platform"], r["account"]): r for r in rows}


def compare(
    ws: Workspace, accounts: Sequence[str], *, period: str = "day", n: int = DEFAULT_N
) -> dict[str, Any]:
    """Creators side by side: ``followers`` (a Series of followers per ``period``, one facet
    per account), ``growth`` (the growth Series), ``rows`` (their ``creators`` rows, in the
    order asked) and ``mentions`` (their top handles and hashtags)."""
    if not accounts:
        raise QueryError("name at least one account to compare")
    pairs = resolve(ws, accounts) or []
    rows = creators(ws, accounts=[f"{p}:{a}" for p, a in pairs], limit=None, n=n)
    order = {pair: i for i, pair in enumerate(pairs)}
    rows.sort(key=lambda r: order[(r["platform"], r["account"])])
    names = [f"{p}:{a}" for p, a in pairs]
    return {
        "followers": followers(ws, names, period),
        "growth": growth(ws, names, period),
        "rows": rows,
        "mentions": top_mentions(ws, names, limit=5),
    }
