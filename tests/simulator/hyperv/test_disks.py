"""The block stream and sparse disks: round trips under any chunking, compression, holes, change tracking."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.core.errors import SimError
from simulator.services.hyperv.blockstream import COPY_CHUNK, decode_blocks, encode_blocks, prefetch
from simulator.services.hyperv.disks import (
    BLOCK_SIZE,
    create_sparse,
    data_blocks,
    mark_dirty,
    sparse_copy,
    write_at,
)


def rechunk(stream: list[bytes], sizes: list[int]) -> list[bytes]:
    blob = b"".join(stream)
    out, position, i = [], 0, 0
    while position < len(blob):
        size = sizes[i % len(sizes)]
        out.append(blob[position:position + size])
        position += size
        i += 1
    return out


@given(writes=st.lists(st.tuples(st.integers(0, 40 * BLOCK_SIZE), st.binary(min_size=1, max_size=3000)),
                       max_size=8),
       sizes=st.lists(st.integers(7, 70000), min_size=1, max_size=5), compress=st.booleans())
def test_stream_round_trip_any_chunking(tmp_path_factory: pytest.TempPathFactory,
                                        writes: list[tuple[int, bytes]], sizes: list[int], compress: bool) -> None:
    folder = tmp_path_factory.mktemp("disk")
    source, target = folder / "a.vhdx", folder / "b.vhdx"
    size = 41 * BLOCK_SIZE + 123
    create_sparse(source, size)
    create_sparse(target, size)
    for offset, data in writes:
        write_at(source, offset, data)
    stream = [bytes(c) for c in encode_blocks([(0, source, data_blocks(source))], compress=compress)]
    for _, at, block in decode_blocks(rechunk(stream, sizes)):
        write_at(target, at, bytes(block))
    assert source.read_bytes() == target.read_bytes()


def test_compression_shrinks_repetitive_blocks(tmp_path: Path) -> None:
    disk = tmp_path / "d.vhdx"
    create_sparse(disk, 4 * BLOCK_SIZE)
    write_at(disk, 0, b"abcd" * BLOCK_SIZE)
    plain = sum(len(c) for c in encode_blocks([(0, disk, range(4))]))
    packed = sum(len(c) for c in encode_blocks([(0, disk, range(4))], compress=True))
    assert packed < plain // 10


def test_initial_stream_skips_holes_and_zero_blocks(tmp_path: Path) -> None:
    disk = tmp_path / "d.vhdx"
    create_sparse(disk, 1024 * BLOCK_SIZE)
    write_at(disk, 700 * BLOCK_SIZE + 5, b"x")
    assert disk.stat().st_blocks * 512 < 64 * BLOCK_SIZE
    records = list(decode_blocks(bytes(c) for c in encode_blocks([(0, disk, data_blocks(disk))], skip_zero=True)))
    assert [offset for _, offset, _ in records] == [700 * BLOCK_SIZE]


def test_sparse_copy_keeps_content_and_holes(tmp_path: Path) -> None:
    disk, copy = tmp_path / "d.vhdx", tmp_path / "c" / "d.vhdx"
    create_sparse(disk, 256 * BLOCK_SIZE)
    write_at(disk, 100 * BLOCK_SIZE, os.urandom(5000))
    sparse_copy(disk, copy)
    assert copy.read_bytes() == disk.read_bytes()
    assert copy.stat().st_blocks * 512 < 32 * BLOCK_SIZE


def test_truncated_stream_is_an_error() -> None:
    with pytest.raises(SimError, match="ended inside a record"):
        list(decode_blocks([b"\x00\x01\x02"]))


@given(offset=st.integers(0, 10**7), length=st.integers(1, 300000))
def test_dirty_tracking_covers_every_written_byte(offset: int, length: int) -> None:
    rep: dict[str, object] = {}
    mark_dirty(rep, 0, offset, length)
    blocks = rep["dirty"]["0"]  # type: ignore[index]  # plain dict written by mark_dirty
    assert blocks[0] * BLOCK_SIZE <= offset < (blocks[0] + 1) * BLOCK_SIZE
    assert blocks[-1] * BLOCK_SIZE <= offset + length - 1 < (blocks[-1] + 1) * BLOCK_SIZE
    assert blocks == list(range(blocks[0], blocks[-1] + 1))


def test_stream_chunks_fill_but_never_exceed_a_wire_frame(tmp_path: Path) -> None:
    disk = tmp_path / "d.vhdx"
    create_sparse(disk, 40 * BLOCK_SIZE)
    write_at(disk, 0, os.urandom(40 * BLOCK_SIZE))
    chunks = [bytes(c) for c in encode_blocks([(0, disk, range(40))])]
    assert all(len(c) <= COPY_CHUNK for c in chunks)
    assert len(chunks) == 3  # 15 blocks of 64 KiB + one record header fit in 1 MiB
    records = list(decode_blocks(chunks))
    assert len(records) == 3  # consecutive plain blocks share one record per chunk
    assert b"".join(bytes(data) for _, _, data in records) == disk.read_bytes()


BLOCK_KINDS = st.sampled_from(["hole", "zero", "random", "pattern", "tail"])


@given(kinds=st.lists(st.lists(BLOCK_KINDS, min_size=1, max_size=24), min_size=1, max_size=2),
       picks=st.sets(st.integers(0, 23)), skip_zero=st.booleans(), compress=st.booleans(),
       sizes=st.lists(st.integers(15, 300000), min_size=1, max_size=3))
def test_stream_of_mixed_blocks_rebuilds_the_chosen_blocks(
        tmp_path_factory: pytest.TempPathFactory, kinds: list[list[str]], picks: set[int], skip_zero: bool,
        compress: bool, sizes: list[int]) -> None:
    """Zero, random, compressible and partly written blocks, on two disks, any subset: byte-exact."""
    folder = tmp_path_factory.mktemp("mixed")
    disks, expected = [], []
    for index, layout in enumerate(kinds):
        source = folder / f"s{index}.vhdx"
        size = len(layout) * BLOCK_SIZE - 1000  # the last block is short
        create_sparse(source, size)
        for block, kind in enumerate(layout):
            if kind == "zero":
                write_at(source, block * BLOCK_SIZE, bytes(min(BLOCK_SIZE, size - block * BLOCK_SIZE)))
            elif kind == "random":
                write_at(source, block * BLOCK_SIZE, os.urandom(min(BLOCK_SIZE, size - block * BLOCK_SIZE)))
            elif kind == "pattern":
                write_at(source, block * BLOCK_SIZE, b"log line %d\n" % block * 100)
            elif kind == "tail":
                write_at(source, block * BLOCK_SIZE + 500, b"x")
        chosen = sorted(b for b in picks if b < len(layout))
        disks.append((index, source, chosen))
        image = bytearray(size)
        content = source.read_bytes()
        for block in chosen:
            image[block * BLOCK_SIZE:(block + 1) * BLOCK_SIZE] = content[block * BLOCK_SIZE:(block + 1) * BLOCK_SIZE]
        expected.append(bytes(image))
    stream = list(encode_blocks(disks, skip_zero=skip_zero, compress=compress))
    assert all(len(chunk) <= COPY_CHUNK for chunk in stream)
    rebuilt = [bytearray(len(image)) for image in expected]
    for index, offset, data in decode_blocks(rechunk([bytes(c) for c in stream], sizes)):
        assert offset % BLOCK_SIZE == 0
        rebuilt[index][offset:offset + len(data)] = data
        pieces = [bytes(data[at:at + BLOCK_SIZE]) for at in range(0, len(data), BLOCK_SIZE)]
        assert not (skip_zero and any(piece.count(0) == len(piece) for piece in pieces))  # zero blocks stay home
    assert [bytes(r) for r in rebuilt] == expected


def test_prefetch_passes_chunks_in_order_and_raises_the_producers_error() -> None:
    def chunks() -> Iterator[bytes]:
        yield from (bytes([i]) for i in range(20))
        raise SimError("disk read failed", "ReadFailed", "ReadError")

    seen: list[bytes] = []
    with pytest.raises(SimError, match="disk read failed"):
        seen.extend(prefetch(chunks(), depth=2))
    assert seen == [bytes([i]) for i in range(20)]


def test_prefetch_closed_early_stops_its_producer() -> None:
    produced: list[int] = []

    def endless() -> Iterator[bytes]:
        while True:
            produced.append(1)
            yield b"x"

    stream = prefetch(endless(), depth=2)
    assert next(stream) == b"x"
    stream.close()
    count = len(produced)
    time.sleep(0.3)
    assert len(produced) == count
    assert not [t for t in threading.enumerate() if t.name == "block-stream-prefetch"]
