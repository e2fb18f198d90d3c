"""Shared pieces of the demo generator: the manifest model, the build context, time helpers.

Everything here is deterministic: randomness comes only from ``random.Random`` streams seeded
by ``"<seed>:<component>"`` strings (seeded through SHA-512, so independent of hash
randomisation), nothing iterates over a ``set``, and every file is written with fixed
formatting, so the same seed and scale give byte-identical files.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

START = date(2019, 1, 1)
END = date(2020, 6, 30)  # inclusive
DAYS = (END - START).days + 1
EPOCH0 = int(datetime(2019, 1, 1, tzinfo=UTC).timestamp())
DAY = 86_400
HOUR = 3_600
# Exports were made the day after the corpus ends.
EXPORTED = datetime(2020, 7, 1, 8, 0, tzinfo=UTC)

# Planted posts (file-host links, keyword mentions) only fall between these UTC hours, so their
# daily and monthly counts are the same whether an analyst buckets by UTC or by the forums'
# Europe/Amsterdam time (UTC+1/+2).
SAFE_FROM_H = 5
SAFE_TO_H = 21


@dataclass
class DemoFile:
    """One generated file and how to import it."""

    path: Path
    format: str  # importer name, or "table" for an event table
    options: dict[str, Any]  # keyword arguments for groundswell.ImportOptions
    table: dict[str, Any] | None  # for "table": name, time_column, timezone, key
    records: int


@dataclass
class Manifest:
    files: list[DemoFile]
    ground_truth_path: Path
    seed: int = 7
    scale: float = 1.0


@dataclass
class Build:
    """What every part of the generator shares: output folder, scale, seed, files, truth."""

    out: Path
    seed: int
    scale: float
    progress: Callable[[str], None] | None = None
    files: list[DemoFile] = field(default_factory=list)
    truth: dict[str, Any] = field(default_factory=dict)

    def rng(self, name: str) -> random.Random:
        """An independent random stream per component: changing one leaves the others alone."""
        return random.Random(f"{self.seed}:{name}")

    def n(self, full: float, minimum: int = 1) -> int:
        """A count at the current scale, never below ``minimum``."""
        return max(minimum, round(full * self.scale))

    def say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)

    def add(
        self,
        path: Path,
        format: str,
        records: int,
        options: dict[str, Any] | None = None,
        table: dict[str, Any] | None = None,
    ) -> None:
        opts = {k: v for k, v in (options or {}).items() if v is not None}
        self.files.append(DemoFile(path, format, opts, table, records))


# Per-day lookups (index = days since START, UTC): much faster than datetime formatting.
DATES = [START + timedelta(days=i) for i in range(DAYS + 8)]
ISO_DAY = [d.isoformat() for d in DATES]
MONTH = [d.strftime("%Y-%m") for d in DATES]


def di(ts: int) -> int:
    """UTC day index of an epoch time."""
    return (ts - EPOCH0) // DAY


def iso_z_fast(ts: int) -> str:
    i, s = divmod(ts - EPOCH0, DAY)
    h, s = divmod(s, HOUR)
    m, s = divmod(s, 60)
    return f"{ISO_DAY[i]}T{h:02d}:{m:02d}:{s:02d}Z"


class Clock:
    """Local wall-clock time in one timezone, fast: the UTC offset is cached per UTC hour
    (every transition of the zones used here falls on a whole UTC hour)."""

    def __init__(self, tz: str) -> None:
        self.tz = ZoneInfo(tz)
        self._off: dict[int, int] = {}
        self._dates: dict[int, date] = {}

    def offset(self, ts: int) -> int:
        h = ts // HOUR
        o = self._off.get(h)
        if o is None:
            off = datetime.fromtimestamp(h * HOUR, self.tz).utcoffset()
            o = self._off[h] = int(off.total_seconds()) if off else 0
        return o

    def parts(self, ts: int) -> tuple[date, int, int, int, int]:
        """Local (date, hour, minute, second, offset seconds) of ``ts``."""
        o = self.offset(ts)
        lday, s = divmod(ts + o, DAY)
        d = self._dates.get(lday)
        if d is None:
            d = self._dates[lday] = date(1970, 1, 1) + timedelta(days=lday)
        h, s = divmod(s, HOUR)
        m, s = divmod(s, 60)
        return d, h, m, s, o

    def folded(self, ts: int) -> bool:
        """Whether the local time of ``ts`` is the second pass of a repeated hour."""
        return self.offset(ts) < self.offset(ts - HOUR)


def day_index(d: date) -> int:
    return (d - START).days


def day_epoch(d: date) -> int:
    """Epoch seconds of 00:00 UTC on ``d``."""
    return EPOCH0 + (d - START).days * DAY


def utc_date(ts: int) -> date:
    return START + timedelta(days=(ts - EPOCH0) // DAY)


def iso_z(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Relative activity by local hour of day (people post in the evening).
DIURNAL = [2, 1, 1, 1, 1, 1, 2, 4, 6, 7, 7, 8, 9, 8, 8, 8, 9, 10, 12, 13, 13, 11, 8, 4]
_DIURNAL_CUM = [sum(DIURNAL[: i + 1]) for i in range(24)]
WEEKDAY = [0.95, 0.95, 1.0, 1.0, 1.05, 1.1, 1.1]  # Monday .. Sunday


def times_on_day(
    rng: random.Random, d: date, n: int, utc_offset_h: int, minute: bool = False
) -> list[int]:
    """``n`` sorted epoch seconds on UTC day ``d``, shaped by the local diurnal curve."""
    if n <= 0:
        return []
    base = day_epoch(d)
    hours = rng.choices(range(24), cum_weights=_DIURNAL_CUM, k=n)
    step = 60 if minute else 1
    out = []
    for h in hours:
        utc_h = (h - utc_offset_h) % 24
        out.append(base + utc_h * HOUR + rng.randrange(0, HOUR, step))
    out.sort()
    return out


def safe_time(rng: random.Random, d: date, minute: bool = True) -> int:
    """A time on ``d`` inside the safe UTC hours (see SAFE_FROM_H)."""
    step = 60 if minute else 1
    return day_epoch(d) + rng.randrange(SAFE_FROM_H * HOUR, SAFE_TO_H * HOUR, step)


def is_safe(ts: int) -> bool:
    return SAFE_FROM_H * HOUR <= (ts - EPOCH0) % DAY < SAFE_TO_H * HOUR


def daily_count(rng: random.Random, rate: float, d: date) -> int:
    """A day's record count around ``rate``, with weekday shape and noise, randomly rounded."""
    x = rate * WEEKDAY[d.weekday()] * rng.uniform(0.75, 1.25)
    whole = int(x)
    return whole + (1 if rng.random() < x - whole else 0)


def html_escape(s: str) -> str:
    """Escape text the way forum and imageboard software writes it into HTML."""
    return (
        s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#039;")
    )


B32 = "abcdefghijklmnopqrstuvwxyz234567"
B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def base36(n: int) -> str:
    out = []
    while True:
        n, r = divmod(n, 36)
        out.append(B36[r])
        if n == 0:
            return "".join(reversed(out))
