"""The importer plug-in interface and its registry.

An importer turns one file into a stream of records (plain dicts keyed by ``posts`` columns,
plus ``source``: a :class:`SourceInfo`, ``loc``: where the record stood, and optionally
``raw``: the record's raw bytes, for the quarantine excerpt) and
:class:`Reject` items for records it could not read. It never touches the store: the pipeline
(:mod:`groundswell.ingest`) validates, batches, deduplicates, quarantines and writes.

Importers register under the entry-point group ``groundswell.sources``; Groundswell's own are
registered there too (see ``pyproject.toml``), so a third-party package adds a format with one
line::

    [project.entry-points."groundswell.sources"]
    myformat = "mypackage.importer:MyImporter"
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar

import orjson

from groundswell.config import ImportSettings
from groundswell.errors import GroundswellError, RecordError, UnknownFormatError
from groundswell.sources.readers import Block, Input, iter_blocks, open_input

Record = dict[str, Any]
EXCERPT_CHARS = 1000


@dataclass(frozen=True)
class SourceInfo:
    """A collected place. ``source_id`` is ``platform:name``."""

    platform: str
    name: str
    url: str | None = None
    network: str | None = None
    timezone: str | None = None

    @cached_property
    def source_id(self) -> str:
        return f"{self.platform}:{self.name}"

    @property
    def resolved_network(self) -> str:
        if self.network:
            return self.network
        host = (self.url or "").split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        return "tor" if host.endswith(".onion") else "clearnet"


@dataclass(frozen=True)
class Reject:
    """A record the importer could not read: where it stood, why, and what it looked like."""

    location: str
    reason: str
    excerpt: str = ""


@dataclass
class ImportOptions:
    """Options every importer accepts; each uses those that apply to its format."""

    source: str | None = None  # override the source name the file implies
    platform: str | None = None  # override the platform (generic formats)
    url: str | None = None
    network: str | None = None
    timezone: str | None = None  # for naive times in the file
    time_format: str = "auto"  # auto | epoch_s | epoch_ms | iso | strptime pattern
    mapping: dict[str, str] = field(default_factory=dict)  # posts column -> file field
    retrieved_at: str | None = None  # ISO time the export was made, if the file does not say

    def as_json(self) -> str:
        return orjson.dumps({k: v for k, v in self.__dict__.items() if v}).decode()


class ReadContext:
    """What the pipeline gives an importer: settings, options, and a way to open its file."""

    def __init__(self, settings: ImportSettings, options: ImportOptions) -> None:
        self.settings = settings
        self.options = options
        self.inputs: list[Input] = []

    def open(self, path: Path) -> Input:
        handle = open_input(path, max_expansion_ratio=self.settings.max_expansion_ratio)
        self.inputs.append(handle)
        return handle

    def finish(self) -> None:
        """Confirm every input was read to a clean end: raises an error the stream deferred
        (a truncated or corrupt file) once the importer has taken the data before it."""
        for i in self.inputs:
            if not i.stream.closed:
                i.stream.read(1)

    @property
    def bytes_read(self) -> int:
        return sum(i.counter.count for i in self.inputs)

    def close(self) -> None:
        for i in self.inputs:
            with contextlib.suppress(Exception):
                i.close()


class Importer(ABC):
    """Base class of every importer. Subclasses set the class attributes and ``read``."""

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    # Table the records go to: "posts" or "account_snapshots".
    target: ClassVar[str] = "posts"

    def __init__(self, options: ImportOptions | None = None) -> None:
        self.options = options or ImportOptions()

    @abstractmethod
    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record | Reject]:
        """Stream the records of ``path``. Never hold the whole file in memory."""

    def coverage(self, path: Path) -> tuple[datetime, datetime] | None:
        """The period the file covers by its own account (e.g. a monthly dump's month), if it
        says; otherwise coverage runs from the first to the last record read."""
        return None


class JsonLinesImporter(Importer):
    """Base for newline-delimited JSON formats: subclasses implement :meth:`parse`.

    Lines are parsed independently, so large files are parsed by a pool of worker processes
    (see ``groundswell.ingest``): per-file state belongs in :meth:`prepare`, which every worker
    calls, not in :meth:`read`.
    """

    chunkable: ClassVar[bool] = True

    @abstractmethod
    def parse(self, obj: Any, loc: str) -> Record | Iterable[Record]:
        """Map one decoded JSON value to a record; raise RecordError to quarantine it."""

    def prepare(self, path: Path) -> None:
        """Set up per-file state (e.g. defaults taken from the file name) before parsing."""

    def blocks(self, path: Path, ctx: ReadContext) -> Iterator[Block]:
        """The file as blocks of whole lines (cheap: no per-line work in this process)."""
        return iter_blocks(ctx.open(path).stream, ctx.settings.max_record_bytes)

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record | Reject]:
        self.prepare(path)
        for block in self.blocks(path, ctx):
            yield from self.parse_block(block, ctx.settings.max_record_mb)

    def parse_block(self, block: Block, limit_mb: float) -> list[Record | Reject]:
        """Parse a block of lines (in this process or a worker); bad ones become Rejects."""
        from groundswell.sources.rows import block_json

        out: list[Record | Reject] = []
        for item in block_json(block, limit_mb):
            if isinstance(item, Reject):
                out.append(item)
            else:
                out.extend(parse_safely(self.parse, item[1], item[0], item[2]))
        return out


def parse_safely(
    parse: Any, obj: Any, loc: str, raw: bytes | None = None
) -> Iterator[Record | Reject]:
    """Call ``parse(obj, loc)``, turning RecordError (and type slips) into a Reject."""
    try:
        result = parse(obj, loc)
    except RecordError as e:
        yield Reject(loc, e.reason, excerpt(raw if raw is not None else obj))
        return
    except GroundswellError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as e:
        yield Reject(
            loc,
            f"unexpected shape: {type(e).__name__}: {e}"[:300],
            excerpt(raw if raw is not None else obj),
        )
        return
    if result.__class__ is dict:
        result.setdefault("loc", loc)
        result["raw"] = raw
        yield result
    else:
        for r in result:
            r.setdefault("loc", loc)
            r["raw"] = raw
            yield r


def json_reason(e: Exception, data: bytes) -> str:
    msg = str(e)
    if "utf-8" in msg.lower() or "utf8" in msg.lower() or "surrogate" in msg.lower():
        return f"invalid UTF-8 in JSON ({msg[:120]})"
    if "recursion" in msg.lower() or "depth" in msg.lower():
        return "JSON nested too deeply"
    if b"\x00" in data:
        return "NUL byte inside JSON"
    return f"invalid JSON: {msg[:200]}"


def excerpt(raw: object) -> str:
    if isinstance(raw, bytes | bytearray):
        text = bytes(raw[: EXCERPT_CHARS * 4]).decode("utf-8", errors="backslashreplace")
    elif isinstance(raw, str):
        text = raw
    else:
        try:
            text = orjson.dumps(raw, default=str).decode()
        except (TypeError, orjson.JSONEncodeError):
            text = repr(raw)
    return text[:EXCERPT_CHARS].replace("\x00", "\\x00")


# -- field helpers ---------------------------------------------------------------------------
def text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise RecordError(f"expected text, got {type(value).__name__}")


def id_text(value: Any, field_name: str = "id") -> str:
    """A required native id as text; ints and strings both accepted."""
    if value is None or value == "":
        raise RecordError(f"missing {field_name}")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError(f"{field_name} has type {type(value).__name__}, expected text or integer")
    return str(value)


def int_or_none(value: Any, field_name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RecordError(f"{field_name} is a boolean, expected an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        s = value.strip().replace(",", "")
        if s.lstrip("-").isdigit():
            return int(s)
    raise RecordError(f"{field_name} is {str(value)[:40]!r}, expected an integer")


# -- registry --------------------------------------------------------------------------------
_registered: dict[str, type[Importer]] = {}


def register(cls: type[Importer]) -> type[Importer]:
    """Register an importer class by its ``name`` (for tests and in-process plug-ins)."""
    _registered[cls.name] = cls
    return cls


def _entry_points() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group="groundswell.sources")}


def format_names() -> list[str]:
    """Names of every importer, installed or registered, without loading any of them."""
    return sorted({*_entry_points(), *_registered})


def get_importer(name: str) -> type[Importer]:
    """The importer class registered as ``name``; only that plug-in is loaded."""
    if name in _registered:
        return _registered[name]
    ep = _entry_points().get(name)
    if ep is None:
        raise UnknownFormatError(
            f"unknown format {name!r}; known formats: {', '.join(format_names()) or '(none)'}"
        )
    try:
        cls: type[Importer] = ep.load()
    except Exception as e:  # a broken plug-in is reported by name, not as a traceback
        raise UnknownFormatError(f"importer plug-in {name!r} failed to load: {e}") from e
    return cls


def registry() -> dict[str, type[Importer]]:
    """Every importer that loads, by name (a broken plug-in raises UnknownFormatError)."""
    return {name: get_importer(name) for name in format_names()}
