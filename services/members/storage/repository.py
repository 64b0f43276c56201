"""Every query the members service makes."""

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, cast, exists, func, literal, or_
from sqlalchemy import select as sql_select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.common.events.envelope import utc_now
from services.members.storage.tables import Community, Membership


async def get_community(session: AsyncSession, community_id: str) -> Community | None:
    return await session.get(Community, community_id)


async def list_communities(
    session: AsyncSession, *, after_id: str | None, limit: int
) -> Sequence[Community]:
    query = select(Community).order_by(col(Community.id)).limit(limit)
    if after_id is not None:
        query = query.where(col(Community.id) > after_id)
    return (await session.execute(query)).scalars().all()


async def find_membership(
    session: AsyncSession, *, community_id: str, user_id: str
) -> Membership | None:
    query = select(Membership).where(
        Membership.community_id == community_id, Membership.user_id == user_id
    )
    return (await session.execute(query)).scalars().first()


async def get_membership(
    session: AsyncSession, *, community_id: str, member_id: str
) -> Membership | None:
    membership = await session.get(Membership, member_id)
    if membership is None or membership.community_id != community_id:
        return None
    return membership


async def list_memberships(
    session: AsyncSession,
    *,
    community_id: str,
    status: str | None,
    role: str | None,
    user_id: str | None = None,
    tier_id: str | None = None,
    tag: str | None = None,
    after_id: str | None,
    limit: int,
) -> Sequence[Membership]:
    query = (
        select(Membership)
        .where(Membership.community_id == community_id)
        .order_by(col(Membership.id))
        .limit(limit)
    )
    if status is not None:
        query = query.where(status_is(status))
    if role is not None:
        query = query.where(Membership.role == role)
    if user_id is not None:
        query = query.where(Membership.user_id == user_id)
    if tier_id is not None:
        query = query.where(Membership.tier_id == tier_id)
    if tag is not None:
        query = query.where(has_tag(session, tag))
    if after_id is not None:
        query = query.where(col(Membership.id) > after_id)
    return (await session.execute(query)).scalars().all()


async def add_membership(session: AsyncSession, membership: Membership) -> bool:
    """Insert a membership; False if the user is already in the community (a concurrent join)."""
    try:
        async with session.begin_nested():
            session.add(membership)
        return True
    except IntegrityError:
        return False


def has_tag(session: AsyncSession, tag: str) -> ColumnElement[bool]:
    """Membership.tags (a JSON list) holds `tag`."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(Membership.tags, JSONB).contains(cast(literal([tag], JSONB), JSONB))
    elements = func.json_each(Membership.tags).table_valued("value")
    return exists(sql_select(1).select_from(elements).where(elements.c.value == tag))


def status_is(status: str) -> ColumnElement[bool]:
    """The member's status as reads show it: a mute whose time has passed reads as active."""
    muted = col(Membership.status) == "muted"
    mute_over = and_(muted, col(Membership.muted_until) <= utc_now())
    if status == "active":
        return or_(col(Membership.status) == "active", mute_over)
    if status == "muted":
        return and_(muted, col(Membership.muted_until) > utc_now())
    return col(Membership.status) == status
