"""The community use cases. They change state and write events; the caller commits once."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import CommunityCreated, CommunityUpdated
from services.common.events.catalogue.vocabulary import Role
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.access import CommunityNotFound
from services.common.membership.tables import BELONGING_STATUSES
from services.common.unit_of_work import UnitOfWork
from services.members.communities import repository
from services.members.communities.schemas import CommunityCreate, CommunityUpdate
from services.members.memberships import repository as membership_repository
from services.members.memberships.rules import MemberStatus
from services.members.memberships.service import announce_joined
from services.members.permissions.errors import NotAllowed
from services.members.permissions.rules import Permission
from services.members.permissions.service import acting
from services.members.tables import Community, Membership
from services.members.tiers.service import check_entry_tier, default_tier


async def create_community(
    *, uow: UnitOfWork, actor: Actor, community_create: CommunityCreate
) -> Community:
    """Create a community owned by the caller, who becomes its first member, as `owner`."""
    now = utc_now()
    community = Community(
        id=new_id("cmty"),
        **community_create.model_dump(),
        owner_user_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    first_tier = default_tier(community)
    owner = Membership(
        id=new_id("mbr"),
        community_id=community.id,
        user_id=actor.id,
        # Until the owner sets a name of their own; display names are at most 64 characters.
        display_name=actor.id[:64],
        status=MemberStatus.ACTIVE,
        role=Role.OWNER,
        tier_id=first_tier.id,
        tags=[],
        joined_at=now,
    )
    uow.session.add_all([community, first_tier, owner])
    await uow.outbox.add(
        uow.session,
        CommunityCreated(
            community_id=community.id,
            name=community.name,
            topic=community.topic,
            join_policy=community.join_policy,
            timezone=community.timezone,
            owner_user_id=actor.id,
            created_at=now,
        ),
    )
    # After community.created, under the same key: the other services learn of the community
    # and its owner in this order.
    await announce_joined(uow, owner)
    return community


async def get_community(*, session: AsyncSession, community_id: str) -> Community:
    """The community, or CommunityNotFound."""
    community = await repository.get_community(session, community_id)
    if community is None:
        raise CommunityNotFound(community_id)
    return community


# A pending applicant sees the community they applied to, as its members do.
SEEING_STATUSES = (*BELONGING_STATUSES, MemberStatus.PENDING)


async def list_communities(
    *, session: AsyncSession, actor: Actor, after_id: str | None, limit: int
) -> list[tuple[Community, bool]]:
    """The communities the caller may see, by id, each with whether the caller sees it whole:
    their own and the listed ones; a platform admin sees all, a partner those of its key."""
    if actor.is_platform_admin or actor.is_partner:
        among = None if actor.is_platform_admin else actor.partner_communities
        rows = await repository.list_communities(
            session, after_id=after_id, limit=limit, among=among
        )
        return [(row, True) for row in rows]
    rows = await repository.list_communities(
        session, after_id=after_id, limit=limit, user_id=actor.id, statuses=SEEING_STATUSES
    )
    theirs = await repository.communities_of(
        session, user_id=actor.id, statuses=SEEING_STATUSES, among=[row.id for row in rows]
    )
    return [(row, row.id in theirs) for row in rows]


async def read_community(
    *, session: AsyncSession, actor: Actor, community_id: str
) -> tuple[Community, bool]:
    """The community and whether the caller sees it whole (they belong, have applied, or
    administer it); a listed one to anyone else, without its owner; CommunityNotFound for a
    community the caller may not know of, as for any of its sub-resources."""
    community = await get_community(session=session, community_id=community_id)
    if actor.may_administer(community_id):
        return community, True
    own = await membership_repository.find_membership(
        session, community_id=community_id, user_id=actor.id
    )
    if own is not None and own.status in SEEING_STATUSES:
        return community, True
    if community.listed:
        return community, False
    raise CommunityNotFound(community_id)


async def update_community(
    *, uow: UnitOfWork, actor: Actor, community_id: str, community_update: CommunityUpdate
) -> Community:
    """Edit a community (owner and admins); `community.updated` if anything changed."""
    admitted = await acting(
        uow.session, community_id=community_id, actor=actor, permission=Permission.EDIT_COMMUNITY
    )
    community = admitted.community
    changes = {
        name: value
        for name, value in community_update.model_dump(exclude_unset=True).items()
        if getattr(community, name) != value
    }
    if "listed" in changes and not admitted.is_owner:
        raise NotAllowed("Only the owner lists a community for discovery or takes it off.")
    if changes.get("entry_tier_id") is not None:
        await check_entry_tier(
            uow.session, community_id=community_id, tier_id=changes["entry_tier_id"]
        )
    if changes:
        for name, value in changes.items():
            setattr(community, name, value)
        await announce_community_updated(uow, community)
    return community


async def announce_community_updated(uow: UnitOfWork, community: Community) -> None:
    """Stamp the community as updated now and write `community.updated` with all its fields."""
    community.updated_at = utc_now()
    await uow.outbox.add(
        uow.session,
        CommunityUpdated(
            community_id=community.id,
            name=community.name,
            topic=community.topic,
            description=community.description,
            join_policy=community.join_policy,
            timezone=community.timezone,
            rules=community.rules,
            owner_user_id=community.owner_user_id,
            updated_at=community.updated_at,
        ),
    )
