"""A framed, data-only message channel over a Unix socket (see :mod:`gradelib.sandbox.codec`)."""

from __future__ import annotations

import contextlib
import socket
import time

from gradelib.sandbox import codec

__all__ = ["Channel", "ChannelClosed", "ChannelTimeout"]


class ChannelClosed(ConnectionError):
    """The other end closed the channel or died."""


class ChannelTimeout(TimeoutError):
    """No complete message arrived in time."""


class Channel:
    """One end of a socket pair carrying codec frames, and file descriptors alongside them."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    @classmethod
    def from_fd(cls, fd: int) -> Channel:
        return cls(socket.socket(fileno=fd))

    def fileno(self) -> int:
        return self.sock.fileno()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    # ---------------------------------------------------------------- messages
    def send(self, value, to_wire=None) -> None:
        frame = codec.encode(value, to_wire)
        self.sock.settimeout(None)
        try:
            self.sock.sendall(frame)
        except OSError as error:
            raise ChannelClosed(str(error)) from None

    def recv(self, from_wire=None, *, timeout: float | None = None, device_map=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        prefix = self._read(codec.FRAME_PREFIX_BYTES, deadline)
        header_length, payload_length = codec.frame_lengths(prefix)
        header = self._read(header_length, deadline)
        payload = self._read(payload_length, deadline)
        return codec.decode(header, payload, from_wire, device_map=device_map)

    def _read(self, count: int, deadline: float | None) -> bytes:
        chunks, remaining = [], count
        while remaining:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ChannelTimeout("no answer in time")
                self.sock.settimeout(left)
            else:
                self.sock.settimeout(None)
            try:
                chunk = self.sock.recv(min(remaining, 1 << 20))
            except TimeoutError:
                raise ChannelTimeout("no answer in time") from None
            except OSError as error:
                raise ChannelClosed(str(error)) from None
            if not chunk:
                raise ChannelClosed("the other end closed the channel")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    # ---------------------------------------------------------------- file descriptors
    def send_fd(self, fd: int) -> None:
        self.sock.settimeout(None)
        socket.send_fds(self.sock, [b"F"], [fd])

    def recv_fd(self, *, timeout: float | None = None) -> int:
        self.sock.settimeout(timeout)
        try:
            message, fds, _flags, _address = socket.recv_fds(self.sock, 1, 1)
        except TimeoutError:
            raise ChannelTimeout("no answer in time") from None
        except OSError as error:
            raise ChannelClosed(str(error)) from None
        if message != b"F" or len(fds) != 1:
            for fd in fds:
                _close_fd(fd)
            raise ChannelClosed("expected a file descriptor")
        return fds[0]


def _close_fd(fd: int) -> None:
    import os

    with contextlib.suppress(OSError):
        os.close(fd)


