"""The search query language: its syntax tree, and clear errors (never a traceback) for
malformed queries."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groundswell.search.index import build_schema
from groundswell.search.query import And, Compiler, Not, Or, SearchSyntaxError, Word, parse


def w(text: str, **kw: object) -> Word:
    return Word(text, **kw)  # type: ignore[arg-type]


def strip(node: object) -> object:
    """The tree without character positions, for comparing."""
    if isinstance(node, Word):
        return Word(node.text, node.field, node.phrase, node.prefix)
    if isinstance(node, Not):
        return Not(strip(node.node))  # type: ignore[arg-type]
    if isinstance(node, And | Or):
        return type(node)(tuple(strip(n) for n in node.nodes))  # type: ignore[misc]
    return node


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("covid", w("covid")),
        ("covid vaccine", And((w("covid"), w("vaccine")))),
        ("covid AND vaccine", And((w("covid"), w("vaccine")))),
        ("covid OR corona", Or((w("covid"), w("corona")))),
        ("a b OR c", Or((And((w("a"), w("b"))), w("c")))),
        ("a (b OR c)", And((w("a"), Or((w("b"), w("c")))))),
        ("covid -vaccine", And((w("covid"), Not(w("vaccine"))))),
        ("covid NOT vaccine", And((w("covid"), Not(w("vaccine"))))),
        ("NOT spam", Not(w("spam"))),
        ("+covid", w("covid")),
        ('"stay at home"', w("stay at home", phrase=True)),
        ("vacc*", w("vacc", prefix=True)),
        ("author:alice", w("alice", field="author")),
        ("source:forum:lantern", w("forum:lantern", field="source")),
        ('section:"General chat"', w("General chat", field="section", phrase=True)),
        ("LANG:nl", w("nl", field="lang")),
        ("covid-19", w("covid-19")),  # a hyphen inside a word is not a NOT
        ("cats and dogs", And((w("cats"), w("and"), w("dogs")))),  # lower case: words
        ("http://example.com/x", w("http://example.com/x")),  # not a qualifier
        ("", None),
        ("   ", None),
    ],
)
def test_syntax_tree(query: str, tree: object) -> None:
    assert strip(parse(query)) == tree


@pytest.mark.parametrize(
    ("query", "message", "at"),
    [
        ('"stay at home', "quote is not closed", 0),
        ("(covid OR corona", "parenthesis is not closed", 0),
        ("covid)", "unexpected ')'", 5),
        ("AND covid", "AND needs a word on each side", 0),
        ("covid OR", "ends where a word was expected", 8),
        ("covid ()", "empty parentheses", 6),
        ('covid ""', "empty quotes", 6),
        ("author:", "author: needs a value", 0),
        ('section:"General', "quote is not closed", 8),
    ],
)
def test_malformed_queries_say_where(query: str, message: str, at: int) -> None:
    with pytest.raises(SearchSyntaxError) as e:
        parse(query)
    assert message in str(e.value)
    assert e.value.at == at
    assert f"character {at + 1}" in str(e.value)
    assert str(e.value).endswith(" " * at + "^")  # a caret under the place


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("a*", "at least 2 characters"),
        ("!!!", "nothing to search for"),
        ("author:ali*", "whole value"),
    ],
)
def test_queries_that_parse_but_cannot_be_searched(query: str, message: str) -> None:
    with pytest.raises(SearchSyntaxError, match=message):
        Compiler(build_schema()).compile(query)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('ab 疫情-"()*:+ORANDNOTé!')), max_size=30))
def test_any_text_is_a_query_or_a_clear_error(text: str) -> None:
    compiler = Compiler(build_schema())
    try:
        compiler.compile(text)
    except SearchSyntaxError as e:
        assert "at character" in str(e)
