"""One log format for every process, with the request id (and, as JSON, the trace id) on each
line."""

import contextvars
import logging
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from services.common.tracing import current_trace_id

LogFormat = Literal["text", "json"]

# The request a line of log was written for; the request-id middleware sets it.
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def current_request_id() -> str:
    return request_id_var.get()


# The attributes every LogRecord has; whatever else a record carries came from `extra=` and is
# worth keeping as a field of its own.
_STANDARD_ATTRIBUTES = frozenset(
    {
        *logging.LogRecord("", 0, "", 0, "", None, None).__dict__,
        "message",
        "asctime",
        "request_id",
        "trace_id",
        "taskName",
    }
)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        record.trace_id = current_trace_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id,
    trace_id (null outside a trace), the traceback as `exception`, and any `extra=` fields."""

    def __init__(self, *, service: str | None = None) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            # Set by the filter on our handler; read from the context for a record formatted
            # elsewhere (a test's handler, say).
            "request_id": getattr(record, "request_id", None) or current_request_id(),
            "trace_id": getattr(record, "trace_id", None) or current_trace_id(),
        }
        if self.service is not None:
            entry["service"] = self.service
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and key not in entry:
                entry[key] = value
        # default=str: an `extra=` value orjson cannot encode is written as text, never lost
        # with the whole line.
        return orjson.dumps(entry, default=str).decode()


def configure_logging(
    level: str, *, format: LogFormat = "text", service: str | None = None
) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(_RequestIdFilter())
    if format == "json":
        handler.setFormatter(JsonFormatter(service=service))
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiokafka logs every reconnect attempt at ERROR while the broker is away; the relay and
    # consumer report outages themselves, once, in words an operator can act on.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    # httpx logs every request it sends at INFO: on the gateway, a formatted line per proxied
    # call, which costs more than the proxying; gateway/proxy/upstream.py logs the calls that fail.
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
