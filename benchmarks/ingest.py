"""Ingest throughput and memory: records/s, MB/s and peak RSS, end to end into the store.

    .venv/bin/python benchmarks/ingest.py                 # 2,000,000 records, 3 runs each
    .venv/bin/python benchmarks/ingest.py --records 200000 --runs 1

For each format (generic JSONL; a Reddit comments dump, RC_*.zst) it writes a synthetic
multilingual corpus once under bench-data/, then imports it into a fresh workspace in a child
process, as many times as --runs says, and prints the median time with the peak RSS of the
importing process and of its largest parse worker (large line-based files are parsed by a pool
of worker processes, one per core).
Each import is the whole pipeline: read, decompress, parse, validate, dedupe, merge, commit;
then the search index takes the posts in (``Workspace.sync_index``, which ``import_`` runs
right after storing). Both are timed apart: "records/s" is the store, "indexed/s" the index,
"both/s" the whole ``groundswell import``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import zstandard

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data"
WORDS = {
    "en": "the match was great tonight and the weather is fine for a walk".split(),
    "nl": "de wedstrijd was geweldig vanavond en het weer is mooi".split(),
    "ru": "матч был отличный сегодня и погода хорошая для прогулки".split(),
    "id": "pertandingan malam ini sangat bagus dan cuaca cerah".split(),
    "zh": list("今天晚上的比赛很精彩天气也很好适合去公园散步"),
}
BOARDS = ["General chat", "Russian chat", "Dutch chat", "Uploads", "Help desk"]


def text(rng: random.Random) -> str:
    lang = rng.choice(list(WORDS))
    words = rng.choices(WORDS[lang], k=rng.randint(8, 30))
    body = ("" if lang == "zh" else " ").join(words)
    if rng.random() < 0.3:
        body += f" https://img{rng.randint(1, 9)}.example/f/{rng.getrandbits(40):x}.jpg"
    return body


def write_jsonl(path: Path, n: int) -> None:
    rng = random.Random(1)
    t0 = 1_546_300_800  # 2019-01-01
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            f.write(
                json.dumps(
                    {
                        "id": f"p{i}",
                        "created_at": t0 + i * 3,  # 20M records span about 2 years
                        "author": f"member{rng.randint(1, 20000)}",
                        "board": rng.choice(BOARDS),
                        "thread_id": str(i // 40),
                        "text": text(rng),
                        "likes": rng.randint(0, 50),
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )


def write_reddit(path: Path, n: int) -> None:
    rng = random.Random(2)
    t0 = 1_583_020_800  # 2020-03-01
    cctx = zstandard.ZstdCompressor(level=3)
    with path.open("wb") as raw, cctx.stream_writer(raw) as out:
        for i in range(n):
            rec = {
                "id": f"c{i:x}",
                "author": f"user{rng.randint(1, 50000)}",
                "subreddit": rng.choice(["datasets", "football", "cooking", "Netherlands"]),
                "body": text(rng),
                "score": rng.randint(-5, 500),
                "edited": False,
                "created_utc": t0 + i if i % 2 else str(t0 + i),
                "link_id": f"t3_{i // 50:x}",
                "parent_id": f"t3_{i // 50:x}",
                "retrieved_on": t0 + 86_400 * 30,
            }
            out.write((json.dumps(rec, ensure_ascii=False) + "\n").encode())


CHILD = """
import json, resource, sys, time
from groundswell import ImportOptions, Workspace
fmt, path, ws_dir = sys.argv[1:4]
with Workspace.init(ws_dir) as ws:
    start = time.perf_counter()
    opts = ImportOptions(source="bench") if fmt == "jsonl" else ImportOptions()
    [r] = ws.import_(fmt, [path], options=opts, index=False)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    ws.sync_index()
    index_seconds = time.perf_counter() - start
    stored = ws.sql("SELECT count(*) AS n FROM posts").to_pylist()[0]["n"]
print(json.dumps({"seconds": seconds, "index_seconds": index_seconds,
                  "records": r.records_new, "stored": stored,
                  "bytes": r.bytes_read, "status": r.status,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def run_once(fmt: str, path: Path) -> dict[str, float]:
    ws_dir = DATA / f"ws-{fmt}"
    shutil.rmtree(ws_dir, ignore_errors=True)
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CHILD), fmt, str(path), str(ws_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    shutil.rmtree(ws_dir, ignore_errors=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=2_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--formats", default="jsonl,reddit")
    args = ap.parse_args()
    DATA.mkdir(exist_ok=True)
    files = {
        "jsonl": DATA / f"posts-{args.records}.jsonl",
        "reddit": DATA / f"RC_2020-03-{args.records}.zst",
    }
    writers = {"jsonl": write_jsonl, "reddit": write_reddit}
    info = Path("/proc/cpuinfo")
    lines = info.read_text().splitlines() if info.exists() else []
    cpu = next(
        (x.split(":", 1)[1].strip() for x in lines if x.startswith("model name")),
        platform.processor(),
    )
    print(
        f"machine: {os.cpu_count()} cores, {cpu}; Python {platform.python_version()}, "
        f"DuckDB {duckdb.__version__}"
    )
    print(f"records: {args.records:,} per file; median of {args.runs} run(s)\n")
    header = (
        f"{'format':<8} {'file MB':>9} {'seconds':>8} {'records/s':>11} {'MB/s':>7} "
        f"{'peak RSS MB':>12} {'worker RSS MB':>14} {'indexed/s':>10} {'both/s':>8}"
    )
    print(header)
    print("-" * len(header))
    for fmt in args.formats.split(","):
        path = files[fmt]
        if not path.exists():
            print(f"(writing {path.name} ...)", file=sys.stderr)
            writers[fmt](path, args.records)
        runs = [run_once(fmt, path) for _ in range(args.runs)]
        for r in runs:
            assert r["status"] == "completed" and r["stored"] == args.records, r
        secs = statistics.median(r["seconds"] for r in runs)
        index_secs = statistics.median(r["index_seconds"] for r in runs)
        mb = path.stat().st_size / 1e6
        rss = max(r["peak_rss_mb"] for r in runs)
        worker = max(r["worker_rss_mb"] for r in runs)
        print(
            f"{fmt:<8} {mb:>9,.0f} {secs:>8.1f} {args.records / secs:>11,.0f} "
            f"{mb / secs:>7.1f} {rss:>12,.0f} {worker:>14,.0f} "
            f"{args.records / index_secs:>10,.0f} {args.records / (secs + index_secs):>8,.0f}"
        )


if __name__ == "__main__":
    main()
