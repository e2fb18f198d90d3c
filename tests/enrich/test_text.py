"""Folding, the content hash and SimHash signatures."""

from __future__ import annotations

import itertools

import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from groundswell.enrich.text import MAX_FEATURES, content_hash, fold, simhashes, tokens


def distance(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()


def test_fold_is_one_for_one() -> None:
    assert fold("Crème Brûlée") == "creme brulee"
    assert fold("ЁЛКА мой") == "елка мой"  # й is a letter of its own
    assert fold("ＣＯＶＩＤ") == "covid"
    assert fold("İstanbul Straße") == "istanbul straße"


@given(st.text(max_size=300))
@settings(max_examples=300)
def test_fold_keeps_offsets(text: str) -> None:
    assert len(fold(text)) == len(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab \t\r\n\x0b\x1c\u00a0\u2028\u3000\ud800é")))
def test_content_hash_is_the_hash_of_single_spaced_words(text: str) -> None:
    words = " ".join(text.split()).encode("utf-8", "surrogatepass")
    assert content_hash(text) == xxhash.xxh3_64_intdigest(words) - (1 << 63)


def test_content_hash_ignores_case_spacing_and_width() -> None:
    a = content_hash(fold("Join the  rally\non Saturday!"))
    assert a == content_hash(fold("join the rally on saturday!"))
    assert a == content_hash(fold("ＪＯＩＮ the rally on Saturday!"))
    assert a == content_hash(fold("Jóin the rally on Saturday!"))
    assert a != content_hash(fold("join the rally on sunday!"))
    assert -(1 << 63) <= a < (1 << 63)


def test_simhash_separates_near_duplicates_from_other_texts() -> None:
    base = (
        "Everyone should come to the town hall meeting on Friday to talk about the new park, "
        "the playground by the river and the plans for the old library building next to the "
        "market square"
    )
    texts = [
        base,
        base + " @neighbour",
        base.replace("Friday", "Thursday"),
        "The bakery on the corner has a new sourdough and it sells out by nine every morning",
        "新冠疫情期间请大家注意安全，出门戴口罩，勤洗手",
        "新冠疫情期间请大家注意安全，出门戴口罩，勤洗手！！",
        "",
        "!!!",
        "word",
    ]
    sig = simhashes([fold(t) for t in texts])
    assert all(isinstance(s, int) for s in sig[:6]) and sig[6] is None and sig[7] is None
    # one changed word in 36 moves a few bits; an unrelated text about half of them
    assert distance(sig[0], sig[1]) <= 12
    assert distance(sig[0], sig[2]) <= 12
    assert distance(sig[0], sig[3]) >= 20
    assert distance(sig[4], sig[5]) == 0  # punctuation is not a token
    assert sig == simhashes([fold(t) for t in texts])  # deterministic
    assert simhashes([fold(texts[3])]) == sig[3:4]  # independent of the batch


def test_cjk_characters_are_tokens() -> None:
    assert tokens("访问example.com获取") == [
        "访".encode(),
        "问".encode(),
        b"example",
        b"com",
        "获".encode(),
        "取".encode(),
    ]


@given(st.lists(st.text(max_size=200), max_size=20))
@settings(max_examples=200)
def test_simhash_never_fails(texts: list[str]) -> None:
    sig = simhashes(texts)
    assert len(sig) == len(texts)
    assert all(s is None or -(1 << 63) <= s < (1 << 63) for s in sig)


def test_huge_text_is_capped() -> None:
    assert simhashes(["word " * 2_000_000])[0] == simhashes(["word " * 1000])[0]


# --- a plain-Python SimHash, the definition the vectorised one must equal -----------------
M64 = (1 << 64) - 1


def _mix64(h: int) -> int:
    h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & M64
    h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & M64
    return h ^ (h >> 31)


def _token_hash(token: bytes) -> int:
    """The first 64 bytes in 8-byte little-endian words w0, w1 ...: ((w0 * K + w1) * K + w2) ..."""
    token = token[:64]
    h = int.from_bytes(token[:8], "little")
    for c in range(8, len(token), 8):
        h = (h * 0x9E3779B97F4A7C15 + int.from_bytes(token[c : c + 8], "little")) & M64
    return h


def reference_simhash(folded: str) -> int | None:
    hashes = [_token_hash(t) for t in tokens(folded)][: MAX_FEATURES + 1]
    if not hashes:
        return None
    if len(hashes) == 1:
        feats = [_mix64(hashes[0])]
    else:
        feats = [
            _mix64((_mix64(a) * 0x9E3779B97F4A7C15 + b) & M64)
            for a, b in itertools.pairwise(hashes)
        ]
    sig = 0
    for bit in range(64):
        if 2 * sum((f >> bit) & 1 for f in feats) > len(feats):
            sig |= 1 << bit
    return sig - (1 << 64) if sig >= 1 << 63 else sig


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(max_size=120)
        | st.sampled_from(["新冠疫情期间", "x" * 70, "a b", "abcdefgh abcdefghi", "é" * 40]),
        max_size=8,
    )
)
def test_simhash_equals_its_plain_definition(texts: list[str]) -> None:
    folded = [fold(t) for t in texts]
    assert simhashes(folded) == [reference_simhash(f) for f in folded]
