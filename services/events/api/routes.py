"""HTTP endpoints of the events service."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from services.common.api.deps import ActorDep, PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.api.membership import require_member, require_role
from services.common.errors import InvalidInput
from services.common.fields import Timestamp
from services.common.membership.access import CommunityAccess
from services.common.pagination import Page
from services.events.api.schemas import (
    ChallengeCheckinCreate,
    ChallengeCheckinPublic,
    ChallengeCreate,
    ChallengePublic,
    CheckinCreate,
    CheckinPublic,
    EmptyBody,
    EventCancel,
    EventCreate,
    EventCreatedPublic,
    EventPublic,
    FeedbackCreate,
    FeedbackPublic,
    LotteryCommitted,
    LotteryCreate,
    LotteryResult,
    RegistrationCreate,
    RegistrationPublic,
    ReportPublic,
    StreakBoard,
    StreakPublic,
)
from services.events.domain import attendance, challenges, lotteries, registrations, use_cases
from services.events.domain.calendar import community_calendar
from services.events.domain.challenges import last_day
from services.events.domain.models import EventStatus, LotteryPool
from services.events.storage.tables import Challenge, Lottery, Registration, membership

router = APIRouter(tags=["events"])

CommunityId = PathId
EventId = PathId
RegistrationId = PathId
LotteryId = PathId
ChallengeId = PathId
MemberDep = Annotated[CommunityAccess, Depends(require_member(membership))]
OrganiserDep = Annotated[
    CommunityAccess,
    Depends(require_role(membership, roles=use_cases.ORGANISERS, writes=True)),
]


@router.post("/communities/{community_id}/events", status_code=status.HTTP_201_CREATED)
async def create_event(
    community_id: CommunityId,
    event_create: EventCreate,
    uow: UnitOfWorkDep,
    access: OrganiserDep,
) -> EventCreatedPublic:
    """Create an event as a draft; the answer carries its check-in code. Only the community's
    owner, admins and event officers may."""
    event = await use_cases.create_event(
        uow=uow, actor=access.actor, community_id=community_id, event_create=event_create
    )
    return EventCreatedPublic.model_validate(event, from_attributes=True)


@router.get("/communities/{community_id}/events")
async def list_events(
    *,
    community_id: CommunityId,
    session: ReadSessionDep,
    page: PageDep,
    _member: MemberDep,
    event_status: Annotated[EventStatus | None, Query(alias="status")] = None,
    starts_from: Annotated[Timestamp | None, Query(alias="from")] = None,
    starts_before: Annotated[Timestamp | None, Query(alias="to")] = None,
) -> Page[EventPublic]:
    """A community's events in creation order; `from` and `to` keep those starting in
    [from, to)."""
    rows = await use_cases.list_events(
        session=session,
        community_id=community_id,
        status=event_status,
        starts_from=starts_from,
        starts_before=starts_before,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    items = [EventPublic.model_validate(row, from_attributes=True) for row in rows]
    return Page[EventPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get("/communities/{community_id}/events.ics", response_class=Response)
async def events_calendar(
    community_id: CommunityId, session: ReadSessionDep, _member: MemberDep
) -> Response:
    """The community's events as an iCalendar feed (`text/calendar`), for its members."""
    body = await community_calendar(session=session, community_id=community_id)
    return Response(content=body, media_type="text/calendar; charset=utf-8")


@router.get("/events/{event_id}")
async def get_event(event_id: EventId, session: ReadSessionDep, actor: ActorDep) -> EventPublic:
    """An event of a community the caller belongs to."""
    event = await use_cases.get_event(session=session, actor=actor, event_id=event_id)
    return EventPublic.model_validate(event, from_attributes=True)


@router.post("/events/{event_id}/publish")
async def publish_event(
    event_id: EventId, uow: UnitOfWorkDep, actor: ActorDep, _body: EmptyBody | None = None
) -> EventPublic:
    """Publish a draft event (organisers)."""
    event = await use_cases.publish_event(uow=uow, actor=actor, event_id=event_id)
    return EventPublic.model_validate(event, from_attributes=True)


@router.post("/events/{event_id}/cancel")
async def cancel_event(
    event_id: EventId, event_cancel: EventCancel, uow: UnitOfWorkDep, actor: ActorDep
) -> EventPublic:
    """Cancel a draft or published event with a reason (organisers)."""
    event = await use_cases.cancel_event(
        uow=uow, actor=actor, event_id=event_id, event_cancel=event_cancel
    )
    return EventPublic.model_validate(event, from_attributes=True)


def _registration_public(registration: Registration, position: int | None) -> RegistrationPublic:
    public = RegistrationPublic.model_validate(registration, from_attributes=True)
    return public.model_copy(update={"waitlist_position": position})


@router.post("/events/{event_id}/registrations", status_code=status.HTTP_201_CREATED)
async def register(
    event_id: EventId,
    registration_create: RegistrationCreate,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> RegistrationPublic:
    """Register a member (yourself; organisers may register others): a seat while there is
    one, else a place at the end of the waitlist."""
    registration, position = await registrations.register(
        uow=uow, actor=actor, event_id=event_id, member_id=registration_create.member_id
    )
    return _registration_public(registration, position)


@router.get("/events/{event_id}/registrations")
async def list_registrations(
    event_id: EventId, session: ReadSessionDep, actor: ActorDep, page: PageDep
) -> Page[RegistrationPublic]:
    """The event's registrations in arrival order, waitlisted ones with their position."""
    after_seq: int | None = None
    if page.after_id is not None:
        if not page.after_id.isdigit() or len(page.after_id) > 12:
            raise InvalidInput("The cursor is not one this API returned.", field="cursor")
        after_seq = int(page.after_id)
    listed = await registrations.list_registrations(
        session=session, actor=actor, event_id=event_id, after_seq=after_seq, limit=page.fetch_limit
    )
    items = [_registration_public(row, position) for row, position in listed]
    seq_of = {row.id: row.seq for row, _position in listed}
    return Page[RegistrationPublic].of(
        items, limit=page.limit, id_of=lambda item: str(seq_of[item.id])
    )


@router.delete("/events/{event_id}/registrations/{registration_id}")
async def cancel_registration(
    event_id: EventId, registration_id: RegistrationId, uow: UnitOfWorkDep, actor: ActorDep
) -> RegistrationPublic:
    """Cancel a registration; a freed seat goes to the first waitlisted member."""
    registration = await registrations.cancel_registration(
        uow=uow, actor=actor, event_id=event_id, registration_id=registration_id
    )
    return _registration_public(registration, None)


@router.post("/events/{event_id}/registrations/{registration_id}/confirm")
async def confirm_offer(
    event_id: EventId,
    registration_id: RegistrationId,
    uow: UnitOfWorkDep,
    actor: ActorDep,
    _body: EmptyBody | None = None,
) -> RegistrationPublic:
    """Take up a seat offered from the waitlist before its claim window ends."""
    registration = await registrations.confirm_offer(
        uow=uow, actor=actor, event_id=event_id, registration_id=registration_id
    )
    return _registration_public(registration, None)


@router.post("/events/{event_id}/check-ins", status_code=status.HTTP_201_CREATED)
async def check_in(
    event_id: EventId, checkin_create: CheckinCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> CheckinPublic:
    """Check in with the event's code, from 30 minutes before the start to the end."""
    registration = await attendance.check_in(
        uow=uow, actor=actor, event_id=event_id, checkin_create=checkin_create
    )
    assert registration.checked_in_at is not None
    return CheckinPublic(
        event_id=event_id,
        registration_id=registration.id,
        member_id=checkin_create.member_id,
        checked_in_at=registration.checked_in_at,
    )


@router.post("/events/{event_id}/feedback", status_code=status.HTTP_201_CREATED)
async def give_feedback(
    event_id: EventId, feedback_create: FeedbackCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> FeedbackPublic:
    """An attendee's rating (1 to 5) and comment, once per attendee."""
    feedback = await attendance.give_feedback(
        uow=uow, actor=actor, event_id=event_id, feedback_create=feedback_create
    )
    return FeedbackPublic(
        event_id=event_id,
        member_id=feedback_create.member_id,
        rating=feedback.rating,
        comment=feedback.comment,
        submitted_at=feedback.submitted_at,
    )


@router.get("/events/{event_id}/report")
async def event_report(event_id: EventId, session: ReadSessionDep, actor: ActorDep) -> ReportPublic:
    """Registered, waitlisted, attended, rates, ratings, NPS and volunteer hours (organisers)."""
    event, report = await attendance.event_report(session=session, actor=actor, event_id=event_id)
    return ReportPublic(
        event_id=event.id,
        status=EventStatus(event.status),
        registered=report.registered,
        waitlisted=report.waitlisted,
        attended=report.attended,
        attendance_rate=report.attendance_rate,
        no_show_rate=report.no_show_rate,
        feedback_count=report.feedback_count,
        avg_rating=report.avg_rating,
        nps=report.nps,
        volunteer_hours=report.volunteer_hours,
    )


def _lottery_result(lottery: Lottery) -> LotteryResult:
    assert lottery.drawn_at is not None
    assert lottery.pool_size is not None
    return LotteryResult(
        id=lottery.id,
        event_id=lottery.event_id,
        prize=lottery.prize,
        pool=LotteryPool(lottery.pool),
        pool_size=lottery.pool_size,
        seed_sha256=lottery.seed_sha256,
        seed=lottery.seed_hex,
        winners=lottery.winners,
        drawn_at=lottery.drawn_at,
    )


@router.post("/events/{event_id}/lottery", status_code=status.HTTP_201_CREATED)
async def draw_lottery_at_once(
    event_id: EventId, lottery_create: LotteryCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> LotteryResult:
    """Commit and draw in one call (organisers)."""
    lottery = await lotteries.commit_and_draw(
        uow=uow, actor=actor, event_id=event_id, lottery_create=lottery_create
    )
    return _lottery_result(lottery)


@router.post("/events/{event_id}/lottery/commit", status_code=status.HTTP_201_CREATED)
async def commit_lottery(
    event_id: EventId, lottery_create: LotteryCreate, uow: UnitOfWorkDep, actor: ActorDep
) -> LotteryCommitted:
    """Fix a secret seed for a later draw and publish its SHA-256 (organisers)."""
    lottery = await lotteries.commit_lottery(
        uow=uow, actor=actor, event_id=event_id, lottery_create=lottery_create
    )
    return LotteryCommitted.model_validate(lottery, from_attributes=True)


@router.post("/events/{event_id}/lottery/{lottery_id}/draw")
async def draw_lottery(
    event_id: EventId,
    lottery_id: LotteryId,
    uow: UnitOfWorkDep,
    actor: ActorDep,
    _body: EmptyBody | None = None,
) -> LotteryResult:
    """Reveal the seed and draw the winners from the pool as it is now (organisers)."""
    lottery = await lotteries.draw_lottery(
        uow=uow, actor=actor, event_id=event_id, lottery_id=lottery_id
    )
    return _lottery_result(lottery)


def _challenge_public(challenge: Challenge) -> ChallengePublic:
    return ChallengePublic(
        id=challenge.id,
        community_id=challenge.community_id,
        title=challenge.title,
        days=challenge.days,
        starts_on=challenge.starts_on,
        ends_on=last_day(challenge),
        make_up_cards=challenge.make_up_cards,
        created_by=challenge.created_by,
        created_at=challenge.created_at,
    )


@router.post("/communities/{community_id}/challenges", status_code=status.HTTP_201_CREATED)
async def create_challenge(
    community_id: CommunityId,
    challenge_create: ChallengeCreate,
    uow: UnitOfWorkDep,
    access: OrganiserDep,
) -> ChallengePublic:
    """Start a 打卡 challenge of N days (organisers)."""
    challenge = await challenges.create_challenge(
        uow=uow, access=access, challenge_create=challenge_create
    )
    return _challenge_public(challenge)


@router.post("/challenges/{challenge_id}/check-ins", status_code=status.HTTP_201_CREATED)
async def check_in_to_challenge(
    challenge_id: ChallengeId,
    checkin_create: ChallengeCheckinCreate,
    uow: UnitOfWorkDep,
    actor: ActorDep,
) -> ChallengeCheckinPublic:
    """Check in for today, or for a missed past day with a make-up card (补卡)."""
    checkin, streak, cards_left = await challenges.check_in_to_challenge(
        uow=uow, actor=actor, challenge_id=challenge_id, checkin_create=checkin_create
    )
    return ChallengeCheckinPublic(
        challenge_id=challenge_id,
        member_id=checkin.member_id,
        checked_in_on=checkin.checked_in_on,
        make_up=checkin.make_up,
        current_streak=streak.current,
        longest_streak=streak.longest,
        make_up_cards_left=cards_left,
        checked_in_at=checkin.checked_in_at,
    )


@router.get("/challenges/{challenge_id}/streaks")
async def challenge_streaks(
    challenge_id: ChallengeId,
    session: ReadSessionDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> StreakBoard:
    """Members ranked by current streak, then longest, then days checked in."""
    today, ranked = await challenges.challenge_streaks(
        session=session, actor=actor, challenge_id=challenge_id, limit=limit
    )
    return StreakBoard(
        challenge_id=challenge_id,
        today=today,
        items=[
            StreakPublic(
                rank=rank,
                member_id=member_id,
                current_streak=streak.current,
                longest_streak=streak.longest,
                days_checked_in=streak.total,
            )
            for rank, (member_id, streak) in enumerate(ranked, start=1)
        ],
    )
