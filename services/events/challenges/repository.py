"""Every query of 打卡 challenges and their check-in days."""

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.common.db_ops import insert_if_absent
from services.events.tables import Challenge, ChallengeCheckin, metadata


def add_challenge(session: AsyncSession, challenge: Challenge) -> None:
    session.add(challenge)


async def get_challenge(
    session: AsyncSession, challenge_id: str, *, lock: bool = False
) -> Challenge | None:
    query = select(Challenge).where(Challenge.id == challenge_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalars().first()


async def add_challenge_checkin(session: AsyncSession, checkin: ChallengeCheckin) -> bool:
    """Insert the day unless the member checked in that day already; True if inserted."""
    return await insert_if_absent(
        session,
        metadata.tables["challenge_checkin"],
        checkin.model_dump(),
    )


async def checkin_days(
    session: AsyncSession, *, challenge_id: str, member_id: str
) -> list[tuple[date, bool]]:
    """(day, make-up?) of one member's check-ins in a challenge."""
    query = select(col(ChallengeCheckin.checked_in_on), col(ChallengeCheckin.make_up)).where(
        ChallengeCheckin.challenge_id == challenge_id, ChallengeCheckin.member_id == member_id
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def all_checkin_days(session: AsyncSession, challenge_id: str) -> dict[str, list[date]]:
    """Every member's check-in days in a challenge."""
    query = select(col(ChallengeCheckin.member_id), col(ChallengeCheckin.checked_in_on)).where(
        ChallengeCheckin.challenge_id == challenge_id
    )
    days: dict[str, list[date]] = {}
    for member_id, day in (await session.execute(query)).all():
        days.setdefault(member_id, []).append(day)
    return days


async def list_challenges(
    session: AsyncSession, *, community_id: str, after_id: str | None, limit: int
) -> Sequence[Challenge]:
    """A community's challenges in creation order (ids are time-ordered), a page at a time."""
    query = (
        select(Challenge)
        .where(Challenge.community_id == community_id)
        .order_by(col(Challenge.id))
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(col(Challenge.id) > after_id)
    return (await session.execute(query)).scalars().all()
