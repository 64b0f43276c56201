"""HTTP endpoints of community metrics and health."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.common.api.deps import PathId, ReadSessionDep
from services.common.api.membership import require_role
from services.common.events.envelope import utc_now
from services.common.membership.access import CommunityAccess
from services.scoring.metrics import service
from services.scoring.metrics.rules import Granularity
from services.scoring.metrics.schemas import HealthPublic, MetricsPublic
from services.scoring.scoring_rules.rules import PARTICIPATION_READERS
from services.scoring.tables import membership

router = APIRouter(tags=["scoring"])

CommunityId = PathId
ReaderDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=PARTICIPATION_READERS))
]


@router.get("/communities/{community_id}/metrics")
async def get_metrics(
    community_id: CommunityId,
    session: ReadSessionDep,
    _reader: ReaderDep,
    from_day: Annotated[date | None, Query(alias="from")] = None,
    to_day: Annotated[date | None, Query(alias="to")] = None,
    granularity: Granularity = Granularity.DAY,
) -> MetricsPublic:
    """KPI series over local days `from`..`to` (inclusive; default the last 28 days), by day or
    ISO week or calendar month, with raw counts beside the ratios, plus week-N retention cohorts
    (owner, admin, enforcer). Formulas: docs/scoring.md."""
    found = await service.get_metrics(
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
    community_id: CommunityId, session: ReadSessionDep, _reader: ReaderDep
) -> HealthPublic:
    """The lifecycle stage (growing, mature, declining) from the trend, and the alerts raised
    (owner, admin, enforcer)."""
    found = await service.get_health(session=session, community_id=community_id, now=utc_now())
    return HealthPublic.model_validate(found, from_attributes=True)
