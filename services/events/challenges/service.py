"""打卡 challenges: N days from a start date, one check-in per member per local day in the
community's timezone, streaks, and make-up cards (补卡) for missed days."""

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.events.catalogue import ChallengeCheckedIn
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.access import CommunityAccess, access_to_item, refuse_if_muted
from services.common.membership.tables import BELONGING_STATUSES
from services.common.unit_of_work import UnitOfWork
from services.events.attendance.errors import AlreadyCheckedIn
from services.events.challenges import repository
from services.events.challenges.errors import ChallengeNotFound, NoMakeUpCards, OutsideChallenge
from services.events.challenges.rules import (
    Streak,
    is_erased_alias,
    ranked_streaks,
    streak_of,
)
from services.events.challenges.schemas import ChallengeCheckinCreate, ChallengeCreate
from services.events.events import repository as events_repository
from services.events.events.errors import MemberNotFound, OnlyForThemselves
from services.events.events.rules import DEFAULT_TIMEZONE
from services.events.events.service import ORGANISERS
from services.events.tables import Challenge, ChallengeCheckin, membership


def last_day(challenge: Challenge) -> date:
    return challenge.starts_on + timedelta(days=challenge.days - 1)


async def create_challenge(
    *, uow: UnitOfWork, access: CommunityAccess, challenge_create: ChallengeCreate
) -> Challenge:
    """Start a challenge in a community where the caller is an organiser."""
    challenge = Challenge(
        id=new_id("chl"),
        community_id=access.community_id,
        title=challenge_create.title,
        days=challenge_create.days,
        starts_on=challenge_create.starts_on,
        make_up_cards=challenge_create.make_up_cards,
        created_by=access.actor.id,
        created_at=utc_now(),
    )
    repository.add_challenge(uow.session, challenge)
    return challenge


async def community_today(session: AsyncSession, community_id: str, now: datetime) -> date:
    """Today's date where the community lives (its IANA timezone)."""
    name = await events_repository.community_timezone(session, community_id) or DEFAULT_TIMEZONE
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(DEFAULT_TIMEZONE)
    return now.astimezone(zone).date()


async def _challenge_with_access(
    session: AsyncSession, *, actor: Actor, challenge_id: str, lock: bool = False
) -> tuple[Challenge, CommunityAccess]:
    challenge = await repository.get_challenge(session, challenge_id, lock=lock)
    if challenge is None:
        raise ChallengeNotFound(challenge_id)
    access = await access_to_item(
        session,
        membership,
        community_id=challenge.community_id,
        actor=actor,
        hidden=ChallengeNotFound(challenge_id),
    )
    return challenge, access


async def check_in_to_challenge(
    *, uow: UnitOfWork, actor: Actor, challenge_id: str, checkin_create: ChallengeCheckinCreate
) -> tuple[ChallengeCheckin, Streak, int]:
    """Check a member in for today (their community's today) or, spending a make-up card,
    for a missed past day of the challenge. Returns the check-in, the member's streak after
    it and the make-up cards left."""
    session = uow.session
    # Locked (PostgreSQL; SQLite's writer lock does it already) so that two make-ups at once
    # cannot both spend the last card.
    challenge, access = await _challenge_with_access(
        session, actor=actor, challenge_id=challenge_id, lock=True
    )
    member_id = checkin_create.member_id
    if access.member_id != member_id and not access.has_role(ORGANISERS):
        raise OnlyForThemselves()
    member = await events_repository.member_in_community(
        session, community_id=challenge.community_id, member_id=member_id
    )
    if member is None or member.status not in BELONGING_STATUSES:
        raise MemberNotFound(member_id)
    refuse_if_muted(member.status, member.muted_until)
    now = utc_now()
    today = await community_today(session, challenge.community_id, now)
    day = checkin_create.date or today
    first, last = challenge.starts_on, last_day(challenge)
    if not first <= day <= last or day > today:
        raise OutsideChallenge(day, first, last)
    make_up = day < today
    days = await repository.checkin_days(session, challenge_id=challenge_id, member_id=member_id)
    used = sum(1 for _day, was_make_up in days if was_make_up)
    if make_up and used >= challenge.make_up_cards:
        raise NoMakeUpCards(challenge.make_up_cards)
    checkin = ChallengeCheckin(
        challenge_id=challenge_id,
        member_id=member_id,
        checked_in_on=day,
        make_up=make_up,
        checked_in_at=now,
    )
    if not await repository.add_challenge_checkin(session, checkin):
        raise AlreadyCheckedIn(None)
    streak = streak_of([*(d for d, _ in days), day], today=today, last_day=last)
    await uow.outbox.add(
        session,
        ChallengeCheckedIn(
            community_id=challenge.community_id,
            challenge_id=challenge_id,
            member_id=member_id,
            checked_in_on=day,
            streak=streak.current,
            make_up=make_up,
            checked_in_at=now,
            days=challenge.days,
        ),
    )
    return checkin, streak, challenge.make_up_cards - used - (1 if make_up else 0)


async def challenge_streaks(
    *, session: AsyncSession, actor: Actor, challenge_id: str, limit: int
) -> tuple[date, list[tuple[str, Streak]]]:
    """Members' streaks, best first (rules.ranked_streaks), and the community's today."""
    challenge, _access = await _challenge_with_access(
        session, actor=actor, challenge_id=challenge_id
    )
    today = await community_today(session, challenge.community_id, utc_now())
    every_day = await repository.all_checkin_days(session, challenge_id)
    streaks = {
        member_id: streak_of(days, today=today, last_day=last_day(challenge))
        for member_id, days in every_day.items()
        if not is_erased_alias(member_id)
    }
    return today, ranked_streaks(streaks)[:limit]


async def get_challenge(
    *, session: AsyncSession, actor: Actor, challenge_id: str
) -> tuple[Challenge, CommunityAccess]:
    """A challenge of a community the caller belongs to, and the caller's admission
    (ChallengeNotFound otherwise)."""
    return await _challenge_with_access(session, actor=actor, challenge_id=challenge_id)


async def list_challenges(
    *, session: AsyncSession, community_id: str, after_id: str | None, limit: int
) -> Sequence[Challenge]:
    """A community's challenges, oldest first (the caller was admitted by the route)."""
    return await repository.list_challenges(
        session, community_id=community_id, after_id=after_id, limit=limit
    )
