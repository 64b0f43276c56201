"""The scheduling and publishing rules' domain errors."""

from services.common.errors import Conflict, InvalidInput


class PublishingRuleBroken(Conflict):
    slug = "publishing-rule"

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail, rule=rule)


class OutOfRange(InvalidInput):
    status, slug = 422, "out-of-range"

    def __init__(self, field: str, allowed: str) -> None:
        super().__init__(f"{field} must be {allowed}.", field=field)


class InvalidRules(InvalidInput):
    status, slug = 422, "invalid-publishing-rules"
