"""Cryptocurrency addresses, validated by their own checksums (see ``docs/indicators/crypto.md``).

Four Hyperscan anchors find whole candidate runs (each bounded by ``\\b`` on both sides, so
one run gives one hit and a run glued inside a longer alphanumeric word gives none):

- a Base58 run of 25..44 characters: Bitcoin P2PKH/P2SH and Tron (Base58Check), Solana
  (no checksum: only with a chain keyword nearby);
- a Base58 run of 95 or 106 characters starting with 4 or 8: Monero (Keccak checksum);
- ``bc1``/``tb1`` and a Bech32 run: segwit addresses (BIP-173 / BIP-350);
- ``0x`` and exactly 40 hex digits: EVM addresses (EIP-55).

Validation is memoised per distinct string, so an address repeated across a batch costs one
decode. An address whose checksum fails is not reported at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import ClassVar

from groundswell.enrich.indicators.base import Extractor, Found, Hit, Post
from groundswell.enrich.indicators.checksums import (
    b58check_decode,
    b58decode,
    eip55,
    segwit_decode,
    xmr_decode,
)

__all__ = ["EXTRACTORS", "SOL_WINDOW", "CryptoExtractor"]

_B58 = rb"[1-9A-HJ-NP-Za-km-z]"
BASE58, MONERO, BECH32, EVM = range(4)
PATTERNS: tuple[bytes, ...] = (
    rb"\b" + _B58 + rb"{25,44}\b",
    rb"\b[48]" + _B58 + rb"{94}(?:" + _B58 + rb"{11})?\b",
    rb"(?i)\b(?:bc|tb)1[02-9ac-hj-np-z]{11,71}\b",
    rb"\b0x[0-9a-fA-F]{40}\b",
)

SOL_WINDOW = 40  # characters between a Solana candidate and its chain keyword, either side
_SOL_KEYWORD = re.compile(
    r"(?<![A-Za-z0-9])(?:solana|solscan|solflare|phantom|spl|sol)(?![A-Za-z0-9])"
    r"|солан|索拉纳",
    re.IGNORECASE,
)
_SOL_REACH = SOL_WINDOW + 9  # the longest keyword (8) and the character after it

_CACHE = 1 << 16
Verdict = tuple[str, str, str] | None  # (subkind, value, validity)


def _glued(ch: str) -> bool:
    """A neighbour that makes the run part of a longer word: a letter or digit of a script
    written with spaces between words (Latin with diacritics, Greek, Cyrillic, Armenian).
    Chinese, Japanese, Thai ... letters are not, as those scripts glue words together."""
    return ch.isalnum() and ord(ch) < 0x590


@lru_cache(maxsize=_CACHE)
def base58check(raw: str) -> Verdict:
    """Bitcoin P2PKH / P2SH or Tron when ``raw`` is one with a valid Base58Check checksum."""
    first = raw[0]
    if first in "13":
        if len(raw) > 35:
            return None
        body = b58check_decode(raw)
        if body is None or len(body) != 21:
            return None
        if body[0] == 0x00:
            return ("btc-p2pkh", raw, "verified")
        if body[0] == 0x05:
            return ("btc-p2sh", raw, "verified")
    elif first == "T" and len(raw) == 34:
        body = b58check_decode(raw)
        if body is not None and len(body) == 21 and body[0] == 0x41:
            return ("tron", raw, "verified")
    return None


@lru_cache(maxsize=_CACHE)
def solana_shape(raw: str) -> bool:
    """32..44 Base58 characters that decode to exactly 32 bytes, with at least one letter."""
    if not 32 <= len(raw) <= 44 or raw.isdigit():
        return False
    if raw[:3].lower() in ("bc1", "tb1"):
        return False
    decoded = b58decode(raw)
    return decoded is not None and len(decoded) == 32


_XMR_NETWORKS = {(95, 18): "xmr", (95, 42): "xmr-subaddress", (106, 19): "xmr-integrated"}


@lru_cache(maxsize=_CACHE)
def monero(raw: str) -> Verdict:
    decoded = xmr_decode(raw)
    if decoded is None:
        return None
    subkind = _XMR_NETWORKS.get((len(raw), decoded[0]))
    return None if subkind is None else (subkind, raw, "verified")


_SEGWIT_KIND = {(0, 20): "btc-p2wpkh", (0, 32): "btc-p2wsh", (1, 32): "btc-p2tr"}


@lru_cache(maxsize=_CACHE)
def segwit(raw: str) -> Verdict:
    decoded = segwit_decode(raw)
    if decoded is None:
        return None
    hrp, version, program = decoded
    if hrp == "tb":
        subkind = "btc-testnet"
    elif hrp == "bc":
        subkind = _SEGWIT_KIND.get((version, len(program)), "btc-segwit")
    else:
        return None
    return (subkind, raw.lower(), "verified")


@lru_cache(maxsize=_CACHE)
def evm(raw: str) -> Verdict:
    """Mixed case must be the EIP-55 form; one case throughout (or no letters) carries no
    checksum: kept, unverified. The value is always the EIP-55 form."""
    digits = raw[2:]
    checksummed = eip55(digits)
    if digits != digits.lower() and digits != digits.upper():
        return ("evm", raw, "verified") if checksummed == raw else None
    return ("evm", checksummed, "unverified")


def sol_keyword_near(text: str, start: int, end: int) -> bool:
    """Whether a Solana keyword lies within ``SOL_WINDOW`` characters of ``text[start:end]``."""
    lo = max(0, start - _SOL_REACH)
    for m in _SOL_KEYWORD.finditer(text, lo, min(len(text), end + _SOL_REACH)):
        if m.start() > end + SOL_WINDOW:
            break
        if m.end() >= start - SOL_WINDOW:
            return True
    return False


_VALIDATE = {MONERO: monero, BECH32: segwit, EVM: evm}


class CryptoExtractor(Extractor):
    kind: ClassVar[str] = "crypto"
    patterns: ClassVar[Sequence[bytes]] = PATTERNS

    def extract(self, post: Post, hits: Sequence[Hit]) -> Iterable[Found]:
        text = post.text
        out: list[Found] = []
        done: set[tuple[int, int]] = set()  # spans reported or rejected
        # a span can be both a Base58 run and a Bech32 / Monero run: the checksummed reading
        # is tried first, the keyword-only (Solana) reading last
        ordered = sorted(hits, key=lambda h: h[0] == BASE58) if len(hits) > 1 else hits
        for p, start, end in ordered:
            if (start, end) in done:
                continue
            if (start and _glued(text[start - 1])) or (end < len(text) and _glued(text[end])):
                done.add((start, end))
                continue
            raw = text[start:end]
            if p == BASE58:
                verdict = base58check(raw)
                if verdict is None and self._solana(text, raw, start, end):
                    verdict = ("sol", raw, "unverified")
            else:
                verdict = _VALIDATE[p](raw)
            if verdict is None:
                continue
            done.add((start, end))
            subkind, value, validity = verdict
            out.append(Found("crypto", value, start, end, subkind=subkind, validity=validity))
        if len(out) > 1:
            out.sort(key=lambda f: f.start or 0)
        return out

    @staticmethod
    def _solana(text: str, raw: str, start: int, end: int) -> bool:
        if not 32 <= end - start <= 44:
            return False
        # a piece of a Base64 blob: '+' on either side, or '=' padding after
        if (start and text[start - 1] == "+") or text[end : end + 1] in ("+", "="):
            return False
        return sol_keyword_near(text, start, end) and solana_shape(raw)


EXTRACTORS: list[Extractor] = [CryptoExtractor()]
