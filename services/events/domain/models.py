"""The events domain's vocabulary, rules and errors; no FastAPI, no SQL."""

import secrets
from enum import StrEnum

from services.common.errors import NotFound

CHECKIN_CODE_DIGITS = 6


class EventKind(StrEnum):
    THEMED_MEETUP = "themed_meetup"
    VOLUNTEERING = "volunteering"
    KNOWLEDGE_SHARE = "knowledge_share"
    TEAM_BUILDING = "team_building"
    LECTURE = "lecture"
    SALON = "salon"
    CONTEST = "contest"
    LIVESTREAM = "livestream"
    QA = "qa"


class EventFormat(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


def new_checkin_code() -> str:
    """A code attendees type to check in; from `secrets` so that it cannot be predicted."""
    return f"{secrets.randbelow(10**CHECKIN_CODE_DIGITS):0{CHECKIN_CODE_DIGITS}d}"


class EventNotFound(NotFound):
    slug = "event-not-found"

    def __init__(self, event_id: str) -> None:
        super().__init__(f"No event {event_id!r}.", event_id=event_id)
