"""Every labelled case under tests/cases/indicators must pass, except the documented ``known``
limitations (which the accuracy benchmark still counts), and those must still fail: a fixed
limitation loses its marker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from groundswell.enrich import evaluate, find_indicators
from groundswell.enrich.indicators import Found
from groundswell.enrich.lexicons import Lexicons

CASES = Path(__file__).parent.parent / "cases" / "indicators"
FILES = sorted(CASES.glob("*.jsonl"))


def run(case: dict[str, Any]) -> list[Found]:
    """Extractors, plus lexicon hits for the case's lexicons (and the built-in one)."""
    lexicons = Lexicons(case["lexicons"]) if "lexicons" in case else None
    return find_indicators(case["text"], platform=case.get("platform"), lexicons=lexicons)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_case_file(path: Path) -> None:
    cases = list(evaluate.load([path]))
    assert cases, f"{path.name} holds no cases"
    _, outcomes = evaluate.score(cases, run)
    failed = [o for o in outcomes if not o.ok and not o.case.raw.get("known")]
    assert not failed, f"{len(failed)} of {len(cases)} cases fail:\n" + "\n".join(
        o.describe() for o in failed[:30]
    )
    fixed = [o for o in outcomes if o.ok and o.case.raw.get("known")]
    assert not fixed, "these `known` limitations pass now: drop their marker:\n" + "\n".join(
        repr(o.case.raw["text"]) for o in fixed
    )
