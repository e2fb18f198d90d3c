"""Text normalisation shared by lexicon matching and the duplicate signatures.

- :func:`fold` lower-cases and strips diacritics *one character for one character*, so offsets
  into the folded text are offsets into the original (``é`` -> ``e``, ``Ё`` -> ``е``,
  full-width ``Ｃ`` -> ``c``; ``й`` stays, as it is a letter of its own in Russian).
- :func:`content_hash` is a 64-bit hash of the folded text with whitespace collapsed: equal
  for copies that differ only in case, accents, width or spacing.
- :func:`simhashes` computes 64-bit SimHash signatures over token bigrams (CJK characters count
  as tokens), for a batch at once; near-duplicates differ in few bits (Hamming distance).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import xxhash

_KEEP = {"й", "Й"}  # NFKD would strip the breve: a different letter, not an accent


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0x80, 0x3000):
        c = chr(cp)
        if c in _KEEP:
            table[cp] = c.lower()
            continue
        base = "".join(
            ch for ch in unicodedata.normalize("NFKD", c) if not unicodedata.combining(ch)
        )
        low = base.lower()
        if len(low) == 1 and low != c:
            table[cp] = low
    for cp in range(0x41, 0x5B):  # for the texts that str.lower() would lengthen
        table[cp] = chr(cp + 32)
    for cp in range(0xFF01, 0xFF5F):  # full-width ASCII forms
        table[cp] = chr(cp - 0xFEE0).lower()
    for cp in (0x2000, 0x2002, 0x2003, 0x2009, 0x200A, 0x202F, 0x205F, 0x3000, 0xA0, 0x0A, 0x09):
        table[cp] = " "
    return table


_FOLD = _fold_table()
# the non-ASCII characters (in lower case) that folding changes: most texts have none
_NEEDS_FOLD = re.compile(
    "["
    + "".join(re.escape(chr(k)) for k, v in sorted(_FOLD.items()) if k >= 0x80 and v != chr(k))
    + "]"
)


def fold(text: str) -> str:
    """Lower-case, diacritics and width folded, tabs and line breaks as spaces; one character
    for one character, so offsets into the result are offsets into ``text``."""
    if text.isascii():
        return text.lower().replace("\n", " ").replace("\t", " ")
    low = text.lower()
    if len(low) != len(text):  # str.lower() lengthens a few characters (İ -> i̇)
        return text.translate(_FOLD)
    return _NEEDS_FOLD.sub(_fold_one, low).replace("\n", " ").replace("\t", " ")


def _fold_one(m: re.Match[str]) -> str:
    return _FOLD[ord(m.group())]


def content_hash(folded: str) -> int:
    """Signed 64-bit xxh3 (a DuckDB BIGINT) of a :func:`fold`-ed text with its whitespace
    collapsed: equal for copies that differ only in case, accents, width or spacing."""
    text = folded.strip()
    if "  " in text or not text.isprintable():  # (whitespace but " " is not printable)
        text = " ".join(text.split())
    return xxhash.xxh3_64_intdigest(text.encode("utf-8", "surrogatepass")) - (1 << 63)


# Signature tokens are taken from the folded UTF-8 bytes: ASCII punctuation and controls
# separate tokens; each CJK character (a 3-byte sequence led by E3..E9: kana, CJK ideographs)
# is a token of its own. The tokenising and hashing are vectorised over a whole batch.
_SEPARATE = bytes(
    c if c == 0 or c >= 0x80 or chr(c).isalnum() else 32 for c in range(256)
)  # NUL stays: it separates the texts of a batch
_CJK = re.compile(rb"[\xe3-\xe9][\x80-\xbf][\x80-\xbf]|[^\x00-\x20\xe3-\xe9]+")
SIMHASH_CHARS = 4000  # signatures look at the first this many characters
MAX_FEATURES = 255  # token bigrams per text at most (byte-wide counters)
_LANES = np.uint64(0x0101010101010101)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_K = np.uint64(0x9E3779B97F4A7C15)
TOKEN_BYTES = 64  # a token is hashed by its first this many bytes
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


def tokens(folded: str) -> list[bytes]:
    """The signature tokens of a :func:`fold`-ed text (for reading; :func:`simhashes` finds
    the same tokens with array operations)."""
    b = folded[:SIMHASH_CHARS].encode("utf-8", "surrogatepass").translate(_SEPARATE)
    return _CJK.findall(b.replace(b"\x00", b" "))


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads the combined token hashes over all 64 bits."""
    h = (h ^ (h >> np.uint64(30))) * _M1
    h = (h ^ (h >> np.uint64(27))) * _M2
    return h ^ (h >> np.uint64(31))


def _token_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """A 64-bit hash of every token of every text, and the index of its text; at most
    ``MAX_FEATURES + 1`` tokens per text."""
    joined = "\x00".join(
        (t[:SIMHASH_CHARS].replace("\x00", " ") if "\x00" in t else t[:SIMHASH_CHARS])
        for t in texts
    )
    arr = np.frombuffer(joined.encode("utf-8", "surrogatepass").translate(_SEPARATE), np.uint8)
    seps = np.flatnonzero(arr == 0)  # the end of each text but the last
    tok = arr > 32
    lead = (arr >= 0xE3) & (arr <= 0xE9)  # a CJK character starts here
    start = tok.copy()
    start[1:] &= ~tok[:-1]  # a token starts after a separator ...
    start |= lead  # ... at a CJK character ...
    after = np.flatnonzero(lead) + 3
    after = after[after < len(arr)]
    start[after] |= tok[after]  # ... and after one
    starts = np.flatnonzero(start)
    if not len(starts):
        return np.empty(0, np.uint64), np.empty(0, np.int64)
    # a token ends before a separator or the next token's start: one end per token, in order
    ends = np.flatnonzero(tok & np.r_[start[1:] | ~tok[1:], True]) + 1
    lengths = np.minimum(ends - starts, TOKEN_BYTES)
    windows = np.lib.stride_tricks.sliding_window_view(np.r_[arr, np.zeros(8, np.uint8)], 8)
    with np.errstate(over="ignore"):
        hashes = _chunk(windows, starts, lengths)
        for c in range(8, TOKEN_BYTES, 8):  # the rest of the tokens longer than 8 bytes
            longer = np.flatnonzero(lengths > c)
            if not len(longer):
                break
            hashes[longer] = hashes[longer] * _K + _chunk(
                windows, starts[longer] + c, lengths[longer] - c
            )
    owner = np.searchsorted(seps, starts)
    firsts_of_texts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    first_of_text = np.repeat(firsts_of_texts, np.diff(np.r_[firsts_of_texts, len(owner)]))
    keep = np.arange(len(owner)) - first_of_text <= MAX_FEATURES
    return hashes[keep], owner[keep]


def _chunk(windows: np.ndarray, at: np.ndarray, remaining: np.ndarray) -> np.ndarray:
    """The 8 bytes at each of ``at`` as a little-endian integer, cut to ``remaining`` bytes."""
    words = windows[at].view(np.uint64).ravel()
    short = remaining < 8
    if short.any():
        shift = (8 * np.minimum(remaining, 7)).astype(np.uint64)
        words &= np.where(short, (np.uint64(1) << shift) - np.uint64(1), _ALL)
    return words


def simhashes(texts: Sequence[str]) -> list[int | None]:
    """Signed 64-bit SimHash of each :func:`fold`-ed text over its token bigrams (the token
    itself for a one-token text); None for texts without a token. The counting is vectorised
    over the whole batch."""
    out: list[int | None] = [None] * len(texts)
    th, own = _token_hashes(texts)
    if not len(th):
        return out
    with np.errstate(over="ignore"):
        n = np.bincount(own, minlength=len(texts))
        nxt = np.r_[th[1:], np.uint64(0)]
        pair = np.r_[own[1:] == own[:-1], False]  # token i and i+1 belong to one text
        keep = pair | (n[own] == 1)  # a one-token text keeps its token as the feature
        feats = _mix(np.where(pair, _mix(th) * _K + nxt, th))[keep]
        fowner = own[keep]
        seg = np.flatnonzero(np.r_[True, fowner[1:] != fowner[:-1]])
        total = np.diff(np.r_[seg, len(feats)])
        # SWAR: bit j of every byte, summed per text in byte-wide counters (<= 255 features)
        ones = np.empty((len(seg), 64), np.uint8)
        for j in range(8):
            lanes = np.add.reduceat((feats >> np.uint64(j)) & _LANES, seg)
            ones[:, j::8] = lanes.view(np.uint8).reshape(-1, 8)
        signs = (2 * ones.astype(np.int32) > total[:, None]).astype(np.uint8)
        packed = np.packbits(signs, axis=1, bitorder="little").view(np.int64).ravel()
    for i, sig in zip(fowner[seg].tolist(), packed.tolist(), strict=True):
        out[i] = sig
    return out
