"""Write the synthetic Reddit dump fixtures RC_2020-03.zst and RS_2020-03.zst.

Run from anywhere: ``python tests/cases/reddit/make_fixtures.py``. The records imitate the
Pushshift / Arctic Shift NDJSON layout and its quirks (created_utc as int, string and float;
``edited`` false, int and float; ``[deleted]``/``[removed]``; HTML-escaped Markdown;
``retrieved_on``/``retrieved_utc``/``_meta``). Every name, id and URL is invented.

Like the real dumps (``zstd --long=31``) each frame declares a 2 GiB window and no content
size, so a default zstd decoder refuses them; the file is split into several frames.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import zstandard

HERE = Path(__file__).parent
T0 = 1583020800  # 2020-03-01T00:00:00Z

COMMENTS: list[dict] = [
    {  # int created_utc, edited false, escaped Markdown with a quote and a link
        "id": "fk00001",
        "author": "tomato_fan",
        "author_fullname": "t2_4a1b2c",
        "author_flair_text": "Zone 7b",
        "body": "&gt; Should I mulch now?\n\nYes: compost &amp; straw. See "
        "[the guide](https://garden.example.org/mulch?a=1&amp;b=2).",
        "created_utc": T0 + 3600,
        "edited": False,
        "link_id": "t3_fa1b2c",
        "parent_id": "t3_fa1b2c",
        "retrieved_on": T0 + 86400,
        "score": 12,
        "ups": 12,
        "downs": 0,
        "gilded": 0,
        "stickied": False,
        "distinguished": None,
        "controversiality": 0,
        "subreddit": "ExampleGardening",
        "subreddit_id": "t5_2qexmp",
        "permalink": "/r/ExampleGardening/comments/fa1b2c/mulch/fk00001/",
    },
    {  # string created_utc, int edited, deleted author and body
        "id": "fk00002",
        "author": "[deleted]",
        "body": "[deleted]",
        "created_utc": str(T0 + 7200),
        "edited": T0 + 9000,
        "link_id": "t3_fa1b2c",
        "parent_id": "t1_fk00001",
        "retrieved_on": T0 + 86400,
        "score": 1,
        "subreddit": "ExampleGardening",
        "subreddit_id": "t5_2qexmp",
    },
    {  # float created_utc, float edited, removed body, retrieved_utc
        "id": "fk00003",
        "author": "moss_keeper",
        "author_fullname": "t2_9z8y7x",
        "body": "[removed]",
        "created_utc": float(T0 + 10800),
        "edited": float(T0 + 11000) + 0.5,
        "link_id": "t3_fa1b2c",
        "parent_id": "t1_fk00001",
        "retrieved_utc": T0 + 90000,
        "score": -3,
        "ups": -3,
        "subreddit": "ExampleGardening",
    },
    {  # Arctic Shift style: _meta, moderator, stickied; another subreddit
        "id": "fk00004",
        "author": "city_mod",
        "author_fullname": "t2_1m0d",
        "body": "Reminder: be civil. Details at <https://city.example.net/rules>",
        "created_utc": T0 + 20000,
        "edited": False,
        "link_id": "t3_fa9z9z",
        "parent_id": "t3_fa9z9z",
        "score": 5,
        "distinguished": "moderator",
        "stickied": True,
        "subreddit": "synthetic_city",
        "subreddit_id": "t5_2qcity",
        "_meta": {"retrieved_2nd_on": T0 + 172800, "removal_type": None},
    },
    {  # a comment whose base-36 id equals a submission's: fullnames keep them apart
        "id": "fa1b2c",
        "author": "tomato_fan",
        "body": "Same id as the thread, different kind.",
        "created_utc": T0 + 30000,
        "edited": False,
        "link_id": "t3_fa1b2c",
        "parent_id": "t3_fa1b2c",
        "score": 2,
        "subreddit": "ExampleGardening",
    },
    {  # a submission that found its way into a comments file: detected per record
        "id": "fa7q7q",
        "author": "stray_poster",
        "title": "Stray submission in RC",
        "selftext": "",
        "is_self": True,
        "num_comments": 0,
        "url": "https://www.reddit.com/r/ExampleGardening/comments/fa7q7q/stray/",
        "created_utc": T0 + 40000,
        "score": 1,
        "subreddit": "ExampleGardening",
    },
]

SUBMISSIONS: list[dict] = [
    {  # self post, int created_utc, flair
        "id": "fa1b2c",
        "author": "seed_saver",
        "author_fullname": "t2_5eed",
        "title": "Mulch &amp; compost: when to start?",
        "selftext": "Beds are **thawing**. Is it too early?\n\n* straw\n* leaves",
        "is_self": True,
        "url": "https://www.reddit.com/r/ExampleGardening/comments/fa1b2c/mulch/",
        "domain": "self.ExampleGardening",
        "num_comments": 3,
        "link_flair_text": "Question",
        "over_18": False,
        "permalink": "/r/ExampleGardening/comments/fa1b2c/mulch/",
        "created_utc": T0,
        "edited": False,
        "retrieved_on": T0 + 86400,
        "score": 40,
        "ups": 40,
        "downs": 0,
        "gilded": 1,
        "stickied": False,
        "distinguished": None,
        "subreddit": "ExampleGardening",
        "subreddit_id": "t5_2qexmp",
    },
    {  # link post, string created_utc, float edited, deleted author, escaped url
        "id": "fa3d4e",
        "author": "[deleted]",
        "title": "Study: soil &lt;pH&gt; and yields",
        "selftext": "",
        "is_self": False,
        "url": "https://news.example.com/article?id=7&amp;ref=rss",
        "domain": "news.example.com",
        "num_comments": 0,
        "over_18": False,
        "created_utc": str(T0 + 5000),
        "edited": float(T0 + 6000) + 0.25,
        "score": 3,
        "subreddit": "ExampleGardening",
    },
    {  # removed self post in another subreddit, retrieved_utc
        "id": "fa9z9z",
        "author": "commuter_42",
        "author_fullname": "t2_c0mm",
        "title": "Bus route 9 changes",
        "selftext": "[removed]",
        "is_self": True,
        "num_comments": "12",
        "link_flair_text": None,
        "removed_by_category": "moderator",
        "created_utc": T0 + 15000,
        "retrieved_utc": T0 + 95000,
        "score": 0,
        "subreddit": "synthetic_city",
        "subreddit_id": "t5_2qcity",
    },
]


def write(path: Path, records: list[dict], per_frame: int = 2) -> None:
    """NDJSON in several zstd frames, each declaring a 2 GiB window and no content size."""
    params = zstandard.ZstdCompressionParameters.from_level(
        3, window_log=31, enable_ldm=True, write_content_size=False
    )
    cctx = zstandard.ZstdCompressor(compression_params=params)
    out = bytearray()
    for i in range(0, len(records), per_frame):
        chunk = b"".join(orjson.dumps(r) + b"\n" for r in records[i : i + per_frame])
        cobj = cctx.compressobj()
        out += cobj.compress(chunk) + cobj.flush()
    path.write_bytes(bytes(out))


def main() -> None:
    write(HERE / "RC_2020-03.zst", COMMENTS)
    write(HERE / "RS_2020-03.zst", SUBMISSIONS)


if __name__ == "__main__":
    main()
