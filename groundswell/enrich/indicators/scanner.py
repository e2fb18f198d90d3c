"""One Hyperscan pass over a batch of texts, for the anchor patterns of every extractor.

Texts are encoded to UTF-8 and joined with NUL bytes, so a batch costs one ``scan`` call.
The byte offsets of each hit are mapped back to the text and to character offsets, and the
hits sorted into columns per extractor, with array operations over the whole batch (a
character begins at every byte that is not a UTF-8 continuation byte, so an offset inside a
character counts that character as begun and never shifts later offsets).
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

from groundswell.enrich.indicators.base import Extractor, Found, Hits

CACHE_ENV = "GROUNDSWELL_CACHE"  # where compiled pattern databases are kept
MAX_SCAN_BYTES = 8 << 20  # one scan call covers at most this much text (4x more in counts)


class Scanner:
    """Compiled once per process (0.6 s, or a few ms from the cache), then reused for every
    batch."""

    def __init__(self, extractors: Sequence[Extractor]) -> None:
        self.extractors = list(extractors)
        expressions: list[bytes] = []
        flags: list[int] = []
        self.owner: list[tuple[int, int]] = []  # global pattern id -> (extractor, local id)
        for e, ex in enumerate(self.extractors):
            for p, pattern in enumerate(ex.patterns):
                expressions.append(pattern)
                flags.append(0 if p in ex.ends_only else hyperscan.HS_FLAG_SOM_LEFTMOST)
                self.owner.append((e, p))
        self.db = _compiled(expressions, flags) if expressions else hyperscan.Database()
        self._ex_of = np.array([e for e, _ in self.owner], np.int64)
        self._local_of = np.array([p for _, p in self.owner], np.int64)
        no_som = np.array([f == 0 for f in flags], bool)
        self._end_only = no_som if no_som.any() else None

    def scan(self, texts: Sequence[str]) -> list[Hits | None]:
        """Per extractor (by its index in ``extractors``): its hits over ``texts``, or None
        when it has none."""
        parts: list[np.ndarray] = []
        i = 0
        while i < len(texts):
            i = self._scan_chunk(texts, i, parts)
        out: list[Hits | None] = [None] * len(self.extractors)
        if not parts:
            return out
        ex, text, pattern, start, end = np.concatenate(parts, axis=1)
        order = np.lexsort((end, start, text, ex))
        ex = ex[order]
        bounds = np.searchsorted(ex, np.arange(len(self.extractors) + 1)).tolist()
        columns = [a[order] for a in (text, pattern, start, end)]
        for e in range(len(self.extractors)):
            lo, hi = bounds[e], bounds[e + 1]
            if hi > lo:
                out[e] = Hits(*(c[lo:hi].tolist() for c in columns))
        return out

    def extract(self, text: str, platform: str | None = None) -> list[Found]:
        """This scanner's extractors alone on one text, overlaps between kinds unresolved."""
        out: list[Found] = []
        for ex, hits in zip(self.extractors, self.scan([text]), strict=True):
            if hits is not None:
                out.extend(f for _, f in ex.extract_batch([text], [platform], hits))
        return out

    def _scan_chunk(self, texts: Sequence[str], first: int, parts: list[np.ndarray]) -> int:
        """Scan the texts from ``first`` on, up to MAX_SCAN_BYTES of them, adding their hits
        to ``parts`` as rows (extractor, text index, pattern, char start, char end)."""
        encoded: list[bytes] = []
        pos = 0
        i = first
        while i < len(texts) and (pos < MAX_SCAN_BYTES or not encoded):
            b = texts[i].encode("utf-8", "surrogatepass")
            encoded.append(b)
            pos += len(b) + 1
            i += 1
        buf = b"\x00".join(encoded)
        raw: list[int] = []
        self.db.scan(buf, match_event_handler=lambda h, f, t, _fl, _c: raw.extend((h, f, t)))
        if not raw:
            return i
        ids, b_from, b_to = np.array(raw, np.int64).reshape(-1, 3).T
        if self._end_only is not None:  # patterns without start of match: start at the end
            b_from = np.where(self._end_only[ids], b_to, b_from)
        lengths = np.fromiter(map(len, encoded), np.int64, len(encoded))
        starts = np.cumsum(lengths + 1) - (lengths + 1)  # byte offset of each text
        post = np.searchsorted(starts, b_from, "right") - 1
        base = starts[post]
        if buf.isascii():
            c_from, c_to = b_from - base, b_to - base
        else:
            offsets = np.concatenate((base, b_from, b_to))
            c_base, c_from, c_to = (offsets - _continuations_before(buf, offsets)).reshape(3, -1)
            c_from -= c_base
            c_to -= c_base
        parts.append(np.stack([self._ex_of[ids], post + first, self._local_of[ids], c_from, c_to]))
        return i


def _continuations_before(buf: bytes, offsets: np.ndarray) -> np.ndarray:
    """How many UTF-8 continuation bytes (0x80-0xBF) come before each byte offset: the
    characters begun before an offset are the bytes that are no continuation byte."""
    counts = np.cumsum(np.frombuffer(buf, np.int8) < -64, dtype=np.int32)  # up to each byte
    return np.where(offsets > 0, counts[np.maximum(offsets, 1) - 1], 0)


def _compiled(expressions: list[bytes], flags: list[int]) -> Any:
    """The Hyperscan database of ``expressions``: loaded from the cache directory when an
    earlier process compiled the same patterns with the same Hyperscan on this kind of
    machine, else compiled (0.6 s) and cached. Any cache trouble (unwritable, corrupt, from
    another CPU) just means compiling."""
    key = hashlib.sha256(
        b"\x00".join(
            [_hyperscan_version(), platform.machine().encode(), repr(flags).encode(), *expressions]
        )
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
        flags=flags,
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
