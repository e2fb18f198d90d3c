"""Scraped-forum JSONL importer: field layouts, forum date formats, quotes, bad lines."""

from __future__ import annotations

import dataclasses
import gzip
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from groundswell import Workspace
from groundswell.errors import HostileInputError, RecordError
from groundswell.sources.base import ImportOptions
from groundswell.sources.forum import ForumDates
from tests.conftest import posts

AMS = "Europe/Amsterdam"


def _us(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1_000_000)


def _iso(us: int) -> str:
    return datetime.fromtimestamp(us / 1_000_000, UTC).isoformat()


def _jsonl(path: Path, *records: Any) -> Path:
    with open(path, "wb") as f:
        for r in records:
            f.write(r if isinstance(r, bytes) else orjson.dumps(r))
            f.write(b"\n")
    return path


def _post(i: int, **fields: Any) -> dict[str, Any]:
    rec = {
        "site": "Test Board",
        "site_url": "https://board.example.org",
        "board": "General",
        "thread_id": "1",
        "thread_title": "Thread",
        "post_id": str(i),
        "post_number": i,
        "author": f"user{i}",
        "date": "Wed Apr 22, 2020 5:05 pm",
        "body_html": f"<p>{i}</p>",
        "scraped_at": "2020-04-23T08:00:00Z",
    }
    rec.update(fields)
    return {k: v for k, v in rec.items() if v is not None}


def test_mapping(ws: Workspace, cases: Path) -> None:
    (result,) = ws.import_("forum", [cases / "forum" / "posts.jsonl"])
    assert result.records_new == 14 and result.records_quarantined == 0
    rows = {(r["source_id"], r["native_id"]): r for r in posts(ws)}

    p = rows["forum:Harbor Board", "90211"]
    assert p["section"] == "General chat" and p["thread_id"] == "812"
    assert p["thread_title"] == "Evening check-in" and p["title"] is None  # not the opener
    assert p["author_name"] == "alice" and p["author_id"] == "55" and p["kind"] == "post"
    assert p["time"].isoformat() == "2020-04-22T15:05:00+00:00" and p["time_offset_min"] == 120
    assert p["retrieved_at"].isoformat() == "2020-04-23T08:00:00+00:00"
    assert "https://img.example-host.net/u/7f3a/harbor.jpg" in p["links"]
    extra = orjson.loads(p["extra"])
    assert extra["post_number"] == 2 and extra["date_raw"] == "Wed Apr 22, 2020 5:05 pm"
    assert extra["url"].endswith("viewtopic.php?p=90211#p90211")
    assert rows["forum:Harbor Board", "90180"]["title"] == "Evening check-in"  # thread opener

    upload = rows["forum:Harbor Board", "90290"]
    assert upload["section"] == "Uploads" and upload["tags"] == ["Original"]
    assert upload["links"] == [
        "https://pics.example-files.org/a/sunset01.jpg",
        "https://pics.example-files.org/a/sunset02.jpg",
    ]
    (att,) = upload["attachments"]
    assert att["name"] == "sunset-thumb.jpg" and att["size"] == 20480
    assert rows["forum:Harbor Board", "90230"]["section"] == "Dutch chat"
    assert rows["forum:Harbor Board", "90301"]["text"] == "Всем привет! Как дела?"

    # alternate field names: forum/forum_url/section/topic_*/message_id/username/posted
    xf = rows["forum:Gardeners Corner", "5678"]
    assert (xf["section"], xf["thread_id"], xf["thread_title"]) == (
        "Vegetables",
        "3301",
        "Tomato varieties",
    )
    assert xf["author_name"] == "dave" and xf["author_id"] == "12"
    assert xf["time"].isoformat() == "2020-04-22T21:05:00+00:00" and xf["time_offset_min"] == -240
    # vBulletin: user object, id as a number, datetime field
    vb = rows["forum:Retro Tech", "91011"]
    assert vb["author_name"] == "carol" and vb["author_id"] == "301"
    assert vb["time"].isoformat() == "2020-04-22T22:05:00+00:00"
    # SMF: timestamp field, html body; no author id -> the name stands in
    smf = rows["forum:Quiet Lake", "120"]
    assert smf["text"] == "Welcome to the board." and smf["author_id"] == "admin"
    assert smf["time"].isoformat() == "2020-04-22T16:05:12+00:00"
    assert rows["forum:Quiet Lake", "121"]["time_offset_min"] is None  # epoch number

    sources = {s["source_id"]: s for s in ws.sources()}
    harbor = sources["forum:Harbor Board"]
    assert harbor["network"] == "tor" and harbor["url"].endswith(".onion")
    assert harbor["timezone"] == AMS
    assert sources["forum:Gardeners Corner"]["network"] == "clearnet"
    assert sources["forum:Gardeners Corner"]["url"] == "https://forum.example.org"


def test_quotes(ws: Workspace, cases: Path) -> None:
    ws.import_("forum", [cases / "forum" / "posts.jsonl"])
    rows = {r["native_id"]: r for r in posts(ws)}
    for native, author, quoted in (
        ("90211", "bob", "90180"),  # phpBB <cite>bob wrote:
        ("5690", "dave", "5678"),  # XenForo data-quote/data-source
        ("91020", "carol", "91011"),
    ):  # vBulletin "Originally Posted by"
        r = rows[native]
        (q,) = r["quotes"]
        assert (q["quoted_author"], q["quoted_id"]) == (author, quoted), native
        assert r["quoted_ids"] == [quoted]
        quoted_text = r["text"][q["start"] : q["end"]]
        assert quoted_text.endswith(rows[quoted]["text"]), native
        assert r["text"][q["end"] :].strip()  # the reply itself follows the quote


DATES = [
    ("Wed Apr 22, 2020 5:05 pm", "2020-04-22T15:05:00+00:00"),  # phpBB 3 default
    ("Wed Apr 22, 2020 17:05", "2020-04-22T15:05:00+00:00"),
    ("22 Apr 2020, 17:05", "2020-04-22T15:05:00+00:00"),  # phpBB d M Y, H:i
    ("04-22-2020, 05:05 PM", "2020-04-22T15:05:00+00:00"),  # vBulletin
    ("22-04-2020, 17:05", "2020-04-22T15:05:00+00:00"),  # vBulletin, European setting
    ("Apr 22, 2020 at 5:05 PM", "2020-04-22T15:05:00+00:00"),  # XenForo
    ("April 22, 2020, 05:05:12 PM", "2020-04-22T15:05:12+00:00"),  # SMF
    ("22.04.2020, 17:05", "2020-04-22T15:05:00+00:00"),
    ("2020-04-22T17:05:00", "2020-04-22T15:05:00+00:00"),  # naive ISO: forum timezone
    ("2020-04-22T17:05:00Z", "2020-04-22T17:05:00+00:00"),
    ("2020-04-22 17:05:00+03:00", "2020-04-22T14:05:00+00:00"),
    ("Posted: Wed Apr 22, 2020 5:05 pm", "2020-04-22T15:05:00+00:00"),
    ("Wed\u00a0Apr 22, 2020  5:05 PM", "2020-04-22T15:05:00+00:00"),  # &nbsp;, double space
    ("22nd April 2020 5:05pm", "2020-04-22T15:05:00+00:00"),  # lenient fallback
    (1587567900, "2020-04-22T15:05:00+00:00"),  # epoch seconds
    ("1587567900000", "2020-04-22T15:05:00+00:00"),  # epoch milliseconds as text
]


@pytest.mark.parametrize(("raw", "expected"), DATES)
def test_date_formats(raw: Any, expected: str) -> None:
    us, _ = ForumDates().parse(raw, AMS, None)
    assert _iso(us) == expected


def test_date_pattern_memory_and_offsets() -> None:
    dates = ForumDates()
    assert dates.parse("Wed Apr 22, 2020 5:05 pm", "UTC", None) == (_us("2020-04-22T17:05Z"), None)
    assert dates.last == "%a %b %d, %Y %I:%M %p"
    # another format after it still parses (and becomes the one tried first)
    assert dates.parse("Apr 22, 2020 at 5:05 PM", "America/New_York", None) == (
        _us("2020-04-22T21:05Z"),
        -240,
    )
    assert dates.last == "%b %d, %Y at %I:%M %p"
    assert ForumDates("%d/%m/%Y %H.%M").parse("22/04/2020 17.05", AMS, None)[0] == _us(
        "2020-04-22T15:05Z"
    )


def test_declared_time_format_keeps_relative_dates() -> None:
    dates = ForumDates("%d/%m/%Y %H.%M")
    assert _iso(dates.parse("Yesterday, 17:05", AMS, REF)[0]) == "2020-04-22T15:05:00+00:00"
    with pytest.raises(RecordError, match="does not match"):
        dates.parse("Wed Apr 22, 2020 5:05 pm", AMS, REF)


def test_dst_europe_amsterdam() -> None:
    d = ForumDates()
    # 2020-03-29: clocks go from 02:00 CET (+01:00) to 03:00 CEST (+02:00)
    assert d.parse("Sun Mar 29, 2020 1:30 am", AMS, None) == (_us("2020-03-29T00:30Z"), 60)
    assert d.parse("Sun Mar 29, 2020 3:30 am", AMS, None) == (_us("2020-03-29T01:30Z"), 120)
    # 02:30 does not exist that night: read with the offset before the change (fold=0)
    assert d.parse("Sun Mar 29, 2020 2:30 am", AMS, None) == (_us("2020-03-29T01:30Z"), 60)
    # 2020-10-25 02:30 happens twice: the first (summer time) is taken
    assert d.parse("Sun Oct 25, 2020 2:30 am", AMS, None) == (_us("2020-10-25T00:30Z"), 120)
    assert d.parse("Sun Oct 25, 2020 3:30 am", AMS, None) == (_us("2020-10-25T02:30Z"), 60)


REF = _us("2020-04-23T08:00:00+00:00")  # Thursday, 10:00 in Amsterdam


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Today at 5:05 PM", "2020-04-23T15:05:00+00:00"),
        ("Today, 17:05", "2020-04-23T15:05:00+00:00"),
        ("today 09:15", "2020-04-23T07:15:00+00:00"),
        ("Yesterday, 17:05", "2020-04-22T15:05:00+00:00"),
        ("Yesterday at 5:05 PM", "2020-04-22T15:05:00+00:00"),
        ("Yesterday at 12:10 AM", "2020-04-21T22:10:00+00:00"),
        ("Today at 05:05:12 PM", "2020-04-23T15:05:12+00:00"),  # SMF keeps seconds
        ("Gisteren om 17:05", "2020-04-22T15:05:00+00:00"),
        ("Вчера в 17:05", "2020-04-22T15:05:00+00:00"),
        ("Tuesday at 5:05 PM", "2020-04-21T15:05:00+00:00"),  # XenForo, within the last week
        ("Thursday at 9:00 AM", "2020-04-16T07:00:00+00:00"),  # same weekday: a week back
        ("3 hours ago", "2020-04-23T05:00:00+00:00"),
        ("an hour ago", "2020-04-23T07:00:00+00:00"),
        ("just now", "2020-04-23T08:00:00+00:00"),
    ],
)
def test_relative_dates(raw: str, expected: str) -> None:
    assert _iso(ForumDates().parse(raw, AMS, REF)[0]) == expected


def test_relative_date_uses_the_forum_day_not_the_utc_day() -> None:
    late = _us("2020-04-22T23:30:00+00:00")  # already 01:30 on the 23rd in Amsterdam
    assert _iso(ForumDates().parse("Today, 00:10", AMS, late)[0]) == "2020-04-22T22:10:00+00:00"
    assert _iso(ForumDates().parse("Today, 00:10", "UTC", late)[0]) == "2020-04-22T00:10:00+00:00"


def test_relative_date_without_reference() -> None:
    with pytest.raises(RecordError, match="needs the time the page was scraped"):
        ForumDates().parse("Today, 17:05", AMS, None)
    for bad in ("Today, 25:05", "Yesterday at 13:05 PM", "17:05", "soon", "Apr 22"):
        with pytest.raises(RecordError):
            ForumDates().parse(bad, AMS, REF)


def test_retrieved_at_option_and_timezone_option(tmp_path: Path, ws: Workspace) -> None:
    path = _jsonl(
        tmp_path / "board.jsonl",
        _post(1, date="Yesterday, 17:05", scraped_at=None, timezone="Asia/Tokyo"),
        _post(2, date="22 Apr 2020, 17:05", scraped_at=None),
    )
    opts = ImportOptions(timezone=AMS, retrieved_at="2020-04-23T08:00:00Z")
    ws.import_("forum", [path], options=opts)
    rows = {r["native_id"]: r for r in posts(ws)}
    # --timezone wins over the record's own timezone field
    assert rows["1"]["time"].isoformat() == "2020-04-22T15:05:00+00:00"
    assert rows["2"]["time"].isoformat() == "2020-04-22T15:05:00+00:00"
    assert rows["1"]["retrieved_at"] is None  # the option only anchors relative dates
    (src,) = ws.sources()
    assert src["timezone"] == AMS


def test_tor_detection(tmp_path: Path, ws: Workspace) -> None:
    onion = "http://" + "a2" * 28 + ".onion"
    path = _jsonl(
        tmp_path / "sites.jsonl",
        _post(1, site="Hidden", site_url=onion + "/index.php"),
        _post(2, site="Hidden Upper", site_url="HTTP://USER@" + "B3" * 28 + ".ONION:80/"),
        _post(3, site="Open", site_url="https://onion.example.org/"),
        _post(4, site=None, site_url="http://" + "c4" * 28 + ".onion"),
    )
    ws.import_("forum", [path])
    net = {s["name"]: s["network"] for s in ws.sources()}
    assert net == {
        "Hidden": "tor",
        "Hidden Upper": "tor",
        "Open": "clearnet",
        "c4" * 28 + ".onion": "tor",
    }  # no site name: the host names the source


def test_malformed_lines_quarantined(tmp_path: Path, ws: Workspace) -> None:
    path = _jsonl(
        tmp_path / "bad.jsonl",
        _post(1),
        b'{"post_id": "2", "date": "Wed Apr 22, 2020 5:05 pm", "body_html": "<p>cut',
        _post(3, date="sometime last spring"),
        _post(4, post_id=None),
        _post(5, post_id=["5"]),
        _post(6, body_html={"p": "x"}),
        _post(7, tags="Original, Request"),  # a comma string is fine
        _post(8, tags=7),
        _post(9, date="Today, 17:05", scraped_at=None),
        _post(10, timezone="Mars/Olympus_Mons"),
        _post(11, scraped_at="not a time"),
        _post(12, date=True),
        b'["a", "list"]',
        b'{"post_id": "14", "body_html": "nul \x00 raw"}',
        orjson.dumps(_post(15, body_html="<p>escaped \u0000 nul</p>", author="x\u0000y")),
        b'{"post_id": "16", "body_html": "caf\xe9"}',
        _post(17, post_number="first"),
        b"",
        _post(18),
    )
    (result,) = ws.import_("forum", [path])
    assert result.status == "completed"
    kept = {r["native_id"]: r for r in posts(ws)}
    assert sorted(kept, key=int) == ["1", "7", "15", "18"]
    assert kept["7"]["tags"] == ["Original", "Request"]
    assert kept["15"]["text"] == "escaped nul" and kept["15"]["author_name"] == "xy"
    reasons = {q["location"]: q["reason"] for q in ws.quarantine()}
    assert reasons["line 2"].startswith("invalid JSON")
    assert reasons["line 3"] == "cannot read date 'sometime last spring'"
    assert reasons["line 4"] == "missing post_id"
    assert reasons["line 5"] == "post_id has type list, expected text or integer"
    assert reasons["line 6"] == "expected text, got dict"
    assert reasons["line 8"] == "tags must be a list of strings"
    assert "needs the time the page was scraped" in reasons["line 9"]
    assert reasons["line 10"] == "unknown timezone 'Mars/Olympus_Mons'"
    assert reasons["line 11"].startswith("scraped_at:")
    assert reasons["line 12"] == "date is a boolean (True)"
    assert reasons["line 13"] == "expected a JSON object, got list"
    assert reasons["line 14"] == "NUL byte inside JSON"
    assert reasons["line 16"].startswith("invalid UTF-8")
    assert reasons["line 17"] == "post_number is 'first', expected an integer"
    assert len(reasons) == 14
    assert all("\x00" not in q["excerpt"] for q in ws.quarantine())


def test_overlong_line_quarantined(tmp_path: Path, ws: Workspace) -> None:
    ws.config = dataclasses.replace(
        ws.config, imports=dataclasses.replace(ws.config.imports, max_record_mb=0.05)
    )
    big = _post(2, body_html="<p>" + "x" * 60_000 + "</p>")
    path = _jsonl(tmp_path / "big.jsonl", _post(1), big, _post(3))
    ws.import_("forum", [path])
    assert [r["native_id"] for r in posts(ws)] == ["1", "3"]
    (q,) = ws.quarantine()
    assert q["location"] == "line 2" and "exceeds the 0.05 MB limit" in q["reason"]
    assert len(q["excerpt"]) <= 1000


def test_idempotent_reimport(ws: Workspace, cases: Path) -> None:
    path = cases / "forum" / "posts.jsonl"
    ws.import_("forum", [path])
    (again,) = ws.import_("forum", [path], force=True)
    assert (again.records_new, again.records_updated, again.records_unchanged) == (0, 0, 14)


def test_hostile_files(tmp_path: Path, ws: Workspace) -> None:
    # a deeply nested line and a binary blob are quarantined; the good lines around them import
    nested = b'{"post_id": "2", "body_html": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    path = _jsonl(tmp_path / "odd.jsonl", _post(1), nested, b"\x89PNG\r\x1a\x00\xff\xfe", _post(4))
    ws.import_("forum", [path])
    assert [r["native_id"] for r in posts(ws)] == ["1", "4"]
    reasons = {q["location"]: q["reason"] for q in ws.quarantine()}
    assert reasons["line 2"] == "JSON nested too deeply"
    assert reasons["line 3"].startswith(("invalid UTF-8", "NUL byte", "invalid JSON"))
    # a truncated gzip stream stops the run; the lines read before the cut are kept
    pad = "<p>" + "word " * 200 + "</p>"  # over 1 MB decompressed, so some reads succeed
    lines = b"".join(orjson.dumps(_post(i, body_html=pad)) + b"\n" for i in range(10, 2010))
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gzip.compress(lines)[:-2000])
    with pytest.raises(HostileInputError, match="corrupt or truncated"):
        ws.import_("forum", [cut])
    kept = ws.sql("SELECT count(*) AS n FROM posts WHERE native_id::INT >= 10").to_pylist()[0]["n"]
    assert 0 < kept < 2000
    assert ws.imports()[0]["status"] == "failed"
