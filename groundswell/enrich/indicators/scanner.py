"""One Hyperscan pass over a batch of texts, for the anchor patterns of every extractor.

Texts are encoded to UTF-8 and joined with NUL bytes, so a batch costs one ``scan`` call;
the byte offsets of each hit are mapped back to the post and to character offsets with array
operations over the whole batch (a character begins at every byte that is not a UTF-8
continuation byte, so an offset inside a character counts that character as begun and never
shifts later offsets).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import hyperscan
import numpy as np

from groundswell.enrich.indicators.base import Extractor, Found, Hit, Post

CACHE_ENV = "GROUNDSWELL_CACHE"  # where compiled pattern databases are kept
MAX_SCAN_BYTES = 16 << 20  # one scan call covers at most this much text (8x in offsets)


class Scanner:
    """Compiled once per process (0.6 s, or a few ms from the cache), then reused for every
    batch."""

    def __init__(self, extractors: Sequence[Extractor]) -> None:
        self.extractors = list(extractors)
        expressions: list[bytes] = []
        self.owner: list[tuple[int, int]] = []  # global pattern id -> (extractor, local id)
        for e, ex in enumerate(self.extractors):
            for p, pattern in enumerate(ex.patterns):
                expressions.append(pattern)
                self.owner.append((e, p))
        self.db = _compiled(expressions) if expressions else hyperscan.Database()
        self._ex_of = np.array([e for e, _ in self.owner], np.int64)
        self._local_of = np.array([p for _, p in self.owner], np.int64)

    def scan(self, texts: Sequence[str]) -> list[dict[int, list[Hit]] | None]:
        """Per text: None when nothing matched, else the hits of each extractor that has any
        (by the extractor's index in ``extractors``), in order of their ends."""
        out: list[dict[int, list[Hit]] | None] = [None] * len(texts)
        if not self.owner:
            return out
        i = 0
        while i < len(texts):
            i = self._scan_chunk(texts, i, out)
        return out

    def find(self, post: Post, hits: dict[int, list[Hit]]) -> list[Found]:
        """What each extractor finds at its hits in ``post`` (overlaps between kinds are
        resolved by the caller)."""
        out: list[Found] = []
        extractors = self.extractors
        for e, ex_hits in hits.items():
            out.extend(extractors[e].extract(post, ex_hits))
        return out

    def extract(self, text: str, platform: str | None = None) -> list[Found]:
        """This scanner's extractors alone on one text, overlaps between kinds unresolved."""
        hits = self.scan([text])[0]
        return [] if hits is None else self.find(Post(text, platform), hits)

    def _scan_chunk(
        self, texts: Sequence[str], first: int, out: list[dict[int, list[Hit]] | None]
    ) -> int:
        encoded: list[bytes] = []
        pos = 0
        i = first
        while i < len(texts) and (pos < MAX_SCAN_BYTES or not encoded):
            b = texts[i].encode("utf-8", "surrogatepass")
            encoded.append(b)
            pos += len(b) + 1
            i += 1
        buf = b"\x00".join(encoded)
        raw: list[tuple[int, int, int]] = []
        self.db.scan(buf, match_event_handler=lambda h, f, t, _fl, _c: raw.append((h, f, t)))
        if not raw:
            return i
        hits = np.array(raw, np.int64)
        lengths = np.fromiter(map(len, encoded), np.int64, len(encoded))
        starts = np.cumsum(lengths + 1) - (lengths + 1)  # byte offset of each text
        post = np.searchsorted(starts, hits[:, 1], "right") - 1
        base = starts[post]
        if len(buf) == sum(map(len, texts[first:i])) + len(encoded) - 1:  # all ASCII
            c_from, c_to = hits[:, 1] - base, hits[:, 2] - base
        else:  # characters begun before a byte offset: bytes that are no continuation byte
            continuation = np.flatnonzero(np.frombuffer(buf, np.int8) < -64)  # 0x80-0xBF
            c_from = hits[:, 1] - np.searchsorted(continuation, hits[:, 1])
            c_to = hits[:, 2] - np.searchsorted(continuation, hits[:, 2])
            c_base = base - np.searchsorted(continuation, base)
            c_from -= c_base
            c_to -= c_base
        ex_of, local_of = self._ex_of[hits[:, 0]], self._local_of[hits[:, 0]]
        per: dict[int, list[Hit]] = {}
        last = -1
        for k, e, p, f, t in zip(
            post.tolist(),
            ex_of.tolist(),
            local_of.tolist(),
            c_from.tolist(),
            c_to.tolist(),
            strict=True,
        ):
            if k != last:  # (hits come by end offset, so a post's hits come together)
                last = k
                per = out[first + k] or {}
                out[first + k] = per
            if e in per:
                per[e].append((p, f, t))
            else:
                per[e] = [(p, f, t)]
        return i


def _compiled(expressions: list[bytes]) -> Any:
    """The Hyperscan database of ``expressions``: loaded from the cache directory when an
    earlier process compiled the same patterns with the same Hyperscan on this kind of
    machine, else compiled (0.6 s) and cached. Any cache trouble (unwritable, corrupt, from
    another CPU) just means compiling."""
    key = hashlib.sha256(
        b"\x00".join([_hyperscan_version(), platform.machine().encode(), *expressions])
    ).hexdigest()[:32]
    path = _cache_dir() / f"hyperscan-{key}.db"
    try:
        db = hyperscan.loadb(path.read_bytes(), hyperscan.HS_MODE_BLOCK)
        db.scratch = hyperscan.Scratch(db)
        return db
    except (OSError, hyperscan.error):
        pass
    db = hyperscan.Database()
    db.compile(
        expressions=expressions,
        ids=list(range(len(expressions))),
        elements=len(expressions),
        flags=[hyperscan.HS_FLAG_SOM_LEFTMOST] * len(expressions),
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(hyperscan.dumpb(db))
        os.replace(tmp, path)
    except (OSError, hyperscan.error):
        pass
    return db


def _cache_dir() -> Path:
    """``$GROUNDSWELL_CACHE``, else ``$XDG_CACHE_HOME/groundswell``, else
    ``~/.cache/groundswell``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "groundswell"


def _hyperscan_version() -> bytes:
    return importlib.metadata.version("hyperscan").encode()
