"""HTTP endpoints of badge rules and bulk awards (owners and admins; members read rules)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from services.common.api.deps import PathId, ReadSessionDep, UnitOfWorkDep
from services.common.api.membership import require_member, require_role
from services.common.membership.access import CommunityAccess
from services.scoring.badge_rules import service
from services.scoring.badge_rules.schemas import (
    BadgeRuleCreate,
    BadgeRuleList,
    BadgeRulePublic,
    BulkAwardCreate,
    BulkAwardPublic,
)
from services.scoring.scoring_rules.rules import OPERATORS
from services.scoring.tables import membership

router = APIRouter(tags=["scoring"])

CommunityId = PathId
BadgeId = PathId
RuleId = PathId
MemberDep = Annotated[CommunityAccess, Depends(require_member(membership))]
OperatorWriteDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=OPERATORS, writes=True))
]


@router.post("/communities/{community_id}/badges/{badge_id}/bulk-awards")
async def bulk_award(
    community_id: CommunityId,
    badge_id: BadgeId,
    bulk_create: BulkAwardCreate,
    uow: UnitOfWorkDep,
    access: OperatorWriteDep,
) -> BulkAwardPublic:
    """Award a defined badge to every attendee (`pool: attendees`, the default) or registrant
    of an event in one call (owner, admin). Idempotent: members holding it are skipped;
    `awarded` and `skipped` count them. 422 naming `event_id` for an event of another
    community or one nobody of this community attended (registered for). Emits one
    `badge.awarded` per member awarded."""
    return await service.bulk_award(
        uow=uow, access=access, badge_id=badge_id, bulk_create=bulk_create
    )


@router.post(
    "/communities/{community_id}/badges/{badge_id}/rules", status_code=status.HTTP_201_CREATED
)
async def create_badge_rule(
    community_id: CommunityId,
    badge_id: BadgeId,
    rule_create: BadgeRuleCreate,
    uow: UnitOfWorkDep,
    access: OperatorWriteDep,
) -> BadgeRulePublic:
    """Award a defined badge by a rule (owner, admin): `activity_count` (N activities of a
    type), `streak` (a 打卡 streak of N days), `level` (L) or `points` (P earned). Evaluated at
    once over the members (`awarded` says how many got it) and then as activities are
    posted. Emits `badge.awarded` for each award."""
    return await service.create_rule(
        uow=uow, access=access, badge_id=badge_id, rule_create=rule_create
    )


@router.get("/communities/{community_id}/badges/{badge_id}/rules")
async def list_badge_rules(
    community_id: CommunityId, badge_id: BadgeId, session: ReadSessionDep, _member: MemberDep
) -> BadgeRuleList:
    """A defined badge's rules, oldest first: what earns it."""
    return BadgeRuleList(
        items=await service.list_rules(
            session=session, community_id=community_id, badge_id=badge_id
        )
    )


@router.get("/communities/{community_id}/badges/{badge_id}/rules/{rule_id}")
async def get_badge_rule(
    community_id: CommunityId,
    badge_id: BadgeId,
    rule_id: RuleId,
    session: ReadSessionDep,
    _member: MemberDep,
) -> BadgeRulePublic:
    return await service.get_rule(
        session=session, community_id=community_id, badge_id=badge_id, rule_id=rule_id
    )


@router.delete(
    "/communities/{community_id}/badges/{badge_id}/rules/{rule_id}",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def delete_badge_rule(
    community_id: CommunityId,
    badge_id: BadgeId,
    rule_id: RuleId,
    uow: UnitOfWorkDep,
    _operator: OperatorWriteDep,
) -> Response:
    """Stop a rule awarding (owner, admin); badges it gave stay."""
    await service.delete_rule(
        uow=uow, community_id=community_id, badge_id=badge_id, rule_id=rule_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
