"""Reading and replacing a community's scoring rules."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.events.envelope import utc_now
from services.common.unit_of_work import UnitOfWork
from services.scoring.scoring_rules import repository, rules
from services.scoring.scoring_rules.schemas import RulesUpdate


async def community_half_life(session: AsyncSession, community_id: str) -> float:
    row = await repository.get_rules_row_for_read(session, community_id)
    return float(row.half_life_days) if row is not None else rules.DEFAULT_HALF_LIFE_DAYS


async def get_rules(*, session: AsyncSession, community_id: str) -> rules.Rules:
    row = await repository.get_rules_row_for_read(session, community_id)
    if row is None:
        return rules.DEFAULT_RULES.effective()
    return rules.Rules(
        weights=row.weights,
        cooldown_seconds=row.cooldown_seconds,
        daily_cap=row.daily_cap,
        half_life_days=row.half_life_days,
    ).effective()


async def replace_rules(
    *, uow: UnitOfWork, community_id: str, rules_update: RulesUpdate
) -> rules.Rules:
    """Replace a community's rules. They apply to activities posted from now on; a new
    half-life re-keys every member's score once, so scores are unchanged now and decay at the
    new rate from here."""
    session, now = uow.session, utc_now()
    weights = {str(kind): value for kind, value in rules_update.weights.items()}
    cooldowns = {str(kind): value for kind, value in rules_update.cooldown_seconds.items()}
    caps = {str(kind): value for kind, value in rules_update.daily_cap.items()}
    current = await repository.get_rules_row(session, community_id)
    old_half_life = (
        float(current.half_life_days) if current is not None else rules.DEFAULT_HALF_LIFE_DAYS
    )
    await repository.save_rules(
        session,
        {
            "community_id": community_id,
            "weights": weights,
            "cooldown_seconds": cooldowns,
            "daily_cap": caps,
            "half_life_days": rules_update.half_life_days,
            "updated_at": now,
        },
    )
    if rules_update.half_life_days != old_half_life:
        await repository.rekey_community(
            session,
            community_id=community_id,
            at=now,
            old=old_half_life,
            new=rules_update.half_life_days,
        )
    return rules.Rules(
        weights=weights,
        cooldown_seconds=cooldowns,
        daily_cap=caps,
        half_life_days=rules_update.half_life_days,
    ).effective()
