"""The series' domain errors."""

from services.common.errors import InvalidInput, NotFound


class InvalidRecurrence(InvalidInput):
    status, slug = 422, "invalid-rrule"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, field="rrule")


class SeriesNotFound(NotFound):
    slug = "series-not-found"

    def __init__(self, series_id: str) -> None:
        super().__init__(f"No series {series_id!r}.", series_id=series_id)
