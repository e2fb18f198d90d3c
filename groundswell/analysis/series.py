"""A metric's result: values on a regular grid of calendar periods, one row per facet, each
point *observed*, *missing* (the source was not collected then) or *projected* (the current,
incomplete period scaled to a whole one).

Values are a float array of shape (facets, periods) with NaN where a point is missing; the
status array beside it says why a value is what it is. Everything that shows a series (the
``trend`` command, charts, reports, the anomaly detector) reads this one structure.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa

OBSERVED, MISSING, PROJECTED = 0, 1, 2
STATUS_NAMES = ("observed", "missing", "projected")
PERIODS = ("hour", "day", "week", "month", "quarter", "year")


@dataclass
class Series:
    """``values[f, t]`` is the measure of facet ``facets[f]`` in the period starting at
    ``starts[t]``.

    - ``starts``: period starts, ascending and regular (every period of the range is there),
      timezone-aware in ``timezone``; an ISO week starts on Monday.
    - ``facets``: one key per row, a tuple of the facet fields' values (``()`` when the series
      is not faceted); the rest of a top-N is the key ``("other",)``.
    - ``status``: OBSERVED, MISSING or PROJECTED per point (int8, same shape as ``values``).
    - ``partial``: for a projected point, the value of the period so far (NaN elsewhere).
    - ``baseline``: an expected value per point when one was computed (a baseline window's
      mean, or the anomaly detector's seasonal median), else None.
    """

    name: str
    period: str
    timezone: str
    starts: list[datetime]
    facets: list[tuple[str, ...]]
    values: np.ndarray
    status: np.ndarray
    facet_fields: tuple[str, ...] = ()
    unit: str = ""
    partial: np.ndarray | None = None
    baseline: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        shape = (len(self.facets), len(self.starts))
        if self.values.shape != shape or self.status.shape != shape:
            raise ValueError(
                f"values {self.values.shape} and status {self.status.shape} must be {shape}"
            )

    def row(self, facet: tuple[str, ...] = ()) -> int:
        """Index of a facet's row (KeyError when the series has no such facet)."""
        try:
            return self.facets.index(facet)
        except ValueError:
            raise KeyError(facet) from None

    def between(self, since: datetime | None, until: datetime | None) -> Series:
        """The periods starting in [since, until) (either bound may be None)."""
        keep = [
            t
            for t, s in enumerate(self.starts)
            if (since is None or s >= since) and (until is None or s < until)
        ]
        cut = slice(keep[0], keep[-1] + 1) if keep else slice(0, 0)
        return replace(
            self,
            starts=self.starts[cut],
            values=self.values[:, cut],
            status=self.status[:, cut],
            partial=None if self.partial is None else self.partial[:, cut],
            baseline=None if self.baseline is None else self.baseline[:, cut],
            notes=list(self.notes),
        )

    def points(self) -> Iterator[dict[str, Any]]:
        """One dict per point, period by period then facet by facet: period (its start),
        the facet fields, value, status (a name), and partial/baseline when present."""
        for t, start in enumerate(self.starts):
            for f, key in enumerate(self.facets):
                value = self.values[f, t]
                p: dict[str, Any] = {"period": start}
                p.update(zip(self.facet_fields, key, strict=True))
                p["value"] = None if np.isnan(value) else float(value)
                p["status"] = STATUS_NAMES[int(self.status[f, t])]
                if self.partial is not None:
                    part = self.partial[f, t]
                    p["so_far"] = None if np.isnan(part) else float(part)
                if self.baseline is not None:
                    base = self.baseline[f, t]
                    p["baseline"] = None if np.isnan(base) else float(base)
                yield p

    def to_arrow(self) -> pa.Table:
        """The points as an Arrow table (the shape of CSV, JSON and Parquet exports)."""
        rows = list(self.points())
        columns: dict[str, list[Any]] = {}
        names = ["period", *self.facet_fields, "value", "status"]
        if self.partial is not None:
            names.append("so_far")
        if self.baseline is not None:
            names.append("baseline")
        for n in names:
            columns[n] = [r.get(n) for r in rows]
        types = {"period": pa.timestamp("us", tz=self.timezone), "value": pa.float64()}
        return pa.table(
            {n: pa.array(v, type=types.get(n)) for n, v in columns.items()},
        )
