"""@handles and #hashtags (rules, decisions and examples: ``docs/indicators/social.md``).

Hyperscan anchors are a few bytes long: ``@`` (or full-width ``＠``) and the first
character of a name (an ASCII word character, or a character whose UTF-8 lead byte is that of
CJK text), ``u/`` at a word start (Reddit), ``#`` (or ``＃``) and an ASCII word character or
any non-ASCII character. Anchors end on a character boundary, so the scanner maps them to
character offsets exactly. One anchor hit is one candidate. Everything else happens in
Python at the candidate: the character before it (``bob@example.com``, ``page.html#top``,
``&#39;``, ``C#``), the name or tag with a bounded ``re`` match, the platform's rule, and
whether the candidate lies in code (fenced blocks, inline code spans, decorators,
preprocessor lines).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import ClassVar, NamedTuple

from groundswell.enrich.indicators.base import Extractor, Found, Hit, Post

__all__ = [
    "EXTRACTORS",
    "HandleExtractor",
    "HashtagExtractor",
    "code_spans",
    "handle_rule",
]

# ---------------------------------------------------------------- characters

_ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _nospace(o: int) -> bool:
    """Scripts written without spaces between words (Thai, Lao, Myanmar, Khmer, CJK, kana,
    full-width forms): a letter of theirs right before ``@`` or ``#`` does not glue."""
    return (
        0x2E80 <= o <= 0x9FFF
        or 0xF900 <= o <= 0xFAFF
        or 0xFF00 <= o <= 0xFFEF
        or 0x0E00 <= o <= 0x0EFF
        or 0x1000 <= o <= 0x109F
        or 0x1780 <= o <= 0x17FF
        or o >= 0x20000
    )


def _glued(ch: str) -> bool:
    """A letter, digit, mark or underscore of a script written with spaces between words,
    or a full-width Latin letter, digit or underscore (``ｘ＠例子`` is a full-width email)."""
    if ch.isascii():
        return ch in _ASCII_WORD
    if not (ch.isalnum() or unicodedata.category(ch)[0] == "M"):
        return ch == "＿"
    o = ord(ch)
    return not _nospace(o) or 0xFF10 <= o <= 0xFF5A


def _mark_ranges() -> str:
    """A character-class body of the combining marks (Mn, Mc, Me) of the BMP."""
    out: list[str] = []
    lo = prev = -2
    for cp in range(0x300, 0x10000):
        if unicodedata.category(chr(cp))[0] == "M":
            if cp != prev + 1:
                if lo >= 0:
                    out.append(f"\\u{lo:04x}-\\u{prev:04x}")
                lo = cp
            prev = cp
    out.append(f"\\u{lo:04x}-\\u{prev:04x}")
    return "".join(out)


_WORD = rf"[\w{_mark_ranges()}]"
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK}\u3040-\u30ff]")

# ---------------------------------------------------------------- code in posts

_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})", re.MULTILINE)
_TICKS = re.compile(r"`+")
_BLANK = re.compile(r"\n[ \t]*\n")
CACHE_KEY = "social.code"
DECO_KEY = "social.decorators"


def code_spans(text: str) -> list[int]:
    """Fenced code blocks (backticks or tildes, unclosed ones run to the end) and inline
    code spans (a backtick run closed by the next run of the same length, within one
    paragraph), as a flat sorted list ``[start0, end0, start1, end1, ...]``. Linear time."""
    flat: list[int] = []
    fences = [(m.start(), m.end(), m.group(1)) for m in _FENCE.finditer(text)]
    i = 0
    while i < len(fences):
        start, _, mark = fences[i]
        j = i + 1
        while j < len(fences) and not (
            fences[j][2][0] == mark[0] and len(fences[j][2]) >= len(mark)
        ):
            j += 1
        end = len(text) if j == len(fences) else fences[j][1]
        flat += (start, end)
        i = j + 1
    if "`" in text:
        runs = [
            (m.start(), m.end())
            for m in _TICKS.finditer(text)
            if not (flat and _inside(flat, m.start()))
        ]
        nxt: list[int] = [-1] * len(runs)
        last: dict[int, int] = {}
        for k in range(len(runs) - 1, -1, -1):
            n = runs[k][1] - runs[k][0]
            nxt[k] = last.get(n, -1)
            last[n] = k
        breaks = [m.start() for m in _BLANK.finditer(text)]  # paragraph ends
        spans: list[int] = []
        k = 0
        while k < len(runs):
            j = nxt[k]
            if j < 0 or bisect_right(breaks, runs[k][1]) != bisect_right(breaks, runs[j][0]):
                k += 1
                continue
            spans += (runs[k][0], runs[j][1])
            k = j + 1
        if spans:
            pairs = sorted(zip(flat[::2] + spans[::2], flat[1::2] + spans[1::2], strict=True))
            flat = [x for pair in pairs for x in pair]
    return flat


def _inside(flat: list[int], pos: int) -> bool:
    return bisect_right(flat, pos) % 2 == 1


def _code(post: Post) -> list[int]:
    """The post's code spans (``code_spans``), computed once per post."""
    flat: list[int] | None = post.cache.get(CACHE_KEY)
    if flat is None:
        text = post.text
        flat = code_spans(text) if ("`" in text or "~~~" in text) else []
        post.cache[CACHE_KEY] = flat
    return flat


def _line_start(text: str, pos: int) -> bool:
    """Whether only spaces and tabs stand between the start of the line and ``pos``."""
    i = pos - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    return i < 0 or text[i] == "\n"


_DECO = re.compile(r"@[A-Za-z_][A-Za-z0-9_.]*(\((?:.*\)[ \t]*|[^)\n]*)$|[ \t]*$)", re.MULTILINE)
_DECORATED = re.compile(
    r"[ \t]*(?:(@)|(?:async[ \t]+)?def[ \t]+\w+[ \t]*\("
    r"|class[ \t]+\w+(?:[ \t]*[:({<]|[ \t]+(?:extends|implements)\b)"
    r"|(?:public|private|protected|static|final|abstract|export|function|override|void"
    r"|interface|enum|suspend|sealed|readonly)[ \t][^\n]*[({;=])"
)


def _decorator(post: Post, at: int) -> bool:
    """A Python / Java / TypeScript decorator or annotation: ``@name(args)`` alone on its
    line, or ``@name`` alone on its line with the stack of ``@`` lines below it ending in a
    ``def`` / ``class`` / modifier line. Verdicts are kept per line for the post, so a long
    stack of ``@`` lines is read once."""
    text = post.text
    memo: dict[int, bool] = post.cache.setdefault(DECO_KEY, {})
    if at in memo:
        return memo[at]
    m = _DECO.match(text, at)
    if m is None:
        return False
    if m.group(1).startswith("("):
        return True
    stack = [at]
    pos = m.end() + 1
    verdict = False
    for _ in range(12):
        if pos >= len(text):
            break
        line = _DECORATED.match(text, pos)
        if line is None:
            break
        if line.group(1) is None:
            verdict = True
            break
        stack.append(line.end() - 1)
        nl = text.find("\n", pos)
        if nl < 0:
            break
        pos = nl + 1
    for a in stack:
        memo[a] = verdict
    return verdict


# ---------------------------------------------------------------- handles


class Rule(NamedTuple):
    subkind: str
    run: re.Pattern[str]  # the name, matched from the character after the sigil
    lo: int
    hi: int
    dotted: bool  # dots may stand inside names: no "@host.tld" check on the tail
    cjk: bool  # CJK names (Weibo rule) accepted


# Name matches are bounded: one longer than 40 characters is cut there, and then rejected
# by every rule's length limit. Dots (and hyphens) stand only between name characters.
_W = "[A-Za-z0-9_]{1,41}"
_RUN_PLAIN = re.compile(_W)
_RUN_DOTTED = re.compile(rf"{_W}(?:\.{_W}){{0,20}}")
_RUN_GENERIC = re.compile(rf"{_W}(?:[.-]{_W}){{0,20}}")
_RUN_REDDIT = re.compile(r"[A-Za-z0-9_-]{1,41}")
_RUN_WEIBO = re.compile(rf"[A-Za-z0-9_\-{_CJK}]{{1,41}}")

TWITTER = Rule("twitter", _RUN_PLAIN, 1, 15, False, False)
INSTAGRAM = Rule("instagram", _RUN_DOTTED, 1, 30, True, False)
TIKTOK = Rule("tiktok", _RUN_DOTTED, 2, 24, True, False)
TELEGRAM = Rule("telegram", _RUN_PLAIN, 5, 32, False, False)
REDDIT = Rule("reddit", _RUN_REDDIT, 3, 20, False, False)
DISCORD = Rule("discord", _RUN_DOTTED, 2, 32, True, False)
WEIBO = Rule("weibo", _RUN_WEIBO, 2, 30, False, True)
FEDIVERSE = Rule("fediverse", _RUN_GENERIC, 1, 30, False, True)
GENERIC = Rule("generic", _RUN_GENERIC, 1, 30, False, True)

CN_PLATFORMS = frozenset(
    {"weibo", "douyin", "xiaohongshu", "bilibili", "zhihu", "tieba", "wechat", "kuaishou"}
)
_RULES = {
    "twitter": TWITTER,
    "x": TWITTER,
    "instagram": INSTAGRAM,
    "threads": INSTAGRAM,
    "tiktok": TIKTOK,
    "telegram": TELEGRAM,
    "reddit": REDDIT,
    "discord": DISCORD,
    "mastodon": FEDIVERSE,
    "fediverse": FEDIVERSE,
    "misskey": FEDIVERSE,
    "pleroma": FEDIVERSE,
    **dict.fromkeys(CN_PLATFORMS, WEIBO),
}


@lru_cache(maxsize=256)
def handle_rule(platform: str | None) -> Rule:
    """The handle rule of a platform (``GENERIC`` for None and unknown platforms)."""
    if not platform:
        return GENERIC
    return _RULES.get(platform.strip().lower(), GENERIC)


BROADCAST = frozenset({"everyone", "here"})  # Discord / Slack mass mentions: not accounts
# characters before "@" that make it part of something else (email local part, URL path,
# query string, a second "@"): Twitter's list, less "*" (Markdown emphasis), plus . / + - = \
_AT_BAD_PREV = frozenset("!#$%&@＠./+-=\\．")
# "@host.tld" heuristics: a name followed by (or, for dotted rules, ending in) one of these
TLDS = frozenset(
    "com net org edu gov mil int info biz io onion i2p example test invalid localhost local".split()
)
_HOST_TAIL = re.compile(r"(?:\.[A-Za-z0-9-]{1,63}){1,6}")
_FEDI_HOST = re.compile(r"@([A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8})")
# 10, 2x, 5pm, 10h30, 3rd, 4gb, 19.00, 10-15, 1.5x
_NUMERIC = re.compile(r"[0-9][0-9.,:-]*(?:[A-Za-z]{1,3}[0-9.]*)?")
# "2 pcs @Rp10.000", "@USD 5": "@" for "each", then a price
_PRICE = re.compile(r"(?i)(?:rp|idr|usd|eur|gbp|rm|sgd)\.?[ \t]?[0-9]")


def _allowed(text: str, s: int) -> bool:
    """The exceptions to the characters that glue ``@`` to what precedes it: Twitter's
    ``.@name`` (a dot alone at the start or after a space) and Weibo's repost chain
    ``//@name:`` (not ``https://@``)."""
    if text[s - 1] == ".":
        return s < 2 or text[s - 2].isspace()
    return s >= 2 and text[s - 2 : s] == "//" and (s < 3 or text[s - 3] != ":")


def _hosty(labels: str) -> bool:
    """Whether ``a.b.tld`` (or the tail ``.b.tld``) ends in a common top-level domain."""
    return labels.rsplit(".", 1)[-1].lower() in TLDS


_new = tuple.__new__


def _found(kind: str, value: str, start: int, end: int, subkind: str | None) -> Found:
    """``Found(kind, value, start, end, subkind=subkind)``, three times faster."""
    return _new(Found, (kind, value, start, end, subkind, None, None, None, None, None, None,
                        None, False))  # fmt: skip


_AT_STOP = _ASCII_WORD | _AT_BAD_PREV
_PRICE_CODES = ("rp", "idr", "usd", "eur", "gbp", "rm", "sgd")
_EOL = re.compile(r"[ \t]*(?:\r?\n|$)")
_SPACE_BEFORE = frozenset("\n \t")
_DECO_NEXT = frozenset(("", "(", ".", "\n", "\r"))  # what may follow a decorator's name


def _at(post: Post, s: int, rule: Rule, slack: bool) -> Found | None:
    text = post.text
    if s:
        prev = text[s - 1]
        if (prev in _AT_STOP or (prev > "\x7f" and _glued(prev))) and not _allowed(text, s):
            return None
    n = s + 1
    if text[n] not in _ASCII_WORD:
        if not rule.cjk:
            return None
        rule = WEIBO  # a CJK name: the Weibo rule (platform weibo or generic)
    m = rule.run.match(text, n)
    if m is None:
        return None
    name = m.group()
    end = m.end()
    if not rule.lo <= len(name) <= rule.hi:
        return None
    low = name.lower()
    first = name[0]
    if low in BROADCAST or (slack and low == "channel"):
        return None  # "@everyone", "@here"
    if first <= "9" and _NUMERIC.fullmatch(name):
        return None  # "@10:30", "@2x", "@5pm"
    if low.startswith(_PRICE_CODES) and _PRICE.match(text, n):
        return None  # "@Rp10.000"
    if rule is TELEGRAM and not first.isalpha():
        return None
    subkind = rule.subkind
    nxt = text[end] if end < len(text) else ""
    if rule is WEIBO:
        value = "@" + (low if low.isascii() else unicodedata.normalize("NFC", low))
    else:
        if nxt > "\x7f" and _glued(nxt):
            return None  # "@josé", "@ivanов": the name goes on in another script
        if not rule.dotted and "." in name and _hosty(name):
            return None  # "@example.com": the host of an email address written apart
        value = "@" + low
        if nxt == ".":
            tail = _HOST_TAIL.match(text, end)
            if not rule.dotted and tail is not None and _hosty(tail.group()):
                return None
        elif nxt == "@":  # "@user@host.tld": a fediverse address, or nothing
            h = _FEDI_HOST.match(text, end)
            if h is None:
                return None
            host = h.group(1).rstrip("-")
            if not host.rsplit(".", 1)[-1].isalpha():
                return None
            end += 1 + len(host)
            value += "@" + host.lower()
            subkind = "fediverse"
    if (
        (nxt in _DECO_NEXT or (nxt in " \t" and _EOL.match(text, end)))
        and (s == 0 or text[s - 1] in _SPACE_BEFORE)
        and _line_start(text, s)
        and _decorator(post, s)
    ):
        return None
    return _found("handle", value, s, end, subkind)


def _reddit(post: Post, s: int) -> Found | None:
    """``u/name`` and ``/u/name`` (3 to 20 of ``[A-Za-z0-9_-]``), not inside a path."""
    text = post.text
    start = s
    if s and text[s - 1] == "/":
        start = s - 1
    if start and (
        text[start - 1] in _AT_BAD_PREV or text[start - 1] in ":?" or _glued(text[start - 1])
    ):
        return None
    m = _RUN_REDDIT.match(text, s + 2)
    if m is None:
        return None
    name, end = m.group(), m.end()
    if not REDDIT.lo <= len(name) <= REDDIT.hi or _NUMERIC.fullmatch(name):
        return None
    nxt = text[end] if end < len(text) else ""
    if nxt and (nxt == "@" or _glued(nxt)):
        return None
    if nxt == ".":
        tail = _HOST_TAIL.match(text, end)
        if tail is not None and _hosty(tail.group()):
            return None
    return _found("handle", "@" + name.lower(), start, end, "reddit")


class HandleExtractor(Extractor):
    kind: ClassVar[str] = "handle"
    patterns: ClassVar[Sequence[bytes]] = (
        rb"(?:@|\xef\xbc\xa0)(?:[A-Za-z0-9_]|[\xe3-\xe9][\x80-\xbf]{2})",  # @ or ＠, ASCII or CJK
        rb"(?i)\bu/[A-Za-z0-9_-]",  # Reddit u/name, /u/name
    )

    def extract(self, post: Post, hits: Sequence[Hit]) -> Iterable[Found]:
        platform = post.platform
        rule = handle_rule(platform)
        slack = platform is not None and platform.lower() == "slack"
        code: list[int] | None = None
        out: list[Found] = []
        reach = -1
        for p, s, _ in hits:
            if s < reach:
                continue
            f = _reddit(post, s) if p == 1 else _at(post, s, rule, slack)
            if f is None:
                continue
            if code is None:
                code = _code(post)
            if not (code and _inside(code, s)):
                out.append(f)
                reach = f.end or s
        if len(out) > 1:
            out.sort(key=lambda f: f.start or 0)
            out = [f for i, f in enumerate(out) if not i or f.start != out[i - 1].start]
        return out


# ---------------------------------------------------------------- hashtags

# anchors end on a character boundary (whole UTF-8 sequences: offsets map back exactly)
_UTF8_CHAR = rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
# a tag: word characters and marks, joiners only between them; cut at 141 (then rejected)
_BODY = re.compile(rf"{_WORD}{{1,141}}(?:[\u200c\u200d]{_WORD}{{1,141}}){{0,20}}")
_BODY_DISCORD = re.compile(rf"{_WORD}{{1,141}}(?:[\u200c\u200d-]{_WORD}{{1,141}}){{0,20}}")
_TOPIC = rf"{_WORD}{{1,64}}(?:[\u200c\u200d]{_WORD}{{1,64}}){{0,8}}"
_DOUBLE_STRICT = re.compile(rf"[#＃]({_TOPIC}(?:\[[^\[\]#＃\n]{{1,12}}\])?)[#＃]")
_DOUBLE_LOOSE = re.compile(r"[#＃]([^#＃\n]{1,64})[#＃]")
_SUPER = re.compile(r"\[([^\[\]]{1,12})\]$")
_SPACES = re.compile(r"\s+")
_LEAD_DIGITS = re.compile(r"[0-9]+")
_HEX = re.compile(r"[0-9A-Fa-f]{3,8}")
_HASH_BAD_PREV = frozenset("&#＃/.?=-+%@\\．＆")
_CPP = re.compile(
    r"#(?:include|import)[ \t]*[<\"]|#(?:define|undef|ifdef|ifndef|if|elif|pragma)[ \t]+\S"
    r"|#(?:endif|else|endregion|region)\b[ \t]*$",
    re.MULTILINE,
)
MAX_TAG = 100  # characters; a longer run is not a hashtag


def _norm(tag: str) -> str:
    if tag.isascii():
        return "#" + tag.lower()
    return "#" + unicodedata.normalize("NFC", unicodedata.normalize("NFC", tag).casefold())


def _color(tag: str, text: str, s: int, end: int) -> bool:
    """``#fff``, ``#A1B2C3``: 3, 4, 6 or 8 hex digits with a digit among them or one letter
    repeated, or any hex run in CSS (``color:#fab;``)."""
    if len(tag) not in (3, 4, 6, 8) or not _HEX.fullmatch(tag):
        return False
    if any(c.isdigit() for c in tag) or len(set(tag.lower())) == 1:
        return True
    i = s - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    return (i >= 0 and text[i] == ":") or text[end : end + 1] in (";", "}")


_HASH_STOP = _ASCII_WORD | _HASH_BAD_PREV
_HASHES = frozenset("#＃")
_COLOR_FIRST = frozenset("0123456789abcdefABCDEF")
_CPP_FIRST = frozenset("deipruDEIPRU")


class HashtagExtractor(Extractor):
    kind: ClassVar[str] = "hashtag"
    patterns: ClassVar[Sequence[bytes]] = (
        rb"(?:#|\xef\xbc\x83)(?:[A-Za-z0-9_]|" + _UTF8_CHAR + rb")",  # # or ＃, then a character
    )

    def extract(self, post: Post, hits: Sequence[Hit]) -> Iterable[Found]:
        text = post.text
        size = len(text)
        platform = (post.platform or "").lower()
        cn = platform in CN_PLATFORMS
        discord = platform == "discord"
        body = _BODY_DISCORD if discord else _BODY
        code: list[int] | None = None
        out: list[Found] = []
        reach = closed = -1
        for _, s, _ in hits:
            if s < reach:
                continue
            if s and s != closed:
                prev = text[s - 1]
                if prev in _HASH_STOP or (prev > "\x7f" and _glued(prev)):
                    continue
            m = body.match(text, s + 1)
            end = s + 1 if m is None else m.end()
            nxt = text[end] if end < size else ""
            f = None
            if cn or nxt in _HASHES or nxt == "[":
                f = self._double(text, s, cn)
            if f is not None:
                closed = f.end or -1
            elif m is None:
                continue
            else:
                f = self._single(text, s, m.group(), end, nxt, discord)
                if f is None:
                    continue
            if code is None:
                code = _code(post)
            if code and _inside(code, s):
                continue
            out.append(f)
            reach = f.end or s
        return out

    @staticmethod
    def _double(text: str, s: int, cn: bool) -> Found | None:
        """``#话题#`` and ``#话题[超话]#``: on Chinese platforms the topic may hold spaces and
        punctuation; elsewhere it must be one tag word and the closing ``#`` must not be
        followed by an ASCII letter or digit (``#foo#bar`` is nothing, as on Twitter)."""
        m = _DOUBLE_STRICT.match(text, s)
        if m is not None and (cn or m.end() >= len(text) or text[m.end()] not in _ASCII_WORD):
            content = m.group(1)
        elif cn and (m := _DOUBLE_LOOSE.match(text, s)) is not None:
            content = m.group(1)
            if content != content.strip():
                return None
        else:
            return None
        sub = "weibo"
        topic = content
        if content[-1] == "]":
            sup = _SUPER.search(content)
            if sup is not None and sup.start() > 0:
                topic = content[: sup.start()]
                if sup.group(1) == "超话":
                    sub = "weibo-super"
        topic = _SPACES.sub(" ", topic.strip())
        if not topic or not any(c.isalpha() for c in topic):
            return None
        return _found("hashtag", _norm(topic), s, m.end(), sub)

    @staticmethod
    def _single(text: str, s: int, tag: str, end: int, nxt: str, discord: bool) -> Found | None:
        first = tag[0]
        if len(tag) > MAX_TAG or not (first.isalpha() or any(c.isalpha() for c in tag)):
            return None  # "#1", "#2024", "#___", a 1 MB run
        if first <= "9" and first.isdigit():
            d = _LEAD_DIGITS.match(tag)
            if d is not None and _HAS_CJK.match(tag, d.end()):
                return None  # "第#1名", "#2楼": a number before a CJK counter word
        if nxt in _HASHES:
            return None  # "#foo#bar"
        if first in _COLOR_FIRST and _color(tag, text, s, end):
            return None
        if first in _CPP_FIRST and _line_start(text, s) and _CPP.match(text, s):
            return None
        return _found("hashtag", _norm(tag), s, end, "discord-channel" if discord else None)


EXTRACTORS: list[Extractor] = [HandleExtractor(), HashtagExtractor()]
