"""Indicator extraction: every extractor's candidates in one Hyperscan pass, exact validation
in Python, then one resolution of overlaps between kinds.

Overlaps: an indicator lying inside a URL or an email address is dropped unless it is a
crypto address (``etherscan.io/address/0x...`` names the address) — so a handle is not
also reported for the local part of an email, nor a hashtag for a URL fragment, nor a bare
host for the host of a URL written with its scheme.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter

from groundswell.enrich.indicators import crypto, money, social, urls
from groundswell.enrich.indicators.base import Extractor, Found, Post
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

_START = itemgetter(2)  # Found.start
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
    with no_gc():
        found: list[list[Found]] = [[] for _ in texts]
        seen: set[int] = set()  # texts with indicators
        mixed: set[int] = set()  # texts with indicators of more than one kind
        for ex, hits in zip(sc.extractors, sc.scan(texts), strict=True):
            if hits is None:
                continue
            pairs = ex.extract_batch(texts, platforms, hits)
            ks = {k for k, _ in pairs}
            mixed |= ks & seen
            seen |= ks
            for k, f in pairs:
                found[k].append(f)
        for k in mixed:
            found[k] = _resolve(found[k])
    return found


def extract(text: str, platform: str | None = None) -> list[Found]:
    """The indicators in one text (convenience for tests and the API)."""
    return extract_batch([text], [platform])[0]


def _resolve(found: list[Found]) -> list[Found]:
    """Indicators of several kinds in one text put in text order, without what lies inside
    a URL or email span (crypto excepted). Each kind comes in order and without repeats from
    its extractor, and the containers' extractors come first (so a stable sort by start puts
    a container before what starts with it). One sweep: ``reach`` is the furthest end of the
    containers met."""
    found.sort(key=_START)
    kept: list[Found] = []
    reach = -1
    for f in found:
        end = f.end or 0
        if end <= reach and f.kind not in KEPT_INSIDE:
            continue
        if end > reach and f.kind in CONTAINERS:
            reach = end
        kept.append(f)
    return kept
