"""Safe byte streams for importers: compression by magic bytes, bomb guards, bounded lines.

Every importer reads its file through :func:`open_input`, which
- recognises zstandard (with the 2 GiB window Pushshift dumps need), gzip, bz2 and xz by their
  magic bytes, whatever the file is called;
- counts the *compressed* bytes consumed, for progress and MB/s;
- refuses a stream that expands more than ``max_expansion_ratio`` times its size (a
  decompression bomb) and turns truncated or corrupt streams into :class:`HostileInputError`,
  raised one read after the last good bytes so the records before a break are kept.

:func:`iter_blocks` cuts a stream into blocks of whole lines for line-based formats: a line
longer than ``max_record_bytes`` is skipped to its end without ever being held in memory, and
marked so the caller can quarantine it; blank lines are skipped by the regex engine.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import zstandard

from groundswell.errors import HostileInputError, fresh

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"
BZ2_MAGIC = b"BZh"
XZ_MAGIC = b"\xfd7zXZ\x00"

CHUNK = 1 << 20
_NON_BLANK = re.compile(rb"[^\s][^\n]*")  # a line from its first non-space character

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
        self,
        inner: IO[bytes],
        counter: CountingReader,
        path: Path,
        kind: str,
        max_ratio: float,
        at_end: Callable[[], None] | None = None,
    ) -> None:
        self.inner = inner
        self.at_end = at_end  # called at the end of the stream (the zstd truncation check)
        self.error: HostileInputError | None = None
        self.counter = counter
        self.path = path
        self.kind = kind
        self.max_ratio = max_ratio
        self.produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        """Decoding errors are deferred by one read: the reader first sees a short read (an end
        of file) with every byte decoded before the break, so the records in them are kept;
        the next read raises. Consumers confirm the end with :meth:`ReadContext.finish`."""
        if self.error is not None:
            raise fresh(self.error)
        try:
            data = self.inner.read(len(b))
            if not data and self.at_end is not None:
                self.at_end()  # the zstd frame check: a file ending inside a frame
        except (zstandard.ZstdError, OSError, EOFError, lzma.LZMAError, zlib.error) as e:
            self.error = HostileInputError(
                f"the {self.kind} stream is corrupt or truncated after "
                f"{self.produced:,} decompressed bytes ({e})",
                path=str(self.path),
            )
            return 0
        except HostileInputError as e:
            self.error = fresh(e)
            return 0
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


class ZstdFrameCheck(io.RawIOBase):
    """Follows the zstd frame structure of the compressed bytes as they are read.

    python-zstandard's stream reader treats end of input inside a frame as a clean end of file,
    so a truncated dump would import silently short. This wrapper sits under the byte counter of
    an opened input and parses frame and block headers as the bytes pass (never decompressing
    anything; one header per block of at most 128 KiB); :meth:`verify`, called at the end of the
    stream, raises :class:`HostileInputError` if the file ended inside a frame. Bytes it cannot
    follow (not zstd, a reserved block type) stop the tracking: the decompressor reports those.
    """

    def __init__(self, raw: Any, path: Path) -> None:
        self.raw = raw
        self.path = path
        self.offset = 0  # bytes seen
        self.frame_start = 0
        self.frames = 0
        self.state = "magic"
        self.need = 4
        self.hdr = bytearray()
        self.skip = 0
        self.after_skip = "magic"
        self.checksum = False
        self.active = True
        self.problem: str | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n: int = self.raw.readinto(b) or 0
        if n and self.active:
            self._feed(memoryview(b)[:n])
        elif not n and self.active and (self.state != "magic" or self.hdr or self.skip):
            # Report at the end rather than here: the decoder still holds output of the data
            # before the break, and the records in it are good.
            self.active = False
            self.problem = (
                f"the zstd stream is truncated: the file ends inside frame {self.frames + 1} "
                f"(which starts at byte {self.frame_start:,}); the download or copy is incomplete"
            )
        return n

    def verify(self) -> None:
        """Raise :class:`HostileInputError` if the file ended inside a frame."""
        if self.problem:
            raise HostileInputError(self.problem, path=str(self.path))

    def close(self) -> None:
        self.raw.close()
        super().close()

    def _feed(self, mv: memoryview) -> None:
        pos, size = 0, len(mv)
        while pos < size and self.active:
            if self.skip:
                take = min(self.skip, size - pos)
                self.skip -= take
                pos += take
                if not self.skip:
                    self._goto(self.after_skip)
                continue
            take = min(self.need - len(self.hdr), size - pos)
            self.hdr += mv[pos : pos + take]
            pos += take
            if len(self.hdr) == self.need:
                field = bytes(self.hdr)
                self.hdr.clear()
                self._field(field, self.offset + pos)
        self.offset += size

    def _goto(self, state: str) -> None:
        if state == "end":  # a frame was read to its end
            self.frames += 1
            state = "magic"
        self.state = state
        self.need = _NEED[state]

    def _field(self, field: bytes, at: int) -> None:
        state = self.state
        if state == "magic":
            self.frame_start = at - 4
            if field == ZSTD_MAGIC:
                self._goto("fhd")
            elif field[1:] == b"\x2a\x4d\x18" and 0x50 <= field[0] <= 0x5F:
                self._goto("skipsize")  # a skippable frame
            else:
                self.active = False
        elif state == "fhd":
            fhd = field[0]
            single = (fhd >> 5) & 1
            self.checksum = bool((fhd >> 2) & 1)
            window = 0 if single else 1
            dict_id = (0, 1, 2, 4)[fhd & 3]
            content_size = (single, 2, 4, 8)[(fhd >> 6) & 3]
            rest = window + dict_id + content_size
            if rest:
                self.state, self.need = "fhrest", rest
            else:
                self._goto("block")
        elif state == "fhrest":
            self._goto("block")
        elif state == "block":
            h = int.from_bytes(field, "little")
            last, btype, bsize = h & 1, (h >> 1) & 3, h >> 3
            if btype == 3:
                self.active = False  # reserved: corrupt, the decompressor will say so
                return
            after = ("checksum" if self.checksum else "end") if last else "block"
            self.skip = 1 if btype == 1 else bsize  # an RLE block holds one byte
            if self.skip:
                self.after_skip = after
            else:
                self._goto(after)
        elif state == "checksum":
            self._goto("end")
        elif state == "skipsize":
            self.skip = int.from_bytes(field, "little")
            self.after_skip = "magic"
            if not self.skip:
                self._goto("magic")


_NEED = {"magic": 4, "fhd": 1, "block": 3, "checksum": 4, "skipsize": 4}


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
    kind = sniff_compression(head)
    check = ZstdFrameCheck(raw, path) if kind == "zstd" else None
    counter = CountingReader(check or raw)  # type: ignore[arg-type]
    if kind is None:
        return Input(io.BufferedReader(counter, CHUNK), counter, size, None)
    inner: IO[bytes]
    buffered = io.BufferedReader(counter, CHUNK)
    if kind == "zstd":
        # stream_reader bounds the output of each read (a bomb never lands in memory whole);
        # the frame check underneath notices a file that ends inside a frame.
        dctx = zstandard.ZstdDecompressor(max_window_size=2**31)
        inner = dctx.stream_reader(buffered, read_size=CHUNK, read_across_frames=True)
    elif kind == "gzip":
        inner = gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[assignment]
    elif kind == "bz2":
        inner = bz2.BZ2File(buffered, mode="rb")
    else:
        inner = lzma.LZMAFile(buffered, mode="rb")  # noqa: SIM115 - closed by Input.close
    guarded = GuardedStream(
        inner, counter, path, kind, max_expansion_ratio, check.verify if check else None
    )
    return Input(io.BufferedReader(guarded, CHUNK), counter, size, kind)


@dataclass(frozen=True)
class Block:
    """A run of whole lines: ``data`` holds lines ``first_line``, ``first_line + 1``, ...
    separated by newlines. A line over the size limit stands as an empty line in ``data`` and
    is described in ``long_lines`` as (line number, length, first 1,000 bytes)."""

    first_line: int
    data: bytes
    long_lines: tuple[tuple[int, int, bytes], ...] = ()

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """(line number, line) for each line that is not blank. Blank lines are skipped by the
        regex engine, not one Python step each, so a stream of newlines costs next to nothing."""
        data, number, pos = self.data, self.first_line, 0
        for m in _NON_BLANK.finditer(data):
            start = m.start()
            number += data.count(b"\n", pos, start)
            pos = start
            yield number, m.group().rstrip()


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
    long = tuple(
        (block.first_line + i, len(p), p[:1000]) for i, p in enumerate(parts) if len(p) > max_bytes
    )
    kept = b"\n".join(b"" if len(p) > max_bytes else p for p in parts)
    return Block(block.first_line, kept, block.long_lines + long)
