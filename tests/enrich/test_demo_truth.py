"""The demo's planted ground truth, recovered from the enrichment alone: the file-sharing
index (links to .jpg files per month and host, shared vs re-quoted) and the keyword wave
(posts whose own text mentions a term, per source and month)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

from groundswell import ImportOptions, Workspace
from groundswell.demo import generate
from groundswell.demo.text import DEMO_LEXICONS

SCALE = 0.03


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, dict[str, Any]]:
    root = tmp_path_factory.mktemp("demo-truth")
    manifest = generate(root / "corpus", seed=7, scale=SCALE)
    ws = Workspace.init(root / "ws", lexicons=DEMO_LEXICONS)
    for f in manifest.files:
        if f.format in ("forum", "telegram", "reddit"):
            ws.import_(f.format, [f.path], options=ImportOptions(**f.options))
    truth = json.loads(manifest.ground_truth_path.read_text(encoding="utf-8"))
    yield ws, truth
    ws.close()


def test_file_sharing_index(demo: tuple[Workspace, dict[str, Any]]) -> None:
    ws, truth = demo
    fsi = truth["file_sharing_index"]
    source = f"forum:{fsi['forum']}"
    rows = ws.sql(
        """SELECT strftime(time, '%Y-%m') AS month, domain, in_quote, count(*) AS n
           FROM indicators WHERE kind = 'url' AND extension = 'jpg' AND source_id = ?
           GROUP BY ALL""",
        [source],
    ).to_pylist()
    shared: dict[str, int] = defaultdict(int)
    quoted: dict[str, int] = defaultdict(int)
    per_host: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        if r["in_quote"]:
            quoted[r["month"]] += r["n"]
        else:
            shared[r["month"]] += r["n"]
            per_host[r["domain"]][r["month"]] += r["n"]
    assert dict(shared) == fsi["jpg_links_per_month"]
    assert dict(quoted) == fsi["quoted_jpg_links_per_month"]
    assert {h: dict(m) for h, m in per_host.items()} == fsi["jpg_links_per_host_month"]


def test_keyword_wave(demo: tuple[Workspace, dict[str, Any]]) -> None:
    ws, truth = demo
    rows = ws.sql(
        """SELECT source_id, strftime(time, '%Y-%m') AS month,
                  count(DISTINCT post_uid) AS posts
           FROM indicators
           WHERE kind = 'lexicon' AND subkind = 'covid' AND field = 'text'
                 AND in_quote IS NOT TRUE
           GROUP BY ALL"""
    ).to_pylist()
    got: dict[str, dict[str, int]] = defaultdict(dict)
    for r in rows:
        got[r["source_id"]][r["month"]] = r["posts"]
    wave = truth["keyword_wave"]
    want = {k: v for k, v in wave["posts_per_month_by_source"].items() if ":" in k}
    for sub, months in wave["reddit_posts_per_month_by_subreddit"].items():
        want[f"reddit:r/{sub}"] = months
    assert dict(got) == want
