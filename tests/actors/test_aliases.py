"""Alias candidates and decisions: name keys, style profiles, a planted alias found first with
its evidence and its decoy below, blocking that never compares all pairs, decisions that make
two accounts one person in distinct-author counts (and undo), the CLI, and the demo's planted
look-alike found on the demo corpus."""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from groundswell import ImportOptions, Workspace
from groundswell.actors import aliases, names, stylometry
from groundswell.analysis.metrics import Metric
from groundswell.cli.main import main
from groundswell.errors import QueryError

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> Any:
    """benchmarks/alias_quality.py: its population generator is the tests' too."""
    spec = importlib.util.spec_from_file_location("alias_quality", ROOT / "benchmarks" /
                                                  "alias_quality.py")  # fmt: skip
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["alias_quality"] = module
    spec.loader.exec_module(module)
    return module


aq = _bench()
BTC = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"


def person(name: str, peak: int, seed: int, accounts: list[tuple[str, str]], **kw: Any) -> Any:
    rng = random.Random(seed)
    p = aq.Person(
        name=name, peak=peak, spread=1.5, words=rng.sample(aq.WORDS, 25),
        ending=kw.get("ending", "."), sign=kw.get("sign", "cheers"), caps=kw.get("caps", False),
        crypto=kw.get("crypto"), email=None, posts=kw.get("posts", 30),
    )  # fmt: skip
    p.accounts = accounts
    return p


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, int]]:
    """A small population, then (its last accounts) one person as Quiet_Fox99 on Board A and
    qu1et.f0x on Board B with the same crypto address, hours and style, and a decoy quietfox7
    on Board C posting at other hours in another style."""
    persons, _ = aq.people(600, 3)
    n = sum(len(p.accounts) for p in persons)
    persons += [
        person("quietfox", 22, 1, [(aq.SOURCES[0], "Quiet_Fox99"), (aq.SOURCES[1], "qu1et.f0x")],
               crypto=BTC, ending=" :)", sign="peace"),
        person("quietfox", 9, 2, [(aq.SOURCES[2], "quietfox7")], ending="!!!", caps=True,
               sign="regards"),
    ]  # fmt: skip
    ws = aq.write(tmp_path_factory.mktemp("aliases") / "ws", persons, 11)
    yield ws, n
    ws.close()


# -- names and style -------------------------------------------------------------------------
def test_name_keys() -> None:
    assert names.normalise("Quiet_Fox99") == "quietfox99"
    assert names.base("Quiet_Fox99") == "quietfox"
    assert names.normalise("Qu1et.F0x") == "quietfox"
    assert names.normalise("qu1et-fox", one="l") == "quletfox"
    assert names.normalise("Zoë Ång") == "zoeang"
    assert names.normalise("c@$h_4ll") == "cashall"
    assert names.keys("B1ue_Owl7") == {"biueowlt", "biueowl", "blueowlt", "blueowl"}
    assert names.keys("Jo_12") == {"joi2", "jol2"}  # "jo" (without digits) is too short


def test_style_profiles_tell_writers_apart() -> None:
    rng = random.Random(1)
    writers = [
        person(f"w{i}", 0, i, [], ending=e, caps=c)
        for i, (e, c) in enumerate([("!!!", True), ("...", False), (" :)", False)])
    ]
    samples = [[aq._post(w, rng) for _ in range(30)] for w in writers for _half in (0, 1)]
    p = stylometry.profiles(samples)
    background = stylometry.profile([t for s in samples for t in s], max_chars=10**6)
    same = stylometry.cosines(p[0::2], p[1::2], background)
    other = stylometry.cosines(p[0::2], p[[3, 5, 1]], background)
    assert same.min() > 0.3 and other.max() < same.min()
    assert stylometry.profile([]).sum() == 0


# -- candidates ------------------------------------------------------------------------------
def test_the_alias_comes_first_with_its_evidence(planted: tuple[Workspace, int]) -> None:
    ws, n = planted
    found = aliases.candidates(ws, "quiet_fox99")
    top = found[0]
    assert (top.account, top.source_id, top.author_id) == (n + 2, aq.SOURCES[1], "qu1et.f0x")
    ev = {e.name: e for e in top.evidence}
    assert ev["base_name"].value == "quietfox" and ev["base_name"].points == 2.0
    shared = ev["shared_indicators"].value
    assert shared == [{"kind": "crypto", "value": BTC, "accounts": 2}]
    assert ev["shared_indicators"].points == 2.0  # 4 / 2 accounts
    assert ev["active_hours"].value > 0.5 and ev["style"].value > 0.3
    assert top.score == pytest.approx(sum(e.points for e in top.evidence), abs=0.02)
    decoy = next(c for c in found if c.author_id == "quietfox7")
    assert decoy.score < top.score - 2
    assert {e.name for e in decoy.evidence} >= {"base_name", "fuzzy_name", "style"}
    assert all(c.source_id != aq.SOURCES[0] for c in found)  # other sources only


def test_the_workspace_api_is_the_modules(planted: tuple[Workspace, int]) -> None:
    ws, n = planted
    got = ws.alias_candidates("quiet_fox99", limit=3)
    assert [c.account for c in got] == [c.account for c in aliases.candidates(ws, "quiet_fox99")][
        :3
    ]
    decided = ws.decide_alias(n + 1, n + 2, "rejected", note="checked")
    assert decided["status"] == "rejected"
    assert any(d["note"] == "checked" for d in aliases.decisions(ws))
    aliases.undo(ws, n + 1, n + 2)
    assert not any(d["note"] == "checked" for d in aliases.decisions(ws))


def test_who_is_resolved_or_a_clear_error(planted: tuple[Workspace, int]) -> None:
    ws, n = planted
    assert aliases.resolve(ws, f"{aq.SOURCES[1]}:qu1et.f0x") == n + 2
    assert aliases.resolve(ws, str(n + 2)) == n + 2
    assert aliases.resolve(ws, "Qu1et.F0x", aq.SOURCES[1]) == n + 2
    with pytest.raises(QueryError, match="no actor"):
        aliases.resolve(ws, "nobody-at-all")


def test_blocking_never_compares_all_pairs(planted: tuple[Workspace, int]) -> None:
    ws, _ = planted
    accounts = ws.sql("SELECT count(*) AS n FROM accounts").to_pylist()[0]["n"]
    found = aliases.pairs(ws)
    assert 0 < found.num_rows < accounts * (accounts - 1) / 2 * 0.1
    a, b = found.column("a").to_pylist(), found.column("b").to_pylist()
    assert all(x < y for x, y in zip(a, b, strict=True))
    assert len(set(zip(a, b, strict=True))) == len(a)


def test_quality_on_the_population(planted: tuple[Workspace, int]) -> None:
    ws, n = planted
    _, truth = aq.people(600, 3)
    q = aq.quality(ws, truth)
    assert q["p_at_1"] >= 0.85 and q["r_at_5"] >= 0.85
    table = aliases.all_candidates(ws, top=3)
    mine = table.filter(table.column("account").to_numpy() == n + 1).to_pylist()
    assert mine[0]["candidate"] == n + 2 and len(mine) <= 3


# -- decisions and counts --------------------------------------------------------------------
def test_decisions_make_one_person_and_undo_splits_it(planted: tuple[Workspace, int]) -> None:
    ws, n = planted
    a, b, c = n + 1, n + 2, n + 3
    metric = Metric(measure="distinct", column="author_id", period="year")

    def counted() -> list[float]:
        """Distinct authors per year by the metric engine, checked against plain SQL."""
        got = [float(v) for v in ws.trend(metric, project=False).values[0]]
        want = (
            ws.sql(
                """SELECT year(timezone('UTC', p.time)) AS y,
                      count(DISTINCT coalesce(a.person, a.account)) AS n
               FROM posts p JOIN accounts a USING (account) GROUP BY y ORDER BY y"""
            )
            .column("n")
            .to_pylist()
        )
        assert got == want
        return got

    before = sum(counted())

    def person_of(x: int) -> Any:
        return ws.sql("SELECT person FROM accounts WHERE account = ?", [x]).to_pylist()[0]["person"]

    d = aliases.decide(ws, f"{aq.SOURCES[1]}:qu1et.f0x", a, "confirmed", "same address")
    assert (d["account_a"], d["account_b"], d["status"], d["note"]) == (
        a,
        b,
        "confirmed",
        "same address",
    )
    assert d["score"] > 5 and json.loads(d["evidence"])[0]["name"] == "base_name"
    assert person_of(a) == person_of(b) == a
    assert sum(counted()) < before
    aliases.decide(ws, b, c, "confirmed")  # b-c joins the group through b
    assert [person_of(x) for x in (a, b, c)] == [a, a, a]
    counted()
    warned = aliases.decide(ws, a, c, "rejected")
    assert "still one person" in warned["warning"]
    aliases.decide(ws, b, c, "rejected")  # replaces the confirmation: groups recomputed
    assert [person_of(x) for x in (a, b, c)] == [a, a, None]
    assert {(x["account_b"], x["status"]) for x in aliases.decisions(ws)} == {
        (b, "confirmed"),
        (c, "rejected"),
    }
    aliases.undo(ws, a, b)
    assert person_of(a) is None and person_of(b) is None
    assert sum(counted()) == before
    found = aliases.candidates(ws, a)
    assert next(x for x in found if x.account == c).decision == "rejected"
    with pytest.raises(QueryError, match="no decision"):
        aliases.undo(ws, a, b)
    with pytest.raises(QueryError, match="same account"):
        aliases.decide(ws, a, a, "confirmed")
    with pytest.raises(QueryError, match="unknown decision"):
        aliases.decide(ws, a, b, "maybe")
    aliases.undo(ws, a, c)
    aliases.undo(ws, b, c)
    assert aliases.decisions(ws) == []


def test_groups_are_connected_components() -> None:
    assert aliases.groups([(1, 5), (5, 9), (3, 4)]) == {1: 1, 5: 1, 9: 1, 3: 3, 4: 3}
    assert aliases.groups([(7, 8), (2, 8)]) == {7: 2, 8: 2, 2: 2}
    assert aliases.groups([]) == {}


def test_commands(planted: tuple[Workspace, int], capsys: pytest.CaptureFixture[str]) -> None:
    ws, n = planted
    w = str(ws.path)
    ws.store.con.execute("CHECKPOINT")
    ws.close()
    try:
        assert main(["aliases", "quiet_fox99", "-w", w, "--limit", "3"]) == 0
        shown = capsys.readouterr().out
        assert "qu1et.f0x" in shown and "base_name" in shown and "+2" in shown
        assert main(["aliases", "quiet_fox99", "-w", w, "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert rows[0]["account"] == n + 2 and rows[0]["evidence"][0]["points"] == 2.0
        b = f"{aq.SOURCES[1]}:qu1et.f0x"
        assert main(["alias", "confirm", str(n + 1), b, "--note", "hours", "-w", w]) == 0
        assert "confirmed" in capsys.readouterr().out
        assert main(["aliases", "--decisions", "-w", w, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)[0]["note"] == "hours"
        assert main(["alias", "reject", str(n + 1), b, "-w", w]) == 0
        assert main(["alias", "undo", str(n + 1), b, "-w", w]) == 0
        assert "undone: rejected" in capsys.readouterr().out
        assert main(["alias", "undo", str(n + 1), b, "-w", w]) == 2
        assert main(["aliases", "nobody-at-all", "-w", w]) == 2
        assert main(["aliases", "-w", w]) == 2
    finally:
        reopened = Workspace.open(Path(w))
        ws.__dict__.update(reopened.__dict__)  # the fixture's later users get an open store


# -- the demo --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, dict[str, Any]]]:
    """The demo corpus at scale 0.02, its forums imported (where the look-alike is)."""
    from groundswell.demo.generate import generate

    root = tmp_path_factory.mktemp("demo")
    manifest = generate(root / "corpus", seed=7, scale=0.02)
    ws = Workspace.init(root / "ws", name="demo")
    for f in manifest.files:
        if f.format == "forum":
            ws.import_(f.format, [f.path], options=ImportOptions(**f.options))
    yield ws, json.loads(manifest.ground_truth_path.read_text(encoding="utf-8"))
    ws.close()


def test_the_demo_lookalike_is_the_top_candidate(demo: tuple[Workspace, dict[str, Any]]) -> None:
    ws, truth = demo
    la = truth["lookalike_usernames"][0]
    found = aliases.candidates(ws, la["a"]["name"])
    assert found, "no candidates"
    top = found[0]
    assert la["b"]["forum"] in top.source_id and la["b"]["name"] in (top.author_id, top.name)
    closed = ws.sql("SELECT max(time) AS t FROM posts WHERE source_id = ?", [top.source_id])
    assert closed.to_pylist()[0]["t"] < datetime.fromisoformat("2019-09-15T00:00:00+00:00")
