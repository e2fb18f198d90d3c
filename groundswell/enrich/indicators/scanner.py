"""One Hyperscan pass over a batch of texts, for the anchor patterns of every extractor.

Texts are encoded to UTF-8 and joined with NUL bytes, so a batch costs one ``scan`` call;
the byte offsets of each hit are mapped back to the post and to character offsets.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

import hyperscan

from groundswell.enrich.indicators.base import Extractor, Hit

MAX_SCAN_BYTES = 256 << 20  # one scan call covers at most this much text


class Scanner:
    """Compiled once per process (a few hundred ms), then reused for every batch."""

    def __init__(self, extractors: Sequence[Extractor]) -> None:
        self.extractors = list(extractors)
        expressions: list[bytes] = []
        self.owner: list[tuple[int, int]] = []  # global pattern id -> (extractor, local id)
        for e, ex in enumerate(self.extractors):
            for p, pattern in enumerate(ex.patterns):
                expressions.append(pattern)
                self.owner.append((e, p))
        self.db = hyperscan.Database()
        if expressions:
            self.db.compile(
                expressions=expressions,
                ids=list(range(len(expressions))),
                elements=len(expressions),
                flags=[hyperscan.HS_FLAG_SOM_LEFTMOST] * len(expressions),
            )

    def scan(self, texts: Sequence[str]) -> list[list[list[Hit]] | None]:
        """Per text: None when nothing matched, else per extractor the list of its hits."""
        out: list[list[list[Hit]] | None] = [None] * len(texts)
        if not self.owner:
            return out
        i = 0
        while i < len(texts):
            i = self._scan_chunk(texts, i, out)
        return out

    def _scan_chunk(
        self, texts: Sequence[str], first: int, out: list[list[list[Hit]] | None]
    ) -> int:
        encoded: list[bytes] = []
        starts: list[int] = []
        pos = 0
        i = first
        while i < len(texts) and (pos < MAX_SCAN_BYTES or not encoded):
            b = texts[i].encode("utf-8", "surrogatepass")
            starts.append(pos)
            encoded.append(b)
            pos += len(b) + 1
            i += 1
        raw: list[tuple[int, int, int]] = []
        self.db.scan(
            b"\x00".join(encoded),
            match_event_handler=lambda h, f, t, _fl, _c: raw.append((h, f, t)),
        )
        if not raw:
            return i
        n_ex = len(self.extractors)
        by_post: dict[int, list[tuple[int, int, int]]] = {}
        for hit in raw:
            k = bisect_right(starts, hit[1]) - 1
            by_post.setdefault(k, []).append(hit)
        for k, hits in by_post.items():
            base = starts[k]
            b = encoded[k]
            text = texts[first + k]
            to_char = _offsets(b, text, {o for h in hits for o in (h[1] - base, h[2] - base)})
            per: list[list[Hit]] = [[] for _ in range(n_ex)]
            for h, f, t in hits:
                e, p = self.owner[h]
                per[e].append((p, to_char(f - base), to_char(t - base)))
            out[first + k] = per
        return i


_NOT_CONTINUATION = bytes(range(0x80)) + bytes(range(0xC0, 0x100))


def _offsets(b: bytes, text: str, wanted: set[int]):  # type: ignore[no-untyped-def]
    """A function from byte offsets (among ``wanted``) to character offsets: a character
    starts at every byte that is not a UTF-8 continuation byte (0x80-0xBF), so an offset
    inside a character counts that character as begun, and never shifts later offsets."""
    if len(b) == len(text):
        return lambda o: o
    table: dict[int, int] = {}
    prev_b = prev_c = 0
    for o in sorted(wanted):
        chunk = b[prev_b:o]
        prev_c += len(chunk) - len(chunk.translate(None, _NOT_CONTINUATION))
        prev_b = o
        table[o] = prev_c
    return table.__getitem__
