"""A community's screening settings: what a hit does, its own words, its allowed link domains.
The caller commits once."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.events.envelope import utc_now
from services.common.unit_of_work import UnitOfWork
from services.content.screening import repository
from services.content.screening.schemas import ScreeningSettingsPut
from services.content.tables import ScreeningSettingsRow


async def get_screening_settings(
    *, session: AsyncSession, community_id: str
) -> ScreeningSettingsPut:
    """The community's screening settings (the defaults until set)."""
    row = await repository.get_screening_settings(session, community_id)
    if row is None:
        return ScreeningSettingsPut()
    return ScreeningSettingsPut.model_validate(row, from_attributes=True)


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
            updated_at=utc_now(),
        ),
    )
