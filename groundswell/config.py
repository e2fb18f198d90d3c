"""The workspace config file, ``groundswell.toml``: trusted, but validated key by key.

Later issues add sections (lexicons, metrics, reports); each is validated here so that a typo
is reported with the key that holds it, not discovered as a crash half-way through a job.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from groundswell.analysis.metrics import Metric, metrics_from_config
from groundswell.errors import ConfigError, MetricError, ReportError
from groundswell.report import spec as report_spec
from groundswell.report.spec import ReportSpec

CONFIG_NAME = "groundswell.toml"

TEMPLATE = """\
# Groundswell workspace configuration. Every key is optional; the values shown are defaults.

[workspace]
name = "{name}"
# Timezone that analyses use when none is given (IANA name, e.g. "Europe/Amsterdam").
timezone = "UTC"

[import]
# Records per batch; each batch is committed in one transaction. Large batches are written
# straight to the store file (DuckDB row groups hold 122,880 rows); small ones go through the log.
batch_size = 250000
# Records dated outside this window are quarantined as absurd (e.g. 1970-01-01, 2999).
# The latest allowed time is always "now + future_tolerance_days".
earliest = "1990-01-01"
future_tolerance_days = 2
# A single record (a JSON line, an XML row) larger than this is quarantined, not read into memory.
max_record_mb = 16
# A compressed file that expands more than this many times its size is refused as a bomb.
max_expansion_ratio = 200
# Processes that parse large line-based files (JSONL, Reddit, forum dumps); 0 = one per core.
workers = 0

[store]
# DuckDB memory limit and threads. Memory is the buffer pool, not a hard cap on the process.
memory_limit = "512MB"
threads = 2

[lexicons]
# Named keyword lists matched in every post at import (indicators of kind "lexicon").
# Case- and accent-insensitive; whole words in spaced scripts ("corona*" allows any ending),
# substrings in Chinese and Japanese. A built-in lexicon "disclosure" (#ad, #sponsored, 广告 ...)
# is always on. After changing a lexicon, run `groundswell enrich` to re-match stored posts.
# covid = ["covid*", "corona*", "lockdown", "quarantaine", "疫情", "新冠", "коронавирус*",
#          "karantina"]

# Named metrics, one [metrics.NAME] table each, for `groundswell trend NAME` and reports.
# See docs/metrics.md for every key. Two examples:
# [metrics.file_sharing_index]
# table = "indicators"
# period = "month"
# where = ["kind = url", "extension = jpg", "network = clearnet", "in_quote = false"]
#
# [metrics.covid_posts]
# period = "day"
# by = "source"
# where = ["lexicon = covid"]

# Named reports, one [reports.NAME] table each, for `groundswell report NAME`. See
# docs/reports.md for the section kinds. A small weekly briefing:
# [reports.weekly]
# title = "Weekly briefing"
# period = "last complete week"
# [[reports.weekly.sections]]
# kind = "chart"
# metrics = ["covid_posts"]
# [[reports.weekly.sections]]
# kind = "excerpts"
# search = "lockdown"
"""


@dataclass(frozen=True)
class ImportSettings:
    batch_size: int = 250_000
    earliest: datetime = datetime(1990, 1, 1, tzinfo=UTC)
    future_tolerance_days: float = 2.0
    max_record_mb: float = 16.0
    max_expansion_ratio: float = 200.0
    workers: int = 0  # processes that parse large line-based files; 0 = one per core

    def time_window(self) -> tuple[datetime, datetime]:
        """Records dated outside this window are absurd: ``earliest`` to now + tolerance."""
        return self.earliest, datetime.now(UTC) + timedelta(days=self.future_tolerance_days)

    @property
    def max_record_bytes(self) -> int:
        return int(self.max_record_mb * 1024 * 1024)


@dataclass(frozen=True)
class StoreSettings:
    memory_limit: str = "512MB"
    threads: int = 2


@dataclass(frozen=True)
class Config:
    name: str = "workspace"
    timezone: str = "UTC"
    imports: ImportSettings = field(default_factory=ImportSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    lexicons: dict[str, list[str]] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)
    reports: dict[str, ReportSpec] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


def _get(section: dict[str, Any], prefix: str, key: str, kind: type, default: Any) -> Any:
    if key not in section:
        return default
    value = section[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ConfigError(
            f"{prefix}.{key}", f"must be a {kind.__name__}, got {type(value).__name__} {value!r}"
        )
    return value


def _positive(key: str, value: float) -> float:
    if value <= 0:
        raise ConfigError(key, f"must be positive, got {value}")
    return value


def _workers(n: int) -> int:
    if not 0 <= n <= 64:
        raise ConfigError("import.workers", f"must be 0 (one per core) to 64, got {n}")
    return n


def check_timezone(key: str, name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            key, f"unknown timezone {name!r}; use an IANA name such as 'UTC' or 'Europe/Amsterdam'"
        ) from None
    return name


_LEXICON_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def _lexicons(section: Any) -> dict[str, list[str]]:
    if not isinstance(section, dict):
        raise ConfigError("lexicons", "must be a table of name = [terms]")
    out: dict[str, list[str]] = {}
    for name, terms in section.items():
        key = f"lexicons.{name}"
        if not _LEXICON_NAME.fullmatch(name):
            raise ConfigError(key, "a lexicon name is letters, digits, '_', '.' and '-'")
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            raise ConfigError(key, "must be a list of strings (the terms)")
        for t in terms:
            if not t.strip().strip("*").strip():
                raise ConfigError(key, f"empty term {t!r}")
        out[name] = list(terms)
    return out


def _metrics(section: Any) -> dict[str, Metric]:
    try:
        return metrics_from_config(section)
    except MetricError as e:
        raise ConfigError(
            "metrics", e.message if not e.hint else f"{e.message} ({e.hint})"
        ) from None


def _reports(section: Any) -> dict[str, ReportSpec]:
    try:
        return report_spec.from_config(section)
    except ReportError as e:
        raise ConfigError("reports", str(e)) from None


def parse(text: str) -> Config:
    """Parse and validate config text."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError("file", f"is not valid TOML: {e}") from None
    known = {
        "workspace", "import", "store", "sources", "lexicons", "metrics", "reports", "actors",
        "creators",
    }  # fmt: skip
    for key in raw:
        if key not in known:
            raise ConfigError(key, f"unknown section; known sections: {', '.join(sorted(known))}")
    ws = raw.get("workspace", {})
    imp = raw.get("import", {})
    st = raw.get("store", {})
    for name, section, keys in (
        ("workspace", ws, {"name", "timezone"}),
        (
            "import",
            imp,
            {
                "batch_size",
                "earliest",
                "future_tolerance_days",
                "max_record_mb",
                "max_expansion_ratio",
                "workers",
            },
        ),
        ("store", st, {"memory_limit", "threads"}),
    ):
        if not isinstance(section, dict):
            raise ConfigError(name, "must be a table")
        for key in section:
            if key not in keys:
                raise ConfigError(f"{name}.{key}", f"unknown key; known: {', '.join(sorted(keys))}")

    earliest_raw = imp.get("earliest", "1990-01-01")
    if isinstance(earliest_raw, datetime):
        earliest = earliest_raw if earliest_raw.tzinfo else earliest_raw.replace(tzinfo=UTC)
    elif isinstance(earliest_raw, date):
        earliest = datetime(earliest_raw.year, earliest_raw.month, earliest_raw.day, tzinfo=UTC)
    elif isinstance(earliest_raw, str):
        try:
            earliest = datetime.fromisoformat(earliest_raw)
        except ValueError:
            raise ConfigError("import.earliest", f"not an ISO date: {earliest_raw!r}") from None
        if earliest.tzinfo is None:
            earliest = earliest.replace(tzinfo=UTC)
    else:
        raise ConfigError("import.earliest", f"must be a date, got {earliest_raw!r}")

    batch = int(_get(imp, "import", "batch_size", int, 250_000))
    if not 1 <= batch <= 1_000_000:
        raise ConfigError("import.batch_size", f"must be between 1 and 1000000, got {batch}")
    threads = int(_get(st, "store", "threads", int, 2))
    if threads < 1:
        raise ConfigError("store.threads", f"must be at least 1, got {threads}")
    return Config(
        name=_get(ws, "workspace", "name", str, "workspace"),
        timezone=check_timezone(
            "workspace.timezone", _get(ws, "workspace", "timezone", str, "UTC")
        ),
        imports=ImportSettings(
            batch_size=batch,
            earliest=earliest,
            future_tolerance_days=_get(imp, "import", "future_tolerance_days", float, 2.0),
            max_record_mb=_positive(
                "import.max_record_mb", _get(imp, "import", "max_record_mb", float, 16.0)
            ),
            max_expansion_ratio=_positive(
                "import.max_expansion_ratio",
                _get(imp, "import", "max_expansion_ratio", float, 200.0),
            ),
            workers=_workers(_get(imp, "import", "workers", int, 0)),
        ),
        store=StoreSettings(
            memory_limit=_get(st, "store", "memory_limit", str, "512MB"),
            threads=threads,
        ),
        lexicons=_lexicons(raw.get("lexicons", {})),
        metrics=_metrics(raw.get("metrics")),
        reports=_reports(raw.get("reports")),
        raw=raw,
    )


def load(path: Path) -> Config:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError("file", f"{path} is not UTF-8 text") from None
    return parse(text)
