"""HTTP endpoints of the scoring service."""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, status

from services.common.auth import ActorDep
from services.common.events.envelope import utc_now
from services.common.fields import PathId
from services.common.membership import CommunityAccess, require_member
from services.common.service import ReadSessionDep, UnitOfWorkDep
from services.scoring.api.schemas import (
    ActivitiesAccepted,
    ActivityCreate,
    EngagementPublic,
    LeaderboardPublic,
    StandingPublic,
)
from services.scoring.domain import use_cases
from services.scoring.domain.models import Period
from services.scoring.storage.tables import membership

router = APIRouter(tags=["scoring"])

MAX_BATCH = 1000

CommunityId = PathId
MemberId = PathId
MemberDep = Annotated[CommunityAccess, Depends(require_member(membership))]
ActivityBatch = Annotated[list[ActivityCreate], Body(min_length=1, max_length=MAX_BATCH)]


@router.post("/activities", status_code=status.HTTP_202_ACCEPTED)
async def record_activities(
    activity_batch: ActivityBatch, uow: UnitOfWorkDep, actor: ActorDep
) -> ActivitiesAccepted:
    """Accept up to 1000 activities; an id seen before in the same community (or earlier in the
    batch) is a duplicate.

    202: the activities are recorded, and scores follow once the ledger consumes them. Items
    for a community the caller is not an owner or admin of, or naming a member the community
    does not have, are listed in `rejected` (by index) and not recorded; the rest are.
    """
    result = await use_cases.record_activities(uow=uow, actor=actor, activities=activity_batch)
    return ActivitiesAccepted.model_validate(result, from_attributes=True)


@router.get("/communities/{community_id}/leaderboard")
async def get_leaderboard(
    community_id: CommunityId,
    session: ReadSessionDep,
    _member: MemberDep,
    period: Period = Period.ALL,
    limit: Annotated[int, Query(ge=1, le=200)] = 10,
) -> LeaderboardPublic:
    """Top members by score over the current UTC day, ISO week, month, or all time."""
    standings = await use_cases.get_leaderboard(
        session=session, community_id=community_id, period=period, limit=limit, now=utc_now()
    )
    return LeaderboardPublic(
        period=period,
        items=[StandingPublic.model_validate(item, from_attributes=True) for item in standings],
    )


@router.get("/communities/{community_id}/members/{member_id}/engagement")
async def get_engagement(
    community_id: CommunityId, member_id: MemberId, session: ReadSessionDep, _member: MemberDep
) -> EngagementPublic:
    """A member's all-time score, activity count, last activity and all-time rank."""
    engagement = await use_cases.get_engagement(
        session=session, community_id=community_id, member_id=member_id
    )
    return EngagementPublic.model_validate(engagement, from_attributes=True)
