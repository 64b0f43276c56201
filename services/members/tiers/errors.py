"""The errors of tiers: unknown, full, or a rank or name already taken."""

from services.common.errors import Conflict, NotFound


class TierNotFound(NotFound):
    slug = "tier-not-found"

    def __init__(self, tier_id: str) -> None:
        super().__init__(f"No tier {tier_id!r} in this community.", tier_id=tier_id)


class TierFull(Conflict):
    slug = "tier-full"

    def __init__(self, tier_id: str, *, capacity: int) -> None:
        super().__init__(
            f"Tier {tier_id!r} is full ({capacity} members).", tier_id=tier_id, capacity=capacity
        )


class CommunityFull(Conflict):
    slug = "community-full"

    def __init__(self, community_id: str) -> None:
        super().__init__(
            "Every tier of this community is full; an admin can add a tier or raise a capacity.",
            community_id=community_id,
        )


class TierTaken(Conflict):
    slug = "tier-exists"

    def __init__(self, name: str, rank: int) -> None:
        super().__init__(
            f"This community already has a tier ranked {rank} or named {name!r}.",
            name=name,
            rank=rank,
        )


class TierNotEmpty(Conflict):
    slug = "tier-not-empty"

    def __init__(self, tier_id: str, *, seated: int) -> None:
        super().__init__(
            f"Tier {tier_id!r} still seats {seated} members; move them first.",
            tier_id=tier_id,
            seated=seated,
        )


class LastTier(Conflict):
    slug = "last-tier"

    def __init__(self, tier_id: str) -> None:
        super().__init__(
            f"Tier {tier_id!r} is the community's only tier: joins need one to sit in.",
            tier_id=tier_id,
        )


class EntryTierIsCore(Conflict):
    slug = "entry-tier-is-core"

    def __init__(self, tier_id: str) -> None:
        super().__init__(
            "Newcomers never join the core tier: name a tier ranked below it.", tier_id=tier_id
        )


class OwnerStaysInCore(Conflict):
    slug = "owner-stays-in-core"

    def __init__(self, member_id: str) -> None:
        super().__init__("The owner is not moved out of the core tier.", member_id=member_id)


class AlreadyInTier(Conflict):
    slug = "already-in-tier"

    def __init__(self, member_id: str, tier_id: str) -> None:
        super().__init__(
            f"Member {member_id!r} is already in tier {tier_id!r}.",
            member_id=member_id,
            tier_id=tier_id,
        )
