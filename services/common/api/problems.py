"""RFC 9457 problem+json: one set of handlers renders the domain errors, request validation and
Starlette's own HTTP errors."""

import logging
from contextvars import ContextVar
from typing import Any

import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from services.common.api.problem_texts import chinese
from services.common.errors import (
    DomainError,
    MalformedJson,
    ServiceBusy,
    ServiceUnavailable,
    UnsupportedMediaType,
)
from services.common.faults import Throttled

logger = logging.getLogger(__name__)
_busy_log = Throttled(logger)
# What a 503 asks the caller to wait, in seconds: a database restart or failover takes a few.
RETRY_AFTER_SECONDS = 2

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://huoli.dev/problems/"
_HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Whether the current request asked for Chinese (Accept-Language); set by the LanguageMiddleware
# (services.common.api.middleware), so every problem answered while it runs, a handler's or a
# middleware's, is worded alike.
PROBLEMS_IN_CHINESE: ContextVar[bool] = ContextVar("problems_in_chinese", default=False)


def problem_response(
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    if PROBLEMS_IN_CHINESE.get():
        fields = ", ".join(
            ".".join(str(part) for part in err.get("loc", ()))
            for err in extensions.get("errors", ())
        )
        text = chinese(slug, status, {**extensions, "fields": fields})
        if text is not None:
            title, detail = text
            headers = {**(headers or {}), "Content-Language": "zh-CN"}
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        **extensions,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def render(error: DomainError) -> JSONResponse:
    return problem_response(
        status=error.status,
        slug=error.slug,
        title=error.title,
        detail=error.detail,
        headers=error.headers,
        **error.extensions,
    )


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]


async def _on_domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return render(exc)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    if any(err["type"] == "json_invalid" for err in errors):
        return render(MalformedJson("The request body is not valid JSON.", errors=errors))
    if isinstance(exc.body, bytes) and any(err["loc"][:1] == ["body"] for err in errors):
        # FastAPI hands the body over unparsed when the content type is not JSON; validating
        # those bytes would only say "Input should be a valid dictionary".
        return render(_not_json(request.headers.get("content-type")))
    fields = ", ".join(".".join(str(part) for part in err["loc"]) for err in errors)
    return problem_response(
        status=422,
        slug="validation-error",
        title="Validation failed",
        detail=f"Invalid or missing fields: {fields}",
        errors=errors,
    )


def _not_json(content_type: str | None) -> UnsupportedMediaType:
    sent = f"'{content_type}'" if content_type else "no Content-Type"
    return UnsupportedMediaType(
        f"The request body must be JSON, sent with 'Content-Type: application/json'; "
        f"this request has {sent}."
    )


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    # FastAPI answers 400 "There was an error parsing the body" for any failure reading a body;
    # the cause says what the caller did wrong.
    unreadable_body = _unreadable_body(exc.__cause__)
    if unreadable_body is not None:
        return render(unreadable_body)
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 405:
        # Starlette names only the methods of the first route matching the path; a path served
        # by a GET route and a POST route allows both.
        headers = {**(headers or {}), "Allow": _allowed_methods(request)}
    title = str(exc.detail) if exc.detail else "HTTP error"
    return problem_response(
        status=exc.status_code,
        slug=f"http-{exc.status_code}",
        title=title,
        detail=title,
        headers=headers,
    )


def _allowed_methods(request: Request) -> str:
    routes = request.app.router.routes
    allowed = [
        method
        for method in _HTTP_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]
    return ", ".join(allowed)


def _unreadable_body(cause: BaseException | None) -> DomainError | None:
    if isinstance(cause, DomainError):  # a middleware's, raised while the body was read
        return cause
    if isinstance(cause, UnicodeDecodeError):
        return MalformedJson("The request body is not valid UTF-8.")
    if isinstance(cause, RecursionError):
        return MalformedJson("The request body nests too deep to be read as JSON.")
    if isinstance(cause, ValueError):  # e.g. an integer literal of thousands of digits
        return MalformedJson("The request body holds JSON that cannot be read.")
    return None


def internal_error_response() -> JSONResponse:
    return problem_response(
        status=500,
        slug="internal-error",
        title="Internal error",
        detail="Something went wrong on our side; the request id identifies it in our logs.",
    )


def unavailable_response() -> JSONResponse:
    """The database (or another part the request needs) cannot be reached for now."""
    return render(
        ServiceUnavailable(
            "The service cannot reach its database for now; try again shortly.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    )


async def _on_pool_timeout(request: Request, exc: Exception) -> JSONResponse:
    # Every database connection stayed in use for the pool's whole timeout: overload, which
    # the caller can wait out, not a fault of ours to report as a 500.
    _busy_log.say(
        "pool", "%s %s: no database connection came free in time", request.method, request.url.path
    )
    return render(
        ServiceBusy("The service is busy; try again shortly.", headers={"Retry-After": "1"})
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Errors a handler can name. What none of them takes is answered by the
    UnhandledErrorMiddleware, inside the request id (services.common.api.middleware)."""
    app.add_exception_handler(sqlalchemy.exc.TimeoutError, _on_pool_timeout)
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
