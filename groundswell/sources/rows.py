"""Rows of the two line-based shapes importers share: CSV with a header, and JSON lines.

Both read through the safe streams of :mod:`readers`, keep memory bounded whatever the line
length, and turn what cannot be read into :class:`Reject` items with a line number and reason,
so each importer only maps good rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from groundswell.config import ImportSettings
from groundswell.errors import HostileInputError
from groundswell.sources.base import Reject, excerpt, json_reason, parse_safely
from groundswell.sources.readers import Block, Input, iter_blocks


def block_json(block: Block, limit_mb: float) -> Iterator[tuple[str, Any, bytes] | Reject]:
    """``(location, decoded value, raw line)`` for each non-blank line of a block."""
    for number, length, head in block.long_lines:
        yield Reject(
            f"line {number}",
            f"record of {length:,} bytes exceeds the {limit_mb:g} MB limit",
            excerpt(head),
        )
    loads = orjson.loads
    for number, data in block.lines():
        try:
            yield f"line {number}", loads(data), data
        except orjson.JSONDecodeError as e:
            yield Reject(f"line {number}", json_reason(e, data), excerpt(data))


def json_lines(
    stream: IO[bytes], settings: ImportSettings
) -> Iterator[tuple[str, Any, bytes] | Reject]:
    """Every line of a JSON-lines stream, decoded, or a Reject saying why not."""
    for block in iter_blocks(stream, settings.max_record_bytes):
        yield from block_json(block, settings.max_record_mb)


def mapped(
    items: Iterable[tuple[str, Any, bytes] | Reject], parse: Callable[[Any, str], Any]
) -> Iterator[Any]:
    """Rows through ``parse(value, location)``; Rejects pass through, RecordErrors become
    Rejects (see :func:`parse_safely`)."""
    for item in items:
        if isinstance(item, Reject):
            yield item
        else:
            loc, value, raw = item
            yield from parse_safely(parse, value, loc, raw)


def _surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


class CsvRows:
    """The rows of a CSV file with a header row, as dicts.

    The dialect (comma, semicolon, tab, pipe) is sniffed from the first 64 KB; a byte-order mark
    is dropped. A line longer than the record limit is skipped without being held, and rows
    with invalid UTF-8 or the wrong number of fields become Rejects. A header that is not
    UTF-8 or repeats a column name stops the import.
    """

    def __init__(self, handle: Input, path: Path, settings: ImportSettings) -> None:
        self.text = io.TextIOWrapper(
            handle.stream, encoding="utf-8-sig", errors="surrogateescape", newline=""
        )
        self.limit = settings.max_record_bytes
        self.too_long: list[Reject] = []
        sample = self.text.read(64 * 1024)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        csv.field_size_limit(self.limit)
        self.reader = csv.reader(self._lines(sample), dialect)
        try:
            self.header: list[str] = next(self.reader)
        except StopIteration:
            self.header = []
        except csv.Error as e:
            raise HostileInputError(f"cannot read the CSV header: {e}", path=str(path)) from None
        if _surrogates("".join(self.header)):
            raise HostileInputError("the CSV header is not UTF-8 text", path=str(path))
        if len(set(self.header)) != len(self.header):
            raise HostileInputError(
                f"duplicate column names in the header: {self.header}", path=str(path)
            )

    def __iter__(self) -> Iterator[tuple[str, dict[str, str], bytes] | Reject]:
        """``(location, row as a dict, raw line)`` per data row, or a Reject."""
        header, width = self.header, len(self.header)
        if not header:
            return
        while True:
            loc = f"line {self.reader.line_num + 1}"
            try:
                row = next(self.reader)
            except StopIteration:
                yield from self.too_long
                return
            except csv.Error as e:
                yield Reject(loc, f"malformed CSV row: {e}", "")
                continue
            if self.too_long:
                yield from self.too_long
                self.too_long.clear()
            if not any(row):
                continue
            raw = ",".join(row)
            if _surrogates(raw):
                yield Reject(loc, "invalid UTF-8", excerpt(raw.encode("utf-8", "surrogateescape")))
            elif len(row) != width:
                yield Reject(loc, f"row has {len(row)} fields, the header has {width}", raw)
            else:
                yield loc, dict(zip(header, row, strict=True)), raw.encode()

    def _lines(self, head: str) -> Iterator[str]:
        """The sniffed ``head`` then the stream, line by line; a line over the limit is skipped
        to its end without being held (the reader sees an empty line in its place)."""
        lines = head.splitlines(keepends=True)
        partial = lines.pop() if lines and not lines[-1].endswith("\n") else ""
        yield from lines
        number = len(lines)
        rest, limit = self.text, self.limit
        while True:
            line = partial + rest.readline(max(limit - len(partial), 1))
            partial = ""
            if not line:
                return
            number += 1
            if len(line) >= limit and not line.endswith("\n"):
                size = len(line)
                while (more := rest.readline(1 << 20)) and not more.endswith("\n"):
                    size += len(more)
                size += len(more)
                reason = f"line of over {size:,} characters exceeds the record size limit"
                self.too_long.append(Reject(f"line {number}", reason, excerpt(line[:1000])))
                yield "\n"
                continue
            yield line
