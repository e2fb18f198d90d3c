"""Language and script detection: accuracy floor on the labelled corpus, undetermined texts,
script codes, hostile input, determinism."""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groundswell.enrich import language
from groundswell.enrich.language import _detect_one, detect, script_of

CASES = Path(__file__).resolve().parents[1] / "cases" / "language"

# Measured by benchmarks/language_accuracy.py when the detector was chosen (docs/language.md):
# 0.990 over all 1,551 cases; 0.99 to 1.00 on en, nl, ru, zh, id; Malay, the weakest, 0.83.
# The floors sit a little below, so a regression fails.
OVERALL_FLOOR = 0.98
LANGUAGE_FLOOR = {"en": 0.97, "nl": 0.97, "ru": 0.97, "zh": 0.97, "id": 0.96, "und": 0.97}
ANY_LANGUAGE_FLOOR = 0.78


def load_cases() -> list[tuple[str, str]]:
    cases = []
    for path in sorted(CASES.glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            if line:
                lang, _, text = line.partition("\t")
                cases.append((lang, text))
    return cases


def test_corpus_is_what_the_docs_say() -> None:
    cases = load_cases()
    counts: dict[str, int] = defaultdict(int)
    for lang, text in cases:
        counts[lang or "und"] += 1
        words = len(text.split())
        if lang:
            assert 1 <= words <= 25, text
    assert len(cases) >= 1200
    required = "en nl ru zh id de fr es pt tr ja ar".split()
    assert all(counts[lang] >= 100 for lang in required), dict(counts)
    assert counts["und"] >= 30


def test_accuracy_floor_on_the_corpus() -> None:
    cases = load_cases()
    got = detect([text for _, text in cases])
    right: dict[str, list[bool]] = defaultdict(list)
    for (lang, _text), (found, _conf, _script) in zip(cases, got, strict=True):
        right[lang or "und"].append(found == (lang or None))
    total = sum(sum(v) for v in right.values()) / len(cases)
    per = {lang: sum(v) / len(v) for lang, v in right.items()}
    assert total >= OVERALL_FLOOR, (total, per)
    for lang, floor in LANGUAGE_FLOOR.items():
        assert per[lang] >= floor, (lang, per[lang])
    assert min(per.values()) >= ANY_LANGUAGE_FLOOR, per


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "ok",
        "lol",
        "haha",
        "hahahaha!!",
        "LOL 😂😂",
        "wkwkwk",
        "xD",
        "k",
        "😂👍🔥",
        "https://example.com/a/b.jpg",
        "@someone_example",
        "#tbt #fyp",
        "12:45 2024-03-07",
        "ok 👍 https://example.org",
        "ㅋㅋㅋㅋ",
        "¯\\_(ツ)_/¯",
    ],
)
def test_undetermined(text: str) -> None:
    lang, conf, _script = detect([text])[0]
    assert lang is None and conf is None


@pytest.mark.parametrize(
    ("text", "lang", "script"),
    [
        ("the bus is late again, third time this week", "en", "Latn"),
        ("de trein naar utrecht heeft weer vertraging", "nl", "Latn"),
        ("автобус опять опаздывает, жду уже двадцать минут", "ru", "Cyrl"),
        ("公交车又晚点了，等了二十分钟", "zh", "Hani"),
        ("這家珍珠奶茶真的超好喝", "zh", "Hani"),
        ("バスがまた遅れてる、もう20分待ってる", "ja", "Jpan"),
        ("버스가 또 늦네, 벌써 20분째 기다리는 중", "ko", "Hang"),
        ("الباص تأخر مرة ثانية، صار لي عشرين دقيقة أنتظر", "ar", "Arab"),
        ("Καλημέρα σε όλους, τι καιρό κάνει σήμερα", "el", "Grek"),
        ("שלום לכולם, מה נשמע היום", "he", "Hebr"),
        ("สวัสดีครับ วันนี้อากาศดีมาก", "th", "Thai"),
        ("नमस्ते दोस्तों आज मौसम बहुत अच्छा है", "hi", "Deva"),
        ("გამარჯობა, როგორ ხარ დღეს", "ka", "Geor"),
        ("busnya telat lagi, udah 20 menit nunggu di halte", "id", "Latn"),
        # a link glued to Chinese text: its letters do not outweigh the Han characters
        ("这个汤的做法超好吃https://caipu.example.cn/tang/recipe/soup", "zh", "Hani"),
        # ... and the Chinese text glued after a link is text, not part of the link
        ("https://caipu.example.cn/tang/soup终于把这个汤做完了，味道很好。", "zh", "Hani"),
        ("看这里www.example.cn/p/1这个做法非常简单", "zh", "Hani"),
        # Cyrillic told apart by its letters
        ("дякую ще раз за вчорашню допомогу, дуже виручив", "uk", "Cyrl"),
        ("благодаря ти още веднъж за помощта вчера", "bg", "Cyrl"),
    ],
)
def test_language_and_script(text: str, lang: str, script: str) -> None:
    found, conf, sc = detect([text])[0]
    assert (found, sc) == (lang, script)
    assert conf is not None and 0 < conf <= 1


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("", None),
        ("1234 !!! 😂", None),
        ("https://example.com/only/a/link", "Latn"),  # no other letters: the link's
        ("今日は雨です", "Jpan"),
        ("東京駅", "Hani"),
        ("한국語", "Hang"),
        ("ﾊﾛｰ", "Jpan"),
        ("app闪退了真的烦人", "Hani"),
        ("ok", "Latn"),
        ("ㅋㅋㅋ", "Hang"),
    ],
)
def test_script_codes(text: str, script: str | None) -> None:
    assert script_of(text) == script
    assert detect([text])[0][2] == script


def test_results_have_the_documented_shape() -> None:
    texts = [t for _, t in load_cases()[::7]] + ["", "ok", "😂"]
    out = detect(texts)
    assert len(out) == len(texts)
    for lang, conf, script in out:
        assert (lang is None) == (conf is None)
        if lang is not None:
            assert isinstance(lang, str) and len(lang) == 2 and lang.isalpha() and lang.islower()
            assert conf is not None and 0.0 < conf <= 1.0
        assert script is None or (len(script) == 4 and script[0].isupper())


def test_deterministic_and_independent_of_the_batch() -> None:
    texts = [t for _, t in load_cases()]
    first = detect(texts)
    assert detect(texts) == first
    assert detect(list(reversed(texts))) == list(reversed(first))
    assert [detect([t])[0] for t in texts[::50]] == first[::50]


def test_big_batches_and_huge_texts_are_fast() -> None:
    texts = [t for _, t in load_cases()]
    batch = (texts * (20_000 // len(texts) + 1))[:20_000]
    t0 = time.perf_counter()
    out = detect(batch)
    assert len(out) == 20_000
    huge = [
        "a" * 10_000_000,
        "слово " * 2_000_000,
        "字" * 5_000_000,
        "https://example.com/" + "x" * 5_000_000,
        "\ud800" * 1_000_000,
        "@" * 3_000_000,
    ]
    found = detect(huge)
    assert len(found) == len(huge)
    assert found[1][0] is not None and found[1][2] == "Cyrl"
    assert found[2] == ("zh", found[2][1], "Hani")
    # generous: this is a guard against quadratic work, not a benchmark (about 0.3 s here)
    assert time.perf_counter() - t0 < 10


hostile = st.text(alphabet=st.characters(exclude_categories=()), max_size=300) | st.sampled_from(
    [
        "\x00\x01\x02 hello world this is text",
        "\ud800\udfff abc def ghi",
        "\ufffe\uffff\U0010ffff words words words",
        "\u200b\u200d\u2060" * 50,
        "ok\x85lol\u2028haha",
        "#" * 500,
        "a.a." * 200,
    ]
)


@settings(max_examples=300, deadline=None)
@given(text=hostile)
def test_never_raises_on_any_str(text: str) -> None:
    lang, conf, script = _detect_one(text)  # the unguarded path: no exception may escape it
    assert (lang is None) == (conf is None)
    assert conf is None or 0.0 <= conf <= 1.0
    assert script is None or isinstance(script, str)
    assert detect([text, text]) == [(lang, conf, script)] * 2
    assert script_of(text) == script


def test_version_is_recorded() -> None:
    assert isinstance(language.DETECTOR_VERSION, str) and language.DETECTOR_VERSION


def test_laughter_prefilter_lets_through_every_letter_a_laughter_token_has() -> None:
    # _neutral() rules a text out at its first letter that _NOT_NEUTRAL finds: that must be
    # no letter the (case-insensitive) laughter tokens can match
    import re
    import sys

    letters = re.compile("[a-zㅋㅎㅠㅜ]", re.IGNORECASE)
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        if letters.fullmatch(ch):
            assert language._NOT_NEUTRAL.search(ch) is None, hex(cp)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="abcz- .,'éİK\u00adXY1\ud800", max_size=60) | hostile)
def test_fast_word_split_is_the_regex(text: str) -> None:
    import re

    expected = [w.encode() for w in re.findall(r"[a-z]+(?:-[a-z]+)?", text.lower())]
    assert language._words(text) == expected
    if text.isascii():
        assert language._words(text, text.encode()) == expected


def test_long_han_only_text_is_chinese_without_cld2(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_cld2(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("CLD2 asked")

    long = "路由器重启了两次还是没网有人知道怎么办吗"  # 20 Han characters, no kana
    short = "東京駅到着"
    assert detect([short])[0][0] == "ja"  # short: CLD2 decides whether it is Japanese
    monkeypatch.setattr(language, "_cld2", no_cld2)
    lang, conf, script = detect([long])[0]
    assert (lang, script) == ("zh", "Hani") and conf is not None and conf > 0.7


def test_warm_loads_every_detector() -> None:
    language.warm()
    assert set(language._lingua) == set(language._GROUPS)
    assert detect(["the bus is late again, third time this week"])[0][0] == "en"


def _no_cld2(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("CLD2 asked")  # detect() turns it into (None, None, None)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("the bus was late again and i think they will not fix it this week", "en"),
        ("ik heb het niet gezien, maar de trein was weer te laat", "nl"),
        ("ich habe heute keine zeit, aber wir sehen uns morgen", "de"),
        ("je ne sais pas si elle est dans le train avec nous", "fr"),
        ("el tren llega tarde otra vez y yo no tengo tiempo para esto", "es"),
        ("eu nao sei se ele vai chegar hoje, mas vou esperar", "pt"),
        ("non ho capito perche il treno sono sempre in ritardo", "it"),
        ("saya tidak tahu kalau kereta itu sudah berangkat dari tadi", "id"),
        ("saya tidak tahu kenapa kereta itu rosak, nanti saya bawa ke kedai sahaja", "ms"),
        ("bu sabah ben de otobusu kacirdim ama iyi ki sen varsin", "tr"),
        ("nie wiem czy to jest dobry pomysl, ale juz jestem w drodze", "pl"),
    ],
)
def test_decisive_function_words_skip_cld2(
    monkeypatch: pytest.MonkeyPatch, text: str, lang: str
) -> None:
    monkeypatch.setattr(language, "_cld2", _no_cld2)
    found, conf, script = detect([text])[0]
    assert (found, script) == (lang, "Latn")
    assert conf == language._confidence(1.0, sum(map(str.isalpha, text)))


@pytest.mark.parametrize(
    "text",
    [
        "het is weer mooi en het was goed vandag",  # every word also Afrikaans: CLD2 decides
        "the party was great, de fiesta en la playa con los amigos",  # mixed
        "the bus is late",  # short: fewer letters than FW_MIN_LETTERS
        "ang traffic today is so bad, the meeting was late na naman",  # Tagalog words
        "de que en para por como todo nada",  # es, pt or gl: no word of one of them only
        "this is the way, di kamar ini",  # English and Indonesian
    ],
)
def test_ambiguous_or_mixed_function_words_go_to_cld2(text: str) -> None:
    assert language._by_function_words(text.encode()) is None


@pytest.mark.parametrize(
    "text",
    [
        "ek het nie geweet dat dit so laat is nie, ons moet nou gaan",
        "die weer is baie mooi vandag en ek gaan strand toe",
        "hulle het gister by die huis van my ouma gekuier",
        "het is was weer mooi en dat van wat ook",  # all Dutch too: not decided without CLD2
    ],
)
def test_afrikaans_is_not_taken_for_dutch(text: str) -> None:
    assert language._by_function_words(text.encode()) is None
    if "ek" in text.split() or "hulle" in text.split() or "die" in text.split():
        assert detect([text])[0][0] == "af"


def test_function_words_never_contradict_the_labelled_corpus() -> None:
    # every fast-path answer on the labelled corpus is its label (Indonesian and Malay as one)
    decided = 0
    for lang, text in load_cases():
        cleaned = language._without_links(text)
        if not cleaned.isascii():
            continue
        found = language._by_function_words(cleaned.encode())
        if found is not None:
            decided += 1
            assert found == ("id" if lang == "ms" else lang), text
    assert decided >= 100


def test_function_word_lists_are_lower_case_ascii_words() -> None:
    for lang, words in language._FUNCTION_WORDS.items():
        for w in words.split():
            assert w.isascii() and w.isalpha() and w.islower(), (lang, w)
    assert set(language._FAST_LANGS) <= set(language._FUNCTION_WORDS)
    assert list(language._FUNCTION_WORDS)[: len(language._FAST_LANGS)] == list(language._FAST_LANGS)
