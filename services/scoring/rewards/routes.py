"""HTTP endpoints of the points mall (积分商城)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from services.common.api.deps import PageDep, PathId, ReadSessionDep, UnitOfWorkDep
from services.common.api.membership import require_member, require_role
from services.common.membership.access import CommunityAccess
from services.common.pagination import Page
from services.scoring.rewards import service
from services.scoring.rewards.schemas import (
    RedemptionCancel,
    RedemptionCreate,
    RedemptionPublic,
    RewardCreate,
    RewardPublic,
    RewardUpdate,
)
from services.scoring.scoring_rules.rules import OPERATORS
from services.scoring.tables import membership

router = APIRouter(tags=["scoring"])

CommunityId = PathId
RewardId = PathId
RedemptionId = PathId
MemberId = PathId
MemberDep = Annotated[CommunityAccess, Depends(require_member(membership))]
MemberWriteDep = Annotated[CommunityAccess, Depends(require_member(membership, writes=True))]
OperatorWriteDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=OPERATORS, writes=True))
]


@router.post("/communities/{community_id}/rewards", status_code=status.HTTP_201_CREATED)
async def create_reward(
    community_id: CommunityId,
    reward_create: RewardCreate,
    uow: UnitOfWorkDep,
    access: OperatorWriteDep,
) -> RewardPublic:
    """Put a reward in the points mall (owner, admin)."""
    return await service.create_reward(uow=uow, access=access, reward_create=reward_create)


@router.get("/communities/{community_id}/rewards")
async def list_rewards(
    community_id: CommunityId,
    session: ReadSessionDep,
    access: MemberDep,
    page: PageDep,
    include_withdrawn: Annotated[
        bool, Query(description="Withdrawn rewards too (owner, admin; ignored for others).")
    ] = False,
) -> Page[RewardPublic]:
    """The community's rewards, oldest first; withdrawn ones only to staff who ask."""
    items = await service.list_rewards(
        session=session,
        community_id=community_id,
        include_withdrawn=include_withdrawn and access.has_role(OPERATORS),
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    return Page[RewardPublic].of(items, limit=page.limit, id_of=lambda item: item.id)


@router.get("/communities/{community_id}/rewards/{reward_id}")
async def get_reward(
    community_id: CommunityId, reward_id: RewardId, session: ReadSessionDep, _member: MemberDep
) -> RewardPublic:
    return await service.get_reward(session=session, community_id=community_id, reward_id=reward_id)


@router.patch("/communities/{community_id}/rewards/{reward_id}")
async def update_reward(
    community_id: CommunityId,
    reward_id: RewardId,
    reward_update: RewardUpdate,
    uow: UnitOfWorkDep,
    _operator: OperatorWriteDep,
) -> RewardPublic:
    """Change a reward's terms (owner, admin); `stock` is what is left from now on. Past
    redemptions keep their price."""
    return await service.update_reward(
        uow=uow, community_id=community_id, reward_id=reward_id, reward_update=reward_update
    )


@router.delete(
    "/communities/{community_id}/rewards/{reward_id}", status_code=status.HTTP_204_NO_CONTENT
)
async def withdraw_reward(
    community_id: CommunityId, reward_id: RewardId, uow: UnitOfWorkDep, _operator: OperatorWriteDep
) -> Response:
    """Withdraw a reward (owner, admin): no more redemptions; those made stay valid."""
    await service.withdraw_reward(uow=uow, community_id=community_id, reward_id=reward_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/communities/{community_id}/rewards/{reward_id}/redemptions",
    status_code=status.HTTP_201_CREATED,
)
async def redeem_reward(
    community_id: CommunityId,
    reward_id: RewardId,
    uow: UnitOfWorkDep,
    access: MemberWriteDep,
    redemption_create: RedemptionCreate | None = None,
) -> RedemptionPublic:
    """Spend points on a reward: its price off the balance and one item off the stock, in one
    transaction, and a unique `code`. 409 naming what is short (`insufficient-points`,
    `reward-out-of-stock`, `reward-limit-reached`), outside the window
    (`reward-not-available`, `field` starts_at or ends_at) or withdrawn; 403
    `reward-tier-restricted` for a member outside the reward's tier. Nothing is debited then.
    Emits `points.changed` and `reward.redeemed`."""
    return await service.redeem(
        uow=uow,
        access=access,
        reward_id=reward_id,
        member_id=redemption_create.member_id if redemption_create else None,
    )


@router.post("/communities/{community_id}/redemptions/{redemption_id}/cancel")
async def cancel_redemption(
    community_id: CommunityId,
    redemption_id: RedemptionId,
    redemption_cancel: RedemptionCancel,
    uow: UnitOfWorkDep,
    access: OperatorWriteDep,
) -> RedemptionPublic:
    """Cancel a redemption (owner, admin): points and stock come back (409
    `redemption-cancelled` the second time). Emits `points.changed` and `reward.cancelled`."""
    return await service.cancel(
        uow=uow, access=access, redemption_id=redemption_id, redemption_cancel=redemption_cancel
    )


@router.get("/communities/{community_id}/members/{member_id}/redemptions")
async def list_member_redemptions(
    community_id: CommunityId,
    member_id: MemberId,
    session: ReadSessionDep,
    access: MemberDep,
    page: PageDep,
) -> Page[RedemptionPublic]:
    """A member's redemptions, oldest first: to the member and to owners and admins."""
    items = await service.member_redemptions(
        session=session,
        access=access,
        member_id=member_id,
        after_id=page.after_id,
        limit=page.fetch_limit,
    )
    return Page[RedemptionPublic].of(items, limit=page.limit, id_of=lambda item: item.id)
