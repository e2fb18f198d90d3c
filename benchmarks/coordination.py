"""Coordination: detection speed on a million shares, and quality on planted campaigns.

    .venv/bin/python benchmarks/coordination.py                  # speed: 1,000,000 shares
    .venv/bin/python benchmarks/coordination.py --hot            # one object shared 100,000
                                                                 # times in a day
    .venv/bin/python benchmarks/coordination.py --qut /tmp/qut/bin/python   # beside QUT
    .venv/bin/python benchmarks/coordination.py --quality --scale 1         # precision, recall

**Speed.** Synthetic shares as NumPy arrays: ``--shares`` (1,000,000) shares by
``--accounts`` (50,000, uniform), of ``--objects`` (200,000) with Zipf-like popularity
(P(rank r) proportional to 1/r), at uniform times over ``--days`` (30). ``--hot`` gives 100,000
of them to one object within one day (about 69 others within 60 s of each share, some seven
million pairs where a self-join would compare five billion). The steps are timed apart, as a
detection runs them: ``Shares.of`` (sorting), ``co_shares`` (the sliding window),
``network`` (the edges and their filters) and ``detect.communities`` (components and Leiden).
The default settings keep every edge (minimum participation and weight 1), the heaviest
network and the one the QUT toolkit's ``--min_edge_weight 1`` builds; ``--min-participation
2 --min-weight 2`` are the settings docs/coordination.md recommends. Target: the whole under
30 s on 2 cores (the QUT coordination-network-toolkit took 46 s here for the same size).

``--qut PYTHON`` runs the QUT toolkit (``/tmp/research/qut_run.py``, its ``co_link`` network,
``--min_edge_weight 1``) on the same shares written as CSV, and prints its time beside ours
and whether the edges agree. QUT's network is directed: the weight of ``u1 -> u2`` counts the
messages of ``u1`` with a message of ``u2`` on the same object within the window (both
inclusive, /tmp/research/tools.md); the same figure is read from our network and compared
row by row (``posts_a`` and ``posts_b`` of every edge).

**Quality.** ``--quality`` writes the planted corpus of ``tests/coordination/planted.py`` at
``--scale``, imports it into a temporary workspace, runs one detection per kind of campaign
with the recommended settings, and prints recall and cohesion per campaign, precision over
every flagged account, and the decoy and very active accounts flagged (both should be 0).
For contrast it also prints what looser settings flag, and all traces in one detection (a
post with the event's link and hashtag is two objects for each pair of decoys; with weight
``posts`` it is one).
Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from groundswell import Workspace
from groundswell.coordination.detect import communities
from groundswell.coordination.network import Settings, network
from groundswell.coordination.pairs import Pairs, Shares, co_shares
from tests.coordination import planted

QUT_RUN = Path("/tmp/research/qut_run.py")
START = 1_704_067_200  # 2024-01-01T00:00:00Z
HOT_SHARES = 100_000


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> str:
    import duckdb

    cpu = platform.processor() or platform.machine()
    return (
        f"machine: {os.cpu_count()} cores, {cpu}; Python {platform.python_version()}, "
        f"NumPy {np.__version__}, DuckDB {duckdb.__version__}"
    )


def synthetic(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """account, object and time columns (in no particular order)."""
    rng = np.random.default_rng(args.seed)
    n = args.shares
    weights = 1.0 / np.arange(1, args.objects + 1)
    cdf = np.cumsum(weights) / weights.sum()
    obj = np.minimum(np.searchsorted(cdf, rng.random(n)), args.objects - 1).astype(np.int64)
    account = rng.integers(0, args.accounts, n, dtype=np.int64)
    time_ = START + rng.integers(0, int(args.days * 86400), n, dtype=np.int64)
    if args.hot:  # the first HOT_SHARES shares: one more object, all on one day
        k = min(HOT_SHARES, n)
        obj[:k] = args.objects
        time_[:k] = START + 86400 + rng.integers(0, 86400, k, dtype=np.int64)
    return account, obj, time_


def speed(args: argparse.Namespace) -> None:
    print(machine())
    account, obj, time_ = synthetic(args)
    hot = f", one object with {min(HOT_SHARES, args.shares):,} shares in a day" if args.hot else ""
    print(
        f"{args.shares:,} shares by {args.accounts:,} accounts of {args.objects:,} objects "
        f"(Zipf) over {args.days:g} days{hot}; RSS after generating {rss_mb():,.0f} MB"
    )
    settings = Settings(
        window=args.window,
        min_participation=args.min_participation,
        min_weight=args.min_weight,
    )
    print(f"settings: {settings.describe()}")
    steps: list[tuple[str, float]] = []
    t = time.perf_counter()
    shares = Shares.of(account, obj, time_)
    steps.append(("Shares.of", time.perf_counter() - t))
    t = time.perf_counter()
    pairs = co_shares(shares, args.window)
    steps.append(("co_shares", time.perf_counter() - t))
    t = time.perf_counter()
    net = network(shares, pairs, settings)
    steps.append(("network", time.perf_counter() - t))
    t = time.perf_counter()
    cluster, community = communities(net.edges)
    steps.append(("communities", time.perf_counter() - t))
    total = sum(s for _, s in steps)
    for name, seconds in steps:
        print(f"  {name:<12} {seconds:8.2f} s")
    print(f"  {'total':<12} {total:8.2f} s   ({args.shares / total:,.0f} shares/s)")
    if args.hot:
        in_hot = int(np.count_nonzero(shares.obj[pairs.first] == args.objects))
        k = min(HOT_SHARES, args.shares)
        print(f"pairs of the hot object {in_hot:,} (all pairs of its shares: {k * (k - 1) // 2:,})")
    print(
        f"pairs found {len(pairs):,}; edges kept {net.edges.num_rows:,} between "
        f"{len(cluster):,} accounts in {len(set(cluster.values())):,} clusters and "
        f"{len(set(community.values())):,} communities; peak RSS {rss_mb():,.0f} MB"
    )
    if args.qut:
        compare_qut(args, shares, pairs, total)


def directed_weights(shares: Shares, pairs: Pairs, window: int) -> dict[tuple[int, int], int]:
    """QUT's directed weights from our network: ``u1 -> u2`` counts the posts of ``u1`` with
    a co-share by ``u2`` (the edge's ``posts_a`` and ``posts_b``), every edge kept."""
    every = Settings(window=window, min_participation=1, min_weight=1)
    e = network(shares, pairs, every).edges
    a, b = e["a"].to_pylist(), e["b"].to_pylist()
    out = dict(zip(zip(a, b, strict=True), e["posts_a"].to_pylist(), strict=True))
    out.update(zip(zip(b, a, strict=True), e["posts_b"].to_pylist(), strict=True))
    return out


def compare_qut(args: argparse.Namespace, shares: Shares, pairs: Pairs, ours: float) -> None:
    if not QUT_RUN.exists():
        print(f"QUT: {QUT_RUN} is missing; no comparison")
        return
    with tempfile.TemporaryDirectory(prefix="qut-bench-") as tmp:
        src, out = Path(tmp) / "shares.csv", Path(tmp) / "edges.csv"
        with src.open("w", newline="") as f:  # rows in post order: message id = post
            w = csv.writer(f)
            w.writerow(["account", "object", "time"])
            order = np.argsort(shares.post)
            for a, o, t in zip(
                shares.account[order].tolist(),
                shares.obj[order].tolist(),
                shares.time[order].tolist(),
                strict=True,
            ):
                w.writerow((f"a{a}", f"https://site{o % 997}.example/p/{o}", t))
        cmd = [
            args.qut,
            str(QUT_RUN),
            str(src),
            "--kind",
            "link",
            "--time_window",
            str(args.window),
            "--min_edge_weight",
            "1",
            "--n_cpus",
            str(os.cpu_count() or 2),
            "--timing",
            "--out",
            str(out),
        ]
        t = time.perf_counter()
        run = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.perf_counter() - t
        if run.returncode:
            print(f"QUT failed ({run.returncode}): {run.stderr.strip()[-500:]}")
            return
        timing = [line for line in run.stderr.splitlines() if line.startswith("load=")]
        with out.open(newline="") as f:
            rows = list(csv.reader(f))[1:]
    qut = {(int(a[1:]), int(b[1:])): int(w) for a, b, w in rows}
    mine = directed_weights(shares, pairs, args.window)
    same = sum(1 for k, v in qut.items() if mine.get(k) == v)
    undirected_q = {(min(a, b), max(a, b)) for a, b in qut}
    undirected_m = {(min(a, b), max(a, b)) for a, b in mine}
    print(
        f"QUT co_link: {seconds:.1f} s ({timing[0] if timing else 'no timing'}) against ours "
        f"{ours:.1f} s"
    )
    print(
        f"edges: QUT {len(qut):,} directed rows, ours {len(mine):,}; equal weights {same:,}; "
        f"agree: {'yes' if qut == mine else 'NO'}; account pairs {len(undirected_q):,} and "
        f"{len(undirected_m):,}, {'the same' if undirected_q == undirected_m else 'DIFFERENT'}"
    )


def quality(args: argparse.Namespace) -> None:
    print(machine())
    settings = Settings(
        window=args.window, min_participation=args.min_participation, min_weight=args.min_weight
    )
    with tempfile.TemporaryDirectory(prefix="planted-") as tmp:
        path = Path(tmp) / "planted.jsonl"
        t = time.perf_counter()
        truth = planted.generate(path, scale=args.scale, seed=args.seed)
        generated = time.perf_counter() - t
        print(
            f"planted corpus, scale {args.scale:g}, seed {args.seed}: {truth.posts:,} posts, "
            f"{truth.ordinary:,} ordinary accounts ({len(truth.decoys):,} of them decoys in "
            f"{len(planted.EVENTS)} events), {len(truth.active)} very active, "
            f"{len(truth.coordinated())} in {len(truth.campaigns)} campaigns "
            f"({generated:.1f} s)"
        )
        with Workspace.init(Path(tmp) / "ws") as ws:
            t = time.perf_counter()
            ws.import_("jsonl", [path])
            print(f"imported in {time.perf_counter() - t:.1f} s")
            t = time.perf_counter()
            score = planted.evaluate(truth, planted.detect(ws, settings))
            print(f"detected in {time.perf_counter() - t:.1f} s, {settings.describe()}")
            kinds = ", ".join(f"{k}: {'+'.join(v)}" for k, v in planted.KIND_TRACES.items())
            print(f"traces per kind: {kinds}")
            print()
            for line in planted.table(score):
                print(line)
            if score.decoys_flagged or score.active_flagged or score.others_flagged:
                flagged = score.decoys_flagged + score.active_flagged + score.others_flagged
                print("flagged by mistake:", ", ".join(flagged))
            print("\nfor contrast:")
            loose = Settings(window=args.window, min_participation=1, min_weight=1)
            every = sorted(set().union(*planted.KIND_TRACES.values()))
            contrast = [
                ("min participation and weight 1", planted.detect(ws, loose)),
                ("all traces in one detection", {"all": ws.coordination(every, settings)}),
                (
                    "the same, weight posts",
                    {"all": ws.coordination(every, replace(settings, weight="posts"))},
                ),
            ]
            for label, results in contrast:
                s = planted.evaluate(truth, results)
                print(
                    f"  {label}: precision {s.precision:.3f}, recall {s.recall:.3f}, decoys "
                    f"flagged {len(s.decoys_flagged)}, very active {len(s.active_flagged)}, "
                    f"other ordinary {len(s.others_flagged)}"
                )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.split("\n")[1:]) if __doc__ else None,
    )
    p.add_argument("--quality", action="store_true", help="the planted corpus, not speed")
    p.add_argument("--shares", type=int, default=1_000_000)
    p.add_argument("--accounts", type=int, default=50_000)
    p.add_argument("--objects", type=int, default=200_000)
    p.add_argument("--days", type=float, default=30)
    p.add_argument("--hot", action="store_true", help="one object shared 100,000 times a day")
    p.add_argument("--window", type=int, default=60, help="seconds (default 60)")
    p.add_argument("--min-participation", type=int, default=None)
    p.add_argument("--min-weight", type=int, default=None)
    p.add_argument("--qut", metavar="PYTHON", help="the QUT toolkit's Python, to compare")
    p.add_argument("--scale", type=float, default=1.0, help="planted corpus size (--quality)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    # speed keeps every edge by default (as QUT's --min_edge_weight 1); quality recommends 2
    least = 2 if args.quality else 1
    args.min_participation = args.min_participation or least
    args.min_weight = args.min_weight or least
    if args.quality:
        quality(args)
    else:
        speed(args)


if __name__ == "__main__":
    main()
