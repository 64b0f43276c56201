"""The HTTP protocol every process serves with: uvicorn's httptools protocol, bounded.

uvicorn with httptools puts no limit on a request's head (llhttp has none, and httptools
buffers a header value whole before handing it over): one 50 MB header took the gateway to
1.4 GB. Nor does it time a client out while it sends its head: 5,000 connections trickling a
byte a second stayed open for good. This protocol adds, per connection:

- a cap on the request line and headers together (`max_head_bytes`): past it the answer is
  431 and the connection is closed, before the excess is buffered anywhere;
- a deadline for the head (`HEAD_TIMEOUT_SECONDS` from the connection, or from the first byte
  of the next request on a kept-alive one), and one for the body (`BODY_TIMEOUT_SECONDS` from
  the end of the head): past either, 408 and the connection is closed;
- a cap on open connections per process (`HUOLI_MAX_CONNECTIONS`): one past it is answered 503
  with Retry-After and closed at once, instead of uvicorn's bare-text 503.

Served with `uvicorn --http services.common.api.serving:EdgeProtocol` (the gateway: 16 KiB of
head, what a client may send) or `...:InternalProtocol` (the services, behind the gateway,
which adds the caller's signed identity to what it forwards: 64 KiB).
"""

import asyncio
import json
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEAD_TIMEOUT_SECONDS = float(os.environ.get("HUOLI_HEAD_TIMEOUT_SECONDS", "10"))
BODY_TIMEOUT_SECONDS = float(os.environ.get("HUOLI_BODY_TIMEOUT_SECONDS", "30"))
MAX_CONNECTIONS = int(os.environ.get("HUOLI_MAX_CONNECTIONS", "1000"))
RETRY_AFTER_SECONDS = 2
LINGER_SECONDS = 2.0
_HEAD_ENDS = (b"\r\n\r\n", b"\n\n")
_REASONS = {
    408: b"Request Timeout",
    431: b"Request Header Fields Too Large",
    503: b"Service Unavailable",
}


def _problem(status: int, slug: str, detail: str, *, retry_after: bool = False) -> bytes:
    body = json.dumps(
        {
            "type": f"https://huoli.dev/problems/{slug}",
            "title": _REASONS[status].decode(),
            "status": status,
            "detail": detail,
        }
    ).encode()
    head = [
        b"HTTP/1.1 %d %s" % (status, _REASONS[status]),
        b"content-type: application/problem+json",
        b"content-length: %d" % len(body),
        b"connection: close",
    ]
    if retry_after:
        head.append(b"retry-after: %d" % RETRY_AFTER_SECONDS)
    return b"\r\n".join(head) + b"\r\n\r\n" + body


class BoundedProtocol(HttpToolsProtocol):
    max_head_bytes = 16 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The connection cap is ours (connection_made), answered as a problem with Retry-After.
        self.limit_concurrency = None
        self._reading_head = True
        self._head_bytes = 0
        self._tail = b""
        self._head_timer: asyncio.TimerHandle | None = None
        self._refused = False
        self._body_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > MAX_CONNECTIONS:
            self._refuse(
                _problem(
                    503,
                    "too-many-connections",
                    "The server has as many connections as it takes; try again shortly.",
                    retry_after=True,
                )
            )
            return
        self._start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        self._stop_body_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # answered and closing: what still comes is dropped
        if self._reading_head:
            if self._head_timer is None:
                self._start_head_timer()  # the next request on a kept-alive connection
            window = self._tail + data
            # The first blank line ends the head; what follows it is the body (or the next
            # request), which the cap does not count.
            ends = [window.find(marker) + len(marker) for marker in _HEAD_ENDS if marker in window]
            end = min(ends, default=-1)
            seen_before = self._head_bytes - len(self._tail)
            if seen_before + (end if end >= 0 else len(window)) > self.max_head_bytes:
                self._refuse(
                    _problem(
                        431,
                        "headers-too-large",
                        f"The request line and headers exceed {self.max_head_bytes} bytes.",
                    )
                )
                return
            self._head_bytes += len(data)
            self._tail = window[-3:]
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._reading_head = False
        self._stop_head_timer()
        self._body_timer = self.loop.call_later(BODY_TIMEOUT_SECONDS, self._body_timed_out)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._stop_body_timer()
        super().on_message_complete()
        # What comes next on this connection is the next request's head.
        self._reading_head = True
        self._head_bytes = 0
        self._tail = b""

    def _start_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT_SECONDS, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self._reading_head or self.transport.is_closing():
            return
        if self._head_bytes == 0:
            self.transport.close()  # connected and sent nothing: there is no request to answer
            return
        self._refuse(
            _problem(
                408,
                "request-timeout",
                f"The request line and headers did not arrive within {HEAD_TIMEOUT_SECONDS:g} s.",
            )
        )

    def _stop_body_timer(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _body_timed_out(self) -> None:
        self._body_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and self.cycle.response_started:
            self.transport.close()  # an answer is under way: nothing else can be said
            return
        if self.cycle is not None:
            # The app waiting for the rest of the body learns the client is gone; its own
            # answer, if it tries one, goes nowhere.
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self._refuse(
            _problem(
                408,
                "request-timeout",
                f"The request body did not arrive within {BODY_TIMEOUT_SECONDS:g} s.",
            )
        )

    def _refuse(self, response: bytes) -> None:
        self._stop_head_timer()
        self._stop_body_timer()
        self._refused = True
        if self.transport.is_closing():
            return
        self.transport.write(response)
        # A lingering close: closing with the client's bytes still unread would reset the
        # connection, and the reset can reach the client before the answer does. Its writing
        # side is shut and what it still sends is read and dropped, for LINGER_SECONDS at most.
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()


class EdgeProtocol(BoundedProtocol):
    """The gateway's: what a client may send."""

    max_head_bytes = 16 * 1024


class InternalProtocol(BoundedProtocol):
    """The services', behind the gateway, which adds the signed identity to a client's head."""

    max_head_bytes = 64 * 1024


__all__ = ["EdgeProtocol", "InternalProtocol"]
