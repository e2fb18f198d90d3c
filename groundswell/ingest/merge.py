"""The idempotent merge of one batch of Arrow parts into its table, in SQL.

Within the batch the last occurrence of a key wins (the others count as unchanged). Against the
store: a new key is inserted; a stored row with the same content is unchanged; a differing row
replaces the stored one only if it is not older by the target's version columns (for posts:
edit time, post time, then retrieval time), so an old export imported late undoes nothing.

A batch whose keys are all new and distinct (a first import) is appended directly; large
appends go straight to the store file rather than through DuckDB's log.

Posts carry their author's account (``posts.account``, see ``schema.ACCOUNTS``): the authors of
the posts stored that have no account yet are numbered in the same transaction, and the posts
are written joined to the accounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from groundswell import schema
from groundswell.ingest.records import Target
from groundswell.sources.base import Reject
from groundswell.store.duckdb import add_accounts

_IND = ", ".join(f'"{c}"' for c in schema.INDICATORS.columns)


@dataclass
class MergeCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    collisions: list[Reject] = field(default_factory=list)
    # per source: (first, last) epoch µs of the rows merged
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)


def merge(
    con: duckdb.DuckDBPyConnection,
    target: Target,
    batch: pa.Table,
    indicators: pa.Table | None = None,
) -> MergeCounts:
    """Merge ``batch`` (already in the target's schema) into the target's table. Posts bring
    their ``indicators`` (with ``_row``, the index of their post in ``batch``): those of new and
    updated posts are stored, replacing an updated post's old ones."""
    seq = batch.append_column("_seq", pa.array(range(batch.num_rows), pa.int64()))
    con.register("batch_in", seq)
    if indicators is not None:
        con.register("ind_in", indicators)
    try:
        return _merge(con, target, batch.num_rows, indicators is not None)
    finally:
        con.unregister("batch_in")
        if indicators is not None:
            con.unregister("ind_in")
        con.execute("DROP TABLE IF EXISTS stage")


def _merge(
    con: duckdb.DuckDBPyConnection, target: Target, rows: int, with_indicators: bool
) -> MergeCounts:
    table = target.table
    name, key = table.name, table.key
    keys = ", ".join(f'"{k}"' for k in key)
    on = " AND ".join(f'p."{k}" = b."{k}"' for k in key)
    posts = table is schema.POSTS
    [(repeats, known)] = con.execute(f"""
        SELECT (SELECT count(*) - count(DISTINCT ({keys})) FROM batch_in),
               (SELECT count(*) FROM batch_in b SEMI JOIN "{name}" p ON {on})""").fetchall()
    columns = ", ".join(f'"{c}"' for c in table.columns)
    if not repeats and not known:  # the common case of a first import: append
        if posts:
            add_accounts(con, "batch_in")
            con.execute(f"INSERT INTO posts ({columns}) {_with_accounts('batch_in', {})}")
        else:
            con.execute(f'INSERT INTO "{name}" ({columns}) SELECT {columns} FROM batch_in')
        if with_indicators:
            con.execute(f"INSERT INTO indicators ({_IND}) SELECT {_IND} FROM ind_in")
        return MergeCounts(new=rows, spans=_spans(con, "batch_in") if posts else {})

    same = " AND ".join(f'b."{c}" IS NOT DISTINCT FROM p."{c}"' for c in target.content)
    newer = "TRUE"
    if target.version:
        b = ", ".join(v.format(p="b") for v in target.version)
        p = ", ".join(v.format(p="p") for v in target.version)
        newer = f"(({b}) >= ({p}))"
    collision = "(p.native_id <> b.native_id OR p.source_id <> b.source_id)" if posts else "FALSE"
    first = ", p.first_import_id AS _old_first" if posts else ""
    deduped = (
        "batch_in"
        if not repeats
        else (
            "(SELECT * FROM batch_in QUALIFY "
            f"row_number() OVER (PARTITION BY {keys} ORDER BY _seq DESC) = 1)"
        )
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE stage AS
        SELECT b.*{first},
          CASE WHEN p."{key[0]}" IS NULL THEN 'new'
               WHEN {collision} THEN 'collision'
               WHEN {same} THEN 'unchanged'
               WHEN {newer} THEN 'updated'
               ELSE 'unchanged' END AS _status
        FROM {deduped} b LEFT JOIN "{name}" p ON {on}
    """)
    counts = dict(con.execute("SELECT _status, count(*) FROM stage GROUP BY 1").fetchall())
    out = MergeCounts(
        counts.get("new", 0),
        counts.get("updated", 0),
        counts.get("unchanged", 0) + rows - sum(counts.values()),
    )
    if counts.get("collision"):
        out.collisions = [
            Reject("?", f"uid collision: {source} / {native} hashes like another stored post")
            for native, source in con.execute(
                "SELECT native_id, source_id FROM stage WHERE _status = 'collision'"
            ).fetchall()
        ]
    if out.updated:
        match = " AND ".join(f'"{name}"."{k}" = s."{k}"' for k in key)
        con.execute(f"""DELETE FROM "{name}" WHERE EXISTS (
            SELECT 1 FROM stage s WHERE s._status = 'updated' AND {match})""")
        if posts:
            con.execute("""DELETE FROM indicators WHERE post_uid IN (
                SELECT uid FROM stage WHERE _status = 'updated')""")
    if out.new or out.updated:
        stored = "_status IN ('new', 'updated')"
        if posts:
            add_accounts(con, "stage", stored)
            first_ = {"first_import_id": "coalesce(b._old_first, b.first_import_id)"}
            con.execute(
                f"INSERT INTO posts ({columns}) {_with_accounts('stage', first_)} WHERE b.{stored}"
            )
        else:
            con.execute(
                f'INSERT INTO "{name}" ({columns}) SELECT {columns} FROM stage WHERE {stored}'
            )
        if with_indicators:
            con.execute(f"""INSERT INTO indicators ({_IND}) SELECT {_IND} FROM ind_in
                SEMI JOIN stage s ON ind_in._row = s._seq AND s._status IN ('new', 'updated')""")
    if posts:
        out.spans = _spans(con, "stage")
    return out


def _with_accounts(relation: str, instead: dict[str, str]) -> str:
    """SELECT of the posts columns of ``relation`` (as ``b``) with their accounts (``instead``:
    other expressions for some columns)."""
    cols = ", ".join(
        "a.account" if c == "account" else instead.get(c, f'b."{c}"') for c in schema.POSTS.columns
    )
    return f"""SELECT {cols} FROM {relation} b LEFT JOIN accounts a
        ON a.source_id = b.source_id AND a.author_id = b.author_id"""


def _spans(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, tuple[int, int]]:
    query = f"SELECT source_id, epoch_us(min(time)), epoch_us(max(time)) FROM {relation} GROUP BY 1"
    return {sid: (lo, hi) for sid, lo, hi in con.execute(query).fetchall()}
