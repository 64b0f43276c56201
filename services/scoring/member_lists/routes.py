"""HTTP endpoints of the member lists (owners and admins)."""

from typing import Annotated

from fastapi import APIRouter, Depends

from services.common.api.deps import PageDep, PathId, ReadSessionDep
from services.common.api.membership import require_role
from services.common.events.envelope import utc_now
from services.common.membership.access import CommunityAccess
from services.common.pagination import Page
from services.scoring.member_lists import service
from services.scoring.member_lists.schemas import ListedMemberPublic
from services.scoring.member_lists.service import ListedMember
from services.scoring.scoring_rules.rules import OPERATORS
from services.scoring.segments.rules import Segment
from services.scoring.tables import membership

router = APIRouter(tags=["scoring"])

OperatorDep = Annotated[CommunityAccess, Depends(require_role(membership, roles=OPERATORS))]


def _page(rows: list[ListedMember], limit: int) -> Page[ListedMemberPublic]:
    items = [ListedMemberPublic.model_validate(row, from_attributes=True) for row in rows]
    return Page[ListedMemberPublic].of(items, limit=limit, id_of=lambda item: item.member_id)


@router.get("/communities/{community_id}/segments/{segment}/members")
async def list_segment_members(
    community_id: PathId,
    segment: Segment,
    session: ReadSessionDep,
    page: PageDep,
    _operator: OperatorDep,
) -> Page[ListedMemberPublic]:
    """The members of a segment (newcomer, core, active, casual, silent, slipping, dormant,
    churned), by member id, paginated, with score, points and last activity (owner, admin)."""
    rows = await service.segment_members(
        session=session,
        community_id=community_id,
        segment=segment,
        after_id=page.after_id,
        limit=page.fetch_limit,
        now=utc_now(),
    )
    return _page(rows, page.limit)


@router.get("/communities/{community_id}/kols")
async def list_kols(
    community_id: PathId, session: ReadSessionDep, page: PageDep, _operator: OperatorDep
) -> Page[ListedMemberPublic]:
    """The community's KOLs (influence from replies and reactions received, approved UGC and
    invites accepted reaching the threshold), by member id, paginated (owner, admin)."""
    rows = await service.kols(
        session=session,
        community_id=community_id,
        after_id=page.after_id,
        limit=page.fetch_limit,
        now=utc_now(),
    )
    return _page(rows, page.limit)
