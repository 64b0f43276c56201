"""Every query of lotteries: the draw's pool, recording the draw once, drawn lotteries."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.events.registrations.rules import RegistrationStatus
from services.events.tables import Lottery, Registration


def add_lottery(session: AsyncSession, lottery: Lottery) -> None:
    session.add(lottery)


async def get_lottery(session: AsyncSession, lottery_id: str) -> Lottery | None:
    return await session.get(Lottery, lottery_id)


async def mark_drawn(
    session: AsyncSession,
    *,
    lottery_id: str,
    winners: list[str],
    pool_size: int,
    pool_member_ids: list[str],
    now: datetime,
) -> bool:
    """Record the draw unless one is recorded: of two racing draws one wins."""
    statement = (
        update(Lottery)
        .where(col(Lottery.id) == lottery_id, col(Lottery.status) == "committed")
        .values(
            status="drawn",
            winners=winners,
            pool_size=pool_size,
            pool_member_ids=pool_member_ids,
            drawn_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


async def lottery_pool(session: AsyncSession, *, event_id: str, attendees: bool) -> list[str]:
    """Member ids of the event's attendees (checked in) or confirmed registrants, sorted."""
    query = select(Registration.member_id).where(
        Registration.event_id == event_id, col(Registration.member_id).is_not(None)
    )
    if attendees:
        query = query.where(col(Registration.checked_in_at).is_not(None))
    else:
        query = query.where(Registration.status == RegistrationStatus.CONFIRMED)
    return sorted(
        {member_id for member_id in (await session.execute(query)).scalars() if member_id}
    )


async def drawn_lotteries(session: AsyncSession, *, community_id: str) -> Sequence[Lottery]:
    """The community's drawn lotteries (erasure looks for a member among their winners)."""
    query = select(Lottery).where(Lottery.community_id == community_id, Lottery.status == "drawn")
    return (await session.execute(query)).scalars().all()


async def event_lotteries(session: AsyncSession, event_id: str) -> Sequence[Lottery]:
    """The event's lotteries in the order they were committed."""
    query = (
        select(Lottery)
        .where(Lottery.event_id == event_id)
        .order_by(col(Lottery.committed_at), col(Lottery.id))
    )
    return (await session.execute(query)).scalars().all()
