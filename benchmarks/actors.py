"""Actor profile rebuild time (target: 10,000,000 posts in under 60 s on 2 cores).

    .venv/bin/python benchmarks/actors.py                      # 1,000,000 posts
    .venv/bin/python benchmarks/actors.py --posts 10000000     # the target size
    .venv/bin/python benchmarks/actors.py --actors 0           # profiles only

Then alias-candidate generation is timed on --actors accounts (default 1,000,000; target under
120 s) with benchmarks/alias_quality.py's synthetic population.

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
import importlib.util
import itertools
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

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
    ap.add_argument(
        "--actors", type=int, default=1_000_000,
        help="actors for the alias-candidate timing (0: skip it)",
    )  # fmt: skip
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
    if args.actors:
        got = alias_quality().generation_time(actors=args.actors)
        print(
            f"alias candidate generation: {got['actors']:,} actors (store built in "
            f"{got['build_s']:.0f} s), {got['pairs']:,} candidate pairs in "
            f"{got['generation_s']:.1f} s"
        )
        print("target: 1,000,000 actors in under 120 s on a 2-core machine")


def alias_quality() -> Any:
    """benchmarks/alias_quality.py as a module (its synthetic population and timing)."""
    spec = importlib.util.spec_from_file_location(
        "alias_quality", ROOT / "benchmarks" / "alias_quality.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (its dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    main()
