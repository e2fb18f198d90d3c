"""Briefings built from a workspace: every number in the document equals what the metric,
indicator and search engines say; the demo's briefings cover their stories; names are
redacted everywhere the report is written, and hostile post text stays text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow.csv as pacsv
import pytest

from groundswell import Workspace
from groundswell.cli.main import main
from groundswell.demo.metrics import DEMO_METRICS
from groundswell.demo.reports import DEMO_REPORT_METRICS, DEMO_REPORTS
from groundswell.errors import ReportError
from groundswell.report.captions import number
from groundswell.report.document import Block, Document
from groundswell.report.redact import MARK
from groundswell.report.render import write_report
from tests.demo.test_generate import SCALE
from tests.demo.test_stories import build

UTC = ZoneInfo("UTC")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, dict[str, Any]]]:
    root = tmp_path_factory.mktemp("briefings")
    ws, truth = build(root, SCALE, DEMO_METRICS + DEMO_REPORT_METRICS + DEMO_REPORTS)
    yield ws, truth
    ws.close()


@pytest.fixture(scope="module")
def demo(built: tuple[Workspace, dict[str, Any]]) -> Workspace:
    return built[0]


@pytest.fixture(scope="module")
def truth(built: tuple[Workspace, dict[str, Any]]) -> dict[str, Any]:
    return built[1]


@pytest.fixture(scope="module")
def weekly(demo: Workspace) -> Document:
    return demo.report("weekly")


@pytest.fixture(scope="module")
def monthly(demo: Workspace) -> Document:
    return demo.report("monthly")


def block(doc: Document, title_part: str) -> Block:
    return next(b for b in doc.blocks if title_part in b.title)


def test_the_weekly_briefing_covers_week_24_as_seen_on_15_june(weekly: Document) -> None:
    assert weekly.period == "Week 24 of 2020 (8 to 14 June)"
    assert weekly.start == datetime(2020, 6, 8, tzinfo=UTC)
    assert [b.kind for b in weekly.blocks] == [
        "text", "chart", "chart", "table", "chart", "top", "anomalies", "excerpts",
    ]  # fmt: skip
    assert weekly.slug == "weekly-2020-W24" and weekly.redacted


def test_the_index_table_is_the_metric_with_june_expected(
    demo: Workspace, weekly: Document
) -> None:
    b = block(weekly, "file-sharing index")
    assert b.table is not None
    s = demo.trend(
        "file_sharing_index", since=datetime(2020, 1, 1), until=datetime(2020, 7, 1),
        as_of=datetime(2020, 6, 15),
    )  # fmt: skip
    assert b.table.columns[1:] == ["Jan 2020", "Feb 2020", "Mar 2020", "Apr 2020", "May 2020",
                                   "Jun 2020"]  # fmt: skip
    want = [number(v) for v in s.values[0, :-1]] + [f"{number(round(s.values[0, -1]))} expected"]
    assert b.table.rows == [["file_sharing_index", *want]]
    assert b.table.marked == {(0, 6)}
    assert "expected" in b.caption and "so far" in b.caption
    csv = b.data["04-file_sharing_index.csv"]
    assert csv.column("value").to_pylist() == pytest.approx(list(s.values[0]))


def test_a_chart_block_carries_the_series_it_draws(demo: Workspace, weekly: Document) -> None:
    b = block(weekly, "Posts per day on each forum")
    assert b.chart is not None and b.refs[:1] == ["m-forum_posts"]
    data = b.data["02-forum_posts.csv"]
    s = demo.trend(
        "forum_posts", since=datetime(2020, 4, 20), until=datetime(2020, 6, 15),
        as_of=datetime(2020, 6, 15),
    )  # fmt: skip
    assert data.num_rows == len(s.starts) * len(s.facets)
    got = dict(zip(zip(data["period"].to_pylist(), data["source"].to_pylist(), strict=True),
                   data["value"].to_pylist(), strict=True))  # fmt: skip
    for f, key in enumerate(s.facets):
        for t, start in enumerate(s.starts):
            v = s.values[f, t]
            assert got[(start, key[0])] == (None if v != v else pytest.approx(v))
    # the caption's total is the week's posts on the forums
    week = demo.sql(
        "SELECT count(*) AS n FROM posts WHERE source_id LIKE 'forum:%' AND time >= ? AND time < ?",
        [datetime(2020, 6, 8, tzinfo=UTC), datetime(2020, 6, 15, tzinfo=UTC)],
    ).to_pylist()[0]["n"]
    assert f"Total over the period: {number(week)} posts" in b.caption


def test_top_lists_count_what_the_store_holds(demo: Workspace, monthly: Document) -> None:
    b = block(monthly, "lost the most links")
    assert b.table is not None

    def count(lo: datetime, hi: datetime) -> dict[str, int]:
        rows = demo.sql(
            "SELECT host, count(*) AS n FROM indicators WHERE kind = 'url' AND extension = 'jpg'"
            " AND source_id = 'forum:Lantern Hall' AND in_quote = false AND time >= ? "
            "AND time < ? GROUP BY host",
            [lo, hi],
        ).to_pylist()
        return {r["host"]: r["n"] for r in rows}

    may = count(datetime(2020, 5, 1, tzinfo=UTC), datetime(2020, 6, 1, tzinfo=UTC))
    april = count(datetime(2020, 4, 1, tzinfo=UTC), datetime(2020, 5, 1, tzinfo=UTC))
    falling = sorted(
        (h for h in april if may.get(h, 0) < april[h]), key=lambda h: (may.get(h, 0) - april[h], h)
    )[:5]
    assert [r[0] for r in b.table.rows] == falling
    assert {"imgdrop.example", "picbox.example"} <= set(falling)  # the hosts that went down
    for row in b.table.rows:
        assert row[1:3] == [number(may.get(row[0], 0)), number(april[row[0]])]


def test_the_anomaly_digest_lists_what_the_detector_finds_in_the_period(
    demo: Workspace, monthly: Document
) -> None:
    b = block(monthly, "flagged in May")
    assert b.table is not None
    got = {(r[0], r[1], r[2]) for r in b.table.rows}
    _, found = demo.anomalies("nova_daily", since=datetime(2020, 4, 1), until=datetime(2020, 6, 1))
    want = {("nova_daily", " / ".join(a.facet), a.kind) for a in found if a.end.month == 5}
    assert want and want <= got  # the token burst of 26 May
    severities = [float(r[6]) for r in b.table.rows]
    assert severities == sorted(severities, reverse=True)


def test_excerpts_are_matching_posts_of_the_period_with_names_redacted(
    demo: Workspace, monthly: Document
) -> None:
    b = block(monthly, "promoting the NOVA")
    assert b.kind == "excerpts" and b.excerpts
    for e in b.excerpts:
        assert e.author == MARK
        text = "".join(p.text for x in e.passages for p in x.pieces)
        assert "0x302DFaF2CDbE51a18d97186A7384e87CF599877D" in text
        assert any(p.hit for x in e.passages for p in x.pieces)
        day = datetime.strptime(e.time.split(",")[0], "%d %B %Y")
        assert datetime(2020, 5, 1) <= day < datetime(2020, 6, 1)
    plain = demo.report("monthly", redact=False)
    assert all(e.author != MARK for e in block(plain, "promoting the NOVA").excerpts)


def test_every_number_names_its_definition(weekly: Document, monthly: Document) -> None:
    for doc in (weekly, monthly):
        ids = {d.id for d in doc.definitions}
        for b in doc.blocks:
            assert set(b.refs) <= ids, b.title
            if b.kind in ("chart", "table", "top", "anomalies"):
                assert b.refs and b.data, b.title


def test_a_period_without_data_says_where_the_data_is(demo: Workspace) -> None:
    with pytest.raises(
        ReportError, match=r"no posts in .*the posts run from 2019-01-0\d to 2020-06"
    ):
        demo.report("weekly", period="last complete week", as_of=datetime(2026, 1, 1))


# -- hostile posts --------------------------------------------------------------------------
SECRETS = ["quiet_fox", "Quiet Fox", "fox.q@example.org", "@harbour_cat", "harbour_cat",
           "Old Owl", "owl [at] example [dot] net"]  # fmt: skip
HOSTILE = (
    '<p>&lt;script&gt;alert("x")&lt;/script&gt; lockdown again "&gt;&lt;img src=x '
    "onerror=alert(1)&gt; mail fox.q@example.org or owl [at] example [dot] net, ask "
    "@harbour_cat. [click](https://evil.example/x) ![img](https://evil.example/p.gif) "
    "| a | b | **bold** https://evil.example/track</p>"
)


def forum_post(i: int, body: str, author: str, day: int) -> dict[str, Any]:
    return {
        "site": "Harbor Board", "site_url": "http://harbor.example", "timezone": "UTC",
        "board": "General <chat>", "thread_id": "1", "thread_title": "<b>Lockdown</b> thread",
        "post_id": str(100 + i), "post_number": i, "author": author, "author_id": author,
        "date": f"2020-05-{day:02d} 10:{i:02d}", "body_html": body, "tags": [],
    }  # fmt: skip


def hostile_workspace(root: Path) -> Workspace:
    quote = (
        "<blockquote><div><cite>Old Owl wrote:</cite>the lockdown news from Old Owl</div>"
        "</blockquote><p>agreed, lockdown</p>"
    )
    rows = [forum_post(1, HOSTILE, "quiet_fox", 4), forum_post(2, quote, "Quiet Fox", 5)]
    rows += [forum_post(3 + i, "<p>a quiet day</p>", "someone", 4 + i % 3) for i in range(20)]
    path = root / "board.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    ws = Workspace.init(root / "ws")
    ws.import_("forum", [path])
    return ws


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = hostile_workspace(tmp_path_factory.mktemp("hostile"))
    yield ws
    ws.close()


SPEC = """
title = "Hostile <b>test</b>"
period = "2020-W19"

[[sections]]
kind = "excerpts"
search = "lockdown"
limit = 5

[[sections]]
kind = "top"
of = "author"
limit = 3

[[sections]]
kind = "text"
markdown = "Analyst note: *nothing* to add."
"""


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "iframe", "object", "embed", "link", "img"):
            self.bad.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.bad.append(name)
            if name in ("src", "href") and value and re.match(r"[a-z]+:", value, re.I):
                self.bad.append(f"{name}={value}")


def written(tmp_path: Path, ws: Workspace, *, redact: bool) -> dict[str, str]:
    spec = tmp_path / "hostile.toml"
    spec.write_text(SPEC, encoding="utf-8")
    doc = ws.report(spec, redact=redact)
    paths = write_report(doc, tmp_path / "out", ["html", "md"])
    return {p.name: p.read_text(encoding="utf-8") for p in paths if p.suffix != ".png"}


def test_hostile_posts_are_text_and_nobody_is_named(tmp_path: Path, hostile: Workspace) -> None:
    files = written(tmp_path, hostile, redact=True)
    html = files["hostile-2020-W19.html"]
    refs = _Refs()
    refs.feed(html)
    assert refs.bad == []
    assert "&lt;script&gt;" in html and "evil.example/track" in html  # shown, as text
    for name, text in files.items():
        for secret in SECRETS:
            assert secret.lower() not in text.lower(), (name, secret)
    assert html.count(MARK) >= 3
    assert "someone" not in html  # the top list of authors names nobody either


def test_no_redact_shows_the_names(tmp_path: Path, hostile: Workspace) -> None:
    files = written(tmp_path, hostile, redact=False)
    html = files["hostile-2020-W19.html"]
    assert "quiet_fox" in html and "fox.q@example.org" in html and "Old Owl" in html
    assert "someone" in html  # the top list of authors, named too


def test_the_report_command_writes_and_summarises(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "hostile.toml"
    spec.write_text(SPEC, encoding="utf-8")
    hostile_workspace(tmp_path).close()
    ws = str(tmp_path / "ws")
    out_dir = tmp_path / "out"
    code = main(["report", str(spec), "-w", ws, "--format", "html,md", "--out", str(out_dir)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "hostile-2020-W19.html" in out and "hostile-2020-W19.md" in out
    assert "Hostile <b>test</b>, Week 19 of 2020" in err and "Written in" in err
    code = main(["report", str(spec), "-w", ws, "--format", "docx"])
    assert code == 2 and "unknown format docx" in capsys.readouterr().err
    code = main(["report", "nightly", "-w", ws])
    assert code == 2 and "no report named 'nightly'" in capsys.readouterr().err
    code = main(["report", str(spec), "-w", ws, "--period", "2020-W60"])
    assert code == 2 and "not a period" in capsys.readouterr().err


def test_a_week_later_the_same_spec_finds_nothing_to_excerpt(
    tmp_path: Path, hostile: Workspace
) -> None:
    spec = tmp_path / "hostile.toml"
    spec.write_text(SPEC, encoding="utf-8")
    with pytest.raises(ReportError, match="no posts in Week 20"):
        hostile.report(spec, period="2020-W20")
    doc = hostile.report(spec, period="2020-05-06..2020-05-06")  # one quiet day
    assert block(doc, "lockdown").excerpts == []


def test_data_files_hold_the_numbers_behind_each_block(tmp_path: Path, weekly: Document) -> None:
    paths = write_report(weekly, tmp_path, ["md"])
    csvs = {p.name: p for p in paths if p.suffix == ".csv"}
    for b in weekly.blocks:
        for name, table in b.data.items():
            back = pacsv.read_csv(csvs[name])
            assert back.num_rows == table.num_rows
            assert back.column_names == table.column_names


def test_an_as_of_earlier_than_the_period_end_projects_the_week(demo: Workspace) -> None:
    doc = demo.report("weekly", period="2020-W24", as_of=datetime(2020, 6, 12, 12))
    b = block(doc, "pandemic wave")
    assert "expected" in b.caption
    assert doc.as_of == datetime(2020, 6, 12, 12, tzinfo=UTC)
    assert doc.end - doc.start == timedelta(days=7)


def test_a_baseline_is_the_whole_windows_level(demo: Workspace, monthly: Document) -> None:
    b = block(monthly, "priority 1 call")
    level = demo.sql(
        "SELECT avg(epoch(assigned_at) - epoch(queued_at)) / 60 AS m FROM ev_calls "
        "WHERE priority = 1 AND queued_at >= ? AND queued_at < ?",
        [
            datetime(2019, 1, 1, tzinfo=ZoneInfo("America/Chicago")),
            datetime(2020, 3, 1, tzinfo=ZoneInfo("America/Chicago")),
        ],
    ).to_pylist()[0]["m"]
    (data,) = b.data.values()
    drawn = set(data.column("baseline").to_pylist())
    assert len(drawn) == 1 and drawn.pop() == pytest.approx(level, rel=1e-6)
    assert "against the baseline (1 Jan 2019 to 29 Feb 2020)" in b.caption


def test_a_quote_loses_the_forums_own_cite_line() -> None:
    from groundswell.report.build import _uncited

    assert _uncited(" Old Owl wrote: ↑\nthe news", "Old Owl") == "the news"
    assert _uncited("Old Owl писал: здесь", "Old Owl") == "здесь"
    assert _uncited("Someone wrote: hi", "Old Owl") == "Someone wrote: hi"
    assert _uncited("Old Owlish ideas", "Old Owl") == "Old Owlish ideas"


@pytest.fixture(scope="module")
def monthly_named(demo: Workspace) -> Document:
    return demo.report("monthly", redact=False)


def test_the_returns_section_lists_the_planted_returns(
    truth: dict[str, Any], monthly: Document, monthly_named: Document
) -> None:
    b = block(monthly_named, "came back")
    assert b.table is not None and b.chart is not None
    got = {(r[0], r[1], r[2]) for r in b.table.rows}
    for r in truth["returning_members"]:
        assert (r["name"], f"forum:{r['forum']}", r["returned"]) in got
        row = next(x for x in b.table.rows if x[0] == r["name"])
        assert row[4] == f"{r['gap_days']:,}"
    redacted = block(monthly, "came back")
    assert redacted.table is not None and {r[0] for r in redacted.table.rows} == {MARK}
    assert "days away" in redacted.caption and "came back in the period" in redacted.caption


def test_the_actors_section_counts_the_periods_posts(
    demo: Workspace, monthly_named: Document
) -> None:
    b = block(monthly_named, "most active members")
    assert b.table is not None and b.table.rows
    may = demo.sql(
        "SELECT coalesce(a.name, p.author_id) AS who, count(*) AS n FROM posts p "
        "JOIN actors a USING (account) WHERE p.source_id = 'forum:Lantern Hall' "
        "AND p.time >= ? AND p.time < ? GROUP BY 1 ORDER BY 2 DESC",
        [datetime(2020, 5, 1, tzinfo=UTC), datetime(2020, 6, 1, tzinfo=UTC)],
    ).to_pylist()
    counts = {r["who"]: r["n"] for r in may}
    for row in b.table.rows:
        assert row[2] == number(counts[row[0]])
    assert int(b.table.rows[0][2].replace(",", "")) == may[0]["n"]
    assert "Gini" in b.caption


def test_the_creators_section_ranks_a_tier(truth: dict[str, Any], monthly: Document) -> None:
    b = block(monthly, "Creators of 50k")
    assert b.table is not None and b.chart is not None
    tier = set(truth["creators"]["accounts_by_tier"]["50k-500k"])
    assert {r[0] for r in b.table.rows} <= tier and {r[1] for r in b.table.rows} == {"50k-500k"}
    assert b.table.rows[0][0] == "instagram:tess.bakes"  # the planted jump: fastest growing
