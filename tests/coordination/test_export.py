"""Exports of a coordination result read back: GEXF and GraphML in networkx give the network
(nodes, edges, weights, clusters), Parquet the Arrow tables, CSV the rows; a hostile author
name survives every format and the XML stays valid.

The workspace (also used by test_cli.py): three accounts post the same link and hashtag
within 20 seconds on three days (one of them with a hostile name), two others post the same
two links 30 seconds apart, and a loner posts one of the links once, 5 seconds after the
first. With the default settings (an edge needs 2 objects, an account 2 co-shared objects)
that is two clusters, 3 + 2 accounts, and no loner."""

from __future__ import annotations

import csv
import dataclasses
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import networkx as nx
import pyarrow.parquet as pq
import pytest

from groundswell import ImportOptions, Workspace
from groundswell.coordination import export
from groundswell.coordination.detect import Coordination
from groundswell.coordination.network import Settings
from groundswell.errors import QueryError

HOSTILE = '=HYPERLINK("https://example.invalid") Evil, "Eve"\n<script>alert(1)</script>\x01'
RING = [("ann", "u0"), ("bob", "u1"), (HOSTILE, "u2")]


def rows() -> list[dict[str, Any]]:
    """The posts of the module docstring, for the generic JSONL importer."""
    out = []
    for day in range(1, 4):
        for k, (name, uid) in enumerate(RING):
            out.append(
                {"id": f"r{day}{k}", "time": f"2024-03-0{day}T10:00:{10 * k:02d}Z",
                 "author": name, "user_id": uid,
                 "text": f"buy now https://nova.example/drop{day} #nova{day}"}
            )  # fmt: skip
    for k, (name, uid) in enumerate([("cat", "u3"), ("dan", "u4")]):
        for n, site in enumerate(("one", "two")):
            out.append(
                {"id": f"c{k}{n}", "time": f"2024-03-05T1{n}:00:{30 * k:02d}Z", "author": name,
                 "user_id": uid, "text": f"{name} reads https://{site}.example/story today"}
            )  # fmt: skip
    out.append(
        {"id": "lone", "time": "2024-03-01T10:00:05Z", "author": "loner", "user_id": "u9",
         "text": "see https://nova.example/drop1"}
    )  # fmt: skip
    return out


def planted(root: Path) -> Workspace:
    """A workspace holding :func:`rows` (open; close it)."""
    path = root / "posts.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows()) + "\n", encoding="utf-8")
    ws = Workspace.init(root / "ws")
    ws.import_("jsonl", [path], options=ImportOptions(source="chat"))
    return ws


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coordination]:
    ws = planted(tmp_path_factory.mktemp("coordination-export"))
    try:
        yield ws.coordination(["url", "hashtag"], Settings(window=60))
    finally:
        ws.close()


def names(result: Coordination) -> dict[int, str]:
    return dict(zip(*(result.accounts[k].to_pylist() for k in ("account", "name")), strict=True))


def test_the_planted_network(result: Coordination) -> None:
    """What the other tests read back: two clusters, the loner left out."""
    by_name = {v: k for k, v in names(result).items()}
    assert set(by_name) == {"ann", "bob", HOSTILE, "cat", "dan"}
    assert result.cluster_of() == {
        by_name["ann"]: 1, by_name["bob"]: 1, by_name[HOSTILE]: 1, by_name["cat"]: 2,
        by_name["dan"]: 2,
    }  # fmt: skip
    assert sorted(result.edges["weight"].to_pylist()) == [2, 6, 6, 6]
    assert result.evidence.num_rows == 3 * 3 * 2 + 2  # ring: 3 pairs x 3 days x 2 objects


def test_every_format_is_written_under_fixed_names(result: Coordination, tmp_path: Path) -> None:
    written = export.write(result, tmp_path / "out", ["csv", "parquet", "gexf", "graphml"])
    expected = [f"{t}.{f}" for f in ("csv", "parquet") for t in export.TABLES]
    expected += ["network.gexf", "network.graphml", "settings.json"]
    assert [p.name for p in written] == expected
    # written atomically: nothing else (no temporary files) is left in the directory
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(expected)
    settings = json.loads((tmp_path / "out" / "settings.json").read_text())
    assert settings["settings"]["window"] == 60 and settings["traces"] == ["url", "hashtag"]
    assert settings["edges"] == 4 and settings["clusters"] == 2
    assert settings["scope"] == {"since": None, "until": None, "sources": [], "posts": None}


@pytest.mark.parametrize("fmt", ["gexf", "graphml"])
def test_the_network_reads_back_in_networkx(result: Coordination, tmp_path: Path, fmt: str) -> None:
    (path,) = [p for p in export.write(result, tmp_path, [fmt]) if p.suffix == f".{fmt}"]
    ET.parse(path)  # valid XML, hostile name and all
    text = path.read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text
    graph = nx.read_gexf(path, node_type=int) if fmt == "gexf" else nx.read_graphml(path, int)
    accounts = {r["account"]: r for r in result.accounts.to_pylist()}
    assert set(graph.nodes) == set(accounts)
    for node, data in graph.nodes(data=True):
        a = accounts[node]
        assert data["cluster"] == a["cluster"] and data["community"] == a["community"]
        assert data["author_id"] == a["author_id"] and data["strength"] == a["strength"]
        assert data["first_seen"] == a["first_seen"].strftime("%Y-%m-%dT%H:%M:%SZ")
        # the name, less the control character XML cannot hold
        assert data["name"] == a["name"].replace("\x01", "")
        assert data["label"] == data["name"]
    edges = {(r["a"], r["b"]): r for r in result.edges.to_pylist()}
    assert {tuple(sorted(e)) for e in graph.edges} == set(edges)
    for u, v, data in graph.edges(data=True):
        e = edges[(min(u, v), max(u, v))]
        assert data["weight"] == e["weight"] and data["cluster"] == e["cluster"]
        assert data["objects"] == e["objects"] and data["pairs"] == e["pairs"]
        assert data["mean_delta"] == pytest.approx(e["mean_delta"])
        assert data["last"] == e["last"].strftime("%Y-%m-%dT%H:%M:%SZ")


def test_parquet_is_the_arrow_tables(result: Coordination, tmp_path: Path) -> None:
    export.write(result, tmp_path, ["parquet"])
    for name in export.TABLES:
        assert pq.read_table(tmp_path / f"{name}.parquet").equals(getattr(result, name)), name


def test_csv_rows_lists_and_times(result: Coordination, tmp_path: Path) -> None:
    export.write(result, tmp_path, ["csv"])
    read: dict[str, list[dict[str, str]]] = {}
    for name in export.TABLES:
        with open(tmp_path / f"{name}.csv", newline="", encoding="utf-8") as f:
            read[name] = list(csv.DictReader(f))
        assert len(read[name]) == getattr(result, name).num_rows, name
    # the hostile name, commas, quotes, newline and all, comes back as it went in, with an
    # apostrophe first so that a spreadsheet does not run it as a formula
    defused = ["'" + n if n.startswith("=") else n for n in names(result).values()]
    assert sorted(r["name"] for r in read["accounts"]) == sorted(defused)
    assert "'" + HOSTILE in defused
    first = read["clusters"][0]
    assert first["members"] == "; ".join(str(m) for m in result.clusters["members"][0].as_py())
    assert first["traces"] == "hashtag; url"
    assert datetime.fromisoformat(first["first"]) == result.clusters["first"][0].as_py()
    assert first["first"] == "2024-03-01T10:00:00Z"
    assert all(r["time_a"].endswith("Z") for r in read["evidence"])


def test_an_empty_result_exports_empty_files(result: Coordination, tmp_path: Path) -> None:
    """No edges: every file is still written, with headers and no rows."""
    none = dataclasses.replace(result, **{t: getattr(result, t).slice(0, 0) for t in export.TABLES})
    export.write(none, tmp_path, export.FORMATS)
    assert nx.read_gexf(tmp_path / "network.gexf").number_of_nodes() == 0
    assert nx.read_graphml(tmp_path / "network.graphml").number_of_edges() == 0
    header = (tmp_path / "evidence.csv").read_text().splitlines()
    assert len(header) == 1 and header[0].startswith('"a","b","post_a"')


def test_unknown_formats_are_refused_before_anything_is_written(
    result: Coordination, tmp_path: Path
) -> None:
    with pytest.raises(QueryError, match="unknown export format xlsx"):
        export.write(result, tmp_path / "out", ["csv", "xlsx"])
    with pytest.raises(QueryError, match="no export format"):
        export.check([" ", ""])
    assert not (tmp_path / "out").exists()
    assert export.check(["GEXF", "csv", "gexf"]) == ("gexf", "csv")
