"""Every query of API keys, and of the membership projection that says who manages them."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.tables import api_key, api_key_community, membership
from services.common.membership.tables import BELONGING_STATUSES

# An API key's row, as these queries return it.
ApiKeyRow = Row[Any]


async def add_api_key(
    session: AsyncSession, *, values: dict[str, Any], community_ids: Iterable[str]
) -> None:
    await session.execute(insert(api_key).values(**values))
    rows = [{"key_id": values["id"], "community_id": cid} for cid in sorted(set(community_ids))]
    if rows:
        await session.execute(insert(api_key_community), rows)


async def find_active_api_key(session: AsyncSession, key_id: str) -> Row[Any] | None:
    query = select(api_key).where(api_key.c.id == key_id, api_key.c.revoked_at.is_(None))
    return (await session.execute(query)).first()


async def find_api_key(session: AsyncSession, key_id: str) -> Row[Any] | None:
    return (await session.execute(select(api_key).where(api_key.c.id == key_id))).first()


async def communities_of_keys(
    session: AsyncSession, key_ids: Sequence[str]
) -> dict[str, list[str]]:
    """The communities each key is limited to (keys for all communities have none)."""
    query = (
        select(api_key_community.c.key_id, api_key_community.c.community_id)
        .where(api_key_community.c.key_id.in_(list(key_ids)))
        .order_by(api_key_community.c.community_id)
    )
    found: dict[str, list[str]] = {key_id: [] for key_id in key_ids}
    for row in (await session.execute(query)).all():
        found[row.key_id].append(row.community_id)
    return found


async def list_api_keys(
    session: AsyncSession,
    *,
    community_ids: Iterable[str] | None,
    after_id: str | None,
    limit: int,
) -> list[Row[Any]]:
    """Unrevoked keys by id; only those limited to one of `community_ids`, unless None."""
    query = select(api_key).where(api_key.c.revoked_at.is_(None)).order_by(api_key.c.id)
    if community_ids is not None:
        keys_there = select(api_key_community.c.key_id).where(
            api_key_community.c.community_id.in_(sorted(set(community_ids)))
        )
        query = query.where(api_key.c.id.in_(keys_there))
    if after_id is not None:
        query = query.where(api_key.c.id > after_id)
    return list((await session.execute(query.limit(limit))).all())


async def revoke_api_key(session: AsyncSession, *, key_id: str, revoked_at: datetime) -> None:
    await session.execute(
        update(api_key)
        .where(api_key.c.id == key_id, api_key.c.revoked_at.is_(None))
        .values(revoked_at=revoked_at)
    )


async def roles_in(
    session: AsyncSession, *, user_id: str, community_ids: Iterable[str] | None = None
) -> dict[str, str]:
    """The caller's role in each community they belong to (of `community_ids`, if given)."""
    query = select(membership.membership.c.community_id, membership.membership.c.role).where(
        membership.membership.c.user_id == user_id,
        membership.membership.c.status.in_(BELONGING_STATUSES),
    )
    if community_ids is not None:
        query = query.where(membership.membership.c.community_id.in_(sorted(set(community_ids))))
    return {row.community_id: row.role for row in (await session.execute(query)).all()}


async def existing_communities(session: AsyncSession, community_ids: Iterable[str]) -> set[str]:
    community = membership.community
    query = select(community.c.id).where(community.c.id.in_(sorted(set(community_ids))))
    return set((await session.execute(query)).scalars().all())
