"""Indicator extraction: every extractor's candidates in one Hyperscan pass, exact validation
in Python, then one resolution of overlaps between kinds.

Overlaps: an indicator lying inside a URL or an email address is dropped unless it is a
crypto address (``etherscan.io/address/0x...`` names the address) — so a handle is not
also reported for the local part of an email, nor a hashtag for a URL fragment, nor a bare
host for the host of a URL written with its scheme.
"""

from __future__ import annotations

from collections.abc import Sequence

from groundswell.enrich.indicators import crypto, money, social, urls
from groundswell.enrich.indicators.base import Extractor, Found, Hit, Post
from groundswell.enrich.indicators.scanner import Scanner
from groundswell.workers import no_gc

__all__ = ["EXTRACTORS", "Found", "Post", "extract", "extract_batch"]

EXTRACTORS: list[Extractor] = [
    *urls.EXTRACTORS,
    *crypto.EXTRACTORS,
    *social.EXTRACTORS,
    *money.EXTRACTORS,
]
CONTAINERS = ("url", "email")  # kinds whose span hides lesser indicators inside it
KEPT_INSIDE = ("crypto",)

_scanner: Scanner | None = None


def scanner() -> Scanner:
    """The compiled scanner of this process (compiled on first use; forked workers inherit
    it when the parent compiled it before forking)."""
    global _scanner
    if _scanner is None:
        _scanner = Scanner(EXTRACTORS)
    return _scanner


def extract_batch(
    texts: Sequence[str], platforms: Sequence[str | None] | None = None
) -> list[list[Found]]:
    """The indicators of each text (with the platform of its source), in text order."""
    sc = scanner()
    found: list[list[Found]] = []
    with no_gc():
        for i, hits in enumerate(sc.scan(texts)):
            if hits is None:
                found.append([])
            else:
                post = Post(texts[i], platforms[i] if platforms is not None else None)
                found.append(_extract(sc, post, hits))
    return found


def extract(text: str, platform: str | None = None) -> list[Found]:
    """The indicators in one text (convenience for tests and the API)."""
    return extract_batch([text], [platform])[0]


def _extract(sc: Scanner, post: Post, hits: dict[int, list[Hit]]) -> list[Found]:
    out = sc.find(post, hits)
    if len(out) > 1:
        out = _resolve(out)
    return out


def _resolve(found: list[Found]) -> list[Found]:
    """Drop exact repeats, and what lies inside an earlier URL or email span (crypto
    excepted). One sweep in text order: ``reach`` is the furthest end of the containers met."""
    found.sort(key=lambda f: (-1 if f.start is None else f.start, -(f.end or 0)))
    kept: list[Found] = []
    seen: set[tuple[str, int | None, int | None, str | None]] = set()
    reach = -1
    for f in found:
        key = (f.kind, f.start, f.end, f.subkind)
        if key in seen:
            continue
        seen.add(key)
        if f.start is None or f.end is None:
            kept.append(f)
            continue
        if f.end <= reach and f.kind not in KEPT_INSIDE:
            continue
        if f.kind in CONTAINERS:
            reach = max(reach, f.end)
        kept.append(f)
    return kept
