"""The store under real processes: one writer, a busy store, a killed import, bounded memory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from groundswell import StoreBusyError, Workspace, WorkspaceError, schema

T0 = 1_580_000_000


def big_jsonl(path: Path, n: int) -> Path:
    with path.open("w") as f:
        for i in range(n):
            f.write(
                json.dumps(
                    {
                        "id": i,
                        "created_at": T0 + i,
                        "author": f"u{i % 500}",
                        "text": f"message number {i} about the weather and the match",
                    }
                )
                + "\n"
            )
    return path


def spawn(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.05)


def _processes_mentioning(marker: str) -> list[int]:
    """Live processes whose command line contains ``marker`` (forked workers share it)."""
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if marker.encode() in (d / "cmdline").read_bytes():
                    found.append(int(d.name))
            except OSError:
                continue
    return found


def test_second_process_gets_a_clear_busy_message(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "w").close()
    ready = tmp_path / "ready"
    holder = spawn(f"""
        import pathlib, time
        from groundswell import Workspace
        ws = Workspace.open({str(tmp_path / "w")!r})
        pathlib.Path({str(ready)!r}).touch()
        time.sleep(2.5)
        ws.close()
    """)
    try:
        wait_for(ready.exists)
        with pytest.raises(StoreBusyError) as e:
            Workspace.open(tmp_path / "w", read_only=True)
        msg = str(e.value)
        assert f"PID {holder.pid}" in msg and "read-write" in msg and "--wait" in msg
        assert e.value.holder["pid"] == holder.pid
        # a reader that waits gets in once the writer is done
        with Workspace.open(tmp_path / "w", read_only=True, wait=30) as ws:
            assert ws.stats()["posts"] == 0
    finally:
        holder.wait(timeout=30)


def test_readers_share_the_store(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "w").close()
    with Workspace.open(tmp_path / "w", read_only=True) as a:
        code = f"""
            from groundswell import Workspace
            with Workspace.open({str(tmp_path / "w")!r}, read_only=True) as ws:
                print(ws.stats()["posts"])
        """
        out = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0 and out.stdout.strip() == "0"
        assert a.stats()["posts"] == 0


@pytest.mark.slow
def test_killed_import_leaves_a_consistent_store_and_resumes(tmp_path: Path) -> None:
    n = 600_000
    src = big_jsonl(tmp_path / "big.jsonl", n)
    ws_dir = tmp_path / "w"
    Workspace.init(ws_dir).close()
    cfg = ws_dir / "groundswell.toml"
    cfg.write_text(cfg.read_text().replace("batch_size = 250000", "batch_size = 20000"))
    progress = tmp_path / "progress"
    proc = spawn(f"""
        import pathlib
        from groundswell import Workspace, ImportOptions
        out = pathlib.Path({str(progress)!r})
        def report(records, done, total):
            out.write_text(str(records))
        with Workspace.open({str(ws_dir)!r}) as ws:
            ws.import_("jsonl", [{str(src)!r}], options=ImportOptions(source="f"),
                       progress=report)
    """)

    def read_so_far() -> int:
        try:
            return int(progress.read_text() or 0)
        except (OSError, ValueError):
            return 0

    wait_for(lambda: read_so_far() >= n // 2 or proc.poll() is not None)  # half-way through
    assert proc.poll() is None, "the import finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    wait_for(lambda: not _processes_mentioning(str(progress)), timeout=10)  # workers die too
    with Workspace.open(ws_dir, read_only=True) as ws:  # readable, consistent
        stored = int(ws.sql("SELECT count(*) AS n FROM posts").to_pylist()[0]["n"])
        assert ws.imports()[0]["status"] == "running"  # nobody could mark it
    assert 0 <= stored < n
    with Workspace.open(ws_dir) as ws:
        from groundswell import ImportOptions

        [r] = ws.import_("jsonl", [src], options=ImportOptions(source="f"))
        assert r.status == "completed"
        assert r.records_new == n - stored and r.records_unchanged == stored
        counts = ws.sql("SELECT count(*) AS n, count(DISTINCT uid) AS u FROM posts").to_pylist()
        assert counts == [{"n": n, "u": n}]
        assert [i["status"] for i in ws.imports()] == ["completed", "interrupted"]


@pytest.mark.slow
def test_import_memory_stays_bounded(tmp_path: Path) -> None:
    """Peak RSS of a 1,000,000-record import stays far below the data it reads."""
    src = big_jsonl(tmp_path / "big.jsonl", 1_000_000)
    size_mb = src.stat().st_size / 1e6
    code = f"""
        import re
        from groundswell import Workspace, ImportOptions
        with Workspace.init({str(tmp_path / "w")!r}) as ws:
            ws.import_("jsonl", [{str(src)!r}], options=ImportOptions(source="f"))
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so it would count the
        # test runner's own memory at the moment it started this process
        status = open("/proc/self/status").read()
        print(int(re.search(r"VmHWM:\\s*(\\d+) kB", status).group(1)) // 1024)
    """
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr
    peak_mb = int(out.stdout.strip())
    assert size_mb > 80
    assert peak_mb < 1000, f"peak RSS {peak_mb} MB for a {size_mb:.0f} MB file"  # the 1 GB target


def test_schema_version_is_checked(tmp_path: Path) -> None:
    with Workspace.init(tmp_path / "w") as ws:
        ws.store.con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(WorkspaceError, match="schema version 99 is newer"):
        Workspace.open(tmp_path / "w")
    with Workspace.init(tmp_path / "v") as ws:
        ws.store.con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with pytest.raises(WorkspaceError, match="groundswell migrate"):
        Workspace.open(tmp_path / "v", read_only=True)
    with Workspace.open(tmp_path / "v") as ws:  # opened for writing: migrated
        assert ws.sql("SELECT value FROM meta WHERE key = 'schema_version'").to_pylist() == [
            {"value": str(schema.SCHEMA_VERSION)}
        ]


def test_not_a_workspace_and_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(WorkspaceError, match="not a Groundswell workspace"):
        Workspace.open(tmp_path)
    Workspace.init(tmp_path / "w").close()
    with pytest.raises(WorkspaceError, match="already a Groundswell workspace"):
        Workspace.init(tmp_path / "w")
    monkeypatch.setenv("GROUNDSWELL_WORKSPACE", str(tmp_path / "w"))
    with Workspace.open() as ws:
        assert ws.path == (tmp_path / "w").resolve()
    monkeypatch.delenv("GROUNDSWELL_WORKSPACE")
    (tmp_path / "w" / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "w" / "sub")
    with Workspace.open() as ws:  # found in a parent directory
        assert ws.path == (tmp_path / "w").resolve()


def test_damaged_store_gives_a_clear_error(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "w").close()
    (tmp_path / "w" / "store.duckdb").write_bytes(b"this is not a database" * 100)
    with pytest.raises(WorkspaceError, match="cannot open store"):
        Workspace.open(tmp_path / "w")


def test_schema_docs_are_generated_from_the_schema() -> None:

    docs = Path(__file__).parent.parent / "docs" / "schema.md"
    assert docs.read_text() == schema.markdown() + "\n", "run `make docs`"
