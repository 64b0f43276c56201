"""HTTP endpoints of badges: the community's list, badges operators define, awards by hand."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from services.common.api.deps import PathId, ReadSessionDep, UnitOfWorkDep
from services.common.api.membership import require_member, require_role
from services.common.membership.access import CommunityAccess
from services.scoring.badges import service
from services.scoring.badges.schemas import BadgeAwardPublic, BadgeCreate, BadgeList, BadgePublic
from services.scoring.scoring_rules.rules import OPERATORS
from services.scoring.tables import membership

router = APIRouter(tags=["scoring"])

CommunityId = PathId
MemberId = PathId
BadgeId = PathId
MemberDep = Annotated[CommunityAccess, Depends(require_member(membership))]
OperatorWriteDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=OPERATORS, writes=True))
]


@router.post("/communities/{community_id}/badges", status_code=status.HTTP_201_CREATED)
async def define_badge(
    community_id: CommunityId,
    badge_create: BadgeCreate,
    uow: UnitOfWorkDep,
    access: OperatorWriteDep,
) -> BadgePublic:
    """Define a badge (owner, admin), awarded by hand."""
    return await service.define_badge(
        uow=uow, community_id=community_id, actor=access.actor, badge_create=badge_create
    )


@router.get("/communities/{community_id}/badges")
async def list_badges(
    community_id: CommunityId, session: ReadSessionDep, _member: MemberDep
) -> BadgeList:
    """The built-in badges, then those the community defined (oldest first)."""
    return BadgeList(items=await service.list_badges(session=session, community_id=community_id))


@router.put("/communities/{community_id}/members/{member_id}/badges/{badge_id}")
async def award_badge(
    community_id: CommunityId,
    member_id: MemberId,
    badge_id: BadgeId,
    uow: UnitOfWorkDep,
    access: OperatorWriteDep,
) -> BadgeAwardPublic:
    """Award a defined badge by hand (owner, admin); once per member. A built-in badge is
    earned by its rule only (409 `badge-built-in`). Emits `badge.awarded`."""
    return await service.award_badge(
        uow=uow, community_id=community_id, member_id=member_id, badge=badge_id, actor=access.actor
    )


@router.delete(
    "/communities/{community_id}/members/{member_id}/badges/{badge_id}",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def revoke_badge(
    community_id: CommunityId,
    member_id: MemberId,
    badge_id: BadgeId,
    uow: UnitOfWorkDep,
    access: OperatorWriteDep,
) -> Response:
    """Revoke a badge, built-in or defined (owner, admin; 404 `badge-award-not-found`). Emits
    `badge.revoked`."""
    await service.revoke_badge(
        uow=uow, community_id=community_id, member_id=member_id, badge=badge_id, actor=access.actor
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
