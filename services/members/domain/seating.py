"""Seating a joining member in a tier (一群 / 二群 / 留级群: ranked sub-groups with a capacity).

Every community starts with one tier, 一群 (rank 1, capacity 500), so a join always lands in a
tier. A newcomer takes a seat in the tier of the smallest rank number that has room: groups
fill in order, 一群 first, then 二群, as WeChat groups of 500 do. Owners and admins may place a
member in a tier of their choosing instead. Pending members hold their seat.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import Conflict, NotFound
from services.common.ids import new_id
from services.members.storage import tiers as tier_storage
from services.members.storage.tables import Community, Tier

DEFAULT_TIER_NAME = "一群"
DEFAULT_CAPACITY = 500


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


def default_tier(community: Community) -> Tier:
    """The tier a new community starts with."""
    return Tier(
        id=new_id("tier"),
        community_id=community.id,
        name=DEFAULT_TIER_NAME,
        rank=1,
        capacity=DEFAULT_CAPACITY,
        created_at=community.created_at,
    )


async def seat_in_tier(
    *, session: AsyncSession, community_id: str, tier_id: str | None
) -> str | None:
    """The tier a joining member takes a seat in: `tier_id` if given and not full, else the
    smallest-ranked tier with room. The tiers stay locked until the join commits, so concurrent
    joins cannot both take a tier's last seat."""
    tiers = await tier_storage.lock_for_seating(session, community_id=community_id, tier_id=tier_id)
    if not tiers:
        if tier_id is not None:
            raise TierNotFound(tier_id)
        return None  # a community whose tiers were never made (none since the tier migration)
    counts = await tier_storage.seat_counts(session, [tier for tier, _capacity in tiers])
    for tier, capacity in tiers:
        if counts[tier] < capacity:
            return tier
    if tier_id is not None:
        raise TierFull(tier_id, capacity=tiers[0][1])
    raise CommunityFull(community_id)
