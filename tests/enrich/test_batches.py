"""Whole-batch extraction: one Hyperscan pass over many posts must give each post exactly
what it gets alone (the byte-to-post and byte-to-character mapping), on any Unicode; and the
cache of the compiled pattern database."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groundswell.enrich.indicators import EXTRACTORS, extract, extract_batch
from groundswell.enrich.indicators.scanner import Scanner

PIECES = [
    "https://files.example.com/a/b.jpg",
    "www.example.org/x?y=1",
    "例子.中国",
    "hxxps://bad[.]example[.]com/z",
    "mail@example.org",
    "@user_1",
    "#话题#",
    "#tag",
    "$8,500",
    "1万元",
    "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "é",
    "😀",
    "\x00",
    "\ud800",
    "」，。",
    " ",
]
POSTS = st.lists(st.one_of(st.text(max_size=40), st.sampled_from(PIECES)), max_size=8).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(POSTS, min_size=1, max_size=12))
def test_a_batch_gives_each_post_what_it_gets_alone(texts: list[str]) -> None:
    batch = extract_batch(texts)
    assert batch == [extract(t) for t in texts]
    for text, found in zip(texts, batch, strict=True):
        for f in found:
            assert f.start is not None and f.end is not None
            assert 0 <= f.start < f.end <= len(text)


def test_mixed_scripts_in_one_batch_keep_their_offsets() -> None:
    texts = [
        "plain ascii https://a.example.com/1.png",
        "中文https://b.example.com/2.png，好",
        "",
        "Русский текст www.example.org/страница и всё",
        "😀😀 @someone 😀 #тег",
    ]
    for text, found in zip(texts, extract_batch(texts), strict=True):
        for f in found:
            raw = text[f.start : f.end]
            assert raw and raw.strip() == raw, (text, f)
    values = [[f.value for f in found] for found in extract_batch(texts)]
    assert values[0] == ["https://a.example.com/1.png"]
    assert values[1] == ["https://b.example.com/2.png"]
    assert values[2] == []
    assert "http://www.example.org/страница" in values[3]


def test_compiled_patterns_are_cached_and_a_bad_cache_is_only_slower(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GROUNDSWELL_CACHE", str(tmp_path / "cache"))
    text = "see https://a.example.com/x.jpg and @bob"
    fresh = Scanner(EXTRACTORS).extract(text)
    [cached] = (tmp_path / "cache").iterdir()
    assert cached.name.startswith("hyperscan-") and cached.stat().st_size > 0
    assert Scanner(EXTRACTORS).extract(text) == fresh  # loaded from the cache
    cached.write_bytes(b"not a database")
    assert Scanner(EXTRACTORS).extract(text) == fresh  # compiled again ...
    assert cached.read_bytes() != b"not a database"  # ... and the cache mended
    monkeypatch.setenv("GROUNDSWELL_CACHE", str(cached / "not-a-dir"))  # unwritable
    assert Scanner(EXTRACTORS).extract(text) == fresh
