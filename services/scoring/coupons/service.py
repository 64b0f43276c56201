"""Coupon batches: operators add codes to a reward (imported or generated); each redemption of
a coupon-backed reward takes one free code (services.scoring.rewards.service.redeem), and the
reward's stock is the codes left."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import InvalidInput
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.access import CommunityAccess
from services.common.unit_of_work import UnitOfWork
from services.scoring.coupons import repository, rules
from services.scoring.coupons.errors import CouponBatchNotFound, RewardHasPlainStock
from services.scoring.coupons.schemas import CouponBatchCreate, CouponBatchPublic, CouponPublic
from services.scoring.rewards import repository as rewards_repository
from services.scoring.rewards.errors import RewardNotFound, RewardWithdrawn
from services.scoring.rewards.rules import WITHDRAWN


async def _reward(session: AsyncSession, community_id: str, reward_id: str) -> Mapping[Any, Any]:
    found = await rewards_repository.get_reward(
        session, community_id=community_id, reward_id=reward_id
    )
    if found is None:
        raise RewardNotFound(reward_id)
    return found


async def add_batch(
    *, uow: UnitOfWork, access: CommunityAccess, reward_id: str, batch_create: CouponBatchCreate
) -> CouponBatchPublic:
    """Add a batch of codes to a reward; the reward becomes coupon-backed and its stock grows
    by the codes added. A reward with a stock counted by hand is refused (409, `stock`)."""
    session, now = uow.session, utc_now()
    if (batch_create.codes is None) == (batch_create.generate is None):
        raise InvalidInput("Give either codes (to import) or generate (a count).", field="codes")
    reward = await _reward(session, access.community_id, reward_id)
    if reward["status"] == WITHDRAWN:
        raise RewardWithdrawn(reward_id)
    if batch_create.codes is not None:
        source = rules.IMPORTED
        taken = await repository.codes_taken(session, reward_id=reward_id, codes=batch_create.codes)
        codes, skipped = rules.unique_codes(batch_create.codes, taken)
    else:
        assert batch_create.generate is not None
        source, skipped = rules.GENERATED, 0
        codes = rules.generated_codes(batch_create.generate)
        # Generated codes are 60 random bits: one the reward holds is drawn again.
        taken = await repository.codes_taken(session, reward_id=reward_id, codes=codes)
        if taken:
            kept = [code for code in codes if code not in taken]
            codes = kept + rules.generated_codes(len(codes) - len(kept), taken | set(kept))
    if not await repository.make_coupon_backed(session, reward_id=reward_id, added=len(codes)):
        raise RewardHasPlainStock(reward_id)
    batch_id = new_id("cpb")
    values = {
        "id": batch_id,
        "community_id": access.community_id,
        "reward_id": reward_id,
        "source": source,
        "count": len(codes),
        "skipped": skipped,
        "created_by": access.actor.id,
        "created_at": now,
    }
    await repository.add_batch(session, values)
    await repository.add_coupons(
        session,
        [
            {
                "id": f"{batch_id}{position:05d}",
                "reward_id": reward_id,
                "batch_id": batch_id,
                "code": code,
                "redemption_id": None,
                "issued_at": None,
            }
            for position, code in enumerate(codes)
        ],
    )
    return CouponBatchPublic.model_validate(
        {
            **values,
            "issued": 0,
            "codes": [
                CouponPublic(code=code, redemption_id=None, issued_at=None) for code in codes
            ],
        }
    )


async def _public(session: AsyncSession, row: Mapping[Any, Any]) -> CouponBatchPublic:
    codes = await repository.batch_codes(session, batch_id=row["id"])
    return CouponBatchPublic.model_validate(
        {
            **row,
            "issued": sum(1 for code in codes if code["redemption_id"] is not None),
            "codes": [CouponPublic.model_validate(dict(code)) for code in codes],
        }
    )


async def get_batch(
    *, session: AsyncSession, community_id: str, reward_id: str, batch_id: str
) -> CouponBatchPublic:
    await _reward(session, community_id, reward_id)
    row = await repository.get_batch(
        session, community_id=community_id, reward_id=reward_id, batch_id=batch_id
    )
    if row is None:
        raise CouponBatchNotFound(batch_id)
    return await _public(session, row)


async def list_batches(
    *, session: AsyncSession, community_id: str, reward_id: str
) -> list[CouponBatchPublic]:
    await _reward(session, community_id, reward_id)
    rows = await repository.list_batches(session, community_id=community_id, reward_id=reward_id)
    return [await _public(session, row) for row in rows]
