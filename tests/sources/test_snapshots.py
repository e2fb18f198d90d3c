"""Account snapshot importer: header variants, display numbers, booleans, merge key."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest

from groundswell import Workspace
from groundswell.errors import HostileInputError, RecordError
from groundswell.sources.base import ImportOptions
from groundswell.sources.snapshots import normalise_header, parse_bool, parse_count


def rows(ws: Workspace) -> list[dict[str, Any]]:
    return ws.sql("SELECT * FROM account_snapshots ORDER BY platform, account, time").to_pylist()


def by_key(ws: Workspace) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(r["platform"], r["account"], r["time"].date().isoformat()): r for r in rows(ws)}


def test_mapping_csv(ws: Workspace, cases: Path) -> None:
    (result,) = ws.import_("snapshots", [cases / "snapshots" / "creators.csv"])
    assert (result.records_new, result.records_quarantined) == (8, 0)
    snaps = by_key(ws)
    nova = snaps["instagram", "nova.lume", "2024-03-01"]  # "Instagram" and "@nova.lume"
    assert nova["time"].isoformat() == "2024-03-01T00:00:00+00:00"
    assert (nova["followers"], nova["following"], nova["posts"]) == (2_800_000, 120, 412)
    assert nova["likes"] is None and nova["views"] is None
    assert (nova["display_name"], nova["category"], nova["is_virtual"]) == (
        "Nova Lume",
        "fashion",
        True,
    )
    assert orjson.loads(nova["extra"]) == {
        "Agency": "Pixel Studio Example",
        "Engagement Rate": "3.1%",
    }
    # "nova.lume" without the @ is the same account
    assert snaps["instagram", "nova.lume", "2024-03-15"]["followers"] == 2_830_000
    assert snaps["instagram", "nova.lume", "2024-03-08"]["followers"] == 2_810_000
    mira = snaps["instagram", "bakes_by_mira", "2024-03-08"]
    assert mira["followers"] == 12_900 and mira["is_virtual"] is False
    assert mira["extra"] == '{"Engagement Rate":"5.6%"}'  # the empty Agency cell is left out
    tom = snaps["tiktok", "trailtom", "2024-03-01"]
    assert (tom["followers"], tom["likes"], tom["is_virtual"], tom["extra"]) == (
        48_200,
        1_100_000,
        False,
        None,
    )
    yt = snaps["youtube", "UCexampleChannel001", "2024-03-01"]
    assert (yt["views"], yt["following"], yt["is_virtual"]) == (18_400_000, None, None)
    assert ws.sql("SELECT count(*) AS n FROM posts").to_pylist() == [{"n": 0}]


def test_chinese_headers_tab_separated(ws: Workspace, cases: Path) -> None:
    ws.import_("snapshots", [cases / "snapshots" / "douyin_cn.tsv"])
    first = rows(ws)[0]
    assert (first["platform"], first["account"], first["followers"], first["likes"]) == (
        "抖音",
        "chef_lin_example",
        15_000,
        234_000,
    )
    assert (first["display_name"], first["category"]) == ("林师傅", "美食")


def test_jsonl_with_platform_option(ws: Workspace, cases: Path) -> None:
    path = cases / "snapshots" / "xhs_export.jsonl"
    ws.import_("snapshots", [path], options=ImportOptions(platform="Xiaohongshu"))
    snaps = {r["account"]: r for r in rows(ws) if r["time"].day == 8 or r["is_virtual"]}
    lily = snaps["lily_skin_example"]
    assert lily["platform"] == "xiaohongshu" and lily["time"].isoformat().startswith("2024-03-08")
    assert (lily["followers"], lily["following"], lily["posts"], lily["likes"]) == (
        16_000,
        231,
        415,
        290_000,
    )
    assert lily["display_name"] == "Lily 护肤日记" and lily["extra"] == '{"ip_location":"上海"}'
    ava = snaps["ava_virtual_example"]
    assert ava["is_virtual"] is True and ava["likes"] == 1_200_000  # "120w"
    assert ava["time"].isoformat() == "2024-02-29T16:00:00+00:00"  # +08:00 kept exact
    assert orjson.loads(ava["extra"]) == {"brand_partners": ["Brand A Example", "Brand B Example"]}


@pytest.mark.parametrize(
    "header",
    [
        "platform,account_id,timestamp,follower_count,friends_count,posts_count,likes_count",
        "Platform,Username,Date,Subscribers,Follows,Videos,Hearts",
        "site,user_name,snapshot_time,fans,following_count,notes,total_likes",
        "PLATFORM;Handle;Captured-At;Followers;Friends;Media Count;Like Count",
    ],
)
def test_header_variants(tmp_path: Path, ws: Workspace, header: str) -> None:
    sep = ";" if ";" in header else ","
    values = ["tiktok", "@acct", "2024-03-01 12:00", "1.2k", "7", "33", "9,001"]
    path = tmp_path / "variants.csv"
    path.write_text(header + "\n" + sep.join(f'"{v}"' for v in values) + "\n", encoding="utf-8")
    ws.import_("snapshots", [path])
    (r,) = rows(ws)
    assert (r["platform"], r["account"]) == ("tiktok", "acct")
    assert r["time"].isoformat() == "2024-03-01T12:00:00+00:00"
    assert (r["followers"], r["following"], r["posts"], r["likes"]) == (1200, 7, 33, 9001)
    assert r["extra"] is None


COUNTS = [
    ("12,300", 12_300),
    ("12 300", 12_300),
    ("12\u00a0300", 12_300),
    ("1.2k", 1_200),
    ("1.2K", 1_200),
    ("3.4M", 3_400_000),
    ("2B", 2_000_000_000),
    ("1.5万", 15_000),
    ("1.2亿", 120_000_000),
    ("1.5w", 15_000),
    ("10k+", 10_000),
    ("12.300", 12_300),
    ("1.234.567", 1_234_567),
    ("1,5k", 1_500),
    ("1.234,5k", 1_234_500),
    ("1,234.5k", 1_234_500),
    ("1.2345k", 1_235),
    ("12.0", 12),
    ("0", 0),
    (1234, 1234),
    (1234.0, 1234),
    ("", None),
    ("N/A", None),
    ("-", None),
    (None, None),
]


@pytest.mark.parametrize(("raw", "expected"), COUNTS)
def test_count_rule(raw: Any, expected: int | None) -> None:
    assert parse_count(raw, "followers") == expected


@pytest.mark.parametrize(
    "raw", ["12.5", 12.5, "abc", "3.2%", "1,5,6", "-5", -5, True, "1.2x", "1.2.3", [1]]
)
def test_count_rule_rejects(raw: Any) -> None:
    with pytest.raises(RecordError):
        parse_count(raw, "followers")


def test_bool_rule() -> None:
    for raw in ("true", "TRUE", "1", "yes", "Y", "t", True, 1):
        assert parse_bool(raw) is True
    for raw in ("false", "0", "No", "n", "F", False, 0):
        assert parse_bool(raw) is False
    for raw in ("", None, "n/a"):
        assert parse_bool(raw) is None
    for raw in ("maybe", 2, [True]):
        with pytest.raises(RecordError):
            parse_bool(raw)
    assert normalise_header(" Followers Count ") == "followers_count"
    assert normalise_header("Captured-At") == "captured_at"


def test_platform_option_fills_empty_cells(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text("platform,account,date,followers\nYouTube,a,2024-01-01,5\n,b,2024-01-01,6\n")
    ws.import_("snapshots", [path], options=ImportOptions(platform="instagram"))
    assert [(r["platform"], r["account"]) for r in rows(ws)] == [
        ("instagram", "b"),
        ("youtube", "a"),
    ]


def test_malformed_rows_quarantined(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(
        b"platform,account,date,followers,is_virtual\n"
        b"instagram,ok1,2024-01-01,1.2k,no\n"
        b"instagram,,2024-01-01,5,no\n"
        b"instagram,acct3,2024-01-01,lots,no\n"
        b"instagram,acct4,2024-01-01,5,maybe\n"
        b"instagram,acct5,the other day,5,no\n"
        b"instagram,acct6,2024-01-01,5\n"
        b"instagram,acct\xe97,2024-01-01,5,no\n"
        b"instagram,acct8,,5,no\n"
        b",acct9,2024-01-01,5,no\n"
        b'instagram,ok2,2024-01-02,"12,300",yes\n'
    )
    (result,) = ws.import_("snapshots", [path])
    assert result.status == "completed"
    assert [r["account"] for r in rows(ws)] == ["ok1", "ok2"]
    reasons = {q["location"]: q["reason"] for q in ws.quarantine()}
    assert reasons == {
        "line 3": "missing account",
        "line 4": "followers is 'lots', expected a count such as 12,300 or 1.2k",
        "line 5": "is_virtual is 'maybe', expected true/false, yes/no or 1/0",
        "line 6": "cannot read time 'the other day'",
        "line 7": "row has 4 fields, the header has 5",
        "line 8": "invalid UTF-8",
        "line 9": "missing time",
        "line 10": "missing platform (no platform value and no --platform given)",
    }


def test_idempotent_reimport_and_corrected_export(
    tmp_path: Path, ws: Workspace, cases: Path
) -> None:
    src = cases / "snapshots" / "creators.csv"
    ws.import_("snapshots", [src])
    (again,) = ws.import_("snapshots", [src], force=True)
    assert (again.records_new, again.records_updated, again.records_unchanged) == (0, 0, 8)
    # a corrected export: one figure changed, one snapshot added; key = platform+account+time
    fixed = tmp_path / "creators_v2.csv"
    text = src.read_text(encoding="utf-8").replace("12.9k", "13.0k")
    fixed.write_text(
        text + "TikTok,@trailtom,2024-03-15,53k,88,170,1.3M,,Tom on Trails,outdoors,0,,\n",
        encoding="utf-8",
    )
    (v2,) = ws.import_("snapshots", [fixed])
    assert (v2.records_new, v2.records_updated, v2.records_unchanged) == (1, 1, 7)
    assert len(rows(ws)) == 9
    assert by_key(ws)["instagram", "bakes_by_mira", "2024-03-08"]["followers"] == 13_000


def test_json_array_and_truncated_array(tmp_path: Path, ws: Workspace) -> None:
    items = [
        {
            "platform": "youtube",
            "channel_id": f"UC{i}",
            "snapshot_date": "2024-03-01",
            "subscribers": f"{i}k",
        }
        for i in range(1, 6)
    ]
    good = tmp_path / "channels.json"
    good.write_bytes(orjson.dumps(items))
    ws.import_("snapshots", [good])
    assert [r["followers"] for r in rows(ws)] == [1000, 2000, 3000, 4000, 5000]
    cut = tmp_path / "cut.json"
    data = orjson.dumps([{**it, "channel_id": "X" + it["channel_id"]} for it in items])
    cut.write_bytes(data[: data.rindex(b"{") + 12])
    with pytest.raises(HostileInputError, match="malformed or truncated JSON after 4 items"):
        ws.import_("snapshots", [cut])
    assert len(rows(ws)) == 9  # the four complete items before the cut are kept


def test_sniffing_compression_and_mapping(tmp_path: Path, ws: Workspace) -> None:
    lines = b'{"platform": "tiktok", "handle": "x", "time": "2024-01-01", "Fans (total)": "3k"}\n'
    noext = tmp_path / "export_without_extension"
    noext.write_bytes(lines)
    opts = ImportOptions(mapping={"followers": "Fans (total)"})
    ws.import_("snapshots", [noext], options=opts)
    assert [(r["account"], r["followers"]) for r in rows(ws)] == [("x", 3000)]
    gz = tmp_path / "more.csv.gz"
    gz.write_bytes(gzip.compress(b"platform,handle,date,followers\ntiktok,y,2024-01-01,4k\n"))
    ws.import_("snapshots", [gz])
    assert [r["followers"] for r in rows(ws)] == [3000, 4000]
    with pytest.raises(HostileInputError, match="unknown mapping target"):
        ws.import_("snapshots", [gz], options=ImportOptions(mapping={"fans": "x"}))


def test_bad_json_lines(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(
        b'{"platform": "x", "account": "a", "date": "2024-01-01", "followers": 1}\n'
        b'{"platform": "x", "account": "b", "date": \n'
        b'["not", "an", "object"]\n'
        b'{"platform": "x", "account": "c", "date": "2024-01-01", "followers": {"n": 1}}\n'
        b'{"platform": "x", "account": "d", "date": "2024-01-01", "is_virtual": "sure"}\n'
    )
    ws.import_("snapshots", [path])
    assert [r["account"] for r in rows(ws)] == ["a"]
    reasons = {q["location"]: q["reason"] for q in ws.quarantine()}
    assert reasons["line 2"].startswith("invalid JSON")
    assert reasons["line 3"] == "expected an object, got list"
    assert reasons["line 4"] == "followers has type dict, expected a count"
    assert reasons["line 5"].startswith("is_virtual is 'sure'")
