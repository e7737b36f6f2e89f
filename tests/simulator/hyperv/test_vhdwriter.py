"""VhdWriter: unbuffered (O_DIRECT) and buffered writes give the same bytes, aligned or not."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.services.hyperv.disks import create_sparse
from simulator.services.hyperv.vhdwriter import ALIGNMENT, STAGING_BYTES, VhdWriter

SIZE = 3 * STAGING_BYTES + 5000  # not a multiple of 4 KiB: the tail write cannot be unbuffered

WRITES = st.lists(st.tuples(st.integers(0, SIZE // ALIGNMENT), st.integers(1, 600), st.booleans(),
                            st.integers(0, 255)), min_size=1, max_size=6)


@settings(max_examples=25, deadline=None)
@given(writes=WRITES, unbuffered=st.booleans())
def test_writes_land_byte_exact(tmp_path_factory: pytest.TempPathFactory,
                                writes: list[tuple[int, int, bool, int]], unbuffered: bool) -> None:
    """Aligned runs (unbuffered when the file system allows), odd offsets and lengths, the tail: all exact."""
    path = tmp_path_factory.mktemp("vhd") / "disk.vhdx"
    create_sparse(path, SIZE)
    expected = bytearray(SIZE)
    with VhdWriter(path, unbuffered=unbuffered) as writer:
        for page, pages, aligned, fill in writes:
            offset = page * ALIGNMENT if aligned else page * ALIGNMENT + 7
            length = min(pages * ALIGNMENT if aligned else pages * 1000 + 3, SIZE - offset)
            if length <= 0:
                continue
            data = random.Random(fill).randbytes(length)
            writer.write(offset, memoryview(data) if aligned else data)
            expected[offset:offset + length] = data
    assert path.read_bytes() == bytes(expected)


def test_write_larger_than_the_staging_buffer_and_read_back_through_the_cache(tmp_path: Path) -> None:
    path = tmp_path / "disk.vhdx"
    create_sparse(path, SIZE)
    payload = os.urandom(2 * STAGING_BYTES + ALIGNMENT)
    with open(path, "rb") as before:  # cached pages of the range must not hide the new bytes
        before.read()
    with VhdWriter(path) as writer:
        writer.write(ALIGNMENT, payload)
        writer.fsync()
    with open(path, "rb") as after:
        after.seek(ALIGNMENT)
        assert after.read(len(payload)) == payload
    assert path.stat().st_size == SIZE


def test_buffered_only_writer_reports_it(tmp_path: Path) -> None:
    path = tmp_path / "disk.vhdx"
    create_sparse(path, ALIGNMENT * 4)
    with VhdWriter(path, unbuffered=False) as writer:
        assert not writer.unbuffered
        writer.write(0, b"x" * ALIGNMENT)
    assert path.read_bytes()[:ALIGNMENT] == b"x" * ALIGNMENT
