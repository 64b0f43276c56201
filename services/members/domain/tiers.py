"""Managing tiers (owners and admins): add, rename, resize; members list them with their seats."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.errors import Conflict
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.members.domain.admission import acting
from services.members.domain.permissions import Permission
from services.members.domain.seating import TierNotFound
from services.members.storage import tiers as tier_storage
from services.members.storage.tables import Tier


class TierTaken(Conflict):
    slug = "tier-exists"

    def __init__(self, name: str, rank: int) -> None:
        super().__init__(
            f"This community already has a tier ranked {rank} or named {name!r}.",
            name=name,
            rank=rank,
        )


@dataclass(frozen=True)
class TierView:
    tier: Tier
    member_count: int


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
    if not await tier_storage.save_tier(session, tier):
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
    tier = await tier_storage.get_tier(session, community_id=community_id, tier_id=tier_id)
    if tier is None:
        raise TierNotFound(tier_id)
    wanted_name, rank = name or tier.name, tier.rank
    tier.name, tier.capacity = wanted_name, capacity or tier.capacity
    if not await tier_storage.save_tier(session, tier):
        raise TierTaken(wanted_name, rank)
    [view] = await _with_counts(session, [tier])
    return view


async def list_tiers(*, session: AsyncSession, community_id: str) -> list[TierView]:
    """The community's tiers by rank, with the seats taken in each."""
    return await _with_counts(session, await tier_storage.list_tiers(session, community_id))


async def _with_counts(session: AsyncSession, tiers: Sequence[Tier]) -> list[TierView]:
    counts = await tier_storage.seat_counts(session, [tier.id for tier in tiers])
    return [TierView(tier, counts[tier.id]) for tier in tiers]
