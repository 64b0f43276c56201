"""Every query of the idempotency records."""

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.tables import idempotency_record
from services.common.db_ops import insert_if_absent


async def claim_idempotency_key(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Take the key for a request in flight; False if a record of it exists already."""
    return await insert_if_absent(session, idempotency_record, values)


async def find_idempotency_record(
    session: AsyncSession, *, principal: str, key: str
) -> Row[Any] | None:
    query = select(idempotency_record).where(
        idempotency_record.c.principal == principal,
        idempotency_record.c.idempotency_key == key,
    )
    return (await session.execute(query)).first()


async def complete_idempotency_record(
    session: AsyncSession,
    *,
    principal: str,
    key: str,
    status_code: int,
    headers: list[list[str]],
    body: bytes,
) -> None:
    await session.execute(
        update(idempotency_record)
        .where(
            idempotency_record.c.principal == principal,
            idempotency_record.c.idempotency_key == key,
        )
        .values(status_code=status_code, response_headers=headers, response_body=body)
    )


async def release_idempotency_key(session: AsyncSession, *, principal: str, key: str) -> None:
    """Forget an unfinished claim (the request failed before an answer worth keeping)."""
    await session.execute(
        delete(idempotency_record).where(
            idempotency_record.c.principal == principal,
            idempotency_record.c.idempotency_key == key,
            idempotency_record.c.status_code.is_(None),
        )
    )


async def delete_expired_idempotency_records(session: AsyncSession, *, now: datetime) -> int:
    result = await session.execute(
        delete(idempotency_record).where(idempotency_record.c.expires_at < now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def release_expired(session: AsyncSession, *, principal: str, key: str) -> None:
    """Forget an expired record of this key (pruning would have, later)."""
    await session.execute(
        delete(idempotency_record).where(
            idempotency_record.c.principal == principal,
            idempotency_record.c.idempotency_key == key,
        )
    )
