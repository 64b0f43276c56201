"""Why an incident change is refused."""

from services.common.errors import Conflict, DomainError, NotFound


class IncidentNotFound(NotFound):
    slug = "incident-not-found"

    def __init__(self, incident_id: str) -> None:
        super().__init__(f"No incident {incident_id!r} in this community.", incident_id=incident_id)


class WrongIncidentStatus(Conflict):
    slug = "wrong-incident-status"

    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(
            f"An incident that is {current} cannot become {wanted}.", incident_status=current
        )


class ReviewRequired(DomainError):
    status, slug, title = 422, "review-required", "Review required"

    def __init__(self) -> None:
        super().__init__(
            "Closing an incident (status reviewed) takes its review: cause, actions, lessons."
        )


class IncidentClosed(Conflict):
    slug = "incident-closed"

    def __init__(self, incident_id: str) -> None:
        super().__init__(
            f"Incident {incident_id!r} is reviewed and closed.", incident_id=incident_id
        )


class NoSuchChecklistItem(DomainError):
    status, slug, title = 422, "no-such-checklist-item", "No such checklist item"

    def __init__(self, index: int) -> None:
        super().__init__(f"The checklist has no item {index}.", index=index)
