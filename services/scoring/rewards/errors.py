"""What the points mall answers to a redemption it refuses; each names the field at fault."""

from services.common.errors import Conflict, Forbidden, NotFound


class RewardNotFound(NotFound):
    slug = "reward-not-found"

    def __init__(self, reward_id: str) -> None:
        super().__init__(f"No reward {reward_id!r} in this community.", reward_id=reward_id)


class RedemptionNotFound(NotFound):
    slug = "redemption-not-found"

    def __init__(self, redemption_id: str) -> None:
        super().__init__(
            f"No redemption {redemption_id!r} in this community.", redemption_id=redemption_id
        )


class RewardWithdrawn(Conflict):
    slug = "reward-withdrawn"

    def __init__(self, reward_id: str) -> None:
        super().__init__(
            f"Reward {reward_id!r} was withdrawn.", reward_id=reward_id, field="status"
        )


class RewardOutOfStock(Conflict):
    slug = "reward-out-of-stock"

    def __init__(self, reward_id: str) -> None:
        super().__init__(
            f"Reward {reward_id!r} has no stock left; nothing was debited.",
            reward_id=reward_id,
            field="stock",
        )


class RewardLimitReached(Conflict):
    slug = "reward-limit-reached"

    def __init__(self, reward_id: str, limit: int) -> None:
        super().__init__(
            f"A member may hold {limit} of reward {reward_id!r}; nothing was debited.",
            reward_id=reward_id,
            per_member_limit=limit,
            field="per_member_limit",
        )


class RewardNotAvailable(Conflict):
    """Outside the reward's window: `field` says which end (starts_at: not yet open)."""

    slug = "reward-not-available"

    def __init__(self, reward_id: str, field: str) -> None:
        when = "is not open yet" if field == "starts_at" else "has closed"
        super().__init__(
            f"Reward {reward_id!r} {when}; nothing was debited.", reward_id=reward_id, field=field
        )


class RewardTierRestricted(Forbidden):
    slug = "reward-tier-restricted"

    def __init__(self, reward_id: str, tier_id: str) -> None:
        super().__init__(
            f"Reward {reward_id!r} is for members of tier {tier_id!r} only.",
            reward_id=reward_id,
            tier_id=tier_id,
            field="tier_id",
        )


class RedemptionCancelled(Conflict):
    slug = "redemption-cancelled"

    def __init__(self, redemption_id: str) -> None:
        super().__init__(
            f"Redemption {redemption_id!r} is cancelled already.", redemption_id=redemption_id
        )
