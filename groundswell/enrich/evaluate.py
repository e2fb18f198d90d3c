"""Scoring extraction against labelled cases (``tests/cases/indicators/*.jsonl``).

A case file holds one JSON object per line::

    {"text": "...", "kinds": ["url"], "expect": [{"kind": "url", "value": "https://a.example/",
     "domain": "a.example"}], "platform": null, "lang": "en", "note": "why this case exists"}

- ``kinds``: the kinds this case labels *completely* (defaults to the kinds in ``expect``); a
  finding of another kind is neither right nor wrong here. A case with ``"expect": []`` and
  ``"kinds": ["url"]`` says "no URL in this text": the look-alikes that must not match.
- each expected item needs ``kind`` and ``value``; any other field of
  :class:`~groundswell.enrich.indicators.base.Found` it gives (``domain``, ``validity``,
  ``subkind``, ``amount``, ``raw`` for ``text[start:end]`` ...) must match too.
- ``known``: a documented limitation; the case is scored, but the test suite does not require
  it to pass.

Precision and recall are counted per kind over (kind, value) pairs, as multisets.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from groundswell.enrich.indicators.base import Found

Extract = Callable[[dict[str, Any]], list[Found]]


@dataclass
class Case:
    file: str
    line: int
    text: str
    kinds: tuple[str, ...]
    expect: list[dict[str, Any]]
    raw: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    cases: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Outcome:
    case: Case
    missing: list[dict[str, Any]] = field(default_factory=list)  # expected, not found
    extra: list[Found] = field(default_factory=list)  # found, not expected
    wrong: list[str] = field(default_factory=list)  # found, but an attribute differs

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.wrong)

    def describe(self) -> str:
        parts = [f"{self.case.where}: {self.case.text[:120]!r}"]
        parts += [f"  missing {m}" for m in self.missing]
        parts += [f"  extra   {f.kind} {f.value!r} [{f.start}:{f.end}]" for f in self.extra]
        parts += [f"  wrong   {w}" for w in self.wrong]
        return "\n".join(parts)


def load(paths: Iterable[Path]) -> Iterator[Case]:
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            try:
                obj = json.loads(line)
            except ValueError as e:
                raise ValueError(f"{path.name}:{n}: not JSON: {e}") from None
            expect = obj.get("expect", [])
            kinds = tuple(obj.get("kinds") or sorted({e["kind"] for e in expect}))
            if not kinds:
                raise ValueError(f"{path.name}:{n}: a case needs `kinds` or `expect`")
            yield Case(path.name, n, obj["text"], kinds, expect, obj)


def check(case: Case, found: list[Found]) -> Outcome:
    out = Outcome(case)
    mine = [f for f in found if f.kind in case.kinds]
    unmatched = list(mine)
    for exp in case.expect:
        hit = next(
            (f for f in unmatched if f.kind == exp["kind"] and f.value == exp["value"]), None
        )
        if hit is None:
            out.missing.append(exp)
            continue
        unmatched.remove(hit)
        for key, want in exp.items():
            if key in ("kind", "value"):
                continue
            if key == "raw":
                got: Any = None if hit.start is None else case.text[hit.start : hit.end]
            else:
                got = getattr(hit, key, "<no such field>")
            if got != want:
                out.wrong.append(f"{exp['kind']} {exp['value']!r}: {key} = {got!r}, want {want!r}")
    out.extra = unmatched
    return out


def score(cases: Iterable[Case], extract: Extract) -> tuple[dict[str, Score], list[Outcome]]:
    """Per-kind scores and every case's outcome."""
    scores: dict[str, Score] = {}
    outcomes: list[Outcome] = []
    for case in cases:
        found = extract(case.raw)
        outcome = check(case, found)
        outcomes.append(outcome)
        for kind in case.kinds:
            s = scores.setdefault(kind, Score())
            s.cases += 1
            want = Counter(e["value"] for e in case.expect if e["kind"] == kind)
            got = Counter(f.value for f in found if f.kind == kind)
            tp = sum((want & got).values())
            s.tp += tp
            s.fp += sum(got.values()) - tp
            s.fn += sum(want.values()) - tp
    return scores, outcomes
