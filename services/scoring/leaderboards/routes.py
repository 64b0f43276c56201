"""HTTP endpoint of the leaderboards."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.common.api.deps import PathId, ReadSessionDep
from services.common.api.membership import require_member
from services.common.events.envelope import utc_now
from services.common.membership.access import CommunityAccess
from services.scoring.leaderboards import service
from services.scoring.leaderboards.schemas import LeaderboardPublic
from services.scoring.periods.rules import Period
from services.scoring.tables import membership

router = APIRouter(tags=["scoring"])

CommunityId = PathId
MemberId = PathId
MemberDep = Annotated[CommunityAccess, Depends(require_member(membership))]
TierId = Annotated[str | None, Query(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


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
    board = await service.get_leaderboard(
        session=session,
        community_id=community_id,
        period=period,
        tier_id=tier_id,
        limit=limit,
        viewer_member_id=access.member_id,
        now=utc_now(),
        timezone_name=access.timezone,
    )
    return LeaderboardPublic.model_validate(board, from_attributes=True)
