"""Posts written straight into a store, for tests that need many of them fast."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from groundswell import Workspace

TYPES = {
    "uid": pa.int64(),
    "source_id": pa.string(),
    "time": pa.timestamp("us", tz="UTC"),
    "author_id": pa.string(),
    "text": pa.string(),
    "language": pa.string(),
}


def insert_posts(ws: Workspace, rows: list[dict[str, Any]]) -> None:
    """Store ``rows`` (uid, source_id, time and any of author_id, text, language) as posts of
    import 1, each native id its uid, with a source row for each source."""
    names = [n for n in TYPES if n in rows[0]]
    table = pa.Table.from_pylist(rows, pa.schema([(n, TYPES[n]) for n in names]))
    con = ws.store.con
    con.register("new_posts", table)
    columns = ", ".join(names)
    con.execute(
        f"INSERT INTO posts ({columns}, native_id, import_id, first_import_id) "
        f"SELECT {columns}, uid::VARCHAR, 1, 1 FROM new_posts"
    )
    con.unregister("new_posts")
    for s in sorted({r["source_id"] for r in rows}):
        con.execute("INSERT INTO sources (source_id, platform, posts) VALUES (?, 'forum', 0)", [s])
