"""Creator account snapshots as CSV (importer ``snapshots``).

``creators/snapshots.csv``: one row per account per day with ``platform, account, time,
followers, following, posts, likes, views, display_name, category, is_virtual``; ``views`` is
empty where the platform does not report it. Forty creators on Xiaohongshu, Instagram, TikTok
and YouTube across four follower tiers, three virtual influencers, one sudden follower jump.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from typing import Any

from groundswell.demo import scenario as sc
from groundswell.demo.common import DATES, DAYS, START, Build

# ---- creators ----------------------------------------------------------------------------------
XHS_NAMES = [
    "小鹿爱烘焙",
    "阿橙的厨房",
    "米粒日记",
    "夏天的指甲油",
    "一只旅行猫",
    "桃子护肤笔记",
    "番茄的穿搭",
    "周末去爬山",
    "咖啡和书",
    "小满手账",
    "阿雅美妆",
    "豆豆的美甲",
]
HANDLES = [
    "anna.greens",
    "milo.makes",
    "the.soup.diaries",
    "jade.travels",
    "nail.atelier",
    "runwithremy",
    "pixel.kitchen",
    "lena.skin",
    "outfit.orbit",
    "gamer.gus",
    "techtinker",
    "dailydumpling",
    "brushandbloom",
    "quietcorners",
    "citycycler",
    "foodfables",
    "glowroutine",
    "wanderwen",
    "nordic.nails",
    "homebrewhana",
    "deskdoodles",
    "tinytrails",
    "sunnyspoon",
    "ledgerless",
    "puzzlepanda",
    "yogayara",
    "mapmakermo",
    "stitchstudio",
    "breadandbeans",
]
CATEGORIES = [
    "beauty",
    "food",
    "nails",
    "skincare",
    "travel",
    "fashion",
    "fitness",
    "gaming",
    "tech",
    "lifestyle",
]
PLATFORMS = [("xiaohongshu", 12, 1), ("instagram", 12, 6), ("tiktok", 9, 7), ("youtube", 7, 8)]
TIER_COUNTS = [10, 12, 11, 7]


def _creators(rng: random.Random) -> list[dict[str, Any]]:
    virtual: list[dict[str, Any]] = [
        {
            "platform": "instagram",
            "account": "aria.pixelle",
            "display_name": "Aria Pixelle",
            "category": "fashion",
            "start": 2_450_000,
            "end": 2_780_000,
            "virtual": True,
        },
        {
            "platform": "tiktok",
            "account": "kiko_synth",
            "display_name": "Kiko Synth",
            "category": "lifestyle",
            "start": 880_000,
            "end": 1_210_000,
            "virtual": True,
        },
        {
            "platform": "xiaohongshu",
            "account": "xhs_60451873",
            "display_name": "星野米娅 Miya",
            "category": "beauty",
            "start": 305_000,
            "end": 362_000,
            "virtual": True,
        },
    ]
    jump: dict[str, Any] = {
        "platform": "instagram",
        "account": sc.JUMP_ACCOUNT[1],
        "display_name": "Tess Bakes",
        "category": "food",
        "start": 29_500,
        "end": 126_000,
        "virtual": False,
        "jump": True,
    }
    fixed = [*virtual, jump]
    tiers = []
    for (name, lo, hi), count in zip(sc.TIERS, TIER_COUNTS, strict=True):
        have = sum(1 for c in fixed if sc.tier(c["end"]) == name)
        tiers += [(lo, min(hi, 3_000_000))] * (count - have)
    rng.shuffle(tiers)
    slots = []
    for platform, count, _ in PLATFORMS:
        have = sum(1 for c in fixed if c["platform"] == platform)
        slots += [platform] * (count - have)
    handles = list(HANDLES)
    xhs = list(XHS_NAMES)
    out = list(fixed)
    for platform, (lo, hi) in zip(slots, tiers, strict=True):
        lo_ = max(lo, 300)
        start = round(math.exp(rng.uniform(math.log(lo_ * 1.15), math.log(hi * 0.6))))
        end = min(round(start * rng.uniform(1.0, 1.55)), round(hi * 0.95))
        if platform == "xiaohongshu":
            display = xhs.pop(0)
            account = f"xhs_{rng.randrange(10**7, 10**8)}"
        else:
            account = handles.pop(rng.randrange(len(handles)))
            display = account.replace(".", " ").replace("_", " ").title()
        out.append(
            {
                "platform": platform,
                "account": account,
                "display_name": display,
                "category": rng.choice(CATEGORIES),
                "start": start,
                "end": end,
                "virtual": False,
            }
        )
    return sorted(out, key=lambda c: (c["platform"], c["account"]))


def write_snapshots(b: Build) -> dict[str, Any]:
    rng = b.rng("creators")
    creators = _creators(rng)
    hour = {p: h for p, _, h in PLATFORMS}
    per_day: list[list[str]] = [[] for _ in range(DAYS)]
    truth = []
    jump_i = (sc.JUMP_DATE - START).days
    jump_info: dict[str, Any] = {}
    for c in creators:
        f0, f1 = c["start"], c["end"]
        following = rng.randrange(80, 1500)
        posts = rng.randrange(40, 1500)
        rate = rng.uniform(0.2, 1.5)
        eng = rng.uniform(0.02, 0.08)
        likes = int(posts * f0 * eng)
        has_views = c["platform"] in ("tiktok", "youtube")
        views = likes * rng.randrange(8, 30)
        series = []
        for i in range(DAYS):
            if c.get("jump"):
                # steady growth to ~34k, then a celebrity mention multiplies the audience
                if i < jump_i:
                    base = f0 * (34_000 / f0) ** (i / jump_i)
                else:
                    base = 116_000 * (f1 / 116_000) ** ((i - jump_i) / (DAYS - 1 - jump_i))
            else:
                base = f0 * (f1 / f0) ** (i / (DAYS - 1))
            followers = round(base * (1 + rng.gauss(0, 0.002)))
            if i == DAYS - 1:
                followers = f1
            if rng.random() < rate / 2:
                posts += 1
                likes += int(followers * eng * rng.uniform(0.5, 1.5))
                views += int(followers * rng.uniform(0.5, 4.0))
            likes += int(followers * eng * 0.02)
            following += rng.choice([0, 0, 0, 1, -1])
            series.append(followers)
            d = DATES[i]
            per_day[i].append(
                ",".join(
                    [
                        c["platform"],
                        c["account"],
                        f"{d.isoformat()}T{hour[c['platform']]:02d}:00:00Z",
                        str(followers),
                        str(following),
                        str(posts),
                        str(likes),
                        str(views) if has_views else "",
                        _csv(c["display_name"]),
                        c["category"],
                        "true" if c["virtual"] else "false",
                    ]
                )
            )
        truth.append(
            {
                "platform": c["platform"],
                "account": c["account"],
                "display_name": c["display_name"],
                "category": c["category"],
                "is_virtual": c["virtual"],
                "followers_first": series[0],
                "followers_last": series[-1],
                "tier_first": sc.tier(series[0]),
                "tier_last": sc.tier(series[-1]),
            }
        )
        if c.get("jump"):
            jump_info = {
                "platform": c["platform"],
                "account": c["account"],
                "date": sc.JUMP_DATE.isoformat(),
                "followers_day_before": series[jump_i - 1],
                "followers_on_date": series[jump_i],
                "ratio": round(series[jump_i] / series[jump_i - 1], 2),
            }
    lines = [
        "platform,account,time,followers,following,posts,likes,views,display_name,"
        "category,is_virtual"
    ]
    for day_rows in per_day:
        lines.extend(day_rows)
    path = b.out / "creators" / "snapshots.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    b.add(path, "snapshots", len(lines) - 1)
    b.say(f"creators: {len(creators)} accounts, {len(lines) - 1:,} daily snapshots")
    tiers: dict[str, list[str]] = defaultdict(list)
    for t in truth:
        tiers[t["tier_last"]].append(f"{t['platform']}:{t['account']}")
    return {
        "file": "creators/snapshots.csv",
        "records": len(lines) - 1,
        "tiers": [t[0] for t in sc.TIERS],
        "tier_rule": "by followers in the last snapshot",
        "accounts_by_tier": {k: sorted(v) for k, v in sorted(tiers.items())},
        "virtual_influencers": [t for t in truth if t["is_virtual"]],
        "follower_jump": jump_info,
        "accounts": truth,
    }


def _csv(value: str) -> str:
    return f'"{value}"' if ("," in value or '"' in value) else value
