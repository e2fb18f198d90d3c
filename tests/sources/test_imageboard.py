"""Imageboard importer (4chan API, vichan): threads, catalogs, JSON lines, hostile input."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from groundswell import Workspace
from groundswell.errors import HostileInputError
from groundswell.sources.base import ImportOptions
from tests.conftest import posts

OP = "76543210"
THREAD = "int/thread/76543210.json"
VICHAN = ImportOptions(platform="vichan", url="http://repairchan.example.onion")


def _by_id(ws: Workspace) -> dict[str, dict[str, Any]]:
    return {p["native_id"]: p for p in posts(ws)}


def _extra(post: dict[str, Any]) -> dict[str, Any]:
    return orjson.loads(post["extra"]) if post["extra"] else {}


def _thread(cases: Path) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((cases / "imageboard" / THREAD).read_bytes())
    return data


def _board_dir(tmp_path: Path, board: str = "int") -> Path:
    d = tmp_path / board / "thread"
    d.mkdir(parents=True)
    return d


def test_4chan_thread_maps_every_field(ws: Workspace, cases: Path) -> None:
    (r,) = ws.import_("imageboard", [cases / "imageboard" / THREAD])  # board from the path
    assert (r.status, r.records_new, r.records_quarantined) == ("completed", 8, 0)
    by_id = _by_id(ws)

    op = by_id[OP]
    assert op["source_id"] == "4chan:/int/"
    assert (op["kind"], op["section"], op["thread_id"], op["parent_id"]) == (
        "post",
        "/int/",
        OP,
        None,
    )
    assert op["title"] == op["thread_title"] == "Local transit strike & what it means"
    assert op["text"] == (
        "Buses and trams stop Monday in three cities. Official notice: "
        "https://transit.example.org/notices/2020-03-strike\n\n"  # <wbr> joins the URL
        "Post updates here. Bring a bike."  # <s> spoiler text is kept
    )
    assert op["time"] == datetime(2020, 3, 1, 17, 0, tzinfo=UTC)
    assert op["time_offset_min"] == -300  # 'now' is US Eastern (EST)
    assert (op["author_id"], op["author_name"]) == ("Ab3dE5fG", "Anonymous")
    assert op["attachments"] == [
        {
            "name": "strike_map.png",
            "url": "https://i.4cdn.org/int/1583082000123.png",  # metadata only
            "mime": "image/png",
            "size": 402113,
        }
    ]
    assert op["replies"] == 7
    extra = _extra(op)
    assert extra["country"] == "NL" and extra["md5"] == ["mK4v3QvYbOq2zN2m1s3Wbg=="]
    assert extra["unique_ips"] == 6 and extra["semantic_url"].startswith("local-transit")

    reply = by_id["76543214"]
    assert (reply["kind"], reply["thread_id"], reply["parent_id"]) == ("reply", OP, OP)
    assert reply["quoted_ids"] == [OP]
    assert reply["thread_title"] == op["title"]
    assert reply["replies"] is None

    marta = by_id["76543232"]
    assert marta["author_name"] == "Marta !Ep8pui8Vw2"
    assert marta["text"] == 'Photo from the depot this morning. It\'s "closed".'
    assert marta["time_offset_min"] == -300  # 'now' without seconds on this board
    assert marta["attachments"] == [
        {"name": "depot.jpg", "url": None, "mime": "image/jpeg", "size": 151230}
    ]  # deleted
    assert _extra(marta)["filedeleted"] == 1 and _extra(marta)["trip"] == "!Ep8pui8Vw2"

    banned = by_id["76543240"]
    assert _extra(banned)["moderator_note"] == "(USER WAS BANNED FOR THIS POST)"
    mod = by_id["76543251"]
    assert mod["author_id"] is None and _extra(mod)["capcode"] == "mod"

    after_dst = by_id["76543267"]
    assert after_dst["time_offset_min"] == -240  # EDT from 8 March 2020
    assert after_dst["attachments"][0]["mime"] == "application/pdf"
    assert after_dst["parent_id"] == "76543232"

    (src,) = ws.sources()
    assert (src["url"], src["timezone"], src["network"]) == (
        "https://boards.4chan.org/int/",
        "America/New_York",
        "clearnet",
    )


def test_quote_links_cross_board_and_dead_links(ws: Workspace, cases: Path) -> None:
    ws.import_("imageboard", [cases / "imageboard" / THREAD])
    post = _by_id(ws)["76543225"]
    # two live quote links, in reading order, then a dead link to a deleted post
    assert post["quoted_ids"] == ["76543214", "76543219", "76543199"]
    assert post["parent_id"] == "76543214"  # the first quoted post
    extra = _extra(post)
    assert extra["cross_board_quotes"] == ["/g/12345678"]  # not a same-board quote
    assert extra["dead_quotes"] == ["76543199"]
    assert "12345678" not in post["quoted_ids"]
    assert post["text"].startswith(">>76543214\n>>76543219\nTrains yes")


def test_greentext_is_not_a_quoted_post(ws: Workspace, cases: Path) -> None:
    ws.import_("imageboard", [cases / "imageboard" / THREAD])
    post = _by_id(ws)["76543219"]
    assert post["text"] == ">be me\n>walk 6 km to work tomorrow\nnot again"
    assert post["quoted_ids"] is None and post["quotes"] is None
    assert post["parent_id"] == OP  # a plain reply to the thread


def test_vichan_thread_with_extra_files(ws: Workspace, cases: Path) -> None:
    (r,) = ws.import_(
        "imageboard", [cases / "imageboard" / "vichan/b/res/1024.json"], options=VICHAN
    )
    assert (r.records_new, r.records_quarantined) == (4, 0)
    by_id = _by_id(ws)
    op = by_id["1024"]
    assert op["source_id"] == "vichan:/b/"
    assert op["title"] == "Weekly repair café"  # \u00e9 escape
    assert op["time_offset_min"] is None  # vichan gives no local time
    assert op["links"] == ["https://repair.example.org/cafe"]
    assert [(a["name"], a["url"], a["mime"], a["size"]) for a in op["attachments"]] == [
        (
            "flyer.jpg",
            "http://repairchan.example.onion/b/src/1622880000123.jpg",
            "image/jpeg",
            312400,
        ),
        (
            "map.png",
            "http://repairchan.example.onion/b/src/1622880000124-1.png",
            "image/png",
            98000,
        ),
        (
            "price list.pdf",
            "http://repairchan.example.onion/b/src/1622880000125-2.pdf",
            "application/pdf",
            45000,
        ),
    ]
    assert len(_extra(op)["md5"]) == 3

    sage = by_id["1025"]
    assert sage["quoted_ids"] == ["1024"]  # vichan quote links carry no class
    assert sage["text"] == ">>1024\n>for free\nnice, I have a toaster that needs help"
    assert _extra(sage)["email"] == "sage"
    embed = by_id["1026"]
    assert embed["title"] == "video of last week"  # vichan replies may have a subject
    assert "youtube.com/embed" in _extra(embed)["embed"]
    deleted = by_id["1027"]
    assert deleted["attachments"] == [{"name": None, "url": None, "mime": None, "size": None}]
    assert deleted["quoted_ids"] == ["1025", "1026"] and deleted["parent_id"] == "1025"
    assert deleted["author_name"] == "Tess !!Qx7rK2vB9z" and deleted["author_id"] == "77b2e0"
    (src,) = ws.sources()
    assert (src["url"], src["network"], src["timezone"]) == (
        "http://repairchan.example.onion/b/",
        "tor",
        None,
    )


def test_catalog_pages_with_last_replies(ws: Workspace, cases: Path) -> None:
    (r,) = ws.import_("imageboard", [cases / "imageboard" / "int/catalog.json"])
    assert (r.records_new, r.records_quarantined) == (7, 0)
    by_id = _by_id(ws)
    welcome = by_id["76500001"]
    assert welcome["kind"] == "post" and welcome["title"] == "Welcome to /int/"
    assert _extra(welcome)["sticky"] == 1 and _extra(welcome)["page"] == 1
    bread = by_id["76400000"]
    assert _extra(bread)["page"] == 2 and bread["replies"] == 2
    last = by_id["76400011"]
    assert (last["thread_id"], last["parent_id"], last["thread_title"]) == (
        "76400000",
        "76400005",
        "Bread prices thread",
    )
    assert "page" not in _extra(last)
    assert by_id["76543267"]["thread_id"] == OP  # a last reply of the strike thread

    # the thread file and the catalog describe the same posts: no duplicates
    ws.import_("imageboard", [cases / "imageboard" / THREAD])
    assert len(posts(ws)) == 7 + 8 - 3  # the OP and two last replies are shared


def test_json_lines_board_from_records_and_source(
    ws: Workspace, cases: Path, tmp_path: Path
) -> None:
    thread = _thread(cases)
    other = {
        "board": "diy",
        "posts": [
            {
                "no": 500,
                "resto": 0,
                "time": 1583100000,
                "sub": "Shelf build",
                "com": "pine or oak?",
            },
            {"no": 501, "resto": 500, "time": 1583100060, "com": "&gt;&gt;500 oak"},
        ],
    }
    lines = [orjson.dumps(thread), b"", orjson.dumps(other), b"{not json", b"[1, 2]"]
    path = tmp_path / "scrape.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(HostileInputError, match="pass --source g"):
        ws.import_("imageboard", [path])  # the first thread names no board

    thread["board"] = "int"
    path.write_bytes(b"\n".join([orjson.dumps(thread), *lines[1:]]) + b"\n")
    (r,) = ws.import_("imageboard", [path])
    assert (r.status, r.records_new) == ("completed", 10)
    assert {p["source_id"] for p in posts(ws)} == {"4chan:/int/", "4chan:/diy/"}
    reasons = {q["location"]: q["reason"] for q in ws.quarantine()}
    assert reasons["line 4"].startswith("invalid JSON")
    assert reasons["line 5 item 1"].startswith("expected a thread, catalog page or post")
    diy = _by_id(ws)["501"]
    assert (diy["section"], diy["thread_title"], diy["parent_id"]) == (
        "/diy/",
        "Shelf build",
        "500",
    )


def test_board_and_platform_options(ws: Workspace, cases: Path, tmp_path: Path) -> None:
    plain = tmp_path / "downloaded.json"  # the path says nothing about the board
    shutil.copy(cases / "imageboard" / THREAD, plain)
    with pytest.raises(HostileInputError, match="cannot tell which board"):
        ws.import_("imageboard", [plain])
    ws.import_("imageboard", [plain], options=ImportOptions(source="/int/"))
    assert {p["source_id"] for p in posts(ws)} == {"4chan:/int/"}
    with pytest.raises(HostileInputError, match="not a board name"):
        ws.import_("imageboard", [plain], options=ImportOptions(source="int; drop"))


def test_malformed_posts_are_quarantined(ws: Workspace, cases: Path, tmp_path: Path) -> None:
    thread = _thread(cases)
    good = thread["posts"]
    reply = good[1]
    bad = [
        {k: v for k, v in reply.items() if k != "no"},
        dict(reply, no=900001, time="yesterday at noon"),
        dict(reply, no=900002, com=["<b>not</b>", "a string"]),
        dict(reply, no=900003, com={"html": "x"}),
        dict(reply, no="12abc"),
        dict(reply, no=900004, time=True),
        dict(reply, no=900005, extra_files="flyer.jpg"),
        "just a string",
    ]
    thread["posts"] = good[:2] + bad + good[2:]
    path = _board_dir(tmp_path) / "76543210.json"
    path.write_bytes(orjson.dumps(thread))
    (r,) = ws.import_("imageboard", [path])
    assert (r.status, r.records_new, r.records_quarantined) == ("completed", 8, len(bad))
    reasons = {q["location"]: q["reason"] for q in ws.quarantine()}
    assert reasons["post 3"] == "missing no"
    assert reasons["post 4"] == "time 'yesterday at noon' is not an epoch number"
    assert reasons["post 5"] == "com has type list, expected HTML text"
    assert reasons["post 6"] == "com has type dict, expected HTML text"
    assert reasons["post 7"] == "no '12abc' is not a post number"
    assert "boolean" in reasons["post 8"]
    assert reasons["post 9"] == "extra_files has type str, expected a list"
    assert reasons["post 10"] == "post has type str, expected an object"


def test_hostile_html_is_converted_not_run(ws: Workspace, tmp_path: Path) -> None:
    nested = "<div><blockquote><b>" * 2000 + "deep" + "</b></blockquote></div>" * 2000
    posts_in = [
        {
            "no": 1,
            "resto": 0,
            "time": 1583082000,
            "com": "<script>alert(document.cookie)</script>hello<img src=x onerror=alert(1)>"
            '<style>body{display:none}</style><iframe src="https://evil.example">'
            '</iframe><a href="javascript:alert(1)">click</a>',
        },
        {"no": 2, "resto": 1, "time": 1583082060, "com": nested},
        {"no": 3, "resto": 1, "time": 1583082120, "com": "<b>" * 20_000 + "x"},
        {
            "no": 4,
            "resto": 1,
            "time": 1583082180,
            "com": "<p><div><table><td>unclosed &amp; &#0;&#xD800; &bogus; <</div></p>",
        },
    ]
    path = _board_dir(tmp_path, "x") / "1.json"
    path.write_bytes(orjson.dumps({"posts": posts_in}))
    started = time.monotonic()
    (r,) = ws.import_("imageboard", [path])
    assert time.monotonic() - started < 10
    assert (r.records_new, r.records_quarantined) == (3, 1)
    by_id = _by_id(ws)
    assert by_id["1"]["text"] == "helloclick"  # script, style and iframe dropped
    assert by_id["1"]["links"] == ["x", "javascript:alert(1)"]  # kept as written, never opened
    assert by_id["2"]["text"] == "deep"
    assert "unclosed &" in by_id["4"]["text"]
    (q,) = ws.quarantine()
    assert q["location"] == "post 3" and "likely hostile markup" in q["reason"]


def test_truncated_thread_keeps_earlier_posts(ws: Workspace, cases: Path, tmp_path: Path) -> None:
    ws.import_("imageboard", [cases / "imageboard" / "vichan/b/res/1024.json"], options=VICHAN)
    data = (cases / "imageboard" / THREAD).read_bytes()
    path = _board_dir(tmp_path) / "76543210.json"
    path.write_bytes(data[: data.index(b'"no":76543232')])
    with pytest.raises(HostileInputError, match="ends early"):
        ws.import_("imageboard", [path])
    assert ws.imports()[0]["status"] == "failed"
    assert len(posts(ws, "source_id = 'vichan:/b/'")) == 4  # the earlier import is intact
    assert len(posts(ws, "source_id = '4chan:/int/'")) == 4  # posts read before the cut


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html>404 Not Found</html>", "not imageboard JSON: the file starts with"),
        (b'{"no_posts_here": true}', "no posts, threads or catalog pages"),
        (b"[570368, 570370]", "archive.json"),
        (
            b'{"posts": [{"no": 1, "resto": 0, "time": 1583082000, "com": "caf\xe9"}]}',
            "invalid UTF-8",
        ),
        (
            b'{"posts": [{"no": 1, "resto": 0, "time": 1583082000, "com": "a\x00b"}]}',
            "malformed JSON",
        ),
    ],
)
def test_hostile_whole_files(ws: Workspace, tmp_path: Path, content: bytes, message: str) -> None:
    path = _board_dir(tmp_path) / "1.json"
    path.write_bytes(content)
    with pytest.raises(HostileInputError, match=message):
        ws.import_("imageboard", [path])


def test_deeply_nested_post_is_quarantined(ws: Workspace, tmp_path: Path) -> None:
    deep = 300_000
    raw = (
        b'{"posts": [{"no": 1, "resto": 0, "time": 1583082000, "com": "op"},'
        b'{"no": 2, "resto": 1, "time": 1583082001, "com": '
        + b"[" * deep
        + b"]" * deep
        + b'}, {"no": 3, "resto": 1, "time": 1583082002, "com": "ok"}]}'
    )
    path = _board_dir(tmp_path) / "1.json"
    path.write_bytes(raw)
    (r,) = ws.import_("imageboard", [path])
    assert (r.records_new, r.records_quarantined) == (2, 1)
    assert ws.quarantine()[0]["reason"] == "JSON nested more than 64 levels deep"

    line = orjson.dumps({"board": "int", "posts": [{"no": 5, "time": 1583082000, "com": [[[]]]}]})
    nested = b'{"board": "int", "posts": [{"no": 6, "time": 1, "x": ' + b"[" * 200 + b"]" * 200
    jsonl = tmp_path / "deep.jsonl"
    jsonl.write_bytes(line + b"\n" + nested + b"}]}\n")
    (r,) = ws.import_("imageboard", [jsonl])
    assert r.records_quarantined == 2
    reasons = {q["reason"] for q in ws.quarantine(import_id=r.import_id)}
    assert reasons == {
        "com has type list, expected HTML text",
        "JSON nested more than 64 levels deep",
    }


def test_index_page_and_time_from_now(ws: Workspace, tmp_path: Path) -> None:
    page = {
        "threads": [
            {
                "posts": [
                    {
                        "no": 10,
                        "resto": 0,
                        "now": "11/01/20(Sun)01:30:00",
                        "name": "Anonymous",
                        "com": "no epoch time on this one",
                        "replies": 1,
                    },
                    {"no": 11, "resto": 10, "time": 1604215800, "now": "11/01/20(Sun)02:30:00"},
                ]
            },
            {"posts": [{"no": 20, "resto": 0, "name": "Anonymous", "com": "neither time nor now"}]},
        ]
    }
    path = tmp_path / "1.json"
    path.write_bytes(orjson.dumps(page))
    (r,) = ws.import_("imageboard", [path], options=ImportOptions(source="g"))
    assert (r.records_new, r.records_quarantined) == (2, 1)
    by_id = _by_id(ws)
    # 01:30 on the night the clocks went back is read in US Eastern (EDT, the first 01:30)
    assert by_id["10"]["time"] == datetime(2020, 11, 1, 5, 30, tzinfo=UTC)
    assert by_id["10"]["time_offset_min"] == -240
    assert by_id["11"]["time_offset_min"] == -300  # 07:30 UTC shown as 02:30 EST
    assert by_id["11"]["text"] == "" and by_id["11"]["parent_id"] == "10"
    (q,) = ws.quarantine()
    assert (q["location"], q["reason"]) == ("thread 2 post 1", "time is missing")
