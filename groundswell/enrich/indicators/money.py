"""Money amounts with a currency (see ``docs/indicators/money.md``).

Hyperscan anchors are the *currency tokens*: symbols (``$ € £ ¥ ₽ ₿`` ...), ISO 4217 codes and
crypto tickers, currency words (dollar, euro, rupiah, рубль, евро, 元, 美元, 块钱, 円 ...) and
the prefixes ``Rp`` / ``Rs``. ``$`` is anchored only next to a digit (or a multiplier), so
shell and template variables (``$PATH``, ``$var``) never become candidates; ``р`` (rouble) only
after a digit.

From a token, Python reads the number written right after it (``$5``, ``USD 100``,
``Rp 2 miliar``) or right before it (``100 USD``, ``15 juta dolar``, ``1万元``) with one
precompiled ``re`` matched at the token (after) or searched in a window of at most
``WINDOW`` characters ending at the token (before): never over the whole text. The number
grammar, separator inference and multipliers are documented in ``docs/indicators/money.md``.

A number is reported once, however many tokens name it (``$5 USD``, ``¥500元``): the span
is the union of the tokens and the number; when the tokens disagree, the explicit one (a
code or word) wins over an ambiguous symbol (``$``, ``¥``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import ClassVar, NamedTuple

from groundswell.enrich.indicators.base import Extractor, Found, Hit, Post

__all__ = ["EXTRACTORS", "WINDOW", "MoneyExtractor", "parse_number"]

WINDOW = 64  # characters searched before a token for its number (and before a number for a range)

# ------------------------------------------------------------------ currencies

CRYPTO = frozenset({"BTC", "ETH", "XMR", "LTC", "USDT", "USDC", "SOL", "TRX", "XRP", "DOGE", "BNB"})
SYMBOLS = {
    "€": "EUR", "£": "GBP", "₽": "RUB", "₿": "BTC", "₹": "INR", "₩": "KRW", "₴": "UAH",
    "₺": "TRY", "₱": "PHP", "₫": "VND", "₦": "NGN", "₪": "ILS", "฿": "THB", "₸": "KZT",
    "¥": "¥", "￥": "¥",
}  # fmt: skip
DOLLAR_PREFIXES = {
    "": "USD", "US": "USD", "U.S.": "USD", "A": "AUD", "AU": "AUD", "C": "CAD", "CA": "CAD",
    "NZ": "NZD", "HK": "HKD", "S": "SGD", "SG": "SGD", "NT": "TWD", "R": "BRL", "MX": "MXN",
    "USD": "USD", "AUD": "AUD", "CAD": "CAD", "NZD": "NZD", "HKD": "HKD", "SGD": "SGD",
}  # fmt: skip
# codes written in any case after a number ("100 usd", "0.5 eth"); upper case before it
CODES_ANY_CASE = {
    "USD": "USD", "EUR": "EUR", "GBP": "GBP", "JPY": "JPY", "CNY": "CNY", "RMB": "CNY",
    "RUB": "RUB", "RUR": "RUB", "IDR": "IDR", "INR": "INR", "CHF": "CHF", "BTC": "BTC",
    "XBT": "BTC", "ETH": "ETH", "XMR": "XMR", "LTC": "LTC", "USDT": "USDT", "USDC": "USDC",
    "SOL": "SOL",
}  # fmt: skip
CODES_UPPER = {
    c: c
    for c in (
        "AUD CAD NZD HKD SGD TWD KRW UAH BRL MXN PLN SEK NOK DKK CZK HUF ZAR THB VND MYR "
        "AED KZT BYN NGN TRX XRP DOGE BNB"
    ).split()
}
_SAT = Decimal("0.00000001")
LATIN_WORDS: dict[str, tuple[str, Decimal | None]] = {
    **dict.fromkeys(("dollar", "dollars", "dolar", "buck", "bucks"), ("USD", None)),
    **dict.fromkeys(("euro", "euros"), ("EUR", None)),
    "yen": ("JPY", None),
    **dict.fromkeys(("yuan", "renminbi"), ("CNY", None)),
    **dict.fromkeys(("rupiah", "perak"), ("IDR", None)),
    **dict.fromkeys(("rupee", "rupees"), ("INR", None)),
    **dict.fromkeys(("ruble", "rubles", "rouble", "roubles", "roebel", "roebels"), ("RUB", None)),
    **dict.fromkeys(("bitcoin", "bitcoins"), ("BTC", None)),
    **dict.fromkeys(("satoshi", "satoshis", "sats"), ("BTC", _SAT)),
    "quid": ("GBP", None),
    "ringgit": ("MYR", None),
    "tether": ("USDT", None),
    "monero": ("XMR", None),
    **dict.fromkeys(("litecoin", "litecoins"), ("LTC", None)),
    "ethereum": ("ETH", None),
}
DOLLAR_WORDS = frozenset({"dollar", "dollars", "dolar", "доллар"})
CYRILLIC_STEMS = {
    "руб": "RUB", "доллар": "USD", "долл.": "USD", "бакс": "USD", "евро": "EUR",
    "юан": "CNY", "иен": "JPY", "йен": "JPY", "биткоин": "BTC", "биткойн": "BTC",
    "гривн": "UAH", "гривен": "UAH", "грн": "UAH", "тенге": "KZT",
}  # fmt: skip
CJK_WORDS = {
    "元": "CNY", "美元": "USD", "欧元": "EUR", "日元": "JPY", "港元": "HKD", "韩元": "KRW",
    "澳元": "AUD", "加元": "CAD", "新加坡元": "SGD", "新元": "SGD", "纽元": "NZD",
    "块": "CNY", "块钱": "CNY", "人民币": "CNY", "円": "JPY", "日圆": "JPY", "美金": "USD",
    "英镑": "GBP", "卢布": "RUB", "比特币": "BTC", "以太坊": "ETH", "以太币": "ETH",
    "泰达币": "USDT", "莱特币": "LTC", "门罗币": "XMR", "港币": "HKD", "台币": "TWD",
    "新台币": "TWD", "日币": "JPY", "韩币": "KRW", "卢比": "INR", "印尼盾": "IDR", "泰铢": "THB",
}  # fmt: skip
_CJK_BEFORE = frozenset({"人民币", "新台币", "台币", "港币", "日币", "韩币"})  # 人民币5000
_NOT_YUAN = frozenset("旦宵素组件年月首老帅宇器神气音")  # 元旦, 元素, 元宇宙 ...: not 元 the yuan
QUALIFIER_BEFORE = {
    "US": "USD", "U.S.": "USD", "American": "USD", "Amerikaanse": "USD", "Australian": "AUD",
    "Australische": "AUD", "Canadian": "CAD", "Canadese": "CAD", "Singapore": "SGD",
    "Hong Kong": "HKD", "New Zealand": "NZD", "Taiwan": "TWD", "New Taiwan": "TWD",
}  # fmt: skip
QUALIFIER_AFTER = {
    "AS": "USD", "Amerika Serikat": "USD", "Amerika": "USD", "Singapura": "SGD",
    "Australia": "AUD", "Kanada": "CAD", "Hong Kong": "HKD", "США": "USD",
}  # fmt: skip

# ------------------------------------------------------------------ multipliers

_M = {
    **dict.fromkeys(("k", "K", "к", "thousand", "thousands", "duizend", "ribu", "rb"), 3),
    **dict.fromkeys(("тыс", "тыс.", "тысяча", "тысячи", "тысяч", "тыщ", "тыщи", "тыща"), 3),
    **dict.fromkeys(("m", "M", "mn", "mln", "million", "millions", "miljoen", "juta", "jt"), 6),
    **dict.fromkeys(("млн", "млн.", "миллион", "миллиона", "миллионов"), 6),
    **dict.fromkeys(("b", "B", "bn", "billion", "billions", "miljard", "mld", "mrd"), 9),
    **dict.fromkeys(("miliar", "milyar", "млрд", "млрд.", "миллиард", "миллиарда"), 9),
    "миллиардов": 9,
    **dict.fromkeys(("T", "tn", "trillion", "trillions", "triliun", "трлн", "трлн."), 12),
    **dict.fromkeys(("триллион", "триллиона", "триллионов"), 12),
}
_CJK_M = {"百": 2, "千": 3, "万": 4, "萬": 4, "亿": 8, "億": 8}
_IDR_M = {"m": 9, "M": 9}  # Indonesian: 2M = 2 miliar


@lru_cache(maxsize=256)
def _multiplier(raw: str, code: str) -> int:
    """The power of ten a multiplier stands for."""
    if raw[0] in _CJK_M:
        return sum(_CJK_M[c] for c in raw)
    if code == "IDR" and raw in _IDR_M:
        return _IDR_M[raw]
    return _M.get(raw) or _M.get(raw.lower(), 0)


@lru_cache(maxsize=4096)
def _mult_lookup(word: str, code: str, spaced: bool) -> tuple[int, int]:
    """The power of ten of a multiplier word (a trailing dot is kept only where it belongs to
    the abbreviation: ``тыс.``) and how many characters of ``word`` it takes; (0, 0) when
    ``word`` is not one. Spaced single letters must be capitals (``Rp 2 M``, not ``$5 m``)."""
    for w in (word, word[:-1]) if word.endswith(".") else (word,):
        if not w or (spaced and len(w) == 1 and w not in "KMBT"):
            continue
        power = _multiplier(w, code)
        if power:
            return power, len(w)
    return 0, 0


# ------------------------------------------------------------------ Python regexes

_SP = "[ \u00a0\u202f]"
_LETTER = "A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
_NUM_TAIL = r"(?![0-9]|[.,][0-9])"


def _num(spaces: str) -> str:
    return (
        r"(?:[1-9][0-9]{0,2}(?:,[0-9]{3})+(?:\.[0-9]{1,18})?"
        r"|[1-9][0-9]{0,2}(?:\.[0-9]{3})+(?:,[0-9]{1,18})?"
        rf"|[1-9][0-9]{{0,2}}(?:[{spaces}][0-9]{{3}})+(?:[.,][0-9]{{1,18}})?"
        r"|[0-9]{1,20}(?:[.,][0-9]{1,18})?)" + _NUM_TAIL
    )


_NUM_AFTER = _num("\u00a0\u202f\u2009")  # after a token: no ASCII-space grouping ($5 100 ...)
_NUM_BEFORE = _num(" \u00a0\u202f\u2009")  # before a token: 10 000 руб
_L = "[" + _LETTER + "]"
# What may follow a number: a Dutch ",-", then a multiplier (validated in Python by a dict
# lookup: ``glued`` letters must be one, a spaced ``word`` may be one), or ``bad`` (code-like).
_AFTER_TAIL = (
    r"(?P<dash>[.,](?:--?|[–—]))?"
    r"(?:(?P<glued>" + _L + r"{1,10}\.?)"
    r"|" + _SP + r"?(?P<cjk>[百千万萬亿億]{1,2})"
    r"|" + _SP + r"(?P<word>" + _L + r"{1,12}\.?)"
    r"|(?P<bad>[0-9_{}$\[]))?"
)
PRE_RX = re.compile(_SP + r"?(?P<num>" + _NUM_AFTER + r")" + _AFTER_TAIL)
RANGE_AFTER_RX = re.compile(_SP + r"?[-–—~]" + _SP + r"?(?P<num>" + _NUM_AFTER + r")" + _AFTER_TAIL)
_CHAIN_RX = re.compile(_SP + r"?[-–—~]" + _SP + r"?[0-9]")  # $5-10-15: a chain, not a range
# Numbers *before* a token are read backwards: the window before the token is reversed and
# matched from its start with reversed grammars, so the cost is the length of the number (a
# forward search would try every start position in the window).
_MULT_REV = (
    r"(?:(?P<word>\.?" + _L + r"{1,12})" + _SP
    + r"|(?P<glued>\.?" + _L + r"{1,10})"
    + r"|(?P<cjk>[百千万萬亿億]{1,2})" + _SP + r"?)"
)  # fmt: skip
_NUM_REV = (
    r"(?P<num>(?:[0-9]{1,18}\.)?(?:[0-9]{3},)+[0-9]{0,2}[1-9]"
    r"|(?:[0-9]{1,18},)?(?:[0-9]{3}\.)+[0-9]{0,2}[1-9]"
    r"|(?:[0-9]{1,18}[.,])?(?:[0-9]{3}[ \u00a0\u202f\u2009])+[0-9]{0,2}[1-9]"
    r"|(?:[0-9]{1,18}[.,])?[0-9]{1,20})"
)
_LEFT = "[" + _LETTER + "0-9_.,#/]"  # what may not precede a number read backwards
_LEFT_RX = re.compile(_LEFT)
_DIGIT_RX = re.compile("[0-9]")
_REACH = 20  # the most characters between a number and the token after it (10 тыс. долларов)
POST_REV_RX = re.compile(
    _SP + r"?" + _MULT_REV + r"?(?P<dash>(?:--?|[–—])[.,])?" + _NUM_REV + r"(?!" + _LEFT + ")"
)
RANGE_REV_RX = re.compile(
    _SP + r"?[-–—~]" + _SP + r"?" + _MULT_REV + r"?" + _NUM_REV
    + r"(?![-–—~" + _LETTER + r"0-9_.,#/])"
)  # fmt: skip
_CHAIN_REV_RX = re.compile(_SP + r"?[-–—~]" + _SP + r"?[0-9]")  # 2024-05-10: a date
_DOLLAR_PREFIX_REV_RX = re.compile(
    r"(?P<p>DSU|DUA|DAC|DZN|DKH|DGS|SU|\.S\.U|UA|A|AC|C|ZN|KH|GS|S|TN|R|XM)?(?![A-Za-z0-9_$\\{.])"
)
_QUAL_BEFORE_REV_RX = re.compile(
    _SP + r"(?P<q>"
    + "|".join(re.escape(q[::-1]) for q in sorted(QUALIFIER_BEFORE, key=len, reverse=True))
    + r")(?![" + _LETTER + r"])"
)  # fmt: skip
_QUAL_AFTER_RX = re.compile(
    _SP + r"(?P<q>AS|Amerika Serikat|Amerika|Singapura|Australia|Kanada|Hong Kong|США)"
    r"(?![" + _LETTER + r"0-9_])"
)
_CYRILLIC_RX = re.compile(
    r"(?:рубл(?:ь|я|ей|ю|ям|ями|ях|ём|ем|и)|доллар(?:а|ов|ам|ами|ах|у|ом|ы)?|бакс(?:а|ов|ы|ам|ами)?"
    r"|евро|юан(?:ь|я|ей|ям|ями|ях|и)|[ий]ен(?:а|ы|ах|ам)?|биткои?н(?:а|ов|ы|ах|ами)?"
    r"|биткойн(?:а|ов|ы|ах|ами)?|гривн(?:а|ы|е|у|ами|ях)|гривен|тенге"
    r"|(?:руб|долл|грн)(?![" + _LETTER + r"0-9_])\.?)(?![" + _LETTER + r"0-9_])",
    re.IGNORECASE,
)
_CODE_SPAN_RX = re.compile(r"```.*?(?:```|\Z)|`[^`\n]+`", re.DOTALL)
_KANA_RX = re.compile("[\u3040-\u30ff]")
_HAN_RX = re.compile("[\u4e00-\u9fff]")
_LETTER_RX = re.compile("[" + _LETTER + "]")

# ------------------------------------------------------------------ Hyperscan anchors


def _alt(words: Iterable[str]) -> bytes:
    ordered = sorted(set(words), key=lambda w: (-len(w.encode()), w))
    return b"(?:" + b"|".join(re.escape(w).encode() for w in ordered) + b")"


def _casings(stems: Iterable[str]) -> list[str]:
    return [v for s in stems for v in (s, s.capitalize(), s.upper())]


_SP_B = rb"(?: |\xc2\xa0|\xe2\x80\xaf)?"
_DOLLAR_B = _alt(["$", "＄"])
DOLLAR_PRE, DOLLAR_POST, SYMBOL, CODE_ANY, CODE_UPPER, WORD, PREFIX, CYRILLIC, ROUBLE_R, CJK = (
    range(10)
)
PATTERNS: tuple[bytes, ...] = (
    _DOLLAR_B + _SP_B + rb"[0-9]",
    _alt([*"0123456789kKmMbBnT", "к", "н", "с", "с.", "д"]) + _SP_B + _DOLLAR_B,
    _alt(s for s in SYMBOLS),
    rb"(?i)(?:\b|[0-9])" + _alt(c.lower() for c in CODES_ANY_CASE) + rb"(?:\b|[0-9])",
    rb"(?:\b|[0-9])" + _alt(CODES_UPPER) + rb"(?:\b|[0-9])",
    rb"(?i)(?:\b|[0-9])" + _alt(LATIN_WORDS) + rb"\b",
    rb"\b(?:Rp|RP|rp|Rs)\.?" + _SP_B + rb"[0-9]",
    _alt(_casings(CYRILLIC_STEMS)),
    rb"[0-9]" + _SP_B + _alt(["р", "Р"]),
    _alt(CJK_WORDS),
)

# ------------------------------------------------------------------ numbers


@lru_cache(maxsize=1 << 14)
def parse_number(raw: str, crypto: bool = False) -> Decimal | None:
    """The value of a number as written (rules in ``docs/indicators/money.md``)."""
    s = raw.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2009", " ")
    if " " in s:  # space-grouped thousands; what separator is left is the decimal one
        s = s.replace(" ", "").replace(",", ".")
    elif "," in s and "." in s:  # both: the last one is the decimal separator
        if s.rfind(",") > s.rfind("."):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", "")
    else:
        sep = "," if "," in s else "." if "." in s else ""
        if sep and s.count(sep) > 1:
            s = s.replace(sep, "")
        elif sep:
            whole, frac = s.split(sep)
            grouping = len(frac) == 3 and whole != "0" and len(whole) <= 3
            if crypto and sep == ".":
                grouping = False  # exchanges write 1.500 BTC for one and a half
            s = whole + frac if grouping else whole + "." + frac
    try:
        return Decimal(s)
    except InvalidOperation:  # pragma: no cover - the grammar admits digits only
        return None


Amount = tuple[Decimal, str, float]  # exact value, its text (the value's number), float


@lru_cache(maxsize=1 << 14)
def _amount(raw: str, crypto: bool, power: int, factor: Decimal | None) -> Amount | None:
    value = parse_number(raw, crypto)
    if value is None:
        return None
    if power:
        value = value.scaleb(power)
    if factor is not None:
        value *= factor
    return value, format_amount(value), float(value)


def format_amount(value: Decimal) -> str:
    """The amount without exponent or trailing zeros: ``8500``, ``0.003``, ``15.5``."""
    return format(value.normalize(), "f")


# ------------------------------------------------------------------ tokens


class Token(NamedTuple):
    start: int
    end: int
    code: str  # ISO 4217 code or ticker
    strength: int  # 2: explicit (code, word); 1: ambiguous ($, ¥, 元)
    pre: bool  # may precede its number ($5, USD 100)
    post: bool  # may follow its number (100 USD, 15 juta dolar)
    factor: Decimal | None = None  # sats: 1e-8
    capitalised: bool = False  # a capitalised word (Bitcoin, Euro): not after a year
    dollar: bool = False  # a dollar word: takes qualifiers (US dollars, dolar AS)


class Reading(NamedTuple):
    num: int  # where the number starts: one reading per number
    start: int
    end: int
    code: str
    amount: Amount
    strength: int  # 0: the far end of a range


def _word_end(text: str, i: int) -> bool:
    """Whether position ``i`` ends a word (no letter, digit or underscore follows)."""
    if i >= len(text):
        return True
    c = text[i]
    return not ((c.isalnum() and ord(c) < 0x590) or c == "_")


def _code_ok(text: str, start: int, end: int) -> bool:
    """Not a currency pair (EUR/USD), not an adjective (ETH-like)."""
    if start and text[start - 1] == "/":
        return False
    nxt = text[end : end + 2]
    if len(nxt) < 2:
        return True
    return not ((nxt[0] == "-" and nxt[1].isalpha()) or (nxt[0] == "/" and nxt[1].isupper()))


def _in_code(post: Post, i: int) -> bool:
    spans = post.cache.get("money.code")
    if spans is None:
        text = post.text
        spans = [m.span() for m in _CODE_SPAN_RX.finditer(text)] if "`" in text else []
        post.cache["money.code"] = spans
    if not spans:
        return False
    k = bisect_right(spans, (i, len(post.text) + 1)) - 1
    return k >= 0 and spans[k][0] <= i < spans[k][1]


_NUMBERISH = frozenset("0123456789kKmMbBTкнд.百千万萬亿億")  # what may end an amount
_GLUED_MULT = frozenset("kKmMbBTк")
_DIGITS = frozenset("0123456789")
_NOT_BEFORE_DOLLAR = frozenset("_$\\{.")
_DASHES = frozenset("-–—~")  # between the ends of a range
_SPACES = frozenset(" \u00a0\u202f")


def _dollar(post: Post, i: int) -> Token | None:
    text = post.text
    before = text[max(0, i - 2) : i]
    if before[-1:].isdigit() or (before[-1:] in _GLUED_MULT and before[:1].isdigit()):
        return Token(i, i + 1, "USD", 1, False, True)  # 100$, 5k$
    c = before[-1:]
    if c and (c.isalpha() or c in _NOT_BEFORE_DOLLAR):  # US$, or code: a$1, ${1}, \$1
        m = _DOLLAR_PREFIX_REV_RX.match(text[max(0, i - 5) : i][::-1])
        if m is None or not m["p"] or _in_code(post, i):
            return None
        prefix = m["p"][::-1]
        return Token(i - len(prefix), i + 1, DOLLAR_PREFIXES[prefix], 2, True, True)
    if _in_code(post, i):
        return None
    return Token(i, i + 1, "USD", 1, True, True)


def _token(p: int, post: Post, s: int, e: int) -> Token | None:
    """The currency token of a hit of pattern ``p`` over ``text[s:e]``, or None."""
    text = post.text
    if p == DOLLAR_PRE:
        return _dollar(post, s)
    if p == DOLLAR_POST:
        return _dollar(post, e - 1)
    if p == SYMBOL:
        code = SYMBOLS[text[s]]
        if code == "¥":
            window = text[max(0, s - 20) : s + 20]
            code = "JPY" if _KANA_RX.search(window) or not _HAN_RX.search(window) else "CNY"
            return Token(s, e, code, 1, True, True)
        return Token(s, e, code, 2, True, True)
    if p in (CODE_ANY, CODE_UPPER, WORD):
        while text[s].isdigit():
            s += 1
        while text[e - 1].isdigit():
            e -= 1
        raw = text[s:e]
        if p == WORD:
            key = raw.lower()
            code, factor = LATIN_WORDS[key]
            if key == "euro" and text[e : e + 2] in ("'s", "’s"):
                e += 2
            cap = raw[0].isupper() and raw[1:].islower()
            return Token(s, e, code, 2, False, True, factor, cap, key in DOLLAR_WORDS)
        if not _code_ok(text, s, e):
            return None
        if p == CODE_UPPER:
            return Token(s, e, CODES_UPPER[raw], 2, raw not in CRYPTO, True)
        up = raw.upper()
        code = CODES_ANY_CASE[up]
        return Token(s, e, code, 2, raw == up and code not in CRYPTO, True)
    if p == PREFIX:
        e = s + 3 if text[s + 2 : s + 3] == "." else s + 2
        return Token(s, e, "IDR" if text[s + 1] in "pP" else "INR", 2, True, False)
    if p == CYRILLIC:
        if s and _LETTER_RX.match(text[s - 1]):
            return None
        m = _CYRILLIC_RX.match(text, s)
        if m is None:
            return None
        stem = next(k for k in CYRILLIC_STEMS if m[0].lower().startswith(k.rstrip(".")))
        key = stem.rstrip(".")
        return Token(s, m.end(), CYRILLIC_STEMS[stem], 2, False, True, dollar=key == "доллар")
    if p == ROUBLE_R:
        s = e - 1
        nxt = text[e : e + 1]
        if nxt == ".":
            e += 1
        elif nxt == "-" or not _word_end(text, e):
            return None
        return Token(s, e, "RUB", 2, False, True)
    # CJK
    raw = text[s:e]
    nxt = text[e : e + 1]
    if raw == "块":
        if nxt == "钱":
            return None  # the 块钱 hit reads it
        if nxt and (_HAN_RX.match(nxt) or nxt.isdigit()):
            return None  # 3块蛋糕 (a measure word), 2块5 (2.5 yuan: not read)
    elif raw[-1] == "元" and nxt in _NOT_YUAN and nxt:
        return None
    # 元 alone is any currency's unit (港币500元): CNY unless a named currency says otherwise
    strength = 1 if raw == "元" else 2
    return Token(s, e, CJK_WORDS[raw], strength, raw in _CJK_BEFORE, True)


# ------------------------------------------------------------------ readings


def _tail(text: str, m: re.Match[str], code: str) -> tuple[int, int] | None:
    """The power of ten and the end of a number read forwards (with its multiplier); None
    when the number is glued to a word or to code (``$5abc``, ``$1}``)."""
    last = m.lastgroup
    if last == "num":
        return 0, m.end()
    dash, glued, cjk, word, bad = m.group("dash", "glued", "cjk", "word", "bad")
    if bad:
        return None
    end = m.end("dash") if dash else m.end("num")
    if glued is not None:
        power, n = _mult_lookup(glued, code, False)
        return (power, end + n) if power else None
    if cjk is not None:
        return _multiplier(cjk, code), m.end("cjk")
    if word is not None:
        start = m.start("word")
        power, n = _mult_lookup(word, code, True)
        if power and not (n == 1 and text[start + 1 : start + 2] == "-"):  # $5 T-shirts
            return power, start + n
    return 0, end


def _after(text: str, tok: Token) -> list[Reading]:
    """The number written after the token (``$5``, ``Rp 2 miliar``), and a range's far end."""
    m = PRE_RX.match(text, tok.end)
    if m is None:
        return []
    tail = _tail(text, m, tok.code)
    if tail is None:
        return []
    power, end = tail
    crypto = tok.code in CRYPTO
    amount = _amount(m["num"], crypto, power, tok.factor)
    if amount is None:
        return []
    near = Reading(m.start("num"), tok.start, end, tok.code, amount, tok.strength)
    nxt = text[end : end + 2]
    if nxt[:1] not in _DASHES and (nxt[:1] not in _SPACES or nxt[1:] not in _DASHES):
        return [near]
    r = RANGE_AFTER_RX.match(text, end)
    far_tail = None if r is None else _tail(text, r, tok.code)
    if r is None or far_tail is None or _CHAIN_RX.match(text, far_tail[1]):
        return [near]
    far_power, far_end = far_tail
    far = _amount(r["num"], crypto, far_power, tok.factor)
    if far is None:
        return [near]
    if far_power and not power:  # $5-10k: 5k to 10k (but $500-1k: 500 to 1000)
        scaled = _amount(m["num"], crypto, far_power, tok.factor)
        if scaled is not None and scaled[0] <= far[0]:
            near = near._replace(amount=scaled)
    if near.amount[0] > far[0]:
        return [near]
    return [near, Reading(r.start("num"), r.start("num"), far_end, tok.code, far, 0)]


def _back(rx: re.Pattern[str], text: str, end: int, reach: int = WINDOW) -> re.Match[str] | None:
    """``rx`` matched backwards from ``end``: from the start of the reversed window before it.
    Spans of the match count back from ``end`` (see ``_span``)."""
    lo = max(0, end - reach)
    rev = text[lo:end][::-1]
    m = rx.match(rev)
    if m is not None and m.end() == len(rev) and lo and _LEFT_RX.match(text[lo - 1]):
        return None  # the window cut a longer number
    return m


def _span(m: re.Match[str], end: int, group: str) -> tuple[int, int]:
    a, b = m.span(group)
    return end - b, end - a


def _rev_power(m: re.Match[str], code: str) -> int | None:
    """The power of ten of a multiplier read backwards; None when the word there is not one
    (``15 orang dolar``: the number is not the token's)."""
    word, glued, cjk = m.group("word", "glued", "cjk")
    if cjk is not None:
        return _multiplier(cjk, code)
    raw = word if word is not None else glued
    if raw is None:
        return 0
    raw = raw[::-1]
    power, n = _mult_lookup(raw, code, word is not None)
    return power if power and n == len(raw) else None


def _year(text: str, ns: int, tok: Token) -> bool:
    """A year, not an amount: before a capitalised currency word, or ``in 2023 dollars``."""
    return tok.capitalised or (tok.strength == 2 and text[max(0, ns - 3) : ns].lower() == "in ")


def _before(text: str, tok: Token) -> list[Reading]:
    """The number written before the token (``100 USD``, ``1万元``), and a range's far end."""
    start = tok.start
    code = tok.code
    if tok.dollar:
        q = _back(_QUAL_BEFORE_REV_RX, text, start, 16)
        if q is not None:
            code = QUALIFIER_BEFORE[q["q"][::-1]]
            start -= q.end()
    if _DIGIT_RX.search(text, max(0, start - _REACH), start) is None:
        return []  # no digit near enough: the dollar fell
    m = _back(POST_REV_RX, text, start)
    if m is None:
        return []
    power = _rev_power(m, code)
    if power is None:
        return []
    ns, ne = _span(m, start, "num")
    raw = text[ns:ne]
    if tok.code == "USD" and tok.strength == 1 and ns and text[ns - 1] == "$":
        return []  # $5$: TeX, not money
    if not power and len(raw) == 4 and raw[:2] in ("19", "20") and _year(text, ns, tok):
        return []  # the 2024 Bitcoin conference, in 2023 dollars
    crypto = code in CRYPTO
    amount = _amount(raw, crypto, power, tok.factor)
    if amount is None:
        return []
    end = tok.end
    if tok.dollar:
        q = _QUAL_AFTER_RX.match(text, end)
        if q is not None:
            code, end = QUALIFIER_AFTER[q["q"]], q.end()
    near = Reading(ns, ns, end, code, amount, tok.strength)
    prv = text[max(0, ns - 2) : ns]
    if prv[-1:] not in _DASHES and (prv[-1:] not in _SPACES or prv[:1] not in _DASHES):
        return [near]
    r = _back(RANGE_REV_RX, text, ns)
    far_power = None if r is None else _rev_power(r, code)
    if r is None or far_power is None:
        # 2024-05-10 USD: a date or a phone number, not an amount
        return [] if _CHAIN_REV_RX.match(text[max(0, ns - 4) : ns][::-1]) else [near]
    fs, fe = _span(r, ns, "num")
    far_raw = text[fs:fe]
    if far_power:
        fe = ns - min(r.start(g) for g in ("word", "glued", "cjk") if r.start(g) >= 0)
        far = _amount(far_raw, crypto, far_power, tok.factor)
    else:  # 5-10 млн: 5 млн to 10 млн (but 500-1k: 500 to 1000)
        far = _amount(far_raw, crypto, power, tok.factor)
        if power and far is not None and far[0] > amount[0]:
            far = _amount(far_raw, crypto, 0, tok.factor)
    if far is None or far[0] > amount[0]:
        return [near]
    return [Reading(fs, fs, fe, code, far, 0), near]


def _ways(text: str, tok: Token) -> tuple[Callable[[str, Token], list[Reading]], ...]:
    """Where to look for the token's number, in order: only one side when the token has one
    (``Rp`` before, words after); else first the number glued after it (``2 $5 bills``), then
    the side a number touches (``5 € 10 €``)."""
    if not tok.pre:
        return (_before,)
    if not tok.post:
        return (_after,)
    if text[tok.end : tok.end + 1] in _DIGITS:
        return (_after, _before)
    i = tok.start - 1
    if i > 0 and text[i] in " \u00a0\u202f":
        i -= 1
    return (_before, _after) if i >= 0 and text[i] in _NUMBERISH else (_after, _before)


class MoneyExtractor(Extractor):
    kind: ClassVar[str] = "money"
    patterns: ClassVar[Sequence[bytes]] = PATTERNS

    def extract(self, post: Post, hits: Sequence[Hit]) -> Iterable[Found]:
        text = post.text
        claims: dict[int, Reading] = {}  # number start -> reading
        used: list[tuple[int, int]] = []  # tokens that named a number
        for p, s, e in hits:
            tok = _token(p, post, s, e)
            if tok is None or any(a < tok.end and tok.start < b for a, b in used[-4:]):
                continue  # a token is read once (USD$100: the code and the sign are one)
            for way in _ways(text, tok):
                readings = way(text, tok)
                if readings and _claim(claims, readings):
                    used.append((tok.start, tok.end))
                    break
        found = [
            Found("money", f"{r.amount[1]} {r.code}", r.start, r.end, r.code, None, r.amount[2])
            for r in claims.values()
        ]
        if len(found) > 1:
            found.sort(key=_by_start)
        return found


def _by_start(f: Found) -> int:
    return f.start or 0


def _claim(claims: dict[int, Reading], readings: list[Reading]) -> bool:
    """Record a token's readings, merging with the readings of other tokens of the same
    number (``$5 USD``). False, recording nothing, when the token's own number is already
    another currency's by a token at least as explicit (``USD 100 EUR 200``)."""
    near = readings[0] if readings[0].strength else readings[-1]
    old = claims.get(near.num)
    if old is None and len(readings) == 1:
        claims[near.num] = near
        return True
    if old is not None and old.code != near.code and old.strength == near.strength:
        return False
    for r in readings:
        old = claims.get(r.num)
        if old is None:
            claims[r.num] = r
            continue
        keep = r if r.strength > old.strength else old
        claims[r.num] = keep._replace(
            start=min(old.start, r.start),
            end=max(old.end, r.end),
            strength=max(keep.strength, r.strength),
        )
    return True


EXTRACTORS: list[Extractor] = [MoneyExtractor()]
