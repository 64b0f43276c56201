"""Awarding and redeeming points; a balance never goes below 0."""

from services.common.auth import Actor
from services.common.errors import Conflict
from services.common.events.catalogue import PointsChanged
from services.common.events.envelope import utc_now
from services.common.ids import new_id
from services.common.membership.repository import known_member_ids
from services.common.unit_of_work import UnitOfWork
from services.scoring.engagement import repository as engagement_repository
from services.scoring.engagement.service import MemberNotFound
from services.scoring.ledger.service import announce_level
from services.scoring.points import repository, rules
from services.scoring.points.schemas import PointsChange
from services.scoring.scoring_rules.service import community_half_life
from services.scoring.tables import membership


class InsufficientPoints(Conflict):
    slug = "insufficient-points"

    def __init__(self, member_id: str, *, balance: float) -> None:
        super().__init__(
            f"Member {member_id!r} has {balance:g} points; a balance never goes below 0.",
            member_id=member_id,
            balance=balance,
        )


async def change_points(
    *,
    uow: UnitOfWork,
    actor: Actor,
    community_id: str,
    member_id: str,
    points_change: PointsChange,
) -> tuple[float, int]:
    """Award (delta > 0) or redeem (delta < 0) points; a balance never goes below 0 (409).
    Returns the balance and the level."""
    known = await known_member_ids(
        uow.session, membership, community_id=community_id, member_ids=[member_id]
    )
    if member_id not in known:
        raise MemberNotFound(member_id)
    return await post_points(
        uow=uow,
        community_id=community_id,
        member_id=member_id,
        delta_milli=round(points_change.delta * rules.MILLI),
        reason=points_change.reason,
        changed_by=actor.id,
    )


async def post_points(
    *,
    uow: UnitOfWork,
    community_id: str,
    member_id: str,
    delta_milli: int,
    reason: str,
    changed_by: str,
    earned: bool = True,
) -> tuple[float, int]:
    """Move a known member's balance by `delta_milli` in the caller's transaction: one
    conditional UPDATE (InsufficientPoints, nothing changed, if it would go below 0), the
    adjustment the replay reads back and `points.changed`. A positive delta counts towards the
    level unless `earned` is False (a refund gives back what was spent, it earns nothing).
    Returns the balance and the level."""
    session, now = uow.session, utc_now()
    delta = delta_milli  # thousandths, as every balance is kept
    changed = await repository.change_balance(
        session,
        community_id=community_id,
        member_id=member_id,
        delta_milli=delta,
        half_life_days=await community_half_life(session, community_id),
        earned=earned,
    )
    if changed is None:
        current = await engagement_repository.get_member_score(
            session, community_id=community_id, member_id=member_id
        )
        raise InsufficientPoints(
            member_id, balance=rules.from_milli(current.points_milli if current else 0)
        )
    balance, stored_level = changed
    await repository.add_adjustment(
        session,
        {
            "id": new_id("pts"),
            "community_id": community_id,
            "member_id": member_id,
            "delta_milli": delta,
            "balance_milli": balance,
            "reason": reason,
            "changed_by": changed_by,
            "created_at": now,
            "earned": earned,
        },
    )
    await uow.outbox.add(
        session,
        PointsChanged(
            community_id=community_id,
            member_id=member_id,
            delta=rules.from_milli(delta),
            balance=rules.from_milli(balance),
            reason=reason,
            changed_by=changed_by,
            changed_at=now,
        ),
    )
    if delta <= 0 or not earned:
        # Spending or a refund moves no level.
        return rules.from_milli(balance), stored_level
    score = await engagement_repository.get_member_score(
        session, community_id=community_id, member_id=member_id
    )
    assert score is not None
    level = rules.level_for(score.level_milli)
    if level > score.level:
        await repository.set_level(
            session, community_id=community_id, member_id=member_id, level=level
        )
        await announce_level(
            uow,
            community_id=community_id,
            member_id=member_id,
            level=level,
            previous_level=score.level,
            level_milli=score.level_milli,
            at=now,
        )
    return rules.from_milli(balance), max(level, score.level)
