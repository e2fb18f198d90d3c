"""The hype audit on the demo corpus: it must find the planted NOVA token promotion (its
accounts, how many are new and disclose payment, its claims) and must not call the organic
cup-final burst coordinated; the report section and the CLI that show it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from groundswell import Workspace
from groundswell.cli.main import main
from groundswell.coordination.audit import AuditOptions, entity
from groundswell.errors import GroundswellError, QueryError, ReportError
from groundswell.report.spec import parse
from tests.demo.test_generate import SCALE
from tests.demo.test_stories import build

CONTRACT = "0x302DFaF2CDbE51a18d97186A7384e87CF599877D"
EVENTS = ((datetime(2020, 5, 26, 13, 0), "airdrop opens"), (datetime(2020, 5, 28), "listing"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, dict[str, Any]]]:
    ws, truth = build(tmp_path_factory.mktemp("audit"), SCALE)
    yield ws, truth
    ws.close()


@pytest.fixture(scope="module")
def nova(demo: tuple[Workspace, dict[str, Any]]) -> Any:
    return demo[0].audit(CONTRACT, AuditOptions(events=EVENTS))


def test_the_mentions_are_the_campaign(demo: Any, nova: Any) -> None:
    _, truth = demo
    campaign = truth["coordinated_campaign"]
    assert nova.entity.kind == "indicator" and nova.entity.value == CONTRACT
    assert nova.mentions == campaign["posts"]
    assert nova.accounts == len(campaign["accounts"])
    # the timeline counts the same posts, and the burst day is a spike
    assert float(sum(v for v in nova.series.values[0] if v == v)) == nova.mentions
    assert [(a.kind, a.start.date().isoformat()) for a in nova.anomalies] == [
        ("spike", "2020-05-26")
    ]


def test_the_signals_against_the_truth(demo: Any, nova: Any) -> None:
    _, truth = demo
    accounts = truth["coordinated_campaign"]["accounts"]
    signals = {s.name: s for s in nova.signals}
    assert list(signals) == ["coordinated", "new", "history", "templated", "disclosed"]
    for s in signals.values():
        assert s.total == nova.mentions
        assert list(s.baselines) == ["all other posts"]
    # every post of a disclosing account carries #ad; new accounts posted first in the burst
    assert signals["disclosed"].count == sum(a["posts"] for a in accounts if a["discloses_ad"])
    assert signals["disclosed"].baselines["all other posts"][0] == 0
    assert signals["new"].count >= sum(a["posts"] for a in accounts if a["new_account"])
    assert signals["coordinated"].share >= 0.9
    assert signals["coordinated"].lift() >= 3  # (the campaign accounts' other posts count too)
    for name in ("coordinated", "new", "history", "templated"):
        assert signals[name].share > 2 * (signals[name].baseline_share() or 0), name
    # the baseline is every other post of the same sources in the period
    _, total = signals["new"].baselines["all other posts"]
    ws = demo[0]
    n = ws.sql(
        "SELECT count(*) AS n FROM posts WHERE time >= ? AND time < ? AND source_id IN "
        "(SELECT unnest(?))",
        [nova.since.astimezone(UTC), nova.until.astimezone(UTC), list(nova.sources)],
    ).to_pylist()[0]["n"]
    assert total == n - nova.mentions


def test_amplifiers_clusters_and_claims(demo: Any, nova: Any) -> None:
    _, truth = demo
    ids = {a["id"] for a in truth["coordinated_campaign"]["accounts"]}
    assert nova.amplifiers and {r["author_id"] for r in nova.amplifiers} <= ids
    assert all(r["mentions"] >= nova.amplifiers[-1]["mentions"] for r in nova.amplifiers)
    assert sum(c["mentioning"] for c in nova.clusters) >= 0.9 * len(ids)
    coordinated = nova.coordination.accounts
    members = {a for c in nova.clusters for a in c["members"]}
    mine = [r["author_id"] for r in coordinated.to_pylist() if r["account"] in members]
    assert set(mine) <= ids  # the clusters of its accounts hold campaign accounts only
    # every co-share is counted once in the objects table
    net = nova.coordination
    assert sum(net.objects["co_shares"].to_pylist()) == net.evidence.num_rows
    times = [
        (c, t)
        for c, t in zip(*(net.evidence[k].to_pylist() for k in ("cluster", "time_a")), strict=True)
    ]
    assert times == sorted(times)  # the evidence in time order within each cluster
    claims = {(c["kind"], c["value"]): c for c in nova.claims}
    assert claims["address", CONTRACT]["accounts"] == len(ids)
    assert claims["link", "https://novatoken.example/airdrop"]["accounts"] == len(ids)
    assert ("name", "Lumen Ridge Capital") in claims
    assert ("repository", "https://code.example.org/novatoken/contracts") in claims
    assert json.dumps(nova.to_dict(), default=str)  # JSON-able for --json


def test_the_organic_decoy_is_not_coordinated(demo: Any) -> None:
    ws, _ = demo
    decoy = ws.audit(
        "final", AuditOptions(since=datetime(2019, 5, 25), until=datetime(2019, 5, 27))
    )
    coordinated = next(s for s in decoy.signals if s.name == "coordinated")
    assert decoy.mentions >= 3  # (the decoy scales with the corpus)
    assert coordinated.count == 0 and not decoy.clusters


def test_entities_and_baseline_topics(demo: Any) -> None:
    ws, _ = demo
    assert entity(ws, CONTRACT.lower()).value == CONTRACT  # any case, the stored value
    assert entity(ws, "NOVA token").kind == "query"
    assert entity(ws, "lexicon:disclosure").kind == "lexicon"
    with pytest.raises(QueryError, match="no lexicon"):
        entity(ws, "lexicon:nope")
    with pytest.raises(QueryError, match="no indicator"):
        entity(ws, "indicator:0xdeadbeef")
    with pytest.raises(QueryError, match="no posts mention"):
        ws.audit("zzzqqqxxx")
    by_query = ws.audit("NOVA token", AuditOptions(baselines=("final",)))
    assert by_query.mentions >= 1
    assert list(by_query.signals[0].baselines) == ["final"]


def test_the_report_section(demo: Any, tmp_path: Path) -> None:
    ws, _ = demo
    spec = parse(
        {
            "title": "Audit",
            "period": "2020-05",
            "sections": [
                {
                    "kind": "audit",
                    "entity": CONTRACT,
                    "events": {"listing": datetime(2020, 5, 28)},
                    "window": "10m",
                }
            ],
        },
        name="audit",
        where="test",
    )
    doc = ws.report(spec)
    assert [b.kind for b in doc.blocks] == ["audit"] * 6
    timeline, signals, amplifiers, claims, clusters, evidence = doc.blocks
    assert timeline.chart is not None and "listing" in json.dumps(timeline.chart)
    assert signals.table is not None and len(signals.table.rows) == 5
    assert amplifiers.table is not None
    assert {row[0] for row in amplifiers.table.rows} == {"[redacted]"}
    assert claims.table is not None and any(CONTRACT in r for r in claims.table.rows)
    assert clusters.table is not None and len(clusters.table.rows) >= 1
    assert evidence.table is not None and evidence.table.rows
    assert (
        {r[1] for r in evidence.table.rows} == {r[3] for r in evidence.table.rows} == {"[redacted]"}
    )
    assert all(int(r[4].replace(",", "")) <= 600 for r in evidence.table.rows)  # within 10 min


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({}, "needs entity"),
        ({"entity": "x", "window": "soon"}, "window"),
        ({"entity": "x", "events": ["2020-05-28"]}, "events must be a table"),
        ({"entity": "x", "events": {"a": 5}}, "date or time"),
        ({"entity": "x", "traces": ["likes"]}, "unknown likes"),
        ({"entity": "x", "new_days": -1}, "new_days"),
    ],
)
def test_report_section_errors(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ReportError, match=message):
        parse({"sections": [{"kind": "audit", **section}]}, name="a", where="a")


@pytest.fixture(scope="module")
def w(demo: tuple[Workspace, dict[str, Any]]) -> str:
    """The workspace's path for the CLI, closed here (DuckDB opens a file once a process;
    these tests come last)."""
    demo[0].close()
    return str(demo[0].path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["audit", *args])
    got = capsys.readouterr()
    return code, got.out, got.err


def test_the_command(w: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chart = tmp_path / "nova.svg"
    code, out, err = run(
        capsys, CONTRACT, "-w", w, "--event", "2020-05-28=listing", "--chart", str(chart)
    )
    assert code == 0, err
    for text in ("Signals", "from coordinated clusters", "Top amplifiers", "Lumen Ridge Capital"):
        assert text in out
    assert "event 2020-05-28 00:00: listing" in out
    assert chart.read_text().startswith("<svg") and "listing" in chart.read_text()
    code, out, _ = run(capsys, CONTRACT, "-w", w, "--json")
    assert code == 0 and json.loads(out)["mentions"] >= 1
    for bad in (["--event", "2020-05-28"], ["--event", "soon=x"], ["--window", "x"],
                ["--period", "month"], ["-t", "likes"]):  # fmt: skip
        code, _, err = run(capsys, CONTRACT, "-w", w, *bad)
        assert code == 2 and len(err.strip().splitlines()) == 1, (bad, err)


def test_errors_reach_the_user_as_one_line(w: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "zzzqqqxxx", "-w", w)
    assert code == 2 and "no posts mention" in err
    assert issubclass(QueryError, GroundswellError)
