"""The shape of an indicator extractor, and of what it finds.

An extractor declares Hyperscan *anchor* patterns over UTF-8 bytes. One scan over a whole
batch of posts finds every candidate of every extractor at once (see ``scanner.py``); each
extractor then looks at its own candidates in Python, expands them to the exact span with
``re`` on the text, and validates them (checksums, public suffixes, boundaries). Candidates
are cheap and may be loose: precision comes from the validation step.

Extractors never see other kinds' findings; overlaps between kinds (a handle inside an email
address, a bare host inside a URL) are resolved once, in ``groundswell.enrich.indicators``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, NamedTuple


class Found(NamedTuple):
    """One indicator occurrence. ``start``/``end`` are character offsets into the post text,
    so ``text[start:end]`` is the raw span as written; ``value`` is the normalised form."""

    kind: str  # url, email, handle, hashtag, money, crypto, lexicon
    value: str
    start: int | None
    end: int | None
    subkind: str | None = None  # crypto: btc-p2pkh, evm, ...; money: ISO 4217 code; ...
    validity: str | None = None  # "verified" | "unverified" | "invalid"; None: no check exists
    amount: float | None = None  # money: the amount in units of the currency
    host: str | None = None  # url, email: lower-case IDNA host
    domain: str | None = None  # url, email: registrable domain (public suffix + one label)
    suffix: str | None = None  # url, email: public suffix
    extension: str | None = None  # url: file extension of the path, lower-case, no dot
    network: str | None = None  # url: clearnet | tor | i2p
    defanged: bool = False  # written in a defanged form (hxxp, [.], [at] ...)


Hit = tuple[int, int, int]  # (index into the extractor's patterns, char start, char end)


class Hits(NamedTuple):
    """One extractor's hits over a batch of texts, as columns, ascending by text, then start,
    then end."""

    texts: list[int]  # index of the text in the batch
    patterns: list[int]  # index into the extractor's patterns
    starts: list[int]  # character offsets in the text
    ends: list[int]


class Post:
    """What an extractor knows about the post it reads: the text, the platform of its source
    (``reddit``, ``telegram``, ``twitter`` ... or None), and a per-post cache that extractors
    may use for lazily computed facts (code spans, say) under keys of their own."""

    __slots__ = ("cache", "platform", "text")

    def __init__(self, text: str, platform: str | None = None) -> None:
        self.text = text
        self.platform = platform
        self.cache: dict[str, Any] = {}


class Extractor:
    """Base class of extractors. Subclasses set ``kind`` and ``patterns`` and implement
    ``extract_batch``, or ``extract`` (one post at a time). ``patterns`` are Hyperscan
    expressions over UTF-8 bytes, compiled with ``HS_FLAG_SOM_LEFTMOST`` (inline ``(?i)``
    works; look-behind does not). Hyperscan reports every end of every match, so a pattern
    should end where a candidate can end only once (a literal, or a run ended by ``\\b``),
    or declare it in ``ends_only``."""

    kind: ClassVar[str]
    patterns: ClassVar[Sequence[bytes]]
    #: Indices of ``patterns`` compiled without start of match: cheaper to scan, and they
    #: may use unbounded repeats, but their hits carry ``start == end``.
    ends_only: ClassVar[frozenset[int]] = frozenset()

    def extract_batch(
        self, texts: Sequence[str], platforms: Sequence[str | None] | None, hits: Hits
    ) -> list[tuple[int, Found]]:
        """(text index, indicator) of this kind at ``hits``, ascending by text, then start;
        an indicator that several hits point into is reported once. By default, ``extract``
        on each text with hits."""
        out: list[tuple[int, Found]] = []
        ks, ps, ss, es = hits
        i, n = 0, len(ks)
        while i < n:
            k = ks[i]
            j = i + 1
            while j < n and ks[j] == k:
                j += 1
            post = Post(texts[k], platforms[k] if platforms is not None else None)
            for f in self.extract(post, list(zip(ps[i:j], ss[i:j], es[i:j], strict=True))):
                out.append((k, f))
            i = j
        return out

    def extract(self, post: Post, hits: Sequence[Hit]) -> Iterable[Found]:
        """The validated indicators of this kind among ``hits`` (ascending by start), in order
        of their starts."""
        raise NotImplementedError
