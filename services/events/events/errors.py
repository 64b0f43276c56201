"""Errors about an event and about who may act at it, raised by every feature of the service."""

from datetime import datetime
from typing import Any

from services.common.errors import Conflict, DomainError, Forbidden, NotFound


class EventNotFound(NotFound):
    slug = "event-not-found"

    def __init__(self, event_id: str) -> None:
        super().__init__(f"No event {event_id!r}.", event_id=event_id)


class MemberNotFound(NotFound):
    slug = "member-not-found"

    def __init__(self, member_id: str) -> None:
        super().__init__(
            f"The community has no active member {member_id!r}.",
            member_id=member_id,
            field="member_id",
        )


class IllegalTransition(Conflict):
    slug = "illegal-transition"

    def __init__(self, *, event_id: str, status: str, action: str) -> None:
        super().__init__(
            f"An event that is {status} cannot be {action}.",
            event_id=event_id,
            event_status=status,
            action=action,
        )


class EventNotOpen(Conflict):
    """Registration, check-in or a draw asked of an event in the wrong state."""

    slug = "event-not-open"

    def __init__(self, *, event_id: str, status: str) -> None:
        super().__init__(f"The event is {status}.", event_id=event_id, event_status=status)


class OutsideWindow(Conflict):
    slug = "outside-window"

    def __init__(self, what: str, *, opens_at: datetime | None, closes_at: datetime) -> None:
        opens = opens_at.isoformat() if opens_at else None
        super().__init__(
            f"{what} is open from {opens or 'publication'} until {closes_at.isoformat()}.",
            opens_at=opens,
            closes_at=closes_at.isoformat(),
        )


class OnlyForThemselves(Forbidden):
    """A plain member acts for themself; organisers may act for others."""

    slug = "not-your-own"

    def __init__(self) -> None:
        super().__init__(
            "A member may do this only for themself; organisers may for others.",
            field="member_id",
        )


class EventStarted(Conflict):
    """An event is edited only before it starts: what members registered for stays fixed."""

    slug = "event-started"

    def __init__(self, *, event_id: str, starts_at: datetime) -> None:
        super().__init__(
            f"The event started at {starts_at.isoformat()}; it can no longer be edited.",
            event_id=event_id,
            starts_at=starts_at.isoformat(),
        )


class CapacityBelowSeats(Conflict):
    slug = "capacity-below-seats"

    def __init__(self, *, capacity: int, seats_held: int) -> None:
        super().__init__(
            f"{seats_held} seats are taken; the capacity cannot be {capacity}.",
            capacity=capacity,
            seats_held=seats_held,
            field="capacity",
        )


class InvalidEdit(DomainError):
    """An edit that leaves the event as no creation could have made it (ends before it starts,
    offline without a location): the 422 a request body failing validation gets."""

    status, slug, title = 422, "validation-error", "Validation failed"

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        fields = ", ".join(".".join(str(part) for part in err["loc"]) for err in errors)
        super().__init__(f"Invalid or missing fields: {fields}", errors=errors)
