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
    ``extract``. ``patterns`` are Hyperscan expressions over UTF-8 bytes, compiled with
    ``HS_FLAG_SOM_LEFTMOST`` (inline ``(?i)`` works; look-behind does not). Hyperscan reports
    every end of every match, so a pattern should end where a candidate can end only once
    (a literal, or a run ended by ``\\b``)."""

    kind: ClassVar[str]
    patterns: ClassVar[Sequence[bytes]]

    def extract(self, post: Post, hits: Sequence[Hit]) -> Iterable[Found]:
        """The validated indicators of this kind among ``hits`` (ascending by end; several
        hits may point into the same indicator: report it once)."""
        raise NotImplementedError
