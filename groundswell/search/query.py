"""The search query language, parsed into tantivy queries.

    covid vaccine            both words (AND is implied)
    covid OR corona          either
    covid -vaccine           the first and not the second (also: NOT vaccine)
    "stay at home"           the exact phrase
    vacc*                    words starting with vacc (at least two characters)
    (covid OR corona) AND lang:nl
    author:alice  source:forum:lantern  section:"General chat"  lang:ru
    tag:Original  lexicon:covid  has:crypto  indicator:example.com

Operators are upper-case (``and``/``or``/``not`` in lower case are words). NOT binds
tightest, then AND, then OR. A word that the analyzer splits into several terms (``COVID-19``,
``疫情``) is searched as the phrase of those terms. A malformed query raises
:class:`SearchSyntaxError`, which says where and why.
"""

from __future__ import annotations

from dataclasses import dataclass

import tantivy

from groundswell.errors import QueryError
from groundswell.search import analysis

# qualifier -> index field (keyword fields: a whole value, in any case)
FIELDS = {
    "author": "who",
    "source": "site",
    "section": "section",
    "lang": "lang",
    "language": "lang",
    "tag": "tag",
    "lexicon": "lexicon",
    "has": "has",
    "indicator": "indicator",
}
OPERATORS = ("AND", "OR", "NOT")
MIN_PREFIX = 2


class SearchSyntaxError(QueryError):
    """A search query that cannot be parsed; says where."""

    def __init__(self, message: str, query: str, at: int) -> None:
        self.query, self.at = query, at
        super().__init__(f"{message} at character {at + 1}:\n  {query}\n  {' ' * at}^")


# -- the syntax tree ------------------------------------------------------------------------
@dataclass(frozen=True)
class Word:
    text: str
    field: str | None = None  # a qualifier, or None for the text
    phrase: bool = False
    prefix: bool = False
    at: int = 0


@dataclass(frozen=True)
class Not:
    node: Node


@dataclass(frozen=True)
class And:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    nodes: tuple[Node, ...]


Node = Word | Not | And | Or


@dataclass(frozen=True)
class _Tok:
    kind: str  # word, phrase, (, ), op, -
    text: str
    at: int
    field: str | None = None


def _lex(q: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(q)
    while i < n:
        c = q[i]
        if c.isspace():
            i += 1
        elif c in "()":
            toks.append(_Tok(c, c, i))
            i += 1
        elif c == "-" and i + 1 < n and not q[i + 1].isspace() and q[i + 1] != ")":
            toks.append(_Tok("-", c, i))
            i += 1
        elif c == "+" and i + 1 < n and not q[i + 1].isspace():
            i += 1  # +word means the word is required, as every word is
        elif c == '"':
            end = q.find('"', i + 1)
            if end < 0:
                raise SearchSyntaxError("a quote is not closed", q, i)
            toks.append(_Tok("phrase", q[i + 1 : end], i))
            i = end + 1
        else:
            j = i
            while j < n and not q[j].isspace() and q[j] not in '()"':
                j += 1
            word = q[i:j]
            name, colon, rest = word.partition(":")
            if colon and name.lower() in FIELDS:
                field = name.lower()
                if not rest and j < n and q[j] == '"':  # field:"quoted value"
                    end = q.find('"', j + 1)
                    if end < 0:
                        raise SearchSyntaxError("a quote is not closed", q, j)
                    toks.append(_Tok("phrase", q[j + 1 : end], i, field))
                    i = end + 1
                    continue
                if not rest:
                    raise SearchSyntaxError(f"{name}: needs a value", q, i)
                toks.append(_Tok("word", rest, i, field))
            elif word in OPERATORS:
                toks.append(_Tok("op", word, i))
            else:
                toks.append(_Tok("word", word, i))
            i = j
    return toks


class _Parser:
    def __init__(self, q: str) -> None:
        self.q = q
        self.toks = _lex(q)
        self.i = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, message: str, tok: _Tok | None = None) -> SearchSyntaxError:
        return SearchSyntaxError(message, self.q, tok.at if tok else len(self.q))

    def parse(self) -> Node | None:
        if not self.toks:
            return None
        node = self.or_()
        tok = self.peek()
        if tok is not None:
            raise self.fail(
                "unexpected ')'" if tok.kind == ")" else f"unexpected {tok.text!r}", tok
            )
        return node

    def or_(self) -> Node:
        nodes = [self.and_()]
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.text == "OR":
            self.take()
            nodes.append(self.and_())
        return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))

    def and_(self) -> Node:
        nodes = [self.unary()]
        while (tok := self.peek()) is not None and tok.kind != ")" and tok.text != "OR":
            if tok.kind == "op" and tok.text == "AND":
                self.take()
            nodes.append(self.unary())
        return nodes[0] if len(nodes) == 1 else And(tuple(nodes))

    def unary(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise self.fail("the query ends where a word was expected")
        if tok.kind == "-" or (tok.kind == "op" and tok.text == "NOT"):
            self.take()
            return Not(self.unary())
        return self.atom()

    def atom(self) -> Node:
        tok = self.take()
        if tok.kind == "(":
            if (nxt := self.peek()) is not None and nxt.kind == ")":
                raise self.fail("empty parentheses", tok)
            node = self.or_()
            close = self.peek()
            if close is None or close.kind != ")":
                raise self.fail("a parenthesis is not closed", tok)
            self.take()
            return node
        if tok.kind == ")":
            raise self.fail("unexpected ')'", tok)
        if tok.kind == "op":
            raise self.fail(f"{tok.text} needs a word on each side", tok)
        if tok.kind == "phrase":
            if not tok.text.strip():
                raise self.fail("empty quotes", tok)
            return Word(tok.text, tok.field, phrase=True, at=tok.at)
        text, prefix = tok.text, False
        if text.endswith("*") and len(text) > 1:
            text, prefix = text.rstrip("*"), True
        return Word(text, tok.field, prefix=prefix, at=tok.at)


def parse(q: str) -> Node | None:
    """The syntax tree of ``q`` (None for an empty query: every post)."""
    return _Parser(q).parse()


# -- to tantivy -----------------------------------------------------------------------------
class Compiler:
    """Turns syntax trees into tantivy queries over one index schema."""

    def __init__(self, schema: tantivy.Schema) -> None:
        self.schema = schema
        self.text = analysis.text_analyzer()

    def compile(self, q: str) -> tantivy.Query:
        node = parse(q)
        return tantivy.Query.all_query() if node is None else self.node(node, q)

    def node(self, node: Node, q: str) -> tantivy.Query:
        if isinstance(node, Word):
            return self.word(node, q)
        if isinstance(node, Or):
            return tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, self.node(n, q)) for n in node.nodes]
            )
        parts = node.nodes if isinstance(node, And) else (node,)
        clauses = [
            (tantivy.Occur.MustNot, self.node(n.node, q))
            if isinstance(n, Not)
            else (tantivy.Occur.Must, self.node(n, q))
            for n in parts
        ]
        if all(occur == tantivy.Occur.MustNot for occur, _ in clauses):
            clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        return tantivy.Query.boolean_query(clauses)

    def word(self, w: Word, q: str) -> tantivy.Query:
        if w.field is not None:
            if w.prefix:
                raise SearchSyntaxError(f"{w.field}: takes a whole value, not a prefix", q, w.at)
            return tantivy.Query.term_query(self.schema, FIELDS[w.field], w.text.lower())
        terms = self.text.analyze(analysis.normal(w.text))
        if not terms:
            raise SearchSyntaxError(f"nothing to search for in {w.text!r}", q, w.at)
        if w.prefix:
            if len(terms) == 1:
                if len(terms[0]) < MIN_PREFIX:
                    raise SearchSyntaxError(
                        f"a prefix needs at least {MIN_PREFIX} characters", q, w.at
                    )
                return tantivy.Query.regex_query(self.schema, "text", f"{terms[0]}.*")
            return tantivy.Query.phrase_prefix_query(self.schema, "text", list(terms))
        if len(terms) == 1:
            return tantivy.Query.term_query(self.schema, "text", terms[0])
        return tantivy.Query.phrase_query(self.schema, "text", list(terms))
