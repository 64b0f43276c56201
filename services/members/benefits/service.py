"""Tier benefits (owners and admins describe them; members read them) and the benefits a
member's standing shows: their tier's, kept here, and their level's, from the copy of
scoring's announcements. No call to scoring: the level and its benefits arrive as events, a
moment after scoring changed them."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Actor
from services.common.benefits import BenefitItem
from services.common.events.envelope import utc_now
from services.members.benefits import repository
from services.members.benefits.schemas import TierBenefitsPublic, TierBenefitsUpdate
from services.members.memberships import repository as membership_repository
from services.members.permissions.rules import Permission
from services.members.permissions.service import acting
from services.members.tiers import repository as tier_repository
from services.members.tiers.errors import TierNotFound


async def _tier(session: AsyncSession, community_id: str, tier_id: str) -> None:
    if await tier_repository.get_tier(session, community_id=community_id, tier_id=tier_id) is None:
        raise TierNotFound(tier_id)


def _items(benefits: list[Any]) -> list[BenefitItem]:
    return [BenefitItem.model_validate(item) for item in benefits]


async def set_tier_benefits(
    *,
    session: AsyncSession,
    actor: Actor,
    community_id: str,
    tier_id: str,
    benefits_update: TierBenefitsUpdate,
) -> TierBenefitsPublic:
    await acting(
        session, community_id=community_id, actor=actor, permission=Permission.MANAGE_TIERS
    )
    await _tier(session, community_id, tier_id)
    now = utc_now()
    await repository.set_tier_benefits(
        session,
        community_id=community_id,
        tier_id=tier_id,
        benefits=[item.model_dump() for item in benefits_update.benefits],
        by=actor.id,
        at=now,
    )
    return TierBenefitsPublic(
        community_id=community_id,
        tier_id=tier_id,
        benefits=benefits_update.benefits,
        updated_at=now,
    )


async def get_tier_benefits(
    *, session: AsyncSession, actor: Actor, community_id: str, tier_id: str
) -> TierBenefitsPublic:
    await acting(session, community_id=community_id, actor=actor, permission=None)
    await _tier(session, community_id, tier_id)
    row = await repository.tier_benefits(session, tier_id=tier_id)
    return TierBenefitsPublic(
        community_id=community_id,
        tier_id=tier_id,
        benefits=_items(row["benefits"]) if row else [],
        updated_at=row["updated_at"] if row else None,
    )


@dataclass(frozen=True)
class StandingBenefits:
    level: int
    tier_benefits: list[BenefitItem]
    level_benefits: list[BenefitItem]


async def caller_benefits(
    session: AsyncSession, *, community_id: str, user_id: str
) -> StandingBenefits:
    """What the caller's tier and level give them (nothing for who does not belong: the
    standing answers 404 then). Read before the standing: the standing's read may start a
    rebuild behind it, and the answer should leave right after it."""
    own = await membership_repository.find_membership(
        session, community_id=community_id, user_id=user_id
    )
    if own is None:
        return StandingBenefits(level=1, tier_benefits=[], level_benefits=[])
    return await standing_benefits(
        session, community_id=community_id, member_id=own.id, tier_id=own.tier_id
    )


async def standing_benefits(
    session: AsyncSession, *, community_id: str, member_id: str, tier_id: str | None
) -> StandingBenefits:
    """What the member's tier and level give them."""
    tier_row = await repository.tier_benefits(session, tier_id=tier_id) if tier_id else None
    level = await repository.member_level(session, community_id=community_id, member_id=member_id)
    return StandingBenefits(
        level=level,
        tier_benefits=_items(tier_row["benefits"]) if tier_row else [],
        level_benefits=_items(
            await repository.level_benefits(session, community_id=community_id, level=level)
        ),
    )
