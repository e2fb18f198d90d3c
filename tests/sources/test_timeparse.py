"""Epoch times as Reddit and others write them: numbers and numeric strings, seconds or ms."""

from __future__ import annotations

import pytest

from groundswell.errors import RecordError
from groundswell.sources.timeparse import from_epoch

SECOND = 1_000_000  # microseconds


@pytest.mark.parametrize(
    ("value", "unit", "micros"),
    [
        (1583020800, "s", 1583020800 * SECOND),
        ("1583020800", "s", 1583020800 * SECOND),
        (" 1583020800 ", "s", 1583020800 * SECOND),
        ("1583020800.5", "s", 1583020800 * SECOND + SECOND // 2),
        (1583020800.25, "auto", 1583020800 * SECOND + SECOND // 4),
        (1583020800, "auto", 1583020800 * SECOND),
        ("1583020800123", "auto", 1583020800123 * 1000),
        (1583020800123, "ms", 1583020800123 * 1000),
        ("-86400", "s", -86400 * SECOND),
    ],
)
def test_epoch_numbers_and_strings(value: object, unit: str, micros: int) -> None:
    assert from_epoch(value, unit) == (micros, None)


@pytest.mark.parametrize(
    "value", [True, None, "", "soon", "1e999", "nan", "9" * 5000, [1], float("inf")]
)
def test_what_is_no_epoch_is_a_record_error(value: object) -> None:
    with pytest.raises(RecordError):
        from_epoch(value, "s")
