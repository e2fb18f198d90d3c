"""Lexicon matching beyond the labelled cases: configuration, pickling, hostile input."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groundswell import ConfigError
from groundswell.config import parse
from groundswell.enrich.lexicons import Lexicons


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


@pytest.mark.timeout(30)
def test_pathological_input_is_linear() -> None:
    lex = Lexicons({"t": ["*a", "a*", "*a*", "a a"]}, builtin=False)
    text = "a" * 200_000 + " " + "a " * 100_000
    hits = lex.match(text)
    assert hits[0].end == 200_000 and len(hits) > 100_000
