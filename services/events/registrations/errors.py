"""Why a registration, a cancellation or a confirmation is refused."""

from collections.abc import Sequence

from services.common.errors import Conflict, Forbidden, NotFound


class RegistrationNotFound(NotFound):
    slug = "registration-not-found"

    def __init__(self, registration_id: str) -> None:
        super().__init__(f"No registration {registration_id!r}.", registration_id=registration_id)


class AlreadyRegistered(Conflict):
    slug = "already-registered"

    def __init__(self, registration_id: str) -> None:
        super().__init__(
            "The member is registered for this event already.", registration_id=registration_id
        )


class RegistrationInactive(Conflict):
    slug = "registration-inactive"

    def __init__(self, registration_id: str, status: str) -> None:
        super().__init__(
            f"The registration is {status}.",
            registration_id=registration_id,
            registration_status=status,
        )


class TierNotAllowed(Forbidden):
    slug = "tier-not-allowed"

    def __init__(self, tier_ids: Sequence[str]) -> None:
        super().__init__(
            "This event is for members of other tiers.", allowed_tier_ids=list(tier_ids)
        )
