"""The pure rules of webhook delivery: the body sent, who is subscribed, a new delivery's row,
when the next attempt is due (the retry schedule with jitter and Retry-After), and what an
attempt's outcome counts as."""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import orjson

from services.common.ids import new_id

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"
JITTER = 0.1
# Honoured Retry-After is capped: a receiver cannot park a delivery for longer than this.
MAX_RETRY_AFTER_SECONDS = 36000.0


def payload(event_type: str, occurred_at: datetime, data: dict[str, Any]) -> str:
    """The body Standard Webhooks prescribes: {"type", "timestamp", "data"}."""
    return orjson.dumps(
        {"type": event_type, "timestamp": occurred_at.astimezone(UTC).isoformat(), "data": data}
    ).decode()


def new_delivery(
    *, endpoint_id: str, event_id: str, event_type: str, community_id: str, body: str, now: datetime
) -> dict[str, Any]:
    return {
        "id": new_id("whd"),
        "endpoint_id": endpoint_id,
        "event_id": event_id,
        "event_type": event_type,
        "community_id": community_id,
        "payload": body,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def subscribed(event_types: list[str], event_type: str) -> bool:
    return event_type in event_types or "*" in event_types


@dataclass(frozen=True)
class Announced:
    """An event to fan out: its id (the webhook-id), type, community and the body to send."""

    event_id: str
    event_type: str
    community_id: str | None
    body: str


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    retry_after_seconds: float | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def failure_kind(self) -> str:
        """A bounded label for metrics: `3xx`, `4xx`, `5xx`, or `no_response` (refused,
        timed out, blocked)."""
        if self.status_code is None:
            return "no_response"
        return f"{self.status_code // 100}xx"


def next_delay(
    schedule: Sequence[float], attempts_made: int, retry_after_seconds: float | None
) -> float | None:
    """Seconds until the next attempt after `attempts_made` failures; None when none is left.
    `schedule` holds the delay before each attempt, the first (immediate) one included."""
    if attempts_made >= len(schedule):
        return None
    # Jitter spreads the retries of many deliveries that failed together (an outage).
    delay = schedule[attempts_made] * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311
    if retry_after_seconds is not None:
        delay = max(delay, min(retry_after_seconds, MAX_RETRY_AFTER_SECONDS))
    return delay


def retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())
