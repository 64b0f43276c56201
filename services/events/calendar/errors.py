"""The calendar feed's domain errors."""

from services.common.errors import NotFound


class FeedNotFound(NotFound):
    slug = "calendar-feed-not-found"
