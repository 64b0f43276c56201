"""HTTP endpoints of the scoring service."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, status

from services.common.api.deps import ActorDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.api.membership import require_member, require_role
from services.common.events.envelope import utc_now
from services.common.membership.access import CommunityAccess
from services.scoring.api.schemas import (
    ActivitiesAccepted,
    ActivityCreate,
    EngagementPublic,
    HealthPublic,
    LeaderboardPublic,
    MetricsPublic,
    PointsChange,
    PointsPublic,
    RulesPublic,
    RulesUpdate,
)
from services.scoring.domain import metrics, use_cases
from services.scoring.domain.models import Granularity, Period
from services.scoring.storage.tables import membership

router = APIRouter(tags=["scoring"])

MAX_BATCH = 1000

CommunityId = PathId
MemberId = PathId
MemberDep = Annotated[CommunityAccess, Depends(require_member(membership))]
OperatorDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=use_cases.OPERATORS))
]
OperatorWriteDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=use_cases.OPERATORS, writes=True))
]
ActivityBatch = Annotated[list[ActivityCreate], Body(min_length=1, max_length=MAX_BATCH)]
TierId = Annotated[str | None, Query(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


@router.post("/activities", status_code=status.HTTP_202_ACCEPTED)
async def record_activities(
    activity_batch: ActivityBatch, uow: UnitOfWorkDep, reads: ReadSessionDep, actor: ActorDep
) -> ActivitiesAccepted:
    """Accept up to 1000 activities; an id seen before in the same community (or earlier in the
    batch) is a duplicate.

    202: the activities are recorded, and scores follow once the ledger consumes them. Items
    for a community the caller is not an owner or admin of (`unknown_community`,
    `not_allowed`), naming a member the community does not have (`unknown_member`,
    `unknown_target_member`), of a type scoring does not know (`unknown_type`) or more than 5
    minutes in the future (`in_future`) are listed in `rejected` (by index) and not recorded;
    the rest are.
    """
    result = await use_cases.record_activities(
        uow=uow, reads=reads, actor=actor, activities=activity_batch
    )
    return ActivitiesAccepted.model_validate(result, from_attributes=True)


@router.get("/communities/{community_id}/leaderboard")
async def get_leaderboard(
    *,
    community_id: CommunityId,
    session: ReadSessionDep,
    access: MemberDep,
    period: Period = Period.ALL,
    tier_id: TierId = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 10,
) -> LeaderboardPublic:
    """Top members by points earned in the current day, ISO week or month of the community's
    timezone, or all time; `tier_id` for one tier's board (points earned while in it). `own`
    is where the caller stands."""
    board = await use_cases.get_leaderboard(
        session=session,
        community_id=community_id,
        period=period,
        tier_id=tier_id,
        limit=limit,
        viewer_member_id=access.member_id,
        now=utc_now(),
    )
    return LeaderboardPublic.model_validate(board, from_attributes=True)


@router.get("/communities/{community_id}/members/{member_id}/engagement")
async def get_engagement(
    community_id: CommunityId, member_id: MemberId, session: ReadSessionDep, _member: MemberDep
) -> EngagementPublic:
    """A member's engagement score (decayed now), points, level, badges, segment, KOL flag,
    rank by engagement, and how the numbers came about (`breakdown`, `decay`)."""
    engagement = await use_cases.get_engagement(
        session=session, community_id=community_id, member_id=member_id, now=utc_now()
    )
    return EngagementPublic.model_validate(engagement, from_attributes=True)


@router.post("/communities/{community_id}/members/{member_id}/points")
async def change_points(
    community_id: CommunityId,
    member_id: MemberId,
    points_change: PointsChange,
    uow: UnitOfWorkDep,
    access: OperatorWriteDep,
) -> PointsPublic:
    """Award (`delta` > 0) or redeem (`delta` < 0) points (owner, admin); a balance never goes
    below 0 (409 `insufficient-points`). Emits `points.changed`."""
    balance, level = await use_cases.change_points(
        uow=uow,
        actor=access.actor,
        community_id=community_id,
        member_id=member_id,
        points_change=points_change,
    )
    return PointsPublic(community_id=community_id, member_id=member_id, points=balance, level=level)


@router.get("/communities/{community_id}/scoring-rules")
async def get_scoring_rules(
    community_id: CommunityId, session: ReadSessionDep, _member: MemberDep
) -> RulesPublic:
    """The community's rules in force, defaults spelled out."""
    found = await use_cases.get_rules(session=session, community_id=community_id)
    return RulesPublic.model_validate(found, from_attributes=True)


@router.put("/communities/{community_id}/scoring-rules")
async def put_scoring_rules(
    community_id: CommunityId,
    rules_update: RulesUpdate,
    uow: UnitOfWorkDep,
    _operator: OperatorWriteDep,
) -> RulesPublic:
    """Replace the rules (owner, admin). They apply to activities posted from now on; past
    points stay as they were credited. A new half-life leaves every score as it is now and
    changes how fast it decays from here."""
    saved = await use_cases.replace_rules(
        uow=uow, community_id=community_id, rules_update=rules_update
    )
    return RulesPublic.model_validate(saved, from_attributes=True)


@router.get("/communities/{community_id}/metrics")
async def get_metrics(
    community_id: CommunityId,
    session: ReadSessionDep,
    _operator: OperatorDep,
    from_day: Annotated[date | None, Query(alias="from")] = None,
    to_day: Annotated[date | None, Query(alias="to")] = None,
    granularity: Granularity = Granularity.DAY,
) -> MetricsPublic:
    """KPI series over local days `from`..`to` (inclusive; default the last 28 days), by day or
    ISO week, plus week-N retention cohorts (owner, admin). Formulas: see the README."""
    found = await metrics.get_metrics(
        session=session,
        community_id=community_id,
        from_day=from_day,
        to_day=to_day,
        granularity=granularity,
        now=utc_now(),
    )
    return MetricsPublic.model_validate(found, from_attributes=True)


@router.get("/communities/{community_id}/health")
async def get_health(
    community_id: CommunityId, session: ReadSessionDep, _operator: OperatorDep
) -> HealthPublic:
    """The lifecycle stage (growing, mature, declining) from the trend, and the alerts raised
    (owner, admin)."""
    found = await metrics.get_health(session=session, community_id=community_id, now=utc_now())
    return HealthPublic.model_validate(found, from_attributes=True)
