"""`groundswell coordination` on the planted workspace of test_export.py: the summary and the
clusters table, one cluster with its evidence, --json, --export, --query, an empty result,
and one-line errors for bad options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from groundswell.cli.coordination import duration
from groundswell.cli.main import main
from groundswell.coordination.network import Settings, in_words
from groundswell.errors import QueryError
from tests.coordination.test_export import HOSTILE, planted

URL_TAG = ["-t", "url", "--trace", "hashtag"]


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("coordination-cli")
    planted(root).close()
    return str(root / "ws")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["coordination", *args])
    got = capsys.readouterr()
    return code, got.out, got.err


def test_the_summary_and_the_clusters(w: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "-w", w, *URL_TAG)
    assert code == 0
    summary = out.splitlines()[0]
    assert summary.startswith("23 shares read (url 14, hashtag 9): 5 accounts, 4 edges, 2 clusters")
    assert "within 60 s, at least 2 objects per pair" in summary
    assert "Clusters (times UTC)" in out and "2024-03-01 10:00" in out and "2 days" in out
    assert "#nova1" in out and "--cluster N" in out and "--export DIR" in out
    # the text traces show an excerpt of the text, not a hash or a post id
    code, out, _ = run(capsys, "-w", w, "-t", "url,similar", "--window", "1m")
    assert code == 0 and "similar" in out and "“buy now https://nova.example/drop" in out


def test_one_cluster_with_its_evidence(w: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "-w", w, *URL_TAG, "--cluster", "1", "--limit", "4")
    assert code == 0
    assert "Cluster 1: 3 accounts, 3 edges, weight 18" in out
    assert "Members" in out and "ann" in out and "<script>alert(1)</script>" in out
    assert "Objects" in out and "#nova2" in out
    assert "Co-shares (4 of 18)" in out and "14 more" in out
    line = next(x for x in out.splitlines() if "2024-03-01 10:00:00" in x)
    for part in ("ann", "2024-03-01 10:00:10", "bob", "10", "https://nova.example/drop1"):
        assert part in line, part
    code, out, _ = run(capsys, "-w", w, *URL_TAG, "--cluster", "2")
    assert code == 0 and "cat" in out and "dan" in out and "ann" not in out
    assert "https://two.example/story" in out and "Co-shares (2 of 2)" in out
    code, _, err = run(capsys, "-w", w, *URL_TAG, "--cluster", "3")
    assert code == 2 and "no cluster 3: there are 2 clusters" in err


def test_json_has_the_tables(w: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "-w", w, *URL_TAG, "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"summary", "edges", "accounts", "clusters", "evidence", "objects"}
    assert data["summary"]["settings"]["window"] == 60
    assert [c["accounts"] for c in data["clusters"]] == [3, 2]
    assert len(data["evidence"]) == 20 and len(data["edges"]) == 4
    assert HOSTILE in {a["name"] for a in data["accounts"]}
    code, out, _ = run(capsys, "-w", w, *URL_TAG, "--json", "--cluster", "2", "--limit", "1")
    one = json.loads(out)
    assert one["cluster"]["cluster"] == 2 and {a["name"] for a in one["accounts"]} == {
        "cat",
        "dan",
    }
    assert len(one["evidence"]) == 1 and one["evidence_total"] == 2
    assert [o["object"] for o in one["objects"]] == [
        "https://one.example/story",
        "https://two.example/story",
    ]


def test_export_writes_the_files(
    w: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "nova"
    code, _, err = run(capsys, "-w", w, *URL_TAG, "--export", str(target), "--format", "csv,gexf")
    assert code == 0 and f"wrote 7 files to {target}" in err
    assert sorted(p.name for p in target.iterdir()) == [
        "accounts.csv", "clusters.csv", "edges.csv", "evidence.csv", "network.gexf",
        "objects.csv", "settings.json",
    ]  # fmt: skip
    assert json.loads((target / "settings.json").read_text())["clusters"] == 2


def test_query_since_and_an_empty_result(w: str, capsys: pytest.CaptureFixture[str]) -> None:
    # only the posts of the second day: each ring pair shares one link and one hashtag
    code, out, _ = run(capsys, "-w", w, *URL_TAG, "--query", "nova2")
    assert code == 0 and "3 accounts, 3 edges, 1 cluster;" in out
    code, out, _ = run(capsys, "-w", w, *URL_TAG, "--since", "2024-03-05")
    assert code == 0 and "2 accounts, 1 edge, 1 cluster;" in out
    code, out, _ = run(capsys, "-w", w, *URL_TAG, "--query", "nowhere")
    assert code == 0 and "no posts match the query 'nowhere'" in out
    code, out, _ = run(capsys, "-w", w, *URL_TAG, "--window", "5")  # the ring is 10 s apart
    assert code == 0 and "0 clusters" in out and "No coordination found" in out
    assert "wider window (--window 10m)" in out
    code, out, _ = run(capsys, "-w", w, "-t", "email")
    assert code == 0 and "hold no email" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--window", "ten minutes"], "--window: cannot read 'ten minutes' as a duration"),
        (["--fast-window", "5x"], "--fast-window: cannot read '5x'"),
        (["-t", "url,links"], "unknown trace links"),
        (["--quantile", "2"], "quantile must be 0 to 1, not 2.0"),
        (["--weight", "likes"], "unknown weight 'likes'"),
        (["--export", "out", "--format", "xlsx"], "unknown export format xlsx"),
        (["--since", "yesterday"], "--since: not an ISO date"),
        (["--bits", "20"], "0 to 15 bits"),
    ],
)
def test_bad_options_are_one_line_errors(
    w: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, "-w", w, *args)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_durations_in_and_out() -> None:
    assert [duration(t, "--window") for t in ("90", "90s", "10m", "10 min", "2h", "1d")] == [
        90, 90, 600, 600, 7200, 86400,
    ]  # fmt: skip
    with pytest.raises(QueryError, match="--window: cannot read '-5' as a duration"):
        duration("-5", "--window")
    assert [in_words(s) for s in (60, 600, 9000, 86400, 3 * 86400 + 20)] == [
        "60 s", "10 min", "2.5 h", "24 h", "3 days",
    ]  # fmt: skip
    assert Settings(window=600, min_weight=3, quantile=0.9, weight="pairs").describe() == (
        "within 10 min, at least 3 co-shares per pair, accounts with at least 2 shares, "
        "weights at or above the 0.9 quantile"
    )


def test_an_automatic_window_over_an_hour_is_flagged(
    w: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "-w", w, *URL_TAG, "--window", "auto")
    assert code == 0 and "automatic window" not in err  # the planted ring: seconds apart
    posts = [
        {"id": f"p{k}{n}", "time": f"2024-04-0{k + 1}T{10 + 2 * n:02d}:00:00Z",
         "author": name, "user_id": name, "text": f"see https://slow.example/{k}"}
        for k in range(4) for n, name in enumerate(("ann", "bob"))
    ]  # fmt: skip
    path = tmp_path / "slow.jsonl"
    path.write_text("\n".join(json.dumps(p) for p in posts) + "\n", encoding="utf-8")
    ws = str(tmp_path / "ws")
    assert main(["init", ws]) == 0
    assert main(["import", "jsonl", str(path), "--source", "chat", "-w", ws]) == 0
    capsys.readouterr()
    code, out, err = run(capsys, "-w", ws, "-t", "url", "--window", "auto")
    assert code == 0 and "within 2 h" in out
    assert "note: the automatic window is 2 h" in err and "--window 10m" in err
