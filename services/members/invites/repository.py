"""Queries on invites and referrals."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.members.tables import Invite, Membership


async def take_use(
    session: AsyncSession, *, community_id: str, code: str, now: datetime
) -> Invite | None:
    """Count one use of a valid invite and return it; None if the code is unknown here, expired
    or used up. One conditional UPDATE: two joins cannot both take a code's last use (on
    PostgreSQL the second waits for the first's row lock, then finds the condition false)."""
    statement = (
        update(Invite)
        .where(
            col(Invite.community_id) == community_id,
            col(Invite.code) == code,
            or_(col(Invite.max_uses).is_(None), col(Invite.uses) < col(Invite.max_uses)),
            or_(col(Invite.expires_at).is_(None), col(Invite.expires_at) > now),
            col(Invite.revoked_at).is_(None),
        )
        .values(uses=col(Invite.uses) + 1)
        .returning(col(Invite.id))
    )
    taken = (await session.execute(statement)).scalar_one_or_none()
    if taken is None:
        return None
    return await session.get(Invite, taken, populate_existing=True)


async def find_invite(session: AsyncSession, *, community_id: str, code: str) -> Invite | None:
    query = select(Invite).where(Invite.community_id == community_id, Invite.code == code)
    return (await session.execute(query)).scalars().first()


async def count_referral(session: AsyncSession, member_id: str) -> None:
    statement = (
        update(Membership)
        .where(col(Membership.id) == member_id)
        .values(referral_count=col(Membership.referral_count) + 1)
        .execution_options(synchronize_session=False)
    )
    await session.execute(statement)


async def list_invites(
    session: AsyncSession, *, community_id: str, after_id: str | None, limit: int
) -> Sequence[Invite]:
    query = (
        select(Invite)
        .where(Invite.community_id == community_id)
        .order_by(col(Invite.id))
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(col(Invite.id) > after_id)
    return (await session.execute(query)).scalars().all()


async def get_invite(session: AsyncSession, *, community_id: str, invite_id: str) -> Invite | None:
    query = select(Invite).where(Invite.community_id == community_id, Invite.id == invite_id)
    return (await session.execute(query)).scalars().first()
