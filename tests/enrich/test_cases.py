"""Every labelled case under tests/cases/indicators must pass (except documented ``known``
limitations, which the accuracy benchmark still counts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from groundswell.enrich import evaluate
from groundswell.enrich.indicators import Found, extract

CASES = Path(__file__).parent.parent / "cases" / "indicators"
FILES = sorted(CASES.glob("*.jsonl"))


def run(case: dict[str, Any]) -> list[Found]:
    return extract(case["text"], case.get("platform"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_case_file(path: Path) -> None:
    cases = list(evaluate.load([path]))
    assert cases, f"{path.name} holds no cases"
    _, outcomes = evaluate.score(cases, run)
    failed = [o for o in outcomes if not o.ok and not o.case.raw.get("known")]
    assert not failed, f"{len(failed)} of {len(cases)} cases fail:\n" + "\n".join(
        o.describe() for o in failed[:30]
    )
