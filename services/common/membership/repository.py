"""Every query on the projection: keeping it from the members service's events and reading it."""

from collections.abc import Iterable
from datetime import UTC
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.db_ops import insert_if_absent
from services.common.events.catalogue import (
    CommunityCreated,
    CommunityUpdated,
    MemberSanctioned,
    MembershipSnapshot,
    UserErased,
)
from services.common.events.catalogue.vocabulary import ERASED_DISPLAY_NAME
from services.common.membership.tables import BELONGING_STATUSES, MUTED, MembershipTables


async def save_community(
    session: AsyncSession, tables: MembershipTables, event: CommunityCreated
) -> None:
    """Record a community the members service created (once, whatever the redeliveries)."""
    await insert_if_absent(
        session,
        tables.community,
        {
            "id": event.community_id,
            "owner_user_id": event.owner_user_id,
            "timezone": event.timezone,
            "join_policy": event.join_policy,
            "created_at": event.created_at.astimezone(UTC),
        },
    )


async def update_community(
    session: AsyncSession, tables: MembershipTables, event: CommunityUpdated
) -> None:
    """Follow an edit of a community (its owner, join policy or timezone)."""
    community = tables.community
    await session.execute(
        update(community)
        .where(community.c.id == event.community_id)
        .values(
            owner_user_id=event.owner_user_id,
            timezone=event.timezone,
            join_policy=event.join_policy,
        )
    )


async def save_membership(
    session: AsyncSession, tables: MembershipTables, event: MembershipSnapshot
) -> None:
    """Record a membership as the members service announced it, replacing an older copy."""
    values = _snapshot_values(event)
    key = {"community_id": event.community_id, "user_id": event.user_id}
    if not await insert_if_absent(session, tables.membership, {**key, **values}):
        membership = tables.membership
        await session.execute(
            update(membership)
            .where(
                membership.c.community_id == event.community_id,
                membership.c.user_id == event.user_id,
            )
            .values(**values)
        )


def _snapshot_values(event: MembershipSnapshot) -> dict[str, Any]:
    return {
        "member_id": event.member_id,
        "display_name": event.display_name,
        "status": event.status,
        "role": event.role,
        "tier_id": event.tier_id,
        "joined_at": event.joined_at.astimezone(UTC),
        # A snapshot tells the status, not the mute's end: one that says muted keeps the end
        # the projection knows, any other status ends the mute.
        **({} if event.status == MUTED else {"muted_until": None}),
    }


async def learn_membership(
    session: AsyncSession, tables: MembershipTables, event: MembershipSnapshot
) -> None:
    """Record a membership the projection does not know yet, and change nothing it knows: for
    a consumer other than the projection's own that meets the join first (and must not undo a
    later change the projection's consumer has applied already)."""
    key = {"community_id": event.community_id, "user_id": event.user_id}
    await insert_if_absent(session, tables.membership, {**key, **_snapshot_values(event)})


async def change_membership(
    session: AsyncSession,
    tables: MembershipTables,
    *,
    community_id: str,
    member_id: str,
    status: str | None = None,
    role: str | None = None,
    tier_id: str | None = None,
    display_name: str | None = None,
) -> None:
    """Apply a later change to a known membership (left, removed, role or tier changed): the
    handlers of those events, when they exist, come down to this. It changes only a row the
    projection has: pending members are not announced, so `member.approved` must carry the
    whole membership, as `member.joined` does, and go through `save_membership`."""
    changes: dict[str, Any] = {
        name: value
        for name, value in (
            ("status", status),
            ("role", role),
            ("tier_id", tier_id),
            ("display_name", display_name),
        )
        if value is not None
    }
    if changes:
        membership = tables.membership
        await session.execute(
            update(membership)
            .where(membership.c.community_id == community_id, membership.c.member_id == member_id)
            .values(**changes)
        )


async def mute_membership(
    session: AsyncSession, tables: MembershipTables, event: MemberSanctioned
) -> None:
    """Follow a mute: the member is `muted` until `muted_until` (a mute never shortens a longer
    one in the members service, so the latest event's end is the one that holds). Only a
    membership that still belongs is muted: a mute overtaken by a removal stays a removal."""
    membership = tables.membership
    await session.execute(
        update(membership)
        .where(
            membership.c.community_id == event.community_id,
            membership.c.member_id == event.member_id,
            membership.c.status.in_(sorted(BELONGING_STATUSES)),
        )
        .values(status=MUTED, muted_until=event.muted_until)
    )


async def erase_membership(
    session: AsyncSession, tables: MembershipTables, event: UserErased
) -> None:
    """Anonymise an erased user's membership: the display name becomes ERASED_DISPLAY_NAME and
    the user id the tombstone members gave it (so nothing here names the person any more)."""
    membership, community = tables.membership, tables.community
    values: dict[str, Any] = {"display_name": ERASED_DISPLAY_NAME}
    if event.replacement_user_id is not None:
        values["user_id"] = event.replacement_user_id
    await session.execute(
        update(membership)
        .where(
            membership.c.community_id == event.community_id,
            membership.c.member_id == event.member_id,
        )
        .values(**values)
    )
    if event.replacement_user_id is not None:
        await session.execute(
            update(community)
            .where(
                community.c.id == event.community_id,
                community.c.owner_user_id == event.user_id,
            )
            .values(owner_user_id=event.replacement_user_id)
        )


async def admission(
    session: AsyncSession, tables: MembershipTables, *, community_id: str, user_id: str
) -> Row[Any] | None:
    """The community with the user's membership in it (None when the community is unknown)."""
    parameters = {"community_id": community_id, "user_id": user_id}
    row: Row[Any] | None = (await session.execute(tables.admission_query, parameters)).first()
    return row


async def known_member_ids(
    session: AsyncSession, tables: MembershipTables, *, community_id: str, member_ids: Iterable[str]
) -> set[str]:
    """Which of `member_ids` the community has (whatever their status now)."""
    membership = tables.membership
    query = select(membership.c.member_id).where(
        membership.c.community_id == community_id, membership.c.member_id.in_(set(member_ids))
    )
    return set((await session.execute(query)).scalars().all())


async def communities_of(
    session: AsyncSession, tables: MembershipTables, *, community_ids: Iterable[str], actor: Actor
) -> dict[str, str | None]:
    """Of these communities, the ones that exist, mapped to the caller's role in each (None
    where the caller does not belong)."""
    parameters = {"community_ids": sorted(set(community_ids)), "user_id": actor.id}
    rows = (await session.execute(tables.roles_query, parameters)).all()
    return {row.id: row.role if row.status in BELONGING_STATUSES else None for row in rows}
