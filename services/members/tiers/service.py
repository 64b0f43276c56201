"""Managing tiers (owners and admins): add, rename, resize; members list them with their seats.

Seating a joining member in a tier: every community starts with one tier, 一群 (rank 1,
capacity 500), so a join always lands in a tier. A newcomer takes a seat in the tier of the
smallest rank number that has room: groups fill in order, 一群 first, then 二群, as WeChat
groups of 500 do. Owners and admins may place a member in a tier of their choosing instead.
Pending members hold their seat.
"""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.members.permissions.rules import Permission
from services.members.permissions.service import acting
from services.members.tables import Community, Tier
from services.members.tiers import repository
from services.members.tiers.errors import (
    CommunityFull,
    LastTier,
    TierFull,
    TierNotEmpty,
    TierNotFound,
    TierTaken,
)
from services.members.tiers.rules import DEFAULT_CAPACITY, DEFAULT_TIER_NAME
from services.members.tiers.schemas import TierView

# --- seating ---------------------------------------------------------------------------------


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
    tiers = await repository.lock_for_seating(session, community_id=community_id, tier_id=tier_id)
    if not tiers:
        if tier_id is not None:
            raise TierNotFound(tier_id)
        return None  # a community whose tiers were never made (none since the tier migration)
    counts = await repository.seat_counts(session, [tier for tier, _capacity in tiers])
    for tier, capacity in tiers:
        if counts[tier] < capacity:
            return tier
    if tier_id is not None:
        raise TierFull(tier_id, capacity=tiers[0][1])
    raise CommunityFull(community_id)


# --- managing tiers --------------------------------------------------------------------------


async def create_tier(
    *, session: AsyncSession, actor: Actor, community_id: str, name: str, rank: int, capacity: int
) -> TierView:
    """Add a tier (owner or admin)."""
    await acting(
        session, community_id=community_id, actor=actor, permission=Permission.MANAGE_TIERS
    )
    tier = Tier(
        id=new_id("tier"),
        community_id=community_id,
        name=name,
        rank=rank,
        capacity=capacity,
        created_at=utc_now(),
    )
    if not await repository.save_tier(session, tier):
        raise TierTaken(name, rank)
    return TierView(tier, 0)


async def update_tier(
    *,
    session: AsyncSession,
    actor: Actor,
    community_id: str,
    tier_id: str,
    name: str | None,
    capacity: int | None,
) -> TierView:
    """Rename a tier or change its capacity (owner or admin). A capacity below the seats taken
    moves nobody out; the tier takes nobody new until it has room again."""
    await acting(
        session, community_id=community_id, actor=actor, permission=Permission.MANAGE_TIERS
    )
    tier = await repository.get_tier(session, community_id=community_id, tier_id=tier_id)
    if tier is None:
        raise TierNotFound(tier_id)
    wanted_name, rank = name or tier.name, tier.rank
    tier.name, tier.capacity = wanted_name, capacity or tier.capacity
    if not await repository.save_tier(session, tier):
        raise TierTaken(wanted_name, rank)
    [view] = await _with_counts(session, [tier])
    return view


async def list_tiers(*, session: AsyncSession, actor: Actor, community_id: str) -> list[TierView]:
    """The community's tiers by rank, with the seats taken in each (its members may read them:
    404 for a stranger, as everywhere inside a community)."""
    await acting(session, community_id=community_id, actor=actor, permission=None)
    return await _with_counts(session, await repository.list_tiers(session, community_id))


async def _with_counts(session: AsyncSession, tiers: Sequence[Tier]) -> list[TierView]:
    counts = await repository.seat_counts(session, [tier.id for tier in tiers])
    return [TierView(tier, counts[tier.id]) for tier in tiers]


async def delete_tier(
    *, session: AsyncSession, actor: Actor, community_id: str, tier_id: str
) -> None:
    """Delete an empty tier (owner or admin): nobody pending, active or muted sits in it, and
    it is not the community's last. The tiers are locked as a join locks them, so no join can
    take a seat in the tier while it goes."""
    await acting(
        session, community_id=community_id, actor=actor, permission=Permission.MANAGE_TIERS
    )
    locked = await repository.lock_for_seating(session, community_id=community_id, tier_id=None)
    tier = await repository.get_tier(session, community_id=community_id, tier_id=tier_id)
    if tier is None:
        raise TierNotFound(tier_id)
    seated = (await repository.seat_counts(session, [tier_id]))[tier_id]
    if seated:
        raise TierNotEmpty(tier_id, seated=seated)
    if len(locked) <= 1:
        raise LastTier(tier_id)
    await repository.delete_tier(session, tier)
