"""Queries on memberships: finding and listing them, adding one, and guarded changes (approval,
roles, leaving, sanctions) that only one of two racing requests wins."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, and_, cast, exists, func, literal, or_, update
from sqlalchemy import select as sql_select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select

from services.common.events.envelope import utc_now
from services.members.tables import Community, Membership


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
    segment: str | None = None,
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
    if segment is not None:
        query = query.where(Membership.segment == segment)
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


async def change_if(
    session: AsyncSession,
    membership: Membership,
    *,
    statuses: Iterable[str] | None = None,
    roles: Iterable[str] | None = None,
    **values: Any,
) -> bool:
    """Change a membership only while its status (and role) are still one of these: of two
    requests racing to approve or demote the same member, exactly one wins. The loaded
    `membership` is updated in place."""
    query = update(Membership).where(col(Membership.id) == membership.id).values(**values)
    if statuses is not None:
        query = query.where(col(Membership.status).in_(list(statuses)))
    if roles is not None:
        query = query.where(col(Membership.role).in_(list(roles)))
    result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        query.execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    for name, value in values.items():
        # As loaded from the row just written: nothing left for the session to flush.
        set_committed_value(membership, name, value)
    return True


async def memberships_of_user(
    session: AsyncSession, *, user_id: str, status: str | None, after_id: str | None, limit: int
) -> list[tuple[Membership, str]]:
    """The user's memberships, each with its community's name, by membership id."""
    query = (
        select(Membership, Community.name)
        .join(Community, col(Community.id) == col(Membership.community_id))
        .where(Membership.user_id == user_id)
        .order_by(col(Membership.id))
        .limit(limit)
    )
    if status is not None:
        query = query.where(Membership.status == status)
    if after_id is not None:
        query = query.where(col(Membership.id) > after_id)
    return [(membership, name) for membership, name in (await session.execute(query)).all()]
