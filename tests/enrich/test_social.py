"""@handles and #hashtags beyond the labelled cases: platform rules, code, offsets, hostile
input. The labelled cases are in tests/cases/indicators/{handles,hashtags}.jsonl."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groundswell.enrich.indicators import extract
from groundswell.enrich.indicators.base import Found
from groundswell.enrich.indicators.scanner import Scanner
from groundswell.enrich.indicators.social import (
    EXTRACTORS,
    GENERIC,
    TELEGRAM,
    TWITTER,
    WEIBO,
    code_spans,
    handle_rule,
)

_SCANNER = Scanner(EXTRACTORS)
PLATFORMS = [None, "twitter", "X", "instagram", "tiktok", "telegram", "reddit", "discord",
             "weibo", "mastodon", "slack", "4chan", "forum", "stackexchange"]  # fmt: skip


def find(text: str, platform: str | None = None) -> list[Found]:
    """This module's extractors alone (no other kinds, no cross-kind resolution)."""
    return _SCANNER.extract(text, platform)


def values(text: str, platform: str | None = None, kind: str | None = None) -> list[str]:
    return [f.value for f in find(text, platform) if kind is None or f.kind == kind]


# ---------------------------------------------------------------- platform rules


def test_platform_rules() -> None:
    assert handle_rule(None) is GENERIC
    assert handle_rule("X") is TWITTER
    assert handle_rule(" Telegram ") is TELEGRAM
    assert handle_rule("weibo") is WEIBO
    assert handle_rule("some-new-site") is GENERIC


@pytest.mark.parametrize(
    ("platform", "text", "want"),
    [
        ("twitter", "@abcdefghijklmno", ["@abcdefghijklmno"]),  # 15
        ("twitter", "@abcdefghijklmnop", []),  # 16
        ("telegram", "@abcd", []),
        ("telegram", "@abcde", ["@abcde"]),
        ("telegram", "@" + "a" * 32, ["@" + "a" * 32]),
        ("telegram", "@" + "a" * 33, []),
        ("instagram", "@" + "a" * 30, ["@" + "a" * 30]),
        ("instagram", "@" + "a" * 31, []),
        ("tiktok", "@" + "a" * 24, ["@" + "a" * 24]),
        ("tiktok", "@" + "a" * 25, []),
        ("reddit", "u/ab", []),
        ("reddit", "u/abc", ["@abc"]),
        ("reddit", "u/" + "a" * 21, []),
        ("weibo", "@小", []),
        ("weibo", "@" + "小" * 30, ["@" + "小" * 30]),
        ("weibo", "@" + "小" * 31, []),
        (None, "@" + "a" * 30, ["@" + "a" * 30]),
        (None, "@" + "a" * 31, []),
        ("discord", "@everyone @here @quiet.fox", ["@quiet.fox"]),
        (None, "@everyone", []),
        ("slack", "@channel @quiet_fox", ["@quiet_fox"]),
        ("twitter", "@channel", ["@channel"]),
    ],
)
def test_lengths_and_broadcasts(platform: str | None, text: str, want: list[str]) -> None:
    assert values(text, platform, "handle") == want


def test_subkind_is_the_rule_used() -> None:
    [f] = find("hi @小明 there")  # generic platform, CJK name: the Weibo rule
    assert (f.subkind, f.value) == ("weibo", "@小明")
    [f] = find("hi @quiet_fox there", "X")
    assert f.subkind == "twitter"
    [f] = find("see /u/Quiet_Fox", "twitter")  # the u/ form is Reddit's whatever the source
    assert (f.subkind, f.value, f.start) == ("reddit", "@quiet_fox", 4)
    [f] = find("@quiet_fox@social.example", "twitter")
    assert (f.subkind, f.value) == ("fediverse", "@quiet_fox@social.example")


def test_email_parts_are_not_handles_even_without_the_email_extractor() -> None:
    for text in ("bob@example.com", "a.b+c@example.co.uk", "bob @example.com", "x@y"):
        assert values(text, kind="handle") == [], text
    # and with every extractor: the email is found, no handle
    kinds = [f.kind for f in extract("mail bob@example.com now")]
    assert "handle" not in kinds


# ---------------------------------------------------------------- code


def test_code_spans() -> None:
    text = "a `x` b ``y ` z`` c\n```py\n@d\n```\nafter `unclosed"
    flat = code_spans(text)
    spans = [text[flat[i] : flat[i + 1]] for i in range(0, len(flat), 2)]
    assert spans == ["`x`", "``y ` z``", "```py\n@d\n```"]
    assert code_spans("```\nnever closed @a") == [0, len("```\nnever closed @a")]
    assert code_spans("`a\n\nb`") == []  # a code span does not cross a paragraph
    assert code_spans("~~~\n#x\n~~~") == [0, 10]


def test_code_is_not_social() -> None:
    assert find("`@quiet_fox` and `#tag`") == []
    assert find("```\n@quiet_fox #tag\n```\n@bold_hare #ok") == [
        Found("handle", "@bold_hare", 24, 34, subkind="generic"),
        Found("hashtag", "#ok", 35, 38),
    ]
    assert values("@app.get('/items')\nasync def items():\n    ...") == []
    assert values("    @staticmethod\n    def f():\n        pass") == []
    assert values("@Inject\n@Named('x')\nprivate Foo foo;") == []
    assert values("@quiet_fox\nclass starts at nine") == ["@quiet_fox"]
    assert values('#include "x.h"\n#ifdef DEBUG\n#endif') == []
    assert values("#define is a keyword, #region too") == ["#region"]


# ---------------------------------------------------------------- hashtags


def test_hashtag_forms() -> None:
    [f] = find("#新冠疫苗[超话]#", "weibo")
    assert (f.value, f.subkind, f.start, f.end) == ("#新冠疫苗", "weibo-super", 0, 10)
    [f] = find("#微博之夜[地点]#", "weibo")
    assert (f.value, f.subkind) == ("#微博之夜", "weibo")
    assert values("#a b# x", "weibo") == ["#a b"]
    assert values("#a b# x", "twitter") == ["#a"]  # spaces only in topics on Chinese platforms
    assert values("#ÉTÉ #Straße #İstanbul") == ["#été", "#strasse", "#i̇stanbul"]
    assert values("#हिन्दी #ไทย #한국어") == ["#हिन्दी", "#ไทย", "#한국어"]  # marks belong to the tag
    assert values("#می\u200cخواهم") == ["#می\u200cخواهم"]  # ZWNJ inside a word
    assert values("#love\u200d❤") == ["#love"]  # ZWJ before an emoji ends the tag
    assert values("#" + "a" * 100) == ["#" + "a" * 100]
    assert values("#" + "a" * 101) == []


def test_colours_are_not_hashtags() -> None:
    assert values("#fff #FFFFFF #a1b2c3 #A1B2C3FF #0f0a") == []
    assert values("#bad #cafe #decade") == ["#bad", "#cafe", "#decade"]
    assert values("color: #bad;") == []


# ---------------------------------------------------------------- properties

_ALPHABET = st.sampled_from(
    list("@#＠＃u/._-`~:\n \t()[]&;") + list("aZ09_") + list("小明疫情话题超") + list("ивё")
    + ["é", "\u0301", "\u200d", "\u200c", "❤", "🇺", "//", "```", "u/", "#x#", "[超话]"]
)  # fmt: skip
_TEXT = st.one_of(
    st.lists(_ALPHABET, max_size=40).map("".join),
    st.text(max_size=80),
)


def _check(text: str, platform: str | None) -> None:
    found = find(text, platform)
    spans: set[tuple[str, int, int]] = set()
    last_end = {"handle": -1, "hashtag": -1}
    for f in sorted(found, key=lambda f: (f.kind, f.start or 0)):
        assert f.start is not None and f.end is not None
        assert 0 <= f.start < f.end <= len(text)
        assert (f.kind, f.start, f.end) not in spans  # never twice within a kind
        spans.add((f.kind, f.start, f.end))
        assert f.start >= last_end[f.kind]  # spans of one kind never overlap
        last_end[f.kind] = f.end
        raw = text[f.start : f.end]
        if f.kind == "handle":
            assert raw[0] in "@＠/uU", raw
            name = raw.split("/", 2)[-1] if f.subkind == "reddit" else raw[1:]
            assert f.value == "@" + unicodedata.normalize("NFC", name.lower()), (raw, f)
        else:
            assert raw[0] in "#＃", raw
            assert f.value.startswith("#") and len(f.value) > 1
            if f.subkind in (None, "discord-channel"):
                tag = unicodedata.normalize("NFC", raw[1:]).casefold()
                assert f.value == "#" + unicodedata.normalize("NFC", tag)
            else:
                assert raw[-1] in "#＃"
            assert f.value == unicodedata.normalize("NFC", f.value)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT, st.sampled_from(PLATFORMS))
def test_never_raises_and_offsets_slice_back(text: str, platform: str | None) -> None:
    _check(text, platform)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["@quiet_fox", "#tag", "#疫情#", "u/bold_hare", "@小明"]),
                min_size=1, max_size=6),
       st.lists(st.sampled_from([" ", ", ", "\n", "！", " (", ") ", "：", "。"]),
                min_size=6, max_size=6),
       st.sampled_from(PLATFORMS))  # fmt: skip
def test_indicators_between_separators_are_found(
    parts: list[str], seps: list[str], platform: str | None
) -> None:
    if platform == "weibo" and "#tag" in parts:
        parts = [p.replace("#tag", "#tag#") for p in parts]  # "#tag！#x" is the topic "tag！"
    text = " " + "".join(p + s for p, s in zip(parts, seps, strict=False))
    got = [text[f.start : f.end] for f in find(text, platform)]  # type: ignore[misc]
    rule = handle_rule(platform)
    for p in parts:
        if p.startswith("@") and (rule.lo > len(p) - 1 or (p == "@小明" and not rule.cjk)):
            continue
        assert p in got, (text, platform, got)


# 1 MB where candidates are few; about 100k candidates where every anchor is one
_PATHOLOGICAL = [
    "a.a.a." * 170_000,
    "@" * 1_000_000,
    "[.][.]" * 170_000,
    "1" * 100_000,
    "@" + "1" * 100_000,
    "#" * 1_000_000,
    "#" + "a" * 1_000_000,
    "@" + "a." * 500_000,
    "`" * 1_000_000,
    "` `` ``` " * 100_000,
    "```\n" * 250_000,
    "&#123;" * 170_000,
    "@a" * 100_000,
    "@a." * 100_000,
    "#a" * 100_000,
    "#a#" * 100_000,
    "#疫" * 100_000,
    "u/abc/" * 100_000,
    "@a\n" * 100_000,
    "@dataclass\n" * 50_000,
    "＠小明" * 100_000,
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("text", _PATHOLOGICAL, ids=lambda t: repr(t[:12]))
def test_pathological_input_terminates(text: str) -> None:
    for platform in ("weibo", None) if len(find(text[:1000])) < 50 else (None,):
        _check(text, platform)
