"""Coverage spans: the periods for which a source was collected."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta


def merge_spans(
    spans: Iterable[tuple[datetime, datetime]], *, gap: timedelta = timedelta(seconds=1)
) -> list[tuple[datetime, datetime]]:
    """Merge overlapping or touching spans (closer than ``gap``) into disjoint, sorted spans."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
