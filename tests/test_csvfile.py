"""CSV for people: a text cell a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from groundswell.analysis.series import OBSERVED, Series
from groundswell.csvfile import defused, write_csv
from groundswell.export import export_series


def test_cells_that_start_a_formula_get_an_apostrophe() -> None:
    cells = ["=1+1", "+1 555", "-x", "@SUM(A1)", "\t=1", "\r=1", "plain", "a=b", "", None]
    table = pa.table({"text": cells, "number": list(range(-5, 5))})
    out = defused(table)
    assert out["text"].to_pylist() == [
        "'=1+1", "'+1 555", "'-x", "'@SUM(A1)", "'\t=1", "'\r=1", "plain", "a=b", "", None
    ]  # fmt: skip
    assert out["number"] == table["number"]  # numbers, negative ones too, are left alone


def test_written_files_read_back_as_text(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    write_csv(pa.table({"name": ['=HYPERLINK("https://example.invalid")', "ann"]}), path)
    with path.open(newline="", encoding="utf-8") as f:
        assert [r["name"] for r in csv.DictReader(f)] == [
            '\'=HYPERLINK("https://example.invalid")',
            "ann",
        ]


def test_series_exports_are_defused(tmp_path: Path) -> None:
    starts = [datetime(2020, 1, d, tzinfo=UTC) for d in (1, 2)]
    series = Series(
        name="posts",
        period="day",
        timezone="UTC",
        starts=starts,
        facets=[("=cmd|' /C calc'!A0",)],
        values=np.array([[1.0, 2.0]]),
        status=np.full((1, 2), OBSERVED),
        facet_fields=("author",),
    )
    path = tmp_path / "s.csv"
    export_series(series, path)
    text = path.read_text(encoding="utf-8")
    assert "'=cmd" in text and "\n=cmd" not in text and ",=cmd" not in text
