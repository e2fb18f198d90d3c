"""DiscordChatExporter JSON importer: mapping, threads, DMs, malformed messages, hostile files."""

from __future__ import annotations

import dataclasses
import gzip
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

GUILD = "discord:Maplewood Neighbours"
ALICE_MSG = "683646013398974465"
BOB_REPLY = "683646662580764674"
CAROL_EDIT = "683648483583983619"
PIN = "683648743379173380"
THREAD = "683648903807107171"


def _load(cases: Path, name: str = "general.json") -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((cases / "discord" / name).read_bytes())
    return data


def _write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    return path


def _by_id(ws: Workspace) -> dict[str, dict[str, Any]]:
    return {p["native_id"]: p for p in posts(ws)}


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_channel_export_maps_every_field(ws: Workspace, cases: Path) -> None:
    (r,) = ws.import_("discord", [cases / "discord" / "general.json"])
    assert (r.status, r.records_new, r.records_quarantined) == ("completed", 8, 0)
    by_id = _by_id(ws)

    m = by_id[ALICE_MSG]
    assert m["source_id"] == GUILD
    assert (m["kind"], m["section"], m["thread_id"], m["parent_id"]) == (
        "message",
        "general",
        None,
        None,
    )
    assert m["author_id"] == "804117362518736916"
    assert m["author_name"] == "Alice (Block 4)"  # the nickname, not the username
    assert m["time"] == _utc(2020, 3, 1, 12, 5, 11, 123000)  # 13:05:11.123+01:00
    assert m["time_offset_min"] == 60
    assert m["links"] == ["https://council.example.org/report/4471"]  # trailing '.' dropped
    assert m["attachments"] == [
        {
            "name": "elm_street_leak.jpg",
            "url": "https://cdn.discordapp.com/attachments/804100000000000050/1083012345678901900/"
            "elm_street_leak.jpg",
            "mime": "image/jpeg",
            "size": 482113,
        }
    ]
    assert m["likes"] == 7  # 5 thumbs up + 2 surprised
    assert m["retrieved_at"] == _utc(2020, 4, 2, 6, 15, 3, 227035)  # exportedAt, 7 digits
    extra = orjson.loads(m["extra"])
    assert extra["reactions"] == [
        {"emoji": "👍", "id": None, "count": 5},
        {"emoji": "😮", "id": None, "count": 2},
    ]
    assert extra["pinned"] is True
    assert extra["category"] == "Community" and extra["channel_id"] == "804100000000000050"
    assert extra["author_username"] == "alice.w" and extra["author_roles"] == ["Residents"]
    assert "users" not in m["extra"]  # who reacted is not copied

    reply = by_id[BOB_REPLY]
    assert reply["parent_id"] == ALICE_MSG
    assert reply["likes"] == 1
    assert orjson.loads(reply["extra"])["mentions"] == [
        {"id": "804117362518736916", "name": "alice.w"}
    ]

    edited = by_id[CAROL_EDIT]
    assert edited["time"] == _utc(2020, 3, 1, 12, 15, 0, 61000)  # ".0610000"
    assert edited["edited_at"] == _utc(2020, 3, 1, 12, 20, 31, 500000)
    assert edited["links"] == [
        "https://maps.example.org/elm",
        "https://news.example.org/elm-closure",
    ]  # masked link + embed
    assert edited["likes"] == 0  # a true zero: the export lists no reactions

    join = by_id["683598916792483840"]
    assert (join["kind"], join["text"]) == ("service", "Joined the server.")
    pin = by_id[PIN]
    assert pin["kind"] == "service" and pin["parent_id"] is None  # a pin is not a reply
    assert orjson.loads(pin["extra"])["pinned_message_id"] == ALICE_MSG
    started = by_id["683648903807107077"]
    assert orjson.loads(started["extra"])["thread_channel_id"] == THREAD

    bot = by_id["693852514025603078"]
    assert bot["text"] == "" and bot["time_offset_min"] == 120  # summer time, +02:00
    bot_extra = orjson.loads(bot["extra"])
    assert bot_extra["author_is_bot"] is True and bot_extra["author_discriminator"] == "7734"
    assert bot_extra["embeds"][0]["title"] == "Weekly bin collection moved to Tuesday"

    last = by_id["693859516416131079"]
    assert last["text"] == "thanks for the heads up!"  # an escaped NUL (\u0000) is dropped
    assert orjson.loads(last["extra"])["stickers"] == ["Wave"]

    (src,) = ws.sources()
    assert src["url"] == "https://discord.com/channels/804100000000000001"
    assert src["posts"] == 8


def test_thread_export_uses_parent_channel_as_section(ws: Workspace, cases: Path) -> None:
    ws.import_("discord", [cases / "discord" / "thread.json"])
    first, second = posts(ws)
    # DiscordChatExporter writes a thread's parent channel as its "category"
    assert (first["section"], first["thread_id"], first["thread_title"]) == (
        "general",
        THREAD,
        "Elm Street water main",
    )
    assert first["time_offset_min"] == -300
    assert first["time"] == _utc(2020, 3, 1, 18, 17, 0, 500000)
    assert [a["name"] for a in first["attachments"]] == ["crew.png", "notes.pdf"]
    assert [a["mime"] for a in first["attachments"]] == ["image/png", "application/pdf"]
    assert second["parent_id"] == first["native_id"]
    extra = orjson.loads(first["extra"])
    assert extra["parent_channel_id"] == "804100000000000050" and "category" not in extra


def test_direct_messages_export(ws: Workspace, cases: Path) -> None:
    ws.import_("discord", [cases / "discord" / "direct_messages.json"])
    rows = posts(ws)
    assert {p["source_id"] for p in rows} == {"discord:Direct Messages"}
    assert {p["section"] for p in rows} == {"alice.w"}
    assert [p["time_offset_min"] for p in rows] == [570, 570, 570]  # +09:30
    call = rows[1]
    assert call["kind"] == "service"
    assert orjson.loads(call["extra"])["call_ended_at"] == "2021-07-04T21:08:00+09:30"
    assert rows[2]["parent_id"] == rows[0]["native_id"]
    assert orjson.loads(rows[0]["extra"])["direct"] is True
    (src,) = ws.sources()
    assert src["url"] == "https://discord.com/channels/@me"


def test_source_override_and_idempotent_reimport(ws: Workspace, cases: Path) -> None:
    opts = ImportOptions(source="Maplewood (archive)")
    paths = [cases / "discord" / "general.json", cases / "discord" / "thread.json"]
    ws.import_("discord", paths, options=opts)
    again = ws.import_("discord", paths, options=opts, force=True)
    assert [(r.records_new, r.records_updated) for r in again] == [(0, 0), (0, 0)]
    assert {p["source_id"] for p in posts(ws)} == {"discord:Maplewood (archive)"}
    assert len(posts(ws)) == 10


def test_compressed_export(ws: Workspace, cases: Path, tmp_path: Path) -> None:
    gz = tmp_path / "general.json.gz"
    gz.write_bytes(gzip.compress((cases / "discord" / "general.json").read_bytes()))
    (r,) = ws.import_("discord", [gz])
    assert r.records_new == 8


def test_malformed_messages_are_quarantined(ws: Workspace, cases: Path, tmp_path: Path) -> None:
    doc = _load(cases)
    good = doc["messages"]
    template = good[1]
    bad = [
        {k: v for k, v in template.items() if k != "id"},
        dict(template, id="900000000000000001", timestamp="last Tuesday"),
        dict(template, id="900000000000000002", author="alice.w"),
        dict(template, id="900000000000000003", author=["alice.w"]),
        dict(template, id="900000000000000004", timestampEdited="not a date"),
        dict(template, id="900000000000000005", reactions={"👍": 3}),
        dict(template, id="900000000000000006", timestamp=None),
        12345,
    ]
    doc["messages"] = good[:2] + bad + good[2:]
    (r,) = ws.import_("discord", [_write(tmp_path / "bad.json", doc)])
    assert (r.status, r.records_new, r.records_quarantined) == ("completed", 8, len(bad))
    reasons = {q["location"]: q["reason"] for q in ws.quarantine()}
    assert reasons["message 3"] == "missing id"
    assert "'last Tuesday' is not ISO 8601" in reasons["message 4"]
    assert reasons["message 5"] == "author has type str, expected an object"
    assert reasons["message 6"] == "author has type list, expected an object"
    assert "'not a date' is not ISO 8601" in reasons["message 7"]
    assert reasons["message 8"] == "reactions has type dict, expected a list"
    assert reasons["message 9"] == "timestamp is missing"
    assert reasons["message 10"] == "message has type int, expected an object"
    excerpts = {q["location"]: q["excerpt"] for q in ws.quarantine()}
    assert "alice.w" in excerpts["message 5"]


def test_truncated_export_keeps_what_was_read(ws: Workspace, cases: Path, tmp_path: Path) -> None:
    ws.import_("discord", [cases / "discord" / "direct_messages.json"])
    data = (cases / "discord" / "general.json").read_bytes()
    cut = tmp_path / "cut.json"
    cut.write_bytes(data[: data.index(b'"id": "693852514025603078"')])  # inside message 7
    with pytest.raises(HostileInputError, match=r"ends early.*after 6 whole messages"):
        ws.import_("discord", [cut])
    assert ws.imports()[0]["status"] == "failed"
    sources = {p["source_id"] for p in posts(ws)}
    assert sources == {"discord:Direct Messages", GUILD}  # the earlier import is intact
    assert len(posts(ws, f"source_id = '{GUILD}'")) == 6  # the whole messages before the cut


def test_invalid_utf8_fails_cleanly(ws: Workspace, cases: Path, tmp_path: Path) -> None:
    data = (cases / "discord" / "general.json").read_bytes()
    bad = tmp_path / "latin1.json"
    bad.write_bytes(data.replace(b"Bob", "B\xf6b".encode("latin-1"), 1))
    with pytest.raises(HostileInputError, match="invalid UTF-8"):
        ws.import_("discord", [bad])


def test_raw_nul_bytes_fail_cleanly(ws: Workspace, cases: Path, tmp_path: Path) -> None:
    data = (cases / "discord" / "general.json").read_bytes()
    bad = tmp_path / "nul.json"
    bad.write_bytes(data.replace(b"pressure dropped", b"pressure\x00dropped"))
    with pytest.raises(HostileInputError, match="malformed JSON"):
        ws.import_("discord", [bad])
    assert len(posts(ws)) == 2  # messages before the NUL byte were stored


def test_deeply_nested_json_is_bounded(ws: Workspace, cases: Path, tmp_path: Path) -> None:
    doc = _load(cases)
    deep = 200_000
    raw = orjson.dumps(doc, option=orjson.OPT_INDENT_2)
    # one message whose embeds nest 200,000 levels deep, and a huge nested junk header
    marker = b'"embeds": ['
    at = raw.index(marker, raw.index(BOB_REPLY.encode())) + len(marker)
    raw = raw[:at] + b"[" * deep + b"]" * deep + raw[at:]
    raw = raw.replace(b'"dateRange"', b'"junk": ' + b"[" * deep + b"]" * deep + b', "dateRange"')
    path = tmp_path / "deep.json"
    path.write_bytes(raw)
    started = time.monotonic()
    (r,) = ws.import_("discord", [path])
    assert time.monotonic() - started < 10
    assert (r.records_new, r.records_quarantined) == (7, 1)
    (q,) = ws.quarantine()
    assert q["location"] == "message 3"
    assert q["reason"] == "JSON nested more than 64 levels deep"
    assert BOB_REPLY in q["excerpt"]


def test_oversized_message_is_quarantined(
    ws: Workspace, cases: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = dataclasses.replace(ws.config.imports, max_record_mb=0.01)  # about 10 KB
    monkeypatch.setattr(ws, "config", dataclasses.replace(ws.config, imports=small))
    doc = _load(cases)
    doc["messages"][2]["content"] = "x" * 50_000
    (r,) = ws.import_("discord", [_write(tmp_path / "big.json", doc)])
    assert (r.records_new, r.records_quarantined) == (7, 1)
    assert "exceeds the record size limit" in ws.quarantine()[0]["reason"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'[{"id": "1"}]', "not a DiscordChatExporter JSON export"),
        (b'{"posts": [{"no": 1}]}', "not a DiscordChatExporter JSON export"),
        (
            b'{"messages": [{"id": "1", "timestamp": "2020-03-01T00:00:00+00:00"}]}',
            "no guild and channel before the messages",
        ),
        (b"", "ends early"),
        (b"<html><body>Export</body></html>", "malformed JSON"),
        (b'{"guild": {"name": "x"}, "messages": []} trailing', "unexpected data after"),
    ],
)
def test_not_an_export(ws: Workspace, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(content)
    with pytest.raises(HostileInputError, match=message):
        ws.import_("discord", [path])


def test_byte_order_mark_is_accepted(ws: Workspace, cases: Path, tmp_path: Path) -> None:
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + (cases / "discord" / "direct_messages.json").read_bytes())
    (r,) = ws.import_("discord", [bom])
    assert r.records_new == 3
