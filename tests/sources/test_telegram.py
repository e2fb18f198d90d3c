"""Telegram Desktop JSON export importer: layouts, mapping, malformed and hostile input."""

from __future__ import annotations

import json
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import zstandard

from groundswell import Workspace
from groundswell.config import ImportSettings
from groundswell.errors import HostileInputError
from groundswell.sources.base import ImportOptions, ReadContext, Reject
from groundswell.sources.telegram import TelegramImporter
from tests.conftest import posts

NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def _rows(ws: Workspace, source: str) -> dict[str, dict[str, Any]]:
    return {p["native_id"]: p for p in posts(ws, f"source_id = '{source}'")}


def _msg(i: int, **kw: Any) -> dict[str, Any]:
    m: dict[str, Any] = {
        "id": i,
        "type": "message",
        "date": "2023-05-01T12:00:00",
        "date_unixtime": str(1682942400 + i),
        "from": "Oak Example",
        "from_id": "user4000001",
        "text": f"message {i}",
    }
    m.update(kw)
    return {k: v for k, v in m.items() if v is not None}


def _chat(path: Path, messages: list[Any], name: str = "Test Chat", **kw: Any) -> Path:
    chat = {
        "name": name,
        "type": "private_supergroup",
        "id": 1800000001,
        **kw,
        "messages": messages,
    }
    path.write_text(json.dumps(chat, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def test_single_chat_mapping(ws: Workspace, cases: Path) -> None:
    (result,) = ws.import_("telegram", [cases / "telegram" / "allotment_neighbours.json"])
    assert (result.status, result.records_new, result.records_quarantined) == ("completed", 9, 0)
    (src,) = ws.sources()
    assert src["source_id"] == "telegram:Allotment Neighbours"
    assert src["platform"] == "telegram"
    assert src["url"] == "https://t.me/c/1734567890"
    m = _rows(ws, "telegram:Allotment Neighbours")

    join = m["1"]  # a service message: kept, authored by its actor
    assert join["kind"] == "service"
    assert (join["author_name"], join["author_id"]) == ("Maple Example", "user1000001")
    assert join["text"] is None
    assert orjson.loads(join["extra"])["action"] == "join_group_by_link"

    plain = m["2"]
    # date_unixtime wins over the exporting machine's local date (UTC+2 in the fixture)
    assert plain["time"] == _utc(2023, 4, 1, 7, 15)
    assert plain["time_offset_min"] is None
    assert plain["section"] == "Allotment Neighbours"
    assert plain["text"] == "Morning all! Water is back on at plot 12."

    rich = m["3"]  # list-form text, reply, edit, reactions
    assert rich["text"] == (
        "Thanks! Details: https://allotment.example.org/water and the rota "
        "#water cc @rowan_example today"
    )
    assert rich["links"] == [
        "https://allotment.example.org/water",
        "https://allotment.example.org/rota?week=14",
    ]
    assert rich["tags"] == ["water"]
    assert rich["parent_id"] == "2"
    assert rich["edited_at"] == _utc(2023, 4, 1, 7, 20)
    assert rich["likes"] == 6
    extra = orjson.loads(rich["extra"])
    assert extra["mentions"] == ["@rowan_example"]
    assert [r["count"] for r in extra["reactions"]] == [3, 1, 2]
    assert extra["reactions"][2]["document_id"] == "5368324170671202286"
    assert extra["chat_id"] == 1734567890

    photo = m["4"]
    assert photo["text"] is None
    assert photo["attachments"] == [
        {
            "name": "photo_1@01-04-2023_09-30-00.jpg",
            "url": "photos/photo_1@01-04-2023_09-30-00.jpg",
            "mime": "image/jpeg",
            "size": 48213,
        }
    ]

    assert m["5"]["forwarded_from"] == "Parish Council Notices (example)"

    doc = m["6"]  # a file that was not downloaded: metadata only, no url
    assert doc["attachments"] == [
        {"name": "seed_list.pdf", "url": None, "mime": "application/pdf", "size": 20480}
    ]
    assert orjson.loads(doc["extra"])["media_note"] == NOT_INCLUDED

    pin = m["7"]
    assert pin["kind"] == "service" and pin["parent_id"] is None
    assert orjson.loads(pin["extra"])["message_id"] == 5

    sticker = m["8"]
    extra = orjson.loads(sticker["extra"])
    assert (extra["via_bot"], extra["media_type"], extra["sticker_emoji"]) == (
        "@stickers_example_bot",
        "sticker",
        "🌱",
    )

    deleted = m["9"]  # "from": null for a deleted account
    assert deleted["author_name"] is None and deleted["author_id"] == "user1000099"


def test_full_account_export(ws: Workspace, cases: Path) -> None:
    (result,) = ws.import_(
        "telegram",
        [cases / "telegram" / "result.json"],
        options=ImportOptions(timezone="Europe/Amsterdam"),
    )
    assert (result.status, result.records_new, result.records_quarantined) == ("completed", 10, 0)
    sources = {s["source_id"]: s["posts"] for s in ws.sources()}
    assert sources == {
        "telegram:Example Garden News": 3,
        "telegram:Community Forum Example": 5,
        "telegram:saved_messages 777000001": 1,  # a chat without a name
        "telegram:Old Swap Group": 1,  # from left_chats
    }

    news = _rows(ws, "telegram:Example Garden News")
    assert news["1"]["title"] == "Example Garden News"  # create_channel service message
    post = news["2"]
    assert post["author_id"] == "channel1600000001"
    assert post["tags"] == ["frost"] and post["likes"] == 14
    assert orjson.loads(post["extra"])["author"] == "Editor Example"  # the post's signature
    assert news["3"]["attachments"][0]["url"] == "files/planting_calendar.pdf"

    forum = _rows(ws, "telegram:Community Forum Example")
    assert forum["10"]["kind"] == "service" and forum["10"]["title"] == "Tools"
    # forum topic: messages replying to the topic_created message, directly or through a chain
    assert [forum[i]["thread_id"] for i in ("10", "11", "12", "13")] == ["10", "10", "10", None]
    assert forum["12"]["thread_title"] == "Tools" and forum["12"]["parent_id"] == "11"
    cross = forum["14"]  # a reply into another chat is not a parent here
    assert cross["parent_id"] is None
    extra = orjson.loads(cross["extra"])
    assert (extra["reply_to_peer_id"], extra["reply_to_message_id"]) == ("channel1600000001", 4)

    (old,) = _rows(ws, "telegram:Old Swap Group").values()
    # no date_unixtime (an old export): the naive local date is read in --timezone
    assert old["time"] == _utc(2019, 6, 1, 16, 30)
    assert old["time_offset_min"] == 120
    assert orjson.loads(old["extra"])["left_chat"] is True


def test_reimport_is_idempotent(ws: Workspace, cases: Path) -> None:
    ws.import_("telegram", [cases / "telegram" / "result.json"])
    before = posts(ws)
    (again,) = ws.import_("telegram", [cases / "telegram" / "result.json"], force=True)
    assert (again.records_new, again.records_updated) == (0, 0)
    assert posts(ws) == before


def test_malformed_messages_are_quarantined(ws: Workspace, tmp_path: Path) -> None:
    deep: Any = "bottom"
    for _ in range(200):
        deep = [deep]
    messages = [
        _msg(1),
        _msg(2, id=None),  # missing id
        _msg(3, date_unixtime="soon"),  # bad date_unixtime
        _msg(4, text=42),  # text of a wrong type
        _msg(5, text=["ok ", 7]),  # a text piece of a wrong type
        "not a message",
        [1, 2],
        {"id": 8, "type": "unsupported"},
        _msg(9, date=None, date_unixtime=None),  # no date at all
        _msg(10, extra_field=deep),  # nested deeper than the limit
        _msg(11, type=None),
        _msg(12, text={"type": "bold"}),
        _msg(13, text=["fine ", {"type": "bold", "text": "bold"}]),
    ]
    path = _chat(tmp_path / "chat.json", messages)
    (result,) = ws.import_("telegram", [path])
    assert result.status == "completed"
    assert set(_rows(ws, "telegram:Test Chat")) == {"1", "13"}
    assert _rows(ws, "telegram:Test Chat")["13"]["text"] == "fine bold"
    reasons = {q["location"]: q["reason"] for q in ws.quarantine()}
    assert reasons == {
        "message 2": "missing id",
        "message 3": "bad date_unixtime: time 'soon' is not an epoch number",
        "message 4": "text is a number, expected a string or a list",
        "message 5": "a text piece is a number, expected a string or object",
        "message 6": "message is a string, not a JSON object",
        "message 7": "message is an array, not a JSON object",
        "message 8": "unsupported message: Telegram Desktop exported only its id",
        "message 9": "missing date and date_unixtime",
        "message 10": "message nested deeper than 64 levels",
        "message 11": "missing message type",
        "message 12": "text is an object, expected a string or a list",
    }
    excerpts = {q["location"]: q["excerpt"] for q in ws.quarantine()}
    assert '"date_unixtime":"soon"' in excerpts["message 3"]
    assert '"id":10' in excerpts["message 10"]


def test_truncated_file_keeps_what_was_read(ws: Workspace, cases: Path, tmp_path: Path) -> None:
    ws.import_("telegram", [cases / "telegram" / "allotment_neighbours.json"])
    before = posts(ws)
    data = (cases / "telegram" / "result.json").read_bytes()
    cut = tmp_path / "result.json"
    cut.write_bytes(data[: data.index(b"Me, plot 3.")])  # inside the forum chat
    with pytest.raises(HostileInputError, match="truncated") as err:
        ws.import_("telegram", [cut])
    assert "after 5 complete messages, in chat 2" in str(err.value)
    # nothing stored earlier is lost; the messages before the break are kept
    assert [p for p in posts(ws) if p["import_id"] == 1] == before
    kept = {(p["source_id"], p["native_id"]) for p in posts(ws) if p["import_id"] == 2}
    assert kept == {
        ("telegram:Example Garden News", "1"),
        ("telegram:Example Garden News", "2"),
        ("telegram:Example Garden News", "3"),
        ("telegram:Community Forum Example", "10"),
        ("telegram:Community Forum Example", "11"),
    }
    assert ws.imports()[0]["status"] == "failed"


def test_invalid_utf8_stops_the_file(ws: Workspace, cases: Path, tmp_path: Path) -> None:
    data = (cases / "telegram" / "allotment_neighbours.json").read_bytes()
    bad = tmp_path / "bad.json"
    bad.write_bytes(data.replace(b"Seed list attached", b"Seed list \xff\xfe attached"))
    with pytest.raises(HostileInputError, match="invalid UTF-8"):
        ws.import_("telegram", [bad])
    assert {p["native_id"] for p in posts(ws)} == {"1", "2", "3", "4", "5"}


def test_deep_nesting_is_bounded(ws: Workspace, tmp_path: Path) -> None:
    depth = 200_000
    nested = b"[" * depth + b"]" * depth
    # deep inside one message: that message is quarantined, the others import
    chat = (
        b'{"name": "Deep", "type": "private_group", "id": 5, "messages": ['
        + orjson.dumps(_msg(1))
        + b', {"id": 2, "junk": '
        + nested
        + b"}, "
        + orjson.dumps(_msg(3))
        + b"]}"
    )
    path = tmp_path / "deep.json"
    path.write_bytes(chat)
    started = time.monotonic()
    ws.import_("telegram", [path])
    assert time.monotonic() - started < 5
    assert set(_rows(ws, "telegram:Deep")) == {"1", "3"}
    (q,) = ws.quarantine()
    assert q["reason"] == "message nested deeper than 64 levels"
    # deep outside the messages (skipped without being built)
    path.write_bytes(b'{"other_data": ' + nested + b', "chats": {"list": []}}')
    (result,) = ws.import_("telegram", [path])
    assert result.status == "completed"
    # a document that is only nesting is not an export
    path.write_bytes(nested)
    with pytest.raises(HostileInputError, match="JSON document is an array"):
        ws.import_("telegram", [path])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty|truncated"),
        (b'{"name": "x", "about": "no messages here"}', "no 'messages' array"),
        (b'"just a string"', "JSON document is a string"),
        (b"\x00\x01\x02binary", "invalid JSON"),
        (b'{"messages": []} {"messages": []}', "invalid JSON"),
    ],
)
def test_not_an_export(ws: Workspace, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(content)
    with pytest.raises(HostileInputError, match=message):
        ws.import_("telegram", [path])


def test_bom_and_compression(ws: Workspace, cases: Path, tmp_path: Path) -> None:
    data = (cases / "telegram" / "allotment_neighbours.json").read_bytes()
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + data)
    ws.import_("telegram", [bom])
    zst = tmp_path / "result.json.zst"
    zst.write_bytes(
        zstandard.ZstdCompressor().compress((cases / "telegram" / "result.json").read_bytes())
    )
    ws.import_("telegram", [zst])
    assert len(posts(ws)) == 19


def test_source_option(ws: Workspace, cases: Path) -> None:
    opts = ImportOptions(source="neighbours", url="https://t.me/example_neighbours")
    ws.import_("telegram", [cases / "telegram" / "allotment_neighbours.json"], options=opts)
    (src,) = ws.sources()
    assert (src["source_id"], src["url"]) == (
        "telegram:neighbours",
        "https://t.me/example_neighbours",
    )
    with pytest.raises(HostileInputError, match="whole-account export"):
        ws.import_("telegram", [cases / "telegram" / "result.json"], options=opts)


def test_chats_sharing_a_name_stay_apart(ws: Workspace, tmp_path: Path) -> None:
    chat = {"type": "personal_chat", "messages": [_msg(1)]}
    export = {
        "chats": {
            "about": "",
            "list": [{"name": "Alex", "id": 11, **chat}, {"name": "Alex", "id": 12, **chat}],
        }
    }
    path = tmp_path / "result.json"
    path.write_bytes(orjson.dumps(export))
    ws.import_("telegram", [path])
    assert {s["source_id"] for s in ws.sources()} == {"telegram:Alex", "telegram:Alex (12)"}


def test_oversized_message_is_quarantined(ws: Workspace, tmp_path: Path) -> None:
    pieces = [{"type": "bold", "text": "x" * 50}] * 400  # 20 KB in short strings
    path = _chat(tmp_path / "big.json", [_msg(1, text=pieces), _msg(2)])
    importer = TelegramImporter(ImportOptions())
    ctx = ReadContext(ImportSettings(max_record_mb=0.01), importer.options)
    items = list(importer.read(path, ctx))
    ctx.close()
    assert isinstance(items[0], Reject) and "larger than the 0.01 MB" in items[0].reason
    assert not isinstance(items[1], Reject) and items[1]["native_id"] == "2"


def test_reading_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    n = 20_000
    with open(path, "wb") as f:
        f.write(b'{"name": "Big", "type": "public_channel", "id": 9, "messages": [')
        for i in range(n):
            f.write((b"," if i else b"") + orjson.dumps(_msg(i, text="lorem ipsum " * 40)))
        f.write(b"]}")
    assert path.stat().st_size > 10_000_000
    importer = TelegramImporter(ImportOptions())
    ctx = ReadContext(ImportSettings(), importer.options)
    tracemalloc.start()
    count = sum(1 for item in importer.read(path, ctx) if not isinstance(item, Reject))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    ctx.close()
    assert count == n
    assert peak < 4_000_000  # a few messages at a time, never the file


def test_zst_bomb_string_is_refused_quickly(ws: Workspace, cases: Path, tmp_path: Path) -> None:
    ws.import_("telegram", [cases / "telegram" / "allotment_neighbours.json"])
    path = tmp_path / "result.json.zst"
    with open(path, "wb") as f, zstandard.ZstdCompressor(level=3).stream_writer(f) as w:
        w.write(b'{"name": "Bomb", "id": 1, "messages": [{"id": 1, "text": "')
        block = b"a" * (1 << 20)
        for _ in range(300):  # one 300 MB string, a few KB compressed
            w.write(block)
        w.write(b'"}]}')
    started = time.monotonic()
    with pytest.raises(HostileInputError, match=r"runs past|decompression bomb"):
        ws.import_("telegram", [path])
    assert time.monotonic() - started < 2.0
    assert len(posts(ws)) == 9  # the earlier import is intact


def test_over_long_token_is_refused(tmp_path: Path) -> None:
    path = _chat(tmp_path / "long.json", [_msg(1), _msg(2, text="y" * 300_000), _msg(3)])
    importer = TelegramImporter(ImportOptions())
    ctx = ReadContext(ImportSettings(max_record_mb=0.1), importer.options)
    got: list[Any] = []
    with pytest.raises(HostileInputError, match="runs past 104,857 bytes"):
        got.extend(importer.read(path, ctx))
    ctx.close()
    assert [r["native_id"] for r in got] == ["1"]
