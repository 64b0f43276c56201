"""A community's screening settings: what a hit does, its own words, its allowed link domains.
The caller commits once."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.events.catalogue import ScreeningHit
from services.common.events.envelope import utc_now
from services.common.screening.rules import screener_for
from services.common.unit_of_work import UnitOfWork
from services.content.screening import repository
from services.content.screening.rules import (
    ScreeningAction,
    SourcePolicy,
    applying,
    policy_for,
)
from services.content.screening.schemas import ScreeningSettingsPut
from services.content.tables import ContentItem, ScreeningSettingsRow


async def get_screening_settings(
    *, session: AsyncSession, community_id: str
) -> ScreeningSettingsPut:
    """The community's screening settings (the defaults until set)."""
    row = await repository.get_screening_settings(session, community_id)
    if row is None:
        return ScreeningSettingsPut()
    defaults = ScreeningSettingsPut()
    return ScreeningSettingsPut(
        action=ScreeningAction(row.action),
        official=row.official or defaults.official.model_dump(),
        words=row.words,
        allowed_domains=row.allowed_domains,
    )


async def set_screening_settings(
    *, uow: UnitOfWork, community_id: str, settings: ScreeningSettingsPut
) -> None:
    """Replace the community's screening settings; the next submit screens with them."""
    await repository.save_screening_settings(
        uow.session,
        ScreeningSettingsRow(
            community_id=community_id,
            action=settings.action,
            words={rule: list(words) for rule, words in settings.words.items()},
            allowed_domains=list(settings.allowed_domains),
            official=settings.official.model_dump(mode="json"),
            updated_at=utc_now(),
        ),
    )


async def screen_item(
    session: AsyncSession, item: ContentItem
) -> tuple[list[ScreeningHit], SourcePolicy]:
    """What screening finds in an item under its community's settings for the item's source,
    and the policy that says what a hit does."""
    settings = await repository.get_screening_settings(session, item.community_id)
    policy = policy_for(
        item.source,
        action=settings.action if settings else None,
        official=settings.official if settings else None,
    )
    screener = screener_for(
        settings.words if settings else {}, settings.allowed_domains if settings else []
    )
    hits = screener.screen([item.title, item.body, *item.tags, *item.poll_options])
    return applying(hits, policy), policy
