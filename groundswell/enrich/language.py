"""Per-post language and script detection, tuned for short posts (chat lines, tweets).

:func:`detect` takes a batch of texts and returns, per text, ``(language, confidence,
script)``: the ISO 639-1 code (``None`` when undetermined), a confidence in 0..1, and the ISO
15924 code of the text's dominant script (``None`` when it has no letters).

How a text is decided (docs/language.md has the measurements behind each step):

1. Only the first :data:`MAX_CHARS` characters are read, and URLs (with a scheme or www.),
   @handles, e-mail domains and #hashtags are blanked out: they say nothing about the language
   and pull short texts towards English.
2. Letters are counted per script in the first 300 characters of what is left (Han, kana and
   Hangul weigh :data:`CJK_WEIGHT` letters each): the dominant script is the text's script.
   Fewer than :data:`MIN_LETTERS` weighted letters, or nothing but laughter, interjections
   and chat abbreviations ("lol", "haha", "wkwk", "xD", "ok"), is undetermined.
3. A script of one language decides it outright: kana (with or without Han) ja, Hangul ko,
   Thai, Greek, Hebrew, Georgian, Armenian, Tamil ... So does a Cyrillic letter that only some
   alphabets have (ы э ё: ru; ї є ґ і: uk; ў: be; ђ ћ џ ј љ њ: sr; ѓ ќ ѕ: mk).
4. ASCII text of :data:`FW_MIN_LETTERS` letters or more whose common words (function words
   mostly, :data:`_FUNCTION_WORDS`) are at least :data:`FW_MIN_HITS` different ones, one per
   ten words or more, each of them common in the same one of en nl de fr es pt it id tr pl and
   no other language of the lists has them all (Afrikaans, Catalan, Galician, Danish, Tagalog
   ... are listed to say "not only those"): that language, without CLD2 (id then goes to the
   Indonesian/Malay word count below). About 45% of chat-like and forum-like posts.
5. Everything else goes to CLD2 (``pycld2``), whose answer is checked where short texts mislead
   it, by lingua restricted to a few plausible languages: Cyrillic that CLD2 does not call ru
   or uk (lingua over ru, uk, bg); Latin-script texts under :data:`SHORT_LETTERS` letters that
   CLD2 puts in a minor language (lingua over the ten major ones); longer ones it puts in a
   rare language or calls "English" with a low score and hardly an English function word
   (lingua over 24 languages; every lingua detector runs in its low-accuracy mode). Han-only
   text (no kana) of more than :data:`JA_MAX_HAN` characters is Chinese without asking CLD2;
   shorter, it is Chinese unless CLD2 says Japanese and it has 4 characters or more. Indonesian
   vs Malay is decided by words only one of them uses: Malay needs more Malaysian words than
   Indonesian ones, everything else of the pair is Indonesian.

Cost: CLD2 (3 to 8 µs a call on this project's reference machine, by length) for the Latin
posts the function words do not decide, the short Han-only ones and the Cyrillic ones without
a telling letter, plus 2 to 5 µs of Python (the function-word count about 1 µs); lingua is
reached by 0.3% of forum-like posts and 0.005% of chat-like ones (about 4% of the labelled
corpus, which is full of hard cases). Deterministic; never raises on any ``str``; the
detectors are loaded once per process, on first use or by :func:`warm` (call it
before forking worker processes, so that they share lingua's ~50 MB of models).
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Sequence
from typing import Any

import pycld2

__all__ = ["DETECTOR_VERSION", "MAX_CHARS", "detect", "script_of", "warm"]

DETECTOR_VERSION = "cld2r4"  # bump when the choice or its settings change
MAX_CHARS = 1000  # characters of a text that are read
MIN_LETTERS = 4  # weighted letters below which a text is undetermined
CJK_WEIGHT = 2  # one Han / kana / Hangul character counts as this many letters
EN_MIN_SCORE = 800.0  # CLD2 normalised score below which "English" gets a second opinion
JA_MAX_HAN = 16  # Han characters (no kana) above which a text is Chinese without asking CLD2

Result = tuple[str | None, float | None, str | None]

# ---------------------------------------------------------------------------------------------
# scripts

# (first code point, last code point, ISO 15924 code); "Kana" is internal (kana -> Jpan)
_RANGES = sorted(
    [
        (0x0041, 0x024F, "Latn"),
        (0x0250, 0x02AF, "Latn"),
        (0x1E00, 0x1EFF, "Latn"),
        (0x2C60, 0x2C7F, "Latn"),
        (0xA720, 0xA7FF, "Latn"),
        (0xAB30, 0xAB6F, "Latn"),
        (0xFF21, 0xFF5A, "Latn"),
        (0x0370, 0x03FF, "Grek"),
        (0x1F00, 0x1FFF, "Grek"),
        (0x0400, 0x052F, "Cyrl"),
        (0x1C80, 0x1C8F, "Cyrl"),
        (0x2DE0, 0x2DFF, "Cyrl"),
        (0xA640, 0xA69F, "Cyrl"),
        (0x0530, 0x058F, "Armn"),
        (0x0590, 0x05FF, "Hebr"),
        (0xFB1D, 0xFB4F, "Hebr"),
        (0x0600, 0x06FF, "Arab"),
        (0x0750, 0x077F, "Arab"),
        (0x0870, 0x08FF, "Arab"),
        (0xFB50, 0xFDFF, "Arab"),
        (0xFE70, 0xFEFF, "Arab"),
        (0x0700, 0x074F, "Syrc"),
        (0x0780, 0x07BF, "Thaa"),
        (0x07C0, 0x07FF, "Nkoo"),
        (0x0900, 0x097F, "Deva"),
        (0xA8E0, 0xA8FF, "Deva"),
        (0x0980, 0x09FF, "Beng"),
        (0x0A00, 0x0A7F, "Guru"),
        (0x0A80, 0x0AFF, "Gujr"),
        (0x0B00, 0x0B7F, "Orya"),
        (0x0B80, 0x0BFF, "Taml"),
        (0x0C00, 0x0C7F, "Telu"),
        (0x0C80, 0x0CFF, "Knda"),
        (0x0D00, 0x0D7F, "Mlym"),
        (0x0D80, 0x0DFF, "Sinh"),
        (0x0E00, 0x0E7F, "Thai"),
        (0x0E80, 0x0EFF, "Laoo"),
        (0x0F00, 0x0FFF, "Tibt"),
        (0x1000, 0x109F, "Mymr"),
        (0x10A0, 0x10FF, "Geor"),
        (0x1C90, 0x1CBF, "Geor"),
        (0x1100, 0x11FF, "Hang"),
        (0x1200, 0x139F, "Ethi"),
        (0x13A0, 0x13FF, "Cher"),
        (0x1400, 0x167F, "Cans"),
        (0x1780, 0x17FF, "Khmr"),
        (0x1800, 0x18AF, "Mong"),
        (0x3005, 0x3007, "Hani"),
        (0x3021, 0x3029, "Hani"),
        (0x3038, 0x303B, "Hani"),
        (0x3040, 0x30FF, "Kana"),
        (0x31F0, 0x31FF, "Kana"),
        (0xFF66, 0xFF9F, "Kana"),
        (0x3100, 0x312F, "Bopo"),
        (0x31A0, 0x31BF, "Bopo"),
        (0x3130, 0x318F, "Hang"),
        (0xA960, 0xA97F, "Hang"),
        (0xAC00, 0xD7FF, "Hang"),
        (0xFFA0, 0xFFDC, "Hang"),
        (0x3400, 0x4DBF, "Hani"),
        (0x4E00, 0x9FFF, "Hani"),
        (0xF900, 0xFAFF, "Hani"),
        (0xA000, 0xA4CF, "Yiii"),
        (0x20000, 0x3FFFF, "Hani"),
    ]
)
_STARTS = [r[0] for r in _RANGES]
_CJK = frozenset({"Hani", "Kana", "Hang"})

# Fast path: the UTF-8 bytes of the sample, translated so that each letter leaves one class
# byte (its lead byte's class) and everything else (continuation bytes, ASCII non-letters,
# punctuation, symbols, emoji) is deleted; then one count per class present. Blocks that share
# a lead byte with other scripts (Indic, Thai, Georgian, Khmer ...: lead bytes E0, E1) take the
# exact path: a regex for letter runs and a lookup of each run's first character.
_CLASS = {
    **{c: b"L" for c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"},
    **{c: b"L" for c in range(0xC3, 0xCB)},  # U+00C0-02BF Latin-1 letters, Latin Ext A/B, IPA
    0xCE: b"G",  # U+0380-03FF Greek
    0xCF: b"G",
    **{c: b"C" for c in range(0xD0, 0xD5)},  # U+0400-053F Cyrillic (and supplement)
    0xD5: b"R",  # U+0540-057F Armenian
    0xD7: b"H",  # U+05C0-05FF Hebrew letters
    **{c: b"A" for c in (0xD8, 0xD9, 0xDA, 0xDB, 0xDD)},  # U+0600-06FF, 0740-077F Arabic
    0xE0: b"x",  # U+0800-0FFF Indic, Thai, Lao, Tibetan: exact path
    0xE1: b"x",  # U+1000-1FFF Myanmar, Georgian, Hangul Jamo, Ethiopic, Khmer ...: exact path
    0xE3: b"k",  # U+3000-3FFF CJK punctuation, kana, Bopomofo, Hangul compatibility jamo
    **{c: b"h" for c in range(0xE4, 0xEA)},  # U+4000-9FFF Han
    **{c: b"g" for c in range(0xEA, 0xEE)},  # U+A000-DFFF, mostly Hangul syllables
}
_TABLE = bytes(_CLASS.get(i, b" ")[0] for i in range(256))
_DELETE = bytes(i for i in range(256) if i not in _CLASS)
_CLASSES = (
    (b"L", "Latn"),
    (b"C", "Cyrl"),
    (b"h", "Hani"),
    (b"A", "Arab"),
    (b"g", "Hang"),
    (b"G", "Grek"),
    (b"H", "Hebr"),
    (b"R", "Armn"),
)
_KANA_B = (b"\xe3\x81", b"\xe3\x82", b"\xe3\x83")  # U+3040-30FF
_JAMO_B = (b"\xe3\x84", b"\xe3\x85", b"\xe3\x86")  # U+3100-31BF, mostly Hangul jamo

# letter runs, ASCII apart from the rest so "app闪退了" counts 3 Latin and 3 Han letters
_RUNS = re.compile(r"[A-Za-z]+|[^\W\d_A-Za-z]+")
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_SCRIPT_OF_CHAR: dict[str, str] = {}  # first letters of runs seen so far -> script


def _char_script(ch: str) -> str:
    script = _SCRIPT_OF_CHAR.get(ch)
    if script is None:
        cp = ord(ch)
        i = bisect.bisect_right(_STARTS, cp) - 1
        script = _RANGES[i][2] if i >= 0 and cp <= _RANGES[i][1] else "Zyyy"
        if len(_SCRIPT_OF_CHAR) < 100_000:
            _SCRIPT_OF_CHAR[ch] = script
    return script


def _script_counts(sample: str, raw: bytes | None = None) -> tuple[dict[str, int], int]:
    """Letters per script in ``sample`` (at most 300 characters), Han, kana and Hangul
    weighing CJK_WEIGHT each; and their sum. ``raw``: ``sample`` in UTF-8, if at hand."""
    if raw is None:
        raw = sample.encode("utf-8", "ignore")  # "ignore": lone surrogates
    classes = raw.translate(_TABLE, _DELETE)
    n = len(classes)
    if not n:  # no letters, or only rare forms (half-width kana, CJK Extension B ...)
        return ({}, 0) if len(raw) == len(sample) else _script_counts_exact(sample)
    if classes.count(b"L") == n:
        return {"Latn": n}, n
    if b"x" in classes:
        return _script_counts_exact(sample)
    counts: dict[str, int] = {}
    left = n
    k = classes.count(b"k")
    if k:
        left -= k
        kana = sum(map(raw.count, _KANA_B))
        if kana:
            counts["Kana"] = kana * CJK_WEIGHT
        jamo = sum(map(raw.count, _JAMO_B))
        if jamo:
            counts["Hang"] = jamo * CJK_WEIGHT
    for cls, script in _CLASSES:
        if left <= 0:
            break
        c = classes.count(cls)
        if c:
            left -= c
            if script in _CJK:
                c *= CJK_WEIGHT
            counts[script] = counts.get(script, 0) + c
    return counts, sum(counts.values())


def _script_counts_exact(sample: str) -> tuple[dict[str, int], int]:
    counts: dict[str, int] = {}
    for run in _RUNS.findall(sample):
        script = _char_script(run[0])
        n = len(run) * CJK_WEIGHT if script in _CJK else len(run)
        counts[script] = counts.get(script, 0) + n
    counts.pop("Zyyy", None)
    if "Hani" in counts:  # a Japanese run is counted by its first letter, Han or kana
        cj = counts["Hani"] + counts.get("Kana", 0)
        kana = len(_KANA.findall(sample)) * CJK_WEIGHT
        if kana:
            counts["Kana"] = kana
            counts["Hani"] = cj - kana
            if not counts["Hani"]:
                del counts["Hani"]
    return counts, sum(counts.values())


def _dominant(counts: dict[str, int]) -> str | None:
    """The script with most letters (kana with Han together: Jpan; Han with Hangul: Hang)."""
    if len(counts) < 2:
        script = next(iter(counts), None)
        return "Jpan" if script == "Kana" else script
    top = max(counts.values())
    if "Kana" in counts and counts["Kana"] + counts.get("Hani", 0) >= top:
        return "Jpan"
    if "Hang" in counts and counts["Hang"] + counts.get("Hani", 0) >= top:
        return "Hang"  # Korean with Hanja
    return max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]


def _without_links(text: str) -> str:
    """``text`` with _LINKS blanked out (the same object when it has nothing to blank)."""
    if "://" in text or "@" in text or "#" in text or "www." in text:
        return _LINKS.sub(" ", text)
    return text


def script_of(text: str) -> str | None:
    """ISO 15924 code of the dominant script of ``text`` (of its first 300 characters; the
    letters of URLs, handles and hashtags count only when there are no others)."""
    head = text[:300]
    sample = _without_links(head)
    script = _dominant(_script_counts(sample)[0])
    if script is None and sample is not head:
        script = _dominant(_script_counts(head)[0])
    return script


# ---------------------------------------------------------------------------------------------
# cleaning and the undetermined rule

# URLs (with a scheme or www.), @handles and e-mail domains, #hashtags: blanked out before
# detection (only run on texts that have "://", "@", "#" or "www."). Bare hosts without a scheme
# stay: matching them costs a regex attempt at every word, and they are rare in short posts.
# Every branch starts with its own literal character, so the regex engine skips ahead to the
# next "@", "#", "h", "f" or "w" instead of trying the pattern at every position (3x faster);
# the first character picks the branch, so the order of the branches does not matter. A URL
# ends at a Chinese, Japanese or Korean character or full-width punctuation: text glued to it
# is text, not part of the URL.
_URL_CHARS = "[^\\s\u3000-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]*"
_LINKS = re.compile(
    rf"@\S*|#\S*|h(?:ttps?|xxps?)://{_URL_CHARS}|ftp://{_URL_CHARS}|www\.{_URL_CHARS}"
)
_LAUGH = re.compile(
    r"(?:[aeiou]?h[aeiouy]){2,}h?|(?:ha|he|hi|ho|hu)+|(?:[jx][aeiou]){2,}|(?:ah|eh)+"
    r"|a*ha+h*|h+[mu]+|u+h+m*|e+h+|o+h+|m+h*|l+o+l+z?|lu+l+|lmf?a+o+|ro+fl|o+m+f?g+|x+d+|k+"
    r"|(?:wk)+w?|(?:kw)+k?|o+k+(?:a+y*)?|okey|kk+|gg(?:wp)?|wp|brb|afk|idk|tbh|imo|smh"
    r"|thx|thnx|ty|pls|plz|btw|fyi|jk|nvm|xoxo|yay|yey|wow|w+|z+|ㅋ+|ㅎ+|ㅠ+|ㅜ+"
)
_NEUTRAL = re.compile(rf"[\W\d_]*(?:(?:{_LAUGH.pattern})(?:[\W\d_]+|$))+", re.IGNORECASE)


# a letter no laughter token has (one is enough to rule the text out, in one fast scan): not
# a-z, nor what IGNORECASE matches to them (İ ı ſ K), nor ㅋ ㅎ ㅠ ㅜ
_NOT_NEUTRAL = re.compile("[^\\W\\d_a-zA-Z\u0130\u0131\u017f\u212a\u314b\u314e\u315c\u3160]")


def _neutral(text: str) -> bool:
    """Only laughter, interjections and chat abbreviations (and symbols, emoji, digits): says
    nothing about the language."""
    return _NOT_NEUTRAL.search(text) is None and _NEUTRAL.fullmatch(text) is not None


# ---------------------------------------------------------------------------------------------
# languages decided by their script alone

_BY_SCRIPT = {
    "Jpan": "ja",
    "Kana": "ja",
    "Hang": "ko",
    "Thai": "th",
    "Grek": "el",
    "Hebr": "he",
    "Geor": "ka",
    "Armn": "hy",
    "Khmr": "km",
    "Laoo": "lo",
    "Mymr": "my",
    "Sinh": "si",
    "Taml": "ta",
    "Telu": "te",
    "Knda": "kn",
    "Mlym": "ml",
    "Gujr": "gu",
    "Guru": "pa",
    "Orya": "or",
    "Tibt": "bo",
    "Thaa": "dv",
}

# ---------------------------------------------------------------------------------------------
# second opinions (lingua, restricted by script), loaded once per process on first use

# plausible Latin-script languages for a second opinion (all supported by lingua)
LATIN = "en es pt fr de it nl id ms tr pl sv da nb fi ro cs hu vi tl ca hr af sw".split()
# the most used Latin-script languages online: for very short texts (CLD2 guesses there)
MAJOR_LATIN = "en es pt fr de it nl id tr pl".split()
# Cyrillic without any letter that tells the alphabet (see _CYR_ORDER): Macedonian and Serbian
# short of their own letters are rare, and lingua mistakes short Russian for Macedonian
CYRILLIC = "ru uk bg".split()
ARABIC = "ar fa ur".split()
_GROUPS = {"Latn": LATIN, "Latn-short": MAJOR_LATIN, "Cyrl": CYRILLIC, "Arab": ARABIC}
SHORT_LETTERS = 16  # fewer letters than this: a short text
# CLD2's Latin-script answers taken without a second opinion (others are rare in short posts
# and mostly CLD2 guessing: jv, tl, haw, bi, la ... for Indonesian or English slang)
_LATIN_SET = frozenset(LATIN + "et lv lt sk sl sq eu ga cy is az uz mt lb".split())
_MAJOR_SET = frozenset([*MAJOR_LATIN, "ms"])

_lock = threading.Lock()
_lingua: dict[str, Any] = {}


def _detector(group: str) -> Any:
    """lingua's detector over the languages of ``group`` (a key of _GROUPS), built once."""
    det = _lingua.get(group)
    if det is None:
        with _lock:
            det = _lingua.get(group)
            if det is None:
                from lingua import IsoCode639_1, LanguageDetectorBuilder

                codes = [getattr(IsoCode639_1, c.upper()) for c in _GROUPS[group]]
                builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
                # low accuracy (trigrams only): 53 MB for every detector, where high accuracy
                # took 420 MB in every importing process (and ~500 µs a call for 24 languages)
                # for one answer more in 1,551 (docs/language.md)
                builder = builder.with_low_accuracy_mode()
                det = builder.with_preloaded_language_models().build()
                _lingua[group] = det
    return det


def _second_opinion(script: str, text: str) -> str | None:
    """lingua's answer among the plausible languages of ``script`` (None if it has none)."""
    det = _lingua.get(script) or _detector(script)
    lang = det.detect_language_of(text.encode("utf-8", "replace").decode("utf-8"))
    return None if lang is None else str(lang.iso_code_639_1.name.lower())


# one short text per script CLD2 is asked about: warm() runs them so its tables are paged in
_WARM_TEXTS = (
    "the bus is late again, third time this week",
    "de trein naar utrecht heeft weer vertraging",
    "автобус опять опаздывает, жду уже двадцать минут",
    "公交车又晚点了，等了二十分钟",
    "الباص تأخر مرة ثانية، صار لي عشرين دقيقة أنتظر",
    "नमस्ते दोस्तों आज मौसम बहुत अच्छा है",
)


def warm() -> None:
    """Load CLD2's tables and every lingua detector :func:`detect` may use, now: call it in a
    parent process before it forks its workers, so that they share the memory (lingua's
    models are ~50 MB and take ~1 s to load; docs/language.md has the figures)."""
    for group in _GROUPS:
        _detector(group)
    detect(_WARM_TEXTS)
    for text in _WARM_TEXTS:
        _cld2(text)


# ---------------------------------------------------------------------------------------------
# Cyrillic: letters only some languages use

_CYR_MARK = re.compile("[ўЎїєґЇЄҐђћџЂЋЏѓќѕЃЌЅыэёЫЭЁіІјљњЈЉЊ]")
# a letter only some Cyrillic alphabets have -> the language, most telling first
_CYR_ORDER = (
    ("be", "ўЎ"),
    ("uk", "їєґЇЄҐ"),
    ("sr", "ђћџЂЋЏ"),
    ("mk", "ѓќѕЃЌЅ"),
    ("ru", "ыэёЫЭЁ"),
    ("uk", "іІ"),
    ("sr", "јљњЈЉЊ"),
)


_CYR_RANK = {ch: i for i, (_lang, letters) in enumerate(_CYR_ORDER) for ch in letters}
# _CYR_ABOVE[i]: the letters of the groups before group i
_CYR_ABOVE = [
    re.compile("[" + "".join(letters for _lang, letters in _CYR_ORDER[:i]) + "]") if i else None
    for i in range(len(_CYR_ORDER))
]


def _cyrillic_letters(text: str) -> str | None:
    """The language of the most telling letter of _CYR_ORDER in ``text``, if any (the first
    one found, then a search for more telling ones: faster than finding them all)."""
    m = _CYR_MARK.search(text)
    if m is None:
        return None
    rank = _CYR_RANK[m.group()]
    while rank:
        above = _CYR_ABOVE[rank]
        assert above is not None
        m = above.search(text)
        if m is None:
            break
        rank = _CYR_RANK[m.group()]
    return _CYR_ORDER[rank][0]


# ---------------------------------------------------------------------------------------------
# Indonesian vs Malay: words one uses and the other does not (or rarely)

# Words of everyday Indonesian and of Malaysian Malay that the other does not use (or uses
# rarely, or in another sense): spelling (coba / cuba, jembatan / jambatan), vocabulary (mobil /
# kereta is left out: kereta is "train" in Indonesian), and the colloquial particles of each.
_ID_WORDS = frozenset(
    w.encode()
    for w in """gak ga nggak enggak ngga banget udah aja nih sih dong kok deh gimana kayak kalo
    bikin uang mobil sepeda gratis kantor kemarin telat karena bisa mau lagian emang doang gue lu
    tuh yuk makasih libur kulkas baterai telepon berhasil coba jembatan toko kamar polisi kursi
    paham pikir antre macet kendaraan kecelakaan celana sepatu besok perbaiki pertandingan
    ujian pemerintah""".split()
)
_MS_WORDS = frozenset(
    w.encode()
    for w in """tak takde tiada sahaja je kerana wang basikal percuma hujung pejabat awak korang
    diorang mesyuarat bas teksi kat nak sikit peperiksaan cikgu darjah minit resit emel
    telefon bateri mahu jom kot ni tu sesiapa berjaya cuba jambatan kedai bilik tandas polis
    kerusi faham fikir beratur lif jem kenderaan kemalangan seluar kasut makcik pakcik esok
    baiki lepak tapau ringgit perlawanan universiti sebab""".split()
)
_WORD = re.compile(rb"[a-z]+(?:-[a-z]+)?")
# text without a hyphen: its _WORD matches are its runs of a-z (a faster split)
_NOT_AZ = bytes(c if 0x61 <= c <= 0x7A else 0x20 for c in range(256))


def _words(text: str, raw: bytes | None = None) -> list[bytes]:
    """The lower-cased words of ``text`` (in UTF-8: ``raw``, if at hand): runs of a-z, two
    joined by a hyphen."""
    if raw is None or not text.isascii():  # (str.lower() turns K İ into k i)
        raw = text.lower().encode("utf-8", "surrogatepass")
    else:
        raw = raw.lower()
    if b"-" in raw:
        return _WORD.findall(raw)
    return raw.translate(_NOT_AZ).split()


def _id_or_ms(text: str, raw: bytes | None = None) -> str:
    """Malay when the text has more Malaysian words than Indonesian ones; Indonesian otherwise
    (CLD2 calls formal Indonesian Malay; see docs/language.md)."""
    words = _words(text, raw)
    if _MS_WORDS.isdisjoint(words):
        return "id"
    malay = sum(map(_MS_WORDS.__contains__, words))
    return "ms" if malay > sum(map(_ID_WORDS.__contains__, words)) else "id"


_EN_WORDS = frozenset(
    w.encode()
    for w in """the a an is are was were be been am i you he she it we they my your our their me him
    her us them this that these those to of and in on at for with from by not no but so if
    or just what why how who when where can can't do does did don't doesn't have has had
    will would should could i'm it's that's there here about all any some""".split()
)


def _looks_english(text: str, raw: bytes | None = None) -> bool:
    return sum(map(_EN_WORDS.__contains__, _words(text, raw))) >= 2


# ---------------------------------------------------------------------------------------------
# CLD2


# what CLD2 rejects as "invalid UTF-8": C0 and C1 controls (bar tab, newline, carriage return),
# noncharacters; lone surrogates are replaced when the text is encoded
_CLD2_REJECTS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff"
    + "".join(f"{chr(p * 0x10000 + 0xFFFE)}{chr(p * 0x10000 + 0xFFFF)}" for p in range(1, 17))
    + "]"
)


def _cld2(cleaned: str, raw: bytes | None = None) -> tuple[str | None, float, float]:
    """(language or None, percent of the text, normalised score). ``raw``: ``cleaned`` in
    UTF-8, if at hand."""
    if raw is None:
        raw = cleaned.encode("utf-8", "replace")
    try:
        _reliable, _n, details = pycld2.detect(raw, isPlainText=True, bestEffort=True)
    except pycld2.error:
        raw = _CLD2_REJECTS.sub(" ", cleaned).encode("utf-8", "replace")
        try:
            _reliable, _n, details = pycld2.detect(raw, isPlainText=True, bestEffort=True)
        except pycld2.error:
            return None, 0.0, 0.0
    _name, code, pct, score = details[0]
    if code in ("un", "xx", "xxx") or code.startswith("xx-"):
        return None, 0.0, 0.0
    code = _CLD_ALIASES.get(code, code)
    return code.split("-", 1)[0], float(pct), float(score)


_CLD_ALIASES = {"iw": "he", "in": "id", "jw": "jv", "zh-Hant": "zh", "ji": "yi"}


def _confidence(share: float, letters: int) -> float:
    """A monotone score, not a calibrated probability: the share of the text that is in the
    chosen language, shrunk for short texts (20 letters: x0.77, 60 letters: x0.91)."""
    key = (share, letters)
    conf = _CONFIDENCE.get(key)
    if conf is None:
        conf = round(min(1.0, share) * letters / (letters + 6), 3)  # round(): 0.5 µs
        if len(_CONFIDENCE) < 100_000:
            _CONFIDENCE[key] = conf
    return conf


_CONFIDENCE: dict[tuple[float, int], float] = {}


def _latin(cleaned: str, raw: bytes | None, letters: int) -> tuple[str | None, str | None, float]:
    """Language of a Latin-script text: (language, CLD2's answer, CLD2's percent)."""
    cld, pct, score = _cld2(cleaned, raw)
    lang = cld
    if letters < SHORT_LETTERS:
        if cld not in _MAJOR_SET:
            lang = _second_opinion("Latn-short", cleaned) or cld
    elif (cld is None or cld not in _LATIN_SET) or (
        cld == "en" and score < EN_MIN_SCORE and not _looks_english(cleaned, raw)
    ):
        lang = _second_opinion("Latn", cleaned) or cld
    if lang == "id" or lang == "ms":
        lang = _id_or_ms(cleaned, raw)
    return lang, cld, pct


# ---------------------------------------------------------------------------------------------
# function words: a fast path past CLD2 for ASCII text whose common words all point one way

# Per language, common words (function words mostly) as written in ASCII; a word listed under
# several languages is common in each of them. The first ten are the languages the fast path
# may answer ("id" stands for Indonesian and Malay together: _id_or_ms decides); the others are
# there to say "not only those": a text with a word of theirs is left to CLD2. Words too common
# across languages to tell anything ("a", "i", "o", "e", "la", "un", "no", "se", "na", "te",
# "so", "da", "tu", "si"...) are left out: an unlisted word is no evidence either way.
_FUNCTION_WORDS = {
    "en": """do w the and is are was were been of to in on at for with this that it you he she they
        we my your our their have has had not but what will would can could should just about there
        if them him her who why how when which because really very from im am by or plus pour come
        men care may see til bare word com war hat bin van met yo ty ad""",
    "nl": """de het een en van is dat die niet ik je zijn op in met voor er maar aan ook als dan nog
        wat bij naar zo heb heeft hebben was wel geen mijn wij we jij hij zij ze deze wordt worden
        omdat moet gaat weer hoe uit veel dit zou kunnen vandaag echt mooi toe niks ben wie nu""",
    "de": """du der die das und ist nicht ich er sie es ein eine einen dem den des mit auf zu im von
        auch sich wir ihr aber noch wie nur schon oder wenn dass sind war hat haben bin bist wird
        kann jetzt heute sehr was will mein kein keine nach bei aus gibt als echt worden am nie""",
    "fr": """le les et est une des du de que qui je il elle nous vous ils pas dans pour sur avec
        mais ce cette suis ai sont fait tout plus bien trop mon au aux on qu j c l en lui non or dit
        y nos ni nu""",
    "es": """he ni el los las de que y en es por para con del como pero muy ya esta este eso esto
        hay yo estoy tengo porque cuando donde todo nada hoy bueno tambien hace hasta pues mi le lo
        su mas dos nos bien han aqui cosa dar ser""",
    "pt": """de do dos das que em com para por nao mais mas muito ele ela eu voce isso isto esse
        essa tem foi ser estou pra tambem hoje aqui quando onde porque todo nada como esta este vou
        vai agora bem ainda nos nas os mau lei sempre dar""",
    "it": """in ai ce il lo le di del della che non per con su sono ho hai ci come anche questo
        questa molto piu tutto ancora oggi io lui lei noi voi loro sempre perche cosa fatto dopo qui
        gia dei degli alla nel nella cosi ora stato mi c l pero esse quando vi""",
    "id": """yang dan di ini itu dengan untuk tidak ada ke dari saya aku kamu akan juga sudah bisa
        mau lagi tapi kalau atau pada karena sangat banget gak ya apa jadi sama mereka kita kami
        belum masih baru lebih seperti harus tak sana""",
    "tr": """bir ve bu de ben sen ama gibi daha var yok mi ile kadar sonra bana sana benim senin iyi
        nasil icin cok degil simdi hic ya""",
    "pl": """tak nie to jest sie w z ze co jak ale mnie ty on my juz tylko bo od za dla czy
        jestem jeszcze tez moze bardzo teraz przez ktory wiem dzis byl bylo jego nas ile wie
        sama ani do""",
    # other Latin-script languages
    "af": """in die nie ek jy ons hulle sy baie vir hierdie het is was en van dat met op aan ook
        maar wat hoe weer geen moet dit veel uit omdat mooi vandaag niks wel dan een voor toe sal
        jou nou julle my by hom gister word""",
    "ca": """l els amb per del que de el les es molt aixo avui doncs jo perque aquest aquesta com hi
        ho des qui pas mon nos en""",
    "gl": """sempre mas unha moi xa iso moito cando tamen que de en para por isto eu con pero mais
        como agora aqui onde nada todo non ser dos das ela esta este foi""",
    "da": """her tak og er det at til en den de for med som har ikke jeg du vi han var ja om af fra
        min din meg deg mig dig hvad hva hvor men bare skal nej nei dem der nu""",
    "sv": """en du tak och att det jag inte som med har till vi han hon den de var mig dig bara ska
        nej men er sen dem nu just""",
    "ro": """de are este cu pe nu sunt care din pentru acum foarte fost doar dar asta am ea ei in ce
        eu noi au ai hai ora""",
    "tl": """ang ng mga ako ko siya tayo kayo sila po naman yung lang talaga hindi din rin kasi ito
        iyan wala dito doon kung nga may pero para sama lagi kita kami""",
    "cs": """tak z nas jsem jsi jsou neni aby ani v ze to ale jak co je ke ty on my za od do ona""",
    "hr": """to nije nisam jer samo kao smo ste ovo bio bila biti kad je su od za ali ona ko
        jego""",
    "sq": """dhe nje eshte nga qe jam une nuk per""",
    "hu": """az hogy nem egy meg csak ez azt nagyon van is de mit el hat""",
    "fi": """olen ole etta mutta niin nyt vain tama joka kanssa mina sina on ei han oli""",
    "et": """kas ning aga mis see on ei oli et""",
    "lv": """ir yra ari su""",
    "sw": """kwa katika hii kuwa lakini mimi wewe ya sana""",
    "vi": """khong cua toi duoc nhung nguoi mot nay""",
    "lb": """de ech ass sinn hunn fir vun awer dat wat den och""",
    "fy": """fan yn foar mei hy wy de it en is dat op ik""",
    "la": """et est non in sed quod ad ut""",
    "eo": """kaj estas kun de en por mi vi sed""",
    "jv": """ora wis iki karo kuwi sing opo ning nang aku""",
    "su": """teu naon ieu jeung urang pisan mah""",
}
# the languages the fast path answers (their bits are the low ones)
_FAST_LANGS = ("en", "nl", "de", "fr", "es", "pt", "it", "id", "tr", "pl")
_FW_MASK: dict[bytes, int] = {}
for _bit, _words_of in enumerate(_FUNCTION_WORDS.values()):
    for _w in _words_of.split():
        _FW_MASK[_w.encode()] = _FW_MASK.get(_w.encode(), 0) | 1 << _bit
_FW_SET = frozenset(_FW_MASK)
_FW_LANG = {1 << i: lang for i, lang in enumerate(_FAST_LANGS)}
FW_MIN_HITS = 3  # distinct function words, all of one language, to skip CLD2
FW_MIN_LETTERS = 20  # letters below which CLD2 is always asked


def _by_function_words(raw: bytes) -> str | None:
    """The language of an ASCII text (``raw``) when its function words are at least
    FW_MIN_HITS different ones (and one per ten words), every one of them common in that
    language and, among the languages of _FUNCTION_WORDS, in none other with all of them;
    None otherwise."""
    words = raw.lower().translate(_NOT_AZ).split()
    found = _FW_SET.intersection(words)
    if len(found) < FW_MIN_HITS or len(found) * 10 < len(words):
        return None
    mask = -1
    for w in found:
        mask &= _FW_MASK[w]
    return _FW_LANG.get(mask)


# ASCII characters that are not letters (deleted to count the letters of ASCII text)
_ASCII_NONLETTERS = bytes(i for i in range(128) if not chr(i).isalpha())


# ---------------------------------------------------------------------------------------------


def _detect_one(text: str) -> Result:
    head = text[:MAX_CHARS]
    cleaned = _without_links(head)
    if cleaned.isascii():  # most posts: the letters are A-Z, a-z (Latin), the bytes are the text
        ascii_raw = cleaned.encode("ascii")
        letters = len(ascii_raw[:300].translate(None, _ASCII_NONLETTERS))
        if not letters:  # no letters but in URLs, handles or hashtags, if any
            return None, None, (script_of(head) if cleaned is not head else None)
        if letters < MIN_LETTERS or (letters < 40 and _neutral(cleaned[:300])):
            return None, None, "Latn"
        lang = _by_function_words(ascii_raw) if letters >= FW_MIN_LETTERS else None
        if lang is not None:  # CLD2 is not asked
            if lang == "id":
                lang = _id_or_ms(cleaned, ascii_raw)
            return lang, _confidence(1.0, letters), "Latn"
        lang, cld, pct = _latin(cleaned, ascii_raw, letters)
        if lang is None or len(lang) != 2:
            return None, None, "Latn"
        return lang, _confidence(min(1.0, pct / 100) if cld == lang else 1.0, letters), "Latn"
    sample = cleaned[:300]
    raw: bytes | None
    try:
        raw = cleaned.encode()
    except UnicodeEncodeError:  # lone surrogates: dropped to count, replaced for CLD2
        raw = None
    counts, letters = _script_counts(
        sample, raw if raw is not None and len(sample) == len(cleaned) else None
    )
    script = _dominant(counts)
    if script is None:  # no letters but in URLs, handles or hashtags, if any
        return None, None, (script_of(head) if cleaned is not head else None)
    if letters < MIN_LETTERS or (letters < 40 and _neutral(sample)):
        return None, None, script
    if script == "Jpan":
        share = (counts.get("Kana", 0) + counts.get("Hani", 0)) / letters
    elif script == "Hang":
        share = (counts.get("Hang", 0) + counts.get("Hani", 0)) / letters
    else:
        share = counts[script] / letters
    lang = _BY_SCRIPT.get(script)
    if lang is not None:
        return lang, _confidence(share, letters), script
    if script == "Cyrl":
        lang = _cyrillic_letters(sample)
        if lang is not None:  # decided by its letters: CLD2 is not asked
            return lang, _confidence(share, letters), script
    if script == "Latn":
        lang, cld, pct = _latin(cleaned, raw, letters)
    elif script == "Hani" and counts["Hani"] > JA_MAX_HAN * CJK_WEIGHT:
        # Japanese of this length without a single kana is not a post: Chinese, CLD2 not asked
        return "zh", _confidence(share, letters), script
    else:
        cld, pct, _score = _cld2(cleaned, raw)
        if script == "Hani":
            # Japanese written in Han characters only is rare: it takes CLD2 and 4 characters
            lang = "ja" if cld == "ja" and counts["Hani"] >= 4 * CJK_WEIGHT else "zh"
        elif script == "Cyrl":
            # none of the telling letters: CLD2 is trusted for ru and uk; its bg, mk, sr (short
            # Russian and Bulgarian look alike to it) go to lingua
            lang = cld if cld == "ru" or cld == "uk" else _second_opinion("Cyrl", cleaned)
        elif script == "Arab":
            lang = cld if cld is not None else _second_opinion("Arab", cleaned)
        else:
            lang = cld
    if lang is None or len(lang) != 2:  # (CLD2 knows a few languages ISO 639-1 does not)
        return None, None, script
    if cld == lang:
        share = min(share, pct / 100)
    return lang, _confidence(share, letters), script


def detect(texts: Sequence[str]) -> list[Result]:
    """Per text: (ISO 639-1 code or None when undetermined, confidence 0..1 or None, ISO 15924
    script code of the text's dominant script: Latn, Cyrl, Hani, Jpan (kana present), Hang, Arab,
    Grek, Hebr, Thai, Deva ... or None when there are no letters)."""
    out: list[Result] = []
    append = out.append
    for text in texts:
        try:
            append(_detect_one(text) if text else (None, None, None))
        except Exception:  # a guarantee of the API: one odd text never fails a batch
            append((None, None, None))
    return out
