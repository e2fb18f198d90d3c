"""A 911-style dispatch log as CSV (an event table: ``ws.import_table``).

``dispatch/calls.csv``: ``call_id, queued_at, assigned_at, arrived_at, priority, precinct,
call_type``; times are naive local America/Chicago wall-clock times (``2020-03-01 14:05:00``),
never in the skipped hour of spring; ``arrived_at`` is empty for the few calls cancelled before
a unit arrived. Weekly volume stays flat while the time from queue to assignment rises from
February 2020 (see ``scenario.assign_factor``).
"""

from __future__ import annotations

import csv
import io
import math
import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from groundswell.demo import scenario as sc
from groundswell.demo.common import DATES, DAYS, END, START, Build

PRECINCTS = [
    ("Northside", 0.22, 0.92),
    ("Riverside", 0.20, 1.0),
    ("Downtown", 0.25, 0.88),
    ("Eastgate", 0.17, 1.12),
    ("Westfield", 0.16, 1.10),
]  # name, share, speed factor
CALL_TYPES = {
    1: ["Medical emergency", "Traffic collision with injury", "Fire alarm", "Missing child"],
    2: ["Traffic collision", "Disturbance", "Alarm", "Suspicious vehicle", "Welfare check"],
    3: [
        "Noise complaint",
        "Theft report",
        "Parking complaint",
        "Lost property",
        "Animal complaint",
    ],
}
TRAVEL = {1: 360.0, 2: 600.0, 3: 900.0}
CALL_HOURS = [3, 2, 2, 1, 1, 2, 3, 4, 5, 6, 6, 7, 7, 7, 7, 8, 8, 8, 8, 7, 6, 5, 4, 3]
SPRING_FORWARD = {date(2019, 3, 10), date(2020, 3, 8)}  # America/Chicago


def _lognormal(rng: random.Random, mean: float, sigma: float = 0.55) -> float:
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)


def write_dispatch(b: Build) -> dict[str, Any]:
    rng = b.rng("dispatch")
    rows: list[tuple[datetime, int, str, str, int, int, bool]] = []
    hours_cum = [sum(CALL_HOURS[: i + 1]) for i in range(24)]
    pshare = [p[1] for p in PRECINCTS]
    per_day = sc.CALLS_PER_WEEK / 7 * b.scale
    dow = [0.96, 0.95, 0.97, 0.99, 1.05, 1.06, 1.02]
    for i in range(DAYS):
        d = DATES[i]
        x = per_day * dow[d.weekday()] * rng.uniform(0.93, 1.07)
        n = int(x) + (rng.random() < x - int(x))
        for h in rng.choices(range(24), cum_weights=hours_cum, k=n):
            if h == 2 and d in SPRING_FORWARD:
                h = 3
            queued = datetime(d.year, d.month, d.day, h, rng.randrange(60), rng.randrange(60))
            pri = rng.choices((1, 2, 3), (0.2, 0.4, 0.4))[0]
            pi = rng.choices(range(5), pshare)[0]
            mean = sc.ASSIGN_BASE[pri] * PRECINCTS[pi][2] * sc.assign_factor(d, pri)
            assign = max(15, round(_lognormal(rng, mean)))
            travel = max(30, round(_lognormal(rng, TRAVEL[pri], 0.45)))
            rows.append(
                (
                    queued,
                    pri,
                    PRECINCTS[pi][0],
                    rng.choice(CALL_TYPES[pri]),
                    assign,
                    travel,
                    rng.random() < 0.02,
                )
            )
    rows.sort(key=lambda r: r[0])

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        ["call_id", "queued_at", "assigned_at", "arrived_at", "priority", "precinct", "call_type"]
    )
    fmt = "%Y-%m-%d %H:%M:%S"
    seq: dict[int, int] = defaultdict(int)
    month_sum: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0.0, 0])
    week_count: dict[str, int] = defaultdict(int)
    for queued, pri, precinct, ctype, assign, travel, cancelled in rows:
        seq[queued.year] += 1
        assigned = queued + timedelta(seconds=assign)
        arrived = "" if cancelled else (assigned + timedelta(seconds=travel)).strftime(fmt)
        w.writerow(
            [
                f"CFS-{queued.year}-{seq[queued.year]:06d}",
                queued.strftime(fmt),
                assigned.strftime(fmt),
                arrived,
                pri,
                precinct,
                ctype,
            ]
        )
        acc = month_sum[(queued.strftime("%Y-%m"), pri)]
        acc[0] += assign
        acc[1] += 1
        monday = queued.date() - timedelta(days=queued.weekday())
        week_count[monday.isoformat()] += 1
    path = b.out / "dispatch" / "calls.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buf.getvalue(), encoding="utf-8")
    table = {
        "name": "calls",
        "time_column": "queued_at",
        "timezone": "America/Chicago",
        "key": ["call_id"],
    }
    b.add(path, "table", len(rows), table=table)
    b.say(f"dispatch: {len(rows):,} calls")

    means = {
        f"P{p}": {
            m: round(s / n / 60, 3) for (m, pp), (s, n) in sorted(month_sum.items()) if pp == p
        }
        for p in (1, 2, 3)
    }
    change = {}
    for p in (1, 2, 3):
        mm = means[f"P{p}"]
        base = [(s, n) for (m, pp), (s, n) in month_sum.items() if pp == p and m <= "2020-01"]
        base_mean = sum(s for s, _ in base) / sum(n for _, n in base) / 60
        change[f"P{p}"] = {
            "jan_2020_min": mm["2020-01"],
            "jun_2020_min": mm["2020-06"],
            "jan_to_jun_pct": round((mm["2020-06"] / mm["2020-01"] - 1) * 100, 1),
            "baseline_2019_01_to_2020_01_min": round(base_mean, 3),
            "jun_vs_baseline_pct": round((mm["2020-06"] / base_mean - 1) * 100, 1),
            "planted_factor_by_june": sc.ASSIGN_RISE[p],
        }
    full_weeks = {
        k: v
        for k, v in sorted(week_count.items())
        if START <= date.fromisoformat(k) <= END - timedelta(days=6)
    }

    def wmean(prefix: str) -> float:
        xs = [v for k, v in full_weeks.items() if k.startswith(prefix)]
        return round(sum(xs) / len(xs), 1)

    return {
        "file": "dispatch/calls.csv",
        "records": len(rows),
        "table": table,
        "precincts": [p[0] for p in PRECINCTS],
        "mean_minutes_queue_to_assign_by_month": means,
        "slowdown": change,
        "slowdown_starts": sc.SLOWDOWN_FROM.isoformat(),
        "slowdown_full_from": sc.SLOWDOWN_FULL.isoformat(),
        "weekly_calls": full_weeks,
        "weekly_calls_mean": {
            "2019": wmean("2019"),
            "2020-01": wmean("2020-01"),
            "2020-06": wmean("2020-06"),
        },
    }
