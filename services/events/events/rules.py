"""An event's vocabulary: its kinds, formats and the states of its lifecycle."""

from enum import StrEnum

# Where a community whose timezone the projection does not know is taken to live.
DEFAULT_TIMEZONE = "Asia/Shanghai"


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
