"""The errors a caller can act on. Each carries its HTTP status and problem type, so the API
renders any of them the same way (services.common.api.problems); raising one needs no web
framework."""

from typing import Any


class DomainError(Exception):
    """An error the caller can act on; subclasses fix the status and the problem type."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self, detail: str, *, headers: dict[str, str] | None = None, **extensions: Any
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers
        self.extensions = extensions


class InvalidInput(DomainError):
    """A request that was read but not accepted: 422, like a field the schema refuses. 400 is
    kept for what cannot be read at all (malformed JSON, a path with dot segments)."""

    status, slug, title = 422, "invalid-input", "Invalid input"


class Unauthenticated(DomainError):
    status, slug, title = 401, "unauthenticated", "Authentication required"


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "State conflict"


class PayloadTooLarge(DomainError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class UnsupportedMediaType(DomainError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class MalformedJson(DomainError):
    status, slug, title = 400, "malformed-json", "Malformed JSON"


class ServiceBusy(DomainError):
    status, slug, title = 503, "service-busy", "Service busy"


class ServiceUnavailable(DomainError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"
