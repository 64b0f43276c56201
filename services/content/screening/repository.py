"""The screening settings' queries."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.content.tables import ScreeningSettingsRow


async def get_screening_settings(
    session: AsyncSession, community_id: str
) -> ScreeningSettingsRow | None:
    return await session.get(ScreeningSettingsRow, community_id)


async def save_screening_settings(session: AsyncSession, row: ScreeningSettingsRow) -> None:
    """Insert or replace the community's settings."""
    await session.merge(row)
