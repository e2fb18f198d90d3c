"""Crypto addresses: checksum vectors from the specifications, the extractor on generated
addresses, and property tests (never raises, terminates fast, offsets slice back)."""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groundswell.enrich.indicators import checksums as cs
from groundswell.enrich.indicators import extract
from groundswell.enrich.indicators.base import Found
from groundswell.enrich.indicators.crypto import SOL_WINDOW, CryptoExtractor
from groundswell.enrich.indicators.scanner import Scanner

EXTRACTOR = CryptoExtractor()
SCANNER = Scanner([EXTRACTOR])
SEGWIT = ("btc-p2wpkh", "btc-p2wsh", "btc-p2tr", "btc-segwit", "btc-testnet")


def crypto(text: str) -> list[Found]:
    """This extractor alone, through a real Hyperscan scan."""
    return SCANNER.extract(text)


def one(text: str) -> Found:
    found = crypto(text)
    assert len(found) == 1, found
    return found[0]


# ---------------------------------------------------------------- specification vectors

BIP350_VALID = {
    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4": "0014751e76e8199196d454941c45d1b3a323f1433bd6",
    "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7": (
        "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"
    ),
    "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y": (
        "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6"
    ),
    "BC1SW50QGDZ25J": "6002751e",
    "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs": "5210751e76e8199196d454941c45d1b3a323",
    "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy": (
        "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"
    ),
    "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c": (
        "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"
    ),
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0": (
        "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
    ),
}
BIP350_INVALID = [
    "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
    "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
    "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
    "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
    "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
    "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
    "bc1pw5dgrnzv",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
    "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
    "bc1gmk9yu",
    # BIP-173's v1+ vectors, checksummed with Bech32: invalid since BIP-350
    "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx",
    "BC1SW50QA3JX3S",
    "bc1zw508d6qejxtdg4y5r3zarvaryvg6kdaj",
]
EIP55 = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
]


@pytest.mark.parametrize("addr", sorted(BIP350_VALID))
def test_bip350_valid(addr: str) -> None:
    decoded = cs.segwit_decode(addr)
    assert decoded is not None
    hrp, version, program = decoded
    spk = bytes([version + 0x50 if version else 0, len(program)]) + program
    assert spk.hex() == BIP350_VALID[addr]
    assert cs.segwit_encode(hrp, version, program) == addr.lower()


@pytest.mark.parametrize("addr", BIP350_INVALID)
def test_bip350_invalid(addr: str) -> None:
    assert cs.segwit_decode(addr) is None
    assert crypto(f"pay {addr} now") == []


@pytest.mark.parametrize("addr", EIP55)
def test_eip55_vectors(addr: str) -> None:
    assert cs.eip55(addr[2:].lower()) == addr
    assert cs.eip55(addr[2:].upper()) == addr


def test_base58check_vectors() -> None:
    genesis = cs.b58check_decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
    assert genesis == bytes.fromhex("0062e907b15cbf27d5425399ebf6f0fb50ebb88f18")
    p2sh = cs.b58check_decode("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy")
    assert p2sh is not None and p2sh[0] == 5
    assert cs.b58check_decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb") is None
    assert cs.b58decode("0OIl") is None
    assert cs.b58decode("ünïcode") is None


def test_monero_fund_address() -> None:
    addr = (
        "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98u"
        "Nbr2VBBEt7f2wfn3RVGQBEP3A"
    )
    decoded = cs.xmr_decode(addr)
    assert decoded is not None and decoded[0] == 18 and len(decoded[1]) == 64
    assert one(f"XMR: {addr}").subkind == "xmr"


@pytest.mark.parametrize("size", range(0, 80))
def test_monero_base58_roundtrip(size: int) -> None:
    data = random.Random(size).randbytes(size)
    assert cs.xmr_b58decode(cs.xmr_b58encode(data)) == data
    assert cs.b58decode(cs.b58encode(data)) == data


def test_monero_block_overflow() -> None:
    assert cs.xmr_b58decode("z" * 11) is None  # 58**11 - 1 does not fit in 8 bytes
    assert cs.xmr_b58decode("z" * 4) is None  # no block size encodes to 4 characters


# ---------------------------------------------------------------- the extractor


def test_subkinds_and_values() -> None:
    rng = random.Random(1)
    addrs = {
        cs.b58check_encode(b"\x00" + rng.randbytes(20)): "btc-p2pkh",
        cs.b58check_encode(b"\x05" + rng.randbytes(20)): "btc-p2sh",
        cs.b58check_encode(b"\x41" + rng.randbytes(20)): "tron",
        cs.segwit_encode("bc", 0, rng.randbytes(20)): "btc-p2wpkh",
        cs.segwit_encode("bc", 0, rng.randbytes(32)): "btc-p2wsh",
        cs.segwit_encode("bc", 1, rng.randbytes(32)): "btc-p2tr",
        cs.segwit_encode("bc", 5, rng.randbytes(12)): "btc-segwit",
        cs.segwit_encode("tb", 0, rng.randbytes(20)): "btc-testnet",
        cs.xmr_encode(18, rng.randbytes(64)): "xmr",
        cs.xmr_encode(42, rng.randbytes(64)): "xmr-subaddress",
        cs.xmr_encode(19, rng.randbytes(72)): "xmr-integrated",
        cs.eip55(rng.randbytes(20).hex()): "evm",
    }
    text = " | ".join(addrs)
    found = crypto(text)
    assert [(f.value, f.subkind, f.validity) for f in found] == [
        (a, s, "verified") for a, s in addrs.items()
    ]
    for f in found:
        assert text[f.start : f.end] == f.value


def test_evm_cases() -> None:
    addr = EIP55[0]
    low, up = "0x" + addr[2:].lower(), "0x" + addr[2:].upper()
    found = crypto(f"{addr} {low} {up}")
    assert [(f.value, f.validity) for f in found] == [
        (addr, "verified"),
        (addr, "unverified"),
        (addr, "unverified"),
    ]
    flipped = addr[:3] + addr[3].swapcase() + addr[4:]  # 'a' -> 'A'
    assert crypto(f"to {flipped}") == []
    assert crypto("tx 0x" + "ab" * 32) == []
    assert crypto("0x" + "ab" * 20 + "c") == []


def test_upper_case_bech32_that_is_also_base58() -> None:
    """An upper-case Bech32 address without 0 is also a Base58 run: one hit per pattern for
    one span, reported once, as Bitcoin."""
    addr = "BC1QHSNXS3AU72NEGJQ8KE8DT2FRW8YY2DMJYSELA5"
    found = crypto(f"SOL or BTC: {addr}")
    assert [(f.value, f.subkind) for f in found] == [(addr.lower(), "btc-p2wpkh")]


def test_boundaries() -> None:
    boat = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"
    f = one(f"地址：{boat}。")
    assert (f.start, f.end) == (3, 3 + len(boat))
    assert one(f"钱包{boat}谢谢").value == boat
    assert one(f"«{boat}»").value == boat
    assert crypto(f"x{boat}") == []
    assert crypto(f"{boat}x") == []
    assert crypto(f"_{boat}") == []
    assert crypto(f"café{boat}") == []  # glued to a Latin word
    assert crypto(f"адрес{boat}") == []  # glued to a Cyrillic word


def test_solana_window() -> None:
    addr = cs.b58encode(random.Random(3).randbytes(32))
    gap = " " * SOL_WINDOW
    assert one(f"SOL{gap}{addr}").subkind == "sol"  # exactly SOL_WINDOW characters between
    assert crypto(f"SOL {gap}{addr}") == []  # one further
    assert one(f"{addr}{gap}solana").validity == "unverified"
    assert crypto(f"{addr} {gap}solana") == []
    assert crypto(f"{addr} solution") == []
    assert crypto(f"parasol {addr}") == []
    assert crypto(f"SOL: {addr}xyz") == []  # 45+ characters: not a candidate
    assert crypto("sol 11111111111111111111111111111111") == []  # all digits: not reported
    assert crypto(f"SOL data:{addr}+{addr}==") == []  # pieces of a Base64 blob


def test_through_the_registry() -> None:
    """The extractor is registered: the whole extraction reports it too."""
    boat = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"
    found = [f for f in extract(f"donate: {boat}") if f.kind == "crypto"]
    assert [(f.value, f.subkind) for f in found] == [(boat, "btc-p2pkh")]


# ---------------------------------------------------------------- properties


def _raw_matches(text: str, f: Found) -> bool:
    assert f.start is not None and f.end is not None
    raw = text[f.start : f.end]
    if f.subkind == "evm":
        return raw.startswith("0x") and cs.eip55(raw[2:]) == f.value
    if f.subkind in SEGWIT:
        return raw.lower() == f.value
    return raw == f.value


def _address(kind: int, payload: bytes) -> tuple[str, str]:
    if kind == 0:
        return cs.b58check_encode(b"\x00" + payload[:20]), "btc-p2pkh"
    if kind == 1:
        return cs.b58check_encode(b"\x05" + payload[:20]), "btc-p2sh"
    if kind == 2:
        return cs.b58check_encode(b"\x41" + payload[:20]), "tron"
    if kind == 3:
        return cs.segwit_encode("bc", 0, payload[:20]), "btc-p2wpkh"
    if kind == 4:
        return cs.segwit_encode("bc", 1, payload[:32]), "btc-p2tr"
    if kind == 5:
        return cs.xmr_encode(18, payload), "xmr"
    return cs.eip55(payload[:20].hex()), "evm"


FAST = settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


@FAST
@given(
    st.lists(
        st.tuples(st.text(max_size=30), st.integers(0, 6), st.binary(min_size=64, max_size=64)),
        max_size=6,
    )
)
def test_generated_addresses_are_found(parts: list[tuple[str, int, bytes]]) -> None:
    text = ""
    want = []
    for filler, kind, payload in parts:
        addr, subkind = _address(kind, payload)
        text += filler + " " + addr + " "
        want.append((addr.lower() if subkind in SEGWIT else addr, subkind))
    found = crypto(text)
    for f in found:
        assert _raw_matches(text, f)
    got = [(f.value, f.subkind) for f in found]
    for w in want:
        assert w in got


@FAST
@given(st.integers(0, 6), st.binary(min_size=64, max_size=64), st.integers(0, 200))
def test_one_substitution_is_rejected(kind: int, payload: bytes, where: int) -> None:
    addr, subkind = _address(kind, payload)
    if subkind == "evm":
        letters = [i for i, c in enumerate(addr) if i > 1 and c.isalpha()]
        if not letters:
            return
        i = letters[where % len(letters)]
        bad = addr[:i] + addr[i].swapcase() + addr[i + 1 :]
        found = crypto(f" {bad} ")
        digits = bad[2:]
        if digits in (digits.lower(), digits.upper()):  # the flip left one case: no checksum
            assert [f.validity for f in found] == ["unverified"]
        else:
            assert found == []
        return
    alphabet = cs.BECH32_CHARSET if subkind in SEGWIT else cs.B58_ALPHABET
    i = 4 + where % (len(addr) - 4)
    c = alphabet[(alphabet.index(addr[i]) + 1 + where % 7) % len(alphabet)]
    bad = addr[:i] + c + addr[i + 1 :]
    assert crypto(f" {bad} ") == []


@FAST
@given(st.text(max_size=400))
def test_arbitrary_text(text: str) -> None:
    for f in crypto(text):
        assert _raw_matches(text, f)


ALPHABET = st.sampled_from(list("13Tbc0x48aAfF9qpzL1 .:，。地址sol\n+/=_-"))


@FAST
@given(st.lists(ALPHABET, max_size=600).map("".join))
def test_address_like_noise(text: str) -> None:
    for f in crypto(text):
        assert _raw_matches(text, f)


PATHOLOGICAL = [
    "a.a." * 250_000,
    "@" * 1_000_000,
    "[.]" * 330_000,
    "1" * 100_000,
    "9" * 100_000 + " 0x" + "f" * 100_000,
    ("bc1" + "q" * 60 + " ") * 15_000,
    ("1" + "A" * 33 + " ") * 30_000,
    ("SOL " + "A" * 43 + " ") * 20_000,
    "地址" * 300_000,
]


@pytest.mark.parametrize("text", PATHOLOGICAL, ids=lambda t: repr(t[:12]))
def test_pathological_inputs_terminate(text: str) -> None:
    t0 = time.perf_counter()
    found = crypto(text)
    assert time.perf_counter() - t0 < 5
    for f in found:
        assert _raw_matches(text, f)


def test_many_distinct_candidates() -> None:
    """A megabyte of distinct Base58 tokens of address length: each is decoded once."""
    rng = random.Random(5)
    tokens = ["1" + "".join(rng.choice(cs.B58_ALPHABET) for _ in range(33)) for _ in range(30_000)]
    text = " ".join(tokens)
    t0 = time.perf_counter()
    assert crypto(text) == []
    assert time.perf_counter() - t0 < 5
