"""Queries of incidents and playbooks."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.members.tables import Community, Incident, IncidentEntry, IncidentPolicy, Playbook


async def get_playbook(session: AsyncSession, community_id: str, kind: str) -> Playbook | None:
    return await session.get(Playbook, (community_id, kind))


async def save_playbook(session: AsyncSession, row: Playbook) -> None:
    await session.merge(row)


async def add(session: AsyncSession, row: Incident | IncidentEntry) -> None:
    session.add(row)
    await session.flush()


async def get_incident(
    session: AsyncSession, *, community_id: str, incident_id: str, for_update: bool = False
) -> Incident | None:
    query = select(Incident).where(
        col(Incident.id) == incident_id, col(Incident.community_id) == community_id
    )
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalars().first()


async def list_incidents(
    session: AsyncSession,
    *,
    community_id: str,
    status: str | None,
    drill: bool | None,
    after_id: str | None,
    limit: int,
) -> Sequence[Incident]:
    query: Any = (
        select(Incident)
        .where(col(Incident.community_id) == community_id)
        .order_by(col(Incident.id))
        .limit(limit)
    )
    if status is not None:
        query = query.where(col(Incident.status) == status)
    if drill is not None:
        query = query.where(col(Incident.drill).is_(drill))
    if after_id is not None:
        query = query.where(col(Incident.id) > after_id)
    return (await session.execute(query)).scalars().all()


async def timeline(session: AsyncSession, incident_id: str) -> Sequence[IncidentEntry]:
    query = select(IncidentEntry).where(col(IncidentEntry.incident_id) == incident_id)
    return (await session.execute(query.order_by(col(IncidentEntry.id)))).scalars().all()


async def get_policy(session: AsyncSession, community_id: str) -> IncidentPolicy | None:
    return await session.get(IncidentPolicy, community_id)


async def save_policy(session: AsyncSession, row: IncidentPolicy) -> None:
    await session.merge(row)


async def get_community(session: AsyncSession, community_id: str) -> Community | None:
    return await session.get(Community, community_id)
