"""Level benefits: described by owners and admins, listed with each level's threshold, and
announced (`level.benefits_changed`) so the members service can show them with a standing
without asking scoring (no synchronous call between services)."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.benefits import BenefitItem
from services.common.errors import InvalidInput
from services.common.events.catalogue import Benefit, LevelBenefitsChanged
from services.common.events.envelope import utc_now
from services.common.membership.access import CommunityAccess
from services.common.unit_of_work import UnitOfWork
from services.scoring.level_benefits import repository
from services.scoring.level_benefits.schemas import BenefitsUpdate, LevelPublic
from services.scoring.points.rules import LEVEL_THRESHOLDS

LEVELS = range(1, len(LEVEL_THRESHOLDS) + 1)


def _check_level(level: int) -> None:
    if level not in LEVELS:
        raise InvalidInput(f"Levels go from 1 to {len(LEVEL_THRESHOLDS)}.", field="level")


async def list_levels(*, session: AsyncSession, community_id: str) -> list[LevelPublic]:
    rows = {
        row["level"]: row
        for row in await repository.community_benefits(session, community_id=community_id)
    }
    return [
        LevelPublic(
            level=level,
            points=float(LEVEL_THRESHOLDS[level - 1]),
            benefits=[BenefitItem.model_validate(item) for item in rows[level]["benefits"]]
            if level in rows
            else [],
            updated_at=rows[level]["updated_at"] if level in rows else None,
        )
        for level in LEVELS
    ]


async def get_level(*, session: AsyncSession, community_id: str, level: int) -> LevelPublic:
    _check_level(level)
    levels = await list_levels(session=session, community_id=community_id)
    return levels[level - 1]


async def set_benefits(
    *, uow: UnitOfWork, access: CommunityAccess, level: int, benefits_update: BenefitsUpdate
) -> LevelPublic:
    _check_level(level)
    now, community_id = utc_now(), access.community_id
    items = [item.model_dump() for item in benefits_update.benefits]
    await repository.set_benefits(
        uow.session,
        community_id=community_id,
        level=level,
        benefits=items,
        by=access.actor.id,
        at=now,
    )
    await uow.outbox.add(
        uow.session,
        LevelBenefitsChanged(
            community_id=community_id,
            level=level,
            benefits=[Benefit.model_validate(item) for item in items],
            changed_by=access.actor.id,
            changed_at=now,
        ),
    )
    return LevelPublic(
        level=level,
        points=float(LEVEL_THRESHOLDS[level - 1]),
        benefits=benefits_update.benefits,
        updated_at=now,
    )
