"""`groundswell search` and `groundswell index` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from groundswell import Workspace
from groundswell.cli.main import main
from tests.search.test_search import POSTS, write


@pytest.fixture(scope="module")
def wsdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("cli")
    with Workspace.init(tmp / "ws", lexicons={"covid": ["covid", "corona"]}) as ws:
        ws.import_("jsonl", [write(tmp / "posts.jsonl", POSTS)])
    return tmp / "ws"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_hits_with_snippets_and_facets(wsdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "covid -relief", "-w", str(wsdir))
    assert code == 0
    assert "1-2 of 2 posts match covid -relief" in out
    assert "cancelled because of COVID" in out
    assert "<script>" in out  # shown as text in a terminal, never run
    assert "by source" in out and "generic:forum" in out


def test_json_filters_and_paging(wsdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "search", "", "--source", "chat", "--lang", "zh", "--sort", "oldest",
        "--limit", "2", "--offset", "1", "--json", "-w", str(wsdir),
    )  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert data["total"] == 3 and len(data["hits"]) == 2 and data["offset"] == 1
    assert [h["native_id"] for h in data["hits"]] == ["zh2", "mx1"]
    code, out, _ = run(capsys, "search", "covid", "--json", "-w", str(wsdir))
    evil = [h for h in json.loads(out)["hits"] if "script" in h["snippet_html"]]
    assert evil and "<script" not in evil[0]["snippet_html"]


def test_trend(wsdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "covid", "--trend", "month", "--json", "-w", str(wsdir))
    assert code == 0
    points = json.loads(out)["points"]
    assert sum(p["value"] for p in points if p["value"] is not None) == 3
    code, out, _ = run(
        capsys, "search", "covid", "--trend", "month", "--normalise", "--source", "forum",
        "--json", "-w", str(wsdir),
    )  # fmt: skip
    data = json.loads(out)
    assert data["unit"] == "share"
    assert [round(p["value"], 3) for p in data["points"]] == [round(3 / 6, 3), 0.0]


def test_errors_are_one_line_with_exit_code_2(
    wsdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "search", "covid)", "-w", str(wsdir))
    assert code == 2
    assert "unexpected ')' at character 6" in err and "Traceback" not in err
    code, _, err = run(capsys, "search", "x", "--sort", "best", "-w", str(wsdir))
    assert code == 2 and "unknown sort" in err


def test_index_command(wsdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "index", "--rebuild", "--json", "-w", str(wsdir))
    assert code == 0
    state = json.loads(out)
    assert state["documents"] == state["posts"] == len(POSTS) and state["rebuilt"]
    with Workspace.open(wsdir) as ws:
        sql = "SELECT DISTINCT strftime(timezone('UTC', time), '%Y-%m') AS m FROM posts"
        months = sorted(ws.sql(sql).column("m").to_pylist())
    assert state["months"] == len(months) > 1
    assert (state["from"], state["to"]) == (months[0], months[-1])
