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

    def room_for_block(self) -> bool:
        return self.position + RECORD_HEADER.size + BLOCK_SIZE <= COPY_CHUNK

    def take(self) -> bytearray:
        """The finished chunk (the builder must not be used afterwards)."""
        self.view.release()
        del self.buffer[self.position:]
        return self.buffer


def _add_block(builder: _ChunkBuilder, handle: Any, index: int, block: int, size: int, *, skip_zero: bool,
               probe: _CompressionProbe | None) -> None:
    """Read one block into the chunk and keep it as plain bytes, deflated bytes, or drop it (all zero)."""
    offset = block * BLOCK_SIZE
    length = min(BLOCK_SIZE, max(0, size - offset))
    if length == 0:
        return
    extends = builder.open_key == (index, offset)
    start = builder.position if extends else builder.position + RECORD_HEADER.size
    target = builder.view[start:start + length]
    handle.seek(offset)
    got = handle.readinto(target)
    target = target[:got]
    if not got or (skip_zero and builder.buffer.startswith(ZERO_BLOCK[:got], start)):
        return
    if probe is not None and probe.worth_compressing(target):
        packed = zlib.compress(target, 1)
        if len(packed) < got:
            RECORD_HEADER.pack_into(builder.view, builder.position, index, offset, len(packed), FLAG_ZLIB)
            body = builder.position + RECORD_HEADER.size
            builder.view[body:body + len(packed)] = packed
            builder.position = body + len(packed)
            builder.open_key = (-1, -1)
            return
    if extends:
        _, record_offset, record_length, _ = RECORD_HEADER.unpack_from(builder.view, builder.open_header)
        RECORD_HEADER.pack_into(builder.view, builder.open_header, index, record_offset, record_length + got, 0)
    else:
        builder.open_header = builder.position
        RECORD_HEADER.pack_into(builder.view, builder.position, index, offset, got, 0)
    builder.position = start + got
    builder.open_key = (index, offset + got)


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
            for block in blocks:
                if not builder.room_for_block():
                    yield builder.take()
                    builder = _ChunkBuilder()
                _add_block(builder, handle, index, block, size, skip_zero=skip_zero, probe=probe)
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
