"""HTTP endpoints of win-back campaigns (owners and admins)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from services.common.api.deps import PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.api.membership import require_role
from services.common.membership.access import CommunityAccess
from services.common.pagination import Page
from services.scoring.nudges import service
from services.scoring.nudges.schemas import (
    CampaignCreate,
    CampaignPublic,
    CampaignReport,
    RecipientPublic,
)
from services.scoring.scoring_rules.rules import OPERATORS
from services.scoring.tables import membership

router = APIRouter(tags=["scoring"])

CommunityId = PathId
CampaignId = PathId
OperatorDep = Annotated[CommunityAccess, Depends(require_role(membership, roles=OPERATORS))]
OperatorWriteDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=OPERATORS, writes=True))
]
_CAMPAIGNS = "/communities/{community_id}/nudge-campaigns"
_CAMPAIGN = _CAMPAIGNS + "/{campaign_id}"


@router.post(_CAMPAIGNS, status_code=status.HTTP_201_CREATED)
async def create_nudge_campaign(
    community_id: CommunityId,
    campaign_create: CampaignCreate,
    uow: UnitOfWorkDep,
    access: OperatorWriteDep,
) -> CampaignPublic:
    """A win-back campaign (owner, admin) at exactly one of a `segment`, a `tier_id` of this
    community (another's: 422 `unknown-tier`) or a `tag`, with a message `template`
    (placeholders {name}, {community}, {days_inactive}; any other: 422
    `unknown-placeholder`). A draft, or scheduled with `run_at`."""
    return await service.create_campaign(uow=uow, access=access, campaign_create=campaign_create)


@router.get(_CAMPAIGNS)
async def list_nudge_campaigns(
    community_id: CommunityId, session: ReadSessionDep, page: PageDep, _operator: OperatorDep
) -> Page[CampaignPublic]:
    """The community's campaigns, oldest first."""
    items = await service.list_campaigns(
        session=session, community_id=community_id, after_id=page.after_id, limit=page.fetch_limit
    )
    return Page[CampaignPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get(_CAMPAIGN)
async def get_nudge_campaign(
    community_id: CommunityId,
    campaign_id: CampaignId,
    session: ReadSessionDep,
    _operator: OperatorDep,
) -> CampaignPublic:
    return await service.get_campaign(
        session=session, community_id=community_id, campaign_id=campaign_id
    )


@router.delete(_CAMPAIGN, status_code=status.HTTP_204_NO_CONTENT)
async def cancel_nudge_campaign(
    community_id: CommunityId,
    campaign_id: CampaignId,
    uow: UnitOfWorkDep,
    _operator: OperatorWriteDep,
) -> Response:
    """Cancel a draft or scheduled campaign (409 `campaign-not-runnable` once it ran)."""
    await service.cancel_campaign(uow=uow, community_id=community_id, campaign_id=campaign_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(f"{_CAMPAIGN}/run")
async def run_nudge_campaign(
    community_id: CommunityId,
    campaign_id: CampaignId,
    uow: UnitOfWorkDep,
    _operator: OperatorWriteDep,
) -> CampaignPublic:
    """Run a draft or scheduled campaign now, once (409 `campaign-not-runnable` after): each
    targeted member outside the holdout and the frequency cap gets a `nudge.due`."""
    return await service.run_campaign(uow=uow, community_id=community_id, campaign_id=campaign_id)


@router.get(f"{_CAMPAIGN}/recipients")
async def list_nudge_recipients(
    community_id: CommunityId,
    campaign_id: CampaignId,
    session: ReadSessionDep,
    page: PageDep,
    _operator: OperatorDep,
) -> Page[RecipientPublic]:
    """Whom the run targeted and in which arm (nudged, holdout, capped), by member id."""
    items = await service.recipients(
        session=session,
        community_id=community_id,
        campaign_id=campaign_id,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    return Page[RecipientPublic].of(items, limit=page.limit, id_of=lambda item: item.member_id)


@router.get(f"{_CAMPAIGN}/report")
async def get_nudge_report(
    community_id: CommunityId,
    campaign_id: CampaignId,
    session: ReadSessionDep,
    _operator: OperatorDep,
) -> CampaignReport:
    """The share of members active again within 7 days of the run, nudged against holdout,
    with counts, the difference, a p-value, and whether it means anything yet."""
    return await service.report(session=session, community_id=community_id, campaign_id=campaign_id)
