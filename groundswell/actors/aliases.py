"""Alias candidates: accounts on *other* sources (defunct ones included) that may be the same
person, ranked by a score whose every piece of evidence is shown; and the analyst's decisions
on them, which alone (never a score) make two accounts one person in counts.

**Candidate generation** never compares all pairs. A pair is considered when the two accounts
(on different sources) share

- a blocking key of one of their names (author id, when it looks like a name, and every display
  name; ``names``): the casefolded name (identical), its normalised key, or its key without
  trailing digits; a key held by more than ``BLOCK`` accounts (a common name) pairs only
  accounts whose busiest UTC hours are at most ``HOUR_SLACK`` apart, and one held by more than
  ``BIG`` accounts blocks nothing;
- a neighbourhood: each account against the ``WINDOW`` next ones when all normalised keys are
  sorted, and again with the keys reversed (typos at the start and at the end);
- a rare indicator (below); and, for one actor (``candidates``), a fuzzy match: its keys
  against every key (one to all, not all pairs) with Jaro-Winkler similarity >= ``FUZZY_SCAN``.

**The score** of a pair is the sum of these points (at most 13):

- names, counted once (the strongest of these):
  ``identical_name`` 3 (a name the same in any case and accents); ``normalised_name`` 2.5 (the
  same normalised key, ``names.normalise``); ``base_name`` 2 (the same key without trailing
  digits); ``fuzzy_name`` 2 x clip((s - 0.8) / 0.2) for the Jaro-Winkler similarity s of the
  two closest normalised keys (0 at 0.8 or less, 2 when equal);
- ``shared_indicators``: 4 / k for each crypto address, email, URL or registrable domain both
  posted outside quotes that k <= ``RARE`` accounts posted in all (2 for one only they share),
  4 at most;
- ``active_hours``: 2 x max(c, 0), c the cosine of the two 24-hour histograms in UTC less the
  workspace's average histogram (both with >= ``MIN_POSTS`` posts; else not shown);
- ``style``: 4 x max(c, 0), c the cosine of the character n-gram profiles of their latest
  ``STYLE_POSTS`` posts less the workspace's average profile (``stylometry``; both with
  enough text, else not shown).

(``clip`` keeps 0 to 1.) Each evidence item has a ``name``, its ``value`` (the name or key, the
similarity, the indicators shared with their counts, the cosine) and its ``points``; a name
item outdone by the other shows 0 points.

    >>> best = candidates(ws, "quietfox")[0]     # the demo, scale 1
    >>> best.source_id, best.name, round(best.score, 1)   # a forum that closed in 2019
    ('forum:Harbour Lights', 'quiet_fox', 6.2)
    >>> [(e.name, e.points) for e in best.evidence]
    [('normalised_name', 2.5), ('fuzzy_name', 0.0), ('active_hours', 0.12), ('style', 3.57)]
    >>> decide(ws, "quietfox", best.account, "confirmed")

**Decisions** go to the ``aliases`` table (``account_a < account_b``): confirmed pairs join
their accounts into one person (``accounts.person``: the smallest account number of the group,
connected through confirmed pairs); rejecting or undoing a confirmation recomputes the groups.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from groundswell.actors import names, stylometry
from groundswell.errors import QueryError, WorkspaceError
from groundswell.store.duckdb import first

if TYPE_CHECKING:
    from groundswell.workspace import Workspace

# candidate generation
BLOCK = 50  # a key held by more accounts blocks by key and busiest hour ...
BIG = 2000  # ... and by more than this, nothing
HOUR_SLACK = 3  # busiest hours this far apart (in UTC) still block together
WINDOW = 10  # sorted-neighbourhood window
FUZZY_SCAN = 0.85  # one actor's fuzzy scan keeps keys at least this similar
RARE = 5  # an indicator posted by at most this many accounts is rare
# points
IDENTICAL, NORMALISED, BASE = 3.0, 2.5, 2.0
FUZZY, FUZZY_FROM = 2.0, 0.8
INDICATOR, INDICATOR_CAP = 4.0, 4.0
HOURS, STYLE = 2.0, 4.0
MIN_POSTS = 5  # hours need this many posts on both sides
STYLE_POSTS = 50  # latest posts read for a style profile
SAMPLE = 2000  # posts sampled for the workspace's average profile
STATUSES = ("confirmed", "rejected")
_T = "_alias_"  # prefix of the temporary tables


@dataclass
class Evidence:
    """One piece of evidence: what was found and the points it adds."""

    name: str
    value: Any
    points: float


@dataclass
class Candidate:
    """An account that may be the same person as the one asked about."""

    account: int
    source_id: str
    author_id: str
    name: str | None
    score: float
    evidence: list[Evidence] = field(default_factory=list)
    posts: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    decision: str | None = None  # confirmed/rejected, when the pair was decided

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- the population's names ------------------------------------------------------------------
def _namelike(author_id: str) -> bool:
    """Whether an author id reads as a name (not a number or an opaque id)."""
    letters = sum(c.isalpha() for c in author_id)
    return letters >= 3 and letters > sum(c.isdigit() for c in author_id)


def _load_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Table ``_alias_keys(account, src, key, kind)``: kind 0 the folded name, 1 a normalised
    key, 2 a key without trailing digits (or with 1 read as l), for every account's names."""
    t = con.sql("SELECT account, source_id, author_id, names FROM actors").to_arrow_table()
    accounts = t.column("account").to_pylist()
    sources = t.column("source_id").to_pylist()
    ids = t.column("author_id").to_pylist()
    all_names = t.column("names").to_pylist()
    src_no: dict[str, int] = {}
    out_acc: list[int] = []
    out_src: list[int] = []
    out_key: list[str] = []
    out_kind: list[int] = []
    for account, source, author, shown in zip(accounts, sources, ids, all_names, strict=True):
        s = src_no.setdefault(source, len(src_no))
        seen = {n for n in (shown or []) if n}
        if author and _namelike(author):
            seen.add(author)
        found: dict[str, int] = {}
        for n in seen:
            folded = names.fold(n)
            if len(folded) >= names.MIN_KEY:
                found["\0" + folded] = 0
            full = names.normalise(n)
            for k in names.keys(n):
                kind = 1 if k == full else 2
                found[k] = min(found.get(k, 2), kind)
        for k, kind in found.items():
            out_acc.append(account)
            out_src.append(s)
            out_key.append(k)
            out_kind.append(kind)
    keys = pa.table(
        {
            "account": pa.array(out_acc, pa.int32()),
            "src": pa.array(out_src, pa.int32()),
            "key": pa.array(out_key, pa.string()),
            "kind": pa.array(out_kind, pa.int8()),
        }
    )
    con.register("_alias_keys_arrow", keys)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_T}keys AS SELECT * FROM _alias_keys_arrow")
    con.unregister("_alias_keys_arrow")


def _focus(focus: int | None, a: str = "a", b: str = "b") -> str:
    return "TRUE" if focus is None else f"({a} = {int(focus)} OR {b} = {int(focus)})"


def _rare(con: duckdb.DuckDBPyConnection, focus: int | None) -> None:
    """Table ``_alias_rare(account, src, kind, value, k)``: the rare indicator values each
    account posted outside quotes (for one actor: those it posted), k accounts posting each."""
    base = """
        SELECT DISTINCT p.account, p.source_id, x.kind, x.value FROM indicators i
        JOIN posts p ON p.uid = i.post_uid,
        LATERAL (SELECT i.kind, i.value UNION ALL SELECT 'domain', i.domain
                 WHERE i.kind IN ('url', 'email') AND i.domain IS NOT NULL) x
        WHERE i.in_quote IS NOT TRUE AND i.kind IN ('crypto', 'email', 'url')
          AND p.account IS NOT NULL"""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_T}ind AS {base}")
    mine = "TRUE"
    if focus is not None:
        mine = f"(kind, value) IN (SELECT kind, value FROM {_T}ind WHERE account = {int(focus)})"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_T}rare AS
        WITH n AS (SELECT kind, value, count(*) AS k FROM {_T}ind WHERE {mine}
                   GROUP BY ALL HAVING count(*) BETWEEN 2 AND {RARE})
        SELECT i.account, dense_rank() OVER (ORDER BY i.source_id) AS src, i.kind, i.value, n.k
        FROM {_T}ind i JOIN n USING (kind, value)"""
    )


# -- candidate pairs -------------------------------------------------------------------------
def _pairs(con: duckdb.DuckDBPyConnection, focus: int | None, fuzzy: list[int]) -> None:
    """Table ``_alias_pairs(i, a, b, identical, normalised, base)``: the pairs blocking found
    (a < b, on different sources), with the name or key they share at each tier, if any."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_T}blocks AS
        SELECT key, count(*) > {BLOCK} AS big FROM {_T}keys GROUP BY key
        HAVING count(DISTINCT src) > 1 AND count(*) <= {BIG}"""
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_T}peak AS
        SELECT account, arg_max(h, n) AS peak FROM (
          SELECT account, hour(timezone('UTC', time)) AS h, count(*) AS n FROM posts
          WHERE account IS NOT NULL GROUP BY ALL) GROUP BY account"""
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_T}sorted AS
        SELECT account, src, row_number() OVER (ORDER BY key, account) AS r,
               row_number() OVER (ORDER BY reverse(key), account) AS rr
        FROM {_T}keys WHERE kind = 1"""
    )
    accounts = ", ".join(str(int(a)) for a in fuzzy) or "NULL"
    mine = _focus(focus, "x.account", "y.account")
    keyed = f"SELECT * FROM {_T}keys WHERE key IN (SELECT key FROM {_T}blocks WHERE NOT big)"
    big = f"""SELECT k.*, p.peak FROM {_T}keys k JOIN {_T}peak p USING (account)
              WHERE key IN (SELECT key FROM {_T}blocks WHERE big)"""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_T}found (a INTEGER, b INTEGER, identical VARCHAR,
                                                    normalised VARCHAR, base VARCHAR)"""
    )
    tier = """CASE WHEN x.kind = 0 THEN substr(x.key, 2) END,
              CASE WHEN x.kind = 1 AND y.kind = 1 THEN x.key END,
              CASE WHEN x.kind > 0 THEN x.key END"""
    pair = "least(x.account, y.account), greatest(x.account, y.account), NULL, NULL, NULL"
    steps = [  # one statement each: DuckDB keeps less in memory at once
        f"""SELECT x.account, y.account, {tier} FROM ({keyed}) x JOIN ({keyed}) y
            ON x.key = y.key WHERE x.account < y.account AND x.src <> y.src AND {mine}""",
        f"""WITH big AS ({big})
            SELECT x.account, y.account, {tier}
            FROM big x CROSS JOIN range(-{HOUR_SLACK}, {HOUR_SLACK + 1}) o(d)
            JOIN big y ON y.key = x.key AND y.peak = (x.peak + o.d + 24) % 24
            WHERE x.account < y.account AND x.src <> y.src AND {mine}""",
        *(
            f"""SELECT {pair} FROM {_T}sorted x CROSS JOIN range(1, {WINDOW + 1}) o(d)
                JOIN {_T}sorted y ON y.{r} = x.{r} + o.d
                WHERE x.src <> y.src AND x.account <> y.account AND {mine}"""
            for r in ("r", "rr")
        ),
        f"""SELECT {pair} FROM {_T}rare x JOIN {_T}rare y USING (kind, value)
            WHERE x.src <> y.src AND x.account < y.account AND {mine}""",
        f"""SELECT DISTINCT {pair} FROM {_T}keys x JOIN {_T}keys y
            ON x.account = {int(focus or 0)} AND y.account IN ({accounts}) AND x.src <> y.src""",
    ]
    for step in steps:
        con.execute(f"INSERT INTO {_T}found {step}")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_T}pairs AS
            SELECT (row_number() OVER () - 1)::BIGINT AS i, a, b, max(identical) AS identical,
                   max(normalised) AS normalised, max(base) AS base
            FROM {_T}found GROUP BY a, b"""
    )
    con.execute(f"DROP TABLE {_T}found")


def _fuzzy_scan(con: duckdb.DuckDBPyConnection, account: int) -> list[int]:
    """One actor's keys against every normalised key: the accounts with a key at least
    ``FUZZY_SCAN`` similar (one to all, not all pairs)."""
    mine = [r[0] for r in con.execute(
        f"SELECT key FROM {_T}keys WHERE account = ? AND kind = 1", [account]
    ).fetchall()]  # fmt: skip
    if not mine:
        return []
    t = con.sql(f"SELECT account, key FROM {_T}keys WHERE kind = 1").to_arrow_table()
    others = t.column("key").to_pylist()
    scores = process.cdist(
        mine,
        others,
        scorer=JaroWinkler.normalized_similarity,
        score_cutoff=FUZZY_SCAN,
        dtype=np.float32,
        workers=-1,
    )
    hit = np.flatnonzero(scores.max(axis=0) >= FUZZY_SCAN)
    found = np.asarray(t.column("account").to_numpy())[hit]
    return sorted({int(a) for a in found if int(a) != account})


# -- scoring ---------------------------------------------------------------------------------
def _accounts_in_pairs(con: duckdb.DuckDBPyConnection) -> str:
    return f"(SELECT a FROM {_T}pairs UNION SELECT b FROM {_T}pairs)"


def _fuzzy_scores(con: duckdb.DuckDBPyConnection, n: int) -> np.ndarray[Any, Any]:
    """Per pair, the best Jaro-Winkler similarity between the two accounts' normalised keys."""
    t = con.sql(
        f"""SELECT p.i, x.key AS ka, y.key AS kb FROM {_T}pairs p
            JOIN {_T}keys x ON x.account = p.a AND x.kind = 1
            JOIN {_T}keys y ON y.account = p.b AND y.kind = 1"""
    ).to_arrow_table()
    best = np.zeros(n, dtype=np.float32)
    if t.num_rows:
        s = process.cpdist(
            t.column("ka").to_pylist(),
            t.column("kb").to_pylist(),
            scorer=JaroWinkler.normalized_similarity,
            dtype=np.float32,
            workers=-1,
        )
        np.maximum.at(best, t.column("i").to_numpy(), s)
    return best


def _shared(con: duckdb.DuckDBPyConnection, n: int) -> tuple[np.ndarray[Any, Any], list[Any]]:
    """Per pair, the points of the rare indicators both posted, and what they are."""
    t = con.sql(
        f"""SELECT p.i, sum({INDICATOR} / x.k) AS pts,
                   list({{'kind': x.kind, 'value': x.value, 'accounts': x.k}}
                        ORDER BY x.k, x.kind, x.value) AS what
            FROM {_T}pairs p JOIN {_T}rare x ON x.account = p.a
            JOIN {_T}rare y ON y.account = p.b AND y.kind = x.kind AND y.value = x.value
            GROUP BY p.i"""
    ).to_arrow_table()
    pts = np.zeros(n, dtype=np.float32)
    what: list[Any] = [None] * n
    for i, p, w in zip(
        t.column("i").to_pylist(),
        t.column("pts").to_pylist(),
        t.column("what").to_pylist(),
        strict=True,
    ):
        pts[i] = min(p, INDICATOR_CAP)
        what[i] = w
    return pts, what


def _hours(
    con: duckdb.DuckDBPyConnection, a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """Per pair, the cosine of the UTC hour histograms less the average (nan: too few posts)."""
    hour = "hour(timezone('UTC', time))"
    t = con.sql(
        f"""SELECT account, {hour} AS h, count(*) AS n FROM posts
            WHERE account IN {_accounts_in_pairs(con)} GROUP BY ALL"""
    ).to_arrow_table()
    acc = t.column("account").to_numpy()
    index = {int(x): j for j, x in enumerate(np.unique(acc))}
    hist = np.zeros((len(index) + 1, 24), dtype=np.float32)  # the last row: no account
    rows = np.array([index[int(x)] for x in acc], dtype=np.int64)
    np.add.at(hist, (rows, t.column("h").to_numpy()), t.column("n").to_numpy())
    total = hist.sum(axis=1, keepdims=True)
    share = hist / np.where(total == 0, 1, total)
    every = np.zeros(24, dtype=np.float32)
    for h, c in con.execute(f"SELECT {hour}, count(*) FROM posts GROUP BY 1").fetchall():
        every[int(h)] = c
    every /= max(every.sum(), 1)
    ia = np.array([index.get(int(x), len(index)) for x in a], dtype=np.int64)
    ib = np.array([index.get(int(x), len(index)) for x in b], dtype=np.int64)
    cos = stylometry.cosines(share[ia].astype(np.float32), share[ib].astype(np.float32), every)
    enough = (total[ia, 0] >= MIN_POSTS) & (total[ib, 0] >= MIN_POSTS)
    return np.where(enough, cos, np.nan)


def _style(
    con: duckdb.DuckDBPyConnection, a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """Per pair, the cosine of the style profiles less the average (nan: too little text)."""
    text = "coalesce(text, title, '')"
    t = con.sql(
        f"""SELECT account, string_agg(body, ' ') AS body FROM (
              SELECT account, {text} AS body, row_number() OVER (
                PARTITION BY account ORDER BY time DESC, uid) AS rn
              FROM posts WHERE account IN {_accounts_in_pairs(con)})
            WHERE rn <= {STYLE_POSTS} GROUP BY account"""
    ).to_arrow_table()
    bodies = t.column("body").to_pylist()
    index = {int(x): j for j, x in enumerate(t.column("account").to_pylist())}
    prof = np.zeros((len(index) + 1, stylometry.DIM), dtype=np.float32)
    enough = np.zeros(len(index) + 1, dtype=bool)
    for j, body in enumerate(bodies):
        prof[j] = stylometry.profile([body or ""])
        enough[j] = len(body or "") >= stylometry.MIN_CHARS
    sample = con.execute(
        f"SELECT {text} FROM posts USING SAMPLE reservoir({SAMPLE} ROWS) REPEATABLE (7)"
    ).fetchall()
    background = stylometry.profile([r[0] for r in sample], max_chars=SAMPLE * 500)
    ia = np.array([index.get(int(x), len(index)) for x in a], dtype=np.int64)
    ib = np.array([index.get(int(x), len(index)) for x in b], dtype=np.int64)
    cos = np.zeros(len(ia), dtype=np.float32)
    for lo in range(0, len(ia), 20_000):  # in chunks: a few hundred MB at most
        hi = lo + 20_000
        cos[lo:hi] = stylometry.cosines(prof[ia[lo:hi]], prof[ib[lo:hi]], background)
    return np.where(enough[ia] & enough[ib], cos, np.nan)


@dataclass
class _Scored:
    pairs: pa.Table
    fuzzy: np.ndarray[Any, Any]
    indicators: np.ndarray[Any, Any]
    shared: list[Any]
    hours: np.ndarray[Any, Any]
    style: np.ndarray[Any, Any]
    total: np.ndarray[Any, Any]

    def evidence(self, i: int) -> list[Evidence]:
        """The evidence of pair ``i``, each item with its points."""
        out: list[Evidence] = []
        row = {c: self.pairs.column(c)[i].as_py() for c in ("identical", "normalised", "base")}
        tier: Evidence | None = None
        if row["identical"] is not None:
            tier = Evidence("identical_name", row["identical"], IDENTICAL)
        elif row["normalised"] is not None:
            tier = Evidence("normalised_name", row["normalised"], NORMALISED)
        elif row["base"] is not None:
            tier = Evidence("base_name", row["base"], BASE)
        s = float(self.fuzzy[i])
        fuzzy = Evidence("fuzzy_name", round(s, 3), round(float(_fuzzy_points(s)), 2))
        if tier is not None:  # the names count once: the stronger of the two
            if tier.points >= fuzzy.points:
                fuzzy.points = 0.0
            else:
                tier.points = 0.0
            out.append(tier)
        out.append(fuzzy)
        if self.shared[i]:
            out.append(
                Evidence("shared_indicators", self.shared[i], round(float(self.indicators[i]), 2))
            )
        for name, values, weight in (
            ("active_hours", self.hours, HOURS),
            ("style", self.style, STYLE),
        ):
            v = float(values[i])
            if not np.isnan(v):
                out.append(Evidence(name, round(v, 3), round(weight * max(v, 0.0), 2)))
        return out


def _fuzzy_points(s: float | np.ndarray[Any, Any]) -> Any:
    return FUZZY * np.clip((s - FUZZY_FROM) / (1 - FUZZY_FROM), 0.0, 1.0)


def _score(con: duckdb.DuckDBPyConnection, *, style: bool = True) -> _Scored:
    """Every evidence and the total score of the pairs in ``_alias_pairs``."""
    pairs = con.sql(f"SELECT * FROM {_T}pairs ORDER BY i").to_arrow_table()
    n = pairs.num_rows
    a = pairs.column("a").to_numpy()
    b = pairs.column("b").to_numpy()
    name = np.zeros(n, dtype=np.float32)
    for column, points in (("base", BASE), ("normalised", NORMALISED), ("identical", IDENTICAL)):
        hit = pairs.column(column).is_valid().to_numpy(zero_copy_only=False)
        name = np.where(hit, points, name)
    fuzzy = _fuzzy_scores(con, n)
    indicators, shared = _shared(con, n)
    hours = _hours(con, a, b) if n else np.zeros(0, dtype=np.float32)
    styles = _style(con, a, b) if n and style else np.full(n, np.nan, dtype=np.float32)
    total = (
        np.maximum(name, _fuzzy_points(fuzzy))
        + indicators
        + HOURS * np.clip(np.nan_to_num(hours), 0, None)
        + STYLE * np.clip(np.nan_to_num(styles), 0, None)
    )
    return _Scored(pairs, fuzzy, indicators, shared, hours, styles, np.round(total, 2))


def _drop(con: duckdb.DuckDBPyConnection) -> None:
    for t in ("keys", "blocks", "peak", "sorted", "found", "pairs", "ind", "rare"):
        con.execute(f"DROP TABLE IF EXISTS {_T}{t}")


# -- one actor -------------------------------------------------------------------------------
def resolve(ws: Workspace, who: str | int, source: str | None = None) -> int:
    """The account of ``who``: an account number, ``source_id:author_id``, or an author id or
    display name (any case; ``source`` narrows it). A clear error when none or several match."""
    from groundswell.actors import profiles

    con = ws.store.con
    text = str(who).strip()
    if text.isdigit():
        row = first(con, "SELECT account FROM accounts WHERE account = ?", [int(text)])
        if row is None:
            raise QueryError(f"no account {text}", hint="see `groundswell actors`")
        return int(row[0])
    row = first(con, "SELECT account FROM accounts WHERE source_id || ':' || author_id = ?", [text])
    if row is not None:
        return int(row[0])
    where, params = profiles.named(text, source)
    found = con.execute(
        f"SELECT account, source_id, author_id FROM actors WHERE {where} ORDER BY account", params
    ).fetchall()
    if not found:
        raise QueryError(
            f"no actor {text!r}" + (f" on {source}" if source else ""),
            hint="give an account number, source_id:author_id, or a name `groundswell actors` "
            "lists",
        )
    if len(found) > 1:
        options = ", ".join(f"{s}:{a} (account {n})" for n, s, a in found[:8])
        raise QueryError(
            f"{text!r} is {len(found)} accounts: {options}",
            hint="choose one with --source, source_id:author_id or the account number",
        )
    return int(found[0][0])


def candidates(
    ws: Workspace, who: str | int, *, source: str | None = None, limit: int = 10
) -> list[Candidate]:
    """The accounts on other sources most likely to be ``who`` (an account number,
    ``source_id:author_id``, or an author id or display name; ``source``: the source of
    ``who`` when the name is on several), best first, each with its evidence."""
    from groundswell.actors import profiles

    profiles.ensure(ws)
    account = resolve(ws, who, source)
    con = ws.store.con
    try:
        _load_keys(con)
        _rare(con, account)
        _pairs(con, account, _fuzzy_scan(con, account))
        scored = _score(con)
        info = {
            r[0]: r[1:]
            for r in con.execute(
                f"""SELECT account, source_id, author_id, name, posts, first_seen, last_seen
                    FROM actors WHERE account IN {_accounts_in_pairs(con)}"""
            ).fetchall()
        }
    finally:
        _drop(con)
    decided = {
        (int(r[0]), int(r[1])): str(r[2])
        for r in con.execute(
            "SELECT account_a, account_b, status FROM aliases WHERE ? IN (account_a, account_b)",
            [account],
        ).fetchall()
    }
    out: list[Candidate] = []
    a = scored.pairs.column("a").to_pylist()
    b = scored.pairs.column("b").to_pylist()
    for i in np.argsort(-scored.total, kind="stable"):
        other = b[i] if a[i] == account else a[i]
        if scored.total[i] <= 0 or other not in info:
            continue
        src, author, name, posts, first_seen, last_seen = info[other]
        out.append(
            Candidate(
                account=other, source_id=src, author_id=author, name=name,
                score=float(scored.total[i]), evidence=scored.evidence(int(i)), posts=posts,
                first_seen=first_seen, last_seen=last_seen,
                decision=decided.get((min(account, other), max(account, other))),
            )
        )  # fmt: skip
        if len(out) >= limit:
            break
    return out


# -- the whole population --------------------------------------------------------------------
def _con(ws_or_con: Workspace | duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    if isinstance(ws_or_con, duckdb.DuckDBPyConnection):
        return ws_or_con
    from groundswell.actors import profiles

    profiles.ensure(ws_or_con)
    return ws_or_con.store.con


def pairs(ws_or_con: Workspace | duckdb.DuckDBPyConnection) -> pa.Table:
    """Candidate generation alone: the pairs blocking finds over the whole population
    (columns ``a``, ``b``, and the name or key shared at each tier)."""
    con = _con(ws_or_con)
    try:
        _load_keys(con)
        _rare(con, None)
        _pairs(con, None, [])
        return con.sql(f"SELECT * FROM {_T}pairs ORDER BY i").to_arrow_table()
    finally:
        _drop(con)


def all_candidates(
    ws_or_con: Workspace | duckdb.DuckDBPyConnection, *, top: int = 5, style: bool = True
) -> pa.Table:
    """For every account, its ``top`` candidates on other sources: a table of ``account``,
    ``candidate``, ``score`` (best first per account; pairs scoring 0 left out). ``style``:
    False leaves the style profiles out (the other evidence is set-based and fast)."""
    con = _con(ws_or_con)
    try:
        _load_keys(con)
        _rare(con, None)
        _pairs(con, None, [])
        scored = _score(con, style=style)
    finally:
        _drop(con)
    a = scored.pairs.column("a")
    b = scored.pairs.column("b")
    both = pa.table(
        {
            "account": pa.concat_arrays([a.combine_chunks(), b.combine_chunks()]),
            "candidate": pa.concat_arrays([b.combine_chunks(), a.combine_chunks()]),
            "score": pa.array(np.concatenate([scored.total, scored.total]), pa.float64()),
        }
    )
    con.register("_alias_scored", both)
    try:
        return con.sql(
            f"""SELECT account, candidate, score FROM _alias_scored WHERE score > 0
                QUALIFY row_number() OVER (PARTITION BY account ORDER BY score DESC, candidate)
                        <= {int(top)}
                ORDER BY account, score DESC, candidate"""
        ).to_arrow_table()
    finally:
        con.unregister("_alias_scored")


# -- decisions -------------------------------------------------------------------------------
def _writable(ws: Workspace) -> None:
    if ws.store.read_only:
        raise WorkspaceError(
            "the workspace is open read-only", hint="decisions need a writable workspace"
        )


def _pair_evidence(ws: Workspace, a: int, b: int) -> tuple[float, list[Evidence]]:
    """The score and evidence of one pair, as ``candidates`` would show them."""
    con = ws.store.con
    try:
        _load_keys(con)
        _rare(con, a)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {_T}pairs AS
                WITH k AS (SELECT * FROM {_T}keys WHERE account IN ({a}, {b}))
                SELECT 0 AS i, {a} AS a, {b} AS b,
                  (SELECT max(substr(x.key, 2)) FROM k x JOIN k y USING (key)
                   WHERE x.account = {a} AND y.account = {b} AND x.kind = 0) AS identical,
                  (SELECT max(x.key) FROM k x JOIN k y USING (key)
                   WHERE x.account = {a} AND y.account = {b} AND x.kind = 1 AND y.kind = 1)
                   AS normalised,
                  (SELECT max(x.key) FROM k x JOIN k y USING (key)
                   WHERE x.account = {a} AND y.account = {b} AND x.kind > 0) AS base"""
        )
        scored = _score(con)
        return float(scored.total[0]), scored.evidence(0)
    finally:
        _drop(con)


def decide(
    ws: Workspace, a: str | int, b: str | int, status: str, note: str = ""
) -> dict[str, Any]:
    """Record the analyst's decision on two accounts (``confirmed`` or ``rejected``; an
    account number or ``source_id:author_id`` each), replacing an earlier one, with the pair's
    score and evidence at the time; then recompute the persons. The decision as stored, and
    ``warning`` when a rejected pair is still one person through other confirmed pairs."""
    if status not in STATUSES:
        raise QueryError(f"unknown decision {status!r}", hint="confirmed or rejected")
    _writable(ws)
    x, y = sorted((resolve(ws, a), resolve(ws, b)))
    if x == y:
        raise QueryError(f"{a} and {b} are the same account ({x})")
    from groundswell.actors import profiles

    profiles.ensure(ws)
    score, evidence = _pair_evidence(ws, x, y)
    con = ws.store.con
    with ws.store.transaction():
        con.execute(
            """INSERT OR REPLACE INTO aliases
               (account_a, account_b, status, score, evidence, note, decided_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [x, y, status, score, json.dumps([asdict(e) for e in evidence], default=str),
             note, datetime.now(UTC)],
        )  # fmt: skip
        _regroup(con)
    ws._changed()
    out = next(d for d in decisions(ws) if (d["account_a"], d["account_b"]) == (x, y))
    if status == "rejected" and out["person_a"] is not None and out["person_a"] == out["person_b"]:
        out["warning"] = f"accounts {x} and {y} are still one person through other confirmed pairs"
    return out


def undo(ws: Workspace, a: str | int, b: str | int) -> dict[str, Any]:
    """Remove the decision on two accounts and recompute the persons; the removed decision."""
    _writable(ws)
    x, y = sorted((resolve(ws, a), resolve(ws, b)))
    found = [d for d in decisions(ws) if (d["account_a"], d["account_b"]) == (x, y)]
    if not found:
        raise QueryError(
            f"no decision on accounts {x} and {y}", hint="`groundswell aliases --decisions`"
        )
    con = ws.store.con
    with ws.store.transaction():
        con.execute("DELETE FROM aliases WHERE account_a = ? AND account_b = ?", [x, y])
        _regroup(con)
    ws._changed()
    return found[0]


def decisions(ws: Workspace) -> list[dict[str, Any]]:
    """Every decision, latest first, with both accounts' source, author id and person."""
    return ws.sql(
        """SELECT d.account_a, x.source_id AS source_a, x.author_id AS author_a,
                  x.person AS person_a, d.account_b, y.source_id AS source_b,
                  y.author_id AS author_b, y.person AS person_b, d.status, d.score,
                  d.evidence, d.note, d.decided_at
           FROM aliases d JOIN accounts x ON x.account = d.account_a
           JOIN accounts y ON y.account = d.account_b
           ORDER BY d.decided_at DESC, d.account_a, d.account_b"""
    ).to_pylist()


def groups(pairs: list[tuple[int, int]]) -> dict[int, int]:
    """Union-find over confirmed pairs: each account in a pair to the smallest account of its
    connected group. ``groups([(1, 5), (5, 9), (3, 4)]) == {1: 1, 5: 1, 9: 1, 3: 3, 4: 3}``."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)  # the smaller number is the root
    return {x: root(x) for x in parent}


def _regroup(con: duckdb.DuckDBPyConnection) -> None:
    """Set ``accounts.person`` from the confirmed pairs (null for accounts in none)."""
    confirmed = con.execute(
        "SELECT account_a, account_b FROM aliases WHERE status = 'confirmed'"
    ).fetchall()
    person = groups([(int(a), int(b)) for a, b in confirmed])
    con.execute("UPDATE accounts SET person = NULL WHERE person IS NOT NULL")
    if person:
        mapping = pa.table(
            {
                "account": pa.array(list(person), pa.int32()),
                "person": pa.array(list(person.values()), pa.int32()),
            }
        )
        con.register("_alias_persons", mapping)
        try:
            con.execute(
                """UPDATE accounts SET person = m.person FROM _alias_persons m
                   WHERE accounts.account = m.account"""
            )
        finally:
            con.unregister("_alias_persons")
