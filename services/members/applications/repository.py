"""Queries of application forms and the answers join requests carried."""

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.members.tables import ApplicationForm, JoinApplication, Membership


async def form_of(session: AsyncSession, community_id: str) -> ApplicationForm | None:
    return await session.get(ApplicationForm, community_id)


async def save_form(session: AsyncSession, row: ApplicationForm) -> None:
    await session.merge(row)


async def application_of(session: AsyncSession, member_id: str) -> JoinApplication | None:
    return await session.get(JoinApplication, member_id)


async def replace_application(
    session: AsyncSession, member_id: str, row: JoinApplication | None
) -> None:
    """The membership's application is this join's (or none): an earlier one goes."""
    await forget(session, [member_id])
    if row is not None:
        session.add(row)
        await session.flush()


async def forget(session: AsyncSession, member_ids: Sequence[str]) -> None:
    if member_ids:
        query = delete(JoinApplication).where(col(JoinApplication.member_id).in_(member_ids))
        await session.execute(query.execution_options(synchronize_session=False))


async def applications(
    session: AsyncSession,
    *,
    community_id: str,
    status: str,
    after_id: str | None,
    limit: int,
) -> Sequence[tuple[Membership, JoinApplication | None]]:
    """Members of a status (pending: the requests waiting) with their applications, by member
    id."""
    query = (
        select(Membership, JoinApplication)
        .outerjoin(JoinApplication, col(JoinApplication.member_id) == col(Membership.id))
        .where(col(Membership.community_id) == community_id, col(Membership.status) == status)
        .order_by(col(Membership.id))
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(col(Membership.id) > after_id)
    return [(member, application) for member, application in (await session.execute(query)).all()]
