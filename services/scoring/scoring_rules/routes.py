"""HTTP endpoints of a community's scoring rules."""

from typing import Annotated

from fastapi import APIRouter, Depends

from services.common.api.deps import PathId, ReadSessionDep, UnitOfWorkDep
from services.common.api.membership import require_member, require_role
from services.common.membership.access import CommunityAccess
from services.scoring.scoring_rules import service
from services.scoring.scoring_rules.rules import OPERATORS
from services.scoring.scoring_rules.schemas import RulesPublic, RulesUpdate
from services.scoring.tables import membership

router = APIRouter(tags=["scoring"])

CommunityId = PathId
MemberId = PathId
MemberDep = Annotated[CommunityAccess, Depends(require_member(membership))]
OperatorWriteDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=OPERATORS, writes=True))
]


@router.get("/communities/{community_id}/scoring-rules")
async def get_scoring_rules(
    community_id: CommunityId, session: ReadSessionDep, _member: MemberDep
) -> RulesPublic:
    """The community's rules in force, defaults spelled out."""
    found = await service.get_rules(session=session, community_id=community_id)
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
    saved = await service.replace_rules(
        uow=uow, community_id=community_id, rules_update=rules_update
    )
    return RulesPublic.model_validate(saved, from_attributes=True)
