"""Host names: the bundled Public Suffix List, IDNA, registrable domains and onion addresses.

Everything here works offline: the suffix list is the snapshot that ships inside
``tldextract`` (``suffix_list_urls=()`` and no cache directory, so nothing is ever fetched),
with the private section included (``foo.github.io`` is its own registrable domain).

Per-host work is memoised: a host repeated across a batch costs one lookup.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import re
from functools import lru_cache
from typing import Any, NamedTuple

import idna
import tldextract

__all__ = [
    "ASCII_TLDS",
    "FILE_TLDS",
    "SPACED_IDN_TLDS",
    "HostInfo",
    "host_info",
    "onion_address",
    "onion_validity",
    "registrable",
    "tld_alternation",
    "to_ascii",
]

_EXTRACT = tldextract.TLDExtract(
    suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
)
_PSL = _EXTRACT._get_tld_extractor()  # the snapshot's rule sets, loaded once

# The top-level labels of the ICANN section, plus the special-use onion and i2p.
_TOPS: frozenset[str] = frozenset(s.rsplit(".", 1)[-1] for s in _PSL.public_tlds) | {
    "onion",
    "i2p",
}
_ASCII_RE = re.compile(r"[a-z0-9-]+")
_UNICODE_TOPS = sorted(t for t in _TOPS if not _ASCII_RE.fullmatch(t))
# Scripts written without spaces between words: a host cannot be told from the text glued to it.
_GLUED_SCRIPT = re.compile(r"[\u0e00-\u0eff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")

#: Every top-level label in ASCII (IDN ones in their ``xn--`` form), lower-case.
ASCII_TLDS: frozenset[str] = frozenset(
    [t for t in _TOPS if _ASCII_RE.fullmatch(t)]
    + [idna.encode(t, uts46=True).decode("ascii") for t in _UNICODE_TOPS]
)
#: IDN top-level labels in scripts written with spaces (Cyrillic, Greek, Arabic, Hebrew,
#: Indic ...): a bare host may end in one of them (``пример.рф``).
SPACED_IDN_TLDS: frozenset[str] = frozenset(t for t in _UNICODE_TOPS if not _GLUED_SCRIPT.search(t))
#: Top-level labels that are also common file extensions (``setup.py``, ``a.zip``,
#: ``README.md``, ``libc.so``, ``Makefile.in``): a host without scheme or ``www.`` ending in
#: one of these as its whole public suffix is a URL only when a path follows (``docs.rs/x``).
FILE_TLDS: frozenset[str] = frozenset(
    "zip mov py pl pm rs sh md ml mm cc ps ai app so in am ac mk tf cab run pt as sc cr gd java "
    "mobi sv target".split()
)


def tld_alternation(tlds: frozenset[str] | set[str]) -> bytes:
    """A regular expression (bytes) matching exactly the given labels, written as a trie:
    Hyperscan compiles a trie of 1,400 labels in under half a second, a flat alternation of
    the same labels in about three."""
    root: dict[str, Any] = {}
    for word in tlds:
        node = root
        for ch in word.encode("utf-8").hex(" ").split(" "):
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [
            (chr(int(k, 16)) if chr(int(k, 16)).isalnum() and int(k, 16) < 128 else f"\\x{k}")
            + emit(child)
            for k, child in sorted(node.items())
            if k
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(root).encode("ascii")


@lru_cache(maxsize=1 << 16)
def to_ascii(host: str) -> str | None:
    """The lower-case ASCII (IDNA, ``xn--``) form of a host, or None when it has none."""
    if host.isascii():
        return host.lower()
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        try:
            return host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            return None


@lru_cache(maxsize=1 << 16)
def registrable(host: str) -> tuple[str | None, str | None]:
    """(registrable domain, public suffix) of an ASCII host name, by the Public Suffix List
    algorithm: the longest listed rule that matches (private section included); when no rule
    matches, the list's default rule ``*`` makes the top-level label the suffix
    (``docs.example`` -> ``example``, ``forum.i2p`` -> ``i2p``; ``<52 chars>.b32.i2p`` ->
    ``b32.i2p``). (None, suffix) when the host *is* a public suffix; (None, None) for a
    single label (``localhost``)."""
    ext = _EXTRACT.extract_str(host)
    if ext.suffix:
        return ext.top_domain_under_public_suffix or None, ext.suffix
    labels = host.split(".")
    if len(labels) < 2:
        return None, None
    if labels[-1] == "i2p" and labels[-2] == "b32":
        if len(labels) < 3:
            return None, "b32.i2p"
        return ".".join(labels[-3:]), "b32.i2p"
    return ".".join(labels[-2:]), labels[-1]


_B32 = re.compile(r"[a-z2-7]+")


def onion_validity(label: str) -> str:
    """Validity of the service label of an onion host (the label before ``.onion``):

    - 56 base32 characters (v3): ``verified`` when the version byte is 3 and the checksum is
      ``SHA3-256(".onion checksum" | pubkey | version)[:2]`` (Tor rend-spec-v3), else
      ``invalid``;
    - 16 base32 characters (v2, retired in 2021, no checksum): ``unverified``;
    - anything else: ``invalid``.
    """
    label = label.lower()
    if len(label) == 16 and _B32.fullmatch(label):
        return "unverified"
    if len(label) != 56 or not _B32.fullmatch(label):
        return "invalid"
    try:
        raw = base64.b32decode(label.upper())
    except binascii.Error:
        return "invalid"
    pubkey, checksum, version = raw[:32], raw[32:34], raw[34:]
    if version != b"\x03":
        return "invalid"
    digest = hashlib.sha3_256(b".onion checksum" + pubkey + version).digest()
    return "verified" if digest[:2] == checksum else "invalid"


def onion_address(pubkey: bytes) -> str:
    """The v3 onion host (``<56 chars>.onion``) of a 32-byte ed25519 public key (for tests and
    fixtures)."""
    if len(pubkey) != 32:
        raise ValueError("an onion v3 public key is 32 bytes")
    version = b"\x03"
    checksum = hashlib.sha3_256(b".onion checksum" + pubkey + version).digest()[:2]
    return base64.b32encode(pubkey + checksum + version).decode("ascii").lower() + ".onion"


class HostInfo(NamedTuple):
    """What a host says about itself (all names ASCII, lower-case)."""

    host: str
    domain: str | None
    suffix: str | None
    network: str  # clearnet | tor | i2p
    validity: str | None  # onion only
    ip: bool  # an IPv4 or IPv6 literal
    tld: str  # the last label ("" for an IP)


_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


@lru_cache(maxsize=1 << 16)
def host_info(host: str) -> HostInfo | None:
    """Facts about a host as written with ordinary dots (any case, Unicode or ``xn--``, no
    trailing dot); None when it is not a well-formed host name or IP literal."""
    if host.startswith("["):
        try:
            addr = ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return None
        return HostInfo(f"[{addr.compressed}]", None, None, "clearnet", None, True, "")
    if _IPV4.fullmatch(host):
        return HostInfo(host, None, None, "clearnet", None, True, "")
    ascii_host = to_ascii(host)
    if ascii_host is None or len(ascii_host) > 253:
        return None
    labels = ascii_host.split(".")
    for label in labels:
        if not label or len(label) > 63 or label[0] == "-" or label[-1] == "-":
            return None
    tld = labels[-1]
    if tld.isdigit():
        return None  # a dotted number that is not an IPv4 address
    domain, suffix = registrable(ascii_host)
    if tld == "onion":
        network = "tor"
        validity: str | None = onion_validity(labels[-2]) if len(labels) > 1 else "invalid"
    elif tld == "i2p":
        network, validity = "i2p", None
    else:
        network, validity = "clearnet", None
    return HostInfo(ascii_host, domain, suffix, network, validity, False, tld)
