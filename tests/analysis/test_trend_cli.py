"""`groundswell trend` and `groundswell metrics` as a user runs them: named metrics from the
config, flags, exports, and clear errors with exit code 2."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from groundswell import Workspace
from groundswell.cli.main import main
from tests.analysis.test_trends import add_posts, cover

METRICS = """
[metrics.uploads_per_week]
description = "Posts in Uploads per week, per source"
period = "week"
by = "source"
where = {section = "Uploads"}

[metrics.original_share]
period = "month"
where = ["section = Uploads"]
share = ["tags contains Original"]
"""


@pytest.fixture
def wsdir(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    with Workspace.init(path) as ws:
        t0 = datetime(2020, 1, 6, tzinfo=UTC)  # a Monday
        rows = [
            {
                "uid": i + 1,
                "source_id": "forum:A" if i % 3 else "forum:B",
                "time": t0 + timedelta(hours=7 * i),
                "section": "Uploads" if i % 2 else "General chat",
                "tags": ["Original"] if i % 4 == 1 else [],
            }
            for i in range(120)
        ]
        add_posts(ws, rows)
        cover(ws, "forum:A", t0, t0 + timedelta(days=35))
        cover(ws, "forum:B", t0, t0 + timedelta(days=13, hours=23))  # B stops after two weeks
    with (path / "groundswell.toml").open("a", encoding="utf-8") as fh:
        fh.write(METRICS)
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_named_metric_table_json_and_export(
    wsdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "metrics", "-w", str(wsdir))
    assert code == 0 and "uploads_per_week" in out and "Posts in Uploads per week" in out
    code, out, _ = run(capsys, "trend", "uploads_per_week", "-w", str(wsdir), "--no-project")
    assert code == 0
    assert "2020-W02 (06 Jan)" in out and "forum:A" in out and "forum:B" in out
    assert "not collected" in out  # forum:B after its coverage ends
    dest = tmp_path / "uploads.csv"
    code, out, _ = run(
        capsys, "trend", "uploads_per_week", "-w", str(wsdir), "--json", "--out", str(dest)
    )
    assert code == 0
    data = json.loads(out)
    assert data["period"] == "week" and data["unit"] == "posts"
    statuses = {(p["source"], p["status"]) for p in data["points"]}
    assert ("forum:B", "missing") in statuses
    with dest.open() as fh:
        rows = list(csv.DictReader(fh))
    assert set(rows[0]) >= {"period", "source", "value", "status"}
    assert len(rows) == len(data["points"])


def test_flags_share_and_transform(wsdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "trend", "original_share", "-w", str(wsdir), "--no-project")
    assert code == 0 and "%" in out
    code, out, _ = run(
        capsys, "trend", "-w", str(wsdir), "--period", "week", "--where", "section = Uploads",
        "--transform", "index", "--no-project",
    )  # fmt: skip
    assert code == 0 and "index" in out and "100" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["trend", "nosuch"], "no metric named 'nosuch'"),
        (["trend", "--where", "nosuch = 1"], "no column 'nosuch'"),
        (["trend", "--period", "fortnight"], "unknown period"),
        (["trend", "--measure", "mean"], "needs a column"),
        (["trend", "--transform", "rolling:x"], "cannot read transform"),
        (["trend", "--tz", "Mars/Olympus"], "unknown timezone"),
    ],
)
def test_errors_are_one_line_with_exit_code_2(
    wsdir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run(capsys, *args, "-w", str(wsdir))
    assert code == 2
    assert message in err and "Traceback" not in err


def test_anomalies_and_charts_from_the_command_line(
    wsdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chart = tmp_path / "uploads.svg"
    code, out, err = run(
        capsys, "trend", "uploads_per_week", "-w", str(wsdir), "--anomalies", "--chart", str(chart)
    )
    assert code == 0, err
    assert "Anomalies" in out or "no anomalies found" in out
    assert chart.read_text(encoding="utf-8").lstrip().startswith("<svg")
    code, out, err = run(capsys, "anomalies", "-w", str(wsdir), "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert isinstance(rows, list)
    assert all({"metric", "kind", "when", "explanation"} <= set(r) for r in rows)
    code, _, err = run(capsys, "trend", "uploads_per_week", "-w", str(wsdir), "--chart", "x.gif")
    assert code != 0 and "x.gif" in err and "Traceback" not in err
