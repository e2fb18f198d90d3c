"""Address encodings and their checksums: Base58Check (Bitcoin, Tron), Monero's block Base58
with a Keccak checksum, Bech32/Bech32m segwit addresses (BIP-173, BIP-350) and EIP-55
mixed-case hex. Decoders are exact and never raise on bad input (they return None); the
encoders exist for tests and for generating fixtures.

Keccak-256 here is the original Keccak (Ethereum, Monero), not NIST SHA3-256: it comes from
pycryptodome (``Crypto.Hash.keccak``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from Crypto.Hash import keccak

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ALL = bytes(range(256))
# Base58 character -> its value (one byte per digit), everything else deleted
_B58_DIGITS = bytes.maketrans(B58_ALPHABET.encode(), bytes(range(58)))
_B58_OTHERS = bytes(set(_ALL) - set(B58_ALPHABET.encode()))

BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_SET = frozenset(BECH32_CHARSET)
# Bech32 character -> the base-32 digit of the same value, so int(x, 32) packs the 5-bit groups
_BECH32_TO_B32 = str.maketrans(BECH32_CHARSET, "0123456789abcdefghijklmnopqrstuv")
BECH32_CONST = 1
BECH32M_CONST = 0x2BC830A3
_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
# polymod step table: the generator terms XOR-ed in for each value of the top five bits
_POLY = tuple(
    (_GEN[0] if b & 1 else 0)
    ^ (_GEN[1] if b & 2 else 0)
    ^ (_GEN[2] if b & 4 else 0)
    ^ (_GEN[3] if b & 8 else 0)
    ^ (_GEN[4] if b & 16 else 0)
    for b in range(32)
)


def _poly_step3(top: int) -> int:
    """Three polymod steps with zero input from the state ``top << 15``. The step is linear
    over GF(2), so three steps from any state ``c`` with inputs ``v1 v2 v3`` equal
    ``_POLY3[c >> 15] ^ ((c & 0x7FFF) << 15) ^ (v1 << 10 | v2 << 5 | v3)``."""
    c = top << 15
    for _ in range(3):
        c = ((c & 0x1FFFFFF) << 5) ^ _POLY[c >> 25]
    return c


_POLY3 = tuple(_poly_step3(t) for t in range(1 << 15))

# EIP-55: a hash nibble >= 8 upper-cases a letter (a-f -> A-F is a subtraction of 0x20)
_NIBBLE_HIGH = bytes(0x20 if c in b"89abcdef" else 0 for c in _ALL)
_HEX_LETTER = bytes(0x20 if c in b"abcdef" else 0 for c in _ALL)


def keccak256(data: bytes) -> bytes:
    """Original Keccak-256 (as used by Ethereum and Monero)."""
    return keccak.new(digest_bits=256, data=data).digest()


def sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


# ---------------------------------------------------------------- Base58 (Bitcoin alphabet)


def _b58digits(s: str) -> bytes | None:
    """The digit values of a Base58 string, one byte each; None on any other character."""
    if not s.isascii():
        return None
    b = s.encode("ascii").translate(_B58_DIGITS, _B58_OTHERS)
    return b if len(b) == len(s) else None


def _b58int(digits: bytes) -> int:
    n = 0
    it = iter(digits)
    if len(digits) & 1:
        n = next(it)
    for hi, lo in zip(it, it):  # noqa: B905 (even count by construction)
        n = n * 3364 + hi * 58 + lo
    return n


def b58decode(s: str) -> bytes | None:
    """Plain Base58 (Bitcoin alphabet): leading '1's are zero bytes. None on a bad char."""
    digits = _b58digits(s)
    if digits is None:
        return None
    n = _b58int(digits)
    zeros = len(s) - len(s.lstrip("1"))
    return b"\x00" * zeros + (n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b"")


def b58encode(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(B58_ALPHABET[r])
    zeros = len(data) - len(data.lstrip(b"\x00"))
    return "1" * zeros + "".join(reversed(out))


def b58check_decode(s: str) -> bytes | None:
    """The payload (version byte included) of a Base58Check string whose checksum (first four
    bytes of double SHA-256) verifies, else None."""
    raw = b58decode(s)
    if raw is None or len(raw) < 5:
        return None
    body, check = raw[:-4], raw[-4:]
    return body if sha256d(body)[:4] == check else None


def b58check_encode(payload: bytes) -> str:
    return b58encode(payload + sha256d(payload)[:4])


# ---------------------------------------------------------------- Monero Base58

_XMR_FULL_BLOCK = 8
_XMR_FULL_CHARS = 11
_XMR_CHARS = (0, 2, 3, 5, 6, 7, 9, 10, 11)  # encoded size of a block of n bytes
_XMR_BYTES = {c: n for n, c in enumerate(_XMR_CHARS)}


def xmr_b58decode(s: str) -> bytes | None:
    """Monero Base58: 8-byte blocks encoded as 11 characters each, the last partial block in
    the size given by ``_XMR_CHARS``. None on a bad character, size or overflowing block."""
    full, rest = divmod(len(s), _XMR_FULL_CHARS)
    last = _XMR_BYTES.get(rest)
    digits = _b58digits(s)
    if last is None or digits is None:
        return None
    out = bytearray()
    for b in range(0, full * _XMR_FULL_CHARS, _XMR_FULL_CHARS):
        # one expression per 11-digit block: no per-digit loop
        c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10 = digits[b : b + _XMR_FULL_CHARS]
        n = c0 * 58 + c1
        n = ((((n * 58 + c2) * 58 + c3) * 58 + c4) * 58 + c5) * 58 + c6
        n = (((n * 58 + c7) * 58 + c8) * 58 + c9) * 58 + c10
        if n >> 64:
            return None
        out += n.to_bytes(8, "big")
    if rest:
        n = _b58int(digits[full * _XMR_FULL_CHARS :])
        if n >> (8 * last):
            return None
        out += n.to_bytes(last, "big")
    return bytes(out)


def xmr_b58encode(data: bytes) -> str:
    out = []
    for b in range(0, len(data), _XMR_FULL_BLOCK):
        block = data[b : b + _XMR_FULL_BLOCK]
        n = int.from_bytes(block, "big")
        chars = []
        for _ in range(_XMR_CHARS[len(block)]):
            n, r = divmod(n, 58)
            chars.append(B58_ALPHABET[r])
        out.append("".join(reversed(chars)))
    return "".join(out)


def xmr_decode(s: str) -> tuple[int, bytes] | None:
    """(network byte, body after it) of a Monero address whose Keccak checksum verifies. The
    network tag is a varint; mainnet tags (18, 19, 42) are single bytes."""
    raw = xmr_b58decode(s)
    if raw is None or len(raw) < 6 or raw[0] & 0x80:
        return None
    body, check = raw[:-4], raw[-4:]
    if keccak256(body)[:4] != check:
        return None
    return body[0], body[1:]


def xmr_encode(network: int, body: bytes) -> str:
    data = bytes([network]) + body
    return xmr_b58encode(data + keccak256(data)[:4])


# ---------------------------------------------------------------- Bech32 / Bech32m


def bech32_polymod(values: Sequence[int]) -> int:
    chk = 1
    poly = _POLY
    for v in values:
        chk = ((chk & 0x1FFFFFF) << 5) ^ v ^ poly[chk >> 25]
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convertbits(data: Sequence[int], frombits: int, tobits: int, pad: bool) -> list[int] | None:
    acc = bits = 0
    out = []
    maxv = (1 << tobits) - 1
    for v in data:
        acc = (acc << frombits) | v
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits or ((acc << (tobits - bits)) & maxv):
        return None
    return out


_HRP_STATE: dict[str, int] = {}


def _polymod_packed(hrp: str, packed: int, count: int) -> int:
    """The Bech32 polymod of ``hrp`` expanded and then ``count`` 5-bit values packed
    big-endian into ``packed``, three values per step."""
    chk = _HRP_STATE.get(hrp)
    if chk is None:
        chk = _HRP_STATE[hrp] = bech32_polymod(_hrp_expand(hrp))
    poly, poly3 = _POLY, _POLY3
    shift = 5 * count
    for _ in range(count % 3):
        shift -= 5
        chk = ((chk & 0x1FFFFFF) << 5) ^ ((packed >> shift) & 31) ^ poly[chk >> 25]
    while shift:
        shift -= 15
        chk = poly3[chk >> 15] ^ ((chk & 0x7FFF) << 15) ^ ((packed >> shift) & 0x7FFF)
    return chk


def segwit_decode(addr: str, hrps: tuple[str, ...] = ("bc", "tb")) -> tuple[str, int, bytes] | None:
    """(hrp, witness version, program) of a valid segwit address, else None. Applies BIP-173
    and BIP-350: the human-readable part among ``hrps``, no mixed case, length <= 90,
    checksum constant by version (Bech32 for v0, Bech32m for v1..16), program 2..40 bytes,
    v0 programs 20 or 32 bytes, zero padding of at most 4 bits."""
    if len(addr) > 90 or not addr.isascii():
        return None
    low = addr.lower()
    if addr != low and addr != addr.upper():
        return None
    pos = low.rfind("1")
    if low[:pos] not in hrps:
        return None
    hrp, data = low[:pos], low[pos + 1 :]
    count = len(data)
    if count < 7 or not _BECH32_SET.issuperset(data):
        return None
    packed = int(data.translate(_BECH32_TO_B32), 32)
    const = _polymod_packed(hrp, packed, count)
    version = packed >> (5 * (count - 1))
    if version > 16 or const != (BECH32_CONST if version == 0 else BECH32M_CONST):
        return None
    nbits = 5 * (count - 7)  # the program's 5-bit groups, between version and checksum
    pad = nbits % 8
    bits = (packed >> 30) & ((1 << nbits) - 1)
    if pad > 4 or bits & ((1 << pad) - 1):
        return None
    size = nbits // 8
    if not 2 <= size <= 40 or (version == 0 and size not in (20, 32)):
        return None
    return hrp, version, (bits >> pad).to_bytes(size, "big")


def segwit_encode(hrp: str, version: int, program: bytes) -> str:
    data = [version, *(_convertbits(program, 8, 5, True) or [])]
    const = BECH32_CONST if version == 0 else BECH32M_CONST
    poly = bech32_polymod([*_hrp_expand(hrp), *data, 0, 0, 0, 0, 0, 0]) ^ const
    check = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32_CHARSET[d] for d in data + check)


def bech32_encode_raw(hrp: str, data: Sequence[int], const: int) -> str:
    """Any data (5-bit values) with the given constant: for building invalid fixtures such as
    a v0 program checksummed with Bech32m."""
    poly = bech32_polymod([*_hrp_expand(hrp), *data, 0, 0, 0, 0, 0, 0]) ^ const
    check = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32_CHARSET[d] for d in [*data, *check])


# ---------------------------------------------------------------- EIP-55


def eip55(hex40: str) -> str:
    """The EIP-55 checksummed form ``0x...`` of 40 hex digits (any case): a letter is upper
    case where the matching nibble of Keccak-256(lower-case hex as ASCII) is >= 8."""
    low = hex40.lower().encode("ascii")
    nibbles = keccak256(low).hex()[:40].encode("ascii")
    mask = int.from_bytes(nibbles.translate(_NIBBLE_HIGH), "big") & int.from_bytes(
        low.translate(_HEX_LETTER), "big"
    )
    return "0x" + (int.from_bytes(low, "big") - mask).to_bytes(40, "big").decode("ascii")
