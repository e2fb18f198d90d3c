"""Safe byte streams for importers: compression by magic bytes, bomb guards, bounded lines.

Every importer reads its file through :func:`open_input`, which
- recognises zstandard (with the 2 GiB window Pushshift dumps need), gzip, bz2 and xz by their
  magic bytes, whatever the file is called;
- counts the *compressed* bytes consumed, for progress and MB/s;
- refuses a stream that expands more than ``max_expansion_ratio`` times its size (a
  decompression bomb) and turns truncated or corrupt streams into :class:`HostileInputError`.

:func:`iter_lines` yields lines no longer than ``max_record_bytes``: a longer line is skipped
to its end without ever being held in memory, and reported so the caller can quarantine it.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Any, TypeVar

import zstandard

from groundswell.errors import HostileInputError

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"
BZ2_MAGIC = b"BZh"
XZ_MAGIC = b"\xfd7zXZ\x00"

CHUNK = 1 << 20
T = TypeVar("T")
# Expansion is only judged after this many decompressed bytes: small files compress very well.
EXPANSION_GRACE = 64 << 20


class CountingReader(io.RawIOBase):
    """Wraps a raw file and counts bytes read, for progress reporting."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = self.raw.readinto(b)  # type: ignore[attr-defined]
        if n:
            self.count += n
        return n or 0

    def close(self) -> None:
        self.raw.close()
        super().close()


class GuardedStream(io.RawIOBase):
    """A decompressed stream that checks its expansion ratio and names decoding failures."""

    def __init__(
        self, inner: IO[bytes], counter: CountingReader, path: Path, kind: str, max_ratio: float
    ) -> None:
        self.inner = inner
        self.counter = counter
        self.path = path
        self.kind = kind
        self.max_ratio = max_ratio
        self.produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        try:
            data = self.inner.read(len(b))
        except (zstandard.ZstdError, OSError, EOFError, lzma.LZMAError, zlib.error) as e:
            raise HostileInputError(
                f"the {self.kind} stream is corrupt or truncated after "
                f"{self.produced:,} decompressed bytes ({e})",
                path=str(self.path),
            ) from None
        n = len(data)
        b[:n] = data
        self.produced += n
        if self.produced > EXPANSION_GRACE and self.produced > self.max_ratio * max(
            self.counter.count, 1
        ):
            raise HostileInputError(
                f"refusing a likely decompression bomb: {self.counter.count:,} compressed bytes "
                f"expanded to more than {self.produced:,} (over {self.max_ratio:g}x)",
                path=str(self.path),
                hint="raise [import] max_expansion_ratio in groundswell.toml if it is genuine",
            )
        return n

    def close(self) -> None:
        self.inner.close()
        super().close()


class ZstdReader(io.RawIOBase):
    """Zstandard frames, one after another, with a window of up to 2 GiB (Pushshift dumps need
    it). Unlike ``stream_reader``, it notices a stream that ends inside a frame (truncated)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.dctx = zstandard.ZstdDecompressor(max_window_size=2**31)
        self.obj = self.dctx.decompressobj()
        self.pending = b""
        self.pos = 0  # read position in pending
        self.started = False  # the current frame has consumed input

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while self.pos >= len(self.pending):
            self.pending, self.pos = b"", 0
            chunk = self.raw.read(CHUNK)
            if not chunk:
                if self.started and not self.obj.eof:
                    raise zstandard.ZstdError("the stream ends inside a frame")
                return 0
            while chunk:
                self.started = True
                self.pending += self.obj.decompress(chunk)
                chunk = b""
                if self.obj.eof:  # frame done: the rest belongs to the next frame
                    chunk = self.obj.unused_data
                    self.obj = self.dctx.decompressobj()
                    self.started = False
        n = min(len(b), len(self.pending) - self.pos)
        b[:n] = memoryview(self.pending)[self.pos : self.pos + n]
        self.pos += n
        return n


@dataclass
class Input:
    """An opened input: the decompressed byte stream and the compressed-byte counter."""

    stream: IO[bytes]
    counter: CountingReader
    size: int
    compression: str | None

    def close(self) -> None:
        self.stream.close()


def sniff_compression(head: bytes) -> str | None:
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(BZ2_MAGIC):
        return "bz2"
    if head.startswith(XZ_MAGIC):
        return "xz"
    return None


def open_input(path: Path, *, max_expansion_ratio: float = 200.0) -> Input:
    """Open ``path`` for streaming, decompressing by magic bytes."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by Input.close
    except IsADirectoryError:
        raise HostileInputError("is a directory, not a file", path=str(path)) from None
    except OSError as e:
        raise HostileInputError(f"cannot open: {e.strerror}", path=str(path)) from None
    size = path.stat().st_size
    head = raw.read(8)
    raw.seek(0)
    counter = CountingReader(raw)
    kind = sniff_compression(head)
    if kind is None:
        return Input(io.BufferedReader(counter, CHUNK), counter, size, None)
    inner: IO[bytes]
    buffered = io.BufferedReader(counter, CHUNK)
    if kind == "zstd":
        inner = ZstdReader(buffered)
    elif kind == "gzip":
        inner = gzip.GzipFile(fileobj=buffered, mode="rb")
    elif kind == "bz2":
        inner = bz2.BZ2File(buffered, mode="rb")
    else:
        inner = lzma.LZMAFile(buffered, mode="rb")  # noqa: SIM115 - closed by Input.close
    guarded = GuardedStream(inner, counter, path, kind, max_expansion_ratio)
    return Input(io.BufferedReader(guarded, CHUNK), counter, size, kind)


@dataclass(frozen=True)
class Line:
    number: int  # 1-based
    offset: int  # byte offset in the decompressed stream
    data: bytes  # without the trailing newline; empty when ``too_long``
    too_long: bool = False
    length: int = 0  # the true length of an over-long line


@dataclass(frozen=True)
class Block:
    """A run of whole lines: ``data`` holds lines ``first_line``, ``first_line + 1``, ...
    separated by newlines. A line over the size limit stands as an empty line in ``data`` and
    is described in ``long_lines`` as (line number, length, first 1,000 bytes)."""

    first_line: int
    data: bytes
    long_lines: tuple[tuple[int, int, bytes], ...] = ()

    def lines(self) -> Iterator[tuple[int, bytes]]:
        for number, raw in enumerate(self.data.split(b"\n"), self.first_line):
            yield number, raw[:-1] if raw.endswith(b"\r") else raw


def iter_blocks(stream: IO[bytes], max_bytes: int, block_size: int = 1 << 20) -> Iterator[Block]:
    """Cut ``stream`` into blocks of whole lines, never holding more than ``max_bytes`` of one
    line: a longer line is read to its end and dropped, leaving a marker."""
    line = 1  # number of the first line in ``carry``
    carry = b""
    while True:
        chunk = stream.read(block_size)
        if not chunk:
            if carry:
                yield _checked(Block(line, carry), max_bytes)
            return
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            if len(data) <= max_bytes:
                carry = data
                continue
            head, length = data[:1000], len(data)  # an over-long line: skip to its end
            while True:
                more = stream.read(block_size)
                if not more:
                    carry = b""
                    break
                nl = more.find(b"\n")
                if nl >= 0:
                    length += nl
                    carry = more[nl + 1 :]
                    break
                length += len(more)
            yield Block(line, b"", ((line, length, head),))
            line += 1
            continue
        block = _checked(Block(line, data[:cut]), max_bytes)
        carry = data[cut + 1 :]
        line += block.data.count(b"\n") + 1
        yield block


def _checked(block: Block, max_bytes: int) -> Block:
    """Replace lines longer than ``max_bytes`` inside a block by markers (rarely needed)."""
    if len(block.data) <= max_bytes:
        return block
    parts = block.data.split(b"\n")
    if max(map(len, parts)) <= max_bytes:
        return block
    long = tuple((block.first_line + i, len(p), p[:1000]) for i, p in enumerate(parts)
                 if len(p) > max_bytes)
    kept = b"\n".join(b"" if len(p) > max_bytes else p for p in parts)
    return Block(block.first_line, kept, block.long_lines + long)


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of up to ``size`` consecutive items."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def iter_lines(stream: IO[bytes], max_bytes: int) -> Iterator[Line]:
    """Yield the lines of ``stream``; a line over ``max_bytes`` is skipped, never buffered."""
    number = 0
    offset = 0
    readline = stream.readline
    while True:
        data = readline(max_bytes + 1)
        if not data:
            return
        number += 1
        start = offset
        offset += len(data)
        if data.endswith(b"\n"):
            yield Line(number, start, data[:-1].rstrip(b"\r"))
            continue
        if len(data) <= max_bytes:  # last line without a newline
            yield Line(number, start, data.rstrip(b"\r"))
            return
        # Over-long line: read it to its end in bounded pieces, keeping only a head excerpt.
        head = data[:1000]
        length = len(data)
        while True:
            more = readline(CHUNK)
            if not more:
                break
            length += len(more)
            offset += len(more)
            if more.endswith(b"\n"):
                length -= 1
                break
        yield Line(number, start, head, too_long=True, length=length)
