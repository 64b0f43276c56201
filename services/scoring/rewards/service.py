"""The points mall: operators stock rewards, members redeem points for them, staff cancel.

A redemption is one transaction: an item off the stock, one more towards the member's limit,
the points off the balance (through the points' own `post_points`, so it is a
`points.changed` like any redemption of points), the redemption and `reward.redeemed`. Each
step is a conditional UPDATE; the first that finds nothing left raises, and the unit of work
rolls back whatever the steps before it did. Row locks are always taken in the order reward,
claim, balance, so two redemptions never wait on each other in a cycle.
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import InvalidInput
from services.common.events.catalogue import RewardCancelled, RewardRedeemed
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.access import CommunityAccess, RoleRequired
from services.common.membership.tables import BELONGING_STATUSES
from services.common.unit_of_work import UnitOfWork
from services.scoring.coupons import repository as coupons_repository
from services.scoring.coupons.errors import RewardStockIsCoupons
from services.scoring.engagement.service import MemberNotFound
from services.scoring.points import rules as points_rules
from services.scoring.points.service import post_points
from services.scoring.rewards import repository, rules
from services.scoring.rewards.errors import (
    RedemptionCancelled,
    RedemptionNotFound,
    RewardLimitReached,
    RewardNotAvailable,
    RewardNotFound,
    RewardOutOfStock,
    RewardTierRestricted,
    RewardWithdrawn,
)
from services.scoring.rewards.schemas import (
    RedemptionCancel,
    RedemptionPublic,
    RewardCreate,
    RewardPublic,
    RewardUpdate,
)
from services.scoring.scoring_rules.rules import OPERATORS


def reward_public(row: Mapping[Any, Any]) -> RewardPublic:
    values = dict(row)
    values["price"] = points_rules.from_milli(values.pop("price_milli"))
    return RewardPublic.model_validate(values)


def redemption_public(row: Mapping[Any, Any], *, balance: float | None = None) -> RedemptionPublic:
    values = dict(row)
    values["points"] = points_rules.from_milli(values.pop("price_milli"))
    return RedemptionPublic.model_validate({**values, "balance": balance})


async def create_reward(
    *, uow: UnitOfWork, access: CommunityAccess, reward_create: RewardCreate
) -> RewardPublic:
    now = utc_now()
    values = reward_create.model_dump(exclude={"price"})
    values.update(
        id=new_id("rwd"),
        community_id=access.community_id,
        price_milli=round(reward_create.price * points_rules.MILLI),
        redeemed=0,
        status=rules.ACTIVE,
        created_by=access.actor.id,
        created_at=now,
        updated_at=now,
    )
    await repository.add_reward(uow.session, values)
    found = await _reward(uow.session, access.community_id, values["id"])
    return reward_public(found)


async def _reward(session: AsyncSession, community_id: str, reward_id: str) -> Mapping[Any, Any]:
    found = await repository.get_reward(session, community_id=community_id, reward_id=reward_id)
    if found is None:
        raise RewardNotFound(reward_id)
    return found


async def get_reward(*, session: AsyncSession, community_id: str, reward_id: str) -> RewardPublic:
    return reward_public(await _reward(session, community_id, reward_id))


async def list_rewards(
    *,
    session: AsyncSession,
    community_id: str,
    include_withdrawn: bool,
    after_id: str | None,
    limit: int,
) -> list[RewardPublic]:
    rows = await repository.list_rewards(
        session,
        community_id=community_id,
        include_withdrawn=include_withdrawn,
        after_id=after_id,
        limit=limit,
    )
    return [reward_public(row) for row in rows]


async def update_reward(
    *, uow: UnitOfWork, community_id: str, reward_id: str, reward_update: RewardUpdate
) -> RewardPublic:
    """Change a reward's terms; redemptions made already keep the price they were made at."""
    current = await _reward(uow.session, community_id, reward_id)
    if current["status"] == rules.WITHDRAWN:
        raise RewardWithdrawn(reward_id)
    if current["coupon_backed"] and "stock" in reward_update.model_fields_set:
        raise RewardStockIsCoupons(reward_id)
    changes: dict[str, Any] = reward_update.model_dump(exclude_unset=True, exclude={"price"})
    if "price" in reward_update.model_fields_set and reward_update.price is not None:
        changes["price_milli"] = round(reward_update.price * points_rules.MILLI)
    starts_at = changes.get("starts_at", current["starts_at"])
    ends_at = changes.get("ends_at", current["ends_at"])
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise InvalidInput("ends_at must be after starts_at.", field="ends_at")
    changes["updated_at"] = utc_now()
    updated = await repository.update_reward(
        uow.session, community_id=community_id, reward_id=reward_id, values=changes
    )
    assert updated is not None
    return reward_public(updated)


async def withdraw_reward(*, uow: UnitOfWork, community_id: str, reward_id: str) -> None:
    """Take a reward out of the mall; its redemptions stay valid (and cancellable)."""
    await _reward(uow.session, community_id, reward_id)
    await repository.update_reward(
        uow.session,
        community_id=community_id,
        reward_id=reward_id,
        values={"status": rules.WITHDRAWN, "updated_at": utc_now()},
    )


async def _redeemer(
    session: AsyncSession, access: CommunityAccess, member_id: str | None
) -> Mapping[Any, Any]:
    """Whose points a redemption spends: the caller's own, or, for staff and partner keys, the
    member named. Returns the member's standing (status, tier)."""
    if member_id is None:
        if access.member_id is None:
            raise InvalidInput(
                "Name the member who redeems: the caller is not a member.", field="member_id"
            )
        member_id = access.member_id
    elif member_id != access.member_id and not access.has_role(OPERATORS):
        # Only owners and admins (and partner keys) spend another member's points.
        raise RoleRequired(OPERATORS)
    standing = await repository.member_standing(
        session, community_id=access.community_id, member_id=member_id
    )
    if standing is None or standing["status"] not in BELONGING_STATUSES:
        raise MemberNotFound(member_id)
    return standing


async def redeem(
    *, uow: UnitOfWork, access: CommunityAccess, reward_id: str, member_id: str | None
) -> RedemptionPublic:
    session, now = uow.session, utc_now()
    community_id = access.community_id
    reward = await _reward(session, community_id, reward_id)
    if reward["status"] == rules.WITHDRAWN:
        raise RewardWithdrawn(reward_id)
    closed = rules.closed_window_field(reward["starts_at"], reward["ends_at"], now)
    if closed is not None:
        raise RewardNotAvailable(reward_id, closed)
    standing = await _redeemer(session, access, member_id)
    member_id = member_id or access.member_id
    assert member_id is not None
    if reward["tier_id"] is not None and standing["tier_id"] != reward["tier_id"]:
        raise RewardTierRestricted(reward_id, reward["tier_id"])
    taken = await repository.take_stock(session, reward_id=reward_id)
    if taken is None:
        raise RewardOutOfStock(reward_id)
    limit = reward["per_member_limit"]
    if not await repository.take_claim(
        session, reward_id=reward_id, member_id=member_id, limit=limit
    ):
        assert limit is not None
        raise RewardLimitReached(reward_id, limit)
    # The price as it stood when the stock was taken: the reward's row is locked from there.
    stock, price = int(taken["stock"]), int(taken["price_milli"])
    redemption_id = new_id("rdm")
    coupon_code: str | None = None
    if taken["coupon_backed"]:
        coupon_code = await coupons_repository.take_coupon(
            session, reward_id=reward_id, redemption_id=redemption_id, at=now
        )
        if coupon_code is None:
            raise RewardOutOfStock(reward_id)
    balance, _level = await post_points(
        uow=uow,
        community_id=community_id,
        member_id=member_id,
        delta_milli=-price,
        reason=f"reward {reward_id}: {taken['name']}"[:200],
        changed_by=access.actor.id,
    )
    values = {
        "id": redemption_id,
        "community_id": community_id,
        "reward_id": reward_id,
        "member_id": member_id,
        "code": rules.new_code(),
        "price_milli": price,
        "status": rules.REDEEMED,
        "redeemed_by": access.actor.id,
        "redeemed_at": now,
        "cancelled_by": None,
        "cancelled_at": None,
        "cancel_reason": None,
        "coupon_code": coupon_code,
    }
    await repository.add_redemption(session, values)
    await uow.outbox.add(
        session,
        RewardRedeemed(
            community_id=community_id,
            member_id=member_id,
            reward_id=reward_id,
            redemption_id=redemption_id,
            code=values["code"],
            points=points_rules.from_milli(price),
            balance=balance,
            stock=stock,
            redeemed_by=access.actor.id,
            redeemed_at=now,
        ),
    )
    return RedemptionPublic.model_validate(
        {**values, "points": points_rules.from_milli(price), "balance": balance}
    )


async def cancel(
    *,
    uow: UnitOfWork,
    access: CommunityAccess,
    redemption_id: str,
    redemption_cancel: RedemptionCancel,
) -> RedemptionPublic:
    """Cancel a redemption once: the item goes back to the stock (even of a withdrawn reward,
    where it stays unredeemable; never a coupon, whose code the member saw), the member's
    limit frees one, the points come back (a refund,
    which raises no level)."""
    session, now = uow.session, utc_now()
    community_id = access.community_id
    found = await repository.get_redemption(
        session, community_id=community_id, redemption_id=redemption_id
    )
    if found is None:
        raise RedemptionNotFound(redemption_id)
    cancelled = await repository.cancel_redemption(
        session,
        redemption_id=redemption_id,
        values={
            "cancelled_by": access.actor.id,
            "cancelled_at": now,
            "cancel_reason": redemption_cancel.reason,
        },
    )
    if cancelled is None:
        raise RedemptionCancelled(redemption_id)
    reward_id, member_id = cancelled["reward_id"], cancelled["member_id"]
    await repository.return_stock(session, reward_id=reward_id)
    await repository.return_claim(session, reward_id=reward_id, member_id=member_id)
    balance, _level = await post_points(
        uow=uow,
        community_id=community_id,
        member_id=member_id,
        delta_milli=int(cancelled["price_milli"]),
        reason=f"refund of redemption {redemption_id}",
        changed_by=access.actor.id,
        earned=False,
    )
    await uow.outbox.add(
        session,
        RewardCancelled(
            community_id=community_id,
            member_id=member_id,
            reward_id=reward_id,
            redemption_id=redemption_id,
            points=points_rules.from_milli(int(cancelled["price_milli"])),
            balance=balance,
            reason=redemption_cancel.reason,
            cancelled_by=access.actor.id,
            cancelled_at=now,
        ),
    )
    return redemption_public(cancelled, balance=balance)


async def member_redemptions(
    *,
    session: AsyncSession,
    access: CommunityAccess,
    member_id: str,
    after_id: str | None,
    limit: int,
) -> list[RedemptionPublic]:
    """A member's redemptions, for themselves and for staff (403 to other members)."""
    if member_id != access.member_id and not access.has_role(OPERATORS):
        raise RoleRequired(OPERATORS)
    rows = await repository.member_redemptions(
        session,
        community_id=access.community_id,
        member_id=member_id,
        after_id=after_id,
        limit=limit,
    )
    return [redemption_public(row) for row in rows]
