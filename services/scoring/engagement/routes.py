"""HTTP endpoint of a member's engagement."""

from typing import Annotated

from fastapi import APIRouter, Depends

from services.common.api.deps import PathId, ReadSessionDep
from services.common.api.membership import require_member
from services.common.events.envelope import utc_now
from services.common.membership.access import CommunityAccess
from services.scoring.engagement import service
from services.scoring.engagement.schemas import EngagementPublic
from services.scoring.tables import membership

router = APIRouter(tags=["scoring"])

CommunityId = PathId
MemberId = PathId
MemberDep = Annotated[CommunityAccess, Depends(require_member(membership))]


@router.get("/communities/{community_id}/members/{member_id}/engagement")
async def get_engagement(
    community_id: CommunityId, member_id: MemberId, session: ReadSessionDep, _member: MemberDep
) -> EngagementPublic:
    """A member's engagement score (decayed now), points, level, badges, segment, KOL flag,
    rank by engagement, and how the numbers came about (`breakdown`, `decay`)."""
    engagement = await service.get_engagement(
        session=session, community_id=community_id, member_id=member_id, now=utc_now()
    )
    return EngagementPublic.model_validate(engagement, from_attributes=True)
