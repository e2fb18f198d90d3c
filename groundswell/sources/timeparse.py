"""Time parsing shared by importers. Every function returns ``(epoch_us, offset_min)``.

``epoch_us`` is microseconds since 1970-01-01 UTC. ``offset_min`` is the UTC offset the source
gave (``+02:00`` -> 120; ``Z`` -> 0), or the offset of the declared timezone at that instant for
naive local times, or ``None`` when the source gave an epoch number. Failures raise
:class:`RecordError` with the value in the message, so the record is quarantined with a reason.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateutil_parser

from groundswell.errors import RecordError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)
Parsed = tuple[int, int | None]


@lru_cache(maxsize=64)
def zone(name: str) -> tzinfo:
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RecordError(f"unknown timezone {name!r}") from None


def from_datetime(dt: datetime, tz: str = "UTC") -> Parsed:
    """Aware datetimes keep their offset; naive ones are read in ``tz``."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=zone(tz))
        off = dt.utcoffset()
        offset = None if tz.upper() == "UTC" else int(off.total_seconds() // 60) if off else 0
    else:
        off = dt.utcoffset()
        offset = int(off.total_seconds() // 60) if off is not None else None
    return (dt - EPOCH) // ONE_US, offset


_SCALE = {"s": 1_000_000, "ms": 1_000, "us": 1}  # microseconds in a unit


def from_epoch(value: object, unit: str = "auto") -> Parsed:
    """Epoch seconds or milliseconds, as a number or a numeric string (Reddit has both)."""
    if type(value) is str and len(value) < 20 and value.isascii() and value.isdigit():  # fast
        value = int(value)
    if type(value) is int:
        if unit == "auto":
            unit = "ms" if abs(value) >= 100_000_000_000 else "s"
        return value * _SCALE[unit], None
    if isinstance(value, bool):
        raise RecordError(f"time is a boolean ({value!r}), not an epoch number")
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise RecordError(f"time {value[:40]!r} is not an epoch number") from None
    elif isinstance(value, int | float):
        number = float(value)
    else:
        raise RecordError(f"time has type {type(value).__name__}, expected an epoch number")
    if number != number or number in (float("inf"), float("-inf")):
        raise RecordError(f"time {value!r} is not a finite number")
    if unit == "auto":
        unit = "ms" if abs(number) >= 1e11 else "s"
    scale = _SCALE[unit]
    if isinstance(value, int):
        return value * scale, None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip()) * scale, None
    return round(number * scale), None


def from_iso(value: object, tz: str = "UTC") -> Parsed:
    if not isinstance(value, str):
        raise RecordError(f"time {value!r} is not an ISO 8601 string")
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        raise RecordError(f"time {value[:60]!r} is not ISO 8601") from None
    return from_datetime(dt, tz)


def from_pattern(value: object, pattern: str, tz: str = "UTC") -> Parsed:
    if not isinstance(value, str):
        raise RecordError(f"time {value!r} is not a string for pattern {pattern!r}")
    try:
        dt = datetime.strptime(value.strip(), pattern)
    except ValueError:
        raise RecordError(f"time {value[:60]!r} does not match {pattern!r}") from None
    return from_datetime(dt, tz)


_NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")


def parse_time(value: object, fmt: str = "auto", tz: str = "UTC") -> Parsed:
    """Parse by declared format: ``auto``, ``epoch_s``, ``epoch_ms``, ``iso`` or a strptime pattern.

    ``auto`` takes numbers (and numeric strings) as epoch seconds or milliseconds by magnitude,
    then ISO 8601, then a lenient parse of common human formats.
    """
    if value is None or value == "":
        raise RecordError("time is missing")
    if fmt == "epoch_s":
        return from_epoch(value, "s")
    if fmt == "epoch_ms":
        return from_epoch(value, "ms")
    if fmt == "iso":
        return from_iso(value, tz)
    if fmt != "auto":
        return from_pattern(value, fmt, tz)
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMERIC.match(value.strip())):
        return from_epoch(value)
    if isinstance(value, str):
        try:
            return from_iso(value, tz)
        except RecordError:
            return lenient(value, tz)
    raise RecordError(f"time has type {type(value).__name__}; expected a number or a string")


def lenient(value: str, tz: str = "UTC", *, dayfirst: bool = False) -> Parsed:
    """Human date strings ("Wed Apr 22, 2020 5:05 pm") via dateutil; slow, so a fallback.
    A string without a full date ("17:05", "April 2020") is refused, never completed from
    today: it is parsed against two different defaults, which must agree on the date."""
    try:
        a = dateutil_parser.parse(value, dayfirst=dayfirst, default=datetime(2000, 1, 1))
        b = dateutil_parser.parse(value, dayfirst=dayfirst, default=datetime(2001, 2, 2))
    except (ValueError, OverflowError, TypeError):
        raise RecordError(f"cannot read time {value[:60]!r}") from None
    if a.date() != b.date():
        raise RecordError(f"time {value[:60]!r} has no full date")
    return from_datetime(a, tz)
