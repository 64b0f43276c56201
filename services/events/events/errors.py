"""Errors about an event and about who may act at it, raised by every feature of the service."""

from datetime import datetime

from services.common.errors import Conflict, Forbidden, NotFound


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
