"""Pure ASGI middleware shared by the services and the gateway: request ids, the last word on
unexpected errors, and body limits."""

import logging
import os
import re

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.api.problem_texts import wants_chinese
from services.common.api.problems import (
    PROBLEMS_IN_CHINESE,
    internal_error_response,
    render,
    unavailable_response,
)
from services.common.api.tracing import TraceContextMiddleware
from services.common.errors import PayloadTooLarge
from services.common.faults import Throttled, describe, is_transient
from services.common.logs import request_id_var

REQUEST_ID_HEADER = "x-request-id"
# A caller's id is echoed into logs and headers, so only a bounded, printable token is trusted.
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

logger = logging.getLogger(__name__)
# While the database is away every request fails the same way: one line a second says so.
_outage_log = Throttled(logger)


class RequestIdMiddleware:
    """Take the caller's X-Request-ID (or mint one), expose it to logs, and echo it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, REQUEST_ID_HEADER)
        request_id = incoming if incoming and _ACCEPTABLE_REQUEST_ID.match(incoming) else None
        # 128 random bits in hex, as uuid4().hex was, at a quarter of its cost (no UUID object).
        request_id = request_id or os.urandom(16).hex()
        token = request_id_var.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


def install_edge_middleware(app: Starlette, *, max_body_bytes: int, edge: bool = False) -> None:
    """The middleware every service and the gateway run, outermost first: the caller's language
    for problems; the request id and the trace context, so that everything after them logs and
    answers with both; unexpected errors; body limits. `edge` (the gateway) starts a trace for
    a request that has none."""
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(TraceContextMiddleware, edge=edge)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(LanguageMiddleware)


class LanguageMiddleware:
    """Reads Accept-Language once per request, for the problems answered inside it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = PROBLEMS_IN_CHINESE.set(wants_chinese(_header(scope, "accept-language")))
        try:
            await self.app(scope, receive, send)
        finally:
            PROBLEMS_IN_CHINESE.reset(token)


class UnhandledErrorMiddleware:
    """Answer an error no handler took with a 500 problem, logged once with the request id;
    a transient one (the database out of reach, a deadlock) with 503 and Retry-After, logged
    one line a second whatever the number of requests.

    Starlette's own last resort runs outside every middleware, so its 500 had no request id;
    and it re-raises, after which uvicorn logs the error again and drops the connection without
    announcing it, leaving the caller's pool a closed connection to send its next request on.
    Here the error ends: the 500 is an ordinary answer and the connection stays usable.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracked = _TrackedSend(send)
        try:
            await self.app(scope, receive, tracked)
        except ClientDisconnect:
            # Nobody is left to answer; uvicorn lets a disconnected request end unanswered.
            logger.info(
                "%s %s: the client left before sending the whole request",
                scope["method"],
                scope["path"],
            )
        except Exception as exc:
            if is_transient(exc):
                _outage_log.say(
                    "transient",
                    "%s %s answered 503: %s",
                    scope["method"],
                    scope["path"],
                    describe(exc),
                )
                answer = unavailable_response()
            else:
                logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
                answer = internal_error_response()
            # A response cut short cannot be mended: returning leaves uvicorn to close the
            # connection, which is how the caller learns the answer is incomplete.
            if not tracked.response_started:
                await answer(scope, receive, send)


class BodyLimitMiddleware:
    """Refuse bodies over `max_bytes` with 413 before they are buffered whole."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, "content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return

        received = 0
        tracked = _TrackedSend(send)

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            return message

        try:
            await self.app(scope, limited_receive, tracked)
        except _BodyTooLarge:
            if not tracked.response_started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        await render(_BodyTooLarge(self.max_bytes))(scope, receive, send)


class _BodyTooLarge(PayloadTooLarge):
    """Raised from `receive`: FastAPI files it under its own 400 for an unreadable body, and
    the problem handlers render the cause, so a route that reads the body answers 413 too."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"The request body exceeds {max_bytes} bytes.")


class _TrackedSend:
    """`send`, noting whether the response has started: after that no other can be sent."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.response_started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.response_started = True
        await self._send(message)


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode()
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for key, value in headers:
        if key == wanted:
            return value.decode("latin-1")
    return None
