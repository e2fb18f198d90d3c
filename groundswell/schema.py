"""The record schema: the single source of truth for every table in a workspace store.

Each table is one Arrow schema whose fields carry a ``doc`` string. The DuckDB DDL is derived
from these schemas (:func:`ddl`), and ``docs/schema.md`` is generated from them
(``make docs``), so code, store and docs cannot drift apart.

Conventions:
- every timestamp is UTC (``TIMESTAMPTZ``); where a source gave a local time with an offset,
  the offset is kept beside it in minutes (``time_offset_min``);
- native ids are strings whatever the platform uses, so that ids from every source compare alike;
- ``uid`` is a stable signed 64-bit hash of ``(source_id, native_id)`` (see ``ids.post_uid``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

SCHEMA_VERSION = 4

TS = pa.timestamp("us", tz="UTC")


def col(name: str, type_: pa.DataType, doc: str, *, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"doc": doc})


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    schema: pa.Schema
    primary_key: tuple[str, ...] = ()  # enforced by DuckDB (small tables only)
    key: tuple[str, ...] = ()  # logical key, enforced by the import merge (large tables)

    @property
    def columns(self) -> list[str]:
        return list(self.schema.names)


QUOTE = pa.struct(
    [
        pa.field("start", pa.int32()),
        pa.field("end", pa.int32()),
        pa.field("quoted_id", pa.string()),
        pa.field("quoted_author", pa.string()),
    ]
)
ATTACHMENT = pa.struct(
    [
        pa.field("name", pa.string()),
        pa.field("url", pa.string()),
        pa.field("mime", pa.string()),
        pa.field("size", pa.int64()),
    ]
)

META = Table(
    "meta",
    "Key/value facts about the workspace store itself, such as its schema version.",
    pa.schema(
        [
            col("key", pa.string(), "Name of the fact, e.g. `schema_version`.", nullable=False),
            col("value", pa.string(), "Its value, as text."),
        ]
    ),
    primary_key=("key",),
)

SOURCES = Table(
    "sources",
    "One row per collected place: a forum, a board, a Telegram channel, a subreddit, a server.",
    pa.schema(
        [
            col(
                "source_id",
                pa.string(),
                "Stable id `platform:name`, e.g. `reddit:r/datasets`.",
                nullable=False,
            ),
            col(
                "platform",
                pa.string(),
                "Platform or software: reddit, telegram, discord, 4chan, "
                "vichan, stackexchange, forum, or what a generic mapping declares.",
            ),
            col("name", pa.string(), "Human name of the place within its platform."),
            col("url", pa.string(), "Where the place lives, if known (never fetched)."),
            col(
                "network", pa.string(), "`clearnet` or `tor` (derived from the url when not given)."
            ),
            col(
                "timezone", pa.string(), "IANA timezone the source displays times in, if declared."
            ),
            col("first_time", TS, "Time of the earliest post stored for this source."),
            col("last_time", TS, "Time of the latest post stored for this source."),
            col("posts", pa.int64(), "Number of posts stored for this source."),
            col("registered_at", TS, "When this source was first seen by an import."),
        ]
    ),
    primary_key=("source_id",),
)

COVERAGE = Table(
    "coverage",
    "Coverage spans: periods for which data was collected from a source. A period inside a span "
    "with no posts is a true zero; a period outside every span is *not collected*.",
    pa.schema(
        [
            col("source_id", pa.string(), "The source covered.", nullable=False),
            col("import_id", pa.int64(), "The import run that established the span."),
            col("span_start", TS, "Start of the covered period (inclusive).", nullable=False),
            col("span_end", TS, "End of the covered period (inclusive).", nullable=False),
            col(
                "basis",
                pa.string(),
                "How the span was derived: `declared` (given by the analyst with `--covers`), "
                "`file` (stated by the file itself, e.g. the month of a monthly Reddit dump), or "
                "`records` (first to last record of the import).",
            ),
        ]
    ),
)

IMPORTS = Table(
    "imports",
    "One row per import run: what was read, by which importer, and what it changed.",
    pa.schema(
        [
            col("import_id", pa.int64(), "Sequential id of the run.", nullable=False),
            col("path", pa.string(), "Absolute path of the file read."),
            col("size_bytes", pa.int64(), "Size of the file on disk."),
            col(
                "sha256", pa.string(), "SHA-256 of the file's bytes (as stored, compressed or not)."
            ),
            col("importer", pa.string(), "Importer name, e.g. `reddit`."),
            col(
                "importer_version", pa.string(), "Importer version, bumped when its output changes."
            ),
            col(
                "options",
                pa.string(),
                "The importer options as JSON (field mapping, timezone, ...).",
            ),
            col(
                "target",
                pa.string(),
                "Table written: `posts`, `account_snapshots`, or an event table.",
            ),
            col(
                "status",
                pa.string(),
                "`running`, `completed`, `skipped` (the same file, importer version and options "
                "were already imported; `--force` re-reads), `failed` (stopped by an error; "
                "batches committed before it remain), or `interrupted` (the process died or was "
                "stopped; marked by the next import).",
            ),
            col("error", pa.string(), "Why a failed run stopped."),
            col("started_at", TS, "When the run started."),
            col("finished_at", TS, "When the run ended."),
            col("records_read", pa.int64(), "Records read from the file, good and bad."),
            col("records_new", pa.int64(), "Records stored for the first time."),
            col("records_updated", pa.int64(), "Records that replaced an older stored version."),
            col(
                "records_unchanged",
                pa.int64(),
                "Records already stored as they are, or older "
                "than the stored version, or repeated within the file.",
            ),
            col("records_quarantined", pa.int64(), "Records rejected to the quarantine table."),
            col("groundswell_version", pa.string(), "Version of Groundswell that ran the import."),
        ]
    ),
    primary_key=("import_id",),
)

QUARANTINE = Table(
    "quarantine",
    "Rejected records, kept aside with where they were and why, never silently dropped.",
    pa.schema(
        [
            col(
                "import_id", pa.int64(), "The import run that rejected the record.", nullable=False
            ),
            col("path", pa.string(), "File the record came from."),
            col(
                "location",
                pa.string(),
                "Line number (`line 12`), byte offset, array index or "
                "XML row where the record stood.",
            ),
            col("reason", pa.string(), "Why it was rejected, in words."),
            col("excerpt", pa.string(), "The first 1,000 characters of the raw record, as text."),
            col("quarantined_at", TS, "When it was rejected."),
        ]
    ),
)

POSTS = Table(
    "posts",
    "The normalised record: one row per post, comment, message or answer, whatever the platform.",
    pa.schema(
        [
            col(
                "uid",
                pa.int64(),
                "Stable id: signed 64-bit BLAKE2b hash of (source_id, native_id).",
                nullable=False,
            ),
            col("source_id", pa.string(), "The source (see `sources`).", nullable=False),
            col(
                "native_id",
                pa.string(),
                "The platform's own id of the record, as text.",
                nullable=False,
            ),
            col(
                "kind",
                pa.string(),
                "Record kind in the platform's terms: post, comment, "
                "submission, message, service, question, answer, reply.",
            ),
            col("section", pa.string(), "Board, subforum, channel or subreddit within the source."),
            col("thread_id", pa.string(), "Native id of the thread or conversation, if any."),
            col("thread_title", pa.string(), "Title of the thread, if known."),
            col("parent_id", pa.string(), "Native id of the record this one replies to."),
            col("quoted_ids", pa.list_(pa.string()), "Native ids of records this one quotes."),
            col(
                "quotes",
                pa.list_(QUOTE),
                "Quoted blocks inside `text`: character span "
                "[start, end), and the quoted post id and author where the markup names them.",
            ),
            col(
                "author_id",
                pa.string(),
                "The platform's id of the author (or the name where the "
                "platform has no separate id).",
            ),
            col(
                "author_name", pa.string(), "Display name of the author at the time of the record."
            ),
            col("time", TS, "When the record was posted, in UTC.", nullable=False),
            col(
                "time_offset_min",
                pa.int16(),
                "UTC offset in minutes of the time as the source "
                "gave it (e.g. 120 for +02:00); null when the source gave UTC or an epoch.",
            ),
            col("edited_at", TS, "When the record was last edited, in UTC, if ever."),
            col("title", pa.string(), "Title (submissions, questions, thread openers)."),
            col(
                "text",
                pa.string(),
                "Plain text body. HTML is converted by a real parser; quoted "
                "blocks stay in the text and are located by `quotes`.",
            ),
            col(
                "links",
                pa.list_(pa.string()),
                "Link targets (`href`s) found in the markup, as "
                "written. Metadata only: never fetched.",
            ),
            col(
                "language",
                pa.string(),
                "ISO 639-1 language: as the platform declares it, else as detected at "
                "enrichment (null: undetermined).",
            ),
            col(
                "language_confidence",
                pa.float64(),
                "Confidence (0 to 1) of the detected language; null when the platform declared "
                "the language or none was detected.",
            ),
            col(
                "script",
                pa.string(),
                "ISO 15924 code of the text's dominant script (Latn, Cyrl, Hani, Jpan, Arab ...).",
            ),
            col(
                "content_hash",
                pa.int64(),
                "64-bit hash of the text (of the title when there is no text), NFKC-casefolded "
                "with whitespace collapsed: equal for exact copies.",
            ),
            col(
                "simhash",
                pa.int64(),
                "64-bit SimHash of the same text over token bigrams: near-duplicates differ in "
                "few bits (`bit_count(a.simhash # b.simhash)`).",
            ),
            col(
                "enriched",
                pa.string(),
                "Enrichment version that filled the columns above and the post's indicators "
                "(extractors.detector.lexicons); `groundswell enrich` updates stale posts.",
            ),
            col("tags", pa.list_(pa.string()), "Tags: platform tags, flair, moderator labels."),
            col(
                "attachments",
                pa.list_(ATTACHMENT),
                "Attached files as metadata only: name, url, mime type, size. Never downloaded.",
            ),
            col(
                "forwarded_from", pa.string(), "Original author or channel of a forwarded message."
            ),
            col(
                "likes",
                pa.int64(),
                "Likes, upvotes or reactions in total, where the platform has them.",
            ),
            col("replies", pa.int64(), "Reply or comment count, where given."),
            col("shares", pa.int64(), "Shares, forwards or reposts, where given."),
            col("views", pa.int64(), "Views, where given."),
            col("saves", pa.int64(), "Saves or bookmarks, where given."),
            col("score", pa.int64(), "Net score (up minus down votes), where given."),
            col("extra", pa.string(), "Platform fields with no column of their own, as JSON."),
            col("retrieved_at", TS, "When the record was collected, if the export says."),
            col(
                "import_id",
                pa.int64(),
                "The import run that wrote this version of the record.",
                nullable=False,
            ),
            col(
                "first_import_id",
                pa.int64(),
                "The import run that first stored the record.",
                nullable=False,
            ),
            col(
                "account",
                pa.int32(),
                "The author's account (`accounts.account`): one per author id on one source, "
                "assigned at import; null when `author_id` is null.",
            ),
        ]
    ),
    key=("uid",),
)

ACCOUNTS = Table(
    "accounts",
    "The dictionary of accounts: one row per author id on one source (the same id on two "
    "sources is two accounts), numbered densely from 1 in the order imports first stored them "
    "(within one batch, by source and author id). Imports add the accounts of the posts they "
    "store, in the same transaction; `posts.account` refers to them. Distinct author counts "
    "are counted over these numbers (docs/metrics.md).",
    pa.schema(
        [
            col(
                "account",
                pa.int32(),
                "Dense number of the account, from 1 (`posts.account`); unique.",
                nullable=False,
            ),
            col("source_id", pa.string(), "The source the author posts on.", nullable=False),
            col("author_id", pa.string(), "The author id on that source.", nullable=False),
            col(
                "person",
                pa.int32(),
                "The account this one is a confirmed alias of (the smallest account number "
                "of its group of confirmed aliases); null when it has none. Distinct actor "
                "counts count a person once (docs/actors.md).",
            ),
        ]
    ),
    # Keys kept by the import merge, not by DuckDB: the indexes of two keys over millions of
    # accounts did not fit in a 512 MB memory limit.
    key=("source_id", "author_id"),
)

INDICATORS = Table(
    "indicators",
    "One row per indicator occurrence extracted from a post at enrichment: links, emails, crypto "
    "addresses, handles, hashtags, money amounts and lexicon hits. See docs/enrichment.md.",
    pa.schema(
        [
            col("post_uid", pa.int64(), "The post (`posts.uid`).", nullable=False),
            col("source_id", pa.string(), "The post's source.", nullable=False),
            col("time", TS, "The post's time (UTC).", nullable=False),
            col(
                "field",
                pa.string(),
                "Where it was found: `text`, `title`, or `href` (a link target in the post's "
                "markup whose URL the text does not show; no offsets).",
                nullable=False,
            ),
            col(
                "kind",
                pa.string(),
                "url, email, crypto, handle, hashtag, money or lexicon.",
                nullable=False,
            ),
            col(
                "subkind",
                pa.string(),
                "crypto: address type (btc-p2pkh, evm, tron, xmr ...); money: currency code; "
                "handle: platform rule; lexicon: the lexicon's name.",
            ),
            col("value", pa.string(), "Normalised value (see docs/enrichment.md).", nullable=False),
            col("raw", pa.string(), "The span as written: `substr(text, start + 1, end - start)`."),
            col("start", pa.int32(), "Character offset of the span in the field (from 0)."),
            col("end", pa.int32(), "Character offset just past the span."),
            col(
                "in_quote",
                pa.bool_(),
                "Inside a quoted block of an earlier post (re-quoted, not shared anew); null "
                "when unknown (`href`).",
            ),
            col(
                "validity",
                pa.string(),
                "`verified` (checksum holds), `unverified` (no checksum to check) or `invalid` "
                "(kept but failing: onion v3 URLs); null for kinds without a check.",
            ),
            col("amount", pa.float64(), "money: the amount in units of `subkind`."),
            col("host", pa.string(), "url, email: host, lower-case, IDNA."),
            col("domain", pa.string(), "url, email: registrable domain (Public Suffix List)."),
            col("suffix", pa.string(), "url, email: public suffix."),
            col("extension", pa.string(), "url: file extension of the path (jpg, zip ...)."),
            col("network", pa.string(), "url: `clearnet`, `tor` (.onion) or `i2p`."),
            col("defanged", pa.bool_(), "Written defanged (hxxp, [.], [at] ...)."),
        ]
    ),
)

SNAPSHOTS = Table(
    "account_snapshots",
    "Account metric snapshots over time (followers and friends), for creator analytics.",
    pa.schema(
        [
            col("platform", pa.string(), "Platform of the account.", nullable=False),
            col("account", pa.string(), "Account handle or id on that platform.", nullable=False),
            col("time", TS, "When the figures were observed, in UTC.", nullable=False),
            col("followers", pa.int64(), "Followers or subscribers."),
            col("following", pa.int64(), "Accounts followed."),
            col("posts", pa.int64(), "Posts published so far."),
            col("likes", pa.int64(), "Total likes received so far."),
            col("views", pa.int64(), "Total views so far, where given."),
            col("display_name", pa.string(), "Display name at the time."),
            col("category", pa.string(), "Category or niche the export assigns."),
            col("is_virtual", pa.bool_(), "Whether the account is a declared virtual influencer."),
            col("extra", pa.string(), "Other columns of the export, as JSON."),
            col("import_id", pa.int64(), "The import run that wrote the row.", nullable=False),
        ]
    ),
    key=("platform", "account", "time"),
)

ACTORS = Table(
    "actors",
    "Actor profiles: one row per account (an author on one source), derived from its posts and "
    "indicators and brought up to date after imports (`groundswell actors --rebuild` builds "
    "them anew). See docs/actors.md.",
    pa.schema(
        [
            col("account", pa.int32(), "The account (`accounts.account`).", nullable=False),
            col("source_id", pa.string(), "The source.", nullable=False),
            col("author_id", pa.string(), "The author id on that source.", nullable=False),
            col("name", pa.string(), "The latest display name."),
            col("names", pa.list_(pa.string()), "Every display name seen, most used first."),
            col("first_seen", TS, "Time of the first post."),
            col("last_seen", TS, "Time of the latest post."),
            col("posts", pa.int64(), "Posts stored."),
            col("active_days", pa.int32(), "Distinct days with a post (in the source's timezone)."),
            col("sections", pa.list_(pa.string()), "Sections posted in, most used first."),
            col("languages", pa.list_(pa.string()), "Languages posted in, most used first."),
            col(
                "hours",
                pa.list_(pa.int32()),
                "Posts per hour of the day 0..23 in the source's timezone (24 counts).",
            ),
            col("replies_given", pa.int64(), "Posts that reply to another post."),
            col("replies_received", pa.int64(), "Posts by others that reply to this actor's."),
            col("quotes_given", pa.int64(), "Quoted blocks in this actor's posts."),
            col("quotes_received", pa.int64(), "Quoted blocks of this actor's posts in others'."),
            col("indicators", pa.int64(), "Indicators posted outside quotes."),
            col("updated_at", TS, "When the profile was last computed."),
        ]
    ),
    key=("account",),
)

RETURNS = Table(
    "returns",
    "Return events: an actor who posts again after a gap longer than the threshold "
    "(`[actors] dormant_days`, 180 by default). One row per return; derived with the actor "
    "profiles. A metric over table `returns` counts them (docs/actors.md).",
    pa.schema(
        [
            col("account", pa.int32(), "The account (`accounts.account`).", nullable=False),
            col("source_id", pa.string(), "The source.", nullable=False),
            col("author_id", pa.string(), "The author id on that source.", nullable=False),
            col("time", TS, "Time of the first post after the gap.", nullable=False),
            col("previous", TS, "Time of the last post before the gap.", nullable=False),
            col("gap_days", pa.float64(), "Length of the gap in days.", nullable=False),
            col("section", pa.string(), "Section of the first post after the gap."),
            col("uid", pa.int64(), "The first post after the gap (`posts.uid`)."),
        ]
    ),
    key=("account", "time"),
)

ALIASES = Table(
    "aliases",
    "The analyst's decisions on alias candidates: two accounts confirmed as one person, or "
    "rejected. Never written automatically. Confirmed pairs set `accounts.person`.",
    pa.schema(
        [
            col("account_a", pa.int32(), "The smaller account number.", nullable=False),
            col("account_b", pa.int32(), "The larger account number.", nullable=False),
            col("status", pa.string(), "`confirmed` or `rejected`.", nullable=False),
            col("score", pa.float64(), "The candidate's score when decided."),
            col("evidence", pa.string(), "The evidence shown when decided, as JSON."),
            col("note", pa.string(), "The analyst's note."),
            col("decided_at", TS, "When the decision was recorded.", nullable=False),
        ]
    ),
    primary_key=("account_a", "account_b"),
)

EVENT_TABLES = Table(
    "event_tables",
    "Registry of imported event tables (a 911 log, any CSV or Parquet) and their time column. "
    "Each is stored as its own table `ev_<name>` with the file's own typed columns plus "
    "`_import_id`.",
    pa.schema(
        [
            col("name", pa.string(), "Table name as given by `--name`.", nullable=False),
            col("table_name", pa.string(), "Name of the table in the store (`ev_<name>`)."),
            col("time_column", pa.string(), "The declared time column, stored as TIMESTAMPTZ UTC."),
            col("timezone", pa.string(), "Timezone assumed for naive times in the file."),
            col(
                "key_columns",
                pa.list_(pa.string()),
                "Columns that identify a row, if declared; "
                "re-imports then update rows instead of appending.",
            ),
            col("rows", pa.int64(), "Rows stored."),
            col("created_at", TS, "When the table was first imported."),
            col("updated_at", TS, "When an import last changed it."),
        ]
    ),
    primary_key=("name",),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        META,
        SOURCES,
        COVERAGE,
        IMPORTS,
        QUARANTINE,
        POSTS,
        ACCOUNTS,
        INDICATORS,
        SNAPSHOTS,
        ACTORS,
        RETURNS,
        ALIASES,
        EVENT_TABLES,
    )
}


def duckdb_type(t: pa.DataType) -> str:
    """The DuckDB column type for an Arrow type used in these schemas."""
    if pa.types.is_timestamp(t):
        return "TIMESTAMPTZ" if t.tz else "TIMESTAMP"
    if pa.types.is_list(t):
        return duckdb_type(t.value_type) + "[]"
    if pa.types.is_struct(t):
        inner = ", ".join(f'"{f.name}" {duckdb_type(f.type)}' for f in t)
        return f"STRUCT({inner})"
    simple = {
        pa.string(): "VARCHAR",
        pa.int64(): "BIGINT",
        pa.int32(): "INTEGER",
        pa.int16(): "SMALLINT",
        pa.float64(): "DOUBLE",
        pa.bool_(): "BOOLEAN",
    }
    if t in simple:
        return simple[t]
    raise TypeError(f"no DuckDB type for Arrow {t}")


def ddl(table: Table) -> str:
    """CREATE TABLE statement for ``table``, derived from its Arrow schema."""
    cols = [
        f'"{f.name}" {duckdb_type(f.type)}' + ("" if f.nullable else " NOT NULL")
        for f in table.schema
    ]
    if table.primary_key:
        cols.append("PRIMARY KEY (" + ", ".join(f'"{c}"' for c in table.primary_key) + ")")
    return f'CREATE TABLE IF NOT EXISTS "{table.name}" (\n  ' + ",\n  ".join(cols) + "\n)"


def markdown() -> str:
    """The schema reference page (docs/schema.md), generated from the schemas above."""
    out = [
        "# The record schema",
        "",
        "Generated from `groundswell/schema.py` by `make docs`; do not edit.",
        f"Schema version: **{SCHEMA_VERSION}**. All timestamps are UTC (`TIMESTAMPTZ`).",
        "",
    ]
    for t in TABLES.values():
        out += [f"## `{t.name}`", "", t.doc, ""]
        if t.primary_key or t.key:
            out += [f"Key: {', '.join(f'`{c}`' for c in t.primary_key or t.key)}.", ""]
        out += ["| column | type | description |", "|---|---|---|"]
        for f in t.schema:
            doc = (f.metadata or {}).get(b"doc", b"").decode()
            req = "" if f.nullable else " (required)"
            out.append(f"| `{f.name}` | `{duckdb_type(f.type)}` | {doc}{req} |")
        out.append("")
    return "\n".join(out)
