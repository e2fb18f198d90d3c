"""Indicator extraction and whole-enrichment speed on one core.

    .venv/bin/python benchmarks/extraction_speed.py            # 60 MB of forum text
    .venv/bin/python benchmarks/extraction_speed.py --mb 10

The corpus: synthetic multilingual forum posts (English, Dutch, Russian, Chinese, Indonesian
sentences from the demo generator), with about one URL per 300 bytes (links to image hosts,
page links, www. and bare hosts, a few defanged), plus handles, hashtags, emails, money
amounts, crypto addresses and lexicon terms at realistic rates. Chinese posts glue links to
the text without spaces.

It prints MB/s (UTF-8 bytes of post text) for indicator extraction alone (the Hyperscan pass
and the validation of every candidate), and for the whole enrichment of Arrow batches (plus
language detection, lexicons, content hash and SimHash), both in this one process.
The import throughput with enrichment on, over both cores, is benchmarks/ingest.py.
"""

from __future__ import annotations

import argparse
import platform
import random
import time
from datetime import UTC, datetime

import pyarrow as pa

from groundswell import schema
from groundswell.demo import text as tx
from groundswell.enrich import Enricher
from groundswell.enrich.indicators import extract_batch, scanner
from groundswell.enrich.lexicons import Lexicons

BATCH = 20_000
HOSTS = ["i.imgpile.example", "pixaverse.example", "files.example.com", "cdn.example.net"]
EXT = ["jpg", "jpg", "jpg", "png", "gif", "zip", "pdf", "mp4"]
COVID = [
    "covid*",
    "corona*",
    "lockdown",
    "quarantaine",
    "疫情",
    "新冠",
    "коронавирус*",
    "karantina",
]


def link(rng: random.Random) -> str:
    r = rng.random()
    path = f"{rng.getrandbits(32):x}/{rng.getrandbits(24):x}.{rng.choice(EXT)}"
    if r < 0.70:
        return f"https://{rng.choice(HOSTS)}/{path}"
    if r < 0.80:
        return f"www.example.org/forum/viewtopic.php?t={rng.randrange(99999)}"
    if r < 0.90:
        return tx.page_link(rng)
    if r < 0.95:
        return f"example.com/{path}"
    return f"hxxps://bad-host[.]example[.]com/{path}"


def extras(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.10:
        return f"@user_{rng.randrange(9999)}"
    if r < 0.20:
        return f"#{rng.choice(['photos', 'uploads', 'weekend', 'covid'])}"
    if r < 0.23:
        return f"mail me: user{rng.randrange(999)}@example.org"
    if r < 0.26:
        return f"${rng.randrange(5, 9000):,}"
    if r < 0.27:
        return "tips: 1BoatSLRHtKNngkdXEeobR76b53LETtpyT"
    if r < 0.28:
        return "0x52908400098527886E0F7030069857D2E4169EE7"
    return ""


def corpus(mb: float, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    posts: list[str] = []
    size = 0
    while size < mb * 1e6:
        lang = rng.choice(tx.LANGS)
        body = tx.paragraph(rng, lang, rng.randint(1, 5))
        glue = tx.joiner(lang)
        parts = [body]
        n_links = max(0, round(len(body.encode()) / 300 + rng.uniform(-0.5, 0.5)))
        parts += [link(rng) for _ in range(n_links)]
        e = extras(rng)
        if e:
            parts.append(e)
        rng.shuffle(parts)
        text = (glue if lang == "zh" else " ").join(parts)
        posts.append(text)
        size += len(text.encode())
    return posts


def as_batch(texts: list[str], start: int) -> pa.Table:
    n = len(texts)
    cols = {
        "uid": pa.array(range(start, start + n), pa.int64()),
        "source_id": pa.array(["forum:Bench"] * n),
        "native_id": pa.array([str(i) for i in range(start, start + n)]),
        "time": pa.array([datetime(2020, 3, 1, tzinfo=UTC)] * n, schema.TS),
        "text": pa.array(texts),
        "import_id": pa.array([1] * n, pa.int64()),
        "first_import_id": pa.array([1] * n, pa.int64()),
    }
    arrays = [cols[f.name] if f.name in cols else pa.nulls(n, f.type) for f in schema.POSTS.schema]
    return pa.Table.from_arrays(arrays, schema=schema.POSTS.schema)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--mb", type=float, default=60.0, help="corpus size in MB (default 60)")
    args = ap.parse_args()
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    t = time.perf_counter()
    texts = corpus(args.mb)
    mb = sum(len(x.encode()) for x in texts) / 1e6
    print(f"corpus: {len(texts):,} posts, {mb:,.1f} MB ({time.perf_counter() - t:.1f} s to make)")
    t = time.perf_counter()
    scanner()
    print(f"Hyperscan database compiled in {time.perf_counter() - t:.2f} s")
    batches = [texts[i : i + BATCH] for i in range(0, len(texts), BATCH)]

    t = time.perf_counter()
    found = 0
    for b in batches:
        found += sum(len(f) for f in extract_batch(b, ["forum"] * len(b)))
    dt = time.perf_counter() - t
    urls = sum(x.count("://") + x.count("www.") for x in texts)
    print(
        f"extraction only:  {mb / dt:7.1f} MB/s  {len(texts) / dt:9,.0f} posts/s  "
        f"({found:,} indicators, ~{mb * 1e6 / max(urls, 1):.0f} bytes per URL)"
    )

    enricher = Enricher(Lexicons({"covid": COVID}))
    enricher.warm()
    tables = [as_batch(b, i * BATCH) for i, b in enumerate(batches)]
    t = time.perf_counter()
    rows = 0
    for table in tables:
        _, ind = enricher.enrich(table)
        rows += ind.num_rows
    dt = time.perf_counter() - t
    print(
        f"whole enrichment: {mb / dt:7.1f} MB/s  {len(texts) / dt:9,.0f} posts/s  "
        f"({rows:,} indicator rows incl. lexicon hits; language, hashes)"
    )
    print("anchors (from the issue): ioc-finder 0.7, iocextract 2, urlextract 0.2, msticpy 14 MB/s")


if __name__ == "__main__":
    main()
