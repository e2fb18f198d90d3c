"""Stack Exchange Posts.xml importer: mapping, both tag spellings, bad rows, hostile XML."""

from __future__ import annotations

import dataclasses
import gzip
from pathlib import Path

import orjson
import pytest

from groundswell import Workspace
from groundswell.errors import HostileInputError
from groundswell.sources.base import ImportOptions
from groundswell.sources.stackexchange import site_name, split_tags
from tests.conftest import posts

HEAD = '<?xml version="1.0" encoding="utf-8"?>\n'


def _write(path: Path, rows: str, *, head: str = HEAD, close: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(head + "<posts>\n" + rows + ("</posts>\n" if close else ""), encoding="utf-8")
    return path


def _row(i: int, **attrs: str) -> str:
    base = {
        "Id": str(i),
        "PostTypeId": "1",
        "CreationDate": "2021-02-03T04:05:06.789",
        "Score": "1",
        "Body": f"&lt;p&gt;post {i}&lt;/p&gt;",
        "Title": f"Question {i}",
    }
    base.update(attrs)
    return "  <row " + " ".join(f'{k}="{v}"' for k, v in base.items() if v is not None) + " />\n"


def test_mapping(ws: Workspace, cases: Path) -> None:
    path = cases / "stackexchange" / "sourdough.stackexchange.example" / "Posts.xml"
    (result,) = ws.import_("stackexchange", [path])
    assert result.records_new == 7 and result.records_quarantined == 0
    rows = {r["native_id"]: r for r in posts(ws)}
    q = rows["1"]
    assert q["source_id"] == "stackexchange:sourdough.stackexchange.example"
    assert q["kind"] == "question" and q["thread_id"] == "1" and q["parent_id"] is None
    assert q["title"] == q["thread_title"] == "Why does my sourdough loaf stay flat?"
    assert q["time"].isoformat() == "2010-07-28T19:04:21.300000+00:00"
    assert q["time_offset_min"] is None
    assert q["edited_at"].isoformat() == "2010-07-29T08:00:00+00:00"
    assert q["author_id"] == "7" and q["author_name"] is None
    assert q["tags"] == ["sourdough", "starter", "hydration"]
    assert (q["score"], q["views"], q["replies"]) == (12, 900, 2)
    assert "flour = 100  # grams\nwater = 100" in q["text"]  # the code block keeps its lines
    assert "<p>" not in q["text"]
    assert orjson.loads(q["extra"]) == {
        "accepted_answer_id": 3,
        "comment_count": 1,
        "favorite_count": 3,
        "last_editor_user_id": 9,
        "license": "CC BY-SA 2.5",
        "last_activity_date": "2011-01-02T10:00:00.000",
    }

    closed = rows["2"]
    assert closed["author_id"] is None and closed["author_name"] == "guest baker"
    assert closed["score"] == -1 and closed["links"] == ["https://bakery.example.org/rye"]
    assert orjson.loads(closed["extra"])["closed_date"] == "2010-08-01T00:00:00.000"

    a = rows["3"]
    assert a["kind"] == "answer" and a["parent_id"] == "1" and a["thread_id"] == "1"
    assert a["title"] is None and a["thread_title"] == "Why does my sourdough loaf stay flat?"
    assert a["replies"] is None and a["views"] is None
    (quote,) = a["quotes"]
    assert a["text"][quote["start"] : quote["end"]] == "Shape when the dough has risen by half."

    assert rows["5"]["kind"] == "tag_wiki_excerpt" and rows["5"]["author_id"] == "-1"
    assert orjson.loads(rows["5"]["extra"])["community_owned_date"].startswith("2010-08-02")
    assert rows["6"]["kind"] == "moderator_nomination"
    assert rows["7"]["kind"] == "post_type_12"

    (src,) = ws.sources()
    assert src["url"] == "https://sourdough.stackexchange.example"
    assert src["network"] == "clearnet" and src["timezone"] == "UTC"


def test_both_tag_spellings(ws: Workspace, cases: Path) -> None:
    assert split_tags("<python><sql>") == ["python", "sql"]
    assert split_tags("|python|sql|") == ["python", "sql"]
    assert split_tags("|c++|") == ["c++"]
    assert split_tags("") is None and split_tags(None) is None
    ws.import_(
        "stackexchange", [cases / "stackexchange" / "gardening.stackexchange.example" / "Posts.xml"]
    )
    rows = {r["native_id"]: r for r in posts(ws)}
    assert rows["101"]["tags"] == ["tomatoes", "containers"]
    assert rows["102"]["thread_title"] == "Tomatoes for containers"


def test_site_name(tmp_path: Path, ws: Workspace) -> None:
    assert (
        site_name(Path("/dumps/math.stackexchange.example/Posts.xml"))
        == "math.stackexchange.example"
    )
    assert site_name(Path("/dumps/stackoverflow.example-Posts.xml")) == "stackoverflow.example"
    path = _write(tmp_path / "dump" / "Posts.xml", _row(1))
    ws.import_("stackexchange", [path], options=ImportOptions(source="my copy"))
    (src,) = ws.sources()
    assert src["source_id"] == "stackexchange:my copy" and src["url"] is None


def test_malformed_rows_quarantined(tmp_path: Path, ws: Workspace) -> None:
    rows = (
        _row(1)
        + _row(0, Id=None)
        + _row(3, CreationDate="yesterday")
        + _row(4, Score="lots")
        + _row(5, PostTypeId="question")
        + _row(6, Id="x7")
        + _row(7, CommentCount="1.5")
        + _row(8)
    )
    path = _write(tmp_path / "site.example" / "Posts.xml", rows)
    (result,) = ws.import_("stackexchange", [path])
    assert result.status == "completed"
    assert [r["native_id"] for r in posts(ws)] == ["1", "8"]
    reasons = {q["location"]: q["reason"] for q in ws.quarantine()}
    assert reasons == {
        "row 2": "missing Id",
        "row 3": "CreationDate 'yesterday' is not an ISO 8601 time",
        "row 4": "Score is 'lots', expected an integer",
        "row 5": "PostTypeId 'question' is not a number",
        "row 6": "Id 'x7' is not a number",
        "row 7": "CommentCount is '1.5', expected an integer",
    }
    excerpt = next(q["excerpt"] for q in ws.quarantine() if q["location"] == "row 4")
    assert '"Score":"lots"' in excerpt


def test_truncated_xml_keeps_earlier_rows(tmp_path: Path, ws: Workspace) -> None:
    rows = "".join(_row(i) for i in range(1, 201))
    path = _write(tmp_path / "site.example" / "Posts.xml", rows, close=False)
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b"<row") + 20])  # cut inside row 200
    with pytest.raises(HostileInputError, match=r"truncated XML after 199 rows"):
        ws.import_("stackexchange", [path])
    # The 199 complete rows before the cut are kept; the import is marked failed.
    assert ws.sql("SELECT count(*) FROM posts").to_pylist()[0]["count_star()"] == 199
    (imp,) = ws.imports()
    assert imp["status"] == "failed" and "Posts.xml:line 202, column" in imp["error"]
    assert "re-extract the dump" in imp["error"]


def test_invalid_utf8(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "site.example" / "Posts.xml"
    path.parent.mkdir()
    path.write_bytes(
        (HEAD + "<posts>\n" + _row(1) + _row(2)).encode()
        + b'  <row Id="3" Body="caf\xe9" />\n</posts>\n'
    )
    with pytest.raises(HostileInputError, match="Invalid bytes in character encoding"):
        ws.import_("stackexchange", [path])
    assert [r["native_id"] for r in posts(ws)] == ["1", "2"]


LAUGHS = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n' for i in range(1, 10))


def test_billion_laughs_refused(tmp_path: Path, ws: Workspace) -> None:
    head = HEAD + '<!DOCTYPE posts [\n<!ENTITY lol0 "lol">\n' + LAUGHS + "]>\n"
    path = _write(tmp_path / "site.example" / "Posts.xml", _row(1, Body="&lol9;"), head=head)
    with pytest.raises(HostileInputError, match=r"entity amplification|document type"):
        ws.import_("stackexchange", [path])
    assert posts(ws) == []


def test_small_internal_entity_refused(tmp_path: Path, ws: Workspace) -> None:
    # libxml2 would expand this one inside the attribute: the DTD check refuses the file.
    head = HEAD + '<!DOCTYPE posts [<!ENTITY e "expanded">]>\n'
    path = _write(tmp_path / "site.example" / "Posts.xml", _row(1, Body="&e;"), head=head)
    with pytest.raises(HostileInputError, match="document type declaration"):
        ws.import_("stackexchange", [path])
    assert posts(ws) == []


def test_external_entities_not_fetched(tmp_path: Path, ws: Workspace) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SENTINEL-SECRET")
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY leak SYSTEM "file://{secret}">')
    heads = [
        HEAD + f'<!DOCTYPE posts [<!ENTITY leak SYSTEM "file://{secret}">]>\n',
        HEAD + f'<!DOCTYPE posts [<!ENTITY % p SYSTEM "file://{dtd}"> %p;]>\n',
        HEAD + f'<!DOCTYPE posts SYSTEM "file://{dtd}">\n',
        HEAD + '<!DOCTYPE posts [<!ENTITY net SYSTEM "http://127.0.0.1:9/x">]>\n',
    ]
    for n, head in enumerate(heads):
        path = _write(
            tmp_path / f"s{n}.example" / "Posts.xml",
            _row(1, Body="&leak;") + "<note>&leak;</note>",
            head=head,
        )
        with pytest.raises(HostileInputError) as err:
            ws.import_("stackexchange", [path])
        assert "SENTINEL" not in str(err.value)
    assert posts(ws) == []
    assert all("SENTINEL" not in (q["excerpt"] or "") for q in ws.quarantine())


def test_wrong_root_and_empty_file(tmp_path: Path, ws: Workspace) -> None:
    comments = tmp_path / "site.example" / "Comments.xml"
    comments.parent.mkdir()
    comments.write_text(HEAD + '<comments><row Id="1" PostId="2" Text="hi" /></comments>')
    with pytest.raises(HostileInputError, match="root element is <comments>"):
        ws.import_("stackexchange", [comments])
    empty = tmp_path / "site.example" / "Posts.xml"
    empty.write_text("")
    with pytest.raises(HostileInputError, match=r"no element found|no XML element"):
        ws.import_("stackexchange", [empty])


def test_deep_nesting_refused(tmp_path: Path, ws: Workspace) -> None:
    path = _write(tmp_path / "site.example" / "Posts.xml", _row(1) + "<x>" * 1000 + "</x>" * 1000)
    with pytest.raises(HostileInputError, match="Excessive depth"):
        ws.import_("stackexchange", [path])
    assert len(posts(ws)) == 1


def test_oversized_row_quarantined(tmp_path: Path, ws: Workspace) -> None:
    ws.config = dataclasses.replace(
        ws.config, imports=dataclasses.replace(ws.config.imports, max_record_mb=0.01)
    )
    path = _write(
        tmp_path / "site.example" / "Posts.xml", _row(1) + _row(2, Body="x" * 20_000) + _row(3)
    )
    ws.import_("stackexchange", [path])
    assert [r["native_id"] for r in posts(ws)] == ["1", "3"]
    (q,) = ws.quarantine()
    assert q["location"] == "row 2" and "exceeds the 0.01 MB record limit" in q["reason"]


def test_gzip_and_idempotent_reimport(tmp_path: Path, ws: Workspace) -> None:
    rows = "".join(_row(i) for i in range(1, 51))
    plain = _write(tmp_path / "site.example" / "Posts.xml", rows)
    gz = tmp_path / "site.example" / "Posts.xml.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    first = ws.import_("stackexchange", [gz])[0]
    again = ws.import_("stackexchange", [plain])[0]
    assert first.records_new == 50
    assert (again.records_new, again.records_updated, again.records_unchanged) == (0, 0, 50)
    assert {s["source_id"] for s in ws.sources()} == {"stackexchange:site.example"}
