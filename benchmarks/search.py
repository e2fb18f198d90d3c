"""Full-text search on 10,000,000 posts: index build rate, index size, query latency.

    .venv/bin/python benchmarks/search.py                     # 10M posts, 50 runs per query
    .venv/bin/python benchmarks/search.py --posts 1000000 --runs 20

The store is generated once with DuckDB SQL under bench-data/search-<posts>/: 20 sources over
3 years; 90% of the posts are 12 to 40 words drawn log-uniformly from a 20,000-word made-up
vocabulary (so a few words are very common and most are rare), with "stay at home" planted in
1%; 10% are Chinese, runs of 8 to 30 characters from 300 common ones without spaces, with 疫情
planted in a fifth of them. The index is then rebuilt from the store (``Workspace.
rebuild_index``: reading the posts and their indicators from DuckDB, building documents,
tantivy's writer on both cores) and timed.

Each query runs through ``Workspace.search`` (parse, filter, top 20 by relevance, snippets
made from the store's text, no facet counts) with a one-year date range starting at a random
day and hour, so that it cuts the months at both ends (``--whole-months``: from the first of a
month); the median and p95 of --runs runs are printed after a warm-up. The same queries with
facet counts, and the search-to-weekly-series (``Workspace.trend`` of a metric whose filter is
``search = ...``, over all three years), are printed beside them.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from groundswell import Metric, Workspace, parse_filters
from groundswell.search.results import SearchFilters

ROOT = Path(__file__).resolve().parent.parent
SYLLABLES = [
    "ka", "lo", "mi", "ra", "te", "su", "ven", "dor", "al", "is", "ne", "po", "gra", "tu",
    "bel", "an", "or", "li", "sa", "mo", "ki", "den", "fa", "ru", "zo", "hu", "pe", "ti",
]  # fmt: skip
HAN = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子"
    "说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当"
    "使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你"
    "明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果"
    "料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农"
    "指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济"
)


def vocabulary() -> list[str]:
    rng = random.Random(7)
    words: set[str] = set()
    while len(words) < 20_000:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words, key=lambda w: (len(w), w))


def build(path: Path, posts: int) -> None:
    print(f"generating {posts:,} posts in {path} ...", flush=True)
    t = time.perf_counter()
    vocab = vocabulary()
    with Workspace.init(path) as ws:
        con = ws.store.con
        con.execute("CREATE TEMP TABLE vocab AS SELECT unnest(?) AS w", [vocab])
        con.execute("CREATE TEMP TABLE v AS SELECT list(w ORDER BY rowid) AS ws FROM vocab")
        con.execute(
            f"""
            INSERT INTO sources (source_id, platform, name, first_time, last_time, posts)
            SELECT 'forum:F' || i, 'forum', 'F' || i, TIMESTAMPTZ '2018-01-01 00:00:00+00',
                   TIMESTAMPTZ '2020-12-31 23:59:59+00', {posts} // 20
            FROM range(20) r(i);
            INSERT INTO imports (import_id, path, importer, importer_version, options, target,
                                 started_at, status)
            VALUES (1, 'bench', 'sql', '1', '{{}}', 'posts', now(), 'completed');
            INSERT INTO posts (uid, source_id, native_id, time, section, author_id, language,
                               text, import_id, first_import_id)
            SELECT i, 'forum:F' || (hash(i) % 20), i::VARCHAR,
                   TIMESTAMPTZ '2018-01-01 00:00:00+00'
                     + to_seconds((hash(i * 7) % 94608000)::BIGINT),
                   'section ' || (hash(i * 3) % 30),
                   'a' || (hash(i * 5) % 400000),
                   CASE WHEN hash(i * 11) % 10 = 0 THEN 'zh' ELSE 'en' END,
                   CASE WHEN hash(i * 11) % 10 = 0 THEN
                     array_to_string(list_transform(range(8 + (hash(i * 13) % 23)::INT),
                       lambda x: substr('{HAN}', 1 + (hash(i * 97 + x) % {len(HAN)})::INT, 1)), '')
                     || CASE WHEN hash(i * 17) % 5 = 0 THEN '疫情' ELSE '' END
                     || array_to_string(list_transform(range(4),
                       lambda x: substr('{HAN}', 1 + (hash(i * 89 + x) % {len(HAN)})::INT, 1)), '')
                   ELSE
                     array_to_string(list_transform(range(12 + (hash(i * 13) % 29)::INT),
                       lambda x: v.ws[
                         (floor(pow(20000.0, (hash(i * 101 + x) % 1000000) / 1e6)))::INT]),
                       ' ')
                     || CASE WHEN hash(i * 17) % 100 = 0 THEN ' stay at home' ELSE '' END
                   END,
                   1, 1
            FROM range({posts}) r(i), v
            """
        )
    print(f"  generated in {time.perf_counter() - t:.0f} s", flush=True)


def size_mb(path: Path) -> float:
    if not path.exists():
        return 0.0
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6


def timed(fn, runs: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    fn(0)
    times = []
    for i in range(runs):
        t = time.perf_counter()
        fn(i + 1)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * len(times)) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--posts", type=int, default=10_000_000)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--keep-index", action="store_true", help="do not rebuild the index")
    ap.add_argument("--whole-months", action="store_true", help="ranges from the first of a month")
    args = ap.parse_args()
    path = ROOT / "bench-data" / f"search-{args.posts}"
    if not (path / "groundswell.toml").exists():
        build(path, args.posts)
    print(f"machine: {platform.machine()}, {platform.python_version()}")
    with Workspace.open(path) as ws:
        if not args.keep_index or ws.index.documents != args.posts:
            t = time.perf_counter()
            ws.rebuild_index()
            build_s = time.perf_counter() - t
            store_mb = size_mb(ws.path / "store.duckdb") + size_mb(ws.path / "store.duckdb.wal")
            print(
                f"index build: {args.posts:,} posts in {build_s:.0f} s = "
                f"{args.posts / build_s:,.0f} posts/s; index size "
                f"{size_mb(ws.path / 'index'):,.0f} MB (store {store_mb:,.0f} MB)",
                flush=True,
            )
        vocab = vocabulary()
        queries = {
            "single term (common)": vocab[3],
            "single term (rare)": vocab[5000],
            "two-term AND": f"{vocab[30]} {vocab[300]}",
            "phrase": '"stay at home"',
            "Chinese two characters": "疫情",
        }
        rng = random.Random(1)
        windows = []
        for _ in range(args.runs + 1):
            y, m, d, h = 2018 + rng.randint(0, 1), rng.randint(1, 12), 1, 0
            if not args.whole_months:  # a range that cuts the months at its ends
                d, h = rng.randint(1, 28), rng.randint(0, 23)
            windows.append((datetime(y, m, d, h, tzinfo=UTC), datetime(y + 1, m, d, h, tzinfo=UTC)))
        print(
            f"\n{'query (one-year range, top 20, snippets)':<44}{'hits':>10}{'median ms':>11}"
            f"{'p95 ms':>9}{'+facets p95':>13}"
        )
        for name, q in queries.items():
            hits = ws.search(q, SearchFilters(*windows[0]), facets=False).total
            med, p95 = timed(
                lambda i, q=q: ws.search(q, SearchFilters(*windows[i]), facets=False), args.runs
            )
            _, f95 = timed(
                lambda i, q=q: ws.search(q, SearchFilters(*windows[i])), max(5, args.runs // 5)
            )
            print(f"{name + ' ' + q:<44}{hits:>10,}{med:>11.1f}{p95:>9.1f}{f95:>13.1f}")
        metric = Metric(period="week", where=parse_filters([f"search = {vocab[3]}"]))
        med, p95 = timed(lambda i: ws.trend(metric), max(5, args.runs // 5))
        print(
            f"\nsearch-to-weekly-series ({vocab[3]}, 3 years): "
            f"median {med:.0f} ms, p95 {p95:.0f} ms"
        )


if __name__ == "__main__":
    main()
