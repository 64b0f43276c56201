"""Badges: which are earned by counting activities, by a streak, or by a week's top 3."""

from collections.abc import Mapping
from enum import StrEnum

from services.common.events.catalogue.vocabulary import ActivityType


class Badge(StrEnum):
    FIRST_EVENT = "first_event"
    STREAK_7 = "streak_7"
    HUNDRED_MESSAGES = "messages_100"
    FIRST_UGC = "first_ugc"
    FIVE_INVITES = "invites_5"
    WEEKLY_TOP3 = "weekly_top3"


# Badges earned by counting a member's activities of one type (a streak badge reads the
# challenge's own streak; the weekly top-3 badge is given when a week closes).
COUNT_BADGES: Mapping[Badge, tuple[str, int]] = {
    Badge.FIRST_EVENT: (ActivityType.EVENT_ATTENDED, 1),
    Badge.HUNDRED_MESSAGES: (ActivityType.MESSAGE, 100),
    Badge.FIRST_UGC: (ActivityType.UGC_APPROVED, 1),
    Badge.FIVE_INVITES: (ActivityType.INVITE_ACCEPTED, 5),
}


STREAK_BADGE_DAYS = 7


WEEKLY_TOP = 3
