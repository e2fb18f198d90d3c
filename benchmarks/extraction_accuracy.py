"""Precision and recall of indicator extraction per kind, on the labelled cases.

    python benchmarks/extraction_accuracy.py [--failures]

Cases: tests/cases/indicators/*.jsonl (format: groundswell/enrich/evaluate.py).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from groundswell.enrich import evaluate, find_indicators
from groundswell.enrich.indicators import Found
from groundswell.enrich.lexicons import Lexicons

CASES = Path(__file__).resolve().parent.parent / "tests" / "cases" / "indicators"


def run(case: dict[str, Any]) -> list[Found]:
    """Extractors, plus lexicon hits for the case's lexicons (and the built-in one)."""
    lexicons = Lexicons(case["lexicons"]) if "lexicons" in case else None
    return find_indicators(case["text"], platform=case.get("platform"), lexicons=lexicons)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--failures", action="store_true", help="print every failing case")
    args = ap.parse_args()
    cases = list(evaluate.load(sorted(CASES.glob("*.jsonl"))))
    langs = Counter(c.raw.get("lang", "?") for c in cases)
    scores, outcomes = evaluate.score(cases, run)
    print(
        f"{len(cases)} cases; languages: " + ", ".join(f"{k} {v}" for k, v in langs.most_common())
    )
    print(f"{'kind':<10} {'cases':>6} {'expected':>9} {'found':>6} {'precision':>10} {'recall':>7}")
    ok = True
    for kind, s in sorted(scores.items()):
        print(
            f"{kind:<10} {s.cases:>6} {s.tp + s.fn:>9} {s.tp + s.fp:>6} "
            f"{s.precision:>10.4f} {s.recall:>7.4f}"
        )
        ok &= s.precision >= 0.99 and s.recall >= 0.98
    failed = [o for o in outcomes if not o.ok]
    print(
        f"{len(failed)} cases with a difference (targets: precision >= 0.99, recall >= 0.98: "
        f"{'met' if ok else 'NOT met'})"
    )
    if args.failures:
        for o in failed:
            print(o.describe())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
