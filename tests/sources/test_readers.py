"""Safe input streams: compression, truncation, bombs, and blocks of lines."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import zstandard

from groundswell.errors import HostileInputError
from groundswell.sources.readers import iter_blocks, open_input


def test_every_zstd_truncation_point_is_detected(cases: Path, tmp_path: Path) -> None:
    """Cutting a multi-frame dump anywhere but a frame boundary raises, never ends quietly."""
    data = (cases / "reddit" / "RC_2020-03.zst").read_bytes()
    boundaries = {0, len(data)}
    pos = 0
    while pos < len(data):  # frame boundaries, found by decompressing frame by frame
        dobj = zstandard.ZstdDecompressor(max_window_size=2**31).decompressobj()
        dobj.decompress(data[pos:])
        pos = len(data) - len(dobj.unused_data)
        boundaries.add(pos)
    path = tmp_path / "cut.zst"
    for cut in range(4, len(data)):
        path.write_bytes(data[:cut])
        handle = open_input(path)
        try:
            handle.stream.read()
            handle.stream.read(1)  # errors come one read after the data before them
        except HostileInputError:
            assert cut not in boundaries
        else:
            assert cut in boundaries, f"truncation at byte {cut} went unnoticed"
        finally:
            handle.close()


def test_a_zstd_bomb_never_lands_in_memory(tmp_path: Path) -> None:
    import resource

    path = tmp_path / "bomb.zst"
    with open(path, "wb") as f, zstandard.ZstdCompressor(level=19).stream_writer(f) as w:
        for _ in range(2048):  # 2 GiB of one byte
            w.write(b"a" * (1 << 20))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    handle = open_input(path, max_expansion_ratio=200)
    with pytest.raises(HostileInputError, match="decompression bomb"):
        while handle.stream.read(1 << 20):
            pass
        handle.stream.read(1)
    handle.close()
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200


def _reference(data: bytes, max_bytes: int) -> list[tuple[int, bytes]]:
    out = []
    for number, line in enumerate(data.split(b"\n"), 1):
        if line.strip() and len(line.lstrip()) <= max_bytes:
            out.append((number, line.strip()))
    return out


class _Chunky:
    """A stream that returns at most ``size`` bytes per read, to exercise the buffering."""

    def __init__(self, data: bytes, size: int) -> None:
        self.data = data
        self.size = size

    def read(self, n: int) -> bytes:
        out, self.data = self.data[: min(n, self.size)], self.data[min(n, self.size) :]
        return out


def test_blocks_give_the_lines_of_a_plain_split() -> None:
    rng = random.Random(7)
    pieces = [b"\n", b"\n\n\n", b" ", b"\r\n", b'{"a": 1}', b"x" * 50, b"y" * 3000, b"\t"]
    for _ in range(300):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 60)))
        max_bytes = rng.choice([4000, 100_000])
        block_size = rng.choice([7, 64, 4096])
        blocks = list(iter_blocks(_Chunky(data, rng.randint(1, 64)), max_bytes, block_size))
        got = [line for b in blocks for line in b.lines()]
        assert got == _reference(data, max_bytes)


def test_overlong_lines_are_marked_not_held() -> None:
    data = b'{"a": 1}\n' + b"z" * 50_000 + b'\n{"b": 2}\n' + b"q" * 9_000
    blocks = list(iter_blocks(_Chunky(data, 1000), 4096, block_size=1024))
    longs = [x[:2] for b in blocks for x in b.long_lines]
    assert longs == [(2, 50_000), (4, 9_000)]
    assert [line for b in blocks for line in b.lines()] == [(1, b'{"a": 1}'), (3, b'{"b": 2}')]
