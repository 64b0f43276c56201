"""HTTP endpoint of points."""

from typing import Annotated

from fastapi import APIRouter, Depends

from services.common.api.deps import PathId, UnitOfWorkDep
from services.common.api.membership import require_role
from services.common.membership.access import CommunityAccess
from services.scoring.points import service
from services.scoring.points.schemas import PointsChange, PointsPublic
from services.scoring.scoring_rules.rules import OPERATORS
from services.scoring.tables import membership

router = APIRouter(tags=["scoring"])

CommunityId = PathId
MemberId = PathId
OperatorWriteDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=OPERATORS, writes=True))
]


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
    balance, level = await service.change_points(
        uow=uow,
        actor=access.actor,
        community_id=community_id,
        member_id=member_id,
        points_change=points_change,
    )
    return PointsPublic(community_id=community_id, member_id=member_id, points=balance, level=level)
