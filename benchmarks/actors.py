"""Actor profile rebuild time (target: 10,000,000 posts in under 60 s on 2 cores).

    .venv/bin/python benchmarks/actors.py                      # 1,000,000 posts
    .venv/bin/python benchmarks/actors.py --posts 10000000     # the target size

The store is generated once with DuckDB SQL under bench-data/actors-<posts>/ (the trends
benchmark's shape: 20 sources, 3 years, 12 languages, 30 sections, one indicator per post; and
what profiles also read: 30% of posts reply to an earlier post of their source, 10% quote one
by id and 2% by author name only, 5 sources declare a timezone). The trends benchmark's store
has no replies or quotes, so it is not reused. Authors: 20,000 names per source, so up to
400,000 accounts. Then ``profiles.rebuild`` runs through the public API (every profile, its
replies and quotes received, indicators, and the return events), and the script prints its
wall time, posts per second and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import itertools
import platform
import resource
import time
from pathlib import Path

import duckdb

from groundswell import Workspace
from groundswell.actors import profiles
from groundswell.store.duckdb import fill_accounts

ROOT = Path(__file__).resolve().parent.parent
ZONES = ["Europe/Amsterdam", "America/Chicago", "Asia/Shanghai", "Europe/Moscow", "Asia/Jakarta"]


def build(path: Path, posts: int) -> None:
    """A workspace with synthetic posts (replies and quotes within each source), their
    indicators and their accounts."""
    print(f"generating {posts:,} posts in {path} ...", flush=True)
    t = time.perf_counter()
    zones = ", ".join(f"'{z}'" for z in ZONES)
    with Workspace.init(path) as ws:
        con = ws.store.con
        con.execute(
            f"""
            INSERT INTO sources (source_id, platform, name, timezone, first_time, last_time,
                                 posts)
            SELECT 'forum:F' || i, 'forum', 'F' || i, [{zones}][i + 1],
                   TIMESTAMPTZ '2018-01-01 00:00:00+00', TIMESTAMPTZ '2020-12-31 23:59:59+00',
                   {posts} // 20
            FROM range(20) r(i);
            INSERT INTO posts (uid, source_id, native_id, time, section, parent_id, quotes,
                               author_id, author_name, language, import_id, first_import_id)
            SELECT i, 'forum:F' || s, n::VARCHAR,
                   TIMESTAMPTZ '2018-01-01 00:00:00+00'
                     + to_seconds((n * 94608000 // ({posts} // 20 + 1))::BIGINT),
                   'section ' || (hash(i * 3) % 30),
                   CASE WHEN hash(i * 13) % 10 < 3 AND n > 50 THEN (n - 1 - hash(i) % 50)::VARCHAR
                   END,
                   CASE WHEN hash(i * 13) % 10 = 3 AND n > 50
                          THEN [{{'start': 0, 'end': 20,
                                  'quoted_id': (n - 1 - hash(i) % 50)::VARCHAR,
                                  'quoted_author': NULL}}]
                        WHEN hash(i * 13) % 50 = 49
                          THEN [{{'start': 0, 'end': 20, 'quoted_id': NULL,
                                  'quoted_author': 'User ' || (hash(i * 7) % 20000)}}]
                   END,
                   'a' || a, 'User ' || a,
                   ['en','nl','ru','zh','id','de','fr','es','pt','it','pl','tr'][
                     1 + (hash(i * 11) % 12)::INT],
                   1, 1
            FROM (SELECT i, i % 20 AS s, i // 20 AS n, hash(i * 5) % 20000 AS a
                  FROM range({posts}) r(i))
            ORDER BY 2, 4;
            INSERT INTO indicators (post_uid, source_id, time, field, kind, subkind, value,
                                    in_quote, host, domain, suffix, extension, network)
            SELECT uid, source_id, time, 'text',
                   CASE WHEN hash(uid * 13) % 100 < 6 THEN 'lexicon' ELSE 'url' END,
                   CASE WHEN hash(uid * 13) % 100 < 6 THEN 'covid' END,
                   'https://img' || (hash(uid * 17) % 40) || '.example/' || uid || '.jpg',
                   hash(uid * 19) % 10 = 0,
                   'img' || (hash(uid * 17) % 40) || '.example',
                   'img' || (hash(uid * 17) % 40) || '.example', 'example', 'jpg', 'clearnet'
            FROM posts;
            """
        )
        fill_accounts(con)  # as imports do: the authors' accounts
        con.execute("CHECKPOINT")
    print(f"generated in {time.perf_counter() - t:.0f} s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--posts", type=int, default=1_000_000)
    args = ap.parse_args()
    path = ROOT / "bench-data" / f"actors-{args.posts}"
    if not (path / "groundswell.toml").exists():
        build(path, args.posts)
    print(
        f"machine: {platform.processor() or platform.machine()}, Python "
        f"{platform.python_version()}, DuckDB {duckdb.__version__}"
    )
    with Workspace.open(path) as ws:
        threads = ws.config.store.threads
        memory = ws.config.store.memory_limit
        steps: list[tuple[str, float]] = []
        t = time.perf_counter()
        n = profiles.rebuild(ws, progress=lambda s: steps.append((s, time.perf_counter())))
        seconds = time.perf_counter() - t
        events = ws.sql("SELECT count(*) AS n FROM returns").to_pylist()[0]["n"]
    marks = [*steps, ("end", t + seconds)]
    detail = ", ".join(f"{a} {b - s:.1f} s" for (a, s), (_, b) in itertools.pairwise(marks))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"store: {args.posts:,} posts; DuckDB {threads} threads, memory_limit {memory}")
    print(f"profile rebuild: {n:,} profiles, {events:,} return events")
    print(f"  {seconds:.1f} s, {args.posts / seconds:,.0f} posts/s, peak RSS {rss:,.0f} MB")
    print(f"  steps: {detail}")
    print("target: 10,000,000 posts in under 60 s on a 2-core machine")

    # -- alias candidates ------------------------------------------------------------------
    # (the lead adds the timing of alias-candidate generation on 1,000,000 actors here)


if __name__ == "__main__":
    main()
