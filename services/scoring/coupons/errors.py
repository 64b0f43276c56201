"""What coupon batches answer to what they refuse; each names the field at fault."""

from services.common.errors import Conflict, NotFound


class CouponBatchNotFound(NotFound):
    slug = "coupon-batch-not-found"

    def __init__(self, batch_id: str) -> None:
        super().__init__(f"No coupon batch {batch_id!r} for this reward.", batch_id=batch_id)


class RewardHasPlainStock(Conflict):
    """A reward counted by hand cannot become coupon-backed: its stock would mean two things."""

    slug = "reward-has-plain-stock"

    def __init__(self, reward_id: str) -> None:
        super().__init__(
            f"Reward {reward_id!r} has a stock counted by hand or redemptions already; "
            "coupons go on a new reward with stock 0.",
            reward_id=reward_id,
            field="stock",
        )


class RewardStockIsCoupons(Conflict):
    slug = "reward-stock-is-coupons"

    def __init__(self, reward_id: str) -> None:
        super().__init__(
            f"Reward {reward_id!r} is coupon-backed: its stock is the codes left; add a batch.",
            reward_id=reward_id,
            field="stock",
        )
