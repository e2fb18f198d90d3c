"""Creator metrics on a tiny planted fixture (snapshots CSV and creators' posts JSONL, imported
with the real importers), tiers and the follower jump against the demo's ground truth, and the
`groundswell creators` command."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from groundswell import ImportOptions, Workspace
from groundswell.actors import creators as cr
from groundswell.analysis.series import MISSING, OBSERVED
from groundswell.cli.main import main
from groundswell.demo.common import Build
from groundswell.demo.creators import write_snapshots
from groundswell.errors import ConfigError, QueryError

D0 = date(2024, 3, 1)
HEADER = (
    "platform,account,time,followers,following,posts,likes,views,display_name,category,is_virtual"
)


def _snapshots() -> list[str]:
    rows = [HEADER]
    # nova.lume: 1000 followers on 1 March, +100 a day; no snapshot on 6 March
    for i in range(10):
        if i == 5:
            continue
        d = D0 + timedelta(days=i)
        rows.append(
            f"instagram,@nova.lume,{d}T00:00:00Z,{1000 + 100 * i},10,{20 + i},500,,Nova,beauty,"
        )
    for i in range(3):  # xiaohongshu: flat 20,000; tiktok: flat 600,000 (a virtual influencer)
        d = D0 + timedelta(days=i)
        rows.append(f"xiaohongshu,xhs_1001,{d}T00:00:00Z,20000,5,40,9000,,小鹿,food,false")
        rows.append(f"tiktok,kiko.beats,{d}T00:00:00Z,600000,5,80,1.2M,9M,Kiko,music,true")
    # quiet.chan: weekly, 50,000 followers, +2 posts and +1,000 likes a week: no posts stored
    for w in range(10):
        d = date(2024, 1, 5) + timedelta(days=7 * w)
        rows.append(
            f"youtube,quiet.chan,{d}T00:00:00Z,50000,1,{100 + 2 * w},{10_000 + 1000 * w},,"
            "Quiet,tech,"
        )
    return rows


def _post(i: int, platform: str, author: str, t: str, text: str, **counts: Any) -> dict[str, Any]:
    return {"id": f"p{i}", "platform": platform, "source": "creators", "time": t,
            "author": author, "text": text, **counts}  # fmt: skip


def _posts() -> list[dict[str, Any]]:
    return [
        # nova.lume: followers at the post's time 1000 (before every snapshot), 1200, 1400, 1700
        _post(1, "instagram", "nova.lume", "2024-02-20T12:00:00Z", "Morning routine @sunbrand",
              likes=40, comments=10),  # er 0.05
        _post(2, "instagram", "nova.lume", "2024-03-03T12:00:00Z",
              "New serum #ad @sunbrand #skincare", likes=100, comments=20),  # er 0.1
        {**_post(3, "instagram", "x", "2024-03-05T12:00:00Z", "Glow #skincare @glowco @nova.lume",
                 likes=126, comments=14), "author_id": "u123", "author": "@Nova.Lume"},  # 0.1
        _post(4, "instagram", "nova.lume", "2024-03-08T12:00:00Z", "Evening routine",
              likes=300, comments=40, views=3400),  # er 0.2; by reach 340 / 3400 = 0.1
        # not hers: a reply of hers (parent_id), and another author's post
        {**_post(5, "instagram", "nova.lume", "2024-03-09T12:00:00Z", "thanks! #ad",
                 likes=9999, comments=0), "parent_id": "p4"},
        _post(6, "instagram", "someone.else", "2024-03-09T13:00:00Z", "#ad @sunbrand",
              likes=5, comments=1),
        # xiaohongshu: likes + saves + comments
        _post(7, "xiaohongshu", "xhs_1001", "2024-03-02T08:00:00Z", "合作 新品广告 #烘焙",
              likes=500, saves=300, comments=200),  # platform 0.05, basic 0.035
        _post(8, "xiaohongshu", "xhs_1001", "2024-03-03T08:00:00Z", "周末做面包",
              likes=100, saves=0, comments=100),  # platform 0.01, basic 0.01
        # tiktok: likes + comments + shares; views for by-reach
        _post(9, "tiktok", "kiko.beats", "2024-03-02T20:00:00Z", "new track #music",
              likes=30000, comments=3000, shares=3000, views=360000),  # 0.06; by reach 0.1
    ]  # fmt: skip


def _import(root: Path) -> Workspace:
    snaps = root / "snapshots.csv"
    snaps.write_text("\n".join(_snapshots()) + "\n", encoding="utf-8")
    posts = root / "posts.jsonl"
    posts.write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in _posts()) + "\n")
    ws = Workspace.init(root / "ws")
    [res] = ws.import_("snapshots", [snaps])
    assert res.records_quarantined == 0
    [res] = ws.import_("jsonl", [posts], options=ImportOptions(mapping={"replies": "comments"}))
    assert res.records_quarantined == 0
    return ws


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    w = _import(tmp_path_factory.mktemp("creators"))
    yield w
    w.close()


def _by(rows: list[dict[str, Any]], key: str = "rate") -> dict[str, Any]:
    return {r["account"]: r[key] for r in rows}


# ---- tiers -----------------------------------------------------------------------------------
def test_tier_labels_come_from_the_bounds() -> None:
    assert cr.tier_labels((5000, 50000, 500000)) == ["<5k", "5k-50k", "50k-500k", ">500k"]
    assert cr.tier_labels((1000, 1_500_000)) == ["<1k", "1k-1.5M", ">1.5M"]
    assert cr.tier_of(4999, cr.DEFAULT_TIERS) == "<5k"
    assert cr.tier_of(5000, cr.DEFAULT_TIERS) == "5k-50k"  # a bound is in the tier above
    assert cr.tier_of(500_000, cr.DEFAULT_TIERS) == ">500k"


def test_tiers_by_last_followers_and_configurable(ws: Workspace) -> None:
    assert cr.accounts_by_tier(ws) == {
        "<5k": ["instagram:nova.lume"],
        "5k-50k": ["xiaohongshu:xhs_1001"],
        "50k-500k": ["youtube:quiet.chan"],
        ">500k": ["tiktok:kiko.beats"],
    }
    assert cr.accounts_by_tier(ws, [1000, 100_000]) == {
        "1k-100k": ["instagram:nova.lume", "xiaohongshu:xhs_1001", "youtube:quiet.chan"],
        ">100k": ["tiktok:kiko.beats"],
    }
    ws.config.raw["creators"] = {"tiers": [30_000]}
    try:
        assert cr.tier_bounds(ws) == (30_000,)
        assert {r["account"]: r["tier"] for r in cr.creators(ws)}["quiet.chan"] == ">30k"
        for bad in ([], [5000, 5000], [-1], ["5k"], 5000):
            ws.config.raw["creators"] = {"tiers": bad}
            with pytest.raises(ConfigError, match="tiers must be ascending"):
                cr.tier_bounds(ws)
        ws.config.raw["creators"] = {"tier": [1]}
        with pytest.raises(ConfigError, match="unknown keys"):
            cr.tier_bounds(ws)
    finally:
        del ws.config.raw["creators"]


# ---- growth ----------------------------------------------------------------------------------
def test_growth_per_day_is_missing_without_a_snapshot(ws: Workspace) -> None:
    s = cr.growth(ws, "nova.lume")
    assert s.facets == [("instagram", "nova.lume")] and s.facet_fields == ("platform", "account")
    assert [st.date() for st in s.starts] == [D0 + timedelta(days=i) for i in range(10)]
    # no change for the first day; none for 6 March (no snapshot) nor 7 March (none before)
    assert list(s.status[0]) == [
        MISSING,
        *[OBSERVED] * 4,
        MISSING,
        MISSING,
        OBSERVED,
        OBSERVED,
        OBSERVED,
    ]
    assert s.values[0, 1] == 100 and np.isnan(s.values[0, 5])
    f = cr.followers(ws, "instagram:nova.lume")
    assert f.values[0, -1] == 1900


def test_growth_per_week_compares_the_last_snapshots(ws: Workspace) -> None:
    s = cr.growth(ws, ["quiet.chan"], period="week")
    assert s.values[0, 1:].tolist() == [0.0] * 9
    s = cr.growth(ws, "nova.lume", period="week")  # weeks from Monday 26 Feb and 4 March
    assert s.values[0, 1] == 1900 - 1200  # last of the week 4-10 March minus that of 3 March


def test_the_same_account_on_two_platforms_and_case(ws: Workspace) -> None:
    assert cr.resolve(ws, "NOVA.LUME") == [("instagram", "nova.lume")]
    assert cr.resolve(ws, ["@kiko.beats", "tiktok:kiko.beats"]) == [("tiktok", "kiko.beats")]
    with pytest.raises(QueryError, match="no creator 'nobody'"):
        cr.resolve(ws, "nobody")


# ---- engagement ------------------------------------------------------------------------------
def test_mean_and_median_engagement_of_the_last_n_posts(ws: Workspace) -> None:
    mean = cr.engagement(ws, convention="mean_er_last_n", n=12)
    assert _by(mean)["nova.lume"] == pytest.approx((0.05 + 0.1 + 0.1 + 0.2) / 4)
    assert _by(mean, "posts")["nova.lume"] == 4  # the reply and the other author left out
    assert _by(mean)["xhs_1001"] == pytest.approx((0.035 + 0.01) / 2)
    assert _by(mean)["kiko.beats"] == pytest.approx(33000 / 600000)
    assert "quiet.chan" not in _by(mean)  # no posts stored
    assert {r["convention"] for r in mean} == {"mean_er_last_n"}
    assert "(likes + comments) / followers" in mean[0]["definition"]
    last2 = cr.engagement(ws, "nova.lume", n=2)
    assert last2[0]["rate"] == pytest.approx(0.15) and last2[0]["posts"] == 2
    median = cr.engagement(ws, "nova.lume", convention="median_er_last_n", n=3)
    assert median[0]["rate"] == pytest.approx(0.1)


def test_platform_interactions_and_by_reach(ws: Workspace) -> None:
    rates = _by(cr.engagement(ws, convention="platform_er_last_n"))
    assert rates["xhs_1001"] == pytest.approx((0.05 + 0.01) / 2)  # likes + saves + comments
    assert rates["kiko.beats"] == pytest.approx(0.06)  # likes + comments + shares
    assert rates["nova.lume"] == pytest.approx(0.1125)  # instagram: likes + comments
    reach = cr.engagement(ws, convention="er_by_reach")
    assert _by(reach) == pytest.approx({"nova.lume": 0.1, "kiko.beats": 0.1})


def test_snapshot_er_is_likes_per_new_post_over_followers(ws: Workspace) -> None:
    [row] = cr.engagement(ws, "quiet.chan", convention="snapshot_er", days=30)
    # last snapshot day 63; the latest at least 30 days older is day 28: 5 weeks
    assert row["rate"] == pytest.approx(5000 / 10 / 50000) and row["posts"] == 10
    assert "approximation" in row["definition"]
    with pytest.raises(QueryError, match="unknown engagement convention"):
        cr.engagement(ws, convention="er")


# ---- sponsorship and mentions ----------------------------------------------------------------
def test_sponsored_share_from_the_disclosure_lexicon(ws: Workspace) -> None:
    shares = {r["account"]: (r["sponsored"], r["posts"]) for r in cr.sponsored_share(ws)}
    assert shares == {"nova.lume": (1, 4), "xhs_1001": (1, 2), "kiko.beats": (0, 1)}


def test_top_mentions_rank_handles_and_hashtags(ws: Workspace) -> None:
    rows = cr.top_mentions(ws, "nova.lume")
    assert [(r["value"], r["posts"]) for r in rows] == [
        ("#skincare", 2), ("@sunbrand", 2), ("#ad", 1), ("@glowco", 1)
    ]  # fmt: skip
    assert all(r["value"] != "@nova.lume" for r in rows)  # her own handle left out
    assert [r["value"] for r in cr.top_mentions(ws, "nova.lume", kinds=["handle"], limit=1)] == [
        "@sunbrand"
    ]


# ---- the creators table ----------------------------------------------------------------------
def test_creators_rows_sorted_and_filtered(ws: Workspace) -> None:
    rows = cr.creators(ws)
    assert [r["account"] for r in rows] == ["kiko.beats", "quiet.chan", "xhs_1001", "nova.lume"]
    nova = rows[-1]
    assert nova["followers"] == 1900 and nova["tier"] == "<5k" and nova["name"] == "Nova"
    assert nova["growth_7d"] == 1900 - 1200 and nova["growth_7d_pct"] == pytest.approx(58.33)
    assert nova["growth_30d"] is None  # no snapshot 30 days older
    assert nova["engagement_convention"] == "mean_er_last_n"
    assert nova["sponsored_share"] == 0.25 and nova["posts"] == 4
    quiet = rows[1]
    assert quiet["engagement_convention"] == "snapshot_er" and quiet["posts"] == 0
    assert quiet["growth_30d"] == 0 and quiet["sponsored_share"] is None
    assert rows[0]["is_virtual"] is True and nova["is_virtual"] is False
    by_er = cr.creators(ws, sort="engagement")
    assert [r["account"] for r in by_er][:2] == ["nova.lume", "kiko.beats"]
    assert [r["account"] for r in cr.creators(ws, platform="Instagram")] == ["nova.lume"]
    assert [r["account"] for r in cr.creators(ws, tier="5k-50k")] == ["xhs_1001"]
    assert len(cr.creators(ws, limit=2)) == 2
    with pytest.raises(QueryError, match="unknown tier"):
        cr.creators(ws, tier="huge")
    with pytest.raises(QueryError, match="unknown sort"):
        cr.creators(ws, sort="likes")


def test_compare_side_by_side(ws: Workspace) -> None:
    got = cr.compare(ws, ["xhs_1001", "nova.lume"])
    assert [r["account"] for r in got["rows"]] == ["xhs_1001", "nova.lume"]
    assert got["followers"].facets == [("instagram", "nova.lume"), ("xiaohongshu", "xhs_1001")]
    assert {m["account"] for m in got["mentions"]} == {"nova.lume", "xhs_1001"}


# ---- the demo's ground truth -----------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, dict[str, Any]]]:
    root = tmp_path_factory.mktemp("demo-creators")
    b = Build(out=root / "corpus", seed=7, scale=0.02)
    truth = write_snapshots(b)  # creators are the same at every scale
    w = Workspace.init(root / "ws")
    w.import_("snapshots", [b.files[0].path])
    yield w, truth
    w.close()


def test_demo_tiers_match_the_ground_truth(demo: tuple[Workspace, dict[str, Any]]) -> None:
    ws, truth = demo
    assert cr.accounts_by_tier(ws) == truth["accounts_by_tier"]
    assert cr.tier_labels(cr.tier_bounds(ws)) == truth["tiers"]


def test_demo_follower_jump_is_flagged_and_nothing_else(
    demo: tuple[Workspace, dict[str, Any]],
) -> None:
    ws, truth = demo
    jump = truth["follower_jump"]
    series, found = cr.growth_anomalies(ws)
    assert [(a.facet, a.start.date().isoformat()) for a in found] == [
        ((jump["platform"], jump["account"]), jump["date"])
    ]
    gain = jump["followers_on_date"] - jump["followers_day_before"]
    assert found[0].value == gain and "gained" in found[0].explanation
    assert series.baseline is not None and series.values.shape[0] == len(truth["accounts"])


def test_demo_growth_matches_the_snapshots(demo: tuple[Workspace, dict[str, Any]]) -> None:
    ws, truth = demo
    for t in truth["accounts"][:5]:
        s = cr.followers(ws, f"{t['platform']}:{t['account']}")
        assert s.values[0, 0] == t["followers_first"] and s.values[0, -1] == t["followers_last"]
        g = cr.growth(ws, f"{t['platform']}:{t['account']}")
        assert math.isclose(np.nansum(g.values), t["followers_last"] - t["followers_first"])


# ---- the command -----------------------------------------------------------------------------
def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_lists_compares_and_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _import(tmp_path).close()
    w = str(tmp_path / "ws")
    code, out, err = _run(capsys, "creators", "-w", w)
    assert code == 0, err
    assert "kiko.beats" in out and ">500k" in out and "virtual" in out and "25%" in out
    code, out, _ = _run(capsys, "creators", "-w", w, "--sort", "growth", "--json")
    assert code == 0 and json.loads(out)[0]["account"] == "quiet.chan"
    code, out, _ = _run(capsys, "creators", "-w", w, "nova.lume", "--engagement",
                        "median_er_last_n", "--last", "3", "--json")  # fmt: skip
    data = json.loads(out)
    assert data["engagement"][0]["rate"] == pytest.approx(0.1)
    assert data["mentions"][0]["value"] == "#skincare"
    chart = tmp_path / "cmp.svg"
    code, out, err = _run(capsys, "creators", "-w", w, "nova.lume", "quiet.chan", "--compare",
                          "--chart", str(chart))  # fmt: skip
    assert code == 0, err
    assert "instagram:nova.lume" in out and "youtube:quiet.chan" in out and "snapshot_er" in out
    assert chart.exists() and "<svg" in chart.read_text()
    code, out, _ = _run(capsys, "creators", "-w", w, "--jumps", "--json")
    assert code == 0 and json.loads(out) == []
    code, _, err = _run(capsys, "creators", "-w", w, "--tier", "1k")
    assert code == 2 and "unknown tier '1k'" in err and "Traceback" not in err
    code, _, err = _run(capsys, "creators", "-w", w, "--chart", "x.png")
    assert code == 2 and "--compare" in err
