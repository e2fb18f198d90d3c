"""Lexicon matching beyond the labelled cases: configuration, pickling, hostile input."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groundswell import ConfigError
from groundswell.config import parse
from groundswell.enrich.lexicons import Lexicons
from groundswell.enrich.text import fold


def test_lexicons_come_from_the_config() -> None:
    cfg = parse('[lexicons]\ncovid = ["covid*", "疫情"]\n')
    assert cfg.lexicons == {"covid": ["covid*", "疫情"]}
    for bad, key in (
        ('[lexicons]\ncovid = "covid"', "lexicons.covid"),
        ('[lexicons]\ncovid = ["ok", 3]', "lexicons.covid"),
        ('[lexicons]\ncovid = ["*"]', "lexicons.covid"),
        ('[lexicons]\n"bad name" = ["x"]', "lexicons.bad name"),
    ):
        with pytest.raises(ConfigError, match=key):
            parse(bad)


def test_pickles_and_fingerprints() -> None:
    a = Lexicons({"covid": ["covid*"]})
    b = pickle.loads(pickle.dumps(a))
    assert b.fingerprint == a.fingerprint
    assert [f.value for f in b.match("covid news")] == ["covid*"]
    assert Lexicons({"covid": ["covid"]}).fingerprint != a.fingerprint
    assert pickle.loads(pickle.dumps(a)) is b  # a worker builds the automata once


def test_offsets_survive_collapsed_spaces() -> None:
    lex = Lexicons({"x": ["paid partnership"]}, builtin=False)
    text = "Über  alles:   paid \t partnership"
    [hit] = lex.match(text)
    assert text[hit.start : hit.end] == "paid \t partnership"


@given(st.text(alphabet="ab *#广告\u0301\u00e9 ", max_size=400))
@settings(max_examples=300)
def test_matching_never_fails_and_spans_are_real(text: str) -> None:
    lex = Lexicons({"t": ["ab*", "*ba", "a b", "广告", "é"]})
    for f in lex.match(text):
        assert f.start is not None and f.end is not None
        assert 0 <= f.start < f.end <= len(text)


@given(st.lists(st.text(alphabet="ab \n\t*#广告\u0301\u00e9PAID partnership", max_size=80)))
@settings(max_examples=200)
def test_a_batch_matches_what_each_text_matches_alone(texts: list[str]) -> None:
    """The batch path (a prefilter over all texts first) finds what ``match`` finds, multi-word
    terms across runs of spaces and line breaks included."""
    lex = Lexicons({"t": ["ab*", "*ba", "a b", "广告", "é", "paid partnership"]})
    assert lex.match_batch(texts, [fold(t) for t in texts]) == [lex.match(t) for t in texts]


def test_a_multi_word_term_across_line_breaks_is_found_in_a_batch() -> None:
    lex = Lexicons({}, builtin=True)
    texts = ["Loved this trip! Paid\n\npartnership with @brand", "nothing here"]
    [hits, none] = lex.match_batch(texts, [fold(t) for t in texts])
    assert [h.value for h in hits] == ["paid partnership"] and none == []


@pytest.mark.timeout(30)
def test_pathological_input_is_linear() -> None:
    lex = Lexicons({"t": ["*a", "a*", "*a*", "a a"]}, builtin=False)
    text = "a" * 200_000 + " " + "a " * 100_000
    hits = lex.match(text)
    assert hits[0].end == 200_000 and len(hits) > 100_000
