"""Assemble ``ground_truth.json`` from what each generator reports it planted."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from groundswell.demo import scenario as sc
from groundswell.demo import text as tx
from groundswell.demo.campaign import NovaAccount, nova_truth
from groundswell.demo.common import END, START, Build, iso_z

GENERATOR_VERSION = 1


def _months_sum(*series: dict[str, int]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for s in series:
        total.update(s)
    return dict(sorted(total.items()))


def ground_truth(
    b: Build,
    forums: dict[str, Any],
    channel: dict[str, Any],
    group: dict[str, Any],
    discord: dict[str, Any],
    reddit: dict[str, Any],
    board: dict[str, Any],
    dispatch: dict[str, Any],
    creators: dict[str, Any],
) -> dict[str, Any]:
    f = forums["forums"]
    lantern = f["lantern"]
    fs = lantern["file_sharing"]

    # -- keyword wave
    per_source = {
        "forum:Lantern Hall": lantern["wave_month"],
        "forum:Polder Makers": f["polder"]["wave_month"],
        "telegram:Lowland Weather Notes": channel["wave_month"],
        "telegram:Kitchen Garden Chat": group["wave_month"],
        "reddit (all six subreddits)": reddit["wave_month"],
    }
    total = _months_sum(*per_source.values())
    day_total = _months_sum(
        lantern["wave_day"], f["polder"]["wave_day"], channel["wave_day"], group["wave_day"]
    )
    wave = {
        "terms": tx.WAVE_TERMS,
        "match": "case-insensitive; whole words for Latin and Cyrillic terms, substring for "
        "Chinese (regex in groundswell/demo/text.py: WAVE_RE)",
        "counts": "posts whose own text mentions a term (forum quotes excluded; a Reddit "
        "submission counts by its selftext), by UTC month",
        "starts": sc.WAVE_START.isoformat(),
        "peak_month": max(total, key=lambda k: total[k]) if total else None,
        "share_of_eligible_posts_knots": {d.isoformat(): v for d, v in sc.WAVE_KNOTS},
        "posts_per_month_by_source": per_source,
        "reddit_posts_per_month_by_subreddit": reddit["wave_month_by_subreddit"],
        "posts_per_month_total": total,
        "june_to_march_ratio": round(total.get("2020-06", 0) / total["2020-03"], 3)
        if total.get("2020-03")
        else None,
        "forum_and_telegram_posts_per_day": day_total,
        "forum_posts_with_terms_only_in_quotes_per_month": _months_sum(
            lantern["wave_quote_only"], f["polder"]["wave_quote_only"]
        ),
        "not_planted_in": ["discord", "imageboard", "forum:Harbour Lights (closed in 2019)"],
    }

    # -- file-sharing index
    reups = fs["reupload_requests_per_day"]
    sharing = {
        "forum": "Lantern Hall",
        "file": lantern["file"],
        "network": "tor",
        "definition": "links (<a href>) in a post's own text (not inside a quoted "
        "<blockquote>) whose path ends in .jpg, counted by the post's UTC month; "
        "every such link points at a clearnet file host below",
        "published_series_at_scale_1": {
            k: v for k, v in sc.JPG_PER_MONTH.items() if k >= "2020-01"
        },
        **fs,
        "hosts": [h.domain for h in sc.HOSTS],
        "zip_host": "filecrate.example",
        "major_hosts_down": {
            "hosts": sc.MAJOR_HOSTS,
            "last_day_with_links": {h: fs["host_last_day"].get(h) for h in sc.MAJOR_HOSTS},
            "zero_from": sc.HOSTS_DOWN.isoformat(),
        },
        "new_hosts": {h: fs["host_first_day"].get(h) for h in sc.NEW_HOSTS},
        "merge": {
            "family": sc.FAMILY,
            "into": sc.MERGED_INTO,
            "date": sc.FAMILY_MERGE.isoformat(),
            "family_last_day_with_links": max(
                (fs["host_last_day"][h] for h in sc.FAMILY if h in fs["host_last_day"]),
                default=None,
            ),
            "merged_first_day": fs["host_first_day"].get(sc.MERGED_INTO),
        },
        "reupload_requests": {
            "marker": "reupload or re-upload (case-insensitive)",
            "board": "Uploads",
            "total": sum(reups.values()),
            "first_day": min(reups) if reups else None,
            "last_day": max(reups) if reups else None,
        },
    }

    # -- returning members and look-alike names
    returners = []
    for r in sc.RETURNERS:
        times = f[r.forum]["returner_post_times"][r.name]
        days = [t[:10] for t in times]
        before = [d for d in days if d < r.back.isoformat()]
        after = [d for d in days if d >= r.back.isoformat()]
        returners.append(
            {
                "forum": f[r.forum]["name"],
                "name": r.name,
                "first_post": days[0],
                "last_post_before_gap": before[-1],
                "returned": after[0],
                "gap_days": (date.fromisoformat(after[0]) - date.fromisoformat(before[-1])).days,
                "posts_before": len(before),
                "posts_after": len(after),
                "board": "Dutch chat"
                if r.lang == "nl" and r.forum != "harbour"
                else "General chat",
            }
        )

    # -- campaign and decoy
    accounts: list[NovaAccount] = (
        group["nova_accounts"] + reddit["nova_accounts"] + discord["nova_accounts"]
    )
    times = [t for a in accounts for t in a.times]
    campaign = {
        "token": "NOVA",
        "contract_address": sc.CONTRACT,
        "listing_date": sc.NOVA_LISTING.isoformat(),
        "airdrop_url": "https://novatoken.example/airdrop",
        "claims": {
            "code": "https://code.example.org/novatoken/contracts",
            "investor": "Lumen Ridge Capital",
        },
        "window_utc": {"start": iso_z(min(times)), "end": iso_z(max(times))},
        "planned_window_utc": {"start": sc.NOVA_START.isoformat() + "Z", "hours": sc.NOVA_HOURS},
        "where": {
            "telegram": "Kitchen Garden Chat (new accounts join by link minutes before posting)",
            "reddit": "r/altcoinchat (4 submissions, the rest comments)",
            "discord": "Maple Hollow Neighbours #general",
        },
        "templates": sc.NOVA_TEMPLATES,
        "new_account_rule": "no message in that source before the burst day",
        **nova_truth(accounts),
        "per_platform": {
            p: nova_truth([a for a in accounts if a.platform == p])["posts"]
            for p in ("telegram", "reddit", "discord")
        },
    }
    decoy = {
        "event": "Cup final, Harbour City FC vs Rivertown United (invented)",
        "window_utc": {"start": sc.FINAL_START.isoformat() + "Z", "hours": sc.FINAL_HOURS},
        "organic": "established members, varied wording, no shared links or addresses",
        "posts": {
            "telegram": group["final_posts"],
            "reddit": reddit["final_posts"],
            "discord": discord["final_posts"],
        },
        "distinct_authors": {
            "telegram": group["final_authors"],
            "reddit": reddit["final_authors"],
            "discord": discord["final_authors"],
        },
        "reddit_thread": "t3_" + reddit["final_thread"],
    }

    records = {
        "forums": {k: v["records"] for k, v in f.items()},
        "telegram": {channel["name"]: channel["records"], group["name"]: group["records"]},
        "discord": {k: v["records"] for k, v in discord["channels"].items()},
        "reddit": reddit["records"],
        "imageboard": {k: v["posts"] for k, v in board.items()},
        "dispatch": dispatch["records"],
        "creators": creators["records"],
        "total": sum(x.records for x in b.files),
    }
    forum_info = {
        v["name"]: {
            k: v[k]
            for k in (
                "file",
                "site_url",
                "network",
                "timezone",
                "records",
                "first_day",
                "last_day",
                "boards",
            )
        }
        for v in f.values()
    }
    return {
        "generator": {
            "name": "groundswell.demo",
            "version": GENERATOR_VERSION,
            "seed": b.seed,
            "scale": b.scale,
        },
        "period": {"start": START.isoformat(), "end": END.isoformat()},
        "conventions": {
            "days": "UTC calendar days unless said otherwise",
            "safe_hours": "every planted link post and keyword mention falls between 05:00 and "
            "21:00 UTC, so its day and month are the same in UTC and in "
            "Europe/Amsterdam",
            "content": "all names, places, domains (.example) and text are invented and benign",
        },
        "records": records,
        "forums": forum_info,
        "keyword_wave": wave,
        "file_sharing_index": sharing,
        "forum_outages": {
            "forum": "Lantern Hall",
            "file": lantern["file"],
            "days": [d.isoformat() for d in sc.outage_days()],
            "zero_posts_in": ["Europe/Amsterdam days", "UTC days"],
            "collection": "the scrape spans these days: the forum has posts before and after "
            "each outage, so a zero here means the site was down, not quiet",
        },
        "returning_members": returners,
        "lookalike_usernames": [
            {
                "a": {"forum": "Lantern Hall", "name": "quietfox"},
                "b": {"forum": "Harbour Lights", "name": sc.LOOKALIKE["name"]},
                "note": "Harbour Lights closed on 2019-09-14; quietfox returned to Lantern Hall "
                "on " + next(r["returned"] for r in returners if r["name"] == "quietfox"),
                "other_cross_forum_lookalikes": 0,
            }
        ],
        "coordinated_campaign": campaign,
        "organic_decoy": decoy,
        "dispatch": dispatch,
        "creators": creators,
        "discord": {k: v for k, v in discord.items() if k != "nova_accounts"},
        "imageboard": {k: {"threads": v["threads"], "posts": v["posts"]} for k, v in board.items()},
    }
