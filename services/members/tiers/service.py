"""Managing tiers (owners and admins): add, rename, resize; members list them with their seats.

Seating a joining member in a tier: every community starts with one tier, 一群 (rank 1,
capacity 500), so a join always lands in a tier. Newcomers earn the core group: a join takes a
seat in the community's entry tier (`entry_tier_id`; by default the tier ranked just below the
core), or when it is full in the next tier below it with room, never in the core tier (unless
it is the only one). Owners and admins, and invite codes they made, may name a tier instead.
Pending members hold their seat. Owners and admins move a member by hand (`move_member`):
capacity holds, the move is audited (tier_change) and announced (`member.tier_changed`, reason
`manual`).
"""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import MemberTierChanged
from services.common.events.catalogue.vocabulary import Role
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.tables import BELONGING_STATUSES
from services.common.unit_of_work import UnitOfWork
from services.members.memberships import repository as membership_repository
from services.members.memberships.errors import MemberNotFound
from services.members.permissions.rules import Permission
from services.members.permissions.service import acting
from services.members.tables import Community, Membership, Tier, TierChange
from services.members.tiers import repository
from services.members.tiers.errors import (
    AlreadyInTier,
    CommunityFull,
    EntryTierIsCore,
    LastTier,
    OwnerStaysInCore,
    TierFull,
    TierNotEmpty,
    TierNotFound,
    TierTaken,
)
from services.members.tiers.rules import DEFAULT_CAPACITY, DEFAULT_TIER_NAME, entry_order
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
    *, session: AsyncSession, community: Community, tier_id: str | None
) -> str | None:
    """The tier a joining member takes a seat in: `tier_id` if given and not full, else the
    entry tier or the next one below it with room. The tiers stay locked until the join
    commits, so concurrent joins cannot both take a tier's last seat."""
    tiers = await repository.lock_for_seating(session, community_id=community.id, tier_id=None)
    if not tiers:
        if tier_id is not None:
            raise TierNotFound(tier_id)
        return None  # a community whose tiers were never made (none since the tier migration)
    capacity = dict(tiers)
    counts = await repository.seat_counts(session, list(capacity))
    if tier_id is not None:
        if tier_id not in capacity:
            raise TierNotFound(tier_id)
        if counts[tier_id] >= capacity[tier_id]:
            raise TierFull(tier_id, capacity=capacity[tier_id])
        return tier_id
    for tier in entry_order(list(capacity), community.entry_tier_id):
        if counts[tier] < capacity[tier]:
            return tier
    raise CommunityFull(community.id)


async def check_entry_tier(session: AsyncSession, *, community_id: str, tier_id: str) -> None:
    """An entry tier must be one of the community's tiers and not the core (rank 1)."""
    tier = await repository.get_tier(session, community_id=community_id, tier_id=tier_id)
    if tier is None:
        raise TierNotFound(tier_id)
    if tier.rank == min(t.rank for t in await repository.list_tiers(session, community_id)):
        raise EntryTierIsCore(tier_id)


async def move_member(
    *,
    uow: UnitOfWork,
    actor: Actor,
    community_id: str,
    member_id: str,
    tier_id: str,
    reason: str,
) -> Membership:
    """Move a member to another tier by hand (owner or admin; "邀请他加入核心群"). The target
    must have room; a move up counts as a promotion for the policy's 14-day safeguard."""
    await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.MANAGE_TIERS
    )
    session = uow.session
    tiers = await repository.lock_for_seating(session, community_id=community_id, tier_id=None)
    member = await membership_repository.get_membership(
        session, community_id=community_id, member_id=member_id
    )
    if member is None or member.status not in BELONGING_STATUSES:
        raise MemberNotFound(member_id)
    capacity = dict(tiers)
    if tier_id not in capacity:
        raise TierNotFound(tier_id)
    if member.role == Role.OWNER:
        raise OwnerStaysInCore(member_id)
    if member.tier_id == tier_id:
        raise AlreadyInTier(member_id, tier_id)
    if (await repository.seat_counts(session, [tier_id]))[tier_id] >= capacity[tier_id]:
        raise TierFull(tier_id, capacity=capacity[tier_id])
    now, order = utc_now(), list(capacity)
    from_tier_id = member.tier_id
    if from_tier_id is None or order.index(tier_id) < order.index(from_tier_id):
        member.promoted_at = now
    member.tier_id = tier_id
    session.add(member)
    session.add(
        TierChange(
            id=new_id("tchg"),
            community_id=community_id,
            member_id=member_id,
            from_tier_id=from_tier_id,
            to_tier_id=tier_id,
            reason=reason,
            changed_by=actor.id,
            changed_at=now,
        )
    )
    await uow.outbox.add(
        session,
        MemberTierChanged(
            community_id=community_id,
            member_id=member_id,
            user_id=member.user_id,
            from_tier_id=from_tier_id or "",
            to_tier_id=tier_id,
            reason="manual",
            score=0.0,
            changed_at=now,
            changed_by=actor.id,
            note=reason,
        ),
    )
    return member


async def tier_changes(
    *, session: AsyncSession, actor: Actor, community_id: str, member_id: str
) -> Sequence[TierChange]:
    """The manual tier moves of a member, newest first (stewards with `manage_tiers`)."""
    await acting(
        session, community_id=community_id, actor=actor, permission=Permission.MANAGE_TIERS
    )
    return await repository.tier_changes(session, community_id=community_id, member_id=member_id)


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
