"""HTTP endpoints of coupon batches (owners and admins only: the codes are what members
collect with)."""

from typing import Annotated

from fastapi import APIRouter, Depends, status

from services.common.api.deps import PathId, ReadSessionDep, UnitOfWorkDep
from services.common.api.membership import require_role
from services.common.membership.access import CommunityAccess
from services.scoring.coupons import service
from services.scoring.coupons.schemas import (
    CouponBatchCreate,
    CouponBatchList,
    CouponBatchPublic,
)
from services.scoring.scoring_rules.rules import OPERATORS
from services.scoring.tables import membership

router = APIRouter(tags=["scoring"])

CommunityId = PathId
RewardId = PathId
BatchId = PathId
OperatorDep = Annotated[CommunityAccess, Depends(require_role(membership, roles=OPERATORS))]
OperatorWriteDep = Annotated[
    CommunityAccess, Depends(require_role(membership, roles=OPERATORS, writes=True))
]


@router.post(
    "/communities/{community_id}/rewards/{reward_id}/coupon-batches",
    status_code=status.HTTP_201_CREATED,
)
async def add_coupon_batch(
    community_id: CommunityId,
    reward_id: RewardId,
    batch_create: CouponBatchCreate,
    uow: UnitOfWorkDep,
    access: OperatorWriteDep,
) -> CouponBatchPublic:
    """Add coupon codes to a reward (owner, admin): `codes` imported (duplicates skipped and
    counted in `skipped`) or `generate` N new unique codes. The reward becomes coupon-backed:
    each redemption hands out one free code (`coupon_code`), and its stock is the codes left.
    409 `reward-has-plain-stock` for a reward with a stock counted by hand."""
    return await service.add_batch(
        uow=uow, access=access, reward_id=reward_id, batch_create=batch_create
    )


@router.get("/communities/{community_id}/rewards/{reward_id}/coupon-batches")
async def list_coupon_batches(
    community_id: CommunityId, reward_id: RewardId, session: ReadSessionDep, _op: OperatorDep
) -> CouponBatchList:
    """A reward's coupon batches with their codes and who took each (owner, admin)."""
    return CouponBatchList(
        items=await service.list_batches(
            session=session, community_id=community_id, reward_id=reward_id
        )
    )


@router.get("/communities/{community_id}/rewards/{reward_id}/coupon-batches/{batch_id}")
async def get_coupon_batch(
    community_id: CommunityId,
    reward_id: RewardId,
    batch_id: BatchId,
    session: ReadSessionDep,
    _op: OperatorDep,
) -> CouponBatchPublic:
    return await service.get_batch(
        session=session, community_id=community_id, reward_id=reward_id, batch_id=batch_id
    )
