"""Queries of erasure: every row that names a user, found and anonymised."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.members.tables import (
    CaseNote,
    CaseReport,
    Community,
    Incident,
    IncidentEntry,
    Lockdown,
    Membership,
    ModerationCase,
    Sanction,
    TierBenefit,
)


async def memberships_of(session: AsyncSession, user_id: str) -> Sequence[Membership]:
    query = (
        select(Membership)
        .where(Membership.user_id == user_id)
        .order_by(col(Membership.id))
        .with_for_update()
    )
    return (await session.execute(query)).scalars().all()


async def anonymise_membership(
    session: AsyncSession, membership: Membership, *, tombstone: str, display_name: str
) -> None:
    """Replace what names the person: the user id, the display name, the tags; and in the
    membership's community, the owner's user id and who issued sanctions, and the reasons
    given for sanctioning them."""
    user_id, community_id = membership.user_id, membership.community_id
    membership.user_id, membership.display_name, membership.tags = tombstone, display_name, []
    await session.flush()
    await session.execute(
        update(Community)
        .where(col(Community.id) == community_id, col(Community.owner_user_id) == user_id)
        .values(owner_user_id=tombstone)
    )
    await session.execute(
        update(Sanction)
        .where(col(Sanction.community_id) == community_id, col(Sanction.issued_by) == user_id)
        .values(issued_by=tombstone)
    )
    await session.execute(
        update(Sanction).where(col(Sanction.member_id) == membership.id).values(reason="[erased]")
    )


async def anonymise_elsewhere(session: AsyncSession, *, user_id: str, tombstone: str) -> None:
    """Sanctions a platform admin issued in communities they were no member of."""
    await session.execute(
        update(Sanction).where(col(Sanction.issued_by) == user_id).values(issued_by=tombstone)
    )


async def anonymise_moderation(
    session: AsyncSession, *, user_id: str, member_ids: Sequence[str], tombstone: str
) -> None:
    """Moderation's records of the person: what they wrote in reports (reason, evidence), and
    their user id as a case's handler, an incident's owner or author, a lockdown's starter."""
    if member_ids:
        await session.execute(
            update(CaseReport)
            .where(col(CaseReport.reporter_member_id).in_(list(member_ids)))
            .values(reason="[erased]", evidence=[])
        )
    tables: tuple[tuple[Any, str], ...] = (
        (ModerationCase, "resolved_by"),
        (CaseNote, "author"),
        (Incident, "owner"),
        (Incident, "opened_by"),
        (IncidentEntry, "author"),
        (Lockdown, "started_by"),
        (TierBenefit, "updated_by"),
    )
    for table, column in tables:
        await session.execute(
            update(table).where(getattr(table, column) == user_id).values({column: tombstone})
        )
