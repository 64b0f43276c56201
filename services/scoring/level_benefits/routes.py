"""HTTP endpoints of levels and their benefits."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from services.common.api.deps import PathId, ReadSessionDep, UnitOfWorkDep
from services.common.api.membership import require_member, require_role
from services.common.membership.access import CommunityAccess
from services.scoring.level_benefits import service
from services.scoring.level_benefits.schemas import BenefitsUpdate, LevelList, LevelPublic
from services.scoring.scoring_rules.rules import OPERATORS
from services.scoring.tables import membership

router = APIRouter(tags=["scoring"])

CommunityId = PathId
Level = Annotated[int, Path(ge=1, le=1000, description="A level, 1 to 10.")]
MemberDep = Annotated[CommunityAccess, Depends(require_member(membership))]
OperatorWriteDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=OPERATORS, writes=True))
]


@router.get("/communities/{community_id}/levels")
async def list_levels(
    community_id: CommunityId, session: ReadSessionDep, _member: MemberDep
) -> LevelList:
    """The levels: the points earned that reach each, and its benefits (福利)."""
    return LevelList(items=await service.list_levels(session=session, community_id=community_id))


@router.get("/communities/{community_id}/levels/{level}")
async def get_level(
    community_id: CommunityId, level: Level, session: ReadSessionDep, _member: MemberDep
) -> LevelPublic:
    return await service.get_level(session=session, community_id=community_id, level=level)


@router.put("/communities/{community_id}/levels/{level}/benefits")
async def set_level_benefits(
    community_id: CommunityId,
    level: Level,
    benefits_update: BenefitsUpdate,
    uow: UnitOfWorkDep,
    access: OperatorWriteDep,
) -> LevelPublic:
    """Describe what members of a level get (owner, admin): the whole list, up to 20
    `{title, description}`. 422 naming `level` outside 1 to 10. Emits
    `level.benefits_changed`; a member's standing (members service) shows their level's."""
    return await service.set_benefits(
        uow=uow, access=access, level=level, benefits_update=benefits_update
    )
