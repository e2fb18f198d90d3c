"""URLs and email addresses (see ``docs/indicators/urls.md``).

Anchors (Hyperscan, over UTF-8 bytes; every anchor starts and ends on a character boundary):

- a scheme, plain or defanged: ``http:``, ``hxxps[:]``, ``ftp(:)`` ...;
- ``www dot``, and ``www.`` before a host with an upper-case letter where its top-level
  label starts (``WWW.EXAMPLE.COM``): other ``www.`` hosts are found from their top-level
  label or defanged dot, like any host, so a link costs one anchor less;
- a host of ASCII labels ending in a top-level label of the bundled Public Suffix List and a
  word end (``e.com``, ``e.co``, ``e.xn--p1ai``; the alternation is compiled as a trie, in
  under half a second), unless the host follows a ``/``: a bare host never does, so the host
  of a URL written with its scheme costs no second anchor, nor does a file name in its path.
  This anchor has no start of match (a cheaper scan): Python finds the host's start. Or a
  two-byte letter (accented Latin, Greek, Cyrillic ...), a dot and a lower-case ASCII label,
  checked in Python (``ü.de``);
- a dot followed by an IDN top-level label of a script written with spaces (``.рф``);
- a defanged dot: ``[.]``, ``(.)``, ``{.}``, ``[dot]``, ``(dot)``, ``{dot}``.

From an anchor, Python finds the start of the host (walking back over host characters for
the dot anchors), matches the whole URL forward with one precompiled ``re``, trims what is
not part of it (sentence punctuation, unbalanced closing brackets, HTML entity remnants) and
validates the host (public suffix, IDNA, IP literal, onion checksum). Host facts are memoised.
The common form (``http(s)://``, ASCII host, no port nor user, ASCII path, then a character
that ends every form) is read with a simpler expression first.

Emails are anchored on ``x@y`` and on defanged at-signs (``[at]``, ``(at)``, ``[@]`` ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import ClassVar
from urllib.parse import urlsplit

from groundswell.enrich.indicators.base import Extractor, Found, Hit, Hits, Post
from groundswell.enrich.indicators.domains import (
    ASCII_TLDS,
    FILE_TLDS,
    SPACED_IDN_TLDS,
    HostInfo,
    host_info,
    tld_alternation,
    to_ascii,
)

__all__ = ["EXTENSIONS", "EXTRACTORS", "EmailExtractor", "UrlExtractor", "href_indicator"]

# --- character classes (bodies of [...] in Python re) -----------------------------------
# Letters of scripts written with spaces between words: Latin with diacritics, IPA, combining
# marks, Greek, Cyrillic, Armenian, Hebrew, Arabic, Indic. Chinese, Japanese, Korean and Thai
# are not among them: text in those scripts glues words together, so a URL ends where they
# begin.
LETTERS = (
    "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02af\u0300-\u036f\u0386\u0388-\u03ce\u03d0-\u03ff"
    "\u0400-\u0481\u048a-\u052f\u0531-\u0556\u0561-\u0587\u05d0-\u05ea\u0620-\u064a"
    "\u0660-\u0669\u066e-\u06d3\u06fa-\u06ff\u0900-\u0963\u0966-\u096f\u0980-\u0dff"
    "\u1e00-\u1eff"
)
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_LC = "0-9A-Za-z\\-" + LETTERS  # host label characters
_PATH = "A-Za-z0-9\\-._~:/?#\\[\\]@!$&'()*+,;=%" + LETTERS  # path, query, fragment
_LOCAL = "A-Za-z0-9._%+\\-" + LETTERS  # email local part (the usual subset of RFC 5322)

# a defanged dot: [.] (.) {.} [dot] (dot) {dot}, and "dot" in Dutch, Indonesian, Russian, Chinese
_DOT_WORDS = ("dot", "punt", "titik", "точка")
_DOTTOK = r"[\[\(\{](?:\.|(?i:" + "|".join(_DOT_WORDS) + r")|点)[\]\)\}]"
_DOTTOK_REV = r"[\]\)\}](?:\.|(?i:" + "|".join(w[::-1] for w in _DOT_WORDS) + r")|点)[\[\(\{]"
_SEP = rf"(?:\.| ?(?:{_DOTTOK}) ?)"  # between labels
_SEP_WORD = rf"(?:\.| ?(?:{_DOTTOK}) ?| (?i:dot) )"  # also " dot " (defanged context only)
_SEP_ANY = re.compile(rf"\.| ?(?:{_DOTTOK}) ?| (?i:dot) ")

_SCHEME = (
    r"(?P<scheme>(?i:h[tx][tx]ps?|f[tx]ps?|sftp))"
    r"(?P<sep>://|\[:\]//|\(:\)//|\{:\}//|\[://\]|\[:/\]/|:\[//\])"
)
_USER = r"(?P<user>[A-Za-z0-9\-._~!$&'*+,;=%:]{1,64})@"
_LABEL = f"[{_LC}]+"
_HOST = "(?P<host>" + _LABEL + "(?:{sep}" + _LABEL + ")*)"
_LABEL_S = f"(?:[{_LC}]+|[{CJK}]+)"
_HOST_S = (
    r"(?:(?P<ip6>\[[0-9A-Fa-f:.]{{2,45}}\])|(?P<host>" + _LABEL_S + "(?:{sep}" + _LABEL_S + ")*))"
)
_TAIL = (
    r"(?:\.(?=[/:?#]))?"
    r"(?:(?::|\[:\])(?P<port>\d{1,5})(?![0-9A-Za-z]))?"
    rf"(?P<rest>[/?#][{_PATH}]*)?"
)

_REV_HOST = re.compile(rf" ?(?:[{_LC}]+|\.| ?(?:{_DOTTOK_REV}) ?)*")
_REV_LOCAL = re.compile(rf"(?:[{_LOCAL}]+|{_DOTTOK_REV})*")
_LEADING = frozenset(".-[({ ")
_RUN = re.compile(rf"(?:[{_LC}]+|\.| ?(?:{_DOTTOK}) ?)*")
_LEAD = re.compile(rf"(?:[.\- ]|{_DOTTOK})*")
_AT_BEFORE = re.compile(r"(?:@|[\[\(\{] ?(?i:at|@) ?[\]\)\}]) ?\Z")
_BRACKET = re.compile(r"[\[\]\(\)\{\}]")
_ENTITY = re.compile(r"&(?:quot|gt|lt|apos|#39|#34|#x27|#x22);", re.IGNORECASE)
_WWW = re.compile(r"(?i)www\d{0,3}")
_WWW_SEP = re.compile(rf"(?i)www\d{{0,3}}(?:\.| ?(?:{_DOTTOK}))")
_LABEL_CHAR = re.compile(rf"[{_LC}]")
_CJK_CHAR = re.compile(f"[{CJK}]")

# --- anchors ------------------------------------------------------------------------------
SCHEME, WWW, TLD, TLD_U, IDN_TLD, DEFANG = range(6)
PATTERNS: tuple[bytes, ...] = (
    rb"(?i)(?:h[tx][tx]ps?|s?f[tx]ps?)(?::|\[:|\(:|\{:)",
    rb"\b(?i:www)\d{0,3} (?i:dot) |\b[Ww]{3}\d{0,3}\.(?:[A-Za-z0-9-]+\.){1,4}[A-Z]",
    rb"(?:^|[^/A-Za-z0-9.\-])[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:"
    + tld_alternation(ASCII_TLDS)
    + rb")\b",
    rb"[\xc2-\xdf][\x80-\xbf]\.(?:[a-z][a-z0-9]{1,23}|xn--[a-z0-9-]{1,59})\b",
    rb"\.(?:" + tld_alternation(SPACED_IDN_TLDS) + rb")",
    rb"(?i)[\[\(\{](?:\.|dot|punt|titik|" + "точка|点".encode() + rb")[\]\)\}]",
)

#: File extensions reported in ``extension`` (lower-case, without the dot).
EXTENSIONS: frozenset[str] = frozenset(
    """jpg jpeg jpe jfif png gif webp bmp tif tiff svg ico heic heif avif raw psd
    mp4 m4v mov avi mkv webm wmv flv mpg mpeg 3gp ts m3u8 mp3 m4a wav ogg oga opus flac aac wma
    zip rar 7z tar gz tgz bz2 xz zst iso img dmg cab
    pdf doc docx xls xlsx ppt pptx odt ods odp rtf txt csv tsv epub mobi djvu md json xml
    exe msi apk ipa deb rpm jar bat cmd ps1 sh bin dll scr vbs js py
    html htm shtml xhtml php asp aspx jsp cgi pl css torrent""".split()
)
_DEFAULT_PORT = {"http": "80", "https": "443", "ftp": "21"}
_SCHEME_NORM = {"hxxp": "http", "hxxps": "https", "fxp": "ftp", "fxps": "ftps"}


class _SchemeTable(dict[str, tuple[str, bool]]):
    """Scheme as written -> (normal scheme, written defanged); filled on first use."""

    def __missing__(self, written: str) -> tuple[str, bool]:
        lower = written.lower()
        scheme = _SCHEME_NORM.get(lower, lower)
        self[written] = value = (scheme, scheme != lower)
        return value


_SCHEMES = _SchemeTable()
_new = tuple.__new__  # builds a Found without the Python frame of its generated __new__
_OPEN = {")": "(", "]": "[", "}": "{"}
_TRAIL = frozenset(".,:;!?'\"*")
_MARKUP_GAPS = frozenset(("](", '">', "'>", ">", '" >'))
_BEFORE_BARE = frozenset("@＠_/\\#$")  # a bare host glued to one of these is something else
_AFTER_BARE = frozenset("_@")

# forms of a URL candidate
BARE, WWWFORM, SCHEMEFORM, EMAILHOST = range(4)
MAX_URL = 4096  # characters: a URL is never read further than this from its start
_MAX_BACK = 320  # characters: longer than any host (253) or local part (64), with defanging
REJECT, LONG_RUN = -1, -2

# Regular expressions used at candidate positions. Groups, scheme forms: 1 scheme, 2 separator,
# 3 IPv6 literal, 4 host, 5 port, 6 rest (path, query, fragment); with userinfo, 3 is the
# userinfo and the others shift by one. Host forms: 1 host, 2 port, 3 rest.
_S = (
    re.compile(_SCHEME + _HOST_S.format(sep=_SEP) + _TAIL),
    re.compile(_SCHEME + _HOST_S.format(sep=_SEP_WORD) + _TAIL),
)
_SU = (
    re.compile(_SCHEME + _USER + _HOST_S.format(sep=_SEP) + _TAIL),
    re.compile(_SCHEME + _USER + _HOST_S.format(sep=_SEP_WORD) + _TAIL),
)
_H = (
    re.compile(_HOST.format(sep=_SEP) + _TAIL),
    re.compile(_HOST.format(sep=_SEP_WORD) + _TAIL),
)
_DEFANGED_HOST = re.compile(r"[\[\(\{ ]")
_S_MATCH = _S[0].match
_USER_NEXT = frozenset("@:")  # after a scheme URL's host: perhaps it was user[:password]@


@lru_cache(maxsize=1 << 16)
def _host_eval(raw: str, form: int) -> tuple[int, HostInfo, bool] | None:
    """Validate a host as written (labels and separators, perhaps defanged) for a candidate of
    ``form``. Returns (characters of ``raw`` that belong to the host, its facts, whether
    those characters are defanged): trailing labels that cannot end a host of this form are
    cut off (``example.com.Next`` is a host and a sentence); None when nothing is left."""
    defanged = _DEFANGED_HOST.search(raw) is not None
    if defanged:
        seps = list(_SEP_ANY.finditer(raw))
        labels = []
        prev = 0
        for m in seps:
            labels.append(raw[prev : m.start()])
            prev = m.end()
        labels.append(raw[prev:])
        ends = [m.start() for m in seps] + [len(raw)]
    else:
        labels = raw.split(".")
        ends = []
        pos = -1
        for label in labels:
            pos += len(label) + 1
            ends.append(pos)
    n = len(labels)
    last = labels[-1]
    if n > 1 and _CJK_CHAR.match(last) and to_ascii(last) not in ASCII_TLDS:
        # Chinese text glued to a Chinese top-level label: 例子.中国获取 -> 例子.中国
        for cut in range(len(last) - 1, 0, -1):
            if to_ascii(last[:cut]) in ASCII_TLDS:
                labels[-1] = last[:cut]
                ends[-1] -= len(last) - cut
                break
    while n:
        info = _accept(labels[:n], form, trimmed=n < len(labels))
        if info is not None:
            kept = ends[n - 1]
            if defanged:
                defanged = _DEFANGED_HOST.search(raw, 0, kept) is not None
            return kept, info, defanged
        n -= 1
    return None


def _accept(labels: list[str], form: int, trimmed: bool) -> HostInfo | None:
    last = labels[-1]
    ascii_last = to_ascii(last)
    if ascii_last is None:
        return None
    known = ascii_last in ASCII_TLDS
    n = len(labels)
    if (
        n > 2
        and last[:1].isupper()
        and not last.isupper()
        and labels[-2].islower()
        and to_ascii(labels[-2]) in ASCII_TLDS
    ):
        return None  # a run-on sentence: example.com.Next -> cut "Next"
    if form == SCHEMEFORM:
        if not known:
            if trimmed or (n == 1 and not last.isascii()):
                return None
            if not (
                ascii_last.isalpha()
                or ascii_last.startswith("xn--")
                or all(label.isdigit() for label in labels)
            ):
                return None
    else:
        if not known or n < 2:
            return None
        if form == BARE and last != last.lower():
            return None  # done.It, ASP.NET: bare hosts end in a lower-case label
    info = host_info(".".join(labels))
    if info is None or (form != SCHEMEFORM and (info.domain is None or info.ip)):
        return None
    if form == BARE and info.network == "tor" and len(info.host.split(".")[-2]) not in (16, 56):
        return None  # not the shape of an onion service name
    if form == WWWFORM and info.host == info.domain:
        return None  # www.zip, www.com: "www" is no host label here
    return info


def _back(text: str, pos: int, rx: re.Pattern[str] = _REV_HOST) -> int:
    """The start of the host-like run that ends at ``pos`` (exclusive); ``LONG_RUN`` when
    that run is longer than any host (or email local part) can be."""
    lo = pos - 64 if pos > 64 else 0
    n = rx.match(text[lo:pos][::-1]).end()  # type: ignore[union-attr]
    if n == pos - lo and lo:
        lo = max(0, pos - _MAX_BACK)
        n = rx.match(text[lo:pos][::-1]).end()  # type: ignore[union-attr]
        if n > _MAX_BACK - 8:  # (the last token may not fit the window whole)
            return LONG_RUN
    return pos - n


def _trim_rest(rest: str) -> str:
    """The path/query/fragment without what follows the URL in the sentence: from the first
    closing bracket that closes nothing opened in the URL (``(see https://e.com/x)``,
    ``[url=https://e.com/x]label[/url]``), from a BBCode closing tag (``[/``) or an HTML
    entity of a quote or angle bracket (``&quot;``, ``&gt;`` ...); then sentence punctuation
    at the end."""
    if "&" in rest:
        m = _ENTITY.search(rest)
        if m:
            rest = rest[: m.start()]
    if "[/" in rest:
        rest = rest[: rest.index("[/")]
    if ")" in rest or "]" in rest or "}" in rest:
        depth = {"(": 0, "[": 0, "{": 0}
        for m in _BRACKET.finditer(rest):
            c = m.group()
            if c in depth:
                depth[c] += 1
            elif depth[_OPEN[c]]:
                depth[_OPEN[c]] -= 1
            else:
                rest = rest[: m.start()]
                break
    while rest and rest[-1] in _TRAIL:
        rest = rest[:-1]
    return rest


def _normal(scheme: str, auth: str, rest: str, defanged: bool) -> tuple[str, str | None]:
    """(normalised URL, extension) of a URL whose scheme and authority (``host``,
    ``host:port``, ``user@host``) are already normal and whose path, query and fragment are
    ``rest`` as written: the fragment is dropped, ``&amp;`` unescaped, defanged dots in the
    path restored, an empty path written ``/``."""
    if not rest:
        return f"{scheme}://{auth}/", None
    if "#" in rest:
        rest = rest[: rest.index("#")]
    if "&amp;" in rest:
        rest = rest.replace("&amp;", "&")
    if defanged and "[" in rest:
        rest = rest.replace("[.]", ".")
    q = rest.find("?")
    path = rest if q < 0 else rest[:q]
    if not path:
        return f"{scheme}://{auth}/{rest}", None
    dot = path.rfind(".")
    ext = None
    if dot > path.rfind("/") + 1:
        ext = path[dot + 1 :].lower()
        if ext not in EXTENSIONS:
            ext = None
    return f"{scheme}://{auth}{rest}", ext


def _url(
    text: str,
    m: re.Match[str],
    g: int,
    start: int,
    host_end: int,
    info: HostInfo,
    whole: bool,
    scheme: str,
    user: str | None,
    defanged: bool,
    form: int,
) -> Found | None:
    """The URL of match ``m`` (port in group ``g``, rest in ``g + 1``) from ``start``;
    ``whole``: the host is the whole host of the match (nothing was cut off)."""
    host, domain, suffix, network, validity, _, _ = info
    auth = host
    end = host_end
    rest = ""
    if whole:
        port, rest = m.group(g, g + 1)
        if port is not None:
            if int(port) > 65535:
                rest = ""
            else:
                end = m.end(g)
                port = port.lstrip("0") or "0"
                if _DEFAULT_PORT.get(scheme) != port:
                    auth = f"{auth}:{port}"
        if rest:
            if rest[-1] in _TRAIL or "&" in rest or ")" in rest or "]" in rest:
                rest = _trim_rest(rest)
                if rest:
                    end = m.start(g + 1) + len(rest)
            else:
                end = m.end(g + 1)
        else:
            rest = ""
    if form == BARE:
        if not rest and end < len(text) and text[end] in _AFTER_BARE:
            return None
        if suffix in FILE_TLDS and not rest:
            return None  # setup.py, a.zip, README.md: file names unless a path follows
    if user:
        auth = f"{user}@{auth}"
    value, ext = _normal(scheme, auth, rest, defanged)
    return _new(
        Found,
        (
            "url",
            value,
            start,
            end,
            None,
            validity,
            None,
            host,
            domain,
            suffix,
            ext,
            network,
            defanged,
        ),
    )


def _scheme_url(text: str, s: int) -> Found | None:
    lean = _lean_url(text, s)
    if lean is not None:
        return lean
    m = _S_MATCH(text, s, s + MAX_URL)
    if m is None:
        return None
    written, sep, ip6, raw_host = m.group(1, 2, 3, 4)
    loose = sep != "://" or written[1] in "xX"
    if not loose and raw_host is not None and "." not in raw_host:
        he = m.end(4)
        loose = text[he : he + 5].lower() == " dot "  # http://example dot com
    g = 5
    user = None
    me = m.end()
    if text[me : me + 1] in _USER_NEXT:
        mu = _SU[loose].match(text, s, s + MAX_URL)
        if mu is not None:
            m, g = mu, 6
            user = m.group(3)
            ip6, raw_host = m.group(4, 5)
    elif loose:
        ml = _S[1].match(text, s, s + MAX_URL)
        if ml is None:  # pragma: no cover - the looser pattern matches wherever the other does
            return None
        m = ml
        ip6, raw_host = m.group(3, 4)
    scheme, defanged = _SCHEMES[written]
    defanged = defanged or sep != "://"
    if ip6 is not None:
        info = host_info(ip6)
        if info is None:
            return None
        return _url(text, m, g, s, m.end(g - 2), info, True, scheme, user, defanged, SCHEMEFORM)
    ev = _host_eval(raw_host, SCHEMEFORM)
    if ev is None:
        return None
    kept, info, host_defanged = ev
    return _url(
        text,
        m,
        g,
        s,
        m.start(g - 1) + kept,
        info,
        kept == len(raw_host),
        scheme,
        user,
        defanged or host_defanged,
        SCHEMEFORM,
    )


# The common case read without the general expression: http(s)://, ASCII host labels, no
# port, no user, an ASCII path, then a character that ends a URL of any form. Anything else
# takes the general path.
_LEAN = re.compile(
    r"(?i:(https?))://([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)(/[A-Za-z0-9\-._~/?#=&%+]*)?"
).match
_LEAN_END = re.compile(r"\Z|[\t\n\r\f\v\x00<>\"|\\^`}\u2000-\U0010ffff]| (?![\[\(\{])").match


def _lean_url(text: str, s: int) -> Found | None:
    """The URL at ``s`` when it is of the common form; None when it is not (or is no URL)."""
    m = _LEAN(text, s, s + MAX_URL)
    if m is None or _LEAN_END(text, m.end()) is None:
        return None
    scheme, raw_host, rest = m.group(1, 2, 3)
    ev = _host_eval(raw_host, SCHEMEFORM)
    if ev is None or ev[0] != len(raw_host):
        return None
    host, domain, suffix, network, validity, _, _ = ev[1]
    end = m.end()
    if rest is None:
        rest = ""
    elif rest[-1] in _TRAIL or "&" in rest:
        rest = _trim_rest(rest)
        end = m.start(3) + len(rest)
    value, ext = _normal(scheme.lower(), host, rest, False)
    return _new(
        Found,
        ("url", value, s, end, None, validity, None, host, domain, suffix, ext, network, False),
    )


def _host_url(text: str, start: int, anchor_end: int, form: int, loose: bool) -> Found | None:
    m = _H[loose].match(text, start, start + MAX_URL)
    if m is None or m.end(1) < anchor_end:
        return None
    raw_host = m.group(1)
    ev = _host_eval(raw_host, form)
    if ev is None:
        return None
    kept, info, defanged = ev
    if start + kept < anchor_end:
        return None  # the anchor lies in what was cut off (a run-on or a glued word)
    return _url(
        text,
        m,
        2,
        start,
        start + kept,
        info,
        kept == len(raw_host),
        "http",
        None,
        loose or defanged,
        form,
    )


def _bare_start(text: str, pos: int) -> int:
    """Start of a host written without scheme whose separator (dot or defanged dot) is at
    ``pos``; ``REJECT`` when it is glued to something that makes it not a host,
    ``LONG_RUN`` when the run of host characters is too long to be one."""
    start = _back(text, pos)
    if start < 0:
        return start
    if text[start] in _LEADING:
        start = _LEAD.match(text, start, pos).end()  # type: ignore[union-attr]
    if start >= pos:
        return REJECT
    if start:
        c = text[start - 1]
        if c in _BEFORE_BARE:
            return REJECT
        if c in "])} " and _AT_BEFORE.search(text, max(0, start - 7), start):
            return REJECT  # the host of a defanged email address
    return start


class UrlExtractor(Extractor):
    kind: ClassVar[str] = "url"
    patterns: ClassVar[Sequence[bytes]] = PATTERNS
    ends_only: ClassVar[frozenset[int]] = frozenset({TLD})

    def extract_batch(
        self, texts: Sequence[str], platforms: Sequence[str | None] | None, hits: Hits
    ) -> list[tuple[int, Found]]:
        out: list[tuple[int, Found]] = []
        last = -1  # the text read
        text = ""
        covered = 0  # end of the last URL found: hits before it are inside it
        skip = 0  # end of a run of host characters too long to hold a host
        prev: Found | None = None  # the last URL found in this text
        for k, p, s, e in zip(*hits, strict=True):
            if k != last:
                last, text, covered, skip, prev = k, texts[k], 0, 0, None
            elif s < covered:
                continue
            if p == SCHEME:
                f = _scheme_url(text, s)
            elif p == WWW:
                loose = text[_WWW.match(text, s).end()] != "."  # type: ignore[union-attr]
                f = _host_url(text, s, e + 1, WWWFORM, loose)
            else:
                if s < skip:
                    continue
                if p == TLD:
                    s = text.rfind(".", 0, e)  # (the anchor has no start: see ENDS_ONLY)
                elif p == TLD_U:
                    s += 1  # the anchor starts one character before the dot
                elif p == IDN_TLD and (
                    (e < len(text) and _LABEL_CHAR.match(text, e))
                    or not s
                    or not _LABEL_CHAR.match(text, s - 1)
                ):
                    continue  # a label goes on past the top-level one, or none comes before
                start = _bare_start(text, s)
                if start < covered:
                    if start == LONG_RUN:
                        skip = _RUN.match(text, s).end()  # type: ignore[union-attr]
                    continue
                f = _host_url(text, start, e, _form(text, start), p == DEFANG)
            if f is None or f.start < covered:  # type: ignore[operator]
                continue
            covered = f.end  # type: ignore[assignment]
            if (
                prev is not None
                and prev.value == f.value
                and text[prev.end : f.start] in _MARKUP_GAPS
            ):
                continue  # [url](url), <a href="url">url</a>: one link
            out.append((k, f))
            prev = f
        return out


def _form(text: str, start: int) -> int:
    """A host found from its dot: written with ``www.`` or without."""
    if text[start] in "wW" and _WWW_SEP.match(text, start):
        return WWWFORM
    return BARE


# --- emails -------------------------------------------------------------------------------
EMAIL_AT, EMAIL_DEFANGED_AT = range(2)
EMAIL_PATTERNS: tuple[bytes, ...] = (
    rb"(?:[A-Za-z0-9_%+.\-]|[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2})@"
    rb"(?:[A-Za-z0-9]|[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2})",
    rb"(?i)[\[\(\{] ?(?:at|@) ?[\]\)\}]|\xef\xbc\xa0",  # [at] (at) [@] ..., full-width ＠
)
_EMAIL_HOST = {
    False: re.compile(rf"(?P<host>[{_LC}]+(?:{_SEP}[{_LC}]+)*)"),
    True: re.compile(rf"(?P<host>[{_LC}]+(?:{_SEP_WORD}[{_LC}]+)*)"),
}
_LOCAL_DOTS = re.compile(_DOTTOK)


class EmailExtractor(Extractor):
    kind: ClassVar[str] = "email"
    patterns: ClassVar[Sequence[bytes]] = EMAIL_PATTERNS

    def extract(self, post: Post, hits: Sequence[Hit]) -> Iterable[Found]:
        text = post.text
        out: list[Found] = []
        covered = 0
        for p, s, e in hits:
            if p == EMAIL_AT:
                at = text.index("@", s)
                at_end = at + 1
                defanged = False
            else:
                at, at_end, defanged = s, e, True
            if at < covered:
                continue
            f = _email(text, at, at_end, defanged)
            if f is None or f.start < covered:  # type: ignore[operator]
                continue
            covered = f.end  # type: ignore[assignment]
            if out and out[-1].value == f.value and text[out[-1].end : f.start] in _MARKUP_GAPS:
                continue  # <a href="mailto:x@e.com">x@e.com</a>: one address
            out.append(f)
        return out


def _email(text: str, at: int, at_end: int, defanged: bool) -> Found | None:
    local_end = at
    if defanged and local_end and text[local_end - 1] == " ":
        local_end -= 1
    start = _back(text, local_end, _REV_LOCAL)
    if start < 0:
        return None
    while start < local_end and text[start] == ".":
        start += 1
    if start >= local_end:
        return None
    if start and text[start - 1] == "@":
        return None  # @user@instance: a fediverse handle
    local = text[start:local_end]
    if "[" in local or "(" in local or "{" in local:
        local = _LOCAL_DOTS.sub(".", local)
        defanged = True
    if len(local) > 64 or local.endswith(".") or ".." in local:
        return None
    host_start = at_end
    if defanged and text[host_start : host_start + 1] == " ":
        host_start += 1
    m = _EMAIL_HOST[defanged].match(text, host_start, host_start + _MAX_BACK)
    if m is None:
        return None
    raw_host = m.group("host")
    ev = _host_eval(raw_host, EMAILHOST)
    if ev is None:
        return None
    kept, info, host_defanged = ev
    return Found(
        "email",
        f"{local.lower()}@{info.host}",
        start,
        host_start + kept,
        host=info.host,
        domain=info.domain,
        suffix=info.suffix,
        defanged=defanged or host_defanged,
    )


# --- links taken from markup -------------------------------------------------------------
_HREF_SCHEME = re.compile(r"(?i)(https?|ftp)://")


def href_indicator(href: str) -> Found | None:
    """A url indicator (offsets None) for a link target taken from HTML markup: absolute
    ``http``, ``https`` and ``ftp`` links only (relative links, ``mailto:`` and the like give
    None). Normalised like URLs found in text, so the same link gets the same value."""
    href = href.strip()
    if not _HREF_SCHEME.match(href) or any(c.isspace() for c in href):
        return None
    try:
        parts = urlsplit(href)
        port_num = parts.port
    except ValueError:
        return None
    netloc = parts.netloc
    user = None
    if "@" in netloc:
        user, _, netloc = netloc.rpartition("@")
    host = parts.hostname
    if not host:
        return None
    if netloc.startswith("["):
        host = f"[{host}]"
    info = host_info(host.rstrip("."))
    if info is None:
        return None
    scheme = parts.scheme.lower()
    auth = info.host
    if port_num is not None and _DEFAULT_PORT.get(scheme) != str(port_num):
        auth = f"{auth}:{port_num}"
    if user:
        auth = f"{user}@{auth}"
    rest = href[len(parts.scheme) + 3 + len(parts.netloc) :]
    value, ext = _normal(scheme, auth, rest, False)
    return Found(
        "url",
        value,
        None,
        None,
        host=info.host,
        domain=info.domain,
        suffix=info.suffix,
        extension=ext,
        network=info.network,
        validity=info.validity,
    )


EXTRACTORS: list[Extractor] = [UrlExtractor(), EmailExtractor()]
