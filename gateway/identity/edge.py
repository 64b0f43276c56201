"""What happens to every /v1 request before it is routed: who is calling (a JWT or an API
key), their rate limit, and the security headers every answer carries."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.identity.auth import Identity
from gateway.identity.limits import RateLimiter
from services.common.api.problems import render
from services.common.errors import DomainError, Unauthenticated

logger = logging.getLogger(__name__)

IDENTITY = "huoli.identity"
AUTH_ERROR = "huoli.auth_error"

Authenticate = Callable[[str | None, str | None], Awaitable[Identity]]


class TooManyRequests(DomainError):
    status, slug, title = 429, "rate-limited", "Too many requests"


def identity_of(scope: Scope) -> Identity:
    """The caller IdentifyMiddleware established; the reason it could not, raised, otherwise."""
    identity: Identity | None = scope.get(IDENTITY)
    if identity is not None:
        return identity
    error: Unauthenticated | None = scope.get(AUTH_ERROR)
    raise error or Unauthenticated("This call needs credentials.")


class IdentifyMiddleware:
    """Authenticates each /v1 call once (a bearer JWT, or an X-API-Key for partners) and takes
    a token from the caller's bucket; 429 with Retry-After when it is empty.

    An unauthenticated call is passed on with the reason noted: the route answers 401 (or 404
    for a path that does not exist, in the order the proxy checks them)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        authorization = api_key = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"x-api-key":
                api_key = value.decode("latin-1")
        runtime: Any = scope["app"].state.runtime
        try:
            identity: Identity = await runtime.authenticate(authorization, api_key)
        except Unauthenticated as exc:
            scope[AUTH_ERROR] = exc
            await self.app(scope, receive, send)
            return
        limiter: RateLimiter = runtime.limiter
        verdict = await limiter.take(identity.principal)
        if not verdict.allowed:
            refusal = TooManyRequests(
                "Too many requests from this caller; retry after the time given.",
                headers={"Retry-After": verdict.retry_after_header},
            )
            await render(refusal)(scope, receive, send)
            return
        scope[IDENTITY] = identity
        await self.app(scope, receive, send)


# OWASP's REST Security Cheat Sheet headers for an API: nothing here is ever a page to frame,
# sniff or cache. The documentation pages (/docs) load their own script and styles.
_API_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
_API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
_DOCS_CSP = (
    b"content-security-policy",
    b"default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = (*_API_HEADERS, _DOCS_CSP if scope["path"].startswith("/docs") else _API_CSP)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *(header for header in extra if header[0] not in present),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
