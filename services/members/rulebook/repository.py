"""Queries of rules versions and acknowledgements."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Table, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.common.db_ops import insert_if_absent
from services.common.membership.tables import BELONGING_STATUSES
from services.members.tables import Membership, RulesAcknowledgement, RulesVersion

RULES_VERSION: Table = RulesVersion.__table__  # type: ignore[attr-defined]
RULES_ACKNOWLEDGEMENT: Table = RulesAcknowledgement.__table__  # type: ignore[attr-defined]


async def current_version(session: AsyncSession, community_id: str) -> int | None:
    query = select(func.max(col(RulesVersion.version))).where(
        col(RulesVersion.community_id) == community_id
    )
    found = (await session.execute(query)).scalar_one()
    return int(found) if found is not None else None


async def add_version(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert a version unless its number is taken (a concurrent publish): True if inserted."""
    return await insert_if_absent(session, RULES_VERSION, values)


async def get_version(
    session: AsyncSession, *, community_id: str, version: int
) -> RulesVersion | None:
    query = select(RulesVersion).where(
        col(RulesVersion.community_id) == community_id, col(RulesVersion.version) == version
    )
    return (await session.execute(query)).scalars().first()


async def list_versions(
    session: AsyncSession, *, community_id: str, after_version: int | None, limit: int
) -> Sequence[RulesVersion]:
    query = select(RulesVersion).where(col(RulesVersion.community_id) == community_id)
    if after_version is not None:
        query = query.where(col(RulesVersion.version) > after_version)
    query = query.order_by(col(RulesVersion.version)).limit(limit)
    return (await session.execute(query)).scalars().all()


async def add_acknowledgement(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Record an acknowledgement unless the member made it already: True if recorded."""
    return await insert_if_absent(session, RULES_ACKNOWLEDGEMENT, values)


async def list_acknowledgements(
    session: AsyncSession,
    *,
    community_id: str,
    version: int,
    member_id: str | None,
    after_member_id: str | None,
    limit: int,
) -> Sequence[RulesAcknowledgement]:
    query = select(RulesAcknowledgement).where(
        col(RulesAcknowledgement.community_id) == community_id,
        col(RulesAcknowledgement.version) == version,
    )
    if member_id is not None:
        query = query.where(col(RulesAcknowledgement.member_id) == member_id)
    if after_member_id is not None:
        query = query.where(col(RulesAcknowledgement.member_id) > after_member_id)
    query = query.order_by(col(RulesAcknowledgement.member_id)).limit(limit)
    return (await session.execute(query)).scalars().all()


async def pending(
    session: AsyncSession,
    *,
    community_id: str,
    version: int,
    after_member_id: str | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """Belonging members with no acknowledgement of `version`, by member id, each with the
    newest version they did acknowledge."""
    ack = RULES_ACKNOWLEDGEMENT
    of_member = and_(
        ack.c.community_id == col(Membership.community_id), ack.c.member_id == col(Membership.id)
    )
    acknowledged_now = select(ack.c.member_id).where(of_member, ack.c.version == version)
    last = select(func.max(ack.c.version)).where(of_member).scalar_subquery()
    query = select(
        col(Membership.id).label("member_id"),
        col(Membership.display_name),
        col(Membership.joined_at),
        last.label("last_acknowledged_version"),
    ).where(
        col(Membership.community_id) == community_id,
        col(Membership.status).in_(sorted(BELONGING_STATUSES)),
        ~acknowledged_now.exists(),
    )
    if after_member_id is not None:
        query = query.where(col(Membership.id) > after_member_id)
    query = query.order_by(col(Membership.id)).limit(limit)
    return (await session.execute(query)).all()
