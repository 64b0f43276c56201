"""What win-back campaigns answer to what they refuse; each names the field at fault."""

from services.common.errors import Conflict, InvalidInput, NotFound


class CampaignNotFound(NotFound):
    slug = "campaign-not-found"

    def __init__(self, campaign_id: str) -> None:
        super().__init__(
            f"No nudge campaign {campaign_id!r} in this community.", campaign_id=campaign_id
        )


class UnknownTier(InvalidInput):
    """Said alike of a tier of another community and of one nobody has: either way this
    community has no such tier."""

    slug = "unknown-tier"

    def __init__(self, tier_id: str) -> None:
        super().__init__(
            f"No tier {tier_id!r} with members in this community.", field="tier_id", tier_id=tier_id
        )


class CampaignTargetRequired(InvalidInput):
    slug = "campaign-target-required"

    def __init__(self, given: list[str]) -> None:
        super().__init__(
            "A campaign targets exactly one of segment, tier_id or tag.",
            field=given[1] if len(given) > 1 else "segment",
            given=given,
        )


class CampaignNotRunnable(Conflict):
    """A campaign runs (or is cancelled) once, from draft or scheduled."""

    slug = "campaign-not-runnable"

    def __init__(self, campaign_id: str, current: str) -> None:
        super().__init__(
            f"Nudge campaign {campaign_id!r} is {current}; only a draft or scheduled one runs "
            "or is cancelled.",
            campaign_id=campaign_id,
            current_status=current,
            field="status",
        )
