"""The block stream replication sends: VHD blocks packed into records, batched into wire-sized chunks.

A record is ``disk index (u16) · offset (u64) · length (u32) · flags (u8, 1 = zlib) · bytes``. Consecutive
plain (uncompressed) blocks of one disk share one record, so a chunk of random data is one header and
~1 MiB of bytes read straight from the VHD into the chunk's buffer: the primary copies each byte once
(kernel → chunk) and the replica writes each record with one call. This module is the hot path of
initial replication (see bench/bench_replication_data.py); it holds no Hyper-V state.
"""

from __future__ import annotations

import queue
import struct
import threading
import zlib
from collections.abc import Generator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from simulator.core.errors import SimError

BLOCK_SIZE = 64 * 1024
COPY_CHUNK = 1024 * 1024
RECORD_HEADER = struct.Struct(">HQIB")
FLAG_ZLIB = 1
ZERO_BLOCK = bytes(BLOCK_SIZE)
MAX_PROBE_BACKOFF = 8
PROBE_BYTES = 2048
BlockData = bytes | bytearray | memoryview  # a record's bytes: plain records are views into the chunk


class _CompressionProbe:
    """Decides per block whether deflate is worth it (CompressionEnabled), cheaply on random data.

    A block is compressed when its first 2 KiB shrink by 10 %; one deflate stream is reused for every
    sample (a full flush resets its history), a quarter of the cost of a fresh ``zlib.compress``. After
    incompressible samples only every 2nd, 4th … 8th block is probed.
    """

    def __init__(self) -> None:
        self._stream = zlib.compressobj(1)
        self._skip = 0
        self._backoff = 0

    def worth_compressing(self, data: memoryview) -> bool:
        if self._skip:
            self._skip -= 1
            return False
        sample = data[:PROBE_BYTES]
        packed = len(self._stream.compress(sample)) + len(self._stream.flush(zlib.Z_FULL_FLUSH))
        if packed < 0.9 * len(sample):
            self._backoff = 0
            return True
        # ASSUMPTION: runs of incompressible blocks (random or encrypted data) are common and long; a
        # compressible block right after one may go uncompressed (it only costs wire bytes).
        self._backoff = min(MAX_PROBE_BACKOFF, max(1, self._backoff * 2))
        self._skip = self._backoff - 1
        return False


class _ChunkBuilder:
    """One wire chunk under construction: records written in place into a preallocated buffer."""

    def __init__(self) -> None:
        self.buffer = bytearray(COPY_CHUNK)
        self.view = memoryview(self.buffer)
        self.position = 0
        self.open_header = -1  # where the plain record that may still grow starts
        self.open_key = (-1, -1)  # (disk index, offset right after that record)

    def blocks_that_fit(self) -> int:
        """How many more whole blocks fit (as one new record)."""
        return max(0, (COPY_CHUNK - self.position - RECORD_HEADER.size) // BLOCK_SIZE)

    def put_plain(self, index: int, offset: int, data: memoryview | bytes) -> None:
        """Append plain bytes, growing the open record when they continue it."""
        start = self.plain_start(index, offset)
        self.view[start:start + len(data)] = data
        self.commit_plain(index, offset, start, len(data))

    def put_packed(self, index: int, offset: int, packed: bytes) -> None:
        """Append one deflated block as a record of its own."""
        RECORD_HEADER.pack_into(self.view, self.position, index, offset, len(packed), FLAG_ZLIB)
        body = self.position + RECORD_HEADER.size
        self.view[body:body + len(packed)] = packed
        self.position = body + len(packed)
        self.open_key = (-1, -1)

    def plain_start(self, index: int, offset: int) -> int:
        """Where plain bytes at ``offset`` go: right after the open record they continue, else after a new header."""
        extends = self.open_key == (index, offset)
        return self.position if extends else self.position + RECORD_HEADER.size

    def commit_plain(self, index: int, offset: int, start: int, length: int) -> None:
        """Account for ``length`` plain bytes already placed at ``start`` (see :meth:`plain_start`)."""
        if start == self.position:  # continues the open record
            _, record_offset, record_length, _ = RECORD_HEADER.unpack_from(self.view, self.open_header)
            RECORD_HEADER.pack_into(self.view, self.open_header, index, record_offset, record_length + length, 0)
        else:
            self.open_header = self.position
            RECORD_HEADER.pack_into(self.view, self.position, index, offset, length, 0)
        self.position = start + length
        self.open_key = (index, offset + length)

    def take(self) -> bytearray:
        """The finished chunk (the builder must not be used afterwards)."""
        self.view.release()
        del self.buffer[self.position:]
        return self.buffer


def _runs(blocks: Iterable[int]) -> Iterator[tuple[int, int]]:
    """``(first block, count)`` for each run of consecutive block indices."""
    first = previous = -2
    for block in blocks:
        if block == previous + 1:
            previous = block
            continue
        if first >= 0:
            yield first, previous - first + 1
        first = previous = block
    if first >= 0:
        yield first, previous - first + 1


def _add_run(builder: _ChunkBuilder, handle: Any, index: int, first: int, count: int, size: int, *,
             skip_zero: bool, probe: _CompressionProbe | None) -> None:
    """Read ``count`` consecutive blocks straight into the chunk with one call.

    The common case (no all-zero block to drop, nothing worth deflating) leaves the bytes where they
    landed, as one plain record; otherwise the run is copied out and placed block by block.
    """
    offset = first * BLOCK_SIZE
    length = min(count * BLOCK_SIZE, max(0, size - offset))
    if length == 0:
        return
    start = builder.plain_start(index, offset)
    handle.seek(offset)
    got = handle.readinto(builder.view[start:start + length])
    kinds = []
    for at in range(0, got, BLOCK_SIZE):
        block = builder.view[start + at:start + min(at + BLOCK_SIZE, got)]
        if skip_zero and builder.buffer.startswith(ZERO_BLOCK[:len(block)], start + at):
            kinds.append("zero")
        elif probe is not None and probe.worth_compressing(block):
            kinds.append("deflate")
        else:
            kinds.append("plain")
    if all(kind == "plain" for kind in kinds):
        if got:
            builder.commit_plain(index, offset, start, got)  # the bytes are in place already
        return
    data = bytes(builder.view[start:start + got])  # the slow path rewrites the area the run was read into
    for number, kind in enumerate(kinds):
        block = memoryview(data)[number * BLOCK_SIZE:(number + 1) * BLOCK_SIZE]
        block_offset = offset + number * BLOCK_SIZE
        if kind == "zero":
            builder.open_key = (-1, -1)
            continue
        if kind == "deflate":
            packed = zlib.compress(block, 1)
            if len(packed) < len(block):
                builder.put_packed(index, block_offset, packed)
                continue
        builder.put_plain(index, block_offset, block)


def encode_blocks(disks: Sequence[tuple[int, Path, Iterable[int]]], *, skip_zero: bool = False,
                  compress: bool = False) -> Iterator[bytes | bytearray]:
    """The block stream for ``(disk index, file, block indices)``, in chunks of at most :data:`COPY_CHUNK` bytes.

    ``skip_zero`` leaves out all-zero blocks (initial replication: the replica's new disk is sparse);
    a delta must send them, since a guest may have zeroed data. ``compress`` (CompressionEnabled)
    deflates each block whose compressed form is smaller. Chunks are filled to about 1 MiB so the
    channel sends few large frames rather than one per 64 KiB block.
    """
    probe = _CompressionProbe() if compress else None
    builder = _ChunkBuilder()
    for index, path, blocks in disks:
        size = path.stat().st_size
        with open(path, "rb", buffering=0) as handle:
            for first, count in _runs(blocks):
                done = 0
                while done < count:
                    room = builder.blocks_that_fit()
                    if room == 0:
                        yield builder.take()
                        builder = _ChunkBuilder()
                        continue
                    step = min(room, count - done)
                    _add_run(builder, handle, index, first + done, step, size, skip_zero=skip_zero, probe=probe)
                    done += step
    if builder.position:
        yield builder.take()


def decode_blocks(chunks: Iterable[bytes]) -> Iterator[tuple[int, int, BlockData]]:
    """Parse a block stream cut into arbitrary chunks into ``(disk index, offset, data)``.

    Plain records come out as read-only views into the received chunk (no copy); deflated ones as
    the inflated bytes.
    """
    pending = b""
    for chunk in chunks:
        buffer = pending + chunk if pending else chunk
        view = memoryview(buffer).toreadonly()
        position = 0
        end = len(buffer)
        while end - position >= RECORD_HEADER.size:
            index, offset, length, flags = RECORD_HEADER.unpack_from(view, position)
            start = position + RECORD_HEADER.size
            if end - start < length:
                break
            data = view[start:start + length]
            position = start + length
            yield index, offset, zlib.decompress(data) if flags & FLAG_ZLIB else data
        pending = bytes(view[position:])
    if pending:
        msg = "the replication block stream ended inside a record"
        raise SimError(f"{msg} (0x80004004).", "ReplicationStreamTruncated", "InvalidData", hresult=0x80004004)


def prefetch(chunks: Iterable[Any], depth: int = 4) -> Generator[Any, None, None]:
    """Produce ``chunks`` in a background thread, up to ``depth`` ahead, so disk reads and compression
    overlap the TLS sends of the consumer. Stopping early (the consumer failed) stops the producer too.
    """
    pipe: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                pipe.put(item, timeout=0.2)
            except queue.Full:
                continue
            return True
        return False

    def produce() -> None:
        try:
            for chunk in chunks:
                if not put(("chunk", chunk)):
                    return
        except BaseException as error:  # handed to the consumer, which raises it
            put(("error", error))
            return
        put(("end", None))

    worker = threading.Thread(target=produce, daemon=True, name="block-stream-prefetch")
    worker.start()
    try:
        while True:
            kind, value = pipe.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        worker.join()
