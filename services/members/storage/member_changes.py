"""Guarded changes to memberships (approval, roles, leaving) and the caller's own memberships."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import CursorResult, Row, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select

from services.members.storage.tables import Community, Membership


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
) -> Sequence[Row[Membership, str]]:
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
    return (await session.execute(query)).all()
