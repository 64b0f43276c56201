"""Forwarding a verified request to its upstream service and relaying the answer.

Responses are read whole before they are relayed: the services answer with small JSON. Large
or streamed bodies would need `send(..., stream=True)` with the upstream response closed in a
background task (httpx#830); that is for when an endpoint needs it.
"""

import logging
import select
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from http.cookiejar import Cookie, CookieJar
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp
import httpx
from aiohttp.client_reqrep import ConnectionKey
from aiohttp.connector import Connection
from aiohttp.tracing import Trace
from httpx_aiohttp import AiohttpTransport
from starlette.requests import Request
from starlette.responses import Response

from gateway.identity.auth import ActorSigner, Identity
from gateway.settings import GatewaySettings
from services.common.api.problems import problem_response
from services.common.logs import current_request_id
from services.common.tracing import current_traceparent

logger = logging.getLogger(__name__)

# RFC 9110 §7.6.1: meaningful for one connection only, never forwarded. `host` is the gateway's.
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
    }
)
# Identity is established here and nowhere else: whatever the client claims is dropped before
# the verified headers are added. Length is recomputed by the client library.
_NOT_FORWARDED = frozenset(
    {
        b"authorization",
        b"x-actor-id",
        b"x-actor-kind",
        b"x-actor-roles",
        b"x-actor-communities",
        b"x-api-key",
        b"idempotency-key",
        b"x-actor-assertion",
        b"x-request-id",
        # Replaced by the request's own trace context, which the caller's may not be (an
        # invalid one, or none, starts a new trace; with tracing on, the gateway's span).
        b"traceparent",
        b"x-forwarded-for",
        b"x-forwarded-proto",
        b"content-length",
    }
)
# The body is relayed decoded and re-measured; the gateway's own server sets date and server.
_NOT_RELAYED = frozenset({b"content-length", b"content-encoding", b"date", b"server"})
_BODILESS_STATUSES = frozenset({204, 304})
# Characters left as they are when percent-encoding a raw path or query: the reserved set and
# "%" itself, since the rest is already encoded.
_URL_SAFE = "!$%&'()*+,/:;=?@[]~-._"
# RFC 9110 §9.2.2: a request with these methods may be sent twice to the same effect.
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Shorter than the services' own idle timeout (uvicorn's 5 s): the gateway gives an idle
# connection up before the service does, rather than racing it to the close.
KEEPALIVE_EXPIRY_SECONDS = 4.0
# The ways a connection is lost with no answer on it: reset or closed while the request was
# sent, or closed before a response came. A refused connection and a timeout are not here.
_CONNECTION_LOST: tuple[type[BaseException], ...] = (
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientOSError,
)


def build_client(settings: GatewaySettings, *, pooled: bool = True) -> httpx.AsyncClient:
    """The one pooled client the gateway uses to reach every upstream; with `pooled=False`, a
    client that opens a new connection for every request (for retries)."""
    limits = httpx.Limits(
        max_connections=settings.max_connections,
        max_keepalive_connections=settings.max_keepalive_connections if pooled else 0,
        keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS,
    )
    timeout = httpx.Timeout(
        connect=settings.connect_timeout_seconds,
        read=settings.read_timeout_seconds,
        write=settings.read_timeout_seconds,
        pool=settings.pool_timeout_seconds,
    )
    transport: httpx.AsyncBaseTransport
    if settings.http_transport == "aiohttp":
        session = partial(_aiohttp_session, limits, pooled=pooled)
        transport = AiohttpTransport(limits=limits, client=session)
    else:
        transport = httpx.AsyncHTTPTransport(limits=limits)
    # trust_env=False: an HTTP_PROXY meant for outbound traffic must not capture internal calls.
    return httpx.AsyncClient(
        transport=transport,
        timeout=timeout,
        trust_env=False,
        follow_redirects=False,
        cookies=_NoCookies(),
    )


class _NoCookies(CookieJar):
    """A jar that keeps nothing. The client is shared by every caller: a cookie one service
    set for one caller must never ride along on the next caller's request."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def set_cookie(self, cookie: Cookie) -> None:
        return None


def _aiohttp_session(limits: httpx.Limits, *, pooled: bool) -> aiohttp.ClientSession:
    # What httpx-aiohttp builds by default, but with aiohttp's own cookie jar disabled too.
    keeping: dict[str, Any] = (
        {"keepalive_timeout": limits.keepalive_expiry} if pooled else {"force_close": True}
    )
    connector = _CheckedConnector(limit=limits.max_connections or 0, **keeping)
    session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())
    # aiohttp would resend an idempotent request itself when a reused connection fails; the
    # proxy does that, the same way for both transports, so a request is sent at most twice.
    session._retry_connection = False
    return session


class _CheckedConnector(aiohttp.TCPConnector):
    """aiohttp's connector, except that it never hands out a pooled connection the upstream
    has already closed.

    aiohttp notices a close only when the event loop next reads the socket; a request sent on
    the connection before that fails, and a POST cannot be sent again. httpcore looks at the
    socket before reusing a connection; this does the same.
    """

    async def _get(self, key: ConnectionKey, traces: list[Trace]) -> Connection | None:
        while (connection := await super()._get(key, traces)) is not None:
            if not _closed_by_peer(connection):
                return connection
            connection.close()
        return None


def _closed_by_peer(connection: Connection) -> bool:
    """An idle connection has nothing to read: readable means closed, or unasked-for bytes
    that would be taken for the next answer. Either way it must not be used."""
    transport = connection.transport
    sock = None if transport is None else transport.get_extra_info("socket")
    if sock is None:
        return True
    poll = select.poll()
    poll.register(sock.fileno(), select.POLLIN)
    return bool(poll.poll(0))


def _is_hop_by_hop(name: bytes) -> bool:
    return name in _HOP_BY_HOP or name.startswith(b"proxy-")


def forwarded_headers(
    request: Request, actor_headers: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """The client's headers minus hop-by-hop and identity ones, plus the verified identity."""
    raw: list[tuple[bytes, bytes]] = request.scope["headers"]
    # Headers named in Connection are hop-by-hop for this connection too.
    named_in_connection = {
        token.strip().lower()
        for name, value in raw
        if name == b"connection"
        for token in value.split(b",")
    }
    headers = [
        (name, value)
        for name, value in raw
        if not _is_hop_by_hop(name)
        and name not in _NOT_FORWARDED
        and name not in named_in_connection
    ]
    headers.extend(actor_headers)
    headers.append((b"x-request-id", current_request_id().encode()))
    traceparent = current_traceparent()
    if traceparent is not None:
        headers.append((b"traceparent", traceparent.encode()))
    # The gateway is the edge: a client-supplied X-Forwarded-For would be a claim, not a fact.
    # Read from the scope: `request.url` builds the whole URL, a tenth of the proxy's own CPU.
    client = request.scope.get("client")
    if client is not None:
        headers.append((b"x-forwarded-for", client[0].encode()))
    headers.append((b"x-forwarded-proto", request.scope.get("scheme", "http").encode()))
    return headers


@dataclass(frozen=True, slots=True)
class UpstreamAnswer:
    """An upstream's answer, its body read whole (and decoded if it was compressed)."""

    status_code: int
    # As received: names in the upstream's case.
    raw_headers: list[tuple[bytes, bytes]]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def header(self, name: bytes) -> bytes | None:
        """The first value of the header `name` (lower-case), if there is one."""
        return next((v for k, v in self.raw_headers if k.lower() == name), None)


def relayed_response(upstream: UpstreamAnswer, *, method: str, upstream_base: str = "") -> Response:
    """The upstream's answer as a response of our own, its body already read.

    A Location naming the upstream itself (`upstream_base`, its scheme and authority) is made
    relative: the caller must never learn, or be sent to, an internal address.
    """
    body = b"" if upstream.status_code in _BODILESS_STATUSES else upstream.content
    internal = upstream_base.encode()
    headers: list[tuple[bytes, bytes]] = []
    for raw_name, value in upstream.raw_headers:
        name = raw_name.lower()
        if name in _NOT_RELAYED or _is_hop_by_hop(name):
            continue
        headers.append((name, _relative(value, internal) if name == b"location" else value))
    if upstream.status_code not in _BODILESS_STATUSES and upstream.status_code >= 200:
        if method == "HEAD":
            # A HEAD answer announces the length a GET would have; it has no body of its own.
            declared = upstream.header(b"content-length")
            if declared is not None:
                headers.append((b"content-length", declared))
        else:
            headers.append((b"content-length", str(len(body)).encode()))
    response = Response(content=body, status_code=upstream.status_code)
    response.raw_headers = headers
    return response


def _relative(location: bytes, internal: bytes) -> bytes:
    if internal and location.startswith(internal):
        return location[len(internal) :] or b"/"
    return location


# A request that never left the gateway: no pooled connection came free, or none could be
# opened (refused, or not in time). The caller may send it again, whatever its method.
_NEVER_SENT: tuple[type[BaseException], ...] = (
    httpx.PoolTimeout,
    httpx.ConnectTimeout,
    httpx.ConnectError,
    aiohttp.ClientConnectorError,
    aiohttp.ConnectionTimeoutError,
)
# What a 503 asks the caller to wait, in seconds.
RETRY_AFTER_SECONDS = 2


def failure_status(exc: BaseException) -> int:
    """503 for a request never sent (no connection came free or could be opened), 504 for one
    sent that got no answer in time, 502 for anything else."""
    exc = _original(exc)
    if isinstance(exc, _NEVER_SENT):
        return 503
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return 504
    return 502


def _original(exc: BaseException) -> BaseException:
    """httpx-aiohttp maps aiohttp's errors onto httpx's, but files a refused connection (and a
    dropped one) under ConnectTimeout; the aiohttp original, kept as the cause, is the truth."""
    cause = exc.__cause__
    if isinstance(exc, httpx.HTTPError) and isinstance(cause, aiohttp.ClientError | TimeoutError):
        return cause
    return exc


def worth_retrying(method: str, exc: BaseException) -> bool:
    """Whether a failed request may be sent once more: it is idempotent and its connection was
    lost with no answer, which a fresh connection may well not be."""
    exc = _original(exc)
    return (
        method in _IDEMPOTENT_METHODS
        and isinstance(exc, _CONNECTION_LOST)
        and not isinstance(exc, aiohttp.ClientConnectorError)
    )


_TRANSPORT_ERRORS = (httpx.HTTPError, aiohttp.ClientError, TimeoutError)


class _Sender(Protocol):
    async def request(
        self, method: str, url: str, *, headers: list[tuple[bytes, bytes]], content: bytes
    ) -> UpstreamAnswer: ...


def _sender(client: httpx.AsyncClient) -> _Sender:
    # httpx gives no public handle on the transport a client was built with.
    transport = client._transport
    if isinstance(transport, AiohttpTransport):
        return _AiohttpSender(client, transport)
    return _HttpxTransportSender(client)


class _HttpxTransportSender:
    """Sends a request straight through a client's transport, without `AsyncClient.send`'s
    per-request work: merging the URL, headers and cookies, auth, the redirect loop, event
    hooks and cookie extraction. The proxy needs none of it (it follows no redirects, keeps no
    cookies, adds no auth), and profiling the gateway at concurrency 1 put it at about an
    eighth of the gateway's own CPU per proxied request (issue 10).

    What the client would have added is kept: its default headers (where the caller sent none
    of that name; httpx.Request adds Host and Content-Length) and its timeouts.
    """

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client
        self._timeout = client.timeout.as_dict()
        self._defaults = [(name.lower(), value) for name, value in client.headers.raw]

    async def request(
        self, method: str, url: str, *, headers: list[tuple[bytes, bytes]], content: bytes
    ) -> UpstreamAnswer:
        present = {name for name, _ in headers}
        defaults = [header for header in self._defaults if header[0] not in present]
        request = httpx.Request(
            method,
            url,
            headers=[*defaults, *headers],
            content=content,
            extensions={"timeout": self._timeout},
        )
        if self._client.is_closed:
            raise RuntimeError("the upstream client has been closed")
        response = await self._client._transport.handle_async_request(request)
        response.request = request
        try:
            await response.aread()
        finally:
            await response.aclose()
        return UpstreamAnswer(response.status_code, response.headers.raw, response.content)


class _AiohttpSender:
    """Sends a request on the aiohttp session under a client's AiohttpTransport, skipping the
    httpx layer too: building an httpx.Request (parsing the URL, normalising headers), then
    httpx-aiohttp turning it into aiohttp's request and aiohttp's response back into an httpx
    one, streamed. At concurrency 1 that was about a twelfth of the gateway's CPU per proxied
    request (issue 10).

    What the transport would have done is kept: the client's default headers (where the caller
    sent none of that name), its timeouts mapped as httpx-aiohttp maps them, no redirects.
    Errors are aiohttp's own, which are what failure_status and worth_retrying look at anyway.
    The body is decoded by aiohttp rather than by httpx (gzip and deflate, which the default
    Accept-Encoding offers).
    """

    def __init__(self, client: httpx.AsyncClient, transport: AiohttpTransport) -> None:
        self._client = client
        self._transport = transport
        timeout = client.timeout
        self._timeout = aiohttp.ClientTimeout(
            sock_connect=timeout.connect, sock_read=timeout.read, connect=timeout.pool
        )
        self._defaults = [(name.lower(), value) for name, value in client.headers.raw]

    def _session(self) -> aiohttp.ClientSession:
        # The transport makes its session on first use (it needs the running loop); either of
        # us may be first, and both then use that one.
        if not isinstance(self._transport.client, aiohttp.ClientSession):
            self._transport.client = self._transport.get_client()
        return self._transport.client

    async def request(
        self, method: str, url: str, *, headers: list[tuple[bytes, bytes]], content: bytes
    ) -> UpstreamAnswer:
        if self._client.is_closed:
            raise RuntimeError("the upstream client has been closed")
        present = {name for name, _ in headers}
        sent = [
            (name.decode("latin-1"), _header_text(value))
            for name, value in (
                *(header for header in self._defaults if header[0] not in present),
                *headers,
            )
        ]
        async with self._session().request(
            method,
            url,
            headers=sent,
            data=content or None,
            allow_redirects=False,
            compress=False,
            timeout=self._timeout,
        ) as response:
            body = await response.read()
            return UpstreamAnswer(response.status, list(response.raw_headers), body)


def _header_text(value: bytes) -> str:
    """A header value as aiohttp takes it: it sends text as UTF-8, so UTF-8 bytes are decoded as
    such and leave unchanged; anything else is read as Latin-1, as httpx-aiohttp did."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


class UpstreamProxy:
    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        upstreams: Mapping[str, str],
        signer: ActorSigner,
        retry_client: httpx.AsyncClient | None = None,
    ) -> None:
        """`retry_client` sends the one retry of a request whose connection was lost: one that
        keeps no connections gives it a fresh one (by default the pooled client does)."""
        self._client = client
        self._retry_client = retry_client or client
        self._sender = _sender(self._client)
        self._retry_sender = _sender(self._retry_client)
        self._upstreams = dict(upstreams)
        self._signer = signer

    @property
    def names(self) -> Iterable[str]:
        return self._upstreams.keys()

    def url(self, upstream: str, raw_path: bytes, query: bytes = b"") -> str:
        """The upstream URL for a path as the client sent it (percent-encoded) and a query."""
        # Concatenating strings costs a third of httpx.URL.copy_with on this hot path. Raw UTF-8
        # is percent-encoded, as the services would decode it; so is "#", which would
        # otherwise start a fragment and cut the path short.
        target = _encoded(raw_path)
        if query:
            target += "?" + _encoded(query)
        return self._upstreams[upstream] + target

    async def forward(
        self, request: Request, *, upstream: str, identity: Identity | None
    ) -> Response:
        """Send the request to `upstream` as the verified caller (None: nobody, for a public
        path) and relay its answer."""
        # The raw path is forwarded so the service decodes exactly what the routing table saw.
        raw_path: bytes = request.scope.get("raw_path") or request.scope["path"].encode()
        url = self.url(upstream, raw_path, request.scope.get("query_string", b""))
        body = await request.body()
        headers = forwarded_headers(
            request, self._signer.headers(identity) if identity is not None else []
        )
        try:
            answer = await self._send(request, upstream, url, headers, body)
        except _TRANSPORT_ERRORS as exc:
            return self._failure(request, upstream, exc)
        if answer.status_code == 503:
            # The service says when to come back (its database is away, it is busy): the
            # caller learns it as the service said it, with a Retry-After in any case.
            return unavailable_relayed(answer, request.method, self._upstreams[upstream])
        if answer.status_code >= 500:
            logger.error(
                "%s %s: the %s service answered %d: %s",
                request.method,
                request.url.path,
                upstream,
                answer.status_code,
                answer.text[:2000],
            )
            return upstream_problem(502, upstream)
        return relayed_response(
            answer, method=request.method, upstream_base=self._upstreams[upstream]
        )

    async def _send(
        self,
        request: Request,
        upstream: str,
        url: str,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> UpstreamAnswer:
        try:
            return await self._sender.request(request.method, url, headers=headers, content=body)
        except _TRANSPORT_ERRORS as exc:
            if not worth_retrying(request.method, exc):
                raise
            logger.info(
                "%s %s: the connection to the %s service was lost (%s); retrying once",
                request.method,
                request.url.path,
                upstream,
                type(_original(exc)).__name__,
            )
        return await self._retry_sender.request(request.method, url, headers=headers, content=body)

    def _failure(self, request: Request, upstream: str, exc: BaseException) -> Response:
        status = failure_status(exc)
        logger.warning(
            "%s %s: the %s service failed (%s): %s",
            request.method,
            request.url.path,
            upstream,
            type(exc).__name__,
            exc,
        )
        return upstream_problem(status, upstream)


def _encoded(raw: bytes) -> str:
    if raw.isascii() and b"#" not in raw:
        return raw.decode()
    return quote(raw, safe=_URL_SAFE)


def unavailable_relayed(answer: UpstreamAnswer, method: str, upstream_base: str) -> Response:
    """A service's own 503, relayed, with a Retry-After whether or not it named one."""
    response = relayed_response(answer, method=method, upstream_base=upstream_base)
    if answer.header(b"retry-after") is None:
        response.raw_headers.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
    return response


def upstream_problem(status: int, upstream: str) -> Response:
    if status == 503:
        return problem_response(
            status=503,
            slug="service-unavailable",
            title="Service unavailable",
            detail=f"The {upstream} service is unavailable; the request was not sent to it. "
            "Try again shortly.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if status == 504:
        return problem_response(
            status=504,
            slug="gateway-timeout",
            title="Gateway timeout",
            detail=f"The {upstream} service did not answer in time.",
        )
    return problem_response(
        status=502,
        slug="bad-gateway",
        title="Bad gateway",
        detail=f"The {upstream} service failed to answer; "
        "the request id identifies the failure in our logs.",
    )
