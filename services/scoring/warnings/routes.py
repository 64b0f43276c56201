"""HTTP endpoints of a community's early-warning thresholds."""

from typing import Annotated

from fastapi import APIRouter, Depends

from services.common.api.deps import PathId, ReadSessionDep, UnitOfWorkDep
from services.common.api.membership import require_role
from services.common.membership.access import CommunityAccess
from services.scoring.scoring_rules.rules import OPERATORS, PARTICIPATION_READERS
from services.scoring.tables import membership
from services.scoring.warnings import service
from services.scoring.warnings.schemas import WarningThresholdsBody, WarningThresholdsPublic

router = APIRouter(tags=["scoring"])

ReaderDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=PARTICIPATION_READERS))
]
OperatorWriteDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=OPERATORS, writes=True))
]


@router.get("/communities/{community_id}/warning-thresholds")
async def get_warning_thresholds(
    community_id: PathId, session: ReadSessionDep, _reader: ReaderDep
) -> WarningThresholdsPublic:
    """When joins, departures, reports or sanctions in an hour raise an early warning (owner,
    admin, enforcer): the count at least, and that many times the usual hour."""
    return await service.get_thresholds(session=session, community_id=community_id)


@router.put("/communities/{community_id}/warning-thresholds")
async def put_warning_thresholds(
    community_id: PathId,
    body: WarningThresholdsBody,
    uow: UnitOfWorkDep,
    _operator: OperatorWriteDep,
) -> WarningThresholdsPublic:
    """Replace the community's thresholds (owner, admin); signals left out take the defaults."""
    return await service.set_thresholds(uow=uow, community_id=community_id, body=body)
