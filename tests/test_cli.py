"""End-to-end CLI: every command's output and exit code, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from groundswell.cli.main import main

T0 = 1_580_000_000


@pytest.fixture
def data(tmp_path: Path) -> Path:
    f = tmp_path / "posts.jsonl"
    rows = [
        {"id": i, "ts": T0 + 3600 * i, "user": {"name": f"u{i}"}, "body": f"hello {i}"}
        for i in range(20)
    ]
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n{oops\n")
    return f


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_import_and_inspect(
    tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = str(tmp_path / "ws")
    code, out, _ = run(capsys, "init", ws)
    assert code == 0 and "Created workspace" in out
    assert (tmp_path / "ws" / "groundswell.toml").exists()

    code, out, err = run(
        capsys,
        "import",
        "jsonl",
        str(data),
        "-w",
        ws,
        "--source",
        "club",
        "--map",
        "text=body",
        "--map",
        "author_name=user.name",
        "--map",
        "time=ts",
        "--time-format",
        "epoch_s",
    )
    assert code == 0, err
    assert "completed" in out and "20" in out
    assert "1 records quarantined" in err and "groundswell quarantine --import 1" in err

    code, out, _ = run(
        capsys,
        "import",
        "jsonl",
        str(data),
        "-w",
        ws,
        "--source",
        "club",
        "--map",
        "text=body",
        "--map",
        "author_name=user.name",
        "--map",
        "time=ts",
        "--time-format",
        "epoch_s",
        "--json",
    )
    assert code == 0
    [again] = json.loads(out)
    assert again["status"] == "skipped" and again["same_as"] == 1

    code, out, _ = run(capsys, "sources", "-w", ws, "--json")
    [src] = json.loads(out)
    assert src["source_id"] == "generic:club" and src["posts"] == 20

    code, out, _ = run(capsys, "sources", "-w", ws)
    assert code == 0 and "generic:club" in out and "2020-01-26..2020-01-26" in out

    code, out, _ = run(capsys, "quarantine", "-w", ws, "--json")
    [q] = json.loads(out)
    assert q["location"] == "line 21" and "invalid JSON" in q["reason"]

    code, out, _ = run(capsys, "imports", "-w", ws, "--json")
    assert [i["status"] for i in json.loads(out)] == ["skipped", "completed"]

    code, out, _ = run(capsys, "stats", "-w", ws)
    assert code == 0 and "posts" in out and "20" in out and "quarantined" in out

    code, out, _ = run(capsys, "stats", "-w", ws, "--json")
    assert json.loads(out)["posts"] == 20

    dest = tmp_path / "out" / "posts.csv"
    code, out, _ = run(capsys, "export", "posts", str(dest), "-w", ws)
    assert code == 0 and "Wrote 20 rows" in out
    assert dest.read_text().splitlines()[0].startswith("uid,source_id,native_id")

    dest = tmp_path / "counts.parquet"
    code, out, _ = run(
        capsys,
        "export",
        "SELECT author_name, count(*) AS n FROM posts GROUP BY 1",
        str(dest),
        "-w",
        ws,
    )
    assert code == 0 and "Wrote 20 rows" in out


def test_user_errors_are_one_line_with_exit_codes(
    tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "stats", "-w", str(tmp_path / "nowhere"))
    assert code == 2 and "not a Groundswell workspace" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) <= 2

    ws = str(tmp_path / "ws")
    run(capsys, "init", ws)
    code, _, err = run(capsys, "import", "nosuchformat", str(data), "-w", ws)
    assert code == 2 and "unknown format 'nosuchformat'" in err and "reddit" in err

    code, _, err = run(capsys, "import", "jsonl", str(tmp_path / "missing.jsonl"), "-w", ws)
    assert code == 1 and "no such file" in err

    code, _, err = run(capsys, "import", "jsonl", str(data), "-w", ws, "--strict")
    assert code == 1 and "line 1: author_name: expected text, got dict" in err

    code, _, err = run(
        capsys,
        "import",
        "jsonl",
        str(data),
        "-w",
        ws,
        "--strict",
        "--map",
        "author_name=user.name",
        "--map",
        "time=ts",
    )
    assert code == 1 and "line 21: invalid JSON" in err and "--strict" in err

    code, _, err = run(capsys, "import", "jsonl", str(data), "-w", ws, "--map", "nonsense")
    assert code == 1 and "--map takes COLUMN=FIELD" in err

    code, _, err = run(capsys, "import", "jsonl", str(data), "-w", ws, "--map", "colour=body")
    assert code == 1 and "unknown mapping target" in err

    code, _, err = run(capsys, "export", "DROP TABLE posts", str(tmp_path / "x.csv"), "-w", ws)
    assert code == 2 and "neither a table" in err

    code, _, err = run(capsys, "init", ws)
    assert code == 2 and "already a Groundswell workspace" in err

    code, _, err = run(capsys, "import", "jsonl")
    assert code == 2 and "Missing argument" in err


def test_import_table_and_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = str(tmp_path / "ws")
    run(capsys, "init", ws)
    calls = tmp_path / "calls.csv"
    calls.write_text(
        "call_id,queued_at,assigned_at,priority,precinct\n"
        "1,2020-03-01 14:05:00,2020-03-01 14:09:30,1,North\n"
        "2,2020-03-01 15:05:00,2020-03-01 15:19:30,3,South\n"
        "3,1970-01-01 00:00:00,1970-01-01 00:10:00,2,South\n"
    )
    code, out, err = run(
        capsys,
        "import-table",
        str(calls),
        "--name",
        "calls",
        "--time-column",
        "queued_at",
        "--timezone",
        "America/Chicago",
        "--key",
        "call_id",
        "-w",
        ws,
    )
    assert code == 0, err
    assert "ev_calls" in out and "1 records quarantined" in err
    code, out, _ = run(capsys, "stats", "-w", ws, "--json")
    assert json.loads(out)["event_tables"] == [
        {"name": "calls", "table_name": "ev_calls", "rows": 2}
    ]
    code, out, _ = run(capsys, "formats", "--json")
    names = {f["format"] for f in json.loads(out)}
    assert {"jsonl", "csv", "parquet"} <= names


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "import-table" in out and "demo" in out
    code, out, _ = run(capsys, "import", "--help")
    assert code == 0 and "--strict" in out and "Examples" in out
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("groundswell ")


def test_console_script_and_module_entry_points(tmp_path: Path) -> None:
    """The installed `groundswell` command and `python -m groundswell` both work."""
    exe = Path(sys.executable).parent / "groundswell"
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "groundswell" in out.stdout
    out = subprocess.run(
        [sys.executable, "-m", "groundswell", "stats", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "not a Groundswell workspace" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.slow
def test_generate_and_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The demo generates the corpus, imports every file with nothing quarantined, and a second
    run adds nothing."""
    code, out, err = run(capsys, "generate", str(tmp_path / "corpus"), "--scale", "0.02")
    assert code == 0, err
    assert "ground truth in" in out and (tmp_path / "corpus" / "ground_truth.json").exists()

    code, out, err = run(capsys, "demo", str(tmp_path / "d"), "--scale", "0.02")
    assert code == 0, err
    assert "0 quarantined" in err and "forum:Lantern Hall" in out and "ev_calls" in out
    assert "Indicators extracted at import" in out and "lexicon" in out
    assert "imgdrop.example" in out  # the demo's busiest image host
    briefings = tmp_path / "d" / "briefings"
    for name in ("weekly-2020-W24", "monthly-2020-05"):  # the demo ends in two briefings
        for suffix in (".html", ".pdf", ".md"):
            assert (briefings / f"{name}{suffix}").stat().st_size > 1000
    assert f"Briefings (open one in a browser): {briefings / 'weekly-2020-W24.html'}" in out
    code, out, _ = run(capsys, "stats", "-w", str(tmp_path / "d" / "workspace"), "--json")
    first = json.loads(out)
    assert first["posts"] > 3_000 and first["quarantined"] == 0

    code, out, err = run(capsys, "demo", str(tmp_path / "d"), "--scale", "0.02")
    assert code == 0 and ", 0 new, 0 quarantined" in err
    code, out, _ = run(capsys, "stats", "-w", str(tmp_path / "d" / "workspace"), "--json")
    assert json.loads(out)["posts"] == first["posts"]
