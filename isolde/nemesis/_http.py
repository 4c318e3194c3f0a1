"""HTTP/1.1 message framing on asyncio streams: enough to cut a byte stream into whole requests
(so the fault proxy can drop a reply or deliver a request twice) and to read a reply through.

Bodies are framed by ``Content-Length`` or ``Transfer-Encoding: chunked``; a request with neither
has no body; a response with neither runs to the end of the connection (RFC 9112 §6.3).
"""

from __future__ import annotations

import asyncio


class FramingError(Exception):
    """The bytes are not an HTTP/1.1 message this reader can frame. ``consumed``: what was read
    off the stream before that showed (a proxy forwarding the stream raw sends them first)."""

    def __init__(self, message: str, consumed: bytes = b"") -> None:
        super().__init__(message)
        self.consumed = consumed


def _headers(head: bytes) -> dict[bytes, bytes]:
    out: dict[bytes, bytes] = {}
    for line in head.split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep:
            out[name.strip().lower()] = value.strip()
    return out


async def _read_chunked(reader: asyncio.StreamReader, head: bytes) -> bytes:
    parts = [head]
    while True:
        line = await reader.readuntil(b"\r\n")
        parts.append(line)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise FramingError(f"bad chunk size line {line[:40]!r}", b"".join(parts)) from None
        if size == 0:
            while True:  # trailer fields, then the empty line
                trailer = await reader.readuntil(b"\r\n")
                parts.append(trailer)
                if trailer == b"\r\n":
                    return b"".join(parts)
        parts.append(await reader.readexactly(size + 2))


async def read_message(reader: asyncio.StreamReader, response: bool = False,
                       head_request: bool = False) -> bytes | None:
    """The next whole message's raw bytes, or None at a clean end of stream before it began.

    Raises :class:`FramingError` on bytes that are not HTTP/1.1, ``IncompleteReadError`` when
    the stream ends inside a message.
    """
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if not e.partial:
            return None
        raise
    except asyncio.LimitOverrunError:
        raise FramingError("header section too long") from None
    first = head.split(b"\r\n", 1)[0]
    if response and not first.startswith(b"HTTP/1."):
        raise FramingError(f"not an HTTP/1.x status line: {first[:40]!r}", head)
    if not response and not first.rstrip().endswith((b"HTTP/1.1", b"HTTP/1.0")):
        # e.g. HTTP/2's connection preface (gRPC), which opens with "PRI * HTTP/2.0\r\n\r\n"
        raise FramingError(f"not an HTTP/1.x request line: {first[:40]!r}", head)
    h = _headers(head)
    if response:
        status = int(first.split(b" ", 2)[1])
        if head_request or 100 <= status < 200 or status in (204, 304):
            return head
    if b"chunked" in h.get(b"transfer-encoding", b"").lower():
        return await _read_chunked(reader, head)
    if b"content-length" in h:
        try:
            n = int(h[b"content-length"])
        except ValueError:
            raise FramingError("bad Content-Length", head) from None
        return head + await reader.readexactly(n)
    if response:
        return head + await reader.read()  # delimited by the end of the connection
    return head


def is_head_request(request: bytes) -> bool:
    return request.startswith(b"HEAD ")
