"""Which activities count towards an item's engagement, and the counter each feeds."""

from collections.abc import Mapping
from typing import Final

from services.common.events.catalogue.vocabulary import ActivityType

# Only activity types of the shared vocabulary: scoring refuses any other, so nothing else
# ever reaches the activity stream.
ENGAGEMENT_OF_ACTIVITY: Final[Mapping[str, str]] = {
    ActivityType.CONTENT_VIEW: "views",
    ActivityType.REACTION: "reactions",
    ActivityType.REPLY: "comments",
    ActivityType.SHARE: "shares",
}


def counter_of(activity_type: str) -> str | None:
    """The engagement counter an activity feeds, or None when it feeds none."""
    return ENGAGEMENT_OF_ACTIVITY.get(activity_type)
