"""The replication wire format: typed, length-prefixed frames over a (TLS) socket, streamed in chunks.

A frame is one type byte, a 4-byte big-endian length and the body:

* ``J`` a JSON object (preamble, hello, request and reply headers);
* ``D`` a chunk of a byte stream (at most :data:`CHUNK_SIZE` bytes);
* ``E`` the end of a byte stream (empty body).

A request is a ``J`` header ``{"op", "payload", "has_data"}``, then when ``has_data`` any number of
``D`` frames and one ``E``; the reply is ``{"ok": true, "reply", "has_data"}`` (+ stream) or
``{"ok": false, "error": {...}}``. Streams are never held in memory whole: each chunk is written as
it is produced and handed to the consumer as it arrives. Compression of VHD blocks, when the VM has
CompressionEnabled, is the payload's business (Hyper-V side), not the transport's.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

CHUNK_SIZE = 1024 * 1024
MAX_JSON = 16 * 1024 * 1024
SMALL_FRAME = 64 * 1024
_HEADER = struct.Struct(">cI")
_FIRST_PIECE = 16 * 1024 - _HEADER.size  # fills the first TLS record (16 KiB of plaintext) with the header

JSON = b"J"
DATA = b"D"
END = b"E"


class WireError(Exception):
    """The peer broke the protocol or closed the connection mid-frame."""


class Throttle:
    """A bandwidth cap (bytes per second) applied by sleeping; no-op when ``rate`` is None."""

    IDLE_RESET_SECONDS = 1.0

    def __init__(self, rate: Callable[[], int | None]) -> None:
        self._rate = rate
        self._start = 0.0
        self._last = 0.0
        self._sent = 0

    def account(self, nbytes: int) -> None:
        """Record ``nbytes`` just sent and sleep long enough to stay under the current cap.

        The window starts with the first chunk after an idle second, so time spent connecting or
        between calls never counts as unused bandwidth.
        """
        rate = self._rate()
        now = time.monotonic()
        if not rate:
            self._sent = 0
            return
        if self._sent == 0 or now - self._last > self.IDLE_RESET_SECONDS:
            self._start = now
            self._sent = 0
        self._sent += nbytes
        due = self._start + self._sent / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._last = time.monotonic()


class FrameConnection:
    """Frame I/O over a connected socket (plain or TLS)."""

    def __init__(self, sock: socket.socket, throttle: Throttle | None = None,
                 check: Callable[[], None] | None = None) -> None:
        """Frames are read with exact-size ``recv_into`` calls (no read-ahead), so a connection can
        carry the plaintext preamble and then be wrapped in TLS without losing bytes."""
        self.sock = sock
        with contextlib.suppress(OSError):  # request/response frames: send each at once
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.throttle = throttle
        self.check = check or (lambda: None)

    # ---------------------------------------------------------------- sending
    def _send(self, kind: bytes, body: bytes | memoryview) -> None:
        header = _HEADER.pack(kind, len(body))
        if len(body) <= SMALL_FRAME:
            self.sock.sendall(header + bytes(body))  # one write: no Nagle/delayed-ACK stall on small frames
        else:
            # The header rides in the first full TLS record (16 KiB) instead of a 5-byte record and
            # segment of its own, which would wake the receiver once more per frame.
            view = memoryview(body)
            self.sock.sendall(header + bytes(view[:_FIRST_PIECE]))
            self.sock.sendall(view[_FIRST_PIECE:])

    def send_json(self, obj: dict[str, Any]) -> None:
        """Send one JSON header frame."""
        self._send(JSON, json.dumps(obj, separators=(",", ":")).encode())

    def send_stream(self, chunks: Iterable[bytes]) -> int:
        """Send a byte stream chunk by chunk, then the end frame. Returns the byte count."""
        total = 0
        for chunk in chunks:
            view = memoryview(chunk)
            for start in range(0, len(view), CHUNK_SIZE):
                piece = view[start:start + CHUNK_SIZE]
                self.check()
                self._send(DATA, piece)
                total += len(piece)
                if self.throttle is not None:
                    self.throttle.account(len(piece))
        self._send(END, b"")
        return total

    # ---------------------------------------------------------------- receiving
    def _read_exact(self, size: int) -> bytearray:
        """Exactly ``size`` bytes, received straight into the returned buffer (one copy, out of TLS)."""
        buffer = bytearray(size)
        view = memoryview(buffer)
        received = 0
        try:
            while received < size:
                count = self.sock.recv_into(view[received:])
                if not count:
                    msg = "connection closed by the peer"
                    raise WireError(msg)
                received += count
        finally:
            view.release()
        return buffer

    def recv_frame(self) -> tuple[bytes, bytes | bytearray]:
        """The next frame's type and body."""
        kind, length = _HEADER.unpack(self._read_exact(_HEADER.size))
        if kind == JSON and length > MAX_JSON:
            msg = f"JSON frame of {length} bytes is too large"
            raise WireError(msg)
        if kind == DATA and length > CHUNK_SIZE:
            msg = f"data frame of {length} bytes is larger than {CHUNK_SIZE}"
            raise WireError(msg)
        return kind, self._read_exact(length) if length else b""

    def recv_json(self) -> dict[str, Any]:
        """The next frame, which must be a JSON object."""
        kind, body = self.recv_frame()
        if kind != JSON:
            msg = f"expected a JSON frame, got {kind!r}"
            raise WireError(msg)
        obj = json.loads(body)
        if not isinstance(obj, dict):
            msg = "JSON frame is not an object"
            raise WireError(msg)
        return obj

    def recv_stream(self) -> Iterator[bytes | bytearray]:
        """Yield the chunks of an incoming stream until its end frame."""
        while True:
            self.check()
            kind, body = self.recv_frame()
            if kind == END:
                return
            if kind != DATA:
                msg = f"expected a data frame, got {kind!r}"
                raise WireError(msg)
            yield body

    def close(self) -> None:
        """Close the socket (never raises)."""
        with contextlib.suppress(OSError):
            self.sock.close()
