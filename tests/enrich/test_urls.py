"""URLs and emails: onion checksums, the suffix-list trie, normalisation, links from markup,
and property tests (never raises, terminates on pathological input, offsets slice back to a
span that reads back to the same value)."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groundswell.enrich.indicators import domains
from groundswell.enrich.indicators.base import Found
from groundswell.enrich.indicators.scanner import Scanner
from groundswell.enrich.indicators.urls import (
    EXTRACTORS,
    EmailExtractor,
    UrlExtractor,
    href_indicator,
)

SCANNER = Scanner(EXTRACTORS)


def run(text: str) -> list[Found]:
    """The URL and email extractors alone, through a real Hyperscan scan."""
    return SCANNER.extract(text)


def urls(text: str) -> list[Found]:
    return [f for f in run(text) if f.kind == "url"]


def one(text: str, kind: str = "url") -> Found:
    found = [f for f in run(text) if f.kind == kind]
    assert len(found) == 1, found
    return found[0]


def test_registry() -> None:
    assert [type(e) for e in EXTRACTORS] == [UrlExtractor, EmailExtractor]
    assert UrlExtractor.kind == "url" and EmailExtractor.kind == "email"


# ---------------------------------------------------------------- onion addresses

RNG = random.Random(7)
KEYS = [bytes(RNG.getrandbits(8) for _ in range(32)) for _ in range(20)]


@pytest.mark.parametrize("key", KEYS)
def test_onion_v3_checksum(key: bytes) -> None:
    host = domains.onion_address(key)
    label = host.removesuffix(".onion")
    assert len(label) == 56
    assert domains.onion_validity(label) == "verified"
    assert domains.onion_validity(label.upper()) == "verified"
    for i in (0, 17, 43, 52):  # any changed character breaks key, checksum or version
        swapped = label[:i] + ("a" if label[i] != "a" else "b") + label[i + 1 :]
        assert domains.onion_validity(swapped) == "invalid"


def test_onion_version_byte_must_be_3() -> None:
    import base64
    import hashlib

    key = KEYS[0]
    version = b"\x02"
    checksum = hashlib.sha3_256(b".onion checksum" + key + version).digest()[:2]
    label = base64.b32encode(key + checksum + version).decode().lower()
    assert domains.onion_validity(label) == "invalid"


def test_onion_shapes() -> None:
    assert domains.onion_validity("32dp4qb4bs7l35vo") == "unverified"  # v2: no checksum
    assert domains.onion_validity("shop") == "invalid"
    assert domains.onion_validity("1" * 56) == "invalid"  # not base32
    with pytest.raises(ValueError):
        domains.onion_address(b"short")


def test_onion_in_text() -> None:
    host = domains.onion_address(KEYS[1])
    f = one(f"mirror: http://{host}/board")
    assert (f.network, f.validity, f.domain, f.suffix) == ("tor", "verified", host, "onion")
    bad = host[:10] + ("a" if host[10] != "a" else "b") + host[11:]
    assert one(f"mirror: {bad}").validity == "invalid"
    assert one("http://forum.i2p/").network == "i2p"
    assert one("https://example.com/").network == "clearnet"
    assert one("https://example.com/").validity is None


# ---------------------------------------------------------------- suffix list and hosts


def test_tld_trie_matches_exactly_the_labels() -> None:
    sample = {"com", "co", "uk", "xn--p1ai", "onion", "amsterdam", "a1b", "c-d"}
    rx = re.compile(rb"(?:" + domains.tld_alternation(sample) + rb")\Z")
    for label in sample:
        assert rx.match(label.encode())
    for other in ("c", "cm", "comm", "xn--", "ukk", "am", "c-"):
        assert not rx.match(other.encode()), other
    big = re.compile(rb"(?:" + domains.tld_alternation(domains.ASCII_TLDS) + rb")\Z")
    assert all(big.match(t.encode()) for t in domains.ASCII_TLDS)
    assert not big.match(b"notatld")


def test_suffix_list_is_the_bundled_snapshot() -> None:
    assert {"com", "uk", "onion", "i2p", "xn--p1ai", "amsterdam"} <= domains.ASCII_TLDS
    assert "рф" in domains.SPACED_IDN_TLDS and "中国" not in domains.SPACED_IDN_TLDS
    assert domains.registrable("forums.example.co.uk") == ("example.co.uk", "co.uk")
    assert domains.registrable("someone.github.io") == ("someone.github.io", "github.io")
    assert domains.registrable("a.docs.example") == ("docs.example", "example")  # rule "*"
    assert domains.registrable("localhost") == (None, None)
    assert domains.registrable("x.forum.i2p") == ("forum.i2p", "i2p")
    assert domains.registrable("co.uk") == (None, "co.uk")


def test_host_info() -> None:
    info = domains.host_info("Bücher.Example.DE")
    assert info is not None
    assert (info.host, info.domain, info.suffix) == (
        "xn--bcher-kva.example.de",
        "example.de",
        "de",
    )
    assert domains.host_info("[2001:DB8::1]") is not None
    assert domains.host_info("[2001:db8::1]").host == "[2001:db8::1]"  # type: ignore[union-attr]
    assert domains.host_info("[zz::1]") is None
    assert domains.host_info("192.0.2.1").ip  # type: ignore[union-attr]
    assert domains.host_info("999.0.2.1") is None
    assert domains.host_info("-bad.example.com") is None
    assert domains.host_info("a" * 64 + ".com") is None


# ---------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("HTTPS://WWW.EXAMPLE.COM", "https://www.example.com/"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80", "http://example.com/"),
        ("ftp://example.com:21/f", "ftp://example.com/f"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com./a", "http://example.com/a"),
        ("https://example.com/a#frag", "https://example.com/a"),
        ("https://example.com/a?x=1&amp;y=2", "https://example.com/a?x=1&y=2"),
        ("hxxps://example[.]com/a[.]php", "https://example.com/a.php"),
        ("www.example.com", "http://www.example.com/"),
        ("example.com", "http://example.com/"),
        ("https://bücher.de/", "https://xn--bcher-kva.de/"),
    ],
)
def test_value(text: str, value: str) -> None:
    assert one(text).value == value


def test_fields() -> None:
    f = one("see https://cdn.example.co.uk/v/clip.MP4?x=1 now")
    assert f == Found(
        "url",
        "https://cdn.example.co.uk/v/clip.MP4?x=1",
        4,
        44,
        host="cdn.example.co.uk",
        domain="example.co.uk",
        suffix="co.uk",
        extension="mp4",
        network="clearnet",
    )
    e = one("mail Ann@Example.org.", "email")
    assert e == Found(
        "email", "ann@example.org", 5, 20, host="example.org", domain="example.org", suffix="org"
    )


def test_no_duplicates_within_a_url() -> None:
    text = "https://www.example.co.uk/a/b.com/c.net hxxp://x[.]example[.]org/y.zip"
    assert [f.value for f in urls(text)] == [
        "https://www.example.co.uk/a/b.com/c.net",
        "http://x.example.org/y.zip",
    ]


# ---------------------------------------------------------------- links from markup


def test_href_indicator() -> None:
    f = href_indicator("https://Pics.Example.NET:443/b/boat.PNG#top")
    assert f == Found(
        "url",
        "https://pics.example.net/b/boat.PNG",
        None,
        None,
        host="pics.example.net",
        domain="example.net",
        suffix="net",
        extension="png",
        network="clearnet",
    )
    for relative in ("/b/boat.png", "boat.png", "//example.com/x", "mailto:a@example.com", ""):
        assert href_indicator(relative) is None
    assert href_indicator("javascript:alert(1)") is None
    assert href_indicator("https://exa mple.com/") is None
    assert href_indicator("http://[::1]:99999/") is None
    assert href_indicator("ftp://files.example.org/pub/a.zip").extension == "zip"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a?b=1",
        "http://example.com:8080/",
        "https://user@example.com/x",
        "http://192.0.2.1/x",
        "https://xn--bcher-kva.de/k",
        "https://example.com",
    ],
)
def test_href_matches_text_value(url: str) -> None:
    """A link in the markup and the same link in the text get the same value, so the
    enrichment step can tell whether the text already holds it."""
    h = href_indicator(url)
    assert h is not None
    assert h.value == one(f"see {url} now").value


# ---------------------------------------------------------------- properties

FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
PIECES = st.sampled_from(
    [
        "http",
        "hxxps",
        "://",
        "[:]//",
        "www",
        ".",
        "[.]",
        "(.)",
        "[dot]",
        " dot ",
        "[at]",
        "@",
        "example",
        "com",
        "co",
        "uk",
        "onion",
        "рф",
        "пример",
        "中国",
        "访问",
        "。",
        "」",
        "/",
        "?",
        "#",
        ":",
        "8080",
        "(",
        ")",
        "[",
        "]",
        "'",
        '"',
        "<",
        ">",
        ",",
        " ",
        "\n",
        "a",
        "Z",
        "-",
        "_",
        "%20",
        "&amp;",
        "ü",
        "7",
        "zip",
        "io",
    ]
)
URLISH = st.lists(PIECES, max_size=60).map("".join)


def _check_spans(text: str, found: list[Found]) -> None:
    for f in found:
        assert f.start is not None and f.end is not None
        assert 0 <= f.start < f.end <= len(text)
        raw = text[f.start : f.end]
        assert raw == raw.strip(), raw
        assert raw[-1] not in ".,;:!?'\"", raw
        if f.kind == "url":
            assert f.value.startswith(("http://", "https://", "ftp://", "ftps://", "sftp://"))
            assert f.host is not None and f.host == f.host.lower() and f.host.isascii()
            assert "#" not in f.value
        else:
            assert f.value == f.value.lower() and "@" in f.value


def _reads_back(text: str, found: list[Found]) -> None:
    """A URL's span, cut out of its text and read alone, gives the same URL."""
    for f in found:
        if f.kind != "url":
            continue
        raw = text[f.start : f.end]
        again = urls(raw)
        assert again, raw
        assert (again[0].value, again[0].start, again[0].end) == (f.value, 0, len(raw)), raw


@FAST
@given(st.text(max_size=300))
def test_never_raises_on_any_text(text: str) -> None:
    _check_spans(text, run(text))


@FAST
@given(URLISH)
def test_spans_on_url_like_text(text: str) -> None:
    found = run(text)
    _check_spans(text, found)
    _reads_back(text, found)


@FAST
@given(
    st.sampled_from(["", "see ", "访问", "(", "«", "「", '"', "<", "\n"]),
    st.sampled_from(
        [
            "https://example.com/a/b.jpg",
            "www.example.org/x?y=1",
            "example.co.uk/p",
            "hxxps://example[.]com/z",
            "https://ru.wikipedia.org/wiki/Москва",
            "https://en.wikipedia.org/wiki/Foo_(bar)",
        ]
    ),
    st.sampled_from(["", ".", ",", "!", "?", ")", "」", "。", "获取", '"', ">", "'", ":", "..."]),
)
def test_boundaries(before: str, url: str, after: str) -> None:
    """A URL between any opening and closing context is found exactly."""
    text = before + url + after
    found = urls(text)
    assert len(found) == 1, (text, found)
    assert text[found[0].start : found[0].end] == url


PATHOLOGICAL = [
    "a." * 500_000,
    "a.co." * 200_000,
    "@" * 1_000_000,
    "[.]" * 333_333,
    "7" * 1_000_000,
    "1." * 500_000,
    "a@" * 100_000,
    "http:" * 100_000,
    "hxxp://" + "a[.]" * 100_000,
    "https://example.com/" + "(" * 200_000,
    "https://example.com/" + ")" * 200_000,
    "x@" + "a." * 100_000 + "com",
    "ё.рф" * 100_000,
    "www." * 100_000,
    "a[at]" * 100_000,
]


@pytest.mark.parametrize("text", PATHOLOGICAL, ids=[t[:12] for t in PATHOLOGICAL])
def test_pathological_input_terminates(text: str) -> None:
    _check_spans(text, run(text))
