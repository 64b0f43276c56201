"""The metrics' web edge: `GET /metrics` and the middleware that times every request under its
route template."""

import time
from collections.abc import Callable

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, Histogram, generate_latest
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.metrics import REQUEST_DURATION, UNMATCHED_ROUTE

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class RequestMetricsMiddleware:
    """Observe every HTTP request's latency under its route template (`/v1/events/{event_id}`),
    never the raw path."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        component: str,
        template_for: Callable[[str], str | None] | None = None,
    ) -> None:
        self.app = app
        self.component = component
        # For paths no route of this app names (the gateway's proxy), the template they match.
        self.template_for = template_for
        # The histogram's child per (method, route, status): `labels()` validates and locks on
        # every call, the costliest step of a proxied request in the gateway's own code. Route
        # templates are bounded (UNMATCHED_ROUTE for the rest), so this is too.
        self._observers: dict[tuple[str, str, int], Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def observe_start(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                self._observer(scope, status).observe(time.perf_counter() - started)
            await send(message)

        await self.app(scope, receive, observe_start)

    def _observer(self, scope: Scope, status: int) -> Histogram:
        key = (scope["method"], self._route(scope), status)
        observer = self._observers.get(key)
        if observer is None:
            observer = REQUEST_DURATION.labels(self.component, key[0], key[1], str(status))
            self._observers[key] = observer
        return observer

    def _route(self, scope: Scope) -> str:
        route = _route_of(scope)
        if route == UNMATCHED_ROUTE and self.template_for is not None:
            return self.template_for(scope["path"]) or UNMATCHED_ROUTE
        return route


def _route_of(scope: Scope) -> str:
    # FastAPI's router leaves the route it matched in the scope. Its template is relative to the
    # router it was included with (`/communities/{community_id}` under `/v1`), and a prefix is
    # literal, so the prefix is the path's leading segments the template does not account for.
    route: BaseRoute | None = scope.get("route")
    template = getattr(route, "path", None)
    if not isinstance(template, str):
        return UNMATCHED_ROUTE
    # The text before the path's last `segments` slashes (one split from the right, instead of
    # splitting path and template whole and joining the prefix again, per request).
    segments = template.lstrip("/").count("/") + 1
    parts = scope["path"].rsplit("/", segments)
    return parts[0] + template if len(parts) > segments else template
