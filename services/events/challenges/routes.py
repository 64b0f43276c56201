"""HTTP endpoints of 打卡 challenges: create, check in, streaks."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from services.common.api.deps import ActorDep, PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.api.membership import require_member, require_role
from services.common.events.catalogue.vocabulary import USER_ID_VIEWERS
from services.common.membership.access import CommunityAccess
from services.common.pagination import Page
from services.events.challenges import service as challenges
from services.events.challenges.schemas import (
    ChallengeCheckinCreate,
    ChallengeCheckinPublic,
    ChallengeCreate,
    ChallengePublic,
    StreakBoard,
    StreakPublic,
)
from services.events.challenges.service import last_day
from services.events.events.service import ORGANISERS
from services.events.tables import Challenge, membership

router = APIRouter(tags=["events"])

CommunityId = PathId
ChallengeId = PathId
MemberDep = Annotated[CommunityAccess, Depends(require_member(membership))]
OrganiserDep = Annotated[
    CommunityAccess,
    Depends(require_role(membership, roles=ORGANISERS, writes=True)),
]


def _challenge_public(
    challenge: Challenge, viewer: CommunityAccess | None = None
) -> ChallengePublic:
    """The challenge; for a `viewer` who is not staff, `created_by` only when it is theirs."""
    shows_creator = (
        viewer is None
        or viewer.has_role(USER_ID_VIEWERS)
        or viewer.actor.id == challenge.created_by
    )
    return ChallengePublic(
        id=challenge.id,
        community_id=challenge.community_id,
        title=challenge.title,
        days=challenge.days,
        starts_on=challenge.starts_on,
        ends_on=last_day(challenge),
        make_up_cards=challenge.make_up_cards,
        created_by=challenge.created_by if shows_creator else None,
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


@router.get("/communities/{community_id}/challenges")
async def list_challenges(
    community_id: CommunityId, session: ReadSessionDep, page: PageDep, member: MemberDep
) -> Page[ChallengePublic]:
    """A community's 打卡 challenges in creation order (members)."""
    rows = await challenges.list_challenges(
        session=session, community_id=community_id, after_id=page.after_id, limit=page.fetch_limit
    )
    items = [_challenge_public(row, member) for row in rows]
    return Page[ChallengePublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get("/challenges/{challenge_id}")
async def get_challenge(
    challenge_id: ChallengeId, session: ReadSessionDep, actor: ActorDep
) -> ChallengePublic:
    """A 打卡 challenge (members)."""
    challenge, access = await challenges.get_challenge(
        session=session, actor=actor, challenge_id=challenge_id
    )
    return _challenge_public(challenge, access)
