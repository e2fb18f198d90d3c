"""The index stays in step with the store: after imports, updates, a killed import, a killed
sync, re-enrichment, a restored store and a lost index. Search never shows a post the store
does not have, nor misses one it has."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from groundswell import ImportOptions, Workspace
from groundswell.search.index import VERSION

OPTS = ImportOptions(source="f")
T0 = 1_580_000_000


def write(path: Path, n: int, *, start: int = 0, text: str = "post {i} about rain") -> Path:
    with path.open("w", encoding="utf-8") as f:
        for i in range(start, start + n):
            rec = {
                "id": i,
                "created_at": T0 + 60 * i,
                "author": f"u{i % 5}",
                "text": text.format(i=i),
            }
            f.write(json.dumps(rec) + "\n")
    return path


def in_step(ws: Workspace) -> None:
    """Every stored post is found exactly once, and nothing else is."""
    stored = {r["uid"] for r in ws.sql("SELECT uid FROM posts").to_pylist()}
    found: list[int] = []
    while True:
        page = ws.search("", sort="oldest", limit=10_000, offset=len(found), facets=False)
        assert page.total == len(stored) == ws.index.documents
        found += [h.uid for h in page.hits]
        if not page.hits:
            break
    assert len(found) == len(set(found)) and set(found) == stored


def test_imports_index_what_they_store(ws: Workspace, tmp_path: Path) -> None:
    ws.import_("jsonl", [write(tmp_path / "a.jsonl", 30)], options=OPTS)
    assert ws.index.documents == 30 and not ws.index.behind(ws.store)
    ws.import_("jsonl", [write(tmp_path / "b.jsonl", 20, start=30)], options=OPTS)
    in_step(ws)
    assert ws.search("rain").total == 50


def test_updated_posts_replace_their_documents(ws: Workspace, tmp_path: Path) -> None:
    ws.import_("jsonl", [write(tmp_path / "a.jsonl", 10)], options=OPTS)
    edited = write(tmp_path / "b.jsonl", 10, text="post {i} about snow")
    with edited.open("r+", encoding="utf-8") as f:  # an edit time makes the new version win
        rows = [json.loads(line) | {"edited_at": T0 + 10_000} for line in f]
        f.seek(0), f.truncate()
        f.write("".join(json.dumps(r) + "\n" for r in rows))
    [r] = ws.import_("jsonl", [edited], options=OPTS)
    assert r.records_updated == 10
    assert ws.search("rain").total == 0
    assert ws.search("snow").total == 10
    in_step(ws)


def test_a_sync_killed_before_its_end_is_finished_without_duplicates(
    ws: Workspace, tmp_path: Path
) -> None:
    ws.import_("jsonl", [write(tmp_path / "a.jsonl", 10)], options=OPTS)
    ws.import_("jsonl", [write(tmp_path / "b.jsonl", 10, start=10)], options=OPTS, index=False)
    assert ws.index.behind(ws.store)
    ws.index._set(pending=2)  # as if a sync had died before saying it was done ...
    ws.sync_index()  # ... whether or not its commit had happened
    ws.index._set(synced=1, pending=2)  # ... and again, now with the documents in
    ws.sync_index()
    in_step(ws)


def test_a_lost_index_is_rebuilt_and_a_changed_store_is_noticed(
    ws: Workspace, tmp_path: Path
) -> None:
    ws.import_("jsonl", [write(tmp_path / "a.jsonl", 25)], options=OPTS)
    path = ws.path
    ws.close()
    shutil.rmtree(path / "index")
    with Workspace.open(path) as again:
        in_step(again)  # rebuilt before the first search
        again.store.con.execute("DELETE FROM posts WHERE uid IN (SELECT uid FROM posts LIMIT 5)")
        assert again.index.behind(again.store)
        in_step(again)  # a store that lost posts (say, restored from a backup): rebuilt


def test_an_index_of_another_layout_is_replaced(ws: Workspace, tmp_path: Path) -> None:
    ws.import_("jsonl", [write(tmp_path / "a.jsonl", 25)], options=OPTS)
    path = ws.path
    ws.close()
    index = path / "index"
    (index / "state.json").write_text(json.dumps({"version": 5, "synced": 1}))
    (index / "meta.json").write_text("{}")  # the files of one index for all months, as before
    with Workspace.open(path) as again:
        in_step(again)
        assert not (index / "meta.json").exists()
        assert json.loads((index / "state.json").read_text())["version"] == VERSION


def test_reenrichment_reaches_the_index(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    with Workspace.init(path, lexicons={"weather": ["rain"]}) as ws:
        ws.import_("jsonl", [write(tmp_path / "a.jsonl", 12)], options=OPTS)
        assert ws.search("lexicon:weather").total == 12
    text = (path / "groundswell.toml").read_text()
    (path / "groundswell.toml").write_text(text.replace('weather = ["rain"]', 'weather = ["hail"]'))
    with Workspace.open(path) as ws:
        ws.enrich()
        assert ws.search("lexicon:weather").total == 0
        assert not ws.index.behind(ws.store)
        ws.index.mark_dirty()  # as if an enrichment run had been killed
        assert ws.index.behind(ws.store)
        in_step(ws)


def test_a_killed_import_leaves_a_searchable_consistent_workspace(tmp_path: Path) -> None:
    n = 300_000
    src = write(tmp_path / "big.jsonl", n)
    ws_dir = tmp_path / "ws"
    Workspace.init(ws_dir).close()
    progress = tmp_path / "progress"
    code = f"""
        import pathlib
        from groundswell import Workspace, ImportOptions
        out = pathlib.Path({str(progress)!r})
        with Workspace.open({str(ws_dir)!r}) as ws:
            ws.import_("jsonl", [{str(src)!r}], options=ImportOptions(source="f"),
                       progress=lambda records, done, total: out.write_text(str(records)))
    """
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)])
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if int(progress.read_text() or 0) >= n // 2:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    assert proc.poll() is None, "the import finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    time.sleep(1.0)  # its workers die with it
    with Workspace.open(ws_dir, wait=30) as ws:
        in_step(ws)  # what was stored is found: the search brought the index in step
        ws.import_("jsonl", [src], options=OPTS)  # the retry completes it
        in_step(ws)
        assert ws.index.documents == n


def test_rebuild_indexes_every_post_again(ws: Workspace, tmp_path: Path) -> None:
    ws.import_("jsonl", [write(tmp_path / "a.jsonl", 7)], options=OPTS)
    result = ws.rebuild_index()
    assert result.rebuilt and result.added == 7
    in_step(ws)


def test_hits_whose_rows_moved_are_found_by_uid(ws: Workspace, tmp_path: Path) -> None:
    ws.import_("jsonl", [write(tmp_path / "a.jsonl", 12)], options=OPTS)
    stored = ws.sql("SELECT uid, rowid AS row FROM posts ORDER BY uid").to_pylist()
    uids = [r["uid"] for r in stored]
    shuffled = [r["row"] for r in stored][::-1]  # every rowid wrong (a compacted store)
    searcher = ws.searcher
    ids = list(zip(uids, shuffled, ["x"] * 12, strict=True))
    hits = searcher._hits(searcher.plan(""), ids, [0.0] * 12)
    assert [h.uid for h in hits] == uids
    assert all(h.snippet for h in hits)
