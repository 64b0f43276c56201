"""Queries on communities."""

from collections.abc import Collection, Sequence

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.members.tables import Community, Membership


async def get_community(session: AsyncSession, community_id: str) -> Community | None:
    return await session.get(Community, community_id)


async def list_communities(
    session: AsyncSession,
    *,
    after_id: str | None,
    limit: int,
    user_id: str | None = None,
    statuses: Sequence[str] = (),
    among: Collection[str] | None = None,
) -> Sequence[Community]:
    """Communities by id. With `user_id`: only those the user has a membership of one of
    `statuses` in, and the listed ones. With `among`: only those ids."""
    query = select(Community).order_by(col(Community.id)).limit(limit)
    if after_id is not None:
        query = query.where(col(Community.id) > after_id)
    if user_id is not None:
        theirs = select(Membership.community_id).where(
            Membership.user_id == user_id, col(Membership.status).in_(statuses)
        )
        query = query.where(or_(col(Community.id).in_(theirs), col(Community.listed).is_(True)))
    if among is not None:
        query = query.where(col(Community.id).in_(sorted(among)))
    return (await session.execute(query)).scalars().all()


async def communities_of(
    session: AsyncSession, *, user_id: str, statuses: Sequence[str], among: Sequence[str]
) -> set[str]:
    """Which of the communities `among` the user has a membership of one of `statuses` in."""
    if not among:
        return set()
    query = select(Membership.community_id).where(
        Membership.user_id == user_id,
        col(Membership.status).in_(statuses),
        col(Membership.community_id).in_(sorted(among)),
    )
    return set((await session.execute(query)).scalars().all())
