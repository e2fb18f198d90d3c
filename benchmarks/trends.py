"""Trend query latency on 10,000,000 posts, their indicators, and a 5,000,000-row event table.

    .venv/bin/python benchmarks/trends.py                    # 10M posts, 5M calls, 7 runs
    .venv/bin/python benchmarks/trends.py --posts 1000000 --calls 500000 --runs 3
    .venv/bin/python benchmarks/trends.py --layout random   # posts stored in no order

The store is generated once with DuckDB SQL under bench-data/trends-<posts>-<calls>/ (20 sources
with coverage spans, 3 years, 12 languages, 400,000 authors each posting on one source, so
400,000 accounts; one indicator row per post on average:
URLs on 40 hosts with file extensions, lexicon hits on 6% of posts; calls with queue and
assignment times, 3 priorities and 12 precincts). Posts are stored as imports store them: by
source, then time (--layout random: in no order, the worst case for the bitmaps that count
distinct authors, whose cost is memory access). Each metric then runs through the public API
(``Workspace.trend``: Ibis compilation, the DuckDB query, coverage, the series grid) and the
median wall time of --runs runs is printed, after one warm-up run.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import duckdb

from groundswell import Metric, Workspace, parse_filters
from groundswell.store.duckdb import fill_accounts

ROOT = Path(__file__).resolve().parent.parent

METRICS = {
    "weekly count by source": Metric(period="week", by=("source",)),
    "monthly distinct authors by language": Metric(
        measure="distinct", column="author_id", period="month", by=("language",)
    ),
    "daily lexicon-hit count by source": Metric(
        table="indicators", period="day", by=("source",), where=parse_filters(["lexicon = covid"])
    ),
    "top 10 domains of .jpg links by month": Metric(
        table="indicators",
        period="month",
        by=("domain",),
        top=10,
        where=parse_filters(["kind = url", "extension = jpg"]),
    ),
    "weekly p90 queue-to-assign minutes (calls)": Metric(
        table="calls", measure="p90", duration=("queued_at", "assigned_at"), period="week"
    ),
}


def build(path: Path, posts: int, calls: int, layout: str = "import") -> None:
    """A workspace with synthetic posts, indicators, coverage and an event table. Layout
    ``import``: the posts stored as imports of per-source chronological exports store them
    (by source, then time); ``random``: in no order (every row a random time and author)."""
    print(f"generating {posts:,} posts and {calls:,} calls in {path} ...", flush=True)
    order = "ORDER BY 2, 4" if layout == "import" else ""
    t = time.perf_counter()
    with Workspace.init(path) as ws:
        con = ws.store.con
        con.execute(
            f"""
            INSERT INTO sources (source_id, platform, name, first_time, last_time, posts)
            SELECT 'forum:F' || i, 'forum', 'F' || i, TIMESTAMPTZ '2018-01-01 00:00:00+00',
                   TIMESTAMPTZ '2020-12-31 23:59:59+00', {posts} // 20
            FROM range(20) r(i);
            INSERT INTO coverage
            SELECT 'forum:F' || i, 1, TIMESTAMPTZ '2018-01-01 00:00:00+00',
                   TIMESTAMPTZ '2020-12-31 23:59:59+00', 'declared' FROM range(20) r(i);
            INSERT INTO posts (uid, source_id, native_id, time, section, author_id, language,
                               import_id, first_import_id)
            SELECT i, 'forum:F' || (a % 20), i::VARCHAR,
                   TIMESTAMPTZ '2018-01-01 00:00:00+00'
                     + to_seconds((hash(i * 7) % 94608000)::BIGINT),
                   'section ' || (hash(i * 3) % 30),
                   'a' || a,
                   ['en','nl','ru','zh','id','de','fr','es','pt','it','pl','tr'][
                     1 + (hash(i * 11) % 12)::INT],
                   1, 1
            FROM (SELECT i, hash(i * 5) % 400000 AS a FROM range({posts}) r(i))
            {order};
            INSERT INTO indicators (post_uid, source_id, time, field, kind, subkind, value,
                                    in_quote, host, domain, suffix, extension, network)
            SELECT uid, source_id, time, 'text',
                   CASE WHEN hash(uid * 13) % 100 < 6 THEN 'lexicon' ELSE 'url' END,
                   CASE WHEN hash(uid * 13) % 100 < 6 THEN 'covid' END,
                   'https://img' || (hash(uid * 17) % 40) || '.example/' || uid || '.jpg',
                   hash(uid * 19) % 10 = 0,
                   'img' || (hash(uid * 17) % 40) || '.example',
                   'img' || (hash(uid * 17) % 40) || '.example', 'example',
                   ['jpg','jpg','jpg','png','gif','zip','mp4'][1 + (hash(uid * 23) % 7)::INT],
                   'clearnet'
            FROM posts;
            CREATE TABLE ev_calls AS
            SELECT i::VARCHAR AS call_id, q AS queued_at,
                   q + to_seconds((60 + hash(i * 3) % 3000)::BIGINT) AS assigned_at,
                   1 + (hash(i * 5) % 3)::BIGINT AS priority,
                   'P' || (hash(i * 7) % 12) AS precinct, 1::BIGINT AS _import_id
            FROM (SELECT i, TIMESTAMPTZ '2018-01-01 00:00:00+00'
                            + to_seconds((hash(i) % 94608000)::BIGINT) AS q
                  FROM range({calls}) r(i));
            INSERT INTO event_tables VALUES ('calls', 'ev_calls', 'queued_at', 'UTC',
                                             ['call_id'], {calls}, now(), now());
            """
        )
        fill_accounts(con)  # as imports do: the authors' accounts
        con.execute("CHECKPOINT")
    print(f"generated in {time.perf_counter() - t:.0f} s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--posts", type=int, default=10_000_000)
    ap.add_argument("--calls", type=int, default=5_000_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument(
        "--layout",
        choices=("import", "random"),
        default="import",
        help="posts stored by source then time, as imports store them (default), or in "
        "random order (the worst case for counting distinct authors)",
    )
    args = ap.parse_args()
    suffix = "" if args.layout == "import" else "-random"
    path = ROOT / "bench-data" / f"trends-{args.posts}-{args.calls}{suffix}"
    if not (path / "groundswell.toml").exists():
        build(path, args.posts, args.calls, args.layout)
    print(
        f"machine: {platform.processor() or platform.machine()}, Python "
        f"{platform.python_version()}, DuckDB {duckdb.__version__}"
    )
    print(
        f"store: {args.posts:,} posts ({args.layout} layout) and their indicators; "
        f"{args.calls:,} calls\n"
    )
    print(f"{'metric':45s} {'median ms':>10s} {'min ms':>8s} {'points':>8s}")
    with Workspace.open(path, read_only=True) as ws:
        for label, metric in METRICS.items():
            ws.trend(metric)  # warm-up
            times = []
            for _ in range(args.runs):
                t = time.perf_counter()
                series = ws.trend(metric)
                times.append((time.perf_counter() - t) * 1000)
            points = series.values.size
            print(f"{label:45s} {statistics.median(times):10.0f} {min(times):8.0f} {points:8,}")
    print("\ntarget: each under 300 ms on a 2-core machine")


if __name__ == "__main__":
    main()
